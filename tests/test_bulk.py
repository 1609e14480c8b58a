"""Bulk persistence on SQLite and PostgreSQL: counts, SQL-level rules, failures, NDJSON."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from healthcare_data.bulk import next_ids, stream_to_ndjson, write_dataset
from healthcare_data.db import Database
from healthcare_data.errors import ConfigurationError, PersistenceError
from healthcare_data.generation import Batch, DatasetSpec, generate_dataset
from healthcare_data.randomness import Randomness
from healthcare_data.schema import Base
from healthcare_data.validation import run_all

TODAY = date(2026, 11, 22)
SMALL = DatasetSpec(patients=200, providers=20, appointments=600, medical_records=300, insurance_claims=200)

# Two appointments of one provider overlap when each starts before the other ends.
# Written once per backend because date arithmetic differs (whole seconds on SQLite: julianday
# floats would count back-to-back visits as overlapping); cancelled ones release their slot.
DOUBLE_BOOKINGS = {
    "sqlite": """
        SELECT count(*) FROM appointments a JOIN appointments b
          ON a.{owner} = b.{owner} AND a.id < b.id
         AND CAST(strftime('%s', a.appointment_date) AS INTEGER)
             < CAST(strftime('%s', b.appointment_date) AS INTEGER) + b.duration_minutes * 60
         AND CAST(strftime('%s', b.appointment_date) AS INTEGER)
             < CAST(strftime('%s', a.appointment_date) AS INTEGER) + a.duration_minutes * 60
    """,
    "postgresql": """
        SELECT count(*) FROM appointments a JOIN appointments b
          ON a.{owner} = b.{owner} AND a.id < b.id
         AND a.appointment_date < b.appointment_date + b.duration_minutes * interval '1 minute'
         AND b.appointment_date < a.appointment_date + a.duration_minutes * interval '1 minute'
    """,
}


def stream(spec: DatasetSpec = SMALL, seed: int = 11, batch_size: int = 97):
    return generate_dataset(spec, Randomness(seed, today=TODAY), batch_size=batch_size)


def scalar(db: Database, sql: str) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def snapshot(db: Database) -> dict[str, list[tuple]]:
    """Every row of every table, ordered by primary key (``created_at`` included: every
    draft sets it from the seed's dates, so a rerun is identical to the microsecond)."""
    tables = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            query = table.select().order_by(*table.primary_key.columns)
            tables[table.name] = [tuple(r) for r in conn.execute(query)]
    return tables


def test_small_dataset_is_written_and_passes_every_rule(db: Database) -> None:
    result = write_dataset(db, stream())
    counts = db.counts()
    for table, count in SMALL.counts.items():
        assert counts[table] == count == result.rows[table]
    assert counts["patient_profiles"] == 200
    assert result.total_rows == db.total_rows()
    assert result.method == ("driver" if db.backend == "sqlite" else "copy")
    assert result.rows_per_second > 0 and result.peak_rss_mb > 0

    for owner in ("provider_id", "patient_id"):
        assert scalar(db, DOUBLE_BOOKINGS[db.backend].format(owner=owner)) == 0
    for child in ("medical_records", "insurance_claims"):
        mismatched = scalar(
            db,
            f"SELECT count(*) FROM {child} c JOIN appointments a ON a.id = c.appointment_id "
            "WHERE a.patient_id <> c.patient_id OR a.provider_id <> c.provider_id",
        )
        orphaned = scalar(
            db,
            f"SELECT count(*) FROM {child} c LEFT JOIN appointments a ON a.id = c.appointment_id "
            "WHERE a.id IS NULL",
        )
        assert (mismatched, orphaned) == (0, 0)

    reports = run_all(db, TODAY)
    assert set(reports) == {
        "format_validation",
        "business_rules",
        "compliance_check",
        "data_quality",
        "referential_integrity",
    }
    for report in reports.values():
        assert report.ok, report.summary()


def test_identical_database_for_batch_sizes_7_and_5000(db: Database) -> None:
    write_dataset(db, stream(batch_size=7))
    small_batches = snapshot(db)
    db.reset()
    write_dataset(db, stream(batch_size=5000))
    assert snapshot(db) == small_batches


def test_core_executemany_stores_the_same_values(db: Database) -> None:
    spec = DatasetSpec(patients=30, providers=4, appointments=60, medical_records=20, insurance_claims=20)
    write_dataset(db, stream(spec))
    fast = snapshot(db)
    db.reset()
    result = write_dataset(db, stream(spec), method="core")
    assert result.method == "core"
    assert snapshot(db) == fast


def _broken(spec: DatasetSpec = SMALL):
    """The real stream, with one appointment pointing at a patient that does not exist."""
    for batch in stream(spec, batch_size=100):
        if batch.table == "appointments" and batch.rows[0]["id"] == 201:
            rows = [dict(r) for r in batch.rows]
            rows[50]["patient_id"] = 999_999
            batch = Batch(batch.table, rows)
        yield batch


def test_a_failing_batch_is_rolled_back_and_reported(db: Database) -> None:
    with pytest.raises(PersistenceError) as caught:
        write_dataset(db, _broken())
    error = caught.value
    counts = db.counts()
    # Batches 1-2 of appointments (200 rows) and everything before them are kept.
    assert counts["appointments"] == 200
    assert error.rows_written == db.total_rows()
    assert error.rows_written == sum(v for k, v in counts.items())
    assert "batch 3 of 'appointments' (100 rows)" in str(error)
    assert f"{error.rows_written} rows committed before it are kept" in str(error)
    assert "appointments=200" in str(error)


def test_atomic_run_leaves_nothing_behind(db: Database) -> None:
    with pytest.raises(PersistenceError) as caught:
        write_dataset(db, _broken(), atomic=True)
    assert caught.value.rows_written == 0
    assert "atomic=True), 0 rows kept" in str(caught.value)
    assert db.is_empty()


def test_a_row_with_an_unknown_column_is_reported(db: Database) -> None:
    batches = [Batch("tenants", [{"id": 1, "uuid": "u", "name": "T", "colour": "red"}])]
    with pytest.raises(PersistenceError, match="unknown column.*'colour'"):
        write_dataset(db, batches)


def test_tenants_are_isolated(db: Database) -> None:
    spec = DatasetSpec(
        patients=60, providers=6, appointments=120, medical_records=40, insurance_claims=30, tenants=3
    )
    write_dataset(db, stream(spec))
    assert db.counts()["tenants"] == 3 and db.counts()["locations"] == 3
    crossing = scalar(
        db,
        "SELECT count(*) FROM appointments a JOIN patients p ON p.id = a.patient_id "
        "JOIN providers v ON v.id = a.provider_id "
        "WHERE p.tenant_id <> v.tenant_id OR a.tenant_id <> p.tenant_id OR a.tenant_id IS NULL",
    )
    assert crossing == 0
    assert scalar(db, "SELECT count(DISTINCT tenant_id) FROM appointments") == 3


def test_appending_continues_ids_and_sequences(db: Database) -> None:
    spec = DatasetSpec(patients=20, providers=3, appointments=30, medical_records=10, insurance_claims=5)
    write_dataset(db, stream(spec))
    first = next_ids(db)
    assert first["patients"] == 21 and first["appointments"] == 31
    write_dataset(db, stream(DatasetSpec(**{**spec.__dict__, "first_ids": first}), seed=12))
    counts = db.counts()
    assert (counts["patients"], counts["appointments"], counts["insurance_claims"]) == (40, 60, 10)
    assert scalar(db, "SELECT count(DISTINCT npi_number) FROM providers") == 6
    if db.backend == "postgresql":
        assert db.sequence_positions()["patients"] == 41


def test_unknown_or_unsuitable_method_is_refused(sqlite_db: Database) -> None:
    with pytest.raises(ConfigurationError, match="Unknown write method 'fast'"):
        write_dataset(sqlite_db, [], method="fast")
    with pytest.raises(ConfigurationError, match="'copy' needs PostgreSQL"):
        write_dataset(sqlite_db, [], method="copy")


def test_progress_is_reported_per_committed_batch(sqlite_db: Database) -> None:
    seen: list[tuple[str, int, int]] = []
    spec = DatasetSpec(patients=25, providers=2)
    write_dataset(sqlite_db, stream(spec, batch_size=10), progress=lambda *a: seen.append(a))
    assert [s for s in seen if s[0] == "patients"] == [
        ("patients", 10, 10),
        ("patients", 10, 20),
        ("patients", 5, 25),
    ]


@pytest.fixture
def pg_db(request: pytest.FixtureRequest):
    """The session's PostgreSQL database, emptied (skips like ``db`` without a server)."""
    database = request.getfixturevalue("_postgres_database")
    database.reset()
    yield database
    database.reset()


def test_postgres_copy_and_executemany_agree(pg_db: Database) -> None:
    db = pg_db
    spec = DatasetSpec(patients=30, providers=4, appointments=60, medical_records=20, insurance_claims=20)
    write_dataset(db, stream(spec), method="copy")
    copied = snapshot(db)
    db.reset()
    assert write_dataset(db, stream(spec), method="executemany").method == "core"
    assert snapshot(db) == copied


def test_ndjson_one_file_per_table_round_trips(tmp_path: Path) -> None:
    result = stream_to_ndjson(stream(batch_size=50), tmp_path / "out")
    assert result.rows["patients"] == 200 and result.rows["appointments"] == 600
    expected = {b.table: 0 for b in []}
    for batch in stream(batch_size=5000):
        expected[batch.table] = expected.get(batch.table, 0) + len(batch.rows)
    for table, count in expected.items():
        lines = result.paths[table].read_text(encoding="utf-8").splitlines()
        assert len(lines) == count == result.rows[table]
        first = json.loads(lines[0])
        assert first["id" if table != "patient_profiles" else "patient_id"] == 1
    claim = json.loads(result.paths["insurance_claims"].read_text().splitlines()[0])
    assert isinstance(claim["claim_amount"], str)  # decimals stay exact
    assert len(claim["submitted_date"]) == 10


def test_ndjson_single_file_keeps_stream_order(tmp_path: Path) -> None:
    target = tmp_path / "all.ndjson"
    spec = DatasetSpec(patients=10, providers=2, appointments=12, medical_records=4, insurance_claims=3)
    result = stream_to_ndjson(stream(spec), target)
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert len(lines) == result.total_rows
    tables = [line["table"] for line in lines]
    assert tables.index("patients") < tables.index("providers") < tables.index("appointments")
    assert tables[-1] == "insurance_claims"


def test_a_generator_failure_mid_stream_is_reported_with_rows_kept(sqlite_db: Database) -> None:
    def failing():
        yield from stream(DatasetSpec(patients=30, providers=2), batch_size=10)
        raise ConfigurationError("planted failure after the providers")

    with pytest.raises(PersistenceError) as caught:
        write_dataset(sqlite_db, failing())
    assert "Generating the next batch failed" in str(caught.value)
    assert "planted failure" in str(caught.value)
    assert caught.value.rows_written == sqlite_db.total_rows() > 30


def test_without_the_pipeline_thread_the_rows_are_the_same(sqlite_db: Database) -> None:
    spec = DatasetSpec(patients=30, providers=4, appointments=60, medical_records=20, insurance_claims=20)
    write_dataset(sqlite_db, stream(spec), pipeline=True)
    threaded = snapshot(sqlite_db)
    sqlite_db.reset()
    write_dataset(sqlite_db, stream(spec), pipeline=False)
    assert snapshot(sqlite_db) == threaded


def test_same_seed_same_rows_on_sqlite_and_postgresql(sqlite_db: Database, pg_db: Database) -> None:
    spec = DatasetSpec(
        patients=40, providers=5, appointments=80, medical_records=30, insurance_claims=20, tenants=2
    )
    write_dataset(sqlite_db, stream(spec))
    write_dataset(pg_db, stream(spec))
    assert snapshot(sqlite_db) == snapshot(pg_db)
