"""The rule registry: every rule defined once, run by name, groups run on a row in one call."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

from healthcare_data.errors import UnknownNameError
from healthcare_data.rules import RULES, check
from healthcare_data.validation.groups import GROUPS, check_group
from healthcare_data.validation.patients import check_patient
from healthcare_data.validation.runner import check_contact_safety
from healthcare_data.violations import FORMAT, HIPAA

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 22)
PATIENT = {
    "patient_id": "PAT-00000001",
    "insurance_provider": "Medicare",
    "insurance_policy_number": "MEDICARE-123",
}


def _string_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_rule_names_are_written_only_in_the_rules_package():
    """No module outside healthcare_data/rules (and tests) spells a rule name as a string.

    A word that is also a group or scheduling name (``business_hours``, ``required``
    column headers, ...) is allowed where it names that other thing: the allowed
    words are the registered group names.
    """
    names = set(RULES.names()) - set(GROUPS.names())
    places = [
        *(ROOT / "healthcare_data").rglob("*.py"),
        *(ROOT / "features").rglob("*.py"),
    ]
    found = [
        f"{path.relative_to(ROOT)}:{line}: {value!r}"
        for path in places
        if "rules" not in path.relative_to(ROOT).parts and path.name != "rulebook.py"
        for line, value in _string_literals(path)
        if value in names
    ]
    assert found == []


def test_each_rule_is_registered_once_with_what_it_reads():
    for name, rule in RULES.items():
        assert rule.name == name
        assert rule.entities and rule.fields and rule.message and rule.recovery, name
        assert rule.check is not None or rule.message == "{message}", name  # declared: callers word it
        assert rule.describe(), name


def test_the_insurance_rules_run_on_a_row_in_one_call():
    found = check_group("insurance_required", PATIENT)
    assert [(v.rule, v.field) for v in found] == [("policy_number_format", "insurance_policy_number")]
    assert "MEDICARE-" in found[0].message and found[0].recovery
    assert (
        check_group("insurance_required", {**PATIENT, "insurance_policy_number": "MEDICARE-123456789"}) == []
    )


def test_an_unknown_group_or_rule_lists_the_known_ones():
    with pytest.raises(UnknownNameError, match="did you mean 'insurance_required'"):
        check_group("insurance_requred", PATIENT)
    with pytest.raises(UnknownNameError, match="did you mean 'email_safe_domain'"):
        check("patients", PATIENT, ["email_safe_domian"])


def test_one_email_rule_serves_patients_providers_and_the_compliance_check():
    rule = RULES.get("email_safe_domain")
    assert rule.entities == ("patients", "providers") and rule.category == HIPAA
    for entity in rule.entities:
        row = {"email": "jane@gmail.com"}
        from_rule = check(entity, row, ["email_safe_domain"])
        from_compliance = [v for v in check_contact_safety(entity, row) if v.field == "email"]
        assert [v.message for v in from_rule] == [v.message for v in from_compliance]
        assert "reserved domain" in from_rule[0].message


def test_check_patient_is_the_registered_rules():
    """check_patient reports exactly what the registered rules report (no private copy)."""
    row = {"patient_id": "X", "gender": "F", "status": "gone", "email": "a@gmail.com"}
    ours = {v.rule for v in check_patient(row, today=TODAY)}
    assert {"patient_id_format", "gender_enum", "status_valid", "email_safe_domain"} <= ours
    assert all(rule in RULES for rule in ours)
    assert RULES.get("gender_enum").category == FORMAT


def _imports(folder: Path) -> set[tuple[str, str]]:
    found = set()
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add((path.name, node.module))
    return found


def test_dependencies_point_one_way_rows_then_rules():
    """rows -> rules -> columns/reference: rules never import the drafts, rows never validation."""
    package = ROOT / "healthcare_data"
    assert [i for i in _imports(package / "rules") if i[1].startswith("healthcare_data.rows")] == []
    assert [i for i in _imports(package / "rows") if i[1].startswith("healthcare_data.validation")] == []


def test_rules_enforced_by_drafts_and_queries_are_registered_too():
    for name in ("traits_compatible", "after_birth", "orphan_foreign_key", "provider_double_booked"):
        assert RULES.get(name).check is None  # declared: the draft or the query enforces it


def test_the_vocabulary_command_lists_every_registered_rule(capsys):
    from healthcare_data.cli import main

    assert main(["vocabulary", "rules"]) == 0
    listed = capsys.readouterr().out
    assert f"Rules ({len(RULES)})" in listed
    assert all(name in listed for name in RULES.names())


def test_steps_stay_thin():
    """Every behave step body is at most five lines (scripts/step_lengths.py), its median too."""
    import statistics
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from step_lengths import LIMIT, step_lengths

    lengths = step_lengths(ROOT / "healthcare_data" / "behave" / "steps")
    assert len(lengths) > 50, "steps found"
    assert statistics.median(lengths.values()) <= 5, sorted(lengths.items(), key=lambda x: -x[1])[:5]
    assert LIMIT == 5
    assert {name: n for name, n in lengths.items() if n > LIMIT} == {}


def test_step_length_script_fails_on_a_long_step(tmp_path):
    """The script exits 1 and names a step of six lines."""
    import subprocess
    import sys

    body = "\n".join(f"    x{i} = {i}" for i in range(6))
    (tmp_path / "long.py").write_text(f"@when('x')\ndef step_long(context):\n{body}\n", encoding="utf-8")
    script = ROOT / "scripts" / "step_lengths.py"
    result = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 1 and "long.py:step_long 6" in result.stderr, result.stdout + result.stderr


def test_the_suite_needs_behave_1_3():
    """behave 1.2.6 selects nothing with tag expressions: the test extra pins 1.3."""
    import tomllib

    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    assert "behave>=1.3" in extra
