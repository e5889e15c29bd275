"""The networks the benchmarks time beyond the engine's dense ones, and their seeded data.

``benchmarks/norms.py`` times ``gradient_norms`` on every case; ``benchmarks/ab.py`` times
two versions of the library on the convolutional and recurrent ones. Both import them from
here so that the two benchmarks measure the same networks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import zerograd as zg

# kind, label, spec. Dense: the engine bench's networks. Conv and recurrent: one case where
# the direct form of the shared-weight norms is cheaper and one where the Gram form is
# (zerograd.layers.choose_method).
CASES: list[dict[str, Any]] = [
    {"kind": "dense", "label": "3-16-1", "sizes": [3, 16, 1], "batches": [1, 256, 65536]},
    {"kind": "dense", "label": "32-64-1", "sizes": [32, 64, 1], "batches": [1, 256, 65536]},
    {"kind": "dense", "label": "784-128-10", "sizes": [784, 128, 10], "batches": [1, 256, 65536]},
    {
        "kind": "conv",
        "label": "conv 4x64 | 16w5 16w5 | 1",
        "input": [4, 64],
        "conv": [[16, 5], [16, 5]],
        "dense": [1],
        "batches": [1, 256, 4096],
    },
    {
        "kind": "conv",
        "label": "conv 32x16 | 64w3 64w3 | 10",
        "input": [32, 16],
        "conv": [[64, 3], [64, 3]],
        "dense": [10],
        "batches": [1, 256, 4096],
    },
    {
        "kind": "recurrent",
        "label": "elman 8-32-1 T=16 last",
        "sizes": [8, 32, 1],
        "steps": 16,
        "output": "last",
        "batches": [1, 256, 16384],
    },
    {
        "kind": "recurrent",
        "label": "elman 64-64-8 T=8 every",
        "sizes": [64, 64, 8],
        "steps": 8,
        "output": "every",
        "batches": [1, 256, 16384],
    },
]


def build(case: dict[str, Any], n: int) -> tuple[Any, np.ndarray, np.ndarray]:
    """The zerograd model and seeded float64 data: tanh hidden layers, identity output."""
    rng = np.random.default_rng(1)
    if case["kind"] == "dense":
        sizes = case["sizes"]
        net = zg.Network.random(sizes, ["tanh"] * (len(sizes) - 2) + ["identity"], seed=0)
        return net, rng.normal(size=(n, sizes[0])), rng.normal(size=(n, sizes[-1]))
    if case["kind"] == "conv":
        depth = len(case["conv"]) + len(case["dense"])
        net = zg.ConvNetwork.random(
            tuple(case["input"]),
            conv=[tuple(c) for c in case["conv"]],
            dense=case["dense"],
            activations=["tanh"] * (depth - 1) + ["identity"],
            seed=0,
        )
        out = net.shape(net.K)
        return net, rng.normal(size=(n, *case["input"])), rng.normal(size=(n, *out))
    sizes, steps = case["sizes"], case["steps"]
    net = zg.RecurrentNetwork.random(sizes, ["tanh", "identity"], output=case["output"], seed=0)
    y_shape = (n, sizes[2]) if case["output"] == "last" else (n, steps, sizes[2])
    return net, rng.normal(size=(n, steps, sizes[0])), rng.normal(size=y_shape)


def parameter_count(net: Any) -> int:
    g_names = [("W", net.W), ("b", net.b)] + ([("U", net.U)] if hasattr(net, "U") else [])
    return sum(int(layered[k].size) for _, layered in g_names for k in layered)
