"""Cost of the US-federal-holiday rule in business days, on the bulk generator.

Why: ``BusinessHours.is_business_day`` replaced an inline ``weekday in weekdays`` test in
the Scheduler's slot search, the hottest loop of appointment generation. This generates
the same profile with the rule on and with it off (``us_federal_holiday`` patched to
return None), interleaved, and reports the ratio measured in the same run.

    PYTHONPATH=. python benchmarks/bench_business_days.py [--profile standard] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

from healthcare_data import scheduling
from healthcare_data.seeding import generate_tables

TODAY = date(2026, 11, 22)


def _timed(profile: str, holidays: bool) -> tuple[float, int]:
    original = scheduling.us_federal_holiday
    scheduling._open_on.cache_clear()
    if not holidays:
        scheduling.us_federal_holiday = lambda day: None
    try:
        started = time.perf_counter()
        tables = generate_tables(profile, 7, today=TODAY)
        seconds = time.perf_counter() - started
    finally:
        scheduling.us_federal_holiday = original
        scheduling._open_on.cache_clear()
    on_holidays = sum(1 for row in tables["appointments"] if original(row["appointment_date"].date()))
    return seconds, on_holidays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="standard")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    runs: dict[bool, list[float]] = {True: [], False: []}
    visits: dict[bool, int] = {}
    for _ in range(args.repeats):
        for holidays in (False, True):
            seconds, visits[holidays] = _timed(args.profile, holidays)
            runs[holidays].append(seconds)
    off, on = statistics.median(runs[False]), statistics.median(runs[True])
    print(f"profile {args.profile}, median of {args.repeats} interleaved runs")
    print(f"weekdays only:          {off:.3f} s, {visits[False]} visits on US federal holidays")
    print(f"weekdays minus holidays: {on:.3f} s, {visits[True]} visits on US federal holidays")
    print(f"ratio (with / without the holiday rule): {on / off:.2f}")


if __name__ == "__main__":
    main()
