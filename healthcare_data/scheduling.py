"""Calendars, business hours, scheduling constraints and conflict detection.

A provider's calendar is a map from day (``date.toordinal()``) to a 96-bit integer,
one bit per 15-minute slot of the day. Checking or booking a slot is a couple of bit
operations (O(1) per provider-day), finding a free slot that satisfies the
constraints is an AND of precomputed masks, so the bulk engine can schedule millions
of appointments. Appointments that do not sit on the 15-minute grid (e.g. loaded from
the database) occupy every slot they touch: conservative, never a double booking.

Scheduling constraints (``CONSTRAINTS``) are declarative data. Each one can both
*generate* candidate slots (through :meth:`Scheduler.find_slot`) and *check* a stored
appointment (:meth:`SchedulingConstraint.check`), so a test can verify a preference on
rows read back from the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from healthcare_data.errors import ConfigurationError, SchedulingConflictError
from healthcare_data.personas import PatientPersona, get_persona
from healthcare_data.randomness import Randomness, resolve
from healthcare_data.reference import APPOINTMENT_TYPES, SPECIALTIES
from healthcare_data.registry import Registry

if TYPE_CHECKING:  # generation never reads a database: SQLAlchemy loads on load_existing only
    from sqlalchemy.engine import Connection

SLOT_MINUTES = 15
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES
VISIT_MODES: tuple[str, ...] = ("in_person", "telemedicine")


HOLIDAY_TABLE = "us_federal_holidays.tsv"


@cache
def _holiday_table() -> tuple[range, dict[date, str]]:
    """(years covered, holiday by date) of reference/us_federal_holidays.tsv.

    Why a table: ``holidays.country_holidays("US")`` imports every country module of the
    package (~0.1-0.16 s per process); scripts/build_holiday_table.py writes the package's
    US dates once and tests/test_holiday_table.py checks they still match it.
    """
    from importlib import resources

    text = resources.files("healthcare_data.reference").joinpath(HOLIDAY_TABLE).read_text("utf-8")
    lines = text.splitlines()
    first, last = (int(y) for y in lines[1].rsplit(" ", 1)[1].split("-"))
    found = {date.fromisoformat(day): name for day, name in (line.split("\t") for line in lines[2:])}
    return range(first, last + 1), found


@cache
def _us_holidays(year: int) -> dict[date, str]:
    years, table = _holiday_table()
    if year in years:
        return {day: name for day, name in table.items() if day.year == year}
    import holidays

    return dict(holidays.country_holidays("US", years=year))


def us_federal_holiday(day: date) -> str | None:
    """The US federal holiday on ``day``, or None: the ``holidays`` package's US dates,
    read from reference/us_federal_holidays.tsv for the years it covers."""
    return _us_holidays(day.year).get(day)


@cache
@lru_cache(maxsize=1 << 16)
def _open_on(weekdays: frozenset[int], skip_holidays: bool, ordinal: int) -> bool:
    """Cached: a booking probes one to a few days and the holiday rules cost ~3 µs a day."""
    day = date.fromordinal(ordinal)
    return day.weekday() in weekdays and not (skip_holidays and us_federal_holiday(day))


@dataclass(frozen=True)
class BusinessHours:
    """Opening hours: an appointment must start at or after ``open`` and END by ``close``.

    Business days are the ``weekdays`` minus US federal holidays (``skip_holidays``):
    a clinic is closed on Thanksgiving even though it is a Thursday.
    """

    open_minute: int = 8 * 60
    close_minute: int = 17 * 60
    weekdays: frozenset[int] = frozenset(range(5))  # Monday=0 .. Friday=4
    skip_holidays: bool = True

    def is_business_day(self, day: date | int) -> bool:
        """True on an opening weekday that is not a US federal holiday (``day``: date or ordinal)."""
        ordinal = day if isinstance(day, int) else day.toordinal()
        return _open_on(self.weekdays, self.skip_holidays, ordinal)

    def contains(self, start: datetime, duration: int) -> bool:
        """True when ``[start, start+duration)`` lies inside one business day."""
        minute = start.hour * 60 + start.minute
        return (
            self.is_business_day(start.toordinal())
            and start.second == 0
            and minute >= self.open_minute
            and minute + duration <= self.close_minute
        )

    def describe(self) -> str:
        days = "Mon-Fri" if self.weekdays == frozenset(range(5)) else str(sorted(self.weekdays))
        if self.skip_holidays:
            days += " except US federal holidays"
        return (
            f"{days} {self.open_minute // 60:02d}:{self.open_minute % 60:02d}-"
            f"{self.close_minute // 60:02d}:{self.close_minute % 60:02d}, ending by closing time"
        )


BUSINESS_HOURS = BusinessHours()


def appointment_duration(appointment_type: str) -> int:
    """Booked length in minutes of ``appointment_type`` (reference/appointment_types.toml)."""
    return APPOINTMENT_TYPES.get(appointment_type).duration_minutes


def allowed_types(specialty: str) -> tuple[str, ...]:
    """Appointment types a provider of ``specialty`` may be booked for."""
    return SPECIALTIES.get(specialty).appointment_types


def specialties_allowing(appointment_type: str) -> list[str]:
    """Specialties whose providers may take ``appointment_type`` (for recovery hints)."""
    return [name for name, s in SPECIALTIES.items() if s.allows(appointment_type)]


def recommend_specialties(appointment_type: str, persona: PatientPersona | str | None = None) -> list[str]:
    """Specialties that may take ``appointment_type``, best first for ``persona``.

    The persona's typical specialties come first, in the persona's order (a child's
    Vaccination goes to Pediatrics before Family Medicine), then every other allowed
    specialty in reference order. Used to recommend a provider after a specialty mismatch.
    """
    APPOINTMENT_TYPES.get(appointment_type)  # UnknownNameError naming the valid types
    allowed = specialties_allowing(appointment_type)
    typical = get_persona(persona).typical_specialties if persona is not None else ()
    first = [name for name in typical if name in allowed]
    return first + [name for name in allowed if name not in first]


def add_business_days(day: date, count: int, hours: BusinessHours = BUSINESS_HOURS) -> date:
    """The date ``count`` business days after ``day``."""
    current = day
    while count > 0:
        current += timedelta(days=1)
        if hours.is_business_day(current):
            count -= 1
    return current


def _minute_of_day(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def as_datetime(value: Any) -> datetime:
    """A datetime from a datetime, date or ISO string (rows read back with raw SQL)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time())
    return datetime.fromisoformat(str(value))


@dataclass(frozen=True)
class SchedulingConstraint:
    """A declarative scheduling preference or rule.

    Time-of-day rules: ``start_window`` (start minute in ``[a, b)``) and ``avoid`` (the
    visit must not overlap ``[a, b)``). Day rules, relative to the booking date
    ``today``: ``min_days_ahead`` and ``max_business_days_ahead``. ``interval_weeks``
    makes a recurring series (± ``interval_tolerance_days``). ``visit_mode`` forces how
    the visit is held (telemedicine needs a type that allows it).
    """

    name: str
    description: str
    start_window: tuple[int, int] | None = None
    avoid: tuple[int, int] | None = None
    min_days_ahead: int | None = None
    max_business_days_ahead: int | None = None
    interval_weeks: int | None = None
    interval_tolerance_days: int = 3
    visit_mode: str | None = None

    def __hash__(self) -> int:
        """The dataclass hash (of every field), computed once: every booking looks its
        constraints up in the start-mask cache, and rehashing nine fields each time was
        ~5% of generating an appointment."""
        found: int | None = self.__dict__.get("_hash")
        if found is None:
            found = hash(tuple(getattr(self, f.name) for f in fields(self)))
            object.__setattr__(self, "_hash", found)
        return found

    def time_ok(self, minute: int, duration: int) -> bool:
        """Whether a visit starting at ``minute`` (of the day) for ``duration`` fits."""
        if self.start_window is not None and not (
            self.start_window[0] <= minute < self.start_window[1]
        ):
            return False
        if self.avoid is not None and minute < self.avoid[1] and minute + duration > self.avoid[0]:
            return False
        return True

    def day_bounds(
        self, low: date, high: date, today: date, previous: datetime | None = None
    ) -> tuple[date, date]:
        """Narrow the candidate day range ``[low, high]`` to what this constraint allows."""
        if self.min_days_ahead is not None:
            low = max(low, today + timedelta(days=self.min_days_ahead))
        if self.max_business_days_ahead is not None:
            low = max(low, today + timedelta(days=1))
            high = min(high, add_business_days(today, self.max_business_days_ahead))
        if self.interval_weeks is not None and previous is not None:
            target = previous.date() + timedelta(weeks=self.interval_weeks)
            low = max(low, target - timedelta(days=self.interval_tolerance_days))
            high = min(high, target + timedelta(days=self.interval_tolerance_days))
        return low, high

    def check(
        self, appointment: Any, today: date, previous: datetime | date | str | None = None
    ) -> bool:
        """Does a stored appointment (dict or ORM row) satisfy this constraint?

        ``today`` is the date it was booked on. For ``regular_interval`` pass the
        patient's previous appointment as ``previous``; without one the appointment
        must carry the recurrence marker its draft writes into ``notes``.
        """
        row = _row_view(appointment)
        start = as_datetime(row["appointment_date"])
        duration = int(row.get("duration_minutes") or 0)
        if not self.time_ok(_minute_of_day(start), duration):
            return False
        low, high = self.day_bounds(date.min, date.max, today)
        if not low <= start.date() <= high:
            return False
        if self.interval_weeks is not None:
            if previous is None:
                return recurrence_note(self.interval_weeks) in (row.get("notes") or "")
            gap = (start.date() - as_datetime(previous).date()).days
            if abs(gap - 7 * self.interval_weeks) > self.interval_tolerance_days:
                return False
        if self.visit_mode is not None:
            if row.get("visit_mode") != self.visit_mode:
                return False
            kind = row.get("appointment_type")
            if self.visit_mode == "telemedicine" and not (
                kind in APPOINTMENT_TYPES and APPOINTMENT_TYPES.get(kind).telemedicine_allowed
            ):
                return False
        return True


def recurrence_note(interval_weeks: int) -> str:
    """The marker a recurring appointment carries in its notes."""
    return f"recurring every {interval_weeks} weeks"


def _row_view(row: Any) -> dict[str, Any]:
    if isinstance(row, dict):
        return row
    mapping = getattr(row, "_mapping", None)
    if mapping is not None:
        return dict(mapping)
    return {c: getattr(row, c, None) for c in _APPOINTMENT_FIELDS}


_APPOINTMENT_FIELDS = (
    "appointment_date",
    "duration_minutes",
    "appointment_type",
    "visit_mode",
    "notes",
    "status",
)

CONSTRAINTS: Registry[SchedulingConstraint] = Registry("scheduling constraint")
for _constraint in (
    SchedulingConstraint(
        "morning_preferred", "start before noon (12:00)", start_window=(8 * 60, 12 * 60)
    ),
    SchedulingConstraint(
        "evening_available",
        "latest slots of the day: start at 15:00 or later (and still end by 17:00)",
        start_window=(15 * 60, 17 * 60),
    ),
    SchedulingConstraint(
        "school_hours_avoided",
        "for school-age children: no overlap with school hours 08:30-15:00, "
        "i.e. end by 08:30 or start at 15:00 or later",
        avoid=(8 * 60 + 30, 15 * 60),
    ),
    SchedulingConstraint(
        "regular_interval",
        "recurring visit every 4 weeks (± 3 days) after the patient's previous one",
        interval_weeks=4,
    ),
    SchedulingConstraint(
        "telemedicine",
        "held by video (visit_mode 'telemedicine'); the type must allow telemedicine",
        visit_mode="telemedicine",
    ),
    SchedulingConstraint("routine", "booked at least 7 days ahead", min_days_ahead=7),
    SchedulingConstraint(
        "urgent", "within the next 2 business days", max_business_days_ahead=2
    ),
):
    CONSTRAINTS.register(_constraint.name, _constraint)


def resolve_constraints(
    constraints: str | Iterable[str | SchedulingConstraint] | None,
) -> tuple[SchedulingConstraint, ...]:
    """Constraint objects from names, objects, or a comma-separated string."""
    if not constraints:
        return ()
    if isinstance(constraints, str):
        constraints = [c for c in (p.strip() for p in constraints.split(",")) if c]
    return tuple(c if isinstance(c, SchedulingConstraint) else CONSTRAINTS.get(c) for c in constraints)


@cache
def _start_mask(
    duration: int, constraints: tuple[SchedulingConstraint, ...], hours: BusinessHours
) -> int:
    """Bit i set: a visit of ``duration`` may start at slot i (hours + time-of-day rules)."""
    mask = 0
    for slot in range(SLOTS_PER_DAY):
        minute = slot * SLOT_MINUTES
        if minute < hours.open_minute or minute + duration > hours.close_minute:
            continue
        if all(c.time_ok(minute, duration) for c in constraints):
            mask |= 1 << slot
    return mask


def check_positive(value: Any, what: str) -> int:
    """A duration or count must be a whole number >= 1 (ConfigurationError naming it)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"{what} must be a whole number >= 1, got {value!r}")
    return value


def _slots(duration: int) -> int:
    return max(1, -(-duration // SLOT_MINUTES))


@cache
def _span_mask(minute: int, duration: int) -> int:
    """Bits of the slots ``[minute, minute + duration)`` touches (at least one).

    Cached (minutes of a day x a few durations): every booking marks two calendars, and
    recomputing cost ~0.6 µs a call against ~0.1 µs for the lookup.
    """
    first = minute // SLOT_MINUTES
    last = min(SLOTS_PER_DAY, -(-(minute + max(duration, 1)) // SLOT_MINUTES))
    return ((1 << (last - first)) - 1) << first


def _fitting_starts(busy: int, start_mask: int, slots: int) -> int:
    free = ~busy
    fits = start_mask
    for shift in range(slots):
        fits &= free >> shift
    return fits


_ONE_DAY = timedelta(days=1)
_EMPTY: dict[int, int] = {}
_SLOT_OFFSETS: tuple[timedelta, ...] = tuple(
    timedelta(minutes=slot * SLOT_MINUTES) for slot in range(SLOTS_PER_DAY)
)
# (duration, constraints) -> start mask under the default BUSINESS_HOURS (a dict lookup is
# cheaper than functools.cache hashing the BusinessHours dataclass on every booking).
_DEFAULT_MASKS: dict[tuple[int, tuple[SchedulingConstraint, ...]], int] = {}


def _describe(constraints: Sequence[SchedulingConstraint]) -> str:
    return ", ".join(c.name for c in constraints) or "none"


def unmet_constraints(appointment: Any, names: Iterable[str], today: date) -> list[dict[str, Any]]:
    """Rows naming each of the constraints ``names`` the (stored) appointment does not satisfy."""
    row = _row_view(appointment)
    return [
        {"id": row.get("id"), "start": row.get("appointment_date"), "constraint": name,
         "rule": CONSTRAINTS.get(name).description, "visit_mode": row.get("visit_mode")}
        for name in names
        if not CONSTRAINTS.get(name).check(appointment, today)
    ]


def preference_levels(
    persona: PatientPersona | str, future: bool = True, video: bool = True
) -> tuple[tuple[str, ...], ...]:
    """The persona's scheduling preferences, then the fallbacks tried when they cannot be met.

    Day rules ('routine' = booked 7+ days ahead, 'urgent' = within 2 business days) are
    lead times relative to the booking date, *today*: they apply to visits in the future
    (``future``) and are left out for visits in the past part of a window. Time-of-day
    rules (morning, evening, school hours) and telemedicine apply to every visit.
    Fallbacks, when a calendar is full or the specialty has no video visit type: the
    time-of-day rules alone, then none. The appointment's notes list what was applied.
    ``video=False`` leaves the telemedicine rule out: one of the persona's in-person visits.
    """
    chosen = get_persona(persona)
    full = tuple(
        p
        for p in chosen.behavioral.scheduling_preferences
        if p in CONSTRAINTS and (video or CONSTRAINTS.get(p).visit_mode is None)
    )

    def is_day_rule(name: str) -> bool:
        constraint = CONSTRAINTS.get(name)
        return constraint.min_days_ahead is not None or constraint.max_business_days_ahead is not None

    undated = tuple(p for p in full if not is_day_rule(p))
    timed = tuple(p for p in undated if CONSTRAINTS.get(p).visit_mode is None)
    levels: list[tuple[str, ...]] = []
    for level in (full, undated, timed, ()) if future else (undated, timed, ()):
        if level not in levels:
            levels.append(level)
    return tuple(levels)


class Scheduler:
    """Per-provider calendars with O(1) conflict checks on a 15-minute grid."""

    def __init__(self, hours: BusinessHours = BUSINESS_HOURS) -> None:
        self.hours = hours
        self._calendars: dict[int, dict[int, int]] = {}
        self._count = 0

    # --- state ------------------------------------------------------------------------
    def __len__(self) -> int:
        """Number of bookings held (loaded ones included)."""
        return self._count

    def booked_days(self, provider_id: int) -> int:
        return len(self._calendars.get(provider_id, {}))

    def occupy(self, provider_id: int, start: datetime, duration: int) -> None:
        """Mark time as busy without any check (existing data, even outside hours)."""
        calendar = self._calendars.setdefault(provider_id, {})
        day = start.toordinal()
        calendar[day] = calendar.get(day, 0) | _span_mask(start.hour * 60 + start.minute, duration)
        self._count += 1

    def release(self, provider_id: int, start: datetime, duration: int) -> None:
        """Free a booking again (a cancelled appointment, a rolled-back insert)."""
        calendar = self._calendars.get(provider_id, {})
        day = start.toordinal()
        if day in calendar:
            calendar[day] &= ~_span_mask(_minute_of_day(start), duration)
            self._count = max(0, self._count - 1)

    def load_existing(
        self, conn: Connection, provider_ids: Iterable[int] | None = None, *, by: str = "provider_id"
    ) -> int:
        """Seed the calendars from the appointments table; returns rows loaded.

        Calendars are keyed by ``by``: 'provider_id' (default) or 'patient_id' (a
        patient calendar, so a patient is not booked twice at once); ``provider_ids``
        then filters that column. Cancelled and no-show appointments free their slot.
        """
        if by not in ("provider_id", "patient_id"):
            raise ValueError(f"by must be 'provider_id' or 'patient_id', not {by!r}")
        from sqlalchemy import select

        from healthcare_data.schema import Appointment

        table = Appointment.__table__
        column = table.c[by]
        query = select(column, table.c.appointment_date, table.c.duration_minutes).where(
            table.c.status.is_(None) | table.c.status.not_in(("cancelled", "no_show"))
        )
        if provider_ids is not None:
            query = query.where(column.in_(list(provider_ids)))
        loaded = 0
        for provider_id, start, duration in conn.execute(query):
            self.occupy(provider_id, as_datetime(start), int(duration or 30))
            loaded += 1
        return loaded

    # --- queries ----------------------------------------------------------------------
    def _busy_lookup(
        self, provider_id: int, blockers: Sequence[tuple[Scheduler, int]]
    ) -> Callable[[int], int]:
        """day -> busy bits of this calendar OR'ed with every blocker calendar."""
        calendar = self._calendars.get(provider_id, {})
        others = [owner._calendars.get(key, {}) for owner, key in blockers]
        if not others:
            return lambda day: calendar.get(day, 0)

        def combined(day: int) -> int:
            busy = calendar.get(day, 0)
            for other in others:
                busy |= other.get(day, 0)
            return busy

        return combined

    def is_free(self, provider_id: int, start: datetime, duration: int) -> bool:
        """True when the slot is inside business hours and overlaps no booking."""
        if not self.hours.contains(start, duration):
            return False
        busy = self._calendars.get(provider_id, {}).get(start.toordinal(), 0)
        return not busy & _span_mask(_minute_of_day(start), duration)

    def book(self, provider_id: int, start: datetime, duration: int) -> datetime:
        """Book the slot or raise SchedulingConflictError offering the next free slots."""
        check_positive(duration, "duration (minutes)")
        if not self.hours.contains(start, duration):
            raise SchedulingConflictError(
                f"{start:%a %Y-%m-%d %H:%M} for {duration} min is outside business hours "
                f"({self.hours.describe()})",
                self.suggest_alternatives(provider_id, start, duration),
            )
        if not self.is_free(provider_id, start, duration):
            raise SchedulingConflictError(
                f"Provider {provider_id} is already booked at {start:%a %Y-%m-%d %H:%M} "
                f"(double booking of a {duration}-minute appointment)",
                self.suggest_alternatives(provider_id, start, duration),
            )
        self.occupy(provider_id, start, duration)
        return start

    def find_slot(
        self,
        provider_id: int,
        duration: int,
        constraints: str | Iterable[str | SchedulingConstraint] = (),
        rng: Randomness | int | None = None,
        window_start: date | datetime | None = None,
        window_days: int = 182,
        previous: datetime | None = None,
        today: date | None = None,
        blockers: Sequence[tuple[Scheduler, int]] = (),
    ) -> datetime:
        """A random free start satisfying every constraint inside the window (not booked).

        The window defaults to the ``window_days`` days after ``today`` (the rng's
        pinned date). Random probes first, then a full scan, so the result is O(1)
        on a sparse calendar and still exact on a full one. ``blockers``: other
        calendars, as ``(scheduler, key)``, that must be free too (e.g. the patient's).
        """
        check_positive(duration, "duration (minutes)")
        cons = resolve_constraints(constraints)
        rng = resolve(rng)
        return self.find_resolved(
            provider_id, duration, cons, rng.random, today or rng.today, window_start, window_days,
            previous, blockers,
        )

    def find_resolved(
        self,
        provider_id: int,
        duration: int,
        cons: tuple[SchedulingConstraint, ...],
        rand: Any,
        today: date,
        window_start: date | datetime | None = None,
        window_days: int = 182,
        previous: datetime | None = None,
        blockers: Sequence[tuple[Scheduler, int]] = (),
    ) -> datetime:
        """:meth:`find_slot` with constraints already resolved and the raw ``random.Random``.

        Why: the draft hot path resolves its constraints once per distinct argument and
        should not pay for resolving them (and the rng) again on every booking.
        """
        if isinstance(window_start, datetime):
            window_start = window_start.date()
        low = window_start or today + _ONE_DAY
        if cons:
            high = low + timedelta(days=window_days - 1)
            for constraint in cons:
                low, high = constraint.day_bounds(low, high, today, previous)
            first, days = low.toordinal(), (high - low).days + 1
        else:
            first, days = low.toordinal(), window_days
        if days <= 0:
            raise SchedulingConflictError(
                f"No day satisfies the constraints [{_describe(cons)}] in the window "
                f"{window_start or today + timedelta(days=1)} + {window_days} days"
            )
        hours = self.hours
        key = (duration, cons)
        start_mask = _DEFAULT_MASKS.get(key) if hours is BUSINESS_HOURS else None
        if start_mask is None:
            start_mask = _start_mask(duration, cons, hours)
            if hours is BUSINESS_HOURS:
                _DEFAULT_MASKS[key] = start_mask
        if not start_mask:
            raise SchedulingConflictError(
                f"No time of day fits a {duration}-minute visit with constraints "
                f"[{_describe(cons)}] within business hours ({hours.describe()})"
            )
        slots = _slots(duration)
        calendar = self._calendars.get(provider_id, _EMPTY)
        others = [owner._calendars.get(k, _EMPTY) for owner, k in blockers] if blockers else ()
        is_open = hours.is_business_day
        random = rand.random
        # Random probes first (O(1) on a sparse calendar), then a full scan (exact when full).
        for _ in range(min(days, 12)):
            day = first + int(random() * days)
            if is_open(day):
                busy = calendar.get(day, 0)
                for other in others:
                    busy |= other.get(day, 0)
                fits = start_mask & ~busy
                for shift in range(1, slots):
                    fits &= ~(busy >> shift)
                if fits:
                    return self._pick(day, fits, rand)
        busy_of = self._busy_lookup(provider_id, blockers)
        offset = int(random() * days)
        for step in range(days):
            day = first + (offset + step) % days
            if is_open(day):
                fits = _fitting_starts(busy_of(day), start_mask, slots)
                if fits:
                    return self._pick(day, fits, rand)
        low_day, high_day = date.fromordinal(first), date.fromordinal(first + days - 1)
        raise SchedulingConflictError(
            f"Provider {provider_id}{' (with the blocking calendars)' if blockers else ''} has no free "
            f"{duration}-minute slot between {low_day} and {high_day} "
            f"with constraints [{_describe(cons)}]",
            self.suggest_alternatives(
                provider_id, datetime.combine(high_day + _ONE_DAY, datetime.min.time()),
                duration, constraints=cons, blockers=blockers,
            ),
        )

    @staticmethod
    def _pick(day: int, fits: int, rand: Any) -> datetime:
        """A start drawn uniformly among the set bits of ``fits`` on ``day``.

        Rejection sampling inside the span of candidates (a few draws on a normal day),
        then the exact walk over the bits; both are uniform, so the mixture is too.
        """
        low = (fits & -fits).bit_length() - 1
        span = fits.bit_length() - low
        random = rand.random
        for _ in range(8):
            slot = low + int(random() * span)
            if fits >> slot & 1:
                return datetime.fromordinal(day) + _SLOT_OFFSETS[slot]
        for _ in range(rand.randrange(fits.bit_count())):
            fits &= fits - 1  # drop the lowest candidate
        slot = (fits & -fits).bit_length() - 1
        return datetime.fromordinal(day) + _SLOT_OFFSETS[slot]

    def book_slot(
        self,
        provider_id: int,
        duration: int,
        constraints: str | Iterable[str | SchedulingConstraint] = (),
        rng: Randomness | int | None = None,
        **window: Any,
    ) -> datetime:
        """find_slot + book in one call."""
        start = self.find_slot(provider_id, duration, constraints, rng, **window)
        self.occupy(provider_id, start, duration)
        return start

    def find_series(
        self,
        provider_id: int,
        duration: int,
        count: int,
        interval_weeks: int = 4,
        constraints: str | Iterable[str | SchedulingConstraint] = (),
        rng: Randomness | int | None = None,
        window_start: date | None = None,
        book: bool = True,
    ) -> list[datetime]:
        """``count`` recurring visits, each ``interval_weeks`` (± 3 days) after the last."""
        check_positive(count, "count")
        check_positive(interval_weeks, "interval_weeks")
        rng = resolve(rng)
        cons = tuple(c for c in resolve_constraints(constraints) if c.interval_weeks is None)
        step = SchedulingConstraint(
            f"regular_interval_{interval_weeks}w", "series step", interval_weeks=interval_weeks
        )
        series: list[datetime] = []
        previous: datetime | None = None
        horizon = max(182, 7 * interval_weeks * (count + 1))
        for _ in range(count):
            extra = (step,) if previous is not None else ()
            start = self.find_slot(
                provider_id, duration, cons + extra, rng, window_start, horizon, previous
            )
            if book:
                self.occupy(provider_id, start, duration)
            series.append(start)
            previous = start
        return series

    def suggest_alternatives(
        self,
        provider_id: int,
        desired_start: datetime,
        duration: int,
        count: int = 3,
        constraints: str | Iterable[str | SchedulingConstraint] = (),
        max_days: int = 366,
        blockers: Sequence[tuple[Scheduler, int]] = (),
    ) -> list[datetime]:
        """The next ``count`` free starts at or after ``desired_start`` in business hours.

        Only time-of-day constraints apply (day rules are relative to a booking date).
        """
        check_positive(duration, "duration (minutes)")
        check_positive(count, "count")
        cons = resolve_constraints(constraints)
        start_mask = _start_mask(duration, cons, self.hours)
        if not start_mask:
            return []
        slots = _slots(duration)
        busy = self._busy_lookup(provider_id, blockers)
        day = desired_start.toordinal()
        not_before = -(-_minute_of_day(desired_start) // SLOT_MINUTES)
        found: list[datetime] = []
        for _ in range(max_days):
            if self.hours.is_business_day(day):
                fits = _fitting_starts(busy(day), start_mask, slots)
                fits &= ~((1 << not_before) - 1)
                base = datetime.fromordinal(day)
                for slot in range(SLOTS_PER_DAY):
                    if fits >> slot & 1:
                        found.append(base + timedelta(minutes=slot * SLOT_MINUTES))
                        if len(found) == count:
                            return found
            day += 1
            not_before = 0
        return found
