"""Hostile parameter values through every model endpoint of the launched app (``python app.py``): NaN, infinities,
huge and negative numbers, a 10,000-digit number, wrong types. Each must be refused with one plain sentence (a
``gr.Error``), never "failed unexpectedly", an empty error, or a server path; the server keeps serving. The calls go
as raw JSON over HTTP, since gradio_client will not send NaN or Infinity.

Valid calls come from the same table (``CALLS``), so a test that expected a refusal and got a result also fails."""

from __future__ import annotations

import json
import math
import urllib.request
from pathlib import Path

import pytest

from tests.support.figures import write_figures

from .test_server import EXAMPLES, editor, example

pytestmark = pytest.mark.slow

HUGE_INT = 10**4000  # JSON carries it; Python refuses to print ints over 4300 digits
BAD_NUMBERS = [math.nan, math.inf, -math.inf, -1.0, 1e308, HUGE_INT, "abc", [1, 2], {"a": 1}]
BAD_LATENTS = [*(value for value in BAD_NUMBERS if value != -1.0), -11.0]  # a latent may be negative, within +-10
BAD_CHOICES = [math.nan, "abc", "9" * 10_000, HUGE_INT, [1], {"a": 1}, 3.5]
BAD_NAMES = [math.nan, "no-such-model", "9" * 10_000, [1], {"a": 1}, "../../etc/passwd"]
BAD_FLAGS = [math.nan, "abc", [1], {"a": 1}, 2]


def calls() -> dict[str, tuple[list, dict[int, list]]]:
    """api_name -> (valid arguments, {argument index: bad values to put there})."""
    house = example("denoise/house.png")
    digit = editor(EXAMPLES / "vae" / "digit_3.png")
    table = {
        "/denoise": (
            ["denoise-gray", house, 20, False, False, 25],
            {2: BAD_NUMBERS, 3: BAD_FLAGS, 4: BAD_FLAGS, 5: BAD_NUMBERS},
        ),
        "/restore": (
            [example("restore/parrots_jpeg_q15.jpg"), 1, "never", False, 10],
            {1: BAD_CHOICES, 2: BAD_CHOICES, 3: BAD_FLAGS, 4: BAD_NUMBERS},
        ),
        "/cyclegan": (["cyclegan-shapes", example("cyclegan/square.png"), "BtoA"], {2: BAD_CHOICES}),
        "/gan_sample": (["cgan-mnist", 7, 4, "5"], {1: BAD_NUMBERS, 2: BAD_NUMBERS, 3: BAD_CHOICES}),
        "/gan_randomise": (["gan-mnist", 4, "any"], {1: BAD_NUMBERS}),
        "/gan_curves": (["cgan-mnist"], {}),
        "/gan_interpolate": (["gan-mnist", 1, 2, 5, "any"], {1: BAD_NUMBERS, 2: BAD_NUMBERS, 3: BAD_NUMBERS}),
        "/vae_decode": (["vae-mnist", 1.0, -1.0, 0, 0, 0, 0], {1: BAD_LATENTS, 2: BAD_LATENTS}),
        "/vae_random": (["vae-mnist", 3], {1: BAD_NUMBERS}),
        "/vae_interpolate": (["vae-mnist", digit, digit, 4], {3: BAD_NUMBERS}),
        "/colorize_hints": (
            ["colorize-hints", example("colorize/still_life.png"), [[10, 10, "#d03c28"]]],
            {2: [[[math.nan, 1, "#ffffff"]], [[1, 1, "nocolour"]], [[HUGE_INT, 1, "#ffffff"]], "abc", {"a": 1}]},
        ),
    }
    for valid, bad in table.values():  # a model name that is not one: every model-taking endpoint
        if isinstance(valid[0], str) and "-" in valid[0]:
            bad[0] = BAD_NAMES
    return table


class Refused(Exception):
    """The app answered the call with an error event; the message is what a visitor or API caller sees."""


def _upload(server, value):
    """handle_file() dicts (also inside an editor value) -> files uploaded to the server, as its API expects them."""
    if isinstance(value, dict) and value.get("meta", {}).get("_type") == "gradio.FileData":
        path = Path(value["path"])
        boundary = "zoo-sweep-boundary"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{path.name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + path.read_bytes()
            + f"\r\n--{boundary}--\r\n".encode()
        )
        request = urllib.request.Request(
            server.url + "gradio_api/upload", data=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=60) as response:
            uploaded = json.loads(response.read())[0]
        return {"path": uploaded, "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}
    if isinstance(value, dict):
        return {key: _upload(server, item) for key, item in value.items()}
    return value


def call(server, api_name: str, arguments: list):
    """POST the arguments as raw JSON (NaN and Infinity included, which gradio_client refuses to send), then read
    the event stream; returns the output data or raises ``Refused`` with the error message."""
    body = json.dumps({"data": arguments}, allow_nan=True).encode()
    request = urllib.request.Request(
        server.url + "gradio_api/call" + api_name, data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        event_id = json.loads(response.read())["event_id"]
    with urllib.request.urlopen(f"{server.url}gradio_api/call{api_name}/{event_id}", timeout=120) as response:
        stream = response.read().decode("utf-8", "replace")
    event = data = None
    for line in stream.splitlines():
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data = line.split(":", 1)[1].strip()
            if event in ("complete", "error"):
                break
    if event == "complete":
        return json.loads(data)
    raise Refused(json.loads(data) if data not in (None, "") else None)


def one_sentence(error: Refused) -> str:
    payload = error.args[0]
    message = payload.get("error") if isinstance(payload, dict) else payload
    assert isinstance(message, str) and message, f"an error without a sentence: {payload!r}"
    assert message and message != "None", f"empty error: {error!r}"
    assert "\n" not in message.strip(), message
    assert "failed unexpectedly" not in message, message
    assert "/tmp" not in message and "gradio" not in message.lower(), message
    return message


@pytest.mark.parametrize("api_name", sorted(calls()))
def test_every_bad_parameter_is_one_sentence(server, api_name):
    valid, bad = calls()[api_name]
    valid = [_upload(server, value) for value in valid]
    log_start = server.log.stat().st_size  # this test's part of the server log begins here
    call(server, api_name, valid)  # the table's valid call works
    refused = 0
    for index, values in bad.items():
        for value in values:
            arguments = list(valid)
            arguments[index] = value
            try:
                call(server, api_name, arguments)
            except Refused as error:
                one_sentence(error)
                refused += 1
            else:
                pytest.fail(f"{api_name} accepted argument {index} = {value!r:.60}")
    assert refused == sum(len(values) for values in bad.values())
    write_figures(f"sweep-{api_name.strip('/')}", {"api_name": api_name, "refused": refused})
    assert server.process.poll() is None
    call(server, api_name, valid)  # and still serves
    with open(server.log, "rb") as handle:
        handle.seek(log_start)
        log = handle.read().decode("utf-8", "replace")
    if "Traceback" in log:  # visitor mistakes log one line, never a traceback
        pytest.fail("the server logged a traceback:\n" + log[log.index("Traceback") :][:3000])
