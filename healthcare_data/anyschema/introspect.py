"""Read a live schema with SQLAlchemy's reflection and turn it into a :class:`Plan`.

Tables, columns (type, length, precision, nullability, server defaults), primary keys
(composite and text ones too), unique constraints and unique indexes, foreign keys
(composite, deferrable) and CHECK constraints, on SQLite, PostgreSQL and MySQL/MariaDB.
CHECK constraints become column facts (choices, ranges, ``after``) where they are
simple enough to read (:mod:`healthcare_data.anyschema.checks`).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import inspect, types
from sqlalchemy.engine import Engine

from healthcare_data.anyschema import columns as meanings
from healthcare_data.anyschema.checks import parse_checks
from healthcare_data.anyschema.columns import INTEGER_TYPES
from healthcare_data.anyschema.plan import DEFAULT_ROWS, ColumnPlan, ForeignKeyPlan, Plan, TablePlan, resolve
from healthcare_data.connections import ANY_SCHEMA, connect
from healthcare_data.errors import ConfigurationError

# later column word -> earlier column words: end_date after start_date, updated_at after created_at
PAIRS = {
    "end": ("start", "begin"),
    "finish": ("start",),
    "to": ("from",),
    "until": ("from", "since"),
    "updated": ("created",),
    "modified": ("created",),
    "processed": ("submitted",),
    "discharged": ("admitted",),
    "discharge": ("admission", "admit"),
    "checkout": ("checkin",),
    "resolved": ("opened", "created"),
    "closed": ("opened",),
    "returned": ("borrowed",),
    "due": ("issued",),
    "expires": ("issued", "starts"),
    "expiry": ("issue",),
}


def column_type(sqltype: Any) -> dict[str, Any]:
    """The plan's spelling of a reflected type: type plus length/precision/scale/choices.

    MySQL's UNSIGNED numbers get the range [0, null] (no negative values).
    """
    shape = _shape(sqltype)
    if getattr(sqltype, "unsigned", False) and shape["type"] in meanings.NUMERIC_TYPES:
        shape["range"] = [0, None]
    return shape


def _shape(sqltype: Any) -> dict[str, Any]:
    if isinstance(sqltype, types.Enum) and sqltype.enums:
        return {
            "type": "varchar",
            "length": max(len(e) for e in sqltype.enums),
            "choices": list(sqltype.enums),
        }
    if type(sqltype).__name__ == "SET" and getattr(sqltype, "values", None):  # MySQL SET: a subset
        members = [str(v) for v in sqltype.values]
        subsets = members + [f"{a},{b}" for a, b in zip(members, members[1:], strict=False)]
        return {"type": "varchar", "length": max(len(s) for s in subsets), "choices": subsets}
    if isinstance(sqltype, types.Boolean):
        return {"type": "boolean"}
    if isinstance(sqltype, types.Integer):
        if isinstance(sqltype, types.BigInteger):
            return {"type": "bigint"}
        if type(sqltype).__name__ == "TINYINT":  # MySQL: TINYINT(1) is its BOOLEAN
            return (
                {"type": "boolean"} if getattr(sqltype, "display_width", None) == 1 else {"type": "tinyint"}
            )
        if isinstance(sqltype, types.SmallInteger) or type(sqltype).__name__ == "SMALLINT":
            return {"type": "smallint"}
        return {"type": "integer"}
    if isinstance(sqltype, types.Float) or type(sqltype).__name__ in ("REAL", "DOUBLE", "DOUBLE_PRECISION"):
        return {"type": "float"}
    if isinstance(sqltype, types.Numeric):
        out: dict[str, Any] = {"type": "decimal"}
        if sqltype.precision is not None:
            out["precision"] = sqltype.precision
            out["scale"] = sqltype.scale or 0
        return out
    if isinstance(sqltype, types.DateTime):
        return {"type": "datetime"}
    if isinstance(sqltype, types.Date):
        return {"type": "date"}
    if isinstance(sqltype, types.Time):
        return {"type": "time"}
    if isinstance(sqltype, types.Uuid):
        return {"type": "uuid"}
    if isinstance(sqltype, types.JSON):
        return {"type": "json"}
    if isinstance(sqltype, types._Binary):
        return {"type": "binary"}
    if isinstance(sqltype, types.String):
        length = getattr(sqltype, "length", None)
        kind = "char" if type(sqltype).__name__ in ("CHAR", "NCHAR") else "varchar" if length else "text"
        return {"type": kind, "length": length} if length else {"type": kind}
    if isinstance(sqltype, types.ARRAY):
        return {"type": "array", "items": _shape(sqltype.item_type)["type"]}
    return {
        "type": "other",
        "note": f"unsupported type {sqltype!s}: NULL if nullable, the column's DEFAULT if it has one, "
        "else set a pattern or choices",
    }


def introspect(
    url_or_engine: str | Engine, *, rows: int = DEFAULT_ROWS, tables: list[str] | None = None
) -> Plan:
    """The plan for every table of the database (or ``tables``), ``rows`` rows each."""
    db = connect(url_or_engine, command=ANY_SCHEMA) if isinstance(url_or_engine, str) else None
    engine = db.engine if db is not None else cast(Engine, url_or_engine)
    try:
        return reflect(engine, rows=rows, tables=tables)
    finally:
        if db is not None:
            db.dispose()


def reflect(engine: Engine, *, rows: int = DEFAULT_ROWS, tables: list[str] | None = None) -> Plan:
    """Reflect ``engine``'s tables into a resolved plan."""
    inspector = inspect(engine)
    names = sorted(n for n in inspector.get_table_names() if n not in ("sqlite_sequence", "alembic_version"))
    if tables is not None:
        unknown = [t for t in tables if t not in names]
        if unknown:
            raise ConfigurationError(
                f"Unknown table {unknown[0]!r}; the database has: {', '.join(names) or 'none'}"
            )
        names = [n for n in names if n in tables]
    if not names:
        raise ConfigurationError(
            f"Database {engine.url.render_as_string(hide_password=True)!r} has no tables to fill"
        )
    plan_tables = {name: _table(inspector, name, rows, engine.dialect.name) for name in names}
    plan = Plan(
        tables=plan_tables,
        backend=engine.dialect.name,
        source=engine.url.render_as_string(hide_password=True),
    )
    return resolve(plan)


def _table(inspector: Any, name: str, rows: int, backend: str) -> TablePlan:
    pk = list(inspector.get_pk_constraint(name).get("constrained_columns") or [])
    uniques = [list(u["column_names"]) for u in inspector.get_unique_constraints(name)]
    # SQLite: an inline ``UNIQUE`` after a type with a length (``varchar(120) NOT NULL UNIQUE``)
    # is missed by the table-SQL parser; its automatic index is not.
    index_options = {"include_auto_indexes": True} if backend == "sqlite" else {}
    uniques += [
        list(i["column_names"]) for i in inspector.get_indexes(name, **index_options) if i.get("unique")
    ]
    uniques = [u for i, u in enumerate(uniques) if u and u not in uniques[:i] and u != pk]
    checks = _checks(inspector, name, backend)
    cols: dict[str, ColumnPlan] = {}
    for info in inspector.get_columns(name):
        shape = column_type(info["type"])
        note = shape.pop("note", None)
        column = ColumnPlan(
            name=info["name"],
            nullable=bool(info.get("nullable", True)) and info["name"] not in pk,
            primary_key=info["name"] in pk,
            default=info.get("default") is not None or bool(info.get("autoincrement") is True),
            note=note,
            **shape,
        )
        column.unique = (pk == [column.name]) or [column.name] in uniques
        if info.get("computed"):
            column.generator, column.note = "computed", "computed by the database: not written"
        cols[column.name] = column
    if backend in ("mysql", "mariadb"):  # MariaDB keeps JSON as LONGTEXT plus CHECK (json_valid(col))
        for check in list(checks):
            match = re.fullmatch(r"\s*json_valid\(`?(\w+)`?\)\s*", check)
            if match and match.group(1) in cols:
                cols[match.group(1)].type = "json"
                checks.remove(check)
    table = TablePlan(
        name=name,
        columns=cols,
        primary_key=pk,
        unique=[u for u in uniques if len(u) > 1],
        checks=checks,
        rows=rows,
    )
    for fk in inspector.get_foreign_keys(name):
        if not fk.get("referred_table") or not fk.get("constrained_columns"):
            continue
        options = fk.get("options") or {}
        table.foreign_keys.append(
            ForeignKeyPlan(
                columns=list(fk["constrained_columns"]),
                ref_table=fk["referred_table"],
                ref_columns=list(fk["referred_columns"]),
                name=fk.get("name"),
                nullable=all(cols[c].nullable for c in fk["constrained_columns"]),
                deferrable=bool(options.get("deferrable")),
            )
        )
    _apply_checks(table)
    _pair_dates(table)
    for column in cols.values():
        if column.generator == "computed":
            continue
        if table.fk_of(column.name):
            column.generator, column.note = "foreign_key", None
        elif column.type == "other" and column.nullable:
            column.generator = "null"
        elif column.type == "other":  # NOT NULL, a type the filler cannot write
            column.generator = "database_default" if column.default else "unsupported"
        else:
            column.generator, note = meanings.detect(table, column)
            column.note = column.note or note
    return table


def _checks(inspector: Any, name: str, backend: str) -> list[str]:
    """The table's CHECK texts; on MariaDB also the column-level ones reflection misses
    (``JSON`` is ``LONGTEXT ... CHECK (json_valid(col))`` written inside the column)."""
    try:
        checks = [c["sqltext"] for c in inspector.get_check_constraints(name)]
    except NotImplementedError:
        checks = []
    if backend in ("mysql", "mariadb") and inspector.dialect.is_mariadb:
        from sqlalchemy import text

        with inspector.bind.connect() as conn:
            found = conn.execute(
                text(
                    "SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
                    "WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = :t AND LEVEL = 'Column'"
                ),
                {"t": name},
            )
            checks += [str(clause) for (clause,) in found if str(clause) not in checks]
    return checks


def _apply_checks(table: TablePlan) -> None:
    facts = parse_checks(table.checks, set(table.columns))
    for name, values in facts.choices.items():
        numeric = table.columns[name].type in meanings.NUMERIC_TYPES
        table.columns[name].choices = [
            float(v) if numeric and "." in str(v) else int(v) if numeric else v for v in values
        ]
    for name in facts.low.keys() | facts.high.keys():
        column = table.columns[name]
        before = column.range or [None, None]  # UNSIGNED: [0, null]
        low = _bound(column, facts.low.get(name), +1)
        high = _bound(column, facts.high.get(name), -1)
        column.range = [before[0] if low is None else low, before[1] if high is None else high]
    for later, earlier in facts.after.items():
        table.columns[later].after = earlier
    for name, size in facts.max_length.items():
        column = table.columns[name]
        column.length = min(column.length or size, size)
        if column.type == "text":
            column.type = "varchar"
    for sql in dict.fromkeys(facts.not_understood):
        for column in table.columns.values():
            if re.search(rf"\b{re.escape(column.name)}\b", sql) and not column.note:
                column.note = f"CHECK not understood, values may violate it: {' '.join(sql.split())}"


def _bound(column: ColumnPlan, bound: tuple[Any, bool] | None, direction: int) -> Any:
    """An inclusive bound from a CHECK bound (an exclusive one moves one step inwards)."""
    if bound is None:
        return None
    value, inclusive = bound
    if isinstance(value, str) and column.type in meanings.NUMERIC_TYPES:  # PostgreSQL: '-50'::integer
        value = float(value) if "." in value else int(value)
    if inclusive or isinstance(value, str):
        return value
    if column.type in INTEGER_TYPES:
        return int(value) + direction
    step = Decimal(1).scaleb(-(column.scale if column.scale is not None else 2))
    return float(Decimal(str(value)) + direction * step)


def _pair_dates(table: TablePlan) -> None:
    """Name pairs without a CHECK (end_date / start_date): keep the later one later."""
    for column in table.columns.values():
        if column.after or column.type not in ("date", "datetime"):
            continue
        words = column.name.lower().split("_")
        for i, word in enumerate(words):
            for earlier in PAIRS.get(word, ()):
                candidate = "_".join(words[:i] + [earlier] + words[i + 1 :])
                match = next((c for c in table.columns.values() if c.name.lower() == candidate), None)
                if match is not None and match.type == column.type:
                    column.after = match.name
                    break
            if column.after:
                break
