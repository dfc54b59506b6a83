"""One module per app tab, each owning its layout (``build()``) and its handlers. ``app.py`` composes them."""
