"""``healthcare-data workflows``: workflow YAML files of patient journeys.

From a seeded database (``--database-url``) or a fresh generation run (``--records N``,
allocated over the entities by the journeys' cardinalities, or ``--profile NAME`` for
its patient count, months and persona mix). Writes the files of
:mod:`healthcare_data.journeys.workflows`, prints the summary report, and exits 0 when
every validation passed, 1 when one failed, 2 on a bad request (cli.main's boundary).

The library is imported inside each command, not at the top: ``healthcare-data --help``
and a usage error must not load SQLAlchemy, Faker or the validators (tests/test_startup.py).
"""

from __future__ import annotations

import argparse
from typing import IO, Any


def add_parser(commands: Any) -> None:
    """Register the ``workflows`` command on ``cli.build_parser``'s subparsers."""
    from healthcare_data import cli_options as options

    parser = commands.add_parser("workflows", help="write workflow YAML files of patient journeys")
    parser.add_argument("--output", "-o", required=True, metavar="DIR", help="new or empty directory")
    source = parser.add_mutually_exclusive_group()
    options.add_database(source, "read the journeys of this seeded database")
    source.add_argument("--records", type=int, metavar="N", help="generate about N records (default 500)")
    options.add_profile(source, "generate as many patients as this profile")
    parser.add_argument("--seed", "-s", type=int, help="seed of the generation run (default $QA_SEED / 42)")
    parser.add_argument("--today", metavar="YYYY-MM-DD", help="the date journeys are generated up to")
    parser.add_argument(
        "--journeys", metavar="FILE", help="journey definitions (.toml/.yaml; default: built-in)"
    )
    parser.set_defaults(handler=cmd_workflows)


def cmd_workflows(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from datetime import date

    from healthcare_data.cli import EXIT_FAILED, EXIT_OK, _today
    from healthcare_data.connections import require_schema
    from healthcare_data.db import open_database
    from healthcare_data.journeys import JourneySpec, allocate, load_definitions
    from healthcare_data.journeys.generate import journey_tables
    from healthcare_data.journeys.workflows import read_tables, write_workflows
    from healthcare_data.seeding import resolve_rng
    from healthcare_data.settings import qa_settings

    definitions = load_definitions(args.journeys)
    today = _today(args.today)
    if args.database_url:
        db = open_database(args.database_url)
        try:
            require_schema(db)
            tables, source = read_tables(db), db.url
        finally:
            db.dispose()
        when = today or date.today()
    else:
        rng = resolve_rng(args.seed, today, qa_settings())
        if args.profile:
            from healthcare_data.profiles import resolve_profile

            profile = resolve_profile(args.profile)
            spec = JourneySpec(
                patients=profile.count("patients"), months=profile.months, persona_mix=profile.persona_mix
            )
            source = f"generation: profile {profile.name}, seed {rng.seed_value}"
        else:
            records = 500 if args.records is None else args.records
            plan = allocate(records, definitions)
            print(
                "Allocation from cardinalities: " + ", ".join(f"{t} {n}" for t, n in plan.items()), file=out
            )
            spec = JourneySpec(records=records)
            source = f"generation: {records} records, seed {rng.seed_value}"
        tables, when = journey_tables(spec, rng, definitions), rng.today
    summary = write_workflows(tables, args.output, when, definitions, source)
    print(summary.report(), file=out)
    print(f"\nWritten to {summary.output}", file=out)
    return EXIT_OK if summary.ok else EXIT_FAILED
