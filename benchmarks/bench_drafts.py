"""Microbenchmark of the shared row drafts and ``Scheduler.find_slot``.

Why: the bulk engine spends most of its time in these functions (see README), and this
machine is noisy, so each timing is also given as a ratio to a trivial baseline (building
a 6-key dict) measured in the same run, interleaved with the real measurements. Compare
ratios across runs, not raw microseconds.

    PYTHONPATH=. python benchmarks/bench_drafts.py [--calls 2000] [--repeats 7]

Inputs mirror what the bulk engine passes: compact dict views of the patient, provider
and appointment (see ``healthcare_data/generation.py``), one fresh Scheduler per repeat.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from tabulate import tabulate

from healthcare_data.randomness import Randomness
from healthcare_data.rows.appointments import draft_appointment
from healthcare_data.rows.claims import draft_claim
from healthcare_data.rows.patients import draft_patient
from healthcare_data.rows.providers import draft_provider
from healthcare_data.rows.records import draft_medical_record
from healthcare_data.scheduling import Scheduler

TODAY = date(2026, 11, 22)
SEED = 20261122
PROVIDERS = 64


def _inputs(count: int) -> dict[str, Any]:
    """Patients, providers and booked appointments to feed the drafts (built once, untimed)."""
    rng = Randomness(SEED, today=TODAY)
    window_start = TODAY - timedelta(days=365)
    # Patients born before the window, so every input is valid for every version of the drafts.
    drafts = [d for d in (draft_patient(rng, i + 1) for i in range(count * 2))
              if d.patient["date_of_birth"] < window_start][:count]
    patients = [
        {
            "id": d.patient["id"],
            "patient_id": d.patient["patient_id"],
            "date_of_birth": d.patient["date_of_birth"],
            "gender": d.patient["gender"],
            "insurance_provider": d.patient["insurance_provider"] or "Aetna",
            "tenant_id": None,
        }
        for d in drafts
    ]
    conditions = [[c["condition"] for c in d.conditions] for d in drafts]
    providers = []
    for j in range(PROVIDERS):
        row = draft_provider(rng, j + 1)
        providers.append({k: row[k] for k in ("id", "specialty", "practice_name", "tenant_id")})
    scheduler = Scheduler()
    appointments = []
    for n in range(count):
        appointments.append(
            draft_appointment(
                rng, n + 1, patients[n], providers[n % PROVIDERS], scheduler,
                window_start=window_start, window_days=365,
            )
        )
    return {
        "patients": patients, "conditions": conditions, "providers": providers,
        "appointments": appointments, "window_start": window_start,
    }


def _time(run: Callable[[], None], calls: int) -> float:
    """µs per call of one pass of ``run`` (which performs ``calls`` calls)."""
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    calls = args.calls
    data = _inputs(calls)
    patients, providers = data["patients"], data["providers"]
    conditions, appointments = data["conditions"], data["appointments"]
    window_start = data["window_start"]

    def baseline() -> None:
        for n in range(calls):
            {"id": n, "a": 1, "b": 2, "c": 3, "d": 4, "e": 5}  # noqa: B018 - the timed work

    def patient() -> None:
        rng = Randomness(SEED, today=TODAY)
        for n in range(calls):
            draft_patient(rng, n + 1)

    def provider() -> None:
        rng = Randomness(SEED, today=TODAY)
        for n in range(calls):
            draft_provider(rng, n + 1)

    def appointment() -> None:
        rng = Randomness(SEED, today=TODAY)
        scheduler = Scheduler()
        for n in range(calls):
            draft_appointment(
                rng, n + 1, patients[n], providers[n % PROVIDERS], scheduler,
                window_start=window_start, window_days=365,
            )

    def find_slot() -> None:
        rng = Randomness(SEED, today=TODAY)
        scheduler = Scheduler()
        for n in range(calls):
            start = scheduler.find_slot(n % PROVIDERS, 30, (), rng, window_start, 365)
            scheduler.occupy(n % PROVIDERS, start, 30)

    def record() -> None:
        rng = Randomness(SEED, today=TODAY)
        for n in range(calls):
            draft_medical_record(
                rng, n + 1, patients[n], conditions[n], providers[n % PROVIDERS], appointments[n]
            )

    def claim() -> None:
        rng = Randomness(SEED, today=TODAY)
        for n in range(calls):
            draft_claim(rng, n + 1, patients[n], providers[n % PROVIDERS], appointments[n])

    cases: dict[str, Callable[[], None]] = {
        "baseline (6-key dict)": baseline,
        "draft_patient": patient,
        "draft_provider": provider,
        "draft_appointment": appointment,
        "Scheduler.find_slot": find_slot,
        "draft_medical_record": record,
        "draft_claim": claim,
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.repeats):  # interleaved, so a noisy moment hits every case alike
        for name, run in cases.items():
            samples[name].append(_time(run, calls))
    base = statistics.median(samples["baseline (6-key dict)"])
    table = [
        (name, f"{statistics.median(s):.2f}", f"{min(s):.2f}", f"{statistics.median(s) / base:.1f}")
        for name, s in samples.items()
    ]
    print(tabulate(table, headers=("function", "median µs/call", "min µs/call", "x baseline")))


if __name__ == "__main__":
    main()
