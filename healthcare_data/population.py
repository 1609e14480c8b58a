"""Population filters in Synthea's spirit: only women aged 60-65 in Springfield, IL.

``Population.parse(gender="F", age="60-65", state="IL", city="Springfield")`` checks
the request once (one-line errors naming the bad value and what is valid); the
generator then draws only personas that can satisfy it and passes the narrowed
gender, age range and place to the patient draft, so every other rule (names,
conditions, insurance) still comes from the persona.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from healthcare_data import fakes
from healthcare_data.errors import ConfigurationError, UnknownNameError
from healthcare_data.personas import PERSONAS
from healthcare_data.reference import STATE_WEIGHTS
from healthcare_data.rows.patients import places_named

GENDER_ALIASES = {"m": "male", "male": "male", "f": "female", "female": "female", "other": "other"}
MAX_AGE = 120


@dataclass(frozen=True)
class Population:
    """Who the generated patients are: any field left None is unconstrained."""

    gender: str | None = None
    ages: tuple[int, int] | None = None
    state: str | None = None
    city: str | None = None

    @classmethod
    def parse(
        cls,
        gender: str | None = None,
        age: str | None = None,
        state: str | None = None,
        city: str | None = None,
    ) -> Population | None:
        """A checked population from command-line text, or None when nothing is asked."""
        if gender is None and age is None and state is None and city is None:
            return None
        return cls(_gender(gender), _ages(age), *_place(state, city))

    def persona_mix(self, mix: Mapping[str, float]) -> dict[str, float]:
        """``mix`` restricted to personas that can produce this population (else an error)."""
        fitting = {name: w for name, w in mix.items() if w > 0 and self._fits(PERSONAS.get(name))}
        if not fitting:
            described = ", ".join(
                f"{name} ({'{}-{}'.format(*PERSONAS.get(name).age_range)})" for name in mix
            )
            raise ConfigurationError(
                f"no persona of the mix fits {self.describe()}; personas and their ages: {described}"
            )
        return fitting

    def draft_options(self, persona: Any) -> dict[str, Any]:
        """Keyword arguments for ``draft_patient`` that impose this population on ``persona``."""
        options: dict[str, Any] = {}
        if self.gender is not None:
            options["gender"] = self.gender
        if self.ages is not None:
            low, high = persona.age_range
            options["age_range"] = (max(low, self.ages[0]), min(high, self.ages[1]))
        if self.state is not None:
            options["state"] = self.state
        if self.city is not None:
            options["city"] = self.city
        return options

    def describe(self) -> str:
        parts = [
            f"gender {self.gender}" if self.gender else "",
            "ages {}-{}".format(*self.ages) if self.ages else "",
            f"{self.city}, {self.state}" if self.city and self.state else (self.state or self.city or ""),
        ]
        return "population " + ", ".join(p for p in parts if p)

    def _fits(self, persona: Any) -> bool:
        if self.ages is not None:
            low, high = persona.age_range
            if high < self.ages[0] or low > self.ages[1]:
                return False
        if self.gender is not None:
            return persona.demographics.gender_weights.get(self.gender, 0) > 0
        return True


def _gender(value: str | None) -> str | None:
    if value is None:
        return None
    found = GENDER_ALIASES.get(value.strip().lower())
    if found is None:
        raise ConfigurationError(f"--gender {value!r} is not a gender; use M, F, male, female or other")
    return found


def _ages(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    low_text, _, high_text = value.strip().partition("-")
    try:
        low, high = int(low_text), int(high_text or low_text)
    except ValueError:
        raise ConfigurationError(f"--age {value!r} is not an age range; use LOW-HIGH such as 60-65") from None
    if not 0 <= low <= high <= MAX_AGE:
        raise ConfigurationError(f"--age {value!r} must be LOW-HIGH with 0 <= LOW <= HIGH <= {MAX_AGE}")
    return low, high


def _place(state: str | None, city: str | None) -> tuple[str | None, str | None]:
    if state is not None:
        state = state.strip().upper()
        if state not in STATE_WEIGHTS:
            raise UnknownNameError("state", state, sorted(STATE_WEIGHTS))
    if city is None:
        return state, None
    wanted = city.strip().lower()
    places = fakes.places_in(state) if state else tuple(places_named(wanted))
    names = {p.city.lower(): p.city for p in places}
    if wanted not in names:
        where = f"in {state}" if state else "in any state"
        raise ConfigurationError(f"--city {city!r}: no such city {where} (ZIP codes of the zipcodes package)")
    return state, names[wanted]
