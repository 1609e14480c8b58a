"""The common sentences: defined in healthcare_data/behave/steps/common.py."""

from healthcare_data.behave.steps.common import *  # noqa: F403
