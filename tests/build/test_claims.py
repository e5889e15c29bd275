"""The claims ledger and the wording lint fail the build, naming the claim and its page.

Each test plants one fault of issue 10's "Done means" in a small book: a copy
of the project whose ``docs/`` holds only ``conf.py``, the extensions, the
static files, a plain index, the ledger page and one executed page with one
claim. Such a book builds in a few seconds with the flags of ``nox -s docs``
(``-W --keep-going -n -T -j 2``), so every failure is shown on a real build,
not on a mock, without building the whole book five times.

1. A claim's check is deleted: "claim page:fits has no check that ran".
2. A check names a claim that no page declares: "names claim page:fit, which no
   page declares".
3. A claim's check fails: "claim page:fits failed its check at page.md:N", with
   the assert's message; an incremental rebuild with nothing changed still fails.
4. A new quantified sentence appears outside any claim: "quantified wording
   outside a claim (always, nothing)", at its page and line; so does one that
   quantifies with "whatever", "unless" and "however small", one in quotation
   marks, a negative universal ("no hidden unit is", "there is no", "moves no"; "no ... is"
   with math, inline code or a possessive between) and "precisely"; "can't" is flagged
   whether its apostrophe is typed straight or curly (U+2019).
5. The allowlist tries to defer that sentence in a ``[pending]`` table: the
   build names the file and its only table, ``[[allow]]``, and still flags the
   sentence.
6. The sentence that an ``[[allow]]`` entry covers is reworded: the build
   names the entry, which no longer matches anything.

A check whose block holds neither an ``assert`` that reads a value nor a call, outside the
functions it defines, cannot fail, and fails the build, in a cell that is executed or not;
so does an assert of a tuple, of a walrus whose only name is assigned or of a lambda, a
check in a cell that myst-nb leaves out of the page (inside a cell magic too), a shown cell
that holds a check and does not parse, the word ``claim`` in a cell that IPython runs as
other Python than its text (a magic, a quoted line, automagic), a check's
failure or another error that ``%%capture`` shows without stopping the page (from a
function the cell calls), a check object entered by a second ``with``, and a check the
build cannot place (under another name, in a module, in ``exec``), even at the line of a
real check, or of a block that does not run, in its own cell or another. A check in a
function is placed in the cell that defines it, not on a later cell's block at the line it
names. A cell that starts with blank lines names its checks at their lines, as IPython
counts them. A block that can fail but does not run (in a loop over an empty sequence, in
a cell tagged skip-execution) fails the build, though its claim has a check that passed;
so does each block of a page that myst-nb does not execute (its own ``execution_mode``),
and a use of ``claim`` other than ``with claim(...)``, which the build would find only by
its record, whether or not it runs. An ``.ipynb`` page, whose checks the build cannot read
from MyST text, is left out of the book (a toctree that names one fails the build).

The summary count says every claim was checked only on a build with no problem, and a
claim's checks say "on this build" only if this build executed their page.

A check written in a function that one cell defines and two others call is one check,
located at its ``with`` statement, not at a line of the cells that ran it, even when the
page has another check of the same claim.

The green book also shows what is exempt from the lint: a claim's statement,
code, math, a question, the conjunction "however" ("However, ...",
"..., however, ...") and a sentence that an ``[[allow]]`` entry covers.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import faults
import pytest
from docutils import nodes

ROOT = Path(__file__).resolve().parents[2]

HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""

INDEX = """# A small book

This build found {claim-count}`summary`.

```{toctree}
page
claims
```
"""

LEDGER_PAGE = """# The ledger

:::{claim-ledger}
:::
"""

PAGE = (
    HEADER
    + """
# A page

:::{claim} fits
For one sample whose target is the prediction, every gradient of the worked example is zero.
:::

Every gradient is then zero as well.
Does it always hold?
However, a batch is another matter; its gradients, however, are not checked here.
The answer says the premise "is not true" for a batch, and $\\forall x$ is math.
The check is the cell below; `always` in inline code is code.

```{code-cell} python
import zerograd as zg
from zerograd.book import claim
from zerograd.examples import worked_example

prediction = float(worked_example().prediction()[0])
fitted = worked_example(target=prediction).gradients()
# a comment may say always
with claim("page:fits"):
    assert fitted.all_zero(), f"a gradient is not zero: {fitted.max_abs()}"
```
"""
)

ALLOWED = "Every gradient is then zero as well."
ALLOWLIST = """# The small book's allowlist: one phrase of one sentence of the page.

[[allow]]
phrase = "Every gradient is then"
page = "page"
reason = "the small book's test that an allowed phrase settles a flagged sentence"
"""


@dataclass(frozen=True)
class Built:
    """One build of the small book: its outcome, log and ledger."""

    check: faults.Check
    log: str
    ledger: dict[str, Any]
    copy: Path

    def errors(self) -> list[str]:
        """The log's ERROR and WARNING lines that the book's extensions wrote."""
        return [
            line
            for line in self.log.splitlines()
            if re.search(r": (ERROR|WARNING): ", line) and "IPKernelApp" not in line
        ]


SmallBook = Callable[..., Built]
"""``small_book(old="", new="", allowlist=ALLOWLIST)``: build the edited small book."""


def _small_book(root: Path, page: str = PAGE, allowlist: str = ALLOWLIST) -> Path:
    """A copy of the project with a one-page book; the page's text is ``page``."""
    copy = root / "project"
    shutil.copytree(ROOT / "src", copy / "src", ignore=faults.NOT_COPIED)
    docs = copy / "docs"
    docs.mkdir()
    shutil.copy2(ROOT / "docs" / "conf.py", docs / "conf.py")
    for folder in ("_ext", "_static", "_templates", "_intersphinx"):
        shutil.copytree(ROOT / "docs" / folder, docs / folder, ignore=faults.NOT_COPIED)
    (docs / "claims-allowlist.toml").write_text(allowlist, encoding="utf-8")
    (docs / "index.md").write_text(INDEX, encoding="utf-8")
    (docs / "claims.md").write_text(LEDGER_PAGE, encoding="utf-8")
    (docs / "page.md").write_text(page, encoding="utf-8")
    return copy


def _build(copy: Path, name: str) -> Built:
    log = copy.parent / f"{name}.log"
    check = faults.build_book(copy, log, processes=2)
    ledger_path = copy / "docs" / "_build" / "html" / "claims.json"
    ledger = json.loads(ledger_path.read_text(encoding="utf-8")) if ledger_path.is_file() else {}
    return Built(check, log.read_text(encoding="utf-8"), ledger, copy)


def _line(page: str, text: str) -> int:
    """The 1-based line of ``page`` that contains ``text``."""
    (number,) = [n for n, line in enumerate(page.splitlines(), 1) if text in line]
    return number


def _with_second_cell(small_book: SmallBook, cell: str, marker: str) -> tuple[Built, int]:
    """The small book with ``cell`` after the page's first cell, and the line of ``marker``."""
    new = f"{CELL_END}\nA second cell.\n\n{cell}"
    return small_book(CELL_END, new), _line(PAGE.replace(CELL_END, new), marker)


def _fails_with(built: Built, expected: str) -> None:
    """Assert that the build failed and that one of its error lines holds ``expected``."""
    assert built.check.status != 0, "the build passed"
    assert any(expected in error for error in built.errors()), built.errors()


def _second_cell_fails(
    small_book: SmallBook, cell: str, marker: str, expected: str, above: int = 0
) -> None:
    """Assert that the small book with ``cell`` second fails with ``expected``, whose
    ``{line}`` is the line ``above`` lines above ``marker``'s."""
    built, line = _with_second_cell(small_book, cell, marker)
    _fails_with(built, expected.format(line=line - above))


def _refuses_second_cell(
    small_book: SmallBook, cell: str, marker: str, why: str, above: int = 0
) -> None:
    """Assert that the small book with ``cell`` second fails naming the line ``above``
    lines above ``marker``'s as the code cell's."""
    expected = f"page.md:{{line}}: ERROR: the code cell at page.md:{{line}} {why}"
    _second_cell_fails(small_book, cell, marker, expected, above)


def _not_placed_in_second_cell(built: Built) -> None:
    """Assert that the second cell's check failed as unplaced, beside the page's real one."""
    _fails_with(
        built,
        "ERROR: the check of claim page:fits at page.md (cell 2) cannot be placed on its page",
    )
    checks = sorted((c["cell"], c["line"], c["runs"]) for c in built.ledger["claims"][0]["checks"])
    assert checks == [(1, _line(PAGE, 'with claim("page:fits")'), 1), (2, None, 1)], checks


UNRUN = "did not run on this build, though its page ran to its end"
"""The words of the error for a check that the page shows and that did not run."""

IPYTHON_SYNTAX = (
    "holds the word claim in a cell that IPython runs, or may run, as other Python than its text"
)
"""The words of the error for the word ``claim`` in a cell in IPython's syntax."""


@pytest.fixture
def small_book(tmp_path: Path) -> SmallBook:
    """Build the small book with the page edited by ``(old, new)``; ``old`` must occur once.

    ``allowlist`` replaces the text of the small book's ``claims-allowlist.toml``.
    """

    def build(old: str = "", new: str = "", allowlist: str = ALLOWLIST) -> Built:
        assert PAGE.count(old) == 1 or old == "", f"{old!r} is not in the page exactly once"
        page = PAGE.replace(old, new) if old else PAGE
        copy = _small_book(tmp_path, page, allowlist)
        faults.check_imports_copy(copy)
        return _build(copy, "build")

    return build


def test_the_small_book_is_green_and_its_ledger_complete(
    small_book: SmallBook,
) -> None:
    built = small_book("", "")
    assert built.check.status == 0, "\n".join(built.errors()) or built.log[-3000:]
    assert built.errors() == [], built.errors()
    assert built.ledger["status"] == "passed"
    (fits,) = built.ledger["claims"]
    assert fits["id"] == "page:fits"
    assert fits["status"] == "checked"
    assert fits["url"] == "page.html#claim-page-fits"
    assert fits["line"] == _line(PAGE, "{claim} fits")
    (check,) = fits["checks"]
    assert check["line"] == _line(PAGE, 'with claim("page:fits")')
    assert check["cell"] == 1
    assert check["status"] == "passed"
    assert check["library_sha256"] == built.ledger["library"]["sha256"]
    assert built.ledger["pages_read"] == ["claims", "index", "page"]
    assert built.ledger["pages_executed"] == ["page"], "only the page with code executes"
    html = built.copy / "docs" / "_build" / "html"
    assert "1 claim, every one checked on this build" in (html / "index.html").read_text()
    ledger_page = (html / "claims.html").read_text()
    assert 'href="page.html#claim-page-fits"' in ledger_page
    # The ledger page names the library the checks ran against, as claims.json does.
    library = built.ledger["library"]
    assert f"The checks in this ledger ran against zerograd {library['version']}," in ledger_page
    assert f'<span class="pre">{library["sha256"][:12]}</span></code>…' in ledger_page, (
        "the ledger page does not show the start of the source hash"
    )
    page = (html / "page.html").read_text()
    assert 'id="claim-page-fits"' in page
    assert 'id="code-cell-1"' in page
    assert "Checked on this build" in page
    assert not (html / "reports").exists(), "myst-nb's traceback folder is published"
    # Exempt from the lint: the claim box, code, math, the question, the
    # conjunction "however"; one sentence allowed.
    assert re.search(
        r"wording: 1 sentences .*: 1 allowed in claims-allowlist.toml, 0 new", built.log
    )


CALLED_CHECK = """def check(gradients):
    with claim("page:fits"):
        assert gradients.all_zero(), f"not zero: {gradients.max_abs()}"
```

A cell that runs the check defined above.

```{code-cell} python
check(fitted)
with (
    claim("page:fits"),  # a second check, in the cell itself
):
    assert fitted.all_zero()
```

Another cell runs it again, a few lines further down its code.

```{code-cell} python
again = fitted
again = fitted
check(again)
```
"""


def test_a_check_in_a_function_is_located_at_its_with_statement(
    small_book: SmallBook,
) -> None:
    """A ``with claim`` in a function of one cell, called from two others, is one check.

    The kernel reports the line of the ``with`` within the code it belongs to, and the
    cell that ran it; the ledger must not add the one to the other's first line. A second
    ``with`` of the same claim on the page is a check of its own.
    """
    old = (
        'with claim("page:fits"):\n'
        '    assert fitted.all_zero(), f"a gradient is not zero: {fitted.max_abs()}"\n```\n'
    )
    built = small_book(old, CALLED_CHECK)
    assert built.check.status == 0, "\n".join(built.errors()) or built.log[-3000:]
    page = PAGE.replace(old, CALLED_CHECK)
    (fits,) = built.ledger["claims"]
    checks = [(c["cell"], c["line"], c["runs"]) for c in fits["checks"]]
    in_function = _line(page, '    with claim("page:fits")')
    in_cell = _line(page, 'claim("page:fits"),  # a second check')
    assert sorted(checks) == [(1, in_function, 2), (2, in_cell, 1)], checks


def test_a_deleted_check_fails_naming_the_claim_and_its_page(
    small_book: SmallBook,
) -> None:
    built = small_book(
        'with claim("page:fits"):\n    assert fitted.all_zero()',
        "if True:\n    assert fitted.all_zero()",
    )
    line = _line(PAGE, "{claim} fits")
    expected = f"page.md:{line}: ERROR: claim page:fits has no check that ran on this build"
    _fails_with(built, expected)
    assert built.ledger["claims"][0]["status"] == "unchecked"
    assert {"page": "page", "line": line, "claim": "page:fits"}.items() <= (
        built.ledger["problems"][0].items()
    )


def test_a_check_that_cannot_fail_fails_naming_the_claim_and_its_line(
    small_book: SmallBook,
) -> None:
    # The block runs and passes, but tests nothing: no assert, no call.
    built = small_book(
        '    assert fitted.all_zero(), f"a gradient is not zero: {fitted.max_abs()}"',
        "    tested = fitted",
    )
    line = _line(PAGE, 'with claim("page:fits")')
    expected = (
        f"page.md:{line}: ERROR: the check of claim page:fits at page.md:{line} "
        "cannot fail: its block holds neither an assert nor a call"
    )
    _fails_with(built, expected)
    assert built.ledger["claims"][0]["checks"][0]["vacuous"] is True
    # The claim's status is "checked", but the build failed: the count must not say so.
    assert built.ledger["claims"][0]["status"] == "checked"
    index = (built.copy / "docs" / "_build" / "html" / "index.html").read_text()
    assert "1 claim, 1 of them failed or not checked on this build" in index
    assert "every one checked" not in index


@pytest.mark.parametrize(
    ("written", "marker"),
    [
        ('with claim(\n    "page:fits"\n):\n    tested = fitted', "with claim("),
        ('FITS = "page:fits"\nwith claim(FITS):\n    tested = fitted', "with claim(FITS)"),
        ('with claim("page:fits"):\n    assert True, "tests no value"', "with claim("),
        (
            'with claim("page:fits"):\n    def never_called():\n        assert fitted.all_zero()',
            "with claim(",
        ),
        ('with claim("page:fits"):\n    assert (fitted.all_zero(), "a tuple")', "with claim("),
        ('with claim("page:fits"):\n    assert (seen := 0) == 0', "with claim("),
        ('with claim("page:fits"):\n    assert lambda: fitted.all_zero()', "with claim("),
        ('with claim("page:fits"):\n    assert [fitted.all_zero()], "a list"', "with claim("),
        ('with claim("page:fits"):\n    assert {fitted.all_zero()}, "a set"', "with claim("),
        ('with claim("page:fits"):\n    assert {"zero": fitted.all_zero()}', "with claim("),
        ('with claim("page:fits"):\n    assert f"{fitted.all_zero()} is True"', "with claim("),
        ('with claim("page:fits"):\n    assert (g == 0 for g in fitted.b)', "with claim("),
        ('with claim("page:fits"):\n    assert [g == 0 for g in fitted.b]', "with claim("),
        ('with claim("page:fits"):\n    assert fitted.all_zero() or "not zero"', "with claim("),
        ('with claim("page:fits"):\n    assert lambda g=fitted: g.all_zero()', "with claim("),
        ('with claim("page:fits"):\n    assert f"{fitted.all_zero()}"', "with claim("),
        (
            'with claim("page:fits"):\n    assert fitted.all_zero() or "got %s" % fitted.b',
            "with claim(",
        ),
        (
            'with claim("page:fits"):\n    assert fitted.all_zero() or "got {}".format(fitted.b)',
            "with claim(",
        ),
        (
            'with claim("page:fits"):\n    assert fitted.all_zero() or str(fitted.b) + " is not 0"',
            "with claim(",
        ),
    ],
    ids=[
        "split-over-lines",
        "id-in-a-variable",
        "assert-of-a-constant",
        "assert-in-a-function-it-defines",
        "assert-of-a-tuple",
        "assert-of-a-walrus-that-reads-nothing",
        "assert-of-a-lambda",
        "assert-of-a-list",
        "assert-of-a-set",
        "assert-of-a-dict",
        "assert-of-an-f-string",
        "assert-of-a-generator",
        "assert-of-a-list-comprehension",
        "assert-or-a-message",
        "assert-of-a-lambda-whose-default-reads-a-name",
        "assert-of-an-f-string-of-a-test",
        "assert-or-a-message-formatted-with-percent",
        "assert-or-a-message-formatted-with-format",
        "assert-or-a-message-ending-in-text",
    ],
)
def test_a_check_that_cannot_fail_is_found_however_its_with_is_written(
    small_book: SmallBook, written: str, marker: str
) -> None:
    # The block is found in the parsed cell, not by its text: a formatter may split
    # the `with` over lines, and a page may name the claim by a variable.
    old = 'with claim("page:fits"):\n    assert fitted.all_zero(), f"a gradient is not zero: {fitted.max_abs()}"'
    built = small_book(old, written)
    line = _line(PAGE.replace(old, written), marker)
    expected = (
        f"page.md:{line}: ERROR: the check of claim page:fits at page.md:{line} "
        "cannot fail: its block holds neither an assert nor a call"
    )
    _fails_with(built, expected)
    reports = [error for error in built.errors() if "cannot fail" in error]
    assert len(reports) == 1, reports  # one report, with the id its record gave
    (check,) = built.ledger["claims"][0]["checks"]
    assert (check["vacuous"], check["line"]) == (True, line)


CELL = PAGE[PAGE.index("```{code-cell} python") :]


def test_a_cell_that_starts_with_blank_lines_names_the_lines_of_its_checks(
    small_book: SmallBook,
) -> None:
    # IPython drops a cell's leading blank lines before it compiles the cell, so the lines
    # the kernel names count from the first line that is not blank; so must the build's,
    # or the hollow block is reported at the line of the sound one above it.
    new = CELL.replace("```{code-cell} python\n", "```{code-cell} python\n\n\n").replace(
        CELL_END, CELL_END[: -len("```\n")] + 'with claim("page:fits"):  # hollow\n    pass\n```\n'
    )
    built = small_book(CELL, new)
    page = PAGE.replace(CELL, new)
    hollow = _line(page, "# hollow")
    sound = hollow - 2
    assert page.splitlines()[sound - 1] == 'with claim("page:fits"):'
    _fails_with(
        built,
        f"page.md:{hollow}: ERROR: the check of claim page:fits at page.md:{hollow} "
        "cannot fail: its block holds neither an assert nor a call",
    )
    reports = [error for error in built.errors() if "cannot fail" in error]
    assert len(reports) == 1, reports
    checks = sorted((c["cell"], c["line"], c["runs"]) for c in built.ledger["claims"][0]["checks"])
    assert checks == [(1, sound, 1), (1, hollow, 1)], checks


@pytest.mark.parametrize("separator", ["\u2028", "\x0c", "\x85"], ids=["u2028", "form-feed", "nel"])
@pytest.mark.parametrize("where", ["prose", "code"])
def test_a_line_break_that_only_python_s_splitlines_sees_fails_naming_its_line(
    small_book: SmallBook, separator: str, where: str
) -> None:
    # myst-nb's notebook reader splits a page with str.splitlines, which also breaks at
    # these characters, while markdown-it, which numbers the doctree's lines, does not:
    # the text after one is misread (markdown taken for code, a cell cut in two).
    old = (
        "The check is the cell below; `always` in inline code is code."
        if where == "prose"
        else "prediction = float(worked_example().prediction()[0])"
    )
    new = old.replace(" ", f" {separator}", 1)
    built = small_book(old, new)
    line = PAGE.split("\n").index(old) + 1
    _fails_with(
        built,
        f"page.md:{line}: ERROR: the line at page.md:{line} holds a character that Python's "
        "str.splitlines takes for a line break and markdown-it does not",
    )


def test_a_cell_that_ipython_s_transformer_refuses_does_not_stop_the_build(
    small_book: SmallBook,
) -> None:
    # IPython's transformer raises IndexError on x = %''' (the kernel then runs nothing of
    # the cell); code run apart takes the next cell's count, so the build reads that cell
    # to place the record of the check it defines: the build must say so, not crash.
    cells = (
        "```{code-cell} python\n"
        "get_ipython().run_cell(\n"
        '    \'def hollow():\\n    with claim("page:fits"):\\n'
        "        assert fitted.all_zero()\\n'\n)\n```\n\n"
        "```{code-cell} python\n:tags: [raises-exception]\nx = %'''\n```\n\n"
        "```{code-cell} python\nhollow()\n```\n"
    )
    built, _ = _with_second_cell(small_book, cells, "get_ipython().run_cell(")
    assert "ExtensionError" not in built.log, built.log[-2000:]
    _fails_with(built, "ERROR: the check of claim page:fits at page.md")
    assert any("cannot be placed on its page" in error for error in built.errors()), built.errors()


SHARED_RECORD = (
    "def hollow():\n"
    '    with claim("page:fits"):\n'
    "        tested = fitted\n```\n\n"
    "A cell that runs it, with a check of its own at the same line of its code.\n\n"
    "```{code-cell} python\n"
    "hollow()\n" + "filler = fitted\n" * 7 + 'with claim("page:fits"):\n'
    "    assert fitted.all_zero()\n```\n"
)


def test_a_check_that_cannot_fail_is_found_beside_a_check_at_its_line(
    small_book: SmallBook,
) -> None:
    # The hollow block in the function, run from the second cell at the line of that
    # cell's own check, is told apart from it by the cell whose code holds it: two records.
    old = (
        'with claim("page:fits"):\n'
        '    assert fitted.all_zero(), f"a gradient is not zero: {fitted.max_abs()}"\n```\n'
    )
    built = small_book(old, SHARED_RECORD)
    page = PAGE.replace(old, SHARED_RECORD)
    hollow = _line(page, '    with claim("page:fits")')
    (real,) = [n for n, text in enumerate(page.splitlines(), 1) if text.startswith("with claim")]
    assert real > hollow + 1, "the two blocks are on different lines of the page"
    expected = (
        f"page.md:{hollow}: ERROR: the check of claim page:fits at page.md:{hollow} "
        "cannot fail: its block holds neither an assert nor a call"
    )
    _fails_with(built, expected)
    checks = sorted((c["cell"], c["line"], c["runs"]) for c in built.ledger["claims"][0]["checks"])
    assert checks == [(1, hollow, 1), (2, real, 1)], checks


@pytest.mark.parametrize(
    "written",
    [
        'from zerograd.book import claim as check\nwith check("page:fits"):\n    tested = fitted',
        'bound = claim("page:fits")\nwith bound:\n    tested = fitted',
    ],
    ids=["claim-under-another-name", "check-bound-to-a-variable"],
)
def test_a_check_the_build_cannot_place_fails_naming_the_claim(
    small_book: SmallBook, written: str
) -> None:
    # The block of such a check is not found on the page, so the build cannot tell
    # whether it can fail: it fails rather than count the claim as checked.
    old = 'with claim("page:fits"):\n    assert fitted.all_zero(), f"a gradient is not zero: {fitted.max_abs()}"'
    built = small_book(old, written)
    expected = (
        "ERROR: the check of claim page:fits at page.md (cell 1) cannot be placed on its page, "
        "so whether its block can fail is unknown"
    )
    _fails_with(built, expected)
    (check,) = built.ledger["claims"][0]["checks"]
    assert check["line"] is None, check


@pytest.mark.parametrize(
    "cell",
    [
        (
            "```{code-cell} python\n:tags: [skip-execution]\n"
            "from zerograd.book import claim as check  # loose\n"
            'with check("page:fits"):\n    assert len("ab") == 3\n```\n'
        ),
        (
            "```{code-cell} python\nfor case in []:\n"
            '    bound = claim("page:fits")  # loose\n'
            '    with bound:\n        assert len("ab") == 3\n```\n'
        ),
        "```{code-cell} python\nimport zerograd.book as zb\n\ncheck = zb.claim  # loose\n```\n",
        (
            "```{code-cell} python\nasync def later():\n"
            '    async with claim("page:fits"):  # loose\n'
            '        assert len("ab") == 3\n```\n'
        ),
        (
            "```{code-cell} python\n"
            'bound = claim("page:fits")  # loose\nwith bound:\n    tested = fitted\n```\n'
        ),
    ],
    ids=[
        "renamed-in-a-cell-not-executed",
        "bound-in-a-loop-that-does-not-run",
        "passed-on",
        "async-with-in-a-function-not-awaited",
        "bound-and-run",
    ],
)
def test_a_check_written_other_than_as_with_claim_fails_whether_or_not_it_runs(
    small_book: SmallBook, cell: str
) -> None:
    # Such a check is found only by its record: one that does not run, as here, or whose
    # page is not executed, leaves none, and its failing assert would go unseen.
    why = "uses the name claim other than as `with claim(...)`"
    expected = f"page.md:{{line}}: ERROR: the code at page.md:{{line}} {why}"
    _second_cell_fails(small_book, cell, "# loose", expected)


@pytest.mark.parametrize(
    "importing",
    [
        "from zerograd.book import claim as check  # renamed",
        # IPython passes a line magic's text on as a string, which holds the import
        "%time from zerograd.book import claim as check  # renamed",
        # Python reads claim in fullwidth letters as the name claim
        "%time from zerograd.book import \uff43\uff4c\uff41\uff49\uff4d as check  # renamed",
        # automagic may run a cell of one line whose first word is a name as a magic
        "fitted  # renamed: the claim below",
    ],
    ids=["import", "import-in-a-line-magic", "import-in-fullwidth-letters", "one-line-cell"],
)
def test_claim_renamed_in_a_cell_the_page_leaves_out_fails_the_build(
    small_book: SmallBook, importing: str
) -> None:
    # The shown cell's `with check(...)` is not a claim( call: only the removed cell's
    # import says that it is one, and the block does not run, so it leaves no record.
    cells = (
        f"```{{code-cell}} python\n:tags: [remove-cell]\n{importing}\n```\n\n"
        "```{code-cell} python\n:tags: [skip-execution]\n"
        'with check("page:fits"):\n    assert len("ab") == 3\n```\n'
    )
    why = (
        "may hold a check that the build cannot name (it uses claim other than in a call, "
        "renamed or passed on, or it is in IPython's syntax and holds the word claim), but "
        "myst-nb leaves the cell out"
    )
    _refuses_second_cell(small_book, cells, "# renamed", why, above=2)  # the fence


def test_a_check_on_a_page_an_exclude_pattern_leaves_unexecuted_fails(tmp_path: Path) -> None:
    copy = _small_book(tmp_path)
    conf = copy / "docs" / "conf.py"
    conf.write_text(
        conf.read_text(encoding="utf-8") + '\nnb_execution_excludepatterns = ["page.md"]\n',
        encoding="utf-8",
    )
    built = _build(copy, "excluded")
    line = _line(PAGE, 'with claim("page:fits")')
    _fails_with(
        built,
        f"page.md:{line}: ERROR: the check of claim page:fits at page.md:{line} did not run on "
        "this build: myst-nb did not execute its page",
    )


def test_a_notebook_page_is_not_part_of_the_book(tmp_path: Path) -> None:
    # The build reads a page's checks from its MyST text, which an .ipynb page does not
    # have: conf.py leaves such pages out, and a toctree that names one fails the build.
    copy = _small_book(tmp_path)
    cell: dict[str, object] = {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {"tags": ["skip-execution"]},
        "outputs": [],
        "source": 'from zerograd.book import claim\nwith claim("page:fits"):\n    assert 1 == 2',
    }
    notebook = {
        "cells": [{"cell_type": "markdown", "metadata": {}, "source": "# A notebook"}, cell],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    docs = copy / "docs"
    (docs / "notebook.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    (docs / "index.md").write_text(INDEX.replace("page\n", "page\nnotebook\n"), encoding="utf-8")
    built = _build(copy, "notebook")
    # (Sphinx names a page that exclude_patterns leaves out as one that does not exist)
    _fails_with(built, "toctree contains reference to nonexisting document 'notebook'")


CELL_END = '    assert fitted.all_zero(), f"a gradient is not zero: {fitted.max_abs()}"\n```\n'
"""The end of the small book's code cell, after which a test adds cells."""


def _in_cell(page: str, marker: str) -> int:
    """The line of ``marker`` within the code of its code cell, which has no options."""
    lines = page.splitlines()
    at = _line(page, marker) - 1
    fence = max(i for i in range(at) if lines[i].startswith("```{code-cell}"))
    return at - fence


@pytest.mark.parametrize(
    ("planted", "marker", "magic_lines"),
    [
        (
            "from zerograd.book import claim as check\n"
            + "filler = fitted\n" * 6
            + 'with check("page:fits"):\n    tested = fitted\n',
            'with check("page:fits"):',
            0,
        ),
        (
            "filler = fitted\n" * 6
            + 'bound = claim("page:fits")\nwith bound:\n    tested = fitted\n',
            "with bound:",  # the kernel places a check at the `with` that enters it
            0,
        ),
        (
            "%%time\n"
            + "filler = fitted\n" * 7
            + 'with claim("page:fits"):\n    tested = fitted\n',
            'with claim("page:fits"):',
            1,  # the kernel counts the lines of a cell magic's body from the line after it
        ),
    ],
    ids=["claim-under-another-name", "check-bound-to-a-variable", "in-a-cell-magic"],
)
def test_a_check_the_build_cannot_place_is_not_taken_for_a_check_at_its_line(
    small_book: SmallBook, planted: str, marker: str, magic_lines: int
) -> None:
    # The kernel gives a record the line of its `claim(...)` call within the code that ran
    # it. A check the build does not see, at the line that the page's real check has in
    # its own cell, must not be merged into that check: a block at the top level of a
    # cell runs only when its own cell runs, so another cell's record is not its own.
    real = _in_cell(PAGE, 'with claim("page:fits")')
    at = planted.splitlines().index(marker) + 1 - magic_lines
    assert at == real, f"the plant is at line {at} of its code, the real check at {real}"
    built, _ = _with_second_cell(
        small_book, f"```{{code-cell}} python\n{planted}```\n", "A second cell."
    )
    _not_placed_in_second_cell(built)


HOLLOW = 'from zerograd.book import claim\n\n\n\n\ndef check():\n    with claim("page:fits"):\n        pass\n'
"""Code with a block that cannot fail, for a module or ``exec``: its ``with`` at line 7."""

DEAD_BLOCK = (
    'if False:\n    with claim("page:fits"):\n        assert fitted.all_zero(), "never run"\n'
)
"""A block that does not run; it can fail, so the build judges it sound."""


@pytest.mark.parametrize(
    "runner",
    [
        (
            f"HOLLOW = {HOLLOW!r}\n"
            "import importlib, pathlib, sys, tempfile\n"
            'pathlib.Path(folder := tempfile.mkdtemp(), "hollow_helper.py").write_text(HOLLOW)\n'
            "sys.path.insert(0, folder)\n"
            'importlib.import_module("hollow_helper").check()\n'
        ),
        (
            f"HOLLOW = {HOLLOW!r}\nnamespace = {{}}\nexec(HOLLOW, namespace)\n"
            'namespace["check"]()\nfiller = fitted\n'
        ),
    ],
    ids=["in-a-module", "in-exec"],
)
def test_a_check_outside_the_page_s_cells_is_not_taken_for_a_dead_block_at_its_line(
    small_book: SmallBook, runner: str
) -> None:
    # The record of the `with` in the module (or the exec'd string) has line 7 of that
    # code; the cell that ran it has a block of the same claim at its own line 7, which
    # does not run. Placing the record there would count a hollow block as that one.
    assert HOLLOW.splitlines().index('    with claim("page:fits"):') + 1 == 7
    cell = runner + DEAD_BLOCK
    assert cell.splitlines().index('    with claim("page:fits"):') + 1 == 7
    built, _ = _with_second_cell(
        small_book, f"```{{code-cell}} python\n{cell}```\n", "A second cell."
    )
    _not_placed_in_second_cell(built)


RUN_APART = {
    "run-cell": (
        "get_ipython().run_cell(\n"
        "    'def hollow():\\n    pass\\n    with claim(\"page:fits\"):\\n        pass\\n'\n)\n"
    ),
    "capture-with-another-name": (
        "%%capture\nfrom zerograd.book import claim as check_alias\ndef hollow():\n"
        '    with check_alias("page:fits"):\n        pass\n'
    ),
    "capture-after-console-prompts": (
        ">>> %%capture\n>>> def hollow():\n...     pass\n"
        '...     with claim("page:fits"):\n...         pass\n'
    ),
}
"""Code that IPython runs as a cell of its own, defining ``hollow`` with a hollow block at
line 3 of that code."""


@pytest.mark.parametrize("runner", RUN_APART.values(), ids=RUN_APART.keys())
def test_a_check_in_code_run_apart_is_not_credited_to_the_next_cell_s_dead_block(
    small_book: SmallBook, runner: str
) -> None:
    # IPython maps code run by run_cell(store_history=False) to the next cell's count; the
    # next cell's dead block at line 3 of its code, of the same claim, must not take the
    # hollow block's run.
    later = f"hollow()\n{DEAD_BLOCK}"
    assert later.splitlines().index('    with claim("page:fits"):') + 1 == 3
    new = (
        f"{CELL_END}\nA second cell.\n\n```{{code-cell}} python\n{runner}```\n\n"
        f"A third.\n\n```{{code-cell}} python\n{later}```\n"
    )
    built = small_book(CELL_END, new)
    _fails_with(
        built,
        "ERROR: the check of claim page:fits at page.md (cell 3) cannot be placed on its page",
    )
    if runner.startswith(">>>"):  # IPython strips the prompts and runs a cell magic
        line = _line(PAGE.replace(CELL_END, new), '...     with claim("page:fits"):')
        _fails_with(built, f"page.md:{line}: ERROR: the code at page.md:{line} {IPYTHON_SYNTAX}")
    checks = sorted((c["cell"], c["line"], c["runs"]) for c in built.ledger["claims"][0]["checks"])
    assert checks == [(1, _line(PAGE, 'with claim("page:fits")'), 1), (3, None, 1)], checks


def test_code_run_by_run_cell_storing_history_does_not_shift_a_check_to_the_next_cell(
    small_book: SmallBook,
) -> None:
    # run_cell(..., store_history=True) takes an execution count of its own: the nested
    # code's count is the next page cell's number, and every later cell's count is one
    # ahead of its number. The hollow block's record must not be put on the third cell's
    # dead block at the same line of its code, nor any later record on a neighbour's.
    runner = (
        "get_ipython().run_cell(\n"
        "    'def hollow():\\n    pass\\n    with claim(\"page:fits\"):\\n        pass\\n',\n"
        "    store_history=True,\n)\n"
    )
    later = f"hollow()\n{DEAD_BLOCK}"
    assert later.splitlines().index('    with claim("page:fits"):') + 1 == 3
    new = (
        f"{CELL_END}\nA second cell.\n\n```{{code-cell}} python\n{runner}```\n\n"
        f"A third.\n\n```{{code-cell}} python\n{later}```\n"
    )
    built = small_book(CELL_END, new)
    _fails_with(built, "ERROR: the check of claim page:fits at page.md")
    placed = [e for e in built.errors() if "cannot be placed on its page" in e]
    assert len(placed) == 1, built.errors()
    checks = sorted((c["line"] or 0, c["runs"]) for c in built.ledger["claims"][0]["checks"])
    assert checks == [(0, 1), (_line(PAGE, 'with claim("page:fits")'), 1)], checks


def test_a_check_below_a_continued_line_magic_fails_naming_its_line(
    small_book: SmallBook,
) -> None:
    # IPython joins `%time x = \` and its next line into one, so the kernel's lines of the
    # checks below are not the page's: the build does not read a cell in IPython's syntax.
    joined = (
        "```{code-cell} python\n%time filler = \\\n    fitted\n"
        'with claim("page:fits"):  # below a continued magic\n'
        "    assert fitted.all_zero()\n```\n"
    )
    expected = f"page.md:{{line}}: ERROR: the code at page.md:{{line}} {IPYTHON_SYNTAX}"
    _second_cell_fails(small_book, joined, "# below a continued magic", expected)


def test_a_cell_that_runs_a_loaded_file_instead_of_its_text_fails(tmp_path: Path) -> None:
    # myst-nb runs and shows the file of a :load: option in place of the cell's text; the
    # text's sound block would be judged while the file's hollow one runs.
    fence = "```{code-cell} python\n"
    page = PAGE.replace(CELL, CELL.replace(fence, f"{fence}:load: loaded.py\n"))
    copy = _small_book(tmp_path, page)
    loaded = (
        CELL.replace(fence, "")
        .replace("```\n", "")
        .replace(
            '    assert fitted.all_zero(), f"a gradient is not zero: {fitted.max_abs()}"',
            "    pass",
        )
    )
    (copy / "docs" / "loaded.py").write_text(loaded, encoding="utf-8")
    faults.check_imports_copy(copy)
    built = _build(copy, "build")
    line = _line(page, "import zerograd as zg")
    _fails_with(
        built,
        f"page.md:{line}: ERROR: the code cell at page.md:{line} runs other code than its text",
    )


CALLED_LATER = (
    "filler = fitted\n" * 4
    + "def run(gradients):\n"
    + '    with claim("page:fits"):  # in a function\n'
    + '        assert gradients.all_zero(), "not zero"\n```\n\n'
    + "```{code-cell} python\nrun(fitted)\n```\n\n"
    + f"```{{code-cell}} python\n{DEAD_BLOCK}```\n"
)


def test_a_check_in_a_function_is_not_credited_to_a_later_cell_s_dead_block(
    small_book: SmallBook,
) -> None:
    # The `with` is at line 6 of the second cell's code; the third cell calls it, and the
    # dead block of the fourth sits at the line of the page that the third cell's first
    # line plus 5 names. The record belongs to the function's block, and the dead block is
    # reported as not run, alone.
    new = f"{CELL_END}\nA function.\n\n```{{code-cell}} python\n{CALLED_LATER}"
    page = PAGE.replace(CELL_END, new)
    in_function = _line(page, "# in a function")
    assert _in_cell(page, "# in a function") == 6
    dead = max(
        n for n, text in enumerate(page.splitlines(), 1) if 'with claim("page:fits")' in text
    )
    assert dead == _line(page, "run(fitted)") + 5, "the dead block is where the line points"
    built = small_book(CELL_END, new)
    assert built.check.status != 0, "the build passed"
    _fails_with(
        built, f"page.md:{dead}: ERROR: the check of claim page:fits at page.md:{dead} {UNRUN}"
    )
    assert len(built.errors()) == 1, built.errors()  # that error alone
    checks = sorted((c["cell"], c["line"], c["runs"]) for c in built.ledger["claims"][0]["checks"])
    assert checks == [(1, _line(PAGE, 'with claim("page:fits")'), 1), (2, in_function, 1)]


ALIASED_IN_FUNCTION = (
    "from zerograd.book import claim as check_alias\n"
    "def hollow():\n"
    '    with check_alias("page:fits"):\n'
    "        tested = fitted\n```\n\n"
    "```{code-cell} python\n"
    "hollow()\n"
    "filler = fitted\n"
    'with claim("page:fits"):  # at line 3, as the hollow one\n'
    "    assert fitted.all_zero()\n```\n"
)


def test_a_hollow_check_under_another_name_is_not_merged_with_a_real_one(
    small_book: SmallBook,
) -> None:
    # Both `with`s are at line 3 of their code, and the third cell runs both: the aliased
    # one, which the build does not see, must not add its run to the real check.
    new = f"{CELL_END}\nA second cell.\n\n```{{code-cell}} python\n{ALIASED_IN_FUNCTION}"
    page = PAGE.replace(CELL_END, new)
    assert _in_cell(page, 'with check_alias("page:fits")') == _in_cell(page, "# at line 3") == 3
    built = small_book(CELL_END, new)
    _fails_with(
        built,
        "ERROR: the check of claim page:fits at page.md (cell 3) cannot be placed on its page",
    )
    checks = sorted(
        (c["cell"], c["line"] or 0, c["runs"]) for c in built.ledger["claims"][0]["checks"]
    )
    real = _line(page, "# at line 3")
    assert checks == [(1, _line(PAGE, 'with claim("page:fits")'), 1), (3, 0, 1), (3, real, 1)]


def test_a_shown_cell_that_holds_a_check_and_does_not_parse_fails(
    small_book: SmallBook,
) -> None:
    # Its blocks cannot be found, so the hollow one here would go unjudged.
    broken = (
        "```{code-cell} python\n:tags: [skip-execution]\n"
        'with claim("page:fits"):  # does not parse\n    pass\nvalue = = 1\n```\n'
    )
    why = "uses claim but does not parse as Python"
    _refuses_second_cell(small_book, broken, "# does not parse", why)


SKIPPED_CHECK = (
    "```{code-cell} python\n:tags: [skip-execution]\n"
    'with check("page:fits"):\n    assert len("ab") == 3\n```\n'
)
"""A cell, not executed, whose failing check is written under another name."""


@pytest.mark.parametrize(
    ("cell", "marker"),
    [
        # %%capture swallows the body's records (a failure too) and compiles the body under
        # the next cell's count
        (
            (
                "```{code-cell} python\n%%capture\n"
                'with claim("page:fits"):  # captured\n'
                '    assert not fitted.all_zero(), "swallowed"\n```\n'
            ),
            "# captured",
        ),
        # in a cell that does not run, the name is all the build sees of a renamed check
        (
            (
                "```{code-cell} python\n:tags: [skip-execution]\n%%time\n"
                "from zerograd.book import claim as check\n"
                'with check("page:fits"):\n    assert len("ab") == 3\n```\n'
            ),
            "import claim as check",
        ),
        # a comment too: what a magic does with its text is the magic's to say
        (
            (
                "```{code-cell} python\n%%time\n# the claim's premise, timed\n"
                'size = len("ab")\n```\n'
            ),
            "# the claim's premise",
        ),
        # a line magic's text is a string too: each of these checks fails and does not run
        (
            (
                "```{code-cell} python\n:tags: [skip-execution]\n"
                '%time with claim("page:fits"): assert len("ab") == 3\n```\n'
            ),
            "%time with",
        ),
        (
            (
                "```{code-cell} python\nfor case in []:\n"
                '    %time with claim("page:fits"): assert len("ab") == 3\n```\n'
            ),
            '    %time with claim("page:fits")',
        ),
        (
            (
                "```{code-cell} python\n%time from zerograd.book import claim as check\n```\n\n"
                + SKIPPED_CHECK
            ),
            "%time from",
        ),
        (
            (
                "```{code-cell} python\n:tags: [skip-execution]\n"
                '%time check = claim("page:fits")\nwith check:\n    assert len("ab") == 3\n```\n'
            ),
            "%time check",
        ),
        # %time splits its words as a shell would and joins them again, so the string
        # that Python reads here is not what %time runs: it runs the import
        (
            (
                "```{code-cell} python\n"
                "%time x = '''a'; from zerograd.book import claim as check #'''\n```\n\n"
                + SKIPPED_CHECK
            ),
            "%time x =",
        ),
        # IPython joins a continued magic line into one string
        (
            (
                "```{code-cell} python\n%time from zerograd.book import \\\n"
                "    claim as check\n```\n\n" + SKIPPED_CHECK
            ),
            "    claim as check",
        ),
        # %prun splits its options as shell words, where # is not a comment: `#` is the
        # -l option, and the import runs
        (
            (
                "```{code-cell} python\n%prun -q -l # from zerograd.book import claim as check\n"
                "```\n\n" + SKIPPED_CHECK
            ),
            "%prun",
        ),
        (
            (
                "```{code-cell} python\n%%capture\n"
                "%prun -q -l x# from zerograd.book import claim as check\n```\n\n" + SKIPPED_CHECK
            ),
            "%prun -q -l x#",
        ),
        # automagic runs a cell of one line whose first word names a magic as that magic
        (
            (
                "```{code-cell} python\nprun -q -l # from zerograd.book import claim as check\n"
                "```\n\n" + SKIPPED_CHECK
            ),
            "prun -q -l #",
        ),
        # IPython quotes the rest of a line that starts with ; and calls exec with it
        (
            (
                "```{code-cell} python\nfor case in []:\n"
                "    ;exec with claim('page:fits'): assert len('ab') == 3\n```\n"
            ),
            "    ;exec",
        ),
        # after a console prompt, and continued with a backslash
        (
            (
                "```{code-cell} python\n:tags: [skip-execution]\n"
                ">>> ;exec with claim('page:fits'): assert len('ab') == 3\n```\n"
            ),
            ">>> ;exec",
        ),
        (
            (
                "```{code-cell} python\n;exec from zerograd.book import \\\n"
                "    claim as check\n```\n\n" + SKIPPED_CHECK
            ),
            "    claim as check",
        ),
        # after a shell line whose unclosed bracket IPython reads again once it has
        # rewritten that line
        (
            (
                "```{code-cell} python\n!echo (\n;exec from zerograd.book import claim as check\n"
                "```\n\n" + SKIPPED_CHECK
            ),
            ";exec from",
        ),
        # a help request
        ("```{code-cell} python\nclaim?\n```\n", "claim?"),
        # claim in fullwidth letters, which Python reads as the name claim
        (
            (
                "```{code-cell} python\n%time from zerograd.book import "
                "\uff43\uff4c\uff41\uff49\uff4d as check\n```\n\n" + SKIPPED_CHECK
            ),
            "%time from",
        ),
    ],
    ids=[
        "captured",
        "renamed-in-a-cell-not-executed",
        "comment-in-a-cell-magic",
        "line-magic-not-executed",
        "line-magic-in-a-loop-that-does-not-run",
        "renamed-by-a-line-magic",
        "bound-in-a-line-magic",
        "renamed-in-a-string-that-time-splits",
        "renamed-by-a-continued-line-magic",
        "renamed-behind-a-magic-s-option-hash",
        "renamed-in-a-magic-s-options-in-a-cell-magic",
        "renamed-by-automagic",
        "quoted-by-ipython-in-a-loop-that-does-not-run",
        "quoted-after-a-console-prompt",
        "quoted-and-continued",
        "quoted-after-an-unclosed-shell-line",
        "help-request",
        "renamed-in-fullwidth-letters",
    ],
)
def test_the_word_claim_in_a_cell_in_ipython_syntax_fails_naming_its_line(
    small_book: SmallBook, cell: str, marker: str
) -> None:
    # IPython passes a magic's text on as a string, which the build does not read: the
    # word alone fails, in a comment too.
    expected = f"page.md:{{line}}: ERROR: the code at page.md:{{line}} {IPYTHON_SYNTAX}"
    _second_cell_fails(small_book, cell, marker, expected)


def test_the_word_claim_in_plain_python_text_is_not_taken_for_a_check(
    small_book: SmallBook,
) -> None:
    # In a cell of plain Python, a comment or a string is not a check, nor is a ; or ,
    # that IPython does not quote, nor a cell of one line that automagic does not take
    # (an assignment, a keyword or builtin first); a magic without the word is no
    # concern: the page stays green.
    cells = (
        '```{code-cell} python\n%%time\nsize = len("ab")\n```\n\n'
        '```{code-cell} python\n%time size = len("abc")\n```\n\n'
        '```{code-cell} python\nnote = """\n; the claim holds\n"""\n'
        'labels = ("premise"\n          , "the claim")\n```\n\n'
        '```{code-cell} python\nsize = len("abc")  # the claim\'s premise\n```\n\n'
        '```{code-cell} python\nprint("the claim\'s premise holds")\n```\n\n'
        '```{code-cell} python\nif size: note = "the claim"\n```\n\n'
        # a name that IPython adds to its kernel's builtins
        "```{code-cell} python\ndisplay(size)  # the claim's premise\n```\n\n"
        # a cell of plain Python with a line of blanks, which IPython's dedent empties
        "```{code-cell} python\ndef helper():\n    size = 1\n    \n"
        "    return size  # the claim's helper\n```\n\n"
        # a cell magic's body that is not Python (round 114 read it as Python, and
        # IPython's transformer refused its indentation)
        "```{code-cell} python\n:tags: [skip-execution]\n%%bash\n"
        "for step in 1 2; do\n  echo $step\n done\n```\n"
    )
    built, _ = _with_second_cell(small_book, cells, "%%time")
    assert built.check.status == 0, built.errors()
    (check,) = built.ledger["claims"][0]["checks"]
    assert check["status"] == "passed", check


SWALLOWED = (
    "def check(gradients):\n"
    '    with claim("page:fits"):\n'
    '        assert not gradients.all_zero(), "swallowed"\n```\n\n'
    "```{code-cell} python\n%%capture\ncheck(fitted)  # a check's failure\n```\n\n"
    '```{code-cell} python\n%%capture\nraise ValueError("not a check")\n```\n'
)


def test_a_failure_under_a_cell_magic_fails_naming_the_claim_and_the_cell(
    small_book: SmallBook,
) -> None:
    # %%capture runs its body as a cell of its own: the body's error is shown but the cell
    # goes on, and the body's outputs, the records of its checks among them, are taken.
    # Here the cell does not hold the word claim, so the rule for a cell in IPython's syntax
    # does not see it. The
    # kernel sends the record when the page's cell ends; the build fails on an error output
    # that did not stop the page, a check's or not.
    new = f"{CELL_END}\nA second cell.\n\n```{{code-cell}} python\n{SWALLOWED}"
    built = small_book(CELL_END, new)
    page = PAGE.replace(CELL_END, new)
    block = _line(page, '    with claim("page:fits")')
    # each error is reported at the first line of its cell's code: the magic's
    call = _line(page, "check(fitted)  # a check's failure") - 1
    other = _line(page, 'raise ValueError("not a check")') - 1
    _fails_with(
        built,
        f"page.md:{block}: ERROR: claim page:fits failed its check at page.md:{block}: swallowed",
    )
    _fails_with(
        built,
        f"page.md:{call}: ERROR: the code cell at page.md:{call} shows an error that did not "
        "stop the page (ClaimError: page:fits: swallowed)",
    )
    _fails_with(
        built,
        f"page.md:{other}: ERROR: the code cell at page.md:{other} shows an error that did not "
        "stop the page (ValueError: not a check)",
    )
    index = (built.copy / "docs" / "_build" / "html" / "index.html").read_text()
    assert "1 claim, 1 of them failed or not checked on this build" in index


def test_a_check_inside_a_cell_magic_in_a_cell_left_out_of_the_page_fails(
    small_book: SmallBook,
) -> None:
    # The build does not parse a cell in IPython's syntax: the cell's claim( text names the
    # check.
    hidden = (
        "```{code-cell} python\n:tags: [remove-cell]\n%%capture\n"
        'with claim("page:fits"):\n    assert not fitted.all_zero(), "swallowed"\n```\n'
    )
    built, fence = _with_second_cell(small_book, hidden, ":tags: [remove-cell]")
    fence -= 1  # the fence, above the options
    _fails_with(
        built,
        f"page.md:{fence}: ERROR: the code cell at page.md:{fence} holds a check of claim "
        "page:fits, but myst-nb leaves the cell out of the page",
    )
    # the error output of a cell left out of the page is read from the executed notebook
    _fails_with(
        built,
        f"page.md:{fence}: ERROR: the code cell at page.md:{fence} shows an error that did not "
        "stop the page (ClaimError: page:fits: swallowed)",
    )


def test_a_check_entered_by_a_second_with_fails_the_page(small_book: SmallBook) -> None:
    # Its runs would be counted on the first block, and the second block not judged.
    reused = (
        'with claim("page:fits") as check:\n'
        '    assert fitted.all_zero(), f"a gradient is not zero: {fitted.max_abs()}"\n```\n'
        "\nA second cell.\n\n```{code-cell} python\nwith check:\n    pass\n```\n"
    )
    old = (
        'with claim("page:fits"):\n'
        '    assert fitted.all_zero(), f"a gradient is not zero: {fitted.max_abs()}"\n```\n'
    )
    built = small_book(old, reused)
    _fails_with(
        built,
        "ERROR: page page failed to execute outside any claim check: ValueError: claim "
        "page:fits: a claim(...) check is used by one `with`",
    )
    (check,) = built.ledger["claims"][0]["checks"]
    assert (check["line"], check["runs"]) == (_line(PAGE, 'with claim("page:fits")'), 1)


def test_a_check_that_never_runs_beside_one_that_does_fails_naming_its_line(
    small_book: SmallBook,
) -> None:
    # The claim has a passing check, so it would be credited, and its ledger entry would
    # point at the cell that shows the block that never ran.
    unrun = 'for case in []:\n    with claim("page:fits"):\n        assert fitted.all_zero()\n'
    end = '{fitted.max_abs()}"\n'
    built = small_book(end, end + unrun)
    line = _line(PAGE.replace(end, end + unrun), "for case in []") + 1
    _fails_with(
        built, f"page.md:{line}: ERROR: the check of claim page:fits at page.md:{line} {UNRUN}"
    )


def test_a_check_in_a_cell_that_is_not_executed_fails_naming_its_line(
    small_book: SmallBook,
) -> None:
    skipped = (
        "```{code-cell} python\n:tags: [skip-execution]\n"
        'with claim("page:fits"):\n    assert fitted.all_zero(), "not run"\n```\n'
    )
    expected = f"page.md:{{line}}: ERROR: the check of claim page:fits at page.md:{{line}} {UNRUN}"
    _second_cell_fails(small_book, skipped, '"not run"', expected, above=1)  # the with


@pytest.mark.parametrize(
    "options",
    [":tags: [remove-cell]", ":tags: [remove-input, remove-output]"],
    ids=["remove-cell", "remove-input-and-output"],
)
def test_a_check_in_a_cell_left_out_of_the_page_fails_naming_the_cell(
    small_book: SmallBook, options: str
) -> None:
    # myst-nb executes such a cell but leaves it out of the doctree, where the build finds
    # the blocks it judges: this one, which cannot fail and never runs, would go unseen.
    hidden = (
        f"```{{code-cell}} python\n{options}\n"
        'def never_called():\n    with claim("page:fits"):\n        pass\n```\n'
    )
    why = "holds a check of claim page:fits, but myst-nb leaves the cell out of the page"
    _refuses_second_cell(small_book, hidden, options, why, above=1)  # the fence, above


@pytest.mark.parametrize(
    "written",
    [
        'with claim("page:fits"):  # not shown\n',
        'import zerograd.book as zb\nwith zb.claim \\\n("page:fits"):  # not shown\n',
    ],
    ids=["on-one-line", "call-split-from-its-name"],
)
def test_a_check_in_a_cell_whose_code_the_page_does_not_show_fails_naming_the_cell(
    small_book: SmallBook, written: str
) -> None:
    # remove-input keeps the cell's outputs on the page but not its code: the ledger
    # would link to a check that the reader cannot see. The cell's code is read as
    # Python, so a call whose text is not "claim(" is found too.
    hidden = (
        f"```{{code-cell}} python\n:tags: [remove-input]\n{written}"
        "    assert fitted.all_zero()\n```\n"
    )
    why = "holds a check but the page does not show its code (tagged remove-input"
    _refuses_second_cell(small_book, hidden, written.splitlines()[0], why)


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        # in "cache" mode an unchanged page shows the outputs, check records included, of
        # an earlier build
        (
            "cache",
            (
                "claim page:fits failed its check at page.md:{line}: its page's notebook was "
                "not executed on this build (myst-nb's execution mode for the page is 'cache', "
                "not 'force')"
            ),
        ),
        # a page that is not executed leaves no record, so no block of it is placed: a
        # check on another page that names its claim would be credited with it
        (
            "'off'",
            (
                "the check of claim page:fits at page.md:{line} did not run on this build: "
                "myst-nb did not execute its page (its execution mode is 'off', or "
                "nb_execution_excludepatterns matches it)"
            ),
        ),
    ],
    ids=["cache", "off"],
)
def test_a_page_not_executed_on_this_build_fails_naming_its_check(
    small_book: SmallBook, mode: str, error: str
) -> None:
    # A page may set myst-nb's execution_mode in its front matter.
    page_mode = HEADER.replace("---\n", f"---\nmystnb:\n  execution_mode: {mode}\n", 1)
    built = small_book(HEADER, page_mode)
    line = _line(PAGE, 'with claim("page:fits")') + 2
    _fails_with(built, f"page.md:{line}: ERROR: " + error.format(line=line))


def test_a_check_that_cannot_fail_is_found_in_a_cell_that_is_not_executed(
    small_book: SmallBook,
) -> None:
    # The page shows the cell's code as a check, though nbclient skips it.
    skipped = (
        "```{code-cell} python\n:tags: [skip-execution]\n"
        'with claim("page:fits"):  # not executed\n    tested = fitted\n```\n'
    )
    built, line = _with_second_cell(small_book, skipped, "# not executed")
    _fails_with(
        built,
        f"page.md:{line}: ERROR: the check of claim page:fits at page.md:{line} "
        "cannot fail: its block holds neither an assert nor a call",
    )


def test_checks_an_incremental_build_did_not_run_are_not_said_to_run_on_it(
    tmp_path: Path,
) -> None:
    # An incremental build re-reads, and so re-executes, only the pages that changed; the
    # other pages' checks are those of the build that last executed them.
    copy = _small_book(tmp_path)
    first = _build(copy, "first")
    assert first.check.status == 0, first.errors() or first.log[-3000:]
    index = copy / "docs" / "index.md"
    index.write_text(INDEX.replace("This build found", "A second sentence. This build found"))
    again = _build(copy, "again")
    assert again.check.status == 0, again.errors() or again.log[-3000:]
    assert again.ledger["pages_read"] == ["index"], again.ledger["pages_read"]
    html = copy / "docs" / "_build" / "html"
    page = (html / "page.html").read_text()
    assert "on this build" not in page
    assert (
        "(run by the build that last executed this page, against the same library source)" in page
    )
    ledger_page = (html / "claims.html").read_text()
    assert "on this build" not in ledger_page
    assert "(run by the build that last executed that page, against the same library source)" in (
        ledger_page
    )
    assert (
        "1 claim, every one checked against the library source being built, by this build or "
        "by the one that last executed the page of its checks"
    ) in (html / "index.html").read_text()


def _claims_extension() -> ModuleType:
    """docs/_ext/claims.py, imported as Sphinx imports it (from docs/_ext)."""
    name = "claims_extension_under_test"
    spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / "_ext" / "claims.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def test_the_ledger_text_says_no_more_than_the_problems_and_the_pages_read_allow() -> None:
    claims = _claims_extension()
    built = "a" * 64
    declared = claims.Declared("page:fits", "page", "page.md", 5, "It fits.", nodes.container())

    def check(sha256: str) -> Any:
        return claims.Check("page:fits", "page", "page.md", 1, 20, 1, 0, None, "1.0", sha256)

    fresh = claims.Ledger(
        {"page:fits": declared},
        {"page:fits": [check(built)]},
        [],
        {},
        {},
        "1.0",
        built,
        read=frozenset({"page"}),
    )
    assert claims._count_text(fresh, "summary") == "1 claim, every one checked on this build"
    assert ", whose source has the SHA-256 " in claims._library_paragraph(fresh).astext()
    # the page was executed by an earlier build: its checks are that build's
    earlier = dataclasses.replace(fresh, read=frozenset())
    assert claims._count_text(earlier, "summary") == (
        "1 claim, every one checked against the library source being built, by this build or "
        "by the one that last executed the page of its checks"
    )
    # a problem that leaves the claim's status "checked" still fails the count
    stale = dataclasses.replace(fresh, checks={"page:fits": [check("b" * 64)]})
    assert stale.status("page:fits") == "checked"
    assert claims._count_text(stale, "summary") == (
        "1 claim, 1 of them failed or not checked on this build"
    )
    # the same problem, kept from the build that last executed the page
    assert claims._count_text(dataclasses.replace(stale, read=frozenset()), "summary") == (
        "1 claim, 1 of them failed or not checked (on this build, or on the one that last "
        "executed their pages)"
    )
    assert "some of them not against the source being built" in (
        claims._library_paragraph(stale).astext()
    )
    broken = dataclasses.replace(fresh, failures={"other": "NameError: x"})
    assert claims._count_text(broken, "summary") == (
        "1 claim, 0 of them failed or not checked on this build, and the build's log names "
        "1 other problem"
    )


def test_a_check_of_an_unknown_claim_fails_naming_it_and_its_page(
    small_book: SmallBook,
) -> None:
    built = small_book('with claim("page:fits")', 'with claim("page:fit")')
    line = _line(PAGE, 'with claim("page:fits")')
    expected = (
        f"page.md:{line}: ERROR: a check at page.md:{line} names claim page:fit, "
        "which no page declares; did you mean page:fits?"
    )
    _fails_with(built, expected)
    (unknown,) = built.ledger["unknown_checks"]
    assert (unknown["claim"], unknown["page"], unknown["line"]) == ("page:fit", "page", line)


def test_a_failing_check_fails_naming_the_claim_its_page_and_its_message(
    small_book: SmallBook,
) -> None:
    built = small_book("assert fitted.all_zero()", "assert not fitted.all_zero()")
    line = _line(PAGE, 'with claim("page:fits")')
    expected = (
        f"page.md:{line}: ERROR: claim page:fits failed its check at page.md:{line}: "
        "a gradient is not zero: 0.0"
    )
    _fails_with(built, expected)
    # myst-nb's own report of the failed cell, with the traceback, is in the log too.
    assert "page.md: WARNING: Executing notebook failed" in built.log
    plain = re.sub(r"\x1b\[[0-9;]*m", "", built.log)  # the traceback is coloured
    assert "ClaimError: page:fits: a gradient is not zero: 0.0" in plain
    assert built.check.caught
    assert built.check.claims == ["page:fits"]
    assert built.check.evidence == ["page:fits: a gradient is not zero: 0.0"]
    html = built.copy / "docs" / "_build" / "html"
    assert not (html / "reports").exists(), "myst-nb's traceback report is published"

    again = _build(built.copy, "unchanged")
    assert again.ledger["pages_read"] == [], "the rebuild re-read pages; it tests nothing"
    assert again.check.status != 0, "an incremental build forgot the failed claim"
    assert any(expected in error for error in again.errors()), again.errors()


def test_an_edited_record_that_a_page_reads_reexecutes_it_and_fails(tmp_path: Path) -> None:
    # A page that checks a claim against a record in _static/, as how-we-know.md does.
    page = PAGE.replace(
        'with claim("page:fits"):\n',
        "import json\nfrom pathlib import Path\n\n"
        'verdict = json.loads(Path("_static/verdict.json").read_text())\n'
        'with claim("page:fits"):\n'
        '    assert verdict["caught"], "the record says a bug escaped"\n',
    )
    copy = _small_book(tmp_path, page)
    record = copy / "docs" / "_static" / "verdict.json"
    record.write_text('{"caught": true}', encoding="utf-8")
    first = _build(copy, "first")
    assert first.check.status == 0, first.errors() or first.log[-3000:]

    record.write_text('{"caught": false}', encoding="utf-8")  # a hand edit
    again = _build(copy, "again")
    assert again.ledger["pages_read"] == ["page"], again.ledger["pages_read"]
    line = _line(page, 'with claim("page:fits")')
    _fails_with(
        again,
        f"page.md:{line}: ERROR: claim page:fits failed its check at page.md:{line}: "
        "the record says a bug escaped",
    )


@pytest.mark.parametrize(
    ("sentence", "words"),
    [
        ("The output-bias gradient always vanishes, and nothing else can.", "always, nothing"),
        (
            "Whatever the input, however small the step, the loss falls unless the target is met.",
            "whatever, however, unless",
        ),
        ("The answer writes that “the hidden gradients always vanish”.", "always"),
        (
            "No hidden unit is dead here, and there is no exception.",
            "no hidden unit is, there is no",
        ),
        ("The step moves no layer: the zeros are precisely those.", "moves no, precisely"),
    ],
    ids=[
        "always-nothing",
        "whatever-however-unless",
        "in-quotation-marks",
        "no-x-is",
        "moves-no-precisely",
    ],
)
def test_a_new_universal_sentence_fails_naming_its_page_line_and_words(
    small_book: SmallBook, sentence: str, words: str
) -> None:
    built = small_book("The check is the cell below;", f"{sentence}\nThe check is the cell below;")
    line = _line(PAGE, "The check is the cell below;")
    expected = (
        f"page.md:{line}: WARNING: quantified wording outside a claim ({words}): “{sentence}”"
    )
    _fails_with(built, expected)
    assert re.search(
        r"wording: 2 sentences .*: 1 allowed in claims-allowlist.toml, 1 new", built.log
    )
    assert built.ledger["status"] == "passed", "the claims themselves are fine"


def test_no_and_its_verb_are_found_across_math_code_and_possessives(
    small_book: SmallBook,
) -> None:
    # A run of math or code is one word between "no" and the verb, and a possessive is a
    # word: the pattern is matched against the text with the runs masked.
    written = (
        "In exact arithmetic no entry of $p - y$ is zero.\n"
        "In this network no entry of `p - y` is zero.\n"
        "In this network no unit's gradient is zero.\n"
    )
    shown = [
        ("no entry of p - y is", "In exact arithmetic no entry of p - y is zero."),
        ("no entry of p - y is", "In this network no entry of p - y is zero."),
        ("no unit\u2019s gradient is", "In this network no unit\u2019s gradient is zero."),
    ]
    built = small_book("The check is the cell below;", f"{written}The check is the cell below;")
    line = _line(PAGE, "The check is the cell below;")
    for offset, (words, sentence) in enumerate(shown):
        _fails_with(
            built,
            f"page.md:{line + offset}: WARNING: quantified wording outside a claim ({words}): "
            f"\u201c{sentence}\u201d",
        )


@pytest.mark.parametrize("apostrophe", ["'", "\u2019"], ids=["straight", "curly"])
def test_cant_is_flagged_however_its_apostrophe_is_typed(
    small_book: SmallBook, apostrophe: str
) -> None:
    # Sphinx's smart quotes turn ' into \u2019 before the lint reads the page.
    sentence = f"A unit that is off can{apostrophe}t pass a gradient back."
    built = small_book("The check is the cell below;", f"{sentence}\nThe check is the cell below;")
    line = _line(PAGE, "The check is the cell below;")
    shown = sentence.replace("'", "\u2019")
    expected = (
        f"page.md:{line}: WARNING: quantified wording outside a claim (can\u2019t): “{shown}”"
    )
    _fails_with(built, expected)


def test_a_sentence_cannot_be_deferred_in_a_pending_table(
    small_book: SmallBook,
) -> None:
    sentence = "The output-bias gradient always vanishes."
    deferring = f'{ALLOWLIST}\n[pending]\n"page" = [\n  "{sentence}",\n]\n'
    built = small_book(
        "The check is the cell below;", f"{sentence}\nThe check is the cell below;", deferring
    )
    line = _line(PAGE, "The check is the cell below;")
    assert built.check.status != 0
    assert (
        "claims-allowlist.toml: unknown tables ['pending']; the only table is [[allow]]"
        in built.log
    ), built.log[-3000:]
    expected = f"page.md:{line}: WARNING: quantified wording outside a claim (always): “{sentence}”"
    assert any(expected in error for error in built.errors()), built.errors()
    assert re.search(
        r"wording: 2 sentences .*: 1 allowed in claims-allowlist.toml, 1 new", built.log
    )


def test_an_allow_entry_that_matches_nothing_fails_naming_it(
    small_book: SmallBook,
) -> None:
    built = small_book(ALLOWED, "The gradients are then zero as well.")
    assert built.check.status != 0
    assert (
        "claims-allowlist.toml: the allowed phrase 'Every gradient is then' matches no flagged "
        "word any more; delete the entry" in built.log
    ), built.log[-3000:]
    assert re.search(
        r"wording: 0 sentences .*: 0 allowed in claims-allowlist.toml, 0 new", built.log
    )
    assert built.ledger["status"] == "passed", "the claims themselves are fine"


def test_a_module_added_to_the_library_fails_the_next_incremental_build(tmp_path: Path) -> None:
    """How-we-know's promise: a new file under src/zerograd is not among the files the pages
    depend on, but it changes the library's digest, and the build fails on the mismatch."""
    copy = _small_book(tmp_path)
    first = _build(copy, "first")
    assert first.check.status == 0, first.errors() or first.log[-3000:]

    added = copy / "src" / "zerograd" / "added.py"
    added.write_text('"""A module added after the first build."""\n', encoding="utf-8")
    again = _build(copy, "again")
    assert again.ledger.get("pages_read") == [], again.ledger.get("pages_read")
    line = _line(PAGE, 'with claim("page:fits")')
    _fails_with(
        again,
        f"page.md:{line}: ERROR: the check of claim page:fits at page.md:{line} ran "
        "against zerograd source ",
    )
    _fails_with(again, "not the source being built")
