"""What a workflow scenario remembers: each step's created row, references and rule results.

The entities themselves (which library call creates each) are the library's
:mod:`healthcare_data.entities`; the rules each step runs are named groups of
:mod:`healthcare_data.validation.groups`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from healthcare_data.behave.support.tables import WorkflowStep
from healthcare_data.entities import ENTITIES, LINK_NAMES, WorkflowEntity
from healthcare_data.violations import Violation

__all__ = ["ENTITIES", "LINK_NAMES", "StepResult", "WorkflowEntity", "WorkflowRun"]


@dataclass
class StepResult:
    step: WorkflowStep
    entity: WorkflowEntity
    row_id: int
    refs: dict[str, int] = field(default_factory=dict)  # link -> id referenced
    violations: list[Violation] = field(default_factory=list)
    rules_run: tuple[str, ...] = ()


@dataclass
class WorkflowRun:
    steps: list[StepResult] = field(default_factory=list)
