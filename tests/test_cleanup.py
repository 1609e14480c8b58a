"""cleanup: Database.reset() observed statement by statement, and what a wrong cleanup looks like."""

from __future__ import annotations

from healthcare_data.cleanup import (
    CleanupRun,
    deletion_order_problems,
    observed_reset,
    sequence_problems,
    tables_left_undeleted,
)
from healthcare_data.entities import create_visit


def test_reset_empties_children_first_and_restarts_sequences(sqlite_db, rng):
    create_visit(sqlite_db, rng, persona="elderly_patient")
    run = observed_reset(sqlite_db)
    assert run.error is None
    assert {"patients", "appointments", "insurance_claims"} <= set(run.deleted)
    assert (
        run.deleted.index("insurance_claims")
        < run.deleted.index("appointments")
        < run.deleted.index("patients")
    )
    assert deletion_order_problems(run.deleted) == []
    assert tables_left_undeleted(run) == []
    assert sequence_problems(run.sequences_before, sqlite_db.sequence_positions()) == []
    assert sqlite_db.is_empty()


def test_a_parent_emptied_before_its_child_is_reported():
    problems = deletion_order_problems(["patients", "appointments"])
    assert {
        "child": "appointments",
        "child deleted at": 1,
        "parent": "patients",
        "parent deleted at": 0,
    } in problems


def test_sequences_and_untouched_tables_are_reported():
    assert sequence_problems({"patients": 9}, {"patients": 9}) == [
        {"table": "patients", "next id before": 9, "next id after": 9}
    ]
    run = CleanupRun({"patients": 3, "providers": 0}, {}, deleted=["appointments"])
    assert tables_left_undeleted(run) == ["patients"]
