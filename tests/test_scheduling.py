"""Scheduler, business hours and the declarative scheduling constraints."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import insert

from healthcare_data.errors import SchedulingConflictError, UnknownNameError
from healthcare_data.randomness import Randomness
from healthcare_data.scheduling import (
    BUSINESS_HOURS,
    CONSTRAINTS,
    Scheduler,
    add_business_days,
    allowed_types,
    appointment_duration,
    recommend_specialties,
    resolve_constraints,
    specialties_allowing,
)
from healthcare_data.schema import Appointment, Patient, Provider

TODAY = date(2026, 11, 22)  # a Sunday
MONDAY = datetime(2026, 11, 23, 9, 0)


def test_durations_and_types_come_from_reference():
    assert appointment_duration("Annual Physical") == 45
    assert appointment_duration("Vaccination") == 15
    assert "Vaccination" in allowed_types("Pediatrics")
    assert "Vaccination" not in allowed_types("Cardiology")
    assert "Pediatrics" in specialties_allowing("Well-Child Visit")
    with pytest.raises(UnknownNameError, match="did you mean 'Consultation'"):
        appointment_duration("Consultaton")


def test_business_hours_require_ending_by_five():
    assert BUSINESS_HOURS.contains(datetime(2026, 11, 23, 16, 0), 60)
    assert not BUSINESS_HOURS.contains(datetime(2026, 11, 23, 16, 30), 45)
    assert not BUSINESS_HOURS.contains(datetime(2026, 11, 23, 7, 45), 15)
    assert not BUSINESS_HOURS.contains(datetime(2026, 11, 28, 9, 0), 15)  # Saturday
    assert not BUSINESS_HOURS.contains(datetime(2026, 11, 23, 18, 0), 30)


def test_book_detects_overlap_and_offers_alternatives():
    scheduler = Scheduler()
    scheduler.book(1, MONDAY, 60)
    assert not scheduler.is_free(1, MONDAY + timedelta(minutes=45), 30)
    assert scheduler.is_free(1, MONDAY + timedelta(minutes=60), 30)
    assert scheduler.is_free(2, MONDAY, 60)  # calendars are per provider
    with pytest.raises(SchedulingConflictError) as info:
        scheduler.book(1, MONDAY + timedelta(minutes=30), 30)
    alternatives = info.value.alternatives
    assert alternatives == [MONDAY + timedelta(minutes=60 + 15 * i) for i in range(3)]
    assert "already booked" in str(info.value)
    assert "book Mon 2026-11-23 10:00 instead" in info.value.recovery


def test_book_outside_hours_is_a_conflict_with_alternatives():
    scheduler = Scheduler()
    with pytest.raises(SchedulingConflictError, match="outside business hours") as info:
        scheduler.book(1, datetime(2026, 11, 23, 18, 0), 30)
    assert info.value.alternatives[0] == datetime(2026, 11, 24, 8, 0)


def test_release_frees_the_slot():
    scheduler = Scheduler()
    scheduler.book(1, MONDAY, 30)
    scheduler.release(1, MONDAY, 30)
    assert scheduler.is_free(1, MONDAY, 30)
    assert len(scheduler) == 0


def test_off_grid_bookings_block_every_touched_slot():
    scheduler = Scheduler()
    scheduler.occupy(1, datetime(2026, 11, 23, 9, 5), 20)  # 09:05-09:25
    assert not scheduler.is_free(1, datetime(2026, 11, 23, 9, 15), 15)
    assert not scheduler.is_free(1, datetime(2026, 11, 23, 9, 0), 15)
    assert scheduler.is_free(1, datetime(2026, 11, 23, 9, 30), 15)


def test_suggest_alternatives_skip_weekends_and_respect_time_constraints():
    scheduler = Scheduler()
    friday_late = datetime(2026, 11, 27, 16, 50)
    assert scheduler.suggest_alternatives(1, friday_late, 30, count=2) == [
        datetime(2026, 11, 30, 8, 0),
        datetime(2026, 11, 30, 8, 15),
    ]
    evening = scheduler.suggest_alternatives(1, MONDAY, 60, constraints=["evening_available"])
    assert [s.strftime("%H:%M") for s in evening] == ["15:00", "15:15", "15:30"]


@pytest.mark.parametrize(
    ("names", "duration", "check"),
    [
        ("morning_preferred", 45, lambda s, d: s.hour < 12),
        (
            "evening_available",
            60,
            lambda s, d: s.hour >= 15 and s + timedelta(minutes=d) <= s.replace(hour=17, minute=0),
        ),
        (
            "school_hours_avoided",
            15,
            lambda s, d: s.hour >= 15 or s + timedelta(minutes=d) <= s.replace(hour=8, minute=30),
        ),
        ("routine", 30, lambda s, d: s.date() >= TODAY + timedelta(days=7)),
        ("urgent", 60, lambda s, d: TODAY < s.date() <= add_business_days(TODAY, 2)),
    ],
)
def test_constraints_generate_slots_they_accept(names, duration, check):
    scheduler = Scheduler()
    rng = Randomness(5, today=TODAY)
    constraint = CONSTRAINTS.get(names)
    for _ in range(8):  # urgent: two days of capacity only
        start = scheduler.book_slot(1, duration, names, rng)
        assert check(start, duration)
        assert BUSINESS_HOURS.contains(start, duration)
        row = {"appointment_date": start, "duration_minutes": duration, "appointment_type": "Follow-up"}
        assert constraint.check(row, TODAY)


def test_constraint_checks_reject_violating_rows():
    row = {
        "appointment_date": datetime(2026, 11, 24, 16, 0),
        "duration_minutes": 30,
        "appointment_type": "Annual Physical",
        "visit_mode": "in_person",
    }
    assert not CONSTRAINTS.get("morning_preferred").check(row, TODAY)
    assert CONSTRAINTS.get("evening_available").check(row, TODAY)
    assert not CONSTRAINTS.get("routine").check(row, TODAY)  # only 2 days ahead
    assert CONSTRAINTS.get("urgent").check(row, TODAY)
    assert not CONSTRAINTS.get("urgent").check({**row, "appointment_date": datetime(2026, 12, 2, 9)}, TODAY)
    assert not CONSTRAINTS.get("school_hours_avoided").check(
        {**row, "appointment_date": datetime(2026, 11, 24, 8, 30)}, TODAY
    )
    assert not CONSTRAINTS.get("telemedicine").check(row, TODAY)  # in person
    tele = {**row, "visit_mode": "telemedicine"}
    assert not CONSTRAINTS.get("telemedicine").check(tele, TODAY)  # physical cannot be virtual
    assert CONSTRAINTS.get("telemedicine").check({**tele, "appointment_type": "Follow-up"}, TODAY)


def test_regular_interval_series():
    scheduler = Scheduler()
    rng = Randomness(1, today=TODAY)
    series = scheduler.find_series(1, 20, count=5, interval_weeks=4, rng=rng)
    assert len(series) == 5 and len(scheduler) == 5
    constraint = CONSTRAINTS.get("regular_interval")
    for previous, current in pairwise(series):
        assert abs((current.date() - previous.date()).days - 28) <= 3
        row = {"appointment_date": current, "duration_minutes": 20}
        assert constraint.check(row, TODAY, previous=previous)
    far = {"appointment_date": series[0] + timedelta(weeks=8), "duration_minutes": 20}
    assert not constraint.check(far, TODAY, previous=series[0])
    assert not constraint.check({"appointment_date": series[0], "duration_minutes": 20}, TODAY)


def test_regular_interval_narrows_find_slot_around_previous():
    scheduler = Scheduler()
    previous = datetime(2026, 12, 1, 10, 0)
    start = scheduler.find_slot(1, 20, ["regular_interval"], Randomness(3, today=TODAY), previous=previous)
    assert abs((start.date() - date(2026, 12, 29)).days) <= 3


def test_contradicting_constraints_raise():
    scheduler = Scheduler()
    with pytest.raises(
        SchedulingConflictError, match="No time of day fits.*morning_preferred, evening_available"
    ):
        scheduler.find_slot(1, 30, "morning_preferred,evening_available", Randomness(1, today=TODAY))
    with pytest.raises(SchedulingConflictError, match="No day satisfies"):
        scheduler.find_slot(1, 30, "routine,urgent", Randomness(1, today=TODAY))
    with pytest.raises(UnknownNameError, match="did you mean 'urgent'"):
        resolve_constraints("urgnt")


def test_full_calendar_raises_with_alternatives_after_the_window():
    scheduler = Scheduler()
    rng = Randomness(2, today=TODAY)
    # urgent: Mon 23 and Tue 24 only; fill them with 60-minute evening slots
    for day in (23, 24):
        scheduler.book(1, datetime(2026, 11, day, 15, 0), 60)
        scheduler.book(1, datetime(2026, 11, day, 16, 0), 60)
    with pytest.raises(SchedulingConflictError, match="no free 60-minute slot") as info:
        scheduler.find_slot(1, 60, "evening_available,urgent", rng)
    assert info.value.alternatives[0] == datetime(2026, 11, 25, 15, 0)


def test_find_slot_is_deterministic():
    one = [Scheduler().find_slot(1, 30, (), Randomness(4, today=TODAY)) for _ in range(3)]
    assert len(set(one)) == 1


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    durations=st.lists(st.sampled_from([15, 20, 30, 45, 60, 90]), min_size=1, max_size=200),
)
def test_no_double_booking_ever(seed, durations):
    scheduler = Scheduler()
    rng = Randomness(seed, today=TODAY)
    booked: list[tuple[datetime, datetime]] = []
    for duration in durations:
        try:
            start = scheduler.book_slot(7, duration, (), rng, window_days=5)
        except SchedulingConflictError:
            # full: then truly no free start of that length is left in the window
            day = datetime(2026, 11, 23, 8, 0)
            assert not any(
                scheduler.is_free(7, day + timedelta(days=d, minutes=15 * k), duration)
                for d in range(5)
                for k in range(36)
            )
            continue
        booked.append((start, start + timedelta(minutes=duration)))
    booked.sort()
    for (_, end), (next_start, _) in pairwise(booked):
        assert end <= next_start


def test_ten_thousand_bookings_under_a_second():
    scheduler = Scheduler()
    rng = Randomness(1, today=TODAY)
    started = time.perf_counter()
    for index in range(10_000):
        scheduler.book_slot(index % 20, 30, ("morning_preferred",) if index % 3 == 0 else (), rng)
    elapsed = time.perf_counter() - started
    assert len(scheduler) == 10_000
    assert elapsed < 1.0, f"10,000 bookings took {elapsed:.2f}s"


def test_load_existing_seeds_calendars(db):
    with db.transaction() as conn:
        conn.execute(
            insert(Patient.__table__),
            [
                {
                    "id": 1,
                    "uuid": "u-p1",
                    "patient_id": "PAT-00000001",
                    "first_name": "A",
                    "last_name": "B",
                    "date_of_birth": date(1980, 1, 1),
                    "gender": "female",
                }
            ],
        )
        conn.execute(
            insert(Provider.__table__),
            [
                {
                    "id": i,
                    "uuid": f"u-{i}",
                    "npi_number": f"{i:010d}",
                    "first_name": "C",
                    "last_name": "D",
                    "specialty": "Cardiology",
                }
                for i in (1, 2)
            ],
        )
        conn.execute(
            insert(Appointment.__table__),
            [
                {
                    "id": 1,
                    "uuid": "a1",
                    "patient_id": 1,
                    "provider_id": 1,
                    "appointment_date": MONDAY,
                    "duration_minutes": 60,
                    "appointment_type": "Consultation",
                    "status": "scheduled",
                },
                {
                    "id": 2,
                    "uuid": "a2",
                    "patient_id": 1,
                    "provider_id": 2,
                    "appointment_date": MONDAY,
                    "duration_minutes": 60,
                    "appointment_type": "Consultation",
                    "status": "cancelled",
                },
            ],
        )
    scheduler = Scheduler()
    with db.transaction() as conn:
        assert scheduler.load_existing(conn, [1, 2]) == 1
    assert not scheduler.is_free(1, MONDAY, 30)
    assert scheduler.is_free(2, MONDAY, 30)  # cancelled appointments free their slot


def test_blockers_must_be_free_too():
    providers, patients = Scheduler(), Scheduler()
    patients.book(5, MONDAY, 60)  # the patient is busy 09:00-10:00 elsewhere
    alternatives = providers.suggest_alternatives(1, MONDAY, 30, blockers=[(patients, 5)])
    assert alternatives[0] == MONDAY + timedelta(hours=1)
    rng = Randomness(1, today=TODAY)
    for _ in range(10):
        start = providers.find_slot(
            1, 30, (), rng, window_start=MONDAY, window_days=1, blockers=[(patients, 5)]
        )
        assert start >= MONDAY + timedelta(hours=1) or start + timedelta(minutes=30) <= MONDAY


def test_load_existing_rejects_unknown_key():
    with pytest.raises(ValueError, match="by must be 'provider_id' or 'patient_id'"):
        Scheduler().load_existing(None, by="room")  # type: ignore[arg-type]


def test_recommended_specialties_put_the_personas_typical_ones_first():
    assert recommend_specialties("Vaccination", "pediatric_patient") == [
        "Pediatrics",
        "Family Medicine",
        "Internal Medicine",
    ]
    assert recommend_specialties("Follow-up", "young_professional")[:3] == [
        "Internal Medicine",
        "Family Medicine",
        "Psychiatry",
    ]


def test_recommended_specialties_are_exactly_those_allowing_the_type():
    for kind in ("Vaccination", "Well-Child Visit", "Procedure", "Telehealth Visit"):
        for persona in (None, "elderly_patient", "pediatric_patient", "uninsured_patient"):
            recommended = recommend_specialties(kind, persona)
            assert sorted(recommended) == sorted(specialties_allowing(kind))
            assert all(kind in allowed_types(s) for s in recommended)
    assert "Cardiology" not in recommend_specialties("Vaccination", "elderly_patient")


def test_without_a_persona_the_reference_order_is_kept():
    assert recommend_specialties("Vaccination") == specialties_allowing("Vaccination")


def test_recommending_for_an_unknown_type_or_persona_names_the_valid_ones():
    with pytest.raises(UnknownNameError, match="did you mean 'Vaccination'"):
        recommend_specialties("Vacination", "pediatric_patient")
    with pytest.raises(UnknownNameError, match="did you mean 'pediatric_patient'"):
        recommend_specialties("Vaccination", "pediatric_patinet")
