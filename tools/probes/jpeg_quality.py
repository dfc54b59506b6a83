"""The JPEG quality a set's photos were saved at, estimated from each file's luminance quantisation table: the IJG
quality (1-100) whose scaled standard table (ITU-T T.81 Annex K, as libjpeg and Pillow scale it) is closest, sorted
entry by entry (so the zig-zag order of the stored table does not matter). Non-JPEG files are counted, not estimated.

    PYTHONPATH=. .venv/bin/python tools/probes/jpeg_quality.py sun_hays80 kodak24 cbsd68

2026-12-05: sun_hays80 80 files, 80 JPEG, quality 75 for all; kodak24 and cbsd68 none JPEG (PNG).
"""

from __future__ import annotations

import sys
from collections import Counter

import numpy as np
from PIL import Image

from zoo.data.paths import resolve_datasets
from zoo.quantization import ijg_table


def estimate_quality(image: Image.Image) -> int | None:
    """The IJG quality closest to ``image``'s luminance table, or None for a file that is not a JPEG."""
    if image.format != "JPEG" or not getattr(image, "quantization", None):
        return None
    stored = np.sort(np.asarray(image.quantization[0], dtype=np.float64))
    return min(range(1, 101), key=lambda q: float(np.abs(np.sort(ijg_table(q).ravel()) - stored).sum()))


def main(names: list[str]) -> None:
    for name in names:
        files = sorted(path for path in resolve_datasets(name)[0].rglob("*") if path.suffix.lower() in
                       (".jpg", ".jpeg", ".png", ".bmp", ".tif"))  # fmt: skip
        found = Counter()
        for path in files:
            with Image.open(path) as image:
                found[estimate_quality(image)] += 1
        jpegs = {q: n for q, n in found.items() if q is not None}
        print(f"{name}: {len(files)} files, {sum(jpegs.values())} JPEG; quality: {dict(sorted(jpegs.items()))}")


if __name__ == "__main__":
    main(sys.argv[1:])
