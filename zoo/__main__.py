"""``python -m zoo <command> ...`` (or the ``zoo`` console script): the maintainer tools that ship with the package.

    python -m zoo list [TASK]                          # the published catalog
    python -m zoo publish FOLDER --name NAME --to hub   # = python -m zoo.publish / zoo-publish
    python -m zoo eval NAME                             # = python -m zoo.eval / zoo-eval
    python -m zoo mirror compact|pull|check             # = python -m zoo.mirror / zoo-mirror
    python -m zoo space deploy --space-id ORG/NAME      # = python -m zoo.space / zoo-space

Training (``python -m train.<family>``) and the reports that need the whole repository (``python -m tools.bench``,
``python -m tools.reliability``) run from a checkout; they are not part of the package.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "publish": "zoo.publish",
    "eval": "zoo.eval",
    "mirror": "zoo.mirror",
    "space": "zoo.space",
}


def _list(argv: list[str]) -> int:
    from zoo.registry import list_models

    for entry in list_models(argv[0] if argv else None):
        print(f"{entry.name:22} {entry.task:17} {entry.repo_id}@{entry.revision[:12]}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "list":
        return _list(rest)
    if command not in COMMANDS:
        print(f"error: unknown command {command!r}; choose one of list, {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    return importlib.import_module(COMMANDS[command]).main(rest)


if __name__ == "__main__":
    sys.exit(main())
