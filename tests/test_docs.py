"""The project's own documentation: every catalog name and task is in docs/CATALOG.md, the README links every file of
docs/, and every document that code, cards or reports cite exists in the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from zoo import registry

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CATALOG_PAGE = "CATALOG" + ".md"  # spelled so that the citation check below does not read it as one
MADE_BY_TESTS = {"NOTES.md"}  # files a test writes into a temporary repo, not documents


def test_catalog_page_names_every_checkpoint_and_task():
    text = (DOCS / CATALOG_PAGE).read_text(encoding="utf-8")
    missing = [name for name in registry.catalog() if f"`{name}`" not in text]
    assert not missing, f"the catalog page lacks {missing}"
    tasks = [task for task in registry.TASKS if f"| `{task}` |" not in text]
    assert not tasks, f"the catalog page has no contract row for {tasks}"


def test_readme_links_every_doc():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for doc in sorted(DOCS.glob("*.md")):
        assert f"(docs/{doc.name})" in readme, f"README.md does not link docs/{doc.name}"


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False).stdout
    if not listed:  # not a git checkout (an sdist): every file under the root
        return [p for p in ROOT.rglob("*") if p.is_file() and ".venv" not in p.parts]
    return [ROOT / line for line in listed.splitlines() if line.endswith((".py", ".md", ".json", ".toml", ".sh"))]


def test_every_cited_document_exists():
    """A citation of an upper-case Markdown document (``docs/EVALUATION.md``, ``RELIABILITY.md``, ...) points at a
    file of the repository, relative to the root or to the citing file."""
    cited = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[A-Z][A-Z_]+\.md)\b")
    problems = []
    for path in tracked_text_files():
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in cited.finditer(text):
            target = match.group(1)
            if target.startswith("../shared/") or target in MADE_BY_TESTS:
                continue
            if not ((ROOT / target).is_file() or (path.parent / target).is_file()):
                problems.append(f"{path.relative_to(ROOT)} cites {target}")
    assert not problems, "\n".join(sorted(set(problems))[:40])
