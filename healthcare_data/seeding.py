"""The Python API behind the ``healthcare-data`` command: seed, validate, generate, export.

``seed(profile="standard", url=None, seed=42)`` fills a database through the bulk
engine (:mod:`healthcare_data.generation` streamed into
:func:`healthcare_data.bulk.write_dataset`), then runs the validators and returns a
:class:`SeedResult` whose :meth:`~SeedResult.metrics` is the QA seed document's metrics
dictionary. Everything that can be wrong with the request (profile, counts, URL, a
database that cannot be reached, or holds rows without ``reset``/``append``) is
checked *before* a single row is generated, and the write is one transaction, so a
failed run leaves the database as it was.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from healthcare_data import pg_shards, settings
from healthcare_data.bulk import METHODS, WriteResult
from healthcare_data.connections import connect, describe, require_schema
from healthcare_data.db import Database, is_lock_timeout, open_database
from healthcare_data.errors import (
    ConfigurationError,
    HealthcareDataError,
    Interrupted,
    PersistenceError,
    UnknownNameError,
)
from healthcare_data.generation import ID_TABLES, Batch, DatasetSpec, generate_dataset
from healthcare_data.personas import PERSONAS
from healthcare_data.profiles import ENTITIES, Profile, resolve_profile
from healthcare_data.randomness import Randomness
from healthcare_data.seed_result import SeedResult, run_validators
from healthcare_data.shards import default_workers
from healthcare_data.violations import ValidationReport

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # export is imported when used (see export()): it loads every exporter
    from healthcare_data.export import ExportResult

ProgressCallback = Callable[[str, int, int], None]


# --- specs and generation --------------------------------------------------------------------


#: Largest count of one entity a run accepts: generation keeps ~16 bytes per patient and
#: 9 per appointment in memory, so 10 million stays far below a MemoryError (and a
#: typo like 10**12 fails in a line instead of after minutes of swapping).
MAX_COUNT = 10_000_000
MAX_TENANTS = 100_000
MAX_MONTHS = 120


def check_limits(profile: Profile) -> None:
    """Counts, tenants and months within what one run can hold (ConfigurationError otherwise)."""
    for entity in ENTITIES:
        count = profile.count(entity)
        if isinstance(count, int) and count > MAX_COUNT:
            raise ConfigurationError(
                f"{entity}={count} is more than one run can hold; at most {MAX_COUNT:,} per entity",
                ["split the data into several --append runs"],
            )
    if profile.tenants > MAX_TENANTS:
        raise ConfigurationError(f"tenants={profile.tenants} is too many; at most {MAX_TENANTS:,}")
    if profile.months > MAX_MONTHS:
        raise ConfigurationError(f"months={profile.months} is too long a window; at most {MAX_MONTHS}")


def _check_satisfiable(spec: DatasetSpec) -> None:
    """Claims need insured patients: a mix without any fails here, before the database is touched."""
    if not spec.insurance_claims:
        return
    mix = spec.persona_mix if spec.persona_mix is not None else {n: 1.0 for n in PERSONAS.names()}
    if not any(weight > 0 and PERSONAS.get(name).insured for name, weight in mix.items()):
        raise ConfigurationError(
            f"insurance_claims={spec.insurance_claims} but the persona mix has no insured persona "
            f"({', '.join(mix)}): uninsured visits have no claim",
            ["set insurance_claims to 0", "or add an insured persona to persona_mix"],
        )


def dataset_spec(profile: Profile, *, first_ids: Mapping[str, int] | None = None) -> DatasetSpec:
    """The bulk engine's spec for ``profile`` (validated: bad counts fail here, before any write)."""
    check_limits(profile)

    spec = DatasetSpec(
        patients=profile.count("patients"),
        providers=profile.count("providers"),
        appointments=profile.count("appointments"),
        medical_records=profile.count("medical_records"),
        insurance_claims=profile.count("insurance_claims"),
        persona_mix=dict(profile.persona_mix) if profile.persona_mix else None,
        months=profile.months,
        tenants=profile.tenants,
        locations=profile.count("locations"),
        first_ids=dict(first_ids or {}),
        population=profile.population,
    )
    spec.validate()
    _check_satisfiable(spec)
    return spec


def chosen_profile(
    profile: Profile | str | None,
    tenants: int | None,
    counts: Mapping[str, int | None] | None,
    qa: settings.QASettings,
) -> Profile:
    """The profile a run uses: the argument, else QA_ENVIRONMENT's, with the overrides applied."""
    chosen = resolve_profile(profile if profile is not None else qa.environment)
    return chosen.with_overrides(tenants=tenants, **dict(counts or {}))


def resolve_rng(seed: int | None, today: date | None, qa: settings.QASettings) -> Randomness:
    """The run's random stream: the seed argument, else QA_SEED (checked: a whole number >= 0)."""
    value = qa.seed if seed is None else seed
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(f"seed must be a whole number >= 0, got {value!r}")
    return Randomness(value, today=today)


def generate(
    profile: Profile | str | None = None,
    seed: int | None = None,
    *,
    tenants: int | None = None,
    counts: Mapping[str, int | None] | None = None,
    batch_size: int | None = None,
    today: date | None = None,
) -> Iterator[Batch]:
    """The profile's dataset as a deterministic stream of batches (no database involved)."""
    qa = settings.qa_settings()
    chosen = chosen_profile(profile, tenants, counts, qa)
    spec = dataset_spec(chosen)
    size = resolve_batch_size(batch_size, qa)
    return generate_dataset(spec, resolve_rng(seed, today, qa), size)


def generate_tables(
    profile: Profile | str | None = None,
    seed: int | None = None,
    **options: Any,
) -> dict[str, list[dict[str, Any]]]:
    """:func:`generate`, collected into table name -> rows (for exports and tests)."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for batch in generate(profile, seed, **options):
        tables.setdefault(batch.table, []).extend(batch.rows)
    return tables


def resolve_workers(workers: int | None, qa: settings.QASettings) -> int:
    """Generation processes: the argument, else QA_PARALLEL_WORKERS, else one per CPU."""
    chosen = qa.parallel_workers if workers is None else workers
    if chosen == 0 and workers is None:
        return default_workers()
    if isinstance(chosen, bool) or not isinstance(chosen, int) or chosen < 1:
        raise ConfigurationError(f"workers must be a whole number >= 1, got {chosen!r}")
    return chosen


def resolve_batch_size(batch_size: int | None, qa: settings.QASettings) -> int:
    """Rows per batch: the argument, else QA_BATCH_SIZE (checked: a whole number >= 1)."""
    size = qa.batch_size if batch_size is None else batch_size
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ConfigurationError(f"batch size must be a whole number >= 1, got {size!r}")
    return size


# --- seeding ---------------------------------------------------------------------------------


# Writers tied to one backend (the bulk engine's own fast paths).
_BACKEND_METHODS = {"copy": "postgresql", "driver": "sqlite"}


def _check_method(method: str, backend: str) -> None:
    """A writer the bulk engine has, and one the backend supports: before anything is reset."""
    if method not in METHODS:
        raise UnknownNameError("write method", method, METHODS)
    needs = _BACKEND_METHODS.get(method)
    if needs is not None and backend != needs:
        raise ConfigurationError(
            f"Write method {method!r} needs {needs}, not {backend}; use 'auto' or 'core'"
        )


def _prepare(
    db: Database, conn: Connection, *, reset: bool, append: bool, rng: Randomness
) -> tuple[str, dict[str, int], Randomness]:
    """Empty-or-flagged: a database holding rows needs ``reset`` or ``append``.

    Runs inside the seed's transaction: the reset is undone with the write if the
    write fails, and the rows counted are the rows the run lock protects.
    """
    held = sum(db.counts(conn).values())
    if not held:
        return "fresh", {}, rng
    if reset:
        db.empty_tables(conn)
        return "reset", {}, rng
    if append:
        first_ids = db.next_ids(conn, ID_TABLES)
        return "append", first_ids, append_rng(rng, first_ids)
    raise ConfigurationError(
        f"Database {describe(db)} already holds {held} rows; pass --reset to empty it "
        "first or --append to add to it"
    )


def append_rng(rng: Randomness, first_ids: Mapping[str, int]) -> Randomness:
    """The stream an append starting at ``first_ids`` draws from.

    A fresh stream per starting point: appending twice with one seed must not repeat
    the random parts (uuids) of the first run.
    """
    label = "append:" + ",".join(f"{t}={n}" for t, n in sorted(first_ids.items()))
    return rng.child(label)


def _write(
    db: Database,
    conn: Connection,
    spec: DatasetSpec,
    rng: Randomness,
    size: int,
    method: str,
    progress: ProgressCallback | None,
    defer_indexes: bool = False,
    workers: int = 1,
    dask_scheduler: str | None = None,
    stage: pg_shards.Staging | None = None,
) -> WriteResult:
    """Generate and write inside the seed's ONE transaction: a failure anywhere keeps nothing.

    ``defer_indexes`` (fresh or reset loads): indexes are built after the rows are in.
    PostgreSQL COPY loads of a fresh or reset database with several workers (or a Dask
    cluster) are written by the workers themselves through ``stage``
    (:mod:`healthcare_data.pg_shards`); everything else streams to this one writer."""
    from healthcare_data.bulk import write_dataset
    from healthcare_data.generation import generate_dataset

    try:
        if stage is not None and _workers_write(db, method, defer_indexes, workers, dask_scheduler):
            return pg_shards.write_sharded(
                db, conn, stage, spec, rng, size, workers, dask_scheduler=dask_scheduler, progress=progress
            )
        batches = generate_dataset(spec, rng, size, workers=workers, dask_scheduler=dask_scheduler)
        return write_dataset(
            db, batches, method=method, progress=progress, connection=conn, defer_indexes=defer_indexes
        )
    except PersistenceError as exc:
        # The generator refused the counts mid-stream (e.g. more claims than completed,
        # insured visits): still a bad request, and the atomic write kept nothing.
        cause = exc.__cause__
        if isinstance(cause, ConfigurationError):
            raise ConfigurationError(f"{cause.message}; nothing was written", cause.recovery) from exc
        raise
    except SQLAlchemyError as exc:
        # A generator error inside the atomic write can be masked by a cleanup statement
        # failing after it (the transaction is rolled back either way): report the cause.
        cause = _library_cause(exc)
        if cause is not None:
            raise cause from None
        raise


def _workers_write(
    db: Database, method: str, fresh: bool, workers: int, dask_scheduler: str | None
) -> bool:
    """Whether the workers COPY their own shards: PostgreSQL with the COPY writer, a
    fresh or reset load (an append keeps the single writer: its tables keep their
    indexes and rows, so there is nothing to gain from a second pass), and more than one
    worker or a Dask cluster."""
    return (
        db.backend == "postgresql"
        and method in ("auto", "copy")
        and fresh
        and (workers > 1 or dask_scheduler is not None)
    )


def seed(
    profile: Profile | str | None = None,
    url: str | Database | None = None,
    *,
    seed: int | None = None,
    tenants: int | None = None,
    counts: Mapping[str, int | None] | None = None,
    reset: bool = False,
    append: bool = False,
    batch_size: int | None = None,
    method: str | None = None,
    validate: bool | None = None,
    strict: bool | None = None,
    today: date | None = None,
    progress: ProgressCallback | None = None,
    on_ready: Callable[[Profile, Database], None] | None = None,
    workers: int | None = None,
    dask_scheduler: str | None = None,
) -> SeedResult:
    """Fill the database at ``url`` with ``profile``'s dataset through the bulk engine.

    Flags win over the QA_* environment settings (``settings.qa_settings``). Raises
    ConfigurationError / UnknownNameError before writing anything when the request is
    bad; ``on_ready(profile, db)`` is called once every check has passed (the CLI
    prints its header there). ``workers``: generation processes (default
    ``QA_PARALLEL_WORKERS``) or ``dask_scheduler`` (a Dask cluster): the rows are the
    same either way.
    """
    started = time.perf_counter()
    qa = settings.qa_settings()
    if reset and append:
        raise ConfigurationError("--reset and --append exclude each other; pick one")
    chosen = chosen_profile(profile, tenants, counts, qa)
    dataset_spec(chosen)  # counts the bulk engine cannot honour fail before the database is touched
    rng = resolve_rng(seed, today, qa)
    size = resolve_batch_size(batch_size, qa)
    processes = resolve_workers(workers, qa)
    write_method = method or qa.write_method

    db = open_database(url, create=False)
    try:
        _check_method(write_method, db.backend)
        db.check_connection()
        try:
            # staging() is left after the transaction: see pg_shards.staging
            with pg_shards.staging(db) as stage, db.write_transaction(qa.lock_timeout) as conn:
                mode, first_ids, rng = _prepare(db, conn, reset=reset, append=append, rng=rng)
                if db.backend == "postgresql":  # holding the run lock: no live run owns any
                    pg_shards.sweep(db)
                spec = dataset_spec(chosen, first_ids=first_ids)
                if on_ready is not None:
                    on_ready(chosen, db)
                log.info("seeding %s (seed %s, %s mode) into %s", chosen.name, rng.seed_value, mode, db.url)
                write = _write(
                    db,
                    conn,
                    spec,
                    rng,
                    size,
                    write_method,
                    progress,
                    defer_indexes=mode != "append",
                    workers=processes,
                    dask_scheduler=dask_scheduler,
                    stage=stage,
                )
                db.sync_sequences(conn)
        except (SQLAlchemyError, PersistenceError) as exc:
            if is_lock_timeout(exc) or is_lock_timeout(exc.__cause__ or exc):
                raise db.busy_error(qa.lock_timeout, "waited for a lock another session holds") from None
            raise
    except BaseException as exc:
        if db is not url:  # an engine this call opened
            db.dispose()
        # A new SQLite file stays (0 bytes, no tables: DDL was rolled back too). Deleting
        # it could lose a concurrent run's rows: that run may have the file open already.
        interrupt = _interruption(exc)
        if interrupt is not None and interrupt is not exc:
            # Ctrl-C/SIGTERM cut a driver call short and the cleanup failed on it: the
            # interrupt is what happened (the transaction was rolled back either way).
            raise interrupt from None
        raise

    enabled = qa.validation_enabled if validate is None else validate
    reports: dict[str, ValidationReport] = {}
    validation_seconds = 0.0
    if enabled:
        reports, validation_seconds = run_validators(db, today=rng.today)
    return SeedResult(
        profile=chosen,
        database=db,
        seed=qa.seed if seed is None else seed,
        mode=mode,
        write=write,
        total_seconds=time.perf_counter() - started,
        validation=reports,
        validation_seconds=validation_seconds,
        validation_enabled=enabled,
        strict=qa.strict_mode if strict is None else strict,
        first_ids=first_ids,
    )


def _interruption(exc: BaseException) -> BaseException | None:
    """The KeyboardInterrupt/Interrupted among the causes and contexts of ``exc``, if any."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        if isinstance(current, KeyboardInterrupt | Interrupted):
            return current
        seen.add(id(current))
        pending += [current.__cause__, current.__context__]
    return None


def _library_cause(exc: BaseException) -> HealthcareDataError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, HealthcareDataError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def validate(url: str | Database | None = None, *, today: date | None = None) -> dict[str, ValidationReport]:
    """Run every validator on the database at ``url`` (one the tool seeded)."""
    db = connect(url)
    try:
        reports, _ = run_validators(db, today=today)
    finally:
        if db is not url:
            db.dispose()
    return reports


# --- export ----------------------------------------------------------------------------------


def export(
    path: str | Path,
    format: str = "json",
    *,
    url: str | Database | None = None,
    profile: Profile | str | None = None,
    seed: int | None = None,
    tenants: int | None = None,
    per_table: bool | None = None,
    tables: Sequence[str] | None = None,
    fields: Mapping[str, Sequence[str]] | None = None,
    today: date | None = None,
    dialect: str = "sqlite",
    timezone: str = "UTC",
    progress: Any = None,
    batch_size: int | None = None,
) -> ExportResult:
    """Export a database (``url``) or, with ``profile``, a fresh generation run, to ``path``.

    Streams in bounded memory whatever the size (see :mod:`healthcare_data.export.run`).
    ``fields`` (or a custom profile's ``[fields]``) narrows tables to chosen columns; it
    passes the PHI guard first. ``dialect`` is the sql format's, ``timezone`` the FHIR
    formats' zone for naive timestamps.
    """
    # Imported here: export.run imports this module (seeding.generate feeds an export of a
    # profile), and loading every exporter would slow the seed and validate commands.
    from healthcare_data.export.run import export_dataset
    from healthcare_data.export.writers import check_format

    check_format(format)
    options = {"dialect": dialect, "timezone": timezone}
    if profile is not None and url is not None:
        raise ConfigurationError("export reads either a database (--database-url) or a profile, not both")
    if profile is not None:
        qa = settings.qa_settings()
        chosen = chosen_profile(profile, tenants, None, qa)
        rng = resolve_rng(seed, today, qa)
        return export_dataset(
            path, format, profile=chosen, seed=rng.seed_value, per_table=per_table, tables=tables,
            fields=fields if fields is not None else chosen.fields, today=today,
            source={"profile": chosen.name, "seed": rng.seed_value}, options=options, progress=progress,
            batch_size=batch_size,
        )
    if seed is not None:
        raise ConfigurationError("--seed applies to --profile exports; a database export has no seed")
    db = connect(url)
    try:
        require_schema(db)
        return export_dataset(
            path, format, db=db, per_table=per_table, tables=tables, fields=fields,
            source={"database": db.url}, options=options, progress=progress, batch_size=batch_size,
        )
    finally:
        if db is not url:
            db.dispose()


# SeedResult is what seed() returns and connect() how every entry point opens a database:
# both stay importable from here (their homes: seed_result.py, connections.py).
__all__ = [
    "SeedResult",
    "connect",
    "dataset_spec",
    "export",
    "generate",
    "generate_tables",
    "open_database",
    "seed",
    "validate",
]
