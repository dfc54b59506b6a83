"""The Colorize tab's colour hints, handler by handler, on the tiny zoo: ``colorize-hints`` takes hints (its weights
are set so a hint paints its colour, tests/app/conftest.py), ``colorize`` ignores them."""

from __future__ import annotations

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from app_support import hints as hint_data
from app_support.tabs import colorize
from zoo.color import rgb_to_lab

from . import APP_PATH, load_app

app = load_app()
STILL_LIFE = str(APP_PATH.parent / "examples" / "colorize" / "still_life.png")  # 160x160 RGB


def ab_at(image: Image.Image, x: int, y: int) -> np.ndarray:
    return rgb_to_lab(np.asarray(image.convert("RGB"), dtype=np.float64)[y, x] / 255.0)[1:]


def hint_ab(colour: str) -> np.ndarray:
    return rgb_to_lab(np.asarray(colorize.parse_colour(colour), dtype=np.float64) / 255.0)[1:]


def click(x: float, y: float) -> gr.SelectData:
    """What gradio hands ``add_hint`` for a click at pixel (x, y) of the preview picture."""
    return gr.SelectData(None, {"index": [x, y], "value": None})


@pytest.mark.parametrize("colour", ["#d03c28", "#2850d0", "#30b030"])
def test_a_hint_pulls_the_output_toward_its_colour_at_its_point(tiny_zoo, colour):
    _, plain, _, _ = colorize.colorize_hints("colorize-hints", STILL_LIFE, [])
    _, hinted, _, info = colorize.colorize_hints("colorize-hints", STILL_LIFE, [[80, 60, colour]])
    target = hint_ab(colour)
    before = np.linalg.norm(ab_at(plain, 80, 60) - target)
    after = np.linalg.norm(ab_at(hinted, 80, 60) - target)
    assert after < 0.35 * before, (before, after)  # not 0: the hinted ab is clipped to sRGB at the pixel's lightness
    assert np.array_equal(np.asarray(hinted)[150:, :20], np.asarray(plain)[150:, :20]), "far away: unchanged"
    assert "Colour hints used: 1." in info


def test_hint_coordinates_are_the_uploads_even_when_the_app_downscales(tiny_zoo, monkeypatch):
    monkeypatch.setenv("ZOO_APP_MAX_PIXELS", "6400")  # the 160x160 upload becomes 80x80
    with pytest.warns(UserWarning, match="downscaled"):
        _, out, _, info = colorize.colorize_hints("colorize-hints", STILL_LIFE, [[150, 20, [40, 60, 220]]])
    assert out.size == (80, 80) and "downscaled to 80x80" in info
    with pytest.warns(UserWarning, match="downscaled"):
        plain = colorize.colorize("colorize-hints", STILL_LIFE)[1]
    target = hint_ab("#283cdc")  # at (75, 10) of the 80x80 image the model got; a bright spot: blue is clipped
    assert np.linalg.norm(ab_at(out, 75, 10) - target) < 0.6 * np.linalg.norm(ab_at(plain, 75, 10) - target)
    assert np.array_equal(np.asarray(out)[60:, :20], np.asarray(plain)[60:, :20]), "far away: unchanged"
    with pytest.raises(gr.Error, match=r"Hint 1 at \(160, 5\) is outside the 160x160 image"), pytest.warns(UserWarning):
        colorize.colorize_hints("colorize-hints", STILL_LIFE, [[160, 5, "#ff0000"]])


def test_a_hint_ignoring_model_says_so(tiny_zoo):
    _, plain, _, _ = colorize.colorize("colorize", STILL_LIFE)
    _, out, _, info = colorize.colorize_hints("colorize", STILL_LIFE, [[80, 60, "#ff0000"], [10, 10, "#00ff00"]])
    assert np.array_equal(np.asarray(out), np.asarray(plain))
    assert "colorize ignores colour hints" in info and "your 2 hints were not used" in info
    note, button = colorize.note_update("colorize")
    assert "**colorize** ignores colour hints" in note and "Choose colorize-hints to use them" in note
    assert button["interactive"] is False
    app.MODELS.clear()  # known from the published config alone, before any load
    note, button = colorize.note_update("colorize-hints")
    assert "**colorize-hints** takes colour hints" in note and button["interactive"] is True
    assert len(app.MODELS) == 0


@pytest.mark.parametrize(
    ("hints", "sentence"),
    [
        ([[1, 1, "#ff0000"]] * 65, "At most 64 colour hints at a time; there are 65"),
        ([[1, 1, "red"]], "'red' is not a colour"),
        ([[1, 1, [300, 0, 0]]], "is not a colour"),
        ([[1, "left", "#ff0000"]], r"Hint 1 must be \[x, y, colour\]"),
        ([[1, 1]], r"Hint 1 must be \[x, y, colour\]"),
        ({"x": 1}, "Hints must be a list"),
        ("[[1, 1, ", "Hints must be a JSON list"),
        ([[-1, 3, "#ff0000"]], r"Hint 1 at \(-1, 3\) is outside"),
    ],
)
def test_bad_hints_get_one_sentence(tiny_zoo, hints, sentence):
    with pytest.raises(gr.Error, match=sentence):
        colorize.colorize_hints("colorize-hints", STILL_LIFE, hints)


def test_hints_in_other_spellings():
    assert hint_data.parse_hints('[[3, 4, "#0a0B0c"]]', (10, 10)) == [(3.0, 4.0, (10, 11, 12))]
    assert hint_data.parse_hints([{"x": 1, "y": 2, "color": "rgba(1, 2, 3, 0.5)"}], (10, 10)) == [(1, 2, (1, 2, 3))]
    assert hint_data.parse_hints(None, (10, 10)) == [] and hint_data.parse_colour("#fa0") == (255, 170, 0)


def test_clicks_map_from_the_preview_to_the_uploads_pixels():
    assert hint_data.preview_size((160, 80)) == (512, 256) and hint_data.preview_size((4000, 3000)) == (512, 384)
    assert hint_data.to_image([0, 0], (512, 256), (160, 80)) == (0, 0)
    assert hint_data.to_image([511, 255], (512, 256), (160, 80)) == (159, 79)
    assert hint_data.to_image([256, 128], (512, 256), (160, 80)) == (80, 40)
    assert hint_data.to_image([100, 50], (512, 384), (4000, 3000)) == (785, 394)


def test_click_pick_recolourise_reset(tiny_zoo):
    """The tab's events in order, as the browser fires them."""
    _, out, _, _, canvas = colorize.colorize_in_tab("colorize-hints", STILL_LIFE)
    assert canvas["size"] == (160, 160) and canvas["image"] is out
    preview, listed, note, button = colorize.show_hints("colorize-hints", canvas, [])
    assert preview.size == (512, 512) and listed == "No hints yet." and "takes colour hints" in note
    assert button["interactive"] is True

    hints, colour, preview, listed = colorize.add_hint(canvas, [], click(256, 128))  # the preview is 3.2x the image
    expected = colorize.hex_of(out.getpixel((80, 40)))
    assert hints == [[80, 40, expected]] and colour == expected, "a new hint starts with the output's colour there"
    assert "1. (80, 40) " + expected in listed

    hints, preview, listed = colorize.set_hint_colour(canvas, hints, "#2850d0")
    assert hints == [[80, 40, "#2850d0"]] and "1. (80, 40) #2850d0" in listed
    assert preview.getpixel((257, 129)) == (0x28, 0x50, 0xD0), "the dot is drawn where the visitor clicked"

    hints, _, _, _ = colorize.add_hint(canvas, hints, click(40, 480))
    hints, colour, _, listed = colorize.add_hint(canvas, hints, click(258, 126))  # on the first dot: select it
    assert [h[:2] for h in hints] == [[12, 150], [80, 40]] and colour == "#2850d0"
    assert "2. (80, 40) #2850d0" in listed

    _, hinted, _, info, canvas = colorize.colorize_hints_in_tab("colorize-hints", STILL_LIFE, hints)
    assert "Colour hints used: 2." in info and canvas["image"] is hinted
    target = hint_ab("#2850d0")
    assert np.linalg.norm(ab_at(hinted, 80, 40) - target) < 0.6 * np.linalg.norm(ab_at(out, 80, 40) - target)

    hints, preview, listed = colorize.reset_hints(canvas)
    assert hints == [] and listed == "No hints yet."
    assert preview.tobytes() == colorize.draw_preview(canvas, []).tobytes(), "no dots left"
    assert colorize.new_image() == ([], None, None, "No hints yet.")


def test_clicks_before_an_image_and_past_the_cap_get_sentences(tiny_zoo):
    with pytest.raises(gr.Error, match="Colourise an image first"):
        colorize.add_hint(None, [], click(10, 10))
    with pytest.raises(gr.Error, match="Colourise an image first"):
        colorize.set_hint_colour(None, [], "#ff0000")
    canvas = colorize.colorize_in_tab("colorize-hints", STILL_LIFE)[4]
    full = [[x, y, "#ff0000"] for x in range(0, 160, 20) for y in range(0, 160, 20)]
    assert len(full) == colorize.MAX_HINTS
    with pytest.raises(gr.Error, match="limit of 64 colour hints: press 'Reset hints'"):
        colorize.add_hint(canvas, full, click(505, 505))
    no_change = (gr.update(), gr.update(), gr.update())
    assert colorize.set_hint_colour(canvas, [], "#00ff00") == no_change, "a colour with no hint waits for a click"
    assert colorize.set_hint_colour(canvas, [[1, 2, "#00ff00"]], "#00FF00") == no_change, "the colour it has"
