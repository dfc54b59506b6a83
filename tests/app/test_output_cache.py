"""The app's output cache never rewrites a file that may be being served (gradio rewrote content-named files in
place, so two visitors getting the same output at once could receive a truncated image)."""

from PIL import Image

from tests.app import load_app


def test_build_demo_installs_the_race_free_cache():
    from gradio import processing_utils

    app = load_app()
    app.build_demo()
    assert processing_utils.save_pil_to_cache is app._save_pil_to_cache_once


def test_same_output_is_written_once_and_never_rewritten(tmp_path):
    app = load_app()
    image = Image.new("RGB", (8, 8), (10, 200, 30))
    first = app._save_pil_to_cache_once(image, str(tmp_path), format="png")
    stamp = (tmp_path / first).stat().st_mtime_ns
    second = app._save_pil_to_cache_once(image, str(tmp_path), format="png")
    assert first == second and (tmp_path / first).stat().st_mtime_ns == stamp
    assert Image.open(first).getpixel((0, 0)) == (10, 200, 30)
    assert not list(tmp_path.rglob("*.partial"))
