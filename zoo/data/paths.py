"""Where the datasets live: ``--data-dir``, else ``$ZOO_DATA_DIR``, else ``<checkout>/../shared/data``."""

from __future__ import annotations

import os
from pathlib import Path

from zoo.data.errors import DatasetError
from zoo.locations import default_data_root

__all__ = ["DEFAULT_DATA_ROOT", "ENV_VAR", "data_root", "dataset_dir", "resolve_dataset"]

ENV_VAR = "ZOO_DATA_DIR"
# ``<repository checkout>/../shared/data``; None for an installed package (no checkout to be next to).
DEFAULT_DATA_ROOT: Path | None = default_data_root()


def data_root(data_dir: str | Path | None = None) -> Path:
    """The folder that holds the datasets (``mnist/``, ``facades/``, ...).

    Precedence: the explicit ``data_dir`` argument, then the ``ZOO_DATA_DIR`` environment variable, then
    ``<checkout>/../shared/data`` when ``zoo`` runs from a repository checkout and that folder exists.

    >>> data_root("/work/shared/data")  # doctest: +SKIP
    PosixPath('/work/shared/data')
    """
    if data_dir is not None and str(data_dir) != "":
        return _existing_root(Path(data_dir).expanduser(), "the data_dir argument (--data-dir)")
    env = os.environ.get(ENV_VAR, "")
    if env:
        return _existing_root(Path(env).expanduser(), f"${ENV_VAR}")
    if DEFAULT_DATA_ROOT is not None and DEFAULT_DATA_ROOT.is_dir():
        return DEFAULT_DATA_ROOT
    where = f"the default {DEFAULT_DATA_ROOT} does not exist" if DEFAULT_DATA_ROOT else "zoo is not in a checkout"
    raise DatasetError(
        f"no data folder found ({where}); set --data-dir or {ENV_VAR} to the folder that holds the datasets"
    )


def _existing_root(path: Path, origin: str) -> Path:
    if not path.is_dir():
        raise DatasetError(
            f"data folder {path} (from {origin}) does not exist; set --data-dir or {ENV_VAR} to the folder that "
            "holds the datasets"
        )
    return path


def dataset_dir(name: str | Path, data_dir: str | Path | None = None) -> Path:
    """The folder of one dataset under the data root, e.g. ``dataset_dir("facades/train")``.

    Raises ``DatasetError`` naming the path when it is missing or holds no (non-hidden) entry. An absolute ``name``
    is used as it is.
    """
    path = data_root(data_dir) / name
    if not path.is_dir():
        raise DatasetError(
            f"dataset {str(name)!r} not found: {path} does not exist; set --data-dir or {ENV_VAR} to the folder "
            f"that holds {str(name)!r}"
        )
    if not any(not entry.name.startswith(".") for entry in path.iterdir()):
        raise DatasetError(f"dataset folder {path} is empty; copy the dataset there or point --data-dir elsewhere")
    return path


def resolve_dataset(name_or_path: str | Path, data_dir: str | Path | None = None) -> Path:
    """A dataset folder from a ``Path``/existing folder, or else from a dataset name under the data root.

    ``Path`` objects and strings naming an existing folder are taken as they are (and must exist); any other string
    is a name under the data root (``"mnist"``, ``"facades/train"``), see ``dataset_dir``.
    """
    if isinstance(name_or_path, Path) or Path(name_or_path).expanduser().is_dir():
        path = Path(name_or_path).expanduser()
        if not path.is_dir():
            raise DatasetError(f"dataset folder {path} does not exist; check the path")
        return path
    return dataset_dir(name_or_path, data_dir)


def resolve_datasets(spec: str | None, data_dir: str | Path | None = None, default: str = "") -> list[Path]:
    """The folders of a comma-separated ``--dataset`` spec (``"bsds500/train,t91"``), each as ``resolve_dataset``."""
    names = [name.strip() for name in (spec or default).split(",") if name.strip()]
    if not names:
        raise DatasetError(f"--dataset {spec!r} names no folder; e.g. --dataset {default or 'bsds500/train'}")
    return [resolve_dataset(name, data_dir) for name in names]
