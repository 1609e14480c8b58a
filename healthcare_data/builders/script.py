"""A whitelist parser for the builder docstring of the feature file.

The docstring is data written by analysts, in the exercise's JavaScript-like style::

    PatientBuilder()
      .withPersona('elderly_patient')
      .withAge(72)
      .withDemographics('Margaret', 'Johnson', null, 'female')
      .create()

It is parsed with Python's ``ast`` (never ``eval``/``exec``) and accepted only when it
is one call chain that starts at ``PatientBuilder()``, calls known builder methods
(camelCase in the text, the library's snake_case names underneath) with literal
arguments: strings, integers, ``null``/``true``/``false`` and lists of those, and
ends with ``.create()`` or ``.build()``. Anything else (an attribute access, an
unknown method, a name, an expression, a keyword argument) is rejected with a
:class:`BuilderScriptError` that quotes the offending text.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from healthcare_data.builders.patient import PatientBuilder, stored_value
from healthcare_data.errors import UnknownNameError

ROOT = "PatientBuilder"
TERMINALS = ("create", "build")
_LITERAL_NAMES: dict[str, Any] = {"null": None, "true": True, "false": False}
_BUILDER_PREFIXES = ("with_", "as_")
_BUILDER_NAMES = ("reset",)
#: Input limits: a builder docstring is a few lines; these stop a pasted megabyte or a
#: generated chain of thousands of calls (RecursionError in the parser) with one line.
MAX_SCRIPT_CHARS = 20_000
MAX_CHAIN_CALLS = 200
_CALL = re.compile(r"\.\s*[A-Za-z_]\w*\s*\(")


class BuilderScriptError(AssertionError):
    """The builder docstring is not a whitelisted builder call chain."""


def camel_to_snake(name: str) -> str:
    """``withEmergencyContact`` -> ``with_emergency_contact``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def snake_to_camel(name: str) -> str:
    """``with_emergency_contact`` -> ``withEmergencyContact``."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def builder_methods(builder_class: type | None = None) -> dict[str, str]:
    """camelCase -> snake_case for every public chain method of the library's builder.

    Derived from the class, so a method added to ``PatientBuilder`` is usable in a
    feature file without changing the suite.
    """
    builder_class = builder_class or PatientBuilder
    names = [
        name
        for name in dir(builder_class)
        if (name.startswith(_BUILDER_PREFIXES) or name in _BUILDER_NAMES)
        and callable(getattr(builder_class, name))
    ]
    return {snake_to_camel(name): name for name in sorted(names)}


@dataclass(frozen=True)
class BuilderCall:
    """One method call of the chain: the text's name, the library's name, literal args."""

    written: str
    method: str
    args: tuple[Any, ...]
    text: str


@dataclass(frozen=True)
class BuilderScript:
    calls: tuple[BuilderCall, ...]
    terminal: str  # "create" or "build"

    def call(self, method: str) -> BuilderCall | None:
        """The last call of ``method`` (snake_case), if the script makes it."""
        found = [c for c in self.calls if c.method == method]
        return found[-1] if found else None

    def apply(self, builder: Any) -> Any:
        """Replay the calls on ``builder`` and return it (the terminal call is not made)."""
        for call in self.calls:
            builder = getattr(builder, call.method)(*call.args)
        return builder


def parse_builder_script(source: str, methods: Mapping[str, str] | None = None) -> BuilderScript:
    """Parse ``source`` into a :class:`BuilderScript` or raise :class:`BuilderScriptError`."""
    methods = builder_methods() if methods is None else dict(methods)
    text = source.strip()
    if not text:
        raise BuilderScriptError("The builder docstring is empty; start with PatientBuilder()")
    if len(text) > MAX_SCRIPT_CHARS:
        raise BuilderScriptError(
            f"The builder docstring is {len(text):,} characters; at most {MAX_SCRIPT_CHARS:,} are accepted"
        )
    calls_written = len(_CALL.findall(text))
    if calls_written > MAX_CHAIN_CALLS:
        raise BuilderScriptError(
            f"The builder docstring chains {calls_written:,} calls; at most {MAX_CHAIN_CALLS} are accepted"
        )
    wrapped = f"(\n{text}\n)"
    original = _Source(wrapped)
    try:
        tree = ast.parse(wrapped, mode="eval")
    except (RecursionError, MemoryError):
        raise BuilderScriptError("The builder docstring is nested too deeply to parse") from None
    except SyntaxError as exc:
        line = (exc.lineno or 2) - 1
        raise BuilderScriptError(
            f"The builder docstring is not a call chain (syntax error on line {line}: {exc.msg}): "
            f"{_line(text, line)!r}"
        ) from None

    def snippet(node: ast.AST) -> str:
        """The node's own text; for a chained call or attribute only its ``.name(...)`` part."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            args = [original.segment(a) or "?" for a in node.args]
            args += [original.segment(k) or "?" for k in node.keywords]
            return f".{node.func.attr}({', '.join(args)})"
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Call):
            return f".{node.attr}"
        return original.segment(node) or ast.dump(node)

    def reject(node: ast.AST, why: str) -> BuilderScriptError:
        line: int = (getattr(node, "end_lineno", None) or getattr(node, "lineno", None) or 2) - 1
        return BuilderScriptError(f"Builder docstring line {line}: {why}: {snippet(node)!r}")

    chain: list[ast.Call] = []
    node: ast.AST = tree.body
    while True:
        if isinstance(node, ast.Attribute):
            raise reject(node, "attribute access is not allowed, only builder method calls")
        if isinstance(node, ast.Name):
            raise reject(node, f"the chain must start at {ROOT}(), not {node.id}")
        if not isinstance(node, ast.Call):
            raise reject(node, "expected a method call, found this instead")
        func = node.func
        if isinstance(func, ast.Name):
            if func.id != ROOT:
                raise reject(func, f"the chain must start at {ROOT}(), not {func.id}")
            if node.args or node.keywords:
                raise reject(node, f"{ROOT}() takes no arguments")
            break
        if not isinstance(func, ast.Attribute):
            raise reject(func, "only builder method calls are allowed")
        chain.append(node)
        node = func.value
    chain.reverse()
    if not chain:
        raise BuilderScriptError(f"The builder docstring must end with .create() or .build(): {text!r}")

    calls: list[BuilderCall] = []
    terminal: str | None = None
    for index, call in enumerate(chain):
        assert isinstance(call.func, ast.Attribute)
        written = call.func.attr
        is_last = index == len(chain) - 1
        if written in TERMINALS:
            if not is_last:
                raise reject(call, f".{written}() must be the last call")
            if call.args or call.keywords:
                raise reject(call, f".{written}() takes no arguments")
            terminal = written
            continue
        if written not in methods:
            known = ", ".join(sorted(methods) + [f"{t}" for t in TERMINALS])
            raise reject(call.func, f"unknown builder method {written!r}; known: {known}")
        if call.keywords:
            raise reject(call.keywords[0], "keyword arguments are not supported; pass values in order")
        args = tuple(_literal(arg, reject) for arg in call.args)
        calls.append(BuilderCall(written, methods[written], args, snippet(call)))
    if terminal is None:
        raise BuilderScriptError(
            f"The builder docstring must end with .create() or .build(), last call is "
            f".{chain[-1].func.attr}()"  # type: ignore[attr-defined]
        )
    return BuilderScript(tuple(calls), terminal)


class _Source:
    """``ast.get_source_segment`` without re-splitting the source on every call.

    The standard function splits the whole text per node, which made a 1 MB argument
    take over a minute (quadratic); here the lines are split once. Offsets are UTF-8
    byte columns, as the ``ast`` module reports them.
    """

    def __init__(self, text: str) -> None:
        self.lines = [line.encode() for line in text.splitlines(keepends=True)]

    def segment(self, node: ast.AST) -> str | None:
        end_line, end_col = getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None)
        if end_line is None or end_col is None:
            return None
        first, last = node.lineno - 1, end_line - 1  # type: ignore[attr-defined]
        start = node.col_offset  # type: ignore[attr-defined]
        if first == last:
            return self.lines[first][start:end_col].decode()
        parts = [self.lines[first][start:], *self.lines[first + 1 : last], self.lines[last][:end_col]]
        return b"".join(parts).decode()


def _literal(node: ast.AST, reject: Any) -> Any:
    """A whitelisted literal value, or a rejection naming the offending text."""
    if isinstance(node, ast.Constant) and (
        isinstance(node.value, str) or (isinstance(node.value, int) and not isinstance(node.value, bool))
    ):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        operand = node.operand
        if isinstance(operand, ast.Constant) and type(operand.value) is int:
            return -operand.value
    if isinstance(node, ast.Name) and node.id in _LITERAL_NAMES:
        return _LITERAL_NAMES[node.id]
    if isinstance(node, ast.List):
        values = [_literal(item, reject) for item in node.elts]
        if any(isinstance(v, list) for v in values):
            raise reject(node, "nested lists are not supported")
        return values
    if isinstance(node, ast.Name):
        raise reject(node, f"{node.id!r} is not a value; use a quoted string, a number or null")
    if isinstance(node, ast.Attribute):
        raise reject(node, "attribute access is not allowed in arguments")
    if isinstance(node, ast.Call):
        raise reject(node, "calls are not allowed in arguments")
    raise reject(node, "only strings, integers, null, true, false and lists are allowed as arguments")


def _line(text: str, number: int) -> str:
    lines = text.splitlines()
    return lines[number - 1].strip() if 0 < number <= len(lines) else text


@dataclass(frozen=True)
class Specified:
    """One value the script set explicitly, and where the database should hold it."""

    call: str
    parameter: str
    value: Any  # in the form the database stores it
    table: str
    column: str
    comparison: str = "=="  # ">=" / "<=" for a bound such as withAgeRange(65, 70)

    def holds(self, stored: Any) -> bool:
        """Whether the stored value is what was specified (a list: contained in the stored list)."""
        if self.comparison == ">=":
            return stored is not None and stored >= self.value
        if self.comparison == "<=":
            return stored is not None and stored <= self.value
        if isinstance(self.value, list):
            return isinstance(stored, list) and set(self.value) <= set(stored)
        return stored == self.value or str(stored) == str(self.value)


def specified_values(script: BuilderScript, builder_class: Any) -> list[Specified]:
    """Every non-null argument of the script, bound to its parameter name and stored column.

    Where an argument is stored comes from the builder (``builder_class.stored_column``),
    and in which form (``builder_class.stored_form``: phones normalised).
    """
    out: list[Specified] = []
    for call in script.calls:
        signature = inspect.signature(getattr(builder_class, call.method))
        try:
            bound = signature.bind(None, *call.args)
        except TypeError as exc:
            raise BuilderScriptError(f"{call.text}: {exc}") from None
        for parameter, value in list(bound.arguments.items())[1:]:
            if value is None:
                continue
            try:
                where = builder_class.stored_column(call.method, parameter)
            except UnknownNameError as exc:
                raise BuilderScriptError(
                    f"{call.text}: the builder does not say where {call.method}({parameter}=...) is "
                    f"stored ({builder_class.__name__}.STORED_AS): {exc}"
                ) from None
            table, column, comparison = where
            stored = builder_class.stored_form(column, value)
            out.append(Specified(call.text, parameter, stored, table, column, comparison))
    return out


@dataclass(frozen=True)
class BuiltPatient:
    """What a builder docstring made: a stored patient's id, or the rows of an unsaved draft."""

    terminal: str
    patient_id: int
    rows: tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]

    @property
    def stored(self) -> bool:
        return self.terminal == "create"

    @property
    def stored_ids(self) -> list[int]:
        """The stored patient's id, or nothing for a ``.build()`` chain."""
        return [self.patient_id] if self.stored else []

    @property
    def where(self) -> str:
        """How Then steps name what they check."""
        return "stored patient" if self.stored else "patient built in memory with .build() (nothing stored)"


def run_builder_script(script: BuilderScript, builder: Any) -> BuiltPatient:
    """Replay ``script`` on ``builder`` and call its terminal (``create()`` stores, ``build()`` does not)."""
    chained = script.apply(builder)
    if script.terminal == "create":
        patient = chained.create()
        return BuiltPatient("create", patient.id, ({}, [], {}))
    draft = chained.build()
    return BuiltPatient("build", draft.patient["id"], (draft.patient, draft.conditions, draft.profile))


def unmet_specifications(
    specified: list[Specified], patient: Any, conditions: Any, profile: Any, today: Any
) -> list[dict[str, Any]]:
    """Rows for the specified values the patient does not hold (empty when all hold)."""
    offenders = []
    for item in specified:
        actual = stored_value(patient, conditions, profile, item.table, item.column, today)
        if not item.holds(actual):
            offenders.append(
                {
                    "call": item.call,
                    "parameter": item.parameter,
                    "specified": f"{item.comparison} {item.value!r}",
                    "held in": f"{item.table}.{item.column}",
                    "held": actual,
                }
            )
    return offenders
