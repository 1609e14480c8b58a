"""The pytest plugin's fixtures, exercised in a separate pytest run (``pytester``).

The inner runs load the plugin with ``-p healthcare_data.pytest_plugin`` and plugin
autoloading off, so they behave the same whether or not the package (and its
``pytest11`` entry point) is installed in the environment.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path

import pytest

from healthcare_data.export import write_tables

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]

INNER_TESTS = """
from datetime import date

import pytest


def test_database_is_fresh_with_every_table(hd_database):
    assert hd_database.is_empty()
    assert {"patients", "providers", "tenants", "locations"} <= set(hd_database.counts())


def test_patient(hd_patient, hd_database):
    assert hd_patient.id == 1 and hd_patient.patient_id.startswith("PAT-")
    assert hd_database.counts()["patients"] == 1


@pytest.mark.hd_patient(persona="elderly_patient", age=72)
def test_elderly_patient(hd_patient, hd_rng):
    today, born = hd_rng.today, hd_patient.date_of_birth
    assert today.year - born.year - ((today.month, today.day) < (born.month, born.day)) == 72
    assert hd_patient.profile.persona == "elderly_patient"


def test_default_batch(hd_patient_batch, hd_database):
    assert len(hd_patient_batch) == 5
    assert hd_database.counts()["patients"] == 5
    print("NAMES:", ",".join(p.first_name + " " + p.last_name for p in hd_patient_batch))


@pytest.mark.hd_batch(size=12, persona="pediatric_patient")
def test_pediatric_batch(hd_patient_batch):
    assert len(hd_patient_batch) == 12
    assert {p.profile.persona for p in hd_patient_batch} == {"pediatric_patient"}


def test_seeded_profile(hd_seeded_profile):
    counts = hd_seeded_profile.database.counts()
    assert (counts["patients"], counts["providers"], counts["insurance_claims"]) == (25, 10, 30)
    assert hd_seeded_profile.metrics()["environment"] == "minimal"


@pytest.mark.hd_profile("minimal", tenants=2, patients=10)
def test_seeded_profile_marker(hd_seeded_profile):
    counts = hd_seeded_profile.database.counts()
    assert counts["tenants"] == 2 and counts["patients"] == 10


def test_dataset_default(hd_dataset_from_file):
    assert len(hd_dataset_from_file["patients"]) == 25
    assert isinstance(hd_dataset_from_file["patients"][0]["date_of_birth"], date)


@pytest.mark.hd_dataset("data/export.json")
def test_dataset_marker(hd_dataset_from_file):
    row = {"patient_id": "PAT-00000001", "date_of_birth": date(1950, 2, 28)}
    assert hd_dataset_from_file == {"patients": [row]}
"""


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    for name in ("DATABASE_URL", "QA_ENVIRONMENT", "QA_SEED", "QA_BATCH_SIZE"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_inner=INNER_TESTS)
    (pytester.path / "data").mkdir()
    write_tables(
        {"patients": [{"patient_id": "PAT-00000001", "date_of_birth": date(1950, 2, 28)}]},
        pytester.path / "data" / "export.json",
        "json",
    )
    return pytester


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "-p", "healthcare_data.pytest_plugin", "--strict-markers", "-p", "no:cacheprovider", *args
    )


def test_every_fixture_on_sqlite(inner):
    result = _run(inner, "-q")
    result.assert_outcomes(passed=9)


def test_fixtures_on_a_configured_postgresql_database(inner, postgres_url):
    result = _run(inner, "-q", "--hd-database-url", postgres_url)
    result.assert_outcomes(passed=9)


def _names(result: pytest.RunResult) -> str:
    match = re.search(r"NAMES: (.*)", result.stdout.str())
    assert match, result.stdout.str()
    return match.group(1)


def test_hd_seed_makes_fixtures_reproducible(inner):
    args = ("-q", "-s", "-k", "default_batch")
    first, again = _run(inner, *args, "--hd-seed", "5"), _run(inner, *args, "--hd-seed", "5")
    other = _run(inner, *args, "--hd-seed", "6")
    assert _names(first) == _names(again) != _names(other)


def test_markers_and_options_are_documented(inner):
    markers = _run(inner, "--markers").stdout.str()
    for marker in ("hd_patient", "hd_batch", "hd_profile", "hd_dataset"):
        assert f"@pytest.mark.{marker}" in markers
    assert "--hd-database-url" in _run(inner, "--help").stdout.str()


def test_the_plugin_is_registered_as_a_pytest11_entry_point():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["entry-points"]["pytest11"] == {
        "healthcare_data": "healthcare_data.pytest_plugin"
    }
