"""denoise-real's blind call under its decodings, timed on this machine: the first release's (the crop read whole),
the squares pooled with the whole reading, and that plus the transpose self-ensemble (published 2026-12-06); at
512x512 (median of 10 after a warm-up, with the estimator's share) and on one 4000x3000 photo. The inputs are
``tools.bench.probe_input``'s, so the 512x512 row compares with BENCHMARKS.md's when run on its machine.

    PYTHONPATH=. .venv/bin/python tools/probes/denoise_real_speed.py

2026-12-06, AMD EPYC 2 cores: 512x512 whole 0.274 s (estimator 0.062 s), squares+whole 0.341 s (0.124 s), plus
the self-ensemble (published) 0.543 s, 1.98x the first release; 4000x3000 15.3 s -> 28.2 s (whole, then published).
2026-12-07, the JPEG quantisation constraint (published; "self-ensemble" is the decoding before it): a JPEG input
(kodak24's kodim23, 512x512, at quality 20) runs the whole constraint, the probe photo (noisy, no JPEG) only its
reading. Same EPYC kind, a slower run (whole 0.328 s): 512x512 self-ensemble 0.642 s -> published 0.653 s; JPEG q20
0.583 -> 0.622 s; 4000x3000 whole 16.6 s, published 31.0 s.
2026-12-07, late: the one-pass fine-tune published ("ensemble+jpeg" is the decoding before it). Same EPYC kind, a
slower run again (whole 0.336 s): 512x512 ensemble+jpeg 0.661 s -> published 0.417 s (estimator 0.167 s); JPEG q20
0.582 -> 0.379 s; 4000x3000 whole 18.8 s, published 17.6 s.
"""

from __future__ import annotations

import os
import time

import numpy as np
import torch
from PIL import Image

import zoo
from tools.bench import _timed, probe_input
from zoo.data.paths import resolve_datasets
from zoo.degradations import jpeg

DECODINGS = {
    "whole": {},
    "squares+whole": {"strength_tile": 128, "strength_pooling": "geometric"},
    "self-ensemble": {"strength_tile": 128, "strength_pooling": "geometric", "self_ensemble": True},
    "ensemble+jpeg": {"strength_tile": 128, "strength_pooling": "geometric", "self_ensemble": True,
                      "jpeg_constraint": {"slack": 0.6}},  # published 2026-12-07 until the one-pass fine-tune
    "published": {"strength_tile": 128, "strength_pooling": "geometric", "jpeg_constraint": {"slack": 0.6}},
}  # fmt: skip
OPTIONS = ("strength_tile", "strength_pooling", "self_ensemble", "jpeg_constraint")


def main() -> None:
    torch.set_num_threads(os.cpu_count() or 1)
    pipe = zoo.load("denoise-real")
    image = probe_input("denoise", 512, False)
    array = np.asarray(image, dtype=np.float32) / 255.0
    large = probe_input("denoise", 4000, False, 3000)
    kodak = np.asarray(Image.open(resolve_datasets("kodak24")[0] / "kodim23.png").convert("RGB"))[:512, :512]
    photo_jpeg = Image.fromarray(np.round(jpeg(kodak / 255.0, 20) * 255).astype(np.uint8))

    def use(options: dict) -> None:
        for key in OPTIONS:
            pipe.options.pop(key, None)
        pipe.options.update(options)

    for label, options in DECODINGS.items():
        use(options)
        call, reading = _timed(lambda: pipe(image), 10), _timed(lambda: pipe.blind_level(array), 10)
        estimator = reading["median_s"]
        print(f"512x512 {label}: {call['median_s']:.3f} s (p95 {call['p95_s']:.3f}; estimator {estimator:.3f})")
    for label in ("ensemble+jpeg", "published"):
        use(DECODINGS[label])
        call = _timed(lambda: pipe(photo_jpeg), 10)
        print(f"512x512 JPEG q20 {label}: {call['median_s']:.3f} s (p95 {call['p95_s']:.3f})")
    for label in ("whole", "published"):
        use(DECODINGS[label])
        started = time.perf_counter()
        pipe(large)
        print(f"4000x3000 {label}: {time.perf_counter() - started:.1f} s", flush=True)


if __name__ == "__main__":
    main()
