"""The wording lint: quantified sentences in the book's prose must be claims, hedged or allowed.

A sentence that says "never", "every" or "only" states something for all cases,
and the book may say that only where a claim's checks back it (see ``claims.py``).
During the build this extension reads the prose of every page and flags each
sentence that uses one of :data:`QUANTIFIERS` or matches one of :data:`PATTERNS`
("no ... can", "no ... is", "there is no", "moves no", and "however" in its quantifying sense) outside

* a ``claim`` box (its statement is checked),
* code: code cells and their outputs, literal blocks, inline code, raw output,
* math, inline or displayed,
* the API reference's text taken from docstrings (``autodoc``), which documents
  code that the test suite checks; the book's prose claims are what this lint is for,
* questions: a sentence that ends with a question mark claims nothing.

Not read: a code cell's outputs, figure captions and alt text among them. A sentence
ends where the next one begins with a capital letter or a digit, so a sentence followed
by a question that begins with math, inline code or a lowercase word is read as part of
that question, and skipped. "no ... is" and the like are found with at most four words
between "no" and the verb, where a run of inline math, inline code or a pasted value counts
as one word and a possessive or a quoted word as one (see :data:`PATTERNS`); more words,
or a comma or a parenthesis between them ("no unit, in this network, is"), hide the
sentence from the pattern.

Quotations are read like the rest of the prose: text in quotation marks or a
block quote can state a universal as well as the book's own words can. A
quotation of the original answer, or a flagged word named rather than used,
is settled with an ``[[allow]]`` entry whose reason says which it is.

"however" is flagged only when it quantifies: "however small the step",
"however the weights are chosen" say "for every value". The conjunction is
written with punctuation after it ("However, ...", "...; however, ...",
"..., however."), so the rule is: "however" followed by a space and a word is
flagged, "however" followed by punctuation is not. The rule reads only the
next character, not what kind of word follows, so a quantifying "however" is
flagged whatever adjective, adverb or clause comes after it; a conjunction
written without its comma is flagged too, and the fix is the comma.

"each" is not in the list: the pages use it for the parts of a construction
("each layer computes ..."), and a universal claim about every layer still says
"every" or "all" somewhere nearby.

Each flagged sentence is reported with its page and line. A hit is settled in
one of three ways:

1. reword the sentence so that it says what the code checks ("in this example",
   "for squared error", "need not"), or
2. make it a claim (a ``claim`` box) with a check, or
3. allow it in ``docs/claims-allowlist.toml`` as an ``[[allow]]`` entry: a
   ``phrase`` of the sentence that contains the flagged word, a ``reason``, and
   optionally the ``page`` it applies to. Keep the list short: a definition,
   a question, a citation or a plainly hedged opinion is a good reason; a true
   statement is not (make it a claim).

A flagged sentence that is not allowed is an error (a warning, which ``-W``
makes fatal), and so is an allowlist entry that no longer matches anything
(delete it) or an allowlist with any table other than ``[[allow]]``: there is
no way to defer a sentence. The errors are reported at the end of every build,
incremental ones included, from what the pages left in the environment, against
the allowlist as it is now.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)

QUANTIFIERS = (
    "never",
    "always",
    "every",
    "everything",
    "everywhere",
    "everyone",
    "all",
    "any",
    "anything",
    "anywhere",
    "anyone",
    "none",
    "nothing",
    "nowhere",
    "no one",
    "only",
    "exactly",
    "precisely",
    "cannot",
    "can't",
    "can not",
    "must",
    "force",
    "forces",
    "forced",
    "forcing",
    "necessarily",
    "impossible",
    "guarantee",
    "guarantees",
    "guaranteed",
    "whenever",
    "whatever",
    "unless",
)
"""The words and phrases flagged outside claims, code and math."""

PATTERNS = (
    (
        r"no\s+(?:[\w'\u2018\u2019\u201c\u201d\"-]+\s+){0,4}?"
        r"(?:can|could|is|are|was|were|has|have|does|do|did|will|would)"
    ),
    r"there\s+(?:is|are|was|were|exists?)\s+no",
    r"(?:has|have|gets?|gives?|makes?|moves?|changes?|leaves?|reach(?:es)?|sends?|for)\s+no",
    r"however(?=\s+\w)",
)
"""Quantified wording that a word list cannot say: the negative universals "no <up to
four words> can" (or "could", "is", "are", "has", "does", "will" and their other
tenses and persons: "no hidden unit is dead") and "there is no" ("there are", "there
exists"), a verb of having, giving or moving followed by "no" ("moves no layer", "has
no zero", "for no other"), and "however" followed by a word ("however small"), not by punctuation
("However, ..."). "no" without such a verb is not flagged: "with no weight penalty" and
"no longer" qualify a noun or a verb without saying anything for all cases.

A word counted between "no" and its verb may hold an apostrophe or quotation marks ("no
unit's gradient is", "no “dead” unit is"), and a run of inline math, inline code or a
pasted value counts as one word ("no entry of $p - y$ is"): the patterns are matched
against the text with each such run masked (see :func:`_masked`), and "no" and the verb
must be prose."""

APOSTROPHE = "['\u2019]"
"""An apostrophe as the lint reads it: Sphinx's smart quotes turn ``'`` into a right single
quotation mark (U+2019) before the lint reads the page, and an author may type either."""

WORDS = re.compile(
    r"(?<![\w'\u2019-])(?:"
    + "|".join(
        re.escape(word).replace(r"\ ", r"\s+").replace("'", APOSTROPHE) for word in QUANTIFIERS
    )
    + "|"
    + "|".join(PATTERNS)
    + r")(?![\w'\u2019-])",
    re.IGNORECASE,
)
SENTENCE_END = re.compile(r"(?<=[.!?])[\"\u201d\u2019)]*\s+(?=[\"\u201c(\[*_]*[A-Z0-9])")
PASTED = {"pasted-text", "pasted-inline", "output"}
"""The classes of the nodes myst-nb pastes a glued value into."""
GLUED = "{glue}"
"""How a glued value reads in a reported sentence, so that the allowlist does not depend on it."""


@dataclass(frozen=True)
class Hit:
    """A sentence of a page's prose with quantified wording outside claims, code and math."""

    page: str
    source: str
    line: int
    sentence: str
    """The sentence with its whitespace collapsed, math and code included as written, and
    each value pasted from a cell (``{glue:text}`...```) written as ``{glue}``."""
    words: tuple[str, ...]
    """The flagged words, lowercased, in order of appearance."""
    spans: tuple[tuple[int, int], ...]
    """Where the flagged words are in ``sentence``."""


def _skipped(node: nodes.Node) -> bool:
    """Whether ``node`` and everything in it is outside the lint: claims, code, math."""
    if isinstance(
        node,
        (
            nodes.literal,
            nodes.literal_block,
            nodes.doctest_block,
            nodes.math,
            nodes.math_block,
            nodes.raw,
            nodes.comment,
            nodes.system_message,
            addnodes.desc,
            addnodes.toctree,
        ),
    ):
        return True
    if isinstance(node, nodes.Element):
        if node.get("claim_id") is not None:  # a claim box (claims.py)
            return True
        if ":docstring of " in (node.source or ""):  # autodoc's text of a docstring
            return True
        if node.get("nb_element") in {"cell_code", "cell_code_source", "cell_code_output"}:
            return True
    return False


BLOCKS = (
    nodes.paragraph,
    nodes.title,
    nodes.subtitle,
    nodes.term,
    nodes.caption,
    nodes.rubric,
    nodes.line,
)


def _blocks(doctree: nodes.document) -> Iterator[nodes.Element]:
    """The prose blocks of the page that the lint reads, skipping whole skipped subtrees."""
    stack: list[nodes.Node] = [doctree]
    while stack:
        node = stack.pop()
        if _skipped(node):
            continue
        if isinstance(node, BLOCKS):
            yield node
            continue
        if isinstance(node, nodes.Element):
            stack.extend(reversed(node.children))


def _text(block: nodes.Element) -> tuple[str, list[tuple[int, int]]]:
    """The block's text, and the spans of it that are prose (not code, math or claims)."""
    parts: list[str] = []
    prose: list[tuple[int, int]] = []
    at = 0

    def walk(node: nodes.Node, skipped: bool) -> None:
        nonlocal at
        skipped = skipped or _skipped(node)
        if isinstance(node, nodes.Element) and PASTED.intersection(node["classes"]):
            parts.append(GLUED)  # a value computed by a cell: the same sentence whatever it is
            at += len(GLUED)
            return
        if isinstance(node, nodes.Text):
            text = str(node)
            parts.append(text)
            if not skipped:
                prose.append((at, at + len(text)))
            at += len(text)
            return
        for child in node.children if isinstance(node, nodes.Element) else ():
            walk(child, skipped)

    walk(block, False)
    return "".join(parts), prose


def _line(block: nodes.Element) -> int:
    node: nodes.Node | None = block
    while node is not None and node.line is None:
        node = node.parent
    return node.line if node is not None and node.line is not None else 0


def _masked(text: str, prose: Iterable[tuple[int, int]]) -> str:
    """``text`` with each character outside the ``prose`` spans made ``_``.

    A run of math, code or a pasted value then reads as one word to the patterns, which
    cannot match inside it, and the positions of the matches are those of ``text``.
    """
    masked = ["_"] * len(text)
    for start, end in prose:
        masked[start:end] = text[start:end]
    return "".join(masked)


def hits(doctree: nodes.document, page: str, source: str) -> list[Hit]:
    """Every sentence of the page's prose with quantified wording where the lint reads."""
    found: list[Hit] = []
    for block in _blocks(doctree):
        text, prose = _text(block)
        masked = _masked(text, prose)
        first_line = _line(block)
        starts = [0, *(match.end() for match in SENTENCE_END.finditer(text))]
        ends = [*(match.start() for match in SENTENCE_END.finditer(text)), len(text)]
        for start, end in zip(starts, ends, strict=True):
            words, spans = [], []
            for match in WORDS.finditer(masked, start, end):
                a, b = match.span()
                # its first and last words are prose; math or code may lie between them
                in_prose = any(p <= a < q for p, q in prose) and any(p < b <= q for p, q in prose)
                if in_prose:
                    words.append(" ".join(text[a:b].lower().split()))
                    spans.append((a, b))
            raw = text[start:end]
            if not words or raw.rstrip().rstrip('"\u201d\u2019)*_').endswith("?"):
                continue
            lead = len(raw) - len(raw.lstrip())
            sentence, offsets = _collapse(raw.strip())
            found.append(
                Hit(
                    page,
                    source,
                    first_line + text[:start].count("\n") + raw[:lead].count("\n"),
                    sentence,
                    tuple(words),
                    tuple(
                        (offsets[a - start - lead], offsets[b - start - lead - 1] + 1)
                        for a, b in spans
                    ),
                )
            )
    return found


def _collapse(text: str) -> tuple[str, list[int]]:
    """``text`` with each run of whitespace made one space, and where each character went."""
    out: list[str] = []
    offsets: list[int] = []
    for char in text:
        if char.isspace() and out and out[-1] == " ":
            offsets.append(len(out) - 1)
            continue
        offsets.append(len(out))
        out.append(" " if char.isspace() else char)
    return "".join(out), offsets


def normalise(sentence: str) -> str:
    """A sentence as the allowlist compares it: whitespace collapsed, case folded."""
    return " ".join(sentence.split()).casefold()


@dataclass(frozen=True)
class Allowed:
    """An ``[[allow]]`` entry of the allowlist."""

    phrase: str
    reason: str
    page: str | None


@dataclass
class Allowlist:
    """The allowlist file: its allowed phrases and its problems."""

    path: Path
    allowed: list[Allowed]
    errors: list[str]

    @classmethod
    def read(cls, path: Path) -> Allowlist:
        """Read and check the file; a missing file is an empty allowlist."""
        if not path.is_file():
            return cls(path, [], [])
        errors: list[str] = []
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            return cls(path, [], [f"not valid TOML: {error}"])
        allowed = []
        for index, entry in enumerate(data.get("allow", []), 1):
            unknown = set(entry) - {"phrase", "reason", "page"}
            phrase, reason = (
                str(entry.get("phrase", "")).strip(),
                str(entry.get("reason", "")).strip(),
            )
            if unknown or not phrase or not reason:
                errors.append(
                    f"[[allow]] entry {index} needs a non-empty 'phrase' and 'reason' (and at most "
                    f"a 'page'); it has {sorted(entry)}"
                )
                continue
            allowed.append(Allowed(phrase, reason, entry.get("page")))
        extra = set(data) - {"allow"}
        if extra:
            errors.append(
                f"unknown tables {sorted(extra)}; the only table is [[allow]] (a flagged "
                "sentence is reworded, made a claim or allowed, never deferred)"
            )
        return cls(path, allowed, errors)

    def allows(self, hit: Hit, used: set[int]) -> bool:
        """Whether every flagged word of ``hit`` lies inside an allowed phrase; notes which."""
        folded = hit.sentence.casefold()
        covered: list[tuple[int, int]] = []
        for index, entry in enumerate(self.allowed):
            if entry.page is not None and entry.page != hit.page:
                continue
            phrase = normalise(entry.phrase)
            for match in re.finditer(re.escape(phrase), folded):
                if any(match.start() <= a and b <= match.end() for a, b in hit.spans):
                    covered.append(match.span())
                    used.add(index)
        return all(any(p <= a and b <= q for p, q in covered) for a, b in hit.spans)


def _store(env: BuildEnvironment) -> dict[str, list[Hit]]:
    if not hasattr(env, "zerograd_wording"):
        env.zerograd_wording = {}  # type: ignore[attr-defined]
    return cast("dict[str, list[Hit]]", env.zerograd_wording)  # type: ignore[attr-defined]


def _collect(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.docname
    _store(app.env)[docname] = hits(doctree, docname, str(app.env.doc2path(docname, False)))


def _purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    _store(env).pop(docname, None)


def _merge(
    app: Sphinx, env: BuildEnvironment, docnames: Iterable[str], other: BuildEnvironment
) -> None:
    store, theirs = _store(env), _store(other)
    for docname in docnames:
        if docname in theirs:
            store[docname] = theirs[docname]


def _allowlist_path(app: Sphinx) -> Path:
    return Path(app.confdir) / str(app.config.claims_wording_allowlist)


def _report(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """On ``env-updated``, every build: flag new hits and stale entries; count the allowed ones."""
    every = [hit for page in sorted(_store(env)) for hit in _store(env)[page]]
    allowlist = Allowlist.read(_allowlist_path(app))
    name = allowlist.path.name
    for error in allowlist.errors:
        LOGGER.warning("%s: %s", name, error, type="claims", subtype="wording")
    used: set[int] = set()
    allowed = 0
    new: list[Hit] = []
    for hit in every:
        if allowlist.allows(hit, used):
            allowed += 1
        else:
            new.append(hit)
    for hit in new:
        LOGGER.warning(
            "quantified wording outside a claim (%s): “%s” Reword it, make it a claim, or "
            "allow it in %s with a reason.",
            ", ".join(dict.fromkeys(hit.words)),
            hit.sentence,
            name,
            location=(hit.page, hit.line),
            type="claims",
            subtype="wording",
        )
    for index, entry in enumerate(allowlist.allowed):
        if index not in used:
            LOGGER.warning(
                "%s: the allowed phrase %r matches no flagged word any more; delete the entry",
                name,
                entry.phrase,
                type="claims",
                subtype="wording",
            )
    LOGGER.info(
        "wording: %d sentences with quantified wording outside claims: %d allowed in %s, %d new",
        len(every),
        allowed,
        name,
        len(new),
    )
    return []


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the lint's handlers and settings."""
    app.add_config_value("claims_wording_allowlist", "claims-allowlist.toml", "", types=[str])
    app.connect("doctree-read", _collect)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-updated", _report)
    return {
        "version": "1",
        # Any edit of this file may change what it keeps per page, so a changed file makes
        # Sphinx re-read every page instead of trusting data kept by the old code.
        "env_version": int(hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12], 16),
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
