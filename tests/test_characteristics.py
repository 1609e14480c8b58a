"""Characteristic tokens: each true and false case, patterns, unknown tokens."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from healthcare_data.builders import PatientBuilder
from healthcare_data.characteristics import (
    CHARACTERISTICS,
    CheckResult,
    check_characteristics,
    get_characteristic,
    parse_tokens,
)
from healthcare_data.db import Database
from healthcare_data.errors import UnknownNameError
from healthcare_data.randomness import Randomness
from healthcare_data.rows.patients import draft_patient, rows_of

TODAY = date(2026, 11, 22)
Row = dict[str, Any]


def condition(name: str, code: str, chronic: bool, medication: str | None = "x") -> Row:
    return {
        "patient_id": 1,
        "condition": name,
        "icd10_code": code,
        "chronic": chronic,
        "medication": medication,
    }


HTN = condition("Hypertension", "I10", True)
ANXIETY = condition("Anxiety", "F41.1", False)
Z23 = condition("Routine Immunization", "Z23", False)
URI = condition("Upper Respiratory Infection", "J06.9", False)


def patient(**changes: Any) -> Row:
    base: Row = {
        "date_of_birth": date(1954, 11, 22),  # 72 on TODAY
        "insurance_provider": "Medicare",
        "insurance_policy_number": "MEDICARE-789456123",
        "emergency_contact_name": "Robert Johnson",
        "emergency_contact_phone": "555-0123",
    }
    return {**base, **changes}


def profile(**changes: Any) -> Row:
    base: Row = {
        "emergency_contact_relationship": "spouse",
        "visits_per_year": 4,
        "medication_compliance": "high",
        "payment_arrangement": "insurance",
    }
    return {**base, **changes}


def run(token: str, p: Row, conditions: list[Row] | None = None, prof: Row | None = None) -> CheckResult:
    return get_characteristic(token)(p, conditions or [], prof if prof is not None else profile(), TODAY)


# (token, a case where it holds, a case where it does not) as (patient, conditions, profile)
CASES: list[tuple[str, tuple, tuple]] = [
    ("age_65_plus", (patient(), [], None), (patient(date_of_birth=date(1961, 11, 23)), [], None)),
    ("age_25_40", (patient(date_of_birth=date(1986, 11, 22)), [], None), (patient(), [], None)),
    (
        "age_0_17",
        (patient(date_of_birth=date(2009, 11, 23)), [], None),
        (patient(date_of_birth=date(2008, 11, 22)), [], None),
    ),
    ("medicare_insurance", (patient(), [], None), (patient(insurance_provider="Aetna"), [], None)),
    (
        "employer_insurance",
        (patient(insurance_provider="Aetna", insurance_policy_number="AET-123456789"), [], None),
        (patient(), [], None),
    ),
    (
        "medicaid_or_chip",
        (patient(insurance_provider="CHIP", insurance_policy_number="CHIP-123456789"), [], None),
        (patient(), [], None),
    ),
    (
        "no_insurance",
        (patient(insurance_provider=None, insurance_policy_number=None), [], None),
        (patient(), [], None),
    ),
    ("chronic_conditions", (patient(), [URI, HTN], None), (patient(), [URI], None)),
    ("stress_related", (patient(), [ANXIETY], None), (patient(), [HTN, URI], None)),
    (
        "parent_contact",
        (patient(), [], profile(emergency_contact_relationship="mother")),
        (patient(), [], profile(emergency_contact_relationship="spouse")),
    ),
    ("vaccination_schedule", (patient(), [URI, Z23], None), (patient(), [URI], None)),
    ("multiple_conditions", (patient(), [HTN, URI], None), (patient(), [HTN], None)),
    (
        "frequent_visits",
        (patient(), [], profile(visits_per_year=6)),
        (patient(), [], profile(visits_per_year=5)),
    ),
    (
        "medication_compliance",
        (patient(), [HTN], profile(medication_compliance="medium")),
        (patient(), [HTN], profile(medication_compliance="low")),
    ),
    (
        "payment_plan",
        (patient(), [], profile(payment_arrangement="self_pay_plan")),
        (patient(), [], profile()),
    ),
]


@pytest.mark.parametrize(("token", "true_case", "false_case"), CASES, ids=[c[0] for c in CASES])
def test_each_token_true_and_false(token: str, true_case: tuple, false_case: tuple) -> None:
    yes = run(token, *true_case)
    no = run(token, *false_case)
    assert yes.ok, yes.detail
    assert not no.ok, no.detail
    assert no.detail  # failure output says what was seen


def test_every_registered_token_has_a_case() -> None:
    assert set(CHARACTERISTICS.names()) - {c[0] for c in CASES} == {"age_18_64"}


def test_more_false_cases() -> None:
    assert not run("medicare_insurance", patient(insurance_policy_number=None))  # payer without policy
    assert not run(
        "parent_contact",
        patient(emergency_contact_phone=None),
        prof=profile(emergency_contact_relationship="father"),
    )
    assert not run("medication_compliance", patient(), [condition("Hypertension", "I10", True, None)])
    assert not run("frequent_visits", patient(), prof=profile(visits_per_year=None))
    assert not run("age_65_plus", patient(date_of_birth="not a date"))
    assert run("age_65_plus", patient(date_of_birth="1954-11-22"))  # ISO strings are read
    # a stress-related condition found by its code even when the name differs
    assert run("stress_related", patient(), [{"condition": "GAD", "icd10_code": "F41.1", "chronic": False}])


def test_age_patterns_resolve_without_registration() -> None:
    assert run("age_70_75", patient()).ok
    assert not run("age_73_80", patient()).ok
    assert run("age_72_plus", patient()).ok
    assert not run("age_73_plus", patient()).ok
    assert "age 72" in run("age_70_75", patient()).detail


@pytest.mark.parametrize("token", ["medicare", "age_40_20", "age_x_plus", "", "age_65_plus_extra"])
def test_unknown_token_lists_known_tokens_and_patterns(token: str) -> None:
    with pytest.raises(UnknownNameError) as info:
        get_characteristic(token)
    message = str(info.value)
    assert "medicare_insurance" in message and "age_<min>_<max>" in message and "age_<min>_plus" in message


def test_unknown_token_suggests_the_closest() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'chronic_conditions'"):
        get_characteristic("chronic_condition")


def test_check_characteristics_resolves_all_tokens_first() -> None:
    results = check_characteristics(
        "age_65_plus, medicare_insurance,chronic_conditions", patient(), [HTN], profile(), TODAY
    )
    assert [(t, r.ok) for t, r in results] == [
        ("age_65_plus", True),
        ("medicare_insurance", True),
        ("chronic_conditions", True),
    ]
    with pytest.raises(UnknownNameError):
        check_characteristics(["age_65_plus", "bogus"], patient(), [], None, TODAY)
    assert parse_tokens(" a, ,b ") == ["a", "b"]


FEATURE_TABLE = {
    "elderly_patient": "age_65_plus,medicare_insurance,chronic_conditions",
    "young_professional": "age_25_40,employer_insurance,stress_related",
    "pediatric_patient": "age_0_17,parent_contact,vaccination_schedule",
    "chronic_condition_patient": "multiple_conditions,frequent_visits,medication_compliance",
    "uninsured_patient": "age_18_64,no_insurance,payment_plan",
}


@pytest.mark.parametrize("persona", FEATURE_TABLE)
def test_generated_personas_have_their_feature_characteristics(persona: str) -> None:
    rng = Randomness(12, today=TODAY)
    for n in range(1, 301):
        d = draft_patient(rng, n, persona)
        for token, result in check_characteristics(
            FEATURE_TABLE[persona], d.patient, d.conditions, d.profile, TODAY
        ):
            assert result.ok, (persona, token, result.detail)


def test_characteristics_on_rows_read_back_from_the_database(sqlite_db: Database) -> None:
    builder = PatientBuilder(sqlite_db, Randomness(3, today=TODAY))
    created = builder.with_persona("pediatric_patient").create()
    row, history, prof = rows_of(created)
    results = check_characteristics(FEATURE_TABLE["pediatric_patient"], row, history, prof, TODAY)
    assert all(r.ok for _, r in results), results
