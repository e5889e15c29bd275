"""Time the book's builds against their floors, on a copy of the project.

Four builds are timed, as ``nox -s docs`` runs them (``-W --keep-going -n
-T -j 2``, every page executed):

1. cold: the build folder and every cache removed;
2. no change: the same build again;
3. prose edit: one sentence added to one page's prose;
4. library edit: one comment line added to a file under ``src/zerograd``.

Next to each, in the same run, is its floor: the same Sphinx build, into
its own folder, with execution switched off (``-D nb_execution_mode=off``,
without ``-W`` because every glue key is then missing), plus one kernel
start for every build that executes anything. Each build's log is kept,
and the pages it executed are read from the ``pages_executed`` field of the
build's ``claims.json`` (the claims extension takes them from myst-nb's
execution records).

The project is copied to a temporary folder (``docs``, ``src`` and the
files beside them), so the edits never touch the working tree, and the
kernels import the copy's library through ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from jupyter_client.manager import start_new_kernel

ROOT = Path(__file__).resolve().parent.parent
SPHINX_FLAGS = ["-b", "html", "-n", "-T", "-j", "2"]
STRICT_FLAGS = ["-W", "--keep-going"]
COPIED = ["docs", "src", "pyproject.toml", "README.md", "LICENSE"]
IGNORED = shutil.ignore_patterns(
    "_build", "jupyter_execute", ".jupyter_cache", "__pycache__", "*.pyc", ".ipynb_checkpoints"
)
PROSE_PAGE = "notation.md"
LIBRARY_FILE = "src/zerograd/layers.py"
COLD_TARGET_SECONDS = 30.0
COLD_TARGET_RATIO = 2.0
NO_CHANGE_MARGIN_SECONDS = 0.5


def copy_project(destination: Path) -> None:
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=IGNORED)
        elif source.exists():
            shutil.copy2(source, destination / name)


def sphinx(project: Path, out: Path, execute: bool, log: Path) -> dict[str, Any]:
    """One timed sphinx-build; the executing builds are strict like ``nox -s docs``."""
    command = [sys.executable, "-m", "sphinx", *SPHINX_FLAGS]
    command += STRICT_FLAGS if execute else ["-D", "nb_execution_mode=off"]
    command += [str(project / "docs"), str(out / "html")]
    env = {
        **os.environ,
        "PYTHONPATH": str(project / "src"),
        "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "1700000000"),
    }
    start = time.perf_counter()
    completed = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    text = completed.stdout + completed.stderr
    log.write_text(text)
    ledger = out / "html" / "claims.json"
    pages = json.loads(ledger.read_text())["pages_executed"] if ledger.exists() else []
    executed = sorted(f"{page}.md" for page in pages)
    return {
        "seconds": seconds,
        "exit_status": completed.returncode,
        "executed_pages": executed,
        "executed": len(executed),
        "log": log.name,
    }


def kernel_start_seconds(project: Path, repeats: int = 3) -> float:
    """Median time to start a python3 kernel and get a reply from it."""
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        manager, client = start_new_kernel(kernel_name="python3", cwd=str(project), env=env)
        samples.append(time.perf_counter() - start)
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return statistics.median(samples)


def add_prose_sentence(page: Path) -> None:
    """Append a paragraph of prose, no code, to a MyST page."""
    page.write_text(page.read_text() + "\nThis sentence was added by the build benchmark.\n")


def add_library_comment(path: Path) -> None:
    path.write_text(path.read_text() + "# A comment added by the build benchmark.\n")


def measure(project: Path, logs: Path) -> dict[str, Any]:
    executing, floor = project / "build-executing", project / "build-floor"
    pages = sorted(p.name for p in (project / "docs").glob("*.md") if p.name != "README.md")
    steps: dict[str, Any] = {}

    def step(name: str) -> None:
        run = sphinx(project, executing, True, logs / f"{name}.log")
        run["floor_sphinx_seconds"] = sphinx(project, floor, False, logs / f"{name}-floor.log")[
            "seconds"
        ]
        steps[name] = run
        print(
            f"{name:>13}: {run['seconds']:6.2f} s, executed {run['executed']:2d} pages, "
            f"exit {run['exit_status']}; Sphinx alone {run['floor_sphinx_seconds']:6.2f} s",
            flush=True,
        )

    kernel = kernel_start_seconds(project)
    print(f"kernel start: {kernel:.2f} s", flush=True)
    step("cold")
    step("no_change")
    add_prose_sentence(project / "docs" / PROSE_PAGE)
    step("prose_edit")
    add_library_comment(project / LIBRARY_FILE)
    step("library_edit")
    for run in steps.values():
        run["floor_seconds"] = run["floor_sphinx_seconds"] + (kernel if run["executed"] else 0.0)
        run["ratio_to_floor"] = run["seconds"] / run["floor_seconds"]
    cold, no_change = steps["cold"], steps["no_change"]
    prose, library = steps["prose_edit"], steps["library_edit"]
    targets = {
        "cold build <= 2x floor": cold["seconds"] <= COLD_TARGET_RATIO * cold["floor_seconds"],
        "cold build < 30 s": cold["seconds"] < COLD_TARGET_SECONDS,
        "no-change rebuild within 0.5 s of Sphinx's floor": no_change["seconds"]
        <= no_change["floor_sphinx_seconds"] + NO_CHANGE_MARGIN_SECONDS,
        "no-change rebuild executes nothing": no_change["executed"] == 0,
        "prose edit re-executes only that page": prose["executed_pages"] == [PROSE_PAGE],
        "library edit re-executes every page": library["executed"] == cold["executed"],
        "every executing build passes (-W)": all(r["exit_status"] == 0 for r in steps.values()),
    }
    return {
        "pages": pages,
        "kernel_start_seconds": kernel,
        "prose_page": PROSE_PAGE,
        "library_file": LIBRARY_FILE,
        "sphinx_flags": SPHINX_FLAGS + STRICT_FLAGS,
        "steps": steps,
        "targets": targets,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/build.json")
    parser.add_argument("--logs", default="benchmarks/results/build-logs")
    args = parser.parse_args()
    logs = Path(args.logs)
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="zerograd-build-bench-") as folder:
        project = Path(folder)
        copy_project(project)
        result = measure(project, logs)
    result["load_average_at_start"] = load_before
    result["load_average_at_end"] = os.getloadavg()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    for target, met in result["targets"].items():
        print(f"{'met   ' if met else 'MISSED'} {target}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
