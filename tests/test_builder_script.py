"""The builder-docstring whitelist parser: the exercise's chain parses, anything else is rejected."""

from __future__ import annotations

import builtins

import pytest

from healthcare_data.builders import PatientBuilder
from healthcare_data.builders.script import (
    BuilderScriptError,
    builder_methods,
    camel_to_snake,
    parse_builder_script,
    snake_to_camel,
    specified_values,
)

EXERCISE = """
PatientBuilder()
  .withPersona('elderly_patient')
  .withAge(72)
  .withDemographics('Margaret', 'Johnson', null, 'female')
  .withContact(null, null, '123 Oak Street', 'Springfield', 'IL', '62701')
  .withEmergencyContact('Robert Johnson', '555-0123')
  .withInsurance('Medicare', 'MEDICARE-789456123')
  .withMedicalHistory(['Diabetes Type 2', 'Hypertension', 'Arthritis'])
  .create()
"""


def test_the_exercise_docstring_parses_to_snake_case_calls_with_literals():
    script = parse_builder_script(EXERCISE)
    assert script.terminal == "create"
    assert [c.method for c in script.calls] == [
        "with_persona",
        "with_age",
        "with_demographics",
        "with_contact",
        "with_emergency_contact",
        "with_insurance",
        "with_medical_history",
    ]
    assert script.call("with_demographics").args == ("Margaret", "Johnson", None, "female")
    assert script.call("with_medical_history").args == (["Diabetes Type 2", "Hypertension", "Arthritis"],)
    assert script.call("with_age").text == ".withAge(72)"


def test_method_whitelist_comes_from_the_library_builder():
    methods = builder_methods(PatientBuilder)
    assert methods["withPersona"] == "with_persona"
    assert methods["asDeceased"] == "as_deceased"
    assert "build" not in methods and "create" not in methods
    assert not any(name.startswith("_") for name in methods.values())
    assert camel_to_snake("withEmergencyContact") == "with_emergency_contact"
    assert snake_to_camel("with_age_range") == "withAgeRange"


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        (
            "PatientBuilder().withAge(os.system).create()",
            "attribute access is not allowed in arguments: 'os.system'",
        ),
        ("PatientBuilder().withAge(open('x')).create()", "calls are not allowed in arguments"),
        ("PatientBuilder().withAge(age).create()", "'age' is not a value"),
        ("PatientBuilder().withAge(70 + 2).create()", "'70 + 2'"),
        (
            "PatientBuilder().__class__.create()",
            "attribute access is not allowed, only builder method calls: '.__class__'",
        ),
        ("PatientBuilder().__class__().create()", "unknown builder method '__class__'"),
        ("PatientBuilder().withMagic(1).create()", "unknown builder method 'withMagic'"),
        ("PatientBuilder().database.create()", "attribute access is not allowed"),
        ("PatientBuilder().database().create()", "unknown builder method 'database'"),
        ("__import__('os').system('true')", "must start at PatientBuilder(), not __import__"),
        ("os.system('true')", "must start at PatientBuilder(), not os"),
        ("PatientBuilder", "must start at PatientBuilder(), not PatientBuilder"),
        ("'text'.upper()", "expected a method call"),
        ("Evil().withAge(1).create()", "must start at PatientBuilder(), not Evil"),
        ("PatientBuilder('x').create()", "PatientBuilder() takes no arguments"),
        ("PatientBuilder().withAge(age=72).create()", "keyword arguments are not supported"),
        ("PatientBuilder().withAge(72)", "must end with .create() or .build()"),
        ("PatientBuilder().create().withAge(72)", ".create() must be the last call"),
        ("PatientBuilder().create(1)", ".create() takes no arguments"),
        ("PatientBuilder().withMedicalHistory([['a']]).create()", "nested lists"),
        ("PatientBuilder().withAge(72).create(", "syntax error"),
        ("", "empty"),
        ("PatientBuilder().withAge(72).create(); import os", "syntax error"),
        ("PatientBuilder().withAge(lambda: 1).create()", "lambda"),
    ],
)
def test_anything_outside_the_whitelist_is_rejected_naming_the_offending_text(source, fragment):
    with pytest.raises(BuilderScriptError) as caught:
        parse_builder_script(source)
    assert fragment in str(caught.value)


def test_parsing_never_evaluates(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec must not be called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    assert parse_builder_script(EXERCISE).terminal == "create"


def test_specified_values_bind_arguments_to_stored_columns():
    specified = {
        (s.table, s.column): s.value for s in specified_values(parse_builder_script(EXERCISE), PatientBuilder)
    }
    assert specified[("patients", "address_street")] == "123 Oak Street"
    assert specified[("patients", "emergency_contact_phone")] == "555-0123"
    assert specified[("patients", "insurance_policy_number")] == "MEDICARE-789456123"
    assert specified[("patients", "age")] == 72
    assert specified[("patient_profiles", "persona")] == "elderly_patient"
    assert ("patients", "phone") not in specified  # null: left to the persona


def test_too_many_arguments_fail_with_the_call_text():
    script = parse_builder_script("PatientBuilder().withAge(1, 2).create()")
    with pytest.raises(BuilderScriptError, match=r"\.withAge\(1, 2\)"):
        specified_values(script, PatientBuilder)


def test_apply_replays_calls_on_a_builder():
    calls = []

    class Recorder:
        def __getattr__(self, name):
            def method(*args):
                calls.append((name, args))
                return self

            return method

    parse_builder_script(EXERCISE).apply(Recorder())
    assert calls[0] == ("with_persona", ("elderly_patient",))
    assert calls[-1] == ("with_medical_history", (["Diabetes Type 2", "Hypertension", "Arthritis"],))


def test_with_age_range_is_a_bound_on_the_stored_age():
    script = parse_builder_script("PatientBuilder().withAgeRange(65, 70).build()")
    bounds = [(s.column, s.comparison, s.value) for s in specified_values(script, PatientBuilder)]
    assert bounds == [("age", ">=", 65), ("age", "<=", 70)]
    low, high = specified_values(script, PatientBuilder)
    assert low.holds(65) and high.holds(70) and not low.holds(64) and not high.holds(71)


def test_an_argument_the_builder_stores_nowhere_is_refused():
    class Builder(PatientBuilder):
        BOUNDS = {}

    script = parse_builder_script("PatientBuilder().withAgeRange(65, 70).create()")
    with pytest.raises(BuilderScriptError, match=r"\.withAgeRange\(65, 70\).*STORED_AS"):
        specified_values(script, Builder)


def test_phones_are_expected_in_their_stored_form():
    script = parse_builder_script("PatientBuilder().withContact('312.555.0142').create()")
    assert [s.value for s in specified_values(script, PatientBuilder)] == ["(312) 555-0142"]
