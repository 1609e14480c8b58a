"""Error handling: registered error scenarios provoked through the library, then recovered."""

from __future__ import annotations

from behave import then, when
from hamcrest import assert_that, greater_than, has_length

from healthcare_data.behave.support.error_scenarios import BEHAVIORS, ERROR_SCENARIOS, Lab, run_scenario
from healthcare_data.behave.support.reports import assert_no_offenders, outcome_tables, show
from healthcare_data.behave.support.state import need
from healthcare_data.behave.support.tables import error_scenario_requests


@when("I attempt to create problematic healthcare data scenarios:")
def step_attempt(context):
    """Runs each registered error scenario: provoke through the library, count rows, apply the recovery."""
    requests = error_scenario_requests(context.table, ERROR_SCENARIOS, BEHAVIORS)
    lab = Lab(context.db, context.rng)
    context.error_outcomes = [run_scenario(lab, r.scenario, r.recovery_strategy) for r in requests]
    show(context, "Error scenarios", outcome_tables(context.error_outcomes))


def _outcomes(context):
    outcomes = need(
        context, "error_outcomes", "When I attempt to create problematic healthcare data scenarios:"
    )
    assert_that(outcomes, has_length(greater_than(0)), "error scenarios run")
    return outcomes


@then("each error scenario should be handled gracefully")
def step_graceful(context):
    """Each scenario raised the error type its expected_behavior names."""
    offenders = [
        dict(
            o.row(),
            expected=o.expected_behavior,
            expected_types=", ".join(t.__name__ for t in BEHAVIORS.get(o.expected_behavior)),
        )
        for o in _outcomes(context)
        if o.error is None or not isinstance(o.error, BEHAVIORS.get(o.expected_behavior))
    ]
    assert_no_offenders(offenders, "scenarios that raised no error or the wrong error type")


@then("descriptive error messages should be provided")
def step_messages(context):
    """Each message names the offending values (slot, type and specialty, age, policy number, NPI)."""
    offenders = [
        {"scenario": o.scenario, "message": o.message, "must mention": ", ".join(o.mentions)}
        for o in _outcomes(context)
        if not o.message or not all(m in o.message for m in o.mentions)
    ]
    assert_no_offenders(offenders, "error messages that do not name the offending value")


@then("recovery strategies should be offered when possible")
def step_recovery(context):
    """The error offers recovery suggestions and applying the strategy succeeds."""
    offenders = [
        {
            "scenario": o.scenario,
            "strategy": o.recovery_strategy,
            "offered": "; ".join(o.offered),
            "recovered": o.recovered,
            "detail": o.recovery_detail,
        }
        for o in _outcomes(context)
        if o.recovery_strategy and (not o.offered or not o.recovered)
    ]
    assert_no_offenders(offenders, "recoveries not offered by the error or failing when applied")


@then("the system should remain stable after error conditions")
def step_stable(context):
    """The database answers and referential_integrity, business_rules and format_validation find nothing."""
    offenders = [
        {"scenario": o.scenario, "detail": o.stability_detail} for o in _outcomes(context) if not o.stable
    ]
    assert_no_offenders(offenders, "database unusable or inconsistent after an error")


@then("no partial or corrupted data should be persisted")
def step_nothing_partial(context):
    """Row counts of every table are the same before and after each failed operation."""
    offenders = [
        {"scenario": o.scenario, "table": t, "before": o.counts_before[t], "after error": n}
        for o in _outcomes(context)
        for t, n in o.counts_after_error.items()
        if n != o.counts_before[t]
    ]
    assert_no_offenders(offenders, "rows written by a failed operation")
