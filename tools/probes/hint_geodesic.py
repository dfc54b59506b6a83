"""Would colorize-hints' hint gain rise if the network's hint-induced change were kept only near a hint, with "near"
measured along the photo (a geodesic distance over L that grows across edges), so a hint's colour cannot leak over a
boundary into a neighbouring region? The change is ``ab(with hints) - ab(no hints)`` at the working size, weighted by
``exp(-d / s)``, d the geodesic distance to the nearest hint (8-neighbour grid, step length + lam x |L difference| in
L units, divided by the longer side); the hint spread then runs as published. Arguments: a set, a stride, and settings
``s:lam``; the first two columns are the plain output and the published hinted decoding (the protocol's 10 hints).

    PYTHONPATH=. .venv/bin/python tools/probes/hint_geodesic.py kodak24 1 0.1:1 0.2:1 0.1:3 0.3:3
    PYTHONPATH=. .venv/bin/python tools/probes/hint_geodesic.py bsds500/test 4 0.2:1 0.5:1

2026-12-06 (AMD EPYC; scipy comes with the dev requirements' bm3d): kodak24 22.42 -> published 24.12 (+1.70, 5 of 24
worse); geodesic s 0.1 / lam 1 +0.58, s 0.2 / lam 1 +1.05, s 0.1 / lam 3 +0.38, s 0.3 / lam 3 +0.90; bsds500/test
(1 in 4): published +3.86, s 0.2 +1.61, s 0.5 +2.79. Every setting is worse, approaching the published decoding as s
grows: the network's far-reaching hint changes are right more often than wrong, so locality (Euclidean before, now
geodesic) is rejected. Seen on strips of kodim22 and kodim11: the red blobs over water come from the network itself
(they stay with the hint spread off), round and edge-blind, as a quarter-resolution head would make them.
"""

import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

import zoo
from zoo.color import lab_to_rgb, lightness
from zoo.colorbins import encode_hints, parse_hints, spread_hints
from zoo.data.paths import resolve_datasets
from zoo.metrics import psnr
from zoo.pipelines.colorize import AB_SCALE, working_shape
from zoo.pipelines.images import to_array, to_numpy, to_tensor
from zoo.pipelines.translation import back_to_size
from zoo.protocols.restoration.measure import colour_hints

torch.set_num_threads(2)


def grid_graph(light: np.ndarray, lam: float, eps: float = 1.0):
    """The 8-neighbour grid over ``light`` [h, w] (L units) as a sparse graph: edge = eps x step length + lam x |dL|."""
    h, w = light.shape
    idx = np.arange(h * w).reshape(h, w)
    flat = light.reshape(-1)
    rows, cols, weights = [], [], []
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        a = idx[max(0, -dy) : h - max(0, dy), max(0, -dx) : w - max(0, dx)]
        if dx >= 0:
            b = idx[max(0, dy) :, max(0, dx) :][: a.shape[0], : a.shape[1]]
        else:
            b = idx[dy:, : w + dx][: a.shape[0], : a.shape[1]]
        rows.append(a.reshape(-1))
        cols.append(b.reshape(-1))
        weights.append(np.hypot(dy, dx) * eps + lam * np.abs(flat[a.reshape(-1)] - flat[b.reshape(-1)]))
    r, c, weight = np.concatenate(rows), np.concatenate(cols), np.concatenate(weights)
    both = (np.concatenate([weight, weight]), (np.concatenate([r, c]), np.concatenate([c, r])))
    return coo_matrix(both, shape=(h * w, h * w)).tocsr()


def colorize(pipe, gray, hints, mode: str, s: float, lam: float) -> np.ndarray:
    """``predict_ab`` of the pipeline, with the hint-induced change weighted by geodesic nearness (``mode="geo"``)."""
    light = lightness(to_array(gray, 1))
    net = pipe.models["model"]
    height, width = light.shape
    shape = working_shape(height, width, pipe.working_size, int(getattr(net, "required_multiple", 1)))
    x = F.interpolate(to_tensor((light / 50.0 - 1.0).astype(np.float32), pipe.device), size=shape, mode="area")
    hint_map = to_tensor(encode_hints(hints, (width, height), shape).transpose(1, 2, 0), pipe.device)
    with torch.no_grad(), pipe.autocast():
        ab_hinted = pipe.decode(net(torch.cat([x, hint_map], 1))).float()
        ab_plain = pipe.decode(net(torch.cat([x, hint_map * 0], 1))).float()
    full = to_tensor((light / 100.0).astype(np.float32), pipe.device)
    guide = F.interpolate(full, size=ab_hinted.shape[-2:], mode="area")
    points = parse_hints(hints, (width, height))
    if mode == "geo":
        grid = guide[0, 0].numpy().astype(np.float64) * 100.0  # L units
        hh, ww = grid.shape
        sources = [min(int(v * hh), hh - 1) * ww + min(int(u * ww), ww - 1) for u, v, _ in points]
        distance = dijkstra(grid_graph(grid, lam), indices=sources, min_only=True).reshape(hh, ww) / max(hh, ww)
        weight = torch.from_numpy(np.exp(-distance / s)).float()[None, None]
        ab = ab_plain + weight * (ab_hinted - ab_plain)
    else:
        ab = ab_hinted
    if pipe.options.get("hint_spread"):
        ab = spread_hints(ab, guide, points, **pipe.options["hint_spread"])
    ab = back_to_size(ab, height, width).clamp(-1, 1) * AB_SCALE
    lab = np.concatenate([light[..., None], to_numpy(ab)], axis=2)
    return (np.clip(lab_to_rgb(lab), 0, 1) * 255 + 0.5).astype(np.uint8)


def main(argv: list[str]) -> None:
    dataset, step = argv[0], int(argv[1])
    settings = [tuple(float(v) for v in arg.split(":")) for arg in argv[2:]]
    pipe = zoo.load("colorize-hints")
    files = sorted(p for p in resolve_datasets(dataset)[0].rglob("*") if p.suffix.lower() in (".png", ".jpg"))[::step]
    zero, plain, scores = [], [], {setting: [] for setting in settings}
    for index, path in enumerate(files):
        original = np.asarray(Image.open(path).convert("RGB"))
        gray = Image.fromarray(original).convert("L")
        hints = colour_hints(original, 10, index)
        zero.append(psnr(original, np.asarray(pipe(gray).convert("RGB"))))
        plain.append(psnr(original, colorize(pipe, gray, hints, "plain", 0, 0)))
        for setting in settings:
            scores[setting].append(psnr(original, colorize(pipe, gray, hints, "geo", *setting)))
    base = float(np.mean(zero))
    worse = int((np.array(plain) < zero).sum())
    print(f"{dataset} n={len(files)} 0 hints {base:.2f}, published {np.mean(plain):.2f} "
          f"({np.mean(plain) - base:+.2f}) worse {worse}")  # fmt: skip
    for setting in settings:
        result = np.array(scores[setting])
        print(f"  s={setting[0]} lam={setting[1]}: {result.mean():.2f} ({result.mean() - base:+.2f}) "
              f"worse {(result < zero).sum()}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
