"""The validation sentences: defined in healthcare_data/behave/steps/validation.py."""

from healthcare_data.behave.steps.validation import *  # noqa: F403
