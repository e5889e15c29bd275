"""The API reference documents every name zerograd exports, under its public name.

The pages under docs/api/ are written by hand, one per topic, so a name added to
``zerograd.__all__`` must be given a place there; this test says which one is missing.
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.pycode import ModuleAnalyzer

import zerograd

API_PAGES = Path(__file__).resolve().parents[2] / "docs" / "api"
DIRECTIVE = re.compile(r"^\.\. auto(?:class|function|data|exception|module):: (\S+)", re.MULTILINE)
CURRENT_MODULE = re.compile(r"^\.\. currentmodule:: (\S+)", re.MULTILINE)


def documented_names(pages: Path) -> set[str]:
    """The full names the pages' autodoc directives document."""
    names = set()
    assert any(pages.glob("*.md")), f"no pages in {pages}"
    for page in sorted(pages.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        module = CURRENT_MODULE.search(text)
        prefix = f"{module[1]}." if module else ""
        names |= {
            name if name.startswith("zerograd") else prefix + name
            for name in DIRECTIVE.findall(text)
        }
    return names


def test_every_public_name_has_a_page() -> None:
    missing = sorted(
        {f"zerograd.{name}" for name in zerograd.__all__} - documented_names(API_PAGES)
    )
    assert not missing, f"public names with no autodoc entry under docs/api/: {missing}"


def test_documented_names_are_public() -> None:
    public = {f"zerograd.{name}" for name in zerograd.__all__} | {
        "zerograd.examples",
        "zerograd.rational",
        "zerograd.book",
        # its description holds the equations RecurrentNetwork's docstring points to
        "zerograd.recurrent",
        # their descriptions hold the conventions at kinks and the losses' definitions
        "zerograd.activations",
        "zerograd.losses",
    }
    internal = sorted(documented_names(API_PAGES) - public)
    assert not internal, f"docs/api/ documents names zerograd does not export: {internal}"


def test_a_missing_name_is_reported(tmp_path: Path) -> None:
    (tmp_path / "page.md").write_text(
        "```{eval-rst}\n.. currentmodule:: zerograd\n\n.. autoclass:: Network\n```\n",
        encoding="utf-8",
    )
    assert documented_names(tmp_path) == {"zerograd.Network"}


def test_every_public_variable_has_a_docstring_where_autodoc_reads_it() -> None:
    """autodoc reads a variable's docstring from the module it documents it in, here
    ``zerograd``; one found nowhere there shows its type's docstring instead (a tuple's
    "Built-in immutable sequence"), https://github.com/sphinx-doc/sphinx/issues/6495."""
    analyzer = ModuleAnalyzer.for_module("zerograd")
    analyzer.analyze()
    variables = [name for name in zerograd.__all__ if not callable(getattr(zerograd, name))]
    assert variables, "zerograd exports no variable: the test checks nothing"
    missing = [name for name in variables if not analyzer.attr_docs.get(("", name))]
    assert not missing, f"public variables with no docstring in zerograd/__init__.py: {missing}"
