"""The step library: every sentence of the acceptance suite, usable from any repository.

In another repository (``pip install 'healthcare-data[behave]'``)::

    # features/steps/healthcare.py
    from healthcare_data.behave import *  # noqa: F403

    # features/environment.py
    from healthcare_data.behave.environment import *  # noqa: F403

Importing this package registers every step sentence with behave (features/README.md
lists them); the hooks give each scenario its empty database, seeded rng and today.
"""

from healthcare_data.behave.steps import (
    bulk,  # noqa: F401
    cleanup,  # noqa: F401
    common,  # noqa: F401
    errors,  # noqa: F401
    journeys,  # noqa: F401
    patients,  # noqa: F401
    providers,  # noqa: F401
    scheduling,  # noqa: F401
    validation,  # noqa: F401
    workflow,  # noqa: F401
)

__all__: list[str] = []  # the sentences register on import; nothing else is exported
