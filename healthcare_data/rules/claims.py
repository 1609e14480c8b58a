"""Insurance claim rules: number format, positive amount, date order and the status machine.

Context: ``appointment`` (the claim's visit) enables "submitted after the visit".
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from healthcare_data.columns import PROCESSED_STATUSES
from healthcare_data.dates import as_date
from healthcare_data.identifiers import CLAIM_NUMBER_PATTERN
from healthcare_data.rulebook import Finding, Subject, field_of, field_rule, rule
from healthcare_data.violations import BUSINESS, FORMAT


def as_decimal(value: Any) -> Decimal | None:
    """A Decimal from a number or numeric string; None when missing or not a number."""
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


field_rule(
    "claim_number_format",
    "insurance_claims",
    FORMAT,
    ("claim_number",),
    lambda v: isinstance(v, str) and bool(CLAIM_NUMBER_PATTERN.match(v)),
    "claim number {value!r} is not CLM- + 10 digits",
    "derive it with identifiers.claim_number(serial)",
    "claim number is CLM- and 10 digits",
    optional=False,
)


@rule(
    "amount_positive",
    "insurance_claims",
    BUSINESS,
    ("claim_amount",),
    "claim amount {value!r} must be > 0",
    "charge a positive amount",
)
def _amount(subject: Subject) -> Iterable[Finding]:
    """the claim amount is a positive number"""
    amount = as_decimal(subject.get("claim_amount"))
    if amount is None or amount <= 0:
        yield Finding("claim_amount", {"value": subject.get("claim_amount")})


@rule(
    "submitted_date_present",
    "insurance_claims",
    FORMAT,
    ("submitted_date",),
    "claim has no submitted date",
    "set submitted_date after the visit",
)
def _submitted(subject: Subject) -> Iterable[Finding]:
    """the claim has a submitted date"""
    if as_date(subject.get("submitted_date")) is None:
        yield Finding("submitted_date", {})


@rule(
    "processed_date_when_processed",
    "insurance_claims",
    BUSINESS,
    ("status", "processed_date"),
    "{problem}",
    "{advice}",
)
def _processed(subject: Subject) -> Iterable[Finding]:
    """a processed claim has a processed date, a submitted one none yet"""
    status, processed = subject.get("status"), as_date(subject.get("processed_date"))
    if status in PROCESSED_STATUSES and processed is None:
        advice = "set processed_date >= submitted_date"
        yield Finding(
            "processed_date", {"problem": f"a {status} claim needs a processed_date", "advice": advice}
        )
    if status == "submitted" and processed is not None:
        advice = "clear processed_date or advance the status"
        yield Finding(
            "processed_date", {"problem": "a submitted claim has no processed_date yet", "advice": advice}
        )


@rule(
    "dates_in_order",
    "insurance_claims",
    BUSINESS,
    ("submitted_date", "processed_date"),
    "processed {processed} is before submitted {submitted}",
    "set processed_date on or after submitted_date",
)
def _order(subject: Subject) -> Iterable[Finding]:
    """processed on or after submitted"""
    submitted, processed = as_date(subject.get("submitted_date")), as_date(subject.get("processed_date"))
    if processed is not None and submitted is not None and processed < submitted:
        yield Finding("processed_date", {"processed": processed, "submitted": submitted})


@rule(
    "denial_reason_iff_denied",
    "insurance_claims",
    BUSINESS,
    ("status", "denial_reason"),
    "{problem}",
    "{advice}",
)
def _denial(subject: Subject) -> Iterable[Finding]:
    """a denial reason exactly when the claim is denied"""
    status, denial = subject.get("status"), subject.get("denial_reason")
    if status == "denied" and not denial:
        values = {
            "problem": "a denied claim needs a denial reason",
            "advice": "give a CARC reason (e.g. 'CO-50: Non-covered service')",
        }
        yield Finding("denial_reason", values)
    if status != "denied" and denial:
        values = {
            "problem": f"a {status} claim carries a denial reason ({denial!r})",
            "advice": "clear denial_reason",
        }
        yield Finding("denial_reason", values)


@rule(
    "payment_when_paid",
    "insurance_claims",
    BUSINESS,
    ("status", "payment_amount"),
    "{problem}",
    "{advice}",
)
def _payment(subject: Subject) -> Iterable[Finding]:
    """a positive payment exactly when the claim is paid"""
    status, payment = subject.get("status"), as_decimal(subject.get("payment_amount"))
    if status == "paid" and (payment is None or payment <= 0):
        values = {
            "problem": "a paid claim needs a positive payment amount",
            "advice": "set payment_amount <= claim_amount",
        }
        yield Finding("payment_amount", values)
    elif status != "paid" and payment is not None:
        values = {
            "problem": f"a {status} claim carries a payment ({payment})",
            "advice": "clear payment_amount until the claim is paid",
        }
        yield Finding("payment_amount", values)


@rule(
    "payment_not_above_amount",
    "insurance_claims",
    BUSINESS,
    ("payment_amount", "claim_amount"),
    "payment {value} exceeds the claim amount {amount}",
    "pay at most the claim amount",
)
def _not_above(subject: Subject) -> Iterable[Finding]:
    """a payment is at most the claim amount"""
    payment, amount = as_decimal(subject.get("payment_amount")), as_decimal(subject.get("claim_amount"))
    if (
        subject.get("status") == "paid"
        and payment is not None
        and payment > 0
        and amount is not None
        and payment > amount
    ):
        yield Finding("payment_amount", {"value": payment, "amount": amount})


@rule(
    "submitted_after_visit",
    "insurance_claims",
    BUSINESS,
    ("submitted_date", "appointment_id"),
    "submitted {submitted} before the visit on {visit}",
    "submit after the appointment",
)
def _after_visit(subject: Subject) -> Iterable[Finding]:
    """the claim is submitted on or after its visit"""
    appointment = subject.context.get("appointment")
    submitted = as_date(subject.get("submitted_date"))
    if appointment is None or submitted is None:
        return
    visit = as_date(field_of(appointment, "appointment_date"))
    if visit is not None and submitted < visit:
        yield Finding("submitted_date", {"submitted": submitted, "visit": visit})


CLAIM_ROW_RULES: tuple[str, ...] = (
    "claim_number_format",
    "amount_positive",
    "status_valid",
    "submitted_date_present",
    "processed_date_when_processed",
    "dates_in_order",
    "denial_reason_iff_denied",
    "payment_when_paid",
    "payment_not_above_amount",
    "submitted_after_visit",
)

# The rule the claim draft refuses a non-positive amount by.
AMOUNT_POSITIVE = _amount
