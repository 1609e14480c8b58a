"""One journey from Python: the path a test asks for, stored, valid."""

from __future__ import annotations

from datetime import timedelta

import pytest

from healthcare_data.errors import ConfigurationError, UnknownNameError
from healthcare_data.journeys.builder import JourneyBuilder
from healthcare_data.journeys.drugs import fits_diagnosis
from healthcare_data.journeys.rules import check_tables
from healthcare_data.validation import run_all


def test_a_diabetic_patients_journey_with_one_follow_up_and_an_expired_referral(db, rng):
    journey = (
        JourneyBuilder("chronic_care")
        .for_patient(conditions=["Diabetes Type 2"])
        .with_follow_ups(1)
        .with_referral("expired")
        .create(db, rng)
    )
    assert journey.path.count("follow_up_booked") == 1 and journey.path[-1] == "referral_expired"
    (referral,) = journey.rows("referrals")
    assert referral["status"] == "expired" and referral["appointment_id"] is None
    assert referral["expires_on"] == referral["issued_at"].date() + timedelta(days=90) < rng.today
    prescriptions = journey.rows("prescriptions")
    assert prescriptions and all(p["diagnosis_code"] == "E11.9" for p in prescriptions)
    assert all(fits_diagnosis(p["rxnorm_code"], "E11.9") for p in prescriptions)
    assert {p["rxnorm_code"] for p in prescriptions} <= {"6809", "4821"}  # metformin, glipizide
    assert sum(a["appointment_type"] == "Follow-up" for a in journey.rows("appointments")) >= 1
    assert check_tables(journey.tables, rng.today) == []
    reports = run_all(
        db, today=rng.today, names=["business_rules", "referential_integrity", "format_validation"]
    )
    assert all(r.ok for r in reports.values()), [r.summary() for r in reports.values()]
    assert db.counts()["referrals"] == 1


@pytest.mark.parametrize(
    ("outcome", "status", "last"),
    [
        ("completed", "completed", "specialist_seen"),
        ("scheduled", "scheduled", "specialist_booked"),
        ("requested", "requested", "referred"),
    ],
)
def test_referral_outcomes(rng, outcome, status, last):
    journey = JourneyBuilder("specialist_referral").with_referral(outcome).build(rng)
    assert journey.rows("referrals")[0]["status"] == status and last in journey.path
    assert check_tables(journey.tables, rng.today) == []


@pytest.mark.parametrize("visit", ["completed", "cancelled", "no_show"])
def test_visit_outcomes_and_prescriptions_never_picked_up(rng, visit):
    journey = JourneyBuilder("acute_care").with_visit(visit).build(rng)
    assert journey.rows("appointments")[0]["status"] == visit
    unpicked = JourneyBuilder("acute_care").with_prescription(picked_up=False).build(rng)
    assert {p["status"] for p in unpicked.rows("prescriptions")} == {"abandoned"}
    assert unpicked.rows("dispensings") == []


def test_explicit_paths_and_impossible_requests(rng):
    path = ["booked", "attended", "diagnosed", "prescribed", "dispensed"]
    assert JourneyBuilder("acute_care").through(*path).build(rng).path == path
    with pytest.raises(ConfigurationError, match="'booked' -> 'dispensed' is not a transition"):
        JourneyBuilder("acute_care").through("booked", "dispensed")
    with pytest.raises(ConfigurationError, match="No path of journey 'acute_care' meets"):
        JourneyBuilder("acute_care").with_referral("expired").plan()
    with pytest.raises(UnknownNameError, match="Known: "):
        JourneyBuilder("acute_cair")
    with pytest.raises(ConfigurationError, match="lies in the future"):
        JourneyBuilder("specialist_referral").with_referral("expired").starting(days_ago=20).build(rng)
