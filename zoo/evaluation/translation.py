"""Protocols for the translation family (EVALUATION.md, "pix2pix / CycleGAN").

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

import html
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from zoo.cards import THIS_MODEL, EvalRecord
from zoo.evaluation.common import SEED, check_run_folders, find_runs, run_label, save_image

SHAPES_TEST_SEED = 10_000  # test shapes, apart from the training seeds (0, ...)
CLASSIFIER_SEED = 20_000  # the domain classifier's training shapes
COLOUR_TOLERANCE = 48.0  # RGB distance (0-255) within which a pixel counts as the right colour
GRID_ROWS = 8
HTML_ROWS = 50
GRID_CELL = 256  # grid cells are at most this many pixels wide
CLASSIFIER_SIZE = 64
IDENTITY = "identity (input)"
SHARPNESS = "sharpness ratio"  # output's mean luminance gradient over the target's (paired protocols)
RECOLOURED = "input shape, recoloured"
WHITE = (255, 255, 255)

KNOWN_BASELINES: dict[str, tuple[str, ...]] = {
    "facades": ("pix2pix-facades-l1",),
    "maps": ("pix2pix-maps-l1-upsampling", "pix2pix-maps-l1-transpose", "pix2pix-maps-l1-unet"),
}
"""Training-run names (``train/configs``) whose ``outputs/<name>/final`` the paired protocol shows as baselines."""

Protocol = Callable[..., tuple[list[EvalRecord], str, list[dict[str, str]]]]


# --------------------------------------------------------------------------------------------------------- helpers
def _rgb(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"))


def _l1(reference: np.ndarray, estimate: np.ndarray) -> float:
    return float(np.mean(np.abs(reference.astype(np.float64) - estimate.astype(np.float64))) / 255.0)


def _colour_share(image: np.ndarray, mask: np.ndarray, colour: Sequence[int]) -> float:
    """Share of the ``mask`` pixels whose colour lies within ``COLOUR_TOLERANCE`` of ``colour``."""
    if not mask.any():
        return 1.0
    distance = np.linalg.norm(image[mask].astype(np.float64) - np.asarray(colour, dtype=np.float64), axis=-1)
    return float(np.mean(distance <= COLOUR_TOLERANCE))


def _mean_records(values: dict[str, dict[str, list[float]]], dataset: str, config: str | None = None):
    return [
        EvalRecord(dataset, metric, float(np.mean(series)), method, config)
        for method, metrics in values.items()
        for metric, series in metrics.items()
        if series
    ]


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
        "<table>",
        "<tr><th>#</th>" + "".join(f"<th>{html.escape(name)}</th>" for name in header) + "</tr>",
    ]
    for index, row in enumerate(rows):
        cells = []
        for name, image in zip(header, row, strict=True):
            file = f"images/{index:03d}_{'_'.join(name.lower().split())}.jpg"
            _cell(image).save(web / file, quality=92)
            cells.append(f'<td><img src="{html.escape(file)}" alt="{html.escape(name)}"></td>')
        lines.append(f"<tr><td>{index}</td>{''.join(cells)}</tr>")
    lines += ["</table>", "</body></html>"]
    path = web / "index.html"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------- baselines (paired)
def find_baselines(pipe: Any, dataset: str, explicit: Sequence[str | os.PathLike] | None = None) -> list[Path]:
    """Baseline checkpoint folders: ``explicit`` ones (must exist), else the known runs' ``outputs/<name>/final``
    that exist. The evaluated model itself is never its own baseline."""
    if explicit:
        return check_run_folders(explicit)
    return find_runs(KNOWN_BASELINES.get(Path(dataset).name, ()), exclude=pipe.name)


def _load_baselines(folders: list[Path], dataset: str) -> list[tuple[str, Any]]:
    """(label, pipeline) per baseline folder; a baseline trained on another dataset is refused."""
    from zoo.errors import CheckpointError
    from zoo.pipelines import load_pipeline

    loaded: list[tuple[str, Any]] = []
    for folder in folders:
        baseline = load_pipeline(folder)
        trained_on = Path(str(baseline.options.get("dataset", ""))).name
        if trained_on != Path(dataset).name:
            raise CheckpointError(f"baseline {folder} was trained on {trained_on!r}, not {Path(dataset).name!r}")
        loaded.append((run_label(baseline, folder, [THIS_MODEL, IDENTITY, *(n for n, _ in loaded)]), baseline))
    return loaded


# -------------------------------------------------------------------------------------------------- pix2pix paired
def _paired_split(pipe: Any, data_dir: str | None) -> tuple[str, str, str, Path]:
    from zoo.data import PAIRED_TASK_DIRECTION, resolve_dataset

    dataset = str(pipe.options.get("dataset", "facades"))
    direction = str(pipe.options.get("direction") or PAIRED_TASK_DIRECTION.get(Path(dataset).name, "AtoB"))
    root = resolve_dataset(dataset, data_dir)
    split = str(pipe.options.get("split") or ("test" if (root / "test").is_dir() else "val"))
    return dataset, direction, split, root / split


def _halves(path: Path, direction: str) -> tuple[Image.Image, Image.Image]:
    """(input, target) of a side-by-side file."""
    from zoo.data import load_image, split_pair

    left, right = split_pair(load_image(path, "RGB"))
    return (left, right) if direction == "AtoB" else (right, left)


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
    runs = zip(methods[1:], baseline_folders, strict=True)
    found = ", ".join(f"{m} (run {f.parent.name})" for (m, _), f in runs) or "none"
    wanted = ", ".join(f"outputs/{n}/final" for n in KNOWN_BASELINES.get(name, ()) if n != pipe.name)
    notes = (
        f"{len(files)} {name}/{split} pairs (direction {direction}), evaluated at their native size: the pipeline "
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
    notes = (
        f"{n} generated {size}x{size} test pairs (seed {SHAPES_TEST_SEED}; training used other seeds, but the space "
        "of shapes is finite, so some test shapes may also occur in training). mask IoU: pixels within RGB distance "
        "96 of green vs the expected rectangle (the circle's bounding square). Shape colour / background accuracy: "
        f"share of the rectangle's / the background's pixels within distance {COLOUR_TOLERANCE:g} of green / white. "
        f"'{RECOLOURED}': the input circle itself taken as the rectangle (a model that only recolours reaches this "
        f"IoU, about pi/4); '{IDENTITY}': the unchanged input."
    )
    return records, notes, images


# --------------------------------------------------------------------------------------------- domain classifier
def _batch_tensor(images: Sequence[np.ndarray | Image.Image], size: int = CLASSIFIER_SIZE) -> torch.Tensor:
    """uint8 RGB images -> [N,3,size,size] in [-1,1]."""
    from zoo.pipelines.translation import resize_tensor

    tensors = []
    for image in images:
        array = _rgb(image) if isinstance(image, Image.Image) else np.asarray(image)
        x = torch.from_numpy(np.array(array, dtype=np.float32)).permute(2, 0, 1)[None] / 127.5 - 1.0
        tensors.append(resize_tensor(x, size, size))
    return torch.cat(tensors)


def train_domain_classifier(
    images_a: Sequence[Any], images_b: Sequence[Any], epochs: int = 4, seed: int = SEED
) -> torch.nn.Module:
    """A small ``ImageClassifier`` (A = 0, B = 1) on real training images at 64x64; seeded, a few seconds on CPU."""
    from zoo.nets import ImageClassifier

    x = torch.cat([_batch_tensor(images_a), _batch_tensor(images_b)])
    y = torch.cat([torch.zeros(len(images_a), dtype=torch.long), torch.ones(len(images_b), dtype=torch.long)])
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        net = ImageClassifier(in_channels=3, num_classes=2, image_size=CLASSIFIER_SIZE, width=16)
        optimizer = torch.optim.Adam(net.parameters(), lr=2e-3)
        generator = torch.Generator().manual_seed(seed)
        net.train()
        for _ in range(epochs):
            order = torch.randperm(len(x), generator=generator)
            for start in range(0, len(x), 32):
                index = order[start : start + 32]
                if len(index) < 2:  # batch norm needs two items
                    continue
                loss = torch.nn.functional.cross_entropy(net(x[index]), y[index])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
    return net.eval()


@torch.no_grad()
def classify(net: torch.nn.Module, images: Sequence[Any]) -> np.ndarray:
    """Predicted domain (0 = A, 1 = B) per image."""
    if len(images) == 0:
        return np.zeros(0, dtype=int)
    return net(_batch_tensor(images)).argmax(1).numpy()


def _domain_accuracy(net: torch.nn.Module, images_a: Sequence[Any], images_b: Sequence[Any]) -> float:
    predictions = np.concatenate([classify(net, images_a) == 0, classify(net, images_b) == 1])
    return float(np.mean(predictions))


# ---------------------------------------------------------------------------------------------------- CycleGAN
def _cycle(
    pipe: Any,
    sources: Sequence[Image.Image],
    direction: str,
    classifier: torch.nn.Module,
    partners: Sequence[Image.Image] | None,
    geometry: Callable[[int, np.ndarray], float] | None,
) -> tuple[dict[str, dict[str, list[float]]], list[list[Image.Image]]]:
    """Translate ``sources`` one way and back: per-image metrics for this model and the identity baseline."""
    from zoo.metrics import psnr

    target_domain = 1 if direction == "AtoB" else 0
    back = "BtoA" if direction == "AtoB" else "AtoB"
    values: dict[str, dict[str, list[float]]] = {THIS_MODEL: {}, IDENTITY: {}}
    rows, fakes = [], []
    for index, source in enumerate(sources):
        fake = pipe(source, direction)
        recovered = pipe(fake, back)
        fakes.append(fake)
        rows.append([source, fake, recovered])
        values[THIS_MODEL].setdefault("cycle PSNR", []).append(psnr(_rgb(source), _rgb(recovered)))
        for method, image in ((THIS_MODEL, fake), (IDENTITY, source)):
            if partners is not None:
                values[method].setdefault("PSNR vs true partner", []).append(psnr(_rgb(partners[index]), _rgb(image)))
            if geometry is not None:
                values[method].setdefault("shape IoU", []).append(geometry(index, _rgb(image)))
    values[THIS_MODEL]["translation success"] = list((classify(classifier, fakes) == target_domain).astype(float))
    values[IDENTITY]["translation success"] = list((classify(classifier, sources) == target_domain).astype(float))
    return values, rows


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


def _square_around(mask: np.ndarray) -> np.ndarray:
    """The axis-aligned bounding box of a mask (a circle's bounding square)."""
    out = np.zeros_like(mask, dtype=bool)
    if mask.any():
        ys, xs = np.nonzero(mask)
        out[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] = True
    return out


def _disc_inside(mask: np.ndarray) -> np.ndarray:
    """The disc inscribed in a square mask (same centre, radius = half side), as the shapes generator draws it."""
    if not mask.any():
        return np.zeros_like(mask, dtype=bool)
    ys, xs = np.nonzero(mask)
    cx, cy, radius = (xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2, (xs.max() - xs.min()) / 2
    grid_y, grid_x = np.mgrid[: mask.shape[0], : mask.shape[1]]
    return (grid_x - cx) ** 2 + (grid_y - cy) ** 2 <= radius**2


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
    notes = (
        f"{n} generated {size}x{size} circles and {n} squares (seed {SHAPES_TEST_SEED}). Cycle PSNR: input vs "
        "G_BA(G_AB(input)) (and the reverse), on uint8 images. Translation success: share of translated images that "
        "a small CNN (zoo.nets.ImageClassifier, width 16, trained in this run on "
        f"{len(train_circles)} + {len(train_squares)} real generated circles/squares, seed {CLASSIFIER_SEED}) "
        f"assigns to the target domain; its accuracy on the real test images is {accuracy:.3f}. Shape IoU: the "
        "produced green (violet) mask vs the circle's bounding square (the square's inscribed disc); CycleGAN is not "
        f"told this correspondence, so it measures whether position and size survive. '{IDENTITY}': the input "
        f"returned unchanged; '{RECOLOURED}': the input's own shape taken as the answer (what a model that only "
        "changes the colour would reach)."
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
    notes = (
        f"{len(test_a)} A ({domain_a}) and {len(test_b)} B ({domain_b}) {name}/{split} images at their native size. "
        "Cycle PSNR: input vs the round trip through both generators, on uint8 images. Translation success: share of "
        "translated images that a small CNN (zoo.nets.ImageClassifier, width 16, 64x64, trained in this run on "
        f"{len(train_a)} + {len(train_b)} real training images) assigns to the target domain; its accuracy on the "
        f"real test images is {accuracy:.3f}. The classifier only knows the two real domains: an image unlike "
        "both (noise, a blur) is still put in one of them, so success says the output left its source domain, not "
        "that it is a good image; read it beside the cycle PSNR and the grids."
    )
    if partners_a is not None:
        notes += (
            " The test images are split pairs, so 'PSNR vs true partner' compares each translation with the real image "
            "of the other half, which CycleGAN never saw paired."
        )
    notes += f" '{IDENTITY}': the input returned unchanged."
    return records, notes, images


PROTOCOLS: dict[str, Protocol] = {
    "pix2pix-paired": evaluate_paired,
    "pix2pix-shapes": evaluate_pix2pix_shapes,
    "cyclegan-shapes": evaluate_cyclegan_shapes,
    "cyclegan-unpaired": evaluate_cyclegan_unpaired,
    "pix2pix": evaluate_paired,  # task defaults, for checkpoints without options["protocol"]
    "cyclegan": evaluate_cyclegan_unpaired,
}
