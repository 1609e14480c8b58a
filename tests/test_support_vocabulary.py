"""features/README.md is generated from the registries and must be current; tokens name real rules."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from healthcare_data.error_scenarios import BEHAVIORS, ERROR_SCENARIOS
from healthcare_data.rules import RULES as LIBRARY_RULES
from healthcare_data.validation.groups import BULK_CONSTRAINTS, RULES

ROOT = Path(__file__).resolve().parent.parent


def test_features_readme_is_up_to_date():
    result = subprocess.run(
        [sys.executable, "-m", "healthcare_data.behave.support.vocabulary", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_lists_every_registered_name():
    from healthcare_data.behave.support import registries

    readme = (ROOT / "features" / "README.md").read_text(encoding="utf-8")
    names = [
        *registries.personas().names(),
        *registries.characteristics().names(),
        *registries.traits().names(),
        *registries.constraints().names(),
        *registries.validators().names(),
        *ERROR_SCENARIOS.names(),
        *RULES.names(),
        *BULK_CONSTRAINTS.names(),
        *LIBRARY_RULES.names(),
    ]
    missing = [n for n in names if f"`{n}`" not in readme]
    assert missing == []


def test_every_step_sentence_of_the_feature_files_is_in_the_readme():
    readme = (ROOT / "features" / "README.md").read_text(encoding="utf-8")
    documented = {
        line.split("|")[2].strip()
        for line in readme.splitlines()
        if line.startswith("| Given") or line.startswith("| When") or line.startswith("| Then")
    }
    patterns = [re.compile("^" + re.sub(r"\\\{[^}]*\\\}", ".+", re.escape(s)) + "$") for s in documented]
    for feature in (ROOT / "features").glob("*.feature"):
        for line in feature.read_text(encoding="utf-8").splitlines():
            match = re.match(r"^\s*(Given|When|Then|And|But) (.+)$", line)
            if match:
                assert any(p.match(match.group(2)) for p in patterns), f"{feature.name}: {line.strip()}"


def test_rule_groups_name_registered_rules_of_their_table():
    for registry in (RULES, BULK_CONSTRAINTS):
        for name, group in registry.items():
            for rule_name in group.rule_names:
                rule = LIBRARY_RULES.get(rule_name)
                tables = (
                    {group.entity, "patient_conditions", "patient_profiles"}
                    if group.entity == "patients"
                    else {group.entity}
                )
                assert tables & set(rule.entities), f"{name}: {rule_name} is a rule of {rule.entities}"


def test_error_scenarios_declare_registered_behaviours():
    for name, scenario in ERROR_SCENARIOS.items():
        assert scenario.expected_behavior in BEHAVIORS, name
        assert scenario.recovery_strategies, name


SEED = ROOT.parent / "shared" / "seeds" / "000_5156995cc876e682.txt"


def test_the_feature_file_is_the_exercise_verbatim():
    import pytest

    if not SEED.exists():
        pytest.skip(f"exercise text not available at {SEED}")
    text = SEED.read_text(encoding="utf-8")
    block = text.split("**File**: `features/dynamic-data-generation.feature`", 1)[1]
    gherkin = block.split("```gherkin\n", 1)[1].split("```", 1)[0]
    assert (ROOT / "features" / "dynamic-data-generation.feature").read_text(encoding="utf-8") == gherkin
