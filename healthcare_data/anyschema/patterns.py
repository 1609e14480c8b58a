"""The ID pattern language: ``PAT-{d:8}``, ``[A,B]-###``, ``HHHH-XX``.

``#`` a digit, ``X`` a letter (A-Z), ``A`` a letter or digit, ``H`` a hex digit,
``[a,b,c]`` one of the listed options, ``{d:N}`` N digits, ``{l:N}`` N letters
(also ``{a:N}`` alphanumeric and ``{h:N}`` hex), ``\\`` makes the next character
literal; everything else is literal. A run of letters is a run of classes only when
every letter in it is ``X``, ``A`` or ``H`` (``XX-AAAA``, ``HHHH``); a word with any
other letter is literal text, so ``PAT-{d:8}`` gives ``PAT-04418362`` and ``ABC-####``
gives ``ABC-1234``, as in the document's examples.

A pattern is a mixed-radix number system, so besides random values it can *count*:
:meth:`Pattern.at` maps ``0 .. capacity-1`` one-to-one onto distinct values through a
fixed permutation. That is how a UNIQUE column with a pattern stays unique at a
million rows without a lookup table or a retry loop.
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass

from healthcare_data.errors import ConfigurationError
from healthcare_data.randomness import Randomness

DIGITS = string.digits
LETTERS = string.ascii_uppercase
ALNUM = string.ascii_uppercase + string.digits
HEX = "0123456789ABCDEF"
_CLASSES = {"#": DIGITS, "X": LETTERS, "A": ALNUM, "H": HEX}
_COUNTED = {"d": DIGITS, "l": LETTERS, "a": ALNUM, "h": HEX}
SYNTAX = "# digit, X letter, A alphanumeric, H hex, [a,b] choice, {d:N} digits, {l:N} letters, \\ escape"


class Permutation:
    """A bijection of ``range(size)``: ``i -> (a*i + c) mod size`` with ``gcd(a, size) = 1``.

    Distinct row indexes give distinct values that do not look sequential; nothing is
    stored, so it costs the same at ten rows and at a billion.
    """

    def __init__(self, size: int, salt: int = 0) -> None:
        self.size = max(1, size)
        multiplier = int(self.size * 0.6180339887498949) | 1
        while math.gcd(multiplier, self.size) != 1:
            multiplier += 2 if self.size % 2 == 0 else 1
        self.multiplier = multiplier % self.size or 1
        self.offset = salt % self.size

    def __call__(self, index: int) -> int:
        return (self.multiplier * index + self.offset) % self.size


@dataclass(frozen=True)
class Slot:
    """One position of a pattern: a fixed text (one option) or a set of options."""

    options: tuple[str, ...]


class Pattern:
    """A parsed pattern: random values with :meth:`draw`, distinct values with :meth:`at`."""

    def __init__(self, text: str, salt: int = 0) -> None:
        self.text = text
        self.slots = parse(text)
        self.capacity = math.prod(len(s.options) for s in self.slots)
        self.length = sum(max(len(o) for o in s.options) for s in self.slots)
        self._permutation = Permutation(self.capacity, salt)

    def draw(self, rng: Randomness) -> str:
        """A random value of the pattern."""
        rand = rng.random.randrange
        return "".join(
            s.options[rand(len(s.options))] if len(s.options) > 1 else s.options[0] for s in self.slots
        )

    def at(self, index: int) -> str:
        """The ``index``-th of ``capacity`` distinct values (scrambled, not sequential)."""
        if not 0 <= index < self.capacity:
            raise ConfigurationError(
                f"pattern {self.text!r} has {self.capacity} distinct values; row {index + 1} needs more"
            )
        number = self._permutation(index)
        parts = []
        for slot in reversed(self.slots):
            number, digit = divmod(number, len(slot.options))
            parts.append(slot.options[digit])
        return "".join(reversed(parts))


def parse(text: str) -> list[Slot]:
    """The slots of ``text``; a malformed pattern raises ConfigurationError naming it."""
    if not isinstance(text, str) or not text:
        raise ConfigurationError(f"pattern {text!r} is empty; syntax: {SYNTAX}")
    slots: list[Slot] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 >= len(text):
                raise ConfigurationError(f"pattern {text!r} ends with a lone '\\'; syntax: {SYNTAX}")
            slots.append(Slot((text[i + 1],)))
            i += 2
        elif char == "#":
            slots.append(Slot(tuple(DIGITS)))
            i += 1
        elif char.isascii() and char.isalpha():
            end = i
            while end < len(text) and text[end].isascii() and text[end].isalpha():
                end += 1
            run = text[i:end]
            if set(run) <= {"X", "A", "H"}:  # XX-AAAA, HHHH: classes
                slots.extend(Slot(tuple(_CLASSES[c])) for c in run)
            else:  # PAT, ORDER, ABC: a word is literal text
                slots.extend(Slot((c,)) for c in run)
            i = end
        elif char == "[":
            end = text.find("]", i)
            options = tuple(o.strip() for o in text[i + 1 : end].split(",")) if end > 0 else ()
            if end < 0 or not all(options):
                raise ConfigurationError(
                    f"pattern {text!r}: choice at position {i} must look like [a,b,c]; syntax: {SYNTAX}"
                )
            slots.append(Slot(options))
            i = end + 1
        elif char == "{":
            end = text.find("}", i)
            kind, _, count = text[i + 1 : end].partition(":") if end > 0 else ("", "", "")
            if end < 0 or kind not in _COUNTED or not count.isdigit() or not 0 < int(count) <= 64:
                raise ConfigurationError(
                    f"pattern {text!r}: {text[i : end + 1 if end > 0 else None]!r} must be {{d:N}}, "
                    f"{{l:N}}, {{a:N}} or {{h:N}} with 1 <= N <= 64; syntax: {SYNTAX}"
                )
            slots.extend(Slot(tuple(_COUNTED[kind])) for _ in range(int(count)))
            i = end + 1
        else:
            slots.append(Slot((char,)))
            i += 1
    return slots
