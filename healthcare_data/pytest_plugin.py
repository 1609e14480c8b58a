"""pytest fixtures for test suites that need healthcare data, without imports.

Installed with the package (entry point ``pytest11``), so any suite gets:

=========================== ==================================================================
``hd_database``             a fresh, empty database with the schema: an SQLite file in
                            ``tmp_path``, or ``--hd-database-url`` / ini ``hd_database_url``
                            (emptied before and after the test)
``hd_rng``                  the seeded :class:`~healthcare_data.randomness.Randomness`
                            (``--hd-seed`` / ini ``hd_seed``, default 0)
``hd_patient``              one persisted ``Patient`` built by ``PatientBuilder``;
                            ``@pytest.mark.hd_patient(persona="elderly_patient", age=72)``
``hd_patient_batch``        a list of persisted patients written by the bulk engine;
                            ``@pytest.mark.hd_batch(size=20, persona="pediatric_patient")``
``hd_seeded_profile``       a :class:`~healthcare_data.seeding.SeedResult` of a profile seeded
                            into ``hd_database`` (``minimal`` unless
                            ``@pytest.mark.hd_profile("standard", tenants=2)``); the database
                            is ``hd_seeded_profile.database``
``hd_dataset_from_file``    ``load_dataset(path)`` of ``@pytest.mark.hd_dataset("data.json")``
                            (relative to the test file); without the marker, a ``minimal``
                            run exported to a temporary JSON file and loaded back
=========================== ==================================================================

Example (no imports of the library needed)::

    import pytest

    def test_patients_have_a_patient_id(hd_patient_batch):
        assert all(p.patient_id.startswith("PAT-") for p in hd_patient_batch)

    @pytest.mark.hd_patient(persona="elderly_patient", age=72)
    def test_elderly_patient(hd_patient):
        assert hd_patient.profile.persona == "elderly_patient"

    @pytest.mark.hd_profile("minimal", tenants=2)
    def test_tenants(hd_seeded_profile):
        assert hd_seeded_profile.database.counts()["tenants"] == 2

    @pytest.mark.hd_dataset("data/patients.json")  # written by `healthcare-data export`
    def test_from_file(hd_dataset_from_file):
        assert hd_dataset_from_file["patients"]

Without the entry point (running from a checkout), enable it with
``-p healthcare_data.pytest_plugin`` or ``pytest_plugins = ["healthcare_data.pytest_plugin"]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from healthcare_data.db import Database
    from healthcare_data.randomness import Randomness
    from healthcare_data.schema import Patient
    from healthcare_data.seeding import SeedResult

DEFAULT_BATCH_SIZE = 5
DEFAULT_PROFILE = "minimal"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("healthcare-data", "healthcare-data fixtures")
    group.addoption(
        "--hd-database-url",
        default=None,
        help="database the hd_* fixtures use (default: an SQLite file per test); emptied around each test",
    )
    group.addoption("--hd-seed", type=int, default=None, help="seed of the hd_* fixtures (default 0)")
    parser.addini("hd_database_url", "database URL of the hd_* fixtures", default="")
    parser.addini("hd_seed", "seed of the hd_* fixtures", default="0")
    parser.addini("hd_profile", "profile hd_seeded_profile seeds without a marker", default=DEFAULT_PROFILE)


def pytest_configure(config: pytest.Config) -> None:
    for line in (
        "hd_patient(persona=None, age=None): the patient the hd_patient fixture builds",
        "hd_batch(size=5, persona=None): size and persona of hd_patient_batch",
        "hd_profile(name='minimal', **overrides): the profile hd_seeded_profile seeds",
        "hd_dataset(path): the export file or directory hd_dataset_from_file loads",
    ):
        config.addinivalue_line("markers", line)


def _marker(request: pytest.FixtureRequest, name: str) -> pytest.Mark | None:
    return request.node.get_closest_marker(name)


@pytest.fixture
def hd_seed(request: pytest.FixtureRequest) -> int:
    """The seed every hd_* fixture draws from."""
    option = request.config.getoption("--hd-seed")
    return int(option if option is not None else request.config.getini("hd_seed") or 0)


@pytest.fixture
def hd_rng(hd_seed: int) -> Randomness:
    """A seeded randomness source (same seed, same data)."""
    from healthcare_data.randomness import Randomness

    return Randomness(hd_seed)


@pytest.fixture
def hd_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh, empty database with every table."""
    from healthcare_data.seeding import connect

    url = request.config.getoption("--hd-database-url") or request.config.getini("hd_database_url")
    if url:
        db = connect(url, create_schema=True)
        db.reset()
    else:
        db = connect(f"sqlite:///{tmp_path / 'healthcare_data.db'}", create_schema=True)
    try:
        yield db
    finally:
        if url:
            db.reset()
        db.dispose()


@pytest.fixture
def hd_patient(request: pytest.FixtureRequest, hd_database: Database, hd_rng: Randomness) -> Patient:
    """One patient built by PatientBuilder and stored in ``hd_database``."""
    from healthcare_data.builders import PatientBuilder

    marker = _marker(request, "hd_patient")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    builder = PatientBuilder(hd_database, rng=hd_rng)
    if options.get("persona"):
        builder = builder.with_persona(options["persona"])
    if options.get("age") is not None:
        builder = builder.with_age(int(options["age"]))
    return builder.create()


@pytest.fixture
def hd_patient_batch(
    request: pytest.FixtureRequest, hd_database: Database, hd_rng: Randomness
) -> list[Patient]:
    """Patients written by the bulk engine (5 unless ``@pytest.mark.hd_batch(size=N)``)."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from healthcare_data.bulk import write_dataset
    from healthcare_data.generation import DatasetSpec, generate_dataset
    from healthcare_data.schema import Patient

    marker = _marker(request, "hd_batch")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    if marker and marker.args:
        options.setdefault("size", marker.args[0])
    size = int(options.get("size", DEFAULT_BATCH_SIZE))
    persona = options.get("persona")
    spec = DatasetSpec(patients=size, persona_mix={persona: 1.0} if persona else None).validate()
    write_dataset(hd_database, generate_dataset(spec, hd_rng, max(size, 1)), atomic=True)
    with hd_database.session() as session:
        statement = (
            select(Patient)
            .options(selectinload(Patient.conditions), selectinload(Patient.profile))
            .order_by(Patient.id)
        )
        return list(session.scalars(statement))


@pytest.fixture
def hd_seeded_profile(request: pytest.FixtureRequest, hd_database: Database, hd_seed: int) -> SeedResult:
    """``hd_database`` seeded with a profile through the CLI's own ``seed()``."""
    from healthcare_data.seeding import seed

    marker = _marker(request, "hd_profile")
    name = (marker.args[0] if marker and marker.args else None) or request.config.getini("hd_profile")
    overrides: dict[str, Any] = dict(marker.kwargs) if marker else {}
    tenants = overrides.pop("tenants", None)
    validate = overrides.pop("validate", False)
    return seed(
        name or DEFAULT_PROFILE,
        hd_database,
        seed=hd_seed,
        tenants=tenants,
        counts=overrides,
        validate=validate,
    )


@pytest.fixture
def hd_dataset_from_file(
    request: pytest.FixtureRequest, tmp_path: Path, hd_seed: int
) -> dict[str, list[dict[str, Any]]]:
    """Rows loaded with ``load_dataset`` from the marker's file (or a fresh minimal export)."""
    from healthcare_data.export import load_dataset
    from healthcare_data.seeding import export

    marker = _marker(request, "hd_dataset")
    if marker and marker.args:
        path = Path(str(marker.args[0]))
        if not path.is_absolute():
            beside = Path(str(request.node.path)).parent / path
            path = beside if beside.exists() else Path(str(request.config.rootpath)) / path
        return load_dataset(path)
    target = tmp_path / "minimal.json"
    export(target, "json", profile=DEFAULT_PROFILE, seed=hd_seed)
    return load_dataset(target)
