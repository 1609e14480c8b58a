"""The Then checks fail when the data in the database is wrong.

Each test runs real steps on a real database, then breaks the stored data behind the
library's back (raw SQL) or the run's record, and shows the Then step fails with the
offending rows in its message.
"""

from __future__ import annotations

import importlib.util
from datetime import timedelta
from functools import cache
from types import SimpleNamespace

import pytest
from behave.model import Table
from sqlalchemy import text

from healthcare_data.behave.support.config import SuiteSettings
from healthcare_data.behave.support.state import Created


@cache
def steps(name: str):
    """A step module of the step library, imported once (behave's step registry is global)."""
    return importlib.import_module(f"healthcare_data.behave.steps.{name}")


@pytest.fixture
def context(sqlite_db, rng):
    return SimpleNamespace(
        db=sqlite_db,
        rng=rng,
        today=rng.today,
        created=Created(),
        settings=SuiteSettings(validation_patients=30),
    )


def table(headings, *rows):
    return Table(headings, rows=[list(r) for r in rows], line=1)


def execute(db, sql, **params):
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


def test_persona_characteristics_fail_for_an_elderly_patient_aged_30(context):
    patients = steps("patients")
    context.table = table(
        ["persona", "count", "expected_characteristics"], ("elderly_patient", "2", "age_65_plus")
    )
    patients.step_create_patients(context)
    patients.step_persona_characteristics(context)  # passes on the data as created
    victim = context.created.ids("patients")[0]
    born = context.today - timedelta(days=30 * 365 + 10)
    execute(context.db, "UPDATE patients SET date_of_birth = :d WHERE id = :i", d=born, i=victim)
    with pytest.raises(AssertionError) as caught:
        patients.step_persona_characteristics(context)
    assert "age_65_plus" in str(caught.value) and "1 offending row" in str(caught.value)


def test_npi_check_fails_for_a_wrong_check_digit(context):
    providers = steps("providers")
    context.table = table(
        ["specialty", "count", "traits", "practice_type"], ("Cardiology", "2", "specialist", "")
    )
    providers.step_create_providers(context)
    providers.step_npi_and_license(context)
    victim = context.created.ids("providers")[0]
    execute(context.db, "UPDATE providers SET npi_number = '1234567890' WHERE id = :i", i=victim)
    with pytest.raises(AssertionError) as caught:
        providers.step_npi_and_license(context)
    assert "1234567890" in str(caught.value) and "npi_check_digit" in str(caught.value)


def test_practice_check_fails_when_a_telemedicine_provider_is_not_virtual(context):
    providers = steps("providers")
    context.table = table(
        ["specialty", "count", "traits", "practice_type"],
        ("Telemedicine", "1", "telemedicine", "Virtual Practice"),
    )
    providers.step_create_providers(context)
    providers.step_practice_matches(context)
    execute(context.db, "UPDATE providers SET practice_name = 'Lakeview Telemedicine Clinic'")
    with pytest.raises(AssertionError, match="practice type 'Clinic' != requested 'Virtual Practice'"):
        providers.step_practice_matches(context)


def test_double_booking_check_fails_for_overlapping_appointments(context):
    scheduling = steps("scheduling")
    scheduling.step_persona_patients(context)
    scheduling.step_specialty_providers(context)
    context.table = table(
        ["patient_persona", "provider_specialty", "appointment_type", "scheduling_constraints"],
        ("elderly_patient", "Internal Medicine", "Annual Physical", "morning_preferred"),
    )
    scheduling.step_create_appointments(context)
    scheduling.step_no_double_booking(context)
    first = context.created.ids("appointments")[0]
    execute(
        context.db,
        "INSERT INTO appointments (id, uuid, patient_id, provider_id, appointment_date, duration_minutes, "
        "appointment_type, status) SELECT 99, 'dup', patient_id, provider_id, appointment_date, 30, "
        "'Follow-up', 'scheduled' FROM appointments WHERE id = :i",
        i=first,
    )
    with pytest.raises(AssertionError) as caught:
        scheduling.step_no_double_booking(context)
    assert "provider_double_booked" in str(caught.value)


def test_preference_check_fails_when_a_morning_visit_is_moved_to_the_afternoon(context):
    scheduling = steps("scheduling")
    scheduling.step_persona_patients(context)
    scheduling.step_specialty_providers(context)
    context.table = table(
        ["patient_persona", "provider_specialty", "appointment_type", "scheduling_constraints"],
        ("elderly_patient", "Internal Medicine", "Annual Physical", "morning_preferred"),
    )
    scheduling.step_create_appointments(context)
    scheduling.step_preferences(context)
    from healthcare_data.readback import fetch

    start = fetch(context.db, "appointments")[0]["appointment_date"]
    execute(context.db, "UPDATE appointments SET appointment_date = :d", d=start.replace(hour=14, minute=0))
    with pytest.raises(AssertionError, match="morning_preferred"):
        scheduling.step_preferences(context)


def test_workflow_check_fails_when_the_claim_is_not_stored_as_350(context):
    workflow = steps("workflow")
    workflow.step_need_workflow(context)
    context.table = table(
        ["step", "entity", "relationships", "validation_rules"],
        ("1", "Patient", "persona=young_professional", ""),
        ("2", "Provider", "specialty=Internal_Medicine,traits=primary_care", ""),
        ("3", "Appointment", "patient+provider,type=Annual_Physical", ""),
        ("4", "Insurance_Claim", "patient+provider+appointment,amount=$350", ""),
    )
    workflow.step_create_workflow(context)
    workflow.step_workflow_consistent(context)
    execute(context.db, "UPDATE insurance_claims SET claim_amount = 349.99, payment_amount = NULL")
    with pytest.raises(AssertionError) as caught:
        workflow.step_workflow_consistent(context)
    assert "350.00" in str(caught.value) and "349.99" in str(caught.value)


def test_cleanup_checks_fail_when_sequences_and_order_are_wrong(context):
    cleanup = steps("cleanup")
    cleanup.step_complex_dataset(context)
    cleanup.step_cleanup(context)
    cleanup.step_reverse_order(context)
    cleanup.step_sequences_reset(context)
    context.cleanup.deleted = list(reversed(context.cleanup.deleted))  # parents first
    with pytest.raises(AssertionError, match="children first"):
        cleanup.step_reverse_order(context)
    execute(context.db, "INSERT INTO sqlite_sequence (name, seq) VALUES ('patients', 41)")
    with pytest.raises(AssertionError, match="restart at 1"):
        cleanup.step_sequences_reset(context)


def test_memory_check_fails_below_the_peak(context):
    bulk = steps("bulk")
    context.table = table(
        ["entity_type", "count", "constraints", "performance_target"],
        ("patients", "20", "diverse_personas", "<30_seconds"),
        ("providers", "5", "", "<30_seconds"),
    )
    bulk.step_generate(context)
    # the pytest process's own RSS depends on what ran before (the export tests load
    # pandas, pyarrow, duckdb): pass with room to spare, then fail at 1 MB
    context.settings = SuiteSettings(memory_limit_mb=100_000)
    bulk.step_memory(context)
    context.settings = SuiteSettings(memory_limit_mb=1)
    with pytest.raises(AssertionError, match="peak resident memory"):
        bulk.step_memory(context)


def test_performance_target_fails_when_counts_differ(context):
    bulk = steps("bulk")
    context.table = table(["entity_type", "count", "performance_target"], ("patients", "12", "<30_seconds"))
    bulk.step_generate(context)
    bulk.step_targets(context)
    execute(context.db, "DELETE FROM patient_conditions WHERE patient_id = 1")
    execute(context.db, "DELETE FROM patient_profiles WHERE patient_id = 1")
    execute(context.db, "DELETE FROM patients WHERE id = 1")
    with pytest.raises(AssertionError, match="wrong row count"):
        bulk.step_targets(context)


def test_nothing_partial_fails_when_a_failed_operation_left_rows(context):
    errors = steps("errors")
    context.table = table(
        ["error_scenario", "expected_behavior", "recovery_strategy"],
        ("patient_age_inconsistency", "persona_validation_error", "adjust_age_or_persona"),
    )
    errors.step_attempt(context)
    errors.step_nothing_partial(context)
    errors.step_graceful(context)
    context.error_outcomes[0].counts_after_error["patients"] += 1
    with pytest.raises(AssertionError, match="rows written by a failed operation"):
        errors.step_nothing_partial(context)


def test_persona_defaults_check_fails_when_a_profile_value_is_not_the_personas(context):
    patients = steps("patients")
    context.text = "PatientBuilder().withPersona('elderly_patient').withAge(72).create()"
    patients.step_builder(context)
    patients.step_persona_defaults(context)  # passes on the data as created
    execute(context.db, "UPDATE patient_profiles SET tech_savviness = 'expert'")
    with pytest.raises(AssertionError, match="tech_savviness") as caught:
        patients.step_persona_defaults(context)
    assert "persona_default" in str(caught.value) and "1 offending row" in str(caught.value)


def test_practice_check_fails_when_a_hospital_based_provider_names_no_hospital(context):
    providers = steps("providers")
    context.table = table(
        ["specialty", "count", "traits", "practice_type"], ("Emergency Medicine", "1", "hospital_based", "")
    )
    providers.step_create_providers(context)
    providers.step_practice_matches(context)
    execute(context.db, "UPDATE providers SET practice_address = '1 Main St, New York, NY 10001'")
    with pytest.raises(AssertionError, match="does not name the affiliated hospital"):
        providers.step_practice_matches(context)
