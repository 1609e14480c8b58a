"""Exports in four formats and ``load_dataset``: the round trip is lossless."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import insert

from healthcare_data.errors import ConfigurationError, UnknownNameError
from healthcare_data.export import load_dataset, read_database, write_tables
from healthcare_data.phi_guard import PHIFieldError
from healthcare_data.schema import Appointment, InsuranceClaim, Patient, Provider, Tenant
from healthcare_data.seeding import export, generate_tables

LAYOUTS = [
    ("json", False),
    ("json", True),
    ("yaml", False),
    ("yaml", True),
    ("csv", True),
    ("ndjson", False),
    ("ndjson", True),
]


def _output(tmp_path, fmt, per_table):
    return tmp_path / "out" if per_table or fmt == "csv" else tmp_path / f"out.{fmt}"


def _awkward_rows(db) -> None:
    """Rows exercising every type: dates, datetimes with microseconds, Decimals, booleans,
    NULL next to the empty string, and strings that look like the CSV NULL marker."""
    with db.transaction() as conn:
        conn.execute(insert(Tenant), [{"id": 1, "uuid": "t-1", "name": "tenant-qa-001"}])
        for row in [
            {
                "id": 1,
                "uuid": "p-1",
                "patient_id": "PAT-00000001",
                "first_name": "Ann",
                "last_name": 'O\'Neil, "Jr"',
                "date_of_birth": date(1950, 2, 28),
                "gender": "female",
                "email": "",
                "address_street": "\\N",
                "address_city": "\\back\\slash",
                "emergency_contact_name": None,
                "tenant_id": 1,
                "created_at": datetime(2026, 1, 2, 3, 4, 5, 678901),
            },
            {
                "id": 2,
                "uuid": "p-2",
                "patient_id": "PAT-00000002",
                "first_name": "Zoë",
                "last_name": "Ünal\nmultiline",
                "date_of_birth": date(2019, 12, 31),
                "gender": "other",
                "email": None,
                "tenant_id": None,
                "created_at": datetime(2026, 5, 6, 7, 8, 9),
            },
        ]:
            conn.execute(insert(Patient), [row])
        conn.execute(
            insert(Provider),
            [
                {
                    "id": 1,
                    "uuid": "d-1",
                    "npi_number": "1234567893",
                    "first_name": "Bo",
                    "last_name": "Li",
                    "specialty": "Cardiology",
                    "created_at": datetime(2026, 1, 1, 0, 0),
                    "tenant_id": 1,
                }
            ],
        )
        conn.execute(
            insert(Appointment),
            [
                {
                    "id": 1,
                    "uuid": "a-1",
                    "patient_id": 1,
                    "provider_id": 1,
                    "appointment_date": datetime(2026, 3, 4, 9, 15),
                    "appointment_type": "Consultation",
                    "duration_minutes": 60,
                    "notes": 'line1\r\nline2, "quoted"',
                    "tenant_id": 1,
                }
            ],
        )
        conn.execute(
            insert(InsuranceClaim),
            [
                {
                    "id": 1,
                    "uuid": "c-1",
                    "claim_number": "CLM-0000000001",
                    "patient_id": 1,
                    "provider_id": 1,
                    "appointment_id": 1,
                    "claim_amount": Decimal("1234.50"),
                    "submitted_date": date(2026, 3, 5),
                    "processed_date": None,
                    "status": "paid",
                    "payment_amount": Decimal("0.01"),
                    "created_at": datetime(2026, 3, 5, 12, 0),
                }
            ],
        )


@pytest.mark.parametrize(("fmt", "per_table"), LAYOUTS)
def test_database_export_loads_back_equal(db, tmp_path, fmt, per_table):
    _awkward_rows(db)
    original = read_database(db)
    target = _output(tmp_path, fmt, per_table)
    result = write_tables(original, target, fmt, per_table=per_table)
    loaded = load_dataset(target)
    assert loaded == original
    assert result.rows["patients"] == 2 and result.total_rows == sum(map(len, original.values()))
    claim = loaded["insurance_claims"][0]
    assert claim["claim_amount"] == Decimal("1234.50") and isinstance(claim["claim_amount"], Decimal)
    assert loaded["patients"][0]["created_at"] == datetime(2026, 1, 2, 3, 4, 5, 678901)
    assert loaded["patients"][0]["email"] == "" and loaded["patients"][1]["email"] is None
    assert loaded["patients"][0]["address_street"] == "\\N"


def test_seeded_database_round_trips_through_every_format(sqlite_db, tmp_path):
    from healthcare_data.seeding import seed

    seed("minimal", sqlite_db, seed=5, tenants=2, validate=False)
    original = read_database(sqlite_db)
    assert original["medical_records"] and original["insurance_claims"]
    for fmt in ("json", "yaml", "csv", "ndjson"):
        target = _output(tmp_path / fmt, fmt, False)
        export(target, fmt, url=sqlite_db)
        assert load_dataset(target) == original, fmt


def test_generation_run_export_matches_the_generated_rows(tmp_path):
    generated = generate_tables("minimal", 11, today=date(2026, 11, 22))
    target = tmp_path / "minimal.json"
    result = export(target, "json", profile="minimal", seed=11, today=date(2026, 11, 22))
    loaded = load_dataset(target)
    assert result.rows == {name: len(rows) for name, rows in generated.items()}
    for table, rows in generated.items():
        assert [{k: r.get(k) for k in loaded[table][0]} for r in rows] == loaded[table], table
    document = json.loads(target.read_text())
    assert document["source"] == {"profile": "minimal", "seed": 11}


def test_the_bulk_engines_ndjson_stream_loads_too(tmp_path):
    from healthcare_data.bulk import stream_to_ndjson
    from healthcare_data.seeding import generate

    today = date(2026, 11, 22)
    stream_to_ndjson(generate("minimal", 3, today=today), tmp_path / "one.ndjson")
    stream_to_ndjson(generate("minimal", 3, today=today), tmp_path / "dir")
    one, per_table = load_dataset(tmp_path / "one.ndjson"), load_dataset(tmp_path / "dir")
    assert one == per_table
    assert isinstance(one["insurance_claims"][0]["claim_amount"], Decimal)
    assert isinstance(one["patients"][0]["date_of_birth"], date)


def test_fields_select_columns_and_pass_the_phi_guard(sqlite_db, tmp_path):
    _awkward_rows(sqlite_db)
    target = tmp_path / "narrow.json"
    export(target, "json", url=sqlite_db, tables=["patients"], fields={"patients": ["patient_id", "ssn"]})
    assert load_dataset(target) == {
        "patients": [{"patient_id": "PAT-00000001", "ssn": None}, {"patient_id": "PAT-00000002", "ssn": None}]
    }
    with pytest.raises(PHIFieldError, match="driver_license"):
        export(tmp_path / "x.json", "json", url=sqlite_db, fields={"patients": ["driver_license"]})
    assert not (tmp_path / "x.json").exists()


def test_export_errors(sqlite_db, tmp_path):
    with pytest.raises(UnknownNameError, match="did you mean 'json'"):
        export(tmp_path / "x", "jsn", url=sqlite_db)
    with pytest.raises(ConfigurationError, match="must be a directory"):
        write_tables({"patients": []}, tmp_path / "x.csv", "csv")
    with pytest.raises(UnknownNameError, match="did you mean 'patients'"):
        export(tmp_path / "x.json", "json", url=sqlite_db, tables=["patient"])
    with pytest.raises(ConfigurationError, match="not both"):
        export(tmp_path / "x.json", "json", url=sqlite_db, profile="minimal")


def test_load_dataset_errors(tmp_path):
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_dataset(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ConfigurationError, match="not valid json"):
        load_dataset(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text('{"hello": 1}')
    with pytest.raises(ConfigurationError, match="not a healthcare-data export"):
        load_dataset(tmp_path / "other.json")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigurationError, match="holds no"):
        load_dataset(tmp_path / "empty")
    (tmp_path / "typed.json").write_text('{"table": "patients", "rows": [{"date_of_birth": "yesterday"}]}')
    with pytest.raises(ConfigurationError, match="Cannot read 'yesterday' as date in patients row 1"):
        load_dataset(tmp_path / "typed.json")


def test_python_api_mirrors_the_cli(tmp_path):
    from healthcare_data.seeding import generate, seed

    today = date(2026, 11, 22)
    result = seed(profile="minimal", url=f"sqlite:///{tmp_path / 'api.db'}", seed=8, today=today)
    assert result.success and result.target_met and result.mode == "fresh"
    assert result.metrics()["total_records_created"] == result.database.total_rows()
    result.database.dispose()

    def by_table(batch_size):
        tables = {}
        for batch in generate("minimal", 8, today=today, batch_size=batch_size):
            tables.setdefault(batch.table, []).extend(batch.rows)
        return tables

    assert by_table(7) == by_table(1000)  # batching never changes the rows

    target = export(tmp_path / "api.json", "json", url=f"sqlite:///{tmp_path / 'api.db'}")
    assert target.rows["patients"] == 25
