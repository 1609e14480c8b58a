"""Streams of row batches for every export, and outputs that appear only when complete.

Every writer consumes an iterator of :class:`~healthcare_data.generation.Batch` (a table
name and at most ``batch_size`` rows), so memory stays bounded whether the rows come from
a database (:func:`database_batches`, a server-side cursor) or straight from a
generation run (:func:`healthcare_data.seeding.generate`). Writers that need each table
in one piece (a JSON document, a single NDJSON file) pass the stream through
:func:`contiguous`, which parks out-of-turn batches in a spool file on disk, not in memory.

:func:`atomic_output` gives a writer a temporary file or directory beside the target and
renames it into place at the end, so a failed export leaves no truncated file behind.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select

from healthcare_data.db import Database
from healthcare_data.errors import ConfigurationError
from healthcare_data.export.codec import schema_types, value_type
from healthcare_data.generation import Batch
from healthcare_data.schema import Base

DEFAULT_BATCH_SIZE = 5000
ProgressCallback = Callable[[str, int, int], None]


def database_batches(
    db: Database,
    tables: Sequence[str],
    fields: Mapping[str, Sequence[str]] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Iterator[Batch]:
    """Each table's rows ordered by primary key, ``batch_size`` at a time, parents first.

    A server-side cursor (``stream_results``) keeps at most one batch in memory on every
    backend; an empty table still yields one empty batch so writers know it exists.
    """
    with db.engine.connect() as conn:
        for name in tables:
            table = Base.metadata.tables[name]
            columns = [table.c[c] for c in fields[name]] if fields and name in fields else [table]
            statement = select(*columns).order_by(*table.primary_key.columns)
            result = conn.execution_options(stream_results=True, yield_per=batch_size).execute(statement)
            keys = [str(k) for k in result.keys()]
            empty = True
            for part in result.partitions(batch_size):
                empty = False
                yield Batch(name, [dict(zip(keys, row, strict=True)) for row in part])
            if empty:
                yield Batch(name, [])


def table_batches(
    tables: Mapping[str, list[dict[str, Any]]], batch_size: int = DEFAULT_BATCH_SIZE
) -> Iterator[Batch]:
    """An in-memory ``name -> rows`` mapping as a batch stream (the :func:`write_tables` API)."""
    for name, rows in tables.items():
        if not rows:
            yield Batch(str(name), [])
        for start in range(0, len(rows), batch_size):
            yield Batch(str(name), rows[start : start + batch_size])


def select_columns(batches: Iterable[Batch], fields: Mapping[str, Sequence[str]] | None) -> Iterator[Batch]:
    """Keep only the chosen columns of the tables ``fields`` names (the selection is checked
    by the caller)."""
    if not fields:
        yield from batches
        return
    for batch in batches:
        chosen = fields.get(batch.table)
        if chosen is None:
            yield batch
        else:
            yield Batch(batch.table, [{c: row.get(c) for c in chosen} for row in batch.rows])


def only_tables(batches: Iterable[Batch], tables: Sequence[str] | None) -> Iterator[Batch]:
    if tables is None:
        yield from batches
        return
    wanted = set(tables)
    yield from (b for b in batches if b.table in wanted)


def columns_for(table: str, rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Column -> type name from a table's first batch: the schema's order and types for the
    columns present, then any extra keys (typed by their first non-NULL value).

    An empty first batch of a schema table gives all of its columns.
    """
    known = schema_types(table)
    if not rows:
        return dict(known)
    present: dict[str, str] = {}
    for row in rows[:100]:
        for key, value in row.items():
            if key not in present or (present[key] == "str" and value is not None and key not in known):
                present[key] = known.get(key) or (value_type(value) if value is not None else "str")
    ordered = {c: t for c, t in known.items() if c in present}
    ordered.update({c: t for c, t in present.items() if c not in ordered})
    return ordered


def counted(
    batches: Iterable[Batch], counts: dict[str, int], progress: ProgressCallback | None
) -> Iterator[Batch]:
    """Pass batches through, counting rows per table and reporting progress."""
    for batch in batches:
        counts[batch.table] = counts.get(batch.table, 0) + len(batch.rows)
        if progress is not None and batch.rows:
            progress(batch.table, len(batch.rows), counts[batch.table])
        yield batch


def contiguous(batches: Iterable[Batch], spool: Path) -> Iterator[Batch]:
    """The same batches with each table's in one run, tables in order of first appearance.

    The first table streams through; batches of others that arrive meanwhile (a patient
    batch's conditions and profiles) go to a pickle spool file per table under ``spool``
    and are replayed afterwards, so memory holds one batch, never a table.
    """
    order: list[str] = []
    spooled: dict[str, Any] = {}
    current: str | None = None
    finished: set[str] = set()
    try:
        for batch in batches:
            if batch.table not in order:
                order.append(batch.table)
            if current is None:
                current = batch.table
            if batch.table == current:
                yield batch
                continue
            handle = spooled.get(batch.table)
            if handle is None:
                handle = spooled[batch.table] = (spool / f"{len(spooled)}.spool").open("w+b")
            pickle.dump(batch.rows, handle, protocol=pickle.HIGHEST_PROTOCOL)
        if current is not None:
            finished.add(current)
        for name in order:
            if name in finished:
                continue
            handle = spooled[name]
            handle.seek(0)
            while True:
                try:
                    rows = pickle.load(handle)  # noqa: S301 - our own spool file, written above
                except EOFError:
                    break
                yield Batch(name, rows)
    finally:
        for handle in spooled.values():
            handle.close()


@contextlib.contextmanager
def atomic_output(target: Path, *, directory: bool) -> Iterator[Path]:
    """A temporary file or directory beside ``target``, moved into place on success.

    A file is renamed over ``target`` (one atomic step). A directory becomes ``target``
    if it does not exist; into an existing directory each file is renamed in turn. On any
    error the temporary output is deleted and ``target`` is left as it was.
    """
    if directory:
        if target.exists() and not target.is_dir():
            raise ConfigurationError(f"Output {str(target)!r} is a file; this layout writes a directory")
    elif target.is_dir():
        raise ConfigurationError(f"Output {str(target)!r} is a directory; give a file name or --per-table")
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        if directory:
            yield temp
            _move_into(temp, target)
        else:
            file = temp / target.name
            yield file
            os.replace(file, target)
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def _move_into(source: Path, target: Path) -> None:
    if not target.exists():
        os.replace(source, target)
        return
    for item in sorted(source.rglob("*")):
        if item.is_file():
            destination = target / item.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(item, destination)


@contextlib.contextmanager
def spool_directory(near: Path) -> Iterator[Path]:
    """A scratch directory on the output's file system (removed afterwards)."""
    near.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=".spool.", dir=near))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
