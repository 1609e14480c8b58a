"""PatientBuilder: every chain method, its error paths, and create() on every backend."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, text

from healthcare_data import identifiers
from healthcare_data.builders import PatientBuilder
from healthcare_data.db import Database
from healthcare_data.errors import (
    BusinessRuleViolation,
    ConfigurationError,
    FormatValidationError,
    PersistenceError,
    PersonaValidationError,
    UniquenessViolation,
    UnknownNameError,
)
from healthcare_data.personas import get_persona
from healthcare_data.randomness import Randomness
from healthcare_data.reference import PAYERS
from healthcare_data.rows.patients import age_on
from healthcare_data.schema import Patient, PatientCondition, PatientProfile
from healthcare_data.validation.patients import check_patient

TODAY = date(2026, 11, 22)


def feature_example(builder: PatientBuilder) -> PatientBuilder:
    """The feature file's builder docstring, in snake_case."""
    return (
        builder.with_persona("elderly_patient")
        .with_age(72)
        .with_demographics("Margaret", "Johnson", None, "female")
        .with_contact(None, None, "123 Oak Street", "Springfield", "IL", "62701")
        .with_emergency_contact("Robert Johnson", "555-0123")
        .with_insurance("Medicare", "MEDICARE-789456123")
        .with_medical_history(["Diabetes Type 2", "Hypertension", "Arthritis"])
    )


def test_every_chain_method_returns_the_builder(rng: Randomness) -> None:
    b = PatientBuilder(rng=rng)
    calls = [
        b.reset(),
        b.with_persona("young_professional"),
        b.with_demographics("Ana"),
        b.with_age(30),
        b.with_age_range(25, 35),
        b.with_contact(state="OR"),
        b.with_emergency_contact("Sam Lee"),
        b.with_insurance("Aetna"),
        b.with_medical_history(["Anxiety"]),
        b.with_status("active"),
        b.as_inactive(),
        b.as_deceased(),
        b.with_tenant(None),
    ]
    assert all(c is b for c in calls)


def test_feature_example_builds_with_every_specified_value(rng: Randomness) -> None:
    draft = feature_example(PatientBuilder(rng=rng)).build()
    p = draft.patient
    assert age_on(p["date_of_birth"], TODAY) == 72
    assert (p["first_name"], p["last_name"], p["gender"]) == ("Margaret", "Johnson", "female")
    assert (p["address_street"], p["address_city"], p["address_state"], p["address_zip"]) == (
        "123 Oak Street",
        "Springfield",
        "IL",
        "62701",
    )
    assert (p["emergency_contact_name"], p["emergency_contact_phone"]) == ("Robert Johnson", "555-0123")
    assert (p["insurance_provider"], p["insurance_policy_number"]) == ("Medicare", "MEDICARE-789456123")
    assert [c["condition"] for c in draft.conditions] == ["Diabetes Type 2", "Hypertension", "Arthritis"]
    # persona-based defaults for the unspecified fields
    assert p["phone"].startswith("(217) 555-01")
    assert p["email"].endswith("@example.net")
    assert draft.profile["persona"] == "elderly_patient"
    assert draft.profile["tech_savviness"] == "low"
    assert p["status"] == "active"


def test_with_age_is_exact_on_rng_today() -> None:
    for seed in range(40):
        draft = PatientBuilder(rng=Randomness(seed, today=TODAY)).with_age(72).build()
        assert age_on(draft.patient["date_of_birth"], TODAY) == 72


def test_with_age_range_draws_inside_both_ranges() -> None:
    rng = Randomness(4, today=TODAY)
    b = PatientBuilder(rng=rng).with_persona("chronic_condition_patient").with_age_range(20, 35)
    ages = {age_on(b.build().patient["date_of_birth"], TODAY) for _ in range(200)}
    assert ages == set(range(30, 36))  # persona 30-80 intersected with 20-35


def test_date_of_birth_accepts_iso_strings_and_dates(rng: Randomness) -> None:
    b = PatientBuilder(rng=rng).with_persona("young_professional")
    assert b.with_demographics(date_of_birth="1990-05-17").build().patient["date_of_birth"] == date(
        1990, 5, 17
    )
    assert b.with_demographics(date_of_birth=date(1991, 1, 2)).build().patient["date_of_birth"] == date(
        1991, 1, 2
    )


def test_explicit_values_win_and_persona_fills_the_rest(rng: Randomness) -> None:
    draft = (
        PatientBuilder(rng=rng)
        .with_persona("pediatric_patient")
        .with_demographics(last_name="Nguyen", gender="male")
        .with_contact(state="WA")
        .build()
    )
    p = draft.patient
    assert (p["last_name"], p["gender"], p["address_state"]) == ("Nguyen", "male", "WA")
    assert p["email"] is None
    assert draft.profile["emergency_contact_relationship"] in ("mother", "father", "guardian")
    assert get_persona("pediatric_patient").accepts_age(age_on(p["date_of_birth"], TODAY))


def test_insurance_provider_alone_gets_a_policy_of_that_payer(rng: Randomness) -> None:
    b = PatientBuilder(rng=rng).with_persona("elderly_patient").with_insurance("Humana Medicare Advantage")
    p = b.build().patient
    assert p["insurance_policy_number"] == identifiers.policy_number(
        1, PAYERS.get("Humana Medicare Advantage")
    )


def test_status_methods(rng: Randomness) -> None:
    b = PatientBuilder(rng=rng)
    assert b.as_inactive().build().patient["status"] == "inactive"
    assert b.as_deceased().build().patient["status"] == "deceased"
    assert b.with_status("active").build().patient["status"] == "active"


def test_reset_forgets_explicit_values_but_keeps_counting(rng: Randomness) -> None:
    b = PatientBuilder(rng=rng).with_demographics("Zed").as_deceased()
    first = b.build()
    second = b.reset().build()
    assert first.patient["first_name"] == "Zed" and first.patient["status"] == "deceased"
    assert second.patient["status"] == "active"
    assert (first.patient["id"], second.patient["id"]) == (1, 2)
    assert first.patient["patient_id"] != second.patient["patient_id"]


def test_medical_history_none_draws_from_the_persona_and_strings_split(rng: Randomness) -> None:
    b = PatientBuilder(rng=rng).with_persona("elderly_patient")
    assert [c["condition"] for c in b.with_medical_history("Hypertension, Arthritis").build().conditions] == [
        "Hypertension",
        "Arthritis",
    ]
    drawn = b.with_medical_history(None).build().conditions
    assert drawn and all(c["chronic"] for c in drawn)


def test_without_persona_the_drawn_persona_agrees_with_explicit_values() -> None:
    for seed in range(60):
        rng = Randomness(seed, today=TODAY)
        assert PatientBuilder(rng=rng).with_age(8).build().persona.name == "pediatric_patient"
        assert PatientBuilder(rng=rng).with_insurance("Medicare").build().persona.accepts_age(66)
        draft = PatientBuilder(rng=rng).with_medical_history(["Dementia"]).build()
        assert age_on(draft.patient["date_of_birth"], TODAY) >= 65


def test_a_custom_persona_object_drives_and_checks_the_build(rng: Randomness) -> None:
    base = get_persona("young_professional")
    teen = replace(base, name="teen_athlete", demographics=replace(base.demographics, age_range=(13, 19)))
    draft = PatientBuilder(rng=rng).with_persona(teen).with_medical_history(["Ankle Sprain"]).build()
    assert 13 <= age_on(draft.patient["date_of_birth"], TODAY) <= 19
    assert draft.profile["persona"] == "teen_athlete"
    with pytest.raises(PersonaValidationError, match="teen_athlete's range 13-19"):
        PatientBuilder(rng=rng).with_persona(teen).with_age(30).build()


def test_same_seed_same_builds() -> None:
    def run() -> list[dict]:
        b = PatientBuilder(rng=Randomness(77, today=TODAY))
        return [b.with_persona(p).build().patient for p in ("elderly_patient", "pediatric_patient")]

    assert run() == run()


# --- error paths -------------------------------------------------------------------------


def test_persona_age_contradiction_names_field_rule_value_range_and_recovery(rng: Randomness) -> None:
    with pytest.raises(PersonaValidationError) as info:
        PatientBuilder(rng=rng).with_persona("elderly_patient").with_age(30).build()
    error = info.value
    [violation] = error.report.violations
    assert error.fields == ["age"]
    assert violation.rule == "persona_age_range"
    assert "30" in violation.message and "65-95" in violation.message
    assert error.recovery == [
        "adjust age to 65-95 or choose persona young_professional/chronic_condition_patient/uninsured_patient"
    ]


def test_order_of_calls_does_not_matter_for_the_age_check(rng: Randomness) -> None:
    with pytest.raises(PersonaValidationError):
        PatientBuilder(rng=rng).with_age(30).with_persona("elderly_patient").build()


def test_date_of_birth_outside_persona_and_disagreeing_with_age(rng: Randomness) -> None:
    with pytest.raises(PersonaValidationError, match="age 10 is outside elderly_patient"):
        PatientBuilder(rng=rng).with_persona("elderly_patient").with_demographics(
            date_of_birth="2016-01-01"
        ).build()
    with pytest.raises(BusinessRuleViolation, match="makes the patient 36"):
        PatientBuilder(rng=rng).with_age(30).with_demographics(date_of_birth="1990-01-01").build()


def test_malformed_policy_number_is_a_format_error_with_pattern_and_regenerate(rng: Randomness) -> None:
    with pytest.raises(FormatValidationError) as info:
        PatientBuilder(rng=rng).with_persona("elderly_patient").with_insurance(
            "Medicare", "MEDICARE-12"
        ).build()
    violation = info.value.report.violations[0]
    assert violation.field == "insurance_policy_number"
    assert r"^MEDICARE-\d{9}$" in violation.message
    assert violation.recovery.startswith("regenerate")
    with pytest.raises(FormatValidationError, match="PREFIX-NNNNNNNNN"):
        PatientBuilder(rng=rng).with_insurance(policy_number="XYZ-1").build()


@pytest.mark.parametrize(
    ("chain", "error", "fragment"),
    [
        (lambda b: b.with_demographics(gender="woman"), FormatValidationError, "gender 'woman'"),
        (lambda b: b.with_status("archived"), FormatValidationError, "status 'archived'"),
        (lambda b: b.with_age(-1), FormatValidationError, "age -1"),
        (lambda b: b.with_age_range(50, 20), FormatValidationError, "age range 50-20"),
        (lambda b: b.with_demographics(date_of_birth="22/11/1950"), FormatValidationError, "22/11/1950"),
        (lambda b: b.with_demographics(date_of_birth="2030-01-01"), FormatValidationError, "after today"),
        (lambda b: b.with_insurance("Acme Health"), FormatValidationError, "'Acme Health'"),
        (
            lambda b: b.with_persona("uninsured_patient").with_insurance("Aetna"),
            PersonaValidationError,
            "uninsured_patient has no insurance",
        ),
        (
            lambda b: b.with_persona("elderly_patient").with_insurance("Aetna"),
            PersonaValidationError,
            "does not fit elderly_patient",
        ),
        (
            lambda b: b.with_persona("young_professional").with_age_range(50, 60),
            PersonaValidationError,
            "does not overlap",
        ),
        (
            lambda b: b.with_persona("pediatric_patient").with_medical_history(["Dementia"]),
            BusinessRuleViolation,
            "'Dementia'",
        ),
        (
            lambda b: b.with_persona("elderly_patient").with_age(70).with_medical_history(["Otitis Media"]),
            BusinessRuleViolation,
            "not age-appropriate at 70",
        ),
        (lambda b: b.with_contact(phone="(312) 867-5309"), BusinessRuleViolation, "555-0100..0199"),
        (lambda b: b.with_contact(email="jane@gmail.com"), BusinessRuleViolation, "reserved domain"),
        (
            lambda b: b.with_contact(city="Chicago", state="IL", zip="90210"),
            BusinessRuleViolation,
            "does not belong",
        ),
    ],
)
def test_bad_explicit_values_raise_clear_errors(rng: Randomness, chain, error, fragment: str) -> None:
    with pytest.raises(error) as info:
        chain(PatientBuilder(rng=rng)).build()
    assert fragment in str(info.value)
    assert info.value.recovery


def test_unknown_names_raise_with_suggestions(rng: Randomness) -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'elderly_patient'"):
        PatientBuilder(rng=rng).with_persona("elderly_patinet")
    with pytest.raises(UnknownNameError, match="did you mean 'Diabetes Type 2'"):
        PatientBuilder(rng=rng).with_medical_history(["Diabetes Typ 2"]).build()


def test_no_persona_fits_the_explicit_values(rng: Randomness) -> None:
    with pytest.raises(PersonaValidationError, match="no persona accepts"):
        PatientBuilder(rng=rng).with_age(10).with_insurance("Medicare").build()


def test_create_without_database_is_a_configuration_error(rng: Randomness) -> None:
    with pytest.raises(ConfigurationError, match="needs a database"):
        PatientBuilder(rng=rng).create()


# --- persistence (SQLite and PostgreSQL) -------------------------------------------------------


def test_create_persists_patient_conditions_and_profile(db: Database, rng: Randomness) -> None:
    patient = feature_example(PatientBuilder(db, rng)).create()
    assert isinstance(patient, Patient)
    assert sa_inspect(patient).detached
    assert patient.id == 1 and patient.patient_id == identifiers.patient_id(1)
    assert [c.condition for c in patient.conditions] == ["Diabetes Type 2", "Hypertension", "Arthritis"]
    assert patient.profile is not None and patient.profile.persona == "elderly_patient"
    assert db.counts()["patients"] == 1
    assert db.counts()["patient_conditions"] == 3
    assert db.counts()["patient_profiles"] == 1

    with db.engine.connect() as conn:
        row = dict(conn.execute(select(Patient.__table__).where(Patient.id == patient.id)).one()._mapping)
        history = [dict(r._mapping) for r in conn.execute(select(PatientCondition.__table__))]
        profile = dict(conn.execute(select(PatientProfile.__table__)).one()._mapping)
    assert row["first_name"] == "Margaret" and row["date_of_birth"] == patient.date_of_birth
    assert age_on(row["date_of_birth"], TODAY) == 72
    assert check_patient(row, history, profile, today=TODAY) == []

    second = PatientBuilder(db, rng).with_persona("pediatric_patient").create()
    assert second.id == 2 and second.patient_id == identifiers.patient_id(2)
    assert db.counts()["patients"] == 2


def test_create_advances_postgres_sequences(db: Database, rng: Randomness) -> None:
    PatientBuilder(db, rng).create()
    with db.transaction() as conn:  # an insert without an explicit id must not clash
        conn.execute(
            text(
                "INSERT INTO patients (uuid, patient_id, first_name, last_name, date_of_birth) "
                "VALUES ('u-1', 'PAT-00000000', 'A', 'B', '1990-01-01')"
            )
        )
    assert db.counts()["patients"] == 2


def test_failed_create_writes_nothing(db: Database, rng: Randomness) -> None:
    PatientBuilder(db, rng).create()
    before = db.counts()
    with pytest.raises(PersonaValidationError):
        PatientBuilder(db, rng).with_persona("elderly_patient").with_age(30).create()
    assert db.counts() == before


def test_other_integrity_errors_become_persistence_errors(db: Database, rng: Randomness) -> None:
    before = db.counts()
    with pytest.raises(PersistenceError) as info:
        PatientBuilder(db, rng).with_tenant(999).create()  # no such tenant: foreign key
    assert info.value.rows_written == 0 and info.value.recovery
    assert db.counts() == before


def test_unique_clash_becomes_uniqueness_violation_and_writes_nothing(db: Database, rng: Randomness) -> None:
    existing = PatientBuilder(db, rng).create()
    # Make the next serial's SSN collide: a row whose ssn is what serial 2 would get.
    with db.transaction() as conn:
        conn.execute(
            text("UPDATE patients SET ssn = :ssn WHERE id = :id"),
            {"ssn": identifiers.ssn(2), "id": existing.id},
        )
    before = db.counts()
    with pytest.raises(UniquenessViolation) as info:
        PatientBuilder(db, rng).create()
    assert (info.value.entity, info.value.field) == ("patients", "ssn")
    assert "nothing was written" in info.value.recovery
    assert db.counts() == before


# --- where each argument is stored ---------------------------------------------------------

# One value per chain method, consistent with each other and with elderly_patient.
STORED_EXAMPLE: dict[str, tuple[object, ...]] = {
    "with_persona": ("elderly_patient",),
    "with_demographics": ("Margaret", "Johnson", "1954-03-14", "female"),
    "with_contact": (
        "555-0142",
        "margaret.johnson@example.net",
        "123 Oak Street",
        "Springfield",
        "IL",
        "62701",
    ),
    "with_emergency_contact": ("Robert Johnson", "555-0123"),
    "with_insurance": ("Medicare", "MEDICARE-789456123"),
    "with_medical_history": (["Hypertension"],),
    "with_status": ("inactive",),
    "with_tenant": (1,),
}


def test_every_stored_argument_is_read_back_from_its_column(sqlite_db: Database, rng: Randomness) -> None:
    import inspect

    with sqlite_db.transaction() as conn:
        conn.execute(text("INSERT INTO tenants (id, uuid, name) VALUES (1, 'tenant-1', 'Clinic One')"))
    builder = PatientBuilder(sqlite_db, rng)
    for method, args in STORED_EXAMPLE.items():
        getattr(builder, method)(*args)
    patient = builder.create()
    with sqlite_db.engine.connect() as conn:
        rows = {
            table: [
                dict(r._mapping)
                for r in conn.execute(text(f"SELECT * FROM {table} WHERE {key} = :id"), {"id": patient.id})
            ]
            for table, key in (
                ("patients", "id"),
                ("patient_profiles", "patient_id"),
                ("patient_conditions", "patient_id"),
            )
        }
    checked = set()
    for method, args in STORED_EXAMPLE.items():
        parameters = list(inspect.signature(getattr(PatientBuilder, method)).parameters)[1:]
        for parameter, value in zip(parameters, args, strict=False):
            table, column, _ = PatientBuilder.stored_column(method, parameter)
            stored = [r[column] for r in rows[table]]
            if table == "patient_conditions":
                assert set(value) <= set(stored), (method, parameter)
            else:
                assert [str(v) for v in stored] == [str(value)], (method, parameter, stored)
            checked.add((method, parameter))
    assert checked == set(PatientBuilder.STORED_AS) - {("with_age", "age")}


def test_stored_as_names_real_columns_and_builder_parameters() -> None:
    import inspect

    from healthcare_data.schema import Base

    for (method, parameter), (table, column) in PatientBuilder.STORED_AS.items():
        assert parameter in inspect.signature(getattr(PatientBuilder, method)).parameters
        assert column in Base.metadata.tables[table].c or (table, column) == ("patients", "age")


def test_with_age_is_stored_as_the_age_on_rng_today(sqlite_db: Database, rng: Randomness) -> None:
    assert PatientBuilder.stored_column("with_age", "age") == ("patients", "age", "==")
    patient = PatientBuilder(sqlite_db, rng).with_persona("elderly_patient").with_age(72).create()
    assert age_on(patient.date_of_birth, rng.today) == 72


def test_an_argument_stored_nowhere_as_given_is_refused_with_the_known_ones() -> None:
    with pytest.raises(UnknownNameError, match=r"did you mean 'with_contact\(zip\)'") as caught:
        PatientBuilder.stored_column("with_contact", "zipcode")
    assert "with_insurance(policy_number)" in str(caught.value)


def test_an_age_range_bounds_the_stored_age(sqlite_db: Database, rng: Randomness) -> None:
    assert PatientBuilder.stored_column("with_age_range", "min_age") == ("patients", "age", ">=")
    assert PatientBuilder.stored_column("with_age_range", "max_age") == ("patients", "age", "<=")
    for _ in range(5):
        patient = (
            PatientBuilder(sqlite_db, rng).with_persona("elderly_patient").with_age_range(70, 72).create()
        )
        assert 70 <= age_on(patient.date_of_birth, rng.today) <= 72


@pytest.mark.parametrize(
    "written",
    ["(312) 555-0142", "312-555-0142", "312.555.0142", "312 555 0142", "3125550142", "+1 312 555 0142"],
)
def test_phones_as_people_write_them_are_stored_normalised(rng: Randomness, written: str) -> None:
    draft = PatientBuilder(rng=rng).with_contact(phone=written).with_emergency_contact("Ann", written).build()
    assert draft.patient["phone"] == draft.patient["emergency_contact_phone"] == "(312) 555-0142"


def test_a_normalised_phone_still_has_to_be_fictional(rng: Randomness) -> None:
    with pytest.raises(BusinessRuleViolation, match=r"'\(312\) 867-5309' is outside the fictional"):
        PatientBuilder(rng=rng).with_contact(phone="312.867.5309").build()
