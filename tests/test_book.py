"""zerograd.book: the pages' glue and claim helpers, outside and inside a (fake) book build.

The real build (myst-nb executing pages in Jupyter kernels) is tested in
tests/build/; here the kernel and myst-nb are stood in for by small fakes, so
that each branch of the helpers is pinned down without Jupyter installed.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import json
import linecache
import os
import re
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from contracts import Drifting
from hypothesis import given
from hypothesis import strategies as st

from zerograd import book
from zerograd.book import (
    BUILD_VARIABLE,
    CHECK_KEY_PREFIX,
    ClaimError,
    bound,
    claim,
    glue,
    same_bits,
    source_digest,
)


class FakeEvents:
    """IPython's event registry: the callbacks registered for each event."""

    def __init__(self) -> None:
        self.callbacks: dict[str, list[Callable[..., None]]] = {}

    def register(self, event: str, callback: Callable[..., None]) -> None:
        self.callbacks.setdefault(event, []).append(callback)

    def trigger(self, event: str, *args: object) -> None:
        for callback in self.callbacks.get(event, []):
            callback(*args)


class FakeShell:
    """An IPython shell as the helpers see it: its execution counter and its events."""

    def __init__(self, execution_count: int) -> None:
        self.execution_count = execution_count
        self.events = FakeEvents()

    def end_cell(self, store_history: bool | None = None) -> None:
        """What IPython does when a cell has run: trigger post_run_cell.

        With ``store_history``, the event carries a result as IPython's does (its
        ``info.store_history``); without it, ``None``, as when a run failed to start.
        """
        result = (
            None
            if store_history is None
            else types.SimpleNamespace(info=types.SimpleNamespace(store_history=store_history))
        )
        self.events.trigger("post_run_cell", result)


class FakeGlue:
    """myst-nb's glue, recording its calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, bool]] = []

    def __call__(self, name: str, value: Any, display: bool = True) -> None:
        self.calls.append((name, value, display))


@dataclass
class Kernel:
    """A kernel of the book's build: its shell and myst-nb's glue."""

    shell: FakeShell
    glue: FakeGlue


@pytest.fixture
def in_build(monkeypatch: pytest.MonkeyPatch) -> Kernel:
    """A kernel of the book's build: a shell running cell 7, myst-nb, and the variable set."""
    # IPython counts the running cell before running it: cell 7 runs with the counter at 8.
    kernel = Kernel(FakeShell(8), FakeGlue())
    monkeypatch.setenv(BUILD_VARIABLE, "1")
    monkeypatch.setattr(book, "_ipython_shell", lambda: kernel.shell)
    monkeypatch.setattr(book, "_myst_nb_glue", lambda: kernel.glue)
    monkeypatch.setattr(book, "_tally", {})
    monkeypatch.setattr(book, "_hooked", set())
    return kernel


def _fail(error: Exception) -> None:
    """Raise ``error``, as a failing assert or library call inside a check would."""
    raise error


def _records(fake: FakeGlue) -> list[dict[str, Any]]:
    found = []
    for name, value, display in fake.calls:
        assert name.startswith(CHECK_KEY_PREFIX), name
        assert display is False, f"the record {name} would be shown on the page"
        found.append(json.loads(repr(value)))
    return found


def test_a_passing_check_is_silent_and_returns_normally(capsys: pytest.CaptureFixture[str]) -> None:
    with claim("one-sample:forces-zero"):
        value = 0.0
    assert value == 0.0
    assert capsys.readouterr() == ("", "")


def test_a_failing_assert_becomes_a_claim_error_that_starts_with_the_id() -> None:
    with pytest.raises(ClaimError) as caught, claim("one-sample:forces-zero"):
        _fail(AssertionError("dL/dW^(1) = [0.5] is not zero"))
    error = caught.value
    assert str(error) == "one-sample:forces-zero: dL/dW^(1) = [0.5] is not zero"
    assert isinstance(error, AssertionError)
    assert error.claim_id == "one-sample:forces-zero"
    assert error.message == "dL/dW^(1) = [0.5] is not zero"
    assert isinstance(error.__cause__, AssertionError)
    assert str(error.__cause__) == "dL/dW^(1) = [0.5] is not zero"


def test_an_assert_without_a_message_is_named_as_such() -> None:
    with pytest.raises(ClaimError, match=r"^batch:cancels: an assert without a message failed$"):  # noqa: SIM117
        with claim("batch:cancels"):
            raise AssertionError


def test_any_other_exception_fails_the_check_with_its_type_and_message() -> None:
    with pytest.raises(ClaimError) as caught, claim("rule:chain"):
        _fail(ValueError("expected shape (3,), got (2,)"))
    assert str(caught.value) == "rule:chain: ValueError: expected shape (3,), got (2,)"
    assert isinstance(caught.value.__cause__, ValueError)


class _Unprintable:
    def __str__(self) -> str:
        msg = "no text"
        raise RuntimeError(msg)


def test_a_message_that_cannot_be_shown_still_fails_the_check(in_build: Kernel) -> None:
    with pytest.raises(ClaimError) as caught, claim("rule:chain"):
        _fail(AssertionError(_Unprintable()))
    assert str(caught.value) == "rule:chain: <a message that could not be shown>"
    with pytest.raises(ClaimError) as caught, claim("rule:chain"):
        _fail(ValueError(_Unprintable()))
    assert caught.value.message == "ValueError: <a message that could not be shown>"
    in_build.shell.end_cell()
    assert [record["failed"] for record in _records(in_build.glue)] == [1, 1]


def test_an_interrupt_is_not_a_verdict(in_build: Kernel) -> None:
    with pytest.raises(KeyboardInterrupt), claim("rule:chain"):
        raise KeyboardInterrupt
    in_build.shell.end_cell()
    assert in_build.glue.calls == []


@pytest.mark.parametrize(
    "bad",
    [
        "forces-zero",  # no page
        "one-sample:",  # no short name
        ":forces-zero",  # no page
        "one-sample:Forces-Zero",  # capitals in the short name
        "one-sample:forces_zero",  # underscore in the short name
        "one-sample:forces-zero-",  # trailing hyphen
        "one-sample:forces--zero",  # empty word
        "one sample:forces-zero",  # space in the page
        "one-sample:forces-zero:again",  # two colons
    ],
)
def test_a_malformed_id_is_refused_before_the_block_runs(bad: str) -> None:
    ran = []
    with pytest.raises(ValueError, match=r"^expected a claim id '<page>:<short-name>'") as caught:  # noqa: SIM117
        with claim(bad):
            ran.append(True)
    assert ran == []
    assert str(caught.value).endswith(f"got {bad!r}")


class SpelledAsAnId:
    def __str__(self) -> str:
        return "one-sample:forces-zero"


def test_a_non_string_id_is_refused() -> None:
    with pytest.raises(ValueError, match=r"got 3$"):
        claim(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"got <int of 16610 bits>$"):
        claim(10**5000)  # type: ignore[arg-type]
    # an object that only prints as an id is not one
    with pytest.raises(ValueError, match=r"got <.*SpelledAsAnId object at"):
        claim(SpelledAsAnId())  # type: ignore[arg-type]


@pytest.mark.parametrize("good", ["index:n-claims", "how-we-know:every-rule", "part/one:x2"])
def test_well_formed_ids_are_accepted(good: str) -> None:
    with claim(good):
        pass


def test_outside_a_build_nothing_is_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeGlue()
    monkeypatch.delenv(BUILD_VARIABLE, raising=False)
    shell = FakeShell(3)
    monkeypatch.setattr(book, "_ipython_shell", lambda: shell)
    monkeypatch.setattr(book, "_myst_nb_glue", lambda: fake)
    with claim("one-sample:forces-zero"):
        pass
    with pytest.raises(ClaimError), claim("one-sample:forces-zero"):
        _fail(AssertionError("no"))
    shell.end_cell()
    assert fake.calls == []
    assert shell.events.callbacks == {}, "outside a build nothing is hooked into IPython"


def test_in_a_build_each_check_is_recorded_hidden_after_its_cell(in_build: Kernel) -> None:
    here = Path(book.__file__).parent
    for _ in range(3):
        with claim("one-sample:forces-zero"):
            pass
    line_of_loop = sys._getframe().f_lineno - 2
    assert in_build.glue.calls == [], "a passing check was sent before its cell ended"
    in_build.shell.end_cell()
    (record,) = _records(in_build.glue)
    assert record == {
        "claim": "one-sample:forces-zero",
        "runs": 3,
        "failed": 0,
        "message": None,
        "line": line_of_loop,
        "execution_count": 7,
        "library_version": book._library()[0],
        "library_sha256": source_digest(here),
        "defined_in": None,  # the fake shell compiles no cell
        "code_sha256": None,
    }
    in_build.shell.end_cell()
    assert len(in_build.glue.calls) == 1, "a record was sent twice"


def test_a_failing_run_is_sent_when_its_cell_ends_with_the_cell_s_other_checks(
    in_build: Kernel,
) -> None:
    # IPython triggers post_run_cell after a cell that failed too, so the failure waits for
    # it, as a passing run does: sent at once, it would be an output of whatever runs the
    # check, and %%capture swallows its body's outputs.
    with claim("batch:cancels"):
        pass
    with claim("batch:cancels"):
        pass
    line_of_second = sys._getframe().f_lineno - 2
    with pytest.raises(ClaimError), claim("batch:cancels"):
        _fail(AssertionError("sum of x^(1) is 0.25, not 0"))
    line_of_third = sys._getframe().f_lineno - 2
    assert in_build.glue.calls == [], "a record was sent before its cell ended"
    in_build.shell.end_cell(store_history=True)
    records = sorted(_records(in_build.glue), key=lambda record: record["line"])
    assert [(r["line"], r["runs"], r["failed"]) for r in records] == [
        (line_of_second - 2, 1, 0),
        (line_of_second, 1, 0),
        (line_of_third, 1, 1),
    ]
    assert records[2]["message"] == "sum of x^(1) is 0.25, not 0"
    names = [name for name, _, _ in in_build.glue.calls]
    assert len(set(names)) == 3, f"two records share a glue key: {names}"


def test_a_failing_run_in_a_cell_run_by_another_is_sent_when_the_outer_cell_ends(
    in_build: Kernel,
) -> None:
    # %%capture runs its body as a cell that stores no history and takes its outputs; the
    # body's post_run_cell must not send the records, or they are swallowed with the rest.
    with pytest.raises(ClaimError), claim("batch:cancels"):
        _fail(AssertionError("swallowed"))
    in_build.shell.end_cell(store_history=False)
    assert in_build.glue.calls == [], "a record was sent into the cell magic's capture"
    in_build.shell.end_cell(store_history=True)
    (record,) = _records(in_build.glue)
    assert (record["failed"], record["message"]) == (1, "swallowed")


def test_the_tally_hook_is_registered_once_per_shell(in_build: Kernel) -> None:
    for _ in range(2):
        with claim("rule:chain"):
            pass
    assert len(in_build.shell.events.callbacks["post_run_cell"]) == 1


def test_the_same_line_in_two_cells_is_two_checks(in_build: Kernel) -> None:
    for count in (8, 9):
        in_build.shell.execution_count = count
        with claim("rule:chain"):
            pass
        in_build.shell.end_cell()
    assert [r["execution_count"] for r in _records(in_build.glue)] == [7, 8]


def test_the_recorded_version_is_the_imported_library_s() -> None:
    import zerograd  # noqa: PLC0415

    assert book._library() == (zerograd.__version__, source_digest(Path(zerograd.__file__).parent))


def test_in_a_build_without_myst_nb_nothing_is_recorded_and_checks_still_fail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(BUILD_VARIABLE, "1")
    monkeypatch.setattr(book, "_ipython_shell", lambda: FakeShell(2))
    monkeypatch.setattr(book, "_myst_nb_glue", lambda: None)
    with pytest.raises(ClaimError, match=r"^rule:chain: no$"), claim("rule:chain"):
        _fail(AssertionError("no"))


def test_glue_outside_a_kernel_prints_only_shown_values(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeGlue()
    monkeypatch.setattr(book, "_ipython_shell", lambda: None)
    monkeypatch.setattr(book, "_myst_nb_glue", lambda: fake)
    glue("shown", "text")
    glue("hidden", "secret", display=False)
    assert capsys.readouterr().out == "'text'\n"
    assert fake.calls == [], "myst-nb's glue used outside a kernel would print the raw bundle"


def test_glue_in_a_build_kernel_with_myst_nb_delegates_with_the_same_arguments(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeGlue()
    monkeypatch.setenv(BUILD_VARIABLE, "1")
    monkeypatch.setattr(book, "_ipython_shell", lambda: FakeShell(1))
    monkeypatch.setattr(book, "_myst_nb_glue", lambda: fake)
    value = object()
    glue("a", value)
    glue("b", 2.5, display=False)
    assert fake.calls == [("a", value, True), ("b", 2.5, False)]
    assert capsys.readouterr().out == ""


def test_glue_in_a_kernel_without_myst_nb_displays_shown_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown: list[object] = []
    display_module = types.ModuleType("IPython.display")
    display_module.display = shown.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", types.ModuleType("IPython"))
    monkeypatch.setitem(sys.modules, "IPython.display", display_module)
    monkeypatch.setattr(book, "_ipython_shell", lambda: FakeShell(1))
    monkeypatch.setattr(book, "_myst_nb_glue", lambda: None)
    glue("a", 1.5)
    glue("b", 2.5, display=False)
    assert shown == [1.5]


def test_glue_in_a_reader_kernel_with_myst_nb_displays_instead_of_recording(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown: list[object] = []
    display_module = types.ModuleType("IPython.display")
    display_module.display = shown.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", types.ModuleType("IPython"))
    monkeypatch.setitem(sys.modules, "IPython.display", display_module)
    monkeypatch.delenv(BUILD_VARIABLE, raising=False)
    fake = FakeGlue()
    monkeypatch.setattr(book, "_ipython_shell", lambda: FakeShell(1))
    monkeypatch.setattr(book, "_myst_nb_glue", lambda: fake)
    glue("a", 1.5)
    glue("b", 2.5, display=False)
    assert fake.calls == [], "a reader's kernel got myst-nb's hidden records"
    assert shown == [1.5]


def test_importing_the_helpers_imports_neither_ipython_nor_myst_nb() -> None:
    code = (
        "import sys, zerograd.book\n"
        "print(sorted(m for m in ('IPython', 'myst_nb', 'sphinx') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("build", ["1", ""])
def test_a_book_build_with_asserts_removed_refuses_its_checks(build: str) -> None:
    # Under -O (or PYTHONOPTIMIZE) every assert of a check is compiled out, so a wrong
    # value would pass: in a book build, entering a check raises instead.
    code = (
        "from zerograd.book import claim\n"
        "try:\n"
        "    with claim('page:name'):\n"
        "        assert False\n"
        "except RuntimeError as error:\n"
        "    print(error)\n"
        "else:\n"
        "    print('ran')\n"
    )
    env = {**os.environ, book.BUILD_VARIABLE: build, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run(
        [sys.executable, "-O", "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    expected = (
        "claim page:name: Python runs with asserts removed (-O, PYTHONOPTIMIZE), so a check "
        "would pass without testing"
        if build
        else "ran"
    )
    assert out.strip() == expected


def test_a_kernel_that_names_every_cell_alike_refuses_its_checks(
    in_build: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # IPYKERNEL_CELL_NAME gives every cell's code one file name, so code run by
    # run_cell would pass as the latest cell's: a page that sets it gets no check.
    monkeypatch.setenv("IPYKERNEL_CELL_NAME", "<cell>")
    message = (
        "claim page:name: IPYKERNEL_CELL_NAME is set in the kernel, which gives every "
        "cell's code one name, so the build cannot place a check"
    )
    with pytest.raises(RuntimeError, match=f"^{re.escape(message)}$"), claim("page:name"):
        pass
    in_build.shell.end_cell()
    assert in_build.glue.calls == [], "a refused check was recorded"
    monkeypatch.delenv(BUILD_VARIABLE)  # outside a build the name does not matter
    with claim("page:name"):
        ran = True
    assert ran


def _package(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def test_source_digest_is_the_same_for_the_same_files_anywhere(tmp_path: Path) -> None:
    files = {"__init__.py": "x = 1\n", "sub/mod.py": "y = 2\n"}
    first = source_digest(_package(tmp_path / "a", files))
    assert first == source_digest(_package(tmp_path / "elsewhere" / "b", files))
    assert first == source_digest(str(tmp_path / "a"))  # a str names the folder too
    assert len(first) == 64
    assert all(c in "0123456789abcdef" for c in first)


@pytest.mark.parametrize(
    ("change", "files"),
    [
        ("content", {"__init__.py": "x = 1\n", "sub/mod.py": "y = 3\n"}),
        ("name", {"__init__.py": "x = 1\n", "sub/other.py": "y = 2\n"}),
        ("new file", {"__init__.py": "x = 1\n", "sub/mod.py": "y = 2\n", "new.py": ""}),
        ("missing file", {"__init__.py": "x = 1\n"}),
        ("bytes moved between files", {"__init__.py": "x = 1\ny", "sub/mod.py": " = 2\n"}),
    ],
)
def test_source_digest_changes_with_the_source(
    tmp_path: Path, change: str, files: dict[str, str]
) -> None:
    base = source_digest(
        _package(tmp_path / "a", {"__init__.py": "x = 1\n", "sub/mod.py": "y = 2\n"})
    )
    assert source_digest(_package(tmp_path / "b", files)) != base, change


def test_source_digest_reads_only_python_files(tmp_path: Path) -> None:
    package = _package(tmp_path / "a", {"__init__.py": "x = 1\n"})
    before = source_digest(package)
    _package(package, {"py.typed": "", "notes.txt": "anything"})
    assert source_digest(package) == before


def test_source_digest_refuses_a_folder_without_python(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"expected a package folder with \*\.py files, got '.*'"):
        source_digest(tmp_path)


@pytest.mark.parametrize("package", [None, 3, b"src/zerograd"], ids=["None", "int", "bytes"])
def test_source_digest_refuses_what_is_not_a_path(package: object) -> None:
    # As the errors page says of zerograd.book's helpers: a plain ValueError, naming the type
    kind = type(package).__name__
    with pytest.raises(
        ValueError, match=rf"^expected a package folder as a str or a path, got {kind}$"
    ):
        source_digest(package)  # type: ignore[arg-type]


class _BytesPath:
    """An os.PathLike whose path is bytes, as an os.DirEntry of os.scandir(b".") is."""

    def __fspath__(self) -> bytes:
        return b"src/zerograd"


class _BrokenPath:
    def __fspath__(self) -> str:
        msg = "no path"
        raise OSError(msg)


@pytest.mark.parametrize("package", [_BytesPath(), _BrokenPath()], ids=["bytes", "raising"])
def test_source_digest_refuses_a_path_like_that_names_no_str_path(package: object) -> None:
    kind = type(package).__name__
    with pytest.raises(
        ValueError, match=rf"^expected a package folder as a str or a path, got {kind}$"
    ):
        source_digest(package)  # type: ignore[arg-type]


def test_source_digest_hashes_the_files_in_the_order_of_their_posix_paths(tmp_path: Path) -> None:
    # "a-b.py" sorts before "a/b.py" as text ('-' < '/'), after it part by part ("a" < "a-b.py").
    package = _package(tmp_path / "p", {"a/b.py": "x = 1\n", "a-b.py": "y = 2\n"})
    expected = hashlib.sha256(b"a-b.py\x006\0y = 2\na/b.py\x006\0x = 1\n").hexdigest()
    assert source_digest(package) == expected


def test_source_digest_frames_each_file_by_its_length(tmp_path: Path) -> None:
    # Without the lengths, one file holding "x = 1\0b.py\0y = 2" would hash as the two
    # files a.py ("x = 1") and b.py ("y = 2").
    one = _package(tmp_path / "one", {"a.py": "x = 1\0b.py\0y = 2"})
    two = _package(tmp_path / "two", {"a.py": "x = 1", "b.py": "y = 2"})
    assert source_digest(one) != source_digest(two)


def test_source_digest_names_the_folder_without_python(tmp_path: Path) -> None:
    message = f"expected a package folder with *.py files, got {str(tmp_path)!r}, which has none"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        source_digest(tmp_path)


def test_a_malformed_id_is_refused_with_the_form_of_an_id() -> None:
    message = (
        "expected a claim id '<page>:<short-name>' (the page's document name, a colon, "
        "then lowercase letters, digits and hyphens, e.g. 'one-sample:forces-zero'), "
        "got 'Forces-Zero'"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        claim("Forces-Zero")


def test_a_check_record_displays_as_one_line_of_json_with_sorted_keys() -> None:
    record = book.CheckRecord("rule:chain", 2, 1, "no", 3, 7, "1.0", "ab")
    assert repr(record) == (
        '{"claim": "rule:chain", "code_sha256": null, "defined_in": null, '
        '"execution_count": 7, "failed": 1, "library_sha256": "ab", "library_version": "1.0", '
        '"line": 3, "message": "no", "runs": 2}'
    )
    named = book.CheckRecord("rule:chain", 2, 1, "no", 3, 7, "1.0", "ab", defined_in=5)
    assert json.loads(repr(named))["defined_in"] == 5


def _cells(
    monkeypatch: pytest.MonkeyPatch, shell: object, cells: dict[str, tuple[int, str]]
) -> None:
    """Make IPython's compiler know each name's count, and linecache its code."""
    names = types.SimpleNamespace(_filename_map={name: c for name, (c, _) in cells.items()})
    monkeypatch.setattr(shell, "compile", names, raising=False)
    for name, (_, code) in cells.items():
        lines = code.splitlines(keepends=True)
        monkeypatch.setitem(linecache.cache, name, (len(code), None, lines, name))


def test_a_record_names_the_cell_whose_code_holds_its_with(
    in_build: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # IPython's compiler maps the name of each cell's code to the cell's execution count;
    # a module's file or exec's "<string>" is not in the map (both None, which the build
    # cannot place: one record). The same line in a cell's code is another record, so that
    # the build places or refuses each on its own.
    source = "x = 1\nwith claim('rule:chain'):\n    pass\n"
    _cells(monkeypatch, in_build.shell, {"<code of cell 3>": (3, source)})
    for name in ("<code of cell 3>", "<string>", "/a/module.py"):
        exec(compile(source, name, "exec"), {"claim": claim})  # noqa: S102
    in_build.shell.end_cell()
    records = _records(in_build.glue)
    found = sorted((r["defined_in"] or 0, r["line"], r["runs"]) for r in records)
    assert found == [(0, 2, 2), (3, 2, 1)], found
    # the cell's record carries the digest of the code it was compiled from, stripped
    digests = {r["defined_in"]: r["code_sha256"] for r in records}
    assert digests == {None: None, 3: hashlib.sha256(source.strip().encode()).hexdigest()}


def test_a_check_is_placed_at_the_with_that_runs_it_and_entered_once(
    in_build: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A check made in one cell and entered in another is the second cell's: the build looks
    # for its `with` there. A second `with` of it would be counted as the first's run.
    made = "\ncheck = claim('rule:chain')\n"
    entered = "x = 1\nwith check:\n    pass\n"
    bound = "check = claim('rule:chain')\nwith check:\n    pass\n"
    split = "x = 0\nwith (\n    claim('rule:chain'),\n):\n    pass\n"
    cells = {"<cell 3>": made, "<cell 4>": bound, "<cell 5>": entered, "<cell 6>": split}
    _cells(monkeypatch, in_build.shell, {name: (int(name[6]), c) for name, c in cells.items()})
    namespace: dict[str, Any] = {"claim": claim}
    exec(compile(made, "<cell 3>", "exec"), namespace)  # noqa: S102
    exec(compile(entered, "<cell 5>", "exec"), namespace)  # noqa: S102
    again = "with check:\n    ran = True\n"
    message = (
        "claim rule:chain: a claim(...) check is used by one `with`; write `with claim(...)` again"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        exec(compile(again, "<cell 5>", "exec"), namespace)  # noqa: S102
    assert "ran" not in namespace, "the second block ran"
    # made and entered in one cell: the line of the `with`, not of the claim(...) call
    exec(compile(bound, "<cell 4>", "exec"), namespace)  # noqa: S102
    # a `with claim(...)` split over lines: the line of its claim(...) call, which the
    # build looks for (Python 3.11 enters it at the line of `with`)
    exec(compile(split, "<cell 6>", "exec"), namespace)  # noqa: S102
    in_build.shell.end_cell()
    found = sorted((r["defined_in"], r["line"], r["runs"]) for r in _records(in_build.glue))
    assert found == [(4, 2, 1), (5, 2, 1), (6, 3, 1)], found


def test_a_check_made_in_a_loop_s_pass_is_placed_at_the_with_of_a_later_pass(
    in_build: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The check made at line 6 in the first pass is entered at line 4 in the second: it is
    # that block's run (a block the build cannot place), not a run of the block at line 6,
    # though the same frame made it at a later line.
    source = (
        "spare = []\n"
        "for i in range(2):\n"
        "    if i == 1:\n"
        "        with spare[0]:\n"
        "            pass\n"
        "    with claim('rule:chain'), nullcontext(claim('rule:chain')) as made:\n"
        "        pass\n"
        "    spare.append(made)\n"
    )
    _cells(monkeypatch, in_build.shell, {"<cell 3>": (3, source)})
    namespace = {"claim": claim, "nullcontext": contextlib.nullcontext}
    exec(compile(source, "<cell 3>", "exec"), namespace)  # noqa: S102
    in_build.shell.end_cell()
    found = sorted((r["defined_in"], r["line"], r["runs"]) for r in _records(in_build.glue))
    assert found == [(3, 4, 1), (3, 6, 2)], found


def test_a_cell_numbered_after_the_running_one_is_not_the_check_s(
    in_build: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # %%capture compiles its body under the next cell's count (the running cell is 7).
    _cells(monkeypatch, in_build.shell, {"<cell 7>": (7, "x = 1\n"), "<cell 8>": (8, "y\n")})
    assert book._cell_of("<cell 7>") == 7
    assert book._cell_of("<cell 8>") is None


def test_code_mapped_to_a_cell_s_count_carries_its_own_code_s_digest(
    in_build: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # run_cell (a %%capture body, get_ipython().run_cell with or without history) can map
    # its code to the count of a page cell whose code is another. Its record carries the
    # digest of its own code, which the build compares with that cell's, and stays a
    # record apart from the cell's own block at the same line.
    cell = "with claim('rule:chain'):\n    assert x == 1\n"
    body = "with claim('rule:chain'):\n    pass\n"
    _cells(monkeypatch, in_build.shell, {"<cell 6>": (6, cell), "<body>": (6, body)})
    for name, code in (("<cell 6>", cell), ("<body>", body)):
        exec(compile(code, name, "exec"), {"claim": claim, "x": 1})  # noqa: S102
    in_build.shell.end_cell()
    found = sorted((r["defined_in"], r["line"], r["code_sha256"]) for r in _records(in_build.glue))
    expected = sorted((6, 1, hashlib.sha256(c.strip().encode()).hexdigest()) for c in (cell, body))
    assert found == expected, found


def test_glue_in_a_running_ipython_shows_through_its_display(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A reader's kernel: IPython is imported and get_ipython() returns its shell.
    shown: list[object] = []
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: FakeShell(1)  # type: ignore[attr-defined]
    display_module = types.ModuleType("IPython.display")
    display_module.display = shown.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display_module)
    monkeypatch.delenv(BUILD_VARIABLE, raising=False)
    glue("a", 1.5)
    assert shown == [1.5]
    assert capsys.readouterr().out == "", "a kernel's value was printed instead of displayed"


def test_in_a_build_variable_outside_ipython_nothing_is_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The variable is inherited by any process the build starts, and myst-nb is installed.
    fake = FakeGlue()
    monkeypatch.setenv(BUILD_VARIABLE, "1")
    monkeypatch.setattr(book, "_ipython_shell", lambda: None)
    monkeypatch.setattr(book, "_myst_nb_glue", lambda: fake)
    with claim("rule:chain"):
        pass
    with pytest.raises(ClaimError, match=r"^rule:chain: no$"), claim("rule:chain"):
        _fail(AssertionError("no"))
    assert fake.calls == []


class ShellWithoutCounter:
    """A shell that keeps no execution count."""

    def __init__(self) -> None:
        self.events = FakeEvents()


@pytest.mark.parametrize("shell", [FakeShell(0), ShellWithoutCounter()], ids=["None", "absent"])
def test_a_shell_without_an_execution_count_records_none(
    in_build: Kernel, monkeypatch: pytest.MonkeyPatch, shell: Any
) -> None:
    if isinstance(shell, FakeShell):
        shell.execution_count = None  # type: ignore[assignment]
    monkeypatch.setattr(book, "_ipython_shell", lambda: shell)
    with claim("rule:chain"):
        pass
    shell.events.trigger("post_run_cell", None)
    (record,) = _records(in_build.glue)
    assert record["execution_count"] is None


def test_a_check_in_code_run_with_bare_globals_reports_its_line(in_build: Kernel) -> None:
    # exec with a fresh namespace: the code's globals hold no __name__.
    source = "x = 1\nwith claim('rule:chain'):\n    pass\n"
    exec(compile(source, "<cell>", "exec"), {"claim": claim})  # noqa: S102
    in_build.shell.end_cell()
    (record,) = _records(in_build.glue)
    assert record["line"] == 2


# bound: numbers the text calls bounds ------------------------------------------------------


@given(
    value=st.floats(allow_nan=False, allow_infinity=False),
    digits=st.integers(min_value=1, max_value=15),
)
def test_a_bound_is_on_its_side_of_the_value_and_one_digit_step_wide(
    value: float, digits: int
) -> None:
    exact = Fraction(value)
    upper, lower = (Fraction(Decimal(bound(value, side, digits))) for side in ("upper", "lower"))
    assert lower <= exact <= upper
    if exact != 0:
        # one unit in the last printed digit of the value's own decade
        step = Fraction(10) ** (Decimal(value).adjusted() - digits + 1)
        assert upper - lower <= step
        for text in (bound(value, "upper", digits), bound(value, "lower", digits)):
            mantissa = text.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
            assert len(mantissa) <= digits + 1, text  # "10" from rounding up 9.96


@pytest.mark.parametrize(
    ("value", "side", "expected"),
    [
        # each rounds to nearest on the wrong side: 1.0249e-15 -> 1e-15, 2.4696e-4 -> 0.00025
        (1.0249e-15, "upper", "1.1e-15"),
        (2.4696e-4, "lower", "0.00024"),
        (9.96, "upper", "10"),
        (-2.35, "upper", "-2.3"),
        (-2.35, "lower", "-2.4"),
        (0.0, "upper", "0"),
        (3.0, "lower", "3"),
        (1.0, "upper", "1"),
        (123.0, "upper", "1.3e+02"),  # float's form of the exponent
        # no float64 holds these; decimal writes them
        (1.79e308, "upper", "1.8e+308"),
        (5e-324, "lower", "4.9e-324"),
        (5e-324, "upper", "5.0e-324"),
        (1.5e-323, "lower", "1.4e-323"),
        (-5e-324, "upper", "-4.9e-324"),
    ],
)
def test_bound_rounds_outwards(value: float, side: str, expected: str) -> None:
    assert bound(value, side, 2) == expected  # type: ignore[arg-type]


def test_bound_has_two_digits_by_default() -> None:
    assert bound(2.4696e-4, "lower") == "0.00024"
    assert bound(1.0779e-15, "upper") == "1.1e-15"


def test_bound_takes_numpy_numbers_that_convert_exactly() -> None:
    # float32(1.23) is 1.2300000190734863: up to 1.3, down to 1.2
    assert bound(np.float32(1.23), "upper") == "1.3"
    assert bound(np.float32(1.23), "lower") == "1.2"
    assert bound(np.int64(12345), "lower", np.int64(3)) == "1.23e+04"


def test_same_bits_names_a_ragged_argument() -> None:
    with pytest.raises(ValueError, match=r"^expected must") as caught:
        same_bits([1.0, 2.0], [[1.0], [1.0, 2.0]])
    assert str(caught.value) == (
        "expected must be a rectangular float64 array; got [[1.0], [1.0, 2.0]]"
    )


NOT_A_NUMBER = "value must be a finite number (int, float, or a numpy float of at most 64 bits)"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((float("nan"), "upper"), "value must be a finite number; got nan"),
        ((float("inf"), "lower"), "value must be a finite number; got inf"),
        (("0.5", "upper"), f"{NOT_A_NUMBER}; got '0.5'"),
        ((True, "upper"), f"{NOT_A_NUMBER}; got True"),
        ((np.longdouble(0.5), "upper"), f"{NOT_A_NUMBER}; got np.longdouble('0.5')"),
        ((0.5, "upper", np.True_), "digits must be an integer from 1 to 15; got np.True_"),
        ((10**400, "upper"), "value must be a finite number; got <int of 1329 bits>"),
        ((-(10**5000), "lower"), "value must be a finite number; got <negative int of 16610 bits>"),
        ((0.5, "above"), "side must be 'upper' or 'lower'; got 'above'"),
        ((0.5, "upper", 0), "digits must be an integer from 1 to 15; got 0"),
        ((0.5, "upper", 16), "digits must be an integer from 1 to 15; got 16"),
        ((0.5, "upper", 2.0), "digits must be an integer from 1 to 15; got 2.0"),
        # ints Python refuses to print (more than 4,300 digits) are given by their bits
        (
            (0.5, "upper", 10**5000),
            "digits must be an integer from 1 to 15; got <int of 16610 bits>",
        ),
        ((0.5, -(10**5000)), "side must be 'upper' or 'lower'; got <negative int of 16610 bits>"),
        (
            (0.5, np.array(["upper"])),
            "side must be 'upper' or 'lower'; got array(['upper'], dtype='<U5')",
        ),
        (([10**5000], "upper"), f"{NOT_A_NUMBER}; got [<int of 16610 bits>]"),
    ],
)
def test_bound_refuses_what_it_cannot_round(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        bound(*args)


# same_bits -------------------------------------------------------------------------------


def test_same_bits_tells_the_signs_of_zero_apart() -> None:
    assert same_bits([0.0, 1.5], [0.0, 1.5])
    assert not same_bits([0.0, 1.5], [-0.0, 1.5])
    assert not same_bits(-0.0, 0.0)
    assert same_bits(-0.0, -0.0)


def test_same_bits_needs_one_shape() -> None:
    assert not same_bits([1.0], [1.0, 1.0]), "broadcasting is not equality"
    assert not same_bits([[1.0, 2.0]], [1.0, 2.0])
    assert same_bits(np.ones((2, 3))[:, ::2], np.ones((2, 2))), "strides do not matter"


@pytest.mark.parametrize(
    ("actual", "expected", "name", "dtype"),
    [
        (np.array([1, 2]), [1.0, 2.0], "actual", "int64"),
        ([1.0], np.array([1.0], dtype=np.float32), "expected", "float32"),
        (np.array([True]), [1.0], "actual", "bool"),
        (3, 3.0, "actual", "int64"),
    ],
)
def test_same_bits_refuses_other_dtypes(actual: Any, expected: Any, name: str, dtype: str) -> None:
    with pytest.raises(
        ValueError, match=rf"^{name} must be float64 \(native byte order\); got dtype {dtype}$"
    ):
        same_bits(actual, expected)


@pytest.mark.parametrize("actual", [[1, 2], [True, 1.0], [True]])
def test_same_bits_names_a_list_s_entries_of_another_type(actual: list[object]) -> None:
    with pytest.raises(ValueError, match=r"^actual must hold float64 values") as caught:
        same_bits(actual, [1.0, 2.0])  # type: ignore[arg-type]
    assert str(caught.value) == (
        "actual must hold float64 values, not ints or other entries that numpy would "
        f"convert or keep as objects; got {actual!r}"
    )


float64_arrays = st.lists(st.floats(allow_nan=False, width=64), min_size=0, max_size=6).map(
    lambda values: np.array(values, dtype=np.float64)
)


@given(float64_arrays, float64_arrays)
def test_same_bits_agrees_with_the_bytes(first: np.ndarray, second: np.ndarray) -> None:
    by_bytes = first.shape == second.shape and first.tobytes() == second.tobytes()
    assert same_bits(first, second) == by_bytes
    assert same_bits(first, first.copy())


def test_bound_refuses_an_int_from_where_it_rounds_to_infinity() -> None:
    """Ints from 2**1024 - 2**970 round to inf as float64; the ones just below round to the max."""
    largest = int(sys.float_info.max)
    assert largest == 2**1024 - 2**971
    assert bound(largest + 2**970 - 1, "upper") == "1.8e+308"  # a true upper bound
    with pytest.raises(
        ValueError, match=r"^value must be a finite number; got <int of 1024 bits>$"
    ):
        bound(2**1024 - 2**970, "upper")


def test_same_bits_refuses_ints_that_numpy_would_round() -> None:
    # 2**53 + 1 rounds to 2**53 in float64, so converting would make them equal
    with pytest.raises(ValueError, match=r"^actual must") as caught:
        same_bits([2**53 + 1, 0.5], [2.0**53, 0.5])
    assert str(caught.value) == (
        "actual must hold float64 values, not ints or other entries that numpy would "
        "convert or keep as objects; got [9007199254740993, 0.5]"
    )
    with pytest.raises(ValueError, match=r"^actual must hold float64 values, not ints"):
        same_bits([np.array(2**53 + 1), 0.5], [2.0**53, 0.5])  # type: ignore[arg-type]
    # a 0-d float64 array in a list converts exactly, and is accepted
    assert same_bits([np.array(1.0), 2.0], [1.0, 2.0])  # type: ignore[arg-type]
    # a float32 in a list is refused as a float32 array is, though this one converts exactly
    with pytest.raises(ValueError, match=r"^actual must hold float64 values, not ints or other"):
        same_bits([np.float32(0.5), 2.0], [0.5, 2.0])  # type: ignore[arg-type]
    # ints in another sequence numpy reads are refused too
    with pytest.raises(ValueError, match=r"^actual must hold float64 values, not ints"):
        same_bits(collections.deque([2**53 + 1, 0.5]), [2.0**53, 0.5])
    with pytest.raises(ValueError, match=r"^actual must hold float64 values, not ints"):
        same_bits([collections.deque([2**53 + 1, 0.5])], [[2.0**53, 0.5]])
    # so is a float32 array inside a list
    with pytest.raises(ValueError, match=r"^actual must hold float64 values, not ints or other"):
        same_bits([np.array([0.5], dtype=np.float32), np.array([2.0])], [[0.5], [2.0]])
    with pytest.raises(ValueError, match=r"^expected must be float64 \(native byte order\)"):
        same_bits([0.5], np.array([0.5], dtype=">f8"))


def test_same_bits_names_the_entries_of_a_list_numpy_keeps_as_objects() -> None:
    # an int beyond 64 bits, or None, makes numpy keep the list as an object array:
    # the message shows the caller's list, where "dtype object" alone would not
    for kept in ([1.0, 2**70], [None, 1.0]):
        assert np.asarray(kept).dtype == object
        with pytest.raises(ValueError, match=r"^actual must hold float64 values") as caught:
            same_bits(kept, [1.0, 2.0])  # type: ignore[arg-type]
        assert str(caught.value) == (
            "actual must hold float64 values, not ints or other entries that numpy would "
            f"convert or keep as objects; got {kept!r}"
        )
    # an object array given as such is refused by its dtype, its entries unnamed
    with pytest.raises(
        ValueError, match=r"^expected must be float64 \(native byte order\); got dtype object$"
    ):
        same_bits([1.0], np.array([1.0], dtype=object))


def test_same_bits_reads_a_memoryview_whole() -> None:
    view = memoryview(np.array([[0.5, -0.0]]).tobytes()).cast("d", (1, 2))
    assert same_bits(view, np.array([[0.5, -0.0]]))
    assert not same_bits([view], np.array([[[0.5, 0.0]]]))  # type: ignore[arg-type]


def test_same_bits_refuses_a_masked_array_anywhere() -> None:
    # numpy would drop the mask, so a masked entry would compare by its hidden data
    masked = np.ma.array([1.0, 2.0], mask=[False, True])
    for actual in (masked, np.ma.masked, [masked], [np.ma.masked, 1.0]):
        with pytest.raises(ValueError, match=r"^actual must be a plain float64 array \(a masked"):
            same_bits(actual, [1.0, 2.0])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^expected must be a plain float64 array"):
        same_bits([1.0, 2.0], ([1.0, 2.0], masked))  # type: ignore[arg-type]
    # after an int, which is refused too: the mask first, as numpy would warn for it
    with pytest.raises(ValueError, match=r"^actual must be a plain float64 array \(a masked"):
        same_bits([1, np.ma.masked], [1.0, 1.0])  # type: ignore[arg-type]


class _GivesMasked:
    def __array__(self, dtype: object = None, copy: object = None) -> np.ndarray:
        return np.ma.array([1.0, 2.0], mask=[False, True])


def test_same_bits_refuses_an_array_like_that_gives_a_masked_array() -> None:
    for actual in (_GivesMasked(), [_GivesMasked()], collections.deque([np.ma.masked, 1.0])):
        with pytest.raises(ValueError, match=r"^actual must be a plain float64 array"):
            same_bits(actual, [1.0, 2.0])  # type: ignore[arg-type]


def test_same_bits_reads_an_array_like_once() -> None:
    # the checks and the comparison see one array: a second read could bring back a mask
    # that the checks never saw, and numpy would drop it
    given = Drifting([1.0, 2.0], np.ma.array([1.0, 99.0], mask=[False, True]))
    assert not same_bits(given, [1.0, 99.0])
    assert given.reads == 1
    inside = Drifting([1.0, 2.0], np.ma.array([1.0, 99.0], mask=[False, True]))
    assert same_bits([inside], [[1.0, 2.0]])
    assert inside.reads == 1


class _Unreadable:
    """A sequence whose every entry raises when read."""

    def __len__(self) -> int:
        return 2

    def __getitem__(self, index: int) -> object:
        raise KeyError(index)


def test_same_bits_leaves_numpy_to_refuse_what_it_cannot_read() -> None:
    # a list that holds itself is read down to numpy's deepest nesting, not forever
    looped: list[object] = []
    looped.append(looped)
    with pytest.raises(ValueError, match=r"^actual must be a rectangular float64 array; got"):
        same_bits(looped, [1.0])  # type: ignore[arg-type]
    with pytest.raises(
        ValueError, match=r"^actual must be float64 \(native byte order\); got dtype object$"
    ):
        same_bits(_Unreadable(), [1.0])  # type: ignore[arg-type]


def test_same_bits_reads_a_sequence_s_entries_once() -> None:
    entries = _IndexOnlyCounted([0.5, -0.0])
    assert same_bits(entries, [0.5, -0.0])  # type: ignore[arg-type]
    assert entries.reads == 2, "each of its two entries read once"


def test_source_digest_refuses_an_empty_path_and_odd_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^expected a package folder, got an empty path$"):
        source_digest("")
    folder = _package(tmp_path / "odd", {"a.py": "x = 1\n"})
    (folder / "sub.py").mkdir()  # a folder whose name ends in .py
    with pytest.raises(ValueError, match=r"sub\.py' is not a readable file$"):
        source_digest(folder)
    linked = _package(tmp_path / "linked", {"a.py": "x = 1\n"})
    (linked / "gone.py").symlink_to(tmp_path / "nowhere.py")  # a broken link
    with pytest.raises(ValueError, match=r"gone\.py' is not a readable file$"):
        source_digest(linked)


class _IndexOnly:
    """A sequence numpy reads by index alone (no __iter__), as Python's old protocol."""

    def __init__(self, values: list[object]) -> None:
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, index: int) -> object:
        return self.values[index]


class _IndexOnlyCounted(_IndexOnly):
    """A sequence read by index alone that counts the entries read."""

    reads = 0

    def __getitem__(self, index: int) -> object:
        entry = super().__getitem__(index)  # IndexError past the end: not a read
        self.reads += 1
        return entry


class _CountsIterations(collections.UserList[object]):
    """A list that counts how often it is iterated."""

    iterations = 0

    def __iter__(self) -> Iterator[object]:
        type(self).iterations += 1
        return super().__iter__()


def test_same_bits_iterates_a_sequence_once() -> None:
    _CountsIterations.iterations = 0  # the test may run more than once in a process
    assert same_bits(_CountsIterations([0.5, 1.0]), [0.5, 1.0])  # type: ignore[arg-type]
    assert _CountsIterations.iterations == 1, "read again, it could give other entries"


def test_same_bits_reads_a_sequence_by_index_as_numpy_does() -> None:
    # numpy rounds 2**53 + 1 to 2**53 in float64; the check sees the int
    with pytest.raises(ValueError, match=r"^actual must hold float64 values, not ints"):
        same_bits(_IndexOnly([1.0, 2**53 + 1]), [1.0, 2.0**53])  # type: ignore[arg-type]
    assert same_bits(_IndexOnly([1.0, -0.0]), [1.0, -0.0])  # type: ignore[arg-type]
    looped: list[object] = [1.0]
    looped.append(looped)
    with pytest.raises(ValueError, match=r"^actual must be a rectangular float64 array"):
        same_bits(looped, [1.0, 1.0])  # type: ignore[arg-type]


def test_source_digest_turns_an_os_error_into_its_value_error() -> None:
    with pytest.raises(ValueError, match=r"^expected a readable package folder, got 'aaaa"):
        source_digest("a" * 5000)  # longer than a file name may be


def test_glue_refuses_a_name_or_display_of_another_kind() -> None:
    with pytest.raises(ValueError, match=r"^name must be a non-empty str, got 3$"):
        glue(3, 4)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^name must be a non-empty str, got ''$"):
        glue("", 4)
    with pytest.raises(ValueError, match=r"^display must be a bool, got 'no'$"):
        glue("a", 4, display="no")  # type: ignore[arg-type]


def test_source_digest_refuses_a_folder_it_cannot_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # as a user without the right to list sub/: rglob would skip it silently
    folder = _package(tmp_path / "pkg", {"a.py": "x = 1\n", "sub/b.py": "y = 2\n"})
    listing = os.scandir

    def refuse_sub(path: Any = ".") -> Any:
        if Path(path).name == "sub":
            raise PermissionError(13, "Permission denied", str(path))
        return listing(path)

    monkeypatch.setattr(os, "scandir", refuse_sub)
    with pytest.raises(
        ValueError, match=r"^expected a readable package folder, .*Permission denied"
    ):
        source_digest(folder)


def test_source_digest_reads_a_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    folder = _package(tmp_path / "pkg", {"a.py": "x = 1\n"})
    before = source_digest(folder)
    (folder / os.fsdecode(b"\xff.py")).write_text("y = 2\n", encoding="utf-8")
    after = source_digest(folder)
    assert after != before
    assert len(after) == 64


@pytest.mark.parametrize("path", ["pkg\0x", "pkg\ud800"], ids=["NUL byte", "lone surrogate"])
def test_source_digest_refuses_a_path_the_file_system_cannot_take(path: str) -> None:
    with pytest.raises(ValueError, match=r"^expected a readable package folder, got 'pkg"):
        source_digest(path)


def test_same_bits_refuses_a_mapping_whose_keys_numpy_would_read() -> None:
    from zerograd import Layered  # noqa: PLC0415

    for mapping in (collections.UserDict({0.5: 99.0}), [Layered([np.zeros(1)], first=1)]):
        with pytest.raises(ValueError, match=r"^actual must be a float64 array, not a mapping"):
            same_bits(mapping, [0.5])  # type: ignore[arg-type]


def test_a_kernel_whose_code_is_rewritten_refuses_its_checks(
    in_build: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An AST transformer changes the code that runs (it could drop every assert) while
    # the cell's text, which the build judges, stays as it is.
    monkeypatch.setattr(in_build.shell, "ast_transformers", [object()], raising=False)
    message = (
        "claim page:name: IPython's ast_transformers are set, so the code that runs is "
        "not the code the build reads"
    )
    with pytest.raises(RuntimeError, match=f"^{re.escape(message)}$"), claim("page:name"):
        pass
    monkeypatch.setattr(in_build.shell, "ast_transformers", [], raising=False)
    with claim("page:name"):
        ran = True
    assert ran
