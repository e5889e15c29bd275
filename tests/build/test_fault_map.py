"""The parts of ``tools/faults.py`` that decide which pages a planted bug re-executes.

A fault run executes, for each bug, only the pages whose kernels called the function
the bug is planted in. That is sound only if the function is named exactly as Python
names the code a kernel runs, an edit outside any function body counts for every
page, and the verdict read from the pages' records is the build's verdict.
"""

from __future__ import annotations

import inspect
import types
from pathlib import Path
from typing import Any

import faults
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _lines(code: types.CodeType) -> set[int]:
    """The source lines ``code`` itself runs (not those of code compiled inside it)."""
    return {line for _, _, line in code.co_lines() if line is not None}


def _code_objects(code: types.CodeType) -> list[types.CodeType]:
    """``code`` and every code object compiled inside it."""
    found = [code]
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            found.extend(_code_objects(constant))
    return found


@pytest.mark.parametrize("fault", faults.CATALOGUE, ids=lambda fault: fault.name)
def test_each_fault_names_code_that_runs_its_edit(fault: faults.Fault) -> None:
    """The named function is a code object of the file whose lines hold the whole edit.

    Python's compiler, not the AST walk under test, says which code object runs which
    line: the edit's lines must belong to the named code object or to code compiled
    inside it (a comprehension, a lambda), which runs only when it runs.
    """
    name = fault.function()
    path = ROOT / faults.LIBRARY / fault.file
    source = path.read_text(encoding="utf-8")
    first = source[: source.index(fault.old)].count("\n") + 1
    last = first + fault.old.rstrip("\n").count("\n")
    edited = set(range(first, last + 1))
    module = compile(source, str(path), "exec")
    codes = _code_objects(module)
    running = edited & {line for code in codes for line in _lines(code)}
    assert running, f"{fault.name}: no edited line compiles to code"
    if name is None:
        # Module and class bodies run at import, for every page.
        at_import = {
            line for code in codes if not code.co_flags & inspect.CO_OPTIMIZED
            for line in _lines(code)
        }  # fmt: skip
        assert running & at_import, f"{fault.name}: no edited line runs at import"
        return
    file, qualname = name.split(":")
    assert file == fault.file
    named = [code for code in codes if code.co_qualname == qualname]
    assert len(named) == 1, f"{fault.name}: {len(named)} code objects are named {qualname}"
    inside = {line for code in _code_objects(named[0]) for line in _lines(code)}
    assert running <= inside, (
        f"{fault.name}: lines {sorted(running - inside)} are not run by {qualname}"
    )


SOURCE = """\
SCALE = 2.0


class Model:
    size = 3

    @property
    def width(self):
        return self.size * SCALE

    def step(self, x):
        def inner(y):
            return y + 1.0
        return inner(x)


def helper(a,
           b=1.0):
    return a * b
"""


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("SCALE = 2.0", "SCALE = 3.0", None),
        ("size = 3", "size = 4", None),
        ("@property", "", None),
        ("return self.size * SCALE", "return self.size", "toy.py:Model.width"),
        ("return inner(x)", "return x", "toy.py:Model.step"),
        ("return y + 1.0", "return y", "toy.py:Model.step.<locals>.inner"),
        ("b=1.0):", "b=2.0):", None),
        ("return a * b", "return a + b", "toy.py:helper"),
    ],
)
def test_an_edit_is_placed_in_its_innermost_function_or_at_module_level(
    tmp_path: Path, old: str, new: str, expected: str | None
) -> None:
    """Class bodies, decorators and signatures run at import: module level, every page."""
    library = tmp_path / faults.LIBRARY
    library.mkdir(parents=True)
    (library / "toy.py").write_text(SOURCE, encoding="utf-8")
    fault = faults.Fault(name="toy", summary="toy", file="toy.py", old=old, new=new)
    assert fault.function(tmp_path) == expected


def _run(*records: tuple[str, bool], error: str | None = None) -> dict[str, Any]:
    return {
        "records": [
            {"claim": claim, "failed": failed, "message": f"{claim} broke" if failed else None}
            for claim, failed in records
        ],
        "error": error,
    }


BASELINE = {
    "a": _run(("a:one", False), ("b:two", False)),
    "b": _run(("b:two", False)),
    "c": _run(("c:three", False)),
}


def test_a_failed_check_names_its_claim_and_page() -> None:
    claims, pages, unchecked, evidence = faults.book_verdict(
        BASELINE, {"a": _run(("a:one", True), ("b:two", False))}
    )
    assert (claims, pages, unchecked) == (["a:one"], ["a"], [])
    assert evidence == ["a:one: a:one broke"]


def test_a_page_that_stops_outside_a_check_is_named() -> None:
    claims, pages, unchecked, evidence = faults.book_verdict(
        BASELINE, {"c": _run(error="ValueError: bad shape")}
    )
    assert (claims, pages) == ([], ["c"])
    assert unchecked == ["c:three"]
    assert evidence == ["c: ValueError: bad shape"]


def test_a_claim_is_unchecked_only_when_every_page_that_checked_it_ran_without_it() -> None:
    """``b:two`` is checked on pages a and b: re-running a alone leaves b's check standing."""
    only_a = faults.book_verdict(BASELINE, {"a": _run(("a:one", False))})
    assert only_a[2] == []
    both = faults.book_verdict(BASELINE, {"a": _run(("a:one", False)), "b": _run()})
    assert both[2] == ["b:two"]
    assert both[3] == ["b:two: no check of it ran"]


def test_pages_that_pass_as_before_catch_nothing() -> None:
    assert faults.book_verdict(BASELINE, BASELINE) == ([], [], [], [])
