"""What analysts write: their mistakes fail with a message naming the cell, the value and
what would be valid, and never with a Python traceback (tests/data/analyst-mistakes.feature)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MISTAKES = ROOT / "tests" / "data" / "analyst-mistakes.feature"

# scenario -> fragments its failure message must contain
EXPECTED = {
    "misspelt persona": ["column 'persona'", "'eldery_patient'", "did you mean 'elderly_patient'", "Known:"],
    "count as a word": ["column 'count'", "'five'", "write 5 in digits"],
    "age range contradicting the persona": ["Builder docstring", "age range 20-30", "65-95"],
    "a real phone number": ["Builder docstring", "'(312) 867-5309'", "555-0100..0199"],
    "misspelt builder method": ["'withAgeRnge'", "withAgeRange"],
    "money that is not money": ["column 'relationships'", "'$1,25.00'", "$1,250.00"],
    "misspelt specialty": ["column 'specialty'", "'Nuerology'", "did you mean 'Neurology'"],
    "specialty contradicting the practice type": [
        "row 1",
        "'Hospital'",
        "'Dermatology'",
        "Specialty Practice",
    ],
}


@pytest.fixture(scope="module")
def behave_output(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("features")
    (folder / "steps").symlink_to(ROOT / "features" / "steps")
    (folder / "environment.py").symlink_to(ROOT / "features" / "environment.py")
    (folder / MISTAKES.name).write_text(MISTAKES.read_text(encoding="utf-8"), encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "behave",
            "-f",
            "plain",
            "--no-capture",
            "--no-junit",
            str(folder / MISTAKES.name),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    return result.stdout + result.stderr


def _failure_of(output: str, scenario: str) -> str:
    block = output.split(f"Scenario: {scenario}\n", 1)[1].split("Scenario:", 1)[0]
    lines = [line for line in block.splitlines() if line.startswith("ASSERT FAILED")]
    assert len(lines) == 1, block
    return lines[0]


def test_no_mistake_ends_in_a_traceback(behave_output: str) -> None:
    assert "Traceback" not in behave_output
    assert f"{len(EXPECTED)} failed" in behave_output or "0 passed" in behave_output


@pytest.mark.parametrize("scenario", list(EXPECTED))
def test_each_mistake_names_the_cell_the_value_and_what_is_valid(behave_output: str, scenario: str) -> None:
    message = _failure_of(behave_output, scenario)
    for fragment in EXPECTED[scenario]:
        assert fragment in message, (fragment, message)
