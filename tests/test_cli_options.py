"""Shared option groups come from one adder each (healthcare_data.cli_options)."""

from __future__ import annotations

import argparse
import io
import logging

import pytest

from healthcare_data import cli_options
from healthcare_data.cli import build_parser, main

DATABASE_COMMANDS = (
    "seed", "validate", "export", "report", "workflows", "deidentify", "introspect", "generate"
)


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def _option(command: argparse.ArgumentParser, flag: str) -> argparse.Action:
    return next(a for a in command._actions if flag in a.option_strings)


def test_every_database_url_is_the_same_option() -> None:
    commands = _commands()
    for name in DATABASE_COMMANDS:
        action = _option(commands[name], "--database-url")
        assert (action.dest, action.metavar) == ("database_url", "URL")
        assert action.option_strings == ["--database-url"]
    for name in ("seed", "validate", "report", "introspect", "generate"):
        assert _option(commands[name], "--database-url").help == cli_options.DATABASE_HELP, name


def test_profile_population_and_worker_options_are_shared() -> None:
    commands = _commands()
    for name in ("seed", "export", "report", "workflows"):
        assert isinstance(_option(commands[name], "--profile"), cli_options.DeprecatedShortProfile), name
    assert _option(commands["seed"], "--profile").help == cli_options.PROFILE_HELP
    assert "-p" not in _option(commands["report"], "--profile").option_strings
    for flag in (*cli_options.POPULATION_FLAGS, "--workers", "--dask-scheduler"):
        seed, export = _option(commands["seed"], flag), _option(commands["export"], flag)
        assert (seed.dest, seed.type, seed.metavar) == (export.dest, export.type, export.metavar), flag
    for name in ("export", "report"):
        assert _option(commands[name], "--seed").help == "seed of the generation run (with --profile)"
        assert _option(commands[name], "--tenants").help == "tenants of the generation run (with --profile)"


@pytest.mark.parametrize("command", ["export", "workflows"])
def test_short_p_warns_on_every_command_that_takes_it(
    command: str, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    argv = [command, "-p", "no-such-profile", "-o", str(tmp_path / "out")]
    if command == "export":
        argv += ["-f", "json"]
    with caplog.at_level(logging.WARNING, logger="healthcare_data"):
        code = main(argv, out=io.StringIO(), err=io.StringIO())
    assert code == 2  # the profile does not exist; the warning came first
    assert cli_options.DEPRECATED_P in caplog.text
