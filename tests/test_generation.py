"""The bulk generation engine: spec validation, determinism, and the rules of the stream.

These tests read the generated rows directly (no database); ``tests/test_bulk.py``
writes them to SQLite and PostgreSQL and checks them with SQL.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest

from healthcare_data.errors import ConfigurationError, UnknownNameError
from healthcare_data.generation import (
    TABLE_ORDER,
    AffinePermutation,
    Batch,
    DatasetSpec,
    generate_dataset,
)
from healthcare_data.identifiers import is_valid_npi
from healthcare_data.personas import PERSONAS
from healthcare_data.randomness import Randomness
from healthcare_data.reference import SPECIALTIES, is_valid_icd10
from healthcare_data.scheduling import BUSINESS_HOURS

TODAY = date(2026, 11, 22)
SMALL = DatasetSpec(patients=200, providers=20, appointments=600, medical_records=300, insurance_claims=200)


def rows_by_table(batches) -> dict[str, list[dict]]:
    tables: dict[str, list[dict]] = defaultdict(list)
    for batch in batches:
        tables[batch.table].extend(batch.rows)
    return tables


@pytest.fixture(scope="module")
def small() -> dict[str, list[dict]]:
    return rows_by_table(generate_dataset(SMALL, Randomness(11, today=TODAY), batch_size=64))


# --- spec validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"patients": -1}, "patients must be a whole number >= 0, got -1"),
        ({"medical_records": 700}, "medical_records=700 exceeds appointments=600"),
        ({"insurance_claims": 601}, "insurance_claims=601 exceeds appointments=600"),
        ({"providers": 0}, "need at least one patient and one provider"),
        ({"tenants": 30}, "tenants=30 each need a patient and a provider"),
        ({"months": 0}, "months must be a whole number >= 1"),
        ({"providers": 1, "months": 1}, "600 per provider in 1 months; at most"),
    ],
)
def test_invalid_specs_are_refused_with_the_value(changes: dict, message: str) -> None:
    spec = DatasetSpec(**{**SMALL.__dict__, **changes})
    with pytest.raises(ConfigurationError) as caught:
        generate_dataset(spec, Randomness(1, today=TODAY))  # raises before the first next()
    assert message in str(caught.value)


def test_unknown_persona_names_the_value_and_the_choices() -> None:
    spec = DatasetSpec(patients=10, persona_mix={"elderly_patinet": 1.0})
    with pytest.raises(UnknownNameError) as caught:
        spec.validate()
    assert "'elderly_patinet'" in str(caught.value)
    assert "did you mean 'elderly_patient'" in str(caught.value)
    for name in PERSONAS.names():
        assert name in str(caught.value)


def test_unknown_specialty_and_table_are_refused() -> None:
    with pytest.raises(UnknownNameError, match="Known: .*Cardiology"):
        DatasetSpec(providers=2, specialty_mix={"Cardiolgy": 1}).validate()
    with pytest.raises(UnknownNameError, match="'patient'.*Known: .*patients"):
        DatasetSpec(first_ids={"patient": 5}).validate()


def test_records_need_visits_in_the_past() -> None:
    spec = DatasetSpec(**{**SMALL.__dict__, "start": TODAY + timedelta(days=1)})
    with pytest.raises(ConfigurationError, match="future 'scheduled'"):
        generate_dataset(spec, Randomness(1, today=TODAY))


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(ConfigurationError, match="batch_size must be a whole number >= 1, got 0"):
        generate_dataset(SMALL, Randomness(1, today=TODAY), batch_size=0)


# --- determinism and batching -------------------------------------------------------------


def test_same_seed_same_rows_whatever_the_batch_size() -> None:
    a = rows_by_table(generate_dataset(SMALL, Randomness(5, today=TODAY), batch_size=7))
    b = rows_by_table(generate_dataset(SMALL, Randomness(5, today=TODAY), batch_size=5000))
    assert a == b
    c = rows_by_table(generate_dataset(SMALL, Randomness(6, today=TODAY), batch_size=7))
    assert c["patients"] != a["patients"]


def test_batches_respect_the_size_and_the_dependency_order() -> None:
    batches = list(generate_dataset(SMALL, Randomness(5, today=TODAY), batch_size=50))
    assert all(isinstance(b, Batch) and 0 < len(b) <= 50 for b in batches)
    order = [TABLE_ORDER.index(b.table) for b in batches]
    # Conditions and profiles follow each batch of their patients; everything else is sorted.
    firsts = {}
    for position, b in enumerate(batches):
        firsts.setdefault(b.table, position)
    for parent, child in [
        ("patients", "patient_conditions"),
        ("patients", "providers"),
        ("providers", "appointments"),
        ("appointments", "medical_records"),
        ("medical_records", "insurance_claims"),
    ]:
        assert firsts[parent] < firsts[child]
    family = {"patients", "patient_conditions", "patient_profiles"}
    rest = [o for o, b in zip(order, batches, strict=True) if b.table not in family]
    assert rest == sorted(rest)
    written: set[int] = set()
    for b in batches:  # every condition/profile comes after its patient's batch
        if b.table == "patients":
            written.update(r["id"] for r in b.rows)
        elif b.table in family:
            assert {r["patient_id"] for r in b.rows} <= written


def test_counts_and_ids(small: dict[str, list[dict]]) -> None:
    for table, count in SMALL.counts.items():
        assert len(small[table]) == count
        assert [r["id"] for r in small[table]] == list(range(1, count + 1))
    assert len(small["patient_profiles"]) == 200
    ids = [r["id"] for r in small["patient_conditions"]]
    assert ids == list(range(1, len(ids) + 1))


def test_first_ids_continue_numbering() -> None:
    spec = DatasetSpec(
        patients=5,
        providers=2,
        appointments=6,
        medical_records=2,
        insurance_claims=1,
        persona_mix={"young_professional": 1},
        first_ids={
            "patients": 101,
            "providers": 11,
            "appointments": 1001,
            "medical_records": 51,
            "insurance_claims": 7,
            "patient_conditions": 900,
        },
    )
    rows = rows_by_table(generate_dataset(spec, Randomness(3, today=TODAY)))
    assert [r["id"] for r in rows["patients"]] == list(range(101, 106))
    assert {r["patient_id"] for r in rows["appointments"]} <= set(range(101, 106))
    assert {r["provider_id"] for r in rows["appointments"]} <= {11, 12}
    assert rows["appointments"][0]["id"] == 1001
    assert rows["medical_records"][0]["id"] == 51
    assert rows["insurance_claims"][0]["id"] == 7
    assert {r["appointment_id"] for r in rows["medical_records"]} <= set(range(1001, 1007))
    assert rows["patient_conditions"][0]["id"] == 900


# --- the rules of the single-record path hold in bulk ---------------------------------------


def test_no_provider_or_patient_is_double_booked(small: dict[str, list[dict]]) -> None:
    for key in ("provider_id", "patient_id"):
        calendars: dict[int, list[tuple]] = defaultdict(list)
        for a in small["appointments"]:
            start = a["appointment_date"]
            calendars[a[key]].append((start, start + timedelta(minutes=a["duration_minutes"])))
        for slots in calendars.values():
            slots.sort()
            for (_, end), (next_start, _) in zip(slots, slots[1:], strict=False):
                assert end <= next_start


def test_appointments_in_business_hours_in_the_window(small: dict[str, list[dict]]) -> None:
    spec_start = SMALL.window_start(TODAY)
    end = spec_start + timedelta(days=SMALL.window_days)
    providers = {p["id"]: p for p in small["providers"]}
    patients = {p["id"]: p for p in small["patients"]}
    for a in small["appointments"]:
        start = a["appointment_date"]
        assert BUSINESS_HOURS.contains(start, a["duration_minutes"])
        assert spec_start <= start.date() < end
        assert SPECIALTIES.get(providers[a["provider_id"]]["specialty"]).allows(a["appointment_type"])
        assert start.date() >= patients[a["patient_id"]]["date_of_birth"]
        past = start.date() < TODAY
        assert a["status"] in (("completed", "cancelled", "no_show") if past else ("scheduled", "cancelled"))
    statuses = Counter(a["status"] for a in small["appointments"])
    assert statuses["completed"] > statuses["scheduled"] > 0


def test_pediatricians_see_children(small: dict[str, list[dict]]) -> None:
    providers = {p["id"]: p for p in small["providers"]}
    ages = {p["id"]: (TODAY - p["date_of_birth"]).days // 365 for p in small["patients"]}
    seen = [
        ages[a["patient_id"]]
        for a in small["appointments"]
        if providers[a["provider_id"]]["specialty"] == "Pediatrics"
    ]
    assert all(age < 18 for age in seen)


def test_persona_time_preferences_are_respected(small: dict[str, list[dict]]) -> None:
    persona = {p["patient_id"]: p["persona"] for p in small["patient_profiles"]}
    elderly = [a for a in small["appointments"] if persona[a["patient_id"]] == "elderly_patient"]
    assert elderly
    morning = [a for a in elderly if "morning_preferred" in a["notes"]]
    assert len(morning) / len(elderly) > 0.8
    assert all(a["appointment_date"].hour < 12 for a in morning)


def test_records_and_claims_belong_to_real_completed_visits(small: dict[str, list[dict]]) -> None:
    appointments = {a["id"]: a for a in small["appointments"]}
    patients = {p["id"]: p for p in small["patients"]}
    for table in ("medical_records", "insurance_claims"):
        used = [r["appointment_id"] for r in small[table]]
        assert len(set(used)) == len(used)
        for row in small[table]:
            visit = appointments[row["appointment_id"]]
            assert (row["patient_id"], row["provider_id"]) == (visit["patient_id"], visit["provider_id"])
            assert visit["status"] == "completed"
    for record in small["medical_records"]:
        assert record["record_date"] == appointments[record["appointment_id"]]["appointment_date"]
        assert is_valid_icd10(record["diagnosis_code"])
    for claim in small["insurance_claims"]:
        assert patients[claim["patient_id"]]["insurance_provider"]
        assert claim["submitted_date"] >= appointments[claim["appointment_id"]]["appointment_date"].date()
        assert (claim["processed_date"] is None) == (claim["status"] == "submitted")
        assert (claim["payment_amount"] is not None) == (claim["status"] == "paid")
        assert (claim["denial_reason"] is not None) == (claim["status"] == "denied")


def test_identifiers_unique_and_valid(small: dict[str, list[dict]]) -> None:
    for table, column in [
        ("patients", "ssn"),
        ("patients", "patient_id"),
        ("patients", "uuid"),
        ("providers", "npi_number"),
        ("providers", "license_number"),
        ("insurance_claims", "claim_number"),
        ("appointments", "uuid"),
    ]:
        values = [r[column] for r in small[table]]
        assert len(set(values)) == len(values), (table, column)
    assert all(is_valid_npi(p["npi_number"]) for p in small["providers"])


def test_persona_mix_is_followed() -> None:
    spec = DatasetSpec(patients=400, persona_mix={"elderly_patient": 3, "pediatric_patient": 1})
    rows = rows_by_table(generate_dataset(spec, Randomness(2, today=TODAY)))
    mix = Counter(p["persona"] for p in rows["patient_profiles"])
    assert set(mix) == {"elderly_patient", "pediatric_patient"}
    assert 0.65 < mix["elderly_patient"] / 400 < 0.85


def test_specialty_mix_is_followed() -> None:
    spec = DatasetSpec(providers=30, specialty_mix={"Cardiology": 1, "Pediatrics": 1})
    rows = rows_by_table(generate_dataset(spec, Randomness(2, today=TODAY)))
    assert {p["specialty"] for p in rows["providers"]} == {"Cardiology", "Pediatrics"}


def test_tenants_get_their_own_patients_providers_and_appointments() -> None:
    spec = DatasetSpec(
        patients=90, providers=9, appointments=180, medical_records=60, insurance_claims=30, tenants=3
    )
    rows = rows_by_table(generate_dataset(spec, Randomness(4, today=TODAY), batch_size=25))
    assert [t["id"] for t in rows["tenants"]] == [1, 2, 3]
    assert len({t["name"] for t in rows["tenants"]}) == 3
    assert [loc["tenant_id"] for loc in rows["locations"]] == [1, 2, 3]
    tenant_of_patient = {p["id"]: p["tenant_id"] for p in rows["patients"]}
    tenant_of_provider = {p["id"]: p["tenant_id"] for p in rows["providers"]}
    assert Counter(tenant_of_patient.values()) == {1: 30, 2: 30, 3: 30}
    assert Counter(tenant_of_provider.values()) == {1: 3, 2: 3, 3: 3}
    for a in rows["appointments"]:
        assert tenant_of_patient[a["patient_id"]] == tenant_of_provider[a["provider_id"]] == a["tenant_id"]


LOCATED = DatasetSpec(
    patients=90,
    providers=9,
    appointments=180,
    medical_records=60,
    insurance_claims=30,
    tenants=3,
    locations=10,
)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"locations": -1}, "locations must be a whole number >= 0, got -1"),
        ({"locations": True}, "locations must be a whole number >= 0, got True"),
        ({"locations": 2}, "locations=2 is fewer than tenants=3: each tenant needs at least one location"),
    ],
)
def test_invalid_location_counts_are_refused(changes: dict, message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        generate_dataset(DatasetSpec(**{**LOCATED.__dict__, **changes}), Randomness(1, today=TODAY))
    assert message in str(caught.value)


def test_locations_are_dealt_round_robin_over_the_tenants() -> None:
    rows = rows_by_table(generate_dataset(LOCATED, Randomness(4, today=TODAY), batch_size=4))
    locations = rows["locations"]
    assert [loc["id"] for loc in locations] == list(range(1, 11))
    assert [loc["tenant_id"] for loc in locations] == [1, 2, 3, 1, 2, 3, 1, 2, 3, 1]
    assert Counter(loc["tenant_id"] for loc in locations) == {1: 4, 2: 3, 3: 3}
    assert len({loc["uuid"] for loc in locations}) == 10
    from healthcare_data.fakes import address_is_consistent
    from healthcare_data.generation import LOCATION_KINDS

    names = {f"{loc['address_city']} {kind} Campus" for loc in locations for kind in LOCATION_KINDS}
    for loc in locations:
        assert loc["name"] in names and loc["name"].startswith(loc["address_city"] + " ")
        assert address_is_consistent(loc["address_city"], loc["address_state"], loc["address_zip"])
        assert loc["address_street"]


def test_locations_without_tenants_belong_to_no_tenant() -> None:
    spec = DatasetSpec(**{**SMALL.__dict__, "locations": 5})
    batches = list(generate_dataset(spec, Randomness(4, today=TODAY), batch_size=2))
    assert [len(b) for b in batches if b.table == "locations"] == [2, 2, 1]  # batch size respected
    rows = rows_by_table(batches)
    assert "tenants" not in rows
    assert len(rows["locations"]) == 5
    assert all(loc["tenant_id"] is None for loc in rows["locations"])
    assert [b.table for b in batches][:3] == ["locations"] * 3  # before the patients


def test_zero_locations_with_tenants_means_one_per_tenant() -> None:
    rows = rows_by_table(generate_dataset(DatasetSpec(patients=6, providers=3, tenants=3), Randomness(4)))
    assert [loc["tenant_id"] for loc in rows["locations"]] == [1, 2, 3]
    assert "locations" not in rows_by_table(generate_dataset(DatasetSpec(patients=6), Randomness(4)))


def test_locations_are_independent_of_batch_size_and_of_other_tables() -> None:
    a = rows_by_table(generate_dataset(LOCATED, Randomness(8, today=TODAY), batch_size=7))
    b = rows_by_table(generate_dataset(LOCATED, Randomness(8, today=TODAY), batch_size=5000))
    assert a == b
    # Their own stream: more locations change no other table's rows.
    more = DatasetSpec(**{**LOCATED.__dict__, "locations": 25})
    c = rows_by_table(generate_dataset(more, Randomness(8, today=TODAY), batch_size=7))
    assert c["locations"][:10] == a["locations"]
    others = [t for t in a if t != "locations"]
    assert {t: c[t] for t in others} == {t: a[t] for t in others}


def test_appended_locations_continue_the_ids_and_point_at_the_new_tenants() -> None:
    spec = DatasetSpec(**{**LOCATED.__dict__, "first_ids": {"locations": 11, "tenants": 4}})
    rows = rows_by_table(generate_dataset(spec, Randomness(4, today=TODAY)))
    assert [loc["id"] for loc in rows["locations"]] == list(range(11, 21))
    assert {loc["tenant_id"] for loc in rows["locations"]} == {4, 5, 6}


def test_single_tenant_rows_have_no_tenant(small: dict[str, list[dict]]) -> None:
    assert "tenants" not in small
    assert all(r["tenant_id"] is None for t in ("patients", "providers", "appointments") for r in small[t])


def test_affine_permutation_is_a_bijection() -> None:
    for n in (1, 2, 7, 600, 1001):
        perm = AffinePermutation(n, Randomness(n))
        assert sorted(perm(i) for i in range(n)) == list(range(n))
