"""A size limit applied in the visitor's browser, before gradio's image editor sees an upload.

An 8000x8000 PNG dropped into a digit sketchpad froze the browser tab for 15-20 s (measured with headless chromium)
before any server-side limit could apply: the editor decodes and paints it at full size. The script below, added to
the page's head by ``app.py``, catches a file chosen for any component with the ``CANVAS_CLASS`` class (the
sketchpads and the facade painter), decodes it off the main thread (``createImageBitmap``) and, when a side exceeds
``MAX_SIDE`` pixels, hands the editor a PNG downscaled to that size instead; smaller files pass untouched. Photo
inputs (``gr.Image``) are not editors and keep the server's limits (``app_support/inputs.py``).
"""

from __future__ import annotations

CANVAS_CLASS = "zoo-canvas"
MAX_SIDE = 1000  # 1 megapixel: within the server's editor limit even at a small ZOO_APP_MAX_PIXELS (4 x 250000)

SCRIPT = """
<script>
(() => {
  const MAX_SIDE = %(max_side)d;
  const SELECTOR = ".%(canvas_class)s input[type=file]";
  document.addEventListener("change", async (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.matches(SELECTOR) || input.dataset.zooChecked) return;
    const file = input.files && input.files[0];
    if (!file || !file.type.startsWith("image/")) return;
    event.stopImmediatePropagation();
    let chosen = file;
    try {
      const bitmap = await createImageBitmap(file);
      const factor = MAX_SIDE / Math.max(bitmap.width, bitmap.height);
      if (factor < 1) {
        const width = Math.max(1, Math.round(bitmap.width * factor));
        const height = Math.max(1, Math.round(bitmap.height * factor));
        const canvas = new OffscreenCanvas(width, height);
        canvas.getContext("2d").drawImage(bitmap, 0, 0, width, height);
        const blob = await canvas.convertToBlob({ type: "image/png" });
        chosen = new File([blob], file.name.replace(/\\.[^.]*$/, "") + ".png", { type: "image/png" });
        console.info(`zoo: ${file.name} (${bitmap.width}x${bitmap.height}) downscaled to ${width}x${height}`);
      }
      bitmap.close();
    } catch (error) {
      console.warn("zoo: could not check the upload's size", error);  // the server's limits still apply
    }
    const files = new DataTransfer();
    files.items.add(chosen);
    input.files = files.files;
    input.dataset.zooChecked = "1";
    input.dispatchEvent(new Event("change", { bubbles: true }));
    delete input.dataset.zooChecked;
  }, true);
})();
</script>
"""


def head(max_side: int = MAX_SIDE) -> str:
    """The ``<script>`` for ``launch(head=...)``."""
    return SCRIPT % {"max_side": int(max_side), "canvas_class": CANVAS_CLASS}
