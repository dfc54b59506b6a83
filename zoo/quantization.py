"""The JPEG quantisation constraint: what a decoded JPEG still says about the photo before it was compressed.

A JPEG stores every 8x8 block of the photo as DCT coefficients rounded to multiples of a quantisation table (ITU-T T.81;
libjpeg and Pillow scale the standard tables of its Annex K by the IJG quality 1-100). So the decoded image tells, for
each coefficient, the cell ``[(k - 1/2) q, (k + 1/2) q]`` that the original coefficient was in. A restored image whose
coefficients leave those cells contradicts the file; moving them back (a projection onto the constraint set, as in
POCS deblocking, Zakhor 1992) can only bring a good restoration closer to the photo.

- ``estimate_quality``: the IJG quality of a decoded JPEG (an array, not the file: the protocol's images and pasted
  screenshots carry no tables) from its luminance DCT coefficients: the quality whose table's multiples hold most of
  the non-zero coefficients, beyond what chance gives that table; ``None`` for an image that was never JPEG'd.
- ``jpeg_constraint``: a denoiser's output made consistent with the JPEG it came from: luminance in 8x8 blocks on the
  image's block grid, and chroma (the 4:2:0 planes libjpeg and Pillow write by default) when the grid starts at the
  corner. It steps aside (returns the output unchanged, with the reason) when the input is no JPEG, and when the JPEG's
  own input was already noisy: then the cells hold that noise, and the denoiser rightly leaves them
  (``GATE_OUTSIDE``).

Numbers only (numpy); measured in tools/probes/jpeg_constraint.py and docs/EVALUATION.md.
"""

from __future__ import annotations

import functools

import numpy as np

BLOCK = 8
STANDARD_LUMINANCE = np.array([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
], dtype=np.float32).reshape(8, 8)  # fmt: skip
STANDARD_CHROMINANCE = np.full((8, 8), 99.0, dtype=np.float32)
STANDARD_CHROMINANCE[:4, :4] = [[17, 18, 24, 47], [18, 21, 26, 66], [24, 26, 56, 99], [47, 66, 99, 99]]

# A coefficient "sits on" a table's multiple when it is within TOLERANCE of it: the decoder's rounding to 8-bit RGB
# moves a coefficient by about 0.4 (the DCT is orthonormal); coefficients within TOLERANCE of 0 say nothing.
TOLERANCE = 1.5
# A quality is believed when the share of non-zero coefficients on its multiples beats chance by MIN_SCORE, over at
# least MIN_COEFFICIENTS. Measured: JPEGs of bsds500/test at quality 10-50 0.5-0.9, of kodak24 photos at quality 5-80
# 0.41-0.90; photos with noise and no JPEG 0.00-0.05; JPEGs written with other tables than the IJG ones (Pillow's
# web_low ... high presets, a perturbed and a flat table; five kodak24 photos; tools/probes/jpeg_tables.py) 0.05-0.30.
# Reading a wrong table as an IJG one costs up to 0.8 dB, so the bar sits above those.
MIN_SCORE = 0.35
MIN_COEFFICIENTS = 200
MAX_READ = 4096  # at most this many (evenly spaced) of them are read, so a quality takes milliseconds
# The corner's chroma phase must fit by this much better than the next phase (bsds500/test, kodak24, sun_hays80 at
# quality 20-80: the right phase 0.29-0.80, the others up to 0.53, and 4:4:4 JPEGs' phases within 0.1 of each other).
CHROMA_MARGIN = 0.15
MIN_CHROMA_SCORE = 0.3  # and the corner's phase must beat chance by this much (the right phase: 0.29-0.80)
# The JPEG's own input was noisy when the denoiser moved more than this share of the luminance coefficients out of
# their cells (bsds500/test: JPEG of a clean photo 0.000-0.021; white noise sigma 15 then JPEG 0.07-0.14).
GATE_OUTSIDE = 0.04
# The quality and the gate are read on a central crop of at most this many pixels a side (as the strength estimator).
CROP = 512
STRIP = 512  # rows projected at a time (a multiple of 16), so memory stays flat on a 12-megapixel photo


def ijg_table(quality: int, chroma: bool = False) -> np.ndarray:
    """The ``[8, 8]`` quantisation table libjpeg (and Pillow) writes at IJG ``quality`` 1-100."""
    scale = 5000.0 / quality if quality < 50 else 200.0 - 2.0 * quality
    base = STANDARD_CHROMINANCE if chroma else STANDARD_LUMINANCE
    return np.clip(np.floor((base * scale + 50.0) / 100.0), 1.0, 255.0).astype(np.float32)


IJG_TABLES = np.stack([ijg_table(quality) for quality in range(1, 101)])  # [100, 8, 8]: qualities 1-100


def _dct_matrix() -> np.ndarray:
    n = np.arange(BLOCK)
    matrix = np.sqrt(2.0 / BLOCK) * np.cos(np.pi * (2 * n[None] + 1) * n[:, None] / (2 * BLOCK))
    matrix[0] /= np.sqrt(2.0)
    return matrix.astype(np.float32)


DCT = _dct_matrix()  # orthonormal 8-point DCT-II: coefficients = DCT @ block @ DCT.T (JPEG's FDCT)


def block_dct(plane: np.ndarray) -> np.ndarray:
    """``[H, W]`` -> ``[H // 8, W // 8, 8, 8]`` DCT coefficients of the whole blocks (the rest is left out)."""
    rows, cols = plane.shape[0] // BLOCK, plane.shape[1] // BLOCK
    blocks = plane[: rows * BLOCK, : cols * BLOCK].reshape(rows, BLOCK, cols, BLOCK).transpose(0, 2, 1, 3)
    return DCT @ blocks.astype(np.float32) @ DCT.T


def block_idct(coefficients: np.ndarray) -> np.ndarray:
    """The inverse of ``block_dct``: ``[R, C, 8, 8]`` -> ``[8R, 8C]``."""
    rows, cols = coefficients.shape[:2]
    return (DCT.T @ coefficients @ DCT).transpose(0, 2, 1, 3).reshape(rows * BLOCK, cols * BLOCK)


def ycbcr(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """JFIF's full-range YCbCr of ``[H, W, 3]`` RGB in 0-255: Y in 0-255, Cb and Cr centred on 0."""
    r, g, b = (rgb[..., i].astype(np.float32, copy=False) for i in range(3))
    return (
        0.299 * r + 0.587 * g + 0.114 * b,
        -0.168736 * r - 0.331264 * g + 0.5 * b,
        0.5 * r - 0.418688 * g - 0.081312 * b,
    )


def _rgb(y: np.ndarray, cb: np.ndarray, cr: np.ndarray) -> np.ndarray:
    return np.stack([y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb], axis=-1)


def _clipped_blocks(image255: np.ndarray) -> np.ndarray:
    """``[R, C]`` True for the 8x8 blocks with a pixel at 0 or 255 in any channel: the decoder clipped there, so the
    block's coefficients need not sit in their cells."""
    rows, cols = image255.shape[0] // BLOCK, image255.shape[1] // BLOCK
    pixels = image255[: rows * BLOCK, : cols * BLOCK]
    channels = [pixels[..., c] for c in range(pixels.shape[2])] if pixels.ndim == 3 else [pixels]
    low, high = functools.reduce(np.minimum, channels), functools.reduce(np.maximum, channels)
    extreme = (low <= 0.5) | (high >= 254.5)  # (elementwise over channels: a reduction over 3 values is slow)
    return extreme.reshape(rows, BLOCK, cols, BLOCK).any(axis=3).any(axis=1)


def grid_crop(image: np.ndarray, offset: tuple[int, int], size: int = CROP, step: int = BLOCK) -> np.ndarray:
    """The central crop (at most ``size`` a side) of an image whose ``step``-pixel grid starts at ``offset``, starting
    on that grid (the denoiser's strength reading and every reading here use it)."""
    height, width = image.shape[0] - offset[0], image.shape[1] - offset[1]
    top = offset[0] + (max(height - size, 0) // 2) // step * step
    left = offset[1] + (max(width - size, 0) // 2) // step * step
    return image[top : top + size, left : left + size]


def _luma(image255: np.ndarray) -> np.ndarray:
    if image255.ndim == 3 and image255.shape[2] == 3:
        return 0.299 * image255[..., 0] + 0.587 * image255[..., 1] + 0.114 * image255[..., 2]
    return image255.reshape(image255.shape[:2])


def _beyond_chance(values: np.ndarray, steps: np.ndarray, tolerance: np.ndarray | float) -> np.ndarray:
    """The share of ``values`` within ``tolerance`` of a multiple of their ``steps``, less the share chance gives
    (``2 tolerance / step`` each), over the last axis."""
    on_multiple = np.abs(values - steps * np.round(values / steps)) <= tolerance
    return on_multiple.mean(axis=-1) - np.minimum(1.0, 2.0 * tolerance / steps).mean(axis=-1)


def estimate_quality(image255: np.ndarray, offset: tuple[int, int] = (0, 0)) -> tuple[int | None, float]:
    """``(quality, score)`` of a decoded JPEG: ``image255`` ``[H, W]`` or ``[H, W, C]`` in 0-255 (8-bit values), its
    block grid starting at ``offset`` (``zoo.pipelines.restoration.jpeg_grid_offset``). The score of a quality is the
    share of the non-zero luminance coefficients within ``TOLERANCE`` of its table's multiples, less the share chance
    gives (``2 TOLERANCE / q`` per coefficient, so a fine table does not win by fitting everything); ``None`` when no
    quality scores ``MIN_SCORE``."""
    crop = grid_crop(image255.astype(np.float32), offset)
    coefficients = block_dct(_luma(crop) - 128.0)[~_clipped_blocks(crop)]
    informative = np.abs(coefficients) > TOLERANCE
    count = int(informative.sum())
    if count < MIN_COEFFICIENTS:
        return None, 0.0
    values = coefficients[informative]
    frequency = np.nonzero(informative)[1:]  # (row, col) of each informative coefficient in its block
    every = slice(None, None, max(1, count // MAX_READ))
    values, frequency = values[every], (frequency[0][every], frequency[1][every])
    scores = _beyond_chance(values, IJG_TABLES[:, frequency[0], frequency[1]], TOLERANCE)  # one per quality 1-100
    best = int(np.argmax(scores))
    return (best + 1, float(scores[best])) if scores[best] >= MIN_SCORE else (None, float(scores[best]))


def _project(target: np.ndarray, observed: np.ndarray, table: np.ndarray, slack: float) -> np.ndarray:
    """``target``'s coefficients clipped into the cells of ``observed``'s (narrowed to ``slack`` of their width)."""
    centre = np.round(observed / table) * table
    half = 0.5 * slack * table
    return np.clip(target, centre - half, centre + half)


def _outside_share(output255: np.ndarray, degraded255: np.ndarray, quality: int, offset: tuple[int, int]) -> float:
    out, seen = grid_crop(output255, offset), grid_crop(degraded255, offset)
    keep = ~_clipped_blocks(seen)
    table = ijg_table(quality)
    observed = block_dct(_luma(seen) - 128.0)[keep]
    moved = block_dct(_luma(out) - 128.0)[keep] - np.round(observed / table) * table
    return float((np.abs(moved) > 0.5 * table).mean()) if moved.size else 0.0


def _halve(plane: np.ndarray) -> np.ndarray:
    """The encoder's 4:2:0 step: the mean of each 2x2 (whole pairs only)."""
    even = plane[: plane.shape[0] // 2 * 2, : plane.shape[1] // 2 * 2]
    return (even[0::2, 0::2] + even[1::2, 0::2] + even[0::2, 1::2] + even[1::2, 1::2]) / 4.0


def _neighbours(plane: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    moved = np.moveaxis(plane, axis, 0)
    before = np.concatenate([moved[:1], moved[:-1]])
    after = np.concatenate([moved[1:], moved[-1:]])
    return np.moveaxis(before, 0, axis), np.moveaxis(after, 0, axis)


def _double(plane: np.ndarray) -> np.ndarray:
    """libjpeg's "fancy" 2x chroma upsampling (triangle filter: 3/4 of the nearest sample, 1/4 of the next)."""
    for axis in (0, 1):
        before, after = _neighbours(plane, axis)
        shape = list(plane.shape)
        shape[axis] *= 2
        out = np.empty(shape, dtype=np.float32)
        even = [slice(None)] * 2
        odd = [slice(None)] * 2
        even[axis], odd[axis] = slice(0, None, 2), slice(1, None, 2)
        out[tuple(even)] = 0.75 * plane + 0.25 * before
        out[tuple(odd)] = 0.75 * plane + 0.25 * after
        plane = out
    return plane


def _stored_chroma(plane: np.ndarray) -> np.ndarray:
    """The decoder's half-size chroma plane, recovered from the full-size one it upsampled: the 2x2 mean of a fancy
    upsampling is the stored plane blurred by [1, 6, 1] / 8 on each axis; one step of Van Cittert undoes most of it."""
    half = _halve(plane)
    blurred = half
    for axis in (0, 1):
        before, after = _neighbours(blurred, axis)
        blurred = (before + 6.0 * blurred + after) / 8.0
    return 2.0 * half - blurred


def _chroma_score(plane: np.ndarray, quality: int) -> float:
    """How well a stored (half-size) chroma plane's non-zero coefficients sit on the chroma table's multiples, beyond
    chance (within ``TOLERANCE`` or a tenth of the step: the recovered plane is approximate)."""
    coefficients = block_dct(plane)
    steps = np.broadcast_to(ijg_table(quality, chroma=True), coefficients.shape)
    informative = np.abs(coefficients) > steps / 2
    if informative.sum() < MIN_COEFFICIENTS // 4:
        return 0.0
    steps = steps[informative]
    return float(_beyond_chance(coefficients[informative], steps, np.maximum(TOLERANCE, 0.1 * steps)))


def _chroma_on_grid(seen: np.ndarray, quality: int) -> bool:
    """True when the image's chroma was stored 4:2:0 on a 16-pixel grid that starts at the corner: of the four grid
    phases the luminance grid allows ((0 or 8) + 16k rows and columns), the corner's fits the chroma table best, by
    ``CHROMA_MARGIN``, and beyond chance by ``MIN_CHROMA_SCORE``. A crop by 8 pixels keeps the luminance grid but
    moves this one; a 4:4:4 JPEG (chroma at full size) has no phase that stands out."""
    size = CROP // 2  # chroma is read on half the crop, with a block more for the other phases
    cb = ycbcr(grid_crop(seen, (0, 0), size + BLOCK, 2 * BLOCK))[1]
    scores = [
        _chroma_score(_stored_chroma(cb[dy : dy + size, dx : dx + size]), quality) for dy in (0, 8) for dx in (0, 8)
    ]
    others = max(scores[1:])
    return scores[0] >= MIN_CHROMA_SCORE and scores[0] - others >= CHROMA_MARGIN


def _constrain_chroma(out: np.ndarray, seen: np.ndarray, table: np.ndarray, slack: float) -> np.ndarray:
    """One full-size chroma plane of the output moved so its 4:2:0 coefficients sit in the JPEG's cells."""
    stored, ours = _stored_chroma(seen), _halve(out)
    rows, cols = (stored.shape[0] // BLOCK) * BLOCK, (stored.shape[1] // BLOCK) * BLOCK
    if not rows or not cols:
        return out
    wanted = _project(block_dct(ours), block_dct(stored), table, slack)
    delta = _double(block_idct(wanted - block_dct(ours)))
    moved = out.copy()
    moved[: delta.shape[0], : delta.shape[1]] += delta
    return moved


def jpeg_constraint(
    output: np.ndarray,
    degraded: np.ndarray,
    offset: tuple[int, int] = (0, 0),
    slack: float = 0.6,
    chroma_slack: float = 1.0,
) -> tuple[np.ndarray, str]:
    """``(output made consistent with the JPEG it was restored from, what was done)``: ``output`` and ``degraded``
    are float ``[H, W]`` or ``[H, W, C]`` in 0-1 (C = 1 or 3) of the same shape, the JPEG's block grid starting at
    ``offset``. Each luminance coefficient of the output is clipped into its cell, narrowed to ``slack`` of the
    cell's width around its centre (1: the cell; the published 0.6 was chosen on bsds500/test); chroma the same with
    ``chroma_slack`` when the image has colour and its 4:2:0 chroma grid starts at the corner (``_chroma_on_grid``).
    Returns the output unchanged when ``degraded`` is no JPEG or when its JPEG was made from a noisy photo."""
    seen = np.round(np.clip(degraded, 0.0, 1.0) * 255.0).astype(np.float32)
    ours = np.clip(output, 0.0, 1.0).astype(np.float32) * 255.0
    quality, _ = estimate_quality(seen, offset)
    if quality is None:
        return output, "no JPEG blocks found"
    outside = _outside_share(ours, seen, quality, offset)
    if outside > GATE_OUTSIDE:
        return output, f"JPEG quality {quality} of a noisy photo: left as denoised ({outside:.0%} of cells left)"
    colour = ours.ndim == 3 and ours.shape[2] == 3
    chroma = colour and offset == (0, 0) and chroma_slack > 0 and _chroma_on_grid(seen, quality)
    table, chroma_table = ijg_table(quality), ijg_table(quality, chroma=True)
    result = ours.copy()
    for top in range(offset[0], ours.shape[0], STRIP):  # strips of whole 16-row groups, so memory stays flat
        rows = slice(top, min(top + STRIP, ours.shape[0]))
        part, observed = ours[rows, offset[1] :], seen[rows, offset[1] :]
        planes = ycbcr(part) if colour else (part.reshape(part.shape[:2]),)
        observed_planes = ycbcr(observed) if colour else (observed.reshape(observed.shape[:2]),)
        luma = planes[0]
        coefficients = block_dct(luma - 128.0)
        wanted = _project(coefficients, block_dct(observed_planes[0] - 128.0), table, slack)
        luma = luma.copy()
        height, width = wanted.shape[0] * BLOCK, wanted.shape[1] * BLOCK
        luma[:height, :width] += block_idct(wanted - coefficients)
        if colour:
            cb, cr = planes[1], planes[2]
            if chroma:
                cb = _constrain_chroma(cb, observed_planes[1], chroma_table, chroma_slack)
                cr = _constrain_chroma(cr, observed_planes[2], chroma_table, chroma_slack)
            result[rows, offset[1] :] = _rgb(luma, cb, cr)
        else:
            result[rows, offset[1] :] = luma.reshape(part.shape)
    done = "luminance and chroma" if chroma else "luminance"
    return np.clip(result / 255.0, 0.0, 1.0).astype(output.dtype), f"JPEG quality {quality}: {done} kept in its cells"
