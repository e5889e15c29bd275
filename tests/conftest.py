"""Shared fixtures and hypothesis profiles.

Choose a profile with the environment variable ``HYPOTHESIS_PROFILE``:
``ci`` (the default, used by ``nox -s tests``) or ``dev`` (fewer examples,
for quick edits).
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# deadline=None: numerical gradients of a depth-4 net take tens of
# milliseconds on a busy machine, and a timing failure would say nothing
# about correctness. derandomize in CI so that a red run can be replayed.
settings.register_profile(
    "ci",
    max_examples=80,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev", max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SEED = 122888
"""The seed of every test's generator: the question's number."""


@pytest.fixture
def rng() -> np.random.Generator:
    """A freshly seeded generator, so that every test is repeatable on its own."""
    return np.random.default_rng(SEED)
