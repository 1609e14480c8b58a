"""Appointments, medical records and claims: drafts pass their validators for many
seeds, and a mutated field is always caught by the rule that owns it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthcare_data.errors import BusinessRuleViolation, FormatValidationError, UnknownNameError
from healthcare_data.randomness import Randomness
from healthcare_data.reference import CONDITIONS, SPECIALTIES
from healthcare_data.rows.appointments import draft_appointment
from healthcare_data.rows.claims import DENIAL_REASONS, draft_claim, is_claimable, parse_amount
from healthcare_data.rows.providers import draft_provider
from healthcare_data.rows.records import draft_medical_record, record_type_for
from healthcare_data.scheduling import Scheduler
from healthcare_data.validation.appointments import check_appointment
from healthcare_data.validation.claims import check_claim
from healthcare_data.validation.records import check_medical_record

TODAY = date(2026, 11, 22)
ADULT = {"id": 1, "date_of_birth": date(1958, 4, 2), "insurance_provider": "Medicare", "patient_id": "PAT-1"}
CHILD = {"id": 2, "date_of_birth": date(2018, 9, 9), "insurance_provider": "CHIP"}
SPECIALTY_NAMES = SPECIALTIES.names()
CONDITION_NAMES = [n for n, c in CONDITIONS.items() if c.category != "preventive"]


def world(seed: int, specialty: str | None = None, patient: dict = ADULT):
    rng = Randomness(seed, today=TODAY)
    provider = draft_provider(rng, 1, specialty)
    appointment = draft_appointment(
        rng, 1, patient, provider, Scheduler(), window_start=TODAY - timedelta(days=90), window_days=180
    )
    return rng, provider, appointment


# --- appointments ------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32), specialty=st.sampled_from(SPECIALTY_NAMES), adult=st.booleans())
def test_appointment_drafts_pass(seed, specialty, adult):
    _, provider, appointment = world(seed, specialty, ADULT if adult else CHILD)
    assert check_appointment(appointment, provider) == []
    expected = "completed" if appointment["appointment_date"].date() < TODAY else "scheduled"
    assert appointment["status"] == expected


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), hour=st.sampled_from([6, 7, 17, 18, 20]))
def test_appointment_outside_hours_is_caught(seed, hour):
    _, provider, appointment = world(seed)
    moved = {**appointment, "appointment_date": appointment["appointment_date"].replace(hour=hour, minute=0)}
    assert "business_hours" in [v.rule for v in check_appointment(moved, provider)]


def test_appointment_rules():
    _, provider, appointment = world(1, "Internal Medicine")
    row = {
        **appointment,
        "appointment_type": "Follow-up",
        "duration_minutes": 20,
        "appointment_date": datetime(2026, 11, 24, 16, 30),
    }
    assert check_appointment(row, provider) == []
    cases = [
        ({"appointment_date": datetime(2026, 11, 24, 16, 45)}, "business_hours"),  # ends 17:05
        ({"appointment_date": datetime(2026, 11, 28, 10, 0)}, "business_hours"),  # Saturday
        ({"duration_minutes": 45}, "duration_matches_type"),
        ({"status": "maybe"}, "status_valid"),
        ({"visit_mode": "carrier_pigeon"}, "visit_mode_valid"),
        ({"appointment_type": "Teleport"}, "type_known"),
        ({"appointment_date": "yesterday"}, "date_format"),
    ]
    for change, rule in cases:
        assert rule in [v.rule for v in check_appointment({**row, **change}, provider)], rule
    physical = {
        **row,
        "appointment_type": "Annual Physical",
        "duration_minutes": 45,
        "appointment_date": datetime(2026, 11, 24, 9),
        "visit_mode": "telemedicine",
    }
    assert [v.rule for v in check_appointment(physical, provider)] == ["telemedicine_type"]
    procedure = {
        **row,
        "appointment_type": "Procedure",
        "duration_minutes": 90,
        "appointment_date": datetime(2026, 11, 24, 9),
    }
    (violation,) = check_appointment(procedure, provider)
    assert violation.rule == "type_allowed_for_specialty" and "Cardiology" in violation.recovery
    assert check_appointment(procedure) == []  # without the provider the specialty is unknown


def test_draft_appointment_errors():
    rng = Randomness(1, today=TODAY)
    cardiologist = draft_provider(rng, 1, "Cardiology")
    with pytest.raises(BusinessRuleViolation) as info:
        draft_appointment(rng, 1, ADULT, cardiologist, Scheduler(), "Vaccination")
    message = str(info.value)
    assert "'Vaccination' is not offered by specialty 'Cardiology'" in message
    assert "Pediatrics" in message and "Family Medicine" in message
    with pytest.raises(BusinessRuleViolation, match="cannot be held by telemedicine"):
        draft_appointment(rng, 1, ADULT, cardiologist, Scheduler(), "Procedure", "telemedicine")
    with pytest.raises(UnknownNameError, match="did you mean 'Follow-up'"):
        draft_appointment(rng, 1, ADULT, cardiologist, Scheduler(), "Folow-up")
    with pytest.raises(UnknownNameError, match="appointment column"):
        draft_appointment(rng, 1, ADULT, cardiologist, Scheduler(), colour="red")


def test_virtual_providers_get_telemedicine_visits():
    rng = Randomness(2, today=TODAY)
    virtual = draft_provider(rng, 1, "Internal Medicine", "telemedicine")
    scheduler = Scheduler()
    for serial in range(1, 30):
        row = draft_appointment(rng, serial, ADULT, virtual, scheduler)
        assert row["visit_mode"] == "telemedicine"
        assert check_appointment(row, virtual) == []


def test_adults_never_get_well_child_visits():
    rng = Randomness(3, today=TODAY)
    peds = draft_provider(rng, 1, "Pediatrics")
    kinds = {draft_appointment(rng, s, ADULT, peds, Scheduler())["appointment_type"] for s in range(200)}
    assert "Well-Child Visit" not in kinds


def test_appointment_drafts_are_deterministic():
    assert world(77)[1:] == world(77)[1:]
    assert world(77)[2] != world(78)[2]


# --- medical records ---------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    specialty=st.sampled_from(SPECIALTY_NAMES),
    adult=st.booleans(),
    history=st.lists(st.sampled_from(CONDITION_NAMES), max_size=3),
)
def test_record_drafts_pass(seed, specialty, adult, history):
    patient = ADULT if adult else CHILD
    rng, provider, appointment = world(seed, specialty, patient)
    record = draft_medical_record(rng, 1, patient, history, provider, appointment)
    assert check_medical_record(record, patient) == []
    assert record["record_type"] == record_type_for(appointment["appointment_type"])
    assert record["record_date"] == appointment["appointment_date"]
    assert (record["patient_id"], record["provider_id"], record["appointment_id"]) == (
        patient["id"],
        provider["id"],
        appointment["id"],
    )


@pytest.mark.parametrize(
    ("kind", "patient", "record_type", "code"),
    [
        ("Annual Physical", ADULT, "physical_exam", "Z00.00"),
        ("Annual Physical", CHILD, "physical_exam", "Z00.129"),
        ("Vaccination", CHILD, "immunization", "Z23"),
    ],
)
def test_preventive_record_codes(kind, patient, record_type, code):
    appointment = {
        "id": 3,
        "patient_id": patient["id"],
        "provider_id": 1,
        "appointment_type": kind,
        "appointment_date": datetime(2026, 10, 1, 9),
    }
    record = draft_medical_record(Randomness(1, today=TODAY), 1, patient, [], {"id": 1}, appointment)
    assert (record["record_type"], record["diagnosis_code"]) == (record_type, code)


def test_progress_note_draws_from_history_or_age_fitting_acute():
    appointment = {
        "id": 3,
        "patient_id": 1,
        "provider_id": 1,
        "appointment_type": "Follow-up",
        "appointment_date": datetime(2026, 10, 1, 9),
    }
    rng = Randomness(5, today=TODAY)
    for _ in range(20):
        record = draft_medical_record(
            rng, 1, ADULT, [{"condition": "Heart Failure", "icd10_code": "I50.9"}], {"id": 1}, appointment
        )
        assert record["diagnosis_code"] == "I50.9" and record["follow_up_required"] is True
        acute = draft_medical_record(rng, 1, CHILD, [], {"id": 1}, appointment)
        condition = next(c for _, c in CONDITIONS.items() if c.icd10 == acute["diagnosis_code"])
        assert condition.fits_age(8) and not condition.chronic


def test_record_mutations_are_caught():
    appointment = {
        "id": 3,
        "patient_id": 1,
        "provider_id": 1,
        "appointment_type": "Follow-up",
        "appointment_date": datetime(2026, 10, 1, 9),
    }
    record = draft_medical_record(
        Randomness(5, today=TODAY), 1, ADULT, ["Hypertension"], {"id": 1}, appointment
    )
    assert check_medical_record(record, ADULT) == []
    cases = [
        ({"diagnosis_code": "I10.9"}, "icd10_valid"),  # not a billable code
        ({"diagnosis_code": "E11"}, "icd10_valid"),  # category, not a leaf
        ({"diagnosis_description": "High blood pressure"}, "icd10_description"),
        ({"medications": "Metformin 500 mg twice daily"}, "medications_match_condition"),
        ({"record_type": "poem"}, "record_type_valid"),
    ]
    for change, rule in cases:
        assert [v.rule for v in check_medical_record({**record, **change}, ADULT)] == [rule], rule
    well_child = draft_medical_record(
        Randomness(1, today=TODAY),
        1,
        CHILD,
        [],
        {"id": 1},
        {**appointment, "appointment_type": "Well-Child Visit"},
    )
    rules = [v.rule for v in check_medical_record(well_child, ADULT)]
    assert rules == ["diagnosis_fits_age"]
    other = {**ADULT, "id": 99}
    assert "patient_matches" in [v.rule for v in check_medical_record(record, other)]


# --- claims -------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32), status=st.sampled_from([None, "submitted", "processed", "paid", "denied"]))
def test_claim_drafts_pass(seed, status):
    rng, provider, appointment = world(seed)
    claim = draft_claim(rng, 1, ADULT, provider, appointment, status=status)
    assert check_claim(claim, appointment) == []
    assert claim["submitted_date"] > appointment["appointment_date"].date()
    if claim["status"] != "submitted":
        assert claim["processed_date"] >= claim["submitted_date"]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    extra=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2),
)
def test_payment_above_amount_is_caught(seed, extra):
    rng, provider, appointment = world(seed)
    claim = draft_claim(rng, 1, ADULT, provider, appointment, status="paid")
    claim["payment_amount"] = claim["claim_amount"] + extra
    assert [v.rule for v in check_claim(claim)] == ["payment_not_above_amount"]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), reason=st.sampled_from(DENIAL_REASONS))
def test_denial_reason_on_paid_claim_is_caught(seed, reason):
    rng, provider, appointment = world(seed)
    claim = draft_claim(rng, 1, ADULT, provider, appointment, status="paid")
    claim["denial_reason"] = reason
    assert [v.rule for v in check_claim(claim)] == ["denial_reason_iff_denied"]


def test_claim_rules():
    rng, provider, appointment = world(9)
    denied = draft_claim(rng, 1, ADULT, provider, appointment, status="denied")
    submitted = draft_claim(rng, 2, ADULT, provider, appointment, status="submitted")
    cases = [
        (denied, {"denial_reason": None}, "denial_reason_iff_denied"),
        (denied, {"payment_amount": Decimal("10.00")}, "payment_when_paid"),
        (denied, {"processed_date": None}, "processed_date_when_processed"),
        (denied, {"processed_date": denied["submitted_date"] - timedelta(days=1)}, "dates_in_order"),
        (submitted, {"processed_date": submitted["submitted_date"]}, "processed_date_when_processed"),
        (submitted, {"claim_number": "CLM-12"}, "claim_number_format"),
        (submitted, {"claim_amount": Decimal("0")}, "amount_positive"),
        (submitted, {"status": "lost"}, "status_valid"),
        (submitted, {"submitted_date": None}, "submitted_date_present"),
    ]
    for claim, change, rule in cases:
        assert [v.rule for v in check_claim({**claim, **change})] == [rule], rule
    early = {**submitted, "submitted_date": appointment["appointment_date"].date() - timedelta(days=2)}
    assert [v.rule for v in check_claim(early, appointment)] == ["submitted_after_visit"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("$350", "350.00"),
        ("350", "350.00"),
        (" $1,250.5 ", "1250.50"),
        (350, "350.00"),
        (99.999, "100.00"),
        (Decimal("12.345"), "12.35"),
        ("75 USD", "75.00"),
    ],
)
def test_parse_amount(raw, expected):
    assert parse_amount(raw) == Decimal(expected)


@pytest.mark.parametrize("raw", ["three hundred", "$", "", True, "1e400x", float("nan")])
def test_parse_amount_rejects(raw):
    with pytest.raises(FormatValidationError, match="is not a money amount"):
        parse_amount(raw)


def test_draft_claim_inputs():
    rng, provider, appointment = world(4)
    assert draft_claim(rng, 1, ADULT, provider, appointment, amount="$350")["claim_amount"] == Decimal(
        "350.00"
    )
    with pytest.raises(BusinessRuleViolation, match="must be greater than 0"):
        draft_claim(rng, 1, ADULT, provider, appointment, amount="-5")
    with pytest.raises(UnknownNameError, match="did you mean 'paid'"):
        draft_claim(rng, 1, ADULT, provider, appointment, status="payed")
    uninsured = {"id": 9, "patient_id": "PAT-9", "insurance_provider": None}
    assert not is_claimable(uninsured) and is_claimable(ADULT)
    with pytest.raises(BusinessRuleViolation, match="'PAT-9' is uninsured") as info:
        draft_claim(rng, 1, uninsured, provider, appointment)
    assert "self-pay" in info.value.recovery[0]


def test_claim_amount_follows_specialty_fee():
    rng = Randomness(1, today=TODAY)
    appointment = {"id": 1, "appointment_type": "Consultation", "appointment_date": datetime(2026, 9, 1, 9)}
    for specialty in ("Cardiology", "Dermatology"):
        fee = SPECIALTIES.get(specialty).visit_fee
        for _ in range(20):
            amount = draft_claim(rng, 1, ADULT, {"specialty": specialty}, appointment)["claim_amount"]
            assert (
                fee * Decimal("1.3") * Decimal("0.85") - 1
                <= amount
                <= fee * Decimal("1.3") * Decimal("1.2") + 1
            )


def test_future_visits_leave_claims_submitted():
    rng = Randomness(1, today=TODAY)
    appointment = {"id": 1, "appointment_type": "Follow-up", "appointment_date": datetime(2027, 1, 5, 9)}
    statuses = {
        draft_claim(rng, 1, ADULT, {"specialty": "Neurology"}, appointment)["status"] for _ in range(30)
    }
    assert statuses == {"submitted"}


def test_advance_claim_walks_the_status_machine():
    from healthcare_data.rows.claims import advance_claim

    rng, provider, appointment = world(6)
    claim = draft_claim(rng, 1, ADULT, provider, appointment, status="submitted")
    processed = advance_claim(rng, claim, "processed")
    assert processed["processed_date"] >= processed["submitted_date"]
    for final in ("paid", "denied"):
        done = advance_claim(rng, processed, final)
        assert done["status"] == final and check_claim(done, appointment) == []
    assert claim["status"] == "submitted"  # a copy
    with pytest.raises(BusinessRuleViolation, match="'submitted' claim cannot become 'paid'") as info:
        advance_claim(rng, claim, "paid")
    assert "next allowed: processed" in info.value.recovery[0]
    with pytest.raises(BusinessRuleViolation, match="final state"):
        advance_claim(rng, advance_claim(rng, processed, "paid"), "denied")
    with pytest.raises(UnknownNameError, match="did you mean 'denied'"):
        advance_claim(rng, processed, "denyed")
