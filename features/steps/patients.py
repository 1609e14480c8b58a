"""Patients: personas from a table, the fluent builder from a docstring; checks on stored rows."""

from __future__ import annotations

from behave import register_type, then, when
from hamcrest import assert_that, equal_to, greater_than, has_length, is_

from healthcare_data.builders import PatientBuilder
from healthcare_data.characteristics import check_characteristics
from healthcare_data.reference import CONDITIONS
from healthcare_data.rows.patients import age_on
from healthcare_data.validation.groups import GROUPS
from healthcare_data.validation.patients import check_patient, check_persona_defaults
from healthcare_data.validation.statistics import persona_distribution_report
from support.builder_script import BuilderScriptError, parse_builder_script, specified_values
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
    """Docstring parsed by the whitelist parser (ast, no eval), replayed on PatientBuilder, create()."""
    assert_that(context.text, is_(str), "the step needs the builder call chain as a docstring")
    script = parse_builder_script(context.text)
    if script.terminal != "create":
        raise BuilderScriptError("This step stores the patient: end the chain with .create(), not .build()")
    context.builder_script = script
    context.specified = specified_values(script, PatientBuilder)
    patient = script.apply(PatientBuilder(context.db, context.rng)).create()
    context.built_patient_id = patient.id
    context.created.add("patients", patient.id, source="builder")


def _built(context):
    patient_id = need(context, "built_patient_id", "When I use the patient builder to create a patient:")
    return _stored(context, [patient_id])[0]


def _stored_value(context, bundle, item):
    patient, conditions, profile = bundle
    if item.table == "patient_conditions":
        return [c[item.column] for c in conditions]
    if item.table == "patient_profiles":
        return (profile or {}).get(item.column)
    if item.column == "age":
        return age_on(patient["date_of_birth"], context.today)
    return patient[item.column]


def _matches(expected, actual) -> bool:
    """Exact match; a list (medical history) must be contained in what is stored; dates as ISO text."""
    if isinstance(expected, list):
        return isinstance(actual, list) and set(expected) <= set(actual)
    return actual == expected or str(actual) == str(expected)


@then("the patient should be created with the specified characteristics")
def step_specified(context):
    """Every non-null argument of the script equals the stored column (age from birth date, history rows)."""
    bundle = _built(context)
    offenders = []
    for item in context.specified:
        actual = _stored_value(context, bundle, item)
        if not _matches(item.value, actual):
            offenders.append(
                {
                    "call": item.call,
                    "parameter": item.parameter,
                    "specified": item.value,
                    "stored in": f"{item.table}.{item.column}",
                    "stored": actual,
                }
            )
    assert_that(len(context.specified), greater_than(0), "values specified by the builder script")
    assert_no_offenders(offenders, "specified values not stored as given")


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
    assert_no_offenders([v.as_row() for v in found], f"unspecified fields must follow persona {persona}")


@then("all medical history should be age-appropriate")
def step_history_age(context):
    """History stored, each condition fits the age and carries its reference ICD-10-CM code; no history rule
    broken.
    """
    patient, conditions, profile = _built(context)
    assert_that(conditions, has_length(greater_than(0)), "stored medical history")
    age = age_on(patient["date_of_birth"], context.today)
    offenders = [
        v.as_row()
        for v in check_patient(patient, conditions, profile, today=context.today)
        if v.entity == "patient_conditions"
    ]
    for row in conditions:
        condition = CONDITIONS.get(row["condition"])
        if not condition.fits_age(age) or row["icd10_code"] != condition.icd10:
            offenders.append(
                {
                    "condition": row["condition"],
                    "icd10_code": row["icd10_code"],
                    "age": age,
                    "allowed ages": f"{condition.min_age}-{condition.max_age}",
                    "reference code": condition.icd10,
                }
            )
    assert_no_offenders(offenders, f"medical history of a {age}-year-old")


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
