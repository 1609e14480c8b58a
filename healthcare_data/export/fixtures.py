"""ORM fixtures: Django JSON, Rails YAML, a Prisma seed script.

* **django**: one JSON array for ``manage.py loaddata``; ``model`` is
  ``<app_label>.<model>`` (the SQLAlchemy class name, lower-cased), foreign keys under the
  relation's name (``patient``, not ``patient_id``), as Django serialises them.
* **rails**: ``<table>.yml`` per table, one fixture per row labelled ``<table>_<id>``;
  foreign keys become associations by label (``patient: patients_7``), so, as Rails
  requires, the labelled rows carry no explicit ``id`` (Rails derives it from the label).
* **prisma**: ``seed.mjs`` for ``node`` with ``@prisma/client``: one ``$transaction`` of
  ``createMany`` calls per batch, models named as ``prisma db pull`` names them (the
  table names), dates as ``new Date(...)``, decimals as strings.

Each writer takes a table-contiguous stream and writes it batch by batch.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

from healthcare_data.export import yamlrows
from healthcare_data.export.codec import encode
from healthcare_data.generation import Batch
from healthcare_data.schema import Base

PRISMA_ROWS_PER_CALL = 1000


def _mapper_names() -> dict[str, str]:
    return {str(m.class_.__tablename__): m.class_.__name__ for m in Base.registry.mappers}


def foreign_keys(table: str) -> dict[str, tuple[str, str]]:
    """Column -> (relation name, referenced table) for each foreign key column."""
    found = Base.metadata.tables.get(table)
    if found is None:
        return {}
    out: dict[str, tuple[str, str]] = {}
    for column in found.columns:
        for fk in column.foreign_keys:
            relation = column.name[:-3] if column.name.endswith("_id") else column.name
            out[column.name] = (relation, str(fk.column.table.name))
    return out


def _primary_key(table: str) -> str:
    found = Base.metadata.tables.get(table)
    return next(iter(found.primary_key.columns)).name if found is not None else "id"


def _json_value(value: object) -> object:
    if isinstance(value, bool | int | float) or value is None:
        return value
    return encode(value)


# --- Django -------------------------------------------------------------------------------


def write_django(batches: Iterable[Batch], out: Path, options: Mapping[str, Any]) -> None:
    app_label = str(options.get("app_label") or "healthcare")
    models = _mapper_names()
    first = True
    with out.open("w", encoding="utf-8") as handle:
        handle.write("[")
        for batch in batches:
            model = f"{app_label}.{models.get(batch.table, batch.table).lower()}"
            fks = foreign_keys(batch.table)
            pk = _primary_key(batch.table)
            for row in batch.rows:
                fields = {(fks[c][0] if c in fks else c): _json_value(v) for c, v in row.items() if c != pk}
                item = {"model": model, "pk": row.get(pk), "fields": fields}
                handle.write(("\n" if first else ",\n") + json.dumps(item, ensure_ascii=False))
                first = False
        handle.write("\n]\n")


# --- Rails --------------------------------------------------------------------------------


def label(table: str, key: object) -> str:
    """The fixture label of a row (also what an association by label names)."""
    return f"{table}_{key}"


def _association(parent: str) -> Callable[[object], str]:
    """A foreign key's value as the label of the row it points at."""

    def render(value: object) -> str:
        return "null" if value is None else yamlrows.scalar(label(parent, value))

    return render


def _rails_lines(table: str, columns: Iterable[str]) -> list[tuple[str, str, Callable[[object], str]]]:
    """(column, ``  key: `` prefix, value renderer) of a table's fixture lines: foreign keys
    as associations by label, the primary key left out (Rails derives it from the label)."""
    fks = foreign_keys(table)
    pk = _primary_key(table)
    lines: list[tuple[str, str, Callable[[object], str]]] = []
    for column in columns:
        if column in fks:
            relation, parent = fks[column]
            lines.append((column, f"  {yamlrows.column_key(relation)}: ", _association(parent)))
        elif column != pk:
            lines.append((column, f"  {yamlrows.column_key(column)}: ", yamlrows.scalar))
    return lines


def write_rails(batches: Iterable[Batch], out: Path, options: Mapping[str, Any]) -> None:
    handles: dict[str, Any] = {}
    try:
        for batch in batches:
            handle = handles.get(batch.table)
            if handle is None:
                handle = handles[batch.table] = (out / f"{batch.table}.yml").open("w", encoding="utf-8")
                handle.write(f"# Rails fixtures for {batch.table}; associations by label\n")
            pk = _primary_key(batch.table)
            shapes: dict[tuple[str, ...], list[tuple[str, str, Callable[[object], str]]]] = {}
            parts: list[str] = []
            for row in batch.rows:
                shape = tuple(row)
                lines = shapes.get(shape)
                if lines is None:
                    lines = shapes[shape] = _rails_lines(batch.table, shape)
                parts.append(f"{yamlrows.key(label(batch.table, row.get(pk)))}:\n")
                parts.extend(
                    [prefix + render(row[column]) + "\n" for column, prefix, render in lines] or ["  {}\n"]
                )
            handle.write("".join(parts))
    finally:
        for handle in handles.values():
            handle.close()


# --- Prisma -------------------------------------------------------------------------------


def _js_datetime(value: datetime) -> str:
    return f'new Date("{value.isoformat()}Z")' if value.tzinfo is None else f'new Date("{value.isoformat()}")'


def _js_date(value: date) -> str:
    return f'new Date("{value.isoformat()}T00:00:00Z")'


def _js_other(value: object) -> str:
    if isinstance(value, datetime):
        return _js_datetime(value)
    if isinstance(value, date):
        return _js_date(value)
    if isinstance(value, Decimal):
        return json.dumps(str(value))
    return json.dumps(value, ensure_ascii=False)


# By exact type, the renderers json.dumps would reach (ensure_ascii=False: the C string
# quoting); anything else (subclasses, floats that are not finite) goes the long way.
_JS: dict[type, Callable[[Any], str]] = {
    str: encode_basestring,
    int: int.__repr__,
    bool: lambda value: "true" if value else "false",
    type(None): lambda value: "null",
    datetime: _js_datetime,
    date: _js_date,
    Decimal: lambda value: encode_basestring(str(value)),
}


def _js_value(value: object) -> str:
    return _JS.get(type(value), _js_other)(value)


#: Object keys (column names) as JSON strings, once per name.
_js_key = functools.lru_cache(maxsize=4096)(json.dumps)


def _js_object(row: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{_js_key(k)}: {_js_value(v)}" for k, v in row.items()) + "}"


def write_prisma(batches: Iterable[Batch], out: Path, options: Mapping[str, Any]) -> None:
    per_call = int(options.get("batch_size") or PRISMA_ROWS_PER_CALL)
    with out.open("w", encoding="utf-8") as handle:
        handle.write(
            "// Prisma seed generated by healthcare-data: node seed.mjs (needs @prisma/client and a\n"
            "// schema from `prisma db pull`, whose models are named after the tables).\n"
            'import { PrismaClient } from "@prisma/client";\n\n'
            "const prisma = new PrismaClient();\n\n"
            "async function main() {\n"
        )
        for batch in batches:
            if not batch.rows:
                continue
            calls = []
            for start in range(0, len(batch.rows), per_call):
                rows = ",\n      ".join(_js_object(r) for r in batch.rows[start : start + per_call])
                calls.append(f"    prisma.{batch.table}.createMany({{ data: [\n      {rows}\n    ] }})")
            handle.write("  await prisma.$transaction([\n" + ",\n".join(calls) + "\n  ]);\n")
        handle.write(
            "}\n\n"
            "main()\n"
            "  .then(() => prisma.$disconnect())\n"
            "  .catch(async (error) => {\n"
            "    console.error(error);\n"
            "    await prisma.$disconnect();\n"
            "    process.exit(1);\n"
            "  });\n"
        )


FIXTURE_WRITERS: dict[str, Callable[[Iterable[Batch], Path, Mapping[str, Any]], None]] = {
    "django": write_django,
    "rails": write_rails,
    "prisma": write_prisma,
}
