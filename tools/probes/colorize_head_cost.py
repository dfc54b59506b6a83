"""Seconds per training step (batch 16, 128 px, forward + backward + Adam) of the colorize U-Net with the 264-bin
classification head, at full resolution (``head_stride=1``, session 11) and at a quarter of it (``head_stride=4``,
Zhang et al. 2016; session 12), bf16 and fp32. Three steps each; the first includes warm-up.

    PYTHONPATH=. .venv/bin/python tools/probes/colorize_head_cost.py [STRIDE ...]   # default: 1 4
"""

import sys
import time

import torch
import torch.nn.functional as F

from zoo.nets import ColorizationUNet

torch.set_num_threads(2)
x = torch.rand(16, 4, 128, 128)
for stride in [int(s) for s in sys.argv[1:]] or [1, 4]:
    net = ColorizationUNet(in_channels=4, out_channels=264, head="classification", ngf=32, num_downs=5,
                           head_stride=stride)  # fmt: skip
    opt = torch.optim.Adam(net.parameters())
    for label, ac in (("bf16", True), ("fp32", False)):
        for _i in range(3):
            t = time.perf_counter()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=ac):
                out = net(x)
            tgt = torch.randint(0, out.shape[1], (16, *out.shape[2:]))
            loss = F.cross_entropy(out.float(), tgt)
            loss.backward()
            opt.step()
            opt.zero_grad()
            print(f"head_stride {stride}", label, tuple(out.shape), f"{time.perf_counter() - t:.2f} s", flush=True)
