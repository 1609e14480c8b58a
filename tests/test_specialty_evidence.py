"""Specialty combinations come from cited figures (reference/specialties.toml).

Every specialty cites the figure behind its telehealth and hospital combinations (or says
why there is none); the loader derives the combinations from those figures alone; every
combination the data allows builds a valid provider, and every other one is refused with a
message naming the specialty, the trait or practice type and the valid ones.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

import pytest

from healthcare_data.errors import BusinessRuleViolation
from healthcare_data.factories import ProviderFactory
from healthcare_data.reference import (
    PRACTICE_TYPES,
    SPECIALTIES,
    SPECIALTY_SOURCES,
    derive_specialty,
)
from healthcare_data.rows.appointments import check_type_allowed
from healthcare_data.rows.providers import (
    TRAITS,
    draft_provider,
    provider_trait_violations,
    specialties_for,
)
from healthcare_data.validation.providers import check_provider

RAW: dict[str, Any] = tomllib.loads(
    resources.files("healthcare_data.reference").joinpath("specialties.toml").read_text("utf-8")
)
DERIVED = ("Telehealth Visit", "Hospital", "Virtual Practice")


# --- every specialty is cited -----------------------------------------------------------


@pytest.mark.parametrize("name", list(RAW["specialties"]))
@pytest.mark.parametrize("kind", ["telehealth", "hospital"])
def test_every_specialty_cites_a_figure_or_says_why_there_is_none(name: str, kind: str) -> None:
    evidence = RAW["specialties"][name].get(kind)
    assert evidence is not None, f"{name}: no [{kind}] evidence"
    assert str(evidence.get("note", "")).strip(), f"{name}/{kind}: no note"
    if "share" in evidence or evidence.get("named"):
        assert evidence["source"] in RAW["sources"], f"{name}/{kind}: figure without a known source"
    else:
        assert evidence["source"] == "none", f"{name}/{kind}: source {evidence['source']!r} but no figure"


@pytest.mark.parametrize("key", list(RAW["sources"]))
def test_every_source_has_title_year_url_and_table(key: str) -> None:
    source = RAW["sources"][key]
    for field in ("title", "year", "url", "table"):
        assert str(source.get(field, "")).strip(), f"source {key}: no {field}"
    assert source["url"].startswith("https://"), key


def test_hand_lists_never_name_a_derived_combination() -> None:
    for name, row in RAW["specialties"].items():
        hand = [*row["appointment_types"], *row["office_practice_types"]]
        assert not set(hand) & set(DERIVED), f"{name} lists {set(hand) & set(DERIVED)} by hand"


# --- the loader derives combinations from the figures -----------------------------------


def test_derived_combinations_are_the_ones_the_figures_support() -> None:
    telehealth = {n for n, s in SPECIALTIES.items() if s.telehealth}
    hospital = {n for n, s in SPECIALTIES.items() if s.hospital_based}
    assert telehealth == {
        "Internal Medicine",
        "Family Medicine",
        "Pediatrics",
        "Cardiology",
        "Psychiatry",
        "Neurology",
        "Telemedicine",
    }
    assert hospital == {
        "Cardiology",
        "Orthopedics",
        "Emergency Medicine",
        "Radiology",
        "Anesthesiology",
        "Surgery",
    }
    for name, spec in SPECIALTIES.items():
        assert spec.allows("Telehealth Visit") == spec.telehealth, name
        assert ("Virtual Practice" in spec.allowed_practice_types) == spec.telehealth, name
        assert ("Hospital" in spec.practice_types) == spec.hospital_based, name


def _row(telehealth: dict[str, Any], hospital: dict[str, Any]) -> dict[str, Any]:
    return {
        "taxonomy": "X",
        "primary_care": False,
        "appointment_types": ["Consultation"],
        "office_practice_types": ["Clinic"],
        "visit_fee": 1,
        "telehealth": telehealth,
        "hospital": hospital,
    }


def test_a_share_at_the_threshold_allows_and_just_below_does_not() -> None:
    line = SPECIALTY_SOURCES["ama-telehealth-2024"].threshold
    assert line is not None
    none = {"source": "none", "note": "n"}
    at = derive_specialty(
        "x", _row({"share": line, "source": "ama-telehealth-2024", "note": "n"}, none), SPECIALTY_SOURCES
    )
    below = derive_specialty(
        "x",
        _row({"share": line - 0.1, "source": "ama-telehealth-2024", "note": "n"}, none),
        SPECIALTY_SOURCES,
    )
    assert at.telehealth and at.allows("Telehealth Visit")
    assert not below.telehealth and not below.allows("Telehealth Visit")


def test_no_figure_no_combination_and_a_named_specialty_is_hospital_based() -> None:
    none = {"source": "none", "note": "n"}
    bare = derive_specialty("x", _row(none, none), SPECIALTY_SOURCES)
    assert not bare.telehealth and not bare.hospital_based and bare.practice_types == ("Clinic",)
    named = derive_specialty(
        "x", _row(none, {"named": True, "source": "mgma-hospital-based", "note": "n"}), SPECIALTY_SOURCES
    )
    assert named.hospital_based and named.practice_types == ("Hospital", "Clinic")


# --- every allowed combination builds, every other one is refused ------------------------

ALLOWED_PRACTICE = [(n, kind) for n, s in SPECIALTIES.items() for kind in s.allowed_practice_types]
REFUSED_PRACTICE = [
    (n, kind)
    for n, s in SPECIALTIES.items()
    for kind in PRACTICE_TYPES
    if kind not in s.allowed_practice_types
]
ALLOWED_TRAIT = [
    (n, t)
    for t in TRAITS.names()
    for n, spec in SPECIALTIES.items()
    if all(getattr(spec, attr) == wanted for attr, wanted in TRAITS.get(t).params["specialty"].items())
]
REFUSED_TRAIT = [(n, t) for t in TRAITS.names() for n in SPECIALTIES.names() if (n, t) not in ALLOWED_TRAIT]


@pytest.mark.parametrize(("specialty", "practice_type"), ALLOWED_PRACTICE)
def test_every_allowed_practice_type_builds_a_valid_provider(rng, specialty: str, practice_type: str) -> None:
    row = draft_provider(rng, 7, specialty, practice_type=practice_type, state="IL")
    assert check_provider(row) == []


@pytest.mark.parametrize(("specialty", "trait"), ALLOWED_TRAIT)
def test_every_allowed_trait_builds_a_valid_provider(rng, specialty: str, trait: str) -> None:
    row = draft_provider(rng, 7, specialty, trait, state="IL")
    assert check_provider(row) == [] and provider_trait_violations(row, trait) == []


@pytest.mark.parametrize(("specialty", "practice_type"), REFUSED_PRACTICE)
def test_every_other_practice_type_is_flagged_naming_the_valid_ones(
    rng, specialty: str, practice_type: str
) -> None:
    row = draft_provider(rng, 7, specialty, practice_type=practice_type, state="IL")
    [violation] = check_provider(row)
    text = f"{violation.message} {violation.recovery}"
    assert violation.rule == "practice_type_for_specialty"
    for fragment in (specialty, practice_type, *SPECIALTIES.get(specialty).allowed_practice_types):
        assert fragment in text, (fragment, text)


@pytest.mark.parametrize(("specialty", "trait"), REFUSED_TRAIT)
def test_every_other_trait_is_refused_naming_the_fitting_specialties(rng, specialty: str, trait: str) -> None:
    with pytest.raises(BusinessRuleViolation) as info:
        draft_provider(rng, 7, specialty, trait)
    text = str(info.value)
    for fragment in (repr(specialty), repr(trait), *specialties_for((TRAITS.get(trait),))):
        assert fragment in text, (fragment, text)
    assert "\n" not in text


def test_the_factory_refuses_a_combination_the_source_rules_out_and_stores_nothing(sqlite_db, rng) -> None:
    factory = ProviderFactory(sqlite_db, rng)
    with pytest.raises(BusinessRuleViolation) as info:
        factory.create(specialty="Dermatology", practice_type="Virtual Practice")
    assert "'Virtual Practice' does not fit specialty 'Dermatology'" in str(info.value)
    assert "Specialty Practice, Clinic, Medical Group" in str(info.value)
    with pytest.raises(
        BusinessRuleViolation, match=r"'Dermatology' is incompatible with trait 'telemedicine' \(3.7%"
    ):
        factory.create("telemedicine", specialty="Dermatology")
    assert sqlite_db.counts()["providers"] == 0
    assert factory.create("telemedicine", specialty="Psychiatry").specialty == "Psychiatry"


def test_a_telehealth_visit_is_refused_for_a_specialty_without_telehealth() -> None:
    check_type_allowed("Telehealth Visit", "Psychiatry")
    with pytest.raises(
        BusinessRuleViolation, match="'Telehealth Visit' is not offered by specialty 'Oncology'"
    ) as info:
        check_type_allowed("Telehealth Visit", "Oncology")
    assert "Psychiatry" in str(info.value)
