"""Read simple CHECK constraints so generated values satisfy them.

Understood (after each backend's rewriting is undone: PostgreSQL turns ``IN`` into
``= ANY (ARRAY[...])`` and ``BETWEEN`` into ``>= AND <=``, MySQL adds backticks and
``_utf8mb4`` introducers): ``col IN (...)``, ``col BETWEEN a AND b``, ``col >= a``,
``col > a``, ``col <= a``, ``col < a``, a comparison of two columns
(``end_date >= start_date``), a maximum length (``length(col) <= 80``, also
``char_length``), non-empty text (``col <> ''``, ``length(col) > 0``) and
``col IS NOT NULL``, joined by AND. Anything else is kept in the plan as text and
reported as not understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_NUMBER = r"-?\d+(?:\.\d+)?"
_LENGTH = "char_length|character_length|octet_length|length"  # MariaDB writes octet_length
_VALUE = rf"(?:'(?:[^']|'')*'|{_NUMBER})"


@dataclass
class CheckFacts:
    """What the CHECK constraints of one table say about its columns."""

    choices: dict[str, list[Any]] = field(default_factory=dict)
    low: dict[str, tuple[Any, bool]] = field(default_factory=dict)  # value, inclusive
    high: dict[str, tuple[Any, bool]] = field(default_factory=dict)
    after: dict[str, str] = field(default_factory=dict)  # later column -> earlier column
    max_length: dict[str, int] = field(default_factory=dict)
    not_understood: list[str] = field(default_factory=list)


def normalise(sql: str) -> str:
    """One spelling for the three backends' renderings of the same constraint."""
    text = sql.replace("`", "").replace('"', "")
    text = re.sub(r"_(?:utf8mb4|utf8mb3|utf8|latin1|binary)\s*'", "'", text)
    text = re.sub(
        r"::(?:character varying|double precision|timestamp(?: with(?:out)? time zone)?|[A-Za-z_]+)"
        r"(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])?",
        "",
        text,
    )
    text = re.sub(r"=\s*ANY\s*\(\s*\(?\s*ARRAY\s*\[(.*?)\]\s*\)?\s*\)", r" IN (\1)", text, flags=re.I | re.S)
    text = " ".join(text.split())
    previous = None
    while previous != text:  # strip parentheses around a single comparison / the whole text
        previous = text
        text = re.sub(rf"\(\s*({_NAME})\s*\)", r"\1", text)
        text = re.sub(rf"\(\s*({_VALUE})\s*\)", r"\1", text)
        if text.startswith("(") and _balanced_outer(text):
            text = text[1:-1].strip()
    return text


def _balanced_outer(text: str) -> bool:
    depth = 0
    for i, char in enumerate(text):
        depth += char == "("
        depth -= char == ")"
        if depth == 0 and i < len(text) - 1:
            return False
    return text.endswith(")")


def _split_and(text: str) -> list[str]:
    parts, depth, start, i = [], 0, 0, 0
    upper = text.upper()
    while i < len(text):
        depth += text[i] == "("
        depth -= text[i] == ")"
        if depth == 0 and upper.startswith(" AND ", i):
            before = text[start:i]
            if re.search(r"\bBETWEEN\s+" + _VALUE + r"\s*$", before, re.I):
                i += 5
                continue
            parts.append(before.strip())
            start = i + 5
            i += 5
            continue
        i += 1
    parts.append(text[start:].strip())
    return [normalise(p) for p in parts if p]


def _literal(token: str) -> Any:
    token = token.strip()
    if token.startswith("'"):
        return token[1:-1].replace("''", "'")
    return float(token) if "." in token else int(token)


def parse_checks(sqltexts: list[str], columns: set[str]) -> CheckFacts:
    """Facts about ``columns`` from each CHECK's SQL text; unknown shapes are listed."""
    facts = CheckFacts()
    for sql in sqltexts:
        for atom in _split_and(normalise(sql)):
            if not _apply(atom, columns, facts):
                facts.not_understood.append(sql)
                break
    return facts


def _apply(atom: str, columns: set[str], facts: CheckFacts) -> bool:
    match = re.fullmatch(rf"({_NAME})\s+IS\s+NOT\s+NULL|({_NAME})\s*(?:<>|!=)\s*''", atom, re.I)
    if match and (match.group(1) or match.group(2)) in columns:
        return True  # generated values are never NULL unless null_share says so, never ''
    match = re.fullmatch(  # normalise() has dropped the call's parentheses: length name <= 80
        rf"(?:{_LENGTH})\s*\(?\s*({_NAME})\s*\)?\s*(<=|<|>=|>)\s*(\d+)", atom, re.I
    )
    if match and match.group(1) in columns:
        name, op, size = match.group(1), match.group(2), int(match.group(3))
        if op in ("<=", "<"):
            top = size if op == "<=" else size - 1
            facts.max_length[name] = min(facts.max_length.get(name, top), top)
            return True
        return (size if op == ">=" else size + 1) <= 1  # non-empty: understood; longer: not
    match = re.fullmatch(rf"({_NAME})\s+IN\s*\((.*)\)", atom, re.I | re.S)
    if match and match.group(1) in columns:
        values = re.findall(_VALUE, match.group(2))
        if values:
            facts.choices[match.group(1)] = [_literal(v) for v in values]
            return True
    match = re.fullmatch(rf"({_NAME})\s+BETWEEN\s+({_VALUE})\s+AND\s+({_VALUE})", atom, re.I)
    if match and match.group(1) in columns:
        facts.low[match.group(1)] = (_literal(match.group(2)), True)
        facts.high[match.group(1)] = (_literal(match.group(3)), True)
        return True
    match = re.fullmatch(rf"({_NAME}|{_VALUE})\s*(>=|<=|>|<)\s*({_NAME}|{_VALUE})", atom)
    if not match:
        return False
    left, op, right = match.groups()
    if left in columns and right in columns:
        later, earlier = (left, right) if op in (">=", ">") else (right, left)
        facts.after[later] = earlier
        return True
    if right in columns and left not in columns:  # 0 <= col  ->  col >= 0
        left, right, op = right, left, {">=": "<=", "<=": ">=", ">": "<", "<": ">"}[op]
    if left not in columns or re.fullmatch(_NAME, right):
        return False
    bound = (_literal(right), op in (">=", "<="))
    if op in (">=", ">"):
        facts.low[left] = max(facts.low.get(left, bound), bound, key=lambda b: b[0])
    else:
        facts.high[left] = min(facts.high.get(left, bound), bound, key=lambda b: b[0])
    return True
