"""``healthcare-data interactive``: a guided walk through introspect and generate.

Asks for the source (a database URL or a plan file), the tables, the row count, the
output (the database itself or files) and the seed; shows the plan and asks before
writing anything. A wrong answer is explained and asked again; end of input cancels.
"""

from __future__ import annotations

from typing import IO, Any

from healthcare_data import anyschema
from healthcare_data.anyschema import plan_summary
from healthcare_data.cli import _table
from healthcare_data.cli_anyschema import run_generate
from healthcare_data.errors import HealthcareDataError


class Cancelled(Exception):
    """The person ended the input (Ctrl-D) or said no."""


class Prompter:
    """Reads answers line by line; re-asks until ``parse`` accepts one."""

    def __init__(self, stdin: IO[str], out: IO[str]) -> None:
        self.stdin, self.out = stdin, out

    def ask(self, question: str, default: str | None = None, parse: Any = str) -> Any:
        while True:
            suffix = f" [{default}]" if default is not None else ""
            self.out.write(f"{question}{suffix}: ")
            self.out.flush()
            line = self.stdin.readline()
            if not line:
                raise Cancelled
            answer = line.strip() or (default or "")
            try:
                return parse(answer)
            except (ValueError, HealthcareDataError) as exc:
                self.out.write(f"  ! {' '.join(str(exc).split())}\n")


def _rows(answer: str) -> int:
    value = int(answer)
    if value < 0:
        raise ValueError(f"{value} rows: use a whole number >= 0")
    return value


def _yes(answer: str) -> bool:
    if answer.lower() in ("y", "yes"):
        return True
    if answer.lower() in ("n", "no", ""):
        return False
    raise ValueError(f"{answer!r}: answer y or n")


def run(stdin: IO[str], out: IO[str], err: IO[str]) -> int:
    """The dialogue; returns the exit code (0 done or cancelled, 1 a failed write)."""
    ask = Prompter(stdin, out).ask
    try:
        out.write("healthcare-data interactive: fill a database from its own schema\n")

        def source(answer: str) -> tuple[Any, str | None]:
            if not answer:
                raise ValueError("type a database URL (sqlite:///file.db, postgresql://...) or a plan file")
            if "://" in answer:
                return anyschema.introspect(answer), answer
            return anyschema.load(answer), None

        plan, url = ask("Source: database URL or plan file", None, source)
        out.write(f"Tables (insert order): {', '.join(plan.order)}\n")

        def tables(answer: str) -> list[str]:
            if answer in ("", "all"):
                return list(plan.order)
            chosen = [t.strip() for t in answer.split(",") if t.strip()]
            for name in chosen:
                plan.table(name)
            return chosen

        chosen = ask("Tables to fill (comma-separated, or all)", "all", tables)
        _keep_with_parents(plan, chosen, out)
        rows = ask("Rows per table", "100", _rows)
        default_output = "database" if url else "out"

        def output(answer: str) -> str:
            return answer

        target = ask("Output: 'database' or a directory/file path", default_output, output)
        fmt = None
        if target != "database":

            def file_format(answer: str) -> str:
                if answer not in anyschema.FORMATS:
                    raise ValueError(f"{answer!r}: choose one of {', '.join(anyschema.FORMATS)}")
                return answer

            fmt = ask("Format (jsonl, csv, sql)", "jsonl", file_format)
        elif url is None:
            url = ask("Database URL to fill", None, lambda a: a if "://" in a else _bad_url(a))
        seed = ask("Seed", str(plan.seed), int)
        for table in plan.tables.values():
            table.rows = rows
        out.write("\nPlan preview:\n")
        _table(plan_summary(plan), out)
        for cycle in plan.cycles:
            out.write(f"cycle {' <-> '.join(cycle['tables'])}: {cycle['broken_by']} ({cycle['strategy']})\n")
        where = url if target == "database" else f"{target} ({fmt})"
        if not ask(f"Write {rows} rows per table to {where}? (y/n)", "n", _yes):
            out.write("Cancelled: nothing written.\n")
            return 0
        return run_generate(
            out,
            err,
            source=plan,
            database_url=url,
            rows=None,
            output=None if target == "database" else target,
            fmt=fmt,
            seed=seed,
            batch_size=None,
            method=None,
            quiet=True,
        )
    except Cancelled:
        out.write("\nCancelled: nothing written.\n")
        return 0


def _bad_url(answer: str) -> str:
    raise ValueError(f"{answer!r} is not a database URL (e.g. sqlite:///file.db)")


def _keep_with_parents(plan: Any, chosen: list[str], out: IO[str]) -> None:
    """Keep the chosen tables plus every table they reference (they need parents)."""
    keep: set[str] = set()
    stack = list(chosen)
    while stack:
        name = stack.pop()
        if name in keep:
            continue
        keep.add(name)
        stack.extend(fk.ref_table for fk in plan.tables[name].foreign_keys)
    added = sorted(keep - set(chosen))
    if added:
        out.write(f"Also filling {', '.join(added)} (referenced by the chosen tables)\n")
    for name in list(plan.tables):
        if name not in keep:
            del plan.tables[name]
    plan.order = [t for t in plan.order if t in keep]
