"""Seeding profiles, the PHI guard and the QA_* settings."""

from __future__ import annotations

import pytest

from healthcare_data.errors import ConfigurationError, UnknownNameError
from healthcare_data.phi_guard import PHIFieldError, check_fields, check_for_phi, is_phi_field
from healthcare_data.profiles import (
    PROFILES,
    SCENARIOS,
    load_profile_file,
    profile_from_mapping,
    resolve_profile,
    scenario_profile,
)
from healthcare_data.settings import qa_settings

# The QA seed document's Environment Profiles: Clients, Providers, Appointments, Notes,
# Ledger Entries, Locations and the target time.
DOCUMENT = {
    "minimal": (25, 10, 50, 25, 30, 5, 60),
    "standard": (200, 25, 500, 300, 400, 10, 300),
    "load_test": (2000, 100, 10000, 5000, 8000, 25, 1800),
    "integration": (500, 50, 2000, 1000, 1500, 15, 600),
}


@pytest.mark.parametrize("name", sorted(DOCUMENT))
def test_builtin_profiles_have_the_documents_counts_and_targets(name):
    clients, providers, appointments, notes, ledger, locations, target = DOCUMENT[name]
    profile = PROFILES.get(name)
    assert profile.counts == {
        "locations": locations,
        "patients": clients,
        "providers": providers,
        "appointments": appointments,
        "medical_records": notes,
        "insurance_claims": ledger,
    }
    assert profile.target_seconds == target


def test_standard_profile_is_the_documents_1435_records_and_three_tenants():
    standard = PROFILES.get("standard")
    assert standard.total_records == 1435
    assert standard.tenants == 3


def test_builtin_profiles_fit_the_bulk_engine():
    from healthcare_data.seeding import dataset_spec

    for _, profile in PROFILES.items():
        dataset_spec(profile)  # raises if the counts cannot be generated


@pytest.mark.parametrize("name", sorted(DOCUMENT))
def test_the_engine_spec_carries_the_profiles_locations(name):
    from healthcare_data.seeding import dataset_spec

    profile = PROFILES.get(name)
    spec = dataset_spec(profile)
    assert spec.locations == spec.location_count == DOCUMENT[name][5]
    assert spec.tenants == profile.tenants
    assert dataset_spec(profile.with_overrides(locations=profile.tenants or 1)).location_count == (
        profile.tenants or 1
    )


def test_location_overrides_are_validated():
    standard = PROFILES.get("standard")
    assert standard.with_overrides(locations=3).count("locations") == 3
    assert standard.with_overrides(locations=0).count("locations") == 0  # 0: one per tenant
    with pytest.raises(ConfigurationError, match="locations must be >= 0, got -1"):
        standard.with_overrides(locations=-1)
    with pytest.raises(ConfigurationError, match=r"3 tenants but only 2 locations.*--locations 3 or more"):
        standard.with_overrides(locations=2)
    with pytest.raises(ConfigurationError, match="5 tenants but only 2 locations"):
        profile_from_mapping({"extends": "minimal", "tenants": 5, "counts": {"locations": 2}})


def test_unknown_profile_names_the_closest_one():
    with pytest.raises(UnknownNameError) as caught:
        resolve_profile("standrd")
    assert "did you mean 'standard'?" in str(caught.value)
    assert "load_test" in str(caught.value)


def test_custom_profile_accepts_the_documents_entity_names(tmp_path):
    path = tmp_path / "custom.toml"
    path.write_text(
        'name = "custom_qa"\ntarget_seed_time_seconds = 180\n'
        "[record_counts]\nClient = 100\nProvider = 15\nAppointment = 300\n"
        "Note = 150\nLedgerEntry = 200\nLocation = 8\n"
    )
    profile = load_profile_file(path)
    assert profile.name == "custom_qa"
    assert profile.target_seconds == 180
    assert profile.counts == {
        "locations": 8,
        "patients": 100,
        "providers": 15,
        "appointments": 300,
        "medical_records": 150,
        "insurance_claims": 200,
    }
    assert profile.source == str(path)


def test_custom_profile_from_yaml_extends_a_builtin(tmp_path):
    path = tmp_path / "billing.yaml"
    path.write_text(
        "extends: minimal\ntenants: 2\ncounts:\n  insurance_claims: 20\n"
        "persona_mix:\n  elderly_patient: 3\n  young_professional: 1\n"
    )
    profile = resolve_profile(str(path))
    assert profile.name == "billing"
    assert profile.count("patients") == 25 and profile.count("insurance_claims") == 20
    assert profile.tenants == 2 and profile.target_seconds == 60
    assert profile.persona_mix == {"elderly_patient": 3.0, "young_professional": 1.0}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"target_second": 1, "counts": {"patients": 1}}, "Unknown profile key 'target_second'"),
        ({"target_seconds": 1, "counts": {"patinets": 1}}, "did you mean 'patients'?"),
        ({"target_seconds": 1, "counts": {"patients": -1}}, "must be >= 0, got -1"),
        ({"target_seconds": 1, "counts": {"patients": True}}, "whole number >= 0, got True"),
        ({"target_seconds": 1, "counts": {"patients": 2.5}}, "whole number >= 0, got 2.5"),
        ({"target_seconds": 0, "counts": {"patients": 1}}, "target_seconds"),
        ({"counts": {"patients": 1}}, "needs target_seconds"),
        ({"target_seconds": 5}, "nothing to seed"),
        (
            {"target_seconds": 5, "counts": {"appointments": 5, "patients": 2}},
            "0 providers; both must be > 0",
        ),
        ({"extends": "minimal", "fields": {"patient": ["id"]}}, "did you mean 'patients'?"),
        ({"extends": "minimal", "fields": {"patients": ["first_nam"]}}, "did you mean 'first_name'?"),
    ],
)
def test_invalid_custom_profiles_are_rejected_with_a_reason(document, message):
    with pytest.raises(ConfigurationError) as caught:
        profile_from_mapping(document, source="custom.toml")
    assert message in str(caught.value)


def test_unknown_persona_in_a_mix_names_the_closest_persona():
    with pytest.raises(UnknownNameError) as caught:
        profile_from_mapping({"extends": "minimal", "persona_mix": {"elderly_patinet": 1}})
    assert "did you mean 'elderly_patient'?" in str(caught.value)


def test_profile_file_errors_are_configuration_errors(tmp_path):
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_profile_file(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    with pytest.raises(ConfigurationError, match="not valid toml"):
        load_profile_file(bad)
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("counts: [unclosed\n")
    with pytest.raises(ConfigurationError, match="not valid YAML"):
        load_profile_file(bad_yaml)
    other = tmp_path / "profile.ini"
    other.write_text("x")
    with pytest.raises(ConfigurationError, match=r"must end in \.toml, \.yaml or \.yml"):
        load_profile_file(other)


def test_overrides_are_validated():
    minimal = PROFILES.get("minimal")
    assert minimal.with_overrides(patients=3, tenants=2).count("patients") == 3
    with pytest.raises(ConfigurationError, match="patients must be >= 0, got -5"):
        minimal.with_overrides(patients=-5)
    with pytest.raises(ConfigurationError, match="tenants must be >= 0"):
        minimal.with_overrides(tenants=-1)
    with pytest.raises(ConfigurationError, match="each tenant needs at least one provider"):
        minimal.with_overrides(tenants=11)


# --- PHI guard ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "ssn",
        "social_security_number",
        "real_name",
        "actual_email",
        "driver_license",
        "passport",
        "driverLicense",
        "Passport-Number",
        "real_date_of_birth",
        "credit_card_number",
    ],
)
def test_phi_field_names_are_detected(name):
    assert is_phi_field(name)


@pytest.mark.parametrize(
    "name", ["first_name", "email", "phone", "date_of_birth", "npi_number", "patient_id"]
)
def test_ordinary_fields_are_not_phi(name):
    assert not is_phi_field(name)


def test_literal_phi_values_are_refused_like_the_documents_check_for_phi():
    with pytest.raises(PHIFieldError, match="PHI field detected") as caught:
        check_for_phi({"ssn": "123-45-6789", "first_name": "Ann"})
    assert caught.value.fields == ["ssn"]


def test_synthetic_by_construction_columns_pass_the_guard_only_where_generated():
    check_fields(["patient_id", "ssn"], table="patients")  # identifiers.ssn(serial): allowed
    with pytest.raises(PHIFieldError):
        check_fields(["ssn"], table="providers")
    with pytest.raises(PHIFieldError, match="'social_security_number'"):
        check_fields(["social_security_number"], table="patients")


def test_a_custom_profile_asking_for_phi_fields_is_refused():
    with pytest.raises(PHIFieldError, match="real_name"):
        profile_from_mapping({"extends": "minimal", "fields": {"patients": ["patient_id", "real_name"]}})
    allowed = profile_from_mapping({"extends": "minimal", "fields": {"patients": ["patient_id", "ssn"]}})
    assert allowed.fields == {"patients": ("patient_id", "ssn")}


# --- settings --------------------------------------------------------------------------------


def test_qa_settings_defaults_and_values():
    assert qa_settings({}).environment == "standard"
    assert qa_settings({}).batch_size == 1000
    parsed = qa_settings(
        {
            "QA_ENVIRONMENT": "minimal",
            "QA_BATCH_SIZE": "250",
            "QA_USE_BULK_INSERT": "false",
            "QA_VALIDATION_ENABLED": "no",
            "QA_VALIDATION_SAMPLE_SIZE": "7",
            "QA_STRICT_MODE": "TRUE",
            "QA_SEED": "42",
            "QA_PARALLEL_WORKERS": "4",
        }
    )
    assert (parsed.environment, parsed.batch_size, parsed.seed) == ("minimal", 250, 42)
    assert parsed.write_method == "core"
    assert not parsed.validation_enabled and parsed.strict_mode
    assert parsed.validation_sample_size == 7 and parsed.parallel_workers == 4


@pytest.mark.parametrize(
    ("name", "value"),
    [("QA_BATCH_SIZE", "abc"), ("QA_BATCH_SIZE", "0"), ("QA_STRICT_MODE", "maybe"), ("QA_SEED", "-1")],
)
def test_bad_qa_settings_name_the_variable(name, value):
    attribute = {"QA_BATCH_SIZE": "batch_size", "QA_STRICT_MODE": "strict_mode", "QA_SEED": "seed"}[name]
    with pytest.raises(ConfigurationError) as caught:
        getattr(qa_settings({name: value}), attribute)  # parsed when read: flags win otherwise
    assert str(caught.value).startswith(f"{name}={value!r}")


def test_scenario_profiles_scale_from_one_patient_count():
    """The acceptance suite's Given datasets: profiles.toml [scenarios], floored, with minimums."""
    assert sorted(SCENARIOS.names()) == ["relationships", "validation"]
    assert "relationships" not in PROFILES.names()
    small = scenario_profile("relationships", 300)
    assert dict(small.counts) == {
        "locations": 0, "patients": 100, "providers": 10, "appointments": 300,
        "medical_records": 100, "insurance_claims": 100,
    }
    assert scenario_profile("relationships", 9).count("patients") == 10  # the minimum
    assert scenario_profile("relationships", 9).count("providers") == 5
    validation = scenario_profile("validation", 31)
    assert [validation.count(e) for e in ("patients", "providers", "medical_records")] == [31, 10, 46]
    with pytest.raises(UnknownNameError, match="relationships"):
        scenario_profile("relationship", 10)
    with pytest.raises(ConfigurationError, match="-1"):
        scenario_profile("validation", -1)
