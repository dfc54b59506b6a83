from __future__ import annotations

import pytest

from zoo.data import ENV_VAR, DatasetError, data_root, dataset_dir, resolve_dataset
from zoo.data import paths as paths_module


def test_argument_beats_environment(tmp_path, monkeypatch):
    (tmp_path / "arg").mkdir()
    (tmp_path / "env").mkdir()
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env"))
    assert data_root(tmp_path / "arg") == tmp_path / "arg"
    assert data_root(str(tmp_path / "arg")) == tmp_path / "arg"
    assert data_root() == tmp_path / "env"


def test_default_folder_when_nothing_is_set(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(paths_module, "DEFAULT_DATA_ROOT", tmp_path)
    assert data_root() == tmp_path


def test_no_folder_anywhere_says_what_to_set(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(paths_module, "DEFAULT_DATA_ROOT", tmp_path / "absent")
    with pytest.raises(DatasetError, match="set --data-dir or ZOO_DATA_DIR"):
        data_root()


@pytest.mark.parametrize("via_env", [False, True])
def test_missing_root_names_the_path(tmp_path, monkeypatch, via_env):
    missing = tmp_path / "nowhere"
    if via_env:
        monkeypatch.setenv(ENV_VAR, str(missing))
    with pytest.raises(DatasetError, match=str(missing)):
        data_root(None if via_env else missing)


def test_dataset_dir_missing_empty_and_present(tmp_path):
    with pytest.raises(DatasetError, match=str(tmp_path / "mnist")):
        dataset_dir("mnist", tmp_path)
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / ".hidden").write_text("")
    with pytest.raises(DatasetError, match="empty"):
        dataset_dir("mnist", tmp_path)
    (tmp_path / "mnist" / "file").write_text("x")
    assert dataset_dir("mnist", tmp_path) == tmp_path / "mnist"


def test_resolve_dataset_takes_folders_or_names(tmp_path):
    (tmp_path / "facades" / "train").mkdir(parents=True)
    (tmp_path / "facades" / "train" / "1.jpg").write_bytes(b"x")
    assert resolve_dataset("facades/train", tmp_path) == tmp_path / "facades" / "train"
    assert resolve_dataset(tmp_path / "facades") == tmp_path / "facades"
    with pytest.raises(DatasetError, match="does not exist"):
        resolve_dataset(tmp_path / "absent")
