"""The pytest plugin under pytest-xdist (``-n 2``) on SQLite and PostgreSQL.

Inner suites run in a subprocess with two workers. Every inner test expects ids
starting at 1 and counts of exactly its own rows, which only holds when each worker
has a database of its own; before, a shared PostgreSQL URL gave a catalog race in
``create_all`` and duplicate keys.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

pytest_plugins = ["pytester"]

# Twelve writers spread over two workers, plus factory and read-only checks.
INNER = """
import os

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError, DBAPIError


@pytest.mark.parametrize("n", range(12))
def test_writer(n, hd_patient_factory, hd_database, request):
    patient = hd_patient_factory(persona="elderly_patient")
    assert patient.id == 1 and hd_database.counts()["patients"] == 1
    with open(request.config.rootpath / "workers.txt", "a") as log:
        log.write(f"WORKER {os.environ.get('PYTEST_XDIST_WORKER')} {hd_database.url}\\n")


def test_appointment_factory(hd_appointment_factory, hd_provider_factory, hd_patient_factory, hd_database):
    provider = hd_provider_factory("primary_care")
    first = hd_appointment_factory(provider=provider)
    patient = hd_patient_factory(persona="young_professional")
    second = hd_appointment_factory(patient=patient, provider=provider)
    assert (first.id, second.id) == (1, 2) and first.provider_id == second.provider_id == provider.id
    assert hd_database.counts()["appointments"] == 2 and hd_database.counts()["patients"] == 2


def test_readonly_database_is_seeded(hd_readonly_database):
    assert hd_readonly_database.counts()["patients"] == 25


def test_readonly_database_refuses_writes(hd_readonly_database):
    with pytest.raises((OperationalError, DBAPIError)):
        with hd_readonly_database.transaction() as conn:
            conn.execute(text("DELETE FROM patient_conditions"))
"""


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    from tests.test_pytest_plugin import ROOT

    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    pytester.makepyfile(test_inner=INNER)
    return pytester


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "-p",
        "xdist.plugin",
        "-p",
        "healthcare_data.pytest_plugin",
        "-p",
        "no:cacheprovider",
        "-n",
        "2",
        "-s",
        *args,
    )


def _workers(pytester: pytest.Pytester) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for worker, url in re.findall(r"WORKER (gw\d) (\S+)", (pytester.path / "workers.txt").read_text()):
        found.setdefault(worker, set()).add(url)
    return found


def test_xdist_on_sqlite(inner):
    result = _run(inner)
    result.assert_outcomes(passed=15)
    assert set(_workers(inner)) == {"gw0", "gw1"}


def test_xdist_on_one_postgresql_url_gives_each_worker_its_own_database(inner, postgres_url):
    result = _run(inner, "--hd-database-url", postgres_url)
    result.assert_outcomes(passed=15)
    workers = _workers(inner)
    base = make_url(postgres_url).database
    assert set(workers) == {"gw0", "gw1"}
    assert {make_url(u).database for urls in workers.values() for u in urls} == {f"{base}_gw0", f"{base}_gw1"}
    admin = create_engine(postgres_url)
    with admin.connect() as conn:
        left = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": f"{base}_%"})
        assert list(left) == []  # every worker and read-only database dropped again
    admin.dispose()
