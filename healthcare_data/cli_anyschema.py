"""``introspect``, ``generate`` and ``interactive`` (``i``): fill a database of any schema.

Thin commands over :mod:`healthcare_data.anyschema`; errors reach the one boundary in
:func:`healthcare_data.cli.main` (one line, exit 2 for a bad request, 1 for a failed write).

The library is imported inside each command, not at the top: ``healthcare-data --help``
and a usage error must not load SQLAlchemy, Faker or the validators (tests/test_startup.py).
"""

from __future__ import annotations

import argparse
import sys
from typing import IO, Any


def _progress(totals: dict[str, int], err: IO[str], quiet: bool) -> Any:
    from healthcare_data.cli import ProgressBars

    return ProgressBars(totals, err, not quiet and err.isatty())


def _today(value: str | None) -> Any:
    from healthcare_data.cli import _today as parse

    return parse(value)


def cmd_introspect(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from healthcare_data import anyschema, settings

    if args.rows is not None and args.rows < 0:
        from healthcare_data.errors import ConfigurationError

        raise ConfigurationError(f"--rows {args.rows} must be >= 0")
    tables = [t.strip() for t in args.tables.split(",") if t.strip()] if args.tables else None
    plan = anyschema.introspect(
        settings.database_url(args.database_url), rows=100 if args.rows is None else args.rows, tables=tables
    )
    text = anyschema.dumps(plan)
    if args.output in (None, "-"):
        out.write(text)
        return 0
    anyschema.save(plan, args.output)
    notes = sum(1 for t in plan.tables.values() for c in t.columns.values() if c.note)
    print(
        f"Plan for {len(plan.tables)} tables written to {args.output} "
        f"(insert order: {', '.join(plan.order)}; "
        f"{len(plan.cycles)} cycle(s) broken; {notes} column note(s))",
        file=out,
    )
    return 0


def run_generate(
    out: IO[str],
    err: IO[str],
    *,
    source: Any,
    database_url: str | None,
    rows: int | None,
    output: str | None,
    fmt: str | None,
    seed: int | None,
    batch_size: int | None,
    method: str | None,
    quiet: bool,
    today: Any = None,
    reset: bool = False,
    append: bool = False,
) -> int:
    """Generate from ``source`` (a URL, a plan file or a Plan) and print the summary."""
    from healthcare_data import anyschema, settings
    from healthcare_data.cli import _table

    plan = source if isinstance(source, anyschema.Plan) else None
    if plan is None:
        plan = anyschema.load(source) if source else anyschema.introspect(settings.database_url(database_url))
    totals = {name: rows if rows is not None else t.rows for name, t in plan.tables.items()}
    bars = _progress(totals, err, quiet)
    try:
        result = anyschema.generate(
            plan,
            rows,
            database_url=None if output else settings.database_url(database_url),
            output=output,
            format=fmt,
            seed=seed,
            batch_size=settings.qa_settings().batch_size if batch_size is None else batch_size,
            method=method or "auto",
            today=today,
            progress=bars,
            reset=reset,
            append=append,
        )
    finally:
        bars.close()
    _table(
        [{"table": t, "rows": n, "updated": result.updated.get(t, "")} for t, n in result.rows.items()], out
    )
    where = ", ".join(str(f) for f in result.files[:3]) or result.target
    print(
        f"\n{result.total_rows} rows into {where} in {result.seconds:.2f} s "
        f"({result.rows_per_second:,.0f} rows/s; "
        f"transaction per {result.transaction}{'' if output else f', {result.mode}'}; "
        f"peak RSS {result.peak_rss_mb:.0f} MB)",
        file=out,
    )
    for note in result.notes:
        print(f"note: {note}", file=out)
    return 0


def cmd_generate(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    return run_generate(
        out,
        err,
        source=args.schema,
        database_url=args.database_url,
        rows=args.rows,
        output=args.output,
        fmt=args.format,
        seed=args.seed,
        batch_size=args.batch_size,
        method=args.method,
        quiet=args.quiet,
        today=_today(args.today),
        reset=args.reset,
        append=args.append,
    )


def cmd_interactive(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from healthcare_data.anyschema.interactive import run

    return run(sys.stdin, out, err)


def register(commands: Any) -> None:
    """Add the any-schema commands to the ``healthcare-data`` parser."""
    from healthcare_data.anyschema_options import FORMATS, METHODS
    from healthcare_data.cli import _add_common
    from healthcare_data.cli_options import add_database

    introspect = commands.add_parser(
        "introspect", help="read any database's schema into an editable plan (YAML)"
    )
    add_database(introspect)
    introspect.add_argument(
        "--output", "-o", metavar="PLAN.yaml", help="write the plan here (default: stdout)"
    )
    introspect.add_argument("--rows", type=int, metavar="N", help="rows per table in the plan (default 100)")
    introspect.add_argument("--tables", metavar="T1,T2", help="only these tables")
    introspect.set_defaults(handler=cmd_introspect)

    generate = commands.add_parser(
        "generate", help="fill any database's own tables (or files) with related rows"
    )
    add_database(generate)
    generate.add_argument(
        "--schema", metavar="PLAN.yaml", help="a plan from introspect (default: introspect now)"
    )
    generate.add_argument(
        "--rows", type=int, metavar="N", help="rows for every table (default: the plan's counts)"
    )
    generate.add_argument("--output", "-o", metavar="FILE|DIR", help="write files instead of the database")
    generate.add_argument("--format", "-f", choices=FORMATS, help="file format with --output")
    generate.add_argument(
        "--seed", type=int, help="random seed; the same seed gives the same rows (default: plan's)"
    )
    generate.add_argument(
        "--batch-size", type=int, metavar="N", help="rows per batch (default $QA_BATCH_SIZE or 1000)"
    )
    generate.add_argument(
        "--method", choices=METHODS, help="writer: auto (COPY on PostgreSQL), executemany, copy"
    )
    generate.add_argument("--today", metavar="YYYY-MM-DD", help="the date relative dates count from")
    existing = generate.add_mutually_exclusive_group()
    existing.add_argument(
        "--reset", action="store_true", help="empty the plan's tables first (same transaction as the fill)"
    )
    existing.add_argument(
        "--append", action="store_true", help="add to the rows already there (keys continue after them)"
    )
    generate.set_defaults(handler=cmd_generate)

    interactive = commands.add_parser("interactive", aliases=["i"], help="a guided walk through generate")
    interactive.set_defaults(handler=cmd_interactive)
    for parser in (introspect, generate, interactive):  # once each: "i" is an alias, not a second parser
        _add_common(parser)
