"""Cleanup: reverse dependency order, no orphans, sequences reset, database empty."""

from __future__ import annotations

from behave import given, then, when
from hamcrest import assert_that, equal_to, greater_than, is_, none

from healthcare_data.behave.support.datasets import generate_scenario
from healthcare_data.behave.support.reports import assert_no_offenders, assert_no_violations
from healthcare_data.behave.support.state import need
from healthcare_data.cleanup import (
    deletion_order_problems,
    observed_reset,
    sequence_problems,
    tables_left_undeleted,
)
from healthcare_data.readback import foreign_keys_enforced
from healthcare_data.validation.integrity import find_orphans


@given("I have created a complex healthcare dataset with multiple relationships")
def step_complex_dataset(context):
    """A generated dataset with patients, providers, appointments, records and claims (rows counted)."""
    context.dataset = generate_scenario(context, "relationships")
    counts = context.db.counts()
    for table in ("patients", "providers", "appointments", "medical_records", "insurance_claims"):
        assert_that(counts[table], greater_than(0), f"rows in {table} before cleanup")


@when("I execute the advanced cleanup procedure")
def step_cleanup(context):
    """Database.reset(), recording the DELETE statements the database receives, in order (observed_reset)."""
    context.cleanup = observed_reset(context.db)


def _run(context):
    return need(context, "cleanup", "When I execute the advanced cleanup procedure")


@then("data should be cleaned up in reverse dependency order")
def step_reverse_order(context):
    """Every child table was emptied before each table it references (FK metadata vs the observed DELETE
    order).
    """
    deleted = _run(context).deleted
    found = deletion_order_problems(deleted)
    assert_no_offenders(found, f"tables must be emptied children first; order seen: {deleted}")


@then("all foreign key constraints should be respected")
def step_fks_respected(context):
    """Foreign keys enforced on the connection (SQLite PRAGMA) and the cleanup raised no error."""
    run = _run(context)
    assert_that(foreign_keys_enforced(context.db), is_(True), "foreign keys enforced during cleanup")
    assert_that(run.error, is_(none()), "cleanup error")


@then("no orphaned records should remain in any table")
def step_no_orphans(context):
    """integrity.find_orphans finds no child row without its parent."""
    with context.db.engine.connect() as conn:
        orphans = find_orphans(conn)
    assert_no_violations(orphans, "orphaned rows")


@then("database sequences should be reset appropriately")
def step_sequences_reset(context):
    """Database.sequence_positions(): every id sequence restarts at 1."""
    found = sequence_problems(_run(context).sequences_before, context.db.sequence_positions())
    assert_no_offenders(found, "every id sequence must restart at 1")


@then("cleanup should complete without constraint violations")
def step_no_violations(context):
    """No error, and every table that held rows was deleted from."""
    run = _run(context)
    assert_that(run.error, is_(none()), "error raised by the cleanup")
    left = tables_left_undeleted(run)
    assert_that(left, equal_to([]), "tables holding rows that the cleanup never deleted from")


@then("the database should return to a completely clean state")
def step_clean_state(context):
    """Row count of every table is 0."""
    counts = context.db.counts()
    assert_no_offenders([{"table": t, "rows": n} for t, n in counts.items() if n], "rows left after cleanup")
    assert_that(context.db.is_empty(), is_(True), "database is empty")
