"""The local mirror of the Hub repos (``mirror/<org>/<name>/`` in a checkout, or ``$ZOO_MIRROR``): keep it small, check
its size budget, and rebuild it from the Hub.

(Over 400 lines on purpose: one command with four subcommands, which share the catalog bookkeeping below; the float16
measurement itself lives in ``zoo/halving.py``.)

    python -m zoo.mirror compact [NAME ...]   # card images -> WebP within the budget; card links + catalog sha256
    python -m zoo.mirror check                # sizes per checkpoint and in total against the budgets; exit 1 if over
    python -m zoo.mirror pull [NAME ...]      # rebuild the mirror from the Hub at each model's pinned revision
    python -m zoo.mirror half [NAME ...] [--data-dir DIR] [--limit N] [--dry-run]
                                              # float32 weights -> float16 where no card number moves (zoo.halving)

The mirror holds exactly the files of each published Hub repo (what loading needs: ``pipeline.json``, configs,
safetensors weights, ``golden.safetensors``, plus the model card and a small card image set), so ``zoo.load`` works
offline. ``compact`` is idempotent: a checkpoint whose images already meet the budget is left untouched. Publishing
(``zoo.publish``) compacts the images of the folder it publishes, so the Hub and the mirror receive the same small
files. A model whose pinned Hub revision still holds the old images is unpinned (revision "main") by ``compact``,
until ``python -m zoo.publish mirror/<org>/<name> --name NAME --to hub`` uploads the compacted files and pins them.

``half`` (no names: every checkpoint with float32 weights) runs each model's evaluation protocol with the float32
weights and with float16 copies (peers off, float32 compute) and keeps the float16 weights only when every number of
the model's own rows stays within its metric kind's tolerance (0.05 dB for PSNR, 0.002 for SSIM, ...; the table is in
``zoo/halving.py``); it then rewrites ``golden.safetensors`` from the float16 weights, adds a "Weights in float16"
section to the card, and records the new sha256 in the catalog (unpinning the revision like ``compact``). A model that
moves is left untouched and the line says which number moved by how much; checkpoints already in float16 are skipped.
It evaluates every model twice (minutes to hours for the photo models); ``--limit`` checks on fewer test items.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from zoo import registry
from zoo.errors import PublishError, ZooError

KIB, MIB = 1024, 1024 * 1024

# --- budgets (what `compact` guarantees for the images; the rest is checked by `check` and tests/test_mirror.py) ---
IMAGE_MAX_BYTES = 192 * KIB  # one card image; a PNG within it stays a (lossless) PNG: loss curves, digit grids
IMAGES_BUDGET = 512 * KIB  # all the card images of one checkpoint
MIN_IMAGE_CAP = 64 * KIB  # re-encode more images rather than squeeze each below this
TEXT_BUDGET = 64 * KIB  # README.md, pipeline.json and the configs of one checkpoint
GOLDEN_BUDGET = 2 * MIB  # golden.safetensors (probe input and expected output)
CHECKPOINT_BUDGET = 32 * MIB  # everything of one checkpoint, weights included
# The whole mirror. Issue 22 measured 135.9 MiB for the 22 checkpoints then published (21.0 MiB of it card PNGs);
# compacted, the same 22 must fit SAME_MODELS_BUDGET, and the whole mirror (with later checkpoints) MIRROR_BUDGET.
ISSUE_22_MODELS = (
    "ae-mnist", "ae-mnist-conv", "cgan-mnist", "classifier-fashion", "classifier-mnist", "colorize",
    "cyclegan-facades", "cyclegan-shapes", "denoise-color", "denoise-gray", "denoise-mnist", "gan-fashion",
    "gan-mnist", "gan-toy", "pix2pix-facades", "pix2pix-maps", "pix2pix-shapes", "superres-mnist", "superres-x2",
    "superres-x4", "vae-fashion", "vae-mnist",
)  # fmt: skip
ISSUE_22_BYTES = 142_450_570  # their size before compaction (135.9 MiB)
SAME_MODELS_BUDGET = 122 * MIB
MIRROR_BUDGET = 140 * MIB

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
WEBP_QUALITIES = (90, 85, 80, 75, 70, 60, 50)
MIN_IMAGE_SIDE = 96
WEIGHTS_NAME = "diffusion_pytorch_model.safetensors"


@dataclass
class Compaction:
    """What ``compact_folder`` did (or, with ``dry_run``, would do) to one checkpoint folder."""

    folder: Path
    renamed: dict[str, str] = field(default_factory=dict)  # old relative path -> new relative path
    before: int = 0  # image bytes before
    after: int = 0  # image bytes after

    @property
    def changed(self) -> bool:
        return bool(self.renamed)


# ------------------------------------------------------------------------------------------------ sizes and budgets
def images_of(folder: Path) -> list[Path]:
    images = folder / "images"
    if not images.is_dir():
        return []
    return sorted(p for p in images.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def size_breakdown(folder: Path) -> dict[str, int]:
    """Bytes of one checkpoint folder by kind: weights, golden, images, text (card, pipeline.json, configs)."""
    sizes = {"weights": 0, "golden": 0, "images": 0, "text": 0}
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        rel = path.relative_to(folder).as_posix()
        kind = (
            "golden"
            if rel == "golden.safetensors"
            else "weights"
            if rel.endswith(".safetensors")
            else "images"
            if rel.startswith("images/")
            else "text"
        )
        sizes[kind] += path.stat().st_size
    return sizes


def budget_problems(folder: Path) -> list[str]:
    """Why one checkpoint folder is over its budget (empty when it is within)."""
    problems = []
    sizes = size_breakdown(folder)
    for image in images_of(folder):
        size = image.stat().st_size
        if size > IMAGE_MAX_BYTES:
            problems.append(f"{image.name} is {size / KIB:.0f} KiB (> {IMAGE_MAX_BYTES // KIB} KiB per card image; "
                            "python -m zoo.mirror compact re-encodes it)")  # fmt: skip
    limits = {"images": IMAGES_BUDGET, "text": TEXT_BUDGET, "golden": GOLDEN_BUDGET}
    for kind, limit in limits.items():
        if sizes[kind] > limit:
            problems.append(f"{kind} {sizes[kind] / KIB:.0f} KiB > {limit // KIB} KiB")
    total = sum(sizes.values())
    if total > CHECKPOINT_BUDGET:
        weights = sizes["weights"] / MIB
        problems.append(f"{total / MIB:.1f} MiB in all > {CHECKPOINT_BUDGET // MIB} MiB (weights {weights:.1f} MiB)")
    return problems


def checkpoint_folders(root: Path) -> list[Path]:
    """``<root>/<org>/<name>`` folders that hold a checkpoint (``pipeline.json``)."""
    if not root.is_dir():
        return []
    found = (p.parent for p in root.glob("*/*/pipeline.json"))
    return sorted(f for f in found if not f.name.endswith((".staging", ".old", ".compact", ".half")))


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# ------------------------------------------------------------------------------------------------ compaction
def needs_compaction(folder: Path) -> bool:
    """True when a card image is over ``IMAGE_MAX_BYTES`` or all of them are over ``IMAGES_BUDGET``."""
    sizes = [p.stat().st_size for p in images_of(folder)]
    return any(size > IMAGE_MAX_BYTES for size in sizes) or sum(sizes) > IMAGES_BUDGET


def _choose(images: list[Path]) -> tuple[list[Path], int]:
    """Which images to re-encode, and the byte cap of each: every image over ``IMAGE_MAX_BYTES``, then the largest
    others until each re-encoded image may have at least ``MIN_IMAGE_CAP`` of what the kept ones leave."""
    size = {p: p.stat().st_size for p in images}
    encode = [p for p in images if size[p] > IMAGE_MAX_BYTES]
    keep = sorted((p for p in images if p not in encode), key=lambda p: -size[p])
    while True:
        room = IMAGES_BUDGET - sum(size[p] for p in keep)
        cap = min(IMAGE_MAX_BYTES, room // len(encode)) if encode else IMAGE_MAX_BYTES
        if (not encode and room >= 0) or (encode and cap >= MIN_IMAGE_CAP) or not keep:
            break
        encode.append(keep.pop(0))
    if encode and cap < 8 * KIB:
        raise PublishError(f"{len(images)} card images cannot fit {IMAGES_BUDGET // KIB} KiB")
    return encode, cap


def _encode_webp(image, cap: int) -> bytes:
    """The highest-quality WebP of ``image`` within ``cap`` bytes: quality first, then 0.8x downscales."""
    from PIL import Image

    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    if has_alpha and image.getchannel("A").getextrema() == (255, 255):
        image = image.convert("RGB")
    while True:
        for quality in WEBP_QUALITIES:
            buffer = io.BytesIO()
            image.save(buffer, format="WEBP", quality=quality, method=4)
            if buffer.tell() <= cap:
                return buffer.getvalue()
        width, height = image.size
        if min(width, height) * 0.8 < MIN_IMAGE_SIDE:
            raise PublishError(f"cannot encode a {width}x{height} card image within {cap / KIB:.0f} KiB")
        image = image.resize((round(width * 0.8), round(height * 0.8)), Image.LANCZOS)


def compact_folder(folder: Path, dry_run: bool = False) -> Compaction:
    """Re-encode card images of one checkpoint folder (in place) as WebP so that each is within ``IMAGE_MAX_BYTES``
    and all within ``IMAGES_BUDGET``, and point the card's links at the new files. Images within budget stay as they
    are (small PNGs stay lossless); a folder within budget is left untouched, so running it again changes nothing."""
    from PIL import Image

    folder = Path(folder)
    images = images_of(folder)
    result = Compaction(folder=folder, before=sum(p.stat().st_size for p in images))
    result.after = result.before
    if not needs_compaction(folder):
        return result
    encode, cap = _choose(images)
    keep = [p for p in images if p not in encode]
    encoded: dict[Path, bytes] = {}
    for path in encode:
        target = path.with_suffix(".webp")
        if target != path and target.exists():
            raise PublishError(f"{folder}: both {path.name} and {target.name} exist; remove one")
        with Image.open(path) as image:
            image.load()
            encoded[path] = _encode_webp(image, cap)
        result.renamed[path.relative_to(folder).as_posix()] = target.relative_to(folder).as_posix()
    result.after = sum(p.stat().st_size for p in keep) + sum(len(data) for data in encoded.values())
    if dry_run:
        return result
    for path, data in encoded.items():
        path.with_suffix(".webp").write_bytes(data)
    card = folder / "README.md"
    if card.is_file():
        text = card.read_text(encoding="utf-8")
        for old, new in result.renamed.items():
            text = re.sub(rf"(?<![\w/.-]){re.escape(old)}(?![\w.-])", new, text)
        card.write_text(text, encoding="utf-8")
    for path in encoded:
        if path.suffix.lower() != ".webp":
            path.unlink()
    return result


def stage_for_publish(source: Path, staging: Path) -> tuple[Path, Compaction]:
    """Copy the publishable files of ``source`` into ``staging`` and compact them there (``source`` is untouched)."""
    from zoo.hub import repo_files

    for rel in repo_files(source):
        (staging / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / rel, staging / rel)
    return staging, compact_folder(staging)


def _entries_by_repo() -> dict[str, registry.ModelEntry]:
    return {entry.repo_id: entry for entry in registry.catalog().values()}


def _select_folders(root: Path, names: list[str] | None) -> list[Path]:
    """The mirror's checkpoint folders, or those of the named models (catalog names or repo ids)."""
    folders = checkpoint_folders(root)
    if names:
        wanted = {registry.get_entry(n).repo_id if registry.get_entry(n) else n for n in names}
        folders = [f for f in folders if f.relative_to(root).as_posix() in wanted]
        missing = wanted - {f.relative_to(root).as_posix() for f in folders}
        if missing:
            raise PublishError(f"not in the mirror {root}: {', '.join(sorted(missing))}")
    return folders


def rewrite_folder(folder: Path, edit, suffix: str = ".compact"):
    """Apply ``edit(copy)`` to a copy of ``folder`` made next to it, then swap the copy in (the folder is never seen
    half-written; an error in ``edit`` leaves it as it was). Returns what ``edit`` returns."""
    staging = folder.with_name(folder.name + suffix)
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(folder, staging, copy_function=shutil.copy2)
    try:
        value = edit(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = folder.with_name(folder.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    folder.rename(old)
    staging.rename(folder)
    shutil.rmtree(old)
    return value


def _record_files(entry: registry.ModelEntry | None, folder: Path, old_files: str, log=print) -> None:
    """Write the new sha256 of a rewritten mirror folder into its catalog entry; a pinned revision (whose Hub commit
    still holds ``old_files``) becomes "main" until the new files are uploaded."""
    from zoo.hub import MANIFEST_FILE, file_hashes, write_manifest

    if (folder / MANIFEST_FILE).is_file():
        write_manifest(folder)  # halving rewrote weights and the golden output
    if entry is None or not entry.files:
        return
    fields = {"files": file_hashes(folder)}
    if entry.revision != "main":
        fields["revision"] = "main"
        log(f"{entry.name}: unpinned (revision {entry.revision[:12]} on the Hub holds {old_files}); "
            f"upload with: python -m zoo.publish {folder} --name {entry.name} --to hub")  # fmt: skip
    registry.update_entry(entry.name, **fields)


def compact_mirror(names: list[str] | None = None, dry_run: bool = False, log=print) -> list[Compaction]:
    """Compact every checkpoint of the mirror (or the named ones) and record the new files in the catalog.

    A catalog entry's mirror folder must match its recorded sha256 values before it is touched; afterwards the entry's
    ``files`` hold the new values (and a pinned revision becomes "main" until the compacted files are on the Hub)."""
    from zoo.hub import require_mirror, verify_files

    root = require_mirror()
    by_repo = _entries_by_repo()
    folders = _select_folders(root, names)
    results = []
    for folder in folders:
        repo_id = folder.relative_to(root).as_posix()
        entry = by_repo.get(repo_id)
        if not needs_compaction(folder):
            results.append(Compaction(folder=folder))
            continue
        if entry is not None and entry.files:
            verify_files(folder, entry.files, f"{entry.name} (mirror {folder})")
        if dry_run:
            result = compact_folder(folder, dry_run=True)
        else:
            result = rewrite_folder(folder, compact_folder)
            result.folder = folder
            _record_files(entry, folder, "the old images", log)
        log(f"{repo_id}: card images {result.before / KIB:.0f} KiB -> {result.after / KIB:.0f} KiB "
            f"({len(result.renamed)} re-encoded as WebP){' (dry run)' if dry_run else ''}")  # fmt: skip
        results.append(result)
    return results


# ------------------------------------------------------------------------------------------------ float16 weights
def half_mirror(
    names: list[str] | None = None,
    data_dir: str | None = None,
    limit: int | None = None,
    dry_run: bool = False,
    tolerance: dict[str, float] | None = None,
    log=print,
) -> list:
    """Store the weights of every checkpoint of the mirror (or the named ones) in float16 where the model's evaluation
    numbers stay within tolerance (``zoo.halving.halve_folder``), and record the new files in the catalog.

    A catalog entry's mirror folder must match its recorded sha256 values before it is evaluated; afterwards the
    entry's ``files`` hold the new values (a pinned revision becomes "main" until the float16 files are on the Hub).
    One line per checkpoint; a checkpoint whose protocol cannot run here (no test data) is reported and the others
    go on, then ``PublishError`` names the failures. Returns the ``Halving`` results."""
    from zoo.halving import halve_folder, has_float32_weights
    from zoo.hub import require_mirror, verify_files

    root = require_mirror()
    by_repo = _entries_by_repo()
    results, failed = [], []
    for folder in _select_folders(root, names):
        repo_id = folder.relative_to(root).as_posix()
        entry = by_repo.get(repo_id)
        name = entry.name if entry is not None else folder.name
        try:
            if entry is not None and entry.files and has_float32_weights(folder):
                verify_files(folder, entry.files, f"{entry.name} (mirror {folder})")
            result = halve_folder(folder, data_dir, limit, tolerance, dry_run, name=name,
                                  replace=lambda target, edit: rewrite_folder(target, edit, ".half"))  # fmt: skip
        except (ZooError, NotImplementedError) as error:
            failed.append(name)
            log(f"{repo_id}: not checked: {error}")
            continue
        if result.kept_fp16:
            _record_files(entry, folder, "the float32 weights", log)
        log(f"{repo_id}: {result.summary()}")
        results.append(result)
    if failed:
        raise PublishError(f"could not check {', '.join(failed)} (see above)")
    return results


# ------------------------------------------------------------------------------------------------ pull from the Hub
def pull(names: list[str] | None = None, *, endpoint: str | None = None, token: str | bool | None = None,
         cache_dir: str | Path | None = None, force: bool = False, log=print) -> list[str]:  # fmt: skip
    """Rebuild mirror folders from the Hub at each catalog model's pinned revision (sha256-checked). Returns the names
    written; folders that already match the catalog are left alone unless ``force``."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError

    from zoo.errors import CheckpointError, ModelNotFoundError
    from zoo.hub import PUBLISH_PATTERNS, hub_endpoint, publish_to_mirror, require_mirror, verify_files

    root = require_mirror()
    entries = [registry.get_entry(n) for n in names] if names else registry.list_models()
    unknown = [n for n, e in zip(names or [], entries, strict=False) if e is None]
    if unknown:
        raise ModelNotFoundError(f"not in the catalog: {', '.join(unknown)}")
    endpoint = endpoint or hub_endpoint()
    written, failed = [], []
    for entry in entries:
        if not entry.published:
            log(f"{entry.name}: not published; skipped")
            continue
        target = root / entry.repo_id
        if target.is_dir() and not force:
            try:
                verify_files(target, entry.files, entry.name)
                log(f"{entry.name}: mirror already matches the catalog")
                continue
            except CheckpointError:
                pass
        with tempfile.TemporaryDirectory(prefix="zoo-pull-") as tmp:
            try:
                folder = Path(snapshot_download(entry.repo_id, revision=entry.revision, endpoint=endpoint, token=token,
                                                cache_dir=cache_dir or Path(tmp) / "cache",
                                                allow_patterns=PUBLISH_PATTERNS))  # fmt: skip
                verify_files(folder, entry.files, f"{entry.name} ({entry.repo_id}@{entry.revision})")
            except (HfHubHTTPError, CheckpointError, OSError) as error:
                failed.append(entry.name)
                log(f"{entry.name}: {error}")
                continue
            publish_to_mirror(folder, entry.repo_id)
        written.append(entry.name)
        log(f"{entry.name}: pulled {entry.repo_id}@{entry.revision[:12]} into {target}")
    if failed:
        raise PublishError(f"could not pull {', '.join(failed)} (see above)")
    return written


# ------------------------------------------------------------------------------------------------ report
def check(log=print) -> bool:
    """Print each checkpoint's size and the totals against the budgets; True when everything is within."""
    from zoo.hub import require_mirror

    root = require_mirror()
    ok, total, same = True, 0, 0
    for folder in checkpoint_folders(root):
        sizes = size_breakdown(folder)
        size = sum(sizes.values())
        total += size
        same += size if folder.name in ISSUE_22_MODELS else 0
        problems = budget_problems(folder)
        ok &= not problems
        parts = ", ".join(f"{k} {v / MIB:.2f}" for k, v in sizes.items())
        over = f"  OVER: {'; '.join(problems)}" if problems else ""
        log(f"{folder.relative_to(root).as_posix():32} {size / MIB:6.2f} MiB ({parts}){over}")
    log(f"total {total / MIB:.1f} MiB (budget {MIRROR_BUDGET / MIB:.0f} MiB); the issue-22 models {same / MIB:.1f} MiB "
        f"(budget {SAME_MODELS_BUDGET / MIB:.0f} MiB, {ISSUE_22_BYTES / MIB:.1f} MiB before compaction)")  # fmt: skip
    return ok and total <= MIRROR_BUDGET and same <= SAME_MODELS_BUDGET


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zoo.mirror", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    compact = commands.add_parser("compact", help="re-encode card images within the budget (idempotent)")
    compact.add_argument("names", nargs="*", help="catalog names or repo ids (default: every mirrored checkpoint)")
    compact.add_argument("--dry-run", action="store_true", help="print what would change; write nothing")
    commands.add_parser("check", help="sizes against the budgets (exit 1 when over)")
    pull_parser = commands.add_parser("pull", help="rebuild the mirror from the Hub at the pinned revisions")
    pull_parser.add_argument("names", nargs="*", help="catalog names (default: every published model)")
    pull_parser.add_argument("--endpoint", help="Hub endpoint (default: $HF_ENDPOINT or huggingface.co)")
    pull_parser.add_argument("--force", action="store_true", help="download even folders that match the catalog")
    half = commands.add_parser("half", help="float16 weights where the model's numbers stay within tolerance")
    half.add_argument("names", nargs="*", help="catalog names or repo ids (default: every float32 checkpoint)")
    half.add_argument("--data-dir", help="data root (default: $ZOO_DATA_DIR or ../shared/data)")
    half.add_argument("--limit", type=int, help="evaluate on at most N test items (a weaker check)")
    half.add_argument("--dry-run", action="store_true", help="evaluate and compare; write nothing")
    args = parser.parse_args(argv)
    try:
        if args.command == "compact":
            compact_mirror(args.names, dry_run=args.dry_run)
            return 0
        if args.command == "check":
            return 0 if check() else 1
        if args.command == "half":
            half_mirror(args.names, data_dir=args.data_dir, limit=args.limit, dry_run=args.dry_run)
            return 0
        pull(args.names, endpoint=args.endpoint, force=args.force)
        return 0
    except ZooError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
