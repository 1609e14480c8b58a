"""Identifiers: valid by construction, unique by construction, rejected when wrong."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthcare_data import identifiers as ids
from healthcare_data.errors import ConfigurationError
from healthcare_data.reference import PAYERS

serials = st.integers(min_value=1, max_value=10**7)


@given(serials)
def test_generated_npi_passes_the_check_digit(serial: int) -> None:
    value = ids.npi(serial)
    assert ids.NPI_PATTERN.match(value)
    assert ids.is_valid_npi(value)


@given(serials, st.integers(min_value=1, max_value=9))
def test_a_wrong_check_digit_is_rejected(serial: int, shift: int) -> None:
    value = ids.npi(serial)
    wrong = value[:9] + str((int(value[9]) + shift) % 10)
    assert not ids.is_valid_npi(wrong)


def test_npi_check_digit_matches_the_cms_example() -> None:
    # CMS's published example: 123456789 -> check digit 3 (Luhn over 80840123456789).
    assert ids.npi_check_digit("123456789") == "3"
    assert ids.is_valid_npi("1234567893")
    assert not ids.is_valid_npi("1234567890")
    assert not ids.is_valid_npi("123456789")
    assert not ids.is_valid_npi(1234567893)


def test_identifiers_are_unique_over_a_large_range() -> None:
    n = 100_000
    for make in (ids.npi, ids.ssn, ids.patient_id, ids.claim_number):
        assert len({make(i) for i in range(1, n + 1)}) == n, make.__name__
    payer = PAYERS.get("Medicare")
    assert len({ids.policy_number(i, payer) for i in range(1, n + 1)}) == n


@given(serials)
def test_ssn_never_uses_forbidden_ranges(serial: int) -> None:
    value = ids.ssn(serial)
    area, group, number = value.split("-")
    assert area not in ("000", "666") and not area.startswith("9")
    assert group != "00" and number != "0000"
    assert ids.is_valid_ssn(value)


@pytest.mark.parametrize(
    "bad", ["000-12-3456", "666-12-3456", "912-12-3456", "123-00-4567", "123-45-0000", "123456789", None]
)
def test_invalid_ssns_are_rejected(bad: object) -> None:
    assert not ids.is_valid_ssn(bad)


@pytest.mark.parametrize("state", ["CA", "NY", "TX", "FL", "IL", "OH", "PA", "WA", "GA"])
def test_license_numbers_follow_their_state_format(state: str) -> None:
    value = ids.license_number(42, state)
    assert ids.is_valid_license_number(value, state)
    assert ids.is_valid_license_number(value)


def test_license_number_of_another_state_is_rejected() -> None:
    assert not ids.is_valid_license_number(ids.license_number(1, "IL"), "CA")
    assert not ids.is_valid_license_number("XYZ", None)


def test_formats_of_patient_policy_and_claim_numbers() -> None:
    assert ids.PATIENT_ID_PATTERN.match(ids.patient_id(7))
    assert ids.CLAIM_NUMBER_PATTERN.match(ids.claim_number(7))
    medicare = PAYERS.get("Medicare")
    assert medicare.policy_pattern.match(ids.policy_number(7, medicare))
    assert medicare.policy_pattern.match("MEDICARE-789456123")
    assert not medicare.policy_pattern.match("MEDICARE-12AB")


def test_serial_outside_the_space_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="serial 0"):
        ids.patient_id(0)
    with pytest.raises(ConfigurationError, match="used up"):
        ids.patient_id(10**8)
