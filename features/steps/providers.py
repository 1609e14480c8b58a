"""The providers sentences: defined in healthcare_data/behave/steps/providers.py."""

from healthcare_data.behave.steps.providers import *  # noqa: F403
