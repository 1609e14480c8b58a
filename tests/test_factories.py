"""Factories on both backends: build vs create, traits, transactions, uniqueness, workflow."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select

from healthcare_data import fakes
from healthcare_data.db import Database
from healthcare_data.errors import (
    BusinessRuleViolation,
    ConfigurationError,
    HealthcareDataError,
    SchedulingConflictError,
    UniquenessViolation,
    UnknownNameError,
)
from healthcare_data.factories import (
    AppointmentFactory,
    ClaimFactory,
    MedicalRecordFactory,
    ProviderFactory,
    Trait,
    schedule_appointment,
)
from healthcare_data.factories.base import as_row
from healthcare_data.randomness import Randomness
from healthcare_data.reference import SPECIALTIES
from healthcare_data.rows.providers import practice_type_of
from healthcare_data.schema import Appointment, Patient, PatientCondition, Provider
from healthcare_data.validation.appointments import check_appointment
from healthcare_data.validation.claims import check_claim
from healthcare_data.validation.records import check_medical_record

TODAY = date(2026, 11, 22)


def add_patient(
    db: Database, pid: int, born: date = date(1990, 5, 1), insurance: str | None = "Aetna", conditions=()
) -> dict:
    row = {
        "id": pid,
        "uuid": f"00000000-0000-4000-8000-{pid:012d}",
        "patient_id": f"PAT-{pid:08d}",
        "first_name": "Test",
        "last_name": "Patient",
        "date_of_birth": born,
        "gender": "female",
        "insurance_provider": insurance,
        "insurance_policy_number": None,
    }
    with db.transaction() as conn:
        conn.execute(insert(Patient.__table__), [row])
        for name in conditions:
            from healthcare_data.reference import CONDITIONS

            c = CONDITIONS.get(name)
            conn.execute(
                insert(PatientCondition.__table__),
                [{"patient_id": pid, "condition": name, "icd10_code": c.icd10, "chronic": c.chronic}],
            )
    return row


def rng() -> Randomness:
    return Randomness(42, today=TODAY)


# --- ProviderFactory ---------------------------------------------------------------------


def test_build_returns_a_dict_without_database():
    factory = ProviderFactory(rng=rng())
    first, second = factory.build(), factory.build("specialist")
    assert isinstance(first, dict) and (first["id"], second["id"]) == (1, 2)
    assert not SPECIALTIES.get(second["specialty"]).primary_care
    assert factory.build(specialty="Neurology", id=99)["id"] == 99
    assert len(factory.build_batch(3, "primary_care")) == 3


def test_trait_objects_and_comma_strings_are_one_mechanism():
    factory = ProviderFactory(rng=rng())
    row = factory.build("specialist,hospital_based", specialty="Cardiology")
    assert practice_type_of(row) == "Hospital"
    custom = Trait("inactive", "retired from practice", overrides={"status": "inactive"})
    assert factory.build(custom)["status"] == "inactive"
    assert factory.build(custom, status="active")["status"] == "active"  # explicit wins


def test_create_needs_a_database():
    with pytest.raises(ConfigurationError, match="needs a database"):
        ProviderFactory(rng=1).create()


def test_create_persists_and_returns_detached_provider(db):
    factory = ProviderFactory(db, rng())
    provider = factory.create("primary_care", specialty="Internal Medicine", practice_type="Medical Center")
    assert isinstance(provider, Provider)
    assert provider.id == 1 and provider.created_at is not None
    assert provider.npi_number == factory.build(id=1)["npi_number"]
    with db.session() as session:
        stored = session.get(Provider, 1)
        assert stored.practice_name == provider.practice_name
        assert practice_type_of(stored) == "Medical Center"
    assert factory.create().id == 2


@pytest.mark.parametrize(
    ("specialty", "count", "traits", "practice_type"),
    [
        ("Internal Medicine", 3, "primary_care", "Medical Center"),
        ("Cardiology", 2, "specialist,hospital_based", "Hospital"),
        ("Pediatrics", 2, "primary_care", "Clinic"),
        ("Emergency Medicine", 1, "hospital_based", "Hospital"),
        ("Telemedicine", 2, "telemedicine", "Virtual Practice"),
    ],
)
def test_feature_provider_table(db, specialty, count, traits, practice_type):
    factory = ProviderFactory(db, rng())
    created = factory.create_batch(count, traits, specialty=specialty, practice_type=practice_type)
    assert [p.id for p in created] == list(range(1, count + 1))
    with db.session() as session:
        rows = session.scalars(select(Provider)).all()
        assert len(rows) == count
        for row in rows:
            assert row.specialty == specialty and practice_type_of(row) == practice_type
            assert factory.validate_business_rules(row) == []


def test_helpers(db):
    factory = ProviderFactory(db, rng())
    assert factory.create_with_specialty("Cardiology", "hospital_based").specialty == "Cardiology"
    assert SPECIALTIES.get(factory.create_primary_care().specialty).primary_care
    assert factory.create_specialist("Dermatology").specialty == "Dermatology"
    assert not SPECIALTIES.get(factory.create_specialist().specialty).primary_care
    with pytest.raises(BusinessRuleViolation, match="'Pediatrics' is incompatible with trait 'specialist'"):
        factory.create_specialist("Pediatrics")
    with pytest.raises(UnknownNameError, match="did you mean 'telemedicine'"):
        factory.create("telemedicin")
    assert db.counts()["providers"] == 4


def test_duplicate_npi_is_a_uniqueness_violation_and_nothing_is_written(db):
    factory = ProviderFactory(db, rng())
    first = factory.create()
    before = db.counts()
    with pytest.raises(UniquenessViolation) as info:
        factory.create(npi_number=first.npi_number)
    error = info.value
    assert (error.entity, error.field, error.value) == ("providers", "npi_number", first.npi_number)
    assert any("generate a new NPI" in r for r in error.recovery)
    assert db.counts() == before
    assert factory.create().id == 2  # the system is still usable


def test_failed_batch_writes_nothing(db):
    factory = ProviderFactory(db, rng())
    existing = factory.create(state="CA")
    with pytest.raises(UniquenessViolation) as info:
        factory.create_batch(3, state="CA", license_number=existing.license_number)
    assert info.value.field == "license_number"
    assert db.counts()["providers"] == 1


def test_create_refuses_invalid_rows(db):
    factory = ProviderFactory(db, rng())
    with pytest.raises(BusinessRuleViolation) as info:
        factory.create(specialty="Dermatology", practice_type="Hospital")
    assert info.value.report.violations[0].rule == "practice_type_for_specialty"
    with pytest.raises(BusinessRuleViolation, match="email"):
        factory.create(email="doc@gmail.com")
    assert db.counts()["providers"] == 0


def test_validate_business_rules_checks_npi_uniqueness_in_database(db):
    factory = ProviderFactory(db, rng())
    stored = factory.create()
    twin = factory.build(npi_number=stored.npi_number)
    twin["id"] = 50
    rules = [v.rule for v in factory.validate_business_rules(twin)]
    assert rules == ["npi_unique"]
    assert factory.validate_business_rules(stored) == []  # itself is no duplicate
    broken = dict(
        twin,
        npi_number=twin["npi_number"][:9] + "0"
        if twin["npi_number"][9] != "0"
        else twin["npi_number"][:9] + "1",
        email="x@@",
        phone="12",
    )
    rules = {v.rule for v in ProviderFactory(rng=1).validate_business_rules(broken)}
    assert {"npi_check_digit", "email_format", "phone_format"} <= rules


def test_sanitize_for_compliance():
    factory = ProviderFactory(rng=rng())
    row = factory.build(id=7)
    unsafe = dict(row, phone="(312) 867-5309", email="jane.doe@gmail.com", npi_number="1234567890", ssn="x")
    clean = factory.sanitize_for_compliance(unsafe)
    assert "ssn" not in clean
    assert clean["phone"] == "(312) 555-0107" and fakes.is_safe_phone(clean["phone"])
    assert fakes.is_safe_email(clean["email"]) and clean["email"].endswith("@example.org")
    assert clean["npi_number"] != "1234567890"
    assert factory.sanitize_for_compliance(row) == row  # already safe: unchanged
    assert unsafe["phone"] == "(312) 867-5309"  # a copy, input untouched


# --- Appointments ------------------------------------------------------------------------


def test_schedule_appointment_and_double_booking(db):
    add_patient(db, 1)
    add_patient(db, 2)
    provider = ProviderFactory(db, rng()).create_with_specialty("Cardiology")
    slot = datetime(2026, 11, 24, 10, 0)
    first = schedule_appointment(
        db,
        {"id": 1, "date_of_birth": date(1990, 5, 1)},
        provider,
        "Consultation",
        appointment_date=slot,
        rng=rng(),
    )
    assert isinstance(first, Appointment) and first.id == 1 and first.duration_minutes == 60
    before = db.counts()
    with pytest.raises(SchedulingConflictError) as info:
        schedule_appointment(
            db, {"id": 2}, provider, "Follow-up", appointment_date=slot + timedelta(minutes=30), rng=rng()
        )
    assert info.value.alternatives[0] == datetime(2026, 11, 24, 11, 0)
    assert "book Tue 2026-11-24 11:00 instead" in str(info.value)
    assert db.counts() == before
    with pytest.raises(BusinessRuleViolation) as info:
        schedule_appointment(db, {"id": 2}, provider, "Vaccination", rng=rng())
    assert "Pediatrics" in " ".join(info.value.recovery)
    assert db.counts() == before


def test_feature_appointment_table(db):
    elderly = add_patient(db, 1, date(1950, 1, 1), "Medicare")
    young = add_patient(db, 2, date(1994, 1, 1))
    child = add_patient(db, 3, date(2017, 6, 1), "CHIP")
    chronic = add_patient(db, 4, date(1970, 1, 1))
    providers = ProviderFactory(db, rng())
    internal = providers.create_with_specialty("Internal Medicine", "primary_care")
    cardio = providers.create_with_specialty("Cardiology", "specialist,hospital_based")
    peds = providers.create_with_specialty("Pediatrics", "primary_care")
    factory = AppointmentFactory(db, rng())
    cases = [
        (elderly, internal, "Annual Physical", ["morning_preferred", "routine"]),
        (young, cardio, "Consultation", ["evening_available", "urgent"]),
        (child, peds, "Vaccination", ["school_hours_avoided", "routine"]),
        (chronic, internal, "Follow-up", ["regular_interval", "telemedicine"]),
    ]
    from healthcare_data.scheduling import CONSTRAINTS

    for patient, provider, kind, constraints in cases:
        made = factory.create(*constraints, patient=patient, provider=provider, appointment_type=kind)
        with db.session() as session:
            stored = session.get(Appointment, made.id)
            assert check_appointment(stored, provider) == []
            for name in constraints:
                assert CONSTRAINTS.get(name).check(stored, TODAY), (name, stored.appointment_date)
    assert db.counts()["appointments"] == 4


def test_appointment_build_uses_in_memory_calendar():
    factory = AppointmentFactory(rng=rng())
    provider = ProviderFactory(rng=rng()).build(specialty="Pediatrics", id=1)
    patient = {"id": 1, "date_of_birth": date(2019, 1, 1)}
    rows = factory.build_batch(50, patient=patient, provider=provider)
    spans = sorted((r["appointment_date"], r["duration_minutes"]) for r in rows)
    for (start, minutes), (after, _) in zip(spans, spans[1:], strict=False):
        assert start + timedelta(minutes=minutes) <= after
    with pytest.raises(ConfigurationError, match="patient= and provider="):
        factory.build(patient=patient)


# --- Workflow: records and claims -------------------------------------------------------


def test_complete_workflow(db):
    patient = add_patient(db, 1, date(1992, 3, 3), "Blue Cross Blue Shield", ["Anxiety"])
    provider = ProviderFactory(db, rng()).create("primary_care", specialty="Internal Medicine")
    appointment = AppointmentFactory(db, rng()).create(
        patient=patient,
        provider=provider,
        appointment_type="Annual Physical",
        window_start=date(2026, 9, 1),
        window_days=30,
    )
    assert appointment.status == "completed"
    record = MedicalRecordFactory(db, rng()).create(appointment=appointment)
    assert (record.patient_id, record.provider_id, record.appointment_id) == (1, provider.id, appointment.id)
    assert record.record_type == "physical_exam" and record.diagnosis_code == "Z00.00"
    assert record.record_date == appointment.appointment_date
    claim = ClaimFactory(db, rng()).create("paid", appointment=appointment, amount="$350")
    assert claim.claim_amount == Decimal("350.00")
    assert claim.status == "paid" and Decimal("0") < claim.payment_amount <= claim.claim_amount
    assert claim.submitted_date > appointment.appointment_date.date()
    with db.session() as session:
        assert check_claim(session.get(type(claim), claim.id), appointment) == []
        assert check_medical_record(session.get(type(record), record.id), patient) == []
    assert db.counts()["insurance_claims"] == 1


def test_progress_note_uses_the_patients_conditions(db):
    patient = add_patient(db, 1, date(1960, 3, 3), "Medicare", ["Hypertension"])
    provider = ProviderFactory(db, rng()).create_with_specialty("Cardiology")
    appointment = AppointmentFactory(db, rng()).create(
        patient=patient, provider=provider, appointment_type="Follow-up"
    )
    record = MedicalRecordFactory(db, rng()).create("follow_up", appointment=appointment)
    assert record.diagnosis_code == "I10" and record.follow_up_required is True


def test_claim_for_uninsured_patient_is_refused(db):
    patient = add_patient(db, 1, insurance=None)
    provider = ProviderFactory(db, rng()).create()
    appointment = AppointmentFactory(db, rng()).create(patient=patient, provider=provider)
    with pytest.raises(BusinessRuleViolation, match="uninsured"):
        ClaimFactory(db, rng()).create(appointment=appointment)
    assert db.counts()["insurance_claims"] == 0


@pytest.mark.parametrize("status", ["submitted", "processed", "paid", "denied"])
def test_claim_traits_follow_the_status_machine(status):
    appointment = {
        "id": 1,
        "patient_id": 1,
        "provider_id": 1,
        "appointment_type": "Follow-up",
        "appointment_date": datetime(2026, 10, 5, 9, 0),
    }
    claim = ClaimFactory(rng=rng()).build(
        status, appointment=appointment, patient={"id": 1, "insurance_provider": "Medicaid"}
    )
    assert claim["status"] == status
    assert check_claim(claim, appointment) == []
    assert (claim["denial_reason"] is not None) == (status == "denied")
    assert (claim["payment_amount"] is not None) == (status == "paid")


def test_factories_are_deterministic():
    assert ProviderFactory(rng=rng()).build_batch(5) == ProviderFactory(rng=rng()).build_batch(5)


def test_next_ids_follow_existing_rows(db):
    with db.transaction() as conn:
        assert db.next_id(conn, "providers") == 1
    ProviderFactory(db, rng()).create_batch(3)
    with db.transaction() as conn:
        assert conn.execute(select(func.max(Provider.id))).scalar_one() == 3


def test_created_rows_equal_built_rows_for_the_same_seed(db):
    created = ProviderFactory(db, rng()).create_batch(3, "specialist")
    built = ProviderFactory(rng=rng()).build_batch(3, "specialist")
    with db.session() as session:
        stored = [session.get(Provider, p.id) for p in created]
        for row, expected in zip(stored, built, strict=True):
            assert {k: getattr(row, k) for k in expected} == expected


def test_foreign_key_failure_is_reported_and_rolled_back(db):
    provider = ProviderFactory(db, rng()).create()
    with pytest.raises(HealthcareDataError, match="check foreign keys"):
        AppointmentFactory(db, rng()).create(patient={"id": 999}, provider=provider)
    assert db.counts()["appointments"] == 0


def test_as_row_rejects_other_objects():
    with pytest.raises(TypeError, match="expected a dict, Row or ORM object, got int"):
        as_row(5)


def test_patient_cannot_be_double_booked_across_providers(db):
    add_patient(db, 1)
    providers = ProviderFactory(db, rng())
    first, second = providers.create_with_specialty("Neurology"), providers.create_with_specialty("Neurology")
    slot = datetime(2026, 11, 25, 9, 0)
    schedule_appointment(db, {"id": 1}, first, "Follow-up", appointment_date=slot, rng=rng())
    with pytest.raises(SchedulingConflictError, match="Patient 1 already has an appointment") as info:
        schedule_appointment(db, {"id": 1}, second, "Follow-up", appointment_date=slot, rng=rng())
    assert info.value.alternatives[0] == datetime(2026, 11, 25, 9, 30)  # 09:00-09:20 taken -> 09:30
    factory = AppointmentFactory(db, rng())
    for _ in range(8):  # drawn slots avoid the patient's other bookings
        factory.create(
            patient={"id": 1},
            provider=second,
            appointment_type="Follow-up",
            window_start=date(2026, 11, 25),
            window_days=1,
        )
    with db.transaction() as conn:
        rows = conn.execute(select(Appointment.appointment_date, Appointment.duration_minutes)).all()
    spans = sorted((start, start + timedelta(minutes=minutes)) for start, minutes in rows)
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert end <= start
