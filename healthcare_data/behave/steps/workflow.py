"""Workflow: interconnected entities created step by step, rules checked after each step."""

from __future__ import annotations

from behave import given, then, when
from hamcrest import assert_that, equal_to, greater_than, has_length

from healthcare_data.behave.support.failures import as_failure
from healthcare_data.behave.support.reports import assert_no_offenders, assert_no_violations
from healthcare_data.behave.support.state import need
from healthcare_data.behave.support.tables import workflow_steps
from healthcare_data.behave.support.workflow import ENTITIES, LINK_NAMES, StepResult, WorkflowRun
from healthcare_data.entities import Workflow
from healthcare_data.validation.groups import RULES, check_stored_row
from healthcare_data.validation.integrity import find_cross_reference_mismatches, find_orphans
from healthcare_data.validation.workflow import (
    consistency_problems,
    cross_reference_problems,
    dependency_order_problems,
)


@given("I need a complete healthcare workflow scenario")
def step_need_workflow(context):
    """Workflow entities are registered."""
    assert_that(ENTITIES.names(), has_length(greater_than(1)), "workflow entities")
    context.workflow = WorkflowRun()


@when("I create the following interconnected data:")
def step_create_workflow(context):
    """Creates each step's entity with its library call (entities.Workflow), references read back; runs the
    step's rules right after (groups.check_stored_row).
    """
    context.workflow = getattr(context, "workflow", None) or WorkflowRun()
    workflow = Workflow(context.db, context.rng)
    for step in workflow_steps(context.table, ENTITIES, LINK_NAMES, RULES):
        context.workflow.steps.append(_create_step(context, workflow, step))


def _create_step(context, workflow, step):
    """One table step: the entity created, recorded in the ledger, its rules run on the stored row."""
    with as_failure(f"Workflow table step {step.step} ({step.entity})"):
        row = workflow.create(step.step, step.entity, step.relationships.options, step.relationships.links)
    context.created.add(row.table, row.row_id, step=step.step, entity=row.entity)
    found = check_stored_row(context.db, context.today, row.table, row.row_id, step.rules)
    return StepResult(step, row, found, step.rules)


def _steps(context):
    run = need(context, "workflow", "When I create the following interconnected data:")
    assert_that(run.steps, has_length(greater_than(0)), "workflow steps run")
    return run


@then("all entities should be created in the correct dependency order")
def step_dependency_order(context):
    """Each stored foreign key points at a row created by an earlier step."""
    found = dependency_order_problems(context.db, _steps(context).rows)
    assert_no_offenders(found, "rows referencing parents not created by an earlier step")


@then("referential integrity should be maintained throughout")
def step_integrity(context):
    """find_orphans and find_cross_reference_mismatches find nothing."""
    _steps(context)
    with context.db.engine.connect() as conn:
        found = find_orphans(conn) + find_cross_reference_mismatches(conn)
    assert_no_violations(found, "orphans and cross-entity mismatches")


@then("each entity should contain appropriate cross-references")
def step_cross_references(context):
    """Stored <link>_id columns equal the ids of the referenced entities."""
    found = cross_reference_problems(context.db, _steps(context).rows)
    assert_no_offenders(found, "stored foreign keys differing from the referenced entities")


@then("business rules should be validated at each step")
def step_rules_each_step(context):
    """Every step's validation_rules ran on its stored row and found nothing."""
    steps = _steps(context).steps
    assert_that([r.rules_run for r in steps], equal_to([r.step.rules for r in steps]), "rules run per step")
    offenders = [dict(v.as_row(), step=r.step.step) for r in steps for v in r.violations]
    assert_no_offenders(offenders, "validation rules broken right after their step")


@then("the complete workflow should be realistic and consistent")
def step_workflow_consistent(context):
    """Amounts stored exactly (Decimal, e.g. 350.00); format, business, compliance and integrity validators
    clean.
    """
    run = _steps(context)
    found = consistency_problems(context.db, context.today, run.rows, run.amounts)
    assert_no_offenders(found, "workflow data inconsistent with the table or the library's validators")
