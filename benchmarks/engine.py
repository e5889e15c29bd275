"""Time zerograd's gradients against torch.func, JAX, HIPS autograd and a Python loop.

Every engine gets the same network (tanh hidden layers, identity output,
squared error with the factor 1/2), the same float64 data and the same
number of threads. For each network and batch size the script measures

* per-sample gradients (zerograd's ``reduction="none"``),
* summed gradients (``reduction="sum"``),
* ``numerical_gradients`` where its cost (two forward passes per parameter)
  stays small,

takes the median over repeated runs, checks that every engine's gradients
agree with zerograd's, times a plain numpy fill of as many bytes as the
per-sample output, and measures zerograd's peak memory with tracemalloc
(numpy reports its allocations there).

Run ``python benchmarks/engine.py --help``. The result is one JSON file.
"""

from __future__ import annotations

import argparse
import os


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", default="benchmarks/results/engine.json", help="JSON file to write"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads for every engine (numpy's BLAS, torch, XLA); default 1, see README",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=1.0,
        help="seconds of repeated runs per measurement after the first run (default 1.0)",
    )
    parser.add_argument(
        "--max-output-gib",
        type=float,
        default=2.0,
        help="largest per-sample output to allocate, in GiB; bigger batches are reduced",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes only, for a smoke test")
    return parser.parse_args()


ARGS = parse_arguments() if __name__ == "__main__" else None
if ARGS is not None:
    # Thread counts must be set before numpy, torch or jax is imported.
    threads = str(ARGS.threads)
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = threads
    if ARGS.threads == 1:
        os.environ["XLA_FLAGS"] = (
            os.environ.get("XLA_FLAGS", "")
            + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        ).strip()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")


import cProfile
import gc
import io
import itertools
import json
import platform
import pstats
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import autograd
import autograd.numpy as anp
import jax
import jax.numpy as jnp
import numpy as np
import threadpoolctl
import torch
from torch.func import grad, vmap

import zerograd as zg

Arrays = list[np.ndarray]
NETWORKS: tuple[tuple[int, ...], ...] = ((3, 16, 1), (32, 64, 1), (784, 128, 10))
BATCHES: tuple[int, ...] = (1, 256, 65_536)
QUICK_NETWORKS: tuple[tuple[int, ...], ...] = ((3, 16, 1), (32, 64, 1))
QUICK_BATCHES: tuple[int, ...] = (1, 256)
AGREEMENT_TOLERANCE = 1e-10
NUMERICAL_MAX_PARAMETERS = 5_000
NUMERICAL_MAX_WORK = 20_000_000  # parameters x batch: two forward passes per parameter
LOOP_MAX_WORK = 2**28  # samples x parameters: 784-128-10 at 65,536 samples takes a minute
BYTES = 8  # float64
FILL = "numpy fill"
MIN_REPEATS, MAX_REPEATS, SLOW_CALL_FACTOR = 3, 25, 10
GC_ABOVE_SECONDS = 0.05
PER_SAMPLE_FILL_TARGET = 2.0
SUMMED_TARGET = 1.5


def activations_for(sizes: Sequence[int]) -> list[str]:
    return ["tanh"] * (len(sizes) - 2) + ["identity"]


# ---------------------------------------------------------------- engines
# Each engine is a pair of callables built once per (network, data):
# per_sample() -> [dW1, db1, dW2, db2, ...] with a leading batch axis, and
# summed() -> the same without it. Outputs are converted to numpy only for
# the agreement check, outside the timed region.


@dataclass
class Engine:
    name: str
    per_sample: Callable[[], Any] | None
    summed: Callable[[], Any] | None
    to_numpy: Callable[[Any], Arrays]
    note: str = ""


def zerograd_engine(net: zg.Network, x: np.ndarray, y: np.ndarray) -> Engine:
    def as_list(g: zg.Gradients) -> Arrays:
        return [array for _, array in g.arrays()]

    return Engine(
        "zerograd",
        lambda: zg.gradients(net, x, y, reduction="none"),
        lambda: zg.gradients(net, x, y, reduction="sum"),
        as_list,
    )


def loop_engine(net: zg.Network, x: np.ndarray, y: np.ndarray) -> Engine:
    """A naive Python loop over samples, each a single-sample zerograd call."""

    def per_sample() -> Arrays:
        rows = [
            [a for _, a in zg.gradients(net, xi, yi).arrays()] for xi, yi in zip(x, y, strict=True)
        ]
        return [np.stack(column) for column in zip(*rows, strict=True)]

    def summed() -> Arrays:
        total: Arrays | None = None
        for xi, yi in zip(x, y, strict=True):
            arrays = [a for _, a in zg.gradients(net, xi, yi).arrays()]
            if total is None:
                total = arrays
            else:
                for running, array in zip(total, arrays, strict=True):
                    np.add(running, array, out=running)
        assert total is not None
        return total

    return Engine("python loop", per_sample, summed, lambda arrays: arrays)


def mlp_loss(
    params: Sequence[Any],
    inputs: Any,
    targets: Any,
    lib: Any,
    layer: Callable[[Any, Any, Any], Any],
) -> Any:
    """The benchmark's loss in any array library ``lib`` (torch, jax.numpy, autograd.numpy).

    ``layer(W, b, h)`` is the dense layer in the layout the caller needs: ``W @ h + b``
    for one sample, ``h @ W.T + b`` for a batch.
    """
    depth = len(params) // 2
    h = inputs
    for k in range(depth):
        z = layer(params[2 * k], params[2 * k + 1], h)
        h = lib.tanh(z) if k < depth - 1 else z
    return 0.5 * lib.sum((h - targets) ** 2)


def one_sample_layer(W: Any, b: Any, h: Any) -> Any:
    return W @ h + b


def batch_layer(W: Any, b: Any, h: Any) -> Any:
    return h @ W.T + b


def tiled_layer(W: Any, b: Any, h: Any) -> Any:
    # W and b carry one copy per sample: (N, n_k, n_{k-1}) and (N, n_k).
    return anp.einsum("nij,nj->ni", W, h) + b


def torch_engine(net: zg.Network, x: np.ndarray, y: np.ndarray, threads: int) -> Engine:
    torch.set_num_threads(threads)
    params = tuple(torch.from_numpy(a.copy()) for k in net.W for a in (net.W[k], net.b[k]))
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def loss_one(p: tuple[torch.Tensor, ...], xi: torch.Tensor, yi: torch.Tensor) -> torch.Tensor:
        return mlp_loss(p, xi, yi, torch, one_sample_layer)  # type: ignore[no-any-return]

    per_sample_fn = vmap(grad(loss_one), in_dims=(None, 0, 0))
    leaves = tuple(p.clone().requires_grad_(True) for p in params)

    def summed() -> list[torch.Tensor]:
        for leaf in leaves:
            leaf.grad = None
        mlp_loss(leaves, xt, yt, torch, batch_layer).backward()
        return [leaf.grad for leaf in leaves]  # type: ignore[misc]

    def to_numpy(tensors: Sequence[torch.Tensor]) -> Arrays:
        return [t.detach().numpy() for t in tensors]

    return Engine(
        "torch.func",
        lambda: per_sample_fn(params, xt, yt),
        summed,
        to_numpy,
        "vmap(grad) per sample; loss.backward() summed",
    )


def jax_engine(net: zg.Network, x: np.ndarray, y: np.ndarray) -> Engine:
    jax.config.update("jax_enable_x64", True)
    params = tuple(jnp.asarray(a) for k in net.W for a in (net.W[k], net.b[k]))
    xj, yj = jnp.asarray(x), jnp.asarray(y)

    def loss_one(p: tuple[jax.Array, ...], xi: jax.Array, yi: jax.Array) -> jax.Array:
        return mlp_loss(p, xi, yi, jnp, one_sample_layer)  # type: ignore[no-any-return]

    def loss_sum(p: tuple[jax.Array, ...], xs: jax.Array, ys: jax.Array) -> jax.Array:
        return mlp_loss(p, xs, ys, jnp, batch_layer)  # type: ignore[no-any-return]

    per_sample_fn = jax.jit(jax.vmap(jax.grad(loss_one), in_axes=(None, 0, 0)))
    summed_fn = jax.jit(jax.grad(loss_sum))
    return Engine(
        "jax",
        lambda: jax.block_until_ready(per_sample_fn(params, xj, yj)),
        lambda: jax.block_until_ready(summed_fn(params, xj, yj)),
        lambda arrays: [np.asarray(a) for a in arrays],
        "jit(vmap(grad)) per sample; jit(grad) summed; compile time excluded",
    )


def autograd_engine(net: zg.Network, x: np.ndarray, y: np.ndarray) -> Engine:
    params = [a for k in net.W for a in (net.W[k], net.b[k])]
    n = x.shape[0]

    # Parameters broadcast to one copy per sample: the gradient with respect to
    # copy n is sample n's gradient, in one vectorised pass (autograd has no vmap).
    def loss_tiled(tiled: list[Any]) -> Any:
        return mlp_loss(tiled, x, y, anp, tiled_layer)

    def loss_sum(p: list[Any]) -> Any:
        return mlp_loss(p, x, y, anp, batch_layer)

    per_sample_grad, summed_grad = autograd.grad(loss_tiled), autograd.grad(loss_sum)
    return Engine(
        "autograd",
        lambda: per_sample_grad([np.broadcast_to(a, (n, *a.shape)) for a in params]),
        lambda: summed_grad(params),
        list,
        "grad w.r.t. parameters broadcast per sample (no vmap in autograd); grad summed",
    )


# ---------------------------------------------------------------- measuring


def time_interleaved(
    calls: dict[str, Callable[[], Any]], warm: set[str], budget: float
) -> tuple[dict[str, float], dict[str, int], dict[str, Any]]:
    """Median seconds of each call, its repeat count, and its first result.

    Every call in ``warm`` runs once first, uncounted (JIT compilation,
    caches); the others (a plain Python loop) count their first run. The
    timed runs then go round the calls in turn rather than one call after
    another, so that a change in the machine's load or in the cost of fresh
    memory (large outputs fault in new pages, which on this virtual machine
    varies several-fold from minute to minute) falls on every engine alike.
    Fast calls repeat until ``budget`` seconds; slow ones run 3 times, and
    a call slower than 10 x ``budget`` only once.
    """
    first: dict[str, Any] = {}
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for name, call in calls.items():
        gc.collect()
        start = time.perf_counter()
        first[name] = call()
        elapsed = time.perf_counter() - start
        if name not in warm:
            samples[name].append(elapsed)
    repeats = {}
    for name, call in calls.items():
        if not samples[name]:
            start = time.perf_counter()
            call()
            samples[name].append(time.perf_counter() - start)
        single = samples[name][0]
        if single > SLOW_CALL_FACTOR * budget:
            repeats[name] = 1
        else:
            repeats[name] = int(min(MAX_REPEATS, max(MIN_REPEATS, budget / max(single, 1e-9))))
    rounds = max(repeats.values())
    names = list(calls)
    for round_number in range(1, rounds):
        if max(samples[name][0] for name in names) > GC_ABOVE_SECONDS:
            gc.collect()  # frees the large outputs; between fast calls it would only add noise
        # Each round starts with the next engine, so that no engine always runs first.
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            call = calls[name]
            if round_number < repeats[name]:
                start = time.perf_counter()
                call()
                samples[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    return medians, repeats, first


def peak_bytes(function: Callable[[], Any]) -> tuple[int, Any]:
    """Peak bytes allocated while ``function`` runs, above what was live before."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    result = function()
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    return peak, result


def max_relative_difference(arrays: Arrays, reference: Arrays) -> float:
    """max |a - r| / max |r| over all arrays: relative to each array's scale."""
    worst = 0.0
    for array, r in zip(arrays, reference, strict=True):
        a = np.asarray(array, dtype=np.float64).reshape(r.shape)
        scale = float(np.max(np.abs(r))) or 1.0
        worst = max(worst, float(np.max(np.abs(a - r))) / scale)
    return worst


def per_sample_batch(sizes: Sequence[int], requested: int, max_bytes: float) -> int:
    parameters = parameter_count(sizes)
    batch = requested
    while batch > 1 and batch * parameters * BYTES > max_bytes:
        batch //= 2
    return batch


def parameter_count(sizes: Sequence[int]) -> int:
    return sum(n_out * (n_in + 1) for n_in, n_out in itertools.pairwise(sizes))


@dataclass
class Case:
    sizes: tuple[int, ...]
    mode: str  # "per_sample", "summed" or "numerical"
    requested_batch: int
    batch: int
    note: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    repeats: dict[str, int] = field(default_factory=dict)
    agreement: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def make_data(sizes: Sequence[int], batch: int) -> tuple[zg.Network, np.ndarray, np.ndarray]:
    net = zg.Network.random(sizes, activations_for(sizes), seed=0)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(batch, sizes[0]))
    y = rng.normal(size=(batch, sizes[-1]))
    return net, x, y


def engines_for(net: zg.Network, x: np.ndarray, y: np.ndarray, threads: int) -> list[Engine]:
    engines = [
        zerograd_engine(net, x, y),
        torch_engine(net, x, y, threads),
        jax_engine(net, x, y),
        autograd_engine(net, x, y),
    ]
    if x.shape[0] * parameter_count(net.sizes) <= LOOP_MAX_WORK:
        engines.append(loop_engine(net, x, y))
    return engines


def run_gradient_case(case: Case, threads: int, budget: float) -> Case:
    net, x, y = make_data(case.sizes, case.batch)
    per_sample = case.mode == "per_sample"
    output_bytes = case.batch * parameter_count(case.sizes) * BYTES
    engines = engines_for(net, x, y, threads)
    calls = {e.name: e.per_sample if per_sample else e.summed for e in engines}
    if per_sample:
        calls[FILL] = lambda: np.full(output_bytes // BYTES, 1.0)
    warm = {name for name in calls if name != "python loop"}
    seconds, repeats, first = time_interleaved(calls, warm, budget)
    reference = engines[0].to_numpy(first["zerograd"])
    for engine in engines:
        case.seconds[engine.name] = seconds[engine.name]
        case.repeats[engine.name] = repeats[engine.name]
        arrays = engine.to_numpy(first.pop(engine.name))
        case.agreement[engine.name] = max_relative_difference(arrays, reference)
        del arrays
        log(case, engine.name)
    del first, reference
    gc.collect()
    output_bytes = case.batch * parameter_count(case.sizes) * BYTES
    if per_sample:
        fill_seconds = seconds[FILL]
        peak, _ = peak_bytes(lambda: zg.gradients(net, x, y, reduction="none"))
        largest_layer = case.batch * max(case.sizes) * BYTES
        gradients_bytes = output_bytes + case.batch * sum(case.sizes[1:]) * BYTES  # W, b and z
        case.extra.update(
            output_bytes=output_bytes,
            fill_seconds=fill_seconds,
            fill_ratio=case.seconds["zerograd"] / fill_seconds,
            peak_bytes=peak,
            returned_bytes=gradients_bytes,
            largest_layer_bytes=largest_layer,
            memory_target_bytes=gradients_bytes + largest_layer,
            memory_ratio=peak / (gradients_bytes + largest_layer),
        )
    else:
        peak, _ = peak_bytes(lambda: zg.gradients(net, x, y, reduction="sum"))
        largest_per_sample = case.batch * max(
            n_out * n_in for n_in, n_out in zip(case.sizes[:-1], case.sizes[1:], strict=True)
        )
        case.extra.update(
            peak_bytes=peak,
            largest_per_sample_array_bytes=largest_per_sample * BYTES,
            per_sample_output_bytes=output_bytes,
        )
    if missed_target(case):
        case.extra["profile"] = profile(
            lambda: zg.gradients(net, x, y, reduction="none" if per_sample else "sum")
        )
    return case


def missed_target(case: Case) -> bool:
    ours = case.seconds["zerograd"]
    peers = [seconds for name, seconds in case.seconds.items() if name != "zerograd"]
    if case.mode == "per_sample":
        return (
            ours > min(peers)
            or case.extra["fill_ratio"] > PER_SAMPLE_FILL_TARGET
            or case.extra["memory_ratio"] > 1
        )
    return ours > SUMMED_TARGET * min(peers)


def profile(function: Callable[[], Any], calls: int = 20) -> str:
    """cProfile's top functions by own time, over ``calls`` calls, paths shortened."""
    profiler = cProfile.Profile()
    profiler.enable()
    start = time.perf_counter()
    for _ in range(calls):
        function()
        if time.perf_counter() - start > 2.0:
            break
    profiler.disable()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.strip_dirs().sort_stats("tottime").print_stats(8)
    lines = stream.getvalue().strip().splitlines()
    start_row = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    return "\n".join([lines[0].strip(), *lines[start_row:]])


def run_numerical_case(case: Case, budget: float) -> Case:
    net, x, y = make_data(case.sizes, case.batch)
    calls = {
        "zerograd numerical": lambda: zg.numerical_gradients(net, x, y, reduction="sum"),
        "zerograd": lambda: zg.gradients(net, x, y, reduction="sum"),
    }
    seconds, repeats, first = time_interleaved(calls, set(calls), budget)
    case.seconds, case.repeats = seconds, repeats
    exact = [a for _, a in first["zerograd"].arrays()]
    estimate = [a for _, a in first["zerograd numerical"].arrays()]
    case.agreement = {
        "zerograd numerical": max_relative_difference(estimate, exact),
        "zerograd": 0.0,
    }
    log(case, "zerograd numerical")
    return case


def log(case: Case, engine: str) -> None:
    seconds = case.seconds[engine]
    print(
        f"{'-'.join(map(str, case.sizes)):>11} {case.mode:>10} N={case.batch:<6} "
        f"{engine:<20} {seconds * 1e3:10.3f} ms  (x{case.repeats[engine]})  "
        f"rel.diff {case.agreement[engine]:.1e}",
        flush=True,
    )


def plan(quick: bool, max_output_bytes: float) -> list[Case]:
    networks = QUICK_NETWORKS if quick else NETWORKS
    batches = QUICK_BATCHES if quick else BATCHES
    cases = []
    for sizes in networks:
        parameters = parameter_count(sizes)
        for requested in batches:
            batch = per_sample_batch(sizes, requested, max_output_bytes)
            note = ""
            if batch != requested:
                note = (
                    f"per-sample gradients of {requested} samples need "
                    f"{requested * parameters * BYTES / 2**30:.1f} GiB per engine in float64; "
                    f"measured at {batch} samples instead"
                )
            cases.append(Case(sizes, "per_sample", requested, batch, note))
            cases.append(Case(sizes, "summed", requested, requested))
            if (
                parameters <= NUMERICAL_MAX_PARAMETERS
                and parameters * requested <= NUMERICAL_MAX_WORK
            ):
                cases.append(Case(sizes, "numerical", requested, requested))
    return cases


def machine(threads: int) -> dict[str, Any]:
    model = platform.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = {}
    for package in ("numpy", "torch", "jax", "jaxlib", "autograd", "threadpoolctl", "zerograd"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "threads_per_engine": threads,
        "blas": threadpoolctl.threadpool_info(),
        "load_average_at_start": os.getloadavg(),
    }


def main(args: argparse.Namespace) -> None:
    info = machine(args.threads)
    started = time.perf_counter()
    cases = plan(args.quick, args.max_output_gib * 2**30)
    done = []
    with threadpoolctl.threadpool_limits(args.threads):
        info["blas_during_run"] = threadpoolctl.threadpool_info()
        for case in cases:
            if case.mode == "numerical":
                done.append(run_numerical_case(case, args.budget))
            else:
                done.append(run_gradient_case(case, args.threads, args.budget))
    info["load_average_at_end"] = os.getloadavg()
    info["wall_seconds"] = time.perf_counter() - started
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "machine": info,
        "agreement_tolerance": AGREEMENT_TOLERANCE,
        "cases": [case.__dict__ for case in done],
    }
    out.write_text(json.dumps(payload, indent=1, default=float) + "\n")
    disagreeing = [
        (case.sizes, case.mode, case.batch, engine, diff)
        for case in done
        if case.mode != "numerical"
        for engine, diff in case.agreement.items()
        if not diff < AGREEMENT_TOLERANCE
    ]
    print(f"wrote {out} in {info['wall_seconds']:.0f} s")
    if disagreeing:
        # report.py fails the session after writing the report, so that it shows why.
        print("engines disagree beyond the tolerance:", disagreeing)


if __name__ == "__main__":
    assert ARGS is not None
    main(ARGS)
