"""Library errors as scenario failures: one line naming the place in the feature file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from healthcare_data.errors import HealthcareDataError


@contextmanager
def as_failure(where: str) -> Iterator[None]:
    """Turn a library error raised inside the block into an assertion failure (no traceback).

    The message says where in the feature file the data came from, then the library's own
    message (value, rule, what would be valid, recovery).
    """
    try:
        yield
    except HealthcareDataError as exc:
        raise AssertionError(f"{where}: {exc}") from None
