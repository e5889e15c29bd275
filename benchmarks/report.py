"""Write benchmarks/README.md and the plot from the JSON results.

The tables, the machine and the verdict on every target are generated from
``results/engine.json``, ``results/norms.json`` (through ``norms_report.py``) and
``results/build.json``; the discussion of why a target is missed is kept by hand in
``analysis.md`` and ``norms.md`` and inserted as it is.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import matplotlib as mpl

mpl.use("Agg")  # no screen: write PNG files only
import matplotlib.pyplot as plt
import norms_report  # beside this script, as Python finds it when the script runs

HERE = Path(__file__).resolve().parent
PEERS = ("torch.func", "jax", "autograd", "python loop")
ENGINES = ("zerograd", *PEERS)
PER_SAMPLE_FILL_TARGET = 2.0
SUMMED_TARGET = 1.5


def name(sizes: Iterable[int]) -> str:
    return "-".join(str(n) for n in sizes)


def ms(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


def mib(count: float) -> str:
    return f"{count / 2**20:,.1f} MiB" if count >= 2**20 else f"{count / 2**10:,.1f} KiB"


def verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def machine_section(engine: dict[str, Any]) -> list[str]:
    info = engine["machine"]
    versions = info["versions"]
    blas = [
        f"{lib.get('internal_api')} {lib.get('version')} ({lib.get('architecture', '')}, "
        f"{lib.get('num_threads')} threads in the run, `{Path(lib.get('filepath', '')).name}`)"
        for lib in info.get("blas_during_run", info["blas"])
        if lib.get("user_api") == "blas"
    ]
    start, end = info["load_average_at_start"], info["load_average_at_end"]
    return [
        "## The machine",
        "",
        (
            f"- CPU: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB of memory;"
            f" {info['platform']}, Python {info['python']}."
        ),
        f"- numpy {versions['numpy']} with BLAS: {'; '.join(blas) or 'none found'}.",
        (
            f"- Peers: torch {versions['torch']}, jax {versions['jax']} (jaxlib {versions['jaxlib']}),"
            f" autograd {versions['autograd']}; threadpoolctl {versions['threadpoolctl']}."
        ),
        (
            f"- Threads per engine: {info['threads_per_engine']} (numpy's BLAS through threadpoolctl,"
            " `torch.set_num_threads`, XLA's flags)."
        ),
        (
            f"- Load average (1, 5, 15 min) at the start {tuple(round(x, 2) for x in start)},"
            f" at the end {tuple(round(x, 2) for x in end)}; the engine run took"
            f" {info['wall_seconds']:.0f} s."
        ),
        "",
    ]


def cases_of(engine: dict[str, Any], mode: str) -> list[dict[str, Any]]:
    return [case for case in engine["cases"] if case["mode"] == mode]


def per_sample_section(engine: dict[str, Any]) -> tuple[list[str], list[str]]:
    rows, misses = [], []
    notes = []
    for case in cases_of(engine, "per_sample"):
        seconds, extra = case["seconds"], case["extra"]
        ours = seconds["zerograd"]
        ratios = []
        for peer in PEERS:
            if peer in seconds:
                ratio = ours / seconds[peer]
                ratios.append(f"{ratio:.2f}" if ratio <= 1 else f"**{ratio:.2f}**")
                if ratio > 1:
                    misses.append(
                        f"per-sample {name(case['sizes'])}, N={case['batch']}: {ratio:.2f}x {peer}"
                    )
            else:
                ratios.append("n/a")
        fill = extra["fill_ratio"]
        memory = extra["memory_ratio"]
        if fill > PER_SAMPLE_FILL_TARGET:
            misses.append(
                f"per-sample {name(case['sizes'])}, N={case['batch']}: {fill:.1f}x the fill time"
            )
        if memory > 1:
            misses.append(
                f"per-sample {name(case['sizes'])}, N={case['batch']}: peak memory {memory:.2f}x"
                " the target"
            )
        batch = f"{case['batch']:,}" + ("*" if case["batch"] != case["requested_batch"] else "")
        if case["note"]:
            notes.append(f"\\* {name(case['sizes'])}: {case['note']}.")
        rows.append(
            [
                name(case["sizes"]),
                batch,
                ms(ours),
                *[ms(seconds.get(peer)) for peer in PEERS],
                *ratios,
                ms(extra["fill_seconds"]),
                f"{fill:.2f}" if fill <= PER_SAMPLE_FILL_TARGET else f"**{fill:.2f}**",
                f"{mib(extra['peak_bytes'])} / {mib(extra['memory_target_bytes'])}",
            ]
        )
    header = [
        "network",
        "N",
        "zerograd",
        *PEERS,
        *[f"÷ {peer}" for peer in PEERS],
        "fill",
        "÷ fill",
        "peak / target memory",
    ]
    lines = [
        '### Per-sample gradients (`reduction="none"`)',
        "",
        *table(header, rows),
        "",
        *notes,
        "",
        (
            "Ratios are zerograd's median time divided by the peer's (below 1: zerograd is faster)."
            " *fill* is `np.full` of a new array with as many bytes as the per-sample weight and"
            " bias gradients. The memory target is the returned gradients (weights, biases and the"
            " `z` rows) plus one layer's activations, the widest layer `N x max(n_k) x 8` bytes;"
            " the peak is tracemalloc's, above what was live before the call."
        ),
        "",
    ]
    return lines, misses


def summed_section(engine: dict[str, Any]) -> tuple[list[str], list[str]]:
    rows, misses = [], []
    for case in cases_of(engine, "summed"):
        seconds, extra = case["seconds"], case["extra"]
        ours = seconds["zerograd"]
        fastest_name = min((p for p in PEERS if p in seconds), key=lambda p: seconds[p])
        ratio = ours / seconds[fastest_name]
        if ratio > SUMMED_TARGET:
            misses.append(
                f"summed {name(case['sizes'])}, N={case['batch']}: {ratio:.2f}x {fastest_name}"
            )
        rows.append(
            [
                name(case["sizes"]),
                f"{case['batch']:,}",
                ms(ours),
                *[ms(seconds.get(peer)) for peer in PEERS],
                f"{ratio:.2f} ({fastest_name})"
                if ratio <= SUMMED_TARGET
                else f"**{ratio:.2f}** ({fastest_name})",
                f"{mib(extra['peak_bytes'])} / {mib(extra['largest_per_sample_array_bytes'])}",
            ]
        )
    header = [
        "network",
        "N",
        "zerograd",
        *PEERS,
        "÷ fastest peer",
        "peak / one per-sample dW",
    ]
    lines = [
        '### Summed gradients (`reduction="sum"`)',
        "",
        *table(header, rows),
        "",
        (
            "The last column compares zerograd's peak memory for the summed gradients with the size"
            " of the largest per-sample weight-gradient array (`N x n_k x n_(k-1) x 8` bytes). Where"
            " the peak is far below it, no per-sample array was built; for 3-16-1 the activations"
            " alone are as large, so that comparison proves nothing there (`dense_parameter_gradients` computes"
            " the sum as one matrix product per layer, `delta.T @ x_prev`)."
        ),
        "",
    ]
    return lines, misses


def numerical_section(engine: dict[str, Any]) -> list[str]:
    rows = []
    for case in cases_of(engine, "numerical"):
        seconds = case["seconds"]
        rows.append(
            [
                name(case["sizes"]),
                f"{case['batch']:,}",
                ms(seconds["zerograd numerical"]),
                ms(seconds["zerograd"]),
                f"{seconds['zerograd numerical'] / seconds['zerograd']:,.0f}",
                f"{case['agreement']['zerograd numerical']:.1e}",
            ]
        )
    return [
        "### `numerical_gradients` (central differences)",
        "",
        *table(
            [
                "network",
                "N",
                "numerical",
                "exact (sum)",
                "÷ exact",
                "max rel. difference",
            ],
            rows,
        ),
        "",
        (
            "Central differences need two forward passes of the whole batch per parameter, so their"
            " time grows as parameters x batch: they are measured only up to 5,000 parameters and"
            " 2e7 parameter-samples (784-128-10 has 101,770 parameters: about 2e5 forward passes"
            " for one sample). They approximate the gradient to about 1e-9 relative, so the 1e-10"
            " agreement check does not apply to them."
        ),
        "",
    ]


def agreement_section(engine: dict[str, Any]) -> tuple[list[str], list[str]]:
    worst: dict[str, float] = {}
    for case in engine["cases"]:
        if case["mode"] == "numerical":
            continue
        for engine_name, difference in case["agreement"].items():
            worst[engine_name] = max(worst.get(engine_name, 0.0), difference)
    tolerance = engine["agreement_tolerance"]
    misses = [f"{e} differs by {d:.1e}" for e, d in worst.items() if not d < tolerance]
    lines = [
        "### Agreement",
        "",
        "Largest relative difference from zerograd's gradients over every exact case "
        "(max |a - b| / max |b| per array), float64 everywhere: "
        + ", ".join(f"{e} {d:.1e}" for e, d in worst.items() if e != "zerograd")
        + f". Tolerance {tolerance:.0e}: {verdict(not misses)}.",
        "",
    ]
    return lines, misses


def profiles_section(engine: dict[str, Any]) -> list[str]:
    lines = []
    for case in engine["cases"]:
        profile = case["extra"].get("profile")
        if profile:
            lines += [
                (
                    f"#### zerograd, {case['mode'].replace('_', '-')}, {name(case['sizes'])},"
                    f" N={case['batch']:,}"
                ),
                "",
                "```text",
                profile.rstrip(),
                "```",
                "",
            ]
    if lines:
        lines = [
            "### Profiles where zerograd misses a target",
            "",
            "cProfile of zerograd's own call in the same run (top functions by own time):",
            "",
            *lines,
        ]
    return lines


def build_section(build: dict[str, Any]) -> list[str]:
    labels = {
        "cold": "cold (build folder removed)",
        "no_change": "no change",
        "prose_edit": f"prose edit ({build['prose_page']})",
        "library_edit": f"library edit ({build['library_file']})",
    }
    rows = []
    for key, label in labels.items():
        step = build["steps"][key]
        rows.append(
            [
                label,
                f"{step['seconds']:.2f} s",
                f"{step['floor_sphinx_seconds']:.2f} s",
                f"{step['floor_seconds']:.2f} s",
                f"{step['ratio_to_floor']:.2f}",
                f"{step['executed']} of {build['steps']['cold']['executed']}",
                str(step["exit_status"]),
            ]
        )
    start, end = build["load_average_at_start"], build["load_average_at_end"]
    return [
        "## The book's build",
        "",
        (
            f"`sphinx-build {' '.join(build['sphinx_flags'])}` on a copy of the project, every page"
            f' executed (`nb_execution_mode = "force"`), {len(build["pages"])} pages.'
            f" One kernel start took {build['kernel_start_seconds']:.2f} s."
            " The floor is the same build with `-D nb_execution_mode=off` (no `-W`: the glue keys"
            " are then missing) into its own folder, plus one kernel start where anything runs."
        ),
        "",
        *table(
            ["build", "time", "Sphinx, no execution", "floor", "÷ floor", "pages executed", "exit"],
            rows,
        ),
        "",
        *[f"- {target}: {verdict(met)}" for target, met in build["targets"].items()],
        "",
        (
            f"Load average (1, 5, 15 min) at the start {tuple(round(x, 2) for x in start)}, at the"
            f" end {tuple(round(x, 2) for x in end)}."
        ),
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=str(HERE / "results"))
    parser.add_argument("--out", default=str(HERE / "README.md"))
    args = parser.parse_args()
    results = Path(args.results)
    engine = json.loads((results / "engine.json").read_text())
    build_file = results / "build.json"
    build = json.loads(build_file.read_text()) if build_file.exists() else None
    plot(engine, results / "engine.png")
    norms_file = results / "norms.json"
    norms_runs = [json.loads(norms_file.read_text())] if norms_file.exists() else []
    if norms_runs:
        norms_report.plot(norms_runs, results / "norms.png")

    per_sample, per_sample_misses = per_sample_section(engine)
    summed, summed_misses = summed_section(engine)
    agreement, agreement_misses = agreement_section(engine)
    misses = per_sample_misses + summed_misses + agreement_misses
    lines = [
        "# Benchmarks",
        "",
        (
            "Generated by `nox -s bench` (`benchmarks/engine.py`, `benchmarks/norms.py`,"
            " `benchmarks/build.py`, then `benchmarks/report.py`); the raw numbers are in"
            " `results/*.json`. Do not edit the figures by hand: the full check's timing comes"
            " from `full-check.md` and the discussion from `analysis.md` and `norms.md`."
        ),
        "",
        *machine_section(engine),
        "## The engine",
        "",
        (
            "Networks with tanh hidden layers and an identity output, loss squared error with the"
            " factor 1/2, float64, the same seeded data for every engine. Times are medians of"
            " 3 to 25 runs after one uncounted warm-up run (so JAX's compilation is excluded;"
            " the Python loop has nothing to warm up and counts its first run). The engines run"
            " in turns, each turn starting with the next engine; a call slower than 10 s runs"
            " once. The column *N* is the batch size; `x` in the JSON gives each repeat count."
        ),
        "",
        "![Time against batch size for every engine](results/engine.png)",
        "",
        *per_sample,
        *summed,
        *numerical_section(engine),
        *agreement,
        "### Targets",
        "",
        *(
            [f"- missed: {miss}" for miss in misses]
            if misses
            else ["- every engine target was met in this run."]
        ),
        "",
        *profiles_section(engine),
        *(
            norms_report.section(norms_runs, "results/norms.png")
            if norms_runs
            else ["## Per-sample gradient norms (`gradient_norms`)", "", "Not measured.", ""]
        ),
        *([(HERE / "norms.md").read_text().rstrip(), ""] if (HERE / "norms.md").exists() else []),
        *(build_section(build) if build else ["## The book's build", "", "Not measured.", ""]),
    ]
    # full-check.md: `nox` timed from a fresh clone, which this session cannot run itself.
    for written in ("full-check.md", "analysis.md"):
        if (HERE / written).exists():
            lines += [(HERE / written).read_text().rstrip(), ""]
    Path(args.out).write_text("\n".join(lines))
    print(f"wrote {args.out}")
    if agreement_misses:
        sys.exit(f"engines disagree on the gradients: {agreement_misses}")


def plot(engine: dict[str, Any], path: Path) -> None:
    networks = sorted({tuple(case["sizes"]) for case in engine["cases"]}, key=sum)
    modes = ("per_sample", "summed")
    figure, axes = plt.subplots(
        len(modes), len(networks), figsize=(3.6 * len(networks), 6.0), squeeze=False
    )
    for row, mode in enumerate(modes):
        for column, sizes in enumerate(networks):
            axis = axes[row][column]
            cases = [c for c in cases_of(engine, mode) if tuple(c["sizes"]) == sizes]
            cases.sort(key=lambda c: c["batch"])
            for engine_name in ENGINES:
                points = [
                    (c["batch"], c["seconds"][engine_name])
                    for c in cases
                    if engine_name in c["seconds"]
                ]
                if points:
                    style = "-o" if engine_name == "zerograd" else "--."
                    axis.plot(*zip(*points, strict=True), style, label=engine_name)
            if mode == "per_sample":
                fills = [(c["batch"], c["extra"]["fill_seconds"]) for c in cases]
                axis.plot(*zip(*fills, strict=True), ":", color="grey", label="numpy fill")
            axis.set_xscale("log")
            axis.set_yscale("log")
            axis.set_title(f"{name(sizes)}, {mode.replace('_', '-')}", fontsize=9)
            axis.set_xlabel("batch size N", fontsize=8)
            axis.set_ylabel("seconds (median)", fontsize=8)
            axis.tick_params(labelsize=7)
            axis.grid(True, which="major", alpha=0.3)
    axes[0][0].legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


if __name__ == "__main__":
    main()
