"""UI-independent helpers of the Gradio app (``app.py``): settings from the environment, the model cache with
per-model locks, input normalisation, the CMP facade label palette, and strips/GIFs/grids.

Nothing here imports gradio, torch or diffusers at import time, so ``python app.py`` serves its page fast; the zoo's
pipelines are imported on first use. This package is not part of the ``zoo`` library (it is not installed with it):
it exists for the app and its tests.
"""
