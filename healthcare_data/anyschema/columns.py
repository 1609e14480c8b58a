"""Column meaning and generators: from a column's name, type and constraints to values.

:func:`detect` names a generator for a reflected column (``email``, ``npi``,
``city`` ...) or falls back to a type-correct one and says so; :func:`build` turns a
column's plan entry into a :class:`Gen`. Person and place values come from the
library's safe generators (:mod:`healthcare_data.fakes`, :mod:`healthcare_data.identifiers`),
shared within one row, so a row's city, state, ZIP, area code and coordinates belong
together and its e-mail matches its name.

Every generator can also produce *distinct* values by construction from the row index
(:meth:`Gen.unique`): an index suffix, a permutation, or a counted pattern. No retry
loops, so a UNIQUE column stays unique at any row count up to ``capacity``.
"""

from __future__ import annotations

import json
import re
import uuid as uuidlib
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from healthcare_data import fakes, identifiers
from healthcare_data.anyschema.patterns import Pattern, Permutation
from healthcare_data.anyschema.plan import ColumnPlan, TablePlan
from healthcare_data.errors import ConfigurationError, UnknownNameError
from healthcare_data.randomness import Randomness, Weighted

INT_BOUNDS = {
    "tinyint": (-128, 127),
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}
STRING_TYPES = ("varchar", "char", "text")
INTEGER_TYPES = ("tinyint", "smallint", "integer", "bigint")
NUMERIC_TYPES = (*INTEGER_TYPES, "decimal", "float")
PERSON_TABLES = re.compile(
    r"employee|user|patient|person|people|author|customer|member|contact|staff|doctor|physician|"
    r"provider|student|manager|owner|account_holder|client|agent|driver|traveler|guest"
)
WORDS = (
    "alpha",
    "beacon",
    "cedar",
    "delta",
    "ember",
    "falcon",
    "garnet",
    "harbor",
    "iris",
    "juniper",
    "kestrel",
    "lumen",
    "maple",
    "nova",
    "onyx",
    "prairie",
    "quartz",
    "river",
    "summit",
    "tundra",
    "umber",
    "vista",
    "willow",
    "zephyr",
)
COMPANY_SUFFIXES = ("Group", "Labs", "Partners", "Health", "Systems", "Works", "Clinic", "Logistics")
COLORS = ("red", "green", "blue", "orange", "purple", "teal", "black", "white", "gray", "yellow")
CURRENCIES = ("USD", "EUR", "GBP", "CAD", "JPY", "AUD")
TIMEZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "UTC")
STATUS_WORDS = ("active", "inactive", "pending")
EPOCH = datetime(2020, 1, 1)
#: Columns left out of the INSERT: the database computes them or fills its DEFAULT.
NOT_WRITTEN = ("computed", "database_default")

# name pattern -> generator, tried in order on the lower-cased column name (string columns)
TEXT_MEANINGS: tuple[tuple[str, str], ...] = (
    (r"e_?mail", "email"),
    (r"phone|mobile|(^|_)fax|(^|_)tel(ephone)?($|_)|(^|_)cell($|_)", "phone"),
    (r"^(first|given|fore)_?name$|^fname$", "first_name"),
    (r"^(last|family|sur)_?name$|^lname$|surname", "last_name"),
    (r"(^|_)npi(_|$)", "npi"),
    (r"(^|_)ssn(_|$)|social_?security", "ssn"),
    (r"icd|diagnosis_code|(^|_)dx(_code)?$", "icd10"),
    (r"diagnosis(_description)?$", "icd10_text"),
    (r"street|address_?line|^addr(ess)?_?1$", "street"),
    (r"city|town", "city"),
    (r"(^|_)state($|_code)|province", "state"),
    (r"zip|postal|postcode", "zip"),
    (r"country", "country"),
    (r"(^|_)address$", "address"),
    (r"user_?name|login|handle", "username"),
    (r"(^|_)(full_?|display_?|contact_?)?name$", "name"),
    (r"url|website|homepage|link", "url"),
    (r"(^|_)ip(_address)?$", "ip"),
    (r"uuid|guid", "uuid"),
    (r"colou?r", "color"),
    (r"currency", "currency"),
    (r"time_?zone|(^|_)tz$", "timezone"),
    (r"gender|(^|_)sex$", "gender"),
    (r"status|state$", "status"),
    (r"password|hash|token|secret|checksum", "hex"),
    (r"sku|serial|(^|_)code$|_code$|(^|_)ref(erence)?(_|$)|_number$|_no$|(^|_)mrn$", "code"),
    (r"title|subject|headline|label", "title"),
    (r"description|notes?$|comment|body|content|text|bio|summary|message|remarks", "sentence"),
)
NUMBER_MEANINGS: tuple[tuple[str, str], ...] = (
    (r"(^|_)lat(itude)?$", "latitude"),
    (r"(^|_)(lon|lng|long|longitude)$", "longitude"),
    (r"salary|wage|income", "salary"),
    (r"amount|price|cost|total|balance|fee|charge|payment|revenue|budget|spend", "money"),
    (r"quantity|(^|_)qty$|_count$|^count$", "quantity"),
    (r"(^|_)age$", "age"),
    (r"rating|score|stars", "rating"),
    (r"percent|pct|ratio", "percent"),
    (r"(^|_)year$", "year"),
    (r"duration|minutes|seconds", "duration"),
)
DATE_MEANINGS: tuple[tuple[str, str], ...] = (
    (r"birth|(^|_)dob$", "birth_date"),
    (r"created|updated|modified|_at$|timestamp|recorded|logged|occurred", "past_datetime"),
)


# --- values shared within one row ---------------------------------------------------------------


def _person(rng: Randomness, row: dict[str, Any]) -> tuple[str, str]:
    person = row.get("_person")
    if person is None:
        gender = row.get("_gender") or ("female" if rng.random.random() < 0.5 else "male")
        person = row["_person"] = (fakes.first_name(rng, gender), fakes.last_name(rng))
    return person


def _place(rng: Randomness, row: dict[str, Any]) -> fakes.Place:
    place = row.get("_place")
    if place is None:
        place = row["_place"] = fakes.place(rng)
    return place


@cache
def _coordinates(state: str) -> dict[str, tuple[float, float]]:
    """ZIP -> (lat, long) of one state, from the same ZIP data as the addresses."""
    import zipcodes

    rows = zipcodes.filter_by(state=state, zip_code_type="STANDARD", active=True)
    return {r["zip_code"]: (float(r["lat"]), float(r["long"])) for r in rows}


@cache
def icd10_codes(max_length: int = 8) -> tuple[str, ...]:
    """Billable (leaf) ICD-10-CM codes with dots, from simple-icd-10-cm, that fit ``max_length``.

    A code is a leaf when no other code extends it (``A00.0`` extends ``A00``): one sort
    instead of the package's per-code ``is_leaf`` (0.4 s instead of 10+ s; the test
    suite checks both agree).
    """
    import simple_icd_10_cm as cm

    codes = sorted(c for c in cm.get_all_codes(True) if "-" not in c and c[0].isalpha())
    leaves = [c for c, after in zip(codes, [*codes[1:], ""], strict=True) if not after.startswith(c)]
    return tuple(c for c in leaves if len(c) <= max_length)


# --- the generator base ------------------------------------------------------------------------------


class Gen:
    """Values for one column: ``draw`` (random), ``unique`` (distinct by index), ``at`` (index only)."""

    capacity: int | None = None  # distinct values available; None: practically unbounded

    def draw(self, i: int, rng: Randomness, row: dict[str, Any]) -> Any:
        return self.at(i)

    def unique(self, i: int, rng: Randomness, row: dict[str, Any]) -> Any:
        return self.at(i)

    def at(self, i: int) -> Any:
        raise ConfigurationError(f"generator {type(self).__name__} cannot derive a value from the row index")


class Fixed(Gen):
    def __init__(self, value: Any) -> None:
        self.value = value
        self.capacity = 1

    def at(self, i: int) -> Any:
        return self.value


class Choice(Gen):
    """One of a list (optionally weighted); unique walks the list once in a scrambled order."""
    capacity: int  # always finite here

    def __init__(self, values: list[Any] | dict[Any, float], salt: int) -> None:
        weights = values if isinstance(values, dict) else dict.fromkeys(values, 1.0)
        if not weights:
            raise ConfigurationError("choices must list at least one value")
        self.options = list(weights)
        self.table = Weighted(weights)
        self.capacity = len(self.options)
        self.perm = Permutation(self.capacity, salt)
        self.uniform = len(set(weights.values())) == 1

    def draw(self, i: int, rng: Randomness, row: dict[str, Any]) -> Any:
        if self.uniform:
            return self.options[rng.random.randrange(self.capacity)]
        return rng.weighted(self.table)

    def at(self, i: int) -> Any:
        return self.options[self.perm(i)] if i < self.capacity else _exhausted(self, i)


def _exhausted(gen: Gen, i: int) -> Any:
    raise ConfigurationError(
        f"{type(gen).__name__} has {gen.capacity} distinct values; row {i + 1} needs more"
    )


class PatternGen(Gen):
    def __init__(self, text: str, salt: int) -> None:
        self.pattern = Pattern(text, salt)
        self.capacity = self.pattern.capacity

    def draw(self, i: int, rng: Randomness, row: dict[str, Any]) -> Any:
        return self.pattern.draw(rng)

    def at(self, i: int) -> Any:
        return self.pattern.at(i)


class Integer(Gen):
    capacity: int  # always finite here
    def __init__(self, low: int, high: int, salt: int, sequence: bool = False) -> None:
        if low > high:
            raise ConfigurationError(f"integer range [{low}, {high}] is empty")
        self.low, self.high, self.sequence = low, high, sequence
        self.capacity = high - low + 1
        self.perm = Permutation(self.capacity, salt)

    def draw(self, i: int, rng: Randomness, row: dict[str, Any]) -> Any:
        return rng.random.randint(self.low, self.high)

    def at(self, i: int) -> Any:
        if i >= self.capacity:
            return _exhausted(self, i)
        return self.low + (i if self.sequence else self.perm(i))


class Number(Gen):
    """Decimal (fixed scale) or float in a range; unique by stepping the smallest unit."""
    capacity: int  # always finite here

    def __init__(self, low: float, high: float, scale: int | None, salt: int) -> None:
        self.low, self.high, self.scale = low, high, scale
        step = 10 ** -(scale if scale is not None else 2)
        self.step = step
        self.capacity = max(1, int((high - low) / step) + 1)
        self.perm = Permutation(self.capacity, salt)
        self.quantum = Decimal(1).scaleb(-scale) if scale is not None else None

    def _out(self, value: float) -> Any:
        value = min(max(value, self.low), self.high)
        if self.quantum is None:
            return round(value, 6)
        result = Decimal(repr(value)).quantize(self.quantum)
        if result > Decimal(repr(self.high)):  # rounding up past the top of the range
            result -= self.quantum
        if result < Decimal(repr(self.low)):
            result += self.quantum
        return result

    def draw(self, i: int, rng: Randomness, row: dict[str, Any]) -> Any:
        return self._out(rng.random.uniform(self.low, self.high))

    def at(self, i: int) -> Any:
        return self._out(self.low + self.perm(i) * self.step) if i < self.capacity else _exhausted(self, i)


class Moment(Gen):
    """Dates or datetimes in [low, high]; unique ones count days (dates) or minutes (datetimes)."""
    capacity: int  # always finite here

    def __init__(self, low: datetime, high: datetime, kind: str) -> None:
        self.low, self.high, self.kind = low, high, kind
        self.seconds = max(0, int((high - low).total_seconds()))
        unit = 86400 if kind == "date" else 60
        self.unit = unit
        self.capacity = self.seconds // unit + 1

    def _out(self, moment: datetime) -> Any:
        return moment.date() if self.kind == "date" else moment

    def draw(self, i: int, rng: Randomness, row: dict[str, Any]) -> Any:
        return self._out(self.low + timedelta(seconds=rng.random.randint(0, self.seconds)))

    def at(self, i: int) -> Any:
        if i >= self.capacity:
            return _exhausted(self, i)
        return self._out(self.low + timedelta(seconds=i * self.unit))


class After(Gen):
    """A value >= another column of the same row (CHECK end_date >= start_date)."""

    def __init__(self, column: str, kind: str, strict: bool, span: float) -> None:
        self.column, self.kind, self.strict, self.span = column, kind, strict, span

    def draw(self, i: int, rng: Randomness, row: dict[str, Any]) -> Any:
        base = row.get(self.column)
        if base is None:
            return None
        gap = rng.random.random() * self.span
        if self.kind == "date":
            return base + timedelta(days=int(gap) + (1 if self.strict else 0))
        if self.kind == "datetime":
            return base + timedelta(minutes=int(gap * 24 * 60) + (1 if self.strict else 0))
        if isinstance(base, Decimal):
            return base + Decimal(int(gap * 100) + (1 if self.strict else 0)) / 100
        if isinstance(base, int):
            return base + int(gap) + (1 if self.strict else 0)
        return base + gap + (0.01 if self.strict else 0.0)


class Func(Gen):
    """A generator from two functions: a random draw and (optionally) a distinct-by-index one."""

    def __init__(self, draw: Any, unique: Any = None, at: Any = None, capacity: int | None = None) -> None:
        self._draw, self._unique, self._at, self.capacity = draw, unique, at, capacity

    def draw(self, i: int, rng: Randomness, row: dict[str, Any]) -> Any:
        return self._draw(i, rng, row)

    def unique(self, i: int, rng: Randomness, row: dict[str, Any]) -> Any:
        if self._unique is not None:
            return self._unique(i, rng, row)
        return self.at(i)

    def at(self, i: int) -> Any:
        if self._at is None:
            return super().at(i)
        return self._at(i)


def _fit(prefix: str, suffix: str, length: int | None) -> str:
    """``prefix + suffix`` cut to ``length`` by shortening the prefix (the suffix keeps it unique)."""
    if length is None or len(prefix) + len(suffix) <= length:
        return prefix + suffix
    return prefix[: max(0, length - len(suffix))] + suffix


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, d = divmod(n, 36)
        out = digits[d] + out
        if not n:
            return out


# --- the catalogue -------------------------------------------------------------------------------------


def _text_code(column: ColumnPlan, salt: int) -> Gen:
    width = min(column.length or 10, 10)
    if width <= 4:
        return PatternGen(f"{{a:{width}}}", salt)
    letters = min(3, max(0, width - 4))
    digits = width - (letters + 1 if letters else 0)
    pattern = (f"{{l:{letters}}}-" if letters else "") + f"{{d:{digits}}}"
    return PatternGen(pattern, salt)


def _catalogue(column: ColumnPlan, table: TablePlan, salt: int, today: date) -> dict[str, Any]:
    """name -> zero-argument builder of that generator for this column."""
    length = column.length
    person_table = bool(PERSON_TABLES.search(table.name.lower()))
    bounds = list(column.range or [None, None])
    if len(bounds) != 2:
        raise ConfigurationError(
            f"column {table.name}.{column.name}: range {column.range!r} must be [min, max]"
        )
    low, high = bounds
    today_dt = datetime.combine(today, time())

    def email_gen() -> Gen:
        def local(rng: Randomness, row: dict[str, Any]) -> str:
            first, last = _person(rng, row)
            return re.sub(r"[^a-z0-9.]", "", f"{first}.{last}".lower())

        domains = fakes.SAFE_EMAIL_DOMAINS
        return Func(
            lambda i, rng, row: _fit(
                local(rng, row), f"{rng.random.randint(1, 999)}@{rng.choice(domains)}", length
            ),
            lambda i, rng, row: _fit(local(rng, row), f".{_base36(i + 1)}@{domains[i % 3]}", length),
            lambda i: _fit("user", f".{_base36(i + 1)}@{domains[i % 3]}", length),
        )

    def name_gen() -> Gen:
        if person_table:
            return Func(
                lambda i, rng, row: " ".join(_person(rng, row)),
                lambda i, rng, row: _fit(" ".join(_person(rng, row)), f" {i + 1}", length),
            )
        company = lambda rng: f"{fakes.last_name(rng)} {rng.choice(COMPANY_SUFFIXES)}"  # noqa: E731
        return Func(
            lambda i, rng, row: company(rng),
            lambda i, rng, row: _fit(company(rng), f" {i + 1}", length),
            lambda i: _fit(f"{WORDS[i % len(WORDS)].title()} {COMPANY_SUFFIXES[i % 8]}", f" {i + 1}", length),
        )

    def username_gen() -> Gen:
        def base(rng: Randomness, row: dict[str, Any]) -> str:
            first, last = _person(rng, row)
            return re.sub(r"[^a-z0-9]", "", (first[0] + last).lower())

        return Func(
            lambda i, rng, row: _fit(base(rng, row), str(rng.random.randint(1, 99)), length),
            lambda i, rng, row: _fit(base(rng, row), f"_{_base36(i + 1)}", length),
            lambda i: _fit("user", f"_{_base36(i + 1)}", length),
        )

    def place_part(part: str) -> Gen:
        return Func(lambda i, rng, row: getattr(_place(rng, row), part))

    def coordinate(index: int, bound: float) -> Gen:
        lo = float(low) if low is not None else -bound
        hi = float(high) if high is not None else bound
        uniform = Number(lo, hi, column.scale if column.scale is not None else 6, salt)

        def draw(i: int, rng: Randomness, row: dict[str, Any]) -> Any:
            place = _place(rng, row)
            point = _coordinates(place.state).get(place.zip)
            if point is None or not lo <= point[index] <= hi:
                return uniform.draw(i, rng, row)
            return uniform._out(point[index])

        return Func(draw, capacity=None, at=uniform.at)

    def icd10_gen(describe: bool) -> Gen:
        codes = icd10_codes(min(length or 8, 8))
        if not codes:
            raise ConfigurationError(
                f"column {column.name!r} ({length} chars) is too short for an ICD-10-CM code"
            )
        if describe:
            import simple_icd_10_cm as cm

            return Func(lambda i, rng, row: _cut(cm.get_description(rng.choice(codes)), length))
        perm = Permutation(len(codes), salt)
        return Func(lambda i, rng, row: rng.choice(codes), at=lambda i: codes[perm(i)], capacity=len(codes))

    def numeric(default_low: float, default_high: float) -> Gen:
        lo = low if low is not None else default_low
        hi = high if high is not None else default_high
        if hi < lo:  # a CHECK's lower bound above the usual values: keep the usual spread above it
            hi = lo + (default_high - default_low)
        type_low, type_high = type_bounds(column)
        lo, hi = max(lo, type_low), min(hi, type_high)
        if hi < lo:
            lo, hi = max(type_low, 0), type_high
        if column.type in INTEGER_TYPES:
            return Integer(int(lo), int(hi), salt)
        return Number(float(lo), float(hi), column.scale if column.type == "decimal" else None, salt)

    def moment(default_low: datetime, default_high: datetime) -> Gen:
        lo, hi = _as_datetime(low) or default_low, _as_datetime(high) or default_high
        return Moment(lo, hi, "date" if column.type == "date" else "datetime")

    def words(count: int) -> Gen:
        return Func(
            lambda i, rng, row: _cut(" ".join(rng.choice(WORDS) for _ in range(count)).capitalize(), length),
            lambda i, rng, row: _fit(
                " ".join(rng.choice(WORDS) for _ in range(count)).capitalize(), f" {_base36(i + 1)}", length
            ),
            lambda i: _fit(WORDS[i % len(WORDS)].capitalize(), f" {_base36(i + 1)}", length),
        )

    def array_gen() -> Gen:
        """0-3 elements (1-3 when NOT NULL) of the element type, chosen by the column's name."""
        item = ColumnPlan(column.name, column.items if column.items not in (None, "array") else "text")
        item.generator = detect(table, item)[0]
        element = build(item, table, salt, today)
        fewest = 0 if column.nullable else 1

        def draw(i: int, rng: Randomness, row: dict[str, Any]) -> list[Any]:
            return [element.draw(i, rng, {}) for _ in range(rng.random.randint(fewest, 3))]

        return Func(draw, at=lambda i: [element.at(i)])

    return {
        "email": email_gen,
        "phone": lambda: Func(lambda i, rng, row: fakes.phone(rng, _place(rng, row).area_code), capacity=100),
        "first_name": lambda: Func(lambda i, rng, row: _cut(_person(rng, row)[0], length)),
        "last_name": lambda: Func(lambda i, rng, row: _cut(_person(rng, row)[1], length)),
        "name": name_gen,
        "username": username_gen,
        "street": lambda: Func(lambda i, rng, row: _cut(fakes.street(rng), length)),
        "city": lambda: place_part("city"),
        "state": lambda: place_part("state"),
        "zip": lambda: place_part("zip"),
        "country": lambda: Fixed("US" if (length or 99) < 13 else "United States"),
        "address": lambda: Func(
            lambda i, rng, row: _cut(_address(fakes.street(rng), _place(rng, row)), length)
        ),
        "latitude": lambda: coordinate(0, 90.0),
        "longitude": lambda: coordinate(1, 180.0),
        "npi": lambda: Func(lambda i, rng, row: identifiers.npi(i + 1), at=lambda i: identifiers.npi(i + 1)),
        "ssn": lambda: Func(lambda i, rng, row: identifiers.ssn(i + 1), at=lambda i: identifiers.ssn(i + 1)),
        "icd10": lambda: icd10_gen(False),
        "icd10_text": lambda: icd10_gen(True),
        "url": lambda: Func(
            lambda i, rng, row: _cut(
                f"https://www.example.com/{rng.choice(WORDS)}/{rng.random.randint(1, 9999)}", length
            ),
            at=lambda i: _fit("https://www.example.com/", _base36(i + 1), length),
        ),
        "ip": lambda: Func(
            lambda i, rng, row: f"192.0.2.{rng.random.randint(1, 254)}",
            at=lambda i: f"198.51.100.{i + 1}" if i < 254 else _exhausted(Fixed(None), i),
            capacity=254,
        ),
        "uuid": lambda: Func(lambda i, rng, row: rng.uuid4(), at=lambda i: _uuid(salt, i)),
        "color": lambda: Choice(list(COLORS), salt),
        "currency": lambda: Choice(list(CURRENCIES), salt),
        "timezone": lambda: Choice(list(TIMEZONES), salt),
        "gender": lambda: Choice(_fit_choices(["female", "male", "other"], length), salt),
        "status": lambda: Choice(_fit_choices(list(STATUS_WORDS), length), salt),
        "hex": lambda: PatternGen(f"{{h:{min(length or 32, 64)}}}", salt),
        "code": lambda: _text_code(column, salt),
        "title": lambda: words(3),
        "sentence": lambda: words(8),
        "text": lambda: words(2),
        "salary": lambda: numeric(30000, 250000),
        "money": lambda: numeric(10, 1000),
        "quantity": lambda: numeric(1, 20),
        "age": lambda: numeric(0, 100),
        "rating": lambda: numeric(1, 5),
        "percent": lambda: numeric(0, 100),
        "year": lambda: numeric(1950, today.year),
        "duration": lambda: numeric(5, 120),
        "integer": lambda: numeric(1, 1000),
        "decimal": lambda: numeric(0, 1000),
        "float": lambda: numeric(0, 1000),
        "sequence": lambda: Integer(
            int(low if low is not None and low > 0 else 1),  # 0 would ask MySQL for AUTO_INCREMENT
            int(high if high is not None else 2**31 - 1),
            salt,
            sequence=True,
        ),
        "boolean": lambda: Func(
            lambda i, rng, row: rng.random.random() < 0.5, at=lambda i: i % 2 == 1, capacity=2
        ),
        "birth_date": lambda: moment(today_dt - timedelta(days=365 * 95), today_dt - timedelta(days=1)),
        "past_datetime": lambda: moment(today_dt - timedelta(days=3 * 365), today_dt),
        "date": lambda: moment(today_dt - timedelta(days=2 * 365), today_dt + timedelta(days=365)),
        "datetime": lambda: moment(today_dt - timedelta(days=2 * 365), today_dt + timedelta(days=365)),
        "time": lambda: Func(
            lambda i, rng, row: time(rng.random.randint(0, 23), rng.random.choice((0, 15, 30, 45))),
            at=lambda i: time(i // 60 % 24, i % 60) if i < 1440 else _exhausted(Fixed(None), i),
            capacity=1440,
        ),
        "json": lambda: Func(
            lambda i, rng, row: json.dumps({"key": rng.choice(WORDS), "value": rng.random.randint(0, 99)}),
            at=lambda i: json.dumps({"id": i + 1}),
        ),
        "binary": lambda: Func(
            lambda i, rng, row: rng.random.randbytes(8), at=lambda i: (i + 1).to_bytes(8, "big")
        ),
        "null": lambda: Fixed(None),
        "array": array_gen,
    }


GENERATORS: tuple[str, ...] = tuple(
    sorted(
        _catalogue(ColumnPlan("x", "text"), TablePlan("t", {}), 0, date(2026, 1, 1)).keys()
        | {"choice", "pattern", "foreign_key", *NOT_WRITTEN, "unsupported"}
    )
)


def _address(street: str, place: fakes.Place) -> str:
    return f"{street}, {place.city}, {place.state} {place.zip}"


def _uuid(salt: int, i: int) -> str:
    """A version-4 UUID whose low 62 bits are an odd-multiplier scramble of the row index.

    Multiplying by an odd number is a bijection modulo 2**62, so distinct rows get
    distinct UUIDs by construction; the version and variant bits sit above those 62.
    """
    high = (salt * 0x9E3779B97F4A7C15) & (2**64 - 1)
    low = (i * 0xD6E8FEB86659FD93 + salt) & (2**62 - 1)
    return str(uuidlib.UUID(int=(high << 64) | low, version=4))


def _cut(value: str, length: int | None) -> str:
    return value if length is None else value[:length]


def _fit_choices(values: list[str], length: int | None) -> list[str]:
    return list(dict.fromkeys(_cut(v, length) for v in values))


def _as_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise ConfigurationError(f"range bound {value!r} is not a date; use YYYY-MM-DD") from None


# --- choosing a generator ------------------------------------------------------------------------------


def type_bounds(column: ColumnPlan) -> tuple[float, float]:
    """The values a numeric column can hold: integer widths, DECIMAL(p, s) digits."""
    if column.type in INT_BOUNDS:
        return INT_BOUNDS[column.type]
    if column.type == "decimal" and column.precision:
        top = 10 ** (column.precision - (column.scale or 0)) - 10 ** -(column.scale or 0)
        return -top, top
    return -1e15, 1e15


def type_fallback(column: ColumnPlan) -> str:
    """The type-correct generator for a column whose meaning is unknown."""
    return {
        "tinyint": "integer",
        "smallint": "integer",
        "integer": "integer",
        "bigint": "integer",
        "decimal": "decimal",
        "float": "float",
        "boolean": "boolean",
        "date": "date",
        "datetime": "datetime",
        "time": "time",
        "uuid": "uuid",
        "json": "json",
        "binary": "binary",
        "array": "array",
    }.get(column.type, "text")


def detect(table: TablePlan, column: ColumnPlan) -> tuple[str, str | None]:
    """The generator for ``column`` and, when its meaning is unknown, a note saying so."""
    name = column.name.lower()
    if column.choices:
        return "choice", None
    if column.primary_key and column.type in INTEGER_TYPES and len(table.primary_key) == 1:
        return "sequence", None
    if column.type in STRING_TYPES:
        for regex, generator in TEXT_MEANINGS:
            if re.search(regex, name):
                if generator == "uuid" and (column.length or 36) < 36:
                    continue
                return generator, None
        if column.primary_key or column.unique:
            return "code", None
    elif column.type in NUMERIC_TYPES:
        for regex, generator in NUMBER_MEANINGS:
            if re.search(regex, name):
                return generator, None
        if column.after:
            return "integer", None
    elif column.type in ("date", "datetime"):
        for regex, generator in DATE_MEANINGS:
            if re.search(regex, name):
                return generator, None
    elif column.type == "uuid":
        return "uuid", None
    fallback = type_fallback(column)
    if column.type in ("date", "datetime", "boolean", "time", "uuid", "json", "binary", "array"):
        return fallback, None
    return fallback, f"no known meaning: type-correct {column.type} values ({fallback})"


def build(column: ColumnPlan, table: TablePlan, salt: int, today: date) -> Gen:
    """The generator a plan entry asks for: pattern, then choices, then the generator name."""
    if column.pattern:
        return PatternGen(column.pattern, salt)
    if column.choices:
        return Choice(column.choices, salt)
    if column.generator == "unsupported":
        shown = (column.note or "").split(":")[0].removeprefix("unsupported type ") or column.type
        raise ConfigurationError(
            f"column {table.name}.{column.name} is NOT NULL of type {shown}, which the filler cannot "
            "generate; give it a pattern or choices in a plan (healthcare-data introspect -o plan.yaml), "
            "a DEFAULT, or allow NULL"
        )
    catalogue = _catalogue(column, table, salt, today)
    if column.generator in ("choice", "pattern"):
        raise ConfigurationError(
            f"column {table.name}.{column.name}: generator {column.generator!r} needs "
            f"{'choices' if column.generator == 'choice' else 'pattern'} in the plan"
        )
    if column.generator not in catalogue:
        raise UnknownNameError("generator", column.generator, GENERATORS)
    return catalogue[column.generator]()
