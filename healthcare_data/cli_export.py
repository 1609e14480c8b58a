"""The ``export`` command's format options and the ``deidentify`` command.

Kept beside :mod:`healthcare_data.cli` so that module only registers them; heavy modules
are imported inside the handlers.

The library is imported inside each command, not at the top: ``healthcare-data --help``
and a usage error must not load SQLAlchemy, Faker or the validators (tests/test_startup.py).
"""

from __future__ import annotations

import argparse
from typing import IO, Any

# Listed here for --help without importing the export package; a test checks it against
# healthcare_data.export.writers.FORMATS, which is what validates --format.
FORMAT_HELP = "json, yaml, csv, ndjson, parquet, sql, django, rails, prisma, fhir, fhir-bundle"


def add_export_options(export: argparse.ArgumentParser) -> None:
    export.add_argument("--dialect", default="sqlite", help="sql format: sqlite, postgresql or mysql")
    export.add_argument(
        "--timezone",
        default="UTC",
        metavar="ZONE",
        help="fhir formats: the zone of stored timestamps (IANA name)",
    )


def export_progress(args: argparse.Namespace, err: IO[str]) -> Any:
    """Rows-so-far lines on stderr when it is a terminal (and not --quiet)."""
    from healthcare_data.cli import ProgressBars

    return ProgressBars({}, err, not args.quiet and err.isatty())


def add_deidentify(commands: Any) -> None:
    parser = commands.add_parser(
        "deidentify", help="copy a database or export to a HIPAA Safe Harbor de-identified one"
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--database-url", metavar="URL", help="the identified database to read")
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
