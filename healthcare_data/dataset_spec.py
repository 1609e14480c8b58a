"""What a bulk dataset is: the :class:`DatasetSpec` (counts, mix, window, tenants) and its limits.

The spec is validated before anything is generated (:meth:`DatasetSpec.validate` names
the bad value and what would fit); :func:`_split` and :func:`_part_of` cut index ranges
into contiguous parts and :class:`AffinePermutation` shuffles in O(1) memory, for the
plan (:mod:`healthcare_data.generation_plan`) and the streams
(:mod:`healthcare_data.generation`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from healthcare_data.errors import ConfigurationError, UnknownNameError
from healthcare_data.personas import PERSONAS
from healthcare_data.population import Population
from healthcare_data.randomness import Randomness
from healthcare_data.reference import SPECIALTIES

#: Tables in the order the stream yields them (parents before children).
TABLE_ORDER: tuple[str, ...] = (
    "tenants",
    "locations",
    "patients",
    "patient_conditions",
    "patient_profiles",
    "providers",
    "appointments",
    "medical_records",
    "insurance_claims",
)
#: Tables whose first id ``DatasetSpec.first_ids`` may set (profiles are keyed by patient).
ID_TABLES: tuple[str, ...] = tuple(t for t in TABLE_ORDER if t != "patient_profiles")

GROUP_PROVIDERS = 32
DEFAULT_BATCH_SIZE = 5000
# A provider's calendar holds 8:00-17:00 on ~22 weekdays a month; keep bookings well below
# it so random probing stays O(1) and long visits still find room.
MAX_BOOKED_SHARE = 0.5
_AVERAGE_VISIT_MINUTES = 45
#: Days of the default appointment window that lie after ``today`` (future bookings).
FUTURE_DAYS = 14



@dataclass(frozen=True)
class DatasetSpec:
    """How many rows of each kind to generate, and with which mix.

    ``persona_mix``: persona name -> weight (None: even over every registered persona).
    ``specialty_mix``: specialty -> weight (None: the provider draft's own choice).
    ``months``/``start``: the appointment window (``start`` None: the ``months`` up to
    two weeks after the rng's ``today``, see :meth:`window_start`).
    ``tenants``: 0 for single-tenant data (``tenant_id`` NULL), N to create N tenants
    and give each its own patients, providers and appointments.
    ``locations``: sites to create. With tenants they are dealt round-robin (location
    k belongs to tenant k mod N), so every tenant needs one: 0 means "one per tenant"
    (what a spec written before this field existed gets), and 0 < locations < tenants
    is refused rather than leaving a tenant without a site. Without tenants the
    locations belong to no tenant (``tenant_id`` NULL).
    ``first_ids``: table -> first id, to append to a non-empty database
    (see :func:`healthcare_data.bulk.next_ids`).
    """

    patients: int = 0
    providers: int = 0
    appointments: int = 0
    medical_records: int = 0
    insurance_claims: int = 0
    persona_mix: Mapping[str, float] | None = None
    specialty_mix: Mapping[str, float] | None = None
    months: int = 6
    start: date | None = None
    tenants: int = 0
    locations: int = 0
    first_ids: Mapping[str, int] = field(default_factory=dict)
    population: Population | None = None  # only patients of this gender/ages/place

    @classmethod
    def bulk_scenario(cls, scale: float = 1.0, **overrides: Any) -> DatasetSpec:
        """The feature file's @bulk-generation dataset (1,000 patients, 200 providers,
        5,000 appointments, 3,000 records, 2,000 claims) times ``scale``."""
        base = {
            "patients": 1000,
            "providers": 200,
            "appointments": 5000,
            "medical_records": 3000,
            "insurance_claims": 2000,
        }
        values: dict[str, Any] = {k: round(v * scale) for k, v in base.items()}
        values.update(overrides)
        return cls(**values)

    @property
    def counts(self) -> dict[str, int]:
        """The five entity counts of the exercise, by table name."""
        return {
            "patients": self.patients,
            "providers": self.providers,
            "appointments": self.appointments,
            "medical_records": self.medical_records,
            "insurance_claims": self.insurance_claims,
        }

    @property
    def window_days(self) -> int:
        return max(1, round(self.months * 365.25 / 12))

    def window_start(self, today: date) -> date:
        """First day of the appointment window: ``start``, or :data:`FUTURE_DAYS` before
        the window's end lands ``FUTURE_DAYS`` after ``today``.

        The default window is mostly history because ``draft_appointment`` marks past
        visits 'completed' and future ones 'scheduled' (a share of them then ends
        cancelled or missed: ``rows.appointments.visit_outcome``), and only a completed
        visit can carry a medical record or a claim; the last two weeks are future bookings.
        """
        if self.start is not None:
            return self.start
        return today - timedelta(days=self.window_days - FUTURE_DAYS)

    @property
    def location_count(self) -> int:
        """Locations the stream yields: ``locations``, or one per tenant when that is 0."""
        return self.locations if self.locations else self.tenants

    def first_id(self, table: str) -> int:
        return int(self.first_ids.get(table, 1))

    def validate(self) -> DatasetSpec:
        """Raise ConfigurationError / UnknownNameError naming the bad value; else self."""
        for name, value in self.counts.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ConfigurationError(f"{name} must be a whole number >= 0, got {value!r}")
        if not isinstance(self.tenants, int) or isinstance(self.tenants, bool) or self.tenants < 0:
            raise ConfigurationError(f"tenants must be a whole number >= 0, got {self.tenants!r}")
        if not isinstance(self.locations, int) or isinstance(self.locations, bool) or self.locations < 0:
            raise ConfigurationError(f"locations must be a whole number >= 0, got {self.locations!r}")
        if 0 < self.locations < self.tenants:
            raise ConfigurationError(
                f"locations={self.locations} is fewer than tenants={self.tenants}: "
                "each tenant needs at least one location",
                [
                    f"raise locations to at least {self.tenants} (--locations {self.tenants})",
                    f"or lower tenants to at most {self.locations}",
                ],
            )
        if not isinstance(self.months, int) or self.months < 1:
            raise ConfigurationError(f"months must be a whole number >= 1, got {self.months!r}")
        for child in ("medical_records", "insurance_claims"):
            if self.counts[child] > self.appointments:
                raise ConfigurationError(
                    f"{child}={self.counts[child]} exceeds appointments={self.appointments}: "
                    "each record and claim belongs to a distinct appointment",
                    [f"raise appointments to at least {self.counts[child]}"],
                )
        if self.appointments and (not self.patients or not self.providers):
            raise ConfigurationError(
                f"appointments={self.appointments} need at least one patient and one provider "
                f"(got patients={self.patients}, providers={self.providers})"
            )
        if (
            self.tenants
            and self.appointments
            and (self.patients < self.tenants or self.providers < self.tenants)
        ):
            raise ConfigurationError(
                f"tenants={self.tenants} each need a patient and a provider for their appointments "
                f"(got patients={self.patients}, providers={self.providers})"
            )
        if self.providers:
            capacity = self.window_days * 5 / 7 * 9 * 60 / _AVERAGE_VISIT_MINUTES * MAX_BOOKED_SHARE
            per_provider = math.ceil(self.appointments / self.providers)
            if per_provider > capacity:
                raise ConfigurationError(
                    f"{self.appointments} appointments over {self.providers} providers is "
                    f"{per_provider} per provider in {self.months} months; at most {int(capacity)} "
                    "fit without crowding business hours",
                    [
                        f"use at least {math.ceil(self.appointments / capacity)} providers",
                        "or a longer window (months)",
                    ],
                )
        if self.persona_mix is not None:
            if not self.persona_mix:
                raise ConfigurationError("persona_mix is empty; give weights or None for an even mix")
            for name, weight in self.persona_mix.items():
                if name not in PERSONAS:
                    raise UnknownNameError("persona", name, PERSONAS.names())
                if not weight >= 0:
                    raise ConfigurationError(f"persona_mix weight of {name!r} must be >= 0, got {weight!r}")
            if not sum(self.persona_mix.values()) > 0:
                raise ConfigurationError("persona_mix weights sum to 0")
        if self.specialty_mix is not None:
            if not self.specialty_mix:
                raise ConfigurationError("specialty_mix is empty; give weights or None")
            for name, weight in self.specialty_mix.items():
                if name not in SPECIALTIES:
                    raise UnknownNameError("specialty", name, SPECIALTIES.names())
                if not weight >= 0:
                    raise ConfigurationError(f"specialty_mix weight of {name!r} must be >= 0, got {weight!r}")
        for table, first in self.first_ids.items():
            if table not in ID_TABLES:
                raise UnknownNameError("table", table, ID_TABLES)
            if not isinstance(first, int) or first < 1:
                raise ConfigurationError(f"first_ids[{table!r}] must be an int >= 1, got {first!r}")
        return self


# --- helpers -------------------------------------------------------------------------------


def _split(total: int, parts: int) -> list[tuple[int, int]]:
    """``total`` items cut into ``parts`` contiguous (start, stop) ranges, sizes differing by <= 1."""
    size, extra = divmod(total, parts)
    ranges, start = [], 0
    for k in range(parts):
        stop = start + size + (1 if k < extra else 0)
        ranges.append((start, stop))
        start = stop
    return ranges


def _part_of(index: int, total: int, parts: int) -> int:
    """Which of the ``_split(total, parts)`` ranges holds ``index`` (O(1), no list)."""
    size, extra = divmod(total, parts)
    boundary = extra * (size + 1)
    if index < boundary:
        return index // (size + 1)
    return extra + (index - boundary) // size


class AffinePermutation:
    """A bijection of ``range(n)`` (i -> (a*i + c) mod n) used as a deterministic shuffle.

    Picks "the first N appointments in shuffled order" in O(1) memory, where
    ``random.sample(range(5_000_000), n)`` would hold millions of ints.
    """

    def __init__(self, n: int, rng: Randomness) -> None:
        self.n = max(n, 1)
        multiplier = rng.random.randrange(1, self.n) if self.n > 2 else 1
        while math.gcd(multiplier, self.n) != 1:
            multiplier += 1
        self.multiplier = multiplier
        self.offset = rng.random.randrange(self.n)

    def __call__(self, i: int) -> int:
        return (self.multiplier * i + self.offset) % self.n
