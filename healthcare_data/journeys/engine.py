"""The journey engine: walks a journey's state machine for one patient and drafts its rows.

Each step runs one *action* (the engine's vocabulary, :data:`ACTIONS`): book a visit,
attend it (and bill it: a claim with its ledger entries, or self-pay), diagnose,
prescribe, dispense, refer... Rows come from the library's draft functions
(``book_appointment``, the one booking function; ``draft_medical_record``,
``draft_claim``), so a journey's appointment is booked in a
:class:`~healthcare_data.scheduling.Scheduler` like any other (persona preferences
included) and is checked by the same rules. Which transition is taken is drawn from the
definition's weights (times the persona modifiers), or dictated by a *chooser* (the
single-journey builder forces a path that way).

Time. A transition says when the next step happens (a gap after the previous step, at
the booked appointment, or at a referral's expiry). A step whose time is not before
midnight of ``rng.today`` has not happened yet: the journey stops there, so a future
visit stays ``scheduled``, a referral inside its 90 days stays ``requested`` and a
prescription written yesterday may still wait for its pickup. Status agrees with time
by construction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from healthcare_data.errors import BusinessRuleViolation, ConfigurationError, SchedulingConflictError
from healthcare_data.journeys.definitions import END, Definitions, Journey, Step, Transition
from healthcare_data.journeys.drugs import Drug, drugs_for
from healthcare_data.randomness import Randomness
from healthcare_data.reference import APPOINTMENT_TYPES, CONDITION_BY_CODE, SPECIALTIES, Condition
from healthcare_data.rows import fast_uuid4
from healthcare_data.rows.appointments import book_appointment
from healthcare_data.rows.claims import CATEGORY_FACTOR, draft_claim
from healthcare_data.rows.records import draft_medical_record
from healthcare_data.scheduling import Scheduler

#: Tables each action writes (the workflow files list a journey's entities from it).
ACTION_ENTITY: dict[str, tuple[str, ...]] = {
    "register": ("patients",),
    "book_visit": ("appointments",),
    "attend_visit": ("appointments", "insurance_claims", "ledger_entries"),
    "cancel_visit": ("appointments",),
    "miss_visit": ("appointments",),
    "diagnose": ("medical_records",),
    "prescribe": ("prescriptions",),
    "dispense": ("dispensings",),
    "abandon_prescription": ("prescriptions",),
    "book_follow_up": ("appointments",),
    "refer": ("referrals",),
    "book_specialist": ("appointments", "referrals"),
    "expire_referral": ("referrals",),
}
#: Tables the engine writes, parents first (the order rows are flushed in).
JOURNEY_TABLES: tuple[str, ...] = (
    "patients",
    "patient_conditions",
    "patient_profiles",
    "providers",
    "appointments",
    "medical_records",
    "prescriptions",
    "dispensings",
    "referrals",
    "insurance_claims",
    "ledger_entries",
    "care_journeys",
    "journey_steps",
)
PHARMACIES: tuple[str, ...] = (
    "{city} Community Pharmacy",
    "Main Street Pharmacy of {city}",
    "{city} Family Drug",
)
CHILD_AGE = 18
_SLOT_RETRIES = 6
_WINDOW_DAYS = 7


class Ids:
    """Next primary key per table (the serial every draft function takes)."""

    def __init__(self, first: dict[str, int] | None = None) -> None:
        self._next = dict(first or {})

    def take(self, table: str) -> int:
        value = self._next.get(table, 1)
        self._next[table] = value + 1
        return value


@dataclass
class Clinic:
    """A care group: its providers by role, their calendars and the patients' calendars."""

    primary_adult: list[dict[str, Any]]
    primary_child: list[dict[str, Any]]
    specialists: dict[str, dict[str, Any]]
    scheduler: Scheduler = field(default_factory=Scheduler)
    patient_calendar: Scheduler = field(default_factory=Scheduler)


@dataclass
class PatientContext:
    """What the actions read of a patient: rows, conditions, segment and persona flags."""

    patient: dict[str, Any]
    conditions: list[Condition]
    segment: str
    primary: dict[str, Any]
    persona: str | None = None  # its scheduling preferences apply when a visit is booked

    @property
    def chronic(self) -> bool:
        return any(c.chronic for c in self.conditions)

    @property
    def insured(self) -> bool:
        return bool(self.patient.get("insurance_provider"))

    def age_on(self, day: date) -> int:
        born = self.patient["date_of_birth"]
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@dataclass
class Outcome:
    """One entity a step touched and the status it left it in."""

    entity: str
    entity_id: int
    status: str | None
    at: datetime | None = None  # when it happened, if later than the step's proposed time


Rows = dict[str, list[dict[str, Any]]]
Chooser = Callable[[str, Sequence[Transition], list[float]], Transition | None]


@dataclass
class Run:
    """One journey in progress: the rows it drafted and what later steps refer to."""

    rng: Randomness
    ids: Ids
    rows: Rows
    clinic: Clinic
    who: PatientContext
    definitions: Definitions
    now: datetime
    appointment: dict[str, Any] | None = None
    provider: dict[str, Any] | None = None
    record: dict[str, Any] | None = None
    condition: Condition | None = None
    prescriptions: list[dict[str, Any]] = field(default_factory=list)
    referral: dict[str, Any] | None = None
    focus: list[Condition] | None = None  # conditions a builder asked the diagnoses to be about

    def add(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        self.rows.setdefault(table, []).append(row)
        return row

    def days(self, low: float, high: float) -> timedelta:
        """A gap drawn uniformly from ``low``..``high`` days, in whole minutes."""
        return timedelta(minutes=round((low + (high - low) * self.rng.random.random()) * 1440))


# --- actions ---------------------------------------------------------------------------


def _end_of(appointment: dict[str, Any]) -> datetime:
    return appointment["appointment_date"] + timedelta(minutes=appointment["duration_minutes"] or 0)


def _book(
    run: Run,
    provider: dict[str, Any],
    appointment_type: str,
    booked_at: datetime,
    day: date,
    last_day: date | None = None,
) -> dict[str, Any]:
    """An appointment on ``day`` or the days after (free slots only), booked at ``booked_at``."""
    serial = run.ids.take("appointments")
    for attempt in range(_SLOT_RETRIES):
        start = day + timedelta(days=attempt * _WINDOW_DAYS)
        span = _WINDOW_DAYS if last_day is None else min(_WINDOW_DAYS, (last_day - start).days + 1)
        if span < 1:
            break
        try:
            row = book_appointment(
                run.rng,
                serial,
                run.who.patient,
                provider,
                run.clinic.scheduler,
                persona=run.who.persona,
                appointment_type=appointment_type,
                window_start=start,
                window_days=span,
                patient_calendar=run.clinic.patient_calendar,
            )
        except (SchedulingConflictError, BusinessRuleViolation):
            continue
        row["status"] = "scheduled"
        row["created_at"] = booked_at
        run.appointment, run.provider = run.add("appointments", row), provider
        return row
    raise ConfigurationError(
        f"No free {appointment_type!r} slot with provider {provider['id']} ({provider['specialty']}) "
        f"from {day}{'' if last_day is None else f' to {last_day}'}",
        ["use fewer patients per care group (group_patients)", "or a longer window (months)"],
    )


def _visit_type(run: Run, options: Sequence[str], specialty: str, day: date) -> str:
    child = run.who.age_on(day) < CHILD_AGE
    wanted = [t for t in options if not (t == "Well-Child Visit" and not child)]
    if child and "Well-Child Visit" in wanted:
        wanted = [t for t in wanted if t != "Annual Physical"]
    offered = SPECIALTIES.get(specialty)
    # An age-fitting type the provider offers; else any listed type it offers (a
    # 17-year-old whose primary-care physician is an internist gets an annual physical).
    allowed = [t for t in wanted if offered.allows(t)] or [t for t in options if offered.allows(t)]
    if not allowed:
        raise ConfigurationError(
            f"None of the appointment types {list(options)} is offered by {specialty!r}",
            [f"use one of {', '.join(SPECIALTIES.get(specialty).appointment_types)}"],
        )
    return allowed[int(run.rng.random.random() * len(allowed))]


def _book_visit(run: Run, step: Step, at: datetime) -> list[Outcome]:
    low, high = step.days("lead_days", (1, 14))
    day = (at + run.days(low, high)).date() + timedelta(days=1)
    provider = run.who.primary
    kind = _visit_type(run, step.options.get("appointment_types", ["Follow-up"]), provider["specialty"], day)
    row = _book(run, provider, kind, at, day)
    run.record, run.condition, run.prescriptions = None, None, []
    return [Outcome("appointments", row["id"], "scheduled")]


def _fee(provider: dict[str, Any], appointment: dict[str, Any], rng: Randomness) -> Decimal:
    fee = SPECIALTIES.get(provider["specialty"]).visit_fee
    category = APPOINTMENT_TYPES.get(appointment["appointment_type"]).category
    return Decimal(
        round(fee * CATEGORY_FACTOR.get(category, 1.0) * rng.random.uniform(0.85, 1.2) * 100)
    ).scaleb(-2)


def _ledger(
    run: Run,
    appointment: dict[str, Any],
    claim_id: int | None,
    party: str,
    kind: str,
    amount: Decimal,
    on: date,
) -> None:
    run.add(
        "ledger_entries",
        {
            "id": run.ids.take("ledger_entries"),
            "uuid": fast_uuid4(run.rng.random),
            "patient_id": appointment["patient_id"],
            "appointment_id": appointment["id"],
            "claim_id": claim_id,
            "party": party,
            "kind": kind,
            "amount": amount,
            "posted_on": on,
        },
    )


def _bill(run: Run, appointment: dict[str, Any], provider: dict[str, Any]) -> None:
    """A claim with its payer and patient portions (insured), or a self-pay entry."""
    if not run.who.insured:
        _ledger(
            run,
            appointment,
            None,
            "patient",
            "self_pay",
            _fee(provider, appointment, run.rng),
            appointment["appointment_date"].date(),
        )
        return
    claim = run.add(
        "insurance_claims",
        draft_claim(run.rng, run.ids.take("insurance_claims"), run.who.patient, provider, appointment),
    )
    if claim["status"] == "paid":
        paid = claim["payment_amount"]
        _ledger(run, appointment, claim["id"], "payer", "insurance_payment", paid, claim["processed_date"])
        if claim["claim_amount"] > paid:
            _ledger(
                run,
                appointment,
                claim["id"],
                "patient",
                "patient_responsibility",
                claim["claim_amount"] - paid,
                claim["processed_date"],
            )
    elif claim["status"] == "denied":
        _ledger(
            run,
            appointment,
            claim["id"],
            "patient",
            "patient_responsibility",
            claim["claim_amount"],
            claim["processed_date"],
        )


def _attend_visit(run: Run, step: Step, at: datetime) -> list[Outcome]:
    appointment = run.appointment
    assert appointment is not None and run.provider is not None
    appointment["status"] = "completed"
    _bill(run, appointment, run.provider)
    done = [Outcome("appointments", appointment["id"], "completed")]
    referral = run.referral
    if referral is not None and referral["appointment_id"] == appointment["id"]:
        referral["status"] = "completed"
        done.append(Outcome("referrals", referral["id"], "completed"))
    return done


def _is_booked(run: Run, step: Step) -> bool:
    return run.appointment is not None and run.appointment["status"] == "scheduled"


def _cancel_visit(run: Run, step: Step, at: datetime) -> list[Outcome]:
    assert run.appointment is not None
    run.appointment["status"] = "cancelled"
    run.clinic.scheduler.release(
        run.appointment["provider_id"],
        run.appointment["appointment_date"],
        run.appointment["duration_minutes"],
    )
    return [Outcome("appointments", run.appointment["id"], "cancelled")]


def _miss_visit(run: Run, step: Step, at: datetime) -> list[Outcome]:
    assert run.appointment is not None
    run.appointment["status"] = "no_show"
    return [Outcome("appointments", run.appointment["id"], "no_show")]


def _conditions(run: Run, scope: str) -> list[Condition]:
    if run.focus and scope != "preventive" and not (scope == "same" and run.condition is not None):
        return run.focus
    if scope == "acute":
        return []
    if scope == "chronic":
        return [c for c in run.who.conditions if c.chronic]
    if scope == "same" and run.condition is not None:
        return [run.condition]
    return run.who.conditions


def _can_diagnose(run: Run, step: Step) -> bool:
    return run.appointment is not None and run.appointment["status"] == "completed"


def _diagnose(run: Run, step: Step, at: datetime) -> list[Outcome]:
    appointment = run.appointment
    assert appointment is not None and run.provider is not None
    record = draft_medical_record(
        run.rng,
        run.ids.take("medical_records"),
        run.who.patient,
        _conditions(run, step.options.get("conditions", "history")),
        run.provider,
        appointment,
        follow_up_required=False,
    )
    run.record = run.add("medical_records", record)
    run.condition = CONDITION_BY_CODE.get(record["diagnosis_code"])
    run.prescriptions = []
    return [Outcome("medical_records", record["id"], None)]


def _drugs(run: Run) -> list[Drug]:
    return drugs_for(run.record["medications"]) if run.record is not None else []


def _can_prescribe(run: Run, step: Step) -> bool:
    return not run.prescriptions and bool(_drugs(run))


def _prescribe(run: Run, step: Step, at: datetime) -> list[Outcome]:
    record, appointment = run.record, run.appointment
    assert record is not None and appointment is not None
    written = max(at, _end_of(appointment))
    for drug in _drugs(run):
        run.prescriptions.append(
            run.add(
                "prescriptions",
                {
                    "id": run.ids.take("prescriptions"),
                    "uuid": fast_uuid4(run.rng.random),
                    "patient_id": record["patient_id"],
                    "provider_id": record["provider_id"],
                    "appointment_id": appointment["id"],
                    "medical_record_id": record["id"],
                    "diagnosis_code": record["diagnosis_code"],
                    "rxnorm_code": drug.rxcui,
                    "drug_name": drug.name,
                    "dose": drug.dose,
                    "route": drug.route,
                    "frequency": drug.frequency,
                    "quantity": drug.quantity,
                    "refills": drug.refills,
                    "status": "written",
                    "prescribed_at": written,
                },
            )
        )
    return [Outcome("prescriptions", p["id"], "written", written) for p in run.prescriptions]


def _has_written(run: Run, step: Step) -> bool:
    return any(p["status"] == "written" for p in run.prescriptions)


def _dispense(run: Run, step: Step, at: datetime) -> list[Outcome]:
    done = []
    city = run.who.patient.get("address_city") or "Springfield"
    pharmacy = PHARMACIES[run.who.patient["id"] % len(PHARMACIES)].format(city=city)
    for p in run.prescriptions:
        if p["status"] != "written":
            continue
        p["status"] = "dispensed"
        run.add(
            "dispensings",
            {
                "id": run.ids.take("dispensings"),
                "uuid": fast_uuid4(run.rng.random),
                "prescription_id": p["id"],
                "patient_id": p["patient_id"],
                "pharmacy": pharmacy,
                "quantity": p["quantity"],
                "dispensed_at": max(at, p["prescribed_at"] + timedelta(minutes=15)),
            },
        )
        done.append(Outcome("prescriptions", p["id"], "dispensed"))
    return done


def _abandon(run: Run, step: Step, at: datetime) -> list[Outcome]:
    done = []
    for p in run.prescriptions:
        if p["status"] == "written":
            p["status"] = "abandoned"
            done.append(Outcome("prescriptions", p["id"], "abandoned"))
    return done


def _can_follow_up(run: Run, step: Step) -> bool:
    return run.record is not None


def _book_follow_up(run: Run, step: Step, at: datetime) -> list[Outcome]:
    record = run.record
    assert record is not None and run.provider is not None
    low, high = step.days("after_diagnosis_days", (14, 42))
    high = max(low, high - (_WINDOW_DAYS - 1))  # the slot search may add up to a week
    day = max((record["record_date"] + run.days(low, high)).date(), at.date() + timedelta(days=1))
    provider = (
        run.provider if SPECIALTIES.get(run.provider["specialty"]).allows("Follow-up") else run.who.primary
    )
    record["follow_up_required"] = True
    row = _book(run, provider, "Follow-up", at, day)
    return [Outcome("appointments", row["id"], "scheduled")]


def _referral_specialty(run: Run) -> str | None:
    category = run.condition.category if run.condition is not None else None
    specialty = run.definitions.referral_specialties.get(category or "", None)
    return specialty if specialty in run.clinic.specialists else None


def _can_refer(run: Run, step: Step) -> bool:
    return (
        run.record is not None
        and run.referral is None
        and run.provider is not None
        and SPECIALTIES.get(run.provider["specialty"]).primary_care
        and _referral_specialty(run) is not None
    )


def _refer(run: Run, step: Step, at: datetime) -> list[Outcome]:
    record, appointment = run.record, run.appointment
    assert record is not None and appointment is not None and run.provider is not None
    issued = max(at, _end_of(appointment))
    run.referral = run.add(
        "referrals",
        {
            "id": run.ids.take("referrals"),
            "uuid": fast_uuid4(run.rng.random),
            "patient_id": record["patient_id"],
            "referring_provider_id": run.provider["id"],
            "from_appointment_id": appointment["id"],
            "specialty": _referral_specialty(run),
            "diagnosis_code": record["diagnosis_code"],
            "status": "requested",
            "issued_at": issued,
            "expires_on": issued.date() + timedelta(days=int(step.options.get("expires_days", 90))),
            "appointment_id": None,
        },
    )
    return [Outcome("referrals", run.referral["id"], "requested", issued)]


def _is_requested(run: Run, step: Step) -> bool:
    return run.referral is not None and run.referral["status"] == "requested"


def _book_specialist(run: Run, step: Step, at: datetime) -> list[Outcome]:
    referral = run.referral
    assert referral is not None
    low, high = step.days("lead_days", (3, 40))
    last = referral["expires_on"]
    day = min((at + run.days(low, high)).date() + timedelta(days=1), last)
    provider = run.clinic.specialists[referral["specialty"]]
    row = _book(run, provider, "Consultation", at, day, last_day=last)
    referral["status"], referral["appointment_id"] = "scheduled", row["id"]
    return [
        Outcome("appointments", row["id"], "scheduled"),
        Outcome("referrals", referral["id"], "scheduled"),
    ]


def _expire(run: Run, step: Step, at: datetime) -> list[Outcome]:
    assert run.referral is not None
    run.referral["status"] = "expired"
    return [Outcome("referrals", run.referral["id"], "expired")]


def _always(run: Run, step: Step) -> bool:
    return True


def _register(run: Run, step: Step, at: datetime) -> list[Outcome]:
    return [Outcome("patients", run.who.patient["id"], run.who.patient.get("status"))]


Action = Callable[[Run, Step, datetime], list[Outcome]]
Guard = Callable[[Run, Step], bool]

#: action name -> (guard: may the step run now?, perform). The step file's vocabulary.
ACTIONS: dict[str, tuple[Guard, Action]] = {
    "register": (_always, _register),
    "book_visit": (_always, _book_visit),
    "attend_visit": (_is_booked, _attend_visit),
    "cancel_visit": (_is_booked, _cancel_visit),
    "miss_visit": (_is_booked, _miss_visit),
    "diagnose": (_can_diagnose, _diagnose),
    "prescribe": (_can_prescribe, _prescribe),
    "dispense": (_has_written, _dispense),
    "abandon_prescription": (_has_written, _abandon),
    "book_follow_up": (_can_follow_up, _book_follow_up),
    "refer": (_can_refer, _refer),
    "book_specialist": (_is_requested, _book_specialist),
    "expire_referral": (_is_requested, _expire),
}


# --- the walk ---------------------------------------------------------------------------


def _when(run: Run, transition: Transition, previous: datetime) -> datetime:
    low, high = transition.gap_days
    if transition.anchor == "appointment" and run.appointment is not None:
        base = run.appointment["appointment_date"]
    elif transition.anchor == "expiry" and run.referral is not None:
        base = datetime.combine(run.referral["expires_on"] + timedelta(days=1), time())
    else:
        base = previous
    moment = base + run.days(low, high) if high or low else base
    return max(moment, previous)


def _weights(run: Run, journey: Journey, options: Sequence[Transition]) -> list[float]:
    modifiers = run.definitions.modifiers
    groups = [g for g, on in (("chronic", run.who.chronic), ("uninsured", not run.who.insured)) if on]
    weights = []
    for t in options:
        weight = t.weight
        if t.target != END:
            action = journey.steps[t.target].action
            for group in groups:
                weight *= modifiers.get(group, {}).get(action, 1.0)
        weights.append(weight)
    return weights


def random_chooser(rng: Randomness) -> Chooser:
    """Draw a transition by weight (None when every weight is 0)."""

    def choose(step: str, options: Sequence[Transition], weights: list[float]) -> Transition | None:
        total = sum(weights)
        if total <= 0:
            return None
        point = rng.random.random() * total
        for option, weight in zip(options, weights, strict=True):
            point -= weight
            if point < 0:
                return option
        return options[-1]

    return choose


def walk(run: Run, journey: Journey, start: datetime, chooser: Chooser) -> dict[str, Any]:
    """Run ``journey`` from ``start``; returns its care_journeys row (steps added to rows)."""
    journey_id = run.ids.take("care_journeys")
    steps: list[dict[str, Any]] = []

    def enter(step_name: str, at: datetime) -> datetime:
        step = journey.steps[step_name]
        outcomes = ACTIONS[step.action][1](run, step, at)
        moment = max([at, *(o.at for o in outcomes if o.at is not None)])
        for outcome in outcomes:
            steps.append(
                {
                    "id": run.ids.take("journey_steps"),
                    "journey_id": journey_id,
                    "seq": len(steps) + 1,
                    "step": step_name,
                    "entity": outcome.entity,
                    "entity_id": outcome.entity_id,
                    "status": outcome.status,
                    "occurred_at": moment,
                }
            )
        return moment

    current, at = journey.start, enter(journey.start, start)
    while True:
        options = [
            t
            for t in journey.outgoing(current)
            if t.target == END or ACTIONS[journey.steps[t.target].action][0](run, journey.steps[t.target])
        ]
        if not options:
            break
        chosen = chooser(current, options, _weights(run, journey, options))
        if chosen is None or chosen.target == END:
            break
        moment = _when(run, chosen, at)
        if moment >= run.now:
            break  # not happened yet: the journey waits in `current`
        current, at = chosen.target, enter(chosen.target, moment)
    run.rows.setdefault("journey_steps", []).extend(steps)
    return {
        "id": journey_id,
        "patient_id": run.who.patient["id"],
        "journey": journey.name,
        "segment": run.who.segment,
        "started_at": start,
        "ended_at": steps[-1]["occurred_at"] if steps else start,
        "final_step": current,
    }


__all__ = [
    "ACTIONS",
    "ACTION_ENTITY",
    "JOURNEY_TABLES",
    "Clinic",
    "Ids",
    "PatientContext",
    "Run",
    "random_chooser",
    "walk",
]
