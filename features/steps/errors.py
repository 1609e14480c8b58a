"""The errors sentences: defined in healthcare_data/behave/steps/errors.py."""

from healthcare_data.behave.steps.errors import *  # noqa: F403
