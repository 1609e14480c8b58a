"""Journey definitions as data: the built-in file, custom TOML/YAML files, and the drug
reference that makes prescriptions fit their diagnoses."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest
import yaml

from healthcare_data.errors import ConfigurationError
from healthcare_data.journeys import default_definitions, load_definitions
from healthcare_data.journeys.definitions import ACTION_NAMES
from healthcare_data.journeys.drugs import DRUGS, NOT_PRESCRIBED, drugs_for, fits_diagnosis
from healthcare_data.journeys.engine import ACTIONS
from healthcare_data.reference import CONDITIONS


def _default_text() -> str:
    return resources.files("healthcare_data.reference").joinpath("journeys.toml").read_text("utf-8")


def test_built_in_journeys_cover_the_spec_workflows():
    d = default_definitions()
    assert {"registration", "acute_care", "chronic_care", "specialist_referral", "preventive_care"} <= set(
        d.journeys
    )
    assert set(ACTION_NAMES) == set(ACTIONS)
    shares = {name: s.share for name, s in d.segments.items()}
    assert shares == {"new": 0.30, "active": 0.50, "frequent": 0.15, "inactive": 0.05}
    acute = d.journey("acute_care")
    assert acute.allows("prescribed", "dispensed") and acute.allows("prescribed", "not_picked_up")
    assert not acute.allows("booked", "dispensed")
    assert {t.target for t in acute.outgoing("booked")} == {"attended", "cancelled", "no_show"}


def test_a_user_changes_and_adds_a_journey_in_toml_without_python(tmp_path):
    text = (
        _default_text()
        + """
[journeys.walk_in]
title = "Walk-in visit"
weight = 0.2
start = "booked"
steps.booked = { action = "book_visit", appointment_types = ["Sick Visit"], lead_days = [0, 0] }
steps.attended = { action = "attend_visit" }
transitions = [{ from = "booked", to = "attended", weight = 1.0, at = "appointment" }]
"""
    )
    path = tmp_path / "mine.toml"
    path.write_text(text.replace("weight = 0.45", "weight = 0.9"), "utf-8")
    d = load_definitions(path)
    assert d.journey("walk_in").allows("booked", "attended")
    assert d.journey("acute_care").weight == 0.9


def test_yaml_files_work_too(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(tomllib.loads(_default_text())), "utf-8")
    assert set(load_definitions(path).journeys) == set(default_definitions().journeys)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('action = "prescribe"', 'action = "presribe"', "unknown action 'presribe'"),
        (
            'to = "dispensed", weight = 0.85',
            'to = "dispenced", weight = 0.85',
            "to 'dispenced' is not a step",
        ),
        ("gap_days = [0, 3]", "gap_days = [3, 0]", "[3, 0] is not a [low, high] range"),
        ('at = "appointment" },', 'at = "tomorrow" },', "at 'tomorrow' is unknown"),
        ('cardiovascular = "Cardiology"', 'cardiovascular = "Cardiolgy"', "unknown specialty 'Cardiolgy'"),
    ],
)
def test_a_bad_journey_file_is_one_clear_error(tmp_path, old, new, message):
    text = _default_text()
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1), "utf-8")
    with pytest.raises(ConfigurationError) as caught:
        load_definitions(path)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_or_unreadable_files(tmp_path):
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_definitions(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[journeys\n", "utf-8")
    with pytest.raises(ConfigurationError, match="is not valid"):
        load_definitions(bad)


def test_every_listed_medication_is_a_drug_or_not_prescribed_and_fits_its_condition():
    for name, condition in CONDITIONS.items():
        for medication in condition.medications:
            assert medication in DRUGS or medication in NOT_PRESCRIBED, (name, medication)
            if medication in DRUGS:
                assert condition.icd10 in DRUGS[medication].treats, (name, medication)
    for drug in DRUGS.values():
        assert drug.rxcui.isdigit() and drug.quantity > 0 and drug.refills >= 0


def test_no_amoxicillin_for_type_2_diabetes():
    assert not fits_diagnosis("723", "E11.9")
    assert fits_diagnosis("723", "J02.0")
    assert [d.name for d in drugs_for("Metformin 500 mg twice daily; Glipizide 5 mg daily")] == [
        "metformin",
        "glipizide",
    ]
    assert {d.rxcui for d in drugs_for("Metformin 500 mg twice daily")} == {"6809"}
