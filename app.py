"""The zoo's Gradio app: one tab per task, models pulled from the catalog on first use.

    python app.py                      # http://127.0.0.1:7860, offline from the local mirror (mirror/)
    python app.py --host 0.0.0.0 --port 8080 [--share]

The same file runs as the Hugging Face Space (``SPACE_ID`` is set there: it binds 0.0.0.0). This module only composes
the page: each tab's layout and handlers live in ``app_support/tabs/<task>.py``, the shared plumbing (model cache,
errors, inputs, components) in ``app_support/``, the models in ``zoo``. torch, diffusers and ``zoo.pipelines`` are
imported in the background right after the server starts (``ui.warm_up``), so the page is served in seconds and the
first requests do not stall it.

Environment: see ``app_support/settings.py`` (``ZOO_APP_MAX_MODELS``, ``ZOO_APP_MAX_PIXELS``,
``ZOO_APP_MAX_UPSCALE_PIXELS``, ``ZOO_APP_CONCURRENCY``, ``ZOO_APP_PREVIEW_PIXELS``, ``ZOO_APP_FULL_CONCURRENCY``,
``ZOO_APP_MAX_FULL_JOBS``, ``ZOO_APP_MAX_QUEUED_JOBS``, ``ZOO_APP_MAX_UPLOAD_MB``, ``ZOO_APP_PRELOAD``,
``ZOO_APP_CACHE_HOURS``, each with its default and what it bounds), ``GRADIO_SERVER_PORT`` [7860];
``ZOO_CATALOG``/``ZOO_MIRROR`` as for ``zoo``.
"""

from __future__ import annotations

import argparse
import logging
import os
from typing import Any

import gradio as gr

from app_support import client_limits, gradio_patch, lanes, params
from app_support.models import default_model, model_choices, published_names, tab_notice
from app_support.settings import Settings, default_host, default_port, seconds_since_process_start
from app_support.tabs import colorize, cyclegan, denoise, gan, pix2pix, restore, super_resolution, vae
from app_support.ui import BUILT_CHOICES, EXAMPLES, LOG, MODELS, start_warm_up

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # read by gradio when the app is built, not at import
TASKS = ("denoise", "colorize", "super-resolution", "pix2pix", "cyclegan", "vae", "gan")
ENCODINGS = vae.ENCODINGS  # test-set encodings of the VAE scatter plot (the tests clear it with MODELS)
__all__ = ["ENCODINGS", "MODELS", "TASKS", "build_demo", "main"]


def refresh_models(*current: str | None) -> list[Any]:
    """On page load: the published models of each tab (new ones appear without a restart), and the tab notices."""
    dropdowns, notices = [], []
    for task, value in zip(TASKS, current, strict=True):
        names = published_names(task)
        chosen = value if value in names else default_model(task, names)
        # Only what changed: setting a dropdown's value fires its change event, which for the VAE and GAN tabs
        # loads the model; a plain page view must not load anything.
        update: dict[str, Any] = {} if names == BUILT_CHOICES.get(task) else {"choices": model_choices(task)}
        if chosen != value:
            update["value"] = chosen
        dropdowns.append(gr.update(**update))
        notices.append(tab_notice(task, chosen))
    return dropdowns + notices


def build_demo() -> gr.Blocks:
    """The Blocks app (not launched). Reads the catalog for the dropdowns; loads no model."""
    gradio_patch.install()
    hours = Settings.from_env().cache_hours
    # gradio's cache folder (uploads and results) is swept every 10 minutes of files older than ZOO_APP_CACHE_HOURS
    cache = (600, 3600 * hours)
    with gr.Blocks(title="Image-to-image model zoo", analytics_enabled=False, delete_cache=cache) as demo:
        gr.Markdown(
            "# Image-to-image model zoo\nSmall PyTorch models for denoising, colourisation, super-resolution, "
            "pix2pix, CycleGAN, a VAE latent explorer and GAN samplers. Models load on first use; every image "
            "output is a PNG you can download."
        )
        headers: dict[str, tuple[gr.Markdown, gr.Dropdown]] = {}
        with gr.Tabs():
            with gr.Tab("Restore a photo", id="restore"):
                restore_notice = restore.build()
            with gr.Tab("Denoise", id="denoise"):
                headers["denoise"] = denoise.build()
            with gr.Tab("Colorize", id="colorize"):
                headers["colorize"] = colorize.build()
            with gr.Tab("Super-resolve", id="super-resolution"):
                headers["super-resolution"] = super_resolution.build()
            with gr.Tab("Pix2Pix", id="pix2pix"):
                headers["pix2pix"] = pix2pix.build()
            with gr.Tab("CycleGAN", id="cyclegan"):
                headers["cyclegan"] = cyclegan.build()
            with gr.Tab("VAE latent explorer", id="vae") as tab:
                headers["vae"] = vae.build(tab)
            with gr.Tab("GAN sampler", id="gan") as tab:
                headers["gan"] = gan.build(tab)

        notices = [headers[task][0] for task in TASKS]
        dropdowns = [headers[task][1] for task in TASKS]
        demo.load(
            refresh_models, dropdowns, dropdowns + notices, api_name="refresh_models", queue=False,
            show_progress="hidden",
        )  # fmt: skip
        demo.load(
            restore.chain_notice, None, restore_notice, api_name="restore_notice", queue=False,
            show_progress="hidden",
        )  # fmt: skip
    params.guard_controls(demo)  # a value a control cannot convert gets a sentence, not gradio's empty error
    lanes.remember_demo(demo)  # the full-resolution validator counts a visitor's jobs in this app's queue
    return demo


# ------------------------------------------------------------------------------------------------ launch
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Serve the image-to-image model zoo app.")
    parser.add_argument("--host", default=None, help="address to bind (default 127.0.0.1; 0.0.0.0 on a Space)")
    parser.add_argument("--port", type=int, default=None, help="port (default $GRADIO_SERVER_PORT or 7860)")
    parser.add_argument("--share", action="store_true", help="also open a public gradio.live link (off by default)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # gradio's own start-up requests
    limits = Settings.from_env()
    host, port = args.host or default_host(), args.port or default_port()
    demo = build_demo()
    start_warm_up(TASKS, limits.preload)  # model code imported in the background; requests wait for it
    demo.queue(max_size=64, default_concurrency_limit=limits.concurrency)
    gradio_patch.calm_idle_queue(demo)  # gradio polls every 1 ms: CPU taken from the models on a 2-core Space
    demo.launch(
        server_name=host,
        server_port=port,
        share=args.share,
        allowed_paths=[str(EXAMPLES)],
        max_file_size=f"{limits.max_upload_mb}mb",
        head=client_limits.head(),  # uploads into a canvas are downscaled in the browser first
        prevent_thread_lock=True,
    )
    age = seconds_since_process_start()
    LOG.info("serving on http://%s:%d%s", host, port, f", {age:.1f} s after the process started" if age else "")
    demo.block_thread()


if __name__ == "__main__":
    main()
