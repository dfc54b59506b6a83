"""The Denoise tab: a noisy upload (or a clean one with synthetic Gaussian noise added) through a denoiser, blind or
at a chosen noise level, with a before/after slider and PSNR when the clean image is known."""

from __future__ import annotations

from typing import Any

import gradio as gr
import numpy as np
from PIL import Image

import zoo
from app_support import lanes, media, params
from app_support.ui import (
    PROGRESS,
    comparison_slider,
    encoding,
    examples_of,
    forget_results,
    image_input,
    image_output,
    pipeline,
    prepare,
    report,
    size_of,
    tab_header,
    user_errors,
)


@user_errors
def denoise(
    model: str | None,
    image: Any,
    noise_level: float = 25.0,
    blind: bool = True,
    add_noise: bool = False,
    added_sigma: float = 25.0,
    progress: gr.Progress = PROGRESS,
    *,
    full: bool = False,
) -> tuple[tuple[Image.Image, Image.Image], Image.Image, str]:
    """Denoise an upload (at the preview size unless ``full``); optionally add Gaussian noise of ``added_sigma``
    first and report PSNR against it."""
    noise_level = params.number(noise_level, "Noise level σ", 0, 75, default=25)
    blind, add_noise = params.flag(blind, "auto (blind)", True), params.flag(add_noise, "Add synthetic noise", False)
    added_sigma = params.number(added_sigma, "Synthetic noise σ", 0, 75, default=25)
    pipe = pipeline("denoise", model, progress)
    progress(0.0, desc="Reading the image...")
    prepared = prepare(image, full=full)
    clean = prepared.image
    lines = []
    noisy = clean
    if add_noise:
        from zoo.noise import add_gaussian_noise

        array = np.asarray(clean, dtype=np.float32) / 255.0
        noisy_array = np.clip(add_gaussian_noise(array, float(added_sigma), seed=0), 0.0, 1.0)
        noisy = Image.fromarray(np.rint(noisy_array * 255.0).astype(np.uint8))
        lines.append(f"Added Gaussian noise σ = {float(added_sigma):g} (0-255 scale, seed 0).")
    sigma: float | None = None
    if not pipe.noise_aware:
        lines.append(f"{pipe.name} is blind by design: it takes no noise level.")
    elif blind:
        learned = getattr(pipe, "learned_strength", False)
        if not learned and min(noisy.size) < 32:
            raise zoo.InputError(
                f"Blind mode estimates the noise from the image and needs at least 32x32 pixels (this one is "
                f"{size_of(noisy)}); untick 'auto (blind)' and set the noise level instead."
            )
        progress(0.05, desc="Estimating the noise level...")
        sigma = pipe.estimate_sigma(noisy)
        how = "learned estimator: the effective strength of noise and JPEG damage" if learned else "blind"
        lines.append(f"Estimated noise level ({how}): σ ≈ {sigma:.1f}.")
    else:
        sigma = float(noise_level)
        lines.append(f"Noise level: σ = {sigma:g}.")
    progress(0.1, desc="Denoising...")
    out = pipe(noisy, sigma=sigma, progress=lambda done: progress(0.1 + 0.8 * done, desc="Denoising tile by tile..."))
    if add_noise:
        from zoo.metrics import psnr

        reference = np.asarray(clean)
        lines.append(
            f"PSNR against your clean image: noisy {psnr(reference, np.asarray(noisy)):.2f} dB → "
            f"denoised **{psnr(reference, np.asarray(out)):.2f} dB**."
        )
    lines.append(f"Output {size_of(out)} {out.mode}.")
    shown, tiny = media.for_display(media.named(out, media.source_stem(image), pipe.name))
    lines.append(tiny)
    encoding(progress)
    return (media.for_display(noisy)[0], shown), shown, report(*lines, notices=prepared.notices)


def build() -> tuple[gr.Markdown, gr.Dropdown]:
    """The tab's layout and events (call inside a ``gr.Tab``); returns its notice line and model dropdown."""
    notice, model = tab_header("denoise", "denoise")
    with gr.Row():
        with gr.Column():
            image = image_input("Noisy image (or a clean one, with synthetic noise)", "denoise-input")
            blind = gr.Checkbox(True, label="Noise level: auto (blind estimate)")
            sigma = gr.Slider(0, 75, value=25, step=1, label="Noise level σ (0-255), used when not auto")
            add_noise = gr.Checkbox(False, label="Add synthetic noise first (then PSNR vs your image)")
            added = gr.Slider(0, 75, value=25, step=1, label="Synthetic noise σ")
            runs = lanes.buttons("Denoise", "denoise")
        with gr.Column():
            slider = comparison_slider("Before / after", "denoise-slider")
            output = image_output("Denoised (PNG)", "denoise-output")
            info = gr.Markdown(elem_id="denoise-info")
    gr.Examples(examples_of("denoise"), [image], api_name="denoise_load_example")
    inputs = [model, image, sigma, blind, add_noise, added]
    lanes.wire(runs, denoise, inputs, [slider, output, info], "denoise", "denoise")
    forget_results(model, [slider, output, info])
    return notice, model
