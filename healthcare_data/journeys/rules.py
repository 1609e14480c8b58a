"""Validation rules for patient journeys, for any seeded database or loaded files.

Each rule is a small named function with the entity it judges and the recovery it
suggests (:class:`JourneyRule`), registered in :data:`JOURNEY_RULES`, so it fits a rule
registry. They read *tables* (name -> row dicts) of a slice of patients: from a database
(:func:`check_database`, a page of patients at a time, so memory stays bounded) or from
workflow files (:func:`check_tables`). Violations carry entity, key, rule and recovery;
:func:`check_database` is called by the ``business_rules`` validator, so they appear in
the existing validation report.

Chains checked: registration -> booking -> visit -> diagnosis -> prescription ->
dispensing (each timestamp not before the previous one), appointment status against
time (``completed``/``no_show`` only in the past, ``scheduled`` only in the future),
journey steps only along the definition's transitions, entity statuses only along their
status machines, referral expiry, payments that add up, dispensed <= prescribed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from healthcare_data.journeys.definitions import Definitions, default_definitions
from healthcare_data.journeys.drugs import fits_diagnosis
from healthcare_data.registry import Registry
from healthcare_data.schema import Base
from healthcare_data.validation.report import BUSINESS, INTEGRITY, ValidationReport, Violation

Tables = Mapping[str, list[dict[str, Any]]]
PAGE_PATIENTS = 2000
REFERRAL_DAYS = 90


@dataclass
class Slice:
    """Rows of some patients, indexed the way the rules look them up."""

    tables: Tables
    today: date
    definitions: Definitions

    def __post_init__(self) -> None:
        self.midnight = datetime.combine(self.today, time())
        self.by_id = {name: {r["id"]: r for r in rows if "id" in r} for name, rows in self.tables.items()}
        self.patients = {r["id"]: r for r in self.tables.get("patients", ())}
        steps = sorted(self.tables.get("journey_steps", ()), key=lambda s: (s["journey_id"], s["seq"]))
        self.steps_of: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        for s in steps:
            self.steps_of[s["journey_id"]].append(s)
        self.in_journey = {(s["entity"], s["entity_id"]) for s in steps}

    def rows(self, table: str) -> list[dict[str, Any]]:
        return self.tables.get(table, [])

    def get(self, table: str, key: Any) -> dict[str, Any] | None:
        return self.by_id.get(table, {}).get(key)


@dataclass(frozen=True)
class JourneyRule:
    """A named check: the entity it judges, what it means, how to fix a violation."""

    name: str
    entity: str
    description: str
    recovery: str
    check: Callable[[Slice], Iterable[tuple[Any, str, str]]]  # (key, field, message)
    category: str = BUSINESS

    def run(self, data: Slice) -> list[Violation]:
        return [
            Violation(self.entity, key, field, self.name, message, self.recovery, self.category)
            for key, field, message in self.check(data)
        ]


JOURNEY_RULES: Registry[JourneyRule] = Registry("journey rule")


def rule(
    name: str, entity: str, description: str, recovery: str, category: str = BUSINESS
) -> Callable[..., Any]:
    def register(
        check: Callable[[Slice], Iterable[tuple[Any, str, str]]],
    ) -> Callable[[Slice], Iterable[tuple[Any, str, str]]]:
        JOURNEY_RULES.register(name, JourneyRule(name, entity, description, recovery, check, category))
        return check

    return register


def _dt(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    return datetime.fromisoformat(str(value))


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# --- time and status ---------------------------------------------------------------------


@rule(
    "appointment_status_time",
    "appointments",
    "completed and no_show visits lie in the past, scheduled ones in the future",
    "a past visit is completed, no_show or cancelled; a future one scheduled or cancelled",
)
def appointment_status_time(data: Slice) -> Iterator[tuple[Any, str, str]]:
    for a in data.rows("appointments"):
        when, status = _dt(a["appointment_date"]), a.get("status")
        if status in ("completed", "no_show") and when >= data.midnight:
            yield (
                a["id"],
                "status",
                f"appointment on {when:%Y-%m-%d %H:%M} is {status!r} "
                f"but lies in the future (today {data.today})",
            )
        elif status == "scheduled" and when < data.midnight:
            yield (
                a["id"],
                "status",
                f"appointment on {when:%Y-%m-%d %H:%M} is still 'scheduled' "
                f"but lies in the past (today {data.today})",
            )


@rule(
    "registration_before_visit",
    "appointments",
    "a journey's visit is booked after the patient registered, and held after it was booked",
    "book the visit after the patient's created_at, and date it after its own created_at",
)
def registration_before_visit(data: Slice) -> Iterator[tuple[Any, str, str]]:
    for a in data.rows("appointments"):
        if ("appointments", a["id"]) not in data.in_journey:
            continue
        patient = data.patients.get(a["patient_id"])
        booked, held = _dt(a["created_at"]), _dt(a["appointment_date"])
        if (
            patient is not None
            and patient.get("created_at") is not None
            and booked < _dt(patient["created_at"])
        ):
            yield (
                a["id"],
                "created_at",
                f"booked {booked} before the patient registered ({patient['created_at']})",
            )
        if held < booked:
            yield a["id"], "appointment_date", f"held {held} before it was booked ({booked})"


@rule(
    "diagnosis_after_visit",
    "medical_records",
    "a journey's diagnosis is recorded on the day of its visit, not before it",
    "date the record at its appointment's start",
)
def diagnosis_after_visit(data: Slice) -> Iterator[tuple[Any, str, str]]:
    for r in data.rows("medical_records"):
        if ("medical_records", r["id"]) not in data.in_journey or r.get("appointment_id") is None:
            continue
        visit = data.get("appointments", r["appointment_id"])
        if visit is None:
            continue
        held, recorded = _dt(visit["appointment_date"]), _dt(r["record_date"])
        if recorded < held or recorded.date() != held.date():
            yield r["id"], "record_date", f"recorded {recorded}, visit held {held}: not the visit's day"


@rule(
    "prescription_after_diagnosis",
    "prescriptions",
    "a prescription is written on the day of its diagnosis, not before it, for that diagnosis",
    "write the prescription at the end of the visit whose record it cites",
)
def prescription_after_diagnosis(data: Slice) -> Iterator[tuple[Any, str, str]]:
    for p in data.rows("prescriptions"):
        record = data.get("medical_records", p.get("medical_record_id"))
        if record is None:
            continue
        written, recorded = _dt(p["prescribed_at"]), _dt(record["record_date"])
        if written < recorded or written.date() != recorded.date():
            yield (
                p["id"],
                "prescribed_at",
                f"written {written}, diagnosis recorded {recorded}: not the same day, in order",
            )
        if p["diagnosis_code"] != record["diagnosis_code"]:
            yield (
                p["id"],
                "diagnosis_code",
                f"treats {p['diagnosis_code']!r} but its record diagnosed {record['diagnosis_code']!r}",
            )


@rule(
    "prescription_fits_diagnosis",
    "prescriptions",
    "the drug (RxNorm concept) is one prescribed for the diagnosis (reference/drugs.toml)",
    "prescribe a drug whose `treats` lists the diagnosis code (journeys.drugs.DRUGS)",
)
def prescription_fits_diagnosis(data: Slice) -> Iterator[tuple[Any, str, str]]:
    for p in data.rows("prescriptions"):
        if not fits_diagnosis(p["rxnorm_code"], p["diagnosis_code"]):
            yield (
                p["id"],
                "rxnorm_code",
                f"{p['drug_name']} (RxNorm {p['rxnorm_code']}) does not treat {p['diagnosis_code']}",
            )


@rule(
    "dispensing_after_prescription",
    "dispensings",
    "a prescription is dispensed after it was written and not in the future",
    "date the dispensing between the prescription's prescribed_at and today",
)
def dispensing_after_prescription(data: Slice) -> Iterator[tuple[Any, str, str]]:
    for d in data.rows("dispensings"):
        p = data.get("prescriptions", d["prescription_id"])
        when = _dt(d["dispensed_at"])
        if p is not None and when < _dt(p["prescribed_at"]):
            yield d["id"], "dispensed_at", f"dispensed {when} before it was prescribed ({p['prescribed_at']})"
        if when >= data.midnight:
            yield d["id"], "dispensed_at", f"dispensed {when}, which is in the future (today {data.today})"


@rule(
    "dispensed_within_prescribed",
    "prescriptions",
    "the quantity dispensed is at most the quantity prescribed times (1 + refills)",
    "lower the dispensed quantity or raise the prescription's refills",
)
def dispensed_within_prescribed(data: Slice) -> Iterator[tuple[Any, str, str]]:
    dispensed: dict[Any, int] = defaultdict(int)
    for d in data.rows("dispensings"):
        dispensed[d["prescription_id"]] += int(d["quantity"])
    for p in data.rows("prescriptions"):
        allowed = int(p["quantity"]) * (1 + int(p["refills"] or 0))
        if dispensed.get(p["id"], 0) > allowed:
            yield (
                p["id"],
                "quantity",
                f"{dispensed[p['id']]} dispensed but only {allowed} prescribed (with refills)",
            )


@rule(
    "prescription_status_matches",
    "prescriptions",
    "a 'dispensed' prescription has a dispensing; 'written' and 'abandoned' ones have none",
    "set the status from the dispensings (dispensed when filled, abandoned when never picked up)",
)
def prescription_status_matches(data: Slice) -> Iterator[tuple[Any, str, str]]:
    filled = {d["prescription_id"] for d in data.rows("dispensings")}
    for p in data.rows("prescriptions"):
        if (p["status"] == "dispensed") != (p["id"] in filled):
            yield (
                p["id"],
                "status",
                f"status {p['status']!r} but {'a' if p['id'] in filled else 'no'} dispensing",
            )


# --- referrals ----------------------------------------------------------------------------


@rule(
    "referral_expiry",
    "referrals",
    f"a referral expires {REFERRAL_DAYS} days after issue; "
    "unused after that it is 'expired', not 'requested'",
    f"set expires_on to issued_at + {REFERRAL_DAYS} days; mark unused referrals past expires_on 'expired'",
)
def referral_expiry(data: Slice) -> Iterator[tuple[Any, str, str]]:
    for r in data.rows("referrals"):
        expires, issued = _day(r["expires_on"]), _dt(r["issued_at"])
        if expires != issued.date() + timedelta(days=REFERRAL_DAYS):
            yield (
                r["id"],
                "expires_on",
                f"expires {expires}, not {REFERRAL_DAYS} days after issue ({issued.date()})",
            )
        if r["status"] == "requested" and expires < data.today:
            yield (
                r["id"],
                "status",
                f"still 'requested' although it expired on {expires} (today {data.today})",
            )
        if r["status"] == "expired" and (expires >= data.today or r.get("appointment_id") is not None):
            yield (
                r["id"],
                "status",
                "'expired' but "
                + ("it was used" if r.get("appointment_id") is not None else f"it is valid until {expires}"),
            )
        if issued >= data.midnight:
            yield r["id"], "issued_at", f"issued {issued}, which is in the future"


@rule(
    "referral_visit_window",
    "referrals",
    "a scheduled or completed referral names a visit with its specialty inside the referral's 90 days",
    "book the specialist visit with a provider of the referral's specialty before expires_on",
)
def referral_visit_window(data: Slice) -> Iterator[tuple[Any, str, str]]:
    for r in data.rows("referrals"):
        if r["status"] not in ("scheduled", "completed"):
            continue
        visit = data.get("appointments", r.get("appointment_id"))
        if visit is None:
            yield r["id"], "appointment_id", f"{r['status']!r} but names no visit"
            continue
        held = _dt(visit["appointment_date"])
        if held < _dt(r["issued_at"]) or held.date() > _day(r["expires_on"]):
            yield r["id"], "appointment_id", f"visit {held} is outside {r['issued_at']} .. {r['expires_on']}"
        provider = data.get("providers", visit["provider_id"])
        if provider is not None and provider["specialty"] != r["specialty"]:
            yield (
                r["id"],
                "specialty",
                f"visit is with {provider['specialty']!r}, referral is to {r['specialty']!r}",
            )
        if r["status"] == "completed" and visit["status"] != "completed":
            yield r["id"], "status", f"'completed' but its visit is {visit['status']!r}"


# --- money ----------------------------------------------------------------------------------


def _money(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


@rule(
    "payments_add_up",
    "insurance_claims",
    "ledger entries of a claim add up: the payer's portion is the paid amount, payer + patient the charge",
    "post the payer's payment_amount and the patient's remainder (claim_amount - payment_amount)",
)
def payments_add_up(data: Slice) -> Iterator[tuple[Any, str, str]]:
    payer: dict[Any, Decimal] = defaultdict(Decimal)
    total: dict[Any, Decimal] = defaultdict(Decimal)
    for e in data.rows("ledger_entries"):
        if e.get("claim_id") is not None:
            total[e["claim_id"]] += _money(e["amount"])
            if e["party"] == "payer":
                payer[e["claim_id"]] += _money(e["amount"])
    for c in data.rows("insurance_claims"):
        journey = ("appointments", c.get("appointment_id")) in data.in_journey
        if c["id"] not in total and not journey:
            continue  # a claim outside any journey carries no ledger
        status, charge, paid = c.get("status"), _money(c["claim_amount"]), _money(c.get("payment_amount"))
        if status == "paid" and (payer[c["id"]] != paid or total[c["id"]] != charge):
            yield (
                c["claim_number"],
                "payment_amount",
                (
                    f"payer posted {payer[c['id']]} of paid {paid}; "
                    f"payer + patient {total[c['id']]} of charge {charge}"
                ),
            )
        elif status == "denied" and (payer[c["id"]] != 0 or total[c["id"]] != charge):
            yield (
                c["claim_number"],
                "status",
                f"denied: payer posted {payer[c['id']]}, patient billed {total[c['id']]} of {charge}",
            )
        elif status in ("submitted", "processed") and c["id"] in total:
            yield c["claim_number"], "status", f"{status!r} claim already has payments ({total[c['id']]})"


@rule(
    "self_pay_uninsured",
    "ledger_entries",
    "self-pay entries belong to uninsured patients and carry no claim",
    "bill insured patients through a claim; post self-pay only for uninsured patients",
)
def self_pay_uninsured(data: Slice) -> Iterator[tuple[Any, str, str]]:
    for e in data.rows("ledger_entries"):
        if e["kind"] != "self_pay":
            continue
        patient = data.patients.get(e["patient_id"])
        if e.get("claim_id") is not None or (patient is not None and patient.get("insurance_provider")):
            yield e["id"], "kind", "self-pay entry for an insured patient or a claim"


# --- state machines --------------------------------------------------------------------------


@rule(
    "journey_transition",
    "journey_steps",
    "a journey enters its start step first and then only steps its definition allows next",
    "follow the journey's transitions (reference/journeys.toml); `healthcare-data workflows` lists them",
    INTEGRITY,
)
def journey_transition(data: Slice) -> Iterator[tuple[Any, str, str]]:
    for j in data.rows("care_journeys"):
        journey = data.definitions.journeys.get(j["journey"])
        if journey is None:
            yield (
                j["id"],
                "journey",
                f"unknown journey {j['journey']!r}; known: {', '.join(data.definitions.journeys)}",
            )
            continue
        steps = [s["step"] for s in data.steps_of.get(j["id"], [])]
        names = [s for k, s in enumerate(steps) if k == 0 or s != steps[k - 1]]
        if names and names[0] != journey.start:
            yield j["id"], "step", f"starts in {names[0]!r}, not {journey.start!r}"
        for a, b in zip(names, names[1:], strict=False):
            if not journey.allows(a, b):
                allowed = [t.target for t in journey.outgoing(a)]
                yield (
                    j["id"],
                    "step",
                    f"{a!r} -> {b!r} is not a transition of {journey.name!r} (from {a!r}: {allowed})",
                )
        if names and names[-1] != j["final_step"]:
            yield j["id"], "final_step", f"final_step {j['final_step']!r} but the last step is {names[-1]!r}"


@rule(
    "steps_in_time_order",
    "journey_steps",
    "a journey's steps happen in order (registration, visit, diagnosis, prescription, dispensing) "
    "and never after today",
    "give each step a time not before the previous step's and before today",
    INTEGRITY,
)
def steps_in_time_order(data: Slice) -> Iterator[tuple[Any, str, str]]:
    for journey_id, steps in data.steps_of.items():
        previous: datetime | None = None
        for s in steps:
            when = _dt(s["occurred_at"])
            if previous is not None and when < previous:
                yield (
                    journey_id,
                    "occurred_at",
                    f"step {s['seq']} {s['step']!r} at {when} is before the step before it ({previous})",
                )
            if when >= data.midnight:
                yield (
                    journey_id,
                    "occurred_at",
                    f"step {s['seq']} {s['step']!r} at {when} has not happened yet (today {data.today})",
                )
            previous = when
        journey = data.get("care_journeys", journey_id)
        patient = data.patients.get(journey["patient_id"]) if journey else None
        if (
            steps
            and patient is not None
            and patient.get("created_at") is not None
            and _dt(steps[0]["occurred_at"]) < _dt(patient["created_at"])
        ):
            yield (
                journey_id,
                "occurred_at",
                f"starts {steps[0]['occurred_at']} before the patient registered ({patient['created_at']})",
            )


@rule(
    "status_transition",
    "journey_steps",
    "appointments, prescriptions and referrals change status only along their status machines, "
    "ending in their stored status",
    "record every status change as a step, along the machine in reference/journeys.toml [status_machines]",
    INTEGRITY,
)
def status_transition(data: Slice) -> Iterator[tuple[Any, str, str]]:
    machines = data.definitions.status_machines
    chains: dict[tuple[str, Any], list[str]] = defaultdict(list)
    for steps in data.steps_of.values():
        for s in steps:
            if s["entity"] in machines:
                chains[(s["entity"], s["entity_id"])].append(s["status"])
    for (entity, key), statuses in chains.items():
        machine = machines[entity]
        if statuses[0] != machine.initial:
            yield f"{entity}:{key}", "status", f"first status {statuses[0]!r}, not {machine.initial!r}"
        for a, b in zip(statuses, statuses[1:], strict=False):
            if a != b and not machine.allows(a, b):
                yield (
                    f"{entity}:{key}",
                    "status",
                    f"{a!r} -> {b!r} is not allowed (from {a!r}: {list(machine.transitions.get(a, ()))})",
                )
        row = data.get(entity, key)
        if row is not None and row.get("status") != statuses[-1]:
            yield (
                f"{entity}:{key}",
                "status",
                f"stored status {row.get('status')!r} but its last step left it {statuses[-1]!r}",
            )


# --- running ----------------------------------------------------------------------------------


def check_tables(
    tables: Tables, today: date, definitions: Definitions | None = None, names: Iterable[str] | None = None
) -> list[Violation]:
    """Every journey rule (or ``names``) on in-memory tables, e.g. loaded workflow files."""
    data = Slice(tables, today, definitions or default_definitions())
    chosen = (
        [JOURNEY_RULES.get(n) for n in names] if names is not None else [r for _, r in JOURNEY_RULES.items()]
    )
    return [v for r in chosen for v in r.run(data)]


_BY_PATIENT = (
    "patients",
    "appointments",
    "medical_records",
    "prescriptions",
    "dispensings",
    "referrals",
    "insurance_claims",
    "ledger_entries",
    "care_journeys",
)


def _page(
    conn: Connection, low: int, high: int, providers: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {"providers": providers}
    for name in _BY_PATIENT:
        table = Base.metadata.tables[name]
        column = table.c.id if name == "patients" else table.c.patient_id
        tables[name] = [
            dict(r) for r in conn.execute(select(table).where(column >= low, column < high)).mappings()
        ]
    steps = Base.metadata.tables["journey_steps"]
    journeys = Base.metadata.tables["care_journeys"]
    query = (
        select(steps)
        .join(journeys, steps.c.journey_id == journeys.c.id)
        .where(journeys.c.patient_id >= low, journeys.c.patient_id < high)
    )
    tables["journey_steps"] = [dict(r) for r in conn.execute(query).mappings()]
    return tables


def check_database(
    conn: Connection,
    today: date,
    definitions: Definitions | None = None,
    page: int = PAGE_PATIENTS,
    names: Iterable[str] | None = None,
) -> ValidationReport:
    """Every journey rule on a database, ``page`` patients at a time (bounded memory)."""
    definitions = definitions or default_definitions()
    names = list(names) if names is not None else None
    patients = Base.metadata.tables["patients"]
    providers = [dict(r) for r in conn.execute(select(Base.metadata.tables["providers"])).mappings()]
    ids = [row[0] for row in conn.execute(select(patients.c.id).order_by(patients.c.id))]
    report = ValidationReport("journey_rules")
    for k in range(0, len(ids), page):
        chunk = ids[k : k + page]
        tables = _page(conn, chunk[0], chunk[-1] + 1, providers)
        report.checked += sum(len(rows) for name, rows in tables.items() if name != "providers")
        report.add(check_tables(tables, today, definitions, names))
    return report


__all__ = ["JOURNEY_RULES", "JourneyRule", "Slice", "check_database", "check_tables", "rule"]
