"""check_patient: every rule fires on a bad value, none fires on generated data."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from healthcare_data.errors import UnknownNameError
from healthcare_data.personas import PERSONAS
from healthcare_data.randomness import Randomness
from healthcare_data.rows.patients import PatientDraft, draft_patient
from healthcare_data.rules.patients import address_consistent
from healthcare_data.validation.patients import (
    DRAWN_PATIENT_COLUMNS,
    check_patient,
    check_persona_defaults,
    icd10_is_valid,
    persona_profile_defaults,
)
from healthcare_data.violations import BUSINESS, FORMAT, HIPAA, Violation
from tests.examples import EXERCISE_PATIENT

TODAY = date(2026, 11, 22)


@pytest.fixture
def elderly(rng: Randomness) -> PatientDraft:
    return draft_patient(
        rng,
        1,
        "elderly_patient",
        **EXERCISE_PATIENT,
    )


def check(draft: PatientDraft, **patient_changes: Any) -> list[Violation]:
    patient = {**draft.patient, **patient_changes}
    return check_patient(patient, draft.conditions, draft.profile, today=TODAY)


def rules(violations: list[Violation]) -> set[tuple[str, str, str]]:
    return {(v.field, v.rule, v.category) for v in violations}


def test_the_feature_example_is_valid(elderly: PatientDraft) -> None:
    assert check(elderly) == []


@pytest.mark.parametrize(
    ("field", "value", "rule", "category"),
    [
        ("patient_id", "PAT-123", "patient_id_format", FORMAT),
        ("uuid", "not-a-uuid", "uuid_format", FORMAT),
        ("first_name", "  ", "required", FORMAT),
        ("last_name", None, "required", FORMAT),
        ("gender", "f", "gender_enum", FORMAT),
        ("ssn", "666-12-3456", "ssn_format", FORMAT),
        ("ssn", "123456789", "ssn_format", FORMAT),
        ("email", "Not An Email", "email_format", FORMAT),
        ("address_zip", "6270", "zip_format", FORMAT),
        ("address_state", "Illinois", "state_format", FORMAT),
        ("address_state", "XX", "state_format", FORMAT),
        ("date_of_birth", "yesterday", "date_of_birth_format", FORMAT),
        ("date_of_birth", date(2027, 1, 1), "date_of_birth_future", FORMAT),
        ("status", "archived", "status_valid", FORMAT),
        ("insurance_policy_number", "MEDICARE-12", "policy_number_format", FORMAT),
        ("insurance_policy_number", "AET-123456789", "policy_number_format", FORMAT),
        ("insurance_provider", "Acme Health", "insurance_provider_known", FORMAT),
        ("insurance_policy_number", None, "insurance_pair", BUSINESS),
        ("phone", "(217) 555-1234", "phone_safe_range", HIPAA),
        ("emergency_contact_phone", "217-555-0100x", "phone_format", FORMAT),
        ("email", "margaret@gmail.com", "email_safe_domain", HIPAA),
        ("address_zip", "90210", "address_consistent", BUSINESS),
        ("address_city", "Chicago", "address_consistent", BUSINESS),
        ("date_of_birth", date(2000, 1, 1), "persona_age_range", BUSINESS),
        ("insurance_provider", "Aetna", "policy_number_format", FORMAT),
    ],
)
def test_each_rule_catches_its_bad_value(
    elderly: PatientDraft, field: str, value: object, rule: str, category: str
) -> None:
    found = check(elderly, **{field: value})
    assert rule in {v.rule for v in found}, found
    hit = next(v for v in found if v.rule == rule)
    assert hit.category == category
    assert hit.recovery, "every violation says what to do"
    assert hit.key == (value if field == "patient_id" else elderly.patient["patient_id"])


def test_unsafe_phone_is_both_named_and_explained(elderly: PatientDraft) -> None:
    [violation] = [v for v in check(elderly, phone="(217) 555-1234") if v.rule == "phone_safe_range"]
    assert "'(217) 555-1234'" in violation.message and "555-0100..0199" in violation.message


def test_persona_age_violation_suggests_personas_that_fit(elderly: PatientDraft) -> None:
    [violation] = [v for v in check(elderly, date_of_birth=date(1996, 1, 1)) if v.rule == "persona_age_range"]
    assert violation.field == "age"
    assert "age 30" in violation.message and "65-95" in violation.message
    assert violation.recovery == (
        "adjust age to 65-95 or choose persona young_professional/chronic_condition_patient/uninsured_patient"
    )


def test_insurance_must_fit_the_persona(elderly: PatientDraft) -> None:
    found = check(elderly, insurance_provider="Aetna", insurance_policy_number="AET-123456789")
    assert ("insurance_provider", "persona_insurance", BUSINESS) in rules(found)
    found = check(elderly, insurance_provider=None, insurance_policy_number=None)
    assert ("insurance_provider", "persona_insurance", BUSINESS) in rules(found)


def test_uninsured_persona_must_have_no_insurance(rng: Randomness) -> None:
    draft = draft_patient(rng, 5, "uninsured_patient")
    assert check(draft) == []
    found = check(draft, insurance_provider="Aetna", insurance_policy_number="AET-123456789")
    assert ("insurance_provider", "persona_uninsured", BUSINESS) in rules(found)


def test_pediatric_contact_must_be_a_parent_or_guardian(rng: Randomness) -> None:
    draft = draft_patient(rng, 5, "pediatric_patient")
    profile = {**draft.profile, "emergency_contact_relationship": "friend"}
    found = check_patient(draft.patient, draft.conditions, profile, today=TODAY)
    assert ("emergency_contact_relationship", "persona_emergency_contact", BUSINESS) in rules(found)
    assert "mother, father, guardian" in found[0].recovery


def test_condition_rules(elderly: PatientDraft) -> None:
    def with_history(*rows: dict[str, Any]) -> set[tuple[str, str, str]]:
        return rules(check_patient(elderly.patient, list(rows), elderly.profile, today=TODAY))

    base = {"patient_id": 1, "chronic": False, "medication": None}
    assert ("icd10_code", "icd10_matches_condition", BUSINESS) in with_history(
        {**base, "condition": "Hypertension", "icd10_code": "E11.9"}
    )
    assert ("icd10_code", "icd10_valid", FORMAT) in with_history(
        {**base, "condition": "Hypertension", "icd10_code": "I1"}
    )
    assert ("condition", "condition_known", BUSINESS) in with_history(
        {**base, "condition": "Dragon Pox", "icd10_code": "I10"}
    )
    assert ("condition", "condition_fits_age", BUSINESS) in with_history(
        {**base, "condition": "Otitis Media", "icd10_code": "H66.90"}
    )
    assert with_history({**base, "condition": "Hypertension", "icd10_code": "I10"}) == set()


def test_unknown_persona_in_profile(elderly: PatientDraft) -> None:
    profile = {**elderly.profile, "persona": "astronaut"}
    found = check_patient(elderly.patient, elderly.conditions, profile, today=TODAY)
    assert ("persona", "persona_known", BUSINESS) in rules(found)


def test_rows_without_profile_skip_persona_rules(elderly: PatientDraft) -> None:
    patient = {**elderly.patient, "date_of_birth": "1976-01-01"}  # ISO strings are accepted
    assert check_patient(patient, elderly.conditions, None, today=TODAY) == []
    found = check_patient(patient, elderly.conditions, elderly.profile, today=TODAY)
    assert {v.rule for v in found} == {"persona_age_range"}


def test_slow_lookups_are_cached() -> None:
    address_consistent.cache_clear()
    icd10_is_valid.cache_clear()
    for _ in range(3):
        assert address_consistent("Springfield", "IL", "62701")
        assert icd10_is_valid("E11.9")
    assert address_consistent.cache_info().hits == 2
    assert icd10_is_valid.cache_info().hits == 2
    assert not address_consistent("Springfield", "MO", "62701")
    assert address_consistent("springfield", "IL", "62701")


# --- persona defaults of a stored patient ------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS.names())
def test_a_persona_draft_carries_the_persona_defaults(rng: Randomness, persona: str) -> None:
    draft = draft_patient(rng, 1, persona)
    assert check_persona_defaults(draft.patient, draft.profile) == []
    assert check_persona_defaults(draft.patient, draft.profile, PERSONAS.get(persona)) == []
    assert set(persona_profile_defaults(persona).items()) <= set(draft.profile.items())


def test_a_profile_value_other_than_the_personas_is_reported(elderly: PatientDraft) -> None:
    profile = {**elderly.profile, "tech_savviness": "high"}
    found = check_persona_defaults(elderly.patient, profile)
    assert [(v.entity, v.field, v.rule, v.key) for v in found] == [
        ("patient_profiles", "tech_savviness", "persona_default", elderly.patient["patient_id"])
    ]
    assert "'high'" in found[0].message and repr(elderly.profile["tech_savviness"]) in found[0].message


def test_the_persona_given_wins_over_the_profiles(elderly: PatientDraft) -> None:
    found = check_persona_defaults(elderly.patient, elderly.profile, "young_professional")
    assert {v.field for v in found} >= {"tech_savviness", "email"}


def test_an_empty_drawn_column_is_reported_unless_it_was_given(elderly: PatientDraft) -> None:
    assert "phone" in DRAWN_PATIENT_COLUMNS
    patient = {**elderly.patient, "phone": None}
    assert [(v.field, v.rule) for v in check_persona_defaults(patient, elderly.profile)] == [
        ("phone", "drawn_default")
    ]
    assert check_persona_defaults(patient, elderly.profile, explicit={("patients", "phone")}) == []


def test_an_email_off_the_personas_domain_is_reported_unless_given(elderly: PatientDraft) -> None:
    patient = {**elderly.patient, "email": "margaret@example.com"}  # elderly: example.net
    found = check_persona_defaults(patient, elderly.profile)
    assert [(v.field, v.rule) for v in found] == [("email", "persona_email_domain")]
    assert "'example.net'" in found[0].message
    assert check_persona_defaults(patient, elderly.profile, explicit=[("patients", "email")]) == []
    assert [v.rule for v in check_persona_defaults({**patient, "email": None}, elderly.profile)] == [
        "persona_email_domain"
    ]


def test_a_persona_without_email_must_have_none(rng: Randomness) -> None:
    child = draft_patient(rng, 1, "pediatric_patient")
    assert child.patient["email"] is None
    found = check_persona_defaults({**child.patient, "email": "kid@example.com"}, child.profile)
    assert [v.rule for v in found] == ["persona_email_domain"]


def test_persona_defaults_need_a_known_persona(elderly: PatientDraft) -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'elderly_patient'"):
        check_persona_defaults(elderly.patient, elderly.profile, "elderly_patinet")
    with pytest.raises(ValueError, match="pass persona="):
        check_persona_defaults(elderly.patient, None)
