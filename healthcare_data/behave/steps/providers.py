"""Providers: specialties, traits and practice types from the table; credentials read back."""

from __future__ import annotations

from behave import given, then, when
from hamcrest import all_of, assert_that, contains_string, equal_to, greater_than, has_length

from healthcare_data.behave.support import registries
from healthcare_data.behave.support.failures import as_failure
from healthcare_data.behave.support.reports import assert_no_offenders, assert_no_violations
from healthcare_data.behave.support.state import need
from healthcare_data.behave.support.tables import provider_requests
from healthcare_data.factories import ProviderFactory
from healthcare_data.readback import fetch
from healthcare_data.validation.groups import check_group
from healthcare_data.validation.providers import check_provider, contact_violations, unmet_provider_request


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
    for number, request in enumerate(context.provider_requests, start=1):
        with as_failure(f"Providers table row {number} ({request.specialty}, {request.practice_type})"):
            made = request.create(ProviderFactory(context.db, context.rng))
        context.created.add_all("providers", made, step=number, **request.labels)


@when("I try to create providers with the following configurations:")
def step_try_providers(context):
    """The create step above, its refusal kept (context.refusal) for a Then step instead of failing."""
    context.refusal = "no refusal: every row was created"
    try:
        step_create_providers(context)
    except AssertionError as refusal:
        context.refusal = str(refusal)


@then("the providers should be refused with a message naming:")
def step_refused(context):
    """The refusal names every ``text`` of the table; the refused row stored nothing."""
    refusal = need(context, "refusal", "When I try to create providers with the following configurations:")
    assert_that(refusal, all_of(*[contains_string(row["text"]) for row in context.table]))
    stored = context.db.counts()["providers"]
    assert_that(stored, equal_to(len(context.created.of("providers"))), "providers stored by the refused row")


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
    """The valid_credentials rules (NPI Luhn check digit over 80840, license format of the practice state);
    NPIs and licenses distinct."""
    rows = [row for _, row in _stored_providers(context)]
    assert_no_violations([v for row in rows for v in check_group("valid_credentials", row)], "credentials")
    for column in ("npi_number", "license_number"):
        assert_that(len({r[column] for r in rows}), equal_to(len(rows)), f"distinct {column} values")


@then("practice information should match specialty and traits")
def step_practice_matches(context):
    """Specialty and practice type as requested, the practice_info rules, provider_trait_violations clean."""
    stored = _stored_providers(context)
    offenders = [o for entry, row in stored for o in unmet_provider_request(row, **entry.labels)]
    assert_no_offenders(offenders, "practice name/type consistent with the requested specialty and traits")


@then("contact information should be professional and realistic")
def step_contact(context):
    """Contact rules of check_provider: phone and e-mail well formed, phone fictional, e-mail on a reserved
    domain."""
    rows = [row for _, row in _stored_providers(context)]
    assert_no_violations([v for row in rows for v in contact_violations(row)], "provider contact data")
