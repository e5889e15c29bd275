"""Time and peak memory of zerograd.gradient_norms against zerograd itself and its peers.

For each network and batch size:

* ``gradient_norms``: ``zg.gradient_norms``;
* ``zg sum``: zerograd's own summed gradient, ``zg.gradients(reduction="sum")`` (time goal of
  issue 14: ``gradient_norms`` within 1.5x);
* ``zg forward``: the forward pass alone, ``net.forward_batch`` (memory goal of issue 14:
  ``gradient_norms``'s peak within 2x);
* ``zg none+norms``: ``zg.gradients(reduction="none")``, then the norms;
* ``torch.func``: ``vmap(grad)`` of a functional torch model, then the norms;
* ``BackPACK``: ``BatchL2Grad`` (the squared norms; square root taken);
* ``Opacus``: ``GradSampleModule`` per-sample gradients (hooks), then the norms;
* ``Opacus ghost``: ``GradSampleModuleFastGradientClipping(use_ghost_clipping=True)``, whose
  first backward pass stores each parameter's per-sample norm (ghost norms for nn.Linear; other
  layers fall back to per-sample gradients inside Opacus).

Every engine is pinned to one thread. Times are medians over interleaved rounds (each round
starts with the next engine); the load average is recorded at the start and end of each case.
Peak memory is measured in a fresh subprocess per (case, engine): the peak resident set size
(VmHWM, reset through /proc/self/clear_refs) above the resident size just before the call,
after one uncounted warm-up call; for the numpy engines tracemalloc's peak too.

Not part of ``nox`` or CI: it needs torch, BackPACK and Opacus, at the versions pinned in the
``bench-norms`` dependency group of pyproject.toml. Run ``nox -s bench_norms`` (arguments go to
this script, e.g. ``nox -s bench_norms -- --quick``), or in any environment holding zerograd and
that group: ``python benchmarks/norms.py --out benchmarks/results/norms.json [--quick]``. A full
run takes about 30 minutes on a 2-core machine.
"""

# The peers (torch, BackPACK, Opacus) are imported inside the functions that use them, so that
# a memory measurement of a numpy engine runs in a process that never imported torch.
# ruff: noqa: PLC0415

from __future__ import annotations

import argparse
import json
import os
import sys

THREADS = "1"
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = THREADS

import cProfile
import gc
import io
import pstats
import re
import statistics
import subprocess
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import threadpoolctl
from cases import CASES, build, parameter_count

import zerograd as zg

HERE = Path(__file__).resolve().parent
Norms = dict[str, np.ndarray]

# ----------------------------------------------------------------------------- cases
QUICK_BATCHES = [1, 256]
ENGINES = (
    "gradient_norms",
    "zg sum",
    "zg forward",
    "zg none+norms",
    "torch.func",
    "BackPACK",
    "Opacus",
    "Opacus ghost",
)
PEERS = ("zg none+norms", "torch.func", "BackPACK", "Opacus", "Opacus ghost")
NUMPY_ENGINES = ("gradient_norms", "zg sum", "zg forward", "zg none+norms")
MIN_REPEATS, MAX_REPEATS, SLOW_SECONDS = 5, 15, 10.0
INNER_SECONDS = 0.02
TIME_GOAL, MEMORY_GOAL = 1.5, 2.0


def names_of(net: Any) -> list[str]:
    """zerograd's parameter names in the order of Gradients.arrays()."""
    names = []
    for k in net.W:
        names.append(f"W[{k}]")
        if isinstance(net, zg.RecurrentNetwork) and k == 1:
            names.append("U[1]")
        names.append(f"b[{k}]")
    return names


# ----------------------------------------------------------------------------- torch models


def torch_module(case: dict[str, Any], net: Any, *, dp_rnn: bool = False) -> Any:
    """A fresh float64 nn.Module with the zerograd model's parameters; maps names too."""
    import torch
    from torch import nn

    def tensor(a: np.ndarray) -> Any:
        return nn.Parameter(torch.from_numpy(np.array(a, dtype=np.float64)))

    mapping: dict[str, str] = {}
    if case["kind"] in ("dense", "conv"):
        layers: list[Any] = []
        for k in net.W:
            W = net.W[k]
            if W.ndim == 3:
                layer: Any = nn.Conv1d(W.shape[1], W.shape[0], W.shape[2], dtype=torch.float64)
            else:
                if k > 1 and net.W[k - 1].ndim == 3:
                    layers.append(nn.Flatten())
                layer = nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
            layer.weight = tensor(W)
            layer.bias = tensor(net.b[k])
            mapping[f"{len(layers)}.weight"] = f"W[{k}]"
            mapping[f"{len(layers)}.bias"] = f"b[{k}]"
            layers.append(layer)
            if k < net.K:
                layers.append(nn.Tanh())
        return nn.Sequential(*layers), mapping
    from backpack.custom_module.reduce_tuple import ReduceTuple
    from backpack.custom_module.slicing import Slicing

    n_0, n_1, n_2 = net.sizes
    if dp_rnn:
        from opacus.layers import DPRNN

        rnn: Any = DPRNN(n_0, n_1, batch_first=True)
    else:
        rnn = nn.RNN(n_0, n_1, batch_first=True, dtype=torch.float64)
    rnn.to(torch.float64)
    with torch.no_grad():
        params = dict(rnn.named_parameters())
        params["weight_ih_l0"].copy_(torch.from_numpy(net.W[1]))
        params["weight_hh_l0"].copy_(torch.from_numpy(net.U[1]))
        params["bias_ih_l0"].copy_(torch.from_numpy(net.b[1]))
        params["bias_hh_l0"].zero_()
    readout = nn.Linear(n_1, n_2, dtype=torch.float64)
    readout.weight, readout.bias = tensor(net.W[2]), tensor(net.b[2])
    layers = [rnn, ReduceTuple(index=0)]
    if case["output"] == "last":
        layers.append(Slicing((slice(None), -1)))
    layers.append(readout)
    last = len(layers) - 1
    mapping = {
        "0.weight_ih_l0": "W[1]",
        "0.weight_hh_l0": "U[1]",
        "0.bias_ih_l0": "b[1]",
        f"{last}.weight": "W[2]",
        f"{last}.bias": "b[2]",
    }
    return nn.Sequential(*layers), mapping


def torch_func_engine(
    case: dict[str, Any], net: Any, x: np.ndarray, y: np.ndarray
) -> Callable[[], Norms]:
    """vmap(grad) of a functional model written with torch ops (nn.RNN does not vmap)."""
    import torch
    from torch.func import grad, vmap
    from torch.nn import functional

    torch.set_num_threads(1)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    params = {name: torch.from_numpy(np.array(a)) for name, a in _arrays(net).items()}

    def model(prm: dict[str, Any], xi: Any) -> Any:
        if case["kind"] == "recurrent":
            h = torch.zeros(prm["W[1]"].shape[0], dtype=torch.float64)
            outs = []
            for t in range(xi.shape[0]):
                h = torch.tanh(prm["W[1]"] @ xi[t] + prm["U[1]"] @ h + prm["b[1]"])
                outs.append(prm["W[2]"] @ h + prm["b[2]"])
            return outs[-1] if case["output"] == "last" else torch.stack(outs)
        h = xi
        for k in net.W:
            W, b = prm[f"W[{k}]"], prm[f"b[{k}]"]
            h = functional.conv1d(h[None], W, b)[0] if W.ndim == 3 else W @ h.reshape(-1) + b
            if k < net.K:
                h = torch.tanh(h)
        return h

    def loss_one(prm: dict[str, Any], xi: Any, yi: Any) -> Any:
        return 0.5 * ((model(prm, xi) - yi) ** 2).sum()

    per_sample = vmap(grad(loss_one), in_dims=(None, 0, 0))

    def run() -> Norms:
        g = per_sample(params, xt, yt)
        return {name: g[name].reshape(len(x), -1).norm(dim=1).numpy() for name in params}

    return run


def _arrays(net: Any) -> dict[str, np.ndarray]:
    out = {}
    for name in names_of(net):
        kind, k = name[0], int(name[2:-1])
        out[name] = getattr(net, kind)[k]
    return out


def backpack_engine(
    case: dict[str, Any], net: Any, x: np.ndarray, y: np.ndarray
) -> Callable[[], Norms]:
    import torch
    from backpack import backpack, extend
    from backpack.extensions import BatchL2Grad

    torch.set_num_threads(1)
    module, mapping = torch_module(case, net)
    module = extend(module)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def run() -> Norms:
        module.zero_grad()
        loss = 0.5 * ((module(xt) - yt) ** 2).sum()
        with backpack(BatchL2Grad()):
            loss.backward()
        return {
            mapping[n]: prm.batch_l2.sqrt().detach().numpy()
            for n, prm in module.named_parameters()
            if n in mapping
        }

    return run


def opacus_engine(
    case: dict[str, Any], net: Any, x: np.ndarray, y: np.ndarray, ghost: bool
) -> Callable[[], Norms]:
    import torch
    from opacus.grad_sample import GradSampleModule, GradSampleModuleFastGradientClipping

    torch.set_num_threads(1)
    module, mapping = torch_module(case, net, dp_rnn=True)
    if ghost:
        wrapped: Any = GradSampleModuleFastGradientClipping(
            module, max_grad_norm=1e300, use_ghost_clipping=True, loss_reduction="sum"
        )
    else:
        wrapped = GradSampleModule(module, loss_reduction="sum")
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    named = [(mapping.get(n), prm) for n, prm in module.named_parameters()]
    if any(name is None for name, _ in named):  # DPRNN names its cells differently
        named = _dprnn_names(module, mapping)

    def run() -> Norms:
        wrapped.zero_grad()
        loss = 0.5 * ((wrapped(xt) - yt) ** 2).sum()
        loss.backward()
        if ghost:
            return {name: prm._norm_sample.detach().numpy() for name, prm in named}
        return {
            name: prm.grad_sample.reshape(len(x), -1).norm(dim=1).detach().numpy()
            for name, prm in named
        }

    return run


def _dprnn_names(module: Any, mapping: dict[str, str]) -> list[tuple[str, Any]]:
    named = []
    for n, prm in module.named_parameters():
        if n in mapping:
            named.append((mapping[n], prm))
            continue
        short = n.split(".", 1)[1]
        table = {
            "l0.ih.weight": "W[1]",
            "l0.hh.weight": "U[1]",
            "l0.ih.bias": "b[1]",
            "l0.hh.bias": None,
        }
        for key, value in table.items():
            if short.endswith(key) and value is not None:
                named.append((value, prm))
    return named


# ----------------------------------------------------------------------------- engines


def engine_call(
    name: str, case: dict[str, Any], net: Any, x: np.ndarray, y: np.ndarray
) -> Callable[[], Any]:
    if name == "gradient_norms":
        return lambda: zg.gradient_norms(net, x, y)
    if name == "zg sum":
        return lambda: zg.gradients(net, x, y, reduction="sum")
    if name == "zg forward":
        inputs = np.asarray(x, dtype=np.float64)
        return lambda: net.forward_batch(inputs)
    if name == "zg none+norms":

        def none_then_norms() -> Norms:
            g = zg.gradients(net, x, y, reduction="none")
            return {n: np.linalg.norm(a.reshape(len(a), -1), axis=1) for n, a in g.arrays()}

        return none_then_norms
    if name == "torch.func":
        return torch_func_engine(case, net, x, y)
    if name == "BackPACK":
        return backpack_engine(case, net, x, y)
    if name == "Opacus":
        return opacus_engine(case, net, x, y, ghost=False)
    if name == "Opacus ghost":
        return opacus_engine(case, net, x, y, ghost=True)
    raise ValueError(name)


def as_norms(name: str, result: Any) -> Norms | None:
    if name in ("zg sum", "zg forward"):
        return None
    if isinstance(result, zg.GradientNorms):
        return dict(result.arrays())
    return {k: np.asarray(v) for k, v in result.items()}


def per_sample_bytes(net: Any, n: int) -> int:
    return n * parameter_count(net) * 8


def engine_runs(
    name: str, case: dict[str, Any], net: Any, n: int, max_bytes: float
) -> tuple[bool, str]:
    """Whether ``name`` runs on this case, and why not."""
    needs_per_sample = (
        name in ("zg none+norms", "torch.func", "Opacus")
        or (name == "BackPACK" and case["kind"] == "recurrent")
        or (name == "Opacus ghost" and case["kind"] != "dense")
    )
    if needs_per_sample and per_sample_bytes(net, n) > max_bytes:
        gib = per_sample_bytes(net, n) / 2**30
        return False, f"per-sample gradients need {gib:.1f} GiB > {max_bytes / 2**30:.0f} GiB"
    return True, ""


# ----------------------------------------------------------------------------- measuring


def time_interleaved(
    calls: dict[str, Callable[[], Any]], budget: float
) -> tuple[dict[str, float], dict[str, int], dict[str, Any]]:
    """Median seconds per call of each engine, its repeat count, and its first result.

    A call faster than INNER_SECONDS is timed as the mean of a loop of calls long enough to take
    INNER_SECONDS, so that each sample measures the call in steady state: timed alone, a numpy
    call that follows a torch call in the round paid for the caches the torch call evicted
    (3x at N=1 in the first run), a cost that fell on whichever engine came first.
    """
    first: dict[str, Any] = {}
    single: dict[str, float] = {}
    for name, call in calls.items():
        gc.collect()
        first[name] = call()  # warm-up, uncounted (hooks, caches)
        start = time.perf_counter()
        call()
        single[name] = time.perf_counter() - start
    inner = {
        name: max(1, int(INNER_SECONDS / max(s, 1e-9))) if s < INNER_SECONDS else 1
        for name, s in single.items()
    }
    repeats = {
        name: 1
        if s > SLOW_SECONDS
        else 3
        if s > 1.0
        else int(min(MAX_REPEATS, max(MIN_REPEATS, budget / max(s * inner[name], 1e-9))))
        for name, s in single.items()
    }
    samples: dict[str, list[float]] = {name: [] for name in calls}
    names = list(calls)
    for round_number in range(max(repeats.values())):
        gc.collect()
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            if round_number < repeats[name]:
                call, loops = calls[name], inner[name]
                start = time.perf_counter()
                for _ in range(loops):
                    call()
                samples[name].append((time.perf_counter() - start) / loops)
    for name in names:
        if not samples[name]:
            samples[name].append(single[name])
    return {k: statistics.median(v) for k, v in samples.items()}, repeats, first


def rss_kib() -> tuple[int, int]:
    text = Path("/proc/self/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+)", text).group(1))  # type: ignore[union-attr]
    hwm = int(re.search(r"VmHWM:\s+(\d+)", text).group(1))  # type: ignore[union-attr]
    return rss, hwm


def measure_memory_here(spec: dict[str, Any]) -> dict[str, Any]:
    """Run in a fresh process: one warm-up call, then the peak RSS (and tracemalloc) of one call."""
    case = next(c for c in CASES if c["label"] == spec["case"])
    net, x, y = build(case, spec["n"])
    with threadpoolctl.threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        call = engine_call(spec["engine"], case, net, x, y)
        result = call()
        del result
        gc.collect()
        before, _ = rss_kib()
        Path("/proc/self/clear_refs").write_text("5")
        result = call()
        _, peak = rss_kib()
        del result
        out: dict[str, Any] = {"rss_peak_bytes": (peak - before) * 1024}
        if spec["engine"] in NUMPY_ENGINES:
            gc.collect()
            tracemalloc.start()
            start = tracemalloc.get_traced_memory()[0]
            call()
            out["tracemalloc_peak_bytes"] = tracemalloc.get_traced_memory()[1] - start
            tracemalloc.stop()
    return out


def measure_memory(case: dict[str, Any], n: int, engine: str) -> dict[str, Any]:
    spec = json.dumps({"case": case["label"], "n": n, "engine": engine})
    done = subprocess.run(
        [sys.executable, str(Path(__file__)), "--memory-one", spec],
        capture_output=True,
        text=True,
        cwd=HERE,
        check=False,
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def profile(call: Callable[[], Any], calls: int = 10) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    start = time.perf_counter()
    for _ in range(calls):
        call()
        if time.perf_counter() - start > 3.0:
            break
    profiler.disable()
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).strip_dirs().sort_stats("tottime").print_stats(10)
    lines = stream.getvalue().strip().splitlines()
    start_row = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    return "\n".join([lines[0].strip(), *lines[start_row:]])


def agreement(norms: Norms, reference: Norms) -> float:
    worst = 0.0
    for name, ref in reference.items():
        scale = float(np.max(np.abs(ref))) or 1.0
        worst = max(worst, float(np.max(np.abs(np.asarray(norms[name]) - ref))) / scale)
    return worst


def run_case(case: dict[str, Any], n: int, args: argparse.Namespace) -> dict[str, Any]:
    net, x, y = build(case, n)
    max_bytes = args.max_output_gib * 2**30
    record: dict[str, Any] = {
        "case": case["label"],
        "kind": case["kind"],
        "n": n,
        "parameters": parameter_count(net),
        "load_start": os.getloadavg(),
        "skipped": {},
        "seconds": {},
        "repeats": {},
        "agreement": {},
        "memory": {},
    }
    calls = {}
    for name in ENGINES:
        if args.engines and name not in args.engines:
            continue
        runs, why = engine_runs(name, case, net, n, max_bytes)
        if not runs:
            record["skipped"][name] = why
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                calls[name] = engine_call(name, case, net, x, y)
        except Exception as error:  # noqa: BLE001 - a peer that cannot run is recorded, not fatal
            record["skipped"][name] = f"{type(error).__name__}: {error}"[:300]
    with threadpoolctl.threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        broken = []
        for name, call in calls.items():
            try:
                call()
            except Exception as error:  # noqa: BLE001
                record["skipped"][name] = f"{type(error).__name__}: {error}"[:300]
                broken.append(name)
        for name in broken:
            del calls[name]
        seconds, repeats, first = time_interleaved(calls, args.budget)
    record["seconds"], record["repeats"] = seconds, repeats
    reference = as_norms("gradient_norms", first["gradient_norms"])
    assert reference is not None
    for name, result in first.items():
        norms = as_norms(name, result)
        if norms is not None:
            record["agreement"][name] = agreement(norms, reference)
    del first
    gc.collect()
    record["load_end"] = os.getloadavg()
    if not args.no_memory:
        for name in calls:
            record["memory"][name] = measure_memory(case, n, name)
    ratio = seconds["gradient_norms"] / seconds["zg sum"]
    record["time_ratio_vs_sum"] = ratio
    mem = record["memory"]
    if (
        "gradient_norms" in mem
        and "zg forward" in mem
        and "rss_peak_bytes" in mem["gradient_norms"]
    ):
        for key in ("rss_peak_bytes", "tracemalloc_peak_bytes"):
            record[f"memory_ratio_vs_forward_{key}"] = mem["gradient_norms"][key] / max(
                mem["zg forward"][key], 1
            )
    missed = ratio > TIME_GOAL or any(
        seconds[peer] < seconds["gradient_norms"] for peer in PEERS if peer in seconds
    )
    if missed or record.get("memory_ratio_vs_forward_tracemalloc_peak_bytes", 0) > MEMORY_GOAL:
        record["profile_gradient_norms"] = profile(calls["gradient_norms"])
        record["profile_zg_sum"] = profile(calls["zg sum"])
    print(
        f"{case['label']:>30} N={n:<6} load {record['load_start'][0]:.2f}->{record['load_end'][0]:.2f} "
        + " ".join(f"{k}={v * 1e3:.3g}ms" for k, v in seconds.items()),
        flush=True,
    )
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(HERE / "results" / "norms.json"))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--budget", type=float, default=1.0)
    parser.add_argument("--max-output-gib", type=float, default=2.0)
    parser.add_argument("--only", nargs="*", default=None, help="case labels to run")
    parser.add_argument("--engines", nargs="*", default=None)
    parser.add_argument("--batches", nargs="*", type=int, default=None)
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--memory-one", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_one:
        print(json.dumps(measure_memory_here(json.loads(args.memory_one))))
        return
    import torch

    info = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "load_start": os.getloadavg(),
        "versions": {
            "numpy": np.__version__,
            "torch": torch.__version__,
            "backpack": _version("backpack-for-pytorch"),
            "opacus": _version("opacus"),
            "zerograd": f"{zg.__version__} from {Path(zg.__file__).parent}",
        },
        "blas": threadpoolctl.threadpool_info(),
        "threads": 1,
    }
    records = []
    for case in CASES:
        if args.only and case["label"] not in args.only:
            continue
        batches = QUICK_BATCHES if args.quick else case["batches"]
        if args.batches:
            batches = [b for b in batches if b in args.batches]
        for n in batches:
            records.append(run_case(case, n, args))
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            Path(args.out).write_text(
                json.dumps({"info": info, "records": records}, indent=1, default=float)
            )
    info["load_end"] = os.getloadavg()
    Path(args.out).write_text(
        json.dumps({"info": info, "records": records}, indent=1, default=float)
    )
    print(f"wrote {args.out}")


def _version(package: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


if __name__ == "__main__":
    main()
