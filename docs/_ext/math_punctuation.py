"""Keep an inline formula and the punctuation or number that touches it on one line.

Browsers may break a line between an inline formula (KaTeX draws it as inline blocks) and
what is beside it (KaTeX issue 1233, https://github.com/KaTeX/KaTeX/issues/1233, open in
November 2026): a comma or a full stop after a formula could start the next line, an
opening bracket before one end a line alone, and a sign written as a formula
(``$-${glue:text}`x```) be parted from its glued number. A word joiner does not help:
Chrome breaks beside an inline block whatever characters follow. This extension puts the
formula and what touches it in one ``span.zg-nobreak``; ``_static/screens.css`` forbids a
break at that span's level while the formula keeps its own break points. It changes the
HTML pages only, after the claims ledger is filled: the doctrees that the wording lint
and the claims read are left as they were.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx

# Punctuation that belongs with the formula before it, and with the formula after it.
CLOSING = re.compile(r"^[.,;:)\]!?\u2019']+")
OPENING = re.compile(r"[(\[]+$")
# A formula is kept whole with its punctuation only if it is short: kept whole, it cannot
# break at its own relations and operators, and a long one would then run past a phone's
# column (tests/browser checks that none does). Its length is counted roughly as printed:
# a command such as \partial as one character, braces, scripts' marks and spacing not.
LONGEST = 26
COMMAND = re.compile(r"\\[A-Za-z]+|\\.")
UNPRINTED = re.compile(r"[{}^_\s]")
SPACING = {"\\,", "\\;", "\\!", "\\quad", "\\qquad", "\\left", "\\right", "\\bigl", "\\bigr"}
# A sign written as a formula just before a glued number, as in "$-${glue:text}`x`".
SIGNS = {"-", "+", "\\pm", "\\mp"}


def _printed_length(tex: str) -> int:
    """Roughly how many characters ``tex`` prints as."""
    commands = COMMAND.sub(lambda m: "" if m.group() in SPACING else "x", tex)
    return len(UNPRINTED.sub("", commands))


def _punctuation(
    node: nodes.Node | None, pattern: re.Pattern[str]
) -> tuple[nodes.Text, str, str] | None:
    """The text node, the punctuation ``pattern`` finds in it and the rest, or None."""
    if not isinstance(node, nodes.Text):
        return None
    value = node.astext()
    found = pattern.search(value)
    if not found:
        return None
    return node, found.group(), value[: found.start()] + value[found.end() :]


def _signed_number(formula: nodes.math, after: nodes.Node | None) -> nodes.inline | None:
    """The glued number that a sign written as a formula (``$-$``, ``$\\pm$``) stands before."""
    if formula.astext().strip() not in SIGNS:
        return None
    if isinstance(after, nodes.inline) and "pasted-text" in after["classes"]:
        return after
    return None


def _position(parent: nodes.Element, child: nodes.Node) -> int:
    """Where ``child`` itself sits in ``parent``: text nodes are strings, and docutils'
    own ``index`` and ``replace`` compare them by value, which finds an earlier ", "."""
    return next(i for i, node in enumerate(parent.children) if node is child)


def _keep_rest(parent: nodes.Element, text: nodes.Text, rest: str) -> None:
    """Leave ``rest`` in place of ``text``, or nothing if it is empty."""
    where = _position(parent, text)
    if rest:
        parent[where] = nodes.Text(rest)
    else:
        del parent[where]


def _join(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if app.builder.format != "html":
        return
    for formula in list(doctree.findall(nodes.math)):
        parent = formula.parent
        index = _position(parent, formula)
        after = parent[index + 1] if index + 1 < len(parent) else None
        before = parent[index - 1] if index > 0 else None
        number = _signed_number(formula, after)
        closing = _punctuation(after, CLOSING)
        opening = _punctuation(before, OPENING)
        if number is not None:
            group = nodes.inline(classes=["zg-nobreak"])
            parent[index] = group
            group += formula
            del parent[_position(parent, number)]
            group += number
            continue
        if (not closing and not opening) or _printed_length(formula.astext()) > LONGEST:
            continue
        group = nodes.inline(classes=["zg-nobreak"])
        parent[index] = group
        if opening:
            group += nodes.Text(opening[1])
            _keep_rest(parent, opening[0], opening[2])
        group += formula
        if closing:
            group += nodes.Text(closing[1])
            _keep_rest(parent, closing[0], closing[2])


def setup(app: Sphinx) -> dict[str, Any]:
    # After claims' placeholders are filled (priority 500), so the ledger's rows are joined too.
    app.connect("doctree-resolved", _join, priority=800)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
