"""Cleanup: reverse dependency order, no orphans, sequences reset, database empty."""

from __future__ import annotations

from behave import given, then, when
from hamcrest import assert_that, equal_to, greater_than, is_, none

from healthcare_data.behave.support.cleanup import CleanupRun, observe_deletes
from healthcare_data.behave.support.datasets import generate_small_dataset
from healthcare_data.behave.support.readback import foreign_keys_enforced
from healthcare_data.behave.support.reports import assert_no_offenders
from healthcare_data.behave.support.state import need
from healthcare_data.schema import Base
from healthcare_data.validation.integrity import find_orphans


@given("I have created a complex healthcare dataset with multiple relationships")
def step_complex_dataset(context):
    """A generated dataset with patients, providers, appointments, records and claims (rows counted)."""
    generate_small_dataset(context)
    counts = context.db.counts()
    for table in ("patients", "providers", "appointments", "medical_records", "insurance_claims"):
        assert_that(counts[table], greater_than(0), f"rows in {table} before cleanup")


@when("I execute the advanced cleanup procedure")
def step_cleanup(context):
    """Database.reset(), recording the DELETE statements the database receives, in order."""
    run = CleanupRun(context.db.counts(), context.db.sequence_positions())
    with observe_deletes(context.db.engine) as deleted:
        try:
            run.reported = context.db.reset()
        except Exception as exc:  # noqa: BLE001 - kept for the Then steps to report
            run.error = exc
    run.deleted = list(deleted)
    context.cleanup = run


@then("data should be cleaned up in reverse dependency order")
def step_reverse_order(context):
    """Every child table was emptied before each table it references (FK metadata vs the observed DELETE
    order).
    """
    run = need(context, "cleanup", "When I execute the advanced cleanup procedure")
    position = {name: i for i, name in enumerate(run.deleted)}
    offenders = []
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            parent = fk.column.table.name
            child_at, parent_at = position.get(table.name), position.get(parent)
            if child_at is None or parent_at is None or child_at > parent_at:
                offenders.append(
                    {
                        "child": table.name,
                        "child deleted at": child_at,
                        "parent": parent,
                        "parent deleted at": parent_at,
                    }
                )
    assert_no_offenders(offenders, f"tables must be emptied children first; order seen: {run.deleted}")


@then("all foreign key constraints should be respected")
def step_fks_respected(context):
    """Foreign keys enforced on the connection (SQLite PRAGMA) and the cleanup raised no error."""
    run = need(context, "cleanup", "When I execute the advanced cleanup procedure")
    assert_that(foreign_keys_enforced(context.db), is_(True), "foreign keys enforced during cleanup")
    assert_that(run.error, is_(none()), "cleanup error")


@then("no orphaned records should remain in any table")
def step_no_orphans(context):
    """integrity.find_orphans finds no child row without its parent."""
    with context.db.engine.connect() as conn:
        orphans = find_orphans(conn)
    assert_no_offenders([v.as_row() for v in orphans], "orphaned rows")


@then("database sequences should be reset appropriately")
def step_sequences_reset(context):
    """Database.sequence_positions(): every id sequence restarts at 1."""
    run = need(context, "cleanup", "When I execute the advanced cleanup procedure")
    after = context.db.sequence_positions()
    offenders = [
        {"table": t, "next id before": run.sequences_before.get(t), "next id after": n}
        for t, n in after.items()
        if n != 1
    ]
    assert_no_offenders(offenders, "every id sequence must restart at 1")


@then("cleanup should complete without constraint violations")
def step_no_violations(context):
    """No error, and every table that held rows was deleted from."""
    run = need(context, "cleanup", "When I execute the advanced cleanup procedure")
    assert_that(run.error, is_(none()), "error raised by the cleanup")
    emptied = [t for t, n in run.counts_before.items() if n and t not in run.deleted]
    assert_that(emptied, equal_to([]), "tables holding rows that the cleanup never deleted from")


@then("the database should return to a completely clean state")
def step_clean_state(context):
    """Row count of every table is 0."""
    counts = context.db.counts()
    assert_no_offenders([{"table": t, "rows": n} for t, n in counts.items() if n], "rows left after cleanup")
    assert_that(context.db.is_empty(), is_(True), "database is empty")
