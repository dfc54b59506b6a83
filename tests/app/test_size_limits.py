"""A 12000x12000 PNG (a few hundred KB on disk, 144 megapixels decoded) sent to every image input of the launched app,
the sketchpad and the facade painter included: each is refused with a sentence from the file header, before any
decoding, and the server's resident memory does not grow by more than 200 MB."""

from __future__ import annotations

from pathlib import Path

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from tests.support.figures import write_figures

from .test_server import EXAMPLES, editor, example

pytestmark = pytest.mark.slow


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def giant(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("giant") / "giant.png"
    Image.new("1", (12000, 12000)).save(path)  # 1-bit: small file, 144-megapixel header
    return path


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the server's RSS from /proc")
def test_giant_image_refused_everywhere_without_decoding(client, server, giant):
    big = handle_file(str(giant))
    digit = editor(EXAMPLES / "vae" / "digit_8.png")
    calls = {
        "/denoise": ("denoise-gray", big, 20, False, False, 25),
        "/restore": (big, 1, "never", True, 10),
        "/colorize": ("colorize", big),
        "/colorize_hints": ("colorize-hints", big, []),
        "/super_resolve": ("superres-x2", big),
        "/pix2pix": ("pix2pix-facades", big),
        "/pix2pix_painting": ("pix2pix-facades", editor(giant)),
        "/cyclegan": ("cyclegan-shapes", big, "AtoB"),
        "/vae_interpolate": ("vae-mnist", editor(giant), digit, 4),
    }
    client.predict("denoise-gray", example("denoise/house.png"), 20, False, api_name="/denoise")  # warm
    before = rss_mib(server.process.pid)
    log_start = server.log.stat().st_size  # this test's part of the session server's log
    for api_name, arguments in calls.items():
        with pytest.raises(AppError, match=r"12000x12000 pixels \(144\.0 megapixels\)") as info:
            client.predict(*arguments, api_name=api_name)
        assert "\n" not in str(info.value).strip(), api_name
    grown = rss_mib(server.process.pid) - before
    print(f"\nserver RSS {before:.0f} MiB before, {grown:+.0f} MiB after {len(calls)} giant uploads")
    write_figures("fault-giant-upload", {"endpoints": sorted(calls), "rss_before_mib": before, "rss_grown_mib": grown})
    assert grown < 200, f"the server grew by {grown:.0f} MiB"
    assert server.process.poll() is None
    with open(server.log, "rb") as handle:
        handle.seek(log_start)
        assert b"Traceback" not in handle.read()  # refusals are one log line each
