"""draft_appointment / draft_medical_record / draft_claim: birth-date bound, created_at, speed-ups.

The bulk engine found two bugs: a visit booked before the patient's birth (after which
the record draft crashed on age -1), and created_at left to the database clock. These
tests pin the fixes, and pin that the faster code paths kept the old behaviour.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta

import pytest

from healthcare_data.errors import BusinessRuleViolation
from healthcare_data.randomness import Randomness
from healthcare_data.reference import CONDITIONS
from healthcare_data.rows import fast_uuid4
from healthcare_data.rows.appointments import draft_appointment
from healthcare_data.rows.claims import draft_claim
from healthcare_data.rows.patients import draft_patient
from healthcare_data.rows.providers import draft_provider
from healthcare_data.rows.records import draft_medical_record
from healthcare_data.scheduling import SLOT_MINUTES, Scheduler

TODAY = date(2026, 11, 22)
PROVIDER = {
    "id": 7, "specialty": "Pediatrics", "practice_name": "Summit Pediatrics Clinic", "tenant_id": None,
}


def _infant(born: date) -> dict[str, object]:
    return {"id": 1, "date_of_birth": born, "tenant_id": None}


def test_window_starting_before_birth_is_clamped_to_the_birth_date(rng: Randomness) -> None:
    born = TODAY - timedelta(days=30)
    scheduler = Scheduler()
    for serial in range(1, 60):
        row = draft_appointment(
            rng, serial, _infant(born), PROVIDER, scheduler,
            window_start=TODAY - timedelta(days=365), window_days=395,
        )
        assert row["appointment_date"].date() >= born
        assert row["appointment_date"].date() <= TODAY + timedelta(days=30)


def test_window_wholly_before_birth_raises_a_business_rule(rng: Randomness) -> None:
    born = TODAY - timedelta(days=10)
    with pytest.raises(BusinessRuleViolation, match="before patient 1's date of birth"):
        draft_appointment(
            rng, 1, _infant(born), PROVIDER, Scheduler(),
            window_start=TODAY - timedelta(days=365), window_days=300,
        )


def test_explicit_date_before_birth_raises_a_business_rule(rng: Randomness) -> None:
    born = date(2026, 11, 2)
    with pytest.raises(BusinessRuleViolation) as caught:
        draft_appointment(
            rng, 1, _infant(born), PROVIDER, Scheduler(),
            appointment_date=datetime(2026, 10, 5, 9, 0),
        )
    assert caught.value.report.violations[0].rule == "after_birth"


def test_record_for_a_visit_before_birth_does_not_crash(rng: Randomness) -> None:
    """Rows written by older versions (or by hand) may still hold such a visit."""
    patient = {"id": 1, "date_of_birth": date(2026, 6, 1)}
    appointment = {
        "id": 3, "patient_id": 1, "provider_id": 7, "appointment_type": "Sick Visit",
        "appointment_date": datetime(2026, 3, 2, 9, 0),
    }
    row = draft_medical_record(rng, 1, patient, [], PROVIDER, appointment)
    assert row["diagnosis_code"] and row["record_type"] == "progress_note"


def _run(seed: int) -> list[dict[str, object]]:
    rng = Randomness(seed, today=TODAY)
    scheduler = Scheduler()
    rows: list[dict[str, object]] = []
    provider = draft_provider(rng, 1)
    rows.append(provider)
    for serial in range(1, 40):
        patient = draft_patient(rng, serial, insurance_provider="Aetna").patient
        appointment = draft_appointment(
            rng, serial, patient, provider, scheduler,
            window_start=TODAY - timedelta(days=200), window_days=260,
        )
        rows += [
            patient,
            appointment,
            draft_medical_record(rng, serial, patient, [], provider, appointment),
            draft_claim(rng, serial, patient, provider, appointment),
        ]
    return rows


def test_two_runs_are_identical_including_created_at() -> None:
    first, second = _run(5), _run(5)
    assert first == second
    for row in first:
        if "created_at" in row or "claim_number" in row or "appointment_type" in row:
            assert isinstance(row["created_at"], datetime), row


def test_created_at_is_never_after_today_and_follows_the_record_dates() -> None:
    midnight = datetime(TODAY.year, TODAY.month, TODAY.day)
    for row in _run(9):
        if "claim_number" in row:
            assert row["created_at"].date() == row["submitted_date"]
        elif "duration_minutes" in row:
            assert row["created_at"] <= midnight
            assert row["created_at"] <= row["appointment_date"]
        elif "npi_number" in row:
            assert row["created_at"] == midnight


def test_fast_uuid4_is_the_canonical_uuid4_text_of_the_same_draw() -> None:
    ours, reference = random.Random(3), random.Random(3)
    for _ in range(2000):
        text = fast_uuid4(ours)
        expected = uuid.UUID(int=reference.getrandbits(128), version=4)
        assert text == str(expected) and uuid.UUID(text).version == 4


def test_slot_pick_is_uniform_over_the_free_starts() -> None:
    """The rejection-sampling pick must not favour any start (chi-square-free sanity check)."""
    rand = random.Random(1)
    fits = (1 << 40) | (1 << 41) | (1 << 60) | (1 << 63)
    counts: dict[int, int] = {}
    for _ in range(8000):
        start = Scheduler._pick(date(2026, 1, 5).toordinal(), fits, rand)
        slot = (start.hour * 60 + start.minute) // SLOT_MINUTES
        counts[slot] = counts.get(slot, 0) + 1
    assert set(counts) == {40, 41, 60, 63}
    assert all(1800 < n < 2200 for n in counts.values())


def test_claims_keep_two_place_amounts_and_pay_no_more_than_charged(rng: Randomness) -> None:
    patient = {"id": 1, "insurance_provider": "Aetna"}
    for serial in range(1, 300):
        appointment = {
            "id": serial, "patient_id": 1, "provider_id": 7, "appointment_type": "Sick Visit",
            "appointment_date": datetime(2026, 5, 4, 10, 0),
        }
        row = draft_claim(rng, serial, patient, PROVIDER, appointment)
        assert row["claim_amount"].as_tuple().exponent == -2 and row["claim_amount"] > 0
        if row["payment_amount"] is not None:
            assert row["payment_amount"].as_tuple().exponent == -2
            assert row["payment_amount"] <= row["claim_amount"]


def test_progress_notes_still_come_from_the_patients_history(rng: Randomness) -> None:
    diabetes = CONDITIONS.get("Diabetes Type 2")
    patient = {"id": 1, "date_of_birth": date(1960, 1, 1)}
    appointment = {
        "id": 3, "patient_id": 1, "provider_id": 7, "appointment_type": "Follow-up",
        "appointment_date": datetime(2026, 3, 2, 9, 0),
    }
    for serial in range(1, 50):
        row = draft_medical_record(rng, serial, patient, [diabetes], PROVIDER, appointment)
        assert row["diagnosis_code"] == diabetes.icd10
        assert row["follow_up_required"] is True
