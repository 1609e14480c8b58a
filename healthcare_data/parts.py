"""Workers that write their own shard: NDJSON or Parquet part files, no single writer.

``write_parts(spec, rng, out, "ndjson", workers=N)`` writes the dataset of
:func:`~healthcare_data.generation.generate_dataset` as ``out/<table>/part-NNNNN.<ext>``,
each part written by the process (or Dask worker) that generated it, so a run is not
capped at what one writer can receive. The rows are those of the stream, id for id:

* the global tables (tenants, locations) are part 0, written first by the caller;
* phase-1 task *k* (:func:`healthcare_data.shards.generate_task`) writes part *k* of
  patients, patient_profiles, providers and appointments;
* phase-2 task *k* writes part *k* of medical_records and insurance_claims, and of
  patient_conditions. Condition ids are numbered in unit order and a patient has a random
  number of conditions, so phase 1 leaves each task's conditions in a pending file and
  reports how many there are; by phase 2 the caller knows every earlier task's count and
  hands the task its first id (no coordination between workers, no renumbering pass).

Part names come from the task index, and tasks are cut by :data:`shards.TASK_ROWS` alone:
the files (their bytes) are the same whatever the number of workers; reading a table's
parts in name order gives the rows of the single-process stream in order.

All or nothing: everything is written under a temporary directory beside ``out`` and moved
into place when the last part is in; a failure (a worker killed, a bad request, Ctrl-C)
removes it and leaves ``out`` as it was. On a real Dask cluster ``out`` must be on storage
every worker and the client share (NFS, a mounted bucket).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from healthcare_data.errors import ConfigurationError
from healthcare_data.generation import (
    DEFAULT_BATCH_SIZE,
    Batch,
    DatasetSpec,
    _Store,
    checked_plan,
    global_rows,
)
from healthcare_data.generation_plan import _Plan
from healthcare_data.randomness import Randomness
from healthcare_data.shards import (
    Unit,
    Visits,
    _runner,
    _visit_tasks,
    generate_task,
    tasks,
    units,
    visit_task,
)

#: Output formats workers can write themselves, and their file suffixes.
PART_FORMATS: dict[str, str] = {"ndjson": ".ndjson", "parquet": ".parquet"}
_PENDING = ".pending"  # phase-1 conditions waiting for their first id
_SCRATCH = ".scratch"  # a part being written, before its files move into place

PartProgress = Callable[[str, int], None]  # (table, rows in the part just written)


def part_name(part: int, fmt: str) -> str:
    return f"part-{part:05d}{PART_FORMATS[fmt]}"


def _write_part(fmt: str, staging: Path, part: int, phase: int, batches: Sequence[Batch]) -> dict[str, int]:
    """``batches`` as ``<table>/part-NNNNN.<ext>`` under ``staging``; rows per table.

    The existing writers (``stream_to_ndjson``, ``write_parquet``) write the part into a
    scratch directory of its own, then each table's file moves to its place."""
    counts: dict[str, int] = {}
    for batch in batches:
        counts[batch.table] = counts.get(batch.table, 0) + len(batch.rows)
    if not counts:
        return counts
    scratch = staging / _SCRATCH / f"{phase}-{part}"
    scratch.mkdir(parents=True)
    if fmt == "ndjson":
        from healthcare_data.ndjson import stream_to_ndjson

        stream_to_ndjson(batches, scratch)
    else:
        from healthcare_data.export.parquet import write_parquet

        write_parquet(batches, scratch)
    for table in counts:
        (staging / table).mkdir(exist_ok=True)
        os.replace(scratch / f"{table}{PART_FORMATS[fmt]}", staging / table / part_name(part, fmt))
    scratch.rmdir()
    return counts


class PartSink(Protocol):
    """Where a task's rows go: part files here, PostgreSQL staging tables in
    :mod:`healthcare_data.pg_shards`. Sent to the workers, so it must pickle; it holds a
    phase-1 task's conditions until phase 2 hands them their first id."""

    def write(self, part: int, phase: int, batches: Sequence[Batch]) -> dict[str, int]:
        """Write ``batches`` as part ``part`` of ``phase``; rows per table."""
        ...

    def hold(self, part: int, batches: list[Batch]) -> None:
        """Keep part ``part``'s conditions until phase 2."""
        ...

    def take(self, part: int) -> list[Batch]:
        """The conditions :meth:`hold` kept for part ``part`` (and forget them)."""
        ...


@dataclass(frozen=True)
class FileSink:
    """Part files of ``fmt`` under the run's ``staging`` directory; pending conditions
    pickled beside them."""

    fmt: str
    staging: str

    def write(self, part: int, phase: int, batches: Sequence[Batch]) -> dict[str, int]:
        return _write_part(self.fmt, Path(self.staging), part, phase, batches)

    def _pending(self, part: int) -> Path:
        return Path(self.staging) / _PENDING / f"{part}.pickle"

    def hold(self, part: int, batches: list[Batch]) -> None:
        with self._pending(part).open("wb") as handle:
            pickle.dump(batches, handle, protocol=pickle.HIGHEST_PROTOCOL)

    def take(self, part: int) -> list[Batch]:
        pending = self._pending(part)
        with pending.open("rb") as handle:
            held: list[Batch] = pickle.load(handle)  # noqa: S301 - our own file, written by phase 1
        pending.unlink()
        return held


def entity_part(
    seed: int | None, today: date, task: Sequence[Unit], size: int, sink: PartSink, part: int
) -> tuple[dict[str, int], list[tuple[_Store, int, int]], int]:
    """Phase 1 in a worker: generate the task, write its part, hold its conditions back.
    Returns the rows written, the units' stores, and the conditions held back."""
    batches, kept = generate_task(seed, today, task, size)
    held = [batch for batch in batches if batch.table == "patient_conditions"]
    counts = sink.write(part, 1, [b for b in batches if b.table != "patient_conditions"])
    sink.hold(part, held)
    return counts, kept, sum(len(batch.rows) for batch in held)


def visit_part(
    seed: int | None,
    today: date,
    task: Sequence[Visits],
    size: int,
    sink: PartSink,
    part: int,
    first_condition: int,
) -> dict[str, int]:
    """Phase 2 in a worker: the task's conditions numbered from ``first_condition``, its
    records and claims, written as part ``part``."""
    held = sink.take(part)
    serial = first_condition
    for batch in held:
        for row in batch.rows:
            row["id"] = serial
            serial += 1
    return sink.write(part, 2, [*held, *visit_task(seed, today, task, size)])


def run_parts(
    plan: _Plan,
    rng: Randomness,
    sink: PartSink,
    batch_size: int,
    workers: int,
    dask_scheduler: str | None,
    tally: Callable[[dict[str, int]], None],
) -> None:
    """The whole dataset through ``sink``, each part written by the worker that made it:
    the global tables as part 0 (here), phase 1 and phase 2 as parts 1..n; ``tally(counts)``
    after each part is in. One place for the two phases and the condition numbering,
    whatever the sink."""
    tally(sink.write(0, 0, list(global_rows(plan, rng, batch_size))))
    all_units = units(plan)
    work = tasks(all_units)
    seed, today = rng.seed_value, rng.today
    runner = _runner(workers, len(work), dask_scheduler)
    try:
        stores: list[tuple[_Store, int, int]] = []
        held: list[int] = []
        calls = ((seed, today, task, batch_size, sink, k) for k, task in enumerate(work))
        for counts, kept, conditions in runner.map(entity_part, calls):
            tally(counts)
            stores.extend(kept)
            held.append(conditions)
        visit_work = _visit_tasks(plan, all_units, stores, work)
        firsts, serial = [], plan.first["patient_conditions"]
        for conditions in held:
            firsts.append(serial)
            serial += conditions
        calls2 = ((seed, today, task, batch_size, sink, k, firsts[k]) for k, task in enumerate(visit_work))
        for counts in runner.map(visit_part, calls2):
            tally(counts)
    finally:
        runner.close()


def write_parts(
    spec: DatasetSpec,
    rng: Randomness,
    out: str | Path,
    fmt: str = "ndjson",
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    workers: int = 1,
    dask_scheduler: str | None = None,
    progress: PartProgress | None = None,
) -> dict[str, int]:
    """Write the dataset ``spec`` describes as part files under ``out`` (a new or empty
    directory), each part by the worker that generated it; returns rows per table.

    ``progress(table, rows)`` is called in this process after each part file is in.
    """
    if fmt not in PART_FORMATS:
        raise ConfigurationError(f"part files are written as {' or '.join(PART_FORMATS)}, not {fmt!r}")
    plan = checked_plan(spec, rng, batch_size, workers)
    target = Path(out)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ConfigurationError(
            f"Output {str(target)!r} is not an empty directory; part files go to a new or empty one"
        )
    from healthcare_data.export.stream import atomic_output

    totals: dict[str, int] = {}

    def tally(counts: dict[str, int]) -> None:
        for table, rows in counts.items():
            totals[table] = totals.get(table, 0) + rows
            if progress is not None:
                progress(table, rows)

    with atomic_output(target, directory=True) as staging:
        (staging / _PENDING).mkdir()
        run_parts(plan, rng, FileSink(fmt, str(staging)), batch_size, workers, dask_scheduler, tally)
        for scratch in (staging / _PENDING, staging / _SCRATCH):
            if scratch.exists():
                scratch.rmdir()
    return totals


__all__ = ["PART_FORMATS", "FileSink", "PartSink", "part_name", "run_parts", "write_parts"]
