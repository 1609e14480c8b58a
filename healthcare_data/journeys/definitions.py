"""Journey definitions: the state machines of ``reference/journeys.toml`` as typed objects.

A user changes or adds a journey by copying that file (TOML, or YAML with the same
structure) and loading it with :func:`load_definitions`; every mistake is reported as
one :class:`~healthcare_data.errors.ConfigurationError` naming the file, the journey
and the bad value, with what would be valid. The engine (:mod:`.engine`) walks these
machines; the validation rules (:mod:`.rules`) check stored journeys against them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from healthcare_data.errors import ConfigurationError, UnknownNameError
from healthcare_data.reference import SPECIALTIES

#: The engine's actions a step may run (see engine.ACTIONS); checked at load time.
ACTION_NAMES: tuple[str, ...] = (
    "register",
    "book_visit",
    "attend_visit",
    "cancel_visit",
    "miss_visit",
    "diagnose",
    "prescribe",
    "dispense",
    "abandon_prescription",
    "book_follow_up",
    "refer",
    "book_specialist",
    "expire_referral",
)
END = "end"
#: The journey every generated patient starts with (optional in a custom file).
REGISTRATION = "registration"
ANCHORS: tuple[str, ...] = ("previous", "appointment", "expiry")
CONDITION_SCOPES: tuple[str, ...] = ("acute", "chronic", "history", "preventive", "same")


@dataclass(frozen=True)
class Step:
    """One state of a journey: the action it runs and that action's options."""

    name: str
    action: str
    options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def days(self, key: str, default: tuple[float, float]) -> tuple[float, float]:
        value = self.options.get(key, default)
        return float(value[0]), float(value[1])


@dataclass(frozen=True)
class Transition:
    """An allowed move: its weight and when the next step happens."""

    source: str
    target: str
    weight: float
    anchor: str = "previous"  # previous step | appointment | expiry
    gap_days: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class Journey:
    """A declarative state machine: start step, steps and allowed transitions."""

    name: str
    title: str
    description: str
    weight: float
    start: str
    steps: dict[str, Step] = field(hash=False, compare=False)
    transitions: tuple[Transition, ...] = ()
    requires: str | None = None

    def __post_init__(self) -> None:
        out: dict[str, list[Transition]] = {}
        for t in self.transitions:
            out.setdefault(t.source, []).append(t)
        # Looked up at every step of every journey: built once (frozen, hence __setattr__).
        object.__setattr__(self, "_out", {k: tuple(v) for k, v in out.items()})

    def outgoing(self, step: str) -> tuple[Transition, ...]:
        return self._out.get(step, ())  # type: ignore[attr-defined]

    def allows(self, source: str, target: str) -> bool:
        return any(t.target == target for t in self.outgoing(source))

    def entities(self) -> list[str]:
        """Tables this journey's steps write, in the order the steps first touch them."""
        from healthcare_data.journeys.engine import ACTION_ENTITY  # the engine imports this module

        seen: list[str] = ["patients"]
        for step in self.steps.values():
            for table in ACTION_ENTITY[step.action]:
                if table not in seen:
                    seen.append(table)
        return seen


@dataclass(frozen=True)
class Segment:
    """An activity segment: share of patients, care episodes, registration age."""

    name: str
    share: float
    episodes: tuple[int, int]
    registered_days_ago: tuple[int, int]


@dataclass(frozen=True)
class StatusMachine:
    """An entity's status machine (appointments, prescriptions, referrals)."""

    entity: str
    initial: str
    transitions: dict[str, tuple[str, ...]] = field(hash=False, compare=False)

    def allows(self, source: str, target: str) -> bool:
        return target in self.transitions.get(source, ())

    @property
    def statuses(self) -> tuple[str, ...]:
        found = [self.initial]
        for source, targets in self.transitions.items():
            for status in (source, *targets):
                if status not in found:
                    found.append(status)
        return tuple(found)


@dataclass(frozen=True)
class Definitions:
    """Everything one journeys file defines."""

    source: str
    journeys: dict[str, Journey] = field(hash=False, compare=False)
    segments: dict[str, Segment] = field(hash=False, compare=False)
    modifiers: dict[str, dict[str, float]] = field(hash=False, compare=False)
    cardinality: dict[str, float] = field(hash=False, compare=False)
    referral_specialties: dict[str, str] = field(hash=False, compare=False)
    status_machines: dict[str, StatusMachine] = field(hash=False, compare=False)

    def journey(self, name: str) -> Journey:
        found = self.journeys.get(name)
        if found is None:
            raise UnknownNameError("journey", name, list(self.journeys))
        return found


# --- loading --------------------------------------------------------------------------


def _fail(source: str, where: str, message: str, valid: str = "") -> ConfigurationError:
    text = f"{source}: {where}: {message}"
    return ConfigurationError(text + (f"; valid: {valid}" if valid else ""))


def _range(source: str, where: str, value: Any, kind: type = float) -> tuple[Any, Any]:
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        or value[0] > value[1]
    ):
        raise _fail(source, where, f"{value!r} is not a [low, high] range", "two numbers, low <= high")
    return kind(value[0]), kind(value[1])


def _weight(source: str, where: str, value: Any) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise _fail(source, where, f"weight {value!r} is not a number >= 0")
    return float(value)


def _journey(source: str, name: str, body: Any) -> Journey:
    where = f"journey {name!r}"
    if not isinstance(body, dict):
        raise _fail(source, where, "must be a table")
    steps_raw = body.get("steps")
    if not isinstance(steps_raw, dict) or not steps_raw:
        raise _fail(source, where, "has no steps")
    steps: dict[str, Step] = {}
    for step_name, raw in steps_raw.items():
        if step_name == END:
            raise _fail(source, where, f"{END!r} is reserved for finishing a journey")
        if not isinstance(raw, dict) or raw.get("action") not in ACTION_NAMES:
            action = raw.get("action") if isinstance(raw, dict) else raw
            raise _fail(
                source, f"{where} step {step_name!r}", f"unknown action {action!r}", ", ".join(ACTION_NAMES)
            )
        options = {k: v for k, v in raw.items() if k != "action"}
        for key in ("lead_days", "after_diagnosis_days"):
            if key in options:
                _range(source, f"{where} step {step_name!r} {key}", options[key])
        scope = options.get("conditions")
        if scope is not None and scope not in CONDITION_SCOPES:
            raise _fail(
                source,
                f"{where} step {step_name!r}",
                f"unknown conditions {scope!r}",
                ", ".join(CONDITION_SCOPES),
            )
        steps[step_name] = Step(step_name, raw["action"], options)
    start = body.get("start")
    if start not in steps:
        raise _fail(source, where, f"start {start!r} is not one of its steps", ", ".join(steps))
    transitions = []
    for k, raw in enumerate(body.get("transitions") or []):
        place = f"{where} transition {k + 1}"
        if not isinstance(raw, dict):
            raise _fail(source, place, "must be a table with from, to, weight")
        source_step, target = raw.get("from"), raw.get("to")
        if source_step not in steps:
            raise _fail(source, place, f"from {source_step!r} is not a step", ", ".join(steps))
        if target != END and target not in steps:
            raise _fail(source, place, f"to {target!r} is not a step", ", ".join([*steps, END]))
        anchor = raw.get("at", "previous")
        if anchor not in ANCHORS:
            raise _fail(source, place, f"at {anchor!r} is unknown", ", ".join(ANCHORS))
        gap = _range(source, f"{place} gap_days", raw.get("gap_days", [0, 0]))
        transitions.append(
            Transition(source_step, target, _weight(source, place, raw.get("weight", 1.0)), anchor, gap)
        )
    journey = Journey(
        name=name,
        title=str(body.get("title") or name),
        description=str(body.get("description") or ""),
        weight=_weight(source, where, body.get("weight", 1.0)),
        start=start,
        steps=steps,
        transitions=tuple(transitions),
        requires=body.get("requires"),
    )
    if journey.requires not in (None, "chronic"):
        raise _fail(source, where, f"requires {journey.requires!r} is unknown", "chronic")
    reachable, todo = {start}, [start]
    while todo:
        for t in journey.outgoing(todo.pop()):
            if t.target != END and t.target not in reachable:
                reachable.add(t.target)
                todo.append(t.target)
    unreachable = [s for s in steps if s not in reachable]
    if unreachable:
        raise _fail(source, where, f"steps {unreachable} cannot be reached from {start!r}")
    return journey


def parse_definitions(data: dict[str, Any], source: str = "journeys") -> Definitions:
    """Check and type a parsed journeys document (see reference/journeys.toml)."""
    if not isinstance(data, dict) or not isinstance(data.get("journeys"), dict) or not data["journeys"]:
        raise _fail(source, "document", "has no [journeys.<name>] tables")
    journeys = {name: _journey(source, name, body) for name, body in data["journeys"].items()}
    segments = {}
    for name, raw in (data.get("segments") or {}).items():
        segments[name] = Segment(
            name,
            _weight(source, f"segment {name!r} share", raw.get("share")),
            _range(source, f"segment {name!r} episodes", raw.get("episodes"), int),
            _range(source, f"segment {name!r} registered_days_ago", raw.get("registered_days_ago"), int),
        )
    if not segments or not sum(s.share for s in segments.values()) > 0:
        raise _fail(source, "segments", "need at least one segment with a share > 0")
    modifiers = {
        group: {k: _weight(source, f"modifiers.{group}.{k}", v) for k, v in (body or {}).items()}
        for group, body in (data.get("modifiers") or {}).items()
    }
    unknown = [g for g in modifiers if g not in ("chronic", "uninsured")]
    if unknown:
        raise _fail(source, "modifiers", f"unknown group {unknown[0]!r}", "chronic, uninsured")
    referral = dict(data.get("referral_specialties") or {})
    for category, specialty in referral.items():
        if specialty not in SPECIALTIES:
            raise _fail(
                source,
                f"referral_specialties.{category}",
                f"unknown specialty {specialty!r}",
                ", ".join(SPECIALTIES.names()),
            )
    machines = {
        entity: StatusMachine(
            entity, body["initial"], {k: tuple(v) for k, v in body.get("transitions", {}).items()}
        )
        for entity, body in (data.get("status_machines") or {}).items()
    }
    cardinality = {
        k: _weight(source, f"cardinality.{k}", v) for k, v in (data.get("cardinality") or {}).items()
    }
    return Definitions(source, journeys, segments, modifiers, cardinality, referral, machines)


def load_definitions(path: str | Path | None = None) -> Definitions:
    """The journeys of ``path`` (.toml, .yaml or .yml), or the built-in ones when None."""
    if path is None:
        return default_definitions()
    file = Path(path)
    if not file.is_file():
        raise ConfigurationError(f"Journeys file {str(file)!r} does not exist")
    text = file.read_text("utf-8")
    try:
        if file.suffix.lower() == ".toml":
            data = tomllib.loads(text)
        elif file.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            raise ConfigurationError(f"Journeys file {str(file)!r} must end in .toml, .yaml or .yml")
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise ConfigurationError(f"{str(file)!r} is not valid: {exc}") from None
    except Exception as exc:
        if exc.__class__.__module__.startswith("yaml"):
            raise ConfigurationError(f"{str(file)!r} is not valid YAML: {str(exc).splitlines()[0]}") from None
        raise
    return parse_definitions(data, str(file))


@cache
def default_definitions() -> Definitions:
    """The built-in journeys (reference/journeys.toml), parsed once."""
    text = resources.files("healthcare_data.reference").joinpath("journeys.toml").read_text("utf-8")
    return parse_definitions(tomllib.loads(text), "reference/journeys.toml")
