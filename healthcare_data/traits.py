"""Traits: named variants of a factory, stored as data (factory_boy's ``Trait``).

A trait only stores overrides and parameters; one mechanism applies them. It lives in
its own module because both the row drafts and the factories read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from healthcare_data.registry import Registry


@dataclass(frozen=True)
class Trait:
    """A named variant: ``overrides`` merged into the draft inputs, ``params`` for the draft."""

    name: str
    description: str
    overrides: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    params: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)


def trait_names(traits: str | Iterable[str | Trait] | None) -> tuple[str, ...]:
    """Names from ``"specialist,hospital_based"``, a sequence of names, or Trait objects."""
    if not traits:
        return ()
    if isinstance(traits, str):
        return tuple(t for t in (p.strip() for p in traits.split(",")) if t)
    return tuple(t.name if isinstance(t, Trait) else str(t).strip() for t in traits)


def resolve_traits(
    registry: Registry[Trait], traits: str | Iterable[str | Trait] | None
) -> tuple[Trait, ...]:
    """Trait objects for names (UnknownNameError with a suggestion for a typo)."""
    if not traits:
        return ()
    if isinstance(traits, str):
        traits = trait_names(traits)
    return tuple(t if isinstance(t, Trait) else registry.get(t) for t in traits)


