"""The ``export`` and ``deidentify`` commands.

Kept beside :mod:`healthcare_data.cli` so that module only registers them; heavy modules
are imported inside the handlers.

``export --profile`` writes one of two layouts. By default one writer in this process
streams the run to the format's usual files (as from a database). With ``--parts``,
``--workers N`` or ``--dask-scheduler`` (any of them) it writes NDJSON or Parquet part
files, ``<table>/part-NNNNN.<ext>``, each by the worker that generated it
(:func:`healthcare_data.export.run.export_parts`); ``--workers`` defaults to
``QA_PARALLEL_WORKERS``, else the CPUs, as for ``seed``. The environment alone never
switches the layout, so existing scripts keep today's files.

The library is imported inside each command, not at the top: ``healthcare-data --help``
and a usage error must not load SQLAlchemy, Faker or the validators (tests/test_startup.py).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from healthcare_data import cli_options as options

# Listed here for --help without importing the export package; a test checks it against
# healthcare_data.export.writers.FORMATS, which is what validates --format.
FORMAT_HELP = "json, yaml, csv, ndjson, parquet, sql, django, rails, prisma, fhir, fhir-bundle"


# Listed here for the same reason; a test checks it against healthcare_data.parts.PART_FORMATS.
PART_FORMATS = ("ndjson", "parquet")
#: Any of these asks for part files (in this order, the one an error names).
PARTS_FLAGS = ("--parts", "--workers", "--dask-scheduler")
#: Printed by cli.main when an export is interrupted (instead of the database's line).
INTERRUPTED = "interrupted; nothing was exported (the unfinished output was removed)"
#: Seconds an interrupted export gets to remove its unfinished output before cli.main's
#: watchdog exits anyway: part-file workers ignore Ctrl-C and finish the part in hand
#: (a task of shards.TASK_ROWS rows, about a second here) before the pool can close and
#: the staging directory be deleted. 0.8 s (the database commands') left it behind under load.
INTERRUPT_GRACE = 10.0


def add_export(commands: Any) -> None:
    """Register ``export`` on the main parser's subcommands."""
    export = commands.add_parser("export", help="export a database or a generation run to files")
    export.add_argument("--format", "-f", required=True, help=FORMAT_HELP)
    export.add_argument(
        "--output", "-o", required=True, metavar="PATH",
        help="file, or directory for csv/--per-table; '-' writes json/yaml/ndjson to stdout"
    )
    source = export.add_mutually_exclusive_group()
    options.add_database(source, "export this database (default: $DATABASE_URL / SQLite file)")
    options.add_profile(source, "export a fresh generation run of this profile")
    options.add_generation_run(export)
    export.add_argument(
        "--per-table",
        action="store_true",
        help="a file per table (csv and parquet always; ndjson unless -o ends in .ndjson)",
    )
    export.add_argument("--tables", metavar="T1,T2", help="only these tables")
    export.add_argument(
        "--fields",
        action="append",
        metavar="TABLE=COL1,COL2",
        help="only these columns of TABLE (PHI guard applies); repeatable",
    )
    export.add_argument("--today", metavar="YYYY-MM-DD", help="the date a generation run counts from")
    options.add_population(export)
    export.add_argument("--dialect", default="sqlite", help="sql format: sqlite, postgresql or mysql")
    export.add_argument(
        "--timezone",
        default="UTC",
        metavar="ZONE",
        help="fhir formats: the zone of stored timestamps (IANA name)",
    )
    parts = export.add_argument_group(
        "part files (with --profile; ndjson or parquet)",
        "Any of these writes DIR/<table>/part-NNNNN.<ext>, each part by the worker that generated "
        "it; the files are the same for any number of workers.",
    )
    parts.add_argument("--parts", action="store_true", help="write part files (implied by the two below)")
    options.add_parallel(
        parts, "worker processes writing parts (default $QA_PARALLEL_WORKERS, else the CPUs)"
    )
    export.set_defaults(handler=cmd_export, interrupted=INTERRUPTED, interrupt_grace=INTERRUPT_GRACE)


def export_progress(args: argparse.Namespace, err: IO[str]) -> Any:
    """Rows-so-far lines on stderr when it is a terminal (and not --quiet)."""
    from healthcare_data.cli import ProgressBars

    return ProgressBars({}, err, not args.quiet and err.isatty())


def _parse_fields(values: Sequence[str] | None) -> dict[str, list[str]] | None:
    if not values:
        return None
    from healthcare_data.errors import ConfigurationError

    fields: dict[str, list[str]] = {}
    for value in values:
        table, sep, columns = value.partition("=")
        names = [c.strip() for c in columns.split(",") if c.strip()]
        if not sep or not table.strip() or not names:
            raise ConfigurationError(f"--fields {value!r} must look like table=col1,col2")
        fields.setdefault(table.strip(), []).extend(names)
    return fields


def parts_flag(args: argparse.Namespace) -> str | None:
    """The first of ``--parts``/``--workers``/``--dask-scheduler`` given, if any."""
    for flag in PARTS_FLAGS:
        value = getattr(args, flag.lstrip("-").replace("-", "_"))
        if value is not None and value is not False:
            return flag
    return None


def check_parts(args: argparse.Namespace, flag: str) -> None:
    """Refuse what part files cannot be, before any work: one line naming the value."""
    from healthcare_data.cli import UsageError

    if args.profile is None:
        source = f"--database-url {args.database_url}" if args.database_url else "a database export"
        raise UsageError(
            f"{flag} needs --profile: part files are written by generation workers; "
            f"{source} is read by one writer (drop {flag})"
        )
    if args.format not in PART_FORMATS:
        raise UsageError(
            f"{flag} writes part files as {' or '.join(PART_FORMATS)}, not --format {args.format}"
        )
    if args.output == "-":
        raise UsageError(f"{flag} writes part files into a directory; give -o DIR, not '-'")
    for option, value in (("--tables", args.tables), ("--fields", args.fields)):
        if value:
            raise UsageError(f"{option} does not apply to part files ({flag}): they hold whole tables")


def cmd_export(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from healthcare_data.cli import EXIT_OK, _table

    flag = parts_flag(args)
    if flag is not None:
        check_parts(args, flag)
    options.require_profile(
        args, ("--seed", "--tenants", "--today", *options.POPULATION_FLAGS), "a database export"
    )
    tables = [t.strip() for t in args.tables.split(",") if t.strip()] if args.tables else None
    if args.output == "-":
        return _export_to_stdout(args, tables, out, err)
    bars = export_progress(args, err)
    try:
        if flag is not None:
            result, how = _export_parts(args, _all_tables(bars))
        else:
            result, how = _export(args, tables, bars), ""
    finally:
        bars.close()
    _table([{"table": t, "rows": n} for t, n in (result.resources or result.rows).items()], out)
    listed = ", ".join(str(f) for f in result.files[:3]) + (" ..." if len(result.files) > 3 else "")
    files = f" ({listed})" if listed else ""
    what = f"{sum(result.resources.values())} resources from" if result.resources else "Exported"
    print(
        f"\n{what} {result.total_rows} rows of {len(result.rows)} tables as {result.format}{how} "
        f"to {result.path}{files} in {result.seconds:.2f} s",
        file=out,
    )
    return EXIT_OK


def _all_tables(bars: Callable[[str, int, int], None]) -> Callable[[str, int, int], None]:
    """Part files arrive table after table, part after part: one line of rows so far."""
    written = 0

    def progress(table: str, rows: int, so_far: int) -> None:
        nonlocal written
        written += rows
        bars("all tables", rows, written)

    return progress


def _export_parts(args: argparse.Namespace, progress: Any) -> tuple[Any, str]:
    from healthcare_data import seeding, settings
    from healthcare_data.cli import _profile_with_population, _today
    from healthcare_data.export.run import export_parts

    workers = None if args.dask_scheduler else seeding.resolve_workers(args.workers, settings.qa_settings())
    result = export_parts(
        args.output,
        args.format,
        profile=_profile_with_population(args),
        seed=args.seed,
        tenants=args.tenants,
        today=_today(args.today),
        workers=workers,
        dask_scheduler=args.dask_scheduler,
        progress=progress,
    )
    files = len(result.files)
    if args.dask_scheduler:
        return result, f" part files ({files} files, on the Dask cluster {args.dask_scheduler})"
    return result, f" part files ({files} files, up to {workers} worker processes)"


def _export(args: argparse.Namespace, tables: list[str] | None, progress: Any) -> Any:
    from healthcare_data import seeding
    from healthcare_data.cli import _profile_with_population, _today

    return seeding.export(
        args.output,
        args.format,
        url=args.database_url,
        profile=_profile_with_population(args) if args.profile else None,
        seed=args.seed,
        tenants=args.tenants,
        per_table=args.per_table or None,
        tables=tables,
        fields=_parse_fields(args.fields),
        today=_today(args.today),
        dialect=args.dialect,
        timezone=args.timezone,
        progress=progress,
    )


def _export_to_stdout(args: argparse.Namespace, tables: list[str] | None, out: IO[str], err: IO[str]) -> int:
    """``-o -``: the document on stdout, the summary on stderr (a pipe gets only data)."""
    import tempfile

    from healthcare_data import seeding
    from healthcare_data.cli import EXIT_OK, UsageError, _profile_with_population, _today

    if args.format == "csv" or args.per_table:
        raise UsageError("-o - writes one document: use --format json, yaml or ndjson without --per-table")
    with tempfile.TemporaryDirectory(prefix="hd-export-") as folder:
        target = Path(folder) / f"export.{args.format}"
        result = seeding.export(
            target,
            args.format,
            url=args.database_url,
            profile=_profile_with_population(args) if args.profile else None,
            seed=args.seed,
            tenants=args.tenants,
            tables=tables,
            fields=_parse_fields(args.fields),
            today=_today(args.today),
        )
        with target.open(encoding="utf-8") as handle:
            for chunk in iter(lambda: handle.read(1 << 16), ""):
                out.write(chunk)
    out.flush()
    print(f"Exported {result.total_rows} rows of {len(result.rows)} tables as {result.format} to stdout",
          file=err)
    return EXIT_OK


def add_deidentify(commands: Any) -> None:
    parser = commands.add_parser(
        "deidentify", help="copy a database or export to a HIPAA Safe Harbor de-identified one"
    )
    source = parser.add_mutually_exclusive_group(required=True)
    options.add_database(source, "the identified database to read")
    source.add_argument("--input", metavar="PATH", help="an export (json, yaml, csv, ndjson) to read")
    parser.add_argument(
        "--output-url", metavar="URL", help="write the de-identified rows into this (empty) database"
    )
    parser.add_argument("--output", "-o", metavar="PATH", help="or export them to PATH")
    parser.add_argument("--format", "-f", default="json", help=f"format of --output ({FORMAT_HELP})")
    parser.add_argument("--report", metavar="PATH", help="write the per-column report as JSON to PATH")
    parser.add_argument("--today", metavar="YYYY-MM-DD", help="reference date of the 90-or-older rule")
    parser.add_argument(
        "--seed", type=int, help="fix the secret re-keying (tests only: it allows linking back)"
    )
    parser.set_defaults(handler=cmd_deidentify)


def cmd_deidentify(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from healthcare_data.cli import EXIT_OK, UsageError, _table, _today
    from healthcare_data.deidentify import deidentify

    if (args.output_url is None) == (args.output is None):
        raise UsageError("give exactly one of --output-url URL or --output PATH")
    report = deidentify(
        url=args.database_url,
        input_path=args.input,
        output_url=args.output_url,
        output_path=args.output,
        format=args.format,
        today=_today(args.today),
        seed=args.seed,
    )
    _table(report.rows(), out)
    if args.report:
        report.write_json(args.report)
    print(
        f"\nDe-identified {report.total_rows} rows under HIPAA Safe Harbor (45 CFR 164.514(b)(2)) "
        f"to {args.output_url or args.output}",
        file=out,
    )
    return EXIT_OK
