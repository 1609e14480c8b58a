"""Write streams of row batches as JSON, YAML, CSV or NDJSON (and dispatch the others).

Layouts (``per_table=False`` / ``True``):

* **json**, **yaml**: one document ``{"format", "source", "tables": {name: {"columns":
  {column: type}, "rows": [...]}}}``, or a directory with ``<table>.json|yaml`` each
  ``{"format", "table", "columns", "rows"}``.
* **csv**: always a directory: ``<table>.csv`` per table, ``_manifest.json`` (column
  types, row counts, source) and ``load_postgres.sql``. NULL is an unquoted empty field
  and an empty string is ``""``: what PostgreSQL's CSV ``COPY`` reads by default
  (:mod:`healthcare_data.export.csvio`).
* **ndjson**: by default a directory with ``<table>.ndjson`` of plain rows (what pandas,
  DuckDB and ``jq`` read); with ``per_table=False`` (or an output named ``*.ndjson``)
  one file of ``{"table": ..., "row": {...}}`` lines after a manifest line, the layout
  :func:`healthcare_data.bulk.stream_to_ndjson` writes.

Every layout is written from a stream in bounded memory, under a temporary name that is
renamed into place at the end (:func:`~healthcare_data.export.stream.atomic_output`).
The other formats (parquet, sql, django, rails, prisma, fhir, fhir-bundle) live in
their own modules and are dispatched from :func:`write_batches`.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any, TextIO

from healthcare_data.errors import ConfigurationError, UnknownNameError
from healthcare_data.export import csvio, yamlrows
from healthcare_data.export.codec import FORMAT_TAG, encode, encode_row
from healthcare_data.export.fixtures import FIXTURE_WRITERS
from healthcare_data.export.parquet import write_parquet
from healthcare_data.export.sqldump import create_statements, setval_statement, write_sql
from healthcare_data.export.stream import (
    ProgressCallback,
    atomic_output,
    columns_for,
    contiguous,
    counted,
    spool_directory,
    table_batches,
)
from healthcare_data.generation import Batch

# Every format of ``export --format``; the first four are the round-trip formats.
FORMATS: tuple[str, ...] = (
    "json",
    "yaml",
    "csv",
    "ndjson",
    "parquet",
    "sql",
    "django",
    "rails",
    "prisma",
    "fhir",
    "fhir-bundle",
)
SUFFIXES: dict[str, str] = {"json": ".json", "yaml": ".yaml", "csv": ".csv", "ndjson": ".ndjson"}
MANIFEST = "_manifest.json"
DEFAULT_STEM = "dataset"
LOAD_SCRIPT = "load_postgres.sql"

Tables = Mapping[str, list[dict[str, Any]]]


@dataclass
class ExportResult:
    """Where an export went and how many rows of each table it holds.

    ``files``: the files written, except for ``fhir-bundle`` (one file per patient, not
    listed: ``resources["Bundle"]`` counts them under ``path``)."""

    format: str
    path: Path
    files: list[Path] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    resources: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def _one_file_target(path: str | Path, fmt: str) -> Path:
    """A one-file layout given a directory ("out/" or an existing one) writes dataset.<fmt> in it."""
    target = Path(path)
    if str(path).endswith(("/", os.sep)) or target.is_dir():
        return target / f"{DEFAULT_STEM}{SUFFIXES.get(fmt, '.' + fmt)}"
    return target


@contextlib.contextmanager
def atomic_open(file: Path, newline: str | None = None) -> Iterator[Any]:
    """Write ``file`` under a temporary name and rename it into place when complete
    (for single files the CLI writes; exports use :func:`atomic_output`)."""
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


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise UnknownNameError("export format", fmt, FORMATS)
    return fmt


def default_per_table(fmt: str, path: Path, per_table: bool | None) -> bool:
    """The layout when the caller did not choose: NDJSON is per table unless the output
    is named ``*.ndjson``/``*.jsonl``; JSON and YAML are one document."""
    if per_table is not None:
        return per_table
    return fmt == "ndjson" and path.suffix.lower() not in (".ndjson", ".jsonl")


def _json_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _yaml_text(data: object) -> str:
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=1000)


def _tables_in_turn(
    batches: Iterable[Batch],
) -> Iterator[tuple[str, dict[str, str], Iterator[list[dict[str, Any]]]]]:
    """(table, columns, its row batches) per run of a table-contiguous stream."""
    for name, group in itertools.groupby(batches, key=attrgetter("table")):
        first = next(group)
        # the caller reads the group before groupby moves on, as groupby requires
        rows = itertools.chain([first.rows], (b.rows for b in group))  # noqa: B031
        yield name, columns_for(name, first.rows), rows


# --- the four round-trip formats ----------------------------------------------------------


def _write_document(batches: Iterable[Batch], out: Path, fmt: str, source: Mapping[str, Any]) -> None:
    """One JSON or YAML document, written table by table, batch by batch."""
    with out.open("w", encoding="utf-8") as handle:
        if fmt == "json":
            handle.write(
                f'{{"format":{_json_text(FORMAT_TAG)},"source":{_json_text(dict(source))},"tables":{{'
            )
        else:
            handle.write(_yaml_text({"format": FORMAT_TAG, "source": dict(source)}) + "tables:\n")
        wrote_table = False
        for name, columns, chunks in _tables_in_turn(batches):
            if fmt == "json":
                handle.write(
                    ("," if wrote_table else "")
                    + f'\n{_json_text(name)}:{{"columns":{_json_text(columns)},"rows":['
                )
                first = True
                for rows in chunks:
                    for row in rows:
                        handle.write(("\n" if first else ",\n") + _json_text(encode_row(row, columns)))
                        first = False
                handle.write("]}")
            else:
                handle.write(_indent(_yaml_text({name: {"columns": columns}}), 2))
                _yaml_rows(handle, chunks, columns, indent=4, key="rows")
            wrote_table = True
        handle.write("}}\n" if fmt == "json" else ("" if wrote_table else "  {}\n"))


def _indent(text: str, by: int) -> str:
    pad = " " * by
    return "".join(pad + line if line.strip() else line for line in text.splitlines(keepends=True))


def _yaml_rows(
    handle: TextIO,
    chunks: Iterable[list[dict[str, Any]]],
    columns: Mapping[str, str],
    *,
    indent: int,
    key: str,
) -> None:
    handle.write(" " * indent + f"{key}:")
    empty = True
    for rows in chunks:
        if rows:
            if empty:
                handle.write("\n")
            empty = False
            handle.write(yamlrows.sequence((encode_row(r, columns) for r in rows), indent))
    if empty:
        handle.write(" []\n")


def _write_table_document(
    name: str, columns: dict[str, str], chunks: Iterable[list[dict[str, Any]]], file: Path, fmt: str
) -> None:
    with file.open("w", encoding="utf-8") as handle:
        if fmt == "json":
            handle.write(
                f'{{"format":{_json_text(FORMAT_TAG)},"table":{_json_text(name)},'
                f'"columns":{_json_text(columns)},"rows":['
            )
            first = True
            for rows in chunks:
                for row in rows:
                    handle.write(("\n" if first else ",\n") + _json_text(encode_row(row, columns)))
                    first = False
            handle.write("]}\n")
        else:
            handle.write(_yaml_text({"format": FORMAT_TAG, "table": name, "columns": columns}))
            _yaml_rows(handle, chunks, columns, indent=0, key="rows")


def _csv_text(value: object) -> str | None:
    if value is None:
        return None
    value = encode(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _PerTable:
    """Open files of a per-table layout, one per table as its first batch arrives."""

    def __init__(self, directory: Path, suffix: str) -> None:
        self.directory, self.suffix = directory, suffix
        self.handles: dict[str, TextIO] = {}
        self.columns: dict[str, dict[str, str]] = {}

    def open(self, batch: Batch) -> tuple[TextIO, dict[str, str], bool]:
        handle = self.handles.get(batch.table)
        if handle is not None:
            return handle, self.columns[batch.table], False
        columns = columns_for(batch.table, batch.rows)
        handle = (self.directory / f"{batch.table}{self.suffix}").open("w", encoding="utf-8", newline="")
        self.handles[batch.table], self.columns[batch.table] = handle, columns
        return handle, columns, True

    def close(self) -> None:
        for handle in self.handles.values():
            handle.close()


def _write_csv(
    batches: Iterable[Batch], out: Path, source: Mapping[str, Any], counts: dict[str, int]
) -> None:
    files = _PerTable(out, ".csv")
    try:
        for batch in batches:
            handle, columns, new = files.open(batch)
            if new:
                handle.write(csvio.line(list(columns)))
            handle.writelines(csvio.line([_csv_text(row.get(c)) for c in columns]) for row in batch.rows)
    finally:
        files.close()
    manifest = {
        "format": FORMAT_TAG,
        "source": dict(source),
        "tables": {
            name: {"file": f"{name}.csv", "columns": columns, "rows": counts.get(name, 0)}
            for name, columns in files.columns.items()
        },
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    (out / LOAD_SCRIPT).write_text(postgres_load_script(files.columns), "utf-8")


def postgres_load_script(tables: Mapping[str, Mapping[str, str]]) -> str:
    """``\\copy`` every CSV in dependency order in one transaction, then move each id
    sequence past the loaded ids so the application's next insert does not collide."""
    lines = [
        "-- Load this CSV export into PostgreSQL; run it from this directory:",
        "--   psql -v ON_ERROR_STOP=1 -d DBNAME -f load_postgres.sql",
        "-- Tables are created if missing; \\copy reads CSV NULL (an unquoted empty field).",
        "BEGIN;",
        *create_statements("postgresql", list(tables)),
    ]
    for name, columns in tables.items():
        column_list = ", ".join(f'"{c}"' for c in columns)
        lines.append(f"\\copy \"{name}\" ({column_list}) FROM '{name}.csv' WITH (FORMAT csv, HEADER true)")
    lines += [s for s in (setval_statement(name) for name in tables) if s]
    lines.append("COMMIT;")
    return "\n".join(lines) + "\n"


def _write_ndjson_tables(batches: Iterable[Batch], out: Path) -> None:
    files = _PerTable(out, ".ndjson")
    try:
        for batch in batches:
            handle, columns, _ = files.open(batch)
            handle.writelines(_json_text(encode_row(r, columns)) + "\n" for r in batch.rows)
    finally:
        files.close()


def _write_ndjson_file(batches: Iterable[Batch], out: Path, spool: Path) -> None:
    """A manifest line first (empty tables and column types survive), then tagged rows."""
    body = spool / "body.ndjson"
    tables: dict[str, dict[str, Any]] = {}
    with body.open("w", encoding="utf-8") as handle:
        for name, columns, chunks in _tables_in_turn(batches):
            entry = tables.setdefault(name, {"columns": columns, "rows": 0})
            prefix = f'{{"table":{_json_text(name)},"row":'
            for rows in chunks:
                entry["rows"] += len(rows)
                handle.writelines(f"{prefix}{_json_text(encode_row(r, columns))}}}\n" for r in rows)
    with out.open("w", encoding="utf-8") as handle:
        handle.write(_json_text({"format": FORMAT_TAG, "tables": tables}) + "\n")
        with body.open(encoding="utf-8") as source:
            shutil.copyfileobj(source, handle)


def _write_round_trip(
    batches: Iterable[Batch],
    out: Path,
    fmt: str,
    per_table: bool,
    source: Mapping[str, Any],
    counts: dict[str, int],
    spool: Path,
) -> None:
    if fmt == "csv":
        _write_csv(batches, out, source, counts)
    elif fmt == "ndjson" and per_table:
        _write_ndjson_tables(batches, out)
    elif fmt == "ndjson":
        _write_ndjson_file(contiguous(batches, spool), out, spool)
    elif per_table:
        for name, columns, chunks in _tables_in_turn(contiguous(batches, spool)):
            _write_table_document(name, columns, chunks, out / f"{name}{SUFFIXES[fmt]}", fmt)
    else:
        _write_document(contiguous(batches, spool), out, fmt, source)


# --- dispatch -------------------------------------------------------------------------------

# Formats whose output is a directory whatever the options.
DIRECTORY_FORMATS = frozenset({"csv", "parquet", "rails", "fhir", "fhir-bundle"})


def writes_directory(fmt: str, per_table: bool) -> bool:
    return fmt in DIRECTORY_FORMATS or (per_table and fmt in ("json", "yaml", "ndjson"))


def write_batches(
    batches: Iterable[Batch],
    path: str | Path,
    fmt: str,
    *,
    per_table: bool | None = None,
    source: Mapping[str, Any] | None = None,
    progress: ProgressCallback | None = None,
    options: Mapping[str, Any] | None = None,
) -> ExportResult:
    """Stream ``batches`` (tables in dependency order) to ``path`` as ``fmt``.

    ``options`` carries format-specific settings (``dialect`` for sql, ``batch_size``
    for prisma). FHIR formats need a database; see :func:`healthcare_data.export.fhir`.
    """
    check_format(fmt)
    target = Path(path)
    if fmt in ("fhir", "fhir-bundle"):
        raise ConfigurationError(f"{fmt} is written from a database (export_fhir), not from a row stream")
    if fmt == "csv" and target.suffix.lower() == ".csv":
        raise ConfigurationError(
            f"CSV export writes a file per table; --output {str(target)!r} must be a directory"
        )
    if fmt == "parquet" and target.suffix.lower() == ".parquet":
        raise ConfigurationError(
            f"Parquet export writes a file per table; --output {str(target)!r} must be a directory"
        )
    layout = default_per_table(fmt, target, per_table)
    if fmt in ("json", "yaml", "ndjson") and not layout:
        target = _one_file_target(path, fmt)
    started = time.perf_counter()
    counts: dict[str, int] = {}
    stream = counted(batches, counts, progress)
    settings = dict(options or {})
    with (
        atomic_output(target, directory=writes_directory(fmt, layout)) as out,
        spool_directory(target.parent) as spool,
    ):
        if fmt in ("json", "yaml", "csv", "ndjson"):
            _write_round_trip(stream, out, fmt, layout, source or {}, counts, spool)
        elif fmt == "parquet":
            write_parquet(stream, out)
        elif fmt == "sql":
            write_sql(stream, out, settings.get("dialect", "sqlite"))
        else:
            FIXTURE_WRITERS[fmt](contiguous(stream, spool), out, settings)
        written = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file()) if out.is_dir() else []
    files = [target / p for p in written] if written else [target]
    return ExportResult(fmt, target, files, counts, time.perf_counter() - started)


def write_tables(
    tables: Tables,
    path: str | Path,
    fmt: str,
    *,
    per_table: bool | None = None,
    source: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
) -> ExportResult:
    """Write ``tables`` (name -> rows, in dependency order) to ``path`` as ``fmt``."""
    return write_batches(
        table_batches(tables), path, fmt, per_table=per_table, source=source, options=options
    )
