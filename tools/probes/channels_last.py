"""Speed of published pipelines with contiguous (NCHW) weights against channels-last (NHWC) weights, as loaded by
``zoo.load`` since ``_load_net`` stores them channels-last: median of 5 calls after a warm-up on a seeded noise image,
torch threads = 2, the pipeline's own precision; and the largest difference of the two outputs (uint8 levels).

    PYTHONPATH=. .venv/bin/python tools/probes/channels_last.py superres-x4-real:256 denoise-real:512 \\
        denoise-gray:512:gray superres-x2:256 colorize:512:gray

Nothing else should run on the machine meanwhile (the timings of a 0.2 s call drift with load).

Measured (NCHW -> channels-last, seconds): AMD EPYC, 2026-12-05: superres-x4-real 0.473 -> 0.307, denoise-real
0.337 -> 0.149, denoise-gray 0.441 -> 0.281, superres-x2 0.145 -> 0.092, colorize-hints 0.071 -> 0.053, colorize
0.053 -> 0.060. Intel Xeon with AMX, 2026-12-05: superres-x4-real 0.576 -> 0.174, denoise-real 0.326 -> 0.122,
denoise-gray 0.386 -> 0.220, denoise-color 0.795 -> 0.702 (0.888 -> 0.671 on a rerun), superres-x2 0.210 -> 0.074,
superres-x4-gan 0.575 -> 0.177, colorize (512) 0.076 -> 0.120, then 0.080 -> 0.076 on a rerun (noise at that size),
colorize-hints 0.083 -> 0.074, pix2pix-facades 0.016 -> 0.017; outputs identical there, within 2 levels on the EPYC.
A later rerun on the Xeon: denoise-real 0.403 -> 0.170, superres-x4-real 0.629 -> 0.186.
"""

from __future__ import annotations

import functools
import sys

import numpy as np
import torch
from PIL import Image

import zoo
from tools.bench import _timed


def main(args: list[str]) -> None:
    torch.set_num_threads(2)
    for arg in args:
        name, size, *rest = arg.split(":")
        size, gray = int(size), rest == ["gray"]
        pipe = zoo.load(name)
        noise = np.random.default_rng(0).random((size, size) if gray else (size, size, 3))
        image = Image.fromarray((noise * 255).astype(np.uint8))
        timings, outputs = {}, {}
        for layout in (torch.contiguous_format, torch.channels_last):
            for net in pipe.models.values():
                net.to(memory_format=layout)
            timings[layout] = _timed(functools.partial(pipe, image), repeats=5)["median_s"]
            outputs[layout] = np.asarray(pipe(image)).astype(np.int16)
        before, after = timings[torch.contiguous_format], timings[torch.channels_last]
        diff = int(np.abs(outputs[torch.contiguous_format] - outputs[torch.channels_last]).max())
        print(f"{name} {size}x{size}: NCHW {before:.3f} s, channels-last {after:.3f} s ({before / after:.2f}x); "
              f"outputs differ by <= {diff} levels", flush=True)  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
