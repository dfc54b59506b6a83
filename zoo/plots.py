"""Training-curve plots drawn with PIL (no plotting library needed): one small panel per logged scalar."""

from __future__ import annotations

import math

from PIL import Image, ImageDraw

SKIP = {"step", "epoch"}
COLOURS = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (255, 127, 14), (148, 103, 189), (140, 86, 75)]


def loss_plot(history: list[dict], panel: tuple[int, int] = (300, 170), columns: int = 3) -> Image.Image:
    """A grid of line plots, one per scalar in ``history`` (a list of {"step": s, name: value, ...})."""
    keys = [k for k in dict.fromkeys(k for row in history for k in row) if k not in SKIP]
    return curves_plot(history, [(key, [key], None) for key in keys], panel, columns, legend=False)


def curves_plot(
    history: list[dict],
    panels: list[tuple[str, list[str], tuple[float | None, float | None] | None]],
    panel: tuple[int, int] = (360, 190),
    columns: int = 2,
    legend: bool = True,
) -> Image.Image:
    """A grid of line plots, one per ``(title, keys, y_range)`` of ``panels``: every key of a panel drawn in its own
    colour (named in a legend under the title) against the step, on ``y_range`` (a None bound: the values' own)."""
    rows = max(math.ceil(len(panels) / columns), 1)
    width, height = panel
    image = Image.new("RGB", (columns * width, rows * height), "white")
    draw = ImageDraw.Draw(image)
    for index, (title, keys, y_range) in enumerate(panels):
        left, top = (index % columns) * width, (index // columns) * height
        box = (left + 45, top + (34 if legend else 22), left + width - 10, top + height - 22)
        draw.rectangle(box, outline=(180, 180, 180))
        draw.text((left + 45, top + 5), title, fill=(0, 0, 0))
        series = {key: [(row["step"], row[key]) for row in history if key in row and math.isfinite(row[key])]
                  for key in keys}  # fmt: skip
        points = [point for values in series.values() for point in values]
        if not points:
            continue
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
        low, high = y_range or (None, None)  # a None bound follows the values
        y0, y1 = min(ys) if low is None else low, max(ys) if high is None else high
        y1 = y1 if y1 > y0 else y0 + 1e-9
        draw.text((left + 2, box[1]), f"{y1:.3g}", fill=(90, 90, 90))
        draw.text((left + 2, box[3] - 10), f"{y0:.3g}", fill=(90, 90, 90))
        draw.text((box[2] - 40, box[3] + 4), f"{x1}", fill=(90, 90, 90))
        sx, sy = (box[2] - box[0]) / (x1 - x0), (box[3] - box[1]) / (y1 - y0)
        offset = 0
        for number, (key, values) in enumerate(series.items()):
            colour = COLOURS[(number if legend else index) % len(COLOURS)]
            if legend:
                draw.text((left + 45 + offset, top + 18), key, fill=colour)
                offset += 8 * len(key) + 12
            clipped = [(x, min(max(y, y0), y1)) for x, y in values]
            pixels = [(box[0] + (x - x0) * sx, box[3] - (y - y0) * sy) for x, y in clipped]
            if len(pixels) == 1:
                draw.ellipse([pixels[0][0] - 2, pixels[0][1] - 2, pixels[0][0] + 2, pixels[0][1] + 2], fill=colour)
            elif pixels:
                draw.line(pixels, fill=colour, width=2)
    return image


def scatter_plot(points, labels, names: list[str] | None = None, size: int = 420) -> Image.Image:
    """2-D scatter of ``points`` [N, 2] coloured by integer ``labels``, with a legend (for latent maps in cards)."""
    import numpy as np

    palette = [
        (31, 119, 180),
        (255, 127, 14),
        (44, 160, 44),
        (214, 39, 40),
        (148, 103, 189),
        (140, 86, 75),
        (227, 119, 194),
        (127, 127, 127),
        (188, 189, 34),
        (23, 190, 207),
    ]
    points = np.asarray(points, dtype=np.float64)[:, :2]
    finite = np.isfinite(points).all(axis=1)
    points, labels = points[finite], np.asarray(labels)[finite]
    image = Image.new("RGB", (size + 110, size), "white")
    draw = ImageDraw.Draw(image)
    low, high = np.percentile(points, 0.5, axis=0), np.percentile(points, 99.5, axis=0)
    span = np.maximum(high - low, 1e-9)
    pixels = (points - low) / span * (size - 20) + 10
    for (x, y), label in zip(pixels, labels, strict=True):
        colour = palette[int(label) % len(palette)]
        draw.ellipse([float(x) - 1.2, float(size - y) - 1.2, float(x) + 1.2, float(size - y) + 1.2], fill=colour)
    for index in range(int(labels.max(initial=-1)) + 1):
        name = names[index] if names and index < len(names) else str(index)
        draw.rectangle([size + 8, 10 + 16 * index, size + 18, 20 + 16 * index], fill=palette[index % len(palette)])
        draw.text((size + 22, 9 + 16 * index), name[:14], fill=(0, 0, 0))
    return image
