"""Real US ZIP codes with their city, state and area code, read from a precomputed table.

``zip_codes.tsv.gz`` beside this module is built from the ``zipcodes`` package by
``scripts/build_zip_table.py`` (``tests/test_zip_table.py`` checks that it matches the
installed package). One pass indexes its lines by ZIP and by state (a state's places
are parsed on first use), where ``zipcodes`` parses ~50 MB of JSON (~0.9 s) and ``filter_by`` scans every row
on each call.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import overload

TABLE = "zip_codes.tsv.gz"
_ZIP_FORMAT = re.compile(r"^(\d{5})(?:-?\d{4})?$")


@dataclass(frozen=True)
class Place:
    """A real ZIP code with its city, state and telephone area code."""

    zip: str
    city: str
    state: str
    area_code: str


@cache
def _index() -> tuple[dict[str, str], dict[str, list[str]]]:
    """(every ZIP's line by ZIP, active standard lines by state), in one pass over the
    table; lines are split into fields only when asked for."""
    text = gzip.decompress(resources.files(__package__).joinpath(TABLE).read_bytes()).decode("utf-8")
    by_zip: dict[str, str] = {}
    by_state: dict[str, list[str]] = {}
    for line in text.splitlines()[2:]:  # header, provenance comment
        by_zip.setdefault(line[:5], line)
        if line.startswith("\tS\t1\t", 5):  # fixed offsets: "#####\tS\t1\tST\t..."
            by_state.setdefault(line[10:12], []).append(line)
    return by_zip, by_state


def _fields(line: str) -> list[str]:
    return line.split("\t")  # zip, type, active, state, city, area_code, acceptable_cities


def _place(fields: list[str]) -> Place:
    return Place(fields[0], fields[4], fields[3], fields[5])


class _StatePlaces(Sequence[Place]):
    """A state's places, each parsed from its line when first asked for.

    Why: generation draws a few places per state by index, and building all ~30,000
    Place objects of every state up front cost ~0.06 CPU s, ~4% of a whole 14,000-row
    seed process. Same length, order and values as a tuple of them."""

    __slots__ = ("_lines", "_parsed")

    def __init__(self, lines: Sequence[str]) -> None:
        self._lines = lines
        self._parsed: dict[int, Place] = {}

    def __len__(self) -> int:
        return len(self._lines)

    @overload
    def __getitem__(self, index: int) -> Place: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Place, ...]: ...

    def __getitem__(self, index: int | slice) -> Place | tuple[Place, ...]:
        if isinstance(index, slice):
            return tuple(self[k] for k in range(*index.indices(len(self._lines))))
        found = self._parsed.get(index)
        if found is None:
            line = self._lines[index]  # IndexError as a tuple's
            found = self._parsed[index] = _place(_fields(line))
        return found


@cache
def places_in(state: str) -> Sequence[Place]:
    """Active standard ZIP codes of ``state``, in ZIP order (empty for an unknown state)."""
    return _StatePlaces(_index()[1].get(state, ()))


def _entry(zip_code: object) -> list[str] | None:
    if not isinstance(zip_code, str):
        return None
    match = _ZIP_FORMAT.match(zip_code.strip())
    line = _index()[0].get(match.group(1)) if match else None
    return _fields(line) if line else None


def place_for_zip(zip_code: object) -> Place | None:
    """The place a ZIP (``#####`` or ``#####-####``) belongs to, or None if it is not real."""
    fields = _entry(zip_code)
    return _place(fields) if fields else None


def city_matches(zip_code: object, city: str) -> bool:
    """True when ``city`` is the ZIP's city or one of its acceptable alternatives."""
    fields = _entry(zip_code)
    if fields is None:
        return False
    wanted = city.lower()
    return wanted == fields[4].lower() or wanted in (c.lower() for c in fields[6].split("|") if c)
