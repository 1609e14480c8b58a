"""Reference data is real: ICD-10-CM codes exist, specialties book known visit types."""

from __future__ import annotations

import simple_icd_10_cm as icd

from healthcare_data import reference as ref
from healthcare_data.personas import PERSONAS


def test_every_condition_code_is_a_billable_icd10_cm_code() -> None:
    for name, condition in ref.CONDITIONS.items():
        assert icd.is_valid_item(condition.icd10), name
        assert icd.is_leaf(condition.icd10), f"{name}: {condition.icd10} is not billable"
        assert condition.description == icd.get_description(condition.icd10)
        assert condition.min_age <= condition.max_age


def test_feature_file_conditions_map_to_expected_codes() -> None:
    assert ref.CONDITIONS.get("Diabetes Type 2").icd10 == "E11.9"
    assert ref.CONDITIONS.get("Hypertension").icd10 == "I10"
    assert ref.CONDITIONS.get("Arthritis").icd10.startswith("M19")


def test_specialties_reference_known_appointment_and_practice_types() -> None:
    for name, specialty in ref.SPECIALTIES.items():
        assert specialty.appointment_types, name
        for appointment_type in specialty.appointment_types:
            ref.APPOINTMENT_TYPES.get(appointment_type)
        for practice_type in specialty.practice_types:
            assert practice_type in ref.PRACTICE_TYPES, (name, practice_type)


def test_exercise_specialties_are_all_present() -> None:
    exercise = [
        "Internal Medicine", "Family Medicine", "Pediatrics", "Cardiology", "Dermatology",
        "Orthopedics", "Psychiatry", "Emergency Medicine", "Radiology", "Anesthesiology",
        "Surgery", "Neurology", "Oncology",
    ]
    for name in exercise:
        assert name in ref.SPECIALTIES


def test_persona_conditions_and_plan_types_exist() -> None:
    plan_types = {p.plan_type for _, p in ref.PAYERS.items()}
    for name, persona in PERSONAS.items():
        for condition in [*persona.medical.common_conditions, *persona.medical.always]:
            ref.CONDITIONS.get(condition)
        assert set(persona.insurance.plan_types) <= plan_types, name


def test_payer_lookup_by_policy_prefix() -> None:
    assert ref.payer_for_policy("MEDICARE-789456123").name == "Medicare"
    assert ref.payer_for_policy("NOPE-1") is None
    assert ref.is_valid_icd10("E11.9") and not ref.is_valid_icd10("E11") and not ref.is_valid_icd10("X99.9")
