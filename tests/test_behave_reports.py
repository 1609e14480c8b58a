"""behave's reports: the HTML formatter registered in behave.ini shows the attached
summary tables, the JSON formatter carries them as embeddings, and behavex runs the
suite in parallel processes, each on its own PostgreSQL database.

Each run is a real behave/behavex subprocess on two quick scenarios (error handling,
one per feature file), so the checks see what a QA analyst opens.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QUICK = "@error-handling,@clinic-errors"  # one scenario in each feature file


def _environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("QA_")}
    env.update(extra)
    return env


def _behave(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "behave", "-t", "@error-handling", *args, "features"],
        cwd=ROOT,
        env=_environment(**env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_html_pretty_formatter_is_registered_and_shows_the_attached_summaries(tmp_path):
    page = tmp_path / "behave.html"
    result = _behave("-f", "html-pretty", "-o", str(page), "-f", "json", "-o", str(tmp_path / "behave.json"))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html = page.read_text("utf-8")
    assert html.count('class="embed-button "') == 1
    assert re.search(r'class="embed-button "[^>]*>Error scenarios</div>', html)
    assert "duplicate_npi_number" in html and "invalid_appointment_conflict" in html
    embeddings = [
        base64.b64decode(e["data"]).decode()
        for feature in json.loads((tmp_path / "behave.json").read_text())
        for element in feature["elements"]
        for step in element["steps"]
        for e in step.get("embeddings", ())
    ]
    assert len(embeddings) == 1 and "duplicate_npi_number" in embeddings[0]


def _databases(log: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for line in log.read_text().splitlines():
        pid, name = line.split()
        found.setdefault(pid, set()).add(name)
    return found


def test_behavex_runs_features_in_parallel_processes_each_on_its_own_database(tmp_path, postgres_url):
    if shutil.which("behavex", path=str(Path(sys.executable).parent)) is None:
        pytest.fail("behavex is not installed (it is in the test extra)")
    log = tmp_path / "databases.log"
    # behavex puts its multiprocessing socket under its output folder: a pytest-xdist
    # tmp_path there exceeds the 108 bytes an AF_UNIX path may have.
    output = Path(tempfile.mkdtemp(prefix="hd-bx-"))
    try:
        result = subprocess.run(
            [
                str(Path(sys.executable).parent / "behavex"),
                "-t", QUICK,
                "--parallel-processes", "2",
                "--parallel-scheme", "feature",
                "-o", str(output / "behavex"),
                "-D", f"run_database_log={log}",
            ],
            cwd=ROOT,
            env=_environment(DATABASE_URL=postgres_url),
            capture_output=True,
            text=True,
            timeout=300,
        )  # fmt: skip
        report = (output / "behavex" / "report.html").exists()
    finally:
        shutil.rmtree(output, ignore_errors=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "2 scenarios passed, 0 failed" in result.stdout
    databases = _databases(log)
    names = [name for names in databases.values() for name in names]
    assert len(databases) == 2  # two processes...
    assert len(names) == len(set(names)) == 2  # ...each with a database of its own
    assert report
