"""A SQL dump: ``CREATE TABLE IF NOT EXISTS`` and multi-row ``INSERT`` statements.

One file for one dialect (``sqlite``, ``postgresql``, ``mysql``), loadable by that
database's own client (``sqlite3 db < dump.sql``, ``psql -f``, ``mysql < dump.sql``).
The DDL is SQLAlchemy's own, compiled for the dialect from the schema's models; rows go
in dependency order inside one transaction. Ids are explicit, so the dump ends by moving
PostgreSQL's sequences past them (SQLite's AUTOINCREMENT and MySQL's AUTO_INCREMENT
follow explicit ids by themselves).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy.schema import CreateIndex, CreateTable

from healthcare_data.errors import UnknownNameError
from healthcare_data.export.stream import columns_for
from healthcare_data.generation import Batch
from healthcare_data.schema import Base

DIALECTS: tuple[str, ...] = ("sqlite", "postgresql", "mysql")
ROWS_PER_INSERT = 500


def check_dialect(dialect: str) -> str:
    if dialect not in DIALECTS:
        raise UnknownNameError("SQL dialect", dialect, DIALECTS)
    return dialect


def _sqlalchemy_dialect(dialect: str):  # noqa: ANN202 - a SQLAlchemy Dialect
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.dialect()
    if dialect == "mysql":
        from sqlalchemy.dialects import mysql

        return mysql.dialect()
    from sqlalchemy.dialects import sqlite

    return sqlite.dialect()


def create_statements(dialect: str, tables: Sequence[str]) -> list[str]:
    """``CREATE TABLE IF NOT EXISTS`` (and indexes) for the schema tables among ``tables``."""
    compiled = _sqlalchemy_dialect(dialect)
    out: list[str] = []
    for name in tables:
        table = Base.metadata.tables.get(name)
        if table is None:
            continue
        out.append(str(CreateTable(table, if_not_exists=True).compile(dialect=compiled)).strip() + ";")
        if dialect != "mysql":  # InnoDB indexes foreign keys itself; MySQL lacks CREATE INDEX IF NOT EXISTS
            for index in sorted(table.indexes, key=lambda i: str(i.name)):
                out.append(
                    str(CreateIndex(index, if_not_exists=True).compile(dialect=compiled)).strip() + ";"
                )
    return out


def setval_statement(name: str) -> str | None:
    """PostgreSQL: the next id of ``name``'s serial column follows the highest loaded one."""
    table = Base.metadata.tables.get(name)
    column = table.autoincrement_column if table is not None else None
    if column is None:
        return None
    return (
        f"SELECT setval(pg_get_serial_sequence('\"{name}\"', '{column.name}'), "
        f'COALESCE(MAX("{column.name}"), 0) + 1, false) FROM "{name}";'
    )


def quote_identifier(name: str, dialect: str) -> str:
    if dialect == "mysql":
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


def literal(value: object, dialect: str) -> str:
    """A SQL literal of ``value`` for ``dialect`` (MySQL also escapes backslashes)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE") if dialect == "postgresql" else ("1" if value else "0")
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        text = value.isoformat(sep=" ")
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = str(value)
    if dialect == "mysql":
        text = text.replace("\\", "\\\\")
    return "'" + text.replace("'", "''") + "'"


def _header(dialect: str) -> list[str]:
    lines = [f"-- healthcare-data SQL dump ({dialect})"]
    if dialect == "sqlite":
        lines += ["PRAGMA foreign_keys = ON;", "BEGIN;"]
    elif dialect == "postgresql":
        lines += ["SET client_encoding = 'UTF8';", "BEGIN;"]
    else:
        lines += ["SET NAMES utf8mb4;", "START TRANSACTION;"]
    return lines


def write_sql(batches: Iterable[Batch], out: Path, dialect: str = "sqlite") -> None:
    """Write ``batches`` as a dump for ``dialect``: each table's DDL before its first row."""
    check_dialect(dialect)
    seen: dict[str, list[str]] = {}
    with out.open("w", encoding="utf-8") as handle:
        handle.write("\n".join(_header(dialect)) + "\n")
        for batch in batches:
            columns = seen.get(batch.table)
            if columns is None:
                columns = seen[batch.table] = list(columns_for(batch.table, batch.rows))
                handle.writelines(s + "\n" for s in create_statements(dialect, [batch.table]))
            head = (
                f"INSERT INTO {quote_identifier(batch.table, dialect)} ("
                + ", ".join(quote_identifier(c, dialect) for c in columns)
                + ") VALUES\n"
            )
            for start in range(0, len(batch.rows), ROWS_PER_INSERT):
                chunk = batch.rows[start : start + ROWS_PER_INSERT]
                values = ",\n".join(
                    "(" + ", ".join(literal(row.get(c), dialect) for c in columns) + ")" for row in chunk
                )
                handle.write(head + values + ";\n")
        if dialect == "postgresql":
            handle.writelines(s + "\n" for s in (setval_statement(name) for name in seen) if s)
        handle.write("COMMIT;\n")
