"""Mutation testing of zerograd with mutmut, and the committed record of its result.

``python tools/mutation.py run`` runs mutmut over ``src/zerograd`` (settings in
``[tool.mutmut]`` of ``pyproject.toml``; mutmut keeps its copy and its cache in
``mutants/``, so a second run re-tests only the functions that changed). It
writes ``docs/_build/mutation/mutation.json``; with ``--update`` it also writes
the committed record ``docs/_static/mutation.json`` that the page *How we know
this is right* shows.

The record is tied to the library's source (a SHA-256 per file), not to the
tests: adding tests can only kill more mutants, and a second run re-tests
every earlier survivor, but a mutant that was killed stays killed in
``mutants/`` until its function changes. After weakening or deleting a test,
remove ``mutants/`` and run afresh.

``python tools/mutation.py check`` needs no mutmut and takes a second. It fails
unless the committed record was made from the library source as it is now (a
SHA-256 per file) by a complete run. It reports, and with ``--strict`` also
fails on, a share of killed mutants below :data:`TARGET` and surviving mutants
that :data:`EXPLANATIONS` does not explain: those are the to-do list.

Explanations are kept in ``tools/mutation_survivors.toml``, either for one
mutant by name (``[survivors]``) or for a family of mutants by a regular
expression on the name (``[[families]]`` with ``pattern`` and ``explanation``).

The hypothesis examples differ from the full suite's: mutmut runs each mutant
against the tests that reach it, with the ``dev`` profile (fewer examples) and
a fixed seed, so that a run fits in the time a developer can wait and gives the
same verdicts twice.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import tomllib
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "src" / "zerograd"
RESULTS = ROOT / "docs" / "_build" / "mutation"
COMMITTED = ROOT / "docs" / "_static" / "mutation.json"
EXPLANATIONS = ROOT / "tools" / "mutation_survivors.toml"
TARGET = 0.95
"""The share of mutants the tests must kill."""
DETECTED = frozenset({"killed", "timeout", "caught by type check"})
"""mutmut's verdicts that mean the tests noticed the mutant."""
NOT_COUNTED = frozenset({"skipped", "not checked"})
"""Verdicts of mutants that were never run; a full run has none."""


def source_digests(project: Path = ROOT) -> dict[str, str]:
    """SHA-256 of every library file of ``project``, by path relative to it."""
    return {
        str(path.relative_to(project)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((project / LIBRARY.relative_to(ROOT)).rglob("*.py"))
    }


def verdicts(project: Path = ROOT) -> dict[str, str]:
    """Each mutant's name and verdict, from the ``.meta`` files mutmut left in ``project``."""
    from mutmut.stats import status_by_exit_code  # noqa: PLC0415 (only `run` needs mutmut)

    found: dict[str, str] = {}
    for meta in sorted((project / "mutants" / "src").rglob("*.py.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        for name, code in data.get("exit_code_by_key", {}).items():
            found[name] = status_by_exit_code[code]
    return found


_DIFFS = """
import json, sys
from mutmut.mutation.diff_apply import get_diff_for_mutant
json.dump({name: get_diff_for_mutant(name) for name in json.load(sys.stdin)}, sys.stdout)
"""


def mutant_diffs(names: Sequence[str], project: Path = ROOT) -> dict[str, str]:
    """The diff of each mutant, as ``mutmut show`` prints it, from one process.

    ``mutmut show`` starts mutmut once per mutant, seconds each; its own diff
    function, called in one process for every name, takes milliseconds each.
    """
    if not names:
        return {}
    shown = subprocess.run(
        [sys.executable, "-c", _DIFFS],
        cwd=project,
        input=json.dumps(list(names)),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {name: str(diff) for name, diff in json.loads(shown).items()}


def explain(diffs: dict[str, str], path: Path = EXPLANATIONS) -> dict[str, str]:
    """Why each surviving mutant (name: diff) survives; "" where nothing explains it.

    A mutant's own entry wins; then the first family whose ``pattern`` matches its
    name, or whose ``edit`` matches a line the mutant adds.
    """
    table = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    own = {str(name): str(text) for name, text in table.get("survivors", {}).items()}
    families = [
        (
            re.compile(str(family.get("pattern", "(?!)"))),
            re.compile(str(family.get("edit", "(?!)"))),
            str(family["explanation"]),
        )
        for family in table.get("families", [])
    ]
    found = {}
    for name, diff in diffs.items():
        lines = diff.splitlines()
        added = [line[1:] for line in lines if line[:1] == "+" and not line.startswith("+++")]
        by_family = (
            text
            for pattern, edit, text in families
            if pattern.search(name) or any(edit.search(line) for line in added)
        )
        found[name] = own.get(name) or next(by_family, "")
    return found


def record(found: dict[str, str], seconds: float | None, project: Path = ROOT) -> dict[str, Any]:
    """The JSON record of one run: counts, score, and every survivor with its diff."""
    counts = Counter(found.values())
    counted = sum(n for status, n in counts.items() if status not in NOT_COUNTED)
    detected = sum(n for status, n in counts.items() if status in DETECTED)
    surviving = sorted(
        name for name, status in found.items() if status not in DETECTED | NOT_COUNTED
    )
    # `mutmut show` takes seconds per mutant: reuse the diffs of the last record of the
    # same source, where mutmut's names still mean the same edits.
    last = RESULTS / "mutation.json"
    known: dict[str, str] = {}
    if last.exists():
        previous = json.loads(last.read_text(encoding="utf-8"))
        if previous.get("source") == source_digests(project):
            known = {s["name"]: s["diff"] for s in previous.get("survivors", [])}
    diffs = {name: known[name] for name in surviving if name in known}
    diffs |= mutant_diffs([name for name in surviving if name not in known], project)
    diffs = {name: diffs[name] for name in surviving}
    why = explain(diffs)
    survivors = [
        {"name": name, "status": found[name], "diff": diffs[name], "explanation": why[name]}
        for name in surviving
    ]
    data: dict[str, Any] = {
        "tool": f"mutmut {_mutmut_version()}",
        "source": source_digests(project),
        "counts": dict(sorted(counts.items())),
        "total": sum(counts.values()),
        "complete": counted == sum(counts.values()),
        "mutants": counted,
        "detected": detected,
        "score": round(detected / counted, 4) if counted else 0.0,
        "target": TARGET,
        "survivors": survivors,
    }
    if seconds is not None:
        data["seconds"] = round(seconds, 1)
    return data


def _mutmut_version() -> str:
    from importlib.metadata import version  # noqa: PLC0415

    return version("mutmut")


def problems(data: dict[str, Any]) -> list[str]:
    """Why a record does not describe the library as it is: stale or incomplete."""
    found = []
    now = source_digests()
    if data.get("source") != now:
        changed = sorted(
            name
            for name in set(now) | set(data.get("source", {}))
            if now.get(name) != data.get("source", {}).get(name)
        )
        found.append(
            "the record was made from another version of the library "
            f"(changed: {', '.join(changed)}); run `nox -s mutation -- --update`"
        )
    # from the verdicts, not the record's own flag: a record is complete when every
    # mutant made has a verdict from a run, and the run counts them all
    counts = data.get("counts", {})
    complete = (
        data.get("complete", False)
        and sum(counts.values()) == data.get("total", -1)
        and not NOT_COUNTED & set(counts)
        and data.get("mutants") == data.get("total")
    )
    if not complete:
        found.append(
            f"the record comes from an incomplete run: {data.get('mutants')} of "
            f"{data.get('total')} mutants checked; finish it with `nox -s mutation -- --update`"
        )
    if data.get("detected", 0) + len(data.get("survivors", [])) != data.get("mutants", -1):
        found.append("the record does not account for every mutant")
    return found


def to_do(data: dict[str, Any]) -> list[str]:
    """What the record leaves to do: a score below the target, unexplained survivors."""
    found = []
    # from the counts, not the rounded score: 94.996% must not pass as 95%
    if data.get("detected", 0) < TARGET * data.get("mutants", 0) or not data.get("mutants"):
        found.append(
            f"{data.get('detected')} of {data.get('mutants')} mutants killed is below the "
            f"target {TARGET}"
        )
    unexplained = [s["name"] for s in data.get("survivors", []) if not s.get("explanation")]
    if unexplained:
        found.append(
            f"{len(unexplained)} surviving mutants have no explanation in "
            f"{EXPLANATIONS.relative_to(ROOT)}: {', '.join(unexplained)}"
        )
    return found


def run(max_children: int, update: bool, project: Path = ROOT) -> int:
    """Run mutmut in ``project``, write the record, and report; 0 when it is acceptable.

    ``project`` is the working tree, or a copy of it made for the run. mutmut
    keeps each mutant's verdict in ``mutants/`` and re-tests only the functions
    whose source changed; two things it would otherwise miss are done here:

    * it maps tests to functions once and later adds only new tests to the map,
      so a function added since the map was made would face the new tests
      alone: the map is made afresh on every run;
    * a verdict stands once given, so a mutant that survived an earlier run
      would never meet the tests written since: earlier survivors run again.
    """
    env = dict(os.environ)
    env["HYPOTHESIS_PROFILE"] = env.get("ZEROGRAD_MUTATION_PROFILE", "dev")
    start = time.monotonic()
    earlier = _survivors(project)
    (project / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
    status = _mutmut(project, env, max_children)
    still = sorted(set(earlier) & set(_survivors(project))) if status == 0 else []
    if still:
        print(f"running {len(still)} survivors of earlier runs against the tests as they are now")
        status = _mutmut(project, env, max_children, still)
    seconds = time.monotonic() - start
    if status != 0:
        print(f"mutmut run failed with exit status {status}")
        return status
    return write(record(verdicts(project), seconds, project), update)


def _survivors(project: Path) -> list[str]:
    """The mutants that mutmut's verdicts in ``project`` say the tests missed."""
    if not (project / "mutants").exists():
        return []
    return [
        name for name, status in verdicts(project).items() if status not in DETECTED | NOT_COUNTED
    ]


def _mutmut(
    project: Path, env: dict[str, str], max_children: int, names: Sequence[str] = ()
) -> int:
    """``mutmut run`` in ``project`` (only the mutants ``names``, if given); its exit status."""
    return subprocess.run(
        [sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children), *names],
        cwd=project,
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,  # a progress line per mutant: tens of thousands of lines
    ).returncode


def write(data: dict[str, Any], update: bool) -> int:
    """Write a record to docs/_build/mutation/ (and with ``update`` to docs/_static/); report."""
    seconds = data.get("seconds", 0.0)
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2) + "\n"
    (RESULTS / "mutation.json").write_text(text, encoding="utf-8")
    if update:
        committed = {key: value for key, value in data.items() if key != "seconds"}
        COMMITTED.write_text(json.dumps(committed, indent=2) + "\n", encoding="utf-8")
    print(
        f"{data['detected']} of {data['mutants']} mutants killed ({data['score']:.1%}) "
        f"in {seconds:.0f} s; {len(data['survivors'])} survivors"
    )
    for survivor in data["survivors"]:
        print(f"  {survivor['name']} ({survivor['status']}): {survivor['explanation'] or 'TODO'}")
    for item in to_do(data):
        print(f"to do: {item}")
    return 1 if problems(data) else 0


def reexplain(update: bool) -> int:
    """Refresh the explanations of the last record after editing the explanations file.

    The last record is this checkout's last run (docs/_build/mutation/), or
    the committed one when there was no run here.
    """
    last = RESULTS / "mutation.json"
    data = json.loads((last if last.exists() else COMMITTED).read_text(encoding="utf-8"))
    why = explain({s["name"]: s["diff"] for s in data["survivors"]})
    for survivor in data["survivors"]:
        survivor["explanation"] = why[survivor["name"]]
    return write(data, update)


def check(strict: bool) -> int:
    """Check the committed record without running mutmut; 0 when it is acceptable.

    With ``strict``, the to-do list (score below target, unexplained survivors)
    fails the check too.
    """
    if not COMMITTED.exists():
        print(f"{COMMITTED.relative_to(ROOT)} is missing; run `nox -s mutation -- --update`")
        return 1
    data = json.loads(COMMITTED.read_text(encoding="utf-8"))
    found = problems(data)
    why = explain({s["name"]: s["diff"] for s in data.get("survivors", [])})
    if any(why[s["name"]] != s.get("explanation") for s in data.get("survivors", [])):
        found.append(
            f"the record's explanations differ from {EXPLANATIONS.relative_to(ROOT)}; "
            "run `python tools/mutation.py explain --update` after a run, or "
            "`nox -s mutation -- --update`"
        )
    for problem in found:
        print(problem)
    remaining = to_do(data)
    for item in remaining:
        print(f"to do: {item}")
    print(
        f"{COMMITTED.relative_to(ROOT)}: {data['detected']} of {data['mutants']} mutants "
        f"killed ({data['score']:.1%}; target {TARGET:.0%}), {len(data['survivors'])} survivors"
    )
    return 1 if found or (strict and remaining) else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``run [--update] [--max-children N]`` or ``check``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="run mutmut and write the record")
    run_parser.add_argument("--update", action="store_true", help="write docs/_static/")
    run_parser.add_argument("--max-children", type=int, default=2, help="processes (default 2)")
    run_parser.add_argument(
        "--project", type=Path, default=ROOT, help="where to run mutmut (default: here)"
    )
    record_parser = commands.add_parser(
        "record", help="write the record of a finished or interrupted run, without running"
    )
    record_parser.add_argument("--update", action="store_true", help="write docs/_static/")
    record_parser.add_argument("--project", type=Path, default=ROOT, help="where mutmut ran")
    explain_parser = commands.add_parser(
        "explain", help="re-read the explanations into the last record (docs/_build/mutation/)"
    )
    explain_parser.add_argument("--update", action="store_true", help="write docs/_static/")
    check_parser = commands.add_parser("check", help="check the committed record")
    check_parser.add_argument("--strict", action="store_true", help="fail on the to-do list too")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args.max_children, args.update, args.project.resolve())
    if args.command == "explain":
        return reexplain(args.update)
    if args.command == "record":
        project = args.project.resolve()
        return write(record(verdicts(project), None, project), args.update)
    return check(args.strict)


if __name__ == "__main__":
    sys.exit(main())
