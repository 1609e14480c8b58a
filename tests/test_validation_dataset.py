"""Whole-dataset shape checks on SQLite and PostgreSQL: each passes on a fitting dataset and
names what is missing or skewed on one that does not fit."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from healthcare_data.db import Database
from healthcare_data.errors import UnknownNameError
from healthcare_data.personas import PERSONAS
from healthcare_data.randomness import Randomness
from healthcare_data.rows.providers import draft_provider, practice_state_of, specialties_for
from healthcare_data.schema import Base
from healthcare_data.validation.dataset import (
    UNKNOWN_STATE,
    find_appointments_outside_window,
    find_missing_personas,
    find_missing_specialties,
    find_practice_state_skew,
    practice_state_counts,
)
from healthcare_data.validation.report import STATISTICS


def patient_row(n: int) -> dict[str, Any]:
    """The columns a patients row needs; the checks here never read the others."""
    return {
        "id": n,
        "uuid": f"00000000-0000-4000-8000-{n:012d}",
        "patient_id": f"PAT-{n:08d}",
        "first_name": "Test",
        "last_name": f"Patient{n}",
        "date_of_birth": date(1980, 1, 1),
        "gender": "female",
    }


def insert(db: Database, table: str, rows: list[dict[str, Any]]) -> None:
    with db.transaction() as conn:
        conn.execute(Base.metadata.tables[table].insert(), rows)


def store_patients(db: Database, personas: list[str]) -> None:
    insert(db, "patients", [patient_row(n) for n in range(1, len(personas) + 1)])
    insert(
        db,
        "patient_profiles",
        [{"patient_id": n, "persona": name} for n, name in enumerate(personas, start=1)],
    )


def store_providers(db: Database, rng: Randomness, count: int, **draft: Any) -> list[dict[str, Any]]:
    rows = [draft_provider(rng, n, **draft) for n in range(1, count + 1)]
    insert(db, "providers", rows)
    return rows


# --- personas ----------------------------------------------------------------------------


def test_every_persona_present_passes(db: Database) -> None:
    store_patients(db, PERSONAS.names())
    with db.engine.connect() as conn:
        assert find_missing_personas(conn) == []


def test_a_missing_persona_is_named(db: Database) -> None:
    store_patients(db, [n for n in PERSONAS.names() if n != "pediatric_patient"] * 2)
    with db.engine.connect() as conn:
        found = find_missing_personas(conn)
    assert [(v.entity, v.key, v.rule, v.category) for v in found] == [
        ("patient_profiles", "persona:pediatric_patient", "persona_present", STATISTICS)
    ]
    assert "'pediatric_patient'" in found[0].message


def test_an_empty_dataset_misses_every_persona_and_a_subset_can_be_asked(db: Database) -> None:
    with db.engine.connect() as conn:
        assert len(find_missing_personas(conn)) == len(PERSONAS.names())
        assert [v.key for v in find_missing_personas(conn, ["elderly_patient"])] == [
            "persona:elderly_patient"
        ]


def test_an_unknown_persona_name_is_refused(db: Database) -> None:
    with db.engine.connect() as conn, pytest.raises(UnknownNameError, match="elderly_patient"):
        find_missing_personas(conn, ["elderly_patinet"])


# --- specialties -------------------------------------------------------------------------


def test_every_drawable_specialty_present_passes(db: Database, rng: Randomness) -> None:
    insert(db, "providers", [draft_provider(rng, n, s) for n, s in enumerate(specialties_for(()), start=1)])
    with db.engine.connect() as conn:
        assert find_missing_specialties(conn) == []


def test_a_missing_specialty_is_named(db: Database, rng: Randomness) -> None:
    present = [s for s in specialties_for(()) if s != "Cardiology"]
    insert(db, "providers", [draft_provider(rng, n, s) for n, s in enumerate(present, start=1)])
    with db.engine.connect() as conn:
        found = find_missing_specialties(conn)
        assert [(v.key, v.rule) for v in found] == [("specialty:Cardiology", "specialty_present")]
        assert find_missing_specialties(conn, ["Pediatrics"]) == []


# --- practice states ---------------------------------------------------------------------


def test_practice_state_counts_agree_with_the_row_reader(db: Database, rng: Randomness) -> None:
    rows = store_providers(db, rng, 60)
    virtual = draft_provider(rng, 61, traits="telemedicine", state="TX")
    insert(db, "providers", [virtual])
    expected: dict[str, int] = {}
    for row in [*rows, virtual]:
        state = practice_state_of(row)
        expected[state] = expected.get(state, 0) + 1
    with db.engine.connect() as conn:
        assert dict(practice_state_counts(conn)) == expected
    assert practice_state_of(virtual) == "TX"


def test_an_unparsable_address_counts_as_unknown(db: Database, rng: Randomness) -> None:
    insert(db, "providers", [draft_provider(rng, 1, practice_address="somewhere nice")])
    with db.engine.connect() as conn:
        assert dict(practice_state_counts(conn)) == {UNKNOWN_STATE: 1}


def test_states_drawn_from_the_weights_pass(db: Database, rng: Randomness) -> None:
    store_providers(db, rng, 400)
    with db.engine.connect() as conn:
        assert find_practice_state_skew(conn) == []


def test_every_provider_in_one_state_is_a_skew(db: Database, rng: Randomness) -> None:
    store_providers(db, rng, 400, state="WY")
    with db.engine.connect() as conn:
        found = find_practice_state_skew(conn)
    assert [(v.entity, v.field, v.rule) for v in found] == [
        ("providers", "practice_address", "provider_state_distribution")
    ]
    assert "WY" in found[0].message


# --- appointment window ------------------------------------------------------------------


def store_appointments(db: Database, rng: Randomness, days: list[datetime]) -> None:
    insert(db, "patients", [patient_row(1)])
    insert(db, "providers", [draft_provider(rng, 1)])
    insert(
        db,
        "appointments",
        [
            {
                "id": n,
                "uuid": f"00000000-0000-4000-a000-{n:012d}",
                "patient_id": 1,
                "provider_id": 1,
                "appointment_date": day,
                "duration_minutes": 30,
                "appointment_type": "Follow-up",
            }
            for n, day in enumerate(days, start=1)
        ],
    )


FIRST, LAST = date(2026, 6, 1), date(2026, 12, 1)


def test_appointments_inside_the_window_pass_including_its_edges(db: Database, rng: Randomness) -> None:
    store_appointments(
        db, rng, [datetime(2026, 6, 1, 8, 0), datetime(2026, 9, 1, 9), datetime(2026, 12, 1, 16)]
    )
    with db.engine.connect() as conn:
        assert find_appointments_outside_window(conn, FIRST, LAST) == []


def test_appointments_before_and_after_the_window_are_reported(db: Database, rng: Randomness) -> None:
    store_appointments(db, rng, [datetime(2026, 5, 29, 9), datetime(2026, 9, 1, 9), datetime(2026, 12, 2, 9)])
    with db.engine.connect() as conn:
        found = find_appointments_outside_window(conn, FIRST, LAST)
    assert [(v.key, v.rule) for v in found] == [
        ("earliest", "appointment_window"),
        ("latest", "appointment_window"),
    ]
    assert "2026-05-29" in found[0].message and "2026-12-02" in found[1].message


def test_no_appointments_is_nothing_outside(db: Database) -> None:
    with db.engine.connect() as conn:
        assert find_appointments_outside_window(conn, FIRST, LAST) == []


def test_a_reversed_window_is_refused(db: Database) -> None:
    with (
        db.engine.connect() as conn,
        pytest.raises(ValueError, match="2026-12-01 is after its end 2026-06-01"),
    ):
        find_appointments_outside_window(conn, LAST, FIRST)
