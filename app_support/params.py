"""Every non-image parameter the app's API takes, checked in one place: finite numbers in their range, integers in
their bounds, flags, and names from a fixed list. A bad value becomes a ``zoo.InputError`` whose one-line sentence
names the control and its range (never a server path); handlers call these before any work.

The same checks guard the components themselves (``guard_component``): a value gradio cannot even convert (a string
for a number, a list for a flag) is answered with the same kind of sentence instead of gradio's empty error.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

from zoo.errors import InputError

MAX_SEED = 2**63 - 1  # numpy's and torch's seed range; the UI offers 0 .. 2**31 - 1
SHOWN = 40  # characters of a bad value quoted back


def quote(value: Any) -> str:
    """``repr(value)`` cut to ``SHOWN`` characters (a 4000-digit number or a long string is quoted back briefly)."""
    text = repr(value)
    return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."


def number(value: Any, what: str, low: float, high: float, default: float | None = None) -> float:
    """``value`` as a finite float in ``[low, high]``; ``None`` or ``""`` gives ``default`` when there is one."""
    if value is None or value == "":
        if default is not None:
            return float(default)
        raise InputError(f"{what} is missing: give a number between {low:g} and {high:g}.")
    if isinstance(value, bool) or not isinstance(value, numbers.Real | str):
        raise InputError(f"{what} must be a number between {low:g} and {high:g}, got {quote(value)}.")
    try:
        result = float(value)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"{what} must be a number between {low:g} and {high:g}, got {quote(value)}.") from None
    if not math.isfinite(result) or not low <= result <= high:
        raise InputError(f"{what} must be a number between {low:g} and {high:g}, got {quote(value)}.")
    return result


def integer(value: Any, what: str, low: int, high: int, default: int | None = None) -> int:
    """``value`` as an int in ``[low, high]`` (a float with no fractional part is accepted: gradio sends 3.0)."""
    if value is None or value == "":
        if default is not None:
            return int(default)
        raise InputError(f"{what} is missing: give a whole number from {low} to {high}.")
    problem = f"{what} must be a whole number from {low} to {high}, got {quote(value)}."
    if isinstance(value, bool):
        raise InputError(problem)
    if isinstance(value, numbers.Integral):
        result = int(value)
    elif isinstance(value, numbers.Real | str):
        try:
            as_float = float(value)
        except (TypeError, ValueError, OverflowError):
            raise InputError(problem) from None
        if not math.isfinite(as_float) or as_float != int(as_float):
            raise InputError(problem)
        result = int(as_float)
    else:
        raise InputError(problem)
    if not low <= result <= high:
        raise InputError(problem)
    return result


def flag(value: Any, what: str, default: bool | None = None) -> bool:
    """A checkbox: ``True``/``False`` (``None`` gives ``default``)."""
    if value is None and default is not None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral) and value in (0, 1):
        return bool(value)
    raise InputError(f"{what} must be true or false, got {quote(value)}.")


def choice(value: Any, what: str, options: Sequence[Any], default: Any = None) -> Any:
    """One of ``options`` (``None`` gives ``default`` when there is one)."""
    if value is None and default is not None:
        return default
    if isinstance(value, str | int) and not isinstance(value, bool) and value in options:
        return value
    shown = ", ".join(repr(option) for option in options)
    raise InputError(f"{what} must be one of {shown}; got {quote(value)}.")


def guard_component(component: Any, what: str) -> Any:
    """Make a number/slider/checkbox/radio/dropdown answer a value it cannot convert with a ``gr.Error`` sentence
    (gradio's own error for it is empty). Patched on the instance, like ``ui.readable_uploads``."""
    import gradio as gr

    original = component.preprocess

    def preprocess(payload: Any) -> Any:
        try:
            return original(payload)
        except gr.Error as error:
            error.print_exception = False  # gradio's own sentence (e.g. a Radio's choices): no traceback in the log
            raise
        except Exception:
            raise gr.Error(
                f"{what}: {quote(payload)} is not a value this control accepts.", print_exception=False
            ) from None

    component.preprocess = preprocess
    return component


CONTROL_TYPES = ("Number", "Slider", "Checkbox", "Radio", "Dropdown", "ColorPicker")


def guard_controls(demo: Any) -> int:
    """``guard_component`` on every non-image control of a built Blocks app; returns how many were guarded."""
    guarded = 0
    for block in demo.blocks.values():
        if type(block).__name__ in CONTROL_TYPES and hasattr(block, "preprocess"):
            guard_component(block, getattr(block, "label", None) or type(block).__name__)
            guarded += 1
    return guarded
