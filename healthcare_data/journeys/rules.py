"""The checks of the patient-journey rules, for any seeded database or loaded files.

The rules themselves (name, table, category, fields, meaning, recovery) are registered
in :data:`healthcare_data.rules.RULES` by :mod:`healthcare_data.rules.journeys`; each
function here is the check of one of them (:func:`enforces`), and the
``journey_consistency`` group (:mod:`healthcare_data.rules.groups`) says which run. They
read *tables* (name -> row dicts) of a slice of patients: from a database
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

from healthcare_data.errors import UnknownNameError
from healthcare_data.journeys.definitions import Definitions, default_definitions
from healthcare_data.journeys.drugs import fits_diagnosis
from healthcare_data.rulebook import RULES, Rule
from healthcare_data.rules import journeys as named
from healthcare_data.rules.groups import JOURNEY_GROUP_RULES
from healthcare_data.schema import Base
from healthcare_data.validation.report import ValidationReport, Violation

Tables = Mapping[str, list[dict[str, Any]]]
PAGE_PATIENTS = 2000
REFERRAL_DAYS = named.REFERRAL_DAYS
JOURNEY_CONSISTENCY = JOURNEY_GROUP_RULES["journey_consistency"]


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


JourneyCheck = Callable[[Slice], Iterable[tuple[Any, str, str]]]  # yields (key, field, message)
CHECKS: dict[str, JourneyCheck] = {}


def enforces(rule: Rule) -> Callable[[JourneyCheck], JourneyCheck]:
    """Make the decorated function the check of the registered journey rule ``rule``."""

    def register(check: JourneyCheck) -> JourneyCheck:
        CHECKS[rule.name] = check
        return check

    return register


def run_rule(rule: Rule, data: Slice) -> list[Violation]:
    """The violations of one journey rule on a slice, worded by its check, fixed by the rule."""
    return [
        Violation(rule.entity, key, field, rule.name, message, rule.recovery, rule.category)
        for key, field, message in CHECKS[rule.name](data)
    ]


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


@enforces(named.APPOINTMENT_STATUS_TIME)
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


@enforces(named.REGISTRATION_BEFORE_VISIT)
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


@enforces(named.DIAGNOSIS_AFTER_VISIT)
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


@enforces(named.PRESCRIPTION_AFTER_DIAGNOSIS)
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


@enforces(named.PRESCRIPTION_FITS_DIAGNOSIS)
def prescription_fits_diagnosis(data: Slice) -> Iterator[tuple[Any, str, str]]:
    for p in data.rows("prescriptions"):
        if not fits_diagnosis(p["rxnorm_code"], p["diagnosis_code"]):
            yield (
                p["id"],
                "rxnorm_code",
                f"{p['drug_name']} (RxNorm {p['rxnorm_code']}) does not treat {p['diagnosis_code']}",
            )


@enforces(named.DISPENSING_AFTER_PRESCRIPTION)
def dispensing_after_prescription(data: Slice) -> Iterator[tuple[Any, str, str]]:
    for d in data.rows("dispensings"):
        p = data.get("prescriptions", d["prescription_id"])
        when = _dt(d["dispensed_at"])
        if p is not None and when < _dt(p["prescribed_at"]):
            yield d["id"], "dispensed_at", f"dispensed {when} before it was prescribed ({p['prescribed_at']})"
        if when >= data.midnight:
            yield d["id"], "dispensed_at", f"dispensed {when}, which is in the future (today {data.today})"


@enforces(named.DISPENSED_WITHIN_PRESCRIBED)
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


@enforces(named.PRESCRIPTION_STATUS_MATCHES)
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


@enforces(named.REFERRAL_EXPIRY)
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


@enforces(named.REFERRAL_VISIT_WINDOW)
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


@enforces(named.PAYMENTS_ADD_UP)
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


@enforces(named.SELF_PAY_UNINSURED)
def self_pay_uninsured(data: Slice) -> Iterator[tuple[Any, str, str]]:
    for e in data.rows("ledger_entries"):
        if e["kind"] != "self_pay":
            continue
        patient = data.patients.get(e["patient_id"])
        if e.get("claim_id") is not None or (patient is not None and patient.get("insurance_provider")):
            yield e["id"], "kind", "self-pay entry for an insured patient or a claim"


# --- state machines --------------------------------------------------------------------------


@enforces(named.JOURNEY_TRANSITION)
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


@enforces(named.STEPS_IN_TIME_ORDER)
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


@enforces(named.STATUS_TRANSITION)
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
    chosen = JOURNEY_CONSISTENCY if names is None else tuple(names)
    unknown = [n for n in chosen if n not in CHECKS]
    if unknown:
        raise UnknownNameError("journey rule", unknown[0], JOURNEY_CONSISTENCY)
    return [v for n in chosen for v in run_rule(RULES.get(n), data)]


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


_unchecked = [r.name for r in named.JOURNEY_RULES if r.name not in CHECKS]
if _unchecked:  # every registered journey rule is enforced here
    raise RuntimeError(f"journey rules without a check: {_unchecked}")

__all__ = ["CHECKS", "Slice", "check_database", "check_tables", "enforces", "run_rule"]
