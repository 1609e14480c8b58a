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

* per patient, 14 bytes: birth date ordinal (4), persona (1), payer (1), conditions
  packed as up to 8 one-byte indexes (8);
* per provider, 2 bytes: specialty (1), practice type (1);
* per appointment, 9 bytes: patient (4), start as a 15-minute slot of the window (2),
  duration (1), type (1), status (1). The provider is *not* stored: appointments are
  generated provider by provider, so it follows from the appointment's position.

So 1,000,000 patients with 5,000,000 appointments hold about 14 MB + 45 MB of arrays;
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

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from healthcare_data import fakes
from healthcare_data.dataset_spec import (
    DEFAULT_BATCH_SIZE,
    ID_TABLES,
    TABLE_ORDER,
    AffinePermutation,
    DatasetSpec,
)
from healthcare_data.errors import ConfigurationError, SchedulingConflictError
from healthcare_data.generation_plan import (
    _APPOINTMENT_TYPES,
    _CONDITION_INDEX,
    _CONDITIONS,
    _MAX_PACKED_CONDITIONS,
    _PAYER_INDEX,
    _PAYERS,
    _PRACTICE_INDEX,
    _PRACTICES,
    _SPECIALTIES,
    _SPECIALTY_INDEX,
    _Plan,
    _Store,
)
from healthcare_data.randomness import Randomness
from healthcare_data.rows.claims import draft_claim
from healthcare_data.rows.patients import draft_patient
from healthcare_data.rows.providers import draft_provider, practice_type_of
from healthcare_data.rows.records import draft_medical_record
from healthcare_data.scheduling import SLOT_MINUTES


@dataclass(frozen=True)
class Batch:
    """Rows of one table, in the order they must be inserted."""

    table: str
    rows: list[dict[str, Any]]

    def __len__(self) -> int:
        return len(self.rows)


def _chunks(rows: list[dict[str, Any]], size: int, table: str) -> Iterator[Batch]:
    for start in range(0, len(rows), size):
        yield Batch(table, rows[start : start + size])


def _tenant_rows(plan: _Plan, rng: Randomness, size: int) -> Iterator[Batch]:
    """One ``tenants`` row per tenant, in batches of ``size``."""
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
                store.payer[i] = _PAYER_INDEX.get(row["insurance_provider"], 0)
                store.conditions[i] = _pack_conditions(draft.conditions)
            yield Batch("patients", patients)
            yield from _chunks(conditions, size, "patient_conditions")
            yield from _chunks(profiles, size, "patient_profiles")


def _provider_rows(plan: _Plan, store: _Store, rng: Randomness, size: int) -> Iterator[Batch]:
    """Providers in serial order, each tenant's block tagged with its tenant id."""
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
    """What the record and claim drafts read of patient ``i``, rebuilt from the store:
    the age (records), the payer (claims) and the id; nothing else, it is built per row."""
    payer = store.payer[i]
    return {
        "id": plan.first["patients"] + i,
        "date_of_birth": date.fromordinal(store.birth[i]),
        "insurance_provider": _PAYERS[payer - 1].name if payer else None,
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
    when claims lag) and stays 'completed' whatever its cancellation draw. Falling behind
    only happens after a run of ineligible draws (future, uninsured, cancelled or missed
    visits), so the forced visits are spread through the stream rather than bunched at
    its end, and the stream stays a pure function of the seed. Where the realistic mix
    leaves fewer eligible visits than asked (cancellations and no-shows,
    reference/visit_outcomes.toml), the forced share is what closes the gap: with a
    natural eligible share ``e`` and a wanted one ``w``, about ``(w - e) / (1 - e)``. By
    induction the pace holds at every position, so the last one meets the counts whenever
    forcing is possible (a past part of the window exists and the care group has an
    insured patient).
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
    from healthcare_data.rows.appointments import (
        APPOINTMENT_STATUSES,
        book_appointment,
        outcome_shares,
        visit_outcome,
    )
    from healthcare_data.scheduling import Scheduler, preference_levels

    status_index = {s: k for k, s in enumerate(APPOINTMENT_STATUSES)}
    type_index = {t: k for k, t in enumerate(_APPOINTMENT_TYPES)}
    levels = {future: [preference_levels(p, future) for p in plan.personas] for future in (False, True)}
    # Personas preferring video hold only telemedicine_share of their visits by video.
    in_person = {f: [preference_levels(p, f, video=False) for p in plan.personas] for f in (False, True)}
    video_share = [p.behavioral.telemedicine_share for p in plan.personas]
    by_video_draw = rng.child("visit_mode").random.random  # its own stream: other draws do not shift
    # How each persona's visits end (cancelled, no-show), drawn once per visit on a stream of its own.
    outcomes = [outcome_shares(p) for p in plan.personas]
    outcome_draw = rng.child("visit_status").random.random
    today = plan.today
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
                draw = outcome_draw()
                if not need_past:  # a visit the pace asked for stays completed: the draw yields
                    shares = outcomes[persona_index]
                    row["status"] = visit_outcome(start, row["created_at"], today, shares, draw)
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
    from healthcare_data import shards  # shards imports this module (its workers run these streams)

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


# DatasetSpec, TABLE_ORDER, ID_TABLES and AffinePermutation live in dataset_spec.py; they
# stay importable from here, where users of generate_dataset have always found them.
__all__ = [
    "DEFAULT_BATCH_SIZE",
    "ID_TABLES",
    "TABLE_ORDER",
    "AffinePermutation",
    "Batch",
    "DatasetSpec",
    "generate_dataset",
]
