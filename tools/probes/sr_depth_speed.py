"""superres-x4-real's pipeline time on a 256x256 photo with 8, 12 and 16 residual blocks (untrained networks of the
published shape, loaded channels-last as the pipeline loads its own; the median of 5 calls after a warm-up): what a
deeper network would cost against the 0.5 s target (issue 20).

    PYTHONPATH=. .venv/bin/python tools/probes/sr_depth_speed.py

2026-12-06, AMD EPYC, 2 cores: 8 blocks 0.399 s, 12 blocks 0.444 s, 16 blocks 0.497 s (the x4 upsampler at 512x512
costs more than the body, so depth is cheap). Used by the superres-x4-real-deep experiment (train/configs).
"""

import time

import numpy as np
import torch
from PIL import Image

import zoo
from zoo.nets import SuperResNet

torch.set_num_threads(2)
pipe = zoo.load("superres-x4-real")
img = Image.fromarray((np.random.default_rng(0).random((256, 256, 3)) * 255).astype(np.uint8))
for blocks in (8, 12, 16):
    net = SuperResNet(scale=4, features=48, num_blocks=blocks).eval().to(memory_format=torch.channels_last)
    pipe.models["model"] = net
    pipe(img)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        pipe(img)
        times.append(time.perf_counter() - start)
    print(blocks, f"{np.median(times):.3f}", flush=True)
