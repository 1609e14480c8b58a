"""NDJSON output of a row stream: a file per table, or one file of tagged lines.

Kept apart from :mod:`healthcare_data.bulk` (which re-exports it) so a worker process that
writes NDJSON part files (:mod:`healthcare_data.parts`) loads neither SQLAlchemy nor the
ORM schema: ~0.5 CPU s per worker.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO

from healthcare_data.generation import Batch


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _json_default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} {value!r} to JSON")


@dataclass
class NdjsonResult:
    """Lines written per table and the files they went to."""

    rows: dict[str, int] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0
    peak_rss_mb: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def stream_to_ndjson(batches: Iterable[Batch], directory_or_file: str | Path) -> NdjsonResult:
    """Write the stream as NDJSON: ``<dir>/<table>.ndjson`` per table, or one file.

    Given an existing directory (or a path without a ``.ndjson``/``.jsonl`` suffix, created
    as a directory), each table gets its own file of plain row objects. Given a file
    path, every line is ``{"table": ..., "row": {...}}`` in stream order, so one file
    can still be loaded table by table in dependency order. Dates are ISO 8601 strings,
    amounts are decimal strings (no float rounding). Memory: one batch at a time.
    """
    target = Path(directory_or_file)
    single = target.suffix in (".ndjson", ".jsonl") and not target.is_dir()
    encoder = json.JSONEncoder(default=_json_default, ensure_ascii=False, separators=(",", ":"))
    encode = encoder.encode
    result = NdjsonResult()
    started = time.perf_counter()
    with ExitStack() as stack:
        handles: dict[str, IO[str]] = {}
        if single:
            target.parent.mkdir(parents=True, exist_ok=True)
            shared = stack.enter_context(target.open("w", encoding="utf-8"))
        else:
            target.mkdir(parents=True, exist_ok=True)
        for batch in batches:
            if single:
                prefix = f'{{"table":{encode(batch.table)},"row":'
                shared.write("".join(f"{prefix}{encode(row)}}}\n" for row in batch.rows))
                result.paths[batch.table] = target
            else:
                handle = handles.get(batch.table)
                if handle is None:
                    path = target / f"{batch.table}.ndjson"
                    handle = handles[batch.table] = stack.enter_context(path.open("w", encoding="utf-8"))
                    result.paths[batch.table] = path
                handle.write("".join(encode(row) + "\n" for row in batch.rows))
            result.rows[batch.table] = result.rows.get(batch.table, 0) + len(batch.rows)
            result.peak_rss_mb = max(result.peak_rss_mb, _rss_mb())
    result.seconds = time.perf_counter() - started
    return result


__all__ = ["NdjsonResult", "stream_to_ndjson"]
