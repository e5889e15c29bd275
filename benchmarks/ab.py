"""Time zerograd.gradients of two versions of the library against each other, interleaved.

``nox -s ab`` installs the working tree and another revision (``main`` unless told
otherwise), then runs this script: one worker process per version, each importing its
own zerograd with the same numpy, and a driver that asks them in turn to time the same
cases (the dense networks and batch sizes of ``benchmarks/engine.py``, and the convolutional
and recurrent ones of ``benchmarks/cases.py``; summed, per-sample and ``gradient_norms``),
alternating which goes first. Timing both versions in the same minutes is what makes
the ratio mean something on a machine whose load changes; each worker runs one thread
and measures its own CPU time (user and system), so that time spent waiting for a core
another process holds does not count. The driver prints, for each case and version, the
fastest turn and the median one (on a busy machine the fastest is the steadier figure:
a contended turn is only ever slower), their ratios, and the load averages at the start
and the end; ``--out`` also writes JSON.

Run ``python benchmarks/ab.py --help``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from cases import CASES, build, parameter_count

import zerograd as zg  # in a worker, the version its PYTHONPATH puts first

NETWORKS = ((3, 16, 1), (32, 64, 1), (784, 128, 10))
BATCHES = (1, 256, 65_536)
REDUCTIONS = ("none", "sum", "norms")
"""``gradients`` per sample and summed, and ``gradient_norms`` (shown as ``norms``)."""
PER_SAMPLE_LIMIT = 2**31
"""Bytes of per-sample output above which a batch is cut down (as benchmarks/engine.py does)."""
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def cases(quick: bool) -> list[dict[str, Any]]:
    """Each network, batch size and call; a per-sample output over 2 GiB gets fewer samples."""
    networks: list[dict[str, Any]] = [
        {
            "kind": "dense",
            "label": "-".join(map(str, sizes)),
            "sizes": list(sizes),
            "batches": BATCHES,
        }
        for sizes in NETWORKS
    ]
    networks += [case for case in CASES if case["kind"] != "dense"]
    found = []
    for network in networks:
        if quick and network["label"] == "784-128-10":
            continue
        for batch in network["batches"][:2] if quick else network["batches"]:
            for reduction in REDUCTIONS:
                n = batch
                if reduction == "none":
                    entries = parameter_count(build(network, 1)[0])
                    while 8 * n * entries > PER_SAMPLE_LIMIT:
                        n //= 2
                found.append({**network, "n": n, "reduction": reduction})
    return found


def call(net: Any, x: Any, y: Any, reduction: str) -> None:
    """One call of the library: ``gradients`` with ``reduction``, or ``gradient_norms``."""
    if reduction == "norms":
        zg.gradient_norms(net, x, y)
    else:
        zg.gradients(net, x, y, reduction=reduction)


def worker() -> None:
    """Answer timing requests on stdin, one JSON line each, with the seconds of each call."""
    data: dict[str, Any] = {}
    for line in sys.stdin:
        case = json.loads(line)
        key = json.dumps([case["label"], case["n"]])
        if key not in data:
            data.clear()  # one case's arrays at a time
            data[key] = build(case, case["n"])
        net, x, y = data[key]
        start = time.process_time()
        call(net, x, y, case["reduction"])  # warm-up, not counted
        # Calls shorter than a millisecond are timed in groups, each sample their mean.
        group = max(1, round(1e-3 / max(time.process_time() - start, 1e-6)))
        seconds: list[float] = []
        deadline = time.process_time() + case["budget"]
        while len(seconds) < case["repeats"] and (not seconds or time.process_time() < deadline):
            start = time.process_time()
            for _ in range(group):
                call(net, x, y, case["reduction"])
            seconds.append((time.process_time() - start) / group)
        print(json.dumps({"version": zg.__file__, "seconds": seconds}), flush=True)


def start(path: str | None) -> subprocess.Popen[str]:
    """A worker that imports zerograd from ``path`` (first on sys.path), or as installed."""
    env = {**os.environ, **ONE_THREAD}
    if path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [path, env.get("PYTHONPATH", "")]))
    return subprocess.Popen(
        [sys.executable, __file__, "--worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def ask(process: subprocess.Popen[str], case: dict[str, Any]) -> dict[str, Any]:
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write(json.dumps(case) + "\n")
    process.stdin.flush()
    answer: dict[str, Any] = json.loads(process.stdout.readline())
    return answer


def name(case: dict[str, Any]) -> str:
    return f"{case['label'].replace('|', '/')} N={case['n']:,} {case['reduction']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-path", required=True, help="folder holding the other zerograd")
    parser.add_argument("--new-path", help="folder holding this zerograd (default: installed)")
    parser.add_argument("--rounds", type=int, default=7, help="turns of each version per case")
    parser.add_argument("--budget", type=float, default=0.5, help="seconds of calls per turn")
    parser.add_argument("--repeats", type=int, default=25, help="calls per turn at most")
    parser.add_argument(
        "--quick", action="store_true", help="without 784-128-10, and the two smaller batches"
    )
    parser.add_argument("--out", type=Path, help="also write the results as JSON")
    arguments = parser.parse_args()
    if "--worker" in sys.argv:
        return
    load_start = os.getloadavg()
    versions = {"base": start(arguments.base_path), "new": start(arguments.new_path)}
    seconds: dict[tuple[str, str], list[float]] = {}
    where = {}
    for round_ in range(arguments.rounds):
        for case in cases(arguments.quick):
            request = {**case, "budget": arguments.budget, "repeats": arguments.repeats}
            order = ("base", "new") if round_ % 2 == 0 else ("new", "base")
            for version in order:
                answer = ask(versions[version], request)
                where[version] = answer["version"]
                seconds.setdefault((name(case), version), []).extend(answer["seconds"])
    load_end = os.getloadavg()
    for process in versions.values():
        assert process.stdin is not None
        process.stdin.close()
        process.wait()
    print(f"base: {where['base']}\nnew:  {where['new']}")
    print(f"load average (1, 5, 15 min): start {load_start}, end {load_end}\n")
    print("| case | base (fastest) | new (fastest) | ratio | ratio of medians |")
    print("|---|---|---|---|---|")
    rows = []
    for case in cases(arguments.quick):
        base, new = seconds[(name(case), "base")], seconds[(name(case), "new")]
        ratio, median_ratio = min(new) / min(base), statistics.median(new) / statistics.median(base)
        rows.append({"case": name(case), "base": base, "new": new, "ratio": ratio})
        print(
            f"| {name(case)} | {min(base) * 1e3:.3f} ms | {min(new) * 1e3:.3f} ms "
            f"| {ratio:.3f} | {median_ratio:.3f} |"
        )
    if arguments.out:
        result = {"load_start": load_start, "load_end": load_end, "rows": rows, "where": where}
        arguments.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    if "--worker" in sys.argv:
        worker()
    else:
        main()
