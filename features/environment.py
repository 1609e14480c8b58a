"""behave hooks of this suite: the library's own (healthcare_data/behave/environment.py)."""

from healthcare_data.behave.environment import *  # noqa: F403
