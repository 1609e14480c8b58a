"""Median (and longest) length of the behave step functions, in lines of body.

    python scripts/step_lengths.py [healthcare_data/behave/steps]

A step's length is its body without the docstring: the lines from the first statement
to the last, as ``ast`` sees them. Exits 1 when a step is longer than ``LIMIT`` lines
(the developers' guide: one to five lines; logic belongs in the library).
"""

from __future__ import annotations

import ast
import statistics
import sys
from pathlib import Path

STEP_DECORATORS = {"given", "when", "then", "step"}
LIMIT = 5


def step_lengths(folder: Path) -> dict[str, int]:
    """Function name -> body lines, for every function decorated as a behave step."""
    found: dict[str, int] = {}
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            names = {getattr(d.func, "id", None) for d in node.decorator_list if isinstance(d, ast.Call)}
            if not names & STEP_DECORATORS:
                continue
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]
            lines = (body[-1].end_lineno or body[-1].lineno) - body[0].lineno + 1 if body else 0
            found[f"{path.name}:{node.name}"] = lines
    return found


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else Path("healthcare_data/behave/steps")
    lengths = step_lengths(folder)
    longest = sorted(lengths.items(), key=lambda item: -item[1])[:5]
    print(f"{len(lengths)} steps, median {statistics.median(lengths.values())} lines, "
          f"max {max(lengths.values())}, longest: {', '.join(f'{name} {n}' for name, n in longest)}")
    too_long = [f"{name} {n}" for name, n in lengths.items() if n > LIMIT]
    if too_long:
        print(f"steps longer than {LIMIT} lines: {', '.join(too_long)}", file=sys.stderr)
    return 1 if too_long else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
