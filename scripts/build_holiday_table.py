"""Build ``healthcare_data/reference/us_federal_holidays.tsv`` from the ``holidays`` package.

Why: ``holidays.country_holidays("US")`` imports ``holidays.countries``, whose package
``__init__`` imports every country module (~280 of them): ~0.1-0.16 s of every process
that books an appointment, for the ~11 dates a year the scheduler asks about. The table
holds those dates for :data:`FIRST_YEAR`..:data:`LAST_YEAR`; years outside it still ask
the package (``healthcare_data.scheduling.us_federal_holiday``).

Run after upgrading ``holidays`` (``tests/test_holiday_table.py`` fails until you do):

    python scripts/build_holiday_table.py
"""

from __future__ import annotations

import sys
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "healthcare_data" / "reference" / "us_federal_holidays.tsv"
FIRST_YEAR, LAST_YEAR = 1950, 2100


def table_lines() -> list[str]:
    """A header, the package version, then ``YYYY-MM-DD<TAB>name`` per holiday, by date."""
    import holidays

    lines = ["date\tname", f"# holidays {holidays.__version__}, US federal, {FIRST_YEAR}-{LAST_YEAR}"]
    for year in range(FIRST_YEAR, LAST_YEAR + 1):  # year by year: what the scheduler asked for
        found = holidays.country_holidays("US", years=year)
        lines += [f"{day.isoformat()}\t{name}" for day, name in sorted(found.items()) if day.year == year]
    for line in lines[2:]:
        day, _, name = line.partition("\t")
        if "\t" in name or "\n" in name:
            raise SystemExit(f"{day}: the holiday name holds a tab or newline: {name!r}")
    return lines


def main() -> int:
    lines = table_lines()
    TARGET.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {TARGET} ({len(lines) - 2:,} holidays)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
