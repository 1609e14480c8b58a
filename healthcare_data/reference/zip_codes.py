"""Real US ZIP codes with their city, state and area code, read from a precomputed table.

``zip_codes.tsv.gz`` beside this module is built from the ``zipcodes`` package by
``scripts/build_zip_table.py`` (``tests/test_zip_table.py`` checks that it matches the
installed package). Reading it takes milliseconds and one pass indexes it by state and by
ZIP, where ``zipcodes`` parses ~50 MB of JSON (~0.9 s) and ``filter_by`` scans every row
on each call.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

TABLE = "zip_codes.tsv.gz"
_ZIP_FORMAT = re.compile(r"^(\d{5})(?:-?\d{4})?$")


@dataclass(frozen=True)
class Place:
    """A real ZIP code with its city, state and telephone area code."""

    zip: str
    city: str
    state: str
    area_code: str


@dataclass(frozen=True)
class _Entry:
    place: Place
    standard_active: bool
    cities: frozenset[str]  # the city and its acceptable alternatives, lower case


@cache
def _table() -> tuple[dict[str, tuple[Place, ...]], dict[str, _Entry]]:
    """(active standard places by state, every ZIP's entry), built in one pass."""
    text = gzip.decompress(resources.files(__package__).joinpath(TABLE).read_bytes()).decode("utf-8")
    by_state: dict[str, list[Place]] = {}
    by_zip: dict[str, _Entry] = {}
    for line in text.splitlines()[2:]:  # header, provenance comment
        zip_code, kind, active, state, city, area_code, alternatives = line.split("\t")
        place = Place(zip_code, city, state, area_code)
        standard_active = kind == "S" and active == "1"
        cities = frozenset([city.lower(), *(c.lower() for c in alternatives.split("|") if c)])
        by_zip.setdefault(zip_code, _Entry(place, standard_active, cities))
        if standard_active:
            by_state.setdefault(state, []).append(place)
    return {s: tuple(p) for s, p in by_state.items()}, by_zip


def places_in(state: str) -> tuple[Place, ...]:
    """Active standard ZIP codes of ``state``, in ZIP order (empty for an unknown state)."""
    return _table()[0].get(state, ())


def _entry(zip_code: object) -> _Entry | None:
    if not isinstance(zip_code, str):
        return None
    match = _ZIP_FORMAT.match(zip_code.strip())
    return _table()[1].get(match.group(1)) if match else None


def place_for_zip(zip_code: object) -> Place | None:
    """The place a ZIP (``#####`` or ``#####-####``) belongs to, or None if it is not real."""
    entry = _entry(zip_code)
    return entry.place if entry else None


def city_matches(zip_code: object, city: str) -> bool:
    """True when ``city`` is the ZIP's city or one of its acceptable alternatives."""
    entry = _entry(zip_code)
    return entry is not None and city.lower() in entry.cities
