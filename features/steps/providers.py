"""Providers: specialties, traits and practice types from the table; credentials read back."""

from __future__ import annotations

from behave import given, then, when
from hamcrest import assert_that, equal_to, greater_than, has_length

from healthcare_data import fakes, identifiers
from healthcare_data.factories import ProviderFactory
from healthcare_data.rows.providers import practice_state_of, practice_type_of, provider_trait_violations
from healthcare_data.validation.providers import check_provider
from support import registries
from support.failures import as_failure
from support.readback import fetch
from support.reports import assert_no_offenders
from support.state import need
from support.tables import provider_requests


def _stored_providers(context):
    """(request labels, stored row) for every provider the scenario's table created."""
    need(context, "provider_requests", "When I create providers with the following configurations:")
    entries = context.created.of("providers")
    rows = {row["id"]: row for row in fetch(context.db, "providers", [e.id for e in entries])}
    missing = [e.id for e in entries if e.id not in rows]
    assert_that(missing, equal_to([]), "created providers missing from the database")
    return [(e, rows[e.id]) for e in entries]


@given("I need providers for different medical specialties")
def step_need_providers(context):
    """Specialties are registered."""
    assert_that(registries.specialties().names(), has_length(greater_than(1)), "registered specialties")


@when("I create providers with the following configurations:")
def step_create_providers(context):
    """ProviderFactory.create_batch(count, *traits, specialty=, practice_type=) per row."""
    context.provider_requests = provider_requests(context.table)
    factory = ProviderFactory(context.db, context.rng)
    for number, request in enumerate(context.provider_requests, start=1):
        overrides = {"specialty": request.specialty}
        if request.practice_type:
            overrides["practice_type"] = request.practice_type
        with as_failure(f"Providers table row {number} ({request.specialty}, {request.practice_type})"):
            made = factory.create_batch(request.count, *request.traits, **overrides)
        for provider in made:
            context.created.add(
                "providers",
                provider.id,
                step=number,
                specialty=request.specialty,
                traits=request.traits,
                practice_type=request.practice_type,
            )


@then("providers should be created with appropriate professional credentials")
def step_credentials(context):
    """Stored count equals the table's; check_provider clean on every stored provider."""
    stored = _stored_providers(context)
    expected = sum(r.count for r in context.provider_requests)
    assert_that(len(stored), equal_to(expected), "providers in the database")
    offenders = [v.as_row() for _, row in stored for v in check_provider(row)]
    assert_no_offenders(offenders, "provider rules (check_provider) broken by stored providers")


@then("each provider should have valid NPI numbers and license numbers")
def step_npi_and_license(context):
    """NPI Luhn check digit (80840 prefix), license format of the practice state, both unique."""
    stored = _stored_providers(context)
    offenders = []
    for _, row in stored:
        state = practice_state_of(row)
        npi_ok = identifiers.is_valid_npi(row["npi_number"])
        license_ok = identifiers.is_valid_license_number(row["license_number"], state)
        if not (npi_ok and license_ok):
            offenders.append(
                {
                    "id": row["id"],
                    "npi_number": row["npi_number"],
                    "npi valid": npi_ok,
                    "license_number": row["license_number"],
                    "state": state,
                    "license valid": license_ok,
                }
            )
    assert_no_offenders(offenders, "NPI check digit (Luhn over 80840) or state license format")
    for column in ("npi_number", "license_number"):
        values = [row[column] for _, row in stored]
        assert_that(len(set(values)), equal_to(len(values)), f"distinct {column} values")


@then("practice information should match specialty and traits")
def step_practice_matches(context):
    """Stored specialty and practice type (from the practice name) as requested; provider_trait_violations
    clean (specialty, practice type and address fit the traits).
    """
    offenders = []
    for entry, row in _stored_providers(context):
        kind = practice_type_of(row)
        wanted = entry.labels["practice_type"]
        problems = [v.message for v in provider_trait_violations(row, entry.labels["traits"])]
        if row["specialty"] != entry.labels["specialty"]:
            problems.append(f"specialty {row['specialty']!r} != {entry.labels['specialty']!r}")
        if wanted and kind != wanted:
            problems.append(f"practice type {kind!r} != requested {wanted!r}")
        if problems:
            offenders.append(
                {
                    "id": row["id"],
                    "specialty": row["specialty"],
                    "traits": ",".join(entry.labels["traits"]),
                    "practice_name": row["practice_name"],
                    "problems": "; ".join(problems),
                }
            )
    assert_no_offenders(
        offenders, "practice name/type consistent with the requested specialty, traits and practice type"
    )


@then("contact information should be professional and realistic")
def step_contact(context):
    """Phone in 555-0100..0199, e-mail on a reserved domain, nothing sanitize_for_compliance would change."""
    offenders = []
    for _, row in _stored_providers(context):
        sanitized = ProviderFactory.sanitize_for_compliance(row)
        problems = [c for c in ("phone", "email", "npi_number") if sanitized.get(c) != row[c]]
        if not fakes.is_safe_phone(row["phone"]):
            problems.append("phone outside 555-0100..0199")
        if not fakes.is_safe_email(row["email"]):
            problems.append("email not on a reserved domain")
        if not (row["practice_name"] and row["practice_address"]):
            problems.append("practice name/address missing")
        if problems:
            offenders.append(
                {
                    "id": row["id"],
                    "phone": row["phone"],
                    "email": row["email"],
                    "problems": "; ".join(problems),
                }
            )
    assert_no_offenders(
        offenders, "provider contact data must be fictional (555-01NN, reserved e-mail domains)"
    )
