"""Patient journeys: seed or build journeys, corrupt them, judge them with the library."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from behave import given, then, when
from hamcrest import assert_that, empty, equal_to, greater_than, is_not, less_than_or_equal_to

from healthcare_data.behave.support.journeys import BUILD_COLUMNS, builder_from_row
from healthcare_data.journeys import JourneySpec, allocate, default_definitions
from healthcare_data.journeys.checks import (
    journey_path,
    journey_rows,
    passes_through,
    prescriptions_not_treating,
    segment_shares,
    segments_off,
    state_counts,
)
from healthcare_data.journeys.checks import violations as journey_violations
from healthcare_data.journeys.generate import RECORD_TABLES, journey_tables, seed_journeys
from healthcare_data.journeys.mutations import corrupt
from healthcare_data.journeys.workflows import read_tables, revalidate, write_workflows
from healthcare_data.validation import run_validation


@given("the journey definitions are loaded")
def step_definitions_loaded(context):
    """The built-in journeys file (reference/journeys.toml) parses and defines journeys."""
    context.journey_definitions = default_definitions()
    assert_that(list(context.journey_definitions.journeys), is_not(empty()), "journeys defined")


@when("I seed the journeys of {count:d} patients")
@given("the journeys of {count:d} patients are seeded")
def step_seed_journeys(context, count):
    """seed_journeys(db, JourneySpec(patients=N)): the bulk writers, one transaction."""
    context.journey_seed = seed_journeys(context.db, JourneySpec(patients=count), context.rng)
    assert_that(context.journey_seed.rows.get("patients", 0), equal_to(count), "patients seeded")


def _no_violations(context, group):
    found = journey_violations(context.db, context.today, group)
    assert_that([v.as_row() for v in found[:5]], empty(), f"{len(found)} {group} violations")


@then("every journey should follow its state machine")
def step_state_machines(context):
    """Journey rules journey_transition, status_transition, prescription_status_matches, referral_expiry."""
    _no_violations(context, "state machines")


@then("every journey's timestamps should be in order")
def step_time_order(context):
    """Journey rules: registration, booking, visit, diagnosis, prescription, dispensing in time order."""
    _no_violations(context, "time order")


@then("appointment statuses should agree with today's date")
def step_status_and_time(context):
    """Rule appointment_status_time: completed/no_show only before today, scheduled only after."""
    _no_violations(context, "status and time")


@then("every prescription should fit its diagnosis")
def step_prescriptions_fit(context):
    """prescription_fits_diagnosis (the RxNorm drug treats the code), same day, dispensed <= prescribed."""
    _no_violations(context, "prescriptions")


@then("payments should add up to their claims")
def step_payments(context):
    """Ledger entries exist; payments_add_up (payer = paid, payer + patient = charge), self_pay_uninsured."""
    assert_that(context.db.counts()["ledger_entries"], greater_than(0), "ledger entries to check")
    _no_violations(context, "payments")


@then("referrals should be used within 90 days or expire")
def step_referrals(context):
    """Referrals exist; referral_expiry (issue + 90 days, no stale requested), referral_visit_window."""
    assert_that(context.db.counts()["referrals"], greater_than(0), "referrals to check")
    _no_violations(context, "referrals")


@then("the journeys should take these alternative paths:")
def step_alternative_paths(context):
    """journey_steps: each listed state was entered by at least one journey."""
    context.table.require_column("state")
    counts = state_counts(context.db)
    never = [r["state"] for r in context.table if counts[r["state"]] == 0]
    assert_that(never, empty(), f"states never taken ({counts})")


@then("the activity segments should follow these proportions within {tolerance:f}:")
def step_segments(context, tolerance):
    """Share of registered patients per activity segment (registration journeys) within the tolerance."""
    shares = segment_shares(context.db)
    off = segments_off(shares, {r["segment"]: float(r["share"]) for r in context.table}, tolerance)
    assert_that(off, empty(), f"segments off by more than {tolerance}: {shares}")


@when("I build a journey:")
def step_build_journey(context):
    """JourneyBuilder from the table row (journey, conditions, follow-ups, referral outcome), create()."""
    context.table.require_columns(BUILD_COLUMNS)
    context.built_journey = builder_from_row(context.table[0]).create(context.db, context.rng)


@then("the journey should pass through these states in order:")
def step_journey_states(context):
    """The stored journey_steps of the built journey contain the listed states in this order."""
    path = journey_path(context.db, context.built_journey.journey["id"])
    assert_that(
        passes_through(path, [r["state"] for r in context.table]), equal_to(True), f"stored path {path}"
    )


@then('every prescription of the journey should treat "{code}"')
def step_journey_prescriptions(context, code):
    """The built journey's stored prescriptions carry the code and a drug that treats it."""
    rows = journey_rows(context.db, context.built_journey.journey["id"], "prescriptions")
    assert_that(rows, is_not(empty()), "prescriptions of the journey")
    assert_that(prescriptions_not_treating(rows, code), empty())


@when('the stored data is corrupted with "{corruption}"')
def step_corrupt(context, corruption):
    """Applies the named corruption (journeys.mutations.CORRUPTIONS) to the stored rows."""
    with context.db.transaction() as conn:
        context.corruption = corrupt(conn, corruption, context.today)


@then('the validation report should name the rule "{rule}" with entity, key and recovery')
def step_report_names_rule(context, rule):
    """business_rules validator report holds the rule, each violation with entity, key and recovery."""
    found = [
        v for v in run_validation(context.db, "business_rules", context.today).violations if v.rule == rule
    ]
    assert_that(found, is_not(empty()), f"violations of {rule}")
    assert_that([v.as_row() for v in found if not (v.entity and v.key is not None and v.recovery)], empty())


@when("I write the workflow files of the database")
def step_write_workflows(context):
    """write_workflows(read_tables(db)) into a temporary directory."""
    context.workflow_dir = Path(tempfile.mkdtemp(prefix="hd_workflows_")) / "integration"
    context.add_cleanup(shutil.rmtree, context.workflow_dir.parent, True)
    context.workflows = write_workflows(read_tables(context.db), context.workflow_dir, context.today)


@then("there should be a workflow file per journey:")
def step_workflow_files(context):
    """The files written under workflows/ are exactly the listed journey -> file pairs."""
    context.table.require_columns(["journey", "file"])
    expected = {r["journey"]: r["file"] for r in context.table}
    assert_that(context.workflows.files_written, equal_to(expected), "workflow files written")


@then("the workflow files should load back and pass every journey validation")
def step_workflows_revalidate(context):
    """load_dataset of the written files, then every journey rule and reference check: no violation."""
    checks = revalidate(context.workflow_dir, context.today)
    failed = {name: [v.as_row() for v in found[:3]] for name, found in checks.items() if found}
    assert_that(failed, equal_to({}), "validations of the reloaded workflow files")


@then("the README should hold a state diagram per workflow")
def step_readme_diagrams(context):
    """README.md holds one mermaid stateDiagram-v2 per workflow file."""
    readme = (context.workflow_dir / "README.md").read_text("utf-8")
    assert_that(
        readme.count("stateDiagram-v2"), equal_to(len(context.workflows.workflows)), "mermaid state diagrams"
    )


@then("the summary report should show these validations as passed:")
def step_summary_passed(context):
    """summary.txt shows "- <validation>: ✓ PASSED" for each listed validation."""
    report = (context.workflow_dir / "summary.txt").read_text("utf-8")
    missing = [r["validation"] for r in context.table if f"- {r['validation']}: ✓ PASSED" not in report]
    assert_that(missing, empty(), report)


@when("I generate journeys for {records:d} records")
def step_generate_records(context, records):
    """allocate(N) and journey_tables(JourneySpec(records=N))."""
    context.allocation = allocate(records)
    context.generated = journey_tables(JourneySpec(records=records), context.rng)


@then("the allocation should give every journey entity a count")
def step_allocation(context):
    """allocate(N) gives each entity of the cardinalities a count >= 1."""
    assert_that(
        [t for t in default_definitions().cardinality if context.allocation.get(t, 0) < 1],
        empty(),
        str(context.allocation),
    )


@then("the generated records should number between {low:d} and {high:d}")
def step_records_between(context, low, high):
    """Rows of the entity tables (RECORD_TABLES) generated lie in the range."""
    total = sum(len(context.generated.get(t, [])) for t in RECORD_TABLES)
    assert_that(total, greater_than(low - 1), "records generated")
    assert_that(total, less_than_or_equal_to(high), "records generated")
