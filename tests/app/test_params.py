"""``app_support.params``: the one place API parameters are checked (the server-level sweep is test_param_sweep)."""

from __future__ import annotations

import math

import pytest

from app_support import params
from zoo.errors import InputError


@pytest.mark.parametrize("value", [math.nan, math.inf, -0.5, 75.5, "abc", [1], {"a": 1}, True, 10**4000])
def test_number_refuses_with_the_range(value):
    with pytest.raises(InputError, match=r"^Noise σ must be a number between 0 and 75, got .{1,40}\.$"):
        params.number(value, "Noise σ", 0, 75)


def test_number_accepts_and_defaults():
    assert params.number(25, "σ", 0, 75) == 25.0 and params.number("7.5", "σ", 0, 75) == 7.5
    assert params.number(None, "σ", 0, 75, default=25) == 25.0
    with pytest.raises(InputError, match="is missing"):
        params.number(None, "σ", 0, 75)


@pytest.mark.parametrize("value", [math.nan, 2.5, -1, 2**63, 10**4000, "1e400", [3], False])
def test_integer_refuses(value):
    with pytest.raises(InputError, match=r"^Seed must be a whole number from 0 to \d+, got "):
        params.integer(value, "Seed", 0, params.MAX_SEED)


def test_integer_accepts_whole_floats_and_big_seeds():
    assert params.integer(3.0, "Steps", 3, 16) == 3 and params.integer(params.MAX_SEED, "Seed", 0, params.MAX_SEED)
    assert params.integer("12", "Steps", 3, 16) == 12


def test_flag_and_choice():
    assert params.flag(True, "x") is True and params.flag(0, "x") is False and params.flag(None, "x", True)
    for bad in (2, "yes", math.nan):
        with pytest.raises(InputError, match="must be true or false"):
            params.flag(bad, "Auto")
    assert params.choice("BtoA", "Direction", ["AtoB", "BtoA"]) == "BtoA"
    with pytest.raises(InputError, match=r"^Direction must be one of 'AtoB', 'BtoA'; got '9+\.\.\.\.$"):
        params.choice("9" * 10_000, "Direction", ["AtoB", "BtoA"])


def test_guard_component_turns_conversion_failures_into_a_sentence():
    import gradio as gr

    number = params.guard_component(gr.Number(0, precision=0, label="Seed"), "Seed")
    with pytest.raises(gr.Error, match="Seed: nan is not a value this control accepts"):
        number.preprocess(math.nan)  # gradio's own rounding fails on it, with an empty error
    assert number.preprocess(3) == 3
