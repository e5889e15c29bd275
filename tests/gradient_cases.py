"""Random networks of the three kinds with inputs and targets, drawn by hypothesis.

Imported by the test modules (``tests`` is on pytest's ``pythonpath``).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypedDict, TypeVar

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import assume
from hypothesis import strategies as st

import zerograd as zg

ACTIVATION_NAMES = tuple(zg.ACTIVATIONS)
LOSS_NAMES = tuple(zg.LOSSES)
KINKED = frozenset({"relu", "leaky_relu"})
"""Activations with a kink at 0, where central differences and the exact rule disagree."""

KINK_MARGIN = 1e-4
"""How far from a kink every raw activation must be for central differences to apply.

The default step is 1e-6 and moving one weight by it moves a raw activation
by at most about 1e-6 times the largest input, so 1e-4 leaves a wide margin.
"""

FloatArray = npt.NDArray[np.float64]

M = TypeVar("M", bound=zg.Model)


class Options(TypedDict):
    """A case's loss and reduction, as keyword arguments."""

    loss: str
    reduction: str


@dataclass(frozen=True)
class Case(Generic[M]):
    """A model with one sample or a batch, its targets, a loss and a reduction."""

    net: M
    x: FloatArray
    y: FloatArray
    loss: str
    reduction: str
    single: bool

    @property
    def n_samples(self) -> int:
        """``N``, counting one sample as 1."""
        return 1 if self.single else len(self.x)

    @property
    def options(self) -> Options:
        """The loss and reduction, as keyword arguments."""
        return {"loss": self.loss, "reduction": self.reduction}

    def min_abs_z_at_kinks(self) -> float:
        """The smallest ``|z|`` over all layers whose activation has a kink (inf if none)."""
        trace = self.net.forward(self.x)
        margins = [
            float(np.min(np.abs(trace.z[k])))
            for k in range(1, self.net.K + 1)
            if self.net.activations[k - 1] in KINKED
        ]
        return min(margins, default=float("inf"))

    def check_gradients(self, **options: object) -> None:
        """:func:`zerograd.check_gradients` on this case, away from kinks, with its defaults."""
        # Within 1e-4 of a relu/leaky_relu kink the central difference straddles the kink
        # and averages the two one-sided slopes, while the exact rule takes one of them:
        # such draws test the estimate, not the library.
        assume(self.min_abs_z_at_kinks() > KINK_MARGIN)
        arguments: dict[str, object] = {**self.options, **options}
        if "directions" in arguments:  # at most one per parameter, as check_gradients asks
            count = sum(
                a.size for layered in self.net.parameters.values() for a in layered.values()
            )
            arguments["directions"] = min(count, arguments["directions"])  # type: ignore[call-overload]
        zg.check_gradients(self.net, self.x, self.y, **arguments)  # type: ignore[arg-type]


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
    reductions: Sequence[str] = zg.REDUCTIONS,
    single: bool | None = None,
    min_batch: int = 1,
    max_batch: int = 6,
    max_depth: int = 4,
    max_width: int = 8,
) -> Case[zg.Network]:
    """A random dense network of depth 1..``max_depth`` and widths 1..``max_width``.

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
    net = zg.Network.random(widths, names, seed=rng)
    weight_scale = draw(st.sampled_from([0.5, 1.0, 2.0]))
    net = net.replace(W=[weight_scale * net.W[k] for k in net.W])
    is_single = draw(st.booleans()) if single is None else single
    batch_shape = () if is_single else (draw(st.integers(min_batch, max_batch)),)
    input_scale = draw(st.sampled_from([0.3, 1.0, 3.0]))
    x = rng.normal(0.0, input_scale, size=(*batch_shape, widths[0]))
    y = targets(loss, (*batch_shape, widths[-1]), rng)
    return Case(net, x, y, loss, draw(st.sampled_from(reductions)), is_single)


@st.composite
def conv_cases(draw: st.DrawFn, reductions: Sequence[str] = zg.REDUCTIONS) -> Case[zg.ConvNetwork]:
    """A random ConvNetwork (1-2 convolutions, 0-2 dense layers) with inputs and targets."""
    channels, length = draw(st.integers(1, 3)), draw(st.integers(1, 8))
    conv: list[tuple[int, int]] = []
    current = length
    for _ in range(draw(st.integers(1, 2))):
        width = draw(st.integers(1, current))
        conv.append((draw(st.integers(1, 3)), width))
        current -= width - 1
    dense = draw(st.lists(st.integers(1, 3), max_size=2))
    depth = len(conv) + len(dense)
    loss = draw(st.sampled_from(LOSS_NAMES))
    activations = draw(st.lists(st.sampled_from(ACTIVATION_NAMES), min_size=depth, max_size=depth))
    if loss == "binary_cross_entropy":
        activations[-1] = "sigmoid"
    seed = draw(st.integers(0, 2**32 - 1))
    net = zg.ConvNetwork.random((channels, length), conv, dense, activations, seed=seed)
    out_shape = net.shape(net.K)
    assume(loss != "softmax_cross_entropy" or int(np.prod(out_shape)) >= 2)
    n_samples = draw(st.integers(1, 4))
    single = draw(st.booleans())
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_samples, channels, length))
    # The loss reads each sample's output flattened, so the targets are drawn flat.
    y = targets(loss, (n_samples, int(np.prod(out_shape))), rng).reshape(n_samples, *out_shape)
    if single:
        x, y = x[0], y[0]
    return Case(net, x, y, loss, draw(st.sampled_from(reductions)), single)


@st.composite
def recurrent_cases(
    draw: st.DrawFn, reductions: Sequence[str] = zg.REDUCTIONS
) -> Case[zg.RecurrentNetwork]:
    """A random RecurrentNetwork, read at the last or at every step, with sequences and targets."""
    loss = draw(st.sampled_from(LOSS_NAMES))
    n_2 = draw(st.integers(2 if loss == "softmax_cross_entropy" else 1, 3))
    sizes = (draw(st.integers(1, 3)), draw(st.integers(1, 4)), n_2)
    activations = [draw(st.sampled_from(ACTIVATION_NAMES)) for _ in range(2)]
    if loss == "binary_cross_entropy":
        activations[1] = "sigmoid"
    output = draw(st.sampled_from(("last", "every")))
    seed = draw(st.integers(0, 2**32 - 1))
    net = zg.RecurrentNetwork.random(sizes, activations, output=output, seed=seed)
    n_samples, length = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_samples, length, sizes[0]))
    y = targets(loss, (n_samples, n_2) if output == "last" else (n_samples, length, n_2), rng)
    single = draw(st.booleans())
    if single:
        x, y = x[0], y[0]
    return Case(net, x, y, loss, draw(st.sampled_from(reductions)), single)


def any_cases(reductions: Sequence[str] = zg.REDUCTIONS) -> st.SearchStrategy[Case[zg.Model]]:
    """A case of any of the three models."""
    return st.one_of(
        cases(reductions=reductions),
        conv_cases(reductions=reductions),
        recurrent_cases(reductions=reductions),
    )


def add_activation(patch: pytest.MonkeyPatch, activation: zg.Activation) -> None:
    """Make ``activation`` known by its name until ``patch`` is undone."""
    _add_entry(patch, "ACTIVATIONS", activation.name, activation)


def add_loss(patch: pytest.MonkeyPatch, loss: zg.Loss) -> None:
    """Make ``loss`` known by its name (replacing the library's of that name) until
    ``patch`` is undone."""
    _add_entry(patch, "LOSSES", loss.name, loss)


def _add_entry(patch: pytest.MonkeyPatch, table_name: str, name: str, entry: object) -> None:
    """Put ``entry`` in the library's read-only table ``table_name`` as ``name``.

    Each of the library's modules that holds the table is given a copy that holds the
    entry as well; the modules are found by what they hold, so that one that imports the
    table by name later is patched too. Every module of the library is imported first, so
    that none imported while the patch is on keeps the copy after it is undone.
    """
    for module_info in pkgutil.iter_modules(zg.__path__):
        importlib.import_module(f"zerograd.{module_info.name}")
    library = getattr(zg, table_name)
    table = {**library, name: entry}
    holders = [
        module
        for module_name, module in list(sys.modules.items())
        if module_name.split(".")[0] == "zerograd" and getattr(module, table_name, None) is library
    ]
    assert len(holders) > 1, f"only {[m.__name__ for m in holders]} hold {table_name}"
    for module in holders:
        patch.setattr(module, table_name, table)
