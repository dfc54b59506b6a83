"""The real-world restoration reports: the card notes (protocol prose, tables through ``zoo.tables``). Given the
numbers; nothing is measured here."""

from __future__ import annotations

from typing import Any

from zoo.cards import THIS_MODEL
from zoo.protocols.restoration.measure import _mean
from zoo.tables import table

DEGRADED = "degraded input"
CBM3D = "CBM3D (estimated sigma)"


def _counts(counts: dict[str, int], strides: dict[str, int]) -> str:
    """``kodak24 24, cbsd68 34 (every 2nd)``: how many images of each set, and the stride where there is one."""
    parts = []
    for name, count in counts.items():
        stride = strides.get(name, 1)
        parts.append(f"{name} {count}" + (f" (one image in {stride})" if stride > 1 else ""))
    return ", ".join(parts)


def _missing(missing: list[str]) -> list[str]:
    return [f"Not evaluated (test set not found on this machine): {', '.join(missing)}."] if missing else []


def denoise_real_notes(
    scores: dict[tuple[str, str, str, str], list[float]],
    counts: dict[str, int],
    strides: dict[str, int],
    kinds: list[str],
    method_names: list[str],
    *,
    peer: bool,
    version: str | None,
    estimated: list[float],
    awgn: list[str],
    missing: list[str],
    blind: str = "",
) -> str:
    rows = []
    for name in counts:
        for kind in kinds:
            rows.append(
                [name, kind]
                + [
                    f"{_mean(scores[(name, kind, m, 'PSNR')]):.2f} / {_mean(scores[(name, kind, m, 'SSIM')]):.3f}"
                    for m in method_names
                ]
            )
    parts = [
        "Protocol (docs/EVALUATION.md, real-world denoising): clean test photos degraded by `zoo.degradations` with "
        "fixed parameters per kind and a fixed seed per (kind, image) (`zoo.protocols.realworld.DENOISE_KINDS`); "
        "every method gets the same 8-bit degraded image and runs blind (no noise level given); PSNR / SSIM on RGB "
        f"against the clean photo. Images: {_counts(counts, strides)}." + (f" {blind}" if blind else ""),
        table(["set", "kind", *[f"{m} PSNR / SSIM" for m in method_names]], rows),
    ]
    subsets = sorted({key[0] for key in scores if "/every-" in key[0]})
    if subsets:
        cbm3d_rows = [
            [
                subset,
                kind,
                len(scores[(subset, kind, CBM3D, "PSNR")]),
                _mean(scores[(subset, kind, THIS_MODEL, "PSNR")]),
                _mean(scores[(subset, kind, CBM3D, "PSNR")]),
            ]
            for subset in subsets
            for kind in kinds
            if (subset, kind, CBM3D, "PSNR") in scores
        ]
        parts += [
            f"The classical peer: CBM3D (PyPI `bm3d` {version}, `bm3d_rgb`) with sigma estimated from the "
            "degraded image by the white-noise estimator (at least 1; mean estimate "
            f"{_mean(estimated):.1f}), on every k-th image; the model's PSNR on the same images beside it. No "
            "classical JPEG deblocking filter is installable from this project's registries (Debian has no "
            "`jpeg2png`; Pillow and numpy have none), so CBM3D stands for the classical methods on every kind.",
            table(["images", "kind", "n", "this model PSNR", "CBM3D PSNR"], cbm3d_rows),
        ]
    elif not peer:
        parts.append("CBM3D was not run (the `bm3d` package is missing or ZOO_BM3D=0).")
    return "\n\n".join(parts + awgn + _missing(missing))


def awgn_text(values: dict[str, list[float]], images: int) -> list[str]:
    text = ", ".join(f"{method} {_mean(numbers):.2f} dB" for method, numbers in values.items())
    return [
        f"White Gaussian noise (the synthetic protocol: cbsd68, sigma 25, float noisy images, seed 0), blind: {text} "
        f"({images} images)."
    ]


def superres_real_notes(
    scale: int, rows: list[list[Any]], counts: dict[str, int], strides: dict[str, int], missing: list[str]
) -> str:
    parts = [
        f"Protocol (docs/EVALUATION.md, real-world x{scale}): HR test photo cropped to a multiple of {scale}; LR = "
        f"`zoo.degradations.SuperResMix(scale={scale})` (two orders of blur, random resize, Gaussian / "
        "Poisson-Gaussian / correlated noise and JPEG q30-95), seeded per image; 8-bit LR. Y-channel PSNR / SSIM "
        f"with {scale} pixels shaved; sharpness ratio = mean luminance gradient of the output over the HR's (1.0: as "
        "much fine detail as the original; blur scores lower, noise and artefacts higher). Images: "
        + _counts(counts, strides)
        + ".",
        table(["set", "images", "method", "PSNR (Y)", "SSIM (Y)", "sharpness ratio"], rows),
    ]
    return "\n\n".join(parts + _missing(missing))
