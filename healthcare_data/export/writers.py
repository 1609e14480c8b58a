"""Write tables of rows as JSON, YAML, CSV or NDJSON.

Layouts (``per_table=False`` / ``True``):

* **json**, **yaml**: one document ``{"format", "source", "tables": {name: {"columns":
  {column: type}, "rows": [...]}}}``, or a directory with ``<table>.json|yaml`` each
  ``{"format", "table", "columns", "rows"}``.
* **csv**: always a directory, ``<table>.csv`` per table plus ``_manifest.json`` (column
  types, row counts, source). NULL is written as ``\\N`` (PostgreSQL's COPY convention)
  so it stays distinct from an empty string; a string starting with a backslash gets
  one more.
* **ndjson**: one file of ``{"table": ..., "row": {...}}`` lines in dependency order
  after a manifest line ``{"format", "tables": {name: {"columns", "rows"}}}``,
  or a directory with ``<table>.ndjson`` of plain rows: the layouts
  :func:`healthcare_data.bulk.stream_to_ndjson` writes, so both load the same way.
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from healthcare_data.errors import ConfigurationError
from healthcare_data.export.codec import FORMAT_TAG, columns_of, encode, encode_row

FORMATS: tuple[str, ...] = ("json", "yaml", "csv", "ndjson")
SUFFIXES: dict[str, str] = {"json": ".json", "yaml": ".yaml", "csv": ".csv", "ndjson": ".ndjson"}
MANIFEST = "_manifest.json"
#: The file a one-file layout writes when ``--output`` names a directory ("out/").
DEFAULT_STEM = "dataset"
NULL = "\\N"

Tables = Mapping[str, list[dict[str, Any]]]


@dataclass
class ExportResult:
    """Where an export went and how many rows of each table it holds."""

    format: str
    path: Path
    files: list[Path] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        from healthcare_data.errors import UnknownNameError

        raise UnknownNameError("export format", fmt, FORMATS)
    return fmt


def _yaml_dump(data: object, handle: Any) -> None:
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    yaml.dump(data, handle, Dumper=dumper, sort_keys=False, allow_unicode=True, width=1000)


def _document(tables: Tables, source: Mapping[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name, rows in tables.items():
        columns = columns_of(name, rows)
        body[str(name)] = {"columns": columns, "rows": [encode_row(r, columns) for r in rows]}
    return {"format": FORMAT_TAG, "source": dict(source or {}), "tables": body}


def _csv_cell(value: object) -> object:
    if value is None:
        return NULL
    value = encode(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith("\\"):
        return "\\" + value
    return value


def _prepare(path: Path, directory: bool) -> None:
    if directory:
        if path.exists() and not path.is_dir():
            raise ConfigurationError(f"Output {str(path)!r} is a file; this layout writes a directory")
        path.mkdir(parents=True, exist_ok=True)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)


def _one_file_target(path: str | Path, fmt: str) -> Path:
    """A one-file layout given a directory ("out/" or an existing one) writes dataset.<fmt> in it."""
    target = Path(path)
    if str(path).endswith(("/", os.sep)) or target.is_dir():
        return target / f"{DEFAULT_STEM}{SUFFIXES[fmt]}"
    return target


@contextmanager
def atomic_open(file: Path, newline: str | None = None) -> Iterator[Any]:
    """Write ``file`` under a temporary name and rename it into place when complete.

    A full disk or an interrupt leaves the previous file (or none) and no truncated one:
    the temporary file is removed and the error propagates.
    """
    temporary = file.with_name(f".{file.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("w", encoding="utf-8", newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, file)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_tables(
    tables: Tables,
    path: str | Path,
    fmt: str,
    *,
    per_table: bool = False,
    source: Mapping[str, Any] | None = None,
) -> ExportResult:
    """Write ``tables`` (name -> rows, in dependency order) to ``path`` as ``fmt``."""
    check_format(fmt)
    target = Path(path) if per_table or fmt == "csv" else _one_file_target(path, fmt)
    started = time.perf_counter()
    result = ExportResult(fmt, target, rows={name: len(rows) for name, rows in tables.items()})
    if fmt == "csv":
        per_table = True
        if target.suffix.lower() == ".csv":
            raise ConfigurationError(
                f"CSV export writes a file per table; --output {str(target)!r} must be a directory"
            )
    _prepare(target, per_table)

    if fmt in ("json", "yaml"):
        if per_table:
            for name, rows in tables.items():
                columns = columns_of(name, rows)
                doc = {
                    "format": FORMAT_TAG,
                    "table": name,
                    "columns": columns,
                    "rows": [encode_row(r, columns) for r in rows],
                }
                file = target / f"{name}{SUFFIXES[fmt]}"
                _dump(doc, file, fmt)
                result.files.append(file)
        else:
            _dump(_document(tables, source), target, fmt)
            result.files.append(target)
    elif fmt == "csv":
        manifest: dict[str, Any] = {"format": FORMAT_TAG, "source": dict(source or {}), "tables": {}}
        for name, rows in tables.items():
            columns = columns_of(name, rows)
            file = target / f"{name}.csv"
            with atomic_open(file, newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(columns)
                writer.writerows([_csv_cell(row.get(c)) for c in columns] for row in rows)
            manifest["tables"][name] = {"file": file.name, "columns": columns, "rows": len(rows)}
            result.files.append(file)
        with atomic_open(target / MANIFEST) as handle:
            handle.write(json.dumps(manifest, indent=2) + "\n")
        result.files.append(target / MANIFEST)
    else:  # ndjson
        encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
        if per_table:
            for name, rows in tables.items():
                columns = columns_of(name, rows)
                file = target / f"{name}.ndjson"
                with atomic_open(file) as handle:
                    handle.writelines(encoder.encode(encode_row(r, columns)) + "\n" for r in rows)
                result.files.append(file)
        else:
            with atomic_open(target) as handle:
                # A first manifest line keeps empty tables and the column types; a stream
                # without it (stream_to_ndjson's) loads as well.
                manifest_line = {
                    "format": FORMAT_TAG,
                    "tables": {
                        str(name): {"columns": columns_of(name, rows), "rows": len(rows)}
                        for name, rows in tables.items()
                    },
                }
                handle.write(encoder.encode(manifest_line) + "\n")
                for name, rows in tables.items():
                    columns = columns_of(name, rows)
                    prefix = f'{{"table":{encoder.encode(name)},"row":'
                    handle.writelines(f"{prefix}{encoder.encode(encode_row(r, columns))}}}\n" for r in rows)
            result.files.append(target)
    result.seconds = time.perf_counter() - started
    return result


def _dump(doc: Mapping[str, Any], file: Path, fmt: str) -> None:
    with atomic_open(file) as handle:
        if fmt == "json":
            json.dump(doc, handle, ensure_ascii=False, indent=1)
            handle.write("\n")
        else:
            _yaml_dump(doc, handle)
