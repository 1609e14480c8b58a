"""The scheduling sentences: defined in healthcare_data/behave/steps/scheduling.py."""

from healthcare_data.behave.steps.scheduling import *  # noqa: F403
