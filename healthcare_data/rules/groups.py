"""Which row rules make up each named group of the feature files.

Group definitions (table, meaning, whole-database checks) are in
:mod:`healthcare_data.validation.groups`; the rule names they cover are listed here,
beside the registry, so that a rule name is written in one package only.
"""

from __future__ import annotations

from healthcare_data.rulebook import RULES

# The groups name rules of every table: register them all first.
from healthcare_data.rules import appointments, claims, common, patients, providers, records  # noqa: F401, E402
from healthcare_data.rules.journeys import JOURNEY_RULES  # noqa: E402
from healthcare_data.rules.patients import INSURANCE_RULES, PATIENT_ROW_RULES  # noqa: E402
from healthcare_data.rules.providers import PROVIDER_ROW_RULES  # noqa: E402

# The workflow table's ``validation_rules``.
WORKFLOW_GROUP_RULES: dict[str, tuple[str, ...]] = {
    "valid_demographics": (
        *(n for n in PATIENT_ROW_RULES if n not in (*INSURANCE_RULES, "ssn_valid_range")),
        "persona_age_range", "persona_known",
    ),
    "insurance_required": (*INSURANCE_RULES, "persona_insurance", "persona_uninsured"),
    "valid_credentials": PROVIDER_ROW_RULES[:6],  # NPI, license, uuid, names
    "practice_info": (
        "specialty_known",
        "practice_type_known",
        "practice_type_for_specialty",
        "practice_address_consistent",
    ),
    "business_hours": (
        "business_hours",
        "duration_matches_type",
        "type_known",
        "type_allowed_for_specialty",
        "date_format",
    ),
    "no_conflicts": (),
    "diagnosis_codes": ("icd10_valid", "icd10_description", "diagnosis_fits_age", "record_type_valid"),
    "treatment_notes": ("medications_match_condition", "patient_matches"),
    "valid_claim_data": ("claim_number_format", "amount_positive", "submitted_date_present", "status_valid"),
    "processing_rules": (
        "processed_date_when_processed",
        "dates_in_order",
        "payment_when_paid",
        "payment_not_above_amount",
        "denial_reason_iff_denied",
        "submitted_after_visit",
    ),
}

# The bulk table's ``constraints`` that name a subset of one table's rules (others take all of them).
BULK_GROUP_RULES: dict[str, tuple[str, ...]] = {
    "diagnosis_codes": ("icd10_valid", "icd10_description", "diagnosis_fits_age"),
    "valid_amounts": ("amount_positive", "payment_not_above_amount", "payment_when_paid"),
}

# What the acceptance suite's Then sentences check on stored rows.
CHECK_GROUP_RULES: dict[str, tuple[str, ...]] = {
    "within_business_hours": ("business_hours",),
    "types_fit_specialties": ("type_known", "type_allowed_for_specialty"),
    "durations_match_types": ("duration_matches_type",),
    "medical_history_fits_age": (
        "condition_known",
        "icd10_matches_condition",
        "condition_fits_age",
        "icd10_valid",
    ),
}

# The patient-journey rules: ``journey_consistency`` runs them all; the acceptance sentences
# (``journeys.checks.violations``) and the workflow summary's lines each name a subset.
JOURNEY_GROUP_RULES: dict[str, tuple[str, ...]] = {
    "journey_consistency": tuple(r.name for r in JOURNEY_RULES),
    "state machines": (
        "journey_transition",
        "status_transition",
        "prescription_status_matches",
        "referral_expiry",
    ),
    "time order": (
        "registration_before_visit",
        "diagnosis_after_visit",
        "prescription_after_diagnosis",
        "dispensing_after_prescription",
        "steps_in_time_order",
    ),
    "status and time": ("appointment_status_time",),
    "prescriptions": (
        "prescription_fits_diagnosis",
        "prescription_after_diagnosis",
        "dispensed_within_prescribed",
    ),
    "payments": ("payments_add_up", "self_pay_uninsured"),
    "referrals": ("referral_expiry", "referral_visit_window"),
}

# The workflow summary's validation lines (every journey rule on exactly one line).
JOURNEY_SUMMARY_RULES: dict[str, tuple[str, ...]] = {
    "Temporal Consistency": (
        "appointment_status_time",
        "registration_before_visit",
        "diagnosis_after_visit",
        "prescription_after_diagnosis",
        "dispensing_after_prescription",
        "steps_in_time_order",
    ),
    "State Transitions": JOURNEY_GROUP_RULES["state machines"],
    "Business Rules": (
        "prescription_fits_diagnosis",
        "dispensed_within_prescribed",
        "referral_visit_window",
        "payments_add_up",
        "self_pay_uninsured",
    ),
}

for _names in (
    *WORKFLOW_GROUP_RULES.values(),
    *BULK_GROUP_RULES.values(),
    *CHECK_GROUP_RULES.values(),
    *JOURNEY_GROUP_RULES.values(),
    *JOURNEY_SUMMARY_RULES.values(),
):
    for _name in _names:
        RULES.get(_name)  # a misspelt rule name fails on import, naming the known ones
