r"""The dense feed-forward network and its forward pass.

Layer :math:`k = 1, \dots, K` computes
:math:`z^{(k)} = W^{(k)} x^{(k-1)} + b^{(k)}` and
:math:`x^{(k)} = f_k(z^{(k)})`; :math:`x^{(0)}` is the input and the loss is
:math:`L(x^{(K)}, y)`.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from zerograd._typing import FloatArray
from zerograd.activations import Activation, get_activation
from zerograd.dense import dense_forward
from zerograd.layered import Layered
from zerograd.losses import Loss, get_loss
from zerograd.validation import as_real_array, check_choice, check_shape, whole_numbers

REDUCTIONS = ("sum", "mean", "none")
"""How per-sample losses and gradients of a batch are combined."""


@dataclass(frozen=True)
class ForwardPass:
    """Everything a forward pass computed, numbered by layer.

    Attributes
    ----------
    z : Layered
        ``z[k]`` is :math:`z^{(k)}` for ``k = 1..K``, shape ``(n_k,)`` for one
        sample or ``(N, n_k)`` for a batch.
    x : Layered
        ``x[k]`` is :math:`x^{(k)}` for ``k = 0..K``; ``x[0]`` is the input.
    """

    z: Layered
    x: Layered


class Network:
    """A dense feed-forward network with ``K >= 1`` layers.

    Parameters
    ----------
    W : sequence of array_like
        ``K`` weight matrices in layer order; the ``k``-th has shape
        ``(n_k, n_{k-1})``. They are reachable afterwards as ``net.W[k]``,
        numbered from 1.
    b : sequence of array_like
        ``K`` bias vectors; the ``k``-th has shape ``(n_k,)``.
    activations : str or sequence of str
        One activation name per layer, or one name for every layer. Known
        names are the keys of :data:`zerograd.ACTIVATIONS`.

    Raises
    ------
    ValueError
        If shapes do not chain, counts differ, values are not finite or an
        activation name is unknown.
    TypeError
        If an array does not hold real numbers.

    Examples
    --------
    The two-layer, scalar-output network of the book, written out:

    >>> net = Network(W=[[[1, -1], [2, 0]], [[1, 1]]], b=[[0, 0], [0.5]],
    ...               activations=["relu", "identity"])
    >>> net.sizes
    (2, 2, 1)
    >>> net.W[1]
    array([[ 1., -1.],
           [ 2.,  0.]])
    >>> net.forward([1.0, 3.0]).x[2]
    array([2.5])
    """

    def __init__(
        self,
        W: Sequence[npt.ArrayLike],
        b: Sequence[npt.ArrayLike],
        activations: str | Sequence[str],
    ) -> None:
        weights = [as_real_array(w, f"W[{k}]") for k, w in enumerate(W, start=1)]
        biases = [as_real_array(v, f"b[{k}]") for k, v in enumerate(b, start=1)]
        depth = len(weights)
        if depth == 0:
            msg = "a Network needs at least one layer; got W with 0 matrices"
            raise ValueError(msg)
        if len(biases) != depth:
            msg = f"expected one bias vector per layer ({depth}); got {len(biases)}"
            raise ValueError(msg)
        names = [activations] * depth if isinstance(activations, str) else list(activations)
        if len(names) != depth:
            msg = f"expected one activation per layer ({depth}); got {len(names)}"
            raise ValueError(msg)
        _check_layer_shapes(weights, biases)
        self.W = Layered(weights, first=1)
        self.b = Layered(biases, first=1)
        self._f = tuple(get_activation(name) for name in names)
        # Read by every call that checks its input; the shapes never change.
        self._sizes = (weights[0].shape[1], *(w.shape[0] for w in weights))

    @classmethod
    def random(
        cls,
        sizes: Sequence[int],
        activations: str | Sequence[str],
        seed: int | np.random.Generator = 0,
    ) -> Network:
        r"""A network with seeded random weights and biases.

        Weights are drawn from :math:`\mathcal N(0, 1/n_{k-1})` and biases
        from :math:`\mathcal N(0, 0.1^2)`.

        Parameters
        ----------
        sizes : sequence of int
            ``(n_0, n_1, ..., n_K)``: input width, then each layer's width.
        activations : str or sequence of str
            As for :class:`Network`.
        seed : int or numpy.random.Generator
            Seed for :func:`numpy.random.default_rng`, or a generator.

        Examples
        --------
        >>> net = Network.random([3, 4, 1], ["tanh", "identity"], seed=1)
        >>> net.K, net.W[1].shape, net.b[2].shape
        (2, (4, 3), (1,))
        >>> same_seed = Network.random([3, 4, 1], ["tanh", "identity"], seed=1)
        >>> bool((same_seed.W[1] == net.W[1]).all())
        True
        """
        widths = whole_numbers(sizes, "sizes")
        if len(widths) < 2 or min(widths) < 1:
            msg = f"sizes must list n_0..n_K, at least two positive widths; got {list(sizes)}"
            raise ValueError(msg)
        rng = np.random.default_rng(seed)
        W = [
            rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_out, n_in))
            for n_in, n_out in itertools.pairwise(widths)
        ]
        b = [rng.normal(0.0, 0.1, size=n_out) for n_out in widths[1:]]
        return cls(W, b, activations)

    @property
    def K(self) -> int:
        """Number of layers :math:`K`."""
        return len(self.W)

    @property
    def sizes(self) -> tuple[int, ...]:
        """Widths ``(n_0, n_1, ..., n_K)``."""
        return self._sizes

    @property
    def activations(self) -> tuple[str, ...]:
        """Activation names, for layers ``1..K`` in order."""
        return tuple(f.name for f in self._f)

    def f(self, k: int) -> Activation:
        """The activation :math:`f_k` of layer ``k`` (numbered from 1)."""
        self.W[k]  # raises a clear LayerIndexError when k is out of range
        return self._f[k - 1]

    def replace(
        self,
        W: Sequence[npt.ArrayLike] | None = None,
        b: Sequence[npt.ArrayLike] | None = None,
    ) -> Network:
        """A copy with other weights or biases, and the same activations.

        Parameters
        ----------
        W, b : sequence of array_like, optional
            In layer order, as for :class:`Network`. Omitted ones are copied.
        """
        return Network(
            W=[self.W[k].copy() for k in self.W] if W is None else W,
            b=[self.b[k].copy() for k in self.b] if b is None else b,
            activations=self.activations,
        )

    def forward(self, x: npt.ArrayLike) -> ForwardPass:
        """Run the network on one sample or a batch.

        Parameters
        ----------
        x : array_like, shape (n_0,) or (N, n_0)
            One sample, or a batch with one sample per row.

        Returns
        -------
        ForwardPass
            ``z[k]`` and ``x[k]`` with shape ``(n_k,)`` for one sample or
            ``(N, n_k)`` for a batch.

        Examples
        --------
        >>> net = Network.random([2, 3, 1], ["relu", "identity"], seed=0)
        >>> net.forward([[1, 2], [3, 4], [5, 6]]).z[1].shape
        (3, 3)
        """
        inputs, single = self.prepare_input(x)
        trace = self.forward_batch(inputs)
        if single:
            return ForwardPass(
                z=Layered((trace.z[k][0] for k in trace.z), first=1),
                x=Layered((trace.x[k][0] for k in trace.x), first=0),
            )
        return trace

    def forward_batch(self, inputs: FloatArray, start: int = 1) -> ForwardPass:
        """Forward pass on a checked batch, optionally from layer ``start``.

        Parameters
        ----------
        inputs : ndarray, shape (N, n_{start-1})
            :math:`x^{(start-1)}`, already checked and float64.
        start : int
            The first layer to compute. ``x[start - 1]`` is ``inputs``;
            earlier layers are absent from the result.

        Returns
        -------
        ForwardPass
            ``z`` numbered from ``start`` and ``x`` from ``start - 1``.
        """
        zs: list[FloatArray] = []
        xs: list[FloatArray] = [inputs]
        for k in range(start, self.K + 1):
            zs.append(dense_forward(self.W[k], self.b[k], xs[-1]))
            xs.append(self.f(k).f(zs[-1]))
        return ForwardPass(z=Layered(zs, first=start), x=Layered(xs, first=start - 1))

    def loss(
        self,
        x: npt.ArrayLike,
        y: npt.ArrayLike,
        loss: str = "squared_error",
        reduction: str = "sum",
        weight_decay: float = 0.0,
    ) -> float | FloatArray:
        r"""The loss of one sample, or of a batch combined by ``reduction``.

        Parameters
        ----------
        x : array_like, shape (n_0,) or (N, n_0)
        y : array_like, shape (n_K,) or (N, n_K)
            Targets. When ``n_K == 1`` a scalar (one sample) or shape ``(N,)``
            (a batch) is accepted too.
        loss : str
            A key of :data:`zerograd.LOSSES`.
        reduction : {"sum", "mean", "none"}
            For a batch: the sum, the mean, or the per-sample losses.
        weight_decay : float
            :math:`\lambda \ge 0`. The objective becomes the reduced loss
            plus :meth:`weight_penalty`, :math:`\tfrac\lambda2 \sum_k
            \lVert W^{(k)} \rVert_F^2`, which is not divided by ``N`` under
            ``reduction="mean"``. Must be 0 with ``reduction="none"`` on a
            batch (see ``check_weight_decay``).

        Returns
        -------
        float or ndarray, shape (N,)
            A float, except for a batch with ``reduction="none"``.

        Examples
        --------
        >>> net = Network(W=[[[2.0]]], b=[[0.0]], activations="identity")
        >>> net.loss([1.5], [1.0])
        2.0
        >>> net.loss([[1.0], [2.0]], [1.0, 1.0], reduction="none")
        array([0.5, 4.5])
        >>> net.loss([1.5], [1.0], weight_decay=0.5)  # 2.0 + 0.5/2 * 2.0**2
        3.0
        """
        batch = self.prepare_batch(x, y, loss, reduction)
        decay = check_weight_decay(weight_decay, batch.reduction)
        trace = self.forward_batch(batch.inputs)
        values = batch.loss.value(trace.z[self.K], trace.x[self.K], batch.targets)
        reduced = batch.reduce(values)
        if decay == 0.0:
            return reduced
        return float(reduced) + self.weight_penalty(decay)

    def weight_penalty(self, weight_decay: float) -> float:
        r"""The L2 penalty :math:`\tfrac\lambda2 \sum_{k=1}^K \lVert W^{(k)} \rVert_F^2`.

        Only the weights are penalised, not the biases, as is common practice:
        a bias shifts a unit's input without scaling it, so shrinking it does
        not make the function smoother, and penalising it can pull the
        network away from fitting a non-zero mean.

        Parameters
        ----------
        weight_decay : float
            :math:`\lambda \ge 0`, finite.

        Returns
        -------
        float

        Examples
        --------
        >>> net = Network(W=[[[1.0, 2.0]], [[3.0]]], b=[[5.0], [7.0]], activations="identity")
        >>> net.weight_penalty(0.5)  # 0.5/2 * (1 + 4 + 9); the biases do not count
        3.5
        """
        return weight_penalty(self.W, weight_decay)

    def prepare_input(self, x: npt.ArrayLike, *, copy: bool = True) -> tuple[FloatArray, bool]:
        """Check ``x`` and return it as a batch, with whether it was one sample.

        Parameters
        ----------
        x : array_like, shape (n_0,) or (N, n_0)
        copy : bool
            As for ``as_real_array``: ``False`` lets
            a float64 ``x`` through uncopied, for callers that only read it.

        Returns
        -------
        inputs : ndarray, shape (N, n_0)
        single : bool
        """
        inputs = as_real_array(x, "x", copy=copy)
        n_0 = self.sizes[0]
        if inputs.ndim == 1:
            check_shape(inputs, (n_0,), "x (one sample)")
            return inputs[None, :], True
        if inputs.ndim != 2 or inputs.shape[1] != n_0:
            msg = f"x must have shape ({n_0},) or (N, {n_0}); got shape {inputs.shape}"
            raise ValueError(msg)
        if inputs.shape[0] == 0:
            msg = f"x must hold at least one sample; got shape (0, {n_0})"
            raise ValueError(msg)
        return inputs, False

    def prepare_batch(self, x: npt.ArrayLike, y: npt.ArrayLike, loss: str, reduction: str) -> Batch:
        """Check inputs, targets, loss and reduction together.

        Returns
        -------
        Batch
            Inputs of shape ``(N, n_0)`` and targets of shape ``(N, n_K)``.
        """
        loss_rule = get_loss(loss)
        check_choice(reduction, REDUCTIONS, "reduction")
        # The loss and its gradients only read the data: no copies of large batches.
        inputs, single = self.prepare_input(x, copy=False)
        targets = _targets_as_batch(
            as_real_array(y, "y", copy=False), inputs.shape[0], self.sizes[-1], single
        )
        loss_rule.check(targets, self.activations[-1])
        return Batch(inputs, targets, loss_rule, "sum" if single else reduction, single)

    def __repr__(self) -> str:
        return f"Network(sizes={self.sizes}, activations={self.activations})"


@dataclass(frozen=True)
class Batch:
    """Checked inputs and targets of one call, always with a batch axis.

    Attributes
    ----------
    inputs : ndarray, shape (N, n_0)
    targets : ndarray, shape (N, n_K)
    loss : Loss
    reduction : {"sum", "mean", "none"}
        Always ``"sum"`` for a single sample, where all three agree.
    single : bool
        Whether the caller gave one sample without a batch axis.
    """

    inputs: FloatArray
    targets: FloatArray
    loss: Loss
    reduction: str
    single: bool

    @property
    def scale(self) -> float:
        """Weight of each sample in the objective: ``1/N`` for a mean, else 1."""
        return 1.0 / self.inputs.shape[0] if self.reduction == "mean" else 1.0

    def reduce(self, values: FloatArray) -> float | FloatArray:
        """Combine per-sample losses of shape ``(N,)`` as asked: a float, or them for ``"none"``."""
        if self.reduction == "none":
            return values
        return float(values.sum() * self.scale)


def weight_penalty(weights: Mapping[int, FloatArray], weight_decay: float) -> float:
    r""":math:`\tfrac\lambda2 \sum_k \lVert W^{(k)} \rVert_F^2` for weights numbered by layer.

    Parameters
    ----------
    weights : mapping of int to ndarray
        ``weights[k]`` is :math:`W^{(k)}`, of any shape.
    weight_decay : float
        :math:`\lambda \ge 0`, finite.

    Returns
    -------
    float
    """
    decay = check_weight_decay(weight_decay, "sum")
    return 0.5 * decay * sum(float(np.sum(weights[k] ** 2)) for k in weights)


def check_weight_decay(weight_decay: object, reduction: str) -> float:
    r"""Return the weight decay :math:`\lambda` as a float, or raise.

    The penalty belongs to the objective as a whole, not to any one sample,
    so it cannot be split over per-sample losses or gradients: a non-zero
    ``weight_decay`` with ``reduction="none"`` on a batch is refused rather
    than added to every sample or to none.

    Parameters
    ----------
    weight_decay : float
        :math:`\lambda`: a real number, finite and ``>= 0``.
    reduction : {"sum", "mean", "none"}
        The reduction in effect (``"sum"`` for one sample).

    Raises
    ------
    TypeError
        If ``weight_decay`` is not a real number (a bool is not one).
    ValueError
        If it is negative, NaN or inf, or non-zero with ``reduction="none"``.

    Examples
    --------
    >>> check_weight_decay(1, "mean")
    1.0
    >>> check_weight_decay(-0.1, "sum")
    Traceback (most recent call last):
    ...
    ValueError: weight_decay must be a finite number >= 0; got -0.1
    """
    if isinstance(weight_decay, bool) or not isinstance(weight_decay, numbers.Real):
        msg = (
            "weight_decay must be a real number (int or float); "
            f"got {type(weight_decay).__name__} {weight_decay!r}"
        )
        raise TypeError(msg)
    decay = float(weight_decay)
    if not (np.isfinite(decay) and decay >= 0.0):
        msg = f"weight_decay must be a finite number >= 0; got {weight_decay!r}"
        raise ValueError(msg)
    if decay != 0.0 and reduction == "none":
        msg = (
            "weight_decay must be 0 with reduction='none': the penalty belongs to the "
            f"whole objective, not to one sample; got weight_decay={weight_decay!r}"
        )
        raise ValueError(msg)
    return decay


def _targets_as_batch(y: FloatArray, n_samples: int, n_out: int, single: bool) -> FloatArray:
    expected = (n_samples, n_out)
    if single:
        if y.shape in {(n_out,), ()} and (y.ndim == 1 or n_out == 1):
            return y.reshape(1, n_out)
        msg = f"y for one sample must have shape ({n_out},); got shape {y.shape}"
        raise ValueError(msg)
    if y.shape == expected:
        return y
    if n_out == 1 and y.shape == (n_samples,):
        return y[:, None]
    msg = f"y for a batch of {n_samples} must have shape {expected}; got shape {y.shape}"
    raise ValueError(msg)


def _check_layer_shapes(weights: list[FloatArray], biases: list[FloatArray]) -> None:
    for k, (w, v) in enumerate(zip(weights, biases, strict=True), start=1):
        if w.ndim != 2 or min(w.shape) < 1:
            msg = f"W[{k}] must be a non-empty matrix of shape (n_{k}, n_{k - 1}); got shape {w.shape}"
            raise ValueError(msg)
        check_shape(v, (w.shape[0],), f"b[{k}]")
        if k > 1 and w.shape[1] != weights[k - 2].shape[0]:
            msg = (
                f"W[{k}] must have {weights[k - 2].shape[0]} columns to match W[{k - 1}] "
                f"of shape {weights[k - 2].shape}; got shape {w.shape}"
            )
            raise ValueError(msg)
