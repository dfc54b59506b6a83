"""One-call photo restoration: blind denoise / deblock, then an optional x2 or x4 upscale, and colourisation when the
photo is grayscale, chained from the zoo's own models.

>>> import zoo
>>> result = zoo.restore(Image.open("old_photo.jpg"), upscale=2, colorize="auto")  # doctest: +SKIP
>>> result.image.size, [step.model for step in result.steps]  # doctest: +SKIP
((1600, 1200), ['denoise-real', 'colorize', 'superres-x2'])

``RestorePipeline`` is the same chain with its models chosen (and loaded once) by the caller; the app's Restore tab
uses it with the app's model cache. Each step is reported with the model that ran and the seconds it took.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from zoo.errors import InputError, ModelNotFoundError

__all__ = ["DEFAULT_MODELS", "RestorePipeline", "RestoreResult", "RestoreStep", "restore"]
# (``zoo.restore`` re-exports ``restore``; this module is named ``chain`` so the function and a submodule never clash.)

# Preference order per step: the first published name is used. The real-world denoiser first; the upscalers see the
# denoised photo, so the bicubic-trained ones come first (a real-world upscaler would smooth an already clean photo).
# The L2 colouriser, not colorize-hints: the latter beats it on PSNR, colourfulness and hue spread (its card), but it
# paints blotches of red and green over faces and vegetation, where the L2 model is dull but never garish; a one-click
# chain cannot take the hints that fix them.
DEFAULT_MODELS: dict[str, tuple[str, ...]] = {
    "denoise": ("denoise-real", "denoise-color", "denoise-gray"),
    "x2": ("superres-x2",),
    "x4": ("superres-x4", "superres-x4-real"),
    "colorize": ("colorize", "colorize-hints"),
}
UPSCALES = (1, 2, 4)
COLORIZE_MODES = ("auto", "always", "never")
# Python's default cap on the restored image's size; the app passes its own (smaller) limit.
MAX_OUTPUT_PIXELS = 16_000_000


@dataclass(frozen=True)
class RestoreStep:
    """One link of the chain: what it did, with which model, in how many seconds."""

    name: str
    model: str
    seconds: float
    detail: str = ""

    def __str__(self) -> str:
        extra = f" ({self.detail})" if self.detail else ""
        return f"{self.name} with {self.model}: {self.seconds:.2f} s{extra}"


@dataclass
class RestoreResult:
    """The restored image, the steps that made it, and notes (e.g. an upscale reduced to fit the pixel cap)."""

    image: Image.Image
    steps: list[RestoreStep] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)


def is_grayscale(image: Image.Image, tolerance: int = 2) -> bool:
    """True for L / LA / I / F images and for RGB photos whose channels agree within ``tolerance`` everywhere
    (a scanned black-and-white print saved as RGB)."""
    if image.mode in ("1", "L", "LA", "I", "F") or image.mode.startswith("I;16"):
        return True
    rgb = np.asarray(image.convert("RGB"), dtype=np.int16)
    return bool(np.ptp(rgb, axis=2).max() <= tolerance)


def first_published(names: Sequence[str]) -> str | None:
    from zoo.registry import get_entry

    for name in names:
        entry = get_entry(name)
        if entry is not None and entry.published:
            return name
    return None


def check_options(upscale: Any, colorize: Any) -> tuple[int, str]:
    """Validated ``(upscale, colorize)``: upscale 1, 2 or 4; colorize "auto", "always" or "never" (True / False
    are accepted for always / never)."""
    try:
        factor = int(upscale)
    except (TypeError, ValueError):
        factor = -1
    if factor not in UPSCALES or (isinstance(upscale, float) and upscale != factor):
        raise InputError(f"upscale must be 1, 2 or 4, got {upscale!r}")
    if colorize is True:
        colorize = "always"
    elif colorize is False or colorize is None:
        colorize = "never"
    if colorize not in COLORIZE_MODES:
        raise InputError(f"colorize must be 'auto', 'always' or 'never', got {colorize!r}")
    return factor, colorize


class RestorePipeline:
    """``pipe(image, upscale=1, colorize="auto", strength=None) -> RestoreResult``.

    The chain: (1) blind denoising / deblocking (``strength`` on the 0-255 scale overrides the learned estimate;
    0 skips the step), (2) colourisation when ``colorize`` is "always", or "auto" and the photo is grayscale,
    (3) upscaling by ``upscale`` (1, 2 or 4), reduced to the largest factor whose output stays within
    ``max_output_pixels`` (a note says so). ``models`` maps "denoise", "x2", "x4", "colorize" to model names;
    ``load(name)`` returns a loaded pipeline (default ``zoo.load``, cached per instance). ``progress(fraction,
    text)`` is called before each step, and as its tiles are done where the step's pipeline reports them.
    """

    def __init__(
        self,
        models: dict[str, str | None] | None = None,
        load: Callable[[str], Any] | None = None,
        max_output_pixels: int = MAX_OUTPUT_PIXELS,
    ) -> None:
        chosen = {step: first_published(names) for step, names in DEFAULT_MODELS.items()}
        self.models = {**chosen, **(models or {})}
        self._load = load
        self._loaded: dict[str, Any] = {}
        self.max_output_pixels = int(max_output_pixels)

    def pipeline(self, step: str) -> tuple[str, Any]:
        name = self.models.get(step)
        if not name:
            raise ModelNotFoundError(
                f"no published model for the restore step {step!r} (looked for {', '.join(DEFAULT_MODELS[step])})"
            )
        if self._load is not None:
            return name, self._load(name)
        if name not in self._loaded:
            import zoo

            self._loaded[name] = zoo.load(name)
        return name, self._loaded[name]

    def fitting_upscale(self, size: tuple[int, int], upscale: int) -> int:
        """The largest factor <= ``upscale`` (of 1, 2, 4) whose output has at most ``max_output_pixels``."""
        pixels = size[0] * size[1]
        fitting = [f for f in UPSCALES if f <= upscale and pixels * f * f <= self.max_output_pixels]
        return max(fitting, default=1)

    def __call__(
        self,
        image: Any,
        upscale: int = 1,
        colorize: str | bool = "auto",
        strength: float | None = None,
        progress: Callable[[float, str], None] | None = None,
    ) -> RestoreResult:
        from zoo.pipelines.images import open_image

        upscale, colorize = check_options(upscale, colorize)
        image = open_image(image)
        result = RestoreResult(image)
        say = progress or (lambda fraction, text: None)
        gray = is_grayscale(image)
        paint = colorize == "always" or (colorize == "auto" and gray)
        factor = self.fitting_upscale(image.size, upscale)
        if factor < upscale:
            limit = f"{self.max_output_pixels / 1e6:.3g} megapixels"
            size = f"{image.width}x{image.height}"
            result.notes.append(
                f"upscale x{upscale} would give more than {limit} for a {size} photo; used x{factor}"
                if factor > 1
                else f"upscale x{upscale} would give more than {limit} for a {size} photo; skipped it"
            )
        steps = ["denoise"] * (strength != 0) + ["colorize"] * paint + ([f"x{factor}"] if factor > 1 else [])
        current = image
        for done, step in enumerate(steps):
            text = {"denoise": "Denoising", "colorize": "Colourising"}.get(step, f"Upscaling {step}")
            say(done / len(steps), text)
            name, pipe = self.pipeline(step)
            tiles = {}  # the step's own progress (tiles), where the caller asked and the pipeline reports it
            if progress is not None and "progress" in inspect.signature(pipe.__call__).parameters:
                tiles["progress"] = lambda part, done=done, text=text: say((done + part) / len(steps), text)
            start = time.perf_counter()
            if step == "denoise":
                level = None if strength is None else float(strength)
                current = pipe(current, sigma=level, **tiles)
                detail = "blind" if level is None else f"strength {level:g}"
            elif step == "colorize":
                current = pipe(current.convert("L") if not gray else current)
                detail = "grayscale photo" if gray else "colour discarded first"
            else:
                current = pipe(current, **tiles)
                detail = f"{image.width}x{image.height} -> {current.width}x{current.height}"
            result.steps.append(RestoreStep(step if step in ("denoise", "colorize") else "upscale", name,
                                            time.perf_counter() - start, detail))  # fmt: skip
        say(1.0, "Done")
        result.image = current if steps else image.copy()
        return result


def restore(
    image: Any,
    upscale: int = 1,
    colorize: str | bool = "auto",
    strength: float | None = None,
    models: dict[str, str | None] | None = None,
) -> RestoreResult:
    """Restore a photo with the zoo's published models: see ``RestorePipeline`` (models are loaded per call; keep a
    ``RestorePipeline`` to reuse them)."""
    return RestorePipeline(models)(image, upscale=upscale, colorize=colorize, strength=strength)
