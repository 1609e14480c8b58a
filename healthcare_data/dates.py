"""Dates as rows carry them: one ``as_date`` and one ``age_on`` for the whole library."""

from __future__ import annotations

from datetime import date, datetime


def as_date(value: object) -> date | None:
    """A date from a date, a datetime or an ISO 'YYYY-MM-DD…' string; None if it is none of those."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(value).date()
        except ValueError:
            return None
    return None


def age_on(date_of_birth: object, today: date) -> int:
    """Completed years between ``date_of_birth`` and ``today`` (birthday not yet reached: one less).

    ``date_of_birth`` may be a date, datetime or ISO string; anything else is a TypeError.
    """
    born = date_of_birth if type(date_of_birth) is date else as_date(date_of_birth)
    if born is None:
        raise TypeError(f"date_of_birth {date_of_birth!r} is not a date")
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def age_or_none(date_of_birth: object, today: date) -> int | None:
    """:func:`age_on`, or None when the birth date is missing or unreadable."""
    born = as_date(date_of_birth)
    return (
        None if born is None else today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    )
