"""The database layer on every backend: schema, foreign keys, transactions, reset."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import insert, inspect
from sqlalchemy.exc import IntegrityError

from healthcare_data.db import Database
from healthcare_data.errors import ConfigurationError
from healthcare_data.schema import Appointment, Patient, Provider

EXERCISE_COLUMNS = {
    "patients": ["id", "uuid", "patient_id", "first_name", "last_name", "date_of_birth", "gender", "ssn",
                 "phone", "email", "address_street", "address_city", "address_state", "address_zip",
                 "emergency_contact_name", "emergency_contact_phone", "insurance_provider",
                 "insurance_policy_number", "status", "created_at", "updated_at"],
    "providers": ["id", "uuid", "npi_number", "first_name", "last_name", "specialty", "license_number",
                  "phone", "email", "practice_name", "practice_address", "status", "created_at"],
    "appointments": ["id", "uuid", "patient_id", "provider_id", "appointment_date", "duration_minutes",
                     "appointment_type", "status", "notes", "created_at"],
    "medical_records": ["id", "uuid", "patient_id", "provider_id", "appointment_id", "record_type",
                        "diagnosis_code", "diagnosis_description", "treatment_notes", "medications",
                        "follow_up_required", "record_date"],
    "insurance_claims": ["id", "uuid", "claim_number", "patient_id", "provider_id", "appointment_id",
                         "claim_amount", "submitted_date", "processed_date", "status", "denial_reason",
                         "payment_amount", "created_at"],
}


def _patient(i: int) -> dict[str, object]:
    return {"id": i, "uuid": f"u{i}", "patient_id": f"PAT-{i:08d}", "first_name": "A", "last_name": "B",
            "date_of_birth": date(1950, 1, 1), "gender": "female"}


def test_exercise_tables_have_exactly_the_exercise_columns(db: Database) -> None:
    inspector = inspect(db.engine)
    for table, columns in EXERCISE_COLUMNS.items():
        present = [c["name"] for c in inspector.get_columns(table)]
        assert present[: len(columns)] == columns, table


def test_defaults_and_constraints_come_from_the_exercise(db: Database) -> None:
    with db.transaction() as conn:
        conn.execute(insert(Patient), [_patient(1)])
        conn.execute(insert(Provider), [{"id": 1, "uuid": "p1", "npi_number": "1234567893",
                                         "first_name": "C", "last_name": "D", "specialty": "Cardiology"}])
        conn.execute(insert(Appointment), [{"id": 1, "uuid": "a1", "patient_id": 1, "provider_id": 1,
                                            "appointment_date": date(2026, 1, 5),
                                            "appointment_type": "Consultation"}])
    with db.session() as session:
        patient = session.get(Patient, 1)
        appointment = session.get(Appointment, 1)
        assert patient.status == "active" and patient.created_at is not None
        assert appointment.duration_minutes == 30 and appointment.status == "scheduled"
    with pytest.raises(IntegrityError):
        with db.transaction() as conn:
            conn.execute(insert(Patient), [{**_patient(2), "gender": "robot"}])
    with pytest.raises(IntegrityError):
        with db.transaction() as conn:
            conn.execute(insert(Patient), [{**_patient(3), "patient_id": "PAT-00000001"}])


def test_foreign_keys_are_enforced_and_failed_transactions_leave_nothing(db: Database) -> None:
    with pytest.raises(IntegrityError):
        with db.transaction() as conn:
            conn.execute(insert(Patient), [_patient(1)])
            conn.execute(insert(Appointment), [{"id": 1, "uuid": "a1", "patient_id": 1, "provider_id": 99,
                                                "appointment_date": date(2026, 1, 5),
                                                "appointment_type": "Consultation"}])
    assert db.total_rows() == 0


def test_reset_empties_in_reverse_dependency_order_and_resets_sequences(db: Database) -> None:
    with db.session() as session:
        session.add(Patient(uuid="x", patient_id="PAT-00000009", first_name="A", last_name="B",
                            date_of_birth=date(1990, 1, 1)))
    assert db.counts()["patients"] == 1
    assert db.sequence_positions()["patients"] == 2
    order = db.reset()
    assert order.index("appointments") < order.index("patients")
    assert order.index("medical_records") < order.index("appointments")
    assert db.is_empty()
    assert set(db.sequence_positions().values()) == {1}


@pytest.mark.parametrize(
    ("url", "needle"),
    [("nosuchdb://x", "Unsupported database 'nosuchdb'"), ("::::", "Malformed database URL")],
)
def test_bad_urls_are_clear_configuration_errors(url: str, needle: str) -> None:
    with pytest.raises(ConfigurationError, match=needle):
        Database(url)


def test_unreachable_database_is_reported_with_its_url() -> None:
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(ConfigurationError, match="Cannot reach database"):
        db.check_connection()


def test_database_url_defaults_to_an_sqlite_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert Database().backend == "sqlite"
    monkeypatch.setenv("DATABASE_URL", "sqlite:///elsewhere.db")
    assert Database().url.endswith("elsewhere.db")
