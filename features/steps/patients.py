"""The patients sentences: defined in healthcare_data/behave/steps/patients.py."""

from healthcare_data.behave.steps.patients import *  # noqa: F403
