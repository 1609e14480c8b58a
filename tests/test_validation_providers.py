"""check_provider: one test per rule, each with the category and a recovery."""

from __future__ import annotations

import pytest

from healthcare_data.randomness import Randomness
from healthcare_data.rows.providers import draft_provider
from healthcare_data.schema import Provider
from healthcare_data.validation.providers import check_provider
from healthcare_data.validation.report import BUSINESS, FORMAT, HIPAA


@pytest.fixture
def provider() -> dict:
    return draft_provider(Randomness(3), 12, "Cardiology", "hospital_based", state="IL")


def test_valid_provider_and_orm_object(provider):
    assert check_provider(provider) == []
    assert check_provider(Provider(**provider)) == []


@pytest.mark.parametrize(
    ("change", "rule", "category"),
    [
        ({"npi_number": "123"}, "npi_format", FORMAT),
        ({"npi_number": "3123456789"}, "npi_format", FORMAT),
        ({"license_number": "A123456"}, "license_format", FORMAT),  # a CA license in IL
        ({"license_number": None}, "license_present", FORMAT),
        ({"uuid": "not-a-uuid"}, "uuid_format", FORMAT),
        ({"first_name": ""}, "required", FORMAT),
        ({"email": "dr.smith@@example.org"}, "email_format", FORMAT),
        ({"email": "dr.smith@gmail.com"}, "email_safe_domain", HIPAA),
        ({"phone": "312-555"}, "phone_format", FORMAT),  # also phone_safe_range: not provably fictional
        ({"phone": "(312) 867-5309"}, "phone_safe_range", HIPAA),
        ({"specialty": "Cardiolgy"}, "specialty_known", BUSINESS),
        ({"practice_name": "Lakeview Cardiology Clinic"}, "practice_type_for_specialty", BUSINESS),
        ({"practice_name": "Lakeview Heart Associates"}, "practice_type_known", BUSINESS),
        (
            {"practice_address": "1 Main Street, Springfield, IL 90210"},
            "practice_address_consistent",
            BUSINESS,
        ),
        ({"status": "on_vacation"}, "status_valid", FORMAT),
    ],
)
def test_each_rule(provider, change, rule, category):
    violations = check_provider({**provider, **change})
    assert violations[0].rule == rule
    assert {v.rule for v in violations} <= {rule, "phone_safe_range"}
    violation = violations[0]
    assert violation.category == category
    assert violation.recovery
    assert violation.entity == "providers"


def test_npi_check_digit_message_names_expected_digit(provider):
    npi = provider["npi_number"]
    wrong = npi[:9] + str((int(npi[9]) + 1) % 10)
    (violation,) = check_provider({**provider, "npi_number": wrong})
    assert violation.rule == "npi_check_digit"
    assert f"expected {npi[9]}" in violation.message


def test_virtual_practice_license_state_read_from_address():
    row = draft_provider(Randomness(1), 5, "Telemedicine", "telemedicine", state="CA")
    assert check_provider(row) == []
    wrong = {**row, "practice_address": "Virtual care — telehealth only (licensed in TX)"}
    assert [v.rule for v in check_provider(wrong)] == ["license_format"]


def test_missing_optional_contact_is_fine(provider):
    assert check_provider({**provider, "email": None, "phone": None}) == []
