"""Claims as first-class objects of the book: declared in the prose, checked by code, ledgered.

Authoring
---------
Declare a claim where the page states it, with a short name (lowercase letters,
digits, hyphens)::

    :::{claim} forces-zero
    For one sample, with a loss and activations that are differentiable there, if
    $\\partial L/\\partial b^{(2)} = 0$ then every gradient of the network is zero.
    :::

Its full id is ``<page>:<short-name>``, here ``one-sample:forces-zero``. It renders
as a box headed by the id, with the anchor ``#claim-one-sample-forces-zero``; link
to it from any page with ``{ref}`the one-sample claim <one-sample:forces-zero>```.
Below the statement the box says, once the build has run every page, how many
checks of it ran and where.

Check it in a code cell, on this page or any other, with one ``with`` block per check::

    from zerograd.book import claim

    with claim("one-sample:forces-zero"):
        assert g.all_zero(), f"a gradient is not zero: {g.max_abs()}"

A failing block raises ``zerograd.book.ClaimError``, whose message starts with
the claim id; give each assert a message with the numbers that went wrong.

The build fails, naming the claim and its page, when a claim has no check that
ran on this build, a ``with claim(...)`` block in a page's code cells holds
neither an ``assert`` that reads a value when it runs nor a call, outside the functions
the block defines (so that it cannot fail; ``assert (x == 1, "x")``, a non-empty tuple,
reads nothing, nor does a comprehension or ``x == 1 or "x"``; each block of the cells
the page shows is judged, whether it ran or not, and whatever record it left), a code
cell that myst-nb leaves out of the page (tagged ``remove-cell``, say) holds a
``claim(...)`` call or another use of ``claim`` (:func:`_removed_checks`), a code cell
whose code the page does not show (``remove-input``) holds one, a code cell the page
shows does not parse and holds the word ``claim``, so that its blocks cannot be found,
a code cell that IPython runs, or may run, as other Python than its text (a magic such
as ``%time`` or ``%%capture``, a shell line ``!``, a help request, a line that IPython
quotes such as ``;exec ...``, console prompts, or a cell of one line that automagic may
take for a magic; see :func:`_ipython_syntax`) holds the word ``claim``, comments included, since
the build does not read such a cell, a line of a page holds a character that
``str.splitlines`` breaks lines at and markdown-it does not (:data:`SEPARATOR`), a code
cell the page shows runs other code than its text (``:load:``, see :func:`_unjudged`),
a check names a claim that no page declares, a check fails
(the assert's message is in the log) or comes from a page that myst-nb did not execute on
this build (:data:`EXECUTED_ON_THIS_BUILD`), a code cell shows an error that did not stop its
page (:func:`_error_outputs`: ``%%capture`` shows its body's error and goes on), a
page's execution failed outside any check, a check ran against another version of the
library than ``src/``, or a check's
``with claim(...)`` cannot be placed on its page (so that its block cannot be judged:
``claim`` under another name, bound to a variable first, in a module
the page imports or in a string run by ``exec`` or ``run_cell``). The kernel names, with
each check, the cell whose code holds the ``with`` that ran it, a digest of that code and
that ``with``'s line, and the build looks for the block in that cell alone, if its code
has that digest (:func:`_line_in`); a check entered by a second ``with``
raises ``ValueError``, which fails the page.
Not caught, among others: a block whose asserts and calls do not test the claim (a lone
``print``, an assert under an ``if`` that is false or in a loop that runs zero times,
beside other tests of the block, an assert whose failure the block catches, an ``or``
with a message held in a variable, or an assert of a method it does not call,
``assert g.all_zero``). A block the page shows that can fail but left no record,
though its page ran to its end, fails the build (in a loop over an empty sequence, in
a function the cells do not call, in a cell tagged ``skip-execution``), as does each
block of a page that myst-nb does not execute (its own ``execution_mode`` is ``off``,
or ``nb_execution_excludepatterns`` matches it); so that such a block is found without
its record, a use of ``claim`` other than ``with claim(...)`` (a check bound to a
variable first, ``claim`` imported under another name, the word in a cell in IPython's
syntax)
fails the build. A kernel that
runs with asserts removed (``-O``), with ``IPYKERNEL_CELL_NAME``
set (every cell's code under one name) or with IPython's ``ast_transformers`` set
refuses its checks, and :func:`setup` clears both variables for the kernels. Not
caught either: a check that the page's text does not show as ``claim`` (given by a
module the page imports or a file it runs with ``%run``, fetched with ``getattr``, or
in a string that plain Python
runs: ``exec``, ``get_ipython().run_cell`` or a magic called by its method), which
the build finds through its record, not on the page, so not when it does not run; code
written to pass for a cell's (compiled under a cell's file name, or run while
``IPYKERNEL_CELL_NAME`` was set and then unset before the check); a record made by
calling ``zerograd.book``'s private functions; and code that changes how IPython
reads the cells after it (``%autocall``, a ``Macro`` that a cell of one line names, a
transformer added to ``get_ipython()``).
These are reported at the end of every build, including an incremental build
that re-read nothing, until they are fixed, as ERROR lines that start with the
page and line to fix: ``docs/one-sample.md:31: ERROR: claim one-sample:... ``.

The ledger: ``{claim-ledger}`` (a directive with no content) on a page becomes a
table of every claim, its statement, its checks and its status; every HTML build
also writes ``claims.json`` next to ``index.html``: the library's version and the
SHA-256 of its source, a summary, every claim with its checks (page, code cell,
source line, runs, status, message), every check that named an unknown claim,
the build's problems, and the pages this build read (and so executed).
``{claim-count}`number``` renders the number of claims, and
``{claim-count}`summary``` a sentence about them that links to the ledger page,
both as counted by this build. Tools read ``claims.json``, never the log:
``tools/faults.py`` does.

Prose around the claims is linted by ``wording.py``: a quantified sentence
("never", "every", "only"...) outside a claim box, code or math fails the build
unless it is reworded, made a claim, or allowed in ``docs/claims-allowlist.toml``.

How a check reaches the build
-----------------------------
``zerograd.book.claim`` records each check with myst-nb's own ``glue(...,
display=False)``, one record per ``with`` statement and cell with its number
of runs, sent when the page's cell has run, not the body that ``%%capture`` runs as a
cell of its own (only when this extension has set
``ZEROGRAD_BOOK_BUILD`` in the environment the kernels inherit). myst-nb takes those outputs out of the
page and out of the published notebook, and keeps them in
``<jupyter_execute>/<page>.glue.json``, listing their keys in its page metadata;
on ``doctree-read`` this extension reads the records whose keys myst-nb listed
for the page it has just executed (never a stale file) and maps each to its
cell and source line through the cell containers of the doctree.

Why this and not a maintained extension
---------------------------------------
sphinx-proof 0.4 has theorem-like boxes but crashes under ``-j 2``
(``merge_domaindata`` is not implemented) and on a directive in a page that is
in no toctree. sphinx-needs 9.1 was tried for real on a small myst-nb book with
a ``claim`` need type (November 2026, on the 2-core machine with a load of
about 3): it builds under ``-j 2 -W -n``, gives boxes, a ``needtable`` and a
``needs.json``, and its time cost is small next to the kernels: importing it
takes 0.38 s, and a cold build of a three-page book took 3.0-5.2 s with it
against 3.0-4.2 s without (four runs each, within the machine's noise). But it
does not know about checks: binding each need to the executed cells that check
it, and failing the build on a missing, unknown or failed check, would still be
code of ours, written against sphinx-needs' internal data (not a public API);
and it brings seven more packages (two compiled Rust wheels, jsonschema-rs at
14 MB and minijinja, plus jQuery) and about 220 KB of static files per build.
MyST's own machinery does the rest: the ``:::{claim}`` fence is MyST's directive
syntax, the box is docutils' admonition node (so the theme styles it), and the
anchor is an explicit target, which Sphinx's standard domain turns into a label
for ``{ref}``. What is left here is the ledger and the binding of checks, which
sphinx-needs would have needed too, with no new dependency.

Safety
------
Claims and checks are kept per page on the build environment, dropped when a
page is re-read (``env-purge-doc``) and merged from parallel readers
(``env-merge-info``), so the extension is safe under ``-j 2`` and declares it.
"""

from __future__ import annotations

import ast
import builtins
import functools
import hashlib
import json
import keyword
import os
import re
import shutil
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any, ClassVar, cast

from docutils import nodes
from myst_nb.sphinx_ import NbMetadataCollector
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.errors import NoUri
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, SphinxRole, new_document

from zerograd.book import BUILD_VARIABLE, CHECK_KEY_PREFIX, SHORT_NAME, source_digest

LOGGER = logging.getLogger(__name__)
LEDGER_JSON = "claims.json"
SHORT_NAME_PATTERN = re.compile(SHORT_NAME)
FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*\{code-cell\}")
CLOSING = re.compile(r"^\s*(`{3,}|~{3,})\s*$")
SEPARATOR = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
"""The characters other than a newline at which ``str.splitlines`` breaks a line (a page
read as text has no carriage return left): myst-nb's notebook reader splits a page at
them, and markdown-it, which numbers the doctree's lines, does not, so that the text
after one is misread (the markdown after a code cell taken for code, a cell's code cut
in two)."""
CLAIM_NAME = re.compile(r"\bclaim\b")
"""The name ``claim`` in a cell's text: all that a cell the build cannot read as Python
shows of a check under another name (``from zerograd.book import claim as check``).
Search text normalised as Python normalises names (:func:`_names_claim`)."""


def _names_claim(text: str) -> bool:
    """Whether ``text`` holds the word ``claim`` as Python would read a name: after NFKC
    normalisation, under which ``claim`` written in fullwidth letters (U+FF43 ...) or
    mathematical bold is ``claim`` too."""
    return CLAIM_NAME.search(unicodedata.normalize("NFKC", text)) is not None


def anchor(claim_id: str) -> str:
    """The HTML id of a claim's box, from its full id: ``claim-one-sample-forces-zero``."""
    return nodes.make_id(f"claim-{claim_id}")


@dataclass
class Declared:
    """A claim as a page declares it."""

    id: str
    page: str
    source: str
    """The page's source file, relative to the book's folder (``one-sample.md``)."""
    line: int
    statement: str
    """The statement as plain text (math as its TeX source), for claims.json."""
    body: nodes.Element = field(repr=False)
    """The statement as docutils nodes, for the ledger page."""


@dataclass
class Check:
    """One ``with claim(...)`` block of a page, with the outcome of its runs on the build
    that last executed the page."""

    claim: str
    page: str
    source: str
    cell: int | None
    """Which code cell of its page the check is in: 1 for the first code cell."""
    line: int | None
    """The line of the ``with`` statement in the page's source."""
    runs: int
    failed: int
    message: str | None
    library_version: str
    library_sha256: str
    vacuous: bool = False
    """Whether the block holds neither an ``assert`` that reads a value nor a call, outside
    the functions it defines, so that it cannot fail."""

    @property
    def passed(self) -> bool:
        """Whether every run of the block passed."""
        return self.failed == 0


@dataclass
class Problem:
    """Something that fails the build, reported at a page and line."""

    page: str
    line: int | None
    message: str
    claim: str | None = None


class ClaimStatus(nodes.General, nodes.Element):
    """Where a claim's box says how it was checked; filled in when the page is written."""


class ClaimLedger(nodes.General, nodes.Element):
    """Where the ledger table goes; filled in when the page is written."""


class ClaimCount(nodes.Inline, nodes.Element):
    """Where a count of the claims goes; filled in when the page is written."""


PAGE_KEYS = ("declared", "checks", "vacuous", "removed", "unparsed", "errors", "failures", "unrun")
"""The keys of :func:`_store` that map a page to what was read from it."""


def _store(env: BuildEnvironment) -> dict[str, Any]:
    """This extension's data on the environment, created on first use.

    ``declared`` and ``checks`` map a page to what was read from it, ``vacuous`` to its
    blocks that cannot fail, ``removed`` to the checks in its cells that myst-nb leaves
    out of the doctree, ``unparsed`` to its shown cells whose checks it cannot judge
    (see :func:`_unjudged`), ``errors`` to the error outputs
    of its cells that did not stop its execution (see :func:`_error_outputs`) and
    ``unrun`` to its blocks that left no record though the page did not stop at an
    error (they did not run, or the build did not execute the page);
    ``failures`` maps a page whose execution failed to the last line of its
    traceback; ``placeholders`` lists the pages whose output depends on the
    whole ledger (``ledgers`` those with the table); ``read`` lists the pages
    read in this build.
    """
    if not hasattr(env, "zerograd_claims"):
        env.zerograd_claims = {  # type: ignore[attr-defined]
            "declared": {},
            "checks": {},
            "vacuous": {},
            "removed": {},
            "unparsed": {},
            "errors": {},
            "failures": {},
            "unrun": {},
            "placeholders": set(),
            "ledgers": set(),
            "read": set(),
        }
    store = cast("dict[str, Any]", env.zerograd_claims)  # type: ignore[attr-defined]
    for key in PAGE_KEYS:
        store.setdefault(key, {})  # an environment pickled before this key existed
    return store


class ClaimDirective(SphinxDirective):
    """``:::{claim} short-name`` followed by the statement: a labelled box with an anchor."""

    required_arguments = 1
    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {}

    def run(self) -> list[nodes.Node]:
        """Build the box and register its label; the ledger collects it on ``doctree-read``."""
        short = self.arguments[0]
        if not SHORT_NAME_PATTERN.fullmatch(short):
            msg = (
                f"a claim's short name is lowercase letters, digits and single hyphens "
                f"(e.g. 'forces-zero'); got {short!r}"
            )
            raise self.error(msg)
        if not self.content:
            msg = f"claim {self.env.docname}:{short} has no statement"
            raise self.error(msg)
        claim_id = f"{self.env.docname}:{short}"
        box = nodes.admonition(classes=["claim"], claim_id=claim_id)
        box["ids"].append(anchor(claim_id))
        box["names"].append(nodes.fully_normalize_name(claim_id))
        self.set_source_info(box)
        self.state.document.note_explicit_target(box, box)
        link = nodes.reference("", "", nodes.literal(claim_id, claim_id))
        link["refid"] = anchor(claim_id)
        box += nodes.title("", "Claim ", link)
        body = nodes.container(classes=["claim-statement"])
        self.state.nested_parse(self.content, self.content_offset, body)
        box += body
        box += ClaimStatus(claim_id=claim_id)
        return [box]


class ClaimLedgerDirective(SphinxDirective):
    """``:::{claim-ledger}``: the table of every claim, filled in when the page is written."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        """A placeholder; :func:`_fill_placeholders` replaces it."""
        node = ClaimLedger()
        self.set_source_info(node)
        return [node]


class ClaimCountRole(SphinxRole):
    """``{claim-count}`number``` or ``{claim-count}`summary```, counted by this build."""

    kinds: ClassVar[set[str]] = {"number", "summary"}

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        """A placeholder; :func:`_fill_placeholders` replaces it."""
        if self.text not in self.kinds:
            msg = f"claim-count takes 'number' or 'summary', got {self.text!r}"
            return [], [self.inliner.reporter.error(msg, line=self.lineno)]
        node = ClaimCount(kind=self.text)
        self.set_source_info(node)
        return [node], []


@dataclass(frozen=True)
class Cell:
    """A code cell of a page: its container, its number, its execution and its lines of code."""

    container: nodes.Element
    number: int
    """Which code cell of the page it is: 1 for the first (markdown cells not counted)."""
    count: int | None
    """The cell's execution count; ``None`` if it was not executed."""
    first_line: int
    """The line of the page's source where the cell's code starts (1-based)."""
    last_line: int
    """The line of the page's source where the cell's code ends (1-based), before its fence."""


def _code_cells(source: Sequence[str], doctree: nodes.document) -> list[Cell]:
    """Each code cell of the page that the doctree shows, executed or not.

    myst-nb's cell containers carry the cell's index, execution count and a line
    just after the ``{code-cell}`` fence; the first line of code is found in the
    page's ``source`` lines, after the fence, any cell options and any blank lines (which
    IPython drops before it compiles the cell, so that the lines its checks name count
    from the first line that is not blank), and the last before the closing fence. A
    cell that myst-nb leaves out of the doctree (see :func:`_removed_checks`) has no
    container, and is not here.
    """
    cells: list[Cell] = []
    code_cells = [c for c in doctree.findall(nodes.container) if c.get("nb_element") == "cell_code"]
    for number, container in enumerate(code_cells, 1):
        count = container.get("exec_count")
        if container.line is None:
            continue
        before = range(min(container.line, len(source)) - 1, -1, -1)
        fence = next((i for i in before if FENCE.match(source[i])), None)
        if fence is None:
            continue
        first = fence + 1
        if first < len(source) and source[first].strip() == "---":  # YAML cell options
            after = range(first + 1, len(source))
            first = next((i + 1 for i in after if source[i].strip() == "---"), first)
        while first < len(source) and source[first].startswith(":"):  # short cell options
            first += 1
        while first < len(source) and not source[first].strip():  # as IPython drops them
            first += 1
        closing = next(
            (i for i in range(first, len(source)) if CLOSING.match(source[i])), len(source)
        )  # the index of the closing fence is the number of the cell's last line of code
        cells.append(
            Cell(container, number, None if count is None else int(count), first + 1, closing)
        )
    return cells


@dataclass(frozen=True)
class Block:
    """A ``with claim(...)`` block of a page's code."""

    vacuous: bool
    """Whether it holds neither an ``assert`` that reads a value nor a call, outside the
    functions it defines, so that it cannot fail (see :func:`_claim_blocks`)."""
    label: str
    """The claim id it names, or the expression that names it (a variable)."""


ClaimBlocks = dict[tuple[int, str | None], Block]
"""The ``with claim(...)`` blocks of one cell, by the page line of the ``claim(...)``
call and the id it names (``None`` when its argument is not a string literal, such as a
variable)."""


def _line_in(
    cell: Cell | None,
    blocks_of: Callable[[Cell], ClaimBlocks],
    digest_of: Callable[[Cell], str],
    record: dict[str, Any],
) -> int | None:
    """The line of the page's ``claim(...)`` call that a check record stands for.

    Parameters
    ----------
    cell
        The executed code cell whose code holds the record's ``with`` (the record's
        ``defined_in``), or ``None`` if that code is not one of the page's shown cells: a
        module, a string run by ``exec``, the body of a cell magic, a cell left out of the
        page.
    blocks_of
        The ``with claim(...)`` blocks of a cell.
    digest_of
        The SHA-256 of a cell's code turned into Python as IPython turns it, stripped.
    record
        The check record: its ``line`` (of the ``claim(...)`` call within the code that
        holds it), its ``claim`` and its ``code_sha256``, the digest of that code.

    Returns
    -------
    int or None
        The page line of that cell's ``claim(...)`` call at ``in_cell``, where it names
        ``claim_id`` or names its claim by an expression (which only the run knows).
        ``None`` otherwise: the ``with`` is one the build does not see there (``claim``
        under another name, bound to a variable first), or the code that holds it is not
        that cell's (its digest differs: code run apart, such as a string given to
        ``run_cell``, can have the count of a page cell), and its record is not matched to
        a block it does not belong to; the build then fails, since its block cannot be
        judged.
    """
    if cell is None or record.get("code_sha256") != digest_of(cell):
        return None
    line: int = cell.first_line + record["line"] - 1
    claim_id = record["claim"]
    blocks = blocks_of(cell)
    if line > cell.last_line or not ((line, claim_id) in blocks or (line, None) in blocks):
        return None
    return line


def _claim_call(expression: ast.expr) -> tuple[bool, str | None, str]:
    """Whether ``expression`` is a ``claim(...)`` call, the id it names as a string literal,
    and that id or the source of the expression that names it."""
    if not isinstance(expression, ast.Call):
        return False, None, ""
    function = expression.func
    name = (
        function.id
        if isinstance(function, ast.Name)
        else function.attr
        if isinstance(function, ast.Attribute)
        else ""
    )
    if name != "claim":
        return False, None, ""
    first = expression.args[0] if expression.args else None
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return True, first.value, first.value
    return True, None, ast.unparse(expression)


def _loose_uses(tree: ast.Module) -> list[int]:
    """The lines of ``tree``, a cell's code, that use ``claim`` other than as the item of
    a plain ``with claim(...)``.

    A ``claim(...)`` or ``x.claim(...)`` call that is not the item of a plain ``with``
    (bound to a variable first, say, or of an ``async with``, which a check does not
    support), the name or attribute ``claim`` read but not called there
    (``check = zb.claim``), and an import of ``claim`` under another name make a check
    whose block the build finds only by its record, so a block that does not run could
    not be judged. The name is enough: an attribute ``claim`` of another object, or a
    variable named ``claim`` that is read, is reported too, and is to be renamed.
    """
    items = {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.With)
        for item in node.items
        if _claim_call(item.context_expr)[0]
        for part in (item.context_expr, item.context_expr.func)  # type: ignore[attr-defined]
    }
    uses = set()
    for node in ast.walk(tree):
        if id(node) in items or not isinstance(node, ast.stmt | ast.expr):
            continue
        renamed = isinstance(node, ast.ImportFrom) and any(
            alias.name == "claim" and alias.asname not in (None, "claim") for alias in node.names
        )
        called = isinstance(node, ast.expr) and _claim_call(node)[0]
        read = (
            isinstance(node, ast.Name | ast.Attribute)
            and isinstance(node.ctx, ast.Load)
            and (node.id if isinstance(node, ast.Name) else node.attr) == "claim"
        )
        if renamed or called or read:
            uses.add(node.lineno)
    return sorted(uses)


def _ipython_syntax(code: str) -> bool:
    """Whether IPython runs other Python than ``code``, a cell's text: its transformer
    rewrites the text (a magic such as ``%time`` or ``%%capture``, a shell line ``!ls``,
    a help request ``x?``, a line that it quotes such as ``;exec ...``, console prompts,
    an indentation common to every line), or the cell is one line that IPython's
    automagic may run as a magic (:func:`_may_be_automagic`).

    The build does not read such a cell as Python: IPython passes the text of a magic on
    as a string, and what the magic does with it is the magic's to say
    (``%prun -l # ...`` runs what follows the ``#``, which is the value of ``-l``).
    """
    python = _python(code)
    if python is None:  # the kernel refuses it too, and runs nothing
        return False
    # the transformer dedents the cell, which empties each line of blanks
    if _without_blank_lines(python) != _without_blank_lines(code):
        return True
    # IPython's prefilter, automagic among its rules, reads only a cell of one line
    return len(python.splitlines()) == 1 and _may_be_automagic(python)


def _without_blank_lines(text: str) -> str:
    """``text`` with each line of blanks emptied, and no empty line first or last."""
    return "\n".join(line if line.strip() else "" for line in text.split("\n")).strip("\n")


IPYTHON_BUILTINS = frozenset({"display", "get_ipython"})
"""The names that IPython adds to the builtins of its kernel (``InteractiveShell.init_builtins``
and ``BuiltinTrap.auto_builtins``), which hide a magic of the same name."""


def _may_be_automagic(line: str) -> bool:
    """Whether IPython's automagic may run ``line``, a cell's only line, as a magic
    (``prun -l # ...`` as ``%prun -l # ...``).

    IPython does so when the line's first word names a magic that no variable of the
    page, builtin or keyword hides, unless the rest of the line starts with ``=`` or
    ``,`` (an assignment to that name). Which magics exist depends on the kernel and on
    what the page has run, and which variables on the page's state, so any first word
    that is a name, not a keyword or builtin (:data:`IPYTHON_BUILTINS` included), counts,
    a name that an earlier cell binds too: the build reads each cell alone. A dotted
    first word (``fitted.all_zero()``) names no magic.
    """
    from IPython.core.splitinput import LineInfo  # noqa: PLC0415

    info = LineInfo(line)
    return (
        info.ifun.isidentifier()
        and not keyword.iskeyword(info.ifun)
        and not hasattr(builtins, info.ifun)
        and info.ifun not in IPYTHON_BUILTINS
        and not info.the_rest.startswith(("=", ","))
    )


FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
"""The nodes whose body runs when the function is called, not where it is defined."""


@functools.lru_cache(maxsize=1024)
def _parse_cell(code: str) -> ast.Module | None:
    """A code cell's code as Python; ``None`` if it does not parse, or if IPython runs
    other Python than its text (:func:`_ipython_syntax`), which the build does not read.
    Each cell is read by several rules, so the tree is kept: they only read it."""
    if _ipython_syntax(code):
        return None
    try:
        return ast.parse(code)
    except SyntaxError:
        return None


@functools.lru_cache(maxsize=1024)
def _python(code: str) -> str | None:
    """A code cell's code as IPython's transformer turns it into Python before it
    compiles it (IPython's prefilter then reads a cell of one line); ``None`` if the
    transformer refuses the text, as the kernel then does: it raises more than
    ``SyntaxError`` (``x = %\'\'\'`` raises ``IndexError``)."""
    from IPython.core.inputtransformer2 import TransformerManager  # noqa: PLC0415

    try:
        return str(TransformerManager().transform_cell(code))
    except Exception:  # noqa: BLE001
        return None


def _runs_with(node: ast.AST) -> Iterator[ast.AST]:
    """``node`` and the nodes under it that run when it runs.

    Left out: the bodies of the functions it defines, lambdas included (their decorators
    and default values run where they are defined), all of a generator expression but its
    first iterable (the rest runs only when something consumes it, which is a call or a
    loop of its own), and an ``assert``'s message, which runs only when the assert fails. Also left out, though it runs: the test of an
    ``assert`` that is always true (:func:`_always_true`, such as the slip
    ``assert (x == y, "message")``), so that a call in it, meant to be tested by the
    assert, does not count as a call that raises on a wrong value.
    """
    yield node
    if isinstance(node, ast.GeneratorExp):
        # only its first iterable runs where it is written; the rest runs as it is consumed
        yield from _runs_with(node.generators[0].iter)
        return
    for name, value in ast.iter_fields(node):
        if (
            (name == "body" and isinstance(node, FUNCTIONS))
            or (name == "msg" and isinstance(node, ast.Assert))
            or (name == "test" and isinstance(node, ast.Assert) and _always_true(node.test))
        ):
            continue
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, ast.AST):
                yield from _runs_with(child)


def _always_true(test: ast.expr) -> bool:
    """Whether an ``assert``'s test is true whatever it holds, or nearly: a non-empty
    tuple, list or set display, a non-empty dict display, a generator expression
    (``assert (v > 0 for v in xs)``, ``all(`` left out), a list, set or dict
    comprehension (false only when what it loops over is empty), a lambda (its defaults
    may read names, but the function itself is true), an f-string with anything in it
    (``assert f"{x == 1}"`` is the text "True" or "False"), a true constant, text
    built from a string written in place (:func:`_built_text`), or an ``or`` with one
    such operand (``assert x == 1 or "message"``, a comma typed as ``or``) or an
    ``and`` of them."""
    if isinstance(test, ast.GeneratorExp | ast.ListComp | ast.SetComp | ast.DictComp | ast.Lambda):
        return True
    if isinstance(test, ast.JoinedStr):  # "True" or "False" is text too
        return bool(test.values)
    if isinstance(test, ast.Constant):
        return bool(test.value)
    if _built_text(test):
        return True
    if isinstance(test, ast.BoolOp):
        each = [_always_true(value) for value in test.values]
        return any(each) if isinstance(test.op, ast.Or) else all(each)
    if isinstance(test, ast.Tuple | ast.List | ast.Set):
        return bool(test.elts)
    if isinstance(test, ast.Dict):
        return bool(test.keys)
    return False


def _built_text(expression: ast.expr) -> bool:
    """Whether ``expression`` builds text from a non-empty string written in place:
    ``"entry %s" % v``, ``"got " + str(a) + "!"``, ``msg + "!"`` or
    ``"entry {}".format(v)``, true as an assert's test (a message held in a variable
    alone is not seen)."""
    while True:
        if isinstance(expression, ast.BinOp) and isinstance(expression.op, ast.Mod | ast.Add):
            if isinstance(expression.op, ast.Add) and _text(expression.right):
                return True
            expression = expression.left
        elif (
            isinstance(expression, ast.Call)
            and isinstance(expression.func, ast.Attribute)
            and expression.func.attr == "format"
        ):
            expression = expression.func.value
        else:
            return _text(expression)


def _text(expression: ast.expr) -> bool:
    """Whether ``expression`` is a non-empty string or f-string written in place."""
    if isinstance(expression, ast.Constant):
        return isinstance(expression.value, str) and bool(expression.value)
    return isinstance(expression, ast.JoinedStr) and bool(expression.values)


def _tests(node: ast.AST) -> bool:
    """Whether ``node`` may fail on a wrong value: a call, or an ``assert`` whose condition
    reads a name when it runs.

    ``assert True`` and ``assert 1 == 1`` test nothing; nor do ``assert (x == 1, "x")``
    (a non-empty tuple; lists, sets, dicts, comprehensions, f-strings and ``x or "text"``,
    see :func:`_always_true`),
    ``assert (seen := 0) == 0`` (its only name is assigned, not read)
    and ``assert lambda: x == 1`` (a function, whose body does not run).
    """
    if isinstance(node, ast.Call):
        return True
    return (
        isinstance(node, ast.Assert)
        and not _always_true(node.test)
        and any(
            isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load)
            for sub in _runs_with(node.test)
        )
    )


def _claim_blocks(lines: Sequence[str], cell: Cell) -> ClaimBlocks:
    """Each ``with claim(...)`` block of ``cell`` (see :data:`ClaimBlocks`), and whether it cannot fail.

    A block that runs no ``assert`` reading a value and no call (``zg.check_gradients(...)``
    and the like, which raise on a wrong value) runs to its end whatever the library
    computes: ``with claim("x:y"): pass`` would count as a check, as would
    ``with claim(name): pass``, ``with claim("x:y"): assert True`` and a block whose only
    assert is in a function that it defines and does not call. The cell is read by
    :func:`_parse_cell`, so no block of a cell in IPython's syntax (a magic, a shell line,
    console prompts) is seen, and code that does not parse is given the benefit of the
    doubt: no block.
    """
    tree = _parse_cell("\n".join(lines[cell.first_line - 1 : cell.last_line]))
    if tree is None:
        return {}
    blocks: ClaimBlocks = {}
    for node in (node for node in ast.walk(tree) if isinstance(node, ast.With)):
        runs = (sub for statement in node.body for sub in _runs_with(statement))
        vacuous = not any(_tests(sub) for sub in runs)
        for item in node.items:
            is_claim, claim_id, label = _claim_call(item.context_expr)
            if is_claim:
                line = cell.first_line + item.context_expr.lineno - 1
                blocks[(line, claim_id)] = Block(vacuous, label)
    return blocks


def _notebook(env: BuildEnvironment, path: Path, text: str) -> Any:
    """The page as myst-nb reads it into a notebook (its cells unexecuted, with a
    ``source_map`` of their fences' lines in its metadata); ``None`` if it is not one."""
    from myst_nb.core.read import create_nb_reader  # noqa: PLC0415

    reader = create_nb_reader(
        str(path),
        env.myst_config,  # type: ignore[attr-defined]
        env.mystnb_config,  # type: ignore[attr-defined]
        text,
    )
    return None if reader is None else reader.read(text)


def _shown_indices(doctree: nodes.document) -> set[int]:
    """The notebook indices of the code cells that the doctree shows."""
    return {
        container.get("cell_index")
        for container in doctree.findall(nodes.container)
        if container.get("nb_element") == "cell_code"
    }


def _fence(notebook: Any, index: int) -> int | None:
    """The line of the page's source of the fence of the notebook's cell ``index``."""
    fences = notebook.metadata.get("source_map")  # the line of each cell, on a MyST page
    return fences[index] if fences and index < len(fences) else None


CLAIM_TEXT = re.compile(r"\bclaim\s*\(\s*(?:(?P<quote>[\"'])(?P<id>[^\"'\n]*)(?P=quote))?")
"""A ``claim(`` in text the build cannot read as Python, and the id it names as a string."""


def _holds_claim(code: str) -> bool:
    r"""Whether a cell's code may hold a check or uses ``claim`` otherwise: a call of a
    ``claim`` in its code, however it is spread over lines (``zb.claim \`` then
    ``(...)``), another use of ``claim`` (:func:`_loose_uses`), or, in code that the build
    cannot read as Python (:func:`_parse_cell`), the word ``claim``, comments included."""
    tree = _parse_cell(code)
    if tree is None:
        return _names_claim(code)
    return _calls_claim(tree) or bool(_loose_uses(tree))


def _calls_claim(tree: ast.Module) -> bool:
    """Whether ``tree`` calls a ``claim`` (:func:`_claim_call`), wherever the call is."""
    return any(_claim_call(node)[0] for node in ast.walk(tree) if isinstance(node, ast.expr))


def _unjudged(notebook: Any, cell: Cell, code: str) -> list[tuple[int, str]]:
    """Why the build cannot judge the checks of a shown cell from its ``code`` (the page's
    text): each reason (see :data:`UNJUDGED`) with the line of ``code`` to report it at.

    ``"loaded"``: myst-nb executes and shows other code than the text (a ``:load:``
    option puts a file's code in its place). The others only for a cell that may hold a
    check or uses ``claim`` otherwise (:func:`_holds_claim`): ``"hidden"``, a cell whose
    outputs the page shows but not its code (tagged ``remove-input``, or
    ``remove_code_source`` set for it or its page), so that a reader could not see the
    check the ledger links to; ``"magic"``, at each line that holds the word ``claim``,
    a cell in IPython's syntax (:func:`_ipython_syntax`); ``"unparsed"``, code that does
    not parse; ``"loose"``, at each line that uses ``claim`` other than as
    ``with claim(...)`` (:func:`_loose_uses`).
    """
    index = cell.container.get("cell_index")
    cells = notebook.cells if notebook is not None else []
    if (
        isinstance(index, int)
        and index < len(cells)
        and code.strip("\n") != str(cells[index].source).strip("\n")
        and not SEPARATOR.search(code)  # myst-nb splits there: "separator" says so
    ):
        return [(1, "loaded")]
    if not _holds_claim(code):
        return []
    # myst-nb gives the container a child for the code unless it removes the code
    if not any(
        isinstance(child, nodes.Element) and child.get("nb_element") == "cell_code_source"
        for child in cell.container.children
    ):
        return [(1, "hidden")]
    tree = _parse_cell(code)
    if tree is not None:
        return [(line, "loose") for line in _loose_uses(tree)]
    if not _ipython_syntax(code):
        return [(1, "unparsed")]
    # the page's lines: the cell's code was joined with "\n" from them
    return [
        (number, "magic")
        for number, line in enumerate(code.split("\n"), start=1)
        if _names_claim(line)
    ]


def _removed_checks(notebook: Any, doctree: nodes.document) -> list[tuple[int | None, str | None]]:
    """The checks in the code cells of the page that myst-nb leaves out of its doctree:
    the line of each one's cell fence, and the claim it names.

    myst-nb executes a cell tagged ``remove-cell`` (or ``remove-input`` and
    ``remove-output`` together), but gives it no container in the doctree, so its checks
    cannot be placed, shown or judged. The cells are read with myst-nb's own reader
    (:func:`_notebook`), as myst-nb read them for the doctree, and compared with the
    containers by their index in the notebook, so whatever rule removed a cell, the cell
    is found. Its ``claim(...)`` calls are named by the claim they give. As for a shown
    cell, a use of ``claim`` counts (:func:`_holds_claim`); in code the build cannot read
    as Python (in IPython's syntax, or that does not parse), each ``claim(`` is named by
    the id it gives as a string, or ``?``. A cell with a use and no such call is named
    ``None``: it may hold a check that the build cannot name.
    """
    if notebook is None:  # not a notebook: no code cells
        return []
    shown = _shown_indices(doctree)
    found: dict[tuple[int | None, str | None], None] = {}  # each claim once per cell, in order
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or index in shown or not _holds_claim(cell.source):
            continue
        tree = _parse_cell(cell.source)
        calls = (
            [
                match["id"] or "?"
                for match in CLAIM_TEXT.finditer(unicodedata.normalize("NFKC", cell.source))
            ]
            if tree is None
            else [
                label
                for node in ast.walk(tree)
                if isinstance(node, ast.expr)
                for is_claim, _, label in [_claim_call(node)]
                if is_claim
            ]
        )
        for label in calls or [None]:
            found[(_fence(notebook, index), label)] = None
    return list(found)


UNJUDGED = {
    "magic": "the code at {} holds the word claim in a cell that IPython runs, or may run, "
    "as other Python than its text: a magic (%time, %%capture), a shell line (!), a help "
    "request (?), a line that IPython quotes or calls (;f, ,f, /f), console prompts (>>>, "
    "inside a string too), an indentation "
    "common to every line, or a cell of one line whose first word automagic may take for a "
    "magic (`check(x)  # ...`; not `x = ...`, a keyword or builtin first, or a dotted name). "
    "IPython runs, or may run, other code than such a cell's text (it passes a magic's "
    "text on as a "
    "string), so the build, which does not read such a cell, could neither find nor judge "
    "a check there: move the check to a cell "
    "of plain Python, or reword the text (a cell of one line may take a second line that "
    "is not blank)",
    "unparsed": "the code cell at {} uses claim but does not parse as Python, so "
    "the build cannot find or judge its `with claim(...)` blocks: make the cell parse, or "
    "move the check to a cell that does",
    "separator": "the line at {} holds a character that Python's str.splitlines takes for "
    "a line break and markdown-it does not (U+2028, U+2029, U+0085, a form feed, a "
    "vertical tab or U+001C to U+001E), so myst-nb's notebook reader, which splits the "
    "page at it, misreads the text after it: remove the character",
    "loaded": "the code cell at {} runs other code than its text on the page (a :load: "
    "option?), so the build would judge text that does not run: put the code in the cell",
    "loose": "the code at {} uses the name claim other than as `with claim(...)` (a call "
    "bound to a variable first, claim under another name or passed on, an async with; "
    "any name or attribute claim counts, whatever it belongs to), so the build would find "
    "such a check only by its record, and could not judge it if it did not run: write "
    "the check as `with claim(...):`, or rename what is not a check",
    "hidden": "the code cell at {} holds a check but the page does not show its code "
    "(tagged remove-input, or remove_code_source set), so the check the ledger links to "
    "cannot be read: hide the code with hide-input instead",
}
"""The message of each reason why the build cannot judge a shown cell (:func:`_unjudged`)."""


ErrorOutput = tuple[str, int | None, str, str]
"""An error output of a page's executed code cell: the page's source, the first line of
the cell's code (of its fence, for a cell that the page leaves out), the exception's type
name and its message."""


def _error_outputs(
    env: BuildEnvironment, docname: str, notebook: Any, cells: Sequence[Cell], failed: bool
) -> list[ErrorOutput]:
    """The error outputs (tracebacks) of the page's executed notebook that did not stop it.

    A cell's error that ends its execution stops the page, which fails the build (a
    failed check, or a page that failed outside any check). An error that a cell shows
    and goes on from was caught and shown by something else: ``%%capture`` runs its body
    as a cell of its own, whose error IPython shows while the cell that runs the magic
    goes on, and takes the body's other outputs, the records of its checks among them.
    Such an error may be a failed check that no record reports, so it fails the build.
    On a page whose execution failed, the last error output is that failure's, and is
    left to it. A cell tagged ``raises-exception``, whose error does not stop the page
    either, is refused all the same (no page of the book shows an error on purpose). The
    executed notebook is the one myst-nb wrote when it executed the page on this read
    (``<jupyter_execute>/<page>.ipynb``); the cells the page leaves out (``remove-cell``,
    ``remove-output``) are read too.
    """
    from myst_nb.sphinx_ import NbMetadataCollector  # noqa: PLC0415

    if notebook is None or NbMetadataCollector.get_exec_data(env, docname) is None:
        return []  # not a notebook, or not executed on this read (no fresh notebook)
    folder = Path(env.mystnb_config.output_folder)  # type: ignore[attr-defined]
    path = folder.joinpath(*docname.split("/")[:-1], docname.rsplit("/", maxsplit=1)[-1] + ".ipynb")
    if not path.is_file():
        return []
    executed = json.loads(path.read_text(encoding="utf-8"))
    source = str(env.doc2path(docname, False))
    shown = {cell.container.get("cell_index"): cell.first_line for cell in cells}
    found: list[ErrorOutput] = []
    for index, cell in enumerate(executed.get("cells", [])):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            if output.get("output_type") == "error":
                line = shown.get(index, _fence(notebook, index))
                found.append((source, line, str(output.get("ename")), str(output.get("evalue"))))
    return found[:-1] if failed else found


def _cell_at(cells: Iterable[Cell], line: int) -> Cell | None:
    """The executed code cell whose code holds ``line`` of the page's source."""
    before = [cell for cell in cells if cell.first_line <= line]
    return max(before, key=lambda cell: cell.first_line, default=None)


def cell_anchor(number: int) -> str:
    """The HTML id given to a code cell that checks a claim: ``code-cell-<number>``."""
    return f"code-cell-{number}"


def _glue_records(env: BuildEnvironment, docname: str) -> list[dict[str, Any]]:
    """The check records of the page just read: myst-nb's glue data under our keys.

    Only keys that myst-nb listed for this read are taken, so a glue file left
    from an earlier build of the page cannot pass for checks that no longer exist.
    """
    from myst_nb.sphinx_ import NbMetadataCollector  # noqa: PLC0415

    keys = [
        key
        for key in NbMetadataCollector.get_doc_data(env)[docname].get("glue", [])
        if key.startswith(CHECK_KEY_PREFIX)
    ]
    if not keys:
        return []
    folder = Path(env.mystnb_config.output_folder)  # type: ignore[attr-defined]
    path = folder.joinpath(
        *docname.split("/")[:-1], docname.rsplit("/", maxsplit=1)[-1] + ".glue.json"
    )
    glued = json.loads(path.read_text(encoding="utf-8"))
    return [json.loads(glued[key]["data"]["text/plain"]) for key in keys]


EXECUTED_ON_THIS_BUILD = frozenset({"force", "inline"})
"""The myst-nb execution modes whose records a page's kernel made on this build: "cache"
takes the outputs of an earlier run from jupyter-cache when the code is unchanged, and
"auto" and "off" keep a notebook's stored outputs."""


def _collect(app: Sphinx, doctree: nodes.document) -> None:
    """On ``doctree-read``: note the page's claims, its checks and whether it executed."""
    from myst_nb.sphinx_ import NbMetadataCollector  # noqa: PLC0415

    env = app.env
    docname = env.docname
    store = _store(env)
    store["read"].add(docname)
    source = str(env.doc2path(docname, False))
    declared: dict[str, Declared] = {}
    for box in doctree.findall(nodes.admonition):
        claim_id = box.get("claim_id")
        if claim_id is None:
            continue
        if claim_id in declared:
            LOGGER.warning(
                "claim %s is declared twice on this page (first at line %s)",
                claim_id,
                declared[claim_id].line,
                location=box,
                type="claims",
                subtype="duplicate",
            )
            continue
        body = next(
            node for node in box.findall(nodes.container) if "claim-statement" in node["classes"]
        )
        declared[claim_id] = Declared(
            claim_id,
            docname,
            source,
            box.line or 0,
            " ".join(body.astext().split()),
            body.deepcopy(),
        )
    store["declared"][docname] = declared
    for name, kinds in (("placeholders", (ClaimLedger, ClaimCount)), ("ledgers", (ClaimLedger,))):
        if any(isinstance(node, kinds) for node in doctree.findall(nodes.Element)):
            store[name].add(docname)
        else:
            store[name].discard(docname)

    path = Path(env.doc2path(docname))
    text = path.read_text(encoding="utf-8")
    # markdown-it, which gives the doctree its lines, and Python count lines by "\n"
    # alone; str.splitlines also breaks at U+2028, form feeds and others (SEPARATOR),
    # which the page may not hold, since myst-nb's notebook reader splits at them
    lines = text.split("\n")
    shown = _code_cells(lines, doctree)
    cells = {cell.count: cell for cell in shown if cell.count is not None}  # the executed ones
    checks: dict[tuple[str, int | None, int | None], Check] = {}
    parsed: dict[int, ClaimBlocks] = {}  # by cell number: each cell parsed once

    def blocks_of(cell: Cell) -> ClaimBlocks:
        if cell.number not in parsed:
            parsed[cell.number] = _claim_blocks(lines, cell)
        return parsed[cell.number]

    def digest_of(cell: Cell) -> str:
        text = "\n".join(lines[cell.first_line - 1 : cell.last_line])
        python = _python(text)  # None: the kernel ran nothing of it, so no record matches
        return hashlib.sha256((text if python is None else python).strip().encode()).hexdigest()

    # a page that myst-nb did not execute on this build (a page-level execution_mode of
    # "cache", say) shows an earlier build's outputs, and its records are those of the
    # earlier build: none of them is this build's check
    method = (NbMetadataCollector.get_exec_data(env, docname) or {}).get("method")
    for record in _glue_records(env, docname):
        found = cells.get(record["execution_count"])
        # a record without ``defined_in`` or ``code_sha256`` (from a library before it
        # named the cell of its code) cannot be placed, so its block cannot be judged and
        # the build fails
        defined_in = record.get("defined_in")
        line = _line_in(
            None if defined_in is None else cells.get(defined_in), blocks_of, digest_of, record
        )
        if line is not None:  # the cell that holds the `with`, which may not be the one that ran it
            found = _cell_at(cells.values(), line) or found
        cell = None if found is None else found.number
        if found is not None and cell_anchor(found.number) not in found.container["ids"]:
            found.container["ids"].append(cell_anchor(found.number))  # for links to the check
        key = (record["claim"], cell, line)
        check = checks.get(key)
        if check is None:
            check = checks[key] = Check(
                record["claim"],
                docname,
                source,
                cell,
                line,
                0,
                0,
                None,
                record["library_version"],
                record["library_sha256"],
            )
        if line is not None and found is not None and check.runs == 0:
            blocks = blocks_of(found)
            block = blocks.get((line, record["claim"])) or blocks.get((line, None))
            check.vacuous = block is not None and block.vacuous
        check.runs += record["runs"]
        if method not in EXECUTED_ON_THIS_BUILD:
            check.failed += record["runs"]
            check.message = (
                f"its page's notebook was not executed on this build (myst-nb's execution "
                f"mode for the page is {method!r}, not 'force'), so this record may be an "
                "earlier build's: remove the page's execution_mode"
            )
        if record["failed"]:
            check.failed += record["failed"]
            check.message = check.message or record["message"]
        if record["library_sha256"] != check.library_sha256:
            check.library_sha256 = "mixed"
    store["checks"][docname] = list(checks.values())
    # every block of the page's cells that cannot fail, whether or not a record was put on
    # it, and whether or not its cell was executed (a cell tagged skip-execution is shown as
    # code all the same): a block that did not run leaves no record, and a record that
    # cannot be placed is judged by none. A block that
    # names its claim by a variable is labelled with the id its record gave, where one was
    # placed.
    ran = {check.line: check.claim for check in checks.values() if check.line is not None}
    store["vacuous"][docname] = [
        (source, line, block.label if claim_id is not None else ran.get(line, block.label))
        for cell in shown
        for (line, claim_id), block in sorted(blocks_of(cell).items(), key=lambda item: item[0][0])
        if block.vacuous
    ]
    notebook = _notebook(env, path, text)
    store["removed"][docname] = [
        (source, line, label) for line, label in _removed_checks(notebook, doctree)
    ]
    # a cell that the build cannot read as Python has no blocks to judge (see
    # _claim_blocks), and a check under another name or bound to a variable is found only
    # when it runs: one that does not run, or whose page is not executed, would go unseen
    store["unparsed"][docname] = [
        (source, cell.first_line + line - 1, reason)
        for cell in shown
        for line, reason in _unjudged(
            notebook, cell, "\n".join(lines[cell.first_line - 1 : cell.last_line])
        )
    ] + [
        (source, number, "separator")
        for number, line in enumerate(lines, start=1)
        if notebook is not None and SEPARATOR.search(line)
    ]

    result = NbMetadataCollector.get_exec_data(env, docname)
    failed = bool(result) and not result.get("succeeded", True)
    if failed:
        lines = re.sub(r"\x1b\[[0-9;]*m", "", result.get("traceback") or "").strip().splitlines()
        store["failures"][docname] = lines[-1] if lines else "no traceback"
    else:
        store["failures"].pop(docname, None)
    store["errors"][docname] = _error_outputs(env, docname, notebook, shown, failed)
    # a page that myst-nb ran (in cache mode too, whose records fail already): a block with
    # no record did not run; a page that it did not execute (no data) ran nothing
    why = NOT_EXECUTED if method is None else DID_NOT_RUN
    # A block the page shows that left no record would leave its claim credited to the
    # blocks that did run, and the ledger would point at a cell whose check is not the one
    # shown. After a failure the later blocks did not run either, and the failure says so.
    store["unrun"][docname] = (
        []
        if failed
        else [
            (source, line, block.label, why)
            for cell in shown
            for (line, claim_id), block in sorted(
                blocks_of(cell).items(), key=lambda item: item[0][0]
            )
            if not block.vacuous and not _has_record(checks.values(), line, claim_id)
        ]
    )


def _has_record(checks: Iterable[Check], line: int, claim_id: str | None) -> bool:
    """Whether a record may be the block's at ``line``, which names ``claim_id`` (None: a variable).

    One placed on its line and naming its claim (any claim, for a block that names it by
    a variable) is; so may one that could not be placed (its line is None) and names the
    same claim (any claim, likewise): such a record fails the build already.
    """
    return any(check.line in (line, None) and claim_id in (None, check.claim) for check in checks)


def _purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    store = _store(env)
    for key in PAGE_KEYS:
        store[key].pop(docname, None)
    store["placeholders"].discard(docname)
    store["ledgers"].discard(docname)


def _merge(
    app: Sphinx, env: BuildEnvironment, docnames: Iterable[str], other: BuildEnvironment
) -> None:
    store, theirs = _store(env), _store(other)
    for docname in docnames:
        for key in PAGE_KEYS:
            if docname in theirs[key]:
                store[key][docname] = theirs[key][docname]
        for key in ("placeholders", "ledgers", "read"):
            if docname in theirs[key]:
                store[key].add(docname)


def _start_reading(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    _store(env)["read"] = set()


CANNOT_FAIL = (
    "cannot fail: its block holds neither an assert nor a call (an assert that reads no "
    "value when it runs does not count: `assert True`, a tuple such as "
    '`assert (x == 1, "x")`, `assert lambda: x == 1`; nor does one in a function that the '
    "block defines)"
)
"""Why a block that runs no test fails the build."""
DID_NOT_RUN = (
    "did not run on this build, though its page ran to its end (a loop over an empty "
    "sequence, a function that the cells do not call, a cell tagged skip-execution), so the "
    "claim would be credited to its other checks alone: make it run, or remove it"
)
"""Why a block that can fail but left no record fails the build."""
NOT_EXECUTED = (
    "did not run on this build: myst-nb did not execute its page (its execution mode is "
    "'off', or nb_execution_excludepatterns matches it), so the claim would be credited "
    "to its checks on other pages: remove the page's execution_mode, or the pattern that "
    "excludes it"
)
"""Why a block of a page that myst-nb did not execute fails the build."""


@dataclass
class Ledger:
    """Every claim of the book with its checks, as this build found them."""

    claims: dict[str, Declared]
    checks: dict[str, list[Check]]
    unknown: list[Check]
    vacuous: dict[str, list[tuple[str, int, str]]]
    """Each page's blocks that cannot fail: the page's source, the line, the claim's label."""
    failures: dict[str, str]
    library_version: str
    library_sha256: str
    removed: dict[str, list[tuple[str, int | None, str | None]]] = field(default_factory=dict)
    """Each page's checks in cells that myst-nb leaves out of the doctree: the page's
    source, the line of the cell's fence, the claim's label."""
    read: frozenset[str] = frozenset()
    """The pages this build read, and so executed; the other pages' checks are those of
    the build that last executed them."""
    unparsed: dict[str, list[tuple[str, int, str]]] = field(default_factory=dict)
    """Each page's shown cells whose checks the build cannot judge: the page's source, the
    line (the cell's first line; for ``loose``, the line of the use; for ``magic``, each
    line that holds the word ``claim``), and the reason, a
    key of :data:`UNJUDGED`."""
    errors: dict[str, list[ErrorOutput]] = field(default_factory=dict)
    """Each page's error outputs that did not stop its execution (see
    :func:`_error_outputs`)."""
    unrun: dict[str, list[tuple[str, int, str, str]]] = field(default_factory=dict)
    """Each page's blocks that can fail but left no record, though the page did not stop
    at an error: the page's source, the line, the claim's label, and why (the block did
    not run, or the build did not execute the page)."""

    def status(self, claim_id: str) -> str:
        """``checked`` (every check passed), ``failed`` or ``unchecked`` (no check ran)."""
        checks = self.checks.get(claim_id, [])
        if not checks:
            return "unchecked"
        return "checked" if all(check.passed for check in checks) else "failed"

    def problems(self) -> list[Problem]:
        """Everything that fails the build, each at the page and line to fix."""
        found: list[Problem] = []
        failed_pages = set()
        for claim_id, claim in sorted(self.claims.items()):
            checks = self.checks.get(claim_id, [])
            if not checks:
                why = (
                    f"; the page's execution stopped at an error first: {self.failures[claim.page]}"
                    if claim.page in self.failures
                    else ""
                )
                message = f"claim {claim_id} has no check that ran on this build{why}"
                found.append(Problem(claim.page, claim.line, message, claim_id))
            for check in checks:
                where = _where(check)
                if check.line is None:
                    # its block was not found, so whether it can fail is unknown
                    found.append(
                        Problem(
                            check.page,
                            None,
                            f"the check of claim {claim_id} at {where} cannot be placed on its "
                            "page, so whether its block can fail is unknown: write it as "
                            "`with claim(...):` in one of the page's code cells (not under "
                            "another name, bound to a variable first, in a cell that IPython runs "
                            "as other Python than its text (a magic, a shell line, console "
                            "prompts), "
                            "in a module the page imports or in a string run by exec or "
                            "run_cell, after a cell that runs code with run_cell(..., "
                            "store_history=True), which shifts IPython's count of the cells, "
                            "nor in a cell that a tag such as remove-cell leaves out of the "
                            "page)",
                            claim_id,
                        )
                    )
                if not check.passed:
                    failed_pages.add(check.page)
                    found.append(
                        Problem(
                            check.page,
                            check.line,
                            f"claim {claim_id} failed its check at {where}: {check.message} "
                            f"(the claim is declared at {claim.source}:{claim.line})",
                            claim_id,
                        )
                    )
                if check.library_sha256 != self.library_sha256:
                    found.append(
                        Problem(
                            check.page,
                            check.line,
                            f"the check of claim {claim_id} at {where} ran against zerograd source "
                            f"{check.library_sha256[:12]}, not the source being built "
                            f"({self.library_sha256[:12]}): was the page executed against "
                            "another copy of the library?",
                            claim_id,
                        )
                    )
        # judged from the page's blocks, not from the checks' records (see _collect)
        judged = [
            (page, *block, CANNOT_FAIL)
            for page, blocks in sorted(self.vacuous.items())
            for block in blocks
        ]
        judged += [
            (page, *block) for page, blocks in sorted(self.unrun.items()) for block in blocks
        ]
        for page, source, line, label, why in judged:
            found.append(
                Problem(
                    page,
                    line,
                    f"the check of claim {label} at {source}:{line} {why}",
                    label if label in self.claims else None,
                )
            )
        for page, removed in sorted(self.removed.items()):
            for source, fence, named in removed:
                where = f"{source}:{fence}" if fence is not None else source
                what = (
                    f"holds a check of claim {named}"
                    if named is not None
                    else "may hold a check that the build cannot name (it uses claim other "
                    "than in a call, renamed or passed on, or it is in IPython's syntax and "
                    "holds the word claim)"
                )
                found.append(
                    Problem(
                        page,
                        fence,
                        f"the code cell at {where} {what}, but "
                        "myst-nb leaves the cell out of the page (a tag such as remove-cell "
                        "does, as do remove-input and remove-output together), so the build "
                        "cannot place, show or judge its block: hide the cell with "
                        "hide-input or hide-cell instead",
                        named if named is not None and named in self.claims else None,
                    )
                )
        for page, unparsed in sorted(self.unparsed.items()):
            for source, line, reason in unparsed:
                found.append(Problem(page, line, UNJUDGED[reason].format(f"{source}:{line}")))
        for page, errors in sorted(self.errors.items()):
            for source, at, name, message in errors:
                where = f"{source}:{at}" if at is not None else source
                # a ClaimError's message starts with its claim's id
                named = message.split(": ", 1)[0] if name == "ClaimError" else None
                found.append(
                    Problem(
                        page,
                        at,
                        f"the code cell at {where} shows an error that did not stop the page "
                        f"({name}: {message}): something in the cell caught it and went on "
                        "(%%capture runs its body so, and takes the records of its checks), "
                        "so a check that failed there may not be reported as failed; let "
                        "the error stop the cell (move it out of the magic), or fix it",
                        named if named in self.claims else None,
                    )
                )
        for check in self.unknown:
            close = get_close_matches(check.claim, self.claims, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            found.append(
                Problem(
                    check.page,
                    check.line,
                    f"a check at {_where(check)} names claim {check.claim}, which no page declares{hint}",
                    check.claim,
                )
            )
            if not check.passed:
                failed_pages.add(check.page)
        for page, last_line in sorted(self.failures.items()):
            if page not in failed_pages:
                found.append(
                    Problem(
                        page,
                        None,
                        f"page {page} failed to execute outside any claim check: {last_line}",
                    )
                )
        return found

    def as_json(self, uri: dict[str, str]) -> dict[str, Any]:
        """The ledger for claims.json; ``uri`` maps a page to its URI relative to the output."""

        def check_json(check: Check) -> dict[str, Any]:
            data = asdict(check)
            data["status"] = "passed" if check.passed else "failed"
            if check.passed:
                del data["message"]
            return data

        claims: list[dict[str, Any]] = []
        for claim_id, claim in sorted(self.claims.items()):
            claims.append(
                {
                    "id": claim_id,
                    "page": claim.page,
                    "line": claim.line,
                    "url": f"{uri.get(claim.page, '')}#{anchor(claim_id)}",
                    "statement": claim.statement,
                    "status": self.status(claim_id),
                    "checks": [check_json(check) for check in self.checks.get(claim_id, [])],
                }
            )
        statuses = [claim["status"] for claim in claims]
        problems = self.problems()
        return {
            "library": {
                "name": "zerograd",
                "version": self.library_version,
                "sha256": self.library_sha256,
            },
            "status": "failed" if problems else "passed",
            "summary": {
                "claims": len(claims),
                "checked": statuses.count("checked"),
                "failed": statuses.count("failed"),
                "unchecked": statuses.count("unchecked"),
                "checks": sum(len(claim["checks"]) for claim in claims),
                "unknown_checks": len(self.unknown),
            },
            "claims": claims,
            "unknown_checks": [check_json(check) for check in self.unknown],
            "failed_pages": [
                {"page": page, "message": line} for page, line in sorted(self.failures.items())
            ],
            "problems": [asdict(problem) for problem in problems],
        }


def _where(check: Check) -> str:
    """``page.md:24``, or ``page.md (cell 3)`` if the line is unknown."""
    if check.line is not None:
        return f"{check.source}:{check.line}"
    return f"{check.source} (cell {check.cell})"


def ledger(app: Sphinx) -> Ledger:
    """The ledger of this build, from what every page (read now or earlier) left in the environment."""
    store = _store(app.env)
    claims = {
        claim_id: claim for page in store["declared"].values() for claim_id, claim in page.items()
    }
    checks: dict[str, list[Check]] = defaultdict(list)
    unknown = []
    for page in sorted(store["checks"]):
        for check in store["checks"][page]:
            if check.claim in claims:
                checks[check.claim].append(check)
            else:
                unknown.append(check)
    versions = sorted(
        {check.library_version for page in store["checks"].values() for check in page}
    )
    return Ledger(
        claims,
        dict(checks),
        unknown,
        dict(store["vacuous"]),
        dict(store["failures"]),
        ", ".join(versions) or "unknown",
        app.config.claims_library_sha256,
        dict(store["removed"]),
        frozenset(store["read"]),
        dict(store["unparsed"]),
        dict(store["errors"]),
        dict(store["unrun"]),
    )


def _executes_pages(app: Sphinx) -> bool:
    """Whether this build runs the pages' code (myst-nb's ``nb_execution_mode`` is not off)."""
    return str(getattr(app.config, "nb_execution_mode", "force")) != "off"


def _report(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """On ``env-updated``, every build: report each problem; have pages that show the ledger rewritten.

    A build that does not execute the pages (``nb_execution_mode = "off"``, as
    ``nox -s doctest`` sets it to run only the {doctest} blocks) checks no claim: it
    says so in one warning of type ``claims.not_executed`` instead of one error per
    claim. Under ``-W`` that warning fails the build unless the build suppresses it by
    name, as the doctest session does; the HTML build never does.
    """
    book = ledger(app)
    if not _executes_pages(app):
        LOGGER.warning(
            "no claim is checked on this build: myst-nb's execution is off "
            "(nb_execution_mode = 'off'), so no page ran its checks",
            type="claims",
            subtype="not_executed",
        )
        return []
    for problem in book.problems():
        location = (problem.page, problem.line) if problem.line else problem.page
        LOGGER.error(problem.message, location=location)
    store = _store(env)
    if not store["read"]:
        return []
    # A page read now may change any claim's status: rewrite the pages that show it.
    showing = {claim.page for claim in book.claims.values()} | store["placeholders"]
    return sorted(showing - store["read"])


def _relative_uri(app: Sphinx, source: str, target: str) -> str | None:
    try:
        return app.builder.get_relative_uri(source, target)
    except NoUri:
        return None


def _page_link(app: Sphinx, docname: str, target: str, text: str, fragment: str = "") -> nodes.Node:
    uri = _relative_uri(app, docname, target)
    if uri is None:
        return nodes.Text(text)
    return nodes.reference(
        "", text, internal=True, refuri=uri + (f"#{fragment}" if fragment else "")
    )


def _checks_paragraph(app: Sphinx, docname: str, book: Ledger, claim_id: str) -> nodes.paragraph:
    """What a reader sees under a claim: how its checks went, with links to the cells.

    A check on a page that this build read ran on this build. A check on a page that it
    did not read (an incremental build reads only the pages that changed) is the record
    of the build that last executed that page, and the paragraph says so, and whether
    that build ran against the library source being built.
    """
    checks = book.checks.get(claim_id, [])
    status = book.status(claim_id)
    para = nodes.paragraph(classes=["claim-status", f"claim-{status}"])
    if status == "unchecked":
        para += nodes.strong("", "Not checked on this build.")
        return para
    earlier = {check.page for check in checks} - book.read
    lead = "Checked" if status == "checked" else "Failed"
    para += nodes.strong("", lead if earlier else f"{lead} on this build")
    para += nodes.Text(f" by {len(checks)} check{'s' if len(checks) != 1 else ''}: ")
    pages: dict[str, list[Check]] = {}
    for check in checks:
        pages.setdefault(check.page, []).append(check)
    for index, (page, on_page) in enumerate(pages.items()):
        if index:
            para += nodes.Text("; ")
        if page == docname:
            para += nodes.Text("this page, ")
        else:
            title = app.env.titles.get(page)
            para += _page_link(app, docname, page, title.astext() if title else page)
            para += nodes.Text(", ")
        numbers = sorted({check.cell for check in on_page if check.cell is not None})
        para += nodes.Text("code cell " if len(numbers) == 1 else "code cells ")
        for position, number in enumerate(numbers):
            if position:
                para += nodes.Text(" and " if position == len(numbers) - 1 else ", ")
            para += _page_link(app, docname, page, str(number), cell_anchor(number))
        if page in earlier:
            same = all(check.library_sha256 == book.library_sha256 for check in on_page)
            para += nodes.Text(
                f" (run by the build that last executed {'this' if page == docname else 'that'} "
                f"page, against {'the same' if same else 'other'} library source)"
            )
        for check in on_page:
            if not check.passed:
                para += nodes.Text(f" (failed: {check.message})")
    para += nodes.Text(".")
    return para


def _ledger_table(app: Sphinx, docname: str, book: Ledger, resolve: Any) -> nodes.table:
    """The ledger as a two-column table: each claim's id and checks, then its statement."""
    table = nodes.table(classes=["claim-ledger", "colwidths-given"])
    group = nodes.tgroup(cols=2)
    table += group
    for width in (35, 65):
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    row = nodes.row()
    for title in ("Claim, and how it was checked", "Statement"):
        row += nodes.entry("", nodes.paragraph("", title))
    head += row
    body = nodes.tbody()
    group += body
    in_order = sorted(book.claims.items(), key=lambda item: (item[1].page, item[1].line))
    for claim_id, claim in in_order:
        name = nodes.paragraph()
        link = _page_link(app, docname, claim.page, "", anchor(claim_id))
        literal = nodes.literal(claim_id, claim_id)
        if isinstance(link, nodes.reference):
            link += literal
            name += link
        else:
            name += literal
        checks = _checks_paragraph(app, docname, book, claim_id)
        statement = claim.body.deepcopy()
        resolve(statement)
        row = nodes.row()
        row += nodes.entry("", name, checks)
        row += nodes.entry("", *statement.children)
        body += row
    return table


def _library_paragraph(book: Ledger) -> nodes.paragraph:
    """Above the ledger table: the library version and source hash the checks ran against.

    The hash is :func:`zerograd.book.source_digest` of the library being built, shortened
    as in the build's messages. The table's checks are this build's for the pages it read
    and the last executing build's for the others (see :func:`_checks_paragraph`), so the
    paragraph speaks of the ledger's checks, not of this build's.

    A check that ran against another source than the one being built is a problem
    that fails the build (:meth:`Ledger.problems`), so on a green build this one
    version and hash hold for every check in the table; on a failed one the paragraph
    says that some checks ran against other source.
    """
    short = book.library_sha256[:12]  # 64 digits would not fit a phone's line
    ran_against = {
        check.library_sha256
        for check in [*(c for on in book.checks.values() for c in on), *book.unknown]
    }
    para = nodes.paragraph(classes=["claim-library"])
    para += nodes.Text(f"The checks in this ledger ran against zerograd {book.library_version}")
    if ran_against <= {book.library_sha256}:
        para += nodes.Text(", whose source has the SHA-256 ")
    else:
        para += nodes.Text(
            ", some of them not against the source being built, which has the SHA-256 "
        )
    para += nodes.literal(short, short)
    para += nodes.Text(f"… ({LEDGER_JSON} has it in full).")
    return para


def _count_text(book: Ledger, kind: str) -> str:
    """``number``: how many claims; ``summary``: that number and whether all were checked.

    The summary says every claim was checked only when the build has no problem at all
    (:meth:`Ledger.problems`): a block that cannot fail or a check that cannot be placed
    leaves its claim's status "checked", and fails the build all the same. It says "on
    this build" only when this build read every page with a check (of the claims it counts
    as failed or not checked, when there is a problem): an incremental build keeps the
    records of the pages it does not read.
    """
    total = len(book.claims)
    if kind == "number":
        return str(total)
    noun = "claim" if total == 1 else "claims"
    problems = book.problems()
    if not problems:
        pages = {check.page for on in book.checks.values() for check in on}
        if pages <= book.read:
            return f"{total} {noun}, every one checked on this build"
        return (
            f"{total} {noun}, every one checked against the library source being built, "
            "by this build or by the one that last executed the page of its checks"
        )
    named = {problem.claim for problem in problems if problem.claim in book.claims}
    named |= {claim_id for claim_id in book.claims if book.status(claim_id) != "checked"}
    pages = {check.page for claim_id in named for check in book.checks.get(claim_id, [])}
    pages |= {problem.page for problem in problems if problem.claim in named}
    when = (
        "on this build"
        if pages <= book.read
        else "(on this build, or on the one that last executed their pages)"
    )
    text = f"{total} {noun}, {len(named)} of them failed or not checked {when}"
    others = sum(problem.claim not in book.claims for problem in problems)
    if others:
        text += f", and the build's log names {others} other problem{'s' if others != 1 else ''}"
    return text


def _fill_placeholders(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """On ``doctree-resolved``: fill in each box's status, the ledger table and the counts."""
    book = ledger(app)
    ledger_page = min(_store(app.env)["ledgers"], default=None)
    scratch = new_document("")

    def resolve(node: nodes.Element) -> None:
        """Resolve the cross-references in a copied statement, as sphinx.ext.todo does."""
        for xref in node.findall(addnodes.pending_xref):
            xref["refdoc"] = docname
        scratch.append(node)
        app.env.resolve_references(scratch, docname, app.builder)
        scratch.remove(node)

    for status in list(doctree.findall(ClaimStatus)):
        claim_id = status["claim_id"]
        status.replace_self(_checks_paragraph(app, docname, book, claim_id))
    for placeholder in list(doctree.findall(ClaimLedger)):
        placeholder.replace_self(
            [_library_paragraph(book), _ledger_table(app, docname, book, resolve)]
        )
    for count in list(doctree.findall(ClaimCount)):
        text = _count_text(book, count["kind"])
        if count["kind"] == "summary" and ledger_page is not None and ledger_page != docname:
            count.replace_self(_page_link(app, docname, ledger_page, text))
        else:
            count.replace_self(nodes.Text(text))


def _write_json(app: Sphinx, exception: Exception | None) -> None:
    """On ``build-finished``: write claims.json, keep tracebacks out of the HTML, set the status."""
    if exception is not None:
        return
    book = ledger(app)
    if app.builder.format == "html":
        uri = {}
        for page in app.env.all_docs:
            try:
                uri[page] = app.builder.get_target_uri(page)
            except NoUri:
                continue
        data = book.as_json(uri)
        # The pages this build read: all of them on a clean build, only the changed ones
        # (and those depending on changed files) on an incremental one.
        read = sorted(_store(app.env)["read"])
        data["pages_read"] = read
        # Of those, the pages whose notebooks myst-nb executed: it drops a page's execution
        # record when the page is read again and sets it when it executes the page.
        data["pages_executed"] = [
            page for page in read if NbMetadataCollector.get_exec_data(app.env, page) is not None
        ]
        out = Path(app.outdir) / LEDGER_JSON
        out.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        LOGGER.info(
            "claims: %s", ", ".join(f"{value} {key}" for key, value in data["summary"].items())
        )
    _move_execution_reports(app)
    if book.problems() and _executes_pages(app):
        app.statuscode = 1


def _move_execution_reports(app: Sphinx) -> None:
    """Move myst-nb's traceback reports out of the published output.

    myst-nb 1.4 writes the traceback of a failed page to ``<outdir>/reports/``
    unconditionally (``myst_nb.sphinx_.Parser.parse``); no setting changes the
    folder. The tracebacks are already in the log (``nb_execution_show_tb``), and
    a build that failed must not be published, but a traceback should never sit
    among the pages: it goes to ``_build/execution-reports/<builder>/``.
    """
    reports = Path(app.outdir) / "reports"
    if reports.is_dir():
        moved = Path(app.outdir).parent / "execution-reports" / app.builder.name
        shutil.rmtree(moved, ignore_errors=True)
        moved.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(reports, moved)
        LOGGER.info("execution tracebacks moved out of the output to %s", moved)


def _library_digest(app: Sphinx, config: Any) -> None:
    config.claims_library_sha256 = source_digest(config.claims_library)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the claim directive, the ledger and its handlers."""
    os.environ[BUILD_VARIABLE] = "1"  # the kernels myst-nb starts inherit it
    # ipykernel would give every cell this one name, and a check the cell of its code
    # (zerograd.book._cell_of reads the names): a function's check would be placed in the
    # cell that called it
    os.environ.pop("IPYKERNEL_CELL_NAME", None)
    # with it, the kernels would compile every assert out and each check would pass; a
    # kernel that still runs with asserts removed refuses its checks (ClaimCheck)
    os.environ.pop("PYTHONOPTIMIZE", None)
    app.add_config_value("claims_library", "", "env", types=[str, Path])
    app.add_config_value("claims_library_sha256", "", "", types=[str])
    app.add_directive("claim", ClaimDirective)
    app.add_directive("claim-ledger", ClaimLedgerDirective)
    app.add_role("claim-count", ClaimCountRole())
    for node in (ClaimStatus, ClaimLedger, ClaimCount):
        app.add_node(node)
    app.connect("config-inited", _library_digest)
    app.connect("env-before-read-docs", _start_reading)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("doctree-read", _collect)
    app.connect("env-updated", _report)
    app.connect("doctree-resolved", _fill_placeholders)
    app.connect("build-finished", _write_json)
    return {
        "version": "1",
        # Any edit of this file may change what it keeps per page, so a changed file makes
        # Sphinx re-read every page instead of trusting data kept by the old code.
        "env_version": int(hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12], 16),
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
