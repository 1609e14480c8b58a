"""Corruptions of stored journey data, to prove a validation rule catches what it claims.

Each entry of :data:`CORRUPTIONS` changes one row of a seeded database the way a bug in
a system under test might, and names the rule that must then report it. The acceptance
suite and the pytest tests use them to show that every "should pass" sentence can fail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, select, update

from healthcare_data.errors import ConfigurationError
from healthcare_data.registry import Registry
from healthcare_data.rulebook import Rule
from healthcare_data.rules import journeys as named
from healthcare_data.schema import Base


@dataclass(frozen=True)
class Corruption:
    """A named change to stored data and the rule that must catch it."""

    name: str
    rule: str
    apply: Callable[[Connection, Any], Any]  # (conn, today) -> key of the changed row


CORRUPTIONS: Registry[Corruption] = Registry("corruption")


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _first(conn: Connection, table: str, *where: Any) -> dict[str, Any]:
    t = _table(table)
    row = conn.execute(select(t).where(*where).order_by(t.c.id).limit(1)).mappings().first()
    if row is None:
        raise ConfigurationError(f"No {table} row to corrupt; seed more journeys first")
    return dict(row)


def _set(conn: Connection, table: str, key: Any, **values: Any) -> Any:
    t = _table(table)
    conn.execute(update(t).where(t.c.id == key).values(**values))
    return key


def corruption(
    name: str, rule: Rule
) -> Callable[[Callable[[Connection, Any], Any]], Callable[[Connection, Any], Any]]:
    """Register the decorated change as ``name``, caught by the registered journey rule ``rule``."""

    def register(apply: Callable[[Connection, Any], Any]) -> Callable[[Connection, Any], Any]:
        CORRUPTIONS.register(name, Corruption(name, rule.name, apply))
        return apply

    return register


@corruption("a completed visit moved into the future", named.APPOINTMENT_STATUS_TIME)
def _future_completed(conn: Connection, today: Any) -> Any:
    a = _first(conn, "appointments", _table("appointments").c.status == "completed")
    return _set(
        conn, "appointments", a["id"], appointment_date=datetime.combine(today, time(10)) + timedelta(days=3)
    )


@corruption("a past visit still marked scheduled", named.APPOINTMENT_STATUS_TIME)
def _past_scheduled(conn: Connection, today: Any) -> Any:
    a = _first(conn, "appointments", _table("appointments").c.status == "completed")
    return _set(conn, "appointments", a["id"], status="scheduled")


@corruption("a prescription dated before its diagnosis", named.PRESCRIPTION_AFTER_DIAGNOSIS)
def _early_prescription(conn: Connection, today: Any) -> Any:
    p = _first(conn, "prescriptions")
    return _set(conn, "prescriptions", p["id"], prescribed_at=p["prescribed_at"] - timedelta(days=2))


@corruption("a dispensing dated before its prescription", named.DISPENSING_AFTER_PRESCRIPTION)
def _early_dispensing(conn: Connection, today: Any) -> Any:
    d = _first(conn, "dispensings")
    p = _first(conn, "prescriptions", _table("prescriptions").c.id == d["prescription_id"])
    return _set(conn, "dispensings", d["id"], dispensed_at=p["prescribed_at"] - timedelta(hours=5))


@corruption("more dispensed than prescribed", named.DISPENSED_WITHIN_PRESCRIBED)
def _over_dispensed(conn: Connection, today: Any) -> Any:
    d = _first(conn, "dispensings")
    p = _first(conn, "prescriptions", _table("prescriptions").c.id == d["prescription_id"])
    return _set(conn, "dispensings", d["id"], quantity=p["quantity"] * (1 + p["refills"]) + 1)


@corruption("amoxicillin prescribed for type 2 diabetes", named.PRESCRIPTION_FITS_DIAGNOSIS)
def _amoxicillin(conn: Connection, today: Any) -> Any:
    p = _first(conn, "prescriptions")
    return _set(
        conn, "prescriptions", p["id"], rxnorm_code="723", drug_name="amoxicillin", diagnosis_code="E11.9"
    )


@corruption("an expired referral still marked requested", named.REFERRAL_EXPIRY)
def _expired_requested(conn: Connection, today: Any) -> Any:
    r = _first(conn, "referrals", _table("referrals").c.status == "expired")
    return _set(conn, "referrals", r["id"], status="requested")


@corruption("a payment that does not add up", named.PAYMENTS_ADD_UP)
def _payment(conn: Connection, today: Any) -> Any:
    e = _first(conn, "ledger_entries", _table("ledger_entries").c.party == "payer")
    return _set(conn, "ledger_entries", e["id"], amount=Decimal(str(e["amount"])) + Decimal("10.00"))


@corruption("an illegal journey transition", named.JOURNEY_TRANSITION)
def _illegal_transition(conn: Connection, today: Any) -> Any:
    s = _first(conn, "journey_steps", _table("journey_steps").c.step == "diagnosed")
    return _set(conn, "journey_steps", s["id"], step="cancelled")


@corruption("a prescription status skipping its machine", named.STATUS_TRANSITION)
def _status_skip(conn: Connection, today: Any) -> Any:
    s = _first(conn, "journey_steps", _table("journey_steps").c.status == "written")
    return _set(conn, "journey_steps", s["id"], status="dispensed")


def corrupt(conn: Connection, name: str, today: Any) -> Corruption:
    """Apply the corruption ``name`` (UnknownNameError lists the known ones)."""
    found = CORRUPTIONS.get(name)
    found.apply(conn, today)
    return found


__all__ = ["CORRUPTIONS", "Corruption", "corrupt"]
