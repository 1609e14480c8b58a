"""CSV the way PostgreSQL's ``COPY ... (FORMAT csv)`` reads it by default.

In CSV format COPY's NULL is an *unquoted empty field*; a quoted empty field ``""`` is an
empty string (PostgreSQL docs, "COPY", File Formats > CSV Format). So: NULL -> nothing,
``""`` -> ``""``, and any value holding a comma, quote, CR or LF (or exactly ``\\.``, the
end-of-data marker) is quoted with inner quotes doubled (RFC 4180). Python's ``csv``
module cannot tell an empty string from NULL on either side before Python 3.12, hence
these few lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import IO

_NEEDS_QUOTES = re.compile(r'[",\r\n]')
_FIELD = re.compile(r'"((?:[^"]|"")*)"|([^,"\r\n]*)')


def field(text: str | None) -> str:
    """One CSV field: ``None`` unquoted and empty, strings quoted when they must be."""
    if text is None:
        return ""
    if not text or text == "\\." or _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def line(values: Sequence[str | None]) -> str:
    return ",".join(map(field, values)) + "\n"


def read_rows(handle: IO[str]) -> Iterator[list[str | None]]:
    """Records of a CSV file, unquoted empty fields as ``None`` (the inverse of :func:`line`)."""
    buffer = ""
    for chunk in handle:
        buffer += chunk
        if buffer.count('"') % 2:  # inside a quoted field that spans lines
            continue
        yield _parse(buffer.rstrip("\r\n"))
        buffer = ""
    if buffer.strip():
        raise ValueError(f"unterminated quoted field: {buffer[:40]!r}")


def _parse(record: str) -> list[str | None]:
    values: list[str | None] = []
    position = 0
    while True:
        match = _FIELD.match(record, position)
        if match is None:  # pragma: no cover - the pattern matches the empty string
            raise ValueError(f"bad CSV record: {record[:60]!r}")
        quoted, plain = match.group(1), match.group(2)
        values.append(quoted.replace('""', '"') if quoted is not None else (plain or None))
        position = match.end()
        if position >= len(record):
            return values
        if record[position] != ",":
            raise ValueError(f"bad CSV record near {record[position : position + 20]!r}")
        position += 1
        if position == len(record):
            values.append(None)
            return values
