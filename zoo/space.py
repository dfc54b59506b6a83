"""Deploy the Gradio app as a Hugging Face Space, without the weights (maintainers).

    python -m zoo.space deploy --space-id ORG/NAME [--private] [--endpoint URL]
    python -m zoo.space stage OUT_FOLDER          # write what would be uploaded, for a look (no network)

Uploads, from a repository checkout, exactly: ``app.py``, ``app_support/``, ``zoo/`` (with the catalog in effect),
``model_cards/``, ``examples/``, ``requirements.txt`` and ``README.md`` with its Space front matter, in one commit made
with ``huggingface_hub`` (``create_repo`` + ``upload_folder``; files of an earlier deploy that are no longer part of the
app are deleted). Never the weights mirror ``mirror/``, tests, training code or outputs: the Space's ``zoo`` finds no
mirror and loads each model from the Hub cache. The README's ``preload_from_hub`` lists every published catalog model
with its files at its pinned revision, so the Space downloads them at build time (``zoo.load`` then finds them in the
cache without a download, sha256-checked); anything else is pulled on demand. Models still on revision "main" (published
to the mirror only) are refused unless ``--allow-unpinned`` (then they preload the Hub's current main). The token comes
from ``HF_TOKEN`` or ``hf auth login``, never from a flag."""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

from zoo import registry
from zoo.errors import PublishError, ZooError

# What the Space runs, relative to the checkout: files, and folders copied whole (minus caches).
SPACE_FILES = ("app.py", "requirements.txt")
SPACE_FOLDERS = ("app_support", "zoo", "model_cards", "examples")
SKIP = {"__pycache__", ".pytest_cache", ".ruff_cache"}
SKIP_SUFFIXES = (".pyc", ".pyo")
_SHA_RE = re.compile(r"^[0-9a-f]{40}$")


def preload_lines(allow_unpinned: bool = False) -> list[str]:
    """``preload_from_hub`` items: ``"<repo_id> <file>,<file>,... <commit sha>"`` for each published catalog model."""
    lines, unpinned = [], []
    for entry in registry.list_models():
        files = ",".join(sorted(entry.files))
        if _SHA_RE.match(entry.revision):
            lines.append(f"{entry.repo_id} {files} {entry.revision}")
        else:
            unpinned.append(entry.name)
            lines.append(f"{entry.repo_id} {files}")
    if unpinned and not allow_unpinned:
        raise PublishError(
            f"not pinned to a Hub commit (revision {'main'!r}): {', '.join(unpinned)}. Publish them first "
            "(python -m zoo.publish FOLDER --name NAME --to hub), or pass --allow-unpinned to preload the Hub's main."
        )
    return lines


def space_readme(source: Path, allow_unpinned: bool = False) -> str:
    """The checkout's README with its Space front matter completed: ``models`` and ``preload_from_hub``."""
    from huggingface_hub import SpaceCard

    card = SpaceCard.load(Path(source))
    card.data.models = [entry.repo_id for entry in registry.list_models()]
    card.data.preload_from_hub = preload_lines(allow_unpinned)
    if card.data.sdk != "gradio" or not card.data.app_file:
        raise PublishError(f"{source}: the front matter must say sdk: gradio and app_file")
    return str(card)


def _copy_tree(source: Path, target: Path) -> None:
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if any(part in SKIP or part.endswith(".egg-info") for part in rel.parts) or path.suffix in SKIP_SUFFIXES:
            continue
        if path.is_file():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / rel)


def stage(out: str | Path, root: str | Path | None = None, allow_unpinned: bool = False) -> Path:
    """Write the Space's files into ``out`` (an empty or new folder); returns it."""
    from zoo.locations import checkout_root

    root = Path(root) if root else checkout_root()
    if root is None or not (root / "app.py").is_file():
        raise PublishError("deploying the Space needs the repository checkout (app.py, app_support/); run it there")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise PublishError(f"{out} is not empty")
    out.mkdir(parents=True, exist_ok=True)
    for name in SPACE_FILES:
        shutil.copy2(root / name, out / name)
    for name in SPACE_FOLDERS:
        if (root / name).is_dir():
            _copy_tree(root / name, out / name)
    shutil.copy2(registry.catalog_path(), out / "zoo" / "catalog.json")  # the catalog in effect ($ZOO_CATALOG)
    (out / "README.md").write_text(space_readme(root / "README.md", allow_unpinned), encoding="utf-8")
    return out


def deploy(
    space_id: str,
    *,
    private: bool = False,
    endpoint: str | None = None,
    token: str | None = None,
    root: str | Path | None = None,
    allow_unpinned: bool = False,
    commit_message: str | None = None,
) -> str:
    """Create (if needed) and update the Space ``space_id``; returns the commit sha."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    from zoo.hub import hub_endpoint

    with tempfile.TemporaryDirectory(prefix="zoo-space-") as tmp:
        folder = stage(Path(tmp) / "space", root, allow_unpinned)
        api = HfApi(endpoint=endpoint or hub_endpoint(), token=token)
        try:
            api.create_repo(space_id, repo_type="space", space_sdk="gradio", private=private, exist_ok=True)
            info = api.upload_folder(
                repo_id=space_id,
                repo_type="space",
                folder_path=str(folder),
                delete_patterns=["*"],  # files of an earlier deploy that the app no longer has (.gitattributes stays)
                commit_message=commit_message or "Deploy the image-to-image model zoo app",
            )
        except HfHubHTTPError as error:
            raise PublishError(f"deploying the Space {space_id} failed: {error}") from error
    return info.oid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zoo.space", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    deploy_parser = commands.add_parser("deploy", help="upload the app as a Space (no weights)")
    deploy_parser.add_argument("--space-id", required=True, help="ORG/NAME of the Space")
    deploy_parser.add_argument("--private", action="store_true", help="create the Space private")
    deploy_parser.add_argument("--endpoint", help="Hub endpoint (default: $HF_ENDPOINT or huggingface.co)")
    deploy_parser.add_argument("--allow-unpinned", action="store_true", help="preload main for unpinned models")
    stage_parser = commands.add_parser("stage", help="write the Space's files into a folder (no upload)")
    stage_parser.add_argument("out", help="an empty or new folder")
    stage_parser.add_argument("--allow-unpinned", action="store_true", help="preload main for unpinned models")
    args = parser.parse_args(argv)
    try:
        if args.command == "stage":
            print(f"staged the Space in {stage(args.out, allow_unpinned=args.allow_unpinned)}")
            return 0
        sha = deploy(args.space_id, private=args.private, endpoint=args.endpoint, allow_unpinned=args.allow_unpinned)
    except ZooError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"deployed {args.space_id}: commit {sha}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
