"""Protocols for the translation family (docs/EVALUATION.md, "pix2pix / CycleGAN").

- ``pix2pix-paired`` (facades, maps): on the test split (``val`` for maps), L1 (0-1 scale), PSNR and SSIM of the
  output against the target, at the pair's native resolution, for this model, for every L1-trained baseline checkpoint
  that exists (given explicitly, else found at ``outputs/<name>/final``; never invented) and for the input itself.
- ``pix2pix-shapes``: IoU of the produced green mask with the expected rectangle, colour accuracy.
- ``cyclegan-shapes`` / ``cyclegan-unpaired``: cycle-reconstruction PSNR both ways; translation success = share of
  translated test images that a small domain classifier, trained here on real A vs real B training images (its test
  accuracy is reported), assigns to the target domain; shape IoU (shapes) or PSNR against the true partner (split
  pairs); grids both ways.

Every protocol is ``(pipe, data_dir=None, limit=None, folder=None) -> (records, notes, images)``. With a ``folder``
it saves figures into ``folder/images`` (for the card) and a static HTML page ``folder/web/index.html`` with one row
per test item (input | output | target), like the reference pix2pix test mode.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from zoo.cards import THIS_MODEL, EvalRecord
from zoo.protocols.common import save_image
from zoo.protocols.translation import report
from zoo.protocols.translation.measure import (  # noqa: F401 (re-exported: tests and other callers)
    COLOUR_TOLERANCE,
    IDENTITY,
    RECOLOURED,
    SHARPNESS,
    WHITE,
    _colour_share,
    _cycle,
    _disc_inside,
    _halves,
    _l1,
    _mean_records,
    _paired_split,
    _rgb,
    _square_around,
)
from zoo.protocols.translation.peers import (  # noqa: F401 (re-exported)
    CLASSIFIER_SIZE,
    KNOWN_BASELINES,
    _batch_tensor,
    _domain_accuracy,
    _load_baselines,
    classify,
    find_baselines,
    train_domain_classifier,
)
from zoo.protocols.translation.report import (  # noqa: F401 (re-exported)
    GRID_CELL,
    GRID_ROWS,
    HTML_ROWS,
    _cell,
    _cyclegan_report,
    _grid,
    _grid_indices,
    write_html,
)

SHAPES_TEST_SEED = 10_000  # test shapes, apart from the training seeds (0, ...)
CLASSIFIER_SEED = 20_000  # the domain classifier's training shapes

Protocol = Callable[..., tuple[list[EvalRecord], str, list[dict[str, str]]]]


def evaluate_paired(
    pipe: Any,
    data_dir: str | None = None,
    limit: int | None = None,
    folder: Path | None = None,
    *,
    baselines: Sequence[str | os.PathLike] | None = None,
) -> tuple[list[EvalRecord], str, list[dict[str, str]]]:
    """pix2pix on a paired folder (facades, maps): L1 / PSNR / SSIM vs the target for the model and its baselines."""
    from zoo.data import list_images
    from zoo.metrics import psnr, sharpness, ssim

    dataset, direction, split, split_dir = _paired_split(pipe, data_dir)
    name = Path(dataset).name
    files = list_images(split_dir)[:limit]
    baseline_folders = find_baselines(pipe, dataset, baselines)
    methods = [(THIS_MODEL, pipe), *_load_baselines(baseline_folders, dataset)]
    values: dict[str, dict[str, list[float]]] = {
        method: {"L1": [], "PSNR": [], "SSIM": [], SHARPNESS: []} for method in [*(m for m, _ in methods), IDENTITY]
    }
    grid_at = set(_grid_indices(len(files)))
    grid_rows, html_rows = [], []
    for index, path in enumerate(files):
        source, target = _halves(path, direction)
        reference = _rgb(target)
        reference_detail = max(sharpness(reference), 1e-6)  # once per pair, shared by every method's ratio
        outputs = {method: translate(source) for method, translate in methods}
        for method, image in [*outputs.items(), (IDENTITY, source)]:
            estimate = _rgb(image)
            values[method]["L1"].append(_l1(reference, estimate))
            values[method]["PSNR"].append(psnr(reference, estimate))
            values[method]["SSIM"].append(ssim(reference, estimate))
            if method != IDENTITY:  # a label map's edges say nothing about a photo's detail
                values[method][SHARPNESS].append(sharpness(estimate) / reference_detail)
        baseline_images = [outputs[m] for m, _ in methods[1:]]
        if index in grid_at:
            grid_rows.append([source, *baseline_images, outputs[THIS_MODEL], target])
        if index < HTML_ROWS:
            html_rows.append([source, outputs[THIS_MODEL], target, *baseline_images])
    records = _mean_records(values, f"{name} {split}")
    images: list[dict[str, str]] = []
    if grid_rows:
        images += save_image(
            _grid([[row[0], row[-2], row[-1]] for row in grid_rows]),
            folder,
            "test_grid.png",
            f"{len(grid_rows)} fixed {split} pairs: input | output | target",
        )
        if len(methods) > 1:
            columns = " | ".join(["input", *(m for m, _ in methods[1:]), "this model", "target"])
            images += save_image(_grid(grid_rows), folder, "comparison_grid.png", f"{split} pairs: {columns}")
    write_html(
        folder,
        f"{pipe.name or 'pix2pix'} on {name}/{split}",
        ["input", "output", "target", *(m for m, _ in methods[1:])],
        html_rows,
    )
    notes = report.paired_notes(pipe, name, split, direction, len(files), methods, baseline_folders)
    return records, notes, images


# -------------------------------------------------------------------------------------------------- pix2pix shapes
def evaluate_pix2pix_shapes(
    pipe: Any, data_dir: str | None = None, limit: int | None = None, folder: Path | None = None
) -> tuple[list[EvalRecord], str, list[dict[str, str]]]:
    """Violet circles -> green rectangles: IoU of the green mask with the circle's bounding square, colour accuracy."""
    from zoo.data import GREEN, VIOLET, circles_to_rectangles, shape_mask
    from zoo.metrics import mask_iou, psnr

    size = int(pipe.options.get("working_size", 64))
    n = limit or 200
    circles, targets, masks = circles_to_rectangles(n, seed=SHAPES_TEST_SEED, size=size)
    values: dict[str, dict[str, list[float]]] = {
        THIS_MODEL: {"mask IoU": [], "shape colour accuracy": [], "background accuracy": [], "PSNR": []},
        IDENTITY: {"mask IoU": [], "shape colour accuracy": [], "background accuracy": [], "PSNR": []},
        RECOLOURED: {"mask IoU": []},
    }
    grid_at, grid_rows, html_rows = set(_grid_indices(n)), [], []
    for index in range(n):
        source = Image.fromarray(circles[index])
        output = pipe(source)
        for method, estimate in ((THIS_MODEL, _rgb(output)), (IDENTITY, circles[index])):
            values[method]["mask IoU"].append(mask_iou(shape_mask(estimate, GREEN), masks[index]))
            values[method]["shape colour accuracy"].append(_colour_share(estimate, masks[index], GREEN))
            values[method]["background accuracy"].append(_colour_share(estimate, ~masks[index], WHITE))
            values[method]["PSNR"].append(psnr(targets[index], estimate))
        values[RECOLOURED]["mask IoU"].append(mask_iou(shape_mask(circles[index], VIOLET), masks[index]))
        row = [source, output, Image.fromarray(targets[index])]
        if index in grid_at:
            grid_rows.append(row)
        if index < HTML_ROWS:
            html_rows.append(row)
    records = _mean_records(values, "shapes test")
    images = save_image(_grid(grid_rows), folder, "test_grid.png", "test shapes: input | output | target")
    write_html(folder, f"{pipe.name or 'pix2pix'} on generated shapes", ["input", "output", "target"], html_rows)
    notes = report.pix2pix_shapes_notes(n, size, SHAPES_TEST_SEED)
    return records, notes, images


def evaluate_cyclegan_shapes(
    pipe: Any, data_dir: str | None = None, limit: int | None = None, folder: Path | None = None
) -> tuple[list[EvalRecord], str, list[dict[str, str]]]:
    """Circles <-> squares: cycle PSNR, translation success (domain classifier), shape IoU, both ways."""
    from zoo.data import GREEN, VIOLET, circles_and_squares, shape_mask
    from zoo.metrics import mask_iou

    size = int(pipe.options.get("working_size", 64))
    n = limit or 200
    circles, squares, circle_masks, square_masks = circles_and_squares(n, seed=SHAPES_TEST_SEED, size=size)
    train_circles, train_squares, _, _ = circles_and_squares(max(4 * n, 16) if limit else 1000, CLASSIFIER_SEED, size)
    classifier = train_domain_classifier(train_circles, train_squares)
    accuracy = _domain_accuracy(classifier, circles, squares)
    expected = {
        "AtoB": ([_square_around(m) for m in circle_masks], GREEN),
        "BtoA": ([_disc_inside(m) for m in square_masks], VIOLET),
    }

    def geometry(direction: str) -> Callable[[int, np.ndarray], float]:
        masks, colour = expected[direction]
        return lambda index, image: mask_iou(shape_mask(image, colour), masks[index])

    labels = {"AtoB": "circles->squares", "BtoA": "squares->circles"}
    results = {
        "AtoB": _cycle(pipe, [Image.fromarray(c) for c in circles], "AtoB", classifier, None, geometry("AtoB")),
        "BtoA": _cycle(pipe, [Image.fromarray(s) for s in squares], "BtoA", classifier, None, geometry("BtoA")),
    }
    sources = {"AtoB": (circles, VIOLET), "BtoA": (squares, GREEN)}
    for direction, (values, _) in results.items():
        images_in, colour = sources[direction]
        masks = expected[direction][0]
        values[RECOLOURED] = {
            "shape IoU": [
                mask_iou(shape_mask(image, colour), mask) for image, mask in zip(images_in, masks, strict=True)
            ]
        }
    records, images = _cyclegan_report(pipe, folder, "shapes test", labels, results)
    records.append(EvalRecord("shapes test", "classifier accuracy (real images)", accuracy, "domain classifier"))
    notes = report.cyclegan_shapes_notes(
        n, size, SHAPES_TEST_SEED, CLASSIFIER_SEED, train_circles, train_squares, accuracy
    )
    return records, notes, images


def evaluate_cyclegan_unpaired(
    pipe: Any, data_dir: str | None = None, limit: int | None = None, folder: Path | None = None
) -> tuple[list[EvalRecord], str, list[dict[str, str]]]:
    """CycleGAN on real images: pix2pix pairs split into two domains (facades), or ``testA``/``testB`` folders."""
    from zoo.data import list_images, load_image, resolve_dataset

    dataset = str(pipe.options.get("dataset", "facades"))
    name = Path(dataset).name
    root = resolve_dataset(dataset, data_dir)
    domain_a, domain_b = pipe.domains
    if (root / "testA").is_dir():
        split = "test"
        test_a = [load_image(p) for p in list_images(root / "testA")[:limit]]
        test_b = [load_image(p) for p in list_images(root / "testB")[:limit]]
        train_a = [load_image(p) for p in list_images(root / "trainA")[: 4 * limit if limit else None]]
        train_b = [load_image(p) for p in list_images(root / "trainB")[: 4 * limit if limit else None]]
        partners_a = partners_b = None
    else:
        _, direction, split, split_dir = _paired_split(pipe, data_dir)
        pairs = [_halves(p, direction) for p in list_images(split_dir)[:limit]]
        test_a, test_b = [a for a, _ in pairs], [b for _, b in pairs]
        partners_a, partners_b = test_b, test_a  # the true partner of A[i] is B[i]
        train = [_halves(p, direction) for p in list_images(root / "train")[: 4 * limit if limit else None]]
        train_a, train_b = [a for a, _ in train], [b for _, b in train]
    classifier = train_domain_classifier(train_a, train_b)
    accuracy = _domain_accuracy(classifier, test_a, test_b)
    labels = {"AtoB": f"{domain_a}->{domain_b}", "BtoA": f"{domain_b}->{domain_a}"}
    results = {
        "AtoB": _cycle(pipe, test_a, "AtoB", classifier, partners_a, None),
        "BtoA": _cycle(pipe, test_b, "BtoA", classifier, partners_b, None),
    }
    records, images = _cyclegan_report(pipe, folder, f"{name} {split}", labels, results)
    records.append(EvalRecord(f"{name} {split}", "classifier accuracy (real images)", accuracy, "domain classifier"))
    notes = report.cyclegan_unpaired_notes(
        name, split, pipe.domains, test_a, test_b, train_a, train_b, accuracy, paired=partners_a is not None
    )
    return records, notes, images


PROTOCOLS: dict[str, Protocol] = {
    "pix2pix-paired": evaluate_paired,
    "pix2pix-shapes": evaluate_pix2pix_shapes,
    "cyclegan-shapes": evaluate_cyclegan_shapes,
    "cyclegan-unpaired": evaluate_cyclegan_unpaired,
    "pix2pix": evaluate_paired,  # task defaults, for checkpoints without options["protocol"]
    "cyclegan": evaluate_cyclegan_unpaired,
}
