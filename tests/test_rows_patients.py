"""draft_patient: explicit values win, the persona fills the rest, same seed -> same rows."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthcare_data import fakes, identifiers
from healthcare_data.errors import UnknownNameError
from healthcare_data.personas import PERSONAS, get_persona
from healthcare_data.randomness import Randomness
from healthcare_data.reference import CONDITIONS, PAYERS
from healthcare_data.rows.patients import (
    ALLERGIES,
    PatientDraft,
    age_on,
    date_of_birth_for_age,
    draft_patient,
    draw_conditions,
    rows_of,
)
from healthcare_data.schema import Patient, PatientCondition, PatientProfile
from tests.examples import EXERCISE_PATIENT

TODAY = date(2026, 11, 22)
PATIENT_COLUMNS = {c.key for c in Patient.__table__.columns}
CONDITION_COLUMNS = {c.key for c in PatientCondition.__table__.columns} - {"id"}
PROFILE_COLUMNS = {c.key for c in PatientProfile.__table__.columns}


def test_draft_has_every_column_and_identifiers_from_the_serial(rng: Randomness) -> None:
    draft = draft_patient(rng, 42, "elderly_patient")
    assert isinstance(draft, PatientDraft)
    assert set(draft.patient) == PATIENT_COLUMNS
    assert set(draft.profile) == PROFILE_COLUMNS
    assert all(set(row) == CONDITION_COLUMNS for row in draft.conditions)
    assert draft.patient["id"] == 42
    assert draft.patient["patient_id"] == identifiers.patient_id(42)
    assert draft.patient["ssn"] == identifiers.ssn(42)
    assert draft.profile["patient_id"] == 42
    assert all(row["patient_id"] == 42 for row in draft.conditions)
    assert draft.persona is get_persona("elderly_patient")
    assert draft.profile["persona"] == "elderly_patient"


def test_same_seed_gives_identical_drafts() -> None:
    def run(seed: int) -> list[PatientDraft]:
        rng = Randomness(seed, today=TODAY)
        return [draft_patient(rng, n) for n in range(1, 200)]

    first, second = run(7), run(7)
    assert [(d.patient, d.conditions, d.profile) for d in first] == [
        (d.patient, d.conditions, d.profile) for d in second
    ]
    other = run(8)
    assert [d.patient["uuid"] for d in first] != [d.patient["uuid"] for d in other]


@given(
    age=st.integers(0, 110), today=st.dates(date(2000, 1, 1), date(2100, 12, 31)), seed=st.integers(0, 10**6)
)
@settings(max_examples=300, deadline=None)
def test_birth_date_makes_the_age_exact_on_today(age: int, today: date, seed: int) -> None:
    rng = Randomness(seed, today=today)
    born = date_of_birth_for_age(rng, age)
    assert age_on(born, today) == age


def test_birth_dates_cover_birthdays_later_this_year(rng: Randomness) -> None:
    births = {date_of_birth_for_age(rng, 72) for _ in range(3000)}
    assert all(age_on(b, TODAY) == 72 for b in births)
    # Some are born after 22 November (birthday still to come: born in 1953), some before.
    assert min(births) == date(1953, 11, 23)
    assert max(births) == date(1954, 11, 22)


def test_age_on_counts_the_birthday_itself() -> None:
    assert age_on(date(1954, 11, 22), TODAY) == 72
    assert age_on(date(1954, 11, 23), TODAY) == 71
    assert age_on(date(2000, 2, 29), date(2001, 2, 28)) == 0
    assert age_on(date(2000, 2, 29), date(2001, 3, 1)) == 1


def test_explicit_values_win_over_the_persona(rng: Randomness) -> None:
    draft = draft_patient(
        rng,
        3,
        "elderly_patient",
        **EXERCISE_PATIENT,
        status="inactive",
        tenant_id=9,
    )
    p = draft.patient
    assert age_on(p["date_of_birth"], TODAY) == 72
    assert (p["first_name"], p["last_name"], p["gender"]) == ("Margaret", "Johnson", "female")
    assert (p["address_street"], p["address_city"], p["address_state"], p["address_zip"]) == (
        "123 Oak Street",
        "Springfield",
        "IL",
        "62701",
    )
    assert p["phone"].startswith("(217) 555-01")  # the area code of Springfield, IL
    assert (p["emergency_contact_name"], p["emergency_contact_phone"]) == ("Robert Johnson", "555-0123")
    assert (p["insurance_provider"], p["insurance_policy_number"]) == ("Medicare", "MEDICARE-789456123")
    assert [c["condition"] for c in draft.conditions] == ["Diabetes Type 2", "Hypertension", "Arthritis"]
    assert draft.conditions[0] == {
        "patient_id": 3,
        "condition": "Diabetes Type 2",
        "icd10_code": "E11.9",
        "chronic": True,
        "medication": "Metformin 500 mg twice daily",
    }
    assert (p["status"], p["tenant_id"]) == ("inactive", 9)
    # visits cover the chronic conditions' follow-ups (4 + 3 + 2)
    assert draft.profile["visits_per_year"] >= 9


def test_only_a_state_draws_a_real_city_and_zip_of_that_state(rng: Randomness) -> None:
    for n in range(1, 30):
        p = draft_patient(rng, n, "young_professional", state="OR").patient
        assert p["address_state"] == "OR"
        assert fakes.address_is_consistent(p["address_city"], "OR", p["address_zip"])


def test_city_and_state_get_a_zip_of_that_city(rng: Randomness) -> None:
    p = draft_patient(rng, 1, "young_professional", city="Portland", state="OR").patient
    assert p["address_city"] == "Portland"
    assert fakes.address_is_consistent("Portland", "OR", p["address_zip"])


def test_only_a_city_finds_a_state_and_zip_of_that_city(rng: Randomness) -> None:
    for n in range(1, 20):
        p = draft_patient(rng, n, "young_professional", city="Springfield").patient
        assert p["address_city"] == "Springfield"
        assert fakes.address_is_consistent("Springfield", p["address_state"], p["address_zip"])


def test_only_a_zip_fills_city_and_state(rng: Randomness) -> None:
    p = draft_patient(rng, 1, "young_professional", zip_code="62701").patient
    assert (p["address_city"], p["address_state"]) == ("Springfield", "IL")


def test_drawn_contact_data_is_safe_and_local(rng: Randomness) -> None:
    for n in range(1, 200):
        p = draft_patient(rng, n).patient
        assert fakes.is_safe_phone(p["phone"]) and fakes.is_safe_phone(p["emergency_contact_phone"])
        assert p["email"] is None or fakes.is_safe_email(p["email"])
        place = fakes.places_in(p["address_state"])
        assert any(pl.zip == p["address_zip"] and pl.city == p["address_city"] for pl in place)
        assert p["phone"][1:4] == next(pl.area_code for pl in place if pl.zip == p["address_zip"])


def test_pediatric_patients_have_parent_contacts_and_no_email(rng: Randomness) -> None:
    for n in range(1, 200):
        draft = draft_patient(rng, n, "pediatric_patient")
        p, relationship = draft.patient, draft.profile["emergency_contact_relationship"]
        assert p["email"] is None
        assert relationship in ("mother", "father", "guardian")
        if relationship in ("mother", "father"):
            assert p["emergency_contact_name"].endswith(" " + p["last_name"])
        assert "Routine Immunization" in [c["condition"] for c in draft.conditions]


def test_uninsured_patients_have_no_insurance_and_a_payment_plan(rng: Randomness) -> None:
    for n in range(1, 100):
        draft = draft_patient(rng, n, "uninsured_patient")
        assert draft.patient["insurance_provider"] is None
        assert draft.patient["insurance_policy_number"] is None
        assert draft.profile["payment_arrangement"] == "self_pay_plan"
        assert draft.profile["annual_deductible"] == 0


def test_insurance_is_a_payer_of_the_persona_with_its_policy_number(rng: Randomness) -> None:
    for name, persona in PERSONAS.items():
        if not persona.insured:
            continue
        for n in range(1, 60):
            p = draft_patient(rng, n, name).patient
            payer = PAYERS.get(p["insurance_provider"])
            assert payer.plan_type in persona.insurance.plan_types
            assert p["insurance_policy_number"] == identifiers.policy_number(n, payer)


def test_policy_without_provider_derives_the_payer(rng: Randomness) -> None:
    p = draft_patient(rng, 1, "elderly_patient", policy_number="HUMMA-123456789").patient
    assert p["insurance_provider"] == "Humana Medicare Advantage"
    p = draft_patient(rng, 2, "elderly_patient", insurance_provider="Medicare").patient
    assert p["insurance_policy_number"] == identifiers.policy_number(2, PAYERS.get("Medicare"))


@pytest.mark.parametrize("persona_name", PERSONAS.names())
def test_drawn_conditions_follow_the_persona(persona_name: str) -> None:
    persona = get_persona(persona_name)
    rng = Randomness(11, today=TODAY)
    low, high = persona.age_range
    counts = set()
    for age in range(low, high + 1):
        for _ in range(20):
            drawn = draw_conditions(rng, persona, age)
            names = [c.name for c in drawn]
            assert len(set(names)) == len(names), "no duplicates"
            assert all(n in persona.medical.common_conditions for n in names)
            assert all(c.fits_age(age) for c in drawn)
            eligible_chronic = [
                n
                for n in persona.medical.common_conditions
                if CONDITIONS.get(n).chronic and CONDITIONS.get(n).fits_age(age)
            ]
            assert sum(c.chronic for c in drawn) >= min(persona.medical.min_chronic, len(eligible_chronic))
            counts.add(len(drawn))
    assert max(counts) <= max(persona.medical.condition_count[1], persona.medical.min_chronic)


def test_condition_weights_shape_the_history() -> None:
    rng = Randomness(5, today=TODAY)
    persona = get_persona("elderly_patient")
    seen = [c.name for _ in range(3000) for c in draw_conditions(rng, persona, 80)]
    assert seen.count("Hypertension") > 3 * seen.count("Dementia")


def test_unknown_names_raise_with_suggestions(rng: Randomness) -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'Hypertension'"):
        draft_patient(rng, 1, "elderly_patient", conditions=["Hypertensoin"])
    with pytest.raises(UnknownNameError, match="did you mean 'elderly_patient'"):
        draft_patient(rng, 1, "elderly_patinet")
    with pytest.raises(UnknownNameError, match="insurance provider 'Medicaree'"):
        draft_patient(rng, 1, "elderly_patient", insurance_provider="Medicaree")


def test_explicit_conditions_still_get_the_always_entries(rng: Randomness) -> None:
    draft = draft_patient(rng, 1, "pediatric_patient", conditions=["Asthma"])
    assert [c["condition"] for c in draft.conditions] == ["Asthma", "Routine Immunization"]


def test_allergies_follow_the_likelihood() -> None:
    rng = Randomness(3, today=TODAY)
    allergies = [draft_patient(rng, n, "elderly_patient").profile["allergies"] for n in range(1, 1001)]
    share = sum(a is not None for a in allergies) / len(allergies)
    assert 0.28 < share < 0.42  # elderly allergy_likelihood is 0.35
    assert {a for a in allergies if a} <= set(ALLERGIES.options)


def test_rows_of_turns_an_orm_patient_into_rows(rng: Randomness) -> None:
    draft = draft_patient(rng, 5, "chronic_condition_patient")
    patient = Patient(**draft.patient)
    patient.conditions = [PatientCondition(id=i + 1, **row) for i, row in enumerate(draft.conditions)]
    patient.profile = PatientProfile(**draft.profile)
    row, history, profile = rows_of(patient)
    assert row == draft.patient
    assert [{k: v for k, v in h.items() if k != "id"} for h in history] == draft.conditions
    assert profile == draft.profile


def test_dob_window_handles_leap_days() -> None:
    rng = Randomness(1, today=date(2028, 2, 29))
    births = {date_of_birth_for_age(rng, 1) for _ in range(2000)}
    assert all(age_on(b, date(2028, 2, 29)) == 1 for b in births)
    assert max(births) == date(2027, 2, 28)
    assert min(births) == date(2026, 2, 28) + timedelta(days=1)


def test_drafting_stays_fast() -> None:
    """A loose guard (the bulk engine drafts up to a million patients): no Faker, no DB per row."""
    rng = Randomness(1, today=TODAY)
    for n in range(1, 200):  # warm the per-persona and per-state caches
        draft_patient(rng, n)
    start = time.perf_counter()
    for n in range(200, 5200):
        draft_patient(rng, n)
    per_draft = (time.perf_counter() - start) / 5000
    assert per_draft < 250e-6, f"{per_draft * 1e6:.0f} µs per draft_patient"


def test_weighted_sample_never_repeats_or_picks_zero_weights() -> None:
    from healthcare_data.rows.patients import _weighted_sample

    rng = Randomness(2)
    for _ in range(200):
        picked = _weighted_sample(rng.random.random, [1.0, 0.0, 2.0], 5)
        assert sorted(picked) == [0, 2]
