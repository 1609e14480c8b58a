"""draft_provider and the provider traits: credentials, practice data, trait rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthcare_data import fakes, identifiers
from healthcare_data.errors import BusinessRuleViolation, UnknownNameError
from healthcare_data.randomness import Randomness
from healthcare_data.reference import SPECIALTIES
from healthcare_data.rows.providers import (
    PROVIDER_COLUMNS,
    TRAITS,
    allowed_practice_types,
    draft_provider,
    is_virtual,
    offers_telemedicine,
    practice_location_of,
    practice_state_of,
    practice_type_of,
    provider_fits_traits,
    provider_trait_violations,
    specialties_for,
)
from healthcare_data.validation.providers import address_in_state, check_provider

# The feature file's provider table.
FEATURE_ROWS = [
    ("Internal Medicine", "primary_care", "Medical Center"),
    ("Cardiology", "specialist,hospital_based", "Hospital"),
    ("Pediatrics", "primary_care", "Clinic"),
    ("Emergency Medicine", "hospital_based", "Hospital"),
    ("Telemedicine", "telemedicine", "Virtual Practice"),
]


@pytest.mark.parametrize(("specialty", "traits", "practice_type"), FEATURE_ROWS)
def test_feature_configurations_draft_valid_providers(rng, specialty, traits, practice_type):
    row = draft_provider(rng, 7, specialty, traits, practice_type)
    assert row["specialty"] == specialty
    assert practice_type_of(row) == practice_type
    assert row["practice_name"].endswith(f"{specialty} {practice_type}")
    assert check_provider(row) == []


def test_every_column_is_drafted(rng):
    row = draft_provider(rng, 3)
    assert set(row) == set(PROVIDER_COLUMNS)  # created_at too: midnight of rng.today, reproducible
    assert row["id"] == 3
    assert row["npi_number"] == identifiers.npi(3)
    assert row["status"] == "active"


def test_license_state_matches_practice_address(rng):
    row = draft_provider(rng, 11, "Cardiology", state="IL")
    assert row["license_number"] == identifiers.license_number(11, "IL")
    city, state, zip_code = practice_location_of(row)
    assert state == "IL"
    assert address_in_state(city, state, zip_code)
    assert fakes.address_is_consistent(city, state, zip_code)


def test_contact_is_professional_and_safe(rng):
    row = draft_provider(rng, 5, "Dermatology")
    assert row["email"].startswith(f"dr.{row['last_name'].lower().replace(' ', '')[:3]}")
    assert row["email"].endswith("@example.org")
    assert fakes.is_safe_email(row["email"])
    assert fakes.is_safe_phone(row["phone"])


def test_telemedicine_marks_virtual_care(rng):
    row = draft_provider(rng, 2, "Internal Medicine", "telemedicine", state="IL")
    assert row["practice_address"] == "Virtual care — telehealth only (licensed in IL)"
    assert practice_state_of(row) == "IL"
    assert is_virtual(row) and offers_telemedicine(row)
    assert check_provider(row) == []


def test_hospital_based_names_the_affiliated_hospital(rng):
    row = draft_provider(rng, 4, traits=["hospital_based"])
    assert SPECIALTIES.get(row["specialty"]).hospital_based
    assert practice_type_of(row) == "Hospital"
    assert "Hospital" in row["practice_address"] or "Medical Center" in row["practice_address"]
    assert check_provider(row) == []


@pytest.mark.parametrize("seed", range(20))
def test_trait_pools_are_respected(seed):
    rng = Randomness(seed)
    assert SPECIALTIES.get(draft_provider(rng, 1, traits="primary_care")["specialty"]).primary_care
    assert not SPECIALTIES.get(draft_provider(rng, 1, traits="specialist")["specialty"]).primary_care
    row = draft_provider(rng, 1, traits="specialist")
    if "Specialty Practice" in SPECIALTIES.get(row["specialty"]).practice_types:
        assert practice_type_of(row) == "Specialty Practice"


def test_default_specialty_never_the_telemedicine_line(rng):
    assert "Telemedicine" not in specialties_for(())
    drawn = {draft_provider(rng, i)["specialty"] for i in range(1, 400)}
    assert "Telemedicine" not in drawn
    assert len(drawn) > 8


def test_practice_type_defaults_to_one_the_specialty_allows(rng):
    for serial in range(1, 100):
        row = draft_provider(rng, serial)
        assert practice_type_of(row) in SPECIALTIES.get(row["specialty"]).practice_types


def test_explicit_values_win(rng):
    row = draft_provider(rng, 1, "Neurology", first_name="Ada", status="inactive", tenant_id=3)
    assert (row["first_name"], row["status"], row["tenant_id"]) == ("Ada", "inactive", 3)


def test_unknown_column_is_refused(rng):
    with pytest.raises(UnknownNameError, match="npi_numbr.*did you mean 'npi_number'"):
        draft_provider(rng, 1, npi_numbr="1")


def test_unknown_trait_suggests_the_closest(rng):
    with pytest.raises(UnknownNameError) as info:
        draft_provider(rng, 1, traits="primary_cars")
    assert info.value.suggestion == "primary_care"
    assert "provider trait" in str(info.value)


def test_unknown_specialty_suggests_the_closest(rng):
    with pytest.raises(UnknownNameError, match="did you mean 'Cardiology'"):
        draft_provider(rng, 1, "Cardiolgy")


def test_unknown_practice_type(rng):
    with pytest.raises(UnknownNameError, match="practice type 'Hospitl'"):
        draft_provider(rng, 1, "Cardiology", practice_type="Hospitl")


def test_trait_incompatible_with_specialty(rng):
    with pytest.raises(BusinessRuleViolation) as info:
        draft_provider(rng, 1, "Cardiology", "primary_care")
    message = str(info.value)
    assert "'Cardiology' is incompatible with trait 'primary_care'" in message
    assert "Internal Medicine" in message  # recovery lists fitting specialties
    assert info.value.report.violations[0].rule == "trait_specialty_compatible"


def test_contradicting_traits(rng):
    with pytest.raises(BusinessRuleViolation, match="No specialty satisfies"):
        draft_provider(rng, 1, traits="primary_care,specialist")
    with pytest.raises(BusinessRuleViolation, match="different practice types"):
        draft_provider(rng, 1, traits="hospital_based,telemedicine")
    with pytest.raises(BusinessRuleViolation, match="contradicts trait 'hospital_based'"):
        draft_provider(rng, 1, "Cardiology", "hospital_based", "Clinic")


def test_explicit_practice_type_outside_specialty_is_built_but_flagged(rng):
    row = draft_provider(rng, 1, "Dermatology", practice_type="Hospital")
    assert practice_type_of(row) == "Hospital"
    rules = {v.rule for v in check_provider(row)}
    assert rules == {"practice_type_for_specialty"}


def test_allowed_practice_types_add_virtual_for_telehealth_specialties():
    assert "Virtual Practice" in allowed_practice_types("Internal Medicine")
    assert "Virtual Practice" not in allowed_practice_types("Orthopedics")


def test_traits_are_data():
    trait = TRAITS.get("hospital_based")
    assert trait.params["practice_type"] == "Hospital"
    assert trait.description
    assert set(TRAITS.names()) == {"primary_care", "specialist", "hospital_based", "telemedicine"}


def test_same_seed_same_rows():
    first = [draft_provider(Randomness(9), n, traits="specialist") for n in range(1, 30)]
    second = [draft_provider(Randomness(9), n, traits="specialist") for n in range(1, 30)]
    assert first == second
    assert draft_provider(Randomness(9), 1) != draft_provider(Randomness(10), 1)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    serial=st.integers(1, 999_999),
    traits=st.sampled_from(["", "primary_care", "specialist", "specialist,hospital_based", "telemedicine"]),
)
def test_drafts_pass_the_validator(seed, serial, traits):
    row = draft_provider(Randomness(seed), serial, traits=traits)
    assert check_provider(row) == []


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), serial=st.integers(1, 999_999), bump=st.integers(1, 9))
def test_wrong_npi_check_digit_is_caught(seed, serial, bump):
    row = draft_provider(Randomness(seed), serial)
    npi = row["npi_number"]
    row["npi_number"] = npi[:9] + str((int(npi[9]) + bump) % 10)
    assert [v.rule for v in check_provider(row)] == ["npi_check_digit"]


# --- trait fit of a stored row -----------------------------------------------------------


@pytest.mark.parametrize(("specialty", "traits", "practice_type"), FEATURE_ROWS)
def test_drafted_feature_providers_fit_their_traits(rng, specialty, traits, practice_type):
    row = draft_provider(rng, 7, specialty, traits, practice_type)
    assert provider_trait_violations(row, traits) == []
    assert provider_fits_traits(row, traits.split(","))


@pytest.mark.parametrize("seed", range(10))
def test_drafts_with_only_traits_fit_them(seed):
    for traits in (
        "primary_care",
        "specialist",
        "hospital_based",
        "telemedicine",
        "specialist,hospital_based",
    ):
        assert provider_fits_traits(draft_provider(Randomness(seed), 1, traits=traits), traits)


def test_no_traits_always_fit(rng):
    assert provider_fits_traits({"specialty": "Nonsense"}, ())


def test_a_specialty_the_trait_excludes_is_reported(rng):
    row = draft_provider(rng, 1, "Cardiology")
    found = provider_trait_violations(row, "primary_care")
    assert [(v.field, v.rule, v.key) for v in found] == [
        ("specialty", "trait_specialty_compatible", row["npi_number"])
    ]
    assert "'Cardiology'" in found[0].message and "Internal Medicine" in found[0].recovery


def test_a_practice_type_other_than_the_imposed_one_is_reported(rng):
    row = draft_provider(rng, 1, "Cardiology", "hospital_based")
    row["practice_name"] = row["practice_name"].replace("Hospital", "Clinic")
    found = provider_trait_violations(row, ["hospital_based"])
    assert [v.rule for v in found] == ["trait_practice_type"]
    assert "'Clinic'" in found[0].message and "Hospital" in found[0].message


def test_a_hospital_based_address_without_the_hospital_is_reported(rng):
    row = draft_provider(rng, 1, "Cardiology", "hospital_based")
    row["practice_address"] = row["practice_address"].split(", ", 1)[1]
    assert [v.rule for v in provider_trait_violations(row, "hospital_based")] == [
        "trait_hospital_affiliation"
    ]


def test_a_telemedicine_provider_with_a_street_address_is_reported(rng):
    row = draft_provider(rng, 1, "Telemedicine", "telemedicine")
    row["practice_address"] = "123 Oak Street, Springfield, IL 62701"  # still a Virtual Practice by name
    assert not provider_fits_traits(row, "telemedicine")
    assert [v.rule for v in provider_trait_violations(row, "telemedicine")] == ["trait_virtual_address"]


def test_an_unknown_trait_is_refused(rng):
    with pytest.raises(UnknownNameError, match="did you mean 'specialist'"):
        provider_trait_violations(draft_provider(rng, 1), "specialst")
