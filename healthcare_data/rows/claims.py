"""Insurance claim rows and the claim status machine.

Status machine: ``submitted -> processed -> paid | denied``. A claim carries a
``processed_date`` (>= ``submitted_date``) only once processed, a ``denial_reason``
only when denied, and a ``payment_amount`` (<= ``claim_amount``) only when paid.
Claims are submitted 1-5 days after the visit; a claim submitted after ``today`` (a
future visit) stays 'submitted' unless a status is asked for explicitly.

Uninsured patients: the table holds *insurance* claims, so drafting one for a patient
without insurance raises BusinessRuleViolation (self-pay visits are billed to the
patient and have no claim row). :func:`is_claimable` lets a caller skip them.
"""

from __future__ import annotations

import re
from bisect import bisect
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from typing import Any

from healthcare_data import identifiers
from healthcare_data.columns import CLAIM_STATUSES, PROCESSED_STATUSES  # noqa: F401 - re-exported
from healthcare_data.errors import FormatValidationError, UnknownNameError
from healthcare_data.randomness import Randomness, Weighted
from healthcare_data.reference import APPOINTMENT_TYPES, PAYERS, SPECIALTIES
from healthcare_data.rows import fast_uuid4
from healthcare_data.rows.providers import business_error
from healthcare_data.rulebook import field_of
from healthcare_data.rules import declared
from healthcare_data.rules.claims import AMOUNT_POSITIVE
from healthcare_data.scheduling import as_datetime
from healthcare_data.violations import FORMAT, ValidationReport, Violation

CLAIM_COLUMNS: tuple[str, ...] = (
    "id", "uuid", "claim_number", "patient_id", "provider_id", "appointment_id", "claim_amount",
    "submitted_date", "processed_date", "status", "denial_reason", "payment_amount", "created_at",
)
# Allowed transitions of the status machine.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "submitted": ("processed",),
    "processed": ("paid", "denied"),
    "paid": (),
    "denied": (),
}
CENTS = Decimal("0.01")

# Claim Adjustment Reason Codes (X12 CARC, https://x12.org/codes/claim-adjustment-reason-codes).
DENIAL_REASONS: tuple[str, ...] = (
    "CO-16: Claim lacks information needed for adjudication",
    "CO-50: Non-covered service; not deemed a medical necessity",
    "CO-29: The time limit for filing has expired",
    "CO-197: Precertification/authorization absent",
    "CO-18: Exact duplicate claim/service",
    "CO-27: Expenses incurred after coverage terminated",
    "CO-11: Diagnosis inconsistent with the procedure",
)
# Share of the charge a payer pays, by plan type (allowed amount after contractual adjustment).
PAYMENT_RATIO: dict[str, tuple[float, float]] = {
    "medicare": (0.75, 0.85),
    "medicare_advantage": (0.78, 0.9),
    "medicaid": (0.6, 0.75),
    "chip": (0.65, 0.8),
    "employer": (0.75, 0.95),
}
# Charge relative to the specialty's visit fee, by appointment-type category.
CATEGORY_FACTOR: dict[str, float] = {
    "preventive": 1.0, "intake": 1.25, "follow_up": 0.7, "consult": 1.3, "acute": 0.9,
    "procedure": 2.5,
}
_STATUS_MIX = Weighted({"paid": 0.65, "submitted": 0.12, "processed": 0.1, "denied": 0.13})
# Money as people write it: '$1,250.00', '1250.5', 'USD 350', '350 USD' (thousands
# separators only in groups of three).
_MONEY = re.compile(
    r"^\s*(?:USD\s*)?\$?\s*(-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|-?\.\d+)\s*(?:USD)?\s*$", re.IGNORECASE
)


def parse_amount(value: Any) -> Decimal:
    """A 2-place Decimal from Decimal, int, float or strings like '$350' or '1,250.5'."""
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, bool):
        amount = None
    elif isinstance(value, int | float):
        amount = Decimal(str(value))
    else:
        match = _MONEY.match(str(value))
        try:
            amount = Decimal(match.group(1).replace(",", "")) if match else None
        except InvalidOperation:
            amount = None
    if amount is None or not amount.is_finite():
        violation = Violation(
            "insurance_claims", None, "claim_amount", declared.AMOUNT_FORMAT.name,
            f"claim amount {value!r} is not a money amount", "write it like 350, $350.00 or $1,250.00",
            FORMAT,
        )
        raise FormatValidationError(ValidationReport("claim draft", 1, [violation]))
    return amount.quantize(CENTS, rounding=ROUND_HALF_UP)


def is_claimable(patient: Any) -> bool:
    """True when the patient has insurance to bill."""
    return bool(field_of(patient, "insurance_provider"))


@cache
def _base_charge(specialty: Any, appointment_type: Any) -> float:
    """Visit fee x category factor: two registry lookups done once per (specialty, type)."""
    fee = SPECIALTIES.get(specialty).visit_fee if specialty in SPECIALTIES else 200
    category = (
        APPOINTMENT_TYPES.get(appointment_type).category
        if appointment_type in APPOINTMENT_TYPES else "follow_up"
    )
    return fee * CATEGORY_FACTOR.get(category, 1.0)


@cache
def _payment_ratio(payer_name: str) -> tuple[float, float]:
    plan = PAYERS.get(payer_name).plan_type if payer_name in PAYERS else "employer"
    return PAYMENT_RATIO.get(plan, (0.7, 0.9))


def _draw_amount(rng: Randomness, provider: Any, appointment: Any) -> Decimal:
    base = _base_charge(field_of(provider, "specialty"), field_of(appointment, "appointment_type"))
    # Whole cents as an int, then a 2-place Decimal: no string round trip per claim.
    return Decimal(round(base * rng.random.uniform(0.85, 1.2) * 100)).scaleb(-2)


# timedelta(days=n) for the 0-40 day offsets a claim draws (built once, not per claim).
_DAYS: tuple[timedelta, ...] = tuple(timedelta(days=n) for n in range(41))


def draft_claim(
    rng: Randomness,
    serial: int,
    patient: Any,
    provider: Any,
    appointment: Any,
    amount: Any = None,
    status: str | None = None,
    **explicit: Any,
) -> dict[str, Any]:
    """Every ``insurance_claims`` column for the visit ``appointment``.

    ``amount`` wins over the drawn charge (any form :func:`parse_amount` accepts);
    ``status`` picks the place in the status machine, dates and payment follow it.
    ``created_at`` is midnight of the submission date (deterministic, so a rerun with
    the same seed is identical, and never before the claim was submitted).
    """
    if explicit:
        unknown = [k for k in explicit if k not in CLAIM_COLUMNS]
        if unknown:
            raise UnknownNameError("claim column", unknown[0], CLAIM_COLUMNS)
    if status is not None and status not in CLAIM_STATUSES:
        raise UnknownNameError("claim status", status, CLAIM_STATUSES)
    payer_name = (
        field_of(patient, "insurance_provider")
    )
    if not payer_name:
        raise business_error(
            "insurance_claims", serial, "patient_id", declared.CLAIM_REQUIRES_INSURANCE.name,
            f"Patient {field_of(patient, 'patient_id') or field_of(patient, 'id')!r} is uninsured; "
            "an insurance claim needs a payer",
            "bill the visit to the patient (self-pay, no claim row) or give the patient insurance",
        )
    rand = rng.random
    random = rand.random
    claim_amount = parse_amount(amount) if amount is not None else _draw_amount(rng, provider, appointment)
    if claim_amount <= 0:
        raise business_error(
            "insurance_claims", serial, "claim_amount", AMOUNT_POSITIVE.name,
            f"claim amount {claim_amount} must be greater than 0", "charge a positive amount",
        )
    if type(appointment) is dict:
        visit = appointment.get("appointment_date")
        patient_id = appointment.get("patient_id")
        provider_id = appointment.get("provider_id")
        appointment_id = appointment.get("id")
    else:
        visit = field_of(appointment, "appointment_date")
        patient_id = field_of(appointment, "patient_id")
        provider_id = field_of(appointment, "provider_id")
        appointment_id = field_of(appointment, "id")
    visit = (visit if type(visit) is datetime else as_datetime(visit)).date()
    submitted = visit + _DAYS[1 + int(random() * 5)]
    today = rng.today
    if status is None:
        if submitted + _DAYS[7] <= today:
            # Randomness.weighted's draw (bisect on the cumulative weights), minus its overhead.
            cumulative = _STATUS_MIX.cumulative
            status = _STATUS_MIX.options[
                bisect(cumulative, random() * cumulative[-1], 0, len(cumulative) - 1)
            ]
        else:
            status = "submitted"
        processed = min(submitted + _DAYS[7 + int(random() * 24)], today)
    else:
        processed = submitted + _DAYS[7 + int(random() * 24)]
    payment: Decimal | None = None
    denial: str | None = None
    if status == "paid":
        low, high = _payment_ratio(payer_name)
        # Ratio to 4 places as an int, payment in whole cents (half-up), never above the charge.
        ratio = round(rand.uniform(low, high) * 10000)
        cents = int(claim_amount.scaleb(2))
        payment = min(claim_amount, Decimal((cents * ratio + 5000) // 10000).scaleb(-2))
    elif status == "denied":
        denial = DENIAL_REASONS[int(random() * len(DENIAL_REASONS))]
    row: dict[str, Any] = {
        "id": serial,
        "uuid": fast_uuid4(rand),
        "claim_number": identifiers.claim_number(serial),
        "patient_id": patient_id or field_of(patient, "id"),
        "provider_id": provider_id or field_of(provider, "id"),
        "appointment_id": appointment_id,
        "claim_amount": claim_amount,
        "submitted_date": submitted,
        "processed_date": processed if status in PROCESSED_STATUSES else None,
        "status": status,
        "denial_reason": denial,
        "payment_amount": payment,
        "created_at": datetime(submitted.year, submitted.month, submitted.day),
    }
    if explicit:
        row.update(explicit)
    return row


def advance_claim(rng: Randomness, claim: Mapping[str, Any], status: str) -> dict[str, Any]:
    """A copy of ``claim`` moved one step along the status machine.

    submitted -> processed (processed_date set), processed -> paid (payment set) or
    denied (denial reason set). Any other move raises BusinessRuleViolation naming the
    allowed next statuses, so a test can drive a claim through processing like a payer.
    """
    if status not in CLAIM_STATUSES:
        raise UnknownNameError("claim status", status, CLAIM_STATUSES)
    current = claim.get("status") or "submitted"
    allowed = TRANSITIONS.get(current, ())
    if status not in allowed:
        raise business_error(
            "insurance_claims", claim.get("claim_number"), "status", declared.STATUS_TRANSITION.name,
            f"A {current!r} claim cannot become {status!r}",
            f"next allowed: {', '.join(allowed) or 'none (final state)'}",
        )
    row = dict(claim, status=status)
    if status == "processed":
        row["processed_date"] = row["submitted_date"] + timedelta(days=rng.randint(7, 30))
    elif status == "paid":
        low, high = PAYMENT_RATIO["employer"]
        amount = Decimal(str(row["claim_amount"]))
        row["payment_amount"] = (amount * Decimal(f"{rng.random.uniform(low, high):.4f}")).quantize(CENTS)
    else:
        row["denial_reason"] = rng.choice(DENIAL_REASONS)
    return row
