"""The book shows its version, and links its source repository when one is configured."""

from __future__ import annotations

from importlib.metadata import version
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from build.conftest import OnePageBook


PAGE = "# A page\n\nText.\n"
NO_REPOSITORY = {"ZEROGRAD_REPOSITORY_URL": "", "READTHEDOCS_GIT_CLONE_URL": ""}


def test_the_version_is_shown(one_page_book: OnePageBook) -> None:
    run, html = one_page_book(PAGE, NO_REPOSITORY)
    assert run.returncode == 0, run.stderr
    page = (html / "index.html").read_text(encoding="utf-8")
    assert f"zerograd {version('zerograd')}" in page
    assert 'class="btn btn-sm btn-source-repository-button' not in page
    assert "source</a>" not in page, "a source link with no repository configured"


@pytest.mark.parametrize(
    ("env", "link", "buttons"),
    [
        (
            {"ZEROGRAD_REPOSITORY_URL": "https://github.com/someone/zerograd"},
            "https://github.com/someone/zerograd",
            True,
        ),
        (
            {
                "READTHEDOCS_GIT_CLONE_URL": "https://git.example.org/team/zerograd.git",
                "READTHEDOCS_GIT_IDENTIFIER": "v9.9",
            },
            "https://git.example.org/team/zerograd",
            False,
        ),
    ],
)
def test_the_repository_is_linked_when_configured(
    one_page_book: OnePageBook, env: dict[str, str], link: str, buttons: bool
) -> None:
    run, html = one_page_book(PAGE, {**NO_REPOSITORY, **env})
    assert run.returncode == 0, run.stderr
    page = (html / "index.html").read_text(encoding="utf-8")
    assert f'<a href="{link}">source</a>' in page, "the footer does not link the source"
    # The theme's buttons exist for GitHub, GitLab and Bitbucket only.
    assert (f'href="{link}/blob/main/docs/index.md?plain=1"' in page) is buttons
