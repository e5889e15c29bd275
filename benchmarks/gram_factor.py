"""How good is GRAM_COST_FACTOR? Times the two forms of shared_weight_norms on a grid of shapes.

``zerograd.layers.shared_weight_norms`` computes each sample's norm of a shared weight's
gradient by the Gram form or from ``G_n`` itself, and ``choose_method`` picks one by counting
operations, with the Gram form's count weighted by ``layers.GRAM_COST_FACTOR``. This script
times both forms on 192 shapes (``T`` in 2..64, ``a`` and ``c`` in 1..64, kernel width 1 and 3),
then, for each of several factors, asks ``choose_method`` (with the factor patched in, as
tests/test_gradient_norms.py does) which form it would pick, and reports how much slower that
pick is than the faster form: the mean and the worst ratio over the shapes.

Every shape's batch size is chosen so that one call takes a few milliseconds. The two forms
run in turns (gram, direct, gram, ...) and each keeps its fastest turn: the machine may be
shared, and load only ever adds time. numpy's BLAS is held to one thread. Run, from the
repository root, in any environment holding zerograd (about 5 to 10 minutes on 2 cores)::

    python benchmarks/gram_factor.py [--out benchmarks/results/gram_factor.json] [--quick]
"""

from __future__ import annotations

import os

# Before numpy is imported, so that its BLAS starts with one thread; threadpoolctl (when
# installed) enforces the same afterwards.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
for _variable in THREAD_VARIABLES:
    os.environ.setdefault(_variable, "1")

import argparse
import contextlib
import importlib
import itertools
import json
import platform
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

import zerograd
from zerograd import layers

FACTORS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
STEPS = (2, 4, 8, 16, 32, 64)
WIDTHS_OF_LAYERS = (1, 4, 16, 64)
KERNEL_WIDTHS = (1, 3)
TURNS = 7
# Multiply-adds per call of the cheaper form; with a floor and a ceiling on the batch size.
WORK_PER_CALL = 6e7
BATCH_RANGE = (16, 16384)


@contextlib.contextmanager
def one_blas_thread() -> Iterator[list[dict[str, Any]]]:
    """Hold numpy's BLAS to one thread; yield what threadpoolctl reports (empty without it)."""
    try:  # optional: the environment variables above suffice without it
        threadpoolctl = importlib.import_module("threadpoolctl")
    except ImportError:
        yield []
        return
    with threadpoolctl.threadpool_limits(1):
        yield threadpoolctl.threadpool_info()


def fastest(delta: np.ndarray, inputs: np.ndarray, width: int) -> dict[str, float]:
    """Per form, the fastest of TURNS interleaved runs of shared_weight_norms, in seconds."""
    best = {"gram": np.inf, "direct": np.inf}
    for _ in range(TURNS):
        for method in ("gram", "direct"):
            start = time.perf_counter()
            layers.shared_weight_norms(delta, inputs, width, method=method)
            best[method] = min(best[method], time.perf_counter() - start)
    return best


def pick(factor: float, steps: int, n_out: int, n_in: int, width: int) -> str:
    """What choose_method picks with GRAM_COST_FACTOR set to factor."""
    saved = layers.GRAM_COST_FACTOR
    layers.GRAM_COST_FACTOR = factor
    try:
        return layers.choose_method(steps, n_out, n_in, width)
    finally:
        layers.GRAM_COST_FACTOR = saved


def measure(quick: bool) -> list[dict[str, Any]]:
    rng = np.random.default_rng(0)
    shapes = list(itertools.product(STEPS, WIDTHS_OF_LAYERS, WIDTHS_OF_LAYERS, KERNEL_WIDTHS))
    if quick:
        shapes = shapes[::15]
    rows = []
    print(" T   a   c  w     N   gram ms  direct ms  gram/direct")
    for steps, n_out, n_in, width in shapes:
        gram, direct = layers.operation_counts(steps, n_out, n_in, width)
        low, high = BATCH_RANGE
        n = int(max(low, min(high, WORK_PER_CALL / min(gram, direct))))
        delta = rng.normal(size=(n, steps, n_out))
        inputs = rng.normal(size=(n, steps + width - 1, n_in))
        best = fastest(delta, inputs, width)
        gram_time, direct_time = best["gram"], best["direct"]
        rows.append(
            {
                "steps": steps,
                "n_out": n_out,
                "n_in": n_in,
                "width": width,
                "batch": n,
                "gram_seconds": gram_time,
                "direct_seconds": direct_time,
                "counted_gram_over_direct": gram / direct,
            }
        )
        print(
            f"{steps:2d} {n_out:3d} {n_in:3d} {width:2d} {n:5d} {gram_time * 1e3:9.3f} "
            f"{direct_time * 1e3:9.3f}  {gram_time / direct_time:11.2f}"
        )
    return rows


def slowdowns(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per factor: the rule's pick's time over the faster form's, mean and worst over rows."""
    summary = []
    for factor in FACTORS:
        ratios = []
        for row in rows:
            chosen = pick(factor, row["steps"], row["n_out"], row["n_in"], row["width"])
            times = {"gram": row["gram_seconds"], "direct": row["direct_seconds"]}
            ratios.append(times[chosen] / min(times.values()))
        worst = max(range(len(rows)), key=ratios.__getitem__)
        summary.append(
            {
                "factor": factor,
                "mean_slowdown": statistics.mean(ratios),
                "worst_slowdown": ratios[worst],
                "worst_shape": {
                    key: rows[worst][key] for key in ("steps", "n_out", "n_in", "width")
                },
                "shapes_with_the_slower_form": sum(ratio > 1 for ratio in ratios),
            }
        )
    return summary


def machine() -> dict[str, Any]:
    """The processor, the versions and numpy's BLAS, for the record."""
    cpuinfo = Path("/proc/cpuinfo")
    text = cpuinfo.read_text() if cpuinfo.exists() else ""
    models = [line.partition(":")[2].strip() for line in text.splitlines() if "model name" in line]
    return {
        "cpu": models[0] if models else platform.processor(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": np.__version__,
        "zerograd": zerograd.__version__,
        "numpy_blas": np.show_config(mode="dicts")["Build Dependencies"]["blas"],
        "thread_variables": {name: os.environ.get(name) for name in THREAD_VARIABLES},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/gram_factor.json")
    parser.add_argument("--quick", action="store_true", help="every 15th shape only")
    args = parser.parse_args()
    info: dict[str, Any] = machine()
    info["started"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    info["load_average_at_start"] = os.getloadavg()
    info["current_factor"] = layers.GRAM_COST_FACTOR
    started = time.perf_counter()
    with one_blas_thread() as blas:
        info["blas"] = blas
        rows = measure(args.quick)
    info["load_average_at_end"] = os.getloadavg()
    info["seconds"] = round(time.perf_counter() - started, 1)
    summary = slowdowns(rows)
    print(f"load average at start {info['load_average_at_start']}, at end {os.getloadavg()}")
    print("factor  mean slowdown  worst slowdown  shapes where the rule picks the slower form")
    for entry in summary:
        print(
            f"{entry['factor']:6.2f}  {entry['mean_slowdown']:13.3f}  "
            f"{entry['worst_slowdown']:14.2f}  {entry['shapes_with_the_slower_form']:3d} of {len(rows)}"
        )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(
        json.dumps({"info": info, "summary": summary, "shapes": rows}, indent=1) + "\n"
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
