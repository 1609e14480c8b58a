"""Validation: the library's VALIDATORS run over the database, rates against tolerances."""

from __future__ import annotations

from behave import given, then, when
from hamcrest import assert_that, equal_to, greater_than, has_item, has_length, less_than_or_equal_to

from healthcare_data.behave.support import registries
from healthcare_data.behave.support.datasets import generate_scenario
from healthcare_data.behave.support.reports import assert_no_offenders, report_suffix, table, write_report
from healthcare_data.behave.support.state import need
from healthcare_data.behave.support.tables import validation_requests
from healthcare_data.factories import PROVIDER_TRAITS, ProviderFactory
from healthcare_data.readback import fetch
from healthcare_data.validation import run_all, violation_rows


@then("all generated data should pass validation rules")
def step_all_validators_pass(context):
    """Every registered rule validator (run_all) reports no violation; statistical reports (data_quality)
    are judged by the distribution sentence instead.
    """
    reports = run_all(context.db, context.today)
    assert_that(list(reports), equal_to(registries.validators().names()), "validators run")
    found = violation_rows(reports, statistical=False)
    assert_no_offenders(found, "violations found by the library's validators")


@given("I have generated healthcare data using various personas and traits")
def step_generated_data(context):
    """A generated dataset of every persona (profiles.toml scenarios.validation), one provider per trait."""
    generate_scenario(context, "validation")
    factory = ProviderFactory(context.db, context.rng)
    context.created.add_each("providers", {n: factory.create(n) for n in PROVIDER_TRAITS.names()}, "trait")
    personas = {p["persona"] for p in fetch(context.db, "patient_profiles")}
    assert_that(sorted(personas), equal_to(sorted(registries.personas().names())), "personas in the data")


@when("I run comprehensive data validation:")
def step_run_validation(context):
    """run_validation(name, tolerance) per row (scope/standard must be the validator's); writes
    reports/validation.txt.
    """
    requests = validation_requests(context.table)
    context.validation_runs = {r.validation_type: (r, r.run(context.db, context.today)) for r in requests}
    rows = [request.summary(report) for request, report in context.validation_runs.values()]
    title = f"Data validation on {context.db.backend}"
    write_report(f"validation-{report_suffix(context)}", title, rows, context=context)


def _within_tolerance(context, name, what):
    runs = need(context, "validation_runs", "When I run comprehensive data validation:")
    assert_that(list(runs), has_item(name), f"'{what}' needs the validation_type {name!r} in the table")
    request, report = runs[name]
    assert_that(report.checked, greater_than(0), f"{name}: records checked")
    reason = (
        f"{what} ({name}, {request.scope}/{request.standard}): violation rate {report.rate:.2%} of "
        f"{report.checked} checked exceeds tolerance {request.tolerance_text}\n{table(report.rows())}\n"
    )
    assert_that(report.rate, less_than_or_equal_to(request.tolerance), reason)
    return report


@then("all format validations should pass without errors")
def step_format(context):
    """format_validation within its error_tolerance and, as the sentence says, no errors at all."""
    report = _within_tolerance(context, "format_validation", "format validations")
    assert_that(report.violations, has_length(0), f"format violations:\n{table(report.rows())}")


@then("business rule violations should be within tolerance")
def step_business(context):
    """business_rules violation rate <= its error_tolerance."""
    _within_tolerance(context, "business_rules", "business rules")


@then("HIPAA compliance should be maintained for all patient data")
def step_hipaa(context):
    """compliance_check violation rate <= its error_tolerance."""
    _within_tolerance(context, "compliance_check", "HIPAA compliance")


@then("demographic distributions should reflect realistic population patterns")
def step_population(context):
    """data_quality rate <= tolerance and its chi-square/KS tests ran and passed."""
    report = _within_tolerance(context, "data_quality", "demographic distributions")
    tests = getattr(report, "tests", [])
    assert_that(tests, has_length(greater_than(0)), "statistical tests (chi-square / KS) run")
    failed = [{"test": t.name, "p": t.p_value, "detail": t.detail} for t in tests if not t.ok]
    assert_no_offenders(failed, "statistical tests outside the tolerance")


@then("all cross-references should maintain referential integrity")
def step_integrity(context):
    """referential_integrity violation rate <= its error_tolerance."""
    _within_tolerance(context, "referential_integrity", "referential integrity")
