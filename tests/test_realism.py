"""Realism fixes the report's pictures revealed: no visits on US federal holidays, and
personas preferring telemedicine still see their doctors in person part of the time."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

import pytest

from healthcare_data.personas import PERSONAS
from healthcare_data.scheduling import BUSINESS_HOURS, BusinessHours, add_business_days, us_federal_holiday
from healthcare_data.seeding import generate_tables
from tests.conftest import TEST_TODAY


def test_us_federal_holidays_are_not_business_days():
    thanksgiving = date(2026, 11, 26)  # a Thursday
    assert "Thanksgiving" in us_federal_holiday(thanksgiving)  # the name varies by version
    assert not BUSINESS_HOURS.is_business_day(thanksgiving)
    assert not BUSINESS_HOURS.contains(datetime(2026, 11, 26, 9, 0), 30)
    assert BUSINESS_HOURS.contains(datetime(2026, 11, 27, 9, 0), 30)
    assert add_business_days(date(2026, 11, 25), 1) == date(2026, 11, 27)
    assert BusinessHours(skip_holidays=False).is_business_day(thanksgiving)
    assert "except US federal holidays" in BUSINESS_HOURS.describe()


@pytest.fixture(scope="module")
def standard() -> dict[str, list[dict]]:
    return generate_tables("standard", 7, today=TEST_TODAY)


def test_a_standard_seed_books_nothing_on_a_federal_holiday(standard):
    starts = [row["appointment_date"] for row in standard["appointments"]]
    assert len(starts) == 500
    assert [s for s in starts if us_federal_holiday(s.date())] == []


def test_visit_mode_is_mixed_per_persona(standard):
    persona_of = {row["patient_id"]: row["persona"] for row in standard["patient_profiles"]}
    modes: dict[str, Counter[str]] = {}
    for row in standard["appointments"]:
        modes.setdefault(persona_of[row["patient_id"]], Counter())[row["visit_mode"]] += 1
    for name in ("young_professional", "chronic_condition_patient"):
        share = PERSONAS.get(name).behavioral.telemedicine_share
        counts = modes[name]
        video = counts["telemedicine"] / sum(counts.values())
        assert 0 < share < 1 and counts["in_person"] > 0 and counts["telemedicine"] > 0
        assert abs(video - share) < 0.2, (name, dict(counts))
    assert modes["elderly_patient"]["telemedicine"] == 0  # no video preference: always in person
