"""The patient-journeys Then steps fail when their sentence is false.

Each test runs the real steps on a real database, passes, then breaks the stored data
behind the library's back (a named corruption or raw SQL) and shows the same Then step
now fails.
"""

from __future__ import annotations

import importlib.util
import shutil
from functools import cache
from pathlib import Path
from types import SimpleNamespace

import pytest
from behave.model import Table
from sqlalchemy import text


@cache
def steps():
    """The journeys step module of the step library (imported once: behave's registry is global)."""
    return importlib.import_module("healthcare_data.behave.steps.journeys")


def table(headings, *rows):
    return Table(headings, rows=[list(r) for r in rows], line=1)


@pytest.fixture
def context(sqlite_db, rng):
    cleanups = []
    ctx = SimpleNamespace(
        db=sqlite_db, rng=rng, today=rng.today, table=None, add_cleanup=lambda f, *a: cleanups.append((f, a))
    )
    yield ctx
    for function, args in cleanups:
        function(*args)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """One seeded SQLite file (150 patients' journeys), copied for each test."""
    from healthcare_data.db import Database
    from healthcare_data.journeys import JourneySpec
    from healthcare_data.journeys.generate import seed_journeys
    from healthcare_data.randomness import Randomness

    from .conftest import TEST_TODAY

    path = tmp_path_factory.mktemp("journeys") / "seeded.db"
    db = Database(f"sqlite:///{path}")
    seed_journeys(db, JourneySpec(patients=150), Randomness(20261122, today=TEST_TODAY))
    db.dispose()
    return path


@pytest.fixture
def seeded(context, template, tmp_path):
    from healthcare_data.db import Database

    copy = tmp_path / "seeded.db"
    shutil.copy(template, copy)
    context.db = Database(f"sqlite:///{copy}")
    yield context
    context.db.dispose()


def _sql(db, statement):
    with db.transaction() as conn:
        conn.execute(text(statement))


@pytest.mark.parametrize(
    ("step", "corruption"),
    [
        ("step_state_machines", "an illegal journey transition"),
        ("step_time_order", "a dispensing dated before its prescription"),
        ("step_status_and_time", "a past visit still marked scheduled"),
        ("step_status_and_time", "a completed visit moved into the future"),
        ("step_prescriptions_fit", "amoxicillin prescribed for type 2 diabetes"),
        ("step_payments", "a payment that does not add up"),
        ("step_referrals", "an expired referral still marked requested"),
    ],
)
def test_rule_sentences_fail_on_corrupted_data(seeded, step, corruption):
    check = getattr(steps(), step)
    check(seeded)
    steps().step_corrupt(seeded, corruption)
    with pytest.raises(AssertionError):
        check(seeded)


def test_alternative_paths_and_segments_fail_when_missing(seeded):
    s = steps()
    seeded.table = table(["state"], ["no_show"], ["referral_expired"])
    s.step_alternative_paths(seeded)
    _sql(seeded.db, "UPDATE journey_steps SET step = 'attended' WHERE step = 'no_show'")
    with pytest.raises(AssertionError):
        s.step_alternative_paths(seeded)
    seeded.table = table(["segment", "share"], ["new", "0.30"], ["active", "0.50"])
    s.step_segments(seeded, 0.1)
    _sql(seeded.db, "UPDATE care_journeys SET segment = 'new'")
    with pytest.raises(AssertionError):
        s.step_segments(seeded, 0.1)


def test_report_sentence_fails_when_the_rule_is_not_reported(seeded):
    with pytest.raises(AssertionError):
        steps().step_report_names_rule(seeded, "payments_add_up")
    corrupt_and_check = steps()
    corrupt_and_check.step_corrupt(seeded, "a payment that does not add up")
    corrupt_and_check.step_report_names_rule(seeded, "payments_add_up")


def test_builder_sentences_fail_when_the_stored_journey_differs(context):
    s = steps()
    context.table = table(
        ["journey", "conditions", "follow_ups", "referral"],
        ["chronic_care", "Diabetes Type 2", "1", "expired"],
    )
    s.step_build_journey(context)
    context.table = table(["state"], ["booked"], ["follow_up_booked"], ["referral_expired"])
    s.step_journey_states(context)
    s.step_journey_prescriptions(context, "E11.9")
    _sql(context.db, "UPDATE journey_steps SET step = 'referred' WHERE step = 'referral_expired'")
    with pytest.raises(AssertionError):
        s.step_journey_states(context)
    _sql(context.db, "UPDATE prescriptions SET diagnosis_code = 'J02.0'")
    with pytest.raises(AssertionError):
        s.step_journey_prescriptions(context, "E11.9")


def test_workflow_file_sentences_fail_on_broken_files(context):
    s = steps()
    s.step_seed_journeys(context, 40)
    seeded = context
    s.step_write_workflows(seeded)
    s.step_workflows_revalidate(seeded)
    s.step_readme_diagrams(seeded)
    seeded.table = table(["validation"], ["Temporal Consistency"], ["Business Rules"])
    s.step_summary_passed(seeded)
    seeded.table = table(
        ["journey", "file"], *[[w["journey"], w["file"]] for w in seeded.workflows.workflows]
    )
    s.step_workflow_files(seeded)
    folder = seeded.workflow_dir / "workflows"
    acute = folder / "acute-care.yaml"
    acute.write_text(acute.read_text("utf-8").replace("status: completed", "status: scheduled"), "utf-8")
    with pytest.raises(AssertionError):
        s.step_workflows_revalidate(seeded)
    readme = seeded.workflow_dir / "README.md"
    readme.write_text(readme.read_text("utf-8").replace("stateDiagram-v2", "graph", 1), "utf-8")
    with pytest.raises(AssertionError):
        s.step_readme_diagrams(seeded)
    acute.unlink()
    with pytest.raises(AssertionError):
        s.step_workflow_files(seeded)
    seeded.table = table(["validation"], ["Temporal Consistency"], ["Business Rules"])
    summary = seeded.workflow_dir / "summary.txt"
    summary.write_text(
        summary.read_text("utf-8").replace(
            "Business Rules: ✓ PASSED", "Business Rules: ✗ FAILED (1 violations)"
        )
    )
    with pytest.raises(AssertionError):
        s.step_summary_passed(seeded)


def test_allocation_sentences_fail_when_false(context):
    s = steps()
    s.step_generate_records(context, 200)
    s.step_allocation(context)
    s.step_records_between(context, 200, 260)
    with pytest.raises(AssertionError):
        s.step_records_between(context, 300, 400)
    context.allocation.pop("referrals")
    with pytest.raises(AssertionError):
        s.step_allocation(context)
