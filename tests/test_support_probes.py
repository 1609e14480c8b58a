"""Performance probes, report tables and suite settings."""

from __future__ import annotations

import time
from datetime import date

import pytest

from healthcare_data.behave.support.config import SuiteSettings
from healthcare_data.behave.support.reports import assert_no_offenders, table, write_report
from healthcare_data.measure import PeakMemory, Stopwatch


def test_peak_memory_sees_a_short_allocation():
    with PeakMemory(interval=0.001) as memory, Stopwatch() as watch:
        block = bytearray(64 * 1024 * 1024)
        block[::4096] = b"x" * len(block[::4096])
        deadline = time.perf_counter() + 5
        while memory.samples < 3 and time.perf_counter() < deadline:
            time.sleep(0.001)
        del block
    assert memory.samples >= 3
    assert memory.peak_mb >= memory.baseline_mb + 50
    assert watch.seconds > 0


def test_offenders_are_shown_as_a_table():
    with pytest.raises(AssertionError) as caught:
        assert_no_offenders([{"id": 7, "npi_number": "1234567890"}], "bad NPIs")
    assert "| id " in str(caught.value) and "| npi_number " in str(caught.value)
    assert "1234567890" in str(caught.value) and "1 offending row" in str(caught.value)
    assert_no_offenders([], "nothing")


def test_long_tables_are_capped():
    text = table([{"n": i} for i in range(30)], limit=5)
    assert "... and 25 more" in text


def test_reports_are_written_and_printed(tmp_path, capsys):
    write_report("bulk", "Bulk", [{"entity": "patients", "count": 3}], directory=tmp_path)
    assert "patients" in (tmp_path / "bulk.txt").read_text()
    assert "patients" in capsys.readouterr().out


def test_settings_come_from_userdata_with_defaults():
    settings = SuiteSettings.from_userdata({"seed": "7", "today": "2026-01-02", "memory_limit_mb": "500"})
    assert (settings.seed, settings.today, settings.memory_limit_mb) == (7, date(2026, 1, 2), 500.0)
    assert SuiteSettings.from_userdata({}).seed == SuiteSettings().seed
    with pytest.raises(ValueError, match="memory_limit_mb='lots'"):
        SuiteSettings.from_userdata({"memory_limit_mb": "lots"})
