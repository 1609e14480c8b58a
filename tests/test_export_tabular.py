"""Typed tabular exports loaded by the tools that consume them: PostgreSQL COPY, pandas, DuckDB."""

from __future__ import annotations

import subprocess
from decimal import Decimal

from sqlalchemy import func, insert, select

from healthcare_data import seeding
from healthcare_data.db import Database
from healthcare_data.export import read_database
from healthcare_data.schema import InsuranceClaim, Patient
from tests.export_support import libpq_url, need, scratch_postgres, seeded, standard_db  # noqa: F401 - fixtures


def _source_facts(db: Database) -> dict:
    with db.engine.connect() as conn:
        return {
            "claim_sum": conn.execute(select(func.sum(InsuranceClaim.claim_amount))).scalar_one(),
            "null_emails": conn.execute(select(func.count()).where(Patient.email.is_(None))).scalar_one(),
            "null_payers": conn.execute(
                select(func.count()).where(Patient.insurance_provider.is_(None))
            ).scalar_one(),
            "zips": sorted(conn.execute(select(Patient.address_zip)).scalars(), key=str),
        }


def test_standard_seed_has_what_the_consumers_got_wrong(standard_db):  # noqa: F811 - fixture
    """The comparisons below mean something: NULLs, leading-zero ZIPs and cents exist."""
    facts = _source_facts(standard_db)
    assert facts["null_emails"] > 0 and facts["null_payers"] > 0
    assert any(z and z.startswith("0") for z in facts["zips"])
    assert facts["claim_sum"] % 1 != 0


def test_csv_loads_into_postgresql_with_its_load_script_equal_to_the_source(tmp_path, scratch_postgres):  # noqa: F811 - fixture
    source = seeded(tmp_path / "src.db", "minimal", 5)
    with source.engine.begin() as conn:  # an empty string must stay distinct from NULL
        conn.execute(Patient.__table__.update().where(Patient.id == 1).values(email="", address_street=None))
    out = tmp_path / "csv"
    seeding.export(out, "csv", url=source)
    script = (out / "load_postgres.sql").read_text()
    assert '\\copy "patients"' in script and "setval" in script
    subprocess.run(
        [
            "psql",
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            libpq_url(scratch_postgres),
            "-f",
            "load_postgres.sql",
        ],
        cwd=out,
        check=True,
        capture_output=True,
        text=True,
    )
    target = Database(scratch_postgres)
    try:
        assert read_database(target) == read_database(source)
        assert _source_facts(target) == _source_facts(source)
        with target.engine.begin() as conn:  # the next insert takes a fresh id, no collision
            new_id = conn.execute(
                insert(Patient)
                .values(
                    uuid="x",
                    patient_id="PAT-X",
                    first_name="A",
                    last_name="B",
                    date_of_birth=read_database(source)["patients"][0]["date_of_birth"],
                )
                .returning(Patient.id)
            ).scalar_one()
        assert new_id == source.counts()["patients"] + 1
    finally:
        target.dispose()
        source.dispose()


def test_csv_null_is_an_unquoted_empty_field_and_an_empty_string_is_quoted(tmp_path):
    seeding.export(tmp_path / "csv", "csv", profile="minimal", seed=1)
    from healthcare_data.export.writers import write_tables

    write_tables({"notes": [{"a": None, "b": "", "c": "x,y", "d": 'say "hi"'}]}, tmp_path / "t", "csv")
    assert (tmp_path / "t" / "notes.csv").read_text().splitlines()[1] == ',"","x,y","say ""hi"""'


def test_parquet_keeps_types_nulls_leading_zeros_and_exact_sums_in_pandas_and_duckdb(standard_db, tmp_path):  # noqa: F811 - fixture
    pd = need("pandas")
    duckdb = need("duckdb")
    need("pyarrow")
    out = tmp_path / "parquet"
    seeding.export(out, "parquet", url=standard_db)
    facts = _source_facts(standard_db)
    source = read_database(standard_db)

    patients = pd.read_parquet(out / "patients.parquet")
    assert sorted(patients["address_zip"], key=str) == facts["zips"]
    assert int(patients["email"].isna().sum()) == facts["null_emails"]
    assert list(patients["date_of_birth"]) == [r["date_of_birth"] for r in source["patients"]]
    claims = pd.read_parquet(out / "insurance_claims.parquet")
    assert all(isinstance(v, Decimal) for v in claims["claim_amount"])
    assert sum(claims["claim_amount"]) == facts["claim_sum"]

    con = duckdb.connect()
    total, kind = con.execute(
        f"SELECT sum(claim_amount), typeof(any_value(claim_amount)) FROM '{out / 'insurance_claims.parquet'}'"
    ).fetchone()
    assert (total, kind) == (facts["claim_sum"], "DECIMAL(10,2)")
    zip_type, nulls = con.execute(
        "SELECT typeof(any_value(address_zip)), count(*) FILTER (WHERE email IS NULL) "
        f"FROM '{out / 'patients.parquet'}'"
    ).fetchone()
    assert (zip_type, nulls) == ("VARCHAR", facts["null_emails"])
    types = dict(
        con.execute(f"DESCRIBE SELECT * FROM '{out / 'appointments.parquet'}'").fetchall()[i][:2]
        for i in range(3)
    )
    assert types.get("id") == "BIGINT"
    when = con.execute(
        f"SELECT typeof(appointment_date) FROM '{out / 'appointments.parquet'}' LIMIT 1"
    ).fetchone()
    assert when == ("TIMESTAMP",)


def test_ndjson_is_per_table_by_default_and_duckdb_keeps_zip_codes_as_text(standard_db, tmp_path):  # noqa: F811 - fixture
    duckdb = need("duckdb")
    out = tmp_path / "ndjson"
    result = seeding.export(out, "ndjson", url=standard_db)
    assert out.is_dir() and (out / "patients.ndjson").is_file() and result.path == out
    facts = _source_facts(standard_db)
    con = duckdb.connect()
    zips = [
        r[0]
        for r in con.execute(
            f"SELECT address_zip FROM read_json_auto('{out / 'patients.ndjson'}')"
        ).fetchall()
    ]
    assert sorted(zips, key=str) == facts["zips"]
    total = con.execute(
        "SELECT sum(CAST(claim_amount AS DECIMAL(10,2))) "
        f"FROM read_json_auto('{out / 'insurance_claims.ndjson'}')"
    ).fetchone()[0]
    assert total == facts["claim_sum"]


def test_pandas_reads_per_table_ndjson_and_csv_with_zip_codes_nulls_and_cents_intact(standard_db, tmp_path):  # noqa: F811
    pd = need("pandas")
    facts = _source_facts(standard_db)
    seeding.export(tmp_path / "ndjson", "ndjson", url=standard_db)
    seeding.export(tmp_path / "csv", "csv", url=standard_db)
    # NDJSON: dtype=False keeps JSON strings as strings (pandas' default re-types digit strings)
    patients = pd.read_json(tmp_path / "ndjson" / "patients.ndjson", lines=True, dtype=False)
    claims = pd.read_json(tmp_path / "ndjson" / "insurance_claims.ndjson", lines=True, dtype=False)
    # CSV: every column as text, an empty field as NULL (the source holds no empty strings)
    text = {"dtype": str, "keep_default_na": False, "na_values": [""]}
    csv_patients = pd.read_csv(tmp_path / "csv" / "patients.csv", **text)
    csv_claims = pd.read_csv(tmp_path / "csv" / "insurance_claims.csv", **text)
    for frame, amounts in ((patients, claims), (csv_patients, csv_claims)):
        assert sorted(frame["address_zip"], key=str) == facts["zips"]
        assert int(frame["email"].isna().sum()) == facts["null_emails"]
        assert sum(Decimal(v) for v in amounts["claim_amount"]) == facts["claim_sum"]
