"""The report of a ``standard`` seed in a real browser: headless Chromium.

Chromium (the Debian ``chromium`` package; ``.ci/run`` installs it) loads the page
from disk with networking off, the page's own script counts the images the browser
decoded, and a screenshot is kept under ``reports/`` as a CI artefact. Without
Chromium the test is skipped locally and fails in CI.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from healthcare_data.cli import main
from tests.conftest import TEST_TODAY

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "reports" / "report-standard.png"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (.ci/run installs the Debian package)")
        pytest.skip("chromium not installed (apt-get install chromium)")
    return found


def _browse(browser: str, page: Path, profile: Path, *action: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [browser, *FLAGS, f"--user-data-dir={profile}", *action, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_standard_report_renders_in_headless_chromium(tmp_path):
    browser = _chromium()
    page = tmp_path / "report.html"
    args = ["report", "--profile", "standard", "-s", "7", "--today", TEST_TODAY.isoformat(), "-o", str(page)]
    assert main(args, out=io.StringIO(), err=io.StringIO()) == 0

    dom = _browse(browser, page, tmp_path / "profile-dom", "--virtual-time-budget=5000", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    decoded = re.search(r'data-images-decoded="(\d+)"', dom.stdout)
    assert decoded, dom.stdout[:500]
    assert int(decoded.group(1)) == 9  # every picture decoded by the browser

    SCREENSHOT.parent.mkdir(exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    shot = _browse(
        browser, page, tmp_path / "profile-shot", f"--screenshot={SCREENSHOT}", "--window-size=1200,8000"
    )
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert SCREENSHOT.stat().st_size > 100_000  # a page of pictures, not a blank window
