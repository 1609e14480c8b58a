"""Command-line output conventions: ``-o -`` for stdout, logging levels, colour.

* ``-o -`` writes to standard output (and the command's own messages go to stderr
  then, so a pipe receives only the data).
* ``--verbose``/``--quiet`` set the level of the ``healthcare_data`` logger; the
  library itself only has a ``NullHandler`` (see ``healthcare_data/__init__.py``),
  so it is silent unless an application configures logging.
* colour only when the stream is a terminal and ``NO_COLOR`` is unset
  (https://no-color.org).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

STDOUT = "-"
LEVELS = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO, 2: logging.DEBUG}
_COLOURS = {
    "PASS": "32",
    "MET": "32",
    "WARN": "33",
    "FAIL": "31",
    "FAILED": "31",
    "MISSED": "31",
    "error": "31",
}


@contextmanager
def open_output(path: str, stdout: IO[str]) -> Iterator[IO[str]]:
    """A text stream for ``path``; ``-`` is ``stdout`` (left open)."""
    if path == STDOUT:
        yield stdout
        stdout.flush()
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as handle:
        yield handle


def use_colour(stream: IO[str]) -> bool:
    """True only for a terminal, and never when NO_COLOR is set to anything non-empty."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def paint(text: str, stream: IO[str]) -> str:
    """``text`` in its status colour (PASS green, WARN yellow, FAIL red) when ``stream`` allows."""
    code = _COLOURS.get(text)
    return f"\033[{code}m{text}\033[0m" if code and use_colour(stream) else text


def configure_logging(verbosity: int, stream: IO[str]) -> logging.Handler:
    """Send the library's log records to ``stream`` at the level ``verbosity`` asks for.

    -1 (``--quiet``): errors only; 0: warnings; 1 (``-v``): info; 2 (``-vv``): debug.
    Returns the handler so a caller (a test) can remove it again.
    """
    logger = logging.getLogger("healthcare_data")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("healthcare-data: %(levelname)s: %(message)s"))
    handler.set_name("healthcare-data-cli")
    for old in [h for h in logger.handlers if h.get_name() == "healthcare-data-cli"]:
        logger.removeHandler(old)
    logger.addHandler(handler)
    logger.setLevel(LEVELS[max(-1, min(2, verbosity))])
    return handler
