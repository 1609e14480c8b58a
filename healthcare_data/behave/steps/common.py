"""Background steps: the database, the factories and the validators are ready."""

from __future__ import annotations

from behave import given
from hamcrest import assert_that, contains_inanyorder, equal_to, greater_than, has_length
from sqlalchemy import inspect

from healthcare_data.behave.support import registries
from healthcare_data.behave.support.registries import factories
from healthcare_data.schema import Base


@given("the healthcare database is initialized")
def step_database_initialized(context):
    """Every schema table exists and is empty."""
    tables = [t for t in inspect(context.db.engine).get_table_names() if t in Base.metadata.tables]
    assert_that(tables, contains_inanyorder(*Base.metadata.tables), f"schema of {context.db.url}")
    assert_that(context.db.counts(), equal_to(dict.fromkeys(context.db.counts(), 0)), "an empty database")


@given("advanced factories are configured with personas and traits")
def step_factories_configured(context):
    """PatientBuilder and the factories import; personas and provider traits are registered."""
    context.factories = factories()
    assert_that(registries.personas().names(), has_length(greater_than(0)), "registered personas")
    assert_that(registries.traits().names(), has_length(greater_than(0)), "registered provider traits")


@given("data validation rules are active")
def step_validation_active(context):
    """The VALIDATORS registry holds validators."""
    context.validators = registries.validators()
    assert_that(context.validators.names(), has_length(greater_than(0)), "registered validators")
