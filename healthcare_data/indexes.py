"""Secondary and unique indexes built after a fresh bulk load instead of row by row.

Inserting into a table with random-key indexes (UUIDs, SSNs, NPIs) touches a random page
of every index per row; once the indexes outgrow SQLite's page cache that is several page
reads per row (the x100 load ran at half the x10 rate). Building an index over rows that
are already in is one sort. So for a load into empty tables :func:`drop_indexes` removes
every non-primary-key index of the schema and :func:`create_indexes` builds them again,
both inside the load's single transaction: a duplicate makes the unique index's build
fail, and the rollback restores the indexes and keeps none of the rows.

Only SQLite and PostgreSQL (transactional DDL); elsewhere nothing is deferred. Appending
to a populated database keeps its indexes (rebuilding them would cost more than it saves).
"""

from __future__ import annotations

from sqlalchemy import Connection, Index, inspect

from healthcare_data.schema import Base

BACKENDS = ("sqlite", "postgresql")


def drop_indexes(conn: Connection) -> list[Index]:
    """Drop the schema's secondary and unique indexes that exist; returns what was dropped."""
    if conn.dialect.name not in BACKENDS:
        return []
    raw = conn.connection.driver_connection
    if conn.dialect.name == "sqlite" and raw is not None and not raw.in_transaction:
        # Python's sqlite3 opens its implicit transaction only before DML: DDL issued first
        # would autocommit, and a failed load would leave the indexes dropped.
        conn.exec_driver_sql("BEGIN")
    inspector = inspect(conn)
    dropped: list[Index] = []
    for table in Base.metadata.sorted_tables:
        present = {ix["name"] for ix in inspector.get_indexes(table.name)}
        for index in sorted(table.indexes, key=lambda ix: str(ix.name)):
            if index.name in present:
                index.drop(conn)
                dropped.append(index)
    return dropped


def create_indexes(conn: Connection, indexes: list[Index]) -> None:
    """Build ``indexes`` (one statement each, so an error names the index that failed)."""
    for index in indexes:
        index.create(conn)


def describe(index: Index) -> str:
    """``unique index ix_patients_ssn on patients(ssn)``: what a failed build names."""
    columns = ", ".join(c.name for c in index.columns)
    kind = "unique index" if index.unique else "index"
    return f"{kind} {index.name} on {index.table.name if index.table is not None else '?'}({columns})"
