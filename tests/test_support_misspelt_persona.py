"""A feature file with a misspelt persona fails, and the message suggests the right name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FEATURE = """\
Feature: A typo in a persona
  Scenario: Misspelt persona
    Given the healthcare database is initialized
    When I create patients using the following personas:
      | persona | count | expected_characteristics |
      | elderly_patinet | 2 | age_65_plus |
"""


def test_behave_fails_the_step_and_suggests_the_persona(tmp_path):
    features = tmp_path / "features"
    features.mkdir()
    (features / "typo.feature").write_text(FEATURE, encoding="utf-8")
    (features / "steps").symlink_to(ROOT / "features" / "steps")
    (features / "environment.py").symlink_to(ROOT / "features" / "environment.py")
    result = subprocess.run(
        [sys.executable, "-m", "behave", "--no-capture", "-f", "plain", "--no-junit", str(features)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=None,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Unknown persona 'elderly_patinet'; did you mean 'elderly_patient'?" in output, output
    assert "row 1 (line 6), column 'persona'" in output, output
    assert "1 failed" in output, output
