"""Bulk journeys: every generated journey validates, the stated gaps and shares hold,
status agrees with time, and the stream is deterministic whatever the batch size."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthcare_data.errors import ConfigurationError, UnknownNameError
from healthcare_data.journeys import JourneySpec, allocate, generate_journeys
from healthcare_data.journeys.generate import RECORD_TABLES, journey_tables
from healthcare_data.journeys.rules import check_tables
from healthcare_data.randomness import Randomness

from .conftest import TEST_TODAY


@pytest.fixture(scope="module")
def big() -> dict:
    """1,000 patients' journeys (about 15,000 records), generated once for the module."""
    return journey_tables(JourneySpec(patients=1000), Randomness(11, today=TEST_TODAY))


def _midnight():
    return datetime.combine(TEST_TODAY, time())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), patients=st.integers(1, 40), months=st.integers(1, 18))
def test_every_generated_journey_validates(seed, patients, months):
    tables = journey_tables(
        JourneySpec(patients=patients, months=months, group_patients=16), Randomness(seed, today=TEST_TODAY)
    )
    assert check_tables(tables, TEST_TODAY) == []


def test_the_big_run_validates_and_has_every_alternative_path(big):
    assert check_tables(big, TEST_TODAY) == []
    steps = Counter(s["step"] for s in big["journey_steps"])
    for state in (
        "cancelled",
        "no_show",
        "not_picked_up",
        "referral_expired",
        "follow_up_booked",
        "specialist_seen",
    ):
        assert steps[state] > 0, state
    assert Counter(r["status"] for r in big["referrals"]).keys() >= {
        "requested",
        "scheduled",
        "completed",
        "expired",
    }
    statuses = Counter(a["status"] for a in big["appointments"])
    total = sum(statuses.values())
    assert 0.04 < statuses["no_show"] / total < 0.15 and 0.03 < statuses["cancelled"] / total < 0.12


def test_status_agrees_with_time(big):
    now = _midnight()
    for a in big["appointments"]:
        if a["status"] in ("completed", "no_show"):
            assert a["appointment_date"] < now
        if a["status"] == "scheduled":
            assert a["appointment_date"] >= now
    assert all(s["occurred_at"] < now for s in big["journey_steps"])


def test_time_gaps_follow_the_stated_ranges(big):
    records = {r["id"]: r for r in big["medical_records"]}
    prescriptions = {p["id"]: p for p in big["prescriptions"]}
    appointments = {a["id"]: a for a in big["appointments"]}
    for p in big["prescriptions"]:  # visit -> prescription: same day
        assert p["prescribed_at"].date() == records[p["medical_record_id"]]["record_date"].date()
    for d in big["dispensings"]:  # prescription -> dispensing: 0-3 days
        gap = d["dispensed_at"] - prescriptions[d["prescription_id"]]["prescribed_at"]
        assert timedelta(0) < gap <= timedelta(days=3, minutes=15)
    for r in big["referrals"]:  # referral -> specialist visit within 90 days
        assert r["expires_on"] == r["issued_at"].date() + timedelta(days=90)
        if r["appointment_id"] is not None:
            assert r["issued_at"] <= appointments[r["appointment_id"]]["appointment_date"]
            assert appointments[r["appointment_id"]]["appointment_date"].date() <= r["expires_on"]
    follow_ups = [s for s in big["journey_steps"] if s["step"] == "follow_up_booked"]
    diagnosed = {}
    for s in big["journey_steps"]:
        if s["entity"] == "medical_records":
            diagnosed.setdefault(s["journey_id"], records[s["entity_id"]]["record_date"])
    for s in follow_ups:  # follow-up after 2-6 weeks
        days = (
            appointments[s["entity_id"]]["appointment_date"].date() - diagnosed[s["journey_id"]].date()
        ).days
        assert 14 <= days <= 42, days


def _follow_up_share(big, chronic: bool) -> float:
    """Share of acute-care diagnoses followed by a follow-up booking (journeys started
    more than 60 days ago, so every decision of theirs lies in the past)."""
    chronic_patients = {c["patient_id"] for c in big["patient_conditions"] if c["chronic"]}
    old = _midnight() - timedelta(days=60)
    journeys = {
        j["id"]: j
        for j in big["care_journeys"]
        if j["journey"] == "acute_care"
        and j["started_at"] < old
        and (j["patient_id"] in chronic_patients) == chronic
    }
    steps: dict[int, set[str]] = {}
    for s in big["journey_steps"]:
        if s["journey_id"] in journeys:
            steps.setdefault(s["journey_id"], set()).add(s["step"])
    diagnosed = [s for s in steps.values() if "diagnosed" in s]
    return sum("follow_up_booked" in s for s in diagnosed) / len(diagnosed)


def test_about_30_percent_of_diagnoses_get_a_follow_up_and_chronic_patients_more(big):
    plain, chronic = _follow_up_share(big, False), _follow_up_share(big, True)
    assert 0.2 < plain < 0.4, plain
    assert chronic > plain + 0.05, (chronic, plain)


def test_uninsured_patients_self_pay_and_insured_ones_are_claimed(big):
    insured = {p["id"]: bool(p["insurance_provider"]) for p in big["patients"]}
    claimed = {c["appointment_id"] for c in big["insurance_claims"]}
    self_paid = {e["appointment_id"] for e in big["ledger_entries"] if e["kind"] == "self_pay"}
    completed = [a for a in big["appointments"] if a["status"] == "completed"]
    assert any(not insured[a["patient_id"]] for a in completed)
    for a in completed:
        if insured[a["patient_id"]]:
            assert a["id"] in claimed and a["id"] not in self_paid
        else:
            assert a["id"] in self_paid and a["id"] not in claimed


def test_activity_segments_follow_the_documents_proportions(big):
    segments = Counter(j["segment"] for j in big["care_journeys"] if j["journey"] == "registration")
    total = sum(segments.values())
    for name, share in {"new": 0.30, "active": 0.50, "frequent": 0.15, "inactive": 0.05}.items():
        assert abs(segments[name] / total - share) < 0.04, (name, segments[name] / total)
    visits = Counter(a["patient_id"] for a in big["appointments"])
    segment_of = {
        j["patient_id"]: j["segment"] for j in big["care_journeys"] if j["journey"] == "registration"
    }
    inactive = [p for p, s in segment_of.items() if s == "inactive"]
    assert inactive and all(visits[p] == 0 for p in inactive)
    mean = {
        s: sum(visits[p] for p, t in segment_of.items() if t == s)
        / max(1, list(segment_of.values()).count(s))
        for s in ("new", "active", "frequent")
    }
    assert mean["new"] < mean["active"] < mean["frequent"]


def test_same_seed_same_rows_whatever_the_batch_size():
    spec = JourneySpec(patients=60, group_patients=25)
    one = [(b.table, b.rows) for b in generate_journeys(spec, Randomness(3, today=TEST_TODAY), 7)]
    two = [(b.table, b.rows) for b in generate_journeys(spec, Randomness(3, today=TEST_TODAY), 5000)]
    flat = lambda batches: {t: [r for tt, rows in batches if tt == t for r in rows] for t, _ in batches}  # noqa: E731
    assert flat(one) == flat(two)
    assert max(len(rows) for _, rows in one) <= 7
    other = journey_tables(spec, Randomness(4, today=TEST_TODAY))
    assert other["patients"] != flat(two)["patients"]


def test_allocation_from_a_total_and_explicit_counts():
    plan = allocate(500)
    assert plan["patients"] >= 30 and abs(sum(plan.values()) - 500) <= 10
    assert plan["appointments"] > plan["patients"] > plan["referrals"]
    tables = journey_tables(JourneySpec(records=500), Randomness(5, today=TEST_TODAY))
    records = sum(len(tables.get(t, [])) for t in RECORD_TABLES)
    assert 500 <= records < 560, records
    assert abs(len(tables["patients"]) - plan["patients"]) <= plan["patients"] * 0.35
    explicit = journey_tables(JourneySpec(patients=12), Randomness(5, today=TEST_TODAY))
    assert len(explicit["patients"]) == 12


def test_cardinalities_match_what_the_journeys_produce(big):
    from healthcare_data.journeys import default_definitions

    patients = len(big["patients"])
    for table, ratio in default_definitions().cardinality.items():
        measured = len(big[table]) / patients
        assert abs(measured - ratio) <= 0.25 * ratio + 0.05, (table, measured, ratio)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (JourneySpec(patients=-1), "patients must be a whole number >= 0, got -1"),
        (JourneySpec(months=0), "months must be a whole number >= 1, got 0"),
        (JourneySpec(records=0), "records must be a whole number >= 1, got 0"),
        (JourneySpec(persona_mix={"elderly_patinet": 1.0}), "did you mean 'elderly_patient'"),
    ],
)
def test_bad_specs_fail_before_any_row(spec, message):
    with pytest.raises((ConfigurationError, UnknownNameError)) as caught:
        generate_journeys(spec, Randomness(1, today=TEST_TODAY))
    assert message in str(caught.value)
