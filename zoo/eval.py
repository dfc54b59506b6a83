"""Evaluate a checkpoint by its task's fixed protocol (docs/EVALUATION.md) and print the card's table:

    python -m zoo.eval vae-mnist                 # a published checkpoint (mirror, cache or Hub)
    python -m zoo.eval outputs/x/final --limit 200

The protocols live in ``zoo.protocols``; training runs call the same functions for their cards.
"""

from __future__ import annotations

import argparse
import sys

from zoo.cards import eval_table
from zoo.protocols import evaluate

__all__ = ["evaluate", "main"]


def main(argv: list[str] | None = None) -> int:
    import zoo

    parser = argparse.ArgumentParser(prog="python -m zoo.eval", description="Evaluate a checkpoint by its protocol.")
    parser.add_argument("model", help="catalog name, Hub repo id or checkpoint folder")
    parser.add_argument("--data-dir", help="data root (default: $ZOO_DATA_DIR or ../shared/data)")
    parser.add_argument("--limit", type=int, help="evaluate on at most N test items")
    args = parser.parse_args(argv)
    try:
        pipe = zoo.load(args.model)
        records, notes, _ = evaluate(pipe, args.data_dir, args.limit)
    except zoo.ZooError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(eval_table(records))
    print()
    print(notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
