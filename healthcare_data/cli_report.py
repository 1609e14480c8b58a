"""``healthcare-data report``: the data-quality HTML page of a database or a generation run.

The library is imported inside each command, not at the top: ``healthcare-data --help``
and a usage error must not load SQLAlchemy, Faker or the validators (tests/test_startup.py).
"""

from __future__ import annotations

import argparse
from typing import IO

from healthcare_data import cli_options as options
from healthcare_data.cli import EXIT_OK, UsageError, _today


def add_report_command(commands: argparse._SubParsersAction) -> None:
    """Register ``report`` on the main parser's subcommands."""
    report = commands.add_parser(
        "report", help="a self-contained HTML data-quality report with pictures (needs [report])"
    )
    report.add_argument(
        "--output", "-o", required=True, metavar="PATH", help="HTML file to write ('-': stdout)"
    )
    source = report.add_mutually_exclusive_group()
    options.add_database(source)
    options.add_profile(source, "report on a fresh generation run of this profile", short=False)
    options.add_generation_run(report)
    report.add_argument("--today", metavar="YYYY-MM-DD", help="the date ages and visits count from")
    report.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from healthcare_data import connections
    from healthcare_data.cli_output import open_output
    from healthcare_data.report import profile_report_html, report_html

    if args.profile is None and (args.seed is not None or args.tenants is not None):
        raise UsageError("--seed/--tenants need --profile (they shape a generation run, not a database)")
    _require_matplotlib()
    today = _today(args.today)
    if args.profile is not None:
        page = profile_report_html(args.profile, seed=args.seed, tenants=args.tenants, today=today)
    else:
        db = connections.connect(args.database_url, command="report")
        try:
            page = report_html(db, today=today)
        finally:
            db.dispose()
    with open_output(args.output, out) as target:
        target.write(page)
    if args.output != "-":
        print(f"Report written to {args.output} ({len(page) // 1024} KiB)", file=out)
    return EXIT_OK


def _require_matplotlib() -> None:
    """Fail before any work when the plotting extra is missing (exit 2, one line)."""
    from healthcare_data.errors import ConfigurationError

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ConfigurationError(
            "the report needs matplotlib: pip install 'healthcare-data[report]'"
        ) from None
