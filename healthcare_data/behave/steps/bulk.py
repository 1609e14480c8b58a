"""Bulk generation: a dataset from the table, timed per entity, memory sampled with psutil."""

from __future__ import annotations

from behave import then, when
from hamcrest import assert_that, greater_than, has_length, less_than_or_equal_to

from healthcare_data.behave.support import registries
from healthcare_data.behave.support.datasets import bulk_run
from healthcare_data.behave.support.reports import (
    assert_no_offenders,
    assert_no_violations,
    bulk_title,
    report_suffix,
    table,
    write_report,
)
from healthcare_data.behave.support.state import need
from healthcare_data.behave.support.tables import bulk_requests
from healthcare_data.validation import run_validation
from healthcare_data.validation.groups import BULK_CONSTRAINTS, bulk_findings, bulk_row_findings


@when("I generate a large healthcare dataset:")
def step_generate(context):
    """DatasetSpec from the table; generate_dataset + write_dataset timed per entity, peak RSS sampled
    (psutil, measure.measured_write); writes reports/bulk.txt.
    """
    requests = bulk_requests(context.table, registries.bulk_entities(), BULK_CONSTRAINTS)
    context.bulk = bulk_run(context, requests)
    rows = context.bulk.run.summary_rows(context.db.counts(), context.bulk.limits)
    write_report(f"bulk-{report_suffix(context)}", bulk_title(context), rows, context=context)


def _bulk(context):
    return need(context, "bulk", "When I generate a large healthcare dataset:")


@then("all entities should be generated within performance targets")
def step_targets(context):
    """Stored row count per entity equals the table's count; seconds per entity <= its `<N_seconds` target
    (capped by userdata bulk_time_limit_s).
    """
    offenders = _bulk(context).offenders(context.db.counts())
    assert_no_offenders(offenders, "entities with the wrong row count or slower than their target")


@then("data should maintain realistic distribution patterns")
def step_distributions(context):
    """data_quality validator (chi-square / KS per persona, state weights) plus the dataset checks of every
    constraint token of the table.
    """
    bulk, report = _bulk(context), run_validation(context.db, "data_quality", context.today)
    assert_that(getattr(report, "tests", []), has_length(greater_than(0)), "statistical tests run")
    found = [*report.violations, *bulk_findings(context.db, context.today, bulk.tokens, spec=bulk.run.spec)]
    assert_no_violations(found, "distribution and dataset-shape checks of the table's constraints")


@then("referential integrity should be preserved across all entities")
def step_integrity(context):
    """referential_integrity validator: orphans, cross-entity mismatches, duplicate identifiers."""
    _bulk(context)
    report = run_validation(context.db, "referential_integrity", context.today)
    assert_that(report.checked, greater_than(0), "rows checked")
    assert_no_offenders(report.rows(), "orphans, cross-entity mismatches and duplicate identifiers")


@then("no business rule violations should occur")
def step_business_rules(context):
    """business_rules validator (row rules, double bookings by SQL) plus the row rules each constraint token
    names.
    """
    bulk, report = _bulk(context), run_validation(context.db, "business_rules", context.today)
    found = [*report.violations, *bulk_row_findings(context.db, context.today, bulk.tokens)]
    assert_no_violations(found, "business rules and the table's constraints")


@then("memory usage should remain within acceptable limits")
def step_memory(context):
    """Peak resident memory sampled by psutil during generation <= userdata memory_limit_mb, and its
    growth over the baseline <= memory_growth_limit_mb.
    """
    memory, (limit, growth) = _bulk(context).run.memory, context.settings.memory_limits
    detail = f"\n{table([memory.summary(limit, growth)])}\n"
    assert_that(memory.samples, greater_than(0), "psutil samples taken")
    assert_that(memory.peak_mb, less_than_or_equal_to(limit), f"peak resident memory (psutil){detail}")
    assert_that(memory.growth_mb, less_than_or_equal_to(growth), f"memory growth during generation{detail}")
