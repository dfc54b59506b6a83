"""Session 11 one-off: seconds per training step (batch 16, 128 px, forward + backward + Adam) of the colorize U-Net
with the 264-bin classification head at full resolution, bf16 and fp32."""

import time

import torch
import torch.nn.functional as F

from zoo.nets import ColorizationUNet

torch.set_num_threads(2)
net = ColorizationUNet(in_channels=4, out_channels=264, head="classification", ngf=32, num_downs=5)
x = torch.rand(16, 4, 128, 128)
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
        print(label, tuple(out.shape), f"{time.perf_counter() - t:.2f} s", flush=True)
