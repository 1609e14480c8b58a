"""Bulk booking: time and shape of the appointments generate_dataset books.

Prints the seconds to generate N appointments and the statistics the booking path
decides (share of morning visits per persona, weekday spread, telemedicine share), so
a change to the booking function can be compared with the previous commit:

    python benchmarks/bench_booking.py [appointments]
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from datetime import date

from healthcare_data.generation import DatasetSpec, generate_dataset
from healthcare_data.randomness import Randomness


def main(appointments: int = 20_000) -> None:
    providers = max(10, appointments // 50)
    spec = DatasetSpec(patients=appointments // 5, providers=providers, appointments=appointments)
    rng = Randomness(7, today=date(2026, 11, 22))
    started = time.perf_counter()
    rows: dict[str, list[dict]] = {}
    for batch in generate_dataset(spec, rng):
        if batch.table in ("appointments", "patient_profiles"):
            rows.setdefault(batch.table, []).extend(batch.rows)
    seconds = time.perf_counter() - started
    persona = {p["patient_id"]: p["persona"] for p in rows["patient_profiles"]}
    morning: Counter[str] = Counter()
    total: Counter[str] = Counter()
    weekdays: Counter[int] = Counter()
    telemedicine = 0
    for a in rows["appointments"]:
        who = persona[a["patient_id"]]
        total[who] += 1
        morning[who] += a["appointment_date"].hour < 12
        weekdays[a["appointment_date"].weekday()] += 1
        telemedicine += a["visit_mode"] == "telemedicine"
    print(f"{len(rows['appointments'])} appointments in {seconds:.2f} s (whole dataset)")
    for who in sorted(total):
        print(f"  {who:26s} morning {morning[who] / total[who]:6.1%} of {total[who]}")
    n = len(rows["appointments"])
    print("  weekdays " + " ".join(f"{d}:{weekdays[d] / n:.1%}" for d in range(7)))
    print(f"  telemedicine {telemedicine / n:.1%}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
