"""The step library from another repository: a temp directory outside this checkout
whose features/steps/ and environment.py are two import lines, running sentences of
the acceptance suite through ``healthcare_data.behave``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FEATURE = """\
Feature: Our clinic's data, with the healthcare-data sentences

  Background:
    Given the healthcare database is initialized
    And advanced factories are configured with personas and traits

  Scenario: Two personas
    When I create patients using the following personas:
      | persona            | count | expected_characteristics                     |
      | elderly_patient    | 3     | age_65_plus,medicare_insurance               |
      | young_professional | 2     | age_25_40,employer_insurance                 |
    Then patients should be created with persona-appropriate characteristics
    And each patient should have realistic, consistent data
"""


def test_sentences_run_from_a_directory_outside_the_repository(tmp_path):
    outside = tmp_path / "other-repo"
    (outside / "features" / "steps").mkdir(parents=True)
    (outside / "features" / "steps" / "healthcare.py").write_text(
        "from healthcare_data.behave import *  # noqa: F403\n"
    )
    (outside / "features" / "environment.py").write_text(
        "from healthcare_data.behave.environment import *  # noqa: F403\n"
    )
    (outside / "features" / "clinic.feature").write_text(FEATURE)
    assert ROOT not in outside.parents
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("QA_")}
    env["PYTHONPATH"] = str(ROOT)  # the package as installed; nothing else of this checkout
    result = subprocess.run(
        [sys.executable, "-m", "behave", "--no-capture", "-f", "plain", "features"],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "1 scenario passed, 0 failed" in result.stdout
    assert "5 steps passed, 0 failed, 0 skipped" in result.stdout
