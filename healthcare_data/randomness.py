"""The one seeded source of randomness.

Nothing in the library calls the global ``random`` module or an unseeded Faker:
every generator takes a :class:`Randomness` (or uses the process default, which
:func:`seed` replaces). Identical seeds give identical data, row for row.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from itertools import accumulate
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:  # Faker loads on first use of Randomness.faker: generation never needs it
    from faker import Faker

T = TypeVar("T")


class Weighted(Generic[T]):
    """A value → weight table prepared once for fast repeated weighted choice."""

    def __init__(self, weights: Mapping[T, float]) -> None:
        if not weights:
            raise ValueError("a weighted choice needs at least one option")
        self.options: list[T] = list(weights)
        self.cumulative: list[float] = list(accumulate(weights.values()))


class Randomness:
    """A seeded ``random.Random`` plus a seeded Faker, shared by all generators."""

    def __init__(self, seed: int | None = None, today: date | None = None) -> None:
        """``today`` pins the date every age and appointment is computed from.

        The default is the real date, so ``with_age(72)`` means 72 *today*; pin it to
        make a dataset identical across days.
        """
        self.seed_value = seed
        self.random = random.Random(seed)
        self._faker: Faker | None = None
        self.today = today or date.today()

    @property
    def faker(self) -> Faker:
        """A Faker (en_US) seeded from this source; created on first use because it is slow."""
        if self._faker is None:
            from faker import Faker

            self._faker = Faker("en_US")
            self._faker.seed_instance(self.random.getrandbits(64))
        return self._faker

    def child(self, label: str) -> Randomness:
        """An independent stream derived from this seed and ``label``.

        Lets one entity kind draw numbers without shifting another's, so adding a
        column to patients does not change every provider.
        """
        base = 0 if self.seed_value is None else self.seed_value
        derived = random.Random(f"{base}:{label}").getrandbits(63)
        return Randomness(derived if self.seed_value is not None else None, self.today)

    def choice(self, options: Sequence[T]) -> T:
        return options[self.random.randrange(len(options))]

    def weighted(self, table: Weighted[T] | Mapping[T, float]) -> T:
        """Pick a key with probability proportional to its weight."""
        if not isinstance(table, Weighted):
            table = Weighted(table)
        return self.random.choices(table.options, cum_weights=table.cumulative, k=1)[0]

    def chance(self, probability: float) -> bool:
        return self.random.random() < probability

    def randint(self, low: int, high: int) -> int:
        return self.random.randint(low, high)

    def digits(self, count: int) -> str:
        return f"{self.random.randrange(10**count):0{count}d}"

    def uuid4(self) -> str:
        """A version-4 UUID drawn from this stream (uuid.uuid4() would be unseeded)."""
        return str(uuid.UUID(int=self.random.getrandbits(128), version=4))

    def now(self) -> datetime:
        return datetime.combine(self.today, datetime.min.time())


_default = Randomness()


def seed(value: int | None) -> Randomness:
    """Reseed the process-wide default source and return it."""
    global _default
    _default = Randomness(value)
    return _default


def default() -> Randomness:
    """The process-wide source used when a caller passes none."""
    return _default


def resolve(rng: Randomness | int | None) -> Randomness:
    """Accept a Randomness, a bare seed, or None (the default source)."""
    if rng is None:
        return _default
    if isinstance(rng, Randomness):
        return rng
    return Randomness(rng)
