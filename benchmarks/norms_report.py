"""Markdown tables from benchmarks/norms.py's JSON runs: times, memory, goals, agreement.

Run: python benchmarks/norms_report.py benchmarks/results/norms.json [more runs ...]
With several runs, each time is the median over the runs of each run's median (and the spread is
shown); load averages are listed per run.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

from norms import ENGINES, PEERS  # the runner names the engines; this script only reads runs


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
            f"**{ratio:.2f}**" if ratio > 1.5 else f"{ratio:.2f}",
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
        ratio_text = "—" if ratio is None else (f"**{ratio:.2f}**" if ratio > 2 else f"{ratio:.2f}")
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


def main() -> None:
    runs = [json.loads(Path(p).read_text()) for p in sys.argv[1:]]
    records = merge(runs)
    print("### Time (median per call)\n")
    print("\n".join(time_table(records)))
    print("\n### Peak memory\n")
    print("\n".join(memory_table(records)))
    print("\n### Notes\n")
    print("\n".join(notes(records)))
    for i, run in enumerate(runs, start=1):
        info = run["info"]
        print(
            f"\n- Run {i}: started {info['started']}, load {info['load_start']} → {info.get('load_end')}; versions {info['versions']}"
        )


if __name__ == "__main__":
    main()
