"""The workflow table's entities: which library call creates each, and what it references.

``ENTITIES`` maps the feature file's entity words (``Patient``, ``Medical_Record``, ...)
to the library's builder/factory call, the table it writes, the name later rows use
to reference it (``patient+provider+appointment``), the references it needs and the
relationship keys it accepts. Creating is a library call; checking is the library's
row rules selected by :data:`support.checks.RULES`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from healthcare_data.registry import Registry
from healthcare_data.violations import Violation
from support.tables import WorkflowStep


@dataclass(frozen=True)
class WorkflowEntity:
    name: str
    table: str
    link: str  # how later rows reference it
    requires: tuple[str, ...]  # links it must reference
    keys: tuple[str, ...]  # relationship keys it accepts
    create: Callable[[Any, WorkflowStep, dict[str, dict[str, Any]]], Any]
    description: str = ""


def _patient(context: Any, step: WorkflowStep, refs: dict[str, dict[str, Any]]) -> Any:
    from healthcare_data.builders import PatientBuilder

    builder = PatientBuilder(context.db, context.rng)
    if "persona" in step.relationships.options:
        builder = builder.with_persona(step.relationships.options["persona"])
    return builder.create()


def _provider(context: Any, step: WorkflowStep, refs: dict[str, dict[str, Any]]) -> Any:
    from healthcare_data.factories import ProviderFactory

    options = step.relationships.options
    overrides = {"specialty": options["specialty"]} if "specialty" in options else {}
    return ProviderFactory(context.db, context.rng).create(*options.get("traits", ()), **overrides)


def _appointment(context: Any, step: WorkflowStep, refs: dict[str, dict[str, Any]]) -> Any:
    from healthcare_data.factories import schedule_appointment

    options = step.relationships.options
    return schedule_appointment(
        context.db,
        refs["patient"],
        refs["provider"],
        options.get("type"),
        options.get("constraints", ()),
        rng=context.rng,
    )


def _record(context: Any, step: WorkflowStep, refs: dict[str, dict[str, Any]]) -> Any:
    from healthcare_data.factories import MedicalRecordFactory

    return MedicalRecordFactory(context.db, context.rng).create(
        appointment=refs["appointment"], patient=refs.get("patient"), provider=refs.get("provider")
    )


def _claim(context: Any, step: WorkflowStep, refs: dict[str, dict[str, Any]]) -> Any:
    from healthcare_data.factories import ClaimFactory

    options = step.relationships.options
    extra = {k: options[k] for k in ("amount", "status") if k in options}
    return ClaimFactory(context.db, context.rng).create(
        appointment=refs["appointment"], patient=refs.get("patient"), provider=refs.get("provider"), **extra
    )


ENTITIES: Registry[WorkflowEntity] = Registry("workflow entity")
for _entity in (
    WorkflowEntity(
        "Patient",
        "patients",
        "patient",
        (),
        ("persona",),
        _patient,
        "PatientBuilder().with_persona(...).create()",
    ),
    WorkflowEntity(
        "Provider",
        "providers",
        "provider",
        (),
        ("specialty", "traits"),
        _provider,
        "ProviderFactory.create(*traits, specialty=...)",
    ),
    WorkflowEntity(
        "Appointment",
        "appointments",
        "appointment",
        ("patient", "provider"),
        ("type", "constraints"),
        _appointment,
        "schedule_appointment(db, patient, provider, type, constraints)",
    ),
    WorkflowEntity(
        "Medical_Record",
        "medical_records",
        "medical_record",
        ("patient", "provider", "appointment"),
        (),
        _record,
        "MedicalRecordFactory.create(appointment=..., patient=..., provider=...)",
    ),
    WorkflowEntity(
        "Insurance_Claim",
        "insurance_claims",
        "insurance_claim",
        ("patient", "provider", "appointment"),
        ("amount", "status"),
        _claim,
        "ClaimFactory.create(appointment=..., amount=...)",
    ),
):
    ENTITIES.register(_entity.name, _entity)

LINK_NAMES: tuple[str, ...] = tuple(e.link for _, e in ENTITIES.items())


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
