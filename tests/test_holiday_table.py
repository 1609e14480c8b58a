"""The precomputed US holiday table (reference/us_federal_holidays.tsv) says what the
``holidays`` package says, and booking appointments no longer imports the package."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta

import holidays

from healthcare_data.scheduling import us_federal_holiday
from scripts.build_holiday_table import FIRST_YEAR, LAST_YEAR, TARGET, table_lines


def test_table_is_built_from_the_installed_holidays_package() -> None:
    stored = TARGET.read_text(encoding="utf-8").splitlines()
    assert stored == table_lines(), "run: python scripts/build_holiday_table.py"


def test_every_day_agrees_with_the_package_inside_and_outside_the_table() -> None:
    # 2021: New Year's Day 2022 observed on Fri 2021-12-31; 1949 and 2101 lie outside the table.
    for year in (FIRST_YEAR - 1, FIRST_YEAR, 2021, 2026, LAST_YEAR, LAST_YEAR + 1):
        package = holidays.country_holidays("US", years=year)
        day = date(year, 1, 1)
        while day.year == year:
            assert us_federal_holiday(day) == package.get(day), day
            day += timedelta(days=1)


def test_generating_appointments_does_not_import_the_holidays_package() -> None:
    probe = (
        "from datetime import date\n"
        "from healthcare_data.generation import DatasetSpec, generate_dataset\n"
        "from healthcare_data.randomness import Randomness\n"
        "spec = DatasetSpec(patients=40, providers=4, appointments=60, medical_records=10,\n"
        "                   insurance_claims=5)\n"
        "rows = [b for b in generate_dataset(spec, Randomness(3, today=date(2026, 11, 22)))]\n"
        "import sys, json\n"
        "booked = sum(len(b) for b in rows if b.table == 'appointments')\n"
        "print(json.dumps([booked, 'holidays' in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    appointments, imported = json.loads(out.strip().splitlines()[-1])
    assert appointments == 60
    assert imported is False
