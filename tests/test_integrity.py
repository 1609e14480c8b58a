"""Whole-database integrity checks on SQLite and PostgreSQL.

Rows are inserted directly through Core (plain dicts), so these tests depend on the
schema only. Broken data the database would refuse is planted with its checks off:
foreign keys disabled for the planting connection, UNIQUE constraints dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, MetaData, UniqueConstraint, create_engine, inspect

from healthcare_data import identifiers
from healthcare_data.db import Database
from healthcare_data.reference import PAYERS
from healthcare_data.schema import Base
from healthcare_data.validation.integrity import (
    find_cross_reference_mismatches,
    find_double_bookings,
    find_duplicate_identifiers,
    find_orphans,
    find_patient_double_bookings,
    identifier_columns,
)

T = Base.metadata.tables
MONDAY = datetime(2026, 11, 23, 9, 0)


# --- plain-dict rows -----------------------------------------------------------------


def patient_row(n: int, **overrides: Any) -> dict[str, Any]:
    payer = PAYERS.get("Aetna")
    row = {
        "id": n,
        "uuid": f"00000000-0000-4000-8000-{n:012d}",
        "patient_id": identifiers.patient_id(n),
        "first_name": "Ada",
        "last_name": f"Test{n}",
        "date_of_birth": date(1990, 1, 1) + timedelta(days=n),
        "gender": "female" if n % 2 else "male",
        "ssn": identifiers.ssn(n),
        "phone": f"(212) 555-01{n % 100:02d}",
        "email": f"ada.test{n}@example.com",
        "address_street": "1 Main St",
        "address_city": "New York",
        "address_state": "NY",
        "address_zip": "10001",
        "emergency_contact_name": "Bob Test",
        "emergency_contact_phone": "(212) 555-0199",
        "insurance_provider": payer.name,
        "insurance_policy_number": identifiers.policy_number(n, payer),
    }
    row.update(overrides)
    return row


def provider_row(n: int, **overrides: Any) -> dict[str, Any]:
    row = {
        "id": n,
        "uuid": f"00000000-0000-4000-9000-{n:012d}",
        "npi_number": identifiers.npi(n),
        "first_name": "Grace",
        "last_name": f"Doc{n}",
        "specialty": "Internal Medicine",
        "license_number": identifiers.license_number(n, "NY"),
        "phone": f"(212) 555-01{n % 100:02d}",
        "email": f"grace.doc{n}@example.org",
        "practice_name": "Test Clinic",
    }
    row.update(overrides)
    return row


def appointment_row(
    n: int, patient: int, provider: int, at: datetime, minutes: int = 30, **overrides: Any
) -> dict[str, Any]:
    row = {
        "id": n,
        "uuid": f"00000000-0000-4000-a000-{n:012d}",
        "patient_id": patient,
        "provider_id": provider,
        "appointment_date": at,
        "duration_minutes": minutes,
        "appointment_type": "Follow-up",
        "status": "completed",
    }
    row.update(overrides)
    return row


def record_row(n: int, appointment: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    row = {
        "id": n,
        "uuid": f"00000000-0000-4000-b000-{n:012d}",
        "patient_id": appointment["patient_id"],
        "provider_id": appointment["provider_id"],
        "appointment_id": appointment["id"],
        "record_type": "progress_note",
        "diagnosis_code": "I10",
        "record_date": appointment["appointment_date"] + timedelta(minutes=40),
    }
    row.update(overrides)
    return row


def claim_row(n: int, appointment: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    row = {
        "id": n,
        "uuid": f"00000000-0000-4000-c000-{n:012d}",
        "claim_number": identifiers.claim_number(n),
        "patient_id": appointment["patient_id"],
        "provider_id": appointment["provider_id"],
        "appointment_id": appointment["id"],
        "claim_amount": Decimal("180.00"),
        "submitted_date": appointment["appointment_date"].date() + timedelta(days=2),
        "status": "submitted",
    }
    row.update(overrides)
    return row


def clean_rows() -> dict[str, list[dict[str, Any]]]:
    """Three providers, six patients, back-to-back visits, records and claims that agree."""
    patients = [patient_row(n) for n in range(1, 7)]
    providers = [provider_row(n) for n in range(1, 4)]
    appointments = []
    serial = 0
    for provider in (1, 2, 3):
        at = MONDAY
        for slot in range(4):
            serial += 1
            minutes = (30, 20, 45, 60)[slot]
            patient = (serial % 6) + 1
            appointments.append(appointment_row(serial, patient, provider, at, minutes))
            at += timedelta(minutes=minutes)  # back-to-back: touching, not overlapping
    # A cancelled booking in a taken slot does not double-book the provider.
    serial += 1
    appointments.append(appointment_row(serial, 1, 1, MONDAY, 30, status="cancelled"))
    # The same time with another provider is fine.
    records = [record_row(i, a) for i, a in enumerate(appointments[:6], start=1)]
    claims = [claim_row(i, a) for i, a in enumerate(appointments[:6], start=1)]
    return {
        "patients": patients,
        "providers": providers,
        "appointments": appointments,
        "medical_records": records,
        "insurance_claims": claims,
    }


def insert(conn: Connection, rows: dict[str, list[dict[str, Any]]]) -> None:
    for table in Base.metadata.sorted_tables:
        if rows.get(table.name):
            conn.execute(table.insert(), rows[table.name])


@contextmanager
def foreign_keys_off(db: Database) -> Iterator[Connection]:
    """A committed transaction with foreign-key checks off, to plant orphans."""
    with db.engine.connect() as conn:
        if db.backend == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # not inside a transaction
            conn.commit()
            try:
                with conn.begin():
                    yield conn
            finally:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()
        else:
            with conn.begin():
                # Replica mode skips the FK triggers for this transaction only (superuser).
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
                yield conn


@contextmanager
def unique_off(db: Database, tmp_path: Any) -> Iterator[Connection]:
    """A transaction on the schema without UNIQUE constraints (rolled back afterwards)."""
    if db.backend == "postgresql":
        with db.engine.connect() as conn:
            with conn.begin() as tx:
                inspector = inspect(conn)
                for table in ("patients", "providers", "insurance_claims"):
                    for constraint in inspector.get_unique_constraints(table):
                        conn.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint["name"]}"')
                    for index in inspector.get_indexes(table):  # uniques are named unique indexes
                        if index["unique"] and not index.get("duplicates_constraint"):
                            conn.exec_driver_sql(f'DROP INDEX "{index["name"]}"')
                yield conn
                tx.rollback()
        return
    # SQLite cannot drop a constraint: build the same tables without them in a new file.
    metadata = MetaData()
    for table in Base.metadata.sorted_tables:
        copy = table.to_metadata(metadata)
        for column in copy.columns:
            column.unique = False
        for constraint in list(copy.constraints):
            if isinstance(constraint, UniqueConstraint):
                copy.constraints.discard(constraint)
        for index in list(copy.indexes):  # uniques are named unique indexes
            if index.unique:
                copy.indexes.discard(index)
    engine = create_engine(f"sqlite:///{tmp_path / 'no_unique.db'}")
    metadata.create_all(engine)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


# --- clean data ----------------------------------------------------------------------


def test_clean_dataset_has_no_integrity_problems(db: Database) -> None:
    with db.transaction() as conn:
        insert(conn, clean_rows())
    with db.engine.connect() as conn:
        assert find_orphans(conn) == []
        assert find_double_bookings(conn) == []
        assert find_patient_double_bookings(conn) == []
        assert find_cross_reference_mismatches(conn) == []
        assert find_duplicate_identifiers(conn) == []


def test_identifier_columns_come_from_the_schema() -> None:
    names = {f"{c.table.name}.{c.name}" for c in identifier_columns()}
    assert {
        "patients.patient_id",
        "patients.ssn",
        "providers.npi_number",
        "providers.license_number",
        "insurance_claims.claim_number",
        "patients.insurance_policy_number",
    } <= names
    assert "patients.id" not in names


# --- orphans -------------------------------------------------------------------------


def test_orphans_are_found_for_every_kind_of_foreign_key(db: Database) -> None:
    rows = clean_rows()
    with db.transaction() as conn:
        insert(conn, rows)
    with foreign_keys_off(db) as conn:
        conn.execute(T["appointments"].insert(), appointment_row(900, 999, 1, MONDAY + timedelta(days=3)))
        conn.execute(
            T["insurance_claims"].insert(),
            claim_row(900, {**rows["appointments"][0], "id": 777}),
        )
        conn.execute(
            T["patient_conditions"].insert(),
            {"id": 1, "patient_id": 555, "condition": "x", "icd10_code": "I10"},
        )
    with db.engine.connect() as conn:
        found = {(v.entity, v.key, v.field) for v in find_orphans(conn)}
        violations = find_orphans(conn)
    assert found == {
        ("appointments", 900, "patient_id"),
        ("insurance_claims", identifiers.claim_number(900), "appointment_id"),
        ("patient_conditions", 1, "patient_id"),
    }
    message = next(v.message for v in violations if v.entity == "appointments")
    assert "patient_id=999" in message and "patients.id" in message
    assert all(v.category == "integrity" and v.rule == "orphan_foreign_key" for v in violations)


# --- double bookings -----------------------------------------------------------------


def test_overlapping_appointments_of_one_provider_are_double_bookings(db: Database) -> None:
    rows = clean_rows()
    # Provider 1 is booked 09:00-10:55 back to back; a 60-minute visit at 08:30 overlaps
    # the 09:00 one (which starts later), and one at 10:50 overlaps the last visit.
    rows["appointments"].append(appointment_row(50, 2, 1, MONDAY - timedelta(minutes=30), 60))
    rows["appointments"].append(appointment_row(51, 3, 1, MONDAY + timedelta(minutes=150), 15))
    # Same time, other provider: no conflict. Ends exactly when the next starts: none.
    rows["appointments"].append(appointment_row(52, 3, 3, MONDAY - timedelta(minutes=30), 30))
    with db.transaction() as conn:
        insert(conn, rows)
    with db.engine.connect() as conn:
        violations = find_double_bookings(conn)
    by_key = {v.key: v for v in violations}
    # 09:00 (id 1) starts inside 08:30-09:30 (id 50); 11:30 (id 51) starts inside 10:35-11:35.
    assert set(by_key) == {1, 51}
    assert "overlaps appointment 50" in by_key[1].message
    assert "provider 1" in by_key[51].message
    assert all(v.rule == "provider_double_booked" and v.category == "business" for v in violations)


def test_a_long_visit_overlapping_a_later_non_adjacent_one_is_found(db: Database) -> None:
    rows = {
        "patients": [patient_row(1)],
        "providers": [provider_row(1)],
        "appointments": [
            appointment_row(1, 1, 1, MONDAY, 120),  # 09:00-11:00
            appointment_row(2, 1, 1, MONDAY + timedelta(minutes=10), 10),  # inside it
            appointment_row(3, 1, 1, MONDAY + timedelta(minutes=60), 10),  # inside it too
            appointment_row(4, 1, 1, MONDAY + timedelta(minutes=120), 10),  # touches: fine
        ],
    }
    with db.transaction() as conn:
        insert(conn, rows)
    with db.engine.connect() as conn:
        violations = find_double_bookings(conn)
    assert {v.key: v.message.rsplit(" ", 1)[1] for v in violations} == {2: "1", 3: "1"}


def test_a_patient_in_two_overlapping_visits_is_double_booked(db: Database) -> None:
    rows = {
        "patients": [patient_row(1), patient_row(2)],
        "providers": [provider_row(1), provider_row(2)],
        "appointments": [
            appointment_row(1, 1, 1, MONDAY, 30),
            appointment_row(2, 1, 2, MONDAY + timedelta(minutes=15), 30),  # same patient, other provider
            appointment_row(3, 2, 2, MONDAY - timedelta(minutes=30), 30),  # ends as 2 starts elsewhere
            appointment_row(4, 1, 2, MONDAY + timedelta(minutes=45), 30),  # after 2 ended
        ],
    }
    with db.transaction() as conn:
        insert(conn, rows)
    with db.engine.connect() as conn:
        violations = find_patient_double_bookings(conn)
        assert find_double_bookings(conn) == []
    assert [(v.key, v.rule) for v in violations] == [(2, "patient_double_booked")]
    assert "of patient 1" in violations[0].message and "overlaps appointment 1" in violations[0].message


# --- cross references ----------------------------------------------------------------


def test_records_and_claims_disagreeing_with_their_appointment_are_found(db: Database) -> None:
    rows = clean_rows()
    first, second = rows["appointments"][0], rows["appointments"][1]
    rows["medical_records"].append(record_row(20, first, patient_id=first["patient_id"] % 6 + 1))
    rows["medical_records"].append(
        record_row(21, first, record_date=first["appointment_date"] + timedelta(days=1))
    )
    rows["insurance_claims"].append(claim_row(20, second, provider_id=3))
    rows["insurance_claims"].append(
        claim_row(21, second, submitted_date=second["appointment_date"].date() - timedelta(days=1))
    )
    rows["patients"].append(patient_row(7, date_of_birth=date(2026, 12, 1)))  # born after the visit
    rows["appointments"].append(appointment_row(40, 7, 2, MONDAY + timedelta(days=1)))
    with db.transaction() as conn:
        insert(conn, rows)
    with db.engine.connect() as conn:
        violations = find_cross_reference_mismatches(conn)
    found = {(v.entity, v.key, v.rule) for v in violations}
    assert found == {
        ("medical_records", 20, "appointment_patient_mismatch"),
        ("medical_records", 21, "record_date_not_appointment_day"),
        ("insurance_claims", identifiers.claim_number(20), "appointment_provider_mismatch"),
        ("insurance_claims", identifiers.claim_number(21), "claim_before_appointment"),
        ("appointments", 40, "appointment_before_birth"),
    }
    early = next(v for v in violations if v.rule == "claim_before_appointment")
    assert "2026-11-22" in early.message and "2026-11-23" in early.message


# --- duplicate identifiers -----------------------------------------------------------


def test_shared_policy_numbers_are_duplicates(db: Database) -> None:
    rows = clean_rows()
    rows["patients"][3]["insurance_policy_number"] = rows["patients"][0]["insurance_policy_number"]
    with db.transaction() as conn:
        insert(conn, rows)
    with db.engine.connect() as conn:
        violations = find_duplicate_identifiers(conn)
    assert [(v.entity, v.field, v.key) for v in violations] == [
        ("patients", "insurance_policy_number", rows["patients"][0]["insurance_policy_number"])
    ]
    assert "shared by 2 rows (ids 1, 4)" in violations[0].message


def test_duplicate_unique_identifiers_are_found_when_constraints_were_bypassed(
    db: Database, tmp_path
) -> None:
    rows = clean_rows()
    rows["providers"][2]["npi_number"] = rows["providers"][0]["npi_number"]
    rows["patients"][1]["ssn"] = rows["patients"][0]["ssn"]
    rows["patients"][2]["ssn"] = rows["patients"][0]["ssn"]
    rows["insurance_claims"][1]["claim_number"] = rows["insurance_claims"][0]["claim_number"]
    with unique_off(db, tmp_path) as conn:
        insert(conn, rows)
        violations = find_duplicate_identifiers(conn)
    found = {(v.entity, v.field, v.key) for v in violations}
    assert found == {
        ("providers", "npi_number", rows["providers"][0]["npi_number"]),
        ("patients", "ssn", rows["patients"][0]["ssn"]),
        ("insurance_claims", "claim_number", rows["insurance_claims"][0]["claim_number"]),
    }
    ssn = next(v for v in violations if v.field == "ssn")
    assert "shared by 3 rows (ids 1, 2, 3)" in ssn.message
