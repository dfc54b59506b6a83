"""The Gradio app's code (``app.py`` composes it): one module per tab in ``tabs/`` (layout and handlers), the shared
gradio plumbing in ``ui.py`` (model cache, visitor-facing errors, components, event options), the app's one patch of
gradio internals in ``gradio_patch.py``, and UI-independent helpers: settings from the environment, the model cache
with per-model locks, input normalisation, the CMP facade label palette, strips/GIFs/grids, colour hints.

Nothing here imports torch or diffusers at import time, so ``python app.py`` serves its page fast; the zoo's
pipelines are imported on first use. This package is not part of the ``zoo`` library (it is not installed with it):
it exists for the app and its tests.
"""
