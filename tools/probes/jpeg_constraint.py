"""denoise-real with and without the JPEG quantisation constraint (``zoo.quantization.jpeg_constraint``), per kind of
the real-world denoising protocol, on a held-out set (or, to check, on a test set):

    PYTHONPATH=. .venv/bin/python tools/probes/jpeg_constraint.py bsds500/test 8 0.6,0.8,1.0
    PYTHONPATH=. .venv/bin/python tools/probes/jpeg_constraint.py sun_hays80 8 0.6 "jpeg q20"

Arguments: set, stride (every k-th photo), the luminance slacks to try (comma-separated), optionally the kinds
(comma-separated; default all 8). The model runs blind with the constraint switched off, and the constraint is then
applied to its output with each slack (chroma at slack 1). Printed per kind: the mean PSNR of the model and the change
with each slack, and how many photos the constraint acted on (the others: no JPEG found, or the JPEG of a noisy photo).
"""

from __future__ import annotations

import sys

import numpy as np
from PIL import Image

import zoo
from zoo.data.paths import resolve_datasets
from zoo.metrics import psnr
from zoo.pipelines.restoration import jpeg_grid_offset
from zoo.protocols.realworld.measure import DENOISE_KINDS, _denoise_blind, degrade_for_test
from zoo.quantization import jpeg_constraint


def main(argv: list[str]) -> None:
    dataset, stride, slacks = argv[0], int(argv[1]), [float(s) for s in argv[2].split(",")]
    kinds = argv[3].split(",") if len(argv) > 3 else list(DENOISE_KINDS)
    pipe = zoo.load("denoise-real")
    pipe.options.pop("jpeg_constraint", None)
    files = sorted(p for p in resolve_datasets(dataset)[0].rglob("*") if p.suffix.lower() in (".png", ".jpg"))
    for kind in kinds:
        rows, acted = [], 0
        for path in files[::stride]:
            clean = np.asarray(Image.open(path).convert("RGB"))
            degraded = degrade_for_test(clean, kind, path.name)
            out = _denoise_blind(pipe, degraded)
            offset = jpeg_grid_offset(degraded.astype(np.float32) / 255.0)
            row = [psnr(clean, out)]
            for slack in slacks:
                fixed, what = jpeg_constraint(out.astype(np.float32) / 255.0, degraded / 255.0, offset, slack)
                row.append(psnr(clean, np.round(fixed * 255.0).astype(np.uint8)))
            acted += "kept in its cells" in what
            rows.append(row)
        mean = np.mean(rows, axis=0)
        changes = " ".join(f"slack {s:g}: {v - mean[0]:+.3f}" for s, v in zip(slacks, mean[1:], strict=True))
        print(f"{dataset} {kind}: model {mean[0]:.3f}, {changes} (acted on {acted} of {len(rows)})", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
