"""What a workflow scenario remembers: each step's created row, its table step and rule results.

The entities themselves (which library call creates each) and the step-by-step creation
are the library's :mod:`healthcare_data.entities`; the rules each step runs are named
groups of :mod:`healthcare_data.validation.groups`; the Then checks are
:mod:`healthcare_data.validation.workflow`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from healthcare_data.behave.support.tables import WorkflowStep
from healthcare_data.entities import ENTITIES, LINK_NAMES, WorkflowEntity, WorkflowRow
from healthcare_data.violations import Violation

__all__ = ["ENTITIES", "LINK_NAMES", "StepResult", "WorkflowEntity", "WorkflowRun"]


@dataclass
class StepResult:
    step: WorkflowStep
    row: WorkflowRow
    violations: list[Violation] = field(default_factory=list)
    rules_run: tuple[str, ...] = ()


@dataclass
class WorkflowRun:
    steps: list[StepResult] = field(default_factory=list)

    @property
    def rows(self) -> list[WorkflowRow]:
        return [r.row for r in self.steps]

    @property
    def amounts(self) -> dict[int, Decimal]:
        """Step number -> the claim amount its table row asked for."""
        options = {r.step.step: r.step.relationships.options for r in self.steps}
        return {step: o["amount"] for step, o in options.items() if o.get("amount") is not None}
