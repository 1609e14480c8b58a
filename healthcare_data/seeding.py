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
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, inspect
from sqlalchemy.exc import SQLAlchemyError

from healthcare_data import settings
from healthcare_data.db import Database, is_lock_timeout, open_database
from healthcare_data.errors import (
    ConfigurationError,
    HealthcareDataError,
    PersistenceError,
    UnknownNameError,
)
from healthcare_data.profiles import Profile, resolve_profile
from healthcare_data.randomness import Randomness

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from healthcare_data.bulk import WriteResult
    from healthcare_data.export import ExportResult
    from healthcare_data.generation import Batch, DatasetSpec
    from healthcare_data.violations import ValidationReport

ProgressCallback = Callable[[str, int, int], None]


# --- databases -------------------------------------------------------------------------------


def sqlite_path(db: Database) -> Path | None:
    """The absolute path of an SQLite database file (None for other backends or memory)."""
    if db.backend != "sqlite":
        return None
    name = db.engine.url.database
    if not name or name == ":memory:":
        return None
    return Path(name).resolve()


def describe(db: Database) -> str:
    """How messages name a database: the SQLite file's path, else the URL (password hidden)."""
    path = sqlite_path(db)
    return f"SQLite file {str(path)!r}" if path else repr(db.url)


def connect(url: str | Database | None = None, *, create_schema: bool = False) -> Database:
    """Open ``url`` (or the configured default), prove it answers, optionally create tables.

    Raises ConfigurationError naming the database when it is malformed, unsupported or
    unreachable, or (without ``create_schema``) an SQLite file that does not exist. An
    open :class:`Database` is checked and used as it is.
    """
    db = open_database(url, create=False)
    try:
        path = sqlite_path(db)
        if not create_schema and path is not None and not path.exists():
            raise ConfigurationError(
                f"SQLite file {str(path)!r} does not exist; seed it first: healthcare-data seed"
            )
        db.check_connection()
        if create_schema:
            _create_schema(db)
    except BaseException:
        if db is not url:
            db.dispose()
        raise
    return db


def _create_schema(db: Database) -> None:
    try:
        db.create_schema()
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise ConfigurationError(f"Cannot create the tables in {describe(db)}: {reason}") from None


def require_schema(db: Database) -> None:
    """A database the tool never seeded has none of our tables (or only look-alikes of
    another application's): say so instead of failing on SQL."""
    present = set(inspect(db.engine).get_table_names())
    if "patients" not in present:
        raise ConfigurationError(
            f"Database {describe(db)} has no healthcare-data tables; seed it first: "
            "healthcare-data seed --database-url ..."
        )
    db.check_tables()


# --- specs and generation --------------------------------------------------------------------


#: Largest count of one entity a run accepts: generation keeps ~16 bytes per patient and
#: 9 per appointment in memory, so 10 million stays far below a MemoryError (and a
#: typo like 10**12 fails in a line instead of after minutes of swapping).
MAX_COUNT = 10_000_000
MAX_TENANTS = 100_000
MAX_MONTHS = 120


def check_limits(profile: Profile) -> None:
    """Counts, tenants and months within what one run can hold (ConfigurationError otherwise)."""
    from healthcare_data.profiles import ENTITIES

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
    from healthcare_data.personas import PERSONAS

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
    from healthcare_data.generation import DatasetSpec

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


def _profile(
    profile: Profile | str | None,
    tenants: int | None,
    counts: Mapping[str, int | None] | None,
    qa: settings.QASettings,
) -> Profile:
    chosen = resolve_profile(profile if profile is not None else qa.environment)
    return chosen.with_overrides(tenants=tenants, **dict(counts or {}))


def _rng(seed: int | None, today: date | None, qa: settings.QASettings) -> Randomness:
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
    from healthcare_data.generation import generate_dataset

    qa = settings.qa_settings()
    chosen = _profile(profile, tenants, counts, qa)
    spec = dataset_spec(chosen)
    size = _batch_size(batch_size, qa)
    return generate_dataset(spec, _rng(seed, today, qa), size)


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


def _workers(workers: int | None, qa: settings.QASettings) -> int:
    """Generation processes: the argument, else QA_PARALLEL_WORKERS, else one per CPU."""
    chosen = qa.parallel_workers if workers is None else workers
    if chosen == 0 and workers is None:
        from healthcare_data.shards import default_workers

        return default_workers()
    if isinstance(chosen, bool) or not isinstance(chosen, int) or chosen < 1:
        raise ConfigurationError(f"workers must be a whole number >= 1, got {chosen!r}")
    return chosen


def _batch_size(batch_size: int | None, qa: settings.QASettings) -> int:
    size = qa.batch_size if batch_size is None else batch_size
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ConfigurationError(f"batch size must be a whole number >= 1, got {size!r}")
    return size


# --- seeding ---------------------------------------------------------------------------------


@dataclass
class SeedResult:
    """What a seeding run did, how fast, and whether the data passed validation."""

    profile: Profile
    database: Database
    seed: int
    mode: str  # "fresh", "reset" or "append"
    write: WriteResult
    total_seconds: float
    validation: dict[str, ValidationReport] = field(default_factory=dict)
    validation_seconds: float = 0.0
    validation_enabled: bool = True
    strict: bool = False
    first_ids: dict[str, int] = field(default_factory=dict)

    @property
    def target_seconds(self) -> float:
        return self.profile.target_seconds

    @property
    def target_met(self) -> bool:
        return self.total_seconds <= self.target_seconds

    @property
    def performance_ratio(self) -> float:
        """Share of the target time used (0.82: finished in 82% of the allowed time)."""
        return self.total_seconds / self.target_seconds if self.target_seconds else 0.0

    @property
    def total_records(self) -> int:
        return self.write.total_rows

    @property
    def records_per_second(self) -> float:
        return self.total_records / self.total_seconds if self.total_seconds else 0.0

    @property
    def failed_validations(self) -> list[ValidationReport]:
        return [r for r in self.validation.values() if not report_passes(r, strict=self.strict)]

    @property
    def errors(self) -> list[str]:
        errors = [report.summary() for report in self.failed_validations]
        if self.strict and not self.target_met:
            errors.append(
                f"target time missed: {self.total_seconds:.1f}s > {self.target_seconds:.0f}s (strict mode)"
            )
        return errors

    @property
    def success(self) -> bool:
        return not self.errors

    def entity_rows(self) -> list[dict[str, object]]:
        """entity, rows, seconds, rows/s per table written (for the summary table)."""
        rows = []
        for table, count in self.write.rows.items():
            seconds = self.write.seconds.get(table, 0.0)
            rows.append(
                {
                    "entity": table,
                    "rows": count,
                    "seconds": round(seconds, 3),
                    "rows/s": round(count / seconds) if seconds else None,
                }
            )
        return rows

    def validation_rows(self) -> list[dict[str, object]]:
        return [validation_row(r, self.strict) for r in self.validation.values()]

    def metrics(self) -> dict[str, Any]:
        """The QA seed document's metrics dictionary, plus per-entity and validation detail."""
        path = sqlite_path(self.database)
        return {
            "environment": self.profile.name,
            "profile_name": self.profile.title,
            "total_time_seconds": round(self.total_seconds, 3),
            "target_time_seconds": self.target_seconds,
            "performance_ratio": round(self.performance_ratio, 4),
            "target_met": self.target_met,
            "total_records_created": self.total_records,
            "records_per_second": round(self.records_per_second, 2),
            "validation_time_seconds": round(self.validation_seconds, 3),
            "errors": self.errors,
            "success": self.success,
            "database": self.database.url,
            "backend": self.database.backend,
            "sqlite_path": str(path) if path else None,
            "seed": self.seed,
            "mode": self.mode,
            "tenants": self.profile.tenants,
            "write_method": self.write.method,
            "target_records_per_second": self.profile.target_records_per_second,
            "entities": {
                row["entity"]: {k: v for k, v in row.items() if k != "entity"} for row in self.entity_rows()
            },
            "validation": {
                name: {
                    "checked": report.checked,
                    "violations": len(report.violations),
                    "passed": report_passes(report, strict=self.strict),
                    "seconds": round(report.seconds, 3),
                }
                for name, report in self.validation.items()
            },
            "statistics": statistics_rows(self.validation),
            "validation_notes": validation_notes(self.validation),
        }


def report_passes(report: ValidationReport, *, strict: bool = False) -> bool:
    """A report passes with no violations; outside strict mode statistics findings only warn."""
    from healthcare_data.violations import STATISTICS

    if strict:
        return report.ok
    return all(v.category == STATISTICS for v in report.violations)


def validation_row(report: ValidationReport, strict: bool = False) -> dict[str, object]:
    passed = report_passes(report, strict=strict)
    status = "PASS" if report.ok else ("WARN" if passed else "FAIL")
    return {
        "validation": report.name,
        "checked": report.checked,
        "violations": len(report.violations),
        "status": status,
        "seconds": round(report.seconds, 3),
    }


def statistics_rows(reports: Mapping[str, ValidationReport]) -> list[dict[str, Any]]:
    """Every statistical test the validators ran: test, statistic, p-value, observed vs expected."""
    return [test.as_dict() for report in reports.values() for test in getattr(report, "tests", ())]


def validation_notes(reports: Mapping[str, ValidationReport]) -> list[str]:
    """What the validators could not do (e.g. statistics skipped without SciPy)."""
    return [note for report in reports.values() if (note := getattr(report, "skipped", None))]


def run_validators(db: Database, *, today: date | None = None) -> tuple[dict[str, ValidationReport], float]:
    """Every registered validator on ``db``; returns the reports and the seconds they took."""
    from healthcare_data.validation import run_all

    require_schema(db)
    started = time.perf_counter()
    with db.shared_run_lock(settings.qa_settings().lock_timeout):  # a seed in progress finishes first
        reports = run_all(db, today=today)
    seconds = time.perf_counter() - started
    log.info("%d validators on %s in %.2f s", len(reports), db.url, seconds)
    for report in reports.values():
        log.debug("%s", report.summary())
    return reports, seconds


# Writers tied to one backend (the bulk engine's own fast paths).
_BACKEND_METHODS = {"copy": "postgresql", "driver": "sqlite"}


def _check_method(method: str, backend: str) -> None:
    """A writer the bulk engine has, and one the backend supports: before anything is reset."""
    from healthcare_data.bulk import METHODS

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
        from healthcare_data.generation import ID_TABLES

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
) -> WriteResult:
    """Generate and write inside the seed's ONE transaction: a failure anywhere keeps nothing.

    ``defer_indexes`` (fresh or reset loads): indexes are built after the rows are in."""
    from healthcare_data.bulk import write_dataset
    from healthcare_data.generation import generate_dataset

    batches = generate_dataset(spec, rng, size, workers=workers, dask_scheduler=dask_scheduler)
    try:
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
    chosen = _profile(profile, tenants, counts, qa)
    dataset_spec(chosen)  # counts the bulk engine cannot honour fail before the database is touched
    rng = _rng(seed, today, qa)
    size = _batch_size(batch_size, qa)
    processes = _workers(workers, qa)
    write_method = method or qa.write_method

    db = open_database(url, create=False)
    try:
        _check_method(write_method, db.backend)
        db.check_connection()
        try:
            with db.write_transaction(qa.lock_timeout) as conn:
                mode, first_ids, rng = _prepare(db, conn, reset=reset, append=append, rng=rng)
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
    from healthcare_data.errors import Interrupted

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
    from healthcare_data.export.run import export_dataset
    from healthcare_data.export.writers import check_format

    check_format(format)
    options = {"dialect": dialect, "timezone": timezone}
    if profile is not None and url is not None:
        raise ConfigurationError("export reads either a database (--database-url) or a profile, not both")
    if profile is not None:
        qa = settings.qa_settings()
        chosen = _profile(profile, tenants, None, qa)
        rng = _rng(seed, today, qa)
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


__all__ = [
    "SeedResult",
    "connect",
    "describe",
    "open_database",
    "dataset_spec",
    "export",
    "generate",
    "generate_tables",
    "report_passes",
    "run_validators",
    "seed",
    "sqlite_path",
    "validate",
]
