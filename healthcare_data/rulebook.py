"""The ``Rule`` type and ``RULES``, the one registry every rule of the library is defined in.

A rule is data: its name, the tables it applies to, its category, the columns it
reads, a check and the message/recovery templates of the violation it reports. The
row validators (``check_patient`` & co.), the builders' pre-checks, the named rule
groups of the feature files and the ``vocabulary`` command all read rules from
:data:`RULES`, so each rule is written once.

A check takes a :class:`Subject` (the row, its business key and whatever related
data the rule needs: today, the persona, the provider, ...) and yields
:class:`Finding` s; :meth:`Rule.evaluate` turns them into ``Violation`` s by filling
the rule's templates with the finding's values (``{field}``, ``{value!r}``, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from healthcare_data.registry import Registry
from healthcare_data.violations import CATEGORIES, Violation


def field_of(row: Any, column: str) -> Any:
    """A column of a dict, a SQLAlchemy Row or an ORM object (None when absent)."""
    if type(row) is dict:  # the common case first: drafts and rows read back are dicts
        return row.get(column)
    if isinstance(row, Mapping):
        return row.get(column)
    mapping = getattr(row, "_mapping", None)
    if mapping is not None:
        return mapping.get(column)
    return getattr(row, column, None)


@dataclass(slots=True)
class Subject:
    """What a rule looks at: one row of ``entity``, its key and the context it needs.

    ``context`` carries related data by name (``persona``, ``age``, ``payer``,
    ``provider``, ``patient``, ``appointment``, ``conditions``, ``profile``); a rule
    whose context is missing does not apply.
    """

    entity: str
    row: Any
    key: object = None
    today: date | None = None
    context: dict[str, Any] = field(default_factory=dict)

    def get(self, column: str) -> Any:
        row = self.row
        return row.get(column) if type(row) is dict else field_of(row, column)


class Finding(NamedTuple):
    """One place a rule is broken: the field and the values its templates need."""

    field: str
    values: Mapping[str, Any]
    entity: str | None = None  # overrides the subject's entity (e.g. "patient_conditions")


Check = Callable[[Subject], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """One named rule: where it applies, what it reads, how it checks and what it says."""

    name: str
    entities: tuple[str, ...]
    category: str
    fields: tuple[str, ...]
    check: Check | None  # None: enforced where the data is drafted or by a database query
    message: str
    recovery: str
    description: str = ""

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"rule {self.name!r}: category {self.category!r} is not one of {CATEGORIES}")

    @property
    def entity(self) -> str:
        """The first (main) table the rule applies to."""
        return self.entities[0]

    def applies_to(self, entity: str) -> bool:
        return entity in self.entities

    def evaluate(self, subject: Subject) -> list[Violation]:
        """The violations of this rule on ``subject`` (empty when it holds)."""
        out: list[Violation] = []
        if self.check is None:
            return out
        for found in self.check(subject):
            values = {"field": found.field, **found.values}
            out.append(
                Violation(
                    found.entity or subject.entity,
                    subject.key,
                    found.field,
                    self.name,
                    self.message.format_map(values),
                    self.recovery.format_map(values),
                    self.category,
                )
            )
        return out

    def describe(self) -> str:
        return self.description or self.name.replace("_", " ")


RULES: Registry[Rule] = Registry("rule")


def rule(
    name: str,
    entities: str | tuple[str, ...],
    category: str,
    fields: tuple[str, ...],
    message: str,
    recovery: str,
    description: str = "",
) -> Callable[[Check], Rule]:
    """Register the decorated check as the rule ``name`` (the one place it is defined)."""

    def wrap(check: Check) -> Rule:
        chosen = (entities,) if isinstance(entities, str) else entities
        made = Rule(
            name, chosen, category, fields, check, message, recovery, description or (check.__doc__ or "")
        )
        return RULES.register(name, made)

    return wrap


def declare(
    name: str,
    entities: str | tuple[str, ...],
    category: str,
    fields: tuple[str, ...],
    description: str,
    recovery: str = "{recovery}",
) -> Rule:
    """Register a rule enforced outside the row checks: a draft that refuses input breaking it,
    or a whole-database query. Its callers name it through the returned object, and write
    their own message (the templates pass ``{message}``/``{recovery}`` through); a rule whose
    fix is always the same gives it as ``recovery``."""
    chosen = (entities,) if isinstance(entities, str) else entities
    made = Rule(name, chosen, category, fields, None, "{message}", recovery, description)
    return RULES.register(name, made)


def field_rule(
    name: str,
    entities: str | tuple[str, ...],
    category: str,
    fields: tuple[str, ...],
    valid: Callable[[Any], bool],
    message: str,
    recovery: str,
    description: str,
    *,
    optional: bool = True,
    columns: Mapping[str, tuple[str, ...]] | None = None,
) -> Rule:
    """Register a rule that checks each of ``fields`` on its own with ``valid(value)``.

    ``optional``: a missing value (None) is not checked. ``columns``: the fields to check
    per table, when the tables differ (a patient has two phones, a provider one).
    """

    def check(subject: Subject) -> Iterable[Finding]:
        for column in fields if columns is None else columns[subject.entity]:
            value = subject.get(column)
            if value is None and optional:
                continue
            if not valid(value):
                yield Finding(column, {"value": value})

    return rule(name, entities, category, fields, message, recovery, description)(check)


def rules_for(entity: str, names: Iterable[str] | None = None) -> tuple[Rule, ...]:
    """The registered rules of ``entity`` (only ``names`` when given, each looked up)."""
    if names is not None:
        return tuple(RULES.get(n) for n in names)
    return tuple(r for _, r in RULES.items() if r.applies_to(entity))


def evaluate(rules: Iterable[Rule], subject: Subject) -> list[Violation]:
    """Every violation of ``rules`` on ``subject``, in rule order."""
    out: list[Violation] = []
    for chosen in rules:
        out.extend(chosen.evaluate(subject))
    return out


def evaluate_given(rules: Iterable[Rule], subject: Subject, given: Iterable[str]) -> list[Violation]:
    """Like :func:`evaluate` but only the rules reading at least one of the ``given`` fields.

    The builders' pre-checks: explicit values are checked by the same rules as the
    full row before anything is drawn; rules about fields not given wait for the draft.
    """
    present = set(given)
    return evaluate((r for r in rules if present.intersection(r.fields)), subject)
