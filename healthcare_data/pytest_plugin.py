"""pytest fixtures for test suites that need healthcare data, without imports.

Installed with the package (entry point ``pytest11``), so any suite gets:

=========================== ==================================================================
``hd_database``             a fresh, empty database with the schema: an SQLite file in
                            ``tmp_path``, or ``--hd-database-url`` / ini ``hd_database_url``
                            (emptied before and after the test). Under pytest-xdist each
                            worker gets its own database ``<name>_<worker>`` on that
                            server (created with the schema, dropped at the end)
``hd_rng``                  the seeded :class:`~healthcare_data.randomness.Randomness`
                            (``--hd-seed`` / ini ``hd_seed``, default 0)
``hd_patient``              one persisted ``Patient`` built by ``PatientBuilder``;
                            ``@pytest.mark.hd_patient(persona="elderly_patient", age=72)``
``hd_patient_batch``        a list of persisted patients written by the bulk engine;
                            ``@pytest.mark.hd_batch(size=20, persona="pediatric_patient")``
``hd_seeded_profile``       a :class:`~healthcare_data.seed_result.SeedResult` of a profile seeded
                            into ``hd_database`` (``minimal`` unless
                            ``@pytest.mark.hd_profile("standard", tenants=2)``); the database
                            is ``hd_seeded_profile.database``
``hd_patient_factory``      ``hd_patient_factory(persona=None, age=None)`` -> a persisted patient
``hd_provider_factory``     ``hd_provider_factory(*traits, **fields)`` -> a persisted provider
``hd_appointment_factory``  ``hd_appointment_factory(patient=None, provider=None,
                            appointment_type=None, **fields)`` -> a booked appointment (a
                            patient and a primary-care provider are created when omitted)
``hd_readonly_database``    session-scoped, per worker: a database seeded once with
                            ``hd_profile`` (ini, default ``minimal``) and opened
                            read-only (SQLite ``mode=ro``; PostgreSQL read-only
                            transactions), for the many tests that only read
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

Fixtures import the library inside their bodies: pytest loads this plugin in every test
session (entry point pytest11), which must not pay for SQLAlchemy or Faker unless a
fixture is used.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from healthcare_data.db import Database
    from healthcare_data.randomness import Randomness
    from healthcare_data.schema import Appointment, Patient, Provider
    from healthcare_data.seed_result import SeedResult

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


def _configured_url(config: pytest.Config) -> str:
    return config.getoption("--hd-database-url") or config.getini("hd_database_url") or ""


def _worker() -> str | None:
    """The pytest-xdist worker id ("gw0", "gw1", ...), None outside xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER")


def _server_database(url: str, suffix: str, create: bool) -> str:
    """Create (or drop) the database ``<name>_<suffix>`` next to ``url``'s; returns its URL.

    One database per xdist worker: workers sharing one database race in
    ``CREATE TABLE`` (the PostgreSQL catalog) and collide on primary keys.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        path = Path(parsed.database or "healthcare_data.db")
        target = path.with_name(f"{path.stem}_{suffix}{path.suffix}")
        if not create:
            target.unlink(missing_ok=True)
        return parsed.set(database=str(target)).render_as_string(hide_password=False)
    name = f"{parsed.database}_{suffix}"
    engine = create_engine(parsed, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            quoted = conn.dialect.identifier_preparer.quote(name)
            force = " WITH (FORCE)" if backend == "postgresql" else ""
            conn.execute(text(f"DROP DATABASE IF EXISTS {quoted}{force}"))
            if create:
                conn.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        engine.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def hd_database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The server database of this session ("" for SQLite files): per xdist worker its own."""
    from healthcare_data.connections import connect

    url, worker = _configured_url(request.config), _worker()
    if not url or worker is None:
        yield url
        return
    own = _server_database(url, worker, create=True)
    connect(own, create_schema=True).dispose()  # the schema once, before any test of the worker
    try:
        yield own
    finally:
        _server_database(url, worker, create=False)


@pytest.fixture
def hd_database(hd_database_url: str, tmp_path: Path) -> Iterator[Database]:
    """A fresh, empty database with every table."""
    from healthcare_data.connections import connect

    url = hd_database_url
    if url:
        db = connect(url, create_schema=True)
        _locked_reset(db)
    else:
        db = connect(f"sqlite:///{tmp_path / 'healthcare_data.db'}", create_schema=True)
    try:
        yield db
    finally:
        if url:
            _locked_reset(db)
        db.dispose()


def _locked_reset(db: Database) -> None:
    """Empty a shared database under the run lock ``seed`` takes, in one transaction:
    a seed (or another test process) in progress finishes first, or after
    ``QA_LOCK_TIMEOUT`` this stops with DatabaseBusyError instead of wiping its rows."""
    from healthcare_data import settings

    with db.write_transaction(settings.qa_settings().lock_timeout) as conn:
        emptied = db.empty_tables(conn)
        if db.backend in ("mysql", "mariadb"):  # ids from 1 again (the tables are empty: the
            for table in emptied:  # implicit commit of ALTER loses nothing; the lock is held)
                conn.exec_driver_sql(f"ALTER TABLE {table} AUTO_INCREMENT = 1")


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
def hd_patient_factory(hd_database: Database, hd_rng: Randomness) -> Callable[..., Patient]:
    """Make persisted patients: ``hd_patient_factory(persona="elderly_patient", age=72)``."""
    from healthcare_data.builders import PatientBuilder

    def make(persona: str | None = None, age: int | None = None) -> Patient:
        builder = PatientBuilder(hd_database, rng=hd_rng)
        if persona:
            builder = builder.with_persona(persona)
        if age is not None:
            builder = builder.with_age(int(age))
        return builder.create()

    return make


@pytest.fixture
def hd_provider_factory(hd_database: Database, hd_rng: Randomness) -> Callable[..., Provider]:
    """Make persisted providers: ``hd_provider_factory("primary_care", specialty=...)``."""
    from healthcare_data.factories import ProviderFactory

    factory = ProviderFactory(hd_database, hd_rng)

    def make(*traits: str, **fields: Any) -> Provider:
        return factory.create(*traits, **fields)

    return make


@pytest.fixture
def hd_appointment_factory(
    hd_database: Database,
    hd_rng: Randomness,
    hd_patient_factory: Callable[..., Patient],
    hd_provider_factory: Callable[..., Provider],
) -> Callable[..., Appointment]:
    """Book appointments; a missing patient or provider is created (primary care)."""
    from healthcare_data.factories import AppointmentFactory

    factory = AppointmentFactory(hd_database, hd_rng)

    def make(
        patient: Patient | None = None,
        provider: Provider | None = None,
        appointment_type: str | None = None,
        **fields: Any,
    ) -> Appointment:
        patient = patient if patient is not None else hd_patient_factory()
        provider = provider if provider is not None else hd_provider_factory("primary_care")
        return factory.schedule(patient, provider, appointment_type, **fields)

    return make


def _read_only(url: str) -> Database:
    """``url`` opened so that writes fail: SQLite ``mode=ro``, PostgreSQL read-only transactions."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from healthcare_data.db import Database

    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        uri = f"file:{Path(parsed.database or '').resolve()}?mode=ro"
        return Database(engine=create_engine("sqlite:///" + uri + "&uri=true"))
    if backend == "postgresql":
        options = {"options": "-c default_transaction_read_only=on"}
        return Database(engine=create_engine(parsed, connect_args=options))
    return Database(url)


@pytest.fixture(scope="session")
def hd_readonly_database(
    request: pytest.FixtureRequest, hd_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A database seeded once per session (and worker) with ``hd_profile``, opened read-only."""
    from healthcare_data.seeding import seed

    name = request.config.getini("hd_profile") or DEFAULT_PROFILE
    option = request.config.getoption("--hd-seed")
    seed_value = int(option if option is not None else request.config.getini("hd_seed") or 0)
    suffix = f"ro_{_worker() or 'main'}"
    if hd_database_url:
        url = _server_database(hd_database_url, suffix, create=True)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('hd_readonly') / 'readonly.db'}"
    seed(name, url, seed=seed_value, validate=False).database.dispose()
    db = _read_only(url)
    try:
        yield db
    finally:
        db.dispose()
        if hd_database_url:
            _server_database(hd_database_url, suffix, create=False)


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
