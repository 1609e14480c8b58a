"""Rules enforced outside the row checks, registered so that every rule has one name.

Drafts refuse input that breaks them (a trait asking for another specialty, a visit
before the patient's birth), whole-database queries find them (orphans, double
bookings, duplicated identifiers), the builder and the statistics report them. The
code that enforces each names it through these objects (``ORPHAN_FOREIGN_KEY.name``).
"""

from __future__ import annotations

from healthcare_data.rulebook import declare
from healthcare_data.violations import BUSINESS, FORMAT, INTEGRITY, STATISTICS

# --- refused by the drafts -------------------------------------------------------------------
TRAITS_COMPATIBLE = declare(
    "traits_compatible",
    "providers",
    BUSINESS,
    ("traits", "practice_type"),
    "the traits asked for agree (a specialty and a practice type fit them all)",
)
TRAIT_SPECIALTY_COMPATIBLE = declare(
    "trait_specialty_compatible", "providers", BUSINESS, ("specialty",), "the specialty fits every trait"
)
TRAIT_PRACTICE_TYPE = declare(
    "trait_practice_type",
    "providers",
    BUSINESS,
    ("practice_type", "practice_name"),
    "the practice type is the one a trait imposes",
)
TRAIT_HOSPITAL_AFFILIATION = declare(
    "trait_hospital_affiliation",
    "providers",
    BUSINESS,
    ("practice_address",),
    "a hospital-based provider's address names the hospital",
)
TRAIT_VIRTUAL_ADDRESS = declare(
    "trait_virtual_address",
    "providers",
    BUSINESS,
    ("practice_address",),
    "a telemedicine provider's address marks virtual care with a license state",
)
AFTER_BIRTH = declare(
    "after_birth",
    "appointments",
    BUSINESS,
    ("appointment_date",),
    "a visit is booked on or after the patient's date of birth",
)
AMOUNT_FORMAT = declare("amount_format", "insurance_claims", FORMAT, ("claim_amount",), "a money amount")
CLAIM_REQUIRES_INSURANCE = declare(
    "claim_requires_insurance",
    "insurance_claims",
    BUSINESS,
    ("patient_id",),
    "only insured patients are billed",
)
STATUS_TRANSITION = declare(
    "status_transition",
    ("journey_steps", "insurance_claims"),  # the first: where the journey check reports it
    BUSINESS,
    ("status",),
    "a status changes only along its machine: a claim submitted -> processed -> paid/denied; "
    "a journey's appointments, prescriptions and referrals as reference/journeys.toml says, "
    "ending in their stored status",
    "move the status only along its machine (claims: submitted -> processed -> paid/denied; "
    "others: reference/journeys.toml [status_machines]) and record every change as a journey step",
)
NPI_UNIQUE = declare("npi_unique", "providers", INTEGRITY, ("npi_number",), "no two providers share an NPI")
PERSONA_NONE_FITS = declare(
    "persona_none_fits", "patients", BUSINESS, ("persona",), "some persona agrees with every explicit value"
)

# --- found by whole-database queries ------------------------------------------------------
ORPHAN_FOREIGN_KEY = declare(
    "orphan_foreign_key",
    ("appointments", "medical_records", "insurance_claims"),
    INTEGRITY,
    ("*_id",),
    "every foreign key points at a row",
)
DOUBLE_BOOKED = {
    owner: declare(
        f"{owner}_double_booked",
        "appointments",
        BUSINESS,
        (f"{owner}_id", "appointment_date"),
        f"a {owner} has no two overlapping visits",
    )
    for owner in ("provider", "patient")
}
MISMATCH = {
    owner: declare(
        f"appointment_{owner}_mismatch",
        ("medical_records", "insurance_claims"),
        INTEGRITY,
        (f"{owner}_id",),
        f"a record or claim names its appointment's {owner}",
    )
    for owner in ("patient", "provider")
}
APPOINTMENT_BEFORE_BIRTH = declare(
    "appointment_before_birth",
    "appointments",
    BUSINESS,
    ("appointment_date",),
    "no visit before the patient's birth",
)
CLAIM_BEFORE_APPOINTMENT = declare(
    "claim_before_appointment",
    "insurance_claims",
    BUSINESS,
    ("submitted_date",),
    "a claim is submitted on or after its visit",
)
RECORD_DATE_NOT_APPOINTMENT_DAY = declare(
    "record_date_not_appointment_day",
    "medical_records",
    BUSINESS,
    ("record_date",),
    "a record is dated on its visit's day",
)
DUPLICATE_IDENTIFIER = declare(
    "duplicate_identifier",
    ("patients", "providers", "insurance_claims"),
    INTEGRITY,
    ("*",),
    "business identifiers (patient_id, SSN, NPI, claim number, uuid) are unique",
)

# --- dataset and statistics checks -----------------------------------------------------------
PERSONA_PRESENT = declare(
    "persona_present", "patient_profiles", STATISTICS, ("persona",), "every persona has patients"
)
SPECIALTY_PRESENT = declare(
    "specialty_present", "providers", STATISTICS, ("specialty",), "every drawable specialty has providers"
)
PROVIDER_STATE_DISTRIBUTION = declare(
    "provider_state_distribution",
    "providers",
    STATISTICS,
    ("practice_address",),
    "practice states follow the US population weights",
)
APPOINTMENT_WINDOW = declare(
    "appointment_window",
    "appointments",
    STATISTICS,
    ("appointment_date",),
    "visits lie inside the dataset's window",
)
UNKNOWN_PERSONA = declare(
    "unknown_persona", "patient_profiles", STATISTICS, ("persona",), "every stored persona is registered"
)
