"""The section of benchmarks/README.md on gradient_norms, from benchmarks/norms.py's JSON runs.

``benchmarks/report.py`` calls :func:`section` with ``results/norms.json`` (what ``nox -s
bench`` writes) and draws :func:`plot`; run alone, ``python benchmarks/norms_report.py
RUN.json [more runs ...]`` prints the section. With several runs, each time is the median
over the runs of each run's median (and the spread is shown); load averages are listed per
run. Every goal of issue 14 gets a verdict per row, and every row that misses one shows the
profiles that norms.py took of it.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

from norms import ENGINES, MEMORY_GOAL, PEERS, TIME_GOAL  # the runner's names and goals


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


def fmt_bytes(count: float | None) -> str:
    if count is None:
        return "—"
    if count >= 2**30:
        return f"{count / 2**30:.2f} GiB"
    if count >= 2**20:
        return f"{count / 2**20:.1f} MiB"
    return f"{count / 2**10:.0f} KiB"


def merge(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per (case, N): median over runs of each engine's median time."""
    by_key: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for run in runs:
        for record in run["records"]:
            by_key.setdefault((record["case"], record["n"]), []).append(record)
    merged = []
    for records in by_key.values():
        out = dict(records[0])
        out["seconds"] = {}
        out["spread"] = {}
        for engine in ENGINES:
            values = [r["seconds"][engine] for r in records if engine in r["seconds"]]
            if values:
                out["seconds"][engine] = statistics.median(values)
                out["spread"][engine] = (min(values), max(values))
        out["loads"] = [(r["load_start"][0], r["load_end"][0]) for r in records]
        out["runs"] = len(records)
        merged.append(out)
    return merged


def time_table(records: list[dict[str, Any]]) -> list[str]:
    header = [
        "case",
        "N",
        "load (1 min) start→end",
        *ENGINES,
        "gradient_norms ÷ zg sum",
        "ahead of every peer",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in records:
        s = r["seconds"]
        ratio = s["gradient_norms"] / s["zg sum"]
        peers = {p: s[p] for p in PEERS if p in s}
        best = s["gradient_norms"]
        beaten = [p for p, t in peers.items() if t < best]
        loads = "; ".join(f"{a:.2f}→{b:.2f}" for a, b in r["loads"])
        row = [r["case"].replace("|", "/"), f"{r['n']:,}", loads]
        row += [fmt_time(s.get(e)) for e in ENGINES]
        row += [
            f"**{ratio:.2f}**" if ratio > TIME_GOAL else f"{ratio:.2f}",
            "yes" if not beaten else "no: " + ", ".join(beaten),
        ]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def memory_table(records: list[dict[str, Any]]) -> list[str]:
    header = [
        "case",
        "N",
        "gradient_norms (tracemalloc)",
        "forward (tracemalloc)",
        "÷ forward",
        "zg sum (tracemalloc)",
        "per-sample grads N·P·8",
        "RSS peak: gradient_norms",
        "forward",
        "zg sum",
        "zg none",
        "torch.func",
        "BackPACK",
        "Opacus",
        "Opacus ghost",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in records:
        m = r["memory"]

        def tm(engine: str, m: dict[str, Any] = m) -> float | None:
            return m.get(engine, {}).get("tracemalloc_peak_bytes")

        def rss(engine: str, m: dict[str, Any] = m) -> float | None:
            value = m.get(engine, {}).get("rss_peak_bytes")
            return None if value is None else max(value, 0)  # RSS can shrink during a call

        proto, forward = tm("gradient_norms"), tm("zg forward")
        ratio = proto / forward if proto is not None and forward else None
        ratio_text = (
            "—"
            if ratio is None
            else (f"**{ratio:.2f}**" if ratio > MEMORY_GOAL else f"{ratio:.2f}")
        )
        row = [
            r["case"].replace("|", "/"),
            f"{r['n']:,}",
            fmt_bytes(proto),
            fmt_bytes(forward),
            ratio_text,
            fmt_bytes(tm("zg sum")),
            fmt_bytes(r["n"] * r["parameters"] * 8),
        ]
        row += [
            fmt_bytes(rss(e))
            for e in (
                "gradient_norms",
                "zg forward",
                "zg sum",
                "zg none+norms",
                "torch.func",
                "BackPACK",
                "Opacus",
                "Opacus ghost",
            )
        ]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def notes(records: list[dict[str, Any]]) -> list[str]:
    lines = []
    worst = 0.0
    for r in records:
        for value in r["agreement"].values():
            worst = max(worst, value)
        for engine, why in r["skipped"].items():
            lines.append(f"- {r['case'].replace('|', '/')}, N={r['n']:,}: {engine} not run: {why}")
    lines.insert(
        0,
        f"- Largest disagreement of any engine's norms with gradient_norms' (max |a-b| / max |b| per array): {worst:.1e}.",
    )
    return lines


def memory_ratio(record: dict[str, Any]) -> float | None:
    """gradient_norms' tracemalloc peak over the forward pass's, if both were measured."""
    memory = record["memory"]
    norms = memory.get("gradient_norms", {}).get("tracemalloc_peak_bytes")
    forward = memory.get("zg forward", {}).get("tracemalloc_peak_bytes")
    return norms / forward if norms is not None and forward else None


def goals(records: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """The verdict on each goal, and the rows that missed one."""
    slow, heavy, behind = [], [], []
    for r in records:
        s, label = r["seconds"], f"{r['case'].replace('|', '/')} N={r['n']:,}"
        ratio = s["gradient_norms"] / s["zg sum"]
        if ratio > TIME_GOAL:
            slow.append((r, f"{label}: {ratio:.2f}x"))
        memory = memory_ratio(r)
        if memory is not None and memory > MEMORY_GOAL:
            heavy.append((r, f"{label}: {memory:.3f}x"))
        beaten = [p for p in PEERS if p in s and s[p] < s["gradient_norms"]]
        if beaten:
            behind.append((r, f"{label}: behind {', '.join(beaten)}"))
    measured = sum(memory_ratio(r) is not None for r in records)
    lines = []
    for goal, misses, rows in (
        (f"Time within {TIME_GOAL}x of `zg sum`", slow, len(records)),
        (f"Peak memory within {MEMORY_GOAL}x of the forward pass (tracemalloc)", heavy, measured),
        ("Ahead of every peer that runs", behind, len(records)),
    ):
        verdict = "met" if not misses else f"missed in {len(misses)} of {rows} rows"
        lines.append(f"- **{goal}: {verdict}.**" + (" " if misses else ""))
        lines[-1] += "; ".join(text for _, text in misses)
    missed = {id(r): r for r, _ in slow + heavy + behind}
    return lines, list(missed.values())


def profiles(missed: list[dict[str, Any]]) -> list[str]:
    """norms.py's cProfile of gradient_norms and of zg sum, for each row that missed a goal."""
    lines = []
    for r in missed:
        if "profile_gradient_norms" not in r:
            continue
        lines += [f"#### {r['case'].replace('|', '/')}, N={r['n']:,}", ""]
        for key, title in (
            ("profile_gradient_norms", "gradient_norms"),
            ("profile_zg_sum", "zg sum"),
        ):
            if key in r:
                lines += [
                    f"{title}, top functions by own time:",
                    "",
                    "```",
                    r[key].strip(),
                    "```",
                    "",
                ]
    return lines


def runs_list(runs: list[dict[str, Any]]) -> list[str]:
    lines = []
    for i, run in enumerate(runs, start=1):
        info = run["info"]
        load = ", ".join(f"{x:.2f}" for x in info["load_start"])
        end = ", ".join(f"{x:.2f}" for x in info.get("load_end") or [])
        versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
        lines.append(
            f"- Run {i}: started {info['started']}; load {load} at the start, {end} at the end; {versions}."
        )
    return lines


def section(runs: list[dict[str, Any]], image: str | None = None) -> list[str]:
    """The README section: the method, the plot, the tables, the goals, the profiles."""
    records = merge(runs)
    verdicts, missed = goals(records)
    return [
        "## Per-sample gradient norms (`gradient_norms`)",
        "",
        (
            "`benchmarks/norms.py`: `gradient_norms` against zerograd's own summed gradient"
            ' (`zg sum`), its forward pass (`zg forward`), `reduction="none"` then the norms'
            " (`zg none+norms`), torch.func, BackPACK's BatchL2Grad and Opacus (per-sample hooks,"
            " and ghost clipping), on the same float64 networks and data, one thread each, in"
            " turns; each time is a median. Peak memory is measured in a fresh process per case and"
            " engine (tracemalloc for the numpy engines, the resident set's peak for every one)."
            " A peer that needs per-sample gradients is skipped where they would pass 2 GiB."
        ),
        "",
        *(
            [f"![Time against batch size, gradient_norms and its peers]({image})", ""]
            if image
            else []
        ),
        "### The goals of issue 14",
        "",
        *verdicts,
        "",
        "### Time (median per call)",
        "",
        *time_table(records),
        "",
        "### Peak memory",
        "",
        *memory_table(records),
        "",
        "### Notes",
        "",
        *notes(records),
        *runs_list(runs),
        "",
        *(["### Profiles of the rows that missed a goal", "", *profiles(missed)] if missed else []),
    ]


def plot(runs: list[dict[str, Any]], path: Path) -> None:
    """Time against N for every engine, one panel per case."""
    import matplotlib as mpl  # noqa: PLC0415 (only the plot needs it)

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    records = merge(runs)
    cases = list(dict.fromkeys(r["case"] for r in records))
    columns = min(4, len(cases))
    rows = -(-len(cases) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, 3.0 * rows), squeeze=False)
    for index, case in enumerate(cases):
        axis = axes[index // columns][index % columns]
        mine = sorted((r for r in records if r["case"] == case), key=lambda r: r["n"])
        for engine in ENGINES:
            points = [(r["n"], r["seconds"][engine]) for r in mine if engine in r["seconds"]]
            if points:
                style = "-o" if engine == "gradient_norms" else "--."
                axis.plot(*zip(*points, strict=True), style, label=engine)
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_title(case.replace("|", "/"), fontsize=9)
        axis.set_xlabel("batch size N", fontsize=8)
        axis.set_ylabel("seconds (median)", fontsize=8)
        axis.tick_params(labelsize=7)
        axis.grid(True, which="major", alpha=0.3)
    for index in range(len(cases), rows * columns):
        axes[index // columns][index % columns].axis("off")
    axes[0][0].legend(fontsize=6)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


def main() -> None:
    runs = [json.loads(Path(p).read_text()) for p in sys.argv[1:]]
    print("\n".join(section(runs)))


if __name__ == "__main__":
    main()
