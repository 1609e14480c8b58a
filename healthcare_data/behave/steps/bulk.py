"""Bulk generation: a dataset from the table, timed per entity, memory sampled with psutil."""

from __future__ import annotations

from behave import then, when
from hamcrest import assert_that, greater_than, has_length, less_than_or_equal_to

from healthcare_data.behave.support import registries
from healthcare_data.behave.support.datasets import BulkRun, generate, seconds_per_entity
from healthcare_data.behave.support.reports import assert_no_offenders, report_suffix, table, write_report
from healthcare_data.behave.support.state import need
from healthcare_data.behave.support.tables import bulk_requests
from healthcare_data.generation import DatasetSpec
from healthcare_data.validation import CATEGORIES, run_validation
from healthcare_data.validation.groups import BULK_CONSTRAINTS, token_number
from healthcare_data.validation.runner import scan_rows


@when("I generate a large healthcare dataset:")
def step_generate(context):
    """DatasetSpec from the table; generate_dataset + write_dataset timed per entity, peak RSS sampled
    (psutil); writes reports/bulk.txt.
    """
    requests = bulk_requests(context.table, registries.bulk_entities(), BULK_CONSTRAINTS)
    months = [token_number(t) for r in requests for t in r.constraints if token_number(t)]
    spec = DatasetSpec(**{r.entity: r.count for r in requests}, months=months[0] if months else 6).validate()
    run = generate(context, spec)
    seconds = seconds_per_entity(run.result, [r.entity for r in requests])
    cap = context.settings.bulk_time_limit_s
    limits = {r.entity: min(r.limit_seconds or cap, cap) for r in requests}
    context.bulk = BulkRun(requests, run, seconds, limits)
    stored = context.db.counts()
    rows = [
        {
            "entity": r.entity,
            "count": stored[r.entity],
            "seconds": round(seconds[r.entity], 3),
            "rows/s": round(stored[r.entity] / seconds[r.entity]) if seconds[r.entity] else None,
            "limit s": limits[r.entity],
            "peak MB": round(run.memory.peak_mb, 1),
            "growth MB": round(run.memory.growth_mb, 1),
        }
        for r in requests
    ]
    rows.append(
        {
            "entity": "total",
            "count": sum(stored.values()),
            "seconds": round(run.seconds, 3),
            "rows/s": round(sum(stored.values()) / run.seconds) if run.seconds else None,
            "limit s": None,
            "peak MB": round(run.memory.peak_mb, 1),
            "growth MB": round(run.memory.growth_mb, 1),
        }
    )
    settings = context.settings
    write_report(
        f"bulk-{report_suffix(context)}",
        f"Bulk generation on {context.db.backend} (limits: peak {settings.memory_limit_mb:.0f} MB, "
        f"growth {settings.memory_growth_limit_mb:.0f} MB; baseline {run.memory.baseline_mb:.1f} MB)",
        rows,
        context=context,
    )


def _bulk(context):
    return need(context, "bulk", "When I generate a large healthcare dataset:")


@then("all entities should be generated within performance targets")
def step_targets(context):
    """Stored row count per entity equals the table's count; seconds per entity <= its `<N_seconds` target
    (capped by userdata bulk_time_limit_s).
    """
    bulk = _bulk(context)
    stored = context.db.counts()
    offenders = [
        {
            "entity": r.entity,
            "requested": r.count,
            "stored": stored[r.entity],
            "target": r.target or "-",
            "limit s": bulk.limits[r.entity],
            "seconds": round(bulk.seconds[r.entity], 3),
        }
        for r in bulk.requests
        if stored[r.entity] != r.count or bulk.seconds[r.entity] > bulk.limits[r.entity]
    ]
    assert_no_offenders(offenders, "entities with the wrong row count or slower than their target")


@then("data should maintain realistic distribution patterns")
def step_distributions(context):
    """data_quality validator (chi-square / KS per persona, state weights) plus the dataset checks of every
    constraint token of the table.
    """
    bulk = _bulk(context)
    report = run_validation(context.db, "data_quality", context.today)
    assert_that(getattr(report, "tests", []), has_length(greater_than(0)), "statistical tests run")
    found = list(report.violations)
    options = {"spec": bulk.run.spec}
    with context.db.engine.connect() as conn:
        for request in bulk.requests:
            for token in request.constraints:
                found += BULK_CONSTRAINTS.get(token).run_database_checks(conn, context.today, options)
    assert_no_offenders(
        [v.as_row() for v in found], "distribution and dataset-shape checks of the table's constraints"
    )


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
    bulk = _bulk(context)
    report = run_validation(context.db, "business_rules", context.today)
    found = list(report.violations)
    with context.db.engine.connect() as conn:
        findings = scan_rows(conn, context.today)
        everything = [v for category in CATEGORIES for v in findings.of(category)]
    for request in bulk.requests:
        for token in request.constraints:
            found += BULK_CONSTRAINTS.get(token).select(everything)
    assert_no_offenders([v.as_row() for v in found], "business rules and the table's constraints")


@then("memory usage should remain within acceptable limits")
def step_memory(context):
    """Peak resident memory sampled by psutil during generation <= userdata memory_limit_mb, and its
    growth over the baseline <= memory_growth_limit_mb.
    """
    bulk = _bulk(context)
    memory = bulk.run.memory
    limit = context.settings.memory_limit_mb
    growth_limit = context.settings.memory_growth_limit_mb
    detail = table(
        [
            {
                "baseline MB": round(memory.baseline_mb, 1),
                "peak MB": round(memory.peak_mb, 1),
                "growth MB": round(memory.growth_mb, 1),
                "samples": memory.samples,
                "limit MB": limit,
                "growth limit MB": growth_limit,
            }
        ]
    )
    assert_that(memory.samples, greater_than(0), "psutil samples taken")
    assert_that(memory.peak_mb, less_than_or_equal_to(limit), f"peak resident memory (psutil)\n{detail}\n")
    assert_that(
        memory.growth_mb, less_than_or_equal_to(growth_limit), f"memory growth during generation\n{detail}\n"
    )
