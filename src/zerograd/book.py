"""The helpers the book's pages use: ``glue``, ``claim``, ``bound`` and ``same_bits``.

``glue`` puts a value into the text, ``claim`` checks a claim, ``bound``
writes a number the text calls a bound so that rounding keeps it one, and
``same_bits`` compares two results bit for bit where the text says so.

A page of the book declares each claim in its prose (a ``claim`` directive,
see ``docs/_ext/claims.py``) and checks it in a code cell::

    from zerograd.book import claim, glue

    with claim("one-sample:forces-zero"):
        assert not g.W[1].any(), f"dL/dW^(1) = {g.W[1]} is not zero"

The ``with`` block is one check of the claim named by its full id,
``<page>:<short-name>``. When the block ends normally the check passed; when
it raises an ``Exception``, the check failed, and :class:`ClaimError` (an
``AssertionError`` whose message starts with the claim id) is raised in its
place. ``KeyboardInterrupt`` and ``SystemExit`` pass through unrecorded: they
are not a verdict.

While the book is being built, each check also leaves a record in the cell's
outputs (one per claim, cell run and place of the ``with``: the cell whose code
holds it and its line there, however often it ran), through
myst-nb's own ``glue(..., display=False)``: myst-nb takes such outputs out of
the page and out of the published notebook, and the build reads them to bind
every claim to the checks that ran. Outside a build (a reader
running a downloaded notebook in Jupyter) nothing is recorded: a passing check
is silent and a failing one raises, so the claim machinery adds no
dependency: a page's notebook needs zerograd, numpy, matplotlib and a kernel,
and what the page itself imports (SymPy on the pages with symbolic checks, mpmath on
those with high-precision ones) or reads (the records of
*How we know this is right*). The same holds for :func:`glue`, which needs
myst-nb only to paste values into a built page.

The module imports numpy and the standard library; IPython and myst-nb are
imported when they are needed, and only if they are installed.
"""

from __future__ import annotations

import decimal
import fractions
import hashlib
import itertools
import json
import linecache
import math
import numbers
import os
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import CodeType, FrameType, TracebackType
from typing import Any, Final, Literal, Self

import numpy as np
import numpy.typing as npt

from zerograd._checks import (
    hidden_entry,
    int_text,
    is_bool,
    message_of,
    read_once,
    short_repr,
)

__all__ = [
    "BUILD_VARIABLE",
    "CHECK_KEY_PREFIX",
    "CheckRecord",
    "ClaimCheck",
    "ClaimError",
    "bound",
    "claim",
    "glue",
    "same_bits",
    "source_digest",
]

BUILD_VARIABLE: Final = "ZEROGRAD_BOOK_BUILD"
"""The environment variable the book's build sets, so that its kernels record checks.

The extension ``docs/_ext/claims.py`` sets it in the Sphinx process; the kernels
that myst-nb starts inherit it. A reader's own kernel does not have it.
"""

CHECK_KEY_PREFIX: Final = "zerograd-claim-check-"
"""The start of the glue key of every check record; a counter follows it."""

SHORT_NAME: Final = r"[a-z0-9]+(?:-[a-z0-9]+)*"
"""A claim's short name: lowercase letters and digits, in words joined by hyphens."""

CLAIM_ID: Final = re.compile(
    rf"(?P<page>[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*):(?P<name>{SHORT_NAME})"
)
"""A full claim id: the page's document name (its path without ``.md``), a colon, the short name."""

_check_numbers = itertools.count(1)


class ClaimError(AssertionError):
    """A check of a claim failed; the message starts with the claim's full id.

    Parameters
    ----------
    claim_id : str
        The full id of the claim, ``<page>:<short-name>``.
    message : str
        What went wrong: the failed assert's message, or the type and message of
        any other exception the block raised.

    Examples
    --------
    >>> error = ClaimError(
    ...     "one-sample:forces-zero", "dL/dW^(1) = [0.5] is not zero"
    ... )
    >>> str(error)
    'one-sample:forces-zero: dL/dW^(1) = [0.5] is not zero'
    >>> isinstance(error, AssertionError)
    True
    """

    def __init__(self, claim_id: str, message: str) -> None:
        super().__init__(f"{claim_id}: {message}")
        self.claim_id = claim_id
        self.message = message


@dataclass
class CheckRecord:
    """What one check of a claim leaves for the build: which claim, where, and the outcome.

    A ``with claim(...)`` block that runs many times in one cell (in a loop) is
    one check with many runs: the kernel tallies them and leaves one record
    when the cell has finished, so that a loop of a thousand runs sends one
    output, not a thousand.

    Attributes
    ----------
    claim : str
        The full id of the claim checked.
    runs : int
        How many times the ``with`` block ran in the cell.
    failed : int
        How many of those runs ended with an exception (at most one: a failure
        stops the cell).
    message : str or None
        Why the first failed run failed; ``None`` when every run passed.
    line : int
        The line of the ``with claim(...)`` statement within the code that holds it
        (1 is the first).
    execution_count : int or None
        The execution count of the cell that ran the check in its kernel (``In [n]``),
        or ``None`` outside IPython. The build maps it to the cell's line in the page.
    library_version : str
        ``zerograd.__version__`` as imported by the kernel.
    library_sha256 : str
        :func:`source_digest` of the zerograd package the kernel imported.
    defined_in : int or None
        The execution count of the cell whose code holds the ``with`` (the cell that
        defined the function, for a ``with`` in a function that a later cell calls), or
        ``None`` when that code is not a cell's (a module, a string run by ``exec``, the
        body of a cell magic). The build looks for the ``with`` in that cell alone.
    code_sha256 : str or None
        The SHA-256 of that code as IPython compiled it (without leading or trailing
        whitespace), or ``None`` with ``defined_in``. The build places the record only
        in a cell whose code, turned into Python as IPython turns it, has this digest:
        an execution count alone can name another cell's code (a nested
        ``run_cell(..., store_history=True)`` takes a count of its own).
    """

    claim: str
    runs: int
    failed: int
    message: str | None
    line: int
    execution_count: int | None
    library_version: str
    library_sha256: str
    defined_in: int | None = None
    code_sha256: str | None = None

    @property
    def passed(self) -> bool:
        """Whether every run passed."""
        return self.failed == 0

    def as_json(self) -> dict[str, Any]:
        """The record as a JSON-ready dict, keyed by the attribute names.

        Returns
        -------
        dict
            ``{"claim": ..., "runs": ..., "failed": ..., "message": ..., "line": ...,
            "execution_count": ..., "library_version": ..., "library_sha256": ...,
            "defined_in": ..., "code_sha256": ...}``.
        """
        return {
            "claim": self.claim,
            "runs": self.runs,
            "failed": self.failed,
            "message": self.message,
            "line": self.line,
            "execution_count": self.execution_count,
            "library_version": self.library_version,
            "library_sha256": self.library_sha256,
            "defined_in": self.defined_in,
            "code_sha256": self.code_sha256,
        }

    def __repr__(self) -> str:
        """The record as one line of JSON: its ``text/plain`` display, which glue stores.

        (An ``application/json`` display would not do: myst-nb's hidden glue
        renames the MIME type, and nbformat then refuses a JSON object under it.)
        """
        return json.dumps(self.as_json(), sort_keys=True)


def _is_path(value: object) -> bool:
    """Whether ``value`` names a path as ``pathlib.Path`` takes it.

    A str, or an os.PathLike of a str: ``pathlib.Path`` refuses one of bytes (an
    ``os.DirEntry`` from ``os.scandir(b".")``).
    """
    if isinstance(value, str):
        return True
    try:
        return isinstance(value, os.PathLike) and isinstance(os.fspath(value), str)
    except Exception:  # noqa: BLE001  a __fspath__ that raises names no path
        return False


def _python_files(root: Path) -> list[Path]:
    """Each path named ``*.py`` under ``root`` (symbolic links to folders not followed).

    Raises the :class:`OSError` of a folder that cannot be read, which
    :meth:`pathlib.Path.rglob` would skip without a word.
    """

    def refuse(error: OSError) -> None:
        raise error

    found: list[Path] = []
    for folder, folders, names in os.walk(root, onerror=refuse):
        found += [Path(folder, name) for name in (*folders, *names) if name.endswith(".py")]
    return found


def source_digest(package: Path | str) -> str:
    """SHA-256 of a package's Python source, the same wherever the package lies.

    Every ``*.py`` file under ``package`` is hashed in order of its relative path
    (POSIX separators), each as its relative path, a NUL byte, its length in
    bytes (in decimal), a NUL byte and its bytes; the lengths keep the framing
    unambiguous whatever a file holds. A change to any file's content, name or
    presence changes the digest.

    Parameters
    ----------
    package : pathlib.Path or str
        The folder of the package, for example ``src/zerograd``.

    Returns
    -------
    str
        64 hexadecimal digits.

    Raises
    ------
    ValueError
        If ``package`` is not a path (a ``str``, or a :class:`os.PathLike` of one),
        is empty, or is not a folder with at least one ``*.py`` file; or if a
        ``*.py`` under it is not a regular file (a folder, a broken link), or
        the folder or a file cannot be read (an :class:`OSError`, such as a
        name too long for the file system, or a path the file system cannot
        take: a NUL byte, a lone surrogate).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "a.py").write_text("x = 1")
    ...     first = source_digest(folder)
    ...     _ = (Path(folder) / "a.py").write_text("x = 2")
    ...     first != source_digest(folder), len(first)
    (True, 64)
    """
    if not _is_path(package):
        msg = f"expected a package folder as a str or a path, got {type(package).__name__}"
        raise ValueError(msg)
    if not os.fspath(package):  # Path("") would be the current folder
        msg = "expected a package folder, got an empty path"
        raise ValueError(msg)
    root = Path(package)
    try:
        files = sorted(_python_files(root), key=lambda path: path.relative_to(root).as_posix())
        odd = [path for path in files if not path.is_file()]  # a folder, a broken link
        contents = [] if odd else [path.read_bytes() for path in files]
    except (OSError, ValueError) as error:  # too long, unreadable; a NUL, a lone surrogate
        reason = error.strerror if isinstance(error, OSError) else str(error)
        msg = f"expected a readable package folder, got {short_repr(str(root))}: {reason}"
        raise ValueError(msg) from error
    if odd:
        msg = f"expected *.py files under {str(root)!r}; {str(odd[0])!r} is not a readable file"
        raise ValueError(msg)
    if not files:
        msg = f"expected a package folder with *.py files, got {str(root)!r}, which has none"
        raise ValueError(msg)
    digest = hashlib.sha256()
    for path, content in zip(files, contents, strict=True):
        # the name's own bytes, also where it is not valid UTF-8
        digest.update(os.fsencode(path.relative_to(root).as_posix()) + b"\0")
        digest.update(str(len(content)).encode() + b"\0" + content)
    return digest.hexdigest()


@cache
def _library() -> tuple[str, str]:
    """The version and source digest of the zerograd the kernel imported, computed once."""
    import zerograd  # noqa: PLC0415  (the package's own __init__ must not import this module)

    version = str(getattr(zerograd, "__version__", "unknown"))
    return version, source_digest(Path(zerograd.__file__).parent)


def _ipython_shell() -> Any:
    """The running IPython shell, or ``None`` outside IPython or without it installed."""
    if "IPython" not in sys.modules:
        return None  # IPython is always imported before a shell can run
    from IPython import get_ipython  # noqa: PLC0415

    return get_ipython()


def _myst_nb_glue() -> Any:
    """myst-nb's own ``glue``, or ``None`` when myst-nb is not installed."""
    try:
        from myst_nb import glue as myst_glue  # noqa: PLC0415
    except ImportError:
        return None
    return myst_glue


def glue(name: str, value: object, display: bool = True) -> None:
    """Make ``value`` available to the page's text under ``name``, as myst-nb's ``glue`` does.

    In the kernels of the book's build (which sets ``ZEROGRAD_BOOK_BUILD``),
    this is ``myst_nb.glue``: the page pastes the value with
    ``{glue:text}`name``` and the like. Anywhere else there is nothing to paste
    into, so the value is shown when ``display`` is true (through IPython's
    display in a kernel, as its ``repr`` otherwise) and nothing happens when it
    is false. myst-nb's hidden records are left out of a reader's own kernel
    even where myst-nb is installed, because Jupyter front ends print "No
    renderer could be found" for them.

    Parameters
    ----------
    name : str
        The key the page uses to paste the value; unique within the page.
    value : object
        The value; what is stored is its display (``repr``, HTML, image...).
    display : bool, optional
        Whether to show the value where it is glued, as well as storing it
        (the default).

    Examples
    --------
    Outside a kernel, a shown value is printed and a hidden one is not:

    >>> glue("hidden_units", 3)
    3
    >>> glue("hidden_units", 3, display=False)

    Raises
    ------
    ValueError
        If ``name`` is not a non-empty ``str``, or ``display`` not a bool.
    """
    given: tuple[object, object] = (name, display)  # as called, whatever the hints say
    if not isinstance(given[0], str) or not name:
        msg = f"name must be a non-empty str, got {short_repr(name)}"
        raise ValueError(msg)
    if not is_bool(given[1]):
        msg = f"display must be a bool, got {short_repr(display)}"
        raise ValueError(msg)  # the book's helpers raise ValueError, not TypeError
    shell = _ipython_shell()
    in_build = shell is not None and os.environ.get(BUILD_VARIABLE)
    myst_glue = _myst_nb_glue() if in_build else None
    if myst_glue is not None:
        myst_glue(name, value, display=display)
    elif display and shell is not None:
        from IPython.display import display as show  # noqa: PLC0415

        show(value)
    elif display:
        print(repr(value))  # noqa: T201  (what a plain Python session shows)


_tally: dict[tuple[str, int | None, int | None, str | None, int], CheckRecord] = {}
"""The checks of the running cell, by (claim, execution count, defining cell, its code's
digest, line), not yet sent."""
_hooked: set[int] = set()
"""The shells (by ``id``) on which :func:`_send_tally` runs after each cell."""


def _send_tally(result: object = None) -> None:
    """Send each tallied check as one hidden glue output of the cell that ran it.

    IPython calls this after each cell it runs (``post_run_cell``), a cell that ended in
    an error too. ``result`` is that run's ``ExecutionResult``. A cell run by another
    cell, as ``%%capture`` runs its body, stores no history: what it sent would be an
    output of that magic, which ``%%capture`` swallows, so the tally waits for the
    page's own cell to end.
    """
    info = getattr(result, "info", None)
    if info is not None and not getattr(info, "store_history", True):
        return
    myst_glue = _myst_nb_glue()
    while _tally:
        _, check = _tally.popitem()
        if myst_glue is not None:
            myst_glue(f"{CHECK_KEY_PREFIX}{next(_check_numbers)}", check, display=False)


def _record(
    claim_id: str, line: int, defined_in: int | None, code_sha256: str | None, message: str | None
) -> None:
    """Tally one run of a check; only in a kernel of the book's build.

    The tally is sent after the cell, from IPython's ``post_run_cell`` event
    (as matplotlib's inline backend sends its figures), which IPython triggers after a
    cell that failed as well; see :func:`_send_tally`.
    """
    shell = _ipython_shell()
    if not os.environ.get(BUILD_VARIABLE) or shell is None or _myst_nb_glue() is None:
        return
    if id(shell) not in _hooked:
        shell.events.register("post_run_cell", _send_tally)
        _hooked.add(id(shell))
    count = _running_count(shell)
    # the defining cell and its code are in the key, so that two blocks at one line of
    # two codes (a cell's and a module's, say) stay two records, each placed or refused
    # on its own
    key = (claim_id, count, defined_in, code_sha256, line)
    if key not in _tally:
        version, digest = _library()
        _tally[key] = CheckRecord(
            claim_id, 0, 0, None, line, count, version, digest, defined_in, code_sha256
        )
    check = _tally[key]
    check.runs += 1
    if message is not None:
        check.failed += 1
        check.message = check.message or message


def _running_count(shell: Any) -> int | None:
    """The execution count of the cell ``shell`` is running, or ``None`` if it keeps none.

    IPython counts the running cell before running it, so the running cell's number
    (its In [n]) is one less; ipykernel's execute reply does the same.
    """
    count = getattr(shell, "execution_count", None)
    return count - 1 if isinstance(count, int) else None


def _with_frame(frame: FrameType) -> FrameType:
    """``frame``, or under ``nox -s mutation`` the first frame above mutmut's trampoline.

    mutmut's trampoline (in the mutmut package) sits between a helper and its caller.
    """
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith("mutmut."):
        frame = frame.f_back
    return frame


class ClaimCheck:
    """One check of one claim: a context manager, made by :func:`claim`, for one ``with``.

    The check is placed where its ``with`` runs: entering it takes the line of the
    ``with`` and the cell whose code holds it from the frame that runs the ``with``,
    not from where :func:`claim` was called. Where that frame called :func:`claim` in
    the statement itself (before the instruction that enters the ``with``, within the
    lines of that instruction), the line is that of the ``claim(...)`` call, which the
    build looks for: Python 3.11 enters a ``with`` split over lines at the line of its
    ``with`` keyword. A check made in one pass of a loop and entered by another ``with``
    in a later pass is that other ``with``'s, wherever it was made.

    Parameters
    ----------
    claim_id : str
        The full id of the claim, ``<page>:<short-name>``.

    Attributes
    ----------
    line : int
        The line of the ``with`` statement in its code, reported with the check; 0
        until the check is entered.
    defined_in : int or None
        The execution count of the cell whose code holds the ``with``, ``None`` if that
        code is not a cell's (see :class:`CheckRecord`).
    """

    def __init__(self, claim_id: str) -> None:
        self.claim_id = claim_id
        self.line = 0
        self.defined_in: int | None = None
        self.code_sha256: str | None = None
        self._entered = False
        # the code, frame id, line and instruction offset of the claim(...) call, set by
        # claim()
        self._made: tuple[CodeType, int, int, int] | None = None

    def __enter__(self) -> Self:
        """Start the check at the ``with`` that runs it.

        Raises
        ------
        ValueError
            If the check was entered before: a second ``with`` of it would be recorded
            as the first one's, and its block would not be judged.
        RuntimeError
            If a book build runs Python with asserts removed (``-O``,
            ``PYTHONOPTIMIZE``): every check would pass without testing; or if its
            kernel has ``IPYKERNEL_CELL_NAME`` set, under which ipykernel gives every
            cell's code one name, so that the build could not tell which code holds a
            check; or if IPython's ``ast_transformers`` are set, which change the code
            that runs (they could remove the asserts) from the code the build judges.
        """
        if self._entered:
            msg = (
                f"claim {self.claim_id}: a claim(...) check is used by one `with`; "
                "write `with claim(...)` again"
            )
            raise ValueError(msg)
        self._entered = True
        if os.environ.get(BUILD_VARIABLE) and "IPYKERNEL_CELL_NAME" in os.environ:
            msg = (
                f"claim {self.claim_id}: IPYKERNEL_CELL_NAME is set in the kernel, which "
                "gives every cell's code one name, so the build cannot place a check"
            )
            raise RuntimeError(msg)
        if os.environ.get(BUILD_VARIABLE) and getattr(_ipython_shell(), "ast_transformers", None):
            msg = (
                f"claim {self.claim_id}: IPython's ast_transformers are set, so the code "
                "that runs is not the code the build reads"
            )
            raise RuntimeError(msg)
        if sys.flags.optimize and os.environ.get(BUILD_VARIABLE):
            msg = (
                f"claim {self.claim_id}: Python runs with asserts removed (-O, "
                "PYTHONOPTIMIZE), so a check would pass without testing"
            )
            raise RuntimeError(msg)
        frame = _with_frame(sys._getframe(1))  # the frame that runs the `with`
        self.line = frame.f_lineno
        made = self._made
        # a `with claim(...)`: its frame made the check, in the statement that enters it
        if (
            made is not None
            and made[:2] == (frame.f_code, id(frame))
            and _in_statement(frame, *made[2:])
        ):
            self.line = made[2]
        self.defined_in = _cell_of(frame.f_code.co_filename)
        self.code_sha256 = None if self.defined_in is None else _code_digest(frame.f_code)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if error is not None and not isinstance(error, Exception):
            return  # KeyboardInterrupt, SystemExit: not a verdict on the claim
        message = None
        # a message whose __str__ fails: the check failed all the same, and is recorded
        text = "" if error is None else message_of(error)
        if text is None:
            text = "<a message that could not be shown>"
        if isinstance(error, AssertionError) and text:
            message = text
        elif isinstance(error, AssertionError):
            message = "an assert without a message failed"
        elif error is not None:
            message = f"{type(error).__name__}: {text}"
        _record(self.claim_id, self.line, self.defined_in, self.code_sha256, message)
        if message is not None:
            raise ClaimError(self.claim_id, message) from error


def claim(claim_id: str) -> ClaimCheck:
    """Check the claim ``claim_id``: the ``with`` block that follows is one check of it.

    The block passes when it ends normally. If it raises an ``Exception`` (an
    ``assert`` that fails, or any other), the check failed and
    :class:`ClaimError` is raised from that exception, with a message that
    starts with the claim id; ``KeyboardInterrupt`` and ``SystemExit`` pass
    through unrecorded.
    During the book's build every check, passed or failed, is recorded for the
    ledger; see the module's docstring.

    Parameters
    ----------
    claim_id : str
        The claim's full id, ``<page>:<short-name>``: the document name of the
        page that declares it and the short name of its ``claim`` directive,
        e.g. ``"one-sample:forces-zero"``.

    Returns
    -------
    ClaimCheck
        The context manager of the check.

    Raises
    ------
    ValueError
        If ``claim_id`` is not of the form ``<page>:<short-name>``.

    Examples
    --------
    >>> with claim("one-sample:forces-zero"):
    ...     assert 0.0 == 0.0, "not zero"
    >>> with claim("one-sample:forces-zero"):
    ...     assert 0.5 == 0.0, "dL/dW^(1) = 0.5 is not zero"
    Traceback (most recent call last):
    ...
    zerograd.book.ClaimError: one-sample:forces-zero: dL/dW^(1) = 0.5 is not
    zero
    >>> claim("forces-zero")
    Traceback (most recent call last):
    ...
    ValueError: expected a claim id '<page>:<short-name>' ..., got 'forces-zero'
    """
    given: object = claim_id  # the caller's code may be untyped
    if not (isinstance(given, str) and CLAIM_ID.fullmatch(given)):
        msg = (
            "expected a claim id '<page>:<short-name>' (the page's document name, a colon, "
            "then lowercase letters, digits and hyphens, e.g. 'one-sample:forces-zero'), "
            f"got {short_repr(claim_id)}"
        )
        raise ValueError(msg)
    caller = _with_frame(sys._getframe(1))
    check = ClaimCheck(claim_id)
    check._made = (caller.f_code, id(caller), caller.f_lineno, caller.f_lasti)
    return check


def _in_statement(frame: FrameType, line: int, offset: int) -> bool:
    """Whether a call at ``line`` and ``offset`` of ``frame`` is in the ``with`` it enters.

    ``offset`` is the call's instruction, as ``f_lasti`` counts it. The call ran before
    the instruction that enters the ``with`` (``frame.f_lasti``), and on a line of that
    instruction's span, which is the ``with`` statement's (its header, split over lines
    or not, and its body). The order rules out a check made in the body or further down;
    the span, one made on another line in an earlier pass of a loop.
    """
    if offset >= frame.f_lasti:
        return False
    # one position per code unit of two bytes; f_lasti counts bytes
    positions = itertools.islice(frame.f_code.co_positions(), frame.f_lasti // 2, None)
    start, end, _, _ = next(positions, (None, None, None, None))
    return start is not None and end is not None and start <= line <= end


def _cell_of(filename: str) -> int | None:
    """The execution count of the cell that IPython compiled as ``filename``, if any.

    IPython's compiler names each cell's code and maps that name to the cell's execution
    count (its tracebacks say ``Cell In[3]`` from the same map); a module's file, or the
    ``<string>`` of ``exec``, is not in it. ipykernel names a cell by a hash of its
    code, so two cells with the same code share the later one's count: their blocks are
    the same code at the same lines. A count above the running cell's is not the cell's:
    the body of ``%%capture`` is compiled under the next cell's count. Code that IPython
    runs apart from the page's cells (the body of ``%%capture``, a string given to
    ``run_cell``) may have the count of a page cell whose code is another; the record's
    :func:`_code_digest` tells the build so.
    """
    shell = _ipython_shell()
    names = getattr(getattr(shell, "compile", None), "_filename_map", None)
    count = names.get(filename) if isinstance(names, dict) else None
    running = _running_count(shell)
    if not isinstance(count, int) or (running is not None and count > running):
        return None
    return count


def _code_digest(code: CodeType) -> str:
    """The SHA-256 of the cell code that ``code`` was compiled from, stripped.

    IPython keeps each cell's code, as it compiled it, in :mod:`linecache` under the
    cell's name; the build digests a page cell's code turned into Python the same way.
    """
    text = "".join(linecache.getlines(code.co_filename)).strip()
    return hashlib.sha256(text.encode()).hexdigest()


def _is_number(value: object, kinds: type | tuple[type, ...]) -> bool:
    """Whether ``value`` is one of ``kinds``: not a bool or a numpy timedelta64.

    Python counts a bool as an int, and numpy a timedelta64 as an integer.
    """
    return isinstance(value, kinds) and not isinstance(value, bool | np.timedelta64)


def bound(
    value: float | np.floating[Any] | np.integer[Any],
    side: Literal["upper", "lower"],
    digits: int | np.integer[Any] = 2,
) -> str:
    r"""``value`` with ``digits`` significant digits, rounded outwards so that it stays a bound.

    A page that writes ``at most {glue:text}`worst``` needs the printed number to
    be at least the value, and "at least ..." needs it to be at most the value;
    rounding to nearest, as ``format(value, ".2g")`` does, can put the printed
    number on the wrong side. ``side="upper"`` rounds up (towards
    :math:`+\infty`), ``side="lower"`` rounds down, from the exact value of the
    float.

    Parameters
    ----------
    value : float
        A finite number: a float, or an int that float64 holds (a numpy
        integer, or a numpy float of at most 64 bits, which convert exactly,
        too).
    side : {"upper", "lower"}
        Whether the text bounds the value from above ("at most", "below") or
        from below ("at least", "above").
    digits : int, optional
        Significant digits, 1 to 15 (2 by default); a numpy integer too.

    Returns
    -------
    str
        The rounded number, written as ``format(x, f".{digits}g")`` writes it
        (as :mod:`decimal` writes it where no float64 holds it: beyond
        float64's largest, or finer than a subnormal's spacing).

    Raises
    ------
    ValueError
        If ``value`` is not a finite number (an int that rounds to infinity as
        a float64, from :math:`2^{1024} - 2^{970}` on, included), ``side`` is
        neither ``"upper"`` nor ``"lower"``, or ``digits`` is not an integer
        from 1 to 15.

    Examples
    --------
    >>> bound(1.0779e-15, "upper"), format(1.0779e-15, ".2g")
    ('1.1e-15', '1.1e-15')
    >>> bound(1.0249e-15, "upper"), format(1.0249e-15, ".2g")
    ('1.1e-15', '1e-15')
    >>> bound(2.4696e-4, "lower"), format(2.4696e-4, ".2g")
    ('0.00024', '0.00025')
    """
    given: object = side  # the caller's code may be untyped
    if not (isinstance(given, str) and given in ("upper", "lower")):
        msg = f"side must be 'upper' or 'lower'; got {short_repr(side)}"
        raise ValueError(msg)
    if not _is_number(digits, numbers.Integral) or not 1 <= int(digits) <= 15:
        msg = f"digits must be an integer from 1 to 15; got {short_repr(digits)}"
        raise ValueError(msg)
    places = int(digits)  # a numpy integer too
    # numpy floats of at most 64 bits and numpy integers convert exactly; a longer
    # float would be rounded, and the bound with it.
    number: float | None = None
    if _is_number(value, float) or (isinstance(value, np.floating) and value.dtype.itemsize <= 8):
        number = float(value)
    elif _is_number(value, numbers.Integral):
        number = int(value)
    if number is None:
        msg = (
            "value must be a finite number (int, float, or a numpy float of at most "
            f"64 bits); got {short_repr(value)}"
        )
        raise ValueError(msg)
    try:
        finite = math.isfinite(number)
    except OverflowError:  # an int that rounds to infinity; not repr'd, it may be huge
        msg = f"value must be a finite number; got {int_text(int(number))}"
        raise ValueError(msg) from None
    if not finite:
        msg = f"value must be a finite number; got {number!r}"
        raise ValueError(msg)
    if number == 0:
        return format(0.0, f".{places}g")
    # a unit in the last printed digit, from the exact decimal exponent of the float
    exponent = decimal.Decimal(number).adjusted() - places + 1
    units = fractions.Fraction(number) / fractions.Fraction(10) ** exponent
    count = math.ceil(units) if side == "upper" else math.floor(units)
    rounded = decimal.Decimal(f"{count}e{exponent}")  # exact, whatever the decimal context
    as_float = format(float(rounded), f".{places}g")  # float's 1.2e+02, not decimal's 1.2e+2
    if decimal.Decimal(as_float) == rounded:
        return as_float
    # no float64 is that number: finer than a subnormal's spacing, or past float64's largest
    return format(rounded, f".{places}g")


def same_bits(actual: npt.ArrayLike, expected: npt.ArrayLike) -> bool:
    """Whether two float64 results have one shape and the same bits in each entry.

    ``==`` counts ``0.0`` and ``-0.0`` as equal, so a check that compares with
    ``==`` backs "equal", not "bit for bit"; this compares the bits, sign of
    zero included (and NaNs by their bits).

    Parameters
    ----------
    actual, expected : array_like of float64
        Python floats are float64; other dtypes (a float64 array in the other
        byte order too), and lists holding ints or numpy values of another
        dtype, are refused rather than converted, which could make unequal
        values equal.

    Returns
    -------
    bool

    Raises
    ------
    ValueError
        If either is not a rectangular array of dtype float64, or is or holds
        a masked array (whose mask numpy would drop) or a mapping (whose keys
        numpy would read).

    Examples
    --------
    >>> import numpy as np
    >>> bool(np.array_equal([0.0, 1.0], [-0.0, 1.0]))
    True
    >>> same_bits([0.0, 1.0], [-0.0, 1.0])
    False
    >>> same_bits(np.array([0.5, -0.0]), [0.5, -0.0])
    True
    """
    arrays = []
    for name, given in (("actual", actual), ("expected", expected)):
        # read once: an array-like (or a sequence) read again may give other entries,
        # which the checks below would not have seen
        entries = read_once(given)
        # numpy would drop a mask (and warn for a masked constant), and turn a list that
        # mixes ints, or other floats, with floats into float64, rounding the ints
        hidden = hidden_entry(entries, bools=True, float64=True)
        if hidden is not None and hidden.masked:
            msg = (
                f"{name} must be a plain float64 array (a masked array's mask would be "
                f"ignored); got {short_repr(given)}"
            )
            raise ValueError(msg)
        if hidden is not None and hidden.mapping:
            msg = (
                f"{name} must be a float64 array, not a mapping or one holding a mapping "
                f"(numpy would read its keys); got {short_repr(given)}"
            )
            raise ValueError(msg)
        try:
            array = np.asarray(entries)
        except (ValueError, TypeError):  # ragged nesting: numpy's message names neither
            msg = f"{name} must be a rectangular float64 array; got {short_repr(given)}"
            raise ValueError(msg) from None
        if hidden is not None and hidden.where:
            # an entry of another dtype inside a sequence, named before the dtype of the
            # whole: numpy converts it to float64, or makes an object array that "dtype
            # object" alone would not explain
            msg = (
                f"{name} must hold float64 values, not ints or other entries that numpy "
                f"would convert or keep as objects; got {short_repr(given)}"
            )
            raise ValueError(msg)
        if array.dtype != np.float64:  # the bits are compared as native uint64
            msg = f"{name} must be float64 (native byte order); got dtype {array.dtype}"
            raise ValueError(msg)
        arrays.append(array)
    first, second = arrays
    return first.shape == second.shape and bool(
        np.array_equal(first.view(np.uint64), second.view(np.uint64))
    )
