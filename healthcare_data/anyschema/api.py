"""The any-schema Python API: ``generate`` (fill a database or write files) and the plan preview."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from healthcare_data.anyschema.fill import FORMATS, FillResult, ProgressCallback, write_database, write_files
from healthcare_data.anyschema.introspect import introspect
from healthcare_data.anyschema.plan import Plan, load
from healthcare_data.connections import ANY_SCHEMA, connect
from healthcare_data.errors import ConfigurationError


def _looks_like_url(value: str) -> bool:
    return "://" in value


def generate(
    url_or_plan: str | Path | Plan,
    rows: int | None = None,
    *,
    database_url: str | None = None,
    output: str | Path | None = None,
    format: str | None = None,
    seed: int | None = None,
    batch_size: int = 1000,
    method: str = "auto",
    today: date | None = None,
    progress: ProgressCallback | None = None,
    reset: bool = False,
    append: bool = False,
) -> FillResult:
    """Fill a database from its own schema, or write the rows to files.

    ``url_or_plan``: a database URL (introspected, then filled in place), a plan file
    or a :class:`Plan`. ``database_url`` names the database to fill when a plan is
    given; ``output`` + ``format`` (jsonl, csv, sql) write files instead. ``rows``
    sets every table's count (else the plan's per-table counts). ``seed`` defaults to
    the plan's seed; ``today`` (default: the real date) anchors relative dates.
    Tables holding rows need ``reset`` or ``append`` (as ``seed``); the fill is one
    transaction, so a failed run leaves the database as it was.
    """
    target_url = database_url
    if isinstance(url_or_plan, Plan):
        plan = url_or_plan
    elif isinstance(url_or_plan, str) and _looks_like_url(url_or_plan):
        plan = introspect(url_or_plan)
        target_url = target_url or url_or_plan
    else:
        plan = load(url_or_plan)
    seed = plan.seed if seed is None else seed
    today = today or date.today()
    if output is not None:
        if reset or append:
            raise ConfigurationError("--reset/--append apply to a database, not to --output files")
        if format is None:
            raise ConfigurationError(f"--output needs --format; one of {', '.join(FORMATS)}")
        return write_files(
            plan, output, format, seed=seed, today=today, rows=rows, batch_size=batch_size, progress=progress
        )
    if format is not None:
        raise ConfigurationError(f"--format {format!r} needs --output FILE|DIR")
    if target_url is None:
        raise ConfigurationError(
            "no database to fill: pass --database-url URL (or --output DIR --format ...)"
        )
    db = connect(target_url, command=ANY_SCHEMA)
    try:
        return write_database(
            plan,
            db,
            seed=seed,
            today=today,
            rows=rows,
            batch_size=batch_size,
            method=method,
            progress=progress,
            reset=reset,
            append=append,
        )
    finally:
        db.dispose()


def plan_summary(plan: Plan) -> list[dict[str, Any]]:
    """One row per table (insert order): rows, keys, foreign keys and their strategies, notes."""
    rows = []
    for name in plan.order:
        table = plan.tables[name]
        rows.append(
            {
                "table": name,
                "rows": table.rows,
                "foreign keys": ", ".join(
                    f"{','.join(fk.columns)}->{fk.ref_table} ({fk.strategy})" for fk in table.foreign_keys
                )
                or "-",
                "generators": ", ".join(f"{c.name}:{c.generator}" for c in table.columns.values()),
                "notes": sum(1 for c in table.columns.values() if c.note),
            }
        )
    return rows
