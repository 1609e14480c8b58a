"""FHIR R4 exports checked by the fhir.resources R4B models, not by our own code."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from healthcare_data import seeding
from healthcare_data.bulk import write_dataset
from healthcare_data.db import Database
from healthcare_data.errors import ConfigurationError
from healthcare_data.export import fhir
from tests.conftest import TEST_TODAY
from tests.export_support import need, scratch_postgres  # noqa: F401 - fixture

need("fhir.resources.R4B")

from fhir.resources.R4B.bundle import Bundle  # noqa: E402


@pytest.fixture(scope="module")
def standard_db(tmp_path_factory) -> Database:
    """A database seeded with the `standard` profile (the issue's yardstick), plus patient
    journeys for prescriptions, dispensings, referrals and ledger entries (one built
    journey for the expired referral the 20 random ones lack)."""
    from healthcare_data.journeys.builder import JourneyBuilder
    from healthcare_data.journeys.generate import JourneySpec, seed_journeys
    from healthcare_data.randomness import Randomness

    path = tmp_path_factory.mktemp("fhir") / "standard.db"
    db = Database(f"sqlite:///{path}").create_schema()
    write_dataset(db, seeding.generate("standard", 7, today=TEST_TODAY))
    seed_journeys(db, JourneySpec(patients=20), Randomness(3, today=TEST_TODAY))
    JourneyBuilder("chronic_care").for_patient(conditions=["Diabetes Type 2"]).with_referral(
        "expired"
    ).create(db, Randomness(4, today=TEST_TODAY))
    yield db
    db.dispose()


@pytest.fixture(scope="module")
def bulk(standard_db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bulk") / "fhir"
    seeding.export(out, "fhir", url=standard_db)
    return out


@pytest.fixture(scope="module")
def bundle_export(standard_db, tmp_path_factory):
    return seeding.export(tmp_path_factory.mktemp("bundles") / "bundles", "fhir-bundle", url=standard_db)


@pytest.fixture(scope="module")
def bundles(bundle_export) -> Path:
    return bundle_export.path


def test_a_bundle_export_counts_its_files_instead_of_listing_one_path_per_patient(bundle_export, standard_db):
    """A list of a million paths was 300 MB of a 1M-patient export's 401 MB peak."""
    on_disk = list(bundle_export.path.iterdir())
    assert bundle_export.files == []
    assert bundle_export.resources["Bundle"] == len(on_disk) == standard_db.counts()["patients"]


def _resources(directory: Path) -> list[dict]:
    return [json.loads(line) for file in sorted(directory.glob("*.ndjson")) for line in file.open()]


def _references(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [r for value in node.values() for r in _references(value)]
    if isinstance(node, list):
        return [r for value in node for r in _references(value)]
    return []


def test_bulk_ndjson_has_a_file_per_type_and_every_resource_validates_as_r4b(bulk):
    files = {f.stem for f in bulk.iterdir()}
    assert files == set(fhir.RESOURCE_TYPES)
    for file in bulk.iterdir():
        for line in file.open():
            resource = json.loads(line)
            assert resource["resourceType"] == file.stem
            fhir.validate_resource(resource)  # raises on the first error


def test_bulk_references_resolve_within_the_export(bulk):
    resources = _resources(bulk)
    known = {f"{r['resourceType']}/{r['id']}" for r in resources}
    assert len(known) == len(resources), "ids are unique per type"
    dangling = {ref for r in resources for ref in _references(r) if ref not in known}
    assert not dangling


def test_bundles_of_a_standard_seed_validate_with_zero_errors(bundles, standard_db):
    files = sorted(bundles.glob("Bundle-*.json"))
    assert len(files) == standard_db.counts()["patients"]
    errors = []
    for file in files:
        try:
            Bundle.model_validate_json(file.read_text("utf-8"))
        except Exception as exc:  # noqa: BLE001 - collect them all
            errors.append(f"{file.name}: {exc}")
    assert errors == []


def test_the_fast_paths_write_what_the_standard_library_would(bundles):
    """uuid5 and the bundle text (shared entries encoded once) are hand-rolled for speed."""
    import uuid

    for key in ("a", 1, "x/y", "é", 10**12):
        assert fhir.uuid5("kind", key) == str(uuid.uuid5(fhir.NAMESPACE, f"kind/{key}"))
    for file in sorted(bundles.glob("Bundle-*.json"))[:200]:
        text = file.read_text("utf-8")
        assert text == json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":")) + "\n"


def test_bundles_are_transactions_whose_urn_uuid_references_resolve_in_the_bundle(bundles):
    for file in sorted(bundles.glob("Bundle-*.json")):
        bundle = json.loads(file.read_text("utf-8"))
        assert bundle["type"] == "transaction"
        urls = {e["fullUrl"] for e in bundle["entry"]}
        assert all(u.startswith("urn:uuid:") for u in urls)
        assert all(
            e["request"]["method"] == "POST" and e["request"]["url"] == e["resource"]["resourceType"]
            for e in bundle["entry"]
        )
        patients = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
        assert len(patients) == 1
        refs = set(_references(bundle))
        assert refs <= urls, f"{file.name}: {sorted(refs - urls)[:3]}"


def test_identifier_systems_statuses_and_instants(bulk, standard_db):
    resources = _resources(bulk)
    by_type: dict[str, list[dict]] = {}
    for r in resources:
        by_type.setdefault(r["resourceType"], []).append(r)
    patient = by_type["Patient"][0]
    systems = {i["system"] for i in patient["identifier"]}
    assert fhir.SYSTEM_MRN in systems and "http://hl7.org/fhir/sid/us-ssn" in systems
    assert all(
        p["identifier"][0]["system"] == "http://hl7.org/fhir/sid/us-npi" for p in by_type["Practitioner"]
    )
    assert all(
        c["code"]["coding"][0]["system"] == "http://hl7.org/fhir/sid/icd-10-cm" for c in by_type["Condition"]
    )
    rxnorm = "http://www.nlm.nih.gov/research/umls/rxnorm"
    for kind in ("MedicationRequest", "MedicationDispense"):
        assert by_type[kind] and all(
            m["medicationCodeableConcept"]["coding"][0]["system"] == rxnorm for m in by_type[kind]
        )
    assert {m["status"] for m in by_type["MedicationRequest"]} <= {"active", "completed", "stopped"}
    statuses = {a["status"] for a in by_type["Appointment"]}
    assert statuses <= {"booked", "fulfilled", "cancelled", "noshow", "checked-in"}
    assert "fulfilled" in statuses and "completed" not in statuses
    for a in by_type["Appointment"]:
        assert a["start"].endswith("+00:00") and a["end"] > a["start"]
    completed = (
        standard_db.engine.connect()
        .exec_driver_sql("SELECT count(*) FROM appointments WHERE status = 'completed'")
        .scalar_one()
    )
    assert len(by_type["Encounter"]) == completed


def _rows(db: Database, sql: str) -> list:
    with db.engine.connect() as conn:
        return conn.exec_driver_sql(sql).all()


def test_a_service_request_per_referral_with_its_status_parties_and_90_day_validity(bulk, standard_db):
    requests = {r["id"]: r for r in _resources(bulk) if r["resourceType"] == "ServiceRequest"}
    referrals = _rows(
        standard_db,
        "SELECT f.uuid, p.uuid, d.uuid, s.uuid, f.status, f.issued_at, f.expires_on, f.diagnosis_code"
        " FROM referrals f JOIN patients p ON p.id = f.patient_id"
        " JOIN providers d ON d.id = f.referring_provider_id"
        " LEFT JOIN appointments a ON a.id = f.appointment_id LEFT JOIN providers s ON s.id = a.provider_id",
    )
    assert referrals and len(requests) == len(referrals)
    expected_status = {
        "requested": "active",
        "scheduled": "active",
        "completed": "completed",
        "expired": "revoked",
    }
    assert {row[4] for row in referrals} == set(expected_status), "the journeys cover every referral state"
    for rid, patient, referrer, specialist, status, issued, expires, diagnosis in referrals:
        request = requests[rid]
        assert (request["intent"], request["status"]) == ("order", expected_status[status])
        assert request["subject"]["reference"] == f"Patient/{patient}"
        assert request["requester"]["reference"] == f"Practitioner/{referrer}"
        performers = [p["reference"] for p in request.get("performer", [])]
        assert performers == ([f"Practitioner/{specialist}"] if specialist else [])
        period = request["occurrencePeriod"]
        assert period["start"] == request["authoredOn"]
        assert datetime.fromisoformat(period["start"]) == datetime.fromisoformat(str(issued)).replace(
            tzinfo=UTC
        )
        assert period["end"] == str(expires)
        assert (date.fromisoformat(period["end"]) - date.fromisoformat(period["start"][:10])).days == 90
        assert request["reasonCode"][0]["coding"][0]["code"] == diagnosis


def test_a_payment_reconciliation_per_payer_ledger_entry_settling_its_claim(bulk, standard_db):
    payments = {r["id"]: r for r in _resources(bulk) if r["resourceType"] == "PaymentReconciliation"}
    entries = _rows(
        standard_db,
        "SELECT e.uuid, e.amount, e.posted_on, c.uuid, c.status, r.uuid FROM ledger_entries e"
        " JOIN insurance_claims c ON c.id = e.claim_id JOIN providers r ON r.id = c.provider_id"
        " WHERE e.party = 'payer'",
    )
    assert entries and len(payments) == len(entries)
    for rid, amount, posted, claim, claim_status, provider in entries:
        payment = payments[rid]
        assert Decimal(str(payment["paymentAmount"]["value"])) == Decimal(str(amount))
        assert payment["paymentDate"] == str(posted) and claim_status == "paid"
        (detail,) = payment["detail"]
        assert detail["type"]["coding"][0]["code"] == "payment"
        assert detail["request"]["reference"] == f"Claim/{claim}"
        assert detail["response"]["reference"].startswith("ExplanationOfBenefit/")
        assert detail["payee"]["reference"] == f"Practitioner/{provider}"
    total = sum(Decimal(str(p["paymentAmount"]["value"])) for p in payments.values())
    assert total == sum(Decimal(str(e[1])) for e in entries)


def test_bundles_carry_the_referrals_and_payments_of_their_patient(bundles, bulk):
    in_bulk = {
        r["id"]: r
        for r in _resources(bulk)
        if r["resourceType"] in ("ServiceRequest", "PaymentReconciliation")
    }
    in_bundles = {}
    for file in sorted(bundles.glob("Bundle-*.json")):
        entries = json.loads(file.read_text("utf-8"))["entry"]
        patient = next(e["fullUrl"] for e in entries if e["resource"]["resourceType"] == "Patient")
        for entry in entries:
            if entry["resource"]["resourceType"] in ("ServiceRequest", "PaymentReconciliation"):
                in_bundles[entry["fullUrl"].removeprefix("urn:uuid:")] = (patient, entry["resource"])
    assert in_bundles.keys() == in_bulk.keys()
    for patient, resource in in_bundles.values():
        if resource["resourceType"] == "ServiceRequest":
            assert resource["subject"]["reference"] == patient


def test_timezone_gives_local_offsets_and_an_unknown_zone_is_refused(standard_db, tmp_path):
    seeding.export(tmp_path / "ny", "fhir", url=standard_db, timezone="America/New_York")
    first = json.loads((tmp_path / "ny" / "Appointment.ndjson").open().readline())
    assert first["start"][-6:] in ("-05:00", "-04:00")
    with pytest.raises(ConfigurationError, match="Unknown time zone 'Mars/Olympus'"):
        seeding.export(tmp_path / "bad", "fhir", url=standard_db, timezone="Mars/Olympus")
    assert not (tmp_path / "bad").exists()


@pytest.mark.parametrize("fmt", ["fhir", "fhir-bundle"])
def test_the_same_seed_gives_byte_identical_output(tmp_path, fmt):
    for name in ("a", "b"):
        seeding.export(tmp_path / name, fmt, profile="minimal", seed=11, today=TEST_TODAY)
    a = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}
    b = {p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()}
    assert a and a == b
    assert not list(tmp_path.glob(".*")), "no scratch or partial files left beside the output"


def _journeys_db(path: Path, seed: int) -> Database:
    from healthcare_data.journeys.generate import JourneySpec, seed_journeys
    from healthcare_data.randomness import Randomness

    db = Database(f"sqlite:///{path}").create_schema()
    write_dataset(db, seeding.generate("minimal", seed, today=TEST_TODAY))
    seed_journeys(db, JourneySpec(patients=10), Randomness(seed, today=TEST_TODAY))
    return db


@pytest.mark.parametrize("fmt", ["fhir", "fhir-bundle"])
def test_the_same_seed_with_journeys_gives_byte_identical_referrals_and_payments(tmp_path, fmt):
    outputs = []
    for name in ("a", "b"):
        db = _journeys_db(tmp_path / f"{name}.db", 13)
        seeding.export(tmp_path / name, fmt, url=db)
        db.dispose()
        outputs.append({p.name: p.read_bytes() for p in (tmp_path / name).iterdir()})
    a, b = outputs
    text = b"".join(a.values())
    assert b'"resourceType":"ServiceRequest"' in text and b'"resourceType":"PaymentReconciliation"' in text
    assert a == b


def test_sqlite_and_postgresql_sources_give_byte_identical_fhir(tmp_path, scratch_postgres):  # noqa: F811
    sqlite = Database(f"sqlite:///{tmp_path / 'src.db'}").create_schema()
    postgres = Database(scratch_postgres).create_schema()
    from healthcare_data.journeys.generate import JourneySpec, seed_journeys
    from healthcare_data.randomness import Randomness

    for db in (sqlite, postgres):
        write_dataset(db, seeding.generate("minimal", 5, today=TEST_TODAY))
        seed_journeys(db, JourneySpec(patients=10), Randomness(5, today=TEST_TODAY))  # referrals, ledger
    try:
        for name, db in (("s", sqlite), ("p", postgres)):
            for fmt in ("fhir", "fhir-bundle"):
                seeding.export(tmp_path / name / fmt, fmt, url=db)
        files = {
            p.relative_to(tmp_path / "s"): p.read_bytes() for p in (tmp_path / "s").rglob("*") if p.is_file()
        }
        other = {
            p.relative_to(tmp_path / "p"): p.read_bytes() for p in (tmp_path / "p").rglob("*") if p.is_file()
        }
        assert files and files == other
        assert {Path("fhir/ServiceRequest.ndjson"), Path("fhir/PaymentReconciliation.ndjson")} <= files.keys()
    finally:
        sqlite.dispose()
        postgres.dispose()


def _sized_db(path: Path, patients: int, providers: int) -> Database:
    counts = {
        "patients": patients,
        "providers": providers,
        "appointments": patients * 3,
        "medical_records": patients * 3 // 2,
        "insurance_claims": patients * 3 // 2,
    }
    db = Database(f"sqlite:///{path}").create_schema()
    write_dataset(db, seeding.generate("minimal", 9, counts=counts, today=TEST_TODAY))
    return db


@pytest.mark.parametrize("write", [fhir.write_bulk, fhir.write_bundles], ids=["fhir", "fhir-bundle"])
def test_fhir_memory_stays_flat_when_the_database_grows_five_times(tmp_path, write):
    """Both sizes fill the 50-row batches (at the default 2,000 a small database's partial
    batches made the bulk export look as if it grew with the data) and have the same staff:
    a bundle slice carries the practitioners its patients see, which grows with the staff
    until a slice's patients cannot see more of them (bounded by the slice, but a small
    database never reaches that bound)."""
    import gc
    import tracemalloc

    def peak(db: Database, name: str) -> int:
        (tmp_path / name).mkdir()
        gc.collect()  # garbage left by earlier tests must not count against either size
        tracemalloc.start()
        try:
            write(db, tmp_path / name, batch_size=50)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small_db, large_db = _sized_db(tmp_path / "small.db", 200, 25), _sized_db(tmp_path / "large.db", 1000, 25)
    try:
        peak(small_db, "warm")  # imports and caches load once
        small, large = peak(small_db, "small"), peak(large_db, "large")
    finally:
        small_db.dispose()
        large_db.dispose()
    # Held data would grow ~5x (a 1,000-patient export is tens of MB of JSON); the 1 MB
    # allowance absorbs cyclic garbage awaiting collection, which after a long test session
    # reached +0.8 MB for the bulk export (0.70 -> 1.47 MB) with nothing held.
    assert large < small * 1.5 + 1_000_000, f"{small / 1e6:.2f} MB -> {large / 1e6:.2f} MB"
