"""Table converters: feature-file tables in, typed requests out.

Every converter first checks the columns (``require_columns``), then turns each row
into a frozen dataclass, looking names up in the library's registries. A bad cell
fails the step with a :class:`TableInputError` that names the value, where it is
(row number, feature-file line, column), the valid choices (the registries'
``UnknownNameError`` adds the closest name) and shows the row as a table.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from tabulate import tabulate

from healthcare_data.behave.support import registries
from healthcare_data.errors import FormatValidationError, UnknownNameError
from healthcare_data.rows.claims import parse_amount as library_amount
from healthcare_data.validation import run_validation


class TableInputError(AssertionError):
    """A feature-file table holds a column or value the suite cannot use."""


class _Lookup(Protocol):
    def get(self, name: str) -> Any: ...


# --- columns --------------------------------------------------------------------------


def require_columns(table: Any, required: Sequence[str], optional: Sequence[str] = ()) -> None:
    """Fail unless ``table`` has every ``required`` column and no column outside both lists."""
    if table is None:
        raise TableInputError(f"This step needs a data table with columns: {', '.join(required)}")
    headings = list(table.headings)
    allowed = list(required) + list(optional)
    missing = [c for c in required if c not in headings]
    unknown = [c for c in headings if c not in allowed]
    problems = []
    if missing:
        problems.append(f"missing column(s) {', '.join(map(repr, missing))}")
    for column in unknown:
        hint = _closest(column, allowed)
        problems.append(f"unknown column {column!r}{hint}")
    if problems:
        raise TableInputError(
            f"Table columns {headings}: {'; '.join(problems)}. Allowed columns: {', '.join(allowed)}"
        )


def _closest(value: str, options: Iterable[str]) -> str:

    close = difflib.get_close_matches(value, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --- plain parsers (raise ValueError; TableRow adds the location) ------------------------

_TIME_UNITS = {
    "ms": 0.001,
    "millisecond": 0.001,
    "milliseconds": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
}
_TIME_LIMIT = re.compile(r"^\s*<\s*=?\s*(\d+(?:\.\d+)?)\s*[_ ]?\s*([a-z]+)\s*$", re.IGNORECASE)


def parse_count(value: str) -> int:
    """A non-negative whole number such as ``5`` or ``1_000`` / ``1,000``."""
    text = value.strip().replace("_", "").replace(",", "")
    if not text.isdigit():
        word = _NUMBER_WORDS.get(value.strip().lower())
        hint = f"write {word} in digits" if word is not None else "write e.g. 5 or 1000"
        raise ValueError(f"count {value!r} is not a whole number in digits ({hint})")
    return int(text)


def parse_percent(value: str) -> float:
    """``'5%'`` -> 0.05; ``'0%'`` -> 0.0."""
    text = value.strip()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*%", text)
    if not match:
        raise ValueError(f"tolerance {value!r} is not a percentage (write e.g. 0% or 5%)")
    rate = float(match.group(1)) / 100
    if rate > 1:
        raise ValueError(f"tolerance {value!r} is above 100%")
    return rate


def parse_time_limit(value: str) -> float:
    """``'<30_seconds'`` -> 30.0 (seconds); also ``<500_ms``, ``<2_minutes``."""
    match = _TIME_LIMIT.match(value)
    unit = match.group(2).lower() if match else ""
    if not match or unit not in _TIME_UNITS:
        raise ValueError(
            f"performance target {value!r} is not a time limit "
            f"(write e.g. <30_seconds; units: {', '.join(sorted(set(_TIME_UNITS)))})"
        )
    return float(match.group(1)) * _TIME_UNITS[unit]


def parse_amount(value: str) -> Decimal:
    """``'$350'`` / ``'350.5'`` / ``'$1,250.00'`` / ``'USD 350'`` -> Decimal with two places (the library's
    ``rows.claims.parse_amount``), refusing negative amounts."""
    try:
        amount = library_amount(value)
    except FormatValidationError:
        raise ValueError(f"amount {value!r} is not a money amount (write e.g. $350 or $1,250.00)") from None
    if amount < 0:
        raise ValueError(f"amount {value!r} must be a non-negative amount")
    return amount


# A comma that separates items: items start with a word, so a comma before a digit is
# inside an amount ("$1,250.00") and the amount parser judges it.
_ITEM_SEPARATOR = re.compile(r"\s*,(?!\d)\s*")
# Counts people may write as words, to say what to write instead.
_NUMBER_WORDS = {
    w: n for n, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
}


def split_list(value: str, sep: str = ",") -> list[str]:
    """``'a, b,c'`` -> ['a', 'b', 'c'] (empty items dropped)."""
    return [item.strip() for item in value.split(sep) if item.strip()]


def words(value: str) -> str:
    """Feature-file spelling to registry spelling: ``Internal_Medicine`` -> ``Internal Medicine``."""
    return value.replace("_", " ").strip()


def persona_words(text: str) -> Any:
    """Parse type for sentences: ``elderly patient`` -> the persona ``elderly_patient``.

    An unknown persona fails the step with the registry's suggestion.
    """
    return registries.personas().get("_".join(text.strip().split()))


persona_words.pattern = r"[a-z][a-z ]*[a-z]"  # type: ignore[attr-defined]


# --- rows ---------------------------------------------------------------------------


@dataclass
class TableRow:
    """One data row with its position, for converters that fail with a location."""

    number: int
    line: int | None
    cells: dict[str, str]

    def where(self, column: str) -> str:
        line = f" (line {self.line})" if self.line else ""
        return f"row {self.number}{line}, column {column!r}"

    def fail(self, column: str, message: str) -> TableInputError:
        shown = tabulate([self.cells], headers="keys", tablefmt="github")
        return TableInputError(f"Table {self.where(column)}: {message}\n{shown}")

    def text(self, column: str, default: str | None = None) -> str:
        value = self.cells.get(column, "")
        value = value.strip() if value is not None else ""
        if not value:
            if default is not None:
                return default
            raise self.fail(column, "is empty")
        return value

    def parsed(self, column: str, parser: Callable[[str], Any]) -> Any:
        try:
            return parser(self.text(column))
        except ValueError as exc:
            raise self.fail(column, str(exc)) from None

    def count(self, column: str) -> int:
        return self.parsed(column, parse_count)

    def name(self, column: str, registry: _Lookup, value: str | None = None) -> Any:
        """Look ``value`` (default: the cell) up in ``registry``; unknown names fail here."""
        raw = self.text(column) if value is None else value
        try:
            return registry.get(raw)
        except UnknownNameError as exc:
            raise self.fail(column, exc.message) from None

    def names(self, column: str, registry: _Lookup, *, sep: str = ",", optional: bool = False) -> list[Any]:
        raw = self.cells.get(column, "") or ""
        if not raw.strip():
            if optional:
                return []
            raise self.fail(column, "is empty")
        return [self.name(column, registry, item) for item in split_list(raw, sep)]

    def tokens(self, column: str, registry: _Lookup, *, optional: bool = False) -> tuple[str, ...]:
        """Comma-separated names, each checked against ``registry``, kept as strings."""
        raw = self.cells.get(column, "") or ""
        items = split_list(raw)
        if not items and not optional:
            raise self.fail(column, "is empty")
        for item in items:
            self.name(column, registry, item)
        return tuple(items)


def rows(table: Any) -> Iterator[TableRow]:
    """The table's data rows, numbered from 1, with their feature-file line."""
    for number, row in enumerate(table.rows, start=1):
        cells = {heading: row[heading] for heading in table.headings}
        yield TableRow(number, getattr(row, "line", None), cells)


# --- typed requests -----------------------------------------------------------------------


@dataclass(frozen=True)
class PersonaRequest:
    persona: str
    count: int
    characteristics: tuple[str, ...]

    def create(self, builder: Any) -> list[Any]:
        """``builder.with_persona(persona).create_batch(count)`` for this row."""
        return list(builder.with_persona(self.persona).create_batch(self.count))

    @property
    def labels(self) -> dict[str, Any]:
        """What the created rows are labelled with (the arguments of ``unmet_characteristics``)."""
        return {"persona": self.persona, "tokens": self.characteristics}


def requested_counts(requests: Sequence[PersonaRequest]) -> dict[str, int]:
    """Patients asked per persona over every row of the table."""
    counts: dict[str, int] = {}
    for request in requests:
        counts[request.persona] = counts.get(request.persona, 0) + request.count
    return counts


def persona_requests(table: Any) -> list[PersonaRequest]:
    """``| persona | count | expected_characteristics |`` rows."""
    require_columns(table, ["persona", "count"], ["expected_characteristics"])
    out = []
    for row in rows(table):
        persona = row.name("persona", registries.personas())
        count = row.count("count")
        tokens = row.tokens("expected_characteristics", registries.characteristics(), optional=True)
        out.append(PersonaRequest(persona.name, count, tokens))
    return out


@dataclass(frozen=True)
class ProviderRequest:
    specialty: str
    count: int
    traits: tuple[str, ...]
    practice_type: str | None

    @property
    def overrides(self) -> dict[str, Any]:
        """ProviderFactory keywords: the specialty, and the practice type when the row gives one."""
        chosen = {"specialty": self.specialty, "practice_type": self.practice_type}
        return {key: value for key, value in chosen.items() if value}

    def create(self, factory: Any) -> list[Any]:
        """``factory.create_batch`` with this row's count, traits, specialty and practice type."""
        return list(factory.create_batch(self.count, *self.traits, **self.overrides))

    @property
    def labels(self) -> dict[str, Any]:
        """What the created rows are labelled with (the arguments of ``unmet_provider_request``)."""
        return {"specialty": self.specialty, "traits": self.traits, "practice_type": self.practice_type}


def provider_requests(table: Any) -> list[ProviderRequest]:
    """``| specialty | count | traits | practice_type |`` rows."""
    require_columns(table, ["specialty", "count"], ["traits", "practice_type"])
    out = []
    for row in rows(table):
        specialty = row.name("specialty", registries.specialties())
        count = row.count("count")
        traits = row.tokens("traits", registries.traits(), optional=True)
        practice = None
        if row.cells.get("practice_type", "").strip():
            practice = row.name("practice_type", registries.practice_types())
        out.append(ProviderRequest(specialty.name, count, traits, practice))
    return out


@dataclass(frozen=True)
class AppointmentRequest:
    row: int
    persona: str
    specialty: str
    appointment_type: str
    constraints: tuple[str, ...]

    @property
    def labels(self) -> dict[str, Any]:
        """What the created appointment is labelled with (read back by the Then steps)."""
        chosen = {"constraints": self.constraints, "persona": self.persona, "specialty": self.specialty}
        return {**chosen, "type": self.appointment_type}


def appointment_requests(table: Any) -> list[AppointmentRequest]:
    """``| patient_persona | provider_specialty | appointment_type | scheduling_constraints |``."""
    require_columns(
        table, ["patient_persona", "provider_specialty", "appointment_type"], ["scheduling_constraints"]
    )
    out = []
    for row in rows(table):
        persona = row.name("patient_persona", registries.personas())
        specialty = row.name("provider_specialty", registries.specialties())
        kind = row.name("appointment_type", registries.appointment_types())
        constraints = row.tokens("scheduling_constraints", registries.constraints(), optional=True)
        out.append(AppointmentRequest(row.number, persona.name, specialty.name, kind.name, constraints))
    return out


@dataclass(frozen=True)
class Relationships:
    """The parsed ``relationships`` cell of the workflow table."""

    links: tuple[str, ...] = ()  # earlier entities this one references: patient, provider, ...
    options: dict[str, Any] = field(default_factory=dict)


# key -> (registry getter or parser, is_list); values use underscores for spaces.
def _relationship_keys() -> dict[str, tuple[Callable[[], _Lookup] | Callable[[str], Any], bool]]:
    return {
        "persona": (registries.personas, False),
        "specialty": (registries.specialties, False),
        "traits": (registries.traits, True),
        "type": (registries.appointment_types, False),
        "amount": (parse_amount, False),
        "status": (registries.claim_statuses, False),
        "constraints": (registries.constraints, True),
    }


_PARSERS = {parse_amount}


def parse_relationships(row: TableRow, column: str, link_names: Sequence[str]) -> Relationships:
    """``'patient+provider,type=Annual_Physical'`` -> links ('patient', 'provider'), type.

    Items are comma separated. ``key=value`` sets an option (list options take
    ``a+b`` or continue over following bare items); a bare item made of entity names
    joined by ``+`` lists the earlier entities this one references.
    """
    raw = row.cells.get(column, "") or ""
    keys = _relationship_keys()
    links: list[str] = []
    options: dict[str, Any] = {}
    last_list_key: str | None = None
    for item in (part for part in _ITEM_SEPARATOR.split(raw) if part.strip()):
        if "=" in item:
            key, _, value = (part.strip() for part in item.partition("="))
            if key not in keys:
                raise row.fail(
                    column, f"unknown relationship key {key!r}{_closest(key, keys)}; known: {', '.join(keys)}"
                )
            source, is_list = keys[key]
            values = split_list(value, "+") if is_list else [value]
            parsed = [_relationship_value(row, column, source, v) for v in values]
            options[key] = parsed if is_list else parsed[0]
            last_list_key = key if is_list else None
            continue
        parts = split_list(item, "+")
        if all(p.lower() in link_names for p in parts):
            links.extend(p.lower() for p in parts)
            last_list_key = None
        elif last_list_key is not None:
            source, _ = keys[last_list_key]
            options[last_list_key].append(_relationship_value(row, column, source, item))
        else:
            raise row.fail(
                column,
                f"{item!r} is neither key=value (keys: {', '.join(keys)}) nor a reference to earlier "
                f"entities joined by '+' (entities: {', '.join(link_names)})",
            )
    return Relationships(tuple(links), options)


def _relationship_value(row: TableRow, column: str, source: Any, value: str) -> Any:
    if source in _PARSERS:
        try:
            return source(value)
        except ValueError as exc:
            raise row.fail(column, str(exc)) from None
    registry = source()
    if value not in registry:  # spaces are written as underscores: Internal_Medicine
        value = words(value)
    found = row.name(column, registry, value)
    return getattr(found, "name", value)


@dataclass(frozen=True)
class WorkflowStep:
    step: int
    entity: str  # a name in support.workflow.ENTITIES
    relationships: Relationships
    rules: tuple[str, ...]


def workflow_steps(
    table: Any, entities: _Lookup, link_names: Sequence[str], rules: _Lookup
) -> list[WorkflowStep]:
    """``| step | entity | relationships | validation_rules |`` rows, in step order.

    Each entity must reference what it needs (an appointment needs ``patient+provider``)
    among the entities of earlier steps, use only its relationship keys, and list
    validation rules about its own table.
    """
    require_columns(table, ["step", "entity"], ["relationships", "validation_rules"])
    out: list[WorkflowStep] = []
    created: list[str] = []
    for row in rows(table):
        number = row.count("step")
        entity = row.name("entity", entities)
        relationships = parse_relationships(row, "relationships", link_names)
        wrong_keys = [k for k in relationships.options if k not in entity.keys]
        if wrong_keys:
            raise row.fail(
                "relationships",
                f"{entity.name} does not take {', '.join(map(repr, wrong_keys))}; its keys: "
                f"{', '.join(entity.keys) or 'none'}",
            )
        missing = [link for link in entity.requires if link not in relationships.links]
        if missing:
            raise row.fail(
                "relationships",
                f"{entity.name} must reference {'+'.join(entity.requires)}; missing {missing}",
            )
        unknown = [link for link in relationships.links if link not in created]
        if unknown:
            raise row.fail(
                "relationships",
                f"{'+'.join(unknown)} not created by an earlier step "
                f"(created so far: {', '.join(created) or 'none'})",
            )
        tokens = row.tokens("validation_rules", rules, optional=True)
        for token in tokens:
            rule = rules.get(token)
            if rule.entity != entity.table:
                raise row.fail(
                    "validation_rules", f"rule {token!r} is about {rule.entity}, not {entity.table}"
                )
        out.append(WorkflowStep(number, entity.name, relationships, tokens))
        created.append(entity.link)
    numbers = [s.step for s in out]
    if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
        raise TableInputError(f"Workflow steps must be numbered in increasing order, got {numbers}")
    return out


@dataclass(frozen=True)
class BulkRequest:
    entity: str
    count: int
    constraints: tuple[str, ...]
    limit_seconds: float | None
    target: str


def bulk_requests(table: Any, entities: _Lookup, constraints: _Lookup) -> list[BulkRequest]:
    """``| entity_type | count | constraints | performance_target |`` rows."""
    require_columns(table, ["entity_type", "count"], ["constraints", "performance_target"])
    out = []
    for row in rows(table):
        entity = row.text("entity_type")
        row.name("entity_type", entities)
        count = row.count("count")
        tokens = row.tokens("constraints", constraints, optional=True)
        target = row.text("performance_target", default="")
        limit = row.parsed("performance_target", parse_time_limit) if target else None
        if any(r.entity == entity for r in out):
            raise row.fail("entity_type", f"{entity!r} appears twice; give each entity type one row")
        out.append(BulkRequest(entity, count, tokens, limit, target))
    return out


@dataclass(frozen=True)
class ValidationRequest:
    validation_type: str
    scope: str
    standard: str
    tolerance: float
    tolerance_text: str

    def run(self, db: Any, today: Any) -> Any:
        """The library's report of this row's validator, judged against its tolerance."""
        return run_validation(db, self.validation_type, today, tolerance=self.tolerance)

    def summary(self, report: Any) -> dict[str, Any]:
        """One row of the validation report: checked, violations, rate against the tolerance."""
        return {
            "validator": self.validation_type,
            "scope": self.scope,
            "checked": report.checked,
            "violations": len(report.violations),
            "rate": f"{report.rate:.2%}",
            "tolerance": self.tolerance_text,
            "seconds": round(report.seconds, 3),
            "ok": report.rate <= self.tolerance,
        }


def validation_requests(table: Any) -> list[ValidationRequest]:
    """``| validation_type | scope | compliance_standard | error_tolerance |`` rows."""
    require_columns(table, ["validation_type", "error_tolerance"], ["scope", "compliance_standard"])
    out = []
    for row in rows(table):
        validator = row.name("validation_type", registries.validators())
        scope = row.text("scope", default=validator.scope)
        standard = row.text("compliance_standard", default=validator.compliance_standard)
        if scope != validator.scope:
            raise row.fail("scope", f"{validator.name} covers scope {validator.scope!r}, not {scope!r}")
        if standard != validator.compliance_standard:
            raise row.fail(
                "compliance_standard",
                f"{validator.name} answers to {validator.compliance_standard!r}, not {standard!r}",
            )
        tolerance = row.parsed("error_tolerance", parse_percent)
        out.append(ValidationRequest(validator.name, scope, standard, tolerance, row.text("error_tolerance")))
    return out


@dataclass(frozen=True)
class ErrorScenarioRequest:
    scenario: str
    expected_behavior: str
    recovery_strategy: str | None


def error_scenario_requests(table: Any, scenarios: _Lookup, behaviors: _Lookup) -> list[ErrorScenarioRequest]:
    """``| error_scenario | expected_behavior | recovery_strategy |`` rows.

    The expected behaviour and recovery strategy must be those the scenario declares.
    """
    require_columns(table, ["error_scenario", "expected_behavior"], ["recovery_strategy"])
    out = []
    for row in rows(table):
        scenario = row.name("error_scenario", scenarios)
        behavior = row.text("expected_behavior")
        row.name("expected_behavior", behaviors)
        if behavior != scenario.expected_behavior:
            raise row.fail(
                "expected_behavior",
                f"{scenario.name} produces {scenario.expected_behavior!r}, not {behavior!r}",
            )
        strategy = row.text("recovery_strategy", default="") or None
        if strategy is not None and strategy not in scenario.recovery_strategies:
            raise row.fail(
                "recovery_strategy",
                f"{strategy!r} is not a recovery of {scenario.name}; known: "
                f"{', '.join(scenario.recovery_strategies)}",
            )
        out.append(ErrorScenarioRequest(scenario.name, behavior, strategy))
    return out
