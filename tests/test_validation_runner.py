"""The whole-database validators: a generated dataset passes, each planted fault is caught.

The dataset is drafted with the library's own row functions (the same the bulk engine
uses) and inserted through Core; faults are planted by editing a copy of the rows.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from sqlalchemy import Connection

from healthcare_data.db import Database
from healthcare_data.errors import (
    BusinessRuleViolation,
    SchedulingConflictError,
    UnknownNameError,
)
from healthcare_data.personas import PERSONAS
from healthcare_data.randomness import Randomness
from healthcare_data.schema import Base
from healthcare_data.validation import (
    VALIDATORS,
    DatabaseValidator,
    ValidationReport,
    run_all,
    run_validation,
    runner,
    validate_records,
)

TODAY = date(2026, 11, 22)
Rows = dict[str, list[dict[str, Any]]]


@cache
def _dataset() -> Rows:
    """60 patients of every persona, 12 providers, 150 visits, records and claims."""
    from healthcare_data.rows.appointments import draft_appointment
    from healthcare_data.rows.claims import draft_claim, is_claimable
    from healthcare_data.rows.patients import draft_patient
    from healthcare_data.rows.providers import draft_provider
    from healthcare_data.rows.records import draft_medical_record
    from healthcare_data.scheduling import Scheduler

    rng = Randomness(4242, today=TODAY)
    names = PERSONAS.names()
    drafts = [draft_patient(rng, i, names[(i - 1) % len(names)]) for i in range(1, 61)]
    specialties = ("Internal Medicine", "Family Medicine", "Pediatrics", "Cardiology", "Emergency Medicine")
    providers = [
        draft_provider(rng, j, specialty=specialties[(j - 1) % len(specialties)]) for j in range(1, 13)
    ]
    scheduler = Scheduler()
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    appointments: list[dict[str, Any]] = []
    window = TODAY - timedelta(days=90)
    while len(appointments) < 150:
        draft = rng.choice(drafts)
        fitting = [p for p in providers if p["specialty"] in draft.persona.typical_specialties]
        if not fitting:
            continue
        provider = rng.choice(fitting)
        try:
            row = draft_appointment(
                rng,
                len(appointments) + 1,
                draft.patient,
                provider,
                scheduler,
                window_start=window,
                window_days=120,
            )
        except (SchedulingConflictError, BusinessRuleViolation):
            continue
        start = row["appointment_date"]
        end = start + timedelta(minutes=row["duration_minutes"])
        taken = busy.setdefault(draft.patient["id"], [])
        if start.date() < draft.patient["date_of_birth"] or any(s < end and start < e for s, e in taken):
            scheduler.release(provider["id"], start, row["duration_minutes"])
            continue
        taken.append((start, end))
        appointments.append(row)
    by_patient = {d.patient["id"]: d for d in drafts}
    by_provider = {p["id"]: p for p in providers}
    records: list[dict[str, Any]] = []
    claims: list[dict[str, Any]] = []
    for visit in (a for a in appointments if a["status"] == "completed"):
        draft, provider = by_patient[visit["patient_id"]], by_provider[visit["provider_id"]]
        records.append(
            draft_medical_record(rng, len(records) + 1, draft.patient, draft.conditions, provider, visit)
        )
        if is_claimable(draft.patient):
            claims.append(draft_claim(rng, len(claims) + 1, draft.patient, provider, visit))
    return {
        "patients": [d.patient for d in drafts],
        "patient_conditions": [c for d in drafts for c in d.conditions],
        "patient_profiles": [d.profile for d in drafts],
        "providers": providers,
        "appointments": appointments,
        "medical_records": records,
        "insurance_claims": claims,
    }


@pytest.fixture
def rows() -> Rows:
    """A private copy of the generated dataset, free to plant faults in."""
    return copy.deepcopy(_dataset())


def store(db: Database, rows: Rows, conn: Connection | None = None) -> None:
    def write(target: Connection) -> None:
        for table in Base.metadata.sorted_tables:
            if rows.get(table.name):
                target.execute(table.insert(), rows[table.name])

    if conn is not None:
        write(conn)
        return
    with db.transaction() as target:
        write(target)


@contextmanager
def foreign_keys_off(db: Database) -> Iterator[Connection]:
    """A committed transaction with foreign-key checks off, to plant orphans."""
    with db.engine.connect() as conn:
        if db.backend == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
            try:
                with conn.begin():
                    yield conn
            finally:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()
        else:
            with conn.begin():
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
                yield conn


def rules(report: ValidationReport) -> set[tuple[str, object, str]]:
    return {(v.entity, v.key, v.rule) for v in report.violations}


# --- the registry ----------------------------------------------------------------------


def test_the_registry_holds_the_five_validation_types_of_the_feature() -> None:
    assert VALIDATORS.names() == [
        "format_validation",
        "business_rules",
        "compliance_check",
        "data_quality",
        "referential_integrity",
    ]
    table = {name: (v.scope, v.compliance_standard) for name, v in VALIDATORS.items()}
    assert table == {
        "format_validation": ("all_entities", "internal_standards"),
        "business_rules": ("all_relationships", "healthcare_workflow"),
        "compliance_check": ("patient_data", "hipaa_requirements"),
        "data_quality": ("demographic_distributions", "statistical_realism"),
        "referential_integrity": ("cross_entity_references", "database_constraints"),
    }
    assert all(isinstance(v, DatabaseValidator) and v.description for _, v in VALIDATORS.items())


def test_an_unknown_validation_type_names_the_known_ones(sqlite_db: Database) -> None:
    with pytest.raises(UnknownNameError) as caught:
        run_validation(sqlite_db, "referential_integrty")
    assert "did you mean 'referential_integrity'?" in str(caught.value)
    assert "compliance_check" in str(caught.value)


def test_a_source_that_is_not_a_database_is_rejected() -> None:
    with pytest.raises(TypeError, match="expected a Database, Engine or Connection, got str"):
        run_validation("sqlite://", "format_validation", TODAY)


# --- a clean dataset -------------------------------------------------------------------


def test_a_generated_dataset_passes_every_validator(db: Database, rows: Rows) -> None:
    store(db, rows)
    reports = run_all(db, TODAY)
    assert list(reports) == VALIDATORS.names()
    for name, report in reports.items():
        assert report.ok, report.summary() + "\n" + "\n".join(map(str, report.rows(10)))
        assert report.name == name and report.seconds > 0
    main = sum(len(rows[t]) for t in rows)
    assert reports["format_validation"].checked == main
    assert reports["compliance_check"].checked == len(rows["patients"]) + len(rows["providers"])
    assert reports["data_quality"].checked == len(rows["patients"])
    assert reports["referential_integrity"].checked == main


def test_run_all_scans_the_rows_once(
    sqlite_db: Database, rows: Rows, monkeypatch: pytest.MonkeyPatch
) -> None:
    store(sqlite_db, rows)
    calls = []
    original = runner.scan_rows

    def counting(*args: Any, **kwargs: Any) -> runner.RowFindings:
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(runner, "scan_rows", counting)
    run_all(sqlite_db, TODAY)
    assert len(calls) == 1


def test_validators_accept_a_database_an_engine_or_a_connection(sqlite_db: Database, rows: Rows) -> None:
    store(sqlite_db, rows)
    assert run_validation(sqlite_db, "referential_integrity", TODAY).ok
    assert run_validation(sqlite_db.engine, "compliance_check", TODAY).ok
    with sqlite_db.engine.connect() as conn:
        assert VALIDATORS.get("format_validation").run(conn, TODAY).ok


def test_pages_smaller_than_the_data_see_every_row(
    sqlite_db: Database, rows: Rows, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows["patients"][-1]["email"] = "last.patient@gmail.com"
    store(sqlite_db, rows)
    monkeypatch.setattr(runner, "CHUNK_SIZE", 7)
    with sqlite_db.engine.connect() as conn:
        pages = list(runner.stream(conn, Base.metadata.tables["patients"], 7))
        findings = runner.scan_rows(conn, TODAY)
    assert sum(len(p) for p in pages) == len(rows["patients"])
    assert findings.checked["patients"] == len(rows["patients"])
    assert findings.checked["patient_conditions"] == len(rows["patient_conditions"])
    assert rows["patients"][-1]["patient_id"] in {v.key for v in findings.of("hipaa")}


# --- planted faults --------------------------------------------------------------------


def test_unsafe_contact_data_fails_the_compliance_check(db: Database, rows: Rows) -> None:
    patient, provider = rows["patients"][3], rows["providers"][2]
    patient["email"] = "jane.doe@gmail.com"
    patient["emergency_contact_phone"] = "(312) 867-5309"
    provider["phone"] = "(212) 555-1234"  # a 555 number outside the fictional 0100-0199 block
    store(db, rows)
    report = run_validation(db, "compliance_check", TODAY)
    fields = {(v.entity, v.key, v.field) for v in report.violations}
    assert fields == {
        ("patients", patient["patient_id"], "email"),
        ("patients", patient["patient_id"], "emergency_contact_phone"),
        ("providers", provider["npi_number"], "phone"),
    }
    assert all(v.category == "hipaa" for v in report.violations)
    email = next(v for v in report.violations if v.field == "email")
    assert "gmail.com" in email.message and "example.com" in email.recovery


def test_a_malformed_npi_fails_format_validation_only(db: Database, rows: Rows) -> None:
    provider = rows["providers"][0]
    good = provider["npi_number"]
    provider["npi_number"] = good[:9] + str((int(good[9]) + 1) % 10)  # wrong check digit
    store(db, rows)
    reports = run_all(db, TODAY)
    assert ("providers", provider["npi_number"], "npi_check_digit") in rules(reports["format_validation"])
    assert all(v.category == "format" for v in reports["format_validation"].violations)
    assert reports["compliance_check"].ok and reports["referential_integrity"].ok


def test_a_double_booking_fails_business_rules(db: Database, rows: Rows) -> None:
    first = rows["appointments"][0]
    others = [a for a in rows["appointments"] if a["provider_id"] != first["provider_id"]]
    moved = next(a for a in others if a["patient_id"] != first["patient_id"])
    moved["provider_id"] = first["provider_id"]
    moved["appointment_date"] = first["appointment_date"] + timedelta(minutes=5)
    moved["appointment_type"] = first["appointment_type"]
    moved["duration_minutes"] = first["duration_minutes"]
    # Its record and claim follow it, so only the double booking is wrong.
    for table in ("medical_records", "insurance_claims"):
        for row in rows[table]:
            if row["appointment_id"] == moved["id"]:
                row["provider_id"] = first["provider_id"]
                if table == "medical_records":
                    row["record_date"] = moved["appointment_date"]
                else:
                    row["submitted_date"] = max(row["submitted_date"], moved["appointment_date"].date())
    store(db, rows)
    report = run_validation(db, "business_rules", TODAY)
    assert ("appointments", moved["id"], "provider_double_booked") in rules(report)


def test_a_claim_for_another_patients_visit_fails_business_and_integrity(db: Database, rows: Rows) -> None:
    claim = rows["insurance_claims"][0]
    other = next(p for p in rows["patients"] if p["id"] != claim["patient_id"])
    claim["patient_id"] = other["id"]
    store(db, rows)
    reports = run_all(db, TODAY, names=["business_rules", "referential_integrity"])
    expected = ("insurance_claims", claim["claim_number"], "appointment_patient_mismatch")
    assert expected in rules(reports["business_rules"])
    assert expected in rules(reports["referential_integrity"])


def test_orphans_and_duplicate_policies_fail_referential_integrity(db: Database, rows: Rows) -> None:
    insured = [p for p in rows["patients"] if p["insurance_policy_number"]]
    insured[1]["insurance_policy_number"] = insured[0]["insurance_policy_number"]
    store(db, rows)
    with foreign_keys_off(db) as conn:
        conn.execute(Base.metadata.tables["patient_conditions"].delete())  # keep the test about orphans
        conn.execute(
            Base.metadata.tables["patient_conditions"].insert(),
            {"id": 9999, "patient_id": 4040, "condition": "Hypertension", "icd10_code": "I10"},
        )
    report = run_validation(db, "referential_integrity", TODAY)
    assert rules(report) == {
        ("patient_conditions", 9999, "orphan_foreign_key"),
        ("patients", insured[0]["insurance_policy_number"], "duplicate_identifier"),
    }


def test_wrong_demographics_fail_data_quality(db: Database, rows: Rows) -> None:
    elderly = [
        p
        for p, profile in zip(rows["patients"], rows["patient_profiles"], strict=True)
        if profile["persona"] == "elderly_patient"
    ]
    elderly[0]["date_of_birth"] = date(2000, 1, 1)
    for patient in elderly:
        patient["gender"] = "male"
    store(db, rows)
    report = run_validation(db, "data_quality", TODAY)
    assert ("patients", elderly[0]["patient_id"], "persona_age_range") in rules(report)
    assert ("patients", "persona:elderly_patient", "gender_distribution") in rules(report)
    assert report.checked == len(rows["patients"])


# --- in-memory batches ------------------------------------------------------------------


def test_validate_records_checks_a_batch_before_it_is_written(rows: Rows) -> None:
    clean = validate_records(today=TODAY, **rows)
    assert clean.ok, clean.summary()
    assert clean.checked == sum(len(v) for v in rows.values())
    rows["patients"][0]["email"] = "someone@yahoo.com"
    rows["providers"][0]["npi_number"] = "123"
    report = validate_records(today=TODAY, **rows)
    assert {(v.entity, v.field, v.category) for v in report.violations} >= {
        ("patients", "email", "hipaa"),
        ("providers", "npi_number", "format"),
    }
    hipaa_only = validate_records(today=TODAY, categories=("hipaa",), **rows)
    assert {v.category for v in hipaa_only.violations} == {"hipaa"}
    # The same field flagged by the row validator and the contact check is reported once.
    assert len([v for v in hipaa_only.violations if v.field == "email"]) == 1


def test_appointments_of_a_batch_find_providers_written_earlier(rows: Rows) -> None:
    known = {p["id"]: p for p in rows["providers"]}
    report = validate_records(today=TODAY, appointments=rows["appointments"], known_providers=known)
    assert report.ok and report.checked == len(rows["appointments"])


@pytest.mark.parametrize(
    ("entity", "row", "field"),
    [
        ("patients", {"patient_id": "PAT-1", "ssn": "666-12-3456"}, "ssn"),
        ("patients", {"patient_id": "PAT-1", "ssn": "123-00-4567"}, "ssn"),
        ("patients", {"patient_id": "PAT-1", "email": "a@Gmail.COM"}, "email"),
        ("patients", {"patient_id": "PAT-1", "phone": "555-1234"}, "phone"),
        ("providers", {"npi_number": "1", "email": "dr@hospital.org"}, "email"),
    ],
)
def test_contact_safety_flags_real_looking_data(entity: str, row: dict[str, Any], field: str) -> None:
    found = runner.check_contact_safety(entity, row)
    assert [(v.field, v.category) for v in found] == [(field, "hipaa")]


@pytest.mark.parametrize(
    "row",
    [
        {"ssn": "123-45-6789", "email": "a.b1@example.org", "phone": "(212) 555-0142"},
        {"email": "x@clinic.test", "emergency_contact_phone": "555-0100"},
        {"email": "x@nowhere.invalid", "ssn": None, "phone": None},
    ],
)
def test_contact_safety_accepts_reserved_data(row: dict[str, Any]) -> None:
    assert runner.check_contact_safety("patients", {"patient_id": "PAT-00000001", **row}) == []
