"""The entities of a care workflow by name: how each is created and what it references.

``ENTITIES`` maps the names a workflow table uses (``Patient``, ``Provider``,
``Appointment``, ``Medical_Record``, ``Insurance_Claim``) to the library call that
creates one, the table it writes, the name later steps reference it by
(``patient+provider+appointment``), the references it needs and the options it takes.
A pytest user makes a full visit with :func:`create_visit`, or a workflow of their own
one step at a time with :class:`Workflow`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from healthcare_data.builders import PatientBuilder
from healthcare_data.db import Database
from healthcare_data.factories import (
    ClaimFactory,
    MedicalRecordFactory,
    ProviderFactory,
    schedule_appointment,
)
from healthcare_data.randomness import Randomness
from healthcare_data.readback import fetch_one
from healthcare_data.registry import Registry

Refs = Mapping[str, Any]  # link name -> the referenced row
Create = Callable[[Database, Randomness, Mapping[str, Any], Refs], Any]


@dataclass(frozen=True)
class WorkflowEntity:
    """One kind of row a workflow creates."""

    name: str
    table: str
    link: str  # how later steps reference it
    requires: tuple[str, ...]  # links it must reference
    keys: tuple[str, ...]  # options it accepts
    create: Create
    description: str = ""


def _patient(db: Database, rng: Randomness, options: Mapping[str, Any], refs: Refs) -> Any:
    builder = PatientBuilder(db, rng)
    if "persona" in options:
        builder = builder.with_persona(options["persona"])
    return builder.create()


def _provider(db: Database, rng: Randomness, options: Mapping[str, Any], refs: Refs) -> Any:
    overrides = {"specialty": options["specialty"]} if "specialty" in options else {}
    return ProviderFactory(db, rng).create(*options.get("traits", ()), **overrides)


def _appointment(db: Database, rng: Randomness, options: Mapping[str, Any], refs: Refs) -> Any:
    constraints = options.get("constraints")
    return schedule_appointment(
        db, refs["patient"], refs["provider"], options.get("type"), constraints, rng=rng
    )


def _record(db: Database, rng: Randomness, options: Mapping[str, Any], refs: Refs) -> Any:
    return MedicalRecordFactory(db, rng).create(
        appointment=refs["appointment"], patient=refs.get("patient"), provider=refs.get("provider")
    )


def _claim(db: Database, rng: Randomness, options: Mapping[str, Any], refs: Refs) -> Any:
    extra = {k: options[k] for k in ("amount", "status") if k in options}
    return ClaimFactory(db, rng).create(
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


def create_visit(
    db: Database, rng: Randomness, *, persona: str | None = None, specialty: str | None = None, **options: Any
) -> dict[str, Any]:
    """A full visit in dependency order: provider, patient, appointment, medical record, claim.

    ``options`` go to the entity that takes them (``type``, ``constraints``, ``amount``,
    ``status``, ``traits``). Returns the created objects by link name.
    """
    chosen = {
        **options,
        **({"persona": persona} if persona else {}),
        **({"specialty": specialty} if specialty else {}),
    }
    made: dict[str, Any] = {}
    for name in ("Provider", "Patient", "Appointment", "Medical_Record", "Insurance_Claim"):
        entity = ENTITIES.get(name)
        own = {k: v for k, v in chosen.items() if k in entity.keys}
        made[entity.link] = entity.create(db, rng, own, made)
    return made


@dataclass(frozen=True)
class WorkflowRow:
    """The row one workflow step created, and the ids of the rows it references (link -> id)."""

    step: int
    entity: str
    table: str
    row_id: int
    refs: Mapping[str, int] = field(default_factory=dict)


@dataclass
class Workflow:
    """Entities created one step at a time, each given the latest stored row of every link it names."""

    db: Database
    rng: Randomness
    latest: dict[str, tuple[str, int]] = field(default_factory=dict)  # link -> (table, id)

    def create(self, step: int, name: str, options: Mapping[str, Any], links: Iterable[str]) -> WorkflowRow:
        """Create entity ``name`` with ``options``, given the stored rows of the ``links`` it names."""
        entity = ENTITIES.get(name)
        refs = {link: fetch_one(self.db, *self.latest[link]) for link in links}
        created = entity.create(self.db, self.rng, options, refs)
        self.latest[entity.link] = (entity.table, created.id)
        return WorkflowRow(step, entity.name, entity.table, created.id, {k: r["id"] for k, r in refs.items()})
