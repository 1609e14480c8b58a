"""The CLI's interrupt path: one line, exit 130, however long the interpreter's shutdown takes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# A command that is interrupted mid-run, in a process whose shutdown (after the boundary has
# printed its line) outlasts the 0.8 s grace watchdog, as a generation pool's finalizers or a
# slow driver disconnect do on a loaded machine.
SCRIPT = textwrap.dedent(
    """
    import argparse, atexit, os, signal, sys, time
    from healthcare_data import cli

    cli.SHUTDOWN_GRACE_SECONDS = {grace}
    atexit.register(time.sleep, {shutdown})

    def handler(args, out, err):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)
        return 0

    def build_parser():
        parser = argparse.ArgumentParser()
        parser.set_defaults(handler=handler, quiet=False, verbose=0)
        return parser

    cli.build_parser = build_parser
    sys.exit(cli.main([]))
    """
)


BOUNDARY_LINE = "interrupted; the database is as it was (the transaction was rolled back)"


def _run(shutdown: float, grace: float = 10.0) -> subprocess.CompletedProcess[str]:
    script = SCRIPT.format(shutdown=shutdown, grace=grace)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)


def test_a_slow_shutdown_after_an_interrupt_prints_one_line_and_exits_130() -> None:
    result = _run(shutdown=1.5)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 130, result.stderr
    assert lines == [f"healthcare-data: {BOUNDARY_LINE}"]


def test_a_shutdown_that_hangs_still_ends_the_process_silently() -> None:
    result = _run(shutdown=120, grace=1.0)  # the subprocess timeout (60 s) would fail the test
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 130, result.stderr
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
