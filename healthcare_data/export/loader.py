"""``load_dataset(path)``: read any export back into rows with their Python types."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from healthcare_data.errors import ConfigurationError
from healthcare_data.export import csvio
from healthcare_data.export.codec import decode_rows
from healthcare_data.export.writers import MANIFEST
from healthcare_data.schema import Base

Dataset = dict[str, list[dict[str, Any]]]

_SUFFIX_FORMAT = {
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".csv": "csv",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}


def _order(dataset: Dataset) -> Dataset:
    """Tables in the schema's dependency order, unknown tables after them."""
    order = [t.name for t in Base.metadata.sorted_tables]
    known = {name: dataset[name] for name in order if name in dataset}
    known.update({name: rows for name, rows in dataset.items() if name not in known})
    return known


def _yaml_load(text: str) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader


def _parse(file: Path, fmt: str) -> Any:
    text = file.read_text("utf-8")
    try:
        return json.loads(text) if fmt == "json" else _yaml_load(text)
    except ValueError as exc:
        raise ConfigurationError(f"{str(file)!r} is not valid {fmt}: {exc}") from None
    except Exception as exc:
        if exc.__class__.__module__.startswith("yaml"):
            first = str(exc).strip().splitlines()[0]
            raise ConfigurationError(f"{str(file)!r} is not valid YAML: {first}") from None
        raise


def _document_tables(doc: Any, file: Path) -> Dataset:
    """A whole-dataset document, a one-table document, or a bare list of rows."""
    if isinstance(doc, dict) and isinstance(doc.get("tables"), dict):
        return {
            name: decode_rows(name, body.get("rows") or [], body.get("columns"))
            for name, body in doc["tables"].items()
        }
    if isinstance(doc, dict) and "table" in doc and "rows" in doc:
        name = str(doc["table"])
        return {name: decode_rows(name, doc["rows"] or [], doc.get("columns"))}
    if isinstance(doc, list):
        return {file.stem: decode_rows(file.stem, doc)}
    raise ConfigurationError(
        f"{str(file)!r} is not a healthcare-data export (expected 'tables', or 'table' and 'rows')"
    )


def _read_csv(file: Path, table: str, types: dict[str, str] | None) -> list[dict[str, Any]]:
    """Rows of one CSV file: an unquoted empty field is NULL, ``""`` an empty string."""
    with file.open(newline="", encoding="utf-8") as handle:
        try:
            records = csvio.read_rows(handle)
            header = next(records, None)
            if header is None:
                return []
            names = [name or "" for name in header]
            rows = [dict(zip(names, record, strict=True)) for record in records]
        except ValueError as exc:
            raise ConfigurationError(f"{str(file)!r} is not valid CSV: {exc}") from None
    return decode_rows(table, rows, types)


def _read_ndjson(file: Path) -> Dataset:
    """``{"table", "row"}`` lines (one file, optionally after a manifest line) or plain
    rows (``<table>.ndjson``)."""
    raw: Dataset = {}
    types: dict[str, dict[str, str]] = {}
    lines = 0
    with file.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            lines += 1
            try:
                item = json.loads(line)
            except ValueError as exc:
                raise ConfigurationError(f"{str(file)!r} line {number} is not JSON: {exc}") from None
            if isinstance(item, dict) and set(item) == {"table", "row"}:
                raw.setdefault(str(item["table"]), []).append(item["row"])
            elif number == 1 and isinstance(item, dict) and set(item) == {"format", "tables"}:
                for name, entry in item["tables"].items():
                    raw.setdefault(name, [])
                    types[name] = entry.get("columns") or {}
            else:
                raw.setdefault(file.stem, []).append(item)
    if not lines:
        raw[file.stem] = []
    return {name: decode_rows(name, rows, types.get(name)) for name, rows in raw.items()}


def _load_file(file: Path) -> Dataset:
    fmt = _SUFFIX_FORMAT.get(file.suffix.lower())
    if fmt is None:
        raise ConfigurationError(
            f"Cannot tell the format of {str(file)!r}; known suffixes: {', '.join(_SUFFIX_FORMAT)}"
        )
    if fmt == "csv":
        return {file.stem: _read_csv(file, file.stem, None)}
    if fmt == "ndjson":
        return _read_ndjson(file)
    return _document_tables(_parse(file, fmt), file)


def _merge(into: Dataset, parts: Iterable[Dataset]) -> Dataset:
    for part in parts:
        for name, rows in part.items():
            into.setdefault(name, []).extend(rows)
    return into


def load_dataset(path: str | Path) -> Dataset:
    """Read an export (file or directory, any of the four formats) back into rows.

    Returns table name -> list of row dicts in dependency order, with dates, datetimes
    and Decimals restored from the column types, so ``load_dataset(export(...))`` equals
    what was exported.
    """
    target = Path(path)
    if not target.exists():
        raise ConfigurationError(f"Dataset {str(target)!r} does not exist")
    if target.is_file():
        return _order(_load_file(target))
    manifest = target / MANIFEST
    if manifest.is_file():
        doc = json.loads(manifest.read_text("utf-8"))
        dataset: Dataset = {}
        for name, entry in doc.get("tables", {}).items():
            dataset[name] = _read_csv(target / entry["file"], name, entry.get("columns"))
        return _order(dataset)
    files = sorted(f for f in target.iterdir() if f.is_file() and f.suffix.lower() in _SUFFIX_FORMAT)
    if not files:
        raise ConfigurationError(f"Directory {str(target)!r} holds no .json/.yaml/.csv/.ndjson files")
    return _order(_merge({}, (_load_file(f) for f in files)))
