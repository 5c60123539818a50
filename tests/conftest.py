"""Test configuration: hypothesis runs are derandomized, so every CI run checks the same
examples and a failure replays exactly (`HYPOTHESIS_PROFILE=explore` searches afresh)."""
import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("explore", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
