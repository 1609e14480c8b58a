"""Safe Harbor: no identifier of a patient survives de-identification."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlalchemy import text

from healthcare_data.cli import main
from healthcare_data.db import Database
from healthcare_data.deidentify import RESTRICTED_ZIP3, RULES, deidentify, zip3
from healthcare_data.errors import ConfigurationError
from healthcare_data.export import load_dataset, read_database
from tests.conftest import TEST_TODAY
from tests.export_support import seeded

IDENTIFYING = {  # Safe Harbor kinds of the patient tables' identifying columns
    "patients": (
        "uuid",
        "patient_id",
        "first_name",
        "last_name",
        "ssn",
        "phone",
        "email",
        "address_street",
        "address_city",
        "address_zip",
        "emergency_contact_name",
        "emergency_contact_phone",
        "insurance_policy_number",
    ),
    "appointments": ("uuid", "notes"),
    "medical_records": ("uuid", "treatment_notes"),
    "insurance_claims": ("uuid", "claim_number"),
    "prescriptions": ("uuid",),
    "dispensings": ("uuid",),
    "referrals": ("uuid",),
    "ledger_entries": ("uuid",),
}
DATES = {
    "patients": ("date_of_birth", "created_at", "updated_at"),
    "appointments": ("appointment_date", "created_at"),
    "medical_records": ("record_date",),
    "insurance_claims": ("submitted_date", "processed_date", "created_at"),
    "care_journeys": ("started_at", "ended_at"),
    "journey_steps": ("occurred_at",),
    "prescriptions": ("prescribed_at",),
    "dispensings": ("dispensed_at",),
    "referrals": ("issued_at", "expires_on"),
    "ledger_entries": ("posted_on",),
}


@pytest.fixture
def source(tmp_path):
    from healthcare_data.journeys.generate import JourneySpec, seed_journeys
    from healthcare_data.randomness import Randomness

    db = seeded(tmp_path / "identified.db", "standard", 7)
    seed_journeys(db, JourneySpec(patients=20), Randomness(3, today=TEST_TODAY))  # the journey tables too
    with db.engine.begin() as conn:  # a restricted ZIP area and a 95-year-old
        conn.execute(text("UPDATE patients SET address_zip = '03601' WHERE id = 1"))
        conn.execute(text("UPDATE patients SET date_of_birth = '1931-06-15' WHERE id = 2"))
    yield db
    db.dispose()


def _all_strings(tables) -> set[str]:
    return {str(v) for rows in tables.values() for row in rows for v in row.values() if v is not None}


def test_no_identifier_survives_and_dates_keep_only_their_year(source, tmp_path):
    before = read_database(source)
    out = f"sqlite:///{tmp_path / 'deidentified.db'}"
    report = deidentify(url=source.url, output_url=out, today=TEST_TODAY, seed=1)
    target = Database(out)
    after = read_database(target)
    target.dispose()
    assert {t: len(r) for t, r in after.items()} == {t: len(r) for t, r in before.items()}

    # every table about the patient (providers, practices and tenants are kept on purpose)
    leaked_values = _all_strings({t: rows for t, rows in after.items() if t in RULES})
    for table, columns in IDENTIFYING.items():
        for row in before[table]:
            for column in columns:
                value = row[column]
                if value is None or column == "address_zip" and len(str(value)) <= 3:
                    continue
                assert str(value) not in leaked_values, f"{table}.{column} value {value!r} survived"
    for table, columns in DATES.items():
        for row in after[table]:
            for column in columns:
                value = row[column]
                assert value is None or (value.month, value.day) == (1, 1), f"{table}.{column} kept {value}"
                if isinstance(value, datetime):
                    assert value.time() == datetime.min.time()
    assert {row["address_zip"] for row in after["patients"]} <= {
        zip3(r["address_zip"]) for r in before["patients"]
    }
    assert all(z is None or len(z) == 3 for z in (r["address_zip"] for r in after["patients"]))
    assert "000" in {r["address_zip"] for r in after["patients"]}  # 036 is a restricted area
    oldest = min(r["date_of_birth"] for r in after["patients"])
    assert oldest == date(TEST_TODAY.year - 90, 1, 1)  # the 95-year-old joins the 90+ category
    # ids re-keyed: same range, but patient n of the copy is not patient n of the source
    kept = ("gender", "address_state", "insurance_provider")
    in_order = [[tuple(r[c] for c in kept) for r in rows["patients"]] for rows in (before, after)]
    assert in_order[0] != in_order[1] and sorted(in_order[0], key=str) == sorted(in_order[1], key=str)
    assert {r["id"] for r in after["patients"]} == {r["id"] for r in before["patients"]}
    # relations follow the re-keying: each claim still belongs to an insured patient
    payer_after = {r["id"]: r["insurance_provider"] for r in after["patients"]}
    assert all(payer_after[c["patient_id"]] for c in after["insurance_claims"])
    by_id = {t: {r["id"]: r for r in rows} for t, rows in after.items() if rows and "id" in rows[0]}
    assert after["journey_steps"]
    for step in after["journey_steps"]:  # a step's entity belongs to its journey's patient
        patient = by_id["care_journeys"][step["journey_id"]]["patient_id"]
        entity = by_id[step["entity"]][step["entity_id"]]
        assert (entity["id"] if step["entity"] == "patients" else entity["patient_id"]) == patient, step
    assert all(
        by_id["prescriptions"][d["prescription_id"]]["patient_id"] == d["patient_id"]
        for d in after["dispensings"]
    )
    rows = {(r["table"], r["column"]): r for r in report.rows()}
    assert rows[("patients", "ssn")]["rule"] == "45 CFR 164.514(b)(2)(i)(G)"
    assert rows[("patients", "ssn")]["values changed"] == sum(1 for r in before["patients"] if r["ssn"])
    assert rows[("providers", "npi_number")]["action"] == "keep"


def test_every_restricted_zip_prefix_becomes_000():
    assert len(RESTRICTED_ZIP3) == 17
    assert {zip3(p + "01") for p in RESTRICTED_ZIP3} == {"000"}
    assert zip3("02134") == "021" and zip3(None) is None


def test_rules_name_only_schema_columns_and_every_patient_table_column_was_decided():
    """Each column of a patient table has a rule, is listed as kept, or is structural (an id,
    a key, a UUID, a date); none falls to the generic catch-all."""
    from healthcare_data.deidentify import KEPT, KEPT_TABLES, rule_for
    from healthcare_data.schema import Base

    for table, rules in RULES.items():
        assert set(rules) <= set(Base.metadata.tables[table].columns.keys()), table
    for table in set(Base.metadata.tables) - KEPT_TABLES:
        for column in Base.metadata.tables[table].columns.keys():
            decided = column in RULES.get(table, {}) or column in KEPT.get(table, ())
            assert decided or rule_for(table, column).action in ("rekey", "new-uuid", "year"), (table, column)


def test_a_table_added_later_gets_the_cautious_generic_rules():
    from healthcare_data.deidentify import rule_for

    assert rule_for("pharmacy_notes", "note").action == "remove"
    assert rule_for("pharmacy_notes", "uuid").action == "new-uuid"
    assert rule_for("pharmacy_notes", "patient_id").action == "rekey"
    assert rule_for("providers", "npi_number").action == "keep"


def test_cli_deidentifies_to_an_export_with_a_report(source, tmp_path, capsys):
    code = main(
        [
            "deidentify",
            "--database-url",
            source.url,
            "-o",
            str(tmp_path / "out.json"),
            "--report",
            str(tmp_path / "report.json"),
            "--today",
            TEST_TODAY.isoformat(),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "45 CFR 164.514(b)(2)" in captured.out
    loaded = load_dataset(tmp_path / "out.json")
    assert not {r["ssn"] for r in loaded["patients"]} - {None}
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["standard"].startswith("HIPAA Safe Harbor")


def test_a_non_empty_output_database_is_refused(source, tmp_path):
    with pytest.raises(ConfigurationError, match="not empty"):
        deidentify(url=source.url, output_url=source.url, today=TEST_TODAY)


def test_an_export_can_be_deidentified_into_an_export(tmp_path):
    from healthcare_data import seeding

    seeding.export(tmp_path / "identified.json", "json", profile="minimal", seed=2, today=TEST_TODAY)
    before = load_dataset(tmp_path / "identified.json")
    report = deidentify(
        input_path=tmp_path / "identified.json",
        output_path=tmp_path / "deid.csv.d",
        format="csv",
        today=TEST_TODAY,
    )
    after = load_dataset(tmp_path / "deid.csv.d")
    assert report.tables["patients"] == len(before["patients"]) == len(after["patients"])
    assert not {r["email"] for r in after["patients"]} - {None}
    assert {r["first_name"] for r in after["patients"]} == {"REDACTED"}
