"""Tests of the built book and of builds themselves (run by nox, not by plain ``pytest``).

``nox -s guarantees`` runs test_build_guarantees.py and test_api_reference.py, which
build temporary copies of the project or read its sources. ``nox -s notebooks`` runs
test_notebooks.py against the built site (``ZEROGRAD_HTML``) with a reader's Python
(``ZEROGRAD_READER_PYTHON``), both of which that session prepares.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _required_path(variable: str) -> Path:
    value = os.environ.get(variable)
    if not value:
        msg = f"{variable} is not set: run these tests through `nox -s notebooks`"
        raise pytest.UsageError(msg)
    return Path(value)


@pytest.fixture(scope="session")
def built_site() -> Path:
    """The built HTML site, with each page's executed notebook under ``_sources/``."""
    site = _required_path("ZEROGRAD_HTML")
    if not (site / "index.html").is_file():
        msg = f"no built book at {site}"
        raise pytest.UsageError(msg)
    return site


@pytest.fixture(scope="session")
def reader_python() -> Path:
    """The Python of a reader's environment: zerograd's wheel, matplotlib, ipykernel, nbclient."""
    return _required_path("ZEROGRAD_READER_PYTHON")
