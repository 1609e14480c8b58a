"""Patients: personas from a table, the fluent builder from a docstring; checks on stored rows."""

from __future__ import annotations

from behave import register_type, then, when
from hamcrest import assert_that, equal_to, greater_than, has_length, is_

from healthcare_data.builders import PatientBuilder
from healthcare_data.characteristics import check_characteristics
from healthcare_data.validation.groups import GROUPS
from healthcare_data.validation.patients import check_patient, check_persona_defaults
from healthcare_data.validation.statistics import persona_distribution_report
from support.builder_script import (
    parse_builder_script,
    run_builder_script,
    specified_values,
    unmet_specifications,
)
from support.failures import as_failure
from support.readback import patients_with_history
from support.reports import assert_no_offenders, table
from support.state import need
from support.tables import persona_requests, persona_words

register_type(PersonaWords=persona_words)


def _stored(context, ids):
    bundles = patients_with_history(context.db, ids)
    assert_that([p["id"] for p, _, _ in bundles], equal_to(sorted(ids)), "patients found in the database")
    return bundles


# --- personas table --------------------------------------------------------------------------


@when("I create patients using the following personas:")
def step_create_patients(context):
    """PatientBuilder().with_persona(p).create() count times per row."""
    context.persona_requests = persona_requests(context.table)
    for number, request in enumerate(context.persona_requests, start=1):
        for _ in range(request.count):
            with as_failure(f"Personas table row {number} ({request.persona})"):
                patient = PatientBuilder(context.db, context.rng).with_persona(request.persona).create()
            context.created.add(
                "patients",
                patient.id,
                step=number,
                persona=request.persona,
                characteristics=request.characteristics,
            )


def _persona_patients(context):
    need(context, "persona_requests", "When I create patients using the following personas:")
    entries = {e.id: e for e in context.created.of("patients")}
    return [(entries[p["id"]], p, c, prof) for p, c, prof in _stored(context, list(entries))]


@then("patients should be created with persona-appropriate characteristics")
def step_persona_characteristics(context):
    """Stored persona per patient and counts per persona; each expected_characteristics token checked on the
    stored rows (characteristics registry).
    """
    stored = _persona_patients(context)
    per_persona = {}
    offenders = []
    for entry, patient, conditions, profile in stored:
        persona = (profile or {}).get("persona")
        per_persona[persona] = per_persona.get(persona, 0) + 1
        if persona != entry.labels["persona"]:
            offenders.append(
                {
                    "patient_id": patient["patient_id"],
                    "token": "persona",
                    "detail": f"stored persona {persona!r}, asked {entry.labels['persona']!r}",
                }
            )
        results = check_characteristics(
            entry.labels["characteristics"], patient, conditions, profile, context.today
        )
        for token, result in results:
            if not result.ok:
                offenders.append(
                    {
                        "patient_id": patient["patient_id"],
                        "persona": persona,
                        "token": token,
                        "detail": result.detail,
                    }
                )
    expected = {}
    for request in context.persona_requests:
        expected[request.persona] = expected.get(request.persona, 0) + request.count
    assert_that(per_persona, equal_to(expected), "patients per persona in the database")
    assert_no_offenders(offenders, "expected_characteristics not met by stored patients")


@then("each patient should have realistic, consistent data")
def step_patients_consistent(context):
    """check_patient (format, business, HIPAA rules) on every stored patient with history and profile."""
    offenders = [
        v.as_row()
        for _, patient, conditions, profile in _persona_patients(context)
        for v in check_patient(patient, conditions, profile, today=context.today)
    ]
    assert_no_offenders(offenders, "patient rules (check_patient) broken by stored patients")


@then("demographic distributions should match persona expectations")
def step_persona_distributions(context):
    """statistics.persona_distribution_report: chi-square/exact test on genders, KS on ages, per persona
    (alpha 1%).
    """
    _persona_patients(context)
    with context.db.engine.connect() as conn:
        report = persona_distribution_report(conn, context.today, tolerance=0.0)
    tests = [
        {"test": t.name, "n": t.n, "p": round(t.p_value, 4), "ok": t.ok, "detail": t.detail}
        for t in report.tests
    ]
    assert_that(len(tests), greater_than(0), "statistical tests run")
    assert_that(
        report.ok,
        is_(True),
        f"persona distribution tests (chi-square / KS):\n{table(tests)}\n{table(report.rows())}\n",
    )


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
    if context.built.stored:
        context.created.add("patients", context.built.patient_id, source="builder")


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
    given = {(i.table, i.column) for i in context.specified}
    found = check_patient(patient, conditions, profile, today=context.today)
    found += check_persona_defaults(patient, profile, explicit=given)
    persona = (profile or {}).get("persona")
    what = f"unspecified fields of the {context.built.where} must follow {persona}"
    assert_no_offenders([v.as_row() for v in found], what)


@then("all medical history should be age-appropriate")
def step_history_age(context):
    """History present; check_patient's history rules (condition fits the age, reference code) clean."""
    patient, conditions, profile = _built(context)
    assert_that(conditions, has_length(greater_than(0)), f"medical history of the {context.built.where}")
    found = check_patient(patient, conditions, profile, today=context.today)
    assert_no_offenders([v.as_row() for v in found if v.entity == "patient_conditions"], "medical history")


@then("insurance information should match {persona:PersonaWords} patterns")
def step_insurance_patterns(context, persona):
    """check_patient's insurance rules with the named persona: payer plan type and policy number format (or
    no insurance).
    """
    patient, conditions, profile = _built(context)
    as_persona = dict(profile or {}, persona=persona.name)
    insurance = GROUPS.get("insurance_required").rule_names
    found = check_patient(patient, conditions, as_persona, today=context.today)
    offenders = [v.as_row() for v in found if v.rule in insurance]
    assert_no_offenders(
        offenders,
        f"insurance of the stored patient against {persona.name}'s plans "
        f"({', '.join(persona.insurance.plan_types) or 'uninsured'})",
    )
