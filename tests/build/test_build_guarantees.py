"""Builds that cannot lie: the book's build is checked the way a reviewer would check it.

These tests build the whole book several times, so they live apart from the
unit tests and run in ``nox -s guarantees``. They work on a temporary copy of
the project (see ``tools/faults.py``) and never touch the working tree's
``docs/_build``.

1. Two clean builds of the same source give the same HTML, byte for byte,
   once the fields listed in :data:`NOTEBOOK_FIELDS` are masked; each entry
   says why that field differs. The HTML pages must be identical as they are.
2. With the second build's output and doctrees left in place, an edit to a
   backward rule under ``src/`` makes the *next* incremental build re-read and
   re-execute the pages, and fail, naming a page and the claim that broke.
   A rebuild with nothing changed reads no page, so the re-execution is the
   library edit's doing and not a build that always starts afresh.
"""

from __future__ import annotations

import filecmp
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faults
import pytest

BACKWARD_RULE_EDIT = "dropped-activation-derivative"
"""The fault planted for the incremental build: the backward loop forgets f'(z)."""

NOTEBOOK_FIELDS = {
    "notebook cell ids": (
        "each cell's 'id' in the published .ipynb: nbformat draws a random id for every "
        "cell when myst-nb reads a MyST page as a notebook"
    ),
    "notebook stream chunks": (
        "how printed text is split into stream outputs in the published .ipynb: the "
        "kernel sends it in chunks at moments that depend on timing (the HTML joins "
        "them, see _join_stream_chunks in docs/conf.py)"
    ),
}
"""The fields in which two clean builds may differ, all in the downloadable notebooks.

The HTML pages themselves must be identical byte for byte.
"""


@dataclass(frozen=True)
class TwoBuilds:
    """Two clean builds of one copy of the project, compared before any later test edits it."""

    copy: Path
    html: Path
    first_html: Path
    differing: dict[str, str]
    """Each HTML-output file that differs after masking, with a one-line account."""
    masked: dict[str, list[str]]
    """Each file that differed only in named fields, with the names of those fields."""


def _mask(relative: Path, text: str) -> tuple[str, list[str]]:
    """``text`` with the named fields made equal, and the names of the fields that changed."""
    if relative.suffix != ".ipynb":
        return text, []
    notebook = json.loads(text)
    used = set()
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.pop("id", None) is not None:
            cell["id"] = f"cell-{index}"
            used.add("notebook cell ids")
        joined: list[dict[str, Any]] = []
        for output in cell.get("outputs", []):
            last = joined[-1] if joined else None
            if (
                last is not None
                and output.get("output_type") == last.get("output_type") == "stream"
                and output.get("name") == last.get("name")
            ):
                last["text"] = "".join(last["text"]) + "".join(output["text"])
                used.add("notebook stream chunks")
            else:
                joined.append(output)
        for output in joined:
            if output.get("output_type") == "stream":
                output["text"] = "".join(output["text"])
        if "outputs" in cell:
            cell["outputs"] = joined
    return json.dumps(notebook, indent=1, sort_keys=True), sorted(used)


def _published_files(html: Path) -> Iterator[Path]:
    """Every file a reader can get, relative to ``html``: not Sphinx's private state."""
    for path in sorted(html.rglob("*")):
        relative = path.relative_to(html)
        if path.is_file() and relative.parts[0] not in {".doctrees"}:
            yield relative


def _compare(first: Path, second: Path) -> tuple[dict[str, str], dict[str, list[str]]]:
    differing: dict[str, str] = {}
    masked: dict[str, list[str]] = {}
    first_files, second_files = set(_published_files(first)), set(_published_files(second))
    for missing in sorted(first_files ^ second_files):
        differing[str(missing)] = "present in one build only"
    for relative in sorted(first_files & second_files):
        a, b = first / relative, second / relative
        if filecmp.cmp(a, b, shallow=False):
            continue
        try:
            text_a, used_a = _mask(relative, a.read_text(encoding="utf-8"))
            text_b, used_b = _mask(relative, b.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            differing[str(relative)] = "binary files differ"
            continue
        if text_a == text_b:
            masked[str(relative)] = sorted(set(used_a) | set(used_b))
            continue
        line = next(
            (
                f"line {n}: {x.strip()[:160]!r} != {y.strip()[:160]!r}"
                for n, (x, y) in enumerate(
                    zip(text_a.splitlines(), text_b.splitlines(), strict=False), 1
                )
                if x != y
            ),
            "the files differ in length",
        )
        differing[str(relative)] = line
    return differing, masked


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> TwoBuilds:
    """Build the book twice from scratch in the same place; keep the second build in place."""
    root = tmp_path_factory.mktemp("guarantees")
    copy = faults.copy_project(root / "project")
    faults.check_imports_copy(copy)
    html = copy / "docs" / "_build" / "html"
    logs = root / "logs"
    first = faults.build_book(copy, logs / "first.log", processes=2, html=html)
    assert first.status == 0, f"the first clean build failed; see {first.log}"
    first_html = root / "first-html"
    shutil.move(html, first_html)
    shutil.rmtree(copy / "docs" / "_build")
    second = faults.build_book(copy, logs / "second.log", processes=2, html=html)
    assert second.status == 0, f"the second clean build failed; see {second.log}"
    differing, masked = _compare(first_html, html)
    return TwoBuilds(copy, html, first_html, differing, masked)


def test_two_clean_builds_give_the_same_html(two_builds: TwoBuilds) -> None:
    assert not two_builds.differing, (
        "two clean builds of the same source differ outside the named fields:\n"
        + "\n".join(f"  {path}: {why}" for path, why in two_builds.differing.items())
    )


def test_only_named_fields_differ(two_builds: TwoBuilds) -> None:
    for path, fields in two_builds.masked.items():
        assert Path(path).suffix == ".ipynb", f"{path}: an HTML output differed in {fields}"
        assert set(fields) <= NOTEBOOK_FIELDS.keys(), f"{path}: unnamed fields {fields}"


def _pages_read(html: Path) -> list[str]:
    """The pages the last build read (and executed), from its ledger, claims.json."""
    ledger = json.loads((html / "claims.json").read_text(encoding="utf-8"))
    pages: list[str] = ledger["pages_read"]
    return pages


def test_library_edit_reexecutes_pages_and_fails_the_next_build(two_builds: TwoBuilds) -> None:
    copy, html = two_builds.copy, two_builds.html
    logs = copy.parent / "logs"
    assert (html / ".doctrees" / "environment.pickle").is_file(), "no previous build to reuse"

    every_page = _pages_read(html)
    pages = [page for page in (copy / "docs").rglob("*.md") if "_build" not in page.parts]
    assert len(every_page) == len(pages), f"a clean build read {every_page}, not every page"
    unchanged = faults.build_book(copy, logs / "unchanged.log", processes=2, html=html)
    assert unchanged.status == 0, f"a rebuild with nothing changed failed; see {unchanged.log}"
    assert _pages_read(html) == [], (
        "a rebuild with nothing changed re-read pages, so it proves nothing about caching"
    )

    (fault,) = [f for f in faults.CATALOGUE if f.name == BACKWARD_RULE_EDIT]
    fault.apply(copy)
    edited = faults.build_book(copy, logs / "edited.log", processes=2, html=html)
    assert _pages_read(html) == every_page, (
        f"after editing src/zerograd/{fault.file}, the incremental build re-read "
        f"{_pages_read(html)}, not every page {every_page}"
    )
    executed = json.loads((html / "claims.json").read_text(encoding="utf-8"))["pages_executed"]
    with_code = sorted(
        str(page.relative_to(copy / "docs").with_suffix(""))
        for page in pages
        if "```{code-cell}" in page.read_text(encoding="utf-8")
    )
    assert executed == with_code, f"the build executed {executed}, not every page with code"
    assert edited.status != 0, (
        f"the build after planting {fault.name!r} ({fault.summary}) succeeded; see {edited.log}"
    )
    assert edited.caught, f"the failing build named no claim or page; see {edited.log}"
    assert edited.claims, (
        f"no claim's check failed; the build named only: {edited.evidence or edited.pages}"
    )


def test_the_ledger_is_published_and_the_first_page_counts_its_claims(
    two_builds: TwoBuilds,
) -> None:
    html = two_builds.first_html  # the second build's output is edited by a later test
    ledger = json.loads((html / "claims.json").read_text(encoding="utf-8"))
    claims = ledger["claims"]
    assert ledger["status"] == "passed", f"the green build's ledger says {ledger['problems']}"
    assert claims, "the ledger lists no claims"
    assert all(claim["status"] == "checked" and claim["checks"] for claim in claims)
    assert len(ledger["library"]["sha256"]) == 64
    page = (html / "claims.html").read_text(encoding="utf-8")
    rows = re.findall(r'<a class="reference internal" href="([\w-]+)\.html#(claim-[\w-]+)"', page)
    for claim in claims:
        assert claim["url"].split("#")[1] in {anchor for _, anchor in rows}, (
            f"the ledger page does not link {claim['id']} ({claim['url']})"
        )
        target = (html / claim["url"].split("#")[0]).read_text(encoding="utf-8")
        assert f'id="{claim["url"].split("#")[1]}"' in target, f"no box at {claim['url']}"
    index = (html / "index.html").read_text(encoding="utf-8")
    counted = re.findall(r"(\d+) claims, every one checked on this build", index)
    assert counted == [str(len(claims))], (
        f"the first page says {counted} claims; claims.json has {len(claims)}"
    )
