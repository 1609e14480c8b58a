"""Install footprint: the core install seeds and validates without SciPy, NumPy or matplotlib.

A subprocess blocks those imports (as if ``pip install .`` without extras) and runs
the real command; .ci/run also does it for real in a fresh virtual environment.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

WITHOUT_EXTRAS = """
import sys

class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("scipy", "numpy", "matplotlib"):
            raise ImportError(f"{name} is not installed (blocked by the test)")
        return None

sys.meta_path.insert(0, Blocked())
from healthcare_data.cli import main
code = main(sys.argv[1:])
assert not {"scipy", "numpy", "matplotlib"} & set(sys.modules), sorted(sys.modules)
sys.exit(code)
"""


def _without_extras(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("QA_")}
    environment["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRAS, *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
    )


def test_seed_and_validate_without_scipy_skip_the_statistics_with_a_message(tmp_path):
    url = f"sqlite:///{tmp_path / 'core.db'}"
    seeded = _without_extras(
        "seed", "--profile", "minimal", "--database-url", url, "--today", "2026-11-22", cwd=tmp_path
    )
    assert seeded.returncode == 0, seeded.stderr
    assert "statistical tests skipped: SciPy is not installed" in seeded.stdout
    assert "pip install 'healthcare-data[stats]'" in seeded.stdout
    metrics = tmp_path / "m.json"
    validated = _without_extras(
        "validate",
        "--database-url",
        url,
        "--today",
        "2026-11-22",
        "--metrics-json",
        str(metrics),
        cwd=tmp_path,
    )
    assert validated.returncode == 0, validated.stderr
    assert re.search(r"data_quality\s+25\s+0\s+PASS", validated.stdout)
    document = json.loads(metrics.read_text())
    assert document["statistics"] == [] and "SciPy is not installed" in document["validation_notes"][0]


def test_report_without_matplotlib_names_the_extra(tmp_path):
    result = _without_extras("report", "--profile", "minimal", "-o", str(tmp_path / "r.html"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "healthcare-data: error: the report needs matplotlib: pip install 'healthcare-data[report]'"
    )


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=\[ ;]", r, maxsplit=1)[0].lower() for r in requirements}


def test_heavy_dependencies_live_in_extras_and_ruff_in_dev():
    core = _names(PROJECT["dependencies"])
    extras = PROJECT["optional-dependencies"]
    assert not {"scipy", "numpy", "matplotlib", "ruff"} & core
    assert {"scipy", "numpy"} <= _names(extras["stats"])
    assert "matplotlib" in _names(extras["report"])
    assert "ruff" in _names(extras["dev"])


def test_faker_is_capped_because_the_name_table_copies_its_provider_lists():
    faker = next(r for r in PROJECT["dependencies"] if r.lower().startswith("faker"))
    assert re.search(r"<\d+", faker), faker
    assert "Person.first_names_male" in (ROOT / "scripts" / "build_name_table.py").read_text()


def test_every_dependency_has_a_lower_bound_pinned_in_the_lowest_constraints():
    lowest = {}
    for line in (ROOT / ".ci" / "lowest-constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            lowest[name.strip().lower()] = version.strip()
    for requirement in PROJECT["dependencies"]:
        name = _names([requirement]).pop()
        bound = re.search(r">=([\w.]+)", requirement)
        assert bound, f"{requirement} has no lower bound"
        assert lowest.get(name) == bound.group(1), f"{name}: constraints {lowest.get(name)} vs {requirement}"
