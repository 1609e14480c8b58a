"""Error handling: registered error scenarios provoked through the library, then recovered."""

from __future__ import annotations

from behave import then, when
from hamcrest import assert_that, greater_than, has_length

from healthcare_data.behave.support.reports import assert_no_offenders, outcome_tables, show
from healthcare_data.behave.support.state import need
from healthcare_data.behave.support.tables import error_scenario_requests
from healthcare_data.error_scenarios import BEHAVIORS, ERROR_SCENARIOS, Lab, Outcome, problems, run_scenario


@when("I attempt to create problematic healthcare data scenarios:")
def step_attempt(context):
    """Runs each registered error scenario: provoke through the library, count rows, apply the recovery."""
    requests = error_scenario_requests(context.table, ERROR_SCENARIOS, BEHAVIORS)
    lab = Lab(context.db, context.rng)
    context.error_outcomes = [run_scenario(lab, r.scenario, r.recovery_strategy) for r in requests]
    show(context, "Error scenarios", outcome_tables(context.error_outcomes))


def _outcomes(context):
    hint = "When I attempt to create problematic healthcare data scenarios:"
    outcomes = need(context, "error_outcomes", hint)
    assert_that(outcomes, has_length(greater_than(0)), "error scenarios run")
    return outcomes


@then("each error scenario should be handled gracefully")
def step_graceful(context):
    """Each scenario raised the error type its expected_behavior names."""
    found = problems(_outcomes(context), Outcome.handling_problem)
    assert_no_offenders(found, "scenarios that raised no error or the wrong error type")


@then("descriptive error messages should be provided")
def step_messages(context):
    """Each message names the offending values (slot, type and specialty, age, policy number, NPI)."""
    found = problems(_outcomes(context), Outcome.message_problem)
    assert_no_offenders(found, "error messages that do not name the offending value")


@then("recovery strategies should be offered when possible")
def step_recovery(context):
    """The error offers recovery suggestions and applying the strategy succeeds."""
    found = problems(_outcomes(context), Outcome.recovery_problem)
    assert_no_offenders(found, "recoveries not offered by the error or failing when applied")


@then("the system should remain stable after error conditions")
def step_stable(context):
    """The database answers and referential_integrity, business_rules and format_validation find nothing."""
    found = problems(_outcomes(context), Outcome.stability_problem)
    assert_no_offenders(found, "database unusable or inconsistent after an error")


@then("no partial or corrupted data should be persisted")
def step_nothing_partial(context):
    """Row counts of every table are the same before and after each failed operation."""
    found = [row for o in _outcomes(context) for row in o.persisted_rows()]
    assert_no_offenders(found, "rows written by a failed operation")
