"""Generate the app's example images (deterministic; no external data): ``python examples/make_examples.py``.

Everything is drawn here from fixed seeds: procedural "photos" (a house in a garden, a still life, leaves), digits
drawn with Pillow's built-in font, facade label maps in the CMP palette (``app_support.facades``) and the course's
synthetic shapes (``zoo.data.synthetic``). Re-running it rewrites the same files byte for byte.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run as a script from anywhere: the repo root holds zoo/ and app_support/

from app_support.facades import facade_label_map  # noqa: E402
from zoo.data.synthetic import circles_and_squares, circles_to_rectangles  # noqa: E402
from zoo.noise import add_gaussian_noise  # noqa: E402


def _texture(rng: np.random.Generator, height: int, width: int, blur: float, amount: float) -> np.ndarray:
    noise = Image.fromarray((rng.random((height, width)) * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(blur))
    values = np.asarray(noise, dtype=np.float32) / 255.0
    values = (values - values.mean()) / (values.std() + 1e-6)
    return values[..., None] * amount


def house_scene(width: int = 256, height: int = 192, seed: int = 0) -> Image.Image:
    """A house with a red roof in a garden under a gradient sky, with grass and foliage texture."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    sky = (1 - y) * np.array([70, 130, 210], np.float32) + y * np.array([190, 220, 245], np.float32)
    image = np.broadcast_to(sky, (height, width, 3)).copy()
    horizon = int(height * 0.62)
    grass = np.array([70, 140, 60], np.float32) + _texture(rng, height, width, 1.2, 18.0)
    image[horizon:] = grass[horizon:]
    picture = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(picture)
    draw.ellipse([width * 0.78, height * 0.08, width * 0.9, height * 0.24], fill=(255, 226, 120))
    left, right, top, bottom = width * 0.28, width * 0.66, height * 0.40, height * 0.80
    draw.rectangle([left, top, right, bottom], fill=(228, 214, 186))
    draw.polygon([(left - 10, top), ((left + right) / 2, height * 0.18), (right + 10, top)], fill=(170, 50, 40))
    for k in range(3):
        wx = left + 12 + k * (right - left - 24) / 3
        draw.rectangle([wx, top + 14, wx + 20, top + 36], fill=(80, 120, 170), outline=(250, 250, 250), width=2)
    draw.rectangle([right - 30, bottom - 40, right - 12, bottom], fill=(110, 70, 40))
    for cx, cy, r in ((width * 0.12, height * 0.6, 26), (width * 0.86, height * 0.64, 22)):
        draw.rectangle([cx - 3, cy, cx + 3, cy + r * 1.3], fill=(90, 60, 30))
        draw.ellipse([cx - r, cy - r, cx + r, cy + r * 0.6], fill=(40, 110, 45))
    foliage = np.asarray(picture, dtype=np.float32) + _texture(rng, height, width, 0.8, 6.0)
    return Image.fromarray(np.clip(foliage, 0, 255).astype(np.uint8))


def still_life(size: int = 160, seed: int = 1) -> Image.Image:
    """Fruit-like coloured discs on a wooden table against a plain wall."""
    rng = np.random.default_rng(seed)
    image = np.zeros((size, size, 3), np.float32) + np.array([205, 195, 175], np.float32)
    table = int(size * 0.6)
    wood = np.array([150, 100, 60], np.float32) + _texture(rng, size, size, 3.0, 12.0)
    image[table:] = wood[table:]
    picture = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(picture)
    fruits = [(0.25, 0.55, 0.14, (200, 40, 40)), (0.5, 0.5, 0.17, (240, 160, 30)), (0.74, 0.57, 0.12, (90, 160, 50))]
    for cx, cy, r, colour in fruits:
        draw.ellipse([(cx - r) * size, (cy - r) * size, (cx + r) * size, (cy + r) * size], fill=colour)
        draw.ellipse([(cx - r / 2) * size, (cy - r * 0.7) * size, (cx - r / 5) * size, (cy - r / 3) * size],
                     fill=tuple(min(255, c + 60) for c in colour))  # fmt: skip
    return picture.filter(ImageFilter.GaussianBlur(0.6))


def leaves(size: int = 128, seed: int = 2) -> Image.Image:
    """A gray close-up of overlapping leaf shapes (texture for the gray denoiser)."""
    rng = np.random.default_rng(seed)
    picture = Image.new("L", (size, size), 60)
    draw = ImageDraw.Draw(picture)
    for _ in range(18):
        cx, cy = rng.uniform(0, size, 2)
        rx, ry = rng.uniform(10, 28), rng.uniform(5, 12)
        draw.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=int(rng.integers(90, 230)))
        draw.line([cx - rx, cy, cx + rx, cy], fill=40, width=1)
    return picture.filter(ImageFilter.GaussianBlur(0.7))


def digit(character: str, size: int = 28, sketch: bool = False) -> Image.Image:
    """A digit drawn with Pillow's font: white on black at MNIST size, or dark strokes on white like a sketch."""
    canvas = 280 if sketch else size * 4
    picture = Image.new("L", (canvas, canvas), 255 if sketch else 0)
    font = ImageFont.load_default(size=int(canvas * 0.8))
    draw = ImageDraw.Draw(picture)
    box = draw.textbbox((0, 0), character, font=font, stroke_width=canvas // 28)
    origin = ((canvas - (box[2] + box[0])) / 2, (canvas - (box[3] + box[1])) / 2)
    ink = 20 if sketch else 255
    draw.text(origin, character, fill=ink, font=font, stroke_width=canvas // 28, stroke_fill=ink)
    return picture if sketch else picture.resize((size, size), Image.Resampling.LANCZOS)


def noisy(image: Image.Image, sigma: float, seed: int = 0) -> Image.Image:
    clean = np.asarray(image, dtype=np.float32) / 255.0
    return Image.fromarray(np.rint(np.clip(add_gaussian_noise(clean, sigma, seed=seed), 0, 1) * 255).astype(np.uint8))


def build() -> dict[str, Image.Image]:
    house = house_scene()
    circles, _, _ = circles_to_rectangles(2, seed=7, size=128)
    cycle_circles, cycle_squares, _, _ = circles_and_squares(1, seed=11, size=128)
    return {
        "denoise/house.png": house,
        "denoise/house_noisy_sigma25.png": noisy(house, 25.0),
        "denoise/leaves_noisy_sigma35.png": noisy(leaves(), 35.0, seed=1),
        "denoise/digit_7_noisy.png": noisy(digit("7"), 60.0, seed=2),
        "colorize/still_life.png": still_life(),
        "colorize/house_gray.png": house.convert("L"),
        "superres/house_small.png": house.resize((128, 96), Image.Resampling.BICUBIC),
        "superres/still_life_small.png": still_life().resize((80, 80), Image.Resampling.BICUBIC),
        "superres/digit_4_14px.png": digit("4").resize((14, 14), Image.Resampling.BOX),
        "pix2pix/facade_labels_1.png": facade_label_map(seed=1),
        "pix2pix/facade_labels_2.png": facade_label_map(seed=2),
        "pix2pix/facade_labels_3.png": facade_label_map(seed=3),
        "pix2pix/circles_1.png": Image.fromarray(circles[0]),
        "pix2pix/circles_2.png": Image.fromarray(circles[1]),
        "cyclegan/circle.png": Image.fromarray(cycle_circles[0]),
        "cyclegan/square.png": Image.fromarray(cycle_squares[0]),
        "cyclegan/facade_labels.png": facade_label_map(seed=4),
        "vae/digit_3.png": digit("3", sketch=True),
        "vae/digit_8.png": digit("8", sketch=True),
        "vae/digit_1_mnist_style.png": digit("1"),
    }


# The Restore tab's examples, and the Colorize tab's old print: real photos (Kodak24, released by Kodak for
# unrestricted use; the 500x500 copies in ../shared/data/kodak24) with real damage made by zoo.degradations, saved as
# the JPEG files a visitor would upload.
# (file, Kodak image, what is done, final JPEG quality)
RESTORE_EXAMPLES = (
    ("restore/parrots_jpeg_q15.jpg", "kodim23.png", "jpeg", 15),
    ("restore/lighthouse_phone_noise.jpg", "kodim19.png", "phone", 80),
    ("restore/portrait_old_print.jpg", "kodim04.png", "old print", 70),
    ("colorize/old_print_kodim12.jpg", "kodim12.png", "old print", 70),
)


def restore_example(photo: Image.Image, kind: str, seed: int = 0) -> Image.Image:
    """``jpeg``: the photo as it is (the JPEG save adds the blocks); ``phone``: colour-correlated noise (sigma 18,
    1 px grain, a little luminance noise); ``old print``: gray, lens blur 1.2 px, film grain (gray correlated noise
    sigma 14, 0.8 px) and a faded contrast."""
    from zoo import degradations as deg

    rng = np.random.default_rng(seed)
    array = np.asarray(photo.convert("RGB"), dtype=np.float32) / 255.0
    if kind == "phone":
        array = deg.add_correlated_noise(array, 18.0, 1.0, rng)
        array = deg.add_gaussian_noise(array, 4.0, rng, gray=True)
    elif kind == "old print":
        gray = array.mean(axis=2, keepdims=True)
        gray = deg.blur(gray, deg.gaussian_kernel(1.2))
        gray = deg.add_correlated_noise(0.15 + 0.75 * gray, 14.0, 0.8, rng, gray=True)
        return Image.fromarray(np.rint(np.clip(gray[..., 0], 0, 1) * 255).astype(np.uint8), "L")
    return Image.fromarray(np.rint(np.clip(array, 0, 1) * 255).astype(np.uint8))


def write_restore_examples(data_dir: Path | None = None) -> None:
    """Write RESTORE_EXAMPLES from Kodak24 (skipped, with a message, where the data is not on this machine)."""
    from zoo.data import DatasetError, dataset_dir

    try:
        folder = dataset_dir("kodak24", data_dir)
    except DatasetError as error:
        print(f"restore examples skipped: {error}")
        return
    for relative, name, kind, quality in RESTORE_EXAMPLES:
        image = restore_example(Image.open(folder / name), kind)
        path = HERE / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path, format="JPEG", quality=quality)
        print(f"{path.relative_to(HERE)}  {image.width}x{image.height} {image.mode} (JPEG q{quality})")


def main() -> None:
    for relative, image in build().items():
        path = HERE / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path, optimize=True)
        print(f"{path.relative_to(HERE)}  {image.width}x{image.height} {image.mode}")
    write_restore_examples()


if __name__ == "__main__":
    main()
