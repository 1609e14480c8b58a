"""ProviderFactory: providers with specialties and traits, built or persisted.

``build()`` returns a plain dict (every ``providers`` column, no database touched, not
validated: handy for negative tests). ``create()`` returns a detached
``schema.Provider`` with its id and server defaults loaded, after validating the row
and inserting it in one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from sqlalchemy import select

from healthcare_data import fakes, identifiers
from healthcare_data.factories.base import Factory, Trait, as_row
from healthcare_data.registry import Registry
from healthcare_data.rows.providers import PROVIDER_COLUMNS, PROVIDER_EMAIL_DOMAIN, TRAITS, draft_provider
from healthcare_data.rules import declared
from healthcare_data.schema import Provider
from healthcare_data.validation.providers import check_provider
from healthcare_data.violations import BUSINESS, Violation

PROVIDER_TRAITS = TRAITS


class ProviderFactory(Factory[Provider]):
    """Providers with realistic credentials; traits from ``rows.providers.TRAITS``."""

    model = Provider
    entity = "providers"
    traits: ClassVar[Registry[Trait] | None] = TRAITS
    uniqueness_recovery: ClassVar[Mapping[str, str]] = {
        "npi_number": "generate a new NPI: omit npi_number so it derives from the next id "
        "(identifiers.npi)",
        "license_number": "omit license_number so it derives from the next id",
    }

    def draft(self, serial: int, traits: tuple[Trait, ...], inputs: dict[str, Any]) -> dict[str, Any]:
        inputs.pop("traits", None)
        return draft_provider(self.rng, serial, traits=traits, **inputs)

    def check(self, row: Mapping[str, Any]) -> list[Violation]:
        return check_provider(row)

    def create_with_specialty(self, specialty: str, *traits: str | Trait, **overrides: Any) -> Provider:
        """A persisted provider of ``specialty`` (traits must fit it)."""
        return self.create(*traits, specialty=specialty, **overrides)

    def create_primary_care(self, **overrides: Any) -> Provider:
        """A persisted primary-care provider (Internal/Family Medicine, Pediatrics, ...)."""
        return self.create("primary_care", **overrides)

    def create_specialist(self, specialty: str | None = None, **overrides: Any) -> Provider:
        """A persisted specialist; ``specialty`` must not be a primary-care one."""
        if specialty is not None:
            overrides["specialty"] = specialty
        return self.create("specialist", **overrides)

    def validate_business_rules(self, provider: Any) -> list[Violation]:
        """check_provider, plus NPI uniqueness against the attached database (if any)."""
        row = as_row(provider)
        violations = check_provider(row)
        npi = row.get("npi_number")
        if self.database is not None and npi:
            table = Provider.__table__
            query = select(table.c.id).where(table.c.npi_number == npi)
            if row.get("id") is not None:
                query = query.where(table.c.id != row["id"])
            with self.database.engine.connect() as conn:
                clash = conn.execute(query.limit(1)).scalar_one_or_none()
            if clash is not None:
                violations.append(
                    Violation(
                        "providers", npi, "npi_number", declared.NPI_UNIQUE.name,
                        f"NPI {npi!r} is already used by provider id {clash}",
                        "generate a new NPI: omit npi_number so it derives from the next id",
                        BUSINESS,
                    )
                )
        return violations

    @staticmethod
    def sanitize_for_compliance(provider: Any) -> dict[str, Any]:
        """A copy safe to share in a test environment.

        * keeps only ``providers`` columns (anything else, e.g. notes, is dropped);
        * phone: kept if already fictional (555-0100..0199), else the area code is kept
          and the number replaced by 555-01NN (NN from the id);
        * email: kept if on a reserved domain, else ``dr.<lastname>.<NN>@example.org``;
        * NPI: kept if its check digit is valid (generated NPIs are synthetic), else
          replaced by ``identifiers.npi(id)`` so no malformed/real-looking value remains.
        Names, license and practice data are generated and kept as they are.
        """
        row = {k: v for k, v in as_row(provider).items() if k in PROVIDER_COLUMNS}
        serial = int(row.get("id") or 0)
        phone = row.get("phone")
        if phone is not None and not fakes.is_safe_phone(phone):
            digits = re.sub(r"\D", "", str(phone))
            area = digits[-10:-7] if len(digits) >= 10 else "555"
            row["phone"] = f"({area}) 555-01{serial % 100:02d}"
        email = row.get("email")
        if email is not None and not fakes.is_safe_email(email):
            local = re.sub(r"[^a-z]", "", str(row.get("last_name") or "provider").lower()) or "provider"
            row["email"] = f"dr.{local}.{serial % 100:02d}@{PROVIDER_EMAIL_DOMAIN}"
        npi = row.get("npi_number")
        if npi is not None and not identifiers.is_valid_npi(npi):
            row["npi_number"] = identifiers.npi(serial or 1)
        return row
