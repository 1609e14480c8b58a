"""Personas: the registry, and every persona generating data inside its own rules."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthcare_data.errors import UnknownNameError
from healthcare_data.personas import PatientPersona, get_persona, list_personas, random_persona
from healthcare_data.randomness import Randomness
from healthcare_data.reference import CONDITIONS, payers_of_type
from healthcare_data.rows.patients import age_on, draft_patient
from healthcare_data.validation.patients import check_patient

TODAY = date(2026, 11, 22)
EXERCISE_PERSONAS = [
    "elderly_patient",
    "young_professional",
    "pediatric_patient",
    "chronic_condition_patient",
    "uninsured_patient",
]


def test_registry_holds_the_five_personas() -> None:
    assert list_personas() == EXERCISE_PERSONAS
    assert all(isinstance(get_persona(n), PatientPersona) for n in EXERCISE_PERSONAS)
    persona = get_persona("elderly_patient")
    assert get_persona(persona) is persona


def test_unknown_persona_suggests_the_closest_name() -> None:
    with pytest.raises(UnknownNameError) as info:
        get_persona("elderly_patinet")
    assert info.value.suggestion == "elderly_patient"
    assert "did you mean 'elderly_patient'?" in str(info.value)
    assert all(name in str(info.value) for name in EXERCISE_PERSONAS)
    with pytest.raises(UnknownNameError, match="Unknown persona 'astronaut'"):
        get_persona("astronaut")


def test_random_persona_is_seeded_and_covers_the_registry() -> None:
    first = [random_persona(Randomness(s)).name for s in range(50)]
    assert first == [random_persona(Randomness(s)).name for s in range(50)]
    assert set(first) == set(EXERCISE_PERSONAS)


@pytest.mark.parametrize("name", EXERCISE_PERSONAS)
def test_persona_reference_names_exist(name: str) -> None:
    persona = get_persona(name)
    assert all(c in CONDITIONS for c in persona.medical.common_conditions)
    assert all(c in CONDITIONS for c in persona.medical.always)
    if persona.insured:
        assert payers_of_type(*persona.insurance.plan_types)


@given(seed=st.integers(0, 2**32), persona=st.sampled_from(EXERCISE_PERSONAS), serial=st.integers(1, 10**7))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_persona_generates_data_inside_its_rules(seed: int, persona: str, serial: int) -> None:
    rng = Randomness(seed, today=TODAY)
    draft = draft_patient(rng, serial, persona)
    assert check_patient(draft.patient, draft.conditions, draft.profile, today=TODAY) == []
    rules = get_persona(persona)
    assert rules.accepts_age(age_on(draft.patient["date_of_birth"], TODAY))
    low, high = rules.insurance.deductible_range
    assert low <= draft.profile["annual_deductible"] <= high
    visits_low, _ = rules.behavioral.visits_per_year
    assert draft.profile["visits_per_year"] >= visits_low
    assert draft.profile["emergency_contact_relationship"] in rules.behavioral.emergency_contact_relationships


# A field, a value that breaks a rule, and the rule that must catch it.
MUTATIONS: list[tuple[str, Any, str]] = [
    ("patient_id", "PAT-1", "patient_id_format"),
    ("gender", "F", "gender_enum"),
    ("ssn", "000-12-3456", "ssn_format"),
    ("phone", "(312) 867-5309", "phone_safe_range"),
    ("emergency_contact_phone", "555-0200", "phone_safe_range"),
    ("email", "someone@gmail.com", "email_safe_domain"),
    ("address_zip", "1234", "zip_format"),
    ("address_zip", "99501", "address_consistent"),
    ("date_of_birth", date(1850, 1, 1), "persona_age_range"),
    ("date_of_birth", date(2030, 1, 1), "date_of_birth_future"),
    ("status", "gone", "status_valid"),
    ("insurance_provider", "Acme Health", "insurance_provider_known"),
    ("first_name", "", "required"),
]


@given(
    seed=st.integers(0, 2**32),
    persona=st.sampled_from(EXERCISE_PERSONAS),
    mutation=st.sampled_from(MUTATIONS),
)
@settings(max_examples=300, deadline=None)
def test_mutating_a_field_to_an_invalid_value_is_caught(
    seed: int, persona: str, mutation: tuple[str, Any, str]
) -> None:
    field, value, rule = mutation
    draft = draft_patient(Randomness(seed, today=TODAY), 1, persona)
    if field == "insurance_provider" and draft.patient["insurance_provider"] is None:
        draft.patient["insurance_policy_number"] = "ACME-123456789"
    if field == "address_zip" and value == "99501" and draft.patient["address_state"] == "AK":
        value = "62701"
    mutated = {**draft.patient, field: value}
    found = check_patient(mutated, draft.conditions, draft.profile, today=TODAY)
    assert rule in {v.rule for v in found}


@given(seed=st.integers(0, 2**32))
@settings(max_examples=100, deadline=None)
def test_a_persona_condition_outside_its_age_is_caught(seed: int) -> None:
    draft = draft_patient(Randomness(seed, today=TODAY), 1, "pediatric_patient")
    history = [
        *draft.conditions,
        {
            "patient_id": 1,
            "condition": "Dementia",
            "icd10_code": "F03.90",
            "chronic": True,
            "medication": None,
        },
    ]
    found = check_patient(draft.patient, history, draft.profile, today=TODAY)
    assert "condition_fits_age" in {v.rule for v in found}


@pytest.mark.parametrize("name", EXERCISE_PERSONAS)
def test_demographic_distributions_match_the_persona(name: str) -> None:
    persona = get_persona(name)
    rng = Randomness(99, today=TODAY)
    drafts = [draft_patient(rng, n, persona) for n in range(1, 1501)]
    ages = [age_on(d.patient["date_of_birth"], TODAY) for d in drafts]
    low, high = persona.age_range
    assert min(ages) == low and max(ages) == high  # uniform over the whole range
    female = sum(d.patient["gender"] == "female" for d in drafts) / len(drafts)
    expected = persona.demographics.gender_weights.get("female", 0) / sum(
        persona.demographics.gender_weights.values()
    )
    assert abs(female - expected) < 0.05
