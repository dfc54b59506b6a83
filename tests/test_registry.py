"""The catalog: the public names of docs/CATALOG.md, lookups, listing, and close-name suggestions."""

import json

import pytest

import zoo
from zoo import registry

CONTRACT_NAMES = {
    "denoise-mnist": "denoise", "denoise-gray": "denoise", "denoise-color": "denoise",
    "superres-mnist": "super-resolution", "superres-x2": "super-resolution", "superres-x4": "super-resolution",
    "colorize": "colorize", "pix2pix-facades": "pix2pix", "pix2pix-maps": "pix2pix", "pix2pix-shapes": "pix2pix",
    "cyclegan-shapes": "cyclegan", "cyclegan-facades": "cyclegan", "vae-mnist": "vae", "vae-fashion": "vae",
    "gan-mnist": "gan", "cgan-mnist": "gan", "gan-fashion": "gan",
}  # fmt: skip


def test_catalog_holds_every_contract_name_with_its_task():
    entries = registry.catalog()
    for name, task in CONTRACT_NAMES.items():
        assert name in entries, name
        assert entries[name].task == task
        assert entries[name].repo_id.endswith("/" + name)


def test_entries_name_a_known_pipeline_and_licence():
    from zoo.pipelines import pipeline_classes

    classes = pipeline_classes()
    for entry in registry.catalog().values():
        assert entry.pipeline in classes, entry.name
        assert classes[entry.pipeline].task == entry.task
        assert entry.license and entry.datasets and entry.description and entry.revision


def test_list_models_filters_by_task_and_publication(isolated_zoo):
    assert zoo.list_models() == []  # nothing published in the fresh copy
    order = [row["name"] for row in json.loads(isolated_zoo.catalog.read_text())["models"]]
    all_vae = zoo.list_models("vae", include_unpublished=True)
    assert {m.name for m in all_vae} == {"vae-mnist", "vae-fashion"}
    registry.update_entry("vae-mnist", files={"pipeline.json": "0" * 64}, metrics={"mnist test ELBO": -140.0})
    published = zoo.list_models("vae")
    assert [m.name for m in published] == ["vae-mnist"]
    assert published[0].metrics == {"mnist test ELBO": -140.0}
    rows = json.loads(isolated_zoo.catalog.read_text())["models"]
    assert [row["name"] for row in rows] == order  # updated in place: the catalog's order is kept


def test_unknown_task_is_refused():
    with pytest.raises(ValueError, match="unknown task"):
        zoo.list_models("segmentation")


def test_close_names():
    assert "vae-mnist" in registry.close_names("vae-mnsit")
    assert registry.close_names("zzzzzzzz") == []


def test_import_is_cheap():
    import subprocess
    import sys

    code = "import sys, zoo; zoo.list_models(); print('torch' in sys.modules, 'diffusers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
