"""One export, from a database or from a generation run, to any format, streamed.

Tabular and fixture formats consume the batch stream directly (a database's
server-side cursor or :func:`healthcare_data.seeding.generate`'s batches). The FHIR
formats join across tables (a claim's payer is on its patient), so a generation run is
first written to a scratch SQLite file beside the output and exported from there: the
rows go to disk, not to memory.

:func:`export_parts` is the other layout of a generation run: NDJSON or Parquet part files
(``<table>/part-NNNNN.<ext>``), each written by the worker process (or Dask worker) that
generated it (:func:`healthcare_data.parts.write_parts`), so no single writer caps it.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from healthcare_data.bulk import write_dataset
from healthcare_data.db import Database
from healthcare_data.errors import ConfigurationError
from healthcare_data.export import fhir
from healthcare_data.export.database import check_selection, check_tables, table_names
from healthcare_data.export.sqldump import check_dialect
from healthcare_data.export.stream import (
    DEFAULT_BATCH_SIZE,
    ProgressCallback,
    atomic_output,
    database_batches,
    only_tables,
    select_columns,
)
from healthcare_data.export.writers import ExportResult, check_format, write_batches
from healthcare_data.generation import Batch
from healthcare_data.seeding import generate

FHIR_FORMATS = ("fhir", "fhir-bundle")


def _check_fhir_options(
    fmt: str, tables: Sequence[str] | None, fields: Mapping[str, Any] | None, per_table: bool | None
) -> None:
    for flag, value in (("--tables", tables), ("--fields", fields), ("--per-table", per_table)):
        if value:
            raise ConfigurationError(
                f"{flag} does not apply to {fmt} (it maps whole tables to FHIR resources)"
            )


def export_fhir(
    db: Database,
    path: str | Path,
    fmt: str = "fhir",
    *,
    timezone: str = "UTC",
    progress: ProgressCallback | None = None,
) -> ExportResult:
    """Bulk FHIR NDJSON (``fhir``) or per-patient transaction Bundles (``fhir-bundle``)."""
    if fmt not in FHIR_FORMATS:
        raise ConfigurationError(f"export_fhir writes {' or '.join(FHIR_FORMATS)}, not {fmt!r}")
    target = Path(path)
    started = time.perf_counter()
    with atomic_output(target, directory=True) as out:
        writer = fhir.write_bulk if fmt == "fhir" else fhir.write_bundles
        counts = writer(db, out, timezone=timezone, progress=progress)
        # One bundle file per patient: a list of them (300 bytes a path) was most of the
        # export's memory at 1M patients (401 MB peak against 110 MB without it).
        files = sorted(target / p.name for p in out.iterdir()) if fmt == "fhir" else []
    rows = db.counts()
    return ExportResult(fmt, target, files, rows, time.perf_counter() - started, resources=counts)


def _generated(
    profile: Any, seed: int | None, tenants: int | None, today: date | None, batch_size: int | None
) -> Iterator[Batch]:
    return generate(profile, seed, tenants=tenants, today=today, batch_size=batch_size)


def export_parts(
    path: str | Path,
    fmt: str = "ndjson",
    *,
    profile: Any = None,
    seed: int | None = None,
    tenants: int | None = None,
    today: date | None = None,
    workers: int | None = None,
    dask_scheduler: str | None = None,
    batch_size: int | None = None,
    progress: ProgressCallback | None = None,
) -> ExportResult:
    """A generation run of ``profile`` as part files under ``path`` (a new or empty directory).

    The files are the same, byte for byte, whatever ``workers`` (default
    ``QA_PARALLEL_WORKERS``, else the CPUs, resolved as ``seed`` resolves them) or the Dask
    cluster; reading a table's parts in name order gives the rows a single-process
    :func:`export_dataset` of the run writes. All or nothing: a failure leaves ``path`` as
    it was. ``progress(table, rows, so_far)`` is called after each part file is in.
    """
    from healthcare_data import seeding, settings
    from healthcare_data.parts import PART_FORMATS, write_parts

    qa = settings.qa_settings()
    chosen = seeding.chosen_profile(profile, tenants, None, qa)
    if chosen.fields:
        raise ConfigurationError(
            f"profile {chosen.name!r} narrows its exports with [fields]; part files hold whole "
            "tables: export it without part files"
        )
    rng = seeding.resolve_rng(seed, today, qa)
    so_far: dict[str, int] = {}

    def tally(table: str, rows: int) -> None:
        so_far[table] = so_far.get(table, 0) + rows
        if progress is not None:
            progress(table, rows, so_far[table])

    started = time.perf_counter()
    counts = write_parts(
        seeding.dataset_spec(chosen),
        rng,
        path,
        fmt,
        batch_size=seeding.resolve_batch_size(batch_size, qa),
        workers=seeding.resolve_workers(workers, qa),
        dask_scheduler=dask_scheduler,
        progress=tally,
    )
    files = sorted(Path(path).rglob(f"*{PART_FORMATS[fmt]}"))
    return ExportResult(fmt, Path(path), files, counts, time.perf_counter() - started)


def export_dataset(
    path: str | Path,
    fmt: str = "json",
    *,
    db: Database | None = None,
    profile: Any = None,
    seed: int | None = None,
    tenants: int | None = None,
    per_table: bool | None = None,
    tables: Sequence[str] | None = None,
    fields: Mapping[str, Sequence[str]] | None = None,
    today: date | None = None,
    source: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
    progress: ProgressCallback | None = None,
    batch_size: int | None = None,
) -> ExportResult:
    """Stream ``db`` (or a generation run of ``profile``) to ``path`` as ``fmt``."""
    check_format(fmt)
    settings = dict(options or {})
    if fmt == "sql":
        check_dialect(settings.get("dialect", "sqlite"))
    if tables is not None:
        check_tables(tables)
    if fields:
        check_selection(fields)
    size = batch_size or DEFAULT_BATCH_SIZE
    if fmt in FHIR_FORMATS:
        _check_fhir_options(fmt, tables, fields, per_table)
        timezone = settings.get("timezone", "UTC")
        if db is not None:
            return export_fhir(db, path, fmt, timezone=timezone, progress=progress)

        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".fhir-scratch.", dir=Path(path).parent) as scratch:
            staging = Database(f"sqlite:///{Path(scratch) / 'staging.db'}").create_schema()
            try:
                write_dataset(staging, _generated(profile, seed, tenants, today, batch_size))
                return export_fhir(staging, path, fmt, timezone=timezone, progress=progress)
            finally:
                staging.dispose()
    if db is not None:
        batches: Iterator[Batch] = database_batches(db, tables or table_names(), fields, size)
    else:
        batches = select_columns(
            only_tables(_generated(profile, seed, tenants, today, batch_size), tables), fields
        )
    return write_batches(
        batches, path, fmt, per_table=per_table, source=source, progress=progress, options=settings
    )
