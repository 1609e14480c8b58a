"""One booking function: the factories book like the bulk engine (persona preferences by default)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from healthcare_data.builders import PatientBuilder
from healthcare_data.factories import AppointmentFactory, ProviderFactory
from healthcare_data.generation import DatasetSpec, generate_dataset
from healthcare_data.randomness import Randomness
from healthcare_data.rows.appointments import book_appointment
from healthcare_data.scheduling import CONSTRAINTS, Scheduler, preference_levels

TODAY = date(2026, 11, 22)


def rng(seed: int = 3) -> Randomness:
    return Randomness(seed, today=TODAY)


def test_an_elderly_patient_booked_through_the_factory_is_seen_in_the_morning():
    provider = ProviderFactory(rng=rng()).build(specialty="Internal Medicine", id=1)
    factory = AppointmentFactory(rng=rng())
    for serial in range(1, 41):
        patient = {"id": serial, "date_of_birth": date(1948, 5, 1), "persona": "elderly_patient"}
        row = factory.build(patient=patient, provider=provider)
        assert row["appointment_date"].hour < 12, row["appointment_date"]
        assert "morning_preferred" in row["notes"]


def test_a_created_patient_brings_its_persona_from_the_profile(db):
    patient = PatientBuilder(db, rng()).with_persona("elderly_patient").create()
    provider = ProviderFactory(db, rng()).create(specialty="Internal Medicine")
    factory = AppointmentFactory(db, rng())
    starts = [factory.create(patient=patient, provider=provider).appointment_date for _ in range(10)]
    assert all(start.hour < 12 for start in starts), starts


def test_explicit_constraints_override_the_persona():
    provider = ProviderFactory(rng=rng()).build(specialty="Internal Medicine", id=1)
    patient = {"id": 1, "date_of_birth": date(1948, 5, 1), "persona": "elderly_patient"}
    factory = AppointmentFactory(rng=rng())
    rows = [factory.build("evening_available", patient=patient, provider=provider) for _ in range(20)]
    assert all(CONSTRAINTS.get("evening_available").check(r, TODAY) for r in rows)
    assert all(r["appointment_date"].hour >= 12 for r in rows)


def test_preferences_fall_back_when_the_calendar_is_full():
    """A provider whose mornings are all taken still sees the elderly patient (in the afternoon)."""
    scheduler = Scheduler()
    provider = {"id": 1, "specialty": "Internal Medicine", "practice_name": "X Medical Group"}
    patient = {"id": 1, "date_of_birth": date(1948, 5, 1), "persona": "elderly_patient"}
    for day in range(1, 29):
        morning = date.fromordinal(TODAY.toordinal() + day)
        for hour in range(8, 12):
            scheduler.occupy(1, datetime(morning.year, morning.month, morning.day, hour), 60)
    row = book_appointment(rng(), 1, patient, provider, scheduler, window_days=28)
    assert row["appointment_date"].hour >= 12
    assert preference_levels("elderly_patient")[-1] == ()


def test_the_patients_own_calendar_is_never_double_booked():
    calendar = Scheduler()
    patient = {"id": 1, "date_of_birth": date(1990, 1, 1)}
    spans = []
    for provider_id in range(1, 30):
        provider = {"id": provider_id, "specialty": "Internal Medicine", "practice_name": "X Medical Group"}
        row = book_appointment(
            rng(provider_id),
            provider_id,
            patient,
            provider,
            Scheduler(),
            constraints=(),
            patient_calendar=calendar,
            window_days=5,
        )
        spans.append((row["appointment_date"], row["duration_minutes"]))
    spans.sort()
    for (start, minutes), (after, _) in zip(spans, spans[1:], strict=False):
        assert (after - start).total_seconds() >= minutes * 60


@pytest.mark.parametrize("batch_size", [50, 10_000])
def test_the_bulk_engine_books_elderly_patients_in_the_morning_deterministically(batch_size):
    spec = DatasetSpec(patients=200, providers=20, appointments=600)

    def appointments() -> list[tuple]:
        return [
            (r["patient_id"], r["appointment_date"])
            for batch in generate_dataset(spec, rng(11), batch_size)
            if batch.table == "appointments"
            for r in batch.rows
        ]

    first = appointments()
    assert first == appointments()


def test_journeys_book_through_the_one_function_with_persona_preferences():
    """Journey visits of elderly patients carry the persona's morning preference, as in bulk data."""
    from healthcare_data.journeys import JourneySpec
    from healthcare_data.journeys.generate import journey_tables

    spec = JourneySpec(patients=20, group_patients=20, persona_mix={"elderly_patient": 1.0})
    visits = journey_tables(spec, rng(5))["appointments"]
    assert visits and all("morning_preferred" in (v["notes"] or "") for v in visits)
    assert sum(v["appointment_date"].hour < 12 for v in visits) / len(visits) > 0.9
