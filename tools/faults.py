"""Fault injection: plant realistic bugs in a copy of zerograd and check that both nets catch them.

Each :class:`Fault` is one small textual edit to a file under ``src/zerograd/``:
an ``old`` snippet that must occur exactly once, and the ``new`` snippet that
replaces it. The edits are made in a temporary copy of the project, never in
the working tree. For every fault the copy's test suite runs (``pytest -x``
on ``tests/``, then the library's doctests) and the copy's book pages that can
see the fault are executed. A fault is caught

* by the tests when pytest exits with status 1 (tests failed); the failing
  tests are read from pytest's JUnit XML report (``--junitxml``), and
* by the book when a claim's check fails or a page fails to execute outside any
  check: each of these fails the book's build (``docs/_ext/claims.py``) and names
  the claim or the page, as the build's ledger would. The verdict is read from the
  claim records the checks leave (``zerograd.book``), never from a log. A claim
  left with no check that ran fails the build too, but names no failed check; as
  when the verdict came from whole builds, it is reported and not counted.

The book is not built for each fault. First the unmodified copy's pages are
executed once, the way the build executes them (``tools/pages.py``: myst-nb's
reader and executor), recording which library functions each page's kernel
calls. A fault is an edit inside one function (:meth:`Fault.function`), and a
page that never calls that function runs exactly as before, so for each fault
only the pages that call it are executed again; an edit at module level runs
every page. A fault in a function that no page calls is missed by the book, and
the results say why. That a failed check fails the real build is shown by
``tests/build/test_claims.py``.

Without ``--update``, each check starts where the committed results say the
fault was caught: the test named first runs alone before the suite, and the
pages that caught it run before the other pages that call the function; what
follows runs only if nothing failed. The verdict does not depend on the order,
so the comparison with the committed verdicts is as strict as a full run, but
the evidence in ``docs/_build/faults/`` is then what the first catch found.
``--update`` runs everything, so the committed record names every failing claim.

Before any fault, the unmodified copy must pass both checks, or every fault
would look caught. The results go to ``docs/_build/faults/`` as JSON and
Markdown, with one log per check. ``--update`` also writes the committed copy
``docs/_static/faults.json`` that the page *How we know this is right* shows,
but only when every fault was caught twice: the page asserts that, so a record with a hole
would break the very builds a fault run starts from.

The cells of that page that show the results read the committed JSON, do
not import this module, and use of the library only the book's ``claim`` and
``glue`` helpers and the names of its files, so a fault planted in the copy
(an edit of a file's text) cannot change them: they neither catch a fault nor hide one, and a fault run
does not depend on its own results.

Run it as ``nox -s faults`` (add ``-- --update`` to refresh the committed
results, ``-- --only NAME ...`` for a few faults, ``-- --list`` for the
catalogue). The exit status is 1 when a fault escapes either net or the
committed results are stale, and 2 when the unmodified copy fails.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = Path("src") / "zerograd"
RESULTS = ROOT / "docs" / "_build" / "faults"
COMMITTED = ROOT / "docs" / "_static" / "faults.json"
SOURCE_DATE_EPOCH = "1700000000"
SPHINX_FLAGS = ("-W", "--keep-going", "-n", "-T")
"""The flags of ``nox -s docs``; the number of processes is chosen per run."""
CHECK_TIMEOUT = 1200.0
"""Seconds one check may take before the run gives up on it as broken."""
COPIED = ("src", "tests", "tools", "docs", "pyproject.toml")
"""What a copy of the project needs to run the tests and build the book."""
NOT_COPIED = shutil.ignore_patterns(
    "_build",
    "jupyter_execute",
    "__pycache__",
    ".ipynb_checkpoints",
    ".hypothesis",
    ".pytest_cache",
    "*.pyc",
)


class CatalogueError(RuntimeError):
    """A fault's ``old`` snippet does not occur exactly once: the code moved."""


@dataclass(frozen=True)
class Fault:
    """One realistic bug, as an exact textual edit of a library file.

    Attributes
    ----------
    name : str
        A short slug, unique in the catalogue.
    summary : str
        The mistake, in words a reviewer would use.
    file : str
        The edited file, relative to ``src/zerograd/``.
    old, new : str
        ``old`` must occur exactly once in ``file``; it is replaced by ``new``.
    """

    name: str
    summary: str
    file: str
    old: str
    new: str

    def edit(self, source: str) -> str:
        """Return ``source`` with the fault planted, or raise :class:`CatalogueError`."""
        count = source.count(self.old)
        if count != 1:
            msg = (
                f"fault {self.name!r}: expected the snippet {self.old!r} exactly once in "
                f"src/zerograd/{self.file}; found it {count} times. The code moved: "
                "update the catalogue in tools/faults.py."
            )
            raise CatalogueError(msg)
        return source.replace(self.old, self.new)

    def apply(self, root: Path) -> None:
        """Plant the fault in the project copy at ``root``."""
        path = root / LIBRARY / self.file
        path.write_text(self.edit(path.read_text(encoding="utf-8")), encoding="utf-8")

    def function(self, root: Path = ROOT) -> str | None:
        """The function the edit lies in, as ``file.py:qualified.name``; None at module level.

        The innermost ``def`` whose body holds every edited line, named as Python names
        its code (``Network.backward``, ``outer.<locals>.inner``), so that it matches
        what :mod:`pages` records of a kernel. An edit outside any function body (a
        constant, a signature, a decorator) runs at import, so every page depends on it.
        """
        source = (root / LIBRARY / self.file).read_text(encoding="utf-8")
        self.edit(source)  # the snippet occurs exactly once
        first = source[: source.index(self.old)].count("\n") + 1
        last = first + self.old.rstrip("\n").count("\n")
        found: list[str] = []

        def visit(node: ast.AST, prefix: str) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                    name = prefix + child.name
                    end = child.end_lineno or child.lineno
                    if child.body[0].lineno <= first and last <= end:
                        found.append(name)
                    visit(child, f"{name}.<locals>.")
                elif isinstance(child, ast.ClassDef):
                    visit(child, f"{prefix}{child.name}.")
                else:
                    visit(child, prefix)

        visit(ast.parse(source), "")
        return f"{self.file}:{found[-1]}" if found else None


CATALOGUE: tuple[Fault, ...] = (
    Fault(
        "tanh-derivative-sign",
        "tanh' with its sign flipped, tanh^2 - 1",
        "activations.py",
        "np.subtract(1.0, slope, out=slope)",
        "np.subtract(slope, 1.0, out=slope)",
    ),
    Fault(
        "tanh-derivative-unsquared",
        "tanh' written as 1 - tanh instead of 1 - tanh^2",
        "activations.py",
        "slope: FloatArray = np.square(x, out=np.empty_like(x))",
        "slope: FloatArray = x.copy()",
    ),
    Fault(
        "sigmoid-derivative-squared",
        "sigmoid' written as s * s instead of s * (1 - s)",
        "activations.py",
        "return np.multiply(s, np.subtract(1.0, s))",
        "return np.multiply(s, s)",
    ),
    Fault(
        "relu-derivative-at-kink",
        "relu'(0) = 1 instead of the documented 0",
        "activations.py",
        "np.where(z > 0, 1.0, 0.0)",
        "np.where(z >= 0, 1.0, 0.0)",
    ),
    Fault(
        "leaky-relu-slope-dropped",
        "leaky_relu' copied from relu: slope 0 instead of 0.01 for negative input",
        "activations.py",
        "np.where(z > 0, 1.0, LEAKY_RELU_SLOPE)",
        "np.where(z > 0, 1.0, 0.0)",
    ),
    Fault(
        "silu-derivative",
        "silu' missing a factor: s (1 + z s) instead of s (1 + z (1 - s))",
        "activations.py",
        "return s * (1.0 + z * (1.0 - s))",
        "return s * (1.0 + z * s)",
    ),
    Fault(
        "dropped-activation-derivative",
        "the backward loop forgets f'(z) and passes W^T delta straight down",
        "network.py",
        "                self._f[k - 2].multiply_by_slope(delta, trace.z[k - 1], trace.x[k - 1])\n",
        "",
    ),
    Fault(
        "activation-of-wrong-layer",
        "off by one layer: f_k' used where f_{k-1}' belongs",
        "network.py",
        "self._f[k - 2].multiply_by_slope(delta, trace.z",
        "self._f[k - 1].multiply_by_slope(delta, trace.z",
    ),
    Fault(
        "derivative-at-output",
        "f' evaluated at the layer's output x^(k-1) instead of its raw activation z^(k-1)",
        "activations.py",
        "slope = self.df(z[block]) if",
        "slope = self.df(x[block]) if",
    ),
    Fault(
        "weight-gradient-transposed",
        "a missing transpose: dL/dW = x^(k-1) delta^T, the shape of W^T",
        "layers.py",
        "dW = delta.T @ x_prev",
        "dW = x_prev.T @ delta",
    ),
    Fault(
        "bias-gradient-not-summed",
        "the bias gradient of a batch taken from its first sample, not summed",
        "layers.py",
        "db = delta.sum(axis=0)",
        "db = delta[0]",
    ),
    Fault(
        "mean-not-scaled",
        "a sum where a mean belongs: the 1/N of reduction='mean' dropped from delta",
        "model.py",
        "delta = delta * batch.scale",
        "delta = delta",
    ),
    Fault(
        "mean-over-wrong-axis",
        "reduction='mean' divides by the input width instead of the batch size",
        "model.py",
        "1.0 / self.inputs.shape[0] if",
        "1.0 / self.inputs.shape[-1] if",
    ),
    Fault(
        "squared-error-without-half",
        "squared error's delta doubled, as if the loss had no factor 1/2",
        "losses.py",
        "result: FloatArray = f.df(z) * (x - y)",
        "result: FloatArray = 2.0 * f.df(z) * (x - y)",
    ),
    Fault(
        "squared-error-sign",
        "squared error's delta with its sign flipped, y - x",
        "losses.py",
        "result: FloatArray = f.df(z) * (x - y)",
        "result: FloatArray = f.df(z) * (y - x)",
    ),
    Fault(
        "cross-entropy-sign",
        "binary cross-entropy's delta with its sign flipped, y - x",
        "losses.py",
        "    return x - y\n",
        "    return y - x\n",
    ),
    Fault(
        "cross-entropy-extra-sigmoid-derivative",
        "binary cross-entropy's delta multiplied again by sigmoid', which already cancelled",
        "losses.py",
        "    return x - y\n",
        "    return f.df(z) * (x - y)\n",
    ),
    Fault(
        "softmax-gradient-without-target",
        "softmax cross-entropy's delta missing the target: softmax(x) instead of softmax(x) - y",
        "losses.py",
        "return f.df(z) * (softmax(x) - y)",
        "return f.df(z) * softmax(x)",
    ),
    Fault(
        "softmax-gradient-of-logits",
        "softmax cross-entropy's delta taken as logits minus target, x - y",
        "losses.py",
        "return f.df(z) * (softmax(x) - y)",
        "return f.df(z) * (x - y)",
    ),
    Fault(
        "central-difference-one-sided",
        "central differences divided by h instead of 2h",
        "model.py",
        "columns.append((up - down) / (2.0 * step))",
        "columns.append((up - down) / step)",
    ),
    Fault(
        "weight-decay-doubled",
        "weight decay's gradient 2 lambda W, as if the penalty had no factor 1/2",
        "model.py",
        "pull = decay * self._parameters[name][k]",
        "pull = 2.0 * decay * self._parameters[name][k]",
    ),
    Fault(
        "conv-bias-not-shared",
        "a convolution's shared bias gets the gradient of the first position only",
        "layers.py",
        "db = delta.sum(axis=(0, 2))",
        "db = delta[:, :, 0].sum(axis=0)",
    ),
    Fault(
        "bptt-recurrence-dropped",
        "backpropagation through time forgets the gradient arriving from later steps",
        "layers.py",
        "np.add(d_states[:, t], from_later, out=delta[:, t])",
        "np.copyto(delta[:, t], d_states[:, t])",
    ),
    Fault(
        "bptt-recurrent-weight-transposed",
        "a missing transpose in backpropagation through time: U where U^T belongs",
        "layers.py",
        "from_later = delta[:, t] @ U\n",
        "from_later = delta[:, t] @ U.T\n",
    ),
    Fault(
        "rational-relu-slope-dropped",
        "the exact backward pass of zerograd.rational forgets the slope of a hidden relu",
        "rational.py",
        "delta = back * _slope(names[k - 2], forward.z[k - 1])",
        "delta = back",
    ),
)
"""Every fault, in the order the table shows them."""


def check_catalogue(root: Path = ROOT, faults: Iterable[Fault] = CATALOGUE) -> None:
    """Raise :class:`CatalogueError` unless every fault applies to the library at ``root``."""
    names = [fault.name for fault in faults]
    if len(set(names)) != len(names):
        msg = f"fault names must be unique; got {sorted(names)}"
        raise CatalogueError(msg)
    for fault in faults:
        fault.edit((root / LIBRARY / fault.file).read_text(encoding="utf-8"))


def copy_project(destination: Path, source: Path = ROOT) -> Path:
    """Copy what the tests and the book need into ``destination``, without build output."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        path = source / name
        if path.is_dir():
            shutil.copytree(path, destination / name, ignore=NOT_COPIED)
        else:
            shutil.copy2(path, destination / name)
    return destination


def environment(copy: Path) -> dict[str, str]:
    """The environment of every check in ``copy``: its own ``src`` comes first on the path.

    An editable install of zerograd points at the working tree; ``PYTHONPATH``
    is searched before it, so the copy (and the fault planted in it) is what
    the tests, the doctests and the book's kernels import.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(copy / "src"), os.environ.get("PYTHONPATH", "")])
    )
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.setdefault("HYPOTHESIS_PROFILE", "ci")
    env.setdefault("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    return env


def check_imports_copy(copy: Path) -> None:
    """Fail loudly if ``import zerograd`` in ``copy`` would not load the copy's library."""
    found = subprocess.run(
        [sys.executable, "-c", "import zerograd; print(zerograd.__file__)"],
        cwd=copy,
        env=environment(copy),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(found).resolve().is_relative_to(copy.resolve()):
        msg = f"the copy at {copy} imports zerograd from {found}, not from its own src/"
        raise RuntimeError(msg)


LEDGER = "claims.json"
"""The book's ledger in the HTML output: every claim, its checks and the build's problems."""
JUNIT = "pytest-results.xml"
"""Where each pytest run of a check writes its JUnit XML report, in the copy."""


@dataclass
class Check:
    """The outcome of one check (tests or book) of one fault.

    Attributes
    ----------
    caught : bool
        Whether the check failed in the way that counts as catching the fault.
    status : int
        The exit status of the (last) command.
    seconds : float
        Wall time of the check.
    evidence : list of str
        What named the fault: failing tests (``path::test - message``), or for
        the book ``claim-id: message`` for each failed claim and ``page: message``
        for each page that failed outside any claim's check.
    claims : list of str
        For the book: the ids of the claims whose checks failed.
    pages : list of str
        For the book: the pages on which a check failed or the execution failed.
    log : str
        Where the full output is, relative to the project.
    unchecked : list of str
        For the book: claims whose every check is on the executed pages and none ran
        (the build fails on such a claim too, but it does not count as caught).
    function : str or None
        For the book: the function the fault is planted in (``file.py:name``), or
        None for an edit at module level.
    ran : list of str
        For the book: the pages executed, those whose kernels called ``function``
        when the unmodified book ran (every page for a module-level edit). Empty
        when no page calls it: then the book misses the fault.
    """

    caught: bool
    status: int
    seconds: float
    evidence: list[str] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    log: str = ""
    unchecked: list[str] = field(default_factory=list)
    function: str | None = None
    ran: list[str] | None = None


def read_ledger(path: Path) -> tuple[list[str], list[str], list[str]]:
    """The failed claims, the failed pages and the evidence, from a build's ``claims.json``.

    Returns the ids of the claims whose checks failed; the pages where a check
    failed or where the execution failed outside any check; and one line of
    evidence for each: ``claim-id: message`` (the failed assert's message) or
    ``page: message``. A missing or unreadable ledger names nothing: the build
    did not get as far as writing it.
    """
    try:
        ledger = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return [], [], []
    claims: list[str] = []
    pages: set[str] = set()
    evidence: list[str] = []
    for claim in ledger.get("claims", []):
        failed = [check for check in claim.get("checks", []) if check.get("status") == "failed"]
        if failed:
            claims.append(claim["id"])
            pages.update(check["page"] for check in failed)
            evidence.append(f"{claim['id']}: {failed[0].get('message')}")
    for problem in ledger.get("problems", []):
        if problem.get("claim") is None:  # a page that failed outside any claim's check
            pages.add(problem["page"])
            evidence.append(f"{problem['page']}: {problem['message']}")
    return claims, sorted(pages), evidence


def read_junit(path: Path) -> list[str]:
    """The failed and erroring tests of a JUnit XML report, as ``path::test - message``."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return []
    found = []
    for case in root.iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is None:
            continue
        module = case.get("classname", "")
        where = module.replace(".", "/") + ".py" if module.startswith("tests") else module
        message = " ".join((problem.get("message") or "").split())[:200]
        found.append(f"{where}::{case.get('name')}" + (f" - {message}" if message else ""))
    return found


def _run(command: Sequence[str], copy: Path, log: Path) -> tuple[int, str]:
    """Run ``command`` in ``copy``; keep its combined output in ``log``."""
    try:
        done = subprocess.run(
            command,
            cwd=copy,
            env=environment(copy),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=CHECK_TIMEOUT,
            check=False,
        )
        status, output = done.returncode, done.stdout
    except subprocess.TimeoutExpired as expired:
        text = (expired.stdout or b"").decode(errors="replace")
        status, output = -1, text + f"\n[timed out after {CHECK_TIMEOUT} s]\n"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as stream:
        stream.write(f"$ {' '.join(command)}\n{output}\n[exit status {status}]\n")
    return status, output


def run_tests(copy: Path, log: Path, first: str | None = None) -> Check:
    """Run the copy's test suite, then the library's doctests, stopping at the first failure.

    The suite is caught-or-not by exit status: 1 means tests failed; any other
    non-zero status (a usage error, an interrupted run) is a broken check and
    raises. ``first``, a test id (``tests/file.py::name``), runs alone before the
    suite, and the suite is skipped when it fails: the order changes, the verdict
    cannot. A ``first`` that no longer exists (status 4 or 5) is passed over.
    """
    log.unlink(missing_ok=True)
    start = time.monotonic()
    report = copy / JUNIT
    pytest = [
        sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
        f"--junitxml={report}",
    ]  # fmt: skip
    commands = [
        [*pytest, "tests"],
        [*pytest, "--doctest-modules", "--pyargs", "zerograd"],
    ]
    if first is not None and first.startswith("tests/"):
        commands.insert(0, [*pytest, first])
    status, evidence = 0, []
    for index, command in enumerate(commands):
        report.unlink(missing_ok=True)
        status, _ = _run(command, copy, log)
        if index == 0 and len(commands) == 3 and status in (4, 5):
            status = 0
        if status not in (0, 1):
            msg = f"pytest could not run in {copy} (exit status {status}); see {log}"
            raise RuntimeError(msg)
        if status == 1:
            evidence = read_junit(report) or [f"pytest failed; no failed test in {report}"]
            break
    return Check(
        caught=status == 1,
        status=status,
        seconds=time.monotonic() - start,
        evidence=evidence,
        log=_relative(log),
    )


def build_book(copy: Path, log: Path, processes: int = 1, html: Path | None = None) -> Check:
    """Build the copy's book as ``nox -s docs`` does; caught means failed *and* named a claim.

    What the build named is read from its ledger, ``claims.json`` in ``html``
    (by default the copy's ``docs/_build/html``): the claims whose checks failed,
    and the pages that failed to execute outside any check.
    """
    log.unlink(missing_ok=True)
    start = time.monotonic()
    out = html or copy / "docs" / "_build" / "html"
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "html",
        *SPHINX_FLAGS,
        "-j",
        str(processes),
        "docs",
        str(out),
    ]
    (out / LEDGER).unlink(missing_ok=True)  # never read a ledger left by an earlier build
    status, _ = _run(command, copy, log)
    claims, pages, evidence = read_ledger(out / LEDGER)
    return Check(
        caught=status != 0 and bool(claims or pages),
        status=status,
        seconds=time.monotonic() - start,
        evidence=evidence,
        claims=claims,
        pages=pages,
        log=_relative(log),
    )


def first_test(hint: Mapping[str, Any]) -> str | None:
    """The test a committed entry names first (``tests/file.py::name``), or None."""
    evidence = (hint.get("tests") or {}).get("evidence") or [None]
    return evidence[0].split(" - ")[0] if evidence[0] else None


def fail_alone(copy: Path, log: Path, tests: Iterable[str]) -> list[str]:
    """The tests that do not pass when run alone on the unmodified copy.

    A test that runs before the suite (:func:`run_tests`) runs alone; if it failed
    alone without any fault, every fault would look caught by it. Such a test is
    not run first. A test that no longer exists (status 4 or 5) is passed over by
    :func:`run_tests` anyway.
    """
    log.unlink(missing_ok=True)
    failing = []
    for test in sorted(set(tests)):
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test]
        status, _ = _run(command, copy, log)
        if status not in (0, 4, 5):
            failing.append(test)
    return failing


PAGE_RUNS = "page-runs.json"
"""Where ``tools/pages.py`` writes what the executed pages recorded, in the copy."""


def execute_pages(
    copy: Path, log: Path, pages: Sequence[str] | None = None, *, trace: bool = False
) -> dict[str, Any]:
    """Execute pages of the copy's book as its build does (``tools/pages.py``), in its environment.

    ``pages=None`` runs every notebook page. Returns, per page, its claim records, its
    error and, with ``trace``, the zerograd functions its kernel called. A page that
    fails is a result, not an error; a run that cannot execute pages at all raises.
    """
    out = copy / PAGE_RUNS
    out.unlink(missing_ok=True)
    command = [
        sys.executable,
        str(copy / "tools" / "pages.py"),
        *("--docs", "docs", "--out", str(out)),
        *(["--trace"] if trace else []),
        *(pages or []),
    ]
    status, _ = _run(command, copy, log)
    if status != 0 or not out.is_file():
        msg = f"the book's pages could not be executed in {copy} (exit status {status}); see {log}"
        raise RuntimeError(msg)
    runs: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))["pages"]
    digest = _library_digest(copy)
    strays = sorted(
        {
            page
            for page, run in runs.items()
            for record in run["records"]
            if record["library_sha256"] != digest
        }
    )
    if strays:
        msg = f"pages {strays} ran against another zerograd than {copy / LIBRARY}; see {log}"
        raise RuntimeError(msg)
    return runs


def _library_digest(copy: Path) -> str:
    from zerograd.book import source_digest  # noqa: PLC0415  (the same hash the kernels take)

    return source_digest(copy / LIBRARY)


def book_verdict(
    baseline: Mapping[str, Any], runs: Mapping[str, Any]
) -> tuple[list[str], list[str], list[str], list[str]]:
    """What the build would report of pages re-executed with a fault, from their claim records.

    ``baseline`` holds every page's run of the unmodified book, ``runs`` the runs of
    some pages with the fault. The pages not re-executed call no function the fault
    changed, so they would record what they recorded in ``baseline``. Returns the
    claims whose checks failed, the pages that failed (a failed check, or an error
    outside any check), the claims left with no check that ran (every check of theirs
    is on a re-executed page, and none ran), and one line of evidence per failed
    claim and per page that failed outside a check, as in ``claims.json``.
    """
    failed: dict[str, str] = {}
    pages: set[str] = set()
    for page, run in sorted(runs.items()):
        for record in run["records"]:
            if record["failed"]:
                failed.setdefault(record["claim"], record["message"])
                pages.add(page)
    evidence = [f"{claim}: {message}" for claim, message in sorted(failed.items())]
    for page, run in sorted(runs.items()):
        if run["error"] is not None and page not in pages:
            pages.add(page)
            evidence.append(f"{page}: {run['error']}")
        elif run["error"] is not None:
            pages.add(page)
    checked_on: dict[str, set[str]] = {}
    for page, run in baseline.items():
        for record in run["records"]:
            checked_on.setdefault(record["claim"], set()).add(page)
    ran_now = {record["claim"] for run in runs.values() for record in run["records"]}
    unchecked = sorted(
        claim
        for claim, on in checked_on.items()
        if on <= runs.keys() and claim not in ran_now and claim not in failed
    )
    if not evidence:
        evidence = [f"{claim}: no check of it ran" for claim in unchecked]
    return sorted(failed), sorted(pages), unchecked, evidence


@dataclass(frozen=True)
class BookBaseline:
    """The unmodified book, executed page by page with its functions recorded."""

    runs: dict[str, Any]
    check: Check

    def pages_calling(self, function: str | None) -> list[str]:
        """The pages whose kernels called ``function``; every page for None (module level)."""
        return sorted(
            page
            for page, run in self.runs.items()
            if function is None or function in run["functions"]
        )

    def seconds(self, pages: Iterable[str]) -> float:
        """How long ``pages`` took in the unmodified run: the expected cost of a re-run."""
        return float(sum(self.runs[page]["seconds"] for page in pages))


def trace_book(copy: Path, log: Path) -> BookBaseline:
    """Execute every page of the unmodified copy, recording the functions each one calls.

    The check passes (``status`` 0) when every page ran to its end and every check
    passed; its evidence lists what failed otherwise.
    """
    log.unlink(missing_ok=True)
    start = time.monotonic()
    runs = execute_pages(copy, log, trace=True)
    claims, pages, _, evidence = book_verdict(runs, runs)
    return BookBaseline(
        runs,
        Check(
            caught=bool(claims or pages),
            status=1 if claims or pages else 0,
            seconds=time.monotonic() - start,
            evidence=evidence,
            claims=claims,
            pages=pages,
            log=_relative(log),
            ran=sorted(runs),
        ),
    )


def check_book(
    copy: Path,
    log: Path,
    function: str | None,
    baseline: BookBaseline,
    first: Sequence[str] | None = None,
) -> Check:
    """Re-execute the pages that call the fault's function; caught when a check or a page fails.

    The verdict comes from the pages' claim records (:func:`book_verdict`). When no
    page calls the function, nothing runs and the book cannot catch the fault.
    With ``first`` (the pages that caught the fault last time), the quickest of
    them to execute runs first, and the other calling pages only if it catches
    nothing: the order changes, the verdict cannot, but the evidence then names
    only what that page found.
    """
    log.unlink(missing_ok=True)
    start = time.monotonic()
    pages = baseline.pages_calling(function)
    if not pages:
        return Check(
            caught=False,
            status=0,
            seconds=0.0,
            evidence=[f"no page of the book calls {function}"],
            function=function,
            ran=[],
        )
    caught_before = [page for page in pages if page in (first or ())]
    early = sorted(caught_before, key=lambda page: baseline.seconds([page]))[:1]
    runs = execute_pages(copy, log, early) if early else {}
    claims, failed_pages, unchecked, evidence = book_verdict(baseline.runs, runs)
    if not (claims or failed_pages):
        runs |= execute_pages(copy, log, [page for page in pages if page not in early])
        claims, failed_pages, unchecked, evidence = book_verdict(baseline.runs, runs)
    pages = sorted(runs)
    caught = bool(claims or failed_pages)
    return Check(
        caught=caught,
        status=1 if caught else 0,
        seconds=time.monotonic() - start,
        evidence=evidence,
        claims=claims,
        pages=failed_pages,
        log=_relative(log),
        unchecked=unchecked,
        function=function,
        ran=pages,
    )


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


@dataclass
class Outcome:
    """Both checks of one fault (or of the unmodified copy, the baseline)."""

    fault: Fault | None
    tests: Check | None = None
    book: Check | None = None

    def as_json(self, timings: bool) -> dict[str, Any]:
        """A JSON-ready dict; ``timings`` keeps wall times, status codes and log paths."""

        def check(c: Check | None) -> dict[str, Any] | None:
            if c is None:
                return None
            data: dict[str, Any] = {"caught": c.caught, "evidence": c.evidence}
            if c.claims:
                data["claims"] = c.claims
            if c.pages:
                data["pages"] = c.pages
            if c.unchecked:
                data["unchecked"] = c.unchecked
            if c.ran is not None:
                data |= {"function": c.function, "ran": c.ran}
            if timings:
                data |= {
                    "status": c.status,
                    "seconds": round(c.seconds, 1),
                    "log": c.log,
                }
            return data

        head: dict[str, Any] = {"name": "baseline"}
        if self.fault is not None:
            head = {
                "name": self.fault.name,
                "summary": self.fault.summary,
                "file": f"src/zerograd/{self.fault.file}",
                "old": self.fault.old.strip(),
                "new": self.fault.new.strip(),
            }
        return head | {"tests": check(self.tests), "book": check(self.book)}


def run(
    faults: Sequence[Fault],
    workers: int,
    work: Path,
    *,
    book: bool = True,
    hints: Mapping[str, dict[str, Any]] | None = None,
) -> tuple[Outcome, list[Outcome]]:
    """Check the unmodified copy, then every fault, on ``workers`` threads.

    Each fault gets its own copy of the project; its tests and its book check are
    two independent jobs. The unmodified book runs once, recording which library
    functions each page calls; each fault then re-executes only the pages that call
    the function it is planted in. The longest jobs are queued first.

    ``hints``, the committed results by fault, make each check start where that
    fault was caught last time (:func:`run_tests`, :func:`check_book`); a test
    that fails alone on the unmodified copy (:func:`fail_alone`) is not run first.
    """
    logs = RESULTS / "logs"
    # One snapshot first, so that every copy sees the same tree even while it is being edited.
    snapshot = copy_project(work / "snapshot")
    baseline = Outcome(None)
    base_copy = copy_project(work / "baseline", snapshot)
    check_imports_copy(base_copy)
    traced: BookBaseline | None = None
    firsts = {fault.name: first_test((hints or {}).get(fault.name, {})) for fault in faults}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        tested = pool.submit(run_tests, base_copy, logs / "baseline.tests.log")
        alone = pool.submit(
            fail_alone,
            base_copy,
            logs / "baseline.first-tests.log",
            [test for test in firsts.values() if test and test.startswith("tests/")],
        )
        if book:
            traced = pool.submit(trace_book, base_copy, logs / "baseline.book.log").result()
            baseline.book = traced.check
        baseline.tests = tested.result()
        for name, test in firsts.items():
            if test in alone.result():
                firsts[name] = None
    if baseline.tests.caught or (baseline.book is not None and baseline.book.status != 0):
        return baseline, []

    outcomes = [Outcome(fault) for fault in faults]
    copies, functions = {}, {}
    for outcome in outcomes:
        assert outcome.fault is not None
        name = outcome.fault.name
        functions[name] = outcome.fault.function(snapshot)
        copies[name] = copy_project(work / name, snapshot)
        outcome.fault.apply(copies[name])

    def cost(outcome: Outcome) -> float:
        assert outcome.fault is not None
        if traced is None:
            return 0.0
        return traced.seconds(traced.pages_calling(functions[outcome.fault.name]))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        jobs: dict[str, tuple[Future[Check], Future[Check] | None]] = {}
        for o in sorted(outcomes, key=cost, reverse=True):
            assert o.fault is not None
            name, copy = o.fault.name, copies[o.fault.name]
            hint = (hints or {}).get(name, {})
            first_pages = (hint.get("book") or {}).get("pages") if hint else None
            built = None
            if traced is not None:
                log = logs / f"{name}.book.log"
                built = pool.submit(check_book, copy, log, functions[name], traced, first_pages)
            tests_log = logs / f"{name}.tests.log"
            jobs[name] = (pool.submit(run_tests, copy, tests_log, firsts[name]), built)
        for outcome in outcomes:
            assert outcome.fault is not None
            tested_fault, built = jobs[outcome.fault.name]
            outcome.tests = tested_fault.result()
            outcome.book = built.result() if built is not None else None
            _progress(outcome)
    return baseline, outcomes


def _progress(outcome: Outcome) -> None:
    assert outcome.fault is not None

    def verdict(check: Check | None) -> str:
        if check is None:
            return "not run"
        return f"{'caught' if check.caught else 'MISSED'} ({check.seconds:.0f} s)"

    print(
        f"{outcome.fault.name:40} tests {verdict(outcome.tests):16} book {verdict(outcome.book)}",
        flush=True,
    )


def markdown_table(results: list[dict[str, Any]]) -> str:
    """The fault table as Markdown: bug, file, caught by tests, caught by the book."""

    def cell(text: str) -> str:
        return text.replace("|", r"\|").replace("\n", " ")

    def first(check: dict[str, Any] | None) -> str:
        if check is None:
            return "not run"
        if check.get("ran") == []:
            return f"**no**: no page calls `{check['function']}`"
        if not check["caught"]:
            return "**no**"
        if check.get("claims"):
            return "yes: " + cell(", ".join(check["claims"]))
        named = check["evidence"][:1] or [f"page {page}" for page in check.get("pages", [])[:1]]
        return "yes: " + cell(named[0] if named else "")

    rows = [
        "| bug | file | caught by the tests? | caught by the book? |",
        "|---|---|---|---|",
    ]
    rows.extend(
        f"| `{r['name']}`: {cell(r['summary'])} | `{r['file']}` | {first(r['tests'])} "
        f"| {first(r['book'])} |"
        for r in results
    )
    return "\n".join(rows) + "\n"


def summary(results: list[dict[str, Any]]) -> dict[str, int]:
    """How many faults there are and how many each net caught."""
    return {
        "faults": len(results),
        "caught_by_tests": sum(bool(r["tests"] and r["tests"]["caught"]) for r in results),
        "caught_by_book": sum(bool(r["book"] and r["book"]["caught"]) for r in results),
        "caught_by_both": sum(
            bool(r["tests"] and r["tests"]["caught"] and r["book"] and r["book"]["caught"])
            for r in results
        ),
    }


def holes(results: list[dict[str, Any]]) -> list[str]:
    """The faults that escaped: missed by the tests or by the book.

    A fault in a function that no page calls is missed by the book too (the table
    says why): the page *How we know this is right* asserts that every fault is
    caught twice, so the committed record can hold no such fault.
    """
    return [
        r["name"]
        for r in results
        if not (r["tests"] and r["tests"]["caught"] and r["book"] and r["book"]["caught"])
    ]


def committed_difference(fresh: dict[str, Any], committed_path: Path = COMMITTED) -> list[str]:
    """What differs between a fresh run and the committed results, in catalogue and verdicts."""
    if not committed_path.exists():
        return [f"{_relative(committed_path)} does not exist"]
    committed = json.loads(committed_path.read_text(encoding="utf-8"))

    def key(results: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
        return {
            r["name"]: (
                r["file"],
                r["old"],
                r["new"],
                bool(r["tests"] and r["tests"]["caught"]),
                bool(r["book"] and r["book"]["caught"]),
            )
            for r in results["faults"]
        }

    now, then = key(fresh), key(committed)
    differences = [f"{name}: not in the committed results" for name in now.keys() - then.keys()]
    differences += [f"{name}: no longer in the catalogue" for name in then.keys() - now.keys()]
    differences += [
        f"{name}: committed {then[name]}, now {now[name]}"
        for name in now.keys() & then.keys()
        if now[name] != then[name]
    ]
    return sorted(differences)


def merged_into_committed(fresh: list[dict[str, Any]]) -> dict[str, Any]:
    """The committed results with these faults' entries replaced, in catalogue order.

    For ``--only NAME ... --update``: a rerun of a few faults after a fix. Entries of
    faults no longer in the catalogue are dropped; a fault never run has no entry, and
    the next full run reports the record as stale.
    """
    old = json.loads(COMMITTED.read_text(encoding="utf-8")) if COMMITTED.exists() else {}
    by_name = {r["name"]: r for r in old.get("faults", [])} | {r["name"]: r for r in fresh}
    results = [by_name[f.name] for f in CATALOGUE if f.name in by_name]
    return {"summary": summary(results), "faults": results}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the fault injection from the command line; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="write docs/_static/faults.json")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these faults")
    parser.add_argument("--list", action="store_true", help="print the catalogue and exit")
    parser.add_argument("--workers", type=int, default=2, help="parallel checks (default 2)")
    parser.add_argument("--no-book", action="store_true", help="skip the book builds")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copies")
    args = parser.parse_args(argv)

    check_catalogue()
    if args.list:
        for fault in CATALOGUE:
            print(f"{fault.name:40} {fault.file:16} {fault.summary}")
        return 0
    faults = list(CATALOGUE)
    if args.only:
        unknown = set(args.only) - {fault.name for fault in CATALOGUE}
        if unknown:
            parser.error(f"unknown fault(s) {sorted(unknown)}; see --list")
        faults = [fault for fault in CATALOGUE if fault.name in args.only]
    if args.update and args.no_book:
        parser.error("--update needs the book")

    start = time.monotonic()
    shutil.rmtree(RESULTS, ignore_errors=True)
    RESULTS.mkdir(parents=True)
    work = Path(tempfile.mkdtemp(prefix="zerograd-faults-"))
    try:
        hints = None
        if not args.update and COMMITTED.is_file():
            committed_faults = json.loads(COMMITTED.read_text(encoding="utf-8"))["faults"]
            hints = {entry["name"]: entry for entry in committed_faults}
        baseline, outcomes = run(faults, args.workers, work, book=not args.no_book, hints=hints)
    finally:
        if args.keep:
            print(f"copies kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    seconds = time.monotonic() - start

    base = baseline.as_json(timings=True)
    if not outcomes:
        (RESULTS / "faults.json").write_text(json.dumps({"baseline": base}, indent=2) + "\n")
        for name, check in (("tests", baseline.tests), ("book", baseline.book)):
            if check is not None and check.status != 0:
                named = check.evidence or check.pages or ["(nothing named)"]
                print(f"the unmodified {name} fail: {'; '.join(named)}; see {check.log}")
        return 2
    full = [outcome.as_json(timings=True) for outcome in outcomes]
    record = {
        "summary": summary(full),
        "seconds": round(seconds, 1),
        "baseline": base,
        "faults": full,
    }
    (RESULTS / "faults.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "faults.md").write_text(markdown_table(full), encoding="utf-8")
    bare = [o.as_json(timings=False) for o in outcomes]
    committed: dict[str, Any] = {"summary": summary(bare), "faults": bare}

    print(f"\n{markdown_table(full)}\n{summary(full)}; {seconds:.0f} s in all")
    escaped = holes(full)
    status = 0
    if escaped and not args.no_book:
        print(f"HOLES: these faults escaped the tests or the book: {', '.join(escaped)}")
        status = 1
    if args.update and status:
        print(f"not writing {_relative(COMMITTED)}: close the holes first")
    elif args.update:
        if args.only:
            committed = merged_into_committed(bare)
        COMMITTED.parent.mkdir(parents=True, exist_ok=True)
        COMMITTED.write_text(json.dumps(committed, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {_relative(COMMITTED)}")
    elif not args.only and not args.no_book:
        stale = committed_difference(committed)
        if stale:
            print("docs/_static/faults.json is stale; run `nox -s faults -- --update`:")
            print("\n".join(f"  {line}" for line in stale))
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
