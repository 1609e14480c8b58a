"""The cleanup sentences: defined in healthcare_data/behave/steps/cleanup.py."""

from healthcare_data.behave.steps.cleanup import *  # noqa: F403
