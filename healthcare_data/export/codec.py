"""Value types of exported columns, and the lossless text form of each.

Files hold dates, datetimes and amounts as text (ISO 8601, decimal strings: no float
rounding); the column's type (from the file's manifest, else from the schema) turns
them back into ``date``, ``datetime`` and ``Decimal`` on load, so an export loads back
equal to what was exported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Numeric, Table

from healthcare_data.errors import ConfigurationError
from healthcare_data.schema import Base

TYPES = ("int", "float", "decimal", "bool", "date", "datetime", "str")
FORMAT_TAG = "healthcare-data/1"


# Order matters: Boolean before Integer, DateTime before Date (and bool before int,
# datetime before date for Python values), because the later ones are their bases.
_COLUMN_TYPES: tuple[tuple[type, str], ...] = (
    (Boolean, "bool"), (Integer, "int"), (Float, "float"), (Numeric, "decimal"),
    (DateTime, "datetime"), (Date, "date"),
)
_VALUE_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "bool"), (int, "int"), (float, "float"), (Decimal, "decimal"),
    (datetime, "datetime"), (date, "date"),
)


def column_type(column_type_object: Any) -> str:
    """The export type name of a SQLAlchemy column type."""
    return next((name for kind, name in _COLUMN_TYPES if isinstance(column_type_object, kind)), "str")


def schema_table(name: str) -> Table | None:
    return Base.metadata.tables.get(name)


def schema_types(table: str) -> dict[str, str]:
    """Column -> type name for a table of the schema ({} for an unknown table)."""
    found = schema_table(table)
    if found is None:
        return {}
    return {str(c.name): column_type(c.type) for c in found.columns}


def value_type(value: object) -> str:
    """The type name of a Python value (for tables the schema does not know)."""
    return next((name for kind, name in _VALUE_TYPES if isinstance(value, kind)), "str")


def columns_of(table: str, rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Column -> type for ``rows``: schema order and types first, then any extra keys."""
    known = schema_types(table)
    seen: dict[str, str] = {}
    for row in rows:
        for key, value in row.items():
            if key not in seen and (key in known or value is not None):
                seen[key] = known.get(key) or value_type(value)
    ordered = {c: t for c, t in known.items() if c in seen}
    ordered.update({c: t for c, t in seen.items() if c not in ordered})
    return ordered


def encode(value: object) -> object:
    """A JSON/YAML-safe form: dates as ISO text, Decimals as decimal strings."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def encode_row(row: Mapping[str, Any], columns: Iterable[str]) -> dict[str, object]:
    return {c: encode(row.get(c)) for c in columns}


def decode(value: object, kind: str, where: str = "") -> object:
    """Turn the file form of a value back into its Python type."""
    if value is None:
        return None
    try:
        if kind == "str":
            return value if isinstance(value, str) else str(value)
        if kind == "int":
            return value if isinstance(value, int) and not isinstance(value, bool) else int(str(value))
        if kind == "float":
            return float(value)  # type: ignore[arg-type]
        if kind == "decimal":
            return Decimal(str(value))
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("true", "1", "t", "yes"):
                return True
            if text in ("false", "0", "f", "no"):
                return False
            raise ValueError(value)
        if kind == "datetime":
            return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        if kind == "date":
            if isinstance(value, datetime):
                return value.date()
            return value if isinstance(value, date) else date.fromisoformat(str(value))
    except (ValueError, TypeError, InvalidOperation):
        raise ConfigurationError(f"Cannot read {value!r} as {kind} {where}".rstrip()) from None
    raise ConfigurationError(f"Unknown column type {kind!r} {where}; known: {', '.join(TYPES)}".rstrip())


def decode_rows(
    table: str, rows: Iterable[Mapping[str, Any]], types: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Decode every value of ``rows`` by the given types, else by the schema's."""
    kinds = dict(schema_types(table))
    if types:
        kinds.update(types)
    out: list[dict[str, Any]] = []
    for number, row in enumerate(rows, 1):
        out.append(
            {
                key: decode(value, kinds[key], f"in {table} row {number}, column {key}")
                if key in kinds
                else value
                for key, value in row.items()
            }
        )
    return out
