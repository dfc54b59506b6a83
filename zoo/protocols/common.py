"""What every protocol shares: the seed, and saving figures next to a checkpoint for its card."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

SEED = 0

# A protocol: (pipe, data_dir=None, limit=None, folder=None) -> (records, notes, images), where images are
# [{"alt": ..., "path": "images/<name>.png"}] written into folder/images when a folder is given.


def save_image(image: Any, folder: Path | None, name: str, alt: str) -> list[dict[str, str]]:
    if folder is None or image is None:
        return []
    """Save an evaluation figure as ``<folder>/images/<name>``; the card links it by that path. A copy of the same
    figure under another suffix (the mirror's WebP of it, when a card is rebuilt from the published folder with
    ``--eval-only --from-published``) is removed: it is the previous measurement, and publishing would refuse both."""
    images = Path(folder) / "images"
    images.mkdir(parents=True, exist_ok=True)
    image.save(images / name)
    for stale in images.glob(f"{Path(name).stem}.*"):
        if stale.name != name and stale.suffix.lower() in (".webp", ".png", ".jpg", ".jpeg"):
            stale.unlink()
    return [{"alt": alt, "path": f"images/{name}"}]


# ------------------------------------------------------------------------------ other training runs as comparisons
def outputs_roots() -> list[Path]:
    """Where training runs live: ``$ZOO_OUTPUTS`` when set (only there), else ``./outputs`` and, when ``zoo`` runs
    from a repository checkout, the checkout's ``outputs`` (an installed package looks only in ``./outputs``)."""
    from zoo.locations import checkout_root

    if os.environ.get("ZOO_OUTPUTS"):
        return [Path(os.environ["ZOO_OUTPUTS"]).resolve()]
    roots = [Path.cwd() / "outputs"]
    if checkout_root() is not None:
        roots.append(checkout_root() / "outputs")
    return list(dict.fromkeys(root.resolve() for root in roots))


def find_runs(names: Iterable[str], exclude: str | None = None) -> list[Path]:
    """The ``outputs/<name>/final`` checkpoints of the named training runs that exist (never ``exclude``, the model
    being evaluated); runs that were not trained are simply absent, never invented."""
    found = []
    for name in names:
        if name == exclude:
            continue
        for root in outputs_roots():
            folder = root / name / "final"
            if (folder / "pipeline.json").is_file():
                found.append(folder)
                break
    return found


def check_run_folders(folders: Sequence[str | os.PathLike]) -> list[Path]:
    """Explicitly named comparison checkpoints: each must exist, else ``CheckpointError``."""
    paths = [Path(folder) for folder in folders]
    missing = [str(path) for path in paths if not (path / "pipeline.json").is_file()]
    if missing:
        from zoo.errors import CheckpointError

        raise CheckpointError(f"comparison checkpoint(s) not found (no pipeline.json): {', '.join(missing)}")
    return paths


def run_label(pipe: Any, folder: Path, taken: Iterable[str]) -> str:
    """How a comparison run is named in a table: its ``options["method"]``, else its run folder's name."""
    label = str(pipe.options.get("method") or folder.parent.name)
    return f"{label} ({folder.parent.name})" if label in set(taken) else label
