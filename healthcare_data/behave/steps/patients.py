"""Patients: personas from a table, the fluent builder from a docstring; checks on stored rows."""

from __future__ import annotations

from collections import Counter

from behave import register_type, then, when
from hamcrest import assert_that, equal_to, greater_than, has_length, is_

from healthcare_data.behave.support.failures import as_failure
from healthcare_data.behave.support.reports import (
    assert_no_offenders,
    assert_no_violations,
    distribution_tables,
)
from healthcare_data.behave.support.state import need
from healthcare_data.behave.support.tables import persona_requests, persona_words, requested_counts
from healthcare_data.builders import PatientBuilder
from healthcare_data.builders.script import (
    parse_builder_script,
    run_builder_script,
    specified_values,
    unmet_specifications,
)
from healthcare_data.characteristics import unmet_characteristics
from healthcare_data.readback import patients_with_history
from healthcare_data.validation.groups import CHECKS, check_group
from healthcare_data.validation.patients import check_patient, check_persona_defaults
from healthcare_data.validation.statistics import persona_distribution_report

register_type(PersonaWords=persona_words)


def _stored(context, ids):
    bundles = patients_with_history(context.db, ids)
    assert_that([p["id"] for p, _, _ in bundles], equal_to(sorted(ids)), "patients found in the database")
    return bundles


# --- personas table --------------------------------------------------------------------------


@when("I create patients using the following personas:")
def step_create_patients(context):
    """PatientBuilder().with_persona(p).create_batch(count) per row; each row's requests kept as labels."""
    context.persona_requests = persona_requests(context.table)
    for number, request in enumerate(context.persona_requests, start=1):
        with as_failure(f"Personas table row {number} ({request.persona})"):
            made = request.create(PatientBuilder(context.db, context.rng))
        context.created.add_all("patients", made, step=number, **request.labels)


def _persona_patients(context):
    need(context, "persona_requests", "When I create patients using the following personas:")
    entries = {e.id: e for e in context.created.of("patients")}
    return [(entries[p["id"]], p, c, prof) for p, c, prof in _stored(context, list(entries))]


@then("patients should be created with persona-appropriate characteristics")
def step_persona_characteristics(context):
    """Patients per persona as the table asked; each expected_characteristics token checked on the stored rows
    (characteristics.unmet_characteristics: persona recorded, tokens of the registry).
    """
    stored, today = _persona_patients(context), context.today
    offenders = [o for e, *rows in stored for o in unmet_characteristics(*rows, today=today, **e.labels)]
    per_persona = Counter(e.labels["persona"] for e, *_ in stored)
    assert_that(per_persona, equal_to(requested_counts(context.persona_requests)), "patients per persona")
    assert_no_offenders(offenders, "expected_characteristics not met by stored patients")


@then("each patient should have realistic, consistent data")
def step_patients_consistent(context):
    """check_patient (format, business, HIPAA rules) on every stored patient with history and profile."""
    found = [v for _, *rows in _persona_patients(context) for v in check_patient(*rows, today=context.today)]
    assert_no_violations(found, "patient rules (check_patient) broken by stored patients")


def _distribution_report(context):
    _persona_patients(context)
    with context.db.engine.connect() as conn:
        return persona_distribution_report(conn, context.today, tolerance=0.0)


@then("demographic distributions should match persona expectations")
def step_persona_distributions(context):
    """statistics.persona_distribution_report: chi-square/exact test on genders, KS on ages, per persona
    (alpha 1%).
    """
    report = _distribution_report(context)
    assert_that(len(report.tests), greater_than(0), "statistical tests run")
    detail = distribution_tables(report)
    assert_that(report.ok, is_(True), f"persona distribution tests (chi-square / KS):\n{detail}\n")


# --- the builder docstring ----------------------------------------------------------------------


@when("I use the patient builder to create a patient:")
def step_builder(context):
    """Docstring parsed by the whitelist parser (ast, no eval), replayed on PatientBuilder; ``.create()``
    stores the patient, ``.build()`` checks it in memory and stores nothing.
    """
    context.builder_script = parse_builder_script(need(context, "text", "a docstring with the builder chain"))
    context.specified = specified_values(context.builder_script, PatientBuilder)
    with as_failure("Builder docstring"):
        context.built = run_builder_script(context.builder_script, PatientBuilder(context.db, context.rng))
    context.created.add_ids("patients", context.built.stored_ids, source="builder")


def _built(context):
    built = need(context, "built", "When I use the patient builder to create a patient:")
    return _stored(context, [built.patient_id])[0] if built.stored else built.rows


@then("the patient should be created with the specified characteristics")
def step_specified(context):
    """Every non-null argument of the script holds on the patient (age from birth date, history rows, age
    range as bounds); read back from the database, or from the draft for a ``.build()`` chain.
    """
    offenders = unmet_specifications(context.specified, *_built(context), context.today)
    assert_that(len(context.specified), greater_than(0), "values specified by the builder script")
    assert_no_offenders(offenders, f"specified values not held by the {context.built.where}")


@then("nothing should be stored in the database")
def step_nothing_stored(context):
    """A ``.build()`` chain writes no row: the database holds no patient at all."""
    assert_that(context.db.counts()["patients"], equal_to(0), f"patients stored ({context.built.where})")


@then("the patient should have consistent persona-based defaults for unspecified fields")
def step_persona_defaults(context):
    """check_patient and check_persona_defaults clean: unspecified profile fields equal the persona's, drawn
    fields present, e-mail on the persona's domain.
    """
    patient, conditions, profile = _built(context)
    found = check_patient(patient, conditions, profile, today=context.today)
    given = {(i.table, i.column) for i in context.specified}
    found += check_persona_defaults(patient, profile, explicit=given)
    assert_no_violations(found, f"unspecified fields of the {context.built.where} must follow its persona")


@then("all medical history should be age-appropriate")
def step_history_age(context):
    """History present; check_patient's history rules (condition fits the age, reference code) clean."""
    patient, conditions, profile = _built(context)
    assert_that(conditions, has_length(greater_than(0)), f"medical history of the {context.built.where}")
    history = CHECKS.get("medical_history_fits_age")
    found = history.select(check_patient(patient, conditions, profile, today=context.today))
    assert_no_violations(found, f"medical history of the {context.built.where}")


@then("insurance information should match {persona:PersonaWords} patterns")
def step_insurance_patterns(context, persona):
    """check_patient's insurance rules with the named persona: payer plan type and policy number format (or
    no insurance).
    """
    patient, _, _ = _built(context)
    found = check_group("insurance_required", patient, today=context.today, persona=persona)
    assert_no_violations(found, f"insurance against {persona.name}'s plans ({context.built.where})")
