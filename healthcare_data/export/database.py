"""Read a database's tables (or a selection of their columns) as lists of row dicts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select

from healthcare_data.db import Database
from healthcare_data.errors import UnknownNameError
from healthcare_data.phi_guard import check_fields
from healthcare_data.schema import Base


def table_names() -> list[str]:
    """Every table of the schema, parents first."""
    return [str(t.name) for t in Base.metadata.sorted_tables]


def check_tables(tables: Iterable[str]) -> list[str]:
    known = table_names()
    chosen = list(tables)
    for name in chosen:
        if name not in known:
            raise UnknownNameError("table", name, known)
    return [t for t in known if t in chosen]


def check_selection(fields: Mapping[str, Sequence[str]], *, context: str = "export") -> None:
    """PHI guard first (the request is refused whatever the schema says), then existence."""
    for table, columns in fields.items():
        check_tables([table])
        check_fields(columns, table=table, context=context)
        known = list(Base.metadata.tables[table].columns.keys())
        for column in columns:
            if column not in known:
                raise UnknownNameError(f"column of {table}", column, known)


def select_fields(
    tables: Mapping[str, list[dict[str, Any]]], fields: Mapping[str, Sequence[str]] | None
) -> dict[str, list[dict[str, Any]]]:
    """Keep only the chosen columns of the tables ``fields`` names; other tables as they are."""
    if not fields:
        return dict(tables)
    check_selection(fields)
    return {
        name: [{c: row.get(c) for c in fields[name]} for row in rows] if name in fields else rows
        for name, rows in tables.items()
    }


def read_database(
    db: Database,
    *,
    tables: Iterable[str] | None = None,
    fields: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Rows of every (or the chosen) table, ordered by primary key, parents first."""
    names = check_tables(tables) if tables is not None else table_names()
    if fields:
        check_selection(fields)
    out: dict[str, list[dict[str, Any]]] = {}
    with db.engine.connect() as conn:
        for name in names:
            table = Base.metadata.tables[name]
            columns = [table.c[c] for c in fields[name]] if fields and name in fields else [table]
            statement = select(*columns).order_by(*table.primary_key.columns)
            out[str(name)] = [{str(k): v for k, v in row._mapping.items()} for row in conn.execute(statement)]
    return out
