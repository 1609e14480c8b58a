"""Workflow: interconnected entities created step by step, rules checked after each step."""

from __future__ import annotations

from decimal import Decimal

from behave import given, then, when
from hamcrest import assert_that, equal_to, greater_than, has_length

from healthcare_data.behave.support.failures import as_failure
from healthcare_data.behave.support.readback import fetch_one
from healthcare_data.behave.support.reports import assert_no_offenders
from healthcare_data.behave.support.state import need
from healthcare_data.behave.support.tables import workflow_steps
from healthcare_data.behave.support.workflow import ENTITIES, LINK_NAMES, StepResult, WorkflowRun
from healthcare_data.schema import Base
from healthcare_data.validation import CATEGORIES, run_all
from healthcare_data.validation.groups import RULES
from healthcare_data.validation.integrity import find_cross_reference_mismatches, find_orphans, key_column
from healthcare_data.validation.runner import scan_rows


@given("I need a complete healthcare workflow scenario")
def step_need_workflow(context):
    """Workflow entities are registered."""
    assert_that(ENTITIES.names(), has_length(greater_than(1)), "workflow entities")
    context.workflow = WorkflowRun()


def _check_rules(context, result):
    """Run this step's validation rules on the stored row (library rule names, database checks)."""
    table = Base.metadata.tables[result.entity.table]
    row = fetch_one(context.db, result.entity.table, result.row_id)
    key = row[key_column(table).name]
    with context.db.engine.connect() as conn:
        findings = scan_rows(conn, context.today, [result.entity.table])
        everything = [v for category in CATEGORIES for v in findings.of(category)]
        for token in result.step.rules:
            rule = RULES.get(token)
            result.violations.extend(rule.select(everything, keys={key}))
            result.violations.extend(rule.run_database_checks(conn, context.today, {}))
    result.rules_run = result.step.rules


@when("I create the following interconnected data:")
def step_create_workflow(context):
    """Creates each step's entity with its library call, references read back; runs the step's rules right
    after.
    """
    run = context.workflow if getattr(context, "workflow", None) else WorkflowRun()
    context.workflow = run
    latest: dict[str, tuple[str, int]] = {}
    for step in workflow_steps(context.table, ENTITIES, LINK_NAMES, RULES):
        entity = ENTITIES.get(step.entity)
        refs = {link: fetch_one(context.db, *latest[link]) for link in step.relationships.links}
        with as_failure(f"Workflow table step {step.step} ({step.entity})"):
            created = entity.create(context.db, context.rng, step.relationships.options, refs)
        result = StepResult(step, entity, created.id, {link: row["id"] for link, row in refs.items()})
        context.created.add(entity.table, created.id, step=step.step, entity=entity.name)
        latest[entity.link] = (entity.table, created.id)
        _check_rules(context, result)
        run.steps.append(result)


def _steps(context):
    run = need(context, "workflow", "When I create the following interconnected data:")
    assert_that(run.steps, has_length(greater_than(0)), "workflow steps run")
    return run.steps


@then("all entities should be created in the correct dependency order")
def step_dependency_order(context):
    """Each stored foreign key points at a row created by an earlier step."""
    steps = _steps(context)
    created_at = {(r.entity.table, r.row_id): r.step.step for r in steps}
    offenders = []
    for result in steps:
        table = Base.metadata.tables[result.entity.table]
        row = fetch_one(context.db, table.name, result.row_id)
        for fk in table.foreign_keys:
            value = row[fk.parent.name]
            if value is None or fk.column.table.name == "tenants":
                continue
            parent_step = created_at.get((fk.column.table.name, value))
            if parent_step is None or parent_step >= result.step.step:
                offenders.append(
                    {
                        "step": result.step.step,
                        "entity": result.entity.name,
                        "column": fk.parent.name,
                        "references": f"{fk.column.table.name} {value}",
                        "parent created at step": parent_step,
                    }
                )
    assert_no_offenders(offenders, "rows referencing parents not created by an earlier step")


@then("referential integrity should be maintained throughout")
def step_integrity(context):
    """find_orphans and find_cross_reference_mismatches find nothing."""
    _steps(context)
    with context.db.engine.connect() as conn:
        found = find_orphans(conn) + find_cross_reference_mismatches(conn)
    assert_no_offenders([v.as_row() for v in found], "orphans and cross-entity mismatches")


@then("each entity should contain appropriate cross-references")
def step_cross_references(context):
    """Stored <link>_id columns equal the ids of the referenced entities."""
    offenders = []
    for result in _steps(context):
        row = fetch_one(context.db, result.entity.table, result.row_id)
        for link, referenced in result.refs.items():
            column = f"{link}_id"
            stored = row.get(column, "<no such column>")
            if stored != referenced:
                offenders.append(
                    {
                        "step": result.step.step,
                        "entity": result.entity.name,
                        "column": column,
                        "expected": referenced,
                        "stored": stored,
                    }
                )
    assert_no_offenders(offenders, "stored foreign keys differing from the referenced entities")


@then("business rules should be validated at each step")
def step_rules_each_step(context):
    """Every step's validation_rules ran on its stored row and found nothing."""
    steps = _steps(context)
    ran = [r for r in steps if r.rules_run]
    assert_that(len(ran), equal_to(len([r for r in steps if r.step.rules])), "steps whose rules ran")
    offenders = [dict(v.as_row(), step=r.step.step) for r in steps for v in r.violations]
    assert_no_offenders(offenders, "validation rules broken right after their step")


@then("the complete workflow should be realistic and consistent")
def step_workflow_consistent(context):
    """Amounts stored exactly (Decimal, e.g. 350.00); format, business, compliance and integrity validators
    clean.
    """
    steps = _steps(context)
    offenders = []
    for result in steps:
        amount = result.step.relationships.options.get("amount")
        if amount is not None:
            stored = fetch_one(context.db, result.entity.table, result.row_id)["claim_amount"]
            if not isinstance(stored, Decimal) or stored != amount or str(stored) != str(amount):
                offenders.append(
                    {"step": result.step.step, "column": "claim_amount", "expected": amount, "stored": stored}
                )
    reports = run_all(
        context.db,
        context.today,
        names=["format_validation", "business_rules", "compliance_check", "referential_integrity"],
    )
    offenders += [dict(v.as_row(), validator=n) for n, rep in reports.items() for v in rep.violations]
    counts = context.db.counts()
    for result in steps:
        if counts[result.entity.table] < 1:
            offenders.append({"table": result.entity.table, "problem": "no rows stored"})
    assert_no_offenders(offenders, "workflow data inconsistent with the table or the library's validators")
