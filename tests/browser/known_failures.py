"""Checks of tests/browser that fail on today's pages, each with what was measured.

This is the one place where the browser tests tolerate a failure. Each entry is
``(check, page, size): what fails``, where ``check`` is a test of ``test_site.py``
without its ``test_`` prefix, ``page`` a path of the built site and ``size`` one of
``conftest.SIZES``. The entry makes that one test a strict expected failure
(``pytest.mark.xfail(strict=True, raises=AssertionError)``): it must fail with an
AssertionError, and it fails the run as soon as the page complies ("XPASS(strict)"),
until its entry is deleted. An entry for a page or a test that does not exist stops
the run.

The list is empty since 30 November 2026: every page passes every check at both
sizes. Do not add entries to make a new failure pass; an entry is for a failure
that is measured, reported in an issue and about to be fixed.
"""

from __future__ import annotations

KNOWN_FAILURES: dict[tuple[str, str, str], str] = {}
