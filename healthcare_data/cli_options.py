"""Option groups several commands share, each added by one function.

``seed``, ``validate``, ``export``, ``report``, ``workflows``, ``deidentify``,
``introspect`` and ``generate`` take the same ``--database-url``; the commands that can
export or report on a fresh generation run take the same ``--profile`` (and its
``--seed``/``--tenants``), population filters and worker options. One adder per group
keeps their spelling, metavars and defaults in one place; a command passes its own help
sentence where the option means something specific to it.

Only :mod:`argparse` is imported here: ``healthcare-data --help`` must stay light
(tests/test_startup.py).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

Parser = argparse.ArgumentParser | argparse._ArgumentGroup

DATABASE_HELP = (
    "database URL (default: $DATABASE_URL, else sqlite:///healthcare_data.db); "
    "postgresql://user@host/db, mysql://user@host/db"
)
PROFILE_HELP = (
    "minimal, standard, load_test, integration, or a .toml/.yaml file "
    "(default: $QA_ENVIRONMENT, else standard)"
)
DEPRECATED_P = "-p is deprecated and will be removed: use --profile (in Synthea -p is the population size)"
#: The flags that shape a generation run; without --profile they have nothing to shape.
POPULATION_FLAGS = ("--gender", "--age", "--state", "--city")


class DeprecatedShortProfile(argparse.Action):
    """``--profile``; the short ``-p`` still works but warns: Synthea's ``-p`` is population size."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        if option_string == "-p":  # logged by cli.main() once logging is set up
            namespace.deprecations = [DEPRECATED_P]
        setattr(namespace, self.dest, values)


def add_database(parser: Parser, help: str = DATABASE_HELP) -> None:
    """``--database-url URL`` (a command may say what it does with the database)."""
    parser.add_argument("--database-url", metavar="URL", help=help)


def add_profile(parser: Parser, help: str = PROFILE_HELP, *, short: bool = True) -> None:
    """``--profile NAME|FILE`` (and the deprecated ``-p`` unless ``short`` is False)."""
    flags = ("--profile", "-p") if short else ("--profile",)
    parser.add_argument(*flags, action=DeprecatedShortProfile, metavar="NAME|FILE", help=help)


def add_generation_run(parser: Parser) -> None:
    """``--seed`` and ``--tenants`` of a ``--profile`` run (export, report)."""
    parser.add_argument("--seed", "-s", type=int, help="seed of the generation run (with --profile)")
    parser.add_argument(
        "--tenants", type=int, metavar="N", help="tenants of the generation run (with --profile)"
    )


def add_population(parser: argparse.ArgumentParser) -> None:
    """Synthea-like filters on the generated patients (see healthcare_data.population)."""
    group = parser.add_argument_group("population (generated patients only)")
    group.add_argument("--gender", "-g", metavar="M|F", help="only patients of this gender (M, F, other)")
    group.add_argument("--age", "-a", metavar="LOW-HIGH", help="only patients aged LOW-HIGH, e.g. 60-65")
    group.add_argument("--state", metavar="XX", help="only patients living in this state, e.g. MA")
    group.add_argument("--city", metavar="NAME", help="only patients of this city (with --state: in it)")


def add_parallel(parser: Parser, workers_help: str) -> None:
    """``--workers N`` and ``--dask-scheduler tcp://HOST:PORT`` of sharded generation."""
    parser.add_argument("--workers", type=int, metavar="N", help=workers_help)
    parser.add_argument(
        "--dask-scheduler",
        metavar="tcp://HOST:PORT",
        help="generate the shards on this Dask cluster (pip install 'healthcare-data[dask]')",
    )


def require_profile(args: argparse.Namespace, flags: Sequence[str], source: str) -> None:
    """Refuse generation-run flags when there is no ``--profile`` run for them to shape."""
    if args.profile is not None:
        return
    for flag in flags:
        if getattr(args, flag.lstrip("-").replace("-", "_"), None) is not None:
            from healthcare_data.cli import UsageError

            raise UsageError(f"{flag} needs --profile (it shapes a generation run, not {source})")
