"""How ``zoo.quantization.estimate_quality`` reads JPEGs written with IJG tables and with other tables, and what
denoise-real's JPEG constraint would do to the latter if it took them for IJG ones. Five kodak24 photos, each saved by
Pillow with its Photoshop-style presets (web_low, web_medium, web_high, low, medium, high), a perturbed IJG q30 table
(each entry times 0.7-1.3, seeded), a flat table of 24, and IJG qualities 5-90. Printed per case: the quality read and
its score (``MIN_SCORE`` is the bar), and for the non-IJG cases the PSNR change the constraint makes when forced to
believe the reading (``MIN_SCORE`` set to 0 for that call).

    PYTHONPATH=. .venv/bin/python tools/probes/jpeg_tables.py

2026-12-07 (AMD EPYC): IJG qualities 5-80 score 0.41-0.90 (quality 90: 0.18-0.42, read or not); the other tables
0.05-0.30, and read as IJG ones anyway the constraint changes PSNR by -0.84 to +0.25 dB (the gate catches some):
hence ``MIN_SCORE`` 0.35. kodim02 at IJG quality 5 reads as 15 (15's steps are a third of 5's, so its cells centre on
the same values, narrower).
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

import zoo
import zoo.quantization as zq
from zoo.data.paths import resolve_datasets
from zoo.metrics import psnr

PRESETS = ("web_low", "web_medium", "web_high", "low", "medium", "high")


def main() -> None:
    plain = zoo.load("denoise-real")
    plain.options["jpeg_constraint"] = None
    rng = np.random.default_rng(0)
    folder = resolve_datasets("kodak24")[0]
    for name in ("kodim02", "kodim05", "kodim13", "kodim15", "kodim23"):
        clean = np.asarray(Image.open(folder / f"{name}.png").convert("RGB"))
        perturbed = np.clip(zq.ijg_table(30).ravel() * rng.uniform(0.7, 1.3, 64), 1, 255).astype(int).tolist()
        cases = {preset: {"quality": preset} for preset in PRESETS}
        cases |= {"ijg30 perturbed": {"qtables": [perturbed] * 2}, "flat 24": {"qtables": [[24] * 64] * 2}}
        cases |= {f"ijg {quality}": {"quality": quality} for quality in (5, 10, 20, 40, 60, 80, 90)}
        for label, options in cases.items():
            buffer = io.BytesIO()
            Image.fromarray(clean).save(buffer, format="JPEG", **options)
            decoded = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"), dtype=np.float32)
            quality, score = zq.estimate_quality(decoded)
            line = f"{name} {label}: read {quality} (score {score:.2f})"
            if not label.startswith("ijg "):
                out = plain.denoise_array(decoded / 255.0, None)
                bar, zq.MIN_SCORE = zq.MIN_SCORE, 0.0
                try:
                    forced, what = zq.jpeg_constraint(out, decoded / 255.0)
                finally:
                    zq.MIN_SCORE = bar
                change = psnr(clean, np.round(forced * 255)) - psnr(clean, np.round(out * 255))
                line += f"; forced: {what} -> {change:+.3f} dB"
            print(line, flush=True)


if __name__ == "__main__":
    main()
