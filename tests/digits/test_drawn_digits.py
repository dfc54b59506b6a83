"""Drawn digits through the library: the MNIST models bring any drawing to MNIST form themselves (zoo.digits), so
the example drawings "3" and "8" (280x280, dark on light) encode to different latents whose decodings a classifier
reads as different digits; inputs already in MNIST form are used unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import zoo
from zoo.digits import is_mnist_form, prepare_digit
from zoo.errors import InputError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "vae"


def test_prepare_digit_matches_mnist_conventions():
    digit = np.asarray(prepare_digit(Image.open(EXAMPLES / "digit_3.png")), dtype=np.float32) / 255
    assert digit.shape == (28, 28) and is_mnist_form(digit)
    rows, cols = np.nonzero(digit > 0.1)
    assert max(np.ptp(rows), np.ptp(cols)) + 1 <= 21  # fits the 20x20 box (plus resampling spill)
    cy, cx = (np.array(np.nonzero(digit)) * digit[digit > 0]).sum(1) / digit.sum()
    assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1  # centred by mass
    with pytest.raises(InputError, match="empty"):
        prepare_digit(Image.new("L", (100, 100), 255))


def test_drawn_digits_encode_apart_and_decode_to_different_classes():
    vae, judge = zoo.load("vae-mnist"), zoo.load("classifier-mnist")
    drawings = [Image.open(EXAMPLES / "digit_3.png"), Image.open(EXAMPLES / "digit_8.png")]
    prepared = vae.encode(drawings)
    raw = vae.encode(drawings, prepare=False)
    assert np.linalg.norm(prepared[0] - prepared[1]) > 3 * np.linalg.norm(raw[0] - raw[1])
    frames = vae.interpolate(*drawings, steps=8)
    first, last = judge.predict([frames[0], frames[-1]])
    assert first != last
    assert judge.predict(drawings).tolist() == [3, 8]  # the classifier reads the drawings themselves too


def test_mnist_form_inputs_are_not_changed():
    vae = zoo.load("vae-mnist")
    mnist_like = Image.open(EXAMPLES / "digit_1_mnist_style.png")
    assert np.array_equal(vae.encode(mnist_like), vae.encode(mnist_like, prepare=False))


def test_a_filled_block_is_a_digit_not_an_error():
    """A solid bar (an upload, not a pen stroke) reads as a huge stroke width; the thinning filter is capped by the
    block's size (PIL refused the filter: 'filter size too large', seen in the app as an unexpected failure)."""
    import numpy as np
    from PIL import Image

    from zoo.digits import prepare_digit

    drawing = np.full((1024, 1024), 255, np.uint8)
    drawing[256:768, 461:563] = 0
    digit = np.asarray(prepare_digit(Image.fromarray(drawing)))
    assert digit.shape == (28, 28) and digit.max() > 200 and digit[:, :8].max() < 30


@pytest.mark.parametrize("task", ["denoise", "superres"])
def test_digit_denoiser_and_upscaler_invert_a_drawing_in_and_back_out(task):
    """MNIST is white on black: a dark-on-light drawing goes in inverted and comes back in its own polarity, its
    framing kept; a white-on-black input, or ``prepare=False``, runs unchanged."""
    import torch

    from zoo.nets import ConvAutoencoder, SuperResNet
    from zoo.pipelines import DenoisePipeline, SuperResolutionPipeline

    torch.manual_seed(0)
    if task == "denoise":
        pipe = DenoisePipeline({"model": ConvAutoencoder()}, {"channels": 1, "image_size": 28, "dataset": "mnist"})
    else:
        net = SuperResNet(scale=2, in_channels=1, features=4, num_blocks=1)
        pipe = SuperResolutionPipeline({"model": net}, {"scale": 2, "channels": 1, "dataset": "mnist"})
    white_on_black = Image.open(EXAMPLES / "digit_3.png").convert("L").resize((28, 28))
    white_on_black = Image.fromarray(255 - np.asarray(white_on_black))
    drawing = Image.fromarray(255 - np.asarray(white_on_black))  # dark on light, as drawn
    plain = np.asarray(pipe(white_on_black), dtype=np.int16)
    drawn = np.asarray(pipe(drawing), dtype=np.int16)
    assert drawn.shape == plain.shape and np.abs((255 - drawn) - plain).max() <= 1, "inverted in and back out"
    as_is = np.asarray(pipe(drawing, prepare=False), dtype=np.int16)
    assert not np.array_equal(as_is, drawn), "prepare=False feeds the drawing as it is"
    photo_model = dict(pipe.options, dataset=None)
    pipe.options.clear()
    pipe.options.update(photo_model)
    assert np.array_equal(np.asarray(pipe(drawing), dtype=np.int16), as_is), "photo models never invert"
