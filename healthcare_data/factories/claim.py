"""ClaimFactory: insurance claims for visits; traits are the claim statuses.

Inputs: ``appointment`` (required), ``patient``, ``provider``, ``amount``, ``status``.
In ``create()`` missing patient/provider are read from the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from sqlalchemy.engine import Connection

from healthcare_data.db import Database
from healthcare_data.errors import ConfigurationError
from healthcare_data.factories.base import Factory, Trait, as_row
from healthcare_data.factories.record import load_visit_parties
from healthcare_data.randomness import Randomness
from healthcare_data.registry import Registry
from healthcare_data.rows.claims import CLAIM_STATUSES, draft_claim
from healthcare_data.schema import InsuranceClaim
from healthcare_data.validation.claims import check_claim
from healthcare_data.violations import Violation

CLAIM_TRAITS: Registry[Trait] = Registry("claim trait")
for _status in CLAIM_STATUSES:
    CLAIM_TRAITS.register(
        _status, Trait(_status, f"claim in status {_status!r}", overrides={"status": _status})
    )


class ClaimFactory(Factory[InsuranceClaim]):
    """Insurance claims with a consistent status machine."""

    model = InsuranceClaim
    entity = "insurance_claims"
    traits: ClassVar[Registry[Trait] | None] = CLAIM_TRAITS
    uniqueness_recovery: ClassVar[Mapping[str, str]] = {
        "claim_number": "omit claim_number so it derives from the next id (identifiers.claim_number)"
    }

    def __init__(self, database: Database | None = None, rng: Randomness | int | None = None) -> None:
        super().__init__(database, rng)
        self._appointment: dict[str, Any] | None = None

    def draft(self, serial: int, traits: tuple[Trait, ...], inputs: dict[str, Any]) -> dict[str, Any]:
        appointment = inputs.pop("appointment", None)
        if appointment is None:
            raise ConfigurationError("ClaimFactory needs appointment= (a dict or created object)")
        appointment = as_row(appointment)
        patient, provider = inputs.pop("patient", None), inputs.pop("provider", None)
        if patient is None:
            raise ConfigurationError("ClaimFactory.build needs patient= (its insurance decides the payer)")
        provider = as_row(provider) if provider is not None else {"id": appointment.get("provider_id")}
        self._appointment = appointment
        return draft_claim(self.rng, serial, as_row(patient), provider, appointment, **inputs)

    def check(self, row: Mapping[str, Any]) -> list[Violation]:
        return check_claim(row, self._appointment)

    def prepare(self, conn: Connection, inputs: dict[str, Any]) -> None:
        load_visit_parties(conn, inputs)
