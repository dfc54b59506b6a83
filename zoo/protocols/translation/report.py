"""The translation family's reports: the fixed grid rows, the card figures and the static HTML page (its table through
``zoo.tables``), and the CycleGAN records per direction. Given the numbers; nothing is measured."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from zoo.cards import EvalRecord
from zoo.protocols.common import save_image
from zoo.protocols.translation.measure import COLOUR_TOLERANCE, IDENTITY, RECOLOURED, SHARPNESS, _mean_records
from zoo.protocols.translation.peers import KNOWN_BASELINES
from zoo.tables import table

GRID_ROWS = 8
HTML_ROWS = 50
GRID_CELL = 256  # grid cells are at most this many pixels wide


def _grid_indices(n: int, rows: int = GRID_ROWS) -> list[int]:
    """Fixed, evenly spread items (the same for every model evaluated on the same set)."""
    return sorted(set(np.linspace(0, n - 1, min(rows, n)).round().astype(int).tolist())) if n else []


def _cell(image: Image.Image, size: int = GRID_CELL) -> Image.Image:
    image = image.convert("RGB")
    if max(image.size) <= size:
        return image
    scale = size / max(image.size)
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.LANCZOS)


def _grid(rows: list[list[Image.Image]]) -> Image.Image:
    from zoo.pipelines.images import image_grid

    return image_grid([_cell(image) for row in rows for image in row], columns=len(rows[0]))


def write_html(folder: Path | None, title: str, header: Sequence[str], rows: list[list[Image.Image]]) -> Path | None:
    """A static page ``folder/web/index.html``: one table row per item, one column per image (JPEG files)."""
    if folder is None or not rows:
        return None
    web = Path(folder) / "web"
    (web / "images").mkdir(parents=True, exist_ok=True)
    lines = [
        "<!DOCTYPE html>",
        f'<html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head><body>',
        f"<h1>{html.escape(title)}</h1>",
    ]
    cells = []
    for index, row in enumerate(rows):
        cells.append([index])
        for name, image in zip(header, row, strict=True):
            file = f"images/{index:03d}_{'_'.join(name.lower().split())}.jpg"
            _cell(image).save(web / file, quality=92)
            cells[-1].append(f'<img src="{html.escape(file)}" alt="{html.escape(name)}">')
    lines += [table(["#", *header], cells, style="html"), "</body></html>"]
    path = web / "index.html"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _cyclegan_report(
    pipe: Any,
    folder: Path | None,
    dataset: str,
    labels: dict[str, str],
    results: dict[str, tuple[dict[str, dict[str, list[float]]], list[list[Image.Image]]]],
) -> tuple[list[EvalRecord], list[dict[str, str]]]:
    records, images, html_rows = [], [], []
    for direction, (values, rows) in results.items():
        records += _mean_records(values, dataset, labels[direction])
        at = _grid_indices(len(rows))
        images += save_image(
            _grid([rows[i] for i in at]),
            folder,
            f"grid_{direction}.png",
            f"{labels[direction]}: input | translated | translated back (cycle)",
        )
        html_rows += [[*row] for row in rows[: HTML_ROWS // 2]]
    write_html(
        folder, f"{pipe.name or 'CycleGAN'} on {dataset} (both directions)", ["input", "output", "cycle"], html_rows
    )
    return records, images


# -------------------------------------------------------------------------------------------------------- notes
def paired_notes(
    pipe: Any, name: str, split: str, direction: str, pairs: int, methods: list, baseline_folders: list[Path]
) -> str:
    runs = zip(methods[1:], baseline_folders, strict=True)
    found = ", ".join(f"{m} (run {f.parent.name})" for (m, _), f in runs) or "none"
    wanted = ", ".join(f"outputs/{n}/final" for n in KNOWN_BASELINES.get(name, ()) if n != pipe.name)
    notes = (
        f"{pairs} {name}/{split} pairs (direction {direction}), evaluated at their native size: the pipeline "
        f"resizes the input to its working size ({pipe.options.get('working_size')}) and the output back. L1 is the "
        f"mean absolute error on the 0-1 scale (lower is better); PSNR (dB) and SSIM (mean of the RGB channels' SSIM) "
        f"on uint8 RGB. The {SHARPNESS} is the output's mean luminance gradient over the target's, per pair, "
        f"averaged (1 = as much fine detail as the target; blur lowers it, noise and artefacts raise it): pixel "
        f"losses favour the blurred average, which is what the adversarial loss is there to avoid. Baselines measured "
        f"in this run on the same pairs: {found}."
    )
    if not baseline_folders and wanted:
        notes += f" No baseline checkpoint was found (looked for {wanted}); none is reported."
    notes += f" The '{IDENTITY}' row compares the input itself with the target (a floor, not a method)."
    return notes


def pix2pix_shapes_notes(n: int, size: int, seed: int) -> str:
    notes = (
        f"{n} generated {size}x{size} test pairs (seed {seed}; training used other seeds, but the space "
        "of shapes is finite, so some test shapes may also occur in training). mask IoU: pixels within RGB distance "
        "96 of green vs the expected rectangle (the circle's bounding square). Shape colour / background accuracy: "
        f"share of the rectangle's / the background's pixels within distance {COLOUR_TOLERANCE:g} of green / white. "
        f"'{RECOLOURED}': the input circle itself taken as the rectangle (a model that only recolours reaches this "
        f"IoU, about pi/4); '{IDENTITY}': the unchanged input."
    )
    return notes


def cyclegan_shapes_notes(
    n: int, size: int, seed: int, classifier_seed: int, train_circles: Sequence, train_squares: Sequence,
    accuracy: float,
) -> str:  # fmt: skip
    notes = (
        f"{n} generated {size}x{size} circles and {n} squares (seed {seed}). Cycle PSNR: input vs "
        "G_BA(G_AB(input)) (and the reverse), on uint8 images. Translation success: share of translated images that "
        "a small CNN (zoo.nets.ImageClassifier, width 16, trained in this run on "
        f"{len(train_circles)} + {len(train_squares)} real generated circles/squares, seed {classifier_seed}) "
        f"assigns to the target domain; its accuracy on the real test images is {accuracy:.3f}. Shape IoU: the "
        "produced green (violet) mask vs the circle's bounding square (the square's inscribed disc); CycleGAN is not "
        f"told this correspondence, so it measures whether position and size survive. '{IDENTITY}': the input "
        f"returned unchanged; '{RECOLOURED}': the input's own shape taken as the answer (what a model that only "
        "changes the colour would reach)."
    )
    return notes


def cyclegan_unpaired_notes(
    name: str, split: str, domains: Sequence[str], test_a: Sequence, test_b: Sequence, train_a: Sequence,
    train_b: Sequence, accuracy: float, *, paired: bool,
) -> str:  # fmt: skip
    domain_a, domain_b = domains
    notes = (
        f"{len(test_a)} A ({domain_a}) and {len(test_b)} B ({domain_b}) {name}/{split} images at their native size. "
        "Cycle PSNR: input vs the round trip through both generators, on uint8 images. Translation success: share of "
        "translated images that a small CNN (zoo.nets.ImageClassifier, width 16, 64x64, trained in this run on "
        f"{len(train_a)} + {len(train_b)} real training images) assigns to the target domain; its accuracy on the "
        f"real test images is {accuracy:.3f}. The classifier only knows the two real domains: an image unlike "
        "both (noise, a blur) is still put in one of them, so success says the output left its source domain, not "
        "that it is a good image; read it beside the cycle PSNR and the grids."
    )
    if paired:
        notes += (
            " The test images are split pairs, so 'PSNR vs true partner' compares each translation with the real image "
            "of the other half, which CycleGAN never saw paired."
        )
    notes += f" '{IDENTITY}': the input returned unchanged."
    return notes
