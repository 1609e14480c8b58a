"""Bulk generation: a whole dataset as a deterministic stream of row batches.

``generate_dataset(spec, rng)`` yields :class:`Batch` objects in dependency order
(tenants, locations, patients with their conditions and profiles, providers,
appointments, medical records, insurance claims). Every row comes from the same draft
functions the single-record builders use (:mod:`healthcare_data.rows`), so a rule fixed
there is fixed here; this module only decides *which* patient sees *which* provider,
*when* (through :class:`~healthcare_data.scheduling.Scheduler`) and which appointments
get a record or a claim.

Determinism. Each table draws from its own child stream (``rng.child("patients")``,
...) and rows are produced in serial order, whatever the batch size: batching only cuts
the finished sequence into lists, so batch size 7 and 5000 give the same rows.

Memory. Nothing keeps full rows beyond the batch in flight. What later tables need of
earlier rows is kept in typed arrays (``array``), preallocated to the spec's counts:

* per patient, 16 bytes: birth date ordinal (4), persona (1), gender (1), payer (1),
  state (1), conditions packed as up to 8 one-byte indexes (8);
* per provider, 2 bytes: specialty (1), practice type (1);
* per appointment, 9 bytes: patient (4), start as a 15-minute slot of the window (2),
  duration (1), type (1), status (1). The provider is *not* stored: appointments are
  generated provider by provider, so it follows from the appointment's position.

So 1,000,000 patients with 5,000,000 appointments hold about 16 MB + 45 MB of arrays;
everything else is bounded by the batch size and the care group.

Regenerating patients from their serial instead was rejected: it would need one child
stream per patient (a Mersenne Twister seeding per row, ~15 µs) and a second full draft.

Scheduling. Providers are processed in *care groups* (at most
:data:`GROUP_PROVIDERS` providers and a proportional slice of the same tenant's
patients). A group has its own :class:`Scheduler`, discarded when the group is done,
so calendars never grow with the dataset; a patient only sees providers of their group
(their care network), which also makes it cheap to keep a patient from being booked
twice at the same time. Inside a group a provider's patients are drawn from the
personas whose ``typical_specialties`` name the provider's specialty (pediatricians see
children), and the patient's persona scheduling preferences are passed as constraints.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from healthcare_data import identifiers
from healthcare_data.errors import ConfigurationError, SchedulingConflictError, UnknownNameError
from healthcare_data.personas import PERSONAS, PatientPersona
from healthcare_data.population import Population
from healthcare_data.randomness import Randomness, Weighted
from healthcare_data.reference import (
    APPOINTMENT_TYPES,
    CONDITIONS,
    PAYERS,
    PRACTICE_TYPES,
    SPECIALTIES,
    STATE_WEIGHTS,
)
from healthcare_data.scheduling import SLOT_MINUTES, SLOTS_PER_DAY

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
class Batch:
    """Rows of one table, in the order they must be inserted."""

    table: str
    rows: list[dict[str, Any]]

    def __len__(self) -> int:
        return len(self.rows)


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
        visits 'completed' and future ones 'scheduled', and only a completed visit can
        carry a medical record or a claim; the last two weeks are future bookings.
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


_STATES: tuple[str, ...] = tuple(STATE_WEIGHTS)
_STATE_INDEX = {s: i for i, s in enumerate(_STATES)}
_CONDITIONS = tuple(c for _, c in CONDITIONS.items())
_CONDITION_INDEX = {c.name: i for i, c in enumerate(_CONDITIONS)}
_PAYERS = tuple(p for _, p in PAYERS.items())
_PAYER_INDEX = {p.name: i + 1 for i, p in enumerate(_PAYERS)}  # 0 = uninsured
_SPECIALTIES = tuple(SPECIALTIES.names())
_SPECIALTY_INDEX = {s: i for i, s in enumerate(_SPECIALTIES)}
_GENDERS = ("male", "female", "other", "unknown")
_GENDER_INDEX = {g: i for i, g in enumerate(_GENDERS)}
_MAX_PACKED_CONDITIONS = 8
_PRACTICES: tuple[str, ...] = PRACTICE_TYPES
_PRACTICE_INDEX = {p: i for i, p in enumerate(_PRACTICES)}
_APPOINTMENT_TYPES: tuple[str, ...] = tuple(APPOINTMENT_TYPES.names())


def _zeros(typecode: str, n: int) -> array[Any]:
    """A preallocated array (no doubling reallocations while it fills)."""
    return array(typecode, bytes(array(typecode).itemsize * n))


# --- the engine ----------------------------------------------------------------------------


class _Plan:
    """Everything decided up front from the spec: id ranges, tenants, groups, quotas."""

    def __init__(self, spec: DatasetSpec, rng: Randomness, tenant_id: int | None = None) -> None:
        self.spec = spec
        # A shard's plan (healthcare_data.shards) belongs to one tenant of the whole dataset.
        self.fixed_tenant = tenant_id
        self.today = rng.today
        self.window_start = spec.window_start(rng.today)
        self.window_days = spec.window_days
        self.epoch = datetime.combine(self.window_start, datetime.min.time())
        self.first = {t: spec.first_id(t) for t in ID_TABLES}
        personas = (
            {name: 1.0 for name in PERSONAS.names()} if spec.persona_mix is None else dict(spec.persona_mix)
        )
        if spec.population is not None:
            personas = spec.population.persona_mix(personas)
        self.personas: tuple[PatientPersona, ...] = tuple(PERSONAS.get(n) for n in personas)
        self.persona_weights = Weighted({i: w for i, w in enumerate(personas.values())})
        self.specialty_weights = None if spec.specialty_mix is None else Weighted(dict(spec.specialty_mix))
        tenant_count = max(spec.tenants, 1)
        # Contiguous blocks: tenant k owns patients/providers in these index ranges.
        self.patient_blocks = _split(spec.patients, tenant_count)
        self.provider_blocks = _split(spec.providers, tenant_count)
        self.tenant_count = tenant_count
        from healthcare_data.rows.appointments import APPOINTMENT_STATUSES
        from healthcare_data.rows.claims import is_claimable

        self.completed_status = APPOINTMENT_STATUSES.index("completed")
        # Which stored payer indexes draft_claim accepts (index 0: uninsured), by its own rule.
        self.claimable_payer = tuple(
            is_claimable({"insurance_provider": None if k == 0 else _PAYERS[k - 1].name})
            for k in range(len(_PAYERS) + 1)
        )

    def quota_of(self, j: int) -> int:
        """Appointments of provider ``j``: an even share (providers differ by at most one)."""
        size, extra = divmod(self.spec.appointments, max(self.spec.providers, 1))
        return size + (1 if j < extra else 0)

    def provider_of(self, a: int) -> int:
        """The provider index of appointment position ``a`` (appointments go provider by provider)."""
        return _part_of(a, self.spec.appointments, max(self.spec.providers, 1))

    def patient_tenant(self, i: int) -> int | None:
        if self.fixed_tenant is not None:
            return self.fixed_tenant
        if not self.spec.tenants:
            return None
        return self.first["tenants"] + _part_of(i, self.spec.patients, self.tenant_count)

    def provider_tenant(self, j: int) -> int | None:
        if self.fixed_tenant is not None:
            return self.fixed_tenant
        if not self.spec.tenants:
            return None
        return self.first["tenants"] + _part_of(j, self.spec.providers, self.tenant_count)

    def tenant_id(self, tenant_index: int) -> int | None:
        if self.fixed_tenant is not None:
            return self.fixed_tenant
        return None if not self.spec.tenants else self.first["tenants"] + tenant_index

    def groups(self) -> Iterator[tuple[int, tuple[int, int], tuple[int, int]]]:
        """(tenant index, provider index range, patient index range) per care group."""
        for t, ((p0, p1), (q0, q1)) in enumerate(zip(self.provider_blocks, self.patient_blocks, strict=True)):
            if p1 == p0:
                continue
            count = max(1, min(math.ceil((p1 - p0) / GROUP_PROVIDERS), max(q1 - q0, 1)))
            for (a, b), (c, d) in zip(_split(p1 - p0, count), _split(q1 - q0, count), strict=True):
                yield t, (p0 + a, p0 + b), (q0 + c, q0 + d)


class _Store:
    """Compact per-entity facts later tables need (see the module docstring for sizes)."""

    def __init__(self, spec: DatasetSpec) -> None:
        n = spec.patients
        self.birth = _zeros("i", n)  # date ordinal
        self.persona = _zeros("B", n)
        self.gender = _zeros("B", n)
        self.payer = _zeros("B", n)  # 0 = uninsured, else index+1 into _PAYERS
        self.state = _zeros("B", n)
        self.conditions = _zeros("Q", n)  # up to 8 condition indexes + 1, one byte each
        m = spec.providers
        self.specialty = _zeros("B", m)
        self.practice = _zeros("B", m)
        a = spec.appointments
        self.appt_patient = _zeros("i", a)
        # Start as a 15-minute slot number since the window's first midnight: the
        # Scheduler books on that grid, and 2 bytes cover windows of up to 682 days.
        self.appt_slot = _zeros("H" if spec.window_days * SLOTS_PER_DAY < 2**16 else "i", a)
        self.appt_duration = _zeros("B", a)  # minutes (visit types last at most 2 hours)
        self.appt_type = _zeros("B", a)
        self.appt_status = _zeros("B", a)


def _chunks(rows: list[dict[str, Any]], size: int, table: str) -> Iterator[Batch]:
    for start in range(0, len(rows), size):
        yield Batch(table, rows[start : start + size])


def _tenant_rows(plan: _Plan, rng: Randomness, size: int) -> Iterator[Batch]:
    """One ``tenants`` row per tenant, in batches of ``size``."""
    from healthcare_data import fakes

    spec = plan.spec
    created = datetime.combine(plan.today, datetime.min.time())
    rows: list[dict[str, Any]] = []
    for k in range(spec.tenants):
        serial = plan.first["tenants"] + k
        name = f"{fakes.last_name(rng)} Health Partners {serial:04d}"  # the serial keeps names unique
        rows.append({"id": serial, "uuid": rng.uuid4(), "name": name, "created_at": created})
        if len(rows) == size:
            yield Batch("tenants", rows)
            rows = []
    if rows:
        yield Batch("tenants", rows)


#: The middle word of a location's name ("Tulsa Family Medicine Campus"): what kind of site it is.
LOCATION_KINDS: tuple[str, ...] = (
    "Family Medicine",
    "Medical",
    "Health",
    "Specialty Care",
    "Outpatient",
    "Wellness",
)


def _location_rows(plan: _Plan, rng: Randomness, size: int) -> Iterator[Batch]:
    """``spec.location_count`` locations at real addresses (city/state/ZIP agree).

    Location ``k`` belongs to tenant ``k mod tenants`` (round-robin, so counts per
    tenant differ by at most one and every tenant has one), or to none without tenants.
    The stream is its own (``rng.child("locations")``), so adding locations leaves
    every other table's rows unchanged.
    """
    from healthcare_data import fakes

    tenants = plan.spec.tenants
    first = plan.first["locations"]
    rows: list[dict[str, Any]] = []
    for k in range(plan.spec.location_count):
        place = fakes.place(rng)
        rows.append(
            {
                "id": first + k,
                "uuid": rng.uuid4(),
                "tenant_id": plan.first["tenants"] + k % tenants if tenants else None,
                "name": f"{place.city} {rng.choice(LOCATION_KINDS)} Campus",
                "address_street": fakes.street(rng),
                "address_city": place.city,
                "address_state": place.state,
                "address_zip": place.zip,
            }
        )
        if len(rows) == size:
            yield Batch("locations", rows)
            rows = []
    if rows:
        yield Batch("locations", rows)


def _pack_conditions(condition_rows: list[dict[str, Any]]) -> int:
    packed = 0
    for k, row in enumerate(condition_rows[:_MAX_PACKED_CONDITIONS]):
        packed |= (_CONDITION_INDEX[row["condition"]] + 1) << (8 * k)
    return packed


def _patient_rows(plan: _Plan, store: _Store, rng: Randomness, size: int) -> Iterator[Batch]:
    """Patients in serial order; after each batch of patients, their conditions and profiles."""
    from healthcare_data.rows.patients import draft_patient

    first = plan.first["patients"]
    condition_id = plan.first["patient_conditions"]
    personas = plan.personas
    weights = plan.persona_weights
    population = plan.spec.population
    imposed = [population.draft_options(p) if population else {} for p in personas]
    for t, (q0, q1) in enumerate(plan.patient_blocks):
        tenant_id = plan.tenant_id(t)
        for start in range(q0, q1, size):
            patients: list[dict[str, Any]] = []
            conditions: list[dict[str, Any]] = []
            profiles: list[dict[str, Any]] = []
            for i in range(start, min(start + size, q1)):
                persona_index = rng.weighted(weights)
                draft = draft_patient(
                    rng, first + i, personas[persona_index], tenant_id=tenant_id, **imposed[persona_index]
                )
                row = draft.patient
                patients.append(row)
                for condition in draft.conditions:
                    condition["id"] = condition_id
                    condition_id += 1
                    conditions.append(condition)
                profiles.append(draft.profile)
                store.birth[i] = row["date_of_birth"].toordinal()
                store.persona[i] = persona_index
                store.gender[i] = _GENDER_INDEX.get(row["gender"], 3)
                store.payer[i] = _PAYER_INDEX.get(row["insurance_provider"], 0)
                store.state[i] = _STATE_INDEX.get(row["address_state"], 0)
                store.conditions[i] = _pack_conditions(draft.conditions)
            yield Batch("patients", patients)
            yield from _chunks(conditions, size, "patient_conditions")
            yield from _chunks(profiles, size, "patient_profiles")


def _provider_rows(plan: _Plan, store: _Store, rng: Randomness, size: int) -> Iterator[Batch]:
    """Providers in serial order, each tenant's block tagged with its tenant id."""
    from healthcare_data.rows.providers import draft_provider, practice_type_of

    first = plan.first["providers"]
    mix = plan.specialty_weights
    for t, (p0, p1) in enumerate(plan.provider_blocks):
        tenant_id = plan.tenant_id(t)
        for start in range(p0, p1, size):
            rows: list[dict[str, Any]] = []
            for j in range(start, min(start + size, p1)):
                specialty = None if mix is None else rng.weighted(mix)
                row = draft_provider(rng, first + j, specialty=specialty, tenant_id=tenant_id)
                rows.append(row)
                store.specialty[j] = _SPECIALTY_INDEX[row["specialty"]]
                store.practice[j] = _PRACTICE_INDEX.get(practice_type_of(row) or "", 0)
            yield Batch("providers", rows)


def _provider_view(plan: _Plan, store: _Store, j: int) -> dict[str, Any]:
    """What the draft functions read of provider ``j``: rebuilt from 2 bytes.

    ``practice_name`` keeps only the practice-type suffix ``is_virtual`` reads.
    """
    specialty = _SPECIALTIES[store.specialty[j]]
    return {
        "id": plan.first["providers"] + j,
        "specialty": specialty,
        "practice_name": f"{specialty} {_PRACTICES[store.practice[j]]}",
        "tenant_id": plan.provider_tenant(j),
    }


def _patient_view(plan: _Plan, store: _Store, i: int) -> dict[str, Any]:
    """What the record and claim drafts read of patient ``i``, rebuilt from the store."""
    serial = plan.first["patients"] + i
    payer = store.payer[i]
    return {
        "id": serial,
        "patient_id": identifiers.patient_id(serial),
        "date_of_birth": date.fromordinal(store.birth[i]),
        "gender": _GENDERS[store.gender[i]],
        "insurance_provider": _PAYERS[payer - 1].name if payer else None,
        "tenant_id": plan.patient_tenant(i),
    }


def _conditions_of(store: _Store, i: int) -> list[Any]:
    packed = store.conditions[i]
    found = []
    while packed:
        found.append(_CONDITIONS[(packed & 0xFF) - 1])
        packed >>= 8
    return found


class _EligiblePace:
    """Keeps enough visits eligible for the records and claims the spec asks for.

    Only a completed (past) visit carries a record, and only a completed visit of an
    insured patient a claim. Left to chance, their number varies by seed around the mix's
    expectation, and a profile asking close to it (the QA document's 80 claims per 100
    appointments) failed for about half the seeds. So appointments are drawn naturally
    while the eligible visits keep pace with ``wanted * (k + 1) / appointments``; an
    appointment that would fall behind is booked in the past (and with an insured patient
    when claims lag). Falling behind only happens after a run of ineligible draws, so the
    forced visits are spread through the stream rather than bunched at its end, and the
    stream stays a pure function of the seed. By induction the pace holds at every
    position, so the last one meets the counts whenever forcing is possible (a past part
    of the window exists and the care group has an insured patient).
    """

    def __init__(self, plan: _Plan, has_past: bool) -> None:
        spec = plan.spec
        self.total = max(spec.appointments, 1)
        self.want_completed = max(spec.medical_records, spec.insurance_claims) if has_past else 0
        self.want_claimable = spec.insurance_claims if has_past else 0
        self.completed = 0
        self.claimable = 0

    def needs(self, k: int) -> tuple[bool, bool]:
        """(book in the past, book an insured patient) for appointment position ``k``."""
        insured = self.claimable * self.total < self.want_claimable * (k + 1)
        past = insured or self.completed * self.total < self.want_completed * (k + 1)
        return past, insured

    def count(self, completed: bool, claimable: bool) -> None:
        self.completed += completed
        self.claimable += claimable


def _appointment_rows(plan: _Plan, store: _Store, rng: Randomness, size: int) -> Iterator[Batch]:
    """Appointments provider by provider, one care group (and one Scheduler) at a time."""
    from healthcare_data.errors import BusinessRuleViolation
    from healthcare_data.rows.appointments import APPOINTMENT_STATUSES, book_appointment
    from healthcare_data.scheduling import Scheduler, preference_levels

    status_index = {s: k for k, s in enumerate(APPOINTMENT_STATUSES)}
    type_index = {t: k for k, t in enumerate(_APPOINTMENT_TYPES)}
    levels = {future: [preference_levels(p, future) for p in plan.personas] for future in (False, True)}
    # Personas preferring video hold only telemedicine_share of their visits by video.
    in_person = {f: [preference_levels(p, f, video=False) for p in plan.personas] for f in (False, True)}
    video_share = [p.behavioral.telemedicine_share for p in plan.personas]
    by_video_draw = rng.child("visit_mode").random.random  # its own stream: other draws do not shift
    # The window split at today: history (completed visits) and future bookings, each
    # visit drawn into one part in proportion to its days, so dates stay uniform.
    past_days = max(0, min(plan.window_days, (plan.today - plan.window_start).days))
    future_days = plan.window_days - past_days
    future_start = plan.window_start + timedelta(days=past_days)
    future_share = future_days / plan.window_days
    serial = plan.first["appointments"]
    first_patient = plan.first["patients"]
    k = 0  # appointment position
    rows: list[dict[str, Any]] = []
    epoch = plan.epoch
    rand = rng.random
    pace = _EligiblePace(plan, past_days > 0)
    completed_code = plan.completed_status
    claimable = plan.claimable_payer
    for _tenant, (p0, p1), (q0, q1) in plan.groups():
        scheduler = Scheduler()
        patients = Scheduler()  # each patient's own calendar: never two visits at once
        pools: dict[int, list[int]] = {}
        insured_pools: dict[int, list[int]] = {}
        everyone = list(range(q0, q1))
        for j in range(p0, p1):
            quota = plan.quota_of(j)
            if not quota:
                continue
            provider = _provider_view(plan, store, j)
            specialty_code = store.specialty[j]
            pool = pools.get(specialty_code)
            if pool is None:
                specialty = _SPECIALTIES[specialty_code]
                fitting = {n for n, p in enumerate(plan.personas) if specialty in p.typical_specialties}
                pool = pools[specialty_code] = [
                    i for i in everyone if store.persona[i] in fitting
                ] or everyone
            insured = insured_pools.get(specialty_code)
            if insured is None:
                insured = insured_pools[specialty_code] = [i for i in pool if claimable[store.payer[i]]] or [
                    i for i in everyone if claimable[store.payer[i]]
                ]
            for _ in range(quota):
                row = None
                need_past, need_insured = pace.needs(k)
                for attempt in range(50):
                    if attempt == 40:  # the forced draw found no room: book naturally, check later
                        need_past = need_insured = False
                    draw_from = insured if need_insured and insured else pool
                    i = draw_from[rand.randrange(len(draw_from))]
                    # Only what draft_appointment reads: a smaller dict is a faster hot loop.
                    patient = {
                        "id": first_patient + i,
                        "date_of_birth": date.fromordinal(store.birth[i]),
                        "tenant_id": provider["tenant_id"],
                    }
                    future = not need_past and (
                        future_share >= 1.0 or (future_share > 0 and rand.random() < future_share)
                    )
                    start_day, days = (
                        (future_start, future_days) if future else (plan.window_start, past_days)
                    )
                    persona_index = store.persona[i]
                    share = video_share[persona_index]
                    by_video = share >= 1.0 or by_video_draw() < share
                    try:
                        row = book_appointment(
                            rng,
                            serial,
                            patient,
                            provider,
                            scheduler,
                            levels=(levels if by_video else in_person)[future][persona_index],
                            window_start=start_day,
                            window_days=days,
                            patient_calendar=patients,
                        )
                    except (SchedulingConflictError, BusinessRuleViolation):
                        continue
                    start = row["appointment_date"]
                    minute = int((start - epoch).total_seconds()) // 60
                    break
                if row is None:
                    raise ConfigurationError(
                        f"Could not book appointment {serial} for provider {provider['id']} "
                        f"({provider['specialty']}) in {plan.window_days} days from {plan.window_start}",
                        ["use more providers or a longer window (months)"],
                    )
                store.appt_patient[k] = i
                slot, off_grid = divmod(minute, SLOT_MINUTES)
                if off_grid:  # pragma: no cover - the Scheduler only books grid slots
                    raise ConfigurationError(f"appointment {serial} starts off the 15-minute grid: {start}")
                store.appt_slot[k] = slot
                store.appt_duration[k] = row["duration_minutes"]
                store.appt_type[k] = type_index[row["appointment_type"]]
                store.appt_status[k] = status = status_index[row["status"]]
                pace.count(status == completed_code, status == completed_code and claimable[store.payer[i]])
                k += 1
                serial += 1
                rows.append(row)
                if len(rows) == size:
                    yield Batch("appointments", rows)
                    rows = []
    if rows:
        yield Batch("appointments", rows)


def _appointment_view(plan: _Plan, store: _Store, a: int, j: int) -> dict[str, Any]:
    """What record and claim drafts read of appointment ``a`` (of provider ``j``, which the
    caller has already looked up), from the compact store."""
    return {
        "id": plan.first["appointments"] + a,
        "patient_id": plan.first["patients"] + store.appt_patient[a],
        "provider_id": plan.first["providers"] + j,
        "appointment_date": plan.epoch + timedelta(minutes=SLOT_MINUTES * store.appt_slot[a]),
        "duration_minutes": store.appt_duration[a],
        "appointment_type": _APPOINTMENT_TYPES[store.appt_type[a]],
    }


def _pick_appointments(
    plan: _Plan, rng: Randomness, wanted: int, eligible: Any, table: str, rule: str
) -> Iterator[int]:
    """The first ``wanted`` eligible appointments in a deterministic shuffled order."""
    total = plan.spec.appointments
    perm = AffinePermutation(total, rng)
    found = 0
    for position in range(total):
        if found == wanted:
            return
        a = perm(position)
        if eligible(a):
            found += 1
            yield a
    if found < wanted:  # pragma: no cover - _count_eligible checks this before any row
        raise ConfigurationError(f"only {found} appointments qualify for {wanted} {table} ({rule})")


def _record_rows(plan: _Plan, store: _Store, rng: Randomness, size: int) -> Iterator[Batch]:
    """Medical records for completed appointments, with the visit's patient and provider."""
    from healthcare_data.rows.records import draft_medical_record

    completed = plan.completed_status
    status = store.appt_status
    serial = plan.first["medical_records"]
    rows: list[dict[str, Any]] = []
    for a in _pick_appointments(
        plan,
        rng,
        plan.spec.medical_records,
        lambda a: status[a] == completed,
        "medical_records",
        "completed visits",
    ):
        i = store.appt_patient[a]
        j = plan.provider_of(a)
        rows.append(
            draft_medical_record(
                rng,
                serial,
                _patient_view(plan, store, i),
                _conditions_of(store, i),
                _provider_view(plan, store, j),
                _appointment_view(plan, store, a, j),
            )
        )
        serial += 1
        if len(rows) == size:
            yield Batch("medical_records", rows)
            rows = []
    if rows:
        yield Batch("medical_records", rows)


def _claim_rows(plan: _Plan, store: _Store, rng: Randomness, size: int) -> Iterator[Batch]:
    """Insurance claims for completed visits of insured patients (the claim status machine
    and amounts are ``draft_claim``'s)."""
    from healthcare_data.rows.claims import draft_claim

    completed = plan.completed_status
    status, patient_of, payer = store.appt_status, store.appt_patient, store.payer
    claimable = plan.claimable_payer
    serial = plan.first["insurance_claims"]
    rows: list[dict[str, Any]] = []
    for a in _pick_appointments(
        plan,
        rng,
        plan.spec.insurance_claims,
        lambda a: status[a] == completed and claimable[payer[patient_of[a]]],
        "insurance_claims",
        "completed visits of insured patients",
    ):
        i = patient_of[a]
        j = plan.provider_of(a)
        rows.append(
            draft_claim(
                rng,
                serial,
                _patient_view(plan, store, i),
                _provider_view(plan, store, j),
                _appointment_view(plan, store, a, j),
            )
        )
        serial += 1
        if len(rows) == size:
            yield Batch("insurance_claims", rows)
            rows = []
    if rows:
        yield Batch("insurance_claims", rows)


def eligible_counts(plan: _Plan, store: _Store) -> tuple[int, int]:
    """(completed appointments, completed visits of insured patients): what records and
    claims can document."""
    completed = plan.completed_status
    status, payer, insured = store.appt_status, store.payer, plan.claimable_payer
    done = status.count(completed)
    claimable = sum(
        1 for a, i in enumerate(store.appt_patient) if status[a] == completed and insured[payer[i]]
    )
    return done, claimable


def check_eligible(spec: DatasetSpec, window_start: date, done: int, claimable: int) -> None:
    """Fail before the first record if the appointments cannot carry the records/claims asked for."""
    if spec.medical_records > done:
        raise ConfigurationError(
            f"medical_records={spec.medical_records} but only {done} of {spec.appointments} "
            f"appointments are completed (in the past) in the window from {window_start}",
            ["lower medical_records", "start the window earlier (DatasetSpec.start)"],
        )
    if spec.insurance_claims > claimable:
        raise ConfigurationError(
            f"insurance_claims={spec.insurance_claims} but only {claimable} appointments are "
            "completed visits of insured patients (uninsured visits have no claim)",
            ["lower insurance_claims", "use fewer uninsured patients in persona_mix"],
        )


def generate_dataset(
    spec: DatasetSpec,
    rng: Randomness,
    batch_size: int = DEFAULT_BATCH_SIZE,
    *,
    workers: int = 1,
    dask_scheduler: str | None = None,
) -> Iterator[Batch]:
    """The dataset ``spec`` describes as batches of at most ``batch_size`` rows per table.

    The spec is validated now (not on the first ``next()``). Same ``spec`` and seed give
    the same rows for every ``batch_size`` and every number of ``workers``: the global
    tables (tenants, locations) come first, then the care groups as independent shards
    (:mod:`healthcare_data.shards`), each generated from its own stream, by ``workers``
    processes when there is more than one shard, or on the Dask cluster at
    ``dask_scheduler`` (``tcp://host:8786``; the ``dask`` extra).
    """
    plan = checked_plan(spec, rng, batch_size, workers)
    from healthcare_data import shards

    return shards.stream(plan, rng, batch_size, workers, dask_scheduler)


def checked_plan(spec: DatasetSpec, rng: Randomness, batch_size: int, workers: int) -> _Plan:
    """The plan of a generation run, once the spec, batch size and worker count are checked
    (one place for the checks every entry point, stream or part files, makes)."""
    spec.validate()
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigurationError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigurationError(f"workers must be a whole number >= 1, got {workers!r}")
    plan = _Plan(spec, rng)
    if (spec.medical_records or spec.insurance_claims) and plan.window_start >= rng.today:
        raise ConfigurationError(
            f"the appointment window starts {plan.window_start}, not before today ({rng.today}): "
            "every visit is a future 'scheduled' one, which no record or claim can document",
            ["leave DatasetSpec.start unset (mostly-past window)", "or ask for no records/claims"],
        )
    return plan


def global_rows(plan: _Plan, rng: Randomness, size: int) -> Iterator[Batch]:
    """The tables every shard may reference: tenants, then locations."""
    yield from _tenant_rows(plan, rng.child("tenants"), size)
    yield from _location_rows(plan, rng.child("locations"), size)


def entity_rows(plan: _Plan, store: _Store, rng: Randomness, size: int) -> Iterator[Batch]:
    """Patients, providers and appointments of one plan (a shard), facts kept in ``store``."""
    yield from _patient_rows(plan, store, rng.child("patients"), size)
    yield from _provider_rows(plan, store, rng.child("providers"), size)
    yield from _appointment_rows(plan, store, rng.child("appointments"), size)


def _check_eligible(plan: _Plan, eligible: tuple[int, int]) -> None:
    """``check_eligible`` for a plan and its (completed, claimable) visit counts."""
    check_eligible(plan.spec, plan.window_start, *eligible)


def visit_rows(plan: _Plan, store: _Store, rng: Randomness, size: int) -> Iterator[Batch]:
    """Medical records and insurance claims of one plan, from its ``store``."""
    _check_eligible(plan, eligible_counts(plan, store))
    yield from _record_rows(plan, store, rng.child("medical_records"), size)
    yield from _claim_rows(plan, store, rng.child("insurance_claims"), size)


__all__ = [
    "DEFAULT_BATCH_SIZE",
    "TABLE_ORDER",
    "AffinePermutation",
    "Batch",
    "DatasetSpec",
    "generate_dataset",
]
