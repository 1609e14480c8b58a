"""entities.Workflow and validation.workflow: a workflow created step by step, then judged."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from healthcare_data.entities import Workflow
from healthcare_data.validation.groups import bulk_findings, bulk_row_findings, check_stored_row
from healthcare_data.validation.workflow import (
    consistency_problems,
    cross_reference_problems,
    dependency_order_problems,
)


def _visit(db, rng):
    workflow = Workflow(db, rng)
    return [
        workflow.create(1, "Provider", {"specialty": "Cardiology"}, ()),
        workflow.create(2, "Patient", {"persona": "elderly_patient"}, ()),
        workflow.create(3, "Appointment", {"type": "Consultation"}, ("patient", "provider")),
        workflow.create(4, "Medical_Record", {}, ("patient", "provider", "appointment")),
        workflow.create(
            5, "Insurance_Claim", {"amount": Decimal("350.00")}, ("patient", "provider", "appointment")
        ),
    ]


def test_a_workflow_references_the_rows_of_earlier_steps(sqlite_db, rng):
    rows = _visit(sqlite_db, rng)
    assert rows[2].refs == {"patient": rows[1].row_id, "provider": rows[0].row_id}
    assert dependency_order_problems(sqlite_db, rows) == []
    assert cross_reference_problems(sqlite_db, rows) == []
    assert consistency_problems(sqlite_db, rng.today, rows, {5: Decimal("350.00")}) == []


def test_wrong_order_wrong_references_and_amounts_are_reported(sqlite_db, rng):
    rows = _visit(sqlite_db, rng)
    reordered = [replace(rows[0], step=9), *rows[1:]]  # the provider "created" after its appointment
    assert [p["column"] for p in dependency_order_problems(sqlite_db, reordered)] == ["provider_id"] * 3
    wrong = [*rows[:2], replace(rows[2], refs={"patient": rows[1].row_id + 100})]
    assert cross_reference_problems(sqlite_db, wrong)[0]["stored"] == rows[1].row_id
    found = consistency_problems(sqlite_db, rng.today, rows, {5: Decimal("350.5")})
    assert found == [
        {"step": 5, "column": "claim_amount", "expected": Decimal("350.5"), "stored": Decimal("350.00")}
    ]


def test_rule_groups_run_on_a_stored_row_and_over_the_database(sqlite_db, rng):
    rows = _visit(sqlite_db, rng)
    assert check_stored_row(sqlite_db, rng.today, "patients", rows[1].row_id, ["valid_demographics"]) == []
    assert bulk_row_findings(sqlite_db, rng.today, ["business_hours", "valid_amounts"]) == []
    # one cardiologist cannot cover every specialty: the dataset check says which are missing
    missing = bulk_findings(sqlite_db, rng.today, ["all_specialties"])
    assert missing and all(v.rule for v in missing)
