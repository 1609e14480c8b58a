"""Table converters: typed requests from tables; bad cells fail naming value, place and choices."""

from __future__ import annotations

from decimal import Decimal

import pytest
from behave.model import Table

from healthcare_data.behave.support import registries
from healthcare_data.behave.support.tables import (
    TableInputError,
    appointment_requests,
    bulk_requests,
    error_scenario_requests,
    parse_amount,
    parse_count,
    parse_percent,
    parse_time_limit,
    persona_requests,
    provider_requests,
    require_columns,
    validation_requests,
    workflow_steps,
)
from healthcare_data.behave.support.workflow import ENTITIES, LINK_NAMES
from healthcare_data.error_scenarios import BEHAVIORS, ERROR_SCENARIOS
from healthcare_data.validation.groups import BULK_CONSTRAINTS, RULES


def table(headings, *rows, line=10):
    return Table(headings, rows=[list(r) for r in rows], line=line)


PERSONAS = ["persona", "count", "expected_characteristics"]


def test_persona_rows_become_typed_requests():
    requests = persona_requests(table(PERSONAS, ("elderly_patient", "5", "age_65_plus,medicare_insurance")))
    assert requests[0].persona == "elderly_patient"
    assert requests[0].count == 5
    assert requests[0].characteristics == ("age_65_plus", "medicare_insurance")


def test_a_misspelt_persona_names_value_row_line_column_suggestion_and_choices():
    bad = table(PERSONAS, ("young_professional", "3", "age_25_40"), ("elderly_patinet", "5", "age_65_plus"))
    with pytest.raises(TableInputError) as caught:
        persona_requests(bad)
    message = str(caught.value)
    assert "row 2 (line 12), column 'persona'" in message
    assert "Unknown persona 'elderly_patinet'; did you mean 'elderly_patient'?" in message
    assert "Known: chronic_condition_patient, elderly_patient" in message
    assert "| elderly_patinet |" in message  # the offending row as a table


def test_a_count_that_is_not_a_number_fails_naming_it():
    with pytest.raises(
        TableInputError, match=r"row 1 \(line 11\), column 'count': count 'five' is not a whole number"
    ):
        persona_requests(table(PERSONAS, ("elderly_patient", "five", "age_65_plus")))


def test_an_unknown_characteristic_token_lists_the_known_ones_and_patterns():
    with pytest.raises(TableInputError) as caught:
        persona_requests(table(PERSONAS, ("elderly_patient", "1", "age_65_plus,medicare_insurence")))
    assert "did you mean 'medicare_insurance'?" in str(caught.value)
    assert "age_<min>_<max>" in str(caught.value)


def test_age_pattern_tokens_are_accepted():
    assert persona_requests(table(PERSONAS, ("elderly_patient", "1", "age_70_plus,age_65_95")))[
        0
    ].characteristics


def test_unknown_and_missing_columns_are_named_with_the_allowed_ones():
    with pytest.raises(TableInputError) as caught:
        require_columns(
            table(["persona", "cuont"], ("x", "1")), ["persona", "count"], ["expected_characteristics"]
        )
    message = str(caught.value)
    assert "missing column(s) 'count'" in message
    assert "unknown column 'cuont' (did you mean 'count'?)" in message
    assert "Allowed columns: persona, count, expected_characteristics" in message


def test_a_step_without_a_table_says_which_columns_it_needs():
    with pytest.raises(TableInputError, match="needs a data table with columns: persona, count"):
        require_columns(None, ["persona", "count"])


def test_unknown_trait_specialty_and_practice_type_are_rejected():
    headings = ["specialty", "count", "traits", "practice_type"]
    with pytest.raises(TableInputError, match="did you mean 'telemedicine'"):
        provider_requests(table(headings, ("Telemedicine", "1", "telemedicin", "Virtual Practice")))
    with pytest.raises(TableInputError, match="Unknown specialty 'Cardiolgy'; did you mean 'Cardiology'"):
        provider_requests(table(headings, ("Cardiolgy", "1", "specialist", "Hospital")))
    with pytest.raises(TableInputError, match="Unknown practice type 'Hospitel'"):
        provider_requests(table(headings, ("Cardiology", "1", "specialist", "Hospitel")))
    ok = provider_requests(table(headings, ("Cardiology", "2", "specialist,hospital_based", "Hospital")))
    assert ok[0].traits == ("specialist", "hospital_based") and ok[0].practice_type == "Hospital"


def test_unknown_scheduling_constraint_is_rejected():
    headings = ["patient_persona", "provider_specialty", "appointment_type", "scheduling_constraints"]
    with pytest.raises(TableInputError, match="did you mean 'morning_preferred'"):
        appointment_requests(
            table(headings, ("elderly_patient", "Internal Medicine", "Annual Physical", "morning_prefered"))
        )


def test_plain_parsers():
    assert parse_count("1_000") == 1000
    assert parse_percent("5%") == pytest.approx(0.05)
    assert parse_time_limit("<30_seconds") == 30.0
    assert parse_time_limit("<500_ms") == 0.5
    assert parse_time_limit("<2_minutes") == 120.0
    assert parse_amount("$350") == Decimal("350.00")
    assert str(parse_amount("$350")) == "350.00"
    for parser, value in (
        (parse_count, "-1"),
        (parse_percent, "5"),
        (parse_time_limit, "30s?"),
        (parse_amount, "$abc"),
    ):
        with pytest.raises(ValueError, match=repr(value).replace("?", r"\?").replace("$", r"\$")):
            parser(value)


WORKFLOW = ["step", "entity", "relationships", "validation_rules"]


def test_workflow_relationships_are_parsed():
    steps = workflow_steps(
        table(
            WORKFLOW,
            ("1", "Patient", "persona=young_professional", "valid_demographics,insurance_required"),
            ("2", "Provider", "specialty=Internal_Medicine,traits=primary_care", "valid_credentials"),
            ("3", "Appointment", "patient+provider,type=Annual_Physical", "business_hours,no_conflicts"),
            ("4", "Insurance_Claim", "patient+provider+appointment,amount=$350", "valid_claim_data"),
        ),
        ENTITIES,
        LINK_NAMES,
        RULES,
    )
    assert steps[1].relationships.options == {"specialty": "Internal Medicine", "traits": ["primary_care"]}
    assert steps[2].relationships.links == ("patient", "provider")
    assert steps[2].relationships.options["type"] == "Annual Physical"
    assert steps[3].relationships.options["amount"] == Decimal("350.00")


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        ([("1", "Appointment", "patient+provider", "")], "patient+provider not created by an earlier step"),
        ([("1", "Patient", "persona=young_proffesional", "")], "did you mean 'young_professional'"),
        ([("1", "Patient", "specialty=Cardiology", "")], "Patient does not take 'specialty'"),
        ([("1", "Patient", "colour=blue", "")], "unknown relationship key 'colour'"),
        ([("1", "Patiant", "", "")], "Unknown workflow entity 'Patiant'; did you mean 'Patient'"),
        ([("1", "Patient", "", "valid_credentials")], "rule 'valid_credentials' is about providers"),
        ([("1", "Patient", "", "no_such_rule")], "Unknown workflow validation rule 'no_such_rule'"),
        (
            [("1", "Provider", "", ""), ("2", "Patient", "", ""), ("3", "Appointment", "patient", "")],
            "Appointment must reference patient+provider",
        ),
        ([("2", "Patient", "", ""), ("1", "Provider", "", "")], "numbered in increasing order"),
        ([("x", "Patient", "", "")], "count 'x' is not a whole number"),
    ],
)
def test_workflow_table_errors_are_located(rows, fragment):
    with pytest.raises(TableInputError) as caught:
        workflow_steps(table(WORKFLOW, *rows), ENTITIES, LINK_NAMES, RULES)
    assert fragment in str(caught.value)


def test_bulk_rows_parse_targets_and_numbered_tokens():
    requests = bulk_requests(
        table(
            ["entity_type", "count", "constraints", "performance_target"],
            ("appointments", "5000", "business_hours,no_conflicts,6_month_range", "<60_seconds"),
        ),
        registries.bulk_entities(),
        BULK_CONSTRAINTS,
    )
    assert requests[0].limit_seconds == 60.0 and requests[0].constraints[-1] == "6_month_range"
    with pytest.raises(TableInputError, match="did you mean 'patients'"):
        bulk_requests(
            table(["entity_type", "count"], ("patinets", "5")), registries.bulk_entities(), BULK_CONSTRAINTS
        )
    with pytest.raises(TableInputError, match="performance target 'fast' is not a time limit"):
        bulk_requests(
            table(["entity_type", "count", "performance_target"], ("patients", "5", "fast")),
            registries.bulk_entities(),
            BULK_CONSTRAINTS,
        )


def test_validation_rows_check_the_validators_scope_and_tolerance():
    headings = ["validation_type", "scope", "compliance_standard", "error_tolerance"]
    ok = validation_requests(
        table(headings, ("data_quality", "demographic_distributions", "statistical_realism", "5%"))
    )
    assert ok[0].tolerance == pytest.approx(0.05)
    with pytest.raises(TableInputError, match="did you mean 'format_validation'"):
        validation_requests(table(headings, ("format_validaton", "all_entities", "internal_standards", "0%")))
    with pytest.raises(TableInputError, match="covers scope 'all_entities', not 'patients'"):
        validation_requests(table(headings, ("format_validation", "patients", "internal_standards", "0%")))
    with pytest.raises(TableInputError, match="tolerance 'zero' is not a percentage"):
        validation_requests(
            table(headings, ("format_validation", "all_entities", "internal_standards", "zero"))
        )


def test_error_scenario_rows_must_match_the_scenario_behaviour_and_recovery():
    headings = ["error_scenario", "expected_behavior", "recovery_strategy"]
    with pytest.raises(
        TableInputError, match="produces 'uniqueness_constraint_violation', not 'validation_error'"
    ):
        error_scenario_requests(
            table(headings, ("duplicate_npi_number", "validation_error", "generate_new_npi")),
            ERROR_SCENARIOS,
            BEHAVIORS,
        )
    with pytest.raises(TableInputError, match="'retry' is not a recovery of duplicate_npi_number"):
        error_scenario_requests(
            table(headings, ("duplicate_npi_number", "uniqueness_constraint_violation", "retry")),
            ERROR_SCENARIOS,
            BEHAVIORS,
        )
    with pytest.raises(TableInputError, match="did you mean 'duplicate_npi_number'"):
        error_scenario_requests(table(headings, ("duplicate_npi", "x", "y")), ERROR_SCENARIOS, BEHAVIORS)
