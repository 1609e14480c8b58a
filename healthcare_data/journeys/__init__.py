"""Patient journeys: registration -> visit -> diagnosis -> prescription -> dispensing ->
follow-up and referral, as declarative state machines (reference/journeys.toml).

* :mod:`.definitions`: load and check journey files (TOML or YAML);
* :mod:`.engine`: walk a journey for one patient, drafting its rows;
* :mod:`.generate`: bulk journeys as batches for :func:`healthcare_data.bulk.write_dataset`,
  and allocation of N records over the entities;
* :mod:`.builder`: one journey from Python (``JourneyBuilder``);
* :mod:`.rules`: validation rules for any seeded database;
* :mod:`.workflows`: workflow YAML files, index, README and summary report.
"""

from healthcare_data.journeys.definitions import Definitions, Journey, default_definitions, load_definitions
from healthcare_data.journeys.generate import DEFAULT_RECORDS, JourneySpec, allocate, generate_journeys

__all__ = [
    "DEFAULT_RECORDS",
    "Definitions",
    "Journey",
    "JourneySpec",
    "allocate",
    "default_definitions",
    "generate_journeys",
    "load_definitions",
]
