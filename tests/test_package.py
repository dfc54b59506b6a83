"""The installable package: the wheel carries the catalog and card templates, declares its dependencies, installs
into a fresh virtual environment and works from outside the checkout (no mirror unless ``$ZOO_MIRROR``)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            requirement = Requirement(line)
            (version,) = [spec.version for spec in requirement.specifier if spec.operator == "=="]
            pins[requirement.name.lower().replace("_", "-")] = version
    return pins


def test_declared_dependencies_admit_the_pinned_requirements():
    project = _pyproject()["project"]
    pins = {**_pins(ROOT / "requirements.txt"), **_pins(ROOT / "requirements-dev.txt")}
    declared = [Requirement(r) for r in project["dependencies"]]
    declared += [Requirement(r) for extra in project["optional-dependencies"].values() for r in extra]
    assert {"torch", "diffusers", "huggingface-hub", "safetensors", "numpy", "pillow"} <= {
        r.name.lower().replace("_", "-") for r in declared[: len(project["dependencies"])]
    }
    for requirement in declared:
        name = requirement.name.lower().replace("_", "-")
        assert name in pins, f"{name} is declared in pyproject.toml but not pinned in requirements*.txt"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} is outside {requirement}"
    runtime = set(_pins(ROOT / "requirements.txt"))
    assert runtime <= {r.name.lower().replace("_", "-") for r in declared}, "a runtime pin is not declared"


def test_entry_points_name_real_functions():
    import importlib

    for command, target in _pyproject()["project"]["scripts"].items():
        module, function = target.split(":")
        assert callable(getattr(importlib.import_module(module), function)), command


def test_library_does_not_reach_outside_its_package():
    """zoo imports nothing from the checkout (tests, tools, train, app) and edits no sys.path anywhere."""
    offenders = []
    for path in [*ROOT.glob("zoo/**/*.py"), *ROOT.glob("train/**/*.py"), *ROOT.glob("tools/**/*.py")]:
        text = path.read_text(encoding="utf-8")
        if "sys.path.insert" in text or "sys.path.append" in text:
            offenders.append(f"{path.relative_to(ROOT)}: edits sys.path")
        if path.parts[len(ROOT.parts)] == "zoo" and re.search(
            r"^\s*(from|import) (tests|tools|train|app_support)\b", text, re.M
        ):
            offenders.append(f"{path.relative_to(ROOT)}: imports from outside the package")
    assert offenders == []


def _build_wheel(tmp_path: Path) -> Path:
    """Build the wheel from a copy of the package sources (the checkout gets no build/ or egg-info folders)."""
    import shutil

    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for folder in ("zoo", "model_cards"):  # model_cards/ ships inside the wheel as zoo/model_cards
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = tmp_path / "dist"
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
               "-w", str(dist), str(source)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = dist.glob("image_zoo-*.whl")
    return wheel


@pytest.mark.slow
def test_wheel_installs_into_a_fresh_venv_and_works_outside_the_checkout(tmp_path):
    wheel = _build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    assert "zoo/catalog.json" in names and "zoo/model_cards/template.md" in names
    assert any(n.startswith("zoo/model_cards/tasks/") for n in names)
    assert not any(n.startswith(("tests/", "tools/", "train/", "mirror/", "app_support/")) for n in names)
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    requires = [line for line in zipfile.ZipFile(wheel).read(metadata).decode().splitlines() if "Requires-Dist" in line]
    assert any(line.startswith("Requires-Dist: torch") for line in requires)

    # A fresh venv with only the wheel; its dependencies are borrowed from this (test) environment through a .pth
    # file appended after the venv's own site-packages, so the wheel's zoo is the one imported, offline and fast.
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False, symlinks=True)
    python = env_dir / "bin" / "python"
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
               str(wheel)]  # fmt: skip
    done = subprocess.run(install, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(subprocess.check_output([str(python), "-c", purelib], text=True).strip())
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOO_", "PYTHON"))}
    env.update(HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf-home"))
    code = (
        "import json, zoo\n"
        "from zoo.cards import TEMPLATES\n"
        "out = {'file': zoo.__file__, 'count': len(zoo.list_models())}\n"
        "out['templates'] = (TEMPLATES / 'template.md').is_file()\n"
        "try:\n    zoo.load('vae-mnist')\n"
        "except zoo.ModelNotFoundError as error:\n    out['without_mirror'] = str(error)\n"
        "print(json.dumps(out))\n"
    )  # fmt: skip
    done = subprocess.run([str(python), "-c", code], cwd=outside, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    catalog = json.loads((ROOT / "zoo" / "catalog.json").read_text(encoding="utf-8"))
    assert out["count"] == sum(1 for row in catalog["models"] if row.get("files")) > 0
    assert Path(out["file"]).is_relative_to(site) and out["templates"]
    assert "ZOO_MIRROR" in out["without_mirror"]  # an installed package has no mirror of its own

    code = "import zoo; pipe = zoo.load('vae-mnist'); images = pipe.sample(2, seed=0); print(pipe.source, len(images))"
    env["ZOO_MIRROR"] = str(ROOT / "mirror")
    done = subprocess.run([str(python), "-c", code], cwd=outside, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["mirror", "2"]

    script = env_dir / "bin" / "zoo"
    done = subprocess.run(
        [str(script), "list", "vae"], cwd=outside, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0 and "vae-mnist" in done.stdout, done.stderr[-2000:]
    for command in ("zoo-publish", "zoo-eval", "zoo-mirror", "zoo-space"):
        assert (env_dir / "bin" / command).is_file(), command
