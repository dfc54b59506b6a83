"""Deploying the app as a Space (``python -m zoo.space deploy``) against the local Hub: the app without the weights,
``preload_from_hub`` at each model's pinned revision, and a Space-like folder that loads from the preloaded cache."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from zoo import registry, space
from zoo.errors import PublishError
from zoo.publish import publish

ROOT = Path(__file__).resolve().parent.parent
SPACE = "test-user/zoo-app"


def front_matter(text: str) -> dict:
    return yaml.safe_load(text.split("---\n", 2)[1])


@pytest.fixture
def pinned(isolated_zoo, tiny_checkpoint, local_hub, monkeypatch):
    """vae-mnist published to the local Hub (so pinned to its commit); the other models stay unpublished."""
    monkeypatch.setenv("HF_TOKEN", "hf_test")
    publish(tiny_checkpoint, "vae-mnist", to=("hub",), endpoint=local_hub.endpoint)
    return registry.get_entry("vae-mnist")


def test_deploy_uploads_the_app_without_weights_and_preloads_pinned_models(pinned, local_hub):
    sha = space.deploy(SPACE, private=True, endpoint=local_hub.endpoint)
    assert local_hub.refs(SPACE, repo_type="space")["main"] == sha
    assert local_hub.repo_meta(SPACE, repo_type="space")["sdk"] == "gradio"
    assert local_hub.repo_meta(SPACE, repo_type="space")["private"] is True
    files = local_hub.read_files(SPACE, repo_type="space")
    assert {"app.py", "requirements.txt", "README.md", "zoo/__init__.py", "zoo/catalog.json",
            "model_cards/template.md", "app_support/__init__.py"} <= set(files)  # fmt: skip
    assert any(p.startswith("examples/") for p in files)
    assert files["app.py"] == (ROOT / "app.py").read_bytes()  # uploaded as it is
    assert not [p for p in files if p.startswith(("mirror/", "tests/", "train/", "tools/", "outputs/", "benchmarks/"))]
    assert not [p for p in files if p.endswith((".safetensors", ".pyc")) or "__pycache__" in p]
    assert files["zoo/catalog.json"] == registry.catalog_path().read_bytes()  # the catalog in effect, pinned
    meta = front_matter(files["README.md"].decode())
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py"
    assert meta["models"] == ["imagezoo/vae-mnist"]
    assert meta["preload_from_hub"] == [f"imagezoo/vae-mnist {','.join(sorted(pinned.files))} {pinned.revision}"]
    assert all(r.authorized for r in local_hub.requests if r.method == "POST")


def test_redeploy_removes_files_the_app_no_longer_has(pinned, local_hub):
    space.deploy(SPACE, endpoint=local_hub.endpoint)
    local_hub.commit(SPACE, {"app_support/stale.py": b"x = 1\n"}, repo_type="space")
    space.deploy(SPACE, endpoint=local_hub.endpoint)
    files = local_hub.read_files(SPACE, repo_type="space")
    assert "app_support/stale.py" not in files and ".gitattributes" in files and "app.py" in files


def test_unpinned_models_are_refused_unless_allowed(isolated_zoo, tiny_checkpoint, tmp_path):
    publish(tiny_checkpoint, "vae-mnist", to=("mirror",))  # mirror only: revision "main"
    with pytest.raises(PublishError, match="not pinned"):
        space.stage(tmp_path / "space")
    assert space.main(["stage", str(tmp_path / "other")]) == 2
    folder = space.stage(tmp_path / "allowed", allow_unpinned=True)
    (line,) = front_matter((folder / "README.md").read_text(encoding="utf-8"))["preload_from_hub"]
    assert line.startswith("imagezoo/vae-mnist ") and len(line.split()) == 2


def test_the_deployed_app_folder_loads_models_from_the_preloaded_cache(pinned, local_hub, tmp_path):
    """What the Space does: its build preloads each listed file at the pinned commit into the Hub cache; the app's
    zoo (no mirror there) then loads from that cache with no network."""
    from huggingface_hub import hf_hub_download

    folder = space.stage(tmp_path / "space")
    cache = tmp_path / "space-cache"
    for line in front_matter((folder / "README.md").read_text(encoding="utf-8"))["preload_from_hub"]:
        repo_id, files, revision = line.split()
        for file in files.split(","):
            hf_hub_download(repo_id, file, revision=revision, cache_dir=cache, endpoint=local_hub.endpoint, token=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOO_", "PYTHON"))}
    env.update(HF_HUB_OFFLINE="1", HF_HUB_CACHE=str(cache), HF_ENDPOINT="http://127.0.0.1:9")
    code = "import zoo; pipe = zoo.load('vae-mnist'); pipe.sample(1); print(pipe.source, zoo.__file__)"
    done = subprocess.run([sys.executable, "-c", code], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    source, where = done.stdout.split()
    assert source == "cache" and Path(where).is_relative_to(folder)
