"""The journeys sentences: defined in healthcare_data/behave/steps/journeys.py."""

from healthcare_data.behave.steps.journeys import *  # noqa: F403
