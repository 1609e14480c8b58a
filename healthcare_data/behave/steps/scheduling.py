"""Appointments: persona patients, specialty providers, constraints checked on stored rows."""

from __future__ import annotations

from behave import given, then, when
from hamcrest import assert_that, empty, equal_to, is_not

from healthcare_data.behave.support import registries
from healthcare_data.behave.support.failures import as_failure
from healthcare_data.behave.support.reports import assert_no_offenders, assert_no_violations
from healthcare_data.behave.support.state import need
from healthcare_data.behave.support.tables import appointment_requests
from healthcare_data.builders import PatientBuilder
from healthcare_data.factories import ProviderFactory, schedule_appointment
from healthcare_data.readback import fetch
from healthcare_data.scheduling import unmet_constraints
from healthcare_data.validation.appointments import check_appointment
from healthcare_data.validation.groups import CHECKS
from healthcare_data.validation.integrity import find_double_bookings


@given("I have patients with different personas")
def step_persona_patients(context):
    """One stored patient per registered persona."""
    names = registries.personas().names()
    made = {n: PatientBuilder(context.db, context.rng).with_persona(n).create() for n in names}
    context.created.add_each("patients", made, "persona")
    stored = fetch(context.db, "patient_profiles", context.created.ids("patients"), column="patient_id")
    assert_that(sorted(p["persona"] for p in stored), equal_to(sorted(names)), "a stored patient per persona")


@given("I have providers with various specialties")
def step_specialty_providers(context):
    """One stored provider per registered specialty."""
    names, factory = registries.specialties().names(), ProviderFactory(context.db, context.rng)
    context.created.add_each("providers", {n: factory.create(specialty=n) for n in names}, "specialty")
    stored = fetch(context.db, "providers", context.created.ids("providers"))
    found = sorted(p["specialty"] for p in stored)
    assert_that(found, equal_to(sorted(names)), "one stored provider per specialty")


def _one(context, table, **labels):
    found = context.created.ids(table, **labels)
    assert_that(found, is_not(empty()), f"{table} with {labels} created by an earlier Given step")
    return fetch(context.db, table, found[:1])[0]


def _book(context, request):
    """schedule_appointment for one table row, with the patient and provider earlier steps created."""
    patient = _one(context, "patients", persona=request.persona)
    provider = _one(context, "providers", specialty=request.specialty)
    with as_failure(f"Appointments table row {request.row} ({request.appointment_type})"):
        return schedule_appointment(
            context.db, patient, provider, request.appointment_type, request.constraints, rng=context.rng
        )


@when("I create appointments with the following requirements:")
def step_create_appointments(context):
    """schedule_appointment(db, patient, provider, type, constraints) per row."""
    context.appointment_requests = appointment_requests(context.table)
    for request in context.appointment_requests:
        appointment = _book(context, request)
        context.created.add("appointments", appointment.id, step=request.row, **request.labels)


def _stored_appointments(context):
    need(context, "appointment_requests", "When I create appointments with the following requirements:")
    entries = context.created.of("appointments")
    rows = {r["id"]: r for r in fetch(context.db, "appointments", [e.id for e in entries])}
    assert_that(sorted(rows), equal_to(sorted(e.id for e in entries)), "appointments in the database")
    providers = {
        p["id"]: p for p in fetch(context.db, "providers", {r["provider_id"] for r in rows.values()})
    }
    return [(e, rows[e.id], providers[rows[e.id]["provider_id"]]) for e in entries]


def _violations(context, check):
    """The stored appointments' violations of the library check group ``check``."""
    stored = _stored_appointments(context)
    found = [v for _, row, provider in stored for v in check_appointment(row, provider)]
    return CHECKS.get(check).select(found)


@then("appointments should be scheduled within business hours")
def step_business_hours(context):
    """The business_hours rule (BUSINESS_HOURS.contains) on every stored appointment."""
    assert_no_violations(_violations(context, "within_business_hours"), "appointments outside business hours")


@then("appointment types should be appropriate for provider specialties")
def step_types_for_specialty(context):
    """Stored type is the requested one; the specialty rules of check_appointment hold."""
    stored = _stored_appointments(context)
    asked = [e.labels["type"] for e, _, _ in stored]
    assert_that([r["appointment_type"] for _, r, _ in stored], equal_to(asked), "types as requested")
    assert_no_violations(_violations(context, "types_fit_specialties"), "types the specialty does not offer")


@then("scheduling should respect patient persona preferences")
def step_preferences(context):
    """Each scheduling constraint of the row: CONSTRAINTS[name].check(stored appointment, today)."""
    stored = [(e.labels["constraints"], row) for e, row, _ in _stored_appointments(context)]
    offenders = [v for names, row in stored for v in unmet_constraints(row, names, context.today)]
    assert_no_offenders(offenders, "scheduling constraints not satisfied by stored appointments")


@then("no double-booking conflicts should occur")
def step_no_double_booking(context):
    """integrity.find_double_bookings (SQL window query over the appointments table)."""
    _stored_appointments(context)
    with context.db.engine.connect() as conn:
        clashes = find_double_bookings(conn)
    assert_no_offenders([v.as_row() for v in clashes], "provider double bookings (SQL window query)")


@then("appointment durations should match appointment types")
def step_durations(context):
    """The duration_matches_type rule on every stored appointment."""
    assert_no_violations(_violations(context, "durations_match_types"), "durations unlike their type's")
