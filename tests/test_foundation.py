"""Randomness, registries, errors and fakes: the pieces everything else relies on."""

from __future__ import annotations

import pytest

from healthcare_data import fakes
from healthcare_data.errors import DataValidationError, UnknownNameError
from healthcare_data.personas import PERSONAS, get_persona, random_persona
from healthcare_data.randomness import Randomness, Weighted
from healthcare_data.registry import Registry
from healthcare_data.validation.report import FORMAT, ValidationReport, Violation


def draw(rng: Randomness) -> list[object]:
    return [rng.uuid4(), rng.randint(1, 10**6), rng.weighted({"a": 1, "b": 2}), rng.child("x").digits(6),
            fakes.first_name(rng, "female"), fakes.place(rng).zip, rng.faker.word()]


def test_same_seed_same_values_different_seed_different_values() -> None:
    assert draw(Randomness(7)) == draw(Randomness(7))
    assert draw(Randomness(7)) != draw(Randomness(8))


def test_child_streams_are_independent_of_each_other() -> None:
    a = Randomness(1)
    first = a.child("patients").randint(0, 10**9)
    b = Randomness(1)
    b.child("providers").randint(0, 10**9)
    assert b.child("patients").randint(0, 10**9) == first


def test_weighted_choice_follows_weights() -> None:
    rng = Randomness(3)
    table = Weighted({"rare": 1, "common": 99})
    picks = [rng.weighted(table) for _ in range(2000)]
    assert 0 < picks.count("rare") < 100
    with pytest.raises(ValueError):
        Weighted({})


def test_unknown_name_suggests_the_closest_and_lists_known() -> None:
    with pytest.raises(UnknownNameError) as info:
        get_persona("elderly_patinet")
    message = str(info.value)
    assert "'elderly_patinet'" in message
    assert "did you mean 'elderly_patient'?" in message
    for name in PERSONAS.names():
        assert name in message
    assert info.value.suggestion == "elderly_patient"


def test_registry_rejects_duplicates_and_unhashable_lookups() -> None:
    registry: Registry[int] = Registry("thing")
    registry.register("one", 1)
    with pytest.raises(ValueError, match="already registered"):
        registry.register("one", 2)
    with pytest.raises(UnknownNameError):
        registry.get(["one"])  # type: ignore[arg-type]
    assert "one" in registry and len(registry) == 1 and registry.names() == ["one"]


def test_the_five_personas_exist_and_random_persona_is_seeded() -> None:
    assert PERSONAS.names() == [
        "elderly_patient", "young_professional", "pediatric_patient",
        "chronic_condition_patient", "uninsured_patient",
    ]
    assert get_persona("elderly_patient").age_range == (65, 95)
    assert not get_persona("uninsured_patient").insured
    assert random_persona(5).name == random_persona(5).name


def test_phone_and_email_are_safe_by_construction() -> None:
    rng = Randomness(11)
    for _ in range(200):
        assert fakes.is_safe_phone(fakes.phone(rng, "217"))
        assert fakes.is_safe_email(fakes.email(rng, "Mary-Ann", "O'Brien"))
    assert fakes.is_safe_phone("555-0123")
    assert not fakes.is_safe_phone("(217) 555-0200")
    assert not fakes.is_safe_phone("(217) 867-5309")
    assert not fakes.is_safe_email("someone@gmail.com")
    assert fakes.is_safe_email("a@clinic.test")


def test_generated_addresses_are_consistent_and_in_the_requested_state() -> None:
    rng = Randomness(5)
    for _ in range(50):
        place = fakes.place(rng, "OH")
        assert place.state == "OH"
        assert fakes.address_is_consistent(place.city, place.state, place.zip)
    assert fakes.address_is_consistent("Springfield", "IL", "62701")
    assert not fakes.address_is_consistent("Springfield", "OH", "62701")
    assert not fakes.address_is_consistent("Springfield", "IL", "00000")


def test_validation_error_message_names_field_rule_and_recovery() -> None:
    report = ValidationReport("t", checked=1).add(
        [Violation("patients", "PAT-1", "insurance_policy_number", "policy_format",
                   "'X-1' does not match MEDICARE-NNNNNNNNN", "regenerate a valid policy number", FORMAT)]
    )
    error = DataValidationError(report)
    assert "patients.insurance_policy_number" in str(error)
    assert "policy_format" in str(error)
    assert "regenerate a valid policy number" in str(error)
    assert error.fields == ["insurance_policy_number"]
    assert report.rate == 1.0 and not report.ok
