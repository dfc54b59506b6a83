"""Model cards: rendered from the ``model_cards/`` templates (package data in a wheel) with huggingface_hub's
``ModelCard``/``ModelCardData``.

Evaluation results travel as long-format records (dataset, metric, value, method, config); the card shows them as a
table with one row per method (the model, its baseline, its peers) and writes the model's own rows to ``model-index``.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from zoo.errors import PublishError

# The card templates: the repository's top-level model_cards/ in a checkout; inside the package (zoo/model_cards,
# mapped there by pyproject.toml) once installed.
_PACKAGED = Path(__file__).resolve().parent / "model_cards"
TEMPLATES = _PACKAGED if _PACKAGED.is_dir() else Path(__file__).resolve().parent.parent / "model_cards"
THIS_MODEL = "this model"

TASK_META: dict[str, dict[str, str]] = {
    "denoise": {
        "tag": "image-to-image",
        "contract": "`pipe(image, sigma=None) -> Image`",
        "usage": "clean = pipe(noisy_image, sigma=25)  # sigma=None estimates the noise level",
    },
    "super-resolution": {
        "tag": "image-to-image",
        "contract": "`pipe(image) -> Image`, `pipe.scale`",
        "usage": "large = pipe(small_image)  # exactly pipe.scale x the input size",
    },
    "colorize": {
        "tag": "image-to-image",
        "contract": "`pipe(image) -> RGB Image`",
        "usage": "colour = pipe(gray_image)",
    },
    "pix2pix": {"tag": "image-to-image", "contract": "`pipe(image) -> Image`", "usage": "output = pipe(input_image)"},
    "cyclegan": {
        "tag": "image-to-image",
        "contract": "`pipe(image, direction='AtoB') -> Image`",
        "usage": "b = pipe(a_image, direction='AtoB')\na_again = pipe(b, direction='BtoA')",
    },
    "vae": {
        "tag": "unconditional-image-generation",
        "contract": "`encode`, `decode`, `sample`, `interpolate`, `latent_dim`",
        "usage": "codes = pipe.encode([digit_image])\nimages = pipe.sample(8, seed=0)",
    },
    "autoencoder": {
        "tag": "image-to-image",
        "contract": "`encode`, `decode`, `reconstruct`, `pipe(image)`",
        "usage": "codes = pipe.encode([digit_image])\nimages = pipe.decode(codes)",
    },
    "classify": {
        "tag": "image-classification",
        "contract": "`predict`, `probabilities`, `features`, `labels`",
        "usage": "classes = pipe.predict([image])\nnames = [pipe.labels[k] for k in classes]",
    },
    "gan": {
        "tag": "unconditional-image-generation",
        "contract": "`sample`, `interpolate`, `labels`, `training_curves`",
        "usage": "images = pipe.sample(16, seed=0, label=None)",
    },
}

REQUIRED_METADATA = ("license", "library_name", "tags", "datasets", "pipeline_tag", "model-index")


@dataclass(frozen=True)
class EvalRecord:
    """One measured number. ``method`` is ``"this model"`` for the checkpoint itself, else a baseline or peer."""

    dataset: str
    metric: str
    value: float
    method: str = THIS_MODEL
    config: str | None = None

    @property
    def column(self) -> str:
        return f"{self.dataset}{' ' + self.config if self.config else ''} {self.metric}"


def records_from_json(rows: Iterable[dict[str, Any]]) -> list[EvalRecord]:
    return [EvalRecord(**row) for row in rows]


def records_to_json(records: Iterable[EvalRecord]) -> list[dict[str, Any]]:
    return [asdict(record) for record in records]


def _fmt(value: Any) -> str:
    """A card cell (``zoo.tables.number``; NaN reads "nan", as it always has on the cards)."""
    from zoo.tables import number

    return number(value, nan="nan")


def eval_table(records: list[EvalRecord]) -> str:
    """Markdown table: one row per method (this model first), one column per dataset/config/metric."""
    from zoo.tables import table

    if not records:
        return "_No evaluation results._"
    columns = list(dict.fromkeys(record.column for record in records))
    methods = list(dict.fromkeys([THIS_MODEL] + [record.method for record in records]))
    cells = {(record.method, record.column): record.value for record in records}
    methods = [m for m in methods if any((m, c) in cells for c in columns)]
    rows = [
        [f"**{method}**" if method == THIS_MODEL else method, *(cells.get((method, c), "") for c in columns)]
        for method in methods
    ]
    return table(["method", *columns], rows, cell=_fmt)


def render_card(
    *,
    name: str,
    task: str,
    description: str,
    license: str,
    datasets: list[str],
    records: list[EvalRecord],
    training: dict[str, Any],
    images: list[dict[str, str]] | None = None,
    notes: str = "",
    tags: list[str] | None = None,
) -> Any:
    """A ``huggingface_hub.ModelCard`` with complete metadata (see ``REQUIRED_METADATA``)."""
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    meta = TASK_META[task]
    own = [r for r in records if r.method == THIS_MODEL]
    results = [
        EvalResult(
            task_type=meta["tag"],
            dataset_type=r.dataset,
            dataset_name=r.dataset,
            metric_type=r.metric.lower(),
            metric_name=r.metric,
            metric_value=float(r.value),
            dataset_config=r.config,
        )
        for r in own
    ]
    data = ModelCardData(
        model_name=name,
        license=license,
        library_name="pytorch",
        tags=sorted({"image-zoo", task, "safetensors", *(tags or [])}),
        datasets=datasets,
        pipeline_tag=meta["tag"],
        eval_results=results or None,
    )
    task_text_path = TEMPLATES / "tasks" / f"{task}.md"
    task_text = task_text_path.read_text(encoding="utf-8").strip() if task_text_path.is_file() else ""
    fields = {
        key: training.get(key, "n/a")
        for key in ("command", "recipe", "seed", "steps", "train_time", "hardware", "git_commit")
    }
    fields["data"] = training.get("data", ", ".join(datasets))
    fields["versions"] = training.get("versions") or library_versions()
    fields["weights"] = training.get("weights", "")
    return ModelCard.from_template(
        data,
        template_path=str(TEMPLATES / "template.md"),
        name=name,
        description=description,
        task=task,
        task_contract=meta["contract"],
        usage=meta["usage"],
        task_text=task_text,
        eval_table=eval_table(records),
        eval_notes=notes,
        images=images or [],
        **fields,
    )


def library_versions() -> str:
    import importlib.metadata as md

    names = ("torch", "diffusers", "huggingface_hub", "safetensors", "accelerate", "numpy", "pillow")
    versions = []
    for package in names:
        try:
            versions.append(f"{package} {md.version(package)}")
        except md.PackageNotFoundError:
            continue
    return ", ".join([f"python {platform.python_version()}", *versions])


def check_card(path: Path) -> dict[str, Any]:
    """Parse a card and check its metadata is complete; returns the metadata dict."""
    from huggingface_hub import ModelCard

    if not path.is_file():
        raise PublishError(f"{path.parent}: no model card (README.md)")
    card = ModelCard.load(path)
    meta = card.data.to_dict()
    missing = [key for key in REQUIRED_METADATA if not meta.get(key)]
    if missing:
        raise PublishError(f"{path}: card metadata lacks {', '.join(missing)}")
    return meta


def card_metrics(meta: dict[str, Any]) -> dict[str, float]:
    """Flatten a card's ``model-index`` into {"dataset [config] metric": value}."""
    metrics = {}
    for index in meta.get("model-index", []):
        for result in index.get("results", []):
            dataset = result.get("dataset", {})
            label = " ".join(filter(None, [dataset.get("name"), dataset.get("config")]))
            for metric in result.get("metrics", []):
                metrics[f"{label} {metric.get('name') or metric.get('type')}".strip()] = metric.get("value")
    return metrics


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
