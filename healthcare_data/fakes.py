"""Fast, seeded, HIPAA-safe person and place data (``HealthcareFakes``).

Names come from Faker's en_US frequency-weighted name lists (copied, same order and
weights, into ``reference/names_en_US.tsv`` by ``scripts/build_name_table.py``, so
generating does not import Faker) and addresses from real ZIP code data (the
``zipcodes`` package, precomputed in ``reference/zip_codes.tsv.gz``), drawn with our own
seeded ``random.Random`` rather than a Faker call per field: the same data, two orders
of magnitude faster, which is what lets the bulk engine and the single-record builders
share these functions (one source of truth).

Safety by construction: phone numbers only in the fictional 555-0100..0199 range,
e-mail addresses only on reserved domains (RFC 2606 / RFC 6761).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib import resources

from healthcare_data.randomness import Randomness, Weighted
from healthcare_data.reference import STATE_WEIGHTS, zip_codes
from healthcare_data.reference.zip_codes import Place

SAFE_EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "example.org", "example.net")
SAFE_EMAIL_SUFFIXES: tuple[str, ...] = (".test", ".invalid", ".example")
PHONE_PATTERN = re.compile(r"^(?:\((\d{3})\) )?555-01(\d{2})$")
EMAIL_PATTERN = re.compile(r"^[a-z0-9._+-]+@([a-z0-9-]+\.)+[a-z]{2,}$")
ZIP_PATTERN = re.compile(r"^\d{5}$")

NAME_TABLE = "names_en_US.tsv"


def _name_lists() -> dict[str, list[tuple[str, str]]]:
    """list name -> its (value, weight text) entries in table order (a list: Faker's
    street suffixes repeat some values, which weights the draw)."""
    text = resources.files("healthcare_data.reference").joinpath(NAME_TABLE).read_text("utf-8")
    lists: dict[str, list[tuple[str, str]]] = {}
    for line in text.splitlines()[2:]:  # header, provenance comment
        kind, value, weight = line.split("\t")
        lists.setdefault(kind, []).append((value, weight))
    return lists


_LISTS = _name_lists()
_MALE = {name: float(weight) for name, weight in _LISTS["first_male"]}
_FEMALE = {name: float(weight) for name, weight in _LISTS["first_female"]}
FIRST_NAMES: dict[str, Weighted[str]] = {"male": Weighted(_MALE), "female": Weighted(_FEMALE)}
FIRST_NAMES["other"] = Weighted(_MALE | _FEMALE)
FIRST_NAMES["unknown"] = FIRST_NAMES["other"]
LAST_NAMES: Weighted[str] = Weighted({name: float(weight) for name, weight in _LISTS["last"]})
STREET_SUFFIXES: tuple[str, ...] = tuple(suffix for suffix, _ in _LISTS["street_suffix"])
STATES: Weighted[str] = Weighted(STATE_WEIGHTS)


def places_in(state: str) -> Sequence[Place]:
    """Active standard ZIP codes of ``state`` (from the precomputed reference table)."""
    return zip_codes.places_in(state)


def place_for_zip(zip_code: str) -> Place | None:
    """The city and state a ZIP code belongs to, or None if it is not a real ZIP."""
    return zip_codes.place_for_zip(zip_code)


def address_is_consistent(city: str | None, state: str | None, zip_code: str | None) -> bool:
    """True when the ZIP is real and belongs to that state and city."""
    if not (city and state and zip_code):
        return False
    place = place_for_zip(zip_code)
    return place is not None and place.state == state and zip_codes.city_matches(zip_code, city)


def first_name(rng: Randomness, gender: str) -> str:
    return rng.weighted(FIRST_NAMES.get(gender, FIRST_NAMES["other"]))


def last_name(rng: Randomness) -> str:
    return rng.weighted(LAST_NAMES)


def state(rng: Randomness) -> str:
    """A US state drawn by population weight."""
    return rng.weighted(STATES)


def place(rng: Randomness, in_state: str | None = None) -> Place:
    """A real ZIP/city/state, in ``in_state`` if given."""
    return rng.choice(places_in(in_state or state(rng)))


def street(rng: Randomness) -> str:
    return f"{rng.randint(10, 9999)} {last_name(rng)} {rng.choice(STREET_SUFFIXES)}"


def phone(rng: Randomness, area_code: str = "555") -> str:
    """A fictional number: ``(AAA) 555-01NN`` (NANPA reserves 555-0100..0199)."""
    return f"({area_code}) 555-01{rng.randint(0, 99):02d}"


# A North American number as people write it: optional +1, optional area code (in
# parentheses or not), then exchange and line, separated by dashes, dots or spaces.
_WRITTEN_PHONE = re.compile(
    r"^\s*(?:\+?1[\s.-]*)?(?:\(\s*(\d{3})\s*\)|(\d{3}))?[\s.-]*(\d{3})[\s.-]*(\d{4})\s*$"
)
PHONE_FORMS = (
    "(312) 555-0142, 312-555-0142, 312.555.0142, 312 555 0142, 3125550142, +1 312 555 0142, 555-0142"
)


def normalize_phone(text: str) -> str:
    """A phone number as people write it, in the stored form ``(AAA) NXX-XXXX`` / ``NXX-XXXX``.

    Only the writing changes: whether the number is a fictional 555-01NN one is the
    ``phone_safe_range`` rule's verdict on the stored form. ValueError names the value
    and the forms understood.
    """
    match = _WRITTEN_PHONE.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"phone {text!r} is not a phone number (write e.g. {PHONE_FORMS})")
    area = match.group(1) or match.group(2)
    local = f"{match.group(3)}-{match.group(4)}"
    return f"({area}) {local}" if area else local


def is_safe_phone(value: object) -> bool:
    return isinstance(value, str) and bool(PHONE_PATTERN.match(value))


def email(rng: Randomness, first: str, last: str, domain: str | None = None) -> str:
    """``first.last.NN@domain`` on a reserved domain; ``domain`` must itself be safe."""
    chosen = domain or rng.choice(SAFE_EMAIL_DOMAINS)
    local = re.sub(r"[^a-z0-9.]", "", f"{first}.{last}".lower())
    return f"{local}{rng.randint(1, 999)}@{chosen}"


def is_safe_email(value: object) -> bool:
    """True for a well-formed address on a reserved (never deliverable) domain."""
    if not isinstance(value, str) or not EMAIL_PATTERN.match(value):
        return False
    domain = value.rsplit("@", 1)[1]
    return domain in SAFE_EMAIL_DOMAINS or domain.endswith(SAFE_EMAIL_SUFFIXES)
