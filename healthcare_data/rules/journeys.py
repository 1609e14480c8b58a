"""The patient-journey rules: registered in :data:`RULES` like every other rule.

They are whole-database rules: each reads the rows of a slice of patients (their visits,
records, prescriptions, dispensings, referrals, claims, ledger entries and journey steps),
so :mod:`healthcare_data.journeys.rules` enforces them over a database page by page or
over loaded workflow files, naming each through these objects
(``journeys.REFERRAL_EXPIRY``). Their fix is always the same, so it is part of the rule.
The state-machine rule of claims and journeys is one rule,
:data:`~healthcare_data.rules.declared.STATUS_TRANSITION`.
"""

from __future__ import annotations

from healthcare_data.rulebook import Rule, declare
from healthcare_data.rules.declared import STATUS_TRANSITION
from healthcare_data.violations import BUSINESS, INTEGRITY

REFERRAL_DAYS = 90  # a referral's validity after issue

# --- time and status ---------------------------------------------------------------------
APPOINTMENT_STATUS_TIME = declare(
    "appointment_status_time",
    "appointments",
    BUSINESS,
    ("status", "appointment_date"),
    "completed and no_show visits lie in the past, scheduled ones in the future",
    "a past visit is completed, no_show or cancelled; a future one scheduled or cancelled",
)
REGISTRATION_BEFORE_VISIT = declare(
    "registration_before_visit",
    "appointments",
    BUSINESS,
    ("created_at", "appointment_date"),
    "a journey's visit is booked after the patient registered, and held after it was booked",
    "book the visit after the patient's created_at, and date it after its own created_at",
)
DIAGNOSIS_AFTER_VISIT = declare(
    "diagnosis_after_visit",
    "medical_records",
    BUSINESS,
    ("record_date",),
    "a journey's diagnosis is recorded on the day of its visit, not before it",
    "date the record at its appointment's start",
)
PRESCRIPTION_AFTER_DIAGNOSIS = declare(
    "prescription_after_diagnosis",
    "prescriptions",
    BUSINESS,
    ("prescribed_at", "diagnosis_code"),
    "a prescription is written on the day of its diagnosis, not before it, for that diagnosis",
    "write the prescription at the end of the visit whose record it cites",
)
PRESCRIPTION_FITS_DIAGNOSIS = declare(
    "prescription_fits_diagnosis",
    "prescriptions",
    BUSINESS,
    ("rxnorm_code", "diagnosis_code"),
    "the drug (RxNorm concept) is one prescribed for the diagnosis (reference/drugs.toml)",
    "prescribe a drug whose `treats` lists the diagnosis code (journeys.drugs.DRUGS)",
)
DISPENSING_AFTER_PRESCRIPTION = declare(
    "dispensing_after_prescription",
    "dispensings",
    BUSINESS,
    ("dispensed_at",),
    "a prescription is dispensed after it was written and not in the future",
    "date the dispensing between the prescription's prescribed_at and today",
)
DISPENSED_WITHIN_PRESCRIBED = declare(
    "dispensed_within_prescribed",
    "prescriptions",
    BUSINESS,
    ("quantity", "refills"),
    "the quantity dispensed is at most the quantity prescribed times (1 + refills)",
    "lower the dispensed quantity or raise the prescription's refills",
)
PRESCRIPTION_STATUS_MATCHES = declare(
    "prescription_status_matches",
    "prescriptions",
    BUSINESS,
    ("status",),
    "a 'dispensed' prescription has a dispensing; 'written' and 'abandoned' ones have none",
    "set the status from the dispensings (dispensed when filled, abandoned when never picked up)",
)

# --- referrals ----------------------------------------------------------------------------
REFERRAL_EXPIRY = declare(
    "referral_expiry",
    "referrals",
    BUSINESS,
    ("expires_on", "status", "issued_at"),
    f"a referral expires {REFERRAL_DAYS} days after issue; "
    "unused after that it is 'expired', not 'requested'",
    f"set expires_on to issued_at + {REFERRAL_DAYS} days; mark unused referrals past expires_on 'expired'",
)
REFERRAL_VISIT_WINDOW = declare(
    "referral_visit_window",
    "referrals",
    BUSINESS,
    ("appointment_id", "specialty", "status"),
    f"a scheduled or completed referral names a visit with its specialty inside the referral's "
    f"{REFERRAL_DAYS} days",
    "book the specialist visit with a provider of the referral's specialty before expires_on",
)

# --- money ----------------------------------------------------------------------------------
PAYMENTS_ADD_UP = declare(
    "payments_add_up",
    "insurance_claims",
    BUSINESS,
    ("payment_amount", "status"),
    "ledger entries of a claim add up: the payer's portion is the paid amount, payer + patient the charge",
    "post the payer's payment_amount and the patient's remainder (claim_amount - payment_amount)",
)
SELF_PAY_UNINSURED = declare(
    "self_pay_uninsured",
    "ledger_entries",
    BUSINESS,
    ("kind",),
    "self-pay entries belong to uninsured patients and carry no claim",
    "bill insured patients through a claim; post self-pay only for uninsured patients",
)

# --- state machines --------------------------------------------------------------------------
JOURNEY_TRANSITION = declare(
    "journey_transition",
    "journey_steps",
    INTEGRITY,
    ("step", "final_step"),
    "a journey enters its start step first and then only steps its definition allows next",
    "follow the journey's transitions (reference/journeys.toml); `healthcare-data workflows` lists them",
)
STEPS_IN_TIME_ORDER = declare(
    "steps_in_time_order",
    "journey_steps",
    INTEGRITY,
    ("occurred_at",),
    "a journey's steps happen in order (registration, visit, diagnosis, prescription, dispensing) "
    "and never after today",
    "give each step a time not before the previous step's and before today",
)

#: Every journey rule, in the order they run (the ``journey_consistency`` group).
JOURNEY_RULES: tuple[Rule, ...] = (
    APPOINTMENT_STATUS_TIME,
    REGISTRATION_BEFORE_VISIT,
    DIAGNOSIS_AFTER_VISIT,
    PRESCRIPTION_AFTER_DIAGNOSIS,
    PRESCRIPTION_FITS_DIAGNOSIS,
    DISPENSING_AFTER_PRESCRIPTION,
    DISPENSED_WITHIN_PRESCRIBED,
    PRESCRIPTION_STATUS_MATCHES,
    REFERRAL_EXPIRY,
    REFERRAL_VISIT_WINDOW,
    PAYMENTS_ADD_UP,
    SELF_PAY_UNINSURED,
    JOURNEY_TRANSITION,
    STEPS_IN_TIME_ORDER,
    STATUS_TRANSITION,
)
