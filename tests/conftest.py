"""Test configuration: hypothesis runs are derandomized, so every CI run checks the same
examples and a failure replays exactly (`HYPOTHESIS_PROFILE=explore` searches afresh)."""
import os
import re

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("explore", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_ignore_collect(collection_path, config):
    """`pytest -m ex2_1` (a learner checking one exercise) collects only tests/test_learner.py,
    where the exercise markers are: the rest of the suite has none of them, and importing it
    would take seconds."""
    mark = config.getoption("markexpr", default="") or ""
    if re.fullmatch(r"ex\d+_\d+", mark.strip()) and collection_path.suffix == ".py" \
            and collection_path.name.startswith("test_") and collection_path.name != "test_learner.py":
        return True
    return None
