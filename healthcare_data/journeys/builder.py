"""One patient's journey from Python, with the path a test needs.

    journey = (
        JourneyBuilder("chronic_care")
        .for_patient(conditions=["Diabetes Type 2"])
        .with_follow_ups(1)
        .with_referral("expired")
        .create(db, rng)
    )
    journey.rows("referrals")[0]["status"]   # 'expired'

The builder does not branch on its own: it picks, among the paths the journey's state
machine allows, the most likely one that meets the requests (visit outcome, pickup,
follow-ups, referral outcome), then the engine walks exactly that path, so the rows
are those the bulk generator would draft for the same choices. A request no path can
meet is a one-line ConfigurationError naming it and the journey's steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from healthcare_data.db import Database
from healthcare_data.errors import ConfigurationError, UnknownNameError
from healthcare_data.journeys.definitions import END, Definitions, Journey, Transition, default_definitions
from healthcare_data.journeys.engine import JOURNEY_TABLES, Ids, Rows, Run, walk
from healthcare_data.journeys.generate import build_clinic, draft_person
from healthcare_data.journeys.rules import check_tables
from healthcare_data.randomness import Randomness
from healthcare_data.reference import CONDITIONS
from healthcare_data.rules import journeys as named
from healthcare_data.schema import Base

VISIT_OUTCOMES = {"completed": "attend_visit", "cancelled": "cancel_visit", "no_show": "miss_visit"}
REFERRAL_OUTCOMES = ("requested", "scheduled", "completed", "expired")
CHRONIC_PERSONA = "chronic_condition_patient"
#: Rules a journey stopped at a pending state may break when it started too early.
PENDING_RULES = (named.APPOINTMENT_STATUS_TIME.name, named.REFERRAL_EXPIRY.name)


@dataclass
class JourneyResult:
    """The rows one built journey wrote (or would write), by table."""

    tables: Rows
    journey: dict[str, Any]
    path: list[str]

    def rows(self, table: str) -> list[dict[str, Any]]:
        return self.tables.get(table, [])

    @property
    def patient(self) -> dict[str, Any]:
        return self.rows("patients")[0]


@dataclass
class _Wants:
    visit: str | None = None
    picked_up: bool | None = None
    follow_ups: int | None = None
    referral: str | None = None
    path: list[str] | None = None

    def met_by(self, journey: Journey, path: Sequence[str]) -> bool:
        actions = [journey.steps[s].action for s in path]
        if self.path is not None:
            return list(path) == self.path
        if self.visit is not None and (len(actions) < 2 or actions[1] != VISIT_OUTCOMES[self.visit]):
            return False
        if self.picked_up is not None and ("dispense" in actions) != self.picked_up:
            return False
        if self.picked_up is False and "abandon_prescription" not in actions:
            return False
        if self.follow_ups is not None and actions.count("book_follow_up") != self.follow_ups:
            return False
        if self.referral is not None:
            last = actions[-1]
            outcome = {
                "expired": "expire_referral" in actions,
                "requested": last == "refer",
                "scheduled": last == "book_specialist",
                "completed": "book_specialist" in actions
                and last != "book_specialist"
                and actions[actions.index("book_specialist") + 1] == "attend_visit",
            }[self.referral]
            if not outcome:
                return False
        return True

    def describe(self) -> str:
        parts = [f"{k}={v!r}" for k, v in vars(self).items() if v is not None]
        return ", ".join(parts) or "no request"


def _paths(journey: Journey) -> list[tuple[float, list[str]]]:
    """Every path from the start to a step where the journey may stop, with its probability."""
    found: list[tuple[float, list[str]]] = []

    def visit(path: list[str], probability: float) -> None:
        options = journey.outgoing(path[-1])
        total = sum(t.weight for t in options) or 1.0
        if not options or any(t.target == END for t in options):
            ending = [t for t in options if t.target == END]
            found.append((probability * (ending[0].weight / total if ending else 1.0), path))
        # a path may also stop where the builder's request ends (e.g. a referral still requested)
        elif len(path) > 1:
            found.append((probability * 1e-6, path))
        for t in options:
            if t.target != END and t.target not in path:
                visit([*path, t.target], probability * t.weight / total)

    visit([journey.start], 1.0)
    return found


class JourneyBuilder:
    """Build one patient's journey with a chosen path (see the module docstring)."""

    def __init__(self, journey: str = "acute_care", definitions: Definitions | None = None) -> None:
        self.definitions = definitions or default_definitions()
        self.journey = self.definitions.journey(journey)
        self._wants = _Wants()
        self._patient: dict[str, Any] = {}
        self._persona: str | None = None
        self._days_ago: int | None = None
        self._segment = "active"

    def for_patient(
        self, persona: str | None = None, *, segment: str = "active", **patient: Any
    ) -> JourneyBuilder:
        """The patient: a persona and any ``draft_patient`` argument (conditions, age, ...)."""
        self._persona, self._segment, self._patient = persona, segment, patient
        return self

    def with_visit(self, outcome: str) -> JourneyBuilder:
        if outcome not in VISIT_OUTCOMES:
            raise UnknownNameError("visit outcome", outcome, list(VISIT_OUTCOMES))
        self._wants.visit = outcome
        return self

    def with_prescription(self, picked_up: bool = True) -> JourneyBuilder:
        self._wants.picked_up = picked_up
        return self

    def with_follow_ups(self, count: int) -> JourneyBuilder:
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ConfigurationError(f"follow-ups must be a whole number >= 0, got {count!r}")
        self._wants.follow_ups = count
        return self

    def with_referral(self, outcome: str) -> JourneyBuilder:
        if outcome not in REFERRAL_OUTCOMES:
            raise UnknownNameError("referral outcome", outcome, REFERRAL_OUTCOMES)
        self._wants.referral = outcome
        return self

    def through(self, *steps: str) -> JourneyBuilder:
        """Walk exactly these steps (each move must be a transition of the journey)."""
        path = list(steps)
        for a, b in zip(path, path[1:], strict=False):
            if not self.journey.allows(a, b):
                allowed = [t.target for t in self.journey.outgoing(a)]
                raise ConfigurationError(
                    f"{a!r} -> {b!r} is not a transition of {self.journey.name!r}; from {a!r}: {allowed}"
                )
        if path and path[0] != self.journey.start:
            raise ConfigurationError(
                f"a {self.journey.name!r} journey starts with {self.journey.start!r}, not {path[0]!r}"
            )
        self._wants.path = path
        return self

    def starting(self, days_ago: int) -> JourneyBuilder:
        """Start the journey this many days before today (default: long enough ago for its path)."""
        if isinstance(days_ago, bool) or not isinstance(days_ago, int) or days_ago < 1:
            raise ConfigurationError(f"days_ago must be a whole number >= 1, got {days_ago!r}")
        self._days_ago = days_ago
        return self

    # --- building -----------------------------------------------------------------------

    def plan(self) -> list[str]:
        """The most likely path of the journey that meets every request."""
        fitting = [(p, path) for p, path in _paths(self.journey) if self._wants.met_by(self.journey, path)]
        if not fitting:
            raise ConfigurationError(
                f"No path of journey {self.journey.name!r} meets {self._wants.describe()}",
                [f"its steps: {', '.join(self.journey.steps)}", "pick another journey or fewer requests"],
            )
        return max(fitting, key=lambda item: item[0])[1]

    def build(self, rng: Randomness, first_ids: dict[str, int] | None = None) -> JourneyResult:
        """Draft the journey's rows in memory (ids from ``first_ids``, else 1).

        A path that stops at a pending state (a specialist visit still ``scheduled``, a
        referral still ``requested``) must leave that state in the future: without an
        explicit ``starting(days_ago)`` later starts are tried until it is.
        """
        path = self.plan()
        if self._days_ago is not None:
            tries = [self._days_ago]
        elif self._wants.referral in ("requested", "scheduled"):
            tries = [60, 45, 30, 20, 15, 10, 7, 5]
        else:
            tries = [240]
        for attempt, days_ago in enumerate(tries):
            result = self._walk(
                rng if attempt == 0 else rng.child(f"attempt-{attempt}"), path, days_ago, first_ids
            )
            pending = check_tables(result.tables, rng.today, self.definitions, PENDING_RULES)
            if (not pending and result.path == path) or attempt == len(tries) - 1:
                break
        if result.path != path:
            raise ConfigurationError(
                f"Journey {self.journey.name!r} reached only {result.path[-1]!r} by today; "
                f"{path[len(result.path)]!r} lies in the future",
                [f"start it earlier: .starting(days_ago=...) (now {days_ago})"],
            )
        if pending:
            raise ConfigurationError(
                f"Journey {self.journey.name!r} cannot stop at {path[-1]!r} by today: {pending[0].message}",
                ["start it later: .starting(days_ago=...)", "or ask for an outcome that completes"],
            )
        return result

    def _walk(
        self, rng: Randomness, path: list[str], days_ago: int, first_ids: dict[str, int] | None
    ) -> JourneyResult:
        rows: Rows = {}
        ids = Ids(first_ids)
        now = datetime.combine(rng.today, time())
        clinic = build_clinic(rng, ids, rows, self.definitions, 1)
        start = now - timedelta(days=days_ago)
        persona = self._persona
        if persona is None and any(CONDITIONS.get(c).chronic for c in self._patient.get("conditions") or ()):
            persona = CHRONIC_PERSONA  # "a diabetic patient": an adult managing a chronic condition
        who = draft_person(
            rng,
            ids,
            rows,
            clinic,
            self.definitions,
            start,
            persona=persona,
            segment=self._segment,
            **self._patient,
        )
        if self.journey.requires == "chronic" and not who.chronic:
            raise ConfigurationError(
                f"Journey {self.journey.name!r} needs a patient with a chronic condition",
                ["for_patient(conditions=['Diabetes Type 2']) or another chronic condition"],
            )
        position = {"index": 0}

        def follow(step: str, options: Sequence[Transition], weights: list[float]) -> Transition | None:
            index = position["index"]
            if index + 1 >= len(path):
                return None
            wanted = path[index + 1]
            for option in options:
                if option.target == wanted:
                    position["index"] = index + 1
                    return option
            raise ConfigurationError(
                f"Journey {self.journey.name!r} cannot go {step!r} -> {wanted!r} for this patient "
                f"(possible now: {[o.target for o in options]})",
                ["give the patient a condition whose diagnosis has a drug (reference/drugs.toml)"]
                if self.journey.steps[wanted].action == "prescribe"
                else ["choose another path"],
            )

        run = Run(rng, ids, rows, clinic, who, self.definitions, now)
        if self._patient.get("conditions"):
            run.focus = [CONDITIONS.get(c) for c in self._patient["conditions"]]
        journey_row = walk(run, self.journey, start + timedelta(hours=9), follow)
        rows.setdefault("care_journeys", []).append(journey_row)
        entered = [s["step"] for s in rows.get("journey_steps", []) if s["journey_id"] == journey_row["id"]]
        taken = [s for k, s in enumerate(entered) if k == 0 or s != entered[k - 1]]
        ordered = {t: rows[t] for t in JOURNEY_TABLES if rows.get(t)}
        return JourneyResult(ordered, journey_row, taken)

    def create(self, db: Database, rng: Randomness) -> JourneyResult:
        """Build and insert the journey in one transaction (ids continue the database's)."""
        with db.transaction() as conn:
            first = {t: db.next_id(conn, t) for t in JOURNEY_TABLES if t != "patient_profiles"}
            result = self.build(rng, first)
            for table, rows in result.tables.items():
                conn.execute(Base.metadata.tables[table].insert(), rows)
        db.sync_sequences()
        return result


__all__ = ["JourneyBuilder", "JourneyResult"]
