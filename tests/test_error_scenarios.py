"""error_scenarios.Outcome: what each Then sentence of the error scenario judges."""

from __future__ import annotations

from healthcare_data.error_scenarios import ERROR_SCENARIOS, Lab, Outcome, problems, run_scenario
from healthcare_data.errors import FormatValidationError, SchedulingConflictError
from healthcare_data.violations import ValidationReport, Violation

_BAD_NPI = Violation("providers", "123", "npi_number", "npi_check_digit", "npi 123 fails", "use 1234567893")


def _outcome(**changes):
    base = dict(
        scenario="invalid_npi",
        expected_behavior="format_validation_error",
        recovery_strategy="generate_valid_npi",
        error=FormatValidationError(ValidationReport("provider", 1, [_BAD_NPI])),
        counts_before={"providers": 1},
        counts_after_error={"providers": 1},
        mentions=["npi", "123"],
        recovered=True,
        stable=True,
    )
    return Outcome(**{**base, **changes})


def test_a_well_handled_outcome_has_no_problem():
    outcome = _outcome()
    checks = (
        Outcome.handling_problem,
        Outcome.message_problem,
        Outcome.recovery_problem,
        Outcome.stability_problem,
    )
    assert [problems([outcome], check) for check in checks] == [[], [], [], []]
    assert outcome.persisted_rows() == []


def test_each_kind_of_mishandling_is_reported():
    assert problems([_outcome(error=SchedulingConflictError("slot taken"))], Outcome.handling_problem)
    assert problems([_outcome(error=None)], Outcome.handling_problem)
    assert problems([_outcome(mentions=["npi", "999"])], Outcome.message_problem)
    assert problems([_outcome(recovered=False)], Outcome.recovery_problem)
    assert not problems([_outcome(recovered=False, recovery_strategy=None)], Outcome.recovery_problem)
    assert problems([_outcome(stable=False, stability_detail="orphans")], Outcome.stability_problem)
    assert _outcome(counts_after_error={"providers": 2}).persisted_rows() == [
        {"scenario": "invalid_npi", "table": "providers", "before": 1, "after error": 2}
    ]


def test_every_registered_scenario_is_handled_through_the_library(sqlite_db, rng):
    lab = Lab(sqlite_db, rng)
    for name in ERROR_SCENARIOS.names():
        scenario = ERROR_SCENARIOS.get(name)
        outcome = run_scenario(
            lab, name, scenario.recovery_strategies[0] if scenario.recovery_strategies else None
        )
        found = [
            p
            for check in (Outcome.handling_problem, Outcome.message_problem, Outcome.recovery_problem)
            if (p := check(outcome))
        ]
        assert found == [] and outcome.persisted_rows() == [], name
