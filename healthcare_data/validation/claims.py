"""Row rules for insurance claims: number format, positive amount, date order and the
status machine (processed date, denial reason and payment only where the status allows).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from healthcare_data.identifiers import CLAIM_NUMBER_PATTERN
from healthcare_data.rows.claims import CLAIM_STATUSES, PROCESSED_STATUSES
from healthcare_data.validation.providers import field_of
from healthcare_data.validation.report import BUSINESS, FORMAT, Violation


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def check_claim(claim: Any, appointment: Any = None) -> list[Violation]:
    """Every rule a claim row must pass; ``appointment`` adds 'submitted after the visit'."""
    get = lambda column: field_of(claim, column)  # noqa: E731
    key = get("claim_number") or get("id")
    out: list[Violation] = []

    def add(field: str, rule: str, message: str, recovery: str, category: str = BUSINESS) -> None:
        out.append(Violation("insurance_claims", key, field, rule, message, recovery, category))

    number = get("claim_number")
    if not isinstance(number, str) or not CLAIM_NUMBER_PATTERN.match(number):
        add("claim_number", "claim_number_format", f"claim number {number!r} is not CLM- + 10 digits",
            "derive it with identifiers.claim_number(serial)", FORMAT)
    amount = _decimal(get("claim_amount"))
    if amount is None or amount <= 0:
        add("claim_amount", "amount_positive", f"claim amount {get('claim_amount')!r} must be > 0",
            "charge a positive amount", FORMAT if amount is None else BUSINESS)
    status = get("status")
    submitted, processed = _date(get("submitted_date")), _date(get("processed_date"))
    if status not in CLAIM_STATUSES:
        add("status", "status_valid", f"status {status!r} is not one of {CLAIM_STATUSES}",
            f"use one of: {', '.join(CLAIM_STATUSES)}")
    if submitted is None:
        add("submitted_date", "submitted_date_present", "claim has no submitted date",
            "set submitted_date after the visit", FORMAT)
    if status in PROCESSED_STATUSES and processed is None:
        add("processed_date", "processed_date_when_processed",
            f"a {status} claim needs a processed_date", "set processed_date >= submitted_date")
    if status == "submitted" and processed is not None:
        add("processed_date", "processed_date_when_processed",
            "a submitted claim has no processed_date yet", "clear processed_date or advance the status")
    if processed is not None and submitted is not None and processed < submitted:
        add("processed_date", "dates_in_order", f"processed {processed} is before submitted {submitted}",
            "set processed_date on or after submitted_date")
    denial = get("denial_reason")
    if status == "denied" and not denial:
        add("denial_reason", "denial_reason_iff_denied", "a denied claim needs a denial reason",
            "give a CARC reason (e.g. 'CO-50: Non-covered service')")
    if status != "denied" and denial:
        add("denial_reason", "denial_reason_iff_denied",
            f"a {status} claim carries a denial reason ({denial!r})", "clear denial_reason")
    payment = _decimal(get("payment_amount"))
    if status == "paid":
        if payment is None or payment <= 0:
            add("payment_amount", "payment_when_paid", "a paid claim needs a positive payment amount",
                "set payment_amount <= claim_amount")
        elif amount is not None and payment > amount:
            add("payment_amount", "payment_not_above_amount",
                f"payment {payment} exceeds the claim amount {amount}", "pay at most the claim amount")
    elif payment is not None:
        add("payment_amount", "payment_when_paid", f"a {status} claim carries a payment ({payment})",
            "clear payment_amount until the claim is paid")
    if appointment is not None and submitted is not None:
        visit = _date(field_of(appointment, "appointment_date"))
        if visit is not None and submitted < visit:
            add("submitted_date", "submitted_after_visit",
                f"submitted {submitted} before the visit on {visit}", "submit after the appointment")
    return out
