"""Prescription drugs (reference/drugs.toml): real RxNorm concepts mapped to diagnoses.

Keyed by the medication text the curated conditions list, so the prescription written
at a visit is the medication its medical record names, and ``treats`` says which
ICD-10-CM codes a drug may be prescribed for (the ``prescription_fits_diagnosis`` rule).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from healthcare_data.rows.records import MEDICATION_SEPARATOR


@dataclass(frozen=True)
class Drug:
    """A prescribable drug: RxNorm ingredient concept, the sig and the fill size."""

    medication: str  # the text conditions.toml lists
    rxcui: str
    name: str
    treats: tuple[str, ...]
    dose: str
    route: str
    frequency: str
    quantity: int
    refills: int


def _load() -> tuple[dict[str, Drug], tuple[str, ...]]:
    data = tomllib.loads(
        resources.files("healthcare_data.reference").joinpath("drugs.toml").read_text("utf-8")
    )
    skipped = tuple(data.pop("not_prescribed", {}).get("items", ()))
    drugs = {
        text: Drug(
            text,
            str(row["rxcui"]),
            row["name"],
            tuple(row["treats"]),
            row["dose"],
            row["route"],
            row["frequency"],
            int(row["quantity"]),
            int(row["refills"]),
        )
        for text, row in data.items()
    }
    return drugs, skipped


DRUGS, NOT_PRESCRIBED = _load()

#: RxNorm concept id -> every ICD-10-CM code a drug of that concept treats here.
INDICATIONS: dict[str, frozenset[str]] = {}
for _drug in DRUGS.values():
    INDICATIONS[_drug.rxcui] = INDICATIONS.get(_drug.rxcui, frozenset()) | frozenset(_drug.treats)


def drugs_for(medications: str | None) -> list[Drug]:
    """The prescribable drugs a record's ``medications`` text names (in its order)."""
    if not medications:
        return []
    return [DRUGS[m] for m in medications.split(MEDICATION_SEPARATOR) if m in DRUGS]


def fits_diagnosis(rxcui: Any, diagnosis_code: Any) -> bool:
    """True when the drug concept ``rxcui`` is one this library prescribes for the code."""
    return str(diagnosis_code) in INDICATIONS.get(str(rxcui), frozenset())
