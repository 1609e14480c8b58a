"""Command-line conventions: -s, -o -, completion, logging levels, colour, -p, population.

Most checks call ``main(argv)`` with captured streams; the ones about what a shell
sees (stdout of ``-o -``, no file named ``-``, completion scripts) run the real
command in a subprocess.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from healthcare_data.cli import main
from healthcare_data.db import Database
from healthcare_data.export import load_dataset
from tests.conftest import TEST_TODAY

ROOT = Path(__file__).resolve().parents[1]
TODAY = TEST_TODAY.isoformat()


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    for name in list(os.environ):
        if name in ("DATABASE_URL", "NO_COLOR") or name.startswith("QA_"):
            monkeypatch.delenv(name)


def cli(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("QA_")}
    environment["PYTHONPATH"] = str(ROOT)
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "healthcare_data", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def run(*args: str, out: io.StringIO | None = None) -> tuple[int, str, str]:
    out, err = out or io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _patients(url: str) -> list[tuple]:
    db = Database(url)
    with db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT first_name, last_name, date_of_birth FROM patients ORDER BY id")
        ).all()
    db.dispose()
    return [tuple(r) for r in rows]


def _seed(tmp_path: Path, name: str, *args: str) -> str:
    url = f"sqlite:///{tmp_path / name}"
    code, _, err = run(
        "seed", "--profile", "minimal", "--database-url", url, "--no-validate", "--today", TODAY, *args
    )
    assert code == 0, err
    return url


def test_short_s_is_the_seed(tmp_path):
    short = _patients(_seed(tmp_path, "a.db", "-s", "5"))
    long = _patients(_seed(tmp_path, "b.db", "--seed", "5"))
    other = _patients(_seed(tmp_path, "c.db", "-s", "6"))
    assert short == long != other


def test_export_dash_o_dash_writes_the_document_to_stdout_and_no_file(tmp_path):
    result = cli(
        "export", "-f", "json", "-o", "-", "--profile", "minimal", "-s", "3", "--today", TODAY, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert len(document["tables"]["patients"]["rows"]) == 25
    assert "to stdout" in result.stderr
    assert list(tmp_path.iterdir()) == []  # no file named "-"


def test_export_dash_o_dash_refuses_csv_in_one_line(tmp_path):
    result = cli("export", "-f", "csv", "-o", "-", "--profile", "minimal", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--format json, yaml or ndjson" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_shell_completion_lists_commands_and_options(shell):
    result = cli("--print-completion", shell)
    assert result.returncode == 0, result.stderr
    for word in ("seed", "export", "report", "--database-url", "--gender", "--metrics-json"):
        assert word in result.stdout


def test_verbose_logs_info_quiet_logs_nothing(tmp_path):
    url = _seed(tmp_path, "v.db")
    code, _, verbose = run("validate", "--database-url", url, "--today", TODAY, "-v")
    assert code == 0 and "healthcare-data: INFO:" in verbose
    code, _, default = run("validate", "--database-url", url, "--today", TODAY)
    assert code == 0 and "INFO" not in default
    assert not logging.getLogger("healthcare_data").handlers[-1].get_name() == "healthcare-data-cli"


def test_the_library_has_only_a_null_handler_and_stays_silent():
    code = (
        "import logging, healthcare_data;"
        "h = logging.getLogger('healthcare_data').handlers;"
        "assert [type(x).__name__ for x in h] == ['NullHandler'], h;"
        "logging.getLogger('healthcare_data.seeding').warning('should not print')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_short_p_still_works_but_says_it_is_deprecated(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    code, _, err = run("seed", "-p", "minimal", "--database-url", url, "--no-validate", "--today", TODAY)
    assert code == 0 and "-p is deprecated" in err and "--profile" in err
    code, _, err = run("seed", "--profile", "minimal", "--database-url", url, "--no-validate", "--reset")
    assert code == 0 and "deprecated" not in err
    code, _, err = run("seed", "-p", "minimal", "--database-url", url, "--no-validate", "--reset", "--quiet")
    assert code == 0 and err == ""


def test_status_colour_only_on_a_terminal_without_no_color(tmp_path, monkeypatch):
    url = _seed(tmp_path, "c.db")
    _, plain, _ = run("validate", "--database-url", url, "--today", TODAY)
    assert "PASS" in plain and "\033[" not in plain
    _, coloured, _ = run("validate", "--database-url", url, "--today", TODAY, out=Terminal())
    assert "\033[32mPASS\033[0m" in coloured
    monkeypatch.setenv("NO_COLOR", "1")
    _, honoured, _ = run("validate", "--database-url", url, "--today", TODAY, out=Terminal())
    assert "PASS" in honoured and "\033[" not in honoured


def _age(born: date) -> int:
    return TEST_TODAY.year - born.year - ((TEST_TODAY.month, TEST_TODAY.day) < (born.month, born.day))


def test_population_options_shape_every_generated_patient(tmp_path):
    url = _seed(tmp_path, "pop.db", "-g", "F", "--age", "60-65", "--state", "il", "--city", "Springfield")
    db = Database(url)
    with db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT gender, date_of_birth, address_city, address_state FROM patients")
        ).all()
    db.dispose()
    assert len(rows) == 25
    for gender, born, city, state in rows:
        assert (gender, city, state) == ("female", "Springfield", "IL")
        assert 60 <= _age(date.fromisoformat(str(born))) <= 65


def test_population_on_export(tmp_path):
    target = tmp_path / "e.json"
    args = ("export", "-f", "json", "-o", str(target), "--profile", "minimal", "--today", TODAY, "-a", "0-10")
    code, _, err = run(*args)
    assert code == 0, err
    rows = load_dataset(target)["patients"]
    assert len(rows) == 25 and all(_age(r["date_of_birth"]) <= 10 for r in rows)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--gender", "X"), "--gender 'X' is not a gender; use M, F, male, female or other"),
        (("--age", "65-60"), "--age '65-60' must be LOW-HIGH"),
        (("--age", "old"), "--age 'old' is not an age range; use LOW-HIGH such as 60-65"),
        (("--state", "ZZ"), "Unknown state 'ZZ'"),
        (("--state", "IL", "--city", "Atlantis"), "--city 'Atlantis': no such city in IL"),
        (("--age", "0-3", "--gender", "F", "--state", "MA"), None),
        (
            (
                "--age",
                "110-120",
            ),
            "no persona of the mix fits population ages 110-120",
        ),
    ],
)
def test_bad_population_is_a_one_line_exit_2_and_writes_nothing(tmp_path, args, message):
    url = f"sqlite:///{tmp_path / 'bad.db'}"
    code, _, err = run("seed", "--profile", "minimal", "--database-url", url, "--no-validate", *args)
    if message is None:  # a valid request for contrast
        assert code == 0, err
        return
    assert code == 2 and message in err and err.count("\n") == 1, err
    # A refusal mid-stream rolls back the tables too (created inside the seed's transaction).
    from sqlalchemy import inspect

    db = Database(url)
    assert not (tmp_path / "bad.db").exists() or not inspect(db.engine).get_table_names() or db.is_empty()


def test_population_flags_need_a_generation_run_on_export(tmp_path):
    code, _, err = run("export", "-f", "json", "-o", str(tmp_path / "x.json"), "--gender", "F")
    assert code == 2 and "--gender needs --profile" in err
