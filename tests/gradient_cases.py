"""Random networks with inputs and targets, drawn by hypothesis, and how to compare gradients.

Imported by the test modules (``tests`` is on pytest's ``pythonpath``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from hypothesis import strategies as st

from zerograd import ACTIVATIONS, LOSSES, REDUCTIONS, Gradients, Network

ACTIVATION_NAMES = tuple(ACTIVATIONS)
LOSS_NAMES = tuple(LOSSES)
KINKED = frozenset({"relu", "leaky_relu"})
"""Activations with a kink at 0, where central differences and the exact rule disagree."""

KINK_MARGIN = 1e-4
"""How far from a kink every raw activation must be for central differences to apply.

The default step is 1e-6 and moving one weight by it moves a raw activation
by at most about 1e-6 times the largest input, so 1e-4 leaves a wide margin.
"""

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Case:
    """A network with one sample or a batch, its targets, a loss and a reduction."""

    net: Network
    x: FloatArray
    y: FloatArray
    loss: str
    reduction: str

    @property
    def single(self) -> bool:
        """Whether ``x`` is one sample, shape ``(n_0,)``."""
        return self.x.ndim == 1

    @property
    def n_samples(self) -> int:
        """``N``, counting one sample as 1."""
        return 1 if self.single else self.x.shape[0]

    def min_abs_z_at_kinks(self) -> float:
        """The smallest ``|z|`` over all layers whose activation has a kink (inf if none)."""
        trace = self.net.forward(self.x)
        margins = [
            float(np.min(np.abs(trace.z[k])))
            for k in range(1, self.net.K + 1)
            if self.net.activations[k - 1] in KINKED
        ]
        return min(margins, default=float("inf"))


def targets(loss: str, shape: tuple[int, ...], rng: np.random.Generator) -> FloatArray:
    """Targets in the domain of ``loss``; the last axis of ``shape`` is ``n_K``."""
    if loss == "binary_cross_entropy":
        return rng.integers(0, 2, size=shape).astype(np.float64)
    if loss == "softmax_cross_entropy":
        if rng.random() < 0.5:  # one-hot labels, the usual case
            return np.eye(shape[-1])[rng.integers(0, shape[-1], size=shape[:-1])]
        return rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])
    return rng.normal(0.0, 1.0, size=shape)


@st.composite
def cases(
    draw: st.DrawFn,
    *,
    losses: Sequence[str] = LOSS_NAMES,
    activations: Sequence[str] = ACTIVATION_NAMES,
    reductions: Sequence[str] = REDUCTIONS,
    single: bool | None = None,
    min_batch: int = 1,
    max_batch: int = 6,
    max_depth: int = 4,
    max_width: int = 8,
) -> Case:
    """A random network of depth 1..``max_depth`` and widths 1..``max_width``.

    Every layer draws its own activation from ``activations``. Binary cross-entropy forces a
    sigmoid output layer and softmax cross-entropy at least two outputs, as
    those losses require. ``single=None`` draws one sample or a batch.
    """
    loss = draw(st.sampled_from(losses))
    depth = draw(st.integers(1, max_depth))
    widths = draw(st.lists(st.integers(1, max_width), min_size=depth + 1, max_size=depth + 1))
    if loss == "softmax_cross_entropy":
        widths[-1] = draw(st.integers(2, max(2, max_width)))
    names = draw(st.lists(st.sampled_from(activations), min_size=depth, max_size=depth))
    if loss == "binary_cross_entropy":
        names[-1] = "sigmoid"
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    net = Network.random(widths, names, seed=rng)
    weight_scale = draw(st.sampled_from([0.5, 1.0, 2.0]))
    net = net.replace(W=[weight_scale * net.W[k] for k in net.W])
    is_single = draw(st.booleans()) if single is None else single
    batch_shape = () if is_single else (draw(st.integers(min_batch, max_batch)),)
    input_scale = draw(st.sampled_from([0.3, 1.0, 3.0]))
    x = rng.normal(0.0, input_scale, size=(*batch_shape, widths[0]))
    y = targets(loss, (*batch_shape, widths[-1]), rng)
    return Case(net, x, y, loss, draw(st.sampled_from(reductions)))


def relative_errors(exact: FloatArray, estimate: FloatArray) -> FloatArray:
    """``|exact - estimate| / max(1, |estimate|)``, entry by entry."""
    return np.abs(exact - estimate) / np.maximum(1.0, np.abs(estimate))


def assert_gradients_close(exact: Gradients, estimate: Gradients, tolerance: float) -> None:
    """Every ``W[k]``, ``b[k]`` and ``z[k]`` agrees entry by entry within ``tolerance``.

    Shapes must agree exactly; the error is relative to ``max(1, |estimate|)``.
    """
    for field in ("W", "b", "z"):
        exact_arrays, estimate_arrays = getattr(exact, field), getattr(estimate, field)
        assert list(exact_arrays) == list(estimate_arrays), f"layer numbers of {field} differ"
        for k in exact_arrays:
            a, n = exact_arrays[k], estimate_arrays[k]
            assert a.shape == n.shape, f"{field}[{k}]: shape {a.shape} != {n.shape}"
            worst = float(np.max(relative_errors(a, n), initial=0.0))
            assert worst <= tolerance, f"{field}[{k}]: relative error {worst:.3g} > {tolerance}"
