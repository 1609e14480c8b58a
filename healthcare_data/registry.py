"""A name → object registry whose misses explain themselves.

Personas, traits, characteristic tokens, scheduling constraints, validators and
error scenarios are all registries: callers look names up here and an unknown
name raises :class:`UnknownNameError` listing the known names and the closest one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from healthcare_data.errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Ordered mapping of names to objects of one kind."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T) -> T:
        """Add ``item`` under ``name``; a second registration of a name is a bug."""
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._items[name] = item
        return item

    def decorator(self, name: str) -> Callable[[T], T]:
        """Register the decorated function or class under ``name``."""

        def wrap(item: T) -> T:
            return self.register(name, item)

        return wrap

    def get(self, name: object) -> T:
        """Return the object named ``name`` or raise a helpful UnknownNameError."""
        try:
            return self._items[name]  # type: ignore[index]  # non-str names fall to the except
        except (KeyError, TypeError):
            raise UnknownNameError(self.kind, name, self._items) from None

    def names(self) -> list[str]:
        return list(self._items)

    def items(self) -> list[tuple[str, T]]:
        return list(self._items.items())

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)
