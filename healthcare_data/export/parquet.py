"""Parquet, a file per table, typed from the SQLAlchemy columns (needs the ``parquet`` extra).

Money is ``decimal128(precision, scale)`` (exact sums in DuckDB and pandas), dates are
``date32``, datetimes ``timestamp[us]``, booleans ``bool`` and every string column (ZIP
codes, NPIs, policy numbers) stays a string, leading zeros included. Each table is
written batch by batch as row groups through one ``ParquetWriter``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Numeric

from healthcare_data.errors import ConfigurationError
from healthcare_data.export.codec import schema_table
from healthcare_data.export.stream import columns_for
from healthcare_data.generation import Batch


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401 - loads the submodule
    except ImportError:
        raise ConfigurationError(
            "Parquet export needs pyarrow; install the extra: pip install 'healthcare-data[parquet]'"
        ) from None
    return pyarrow


_BY_NAME = {"int": "int64", "float": "float64", "bool": "bool_", "date": "date32", "str": "string"}


def arrow_type(pa: Any, table: str, column: str, kind: str) -> Any:
    """The Arrow type of a column: from the SQLAlchemy type when the schema has it."""
    found = schema_table(table)
    sql_type = found.c[column].type if found is not None and column in found.c else None
    if isinstance(sql_type, Boolean):
        return pa.bool_()
    if isinstance(sql_type, Integer):
        return pa.int64()
    if isinstance(sql_type, Float):
        return pa.float64()
    if isinstance(sql_type, Numeric):
        return pa.decimal128(sql_type.precision or 18, sql_type.scale or 0)
    if isinstance(sql_type, DateTime):
        return pa.timestamp("us")
    if isinstance(sql_type, Date):
        return pa.date32()
    if sql_type is not None:
        return pa.string()
    if kind == "decimal":
        return pa.decimal128(38, 10)
    if kind == "datetime":
        return pa.timestamp("us")
    return getattr(pa, _BY_NAME.get(kind, "string"))()


def write_parquet(batches: Iterable[Batch], out: Path) -> None:
    """``<table>.parquet`` per table under ``out``, one row group per batch."""
    pa = _pyarrow()
    writers: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    try:
        for batch in batches:
            writer = writers.get(batch.table)
            if writer is None:
                columns = columns_for(batch.table, batch.rows)
                schema = pa.schema(
                    [pa.field(c, arrow_type(pa, batch.table, c, k)) for c, k in columns.items()]
                )
                schemas[batch.table] = schema
                writer = writers[batch.table] = pa.parquet.ParquetWriter(
                    str(out / f"{batch.table}.parquet"), schema
                )
            schema = schemas[batch.table]
            columns_data = {name: [row.get(name) for row in batch.rows] for name in schema.names}
            writer.write_table(pa.Table.from_pydict(columns_data, schema=schema))
    finally:
        for writer in writers.values():
            writer.close()
