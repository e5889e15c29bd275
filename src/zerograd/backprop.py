r"""Exact gradients by backpropagation, and central differences to check them.

Backpropagation starts from :math:`\delta^{(K)} = \partial L/\partial z^{(K)}`
(the loss's rule) and walks down the layers with
:math:`\delta^{(k-1)} = f_{k-1}'(z^{(k-1)}) \odot W^{(k)\top}\delta^{(k)}`.
The weight and bias gradients of layer ``k`` come from :math:`\delta^{(k)}`
by the dense layer's backward rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from zerograd._typing import FloatArray
from zerograd.dense import dense_input_gradient, dense_parameter_gradients
from zerograd.layered import Layered
from zerograd.network import Batch, Network, check_weight_decay, weight_penalty

DEFAULT_STEP = 1e-6
"""Default step ``h`` of the central differences."""


@dataclass(frozen=True)
class Gradients:
    r"""Gradients of the loss, numbered by layer like the parameters.

    For one sample every array has its parameter's shape. For a batch with
    ``reduction="none"`` every array has a leading batch axis of length ``N``.

    Attributes
    ----------
    W : Layered
        ``W[k]`` is :math:`\partial L/\partial W^{(k)}`, shape ``(n_k, n_{k-1})``.
    b : Layered
        ``b[k]`` is :math:`\partial L/\partial b^{(k)}`, shape ``(n_k,)``.
    z : Layered
        ``z[k]`` is :math:`\delta^{(k)} = \partial L/\partial z^{(k)}`, shape
        ``(n_k,)`` for one sample and ``(N, n_k)`` for a batch (row ``n`` is
        the gradient with respect to sample ``n``'s raw activation, whatever
        the reduction). For a :class:`~zerograd.ConvNetwork` or a
        :class:`~zerograd.RecurrentNetwork` it has the shape of ``z[k]``:
        one entry per channel and position, or per step and unit.
    U : Layered or None
        ``U[k]`` is :math:`\partial L/\partial U^{(k)}` for a layer with
        recurrent weights (:class:`~zerograd.RecurrentNetwork`), else None.
    """

    W: Layered
    b: Layered
    z: Layered
    U: Layered | None = None

    def arrays(self) -> Iterator[tuple[str, FloatArray]]:
        """Each parameter gradient with its name, ``"W[1]"``, ``"b[1]"``, ...

        Examples
        --------
        >>> net = Network.random([2, 1], "identity", seed=0)
        >>> [name for name, _ in gradients(net, [1.0, 2.0], [0.0]).arrays()]
        ['W[1]', 'b[1]']
        """
        for k in self.W:
            yield f"W[{k}]", self.W[k]
            if self.U is not None and k in self.U:
                yield f"U[{k}]", self.U[k]
            yield f"b[{k}]", self.b[k]

    def all_zero(self) -> bool:
        """Whether every weight and bias gradient is exactly 0.0 (not just small)."""
        return all(not np.any(array) for _, array in self.arrays())

    def max_abs(self) -> float:
        """The largest absolute entry over all weight and bias gradients."""
        return max(float(np.max(np.abs(array))) for _, array in self.arrays())


class GradientModel(Protocol):
    """A model other than the dense :class:`Network` that computes its own gradients.

    :func:`gradients` and :func:`numerical_gradients` hand such a model to
    these methods (:class:`~zerograd.ConvNetwork`,
    :class:`~zerograd.RecurrentNetwork`).
    """

    def gradients(
        self, x: npt.ArrayLike, y: npt.ArrayLike, loss: str, reduction: str, weight_decay: float
    ) -> Gradients:
        """Exact gradients, as :func:`gradients` returns them."""

    def numerical_gradients(
        self,
        x: npt.ArrayLike,
        y: npt.ArrayLike,
        loss: str,
        reduction: str,
        weight_decay: float,
        step: float,
    ) -> Gradients:
        """Central differences, as :func:`numerical_gradients` returns them."""


def gradients(
    net: Network | GradientModel,
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    loss: str = "squared_error",
    reduction: str = "sum",
    weight_decay: float = 0.0,
) -> Gradients:
    r"""Exact gradients of the loss by backpropagation.

    Parameters
    ----------
    net : Network, ConvNetwork or RecurrentNetwork
        A model other than :class:`Network` computes its gradients with its
        own ``gradients`` method (see ``GradientModel``); its inputs and
        targets have the shapes that model documents.
    x : array_like, shape (n_0,) or (N, n_0)
        One sample, or a batch with one sample per row.
    y : array_like, shape (n_K,) or (N, n_K)
        Targets. When ``n_K == 1`` a scalar (one sample) or shape ``(N,)``
        (a batch) is accepted too.
    loss : str
        A key of :data:`zerograd.LOSSES`.
    reduction : {"sum", "mean", "none"}
        For a batch, the gradient of the summed loss, of the mean loss, or
        of each sample's loss (leading batch axis). The per-sample gradients
        come from one vectorised pass with no loop over samples. Ignored for
        one sample, where all three agree.
    weight_decay : float
        :math:`\lambda \ge 0`. The objective is the reduced loss plus
        :math:`\tfrac\lambda2` times the sum of the squared Frobenius norms
        of every weight tensor: :math:`\sum_k \lVert W^{(k)} \rVert_F^2`
        for a dense :class:`Network` (see
        ``weight_penalty``), and for the other models
        every ``W[k]`` (dense matrix or convolution kernel) and the recurrent
        ``U[k]`` too (see ``PENALISED``). Biases are not
        penalised. So :math:`\lambda \theta` is added to the gradient of
        each penalised tensor :math:`\theta`; bias and raw-activation
        gradients are unchanged. The penalty is not divided by ``N`` under
        ``reduction="mean"``, and must be 0 for a batch with
        ``reduction="none"``.

    Returns
    -------
    Gradients

    Raises
    ------
    ValueError, TypeError
        For bad input, including a bad ``weight_decay`` (see
        ``check_weight_decay``).

    Examples
    --------
    One sample with :math:`L = \tfrac12 (w x - y)^2`, so
    :math:`\partial L/\partial w = (w x - y)\,x = (3 - 1)\cdot 1.5`:

    >>> net = Network(W=[[[2.0]]], b=[[0.0]], activations="identity")
    >>> gradients(net, [1.5], [1.0]).W[1]
    array([[3.]])
    >>> batch = gradients(net, [[1.0], [2.0]], [1.0, 1.0], reduction="none")
    >>> batch.b[1]
    array([[1.],
           [3.]])

    With weight decay :math:`\lambda = 0.5` the weight gradient gains
    :math:`\lambda w = 1`:

    >>> gradients(net, [1.5], [1.0], weight_decay=0.5).W[1]
    array([[4.]])
    """
    if not isinstance(net, Network):
        return net.gradients(x, y, loss, reduction, weight_decay)
    batch = net.prepare_batch(x, y, loss, reduction)
    decay = check_weight_decay(weight_decay, batch.reduction)
    trace = net.forward_batch(batch.inputs)
    K = net.K
    per_sample = batch.reduction == "none"
    delta = batch.scale * batch.loss.delta(trace.z[K], trace.x[K], batch.targets, net.f(K))
    dW: dict[int, FloatArray] = {}
    db: dict[int, FloatArray] = {}
    dz: dict[int, FloatArray] = {}
    for k in range(K, 0, -1):
        dz[k] = delta
        dW[k], db[k] = dense_parameter_gradients(trace.x[k - 1], delta, per_sample=per_sample)
        if k > 1:  # layer 1's input is the data: its gradient would go unused
            dx_prev = dense_input_gradient(net.W[k], delta)
            # dx_prev is a new array that nothing else holds: reuse it for delta.
            delta = np.multiply(net.f(k - 1).df(trace.z[k - 1]), dx_prev, out=dx_prev)
        if decay != 0.0:
            dW[k] = dW[k] + decay * net.W[k]
    return _package(dW, db, dz, batch, K)


def numerical_gradients(
    net: Network | GradientModel,
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    loss: str = "squared_error",
    reduction: str = "sum",
    weight_decay: float = 0.0,
    step: float = DEFAULT_STEP,
) -> Gradients:
    r"""Gradients by central differences, to check :func:`gradients` against.

    Each entry :math:`\theta` of every weight, bias and raw activation is
    moved by :math:`\pm h` and the derivative estimated as
    :math:`(L(\theta + h) - L(\theta - h)) / 2h`. The error is of order
    :math:`h^2` times the third derivative, plus round-off of order
    :math:`\epsilon L / h`, so about 1e-9 relative to the gradient for the
    default ``h``. Near a kink of ``relu`` or ``leaky_relu`` closer than
    ``h`` the estimate averages the two one-sided slopes, so it is not a
    check of the kink convention.

    With ``weight_decay`` the penalty's gradient is estimated, not assumed.
    For a dense :class:`Network` the loss is differenced sample by sample and
    the penalty ``weight_penalty`` of the moved weights
    is differenced too; a :class:`~zerograd.ConvNetwork` or
    :class:`~zerograd.RecurrentNetwork` differences the whole objective,
    reduced loss plus penalty, at once
    (``LayeredModel.numerical_gradients``).

    Parameters
    ----------
    net, x, y, loss, reduction, weight_decay
        As for :func:`gradients`.
    step : float
        The step ``h``, positive.

    Returns
    -------
    Gradients
        The same shapes as :func:`gradients` returns.

    Examples
    --------
    >>> net = Network.random([3, 4, 2], ["tanh", "identity"], seed=0)
    >>> x, y = [0.1, -0.2, 0.3], [1.0, 0.0]
    >>> exact, estimate = gradients(net, x, y), numerical_gradients(net, x, y)
    >>> bool(np.allclose(exact.W[1], estimate.W[1], rtol=1e-7, atol=1e-9))
    True
    """
    if not (np.isfinite(step) and step > 0):
        msg = f"step must be a positive finite number; got {step!r}"
        raise ValueError(msg)
    if not isinstance(net, Network):
        return net.numerical_gradients(x, y, loss, reduction, weight_decay, step)
    batch = net.prepare_batch(x, y, loss, reduction)
    decay = check_weight_decay(weight_decay, batch.reduction)
    K = net.K
    trace = net.forward_batch(batch.inputs)

    def losses_of(candidate: Network) -> FloatArray:
        out = candidate.forward_batch(batch.inputs)
        return batch.loss.value(out.z[K], out.x[K], batch.targets)

    dW: dict[int, FloatArray] = {}
    db: dict[int, FloatArray] = {}
    dz: dict[int, FloatArray] = {}
    for k in net.W:

        def with_weight(w: FloatArray, k: int = k) -> FloatArray:
            return losses_of(_with_layer(net, k, W=w))

        def with_bias(v: FloatArray, k: int = k) -> FloatArray:
            return losses_of(_with_layer(net, k, b=v))

        def penalty_with_weight(w: FloatArray, k: int = k) -> FloatArray:
            return np.array([weight_penalty({**net.W, k: w}, decay)])

        dW[k] = _difference_each_entry(net.W[k], step, with_weight)
        db[k] = _difference_each_entry(net.b[k], step, with_bias)
        dz[k] = _difference_raw_activation(net, trace.z[k], k, step, batch)
    per_sample = batch.reduction == "none"
    for k in net.W:
        dz[k] = dz[k] * batch.scale
        if not per_sample:
            dW[k] = dW[k].sum(axis=0) * batch.scale
            db[k] = db[k].sum(axis=0) * batch.scale
        if decay != 0.0:
            dW[k] = dW[k] + _difference_each_entry(net.W[k], step, penalty_with_weight)[0]
    return _package(dW, db, dz, batch, K)


def _difference_each_entry(
    theta: FloatArray, step: float, per_sample_losses: Callable[[FloatArray], FloatArray]
) -> FloatArray:
    """Per-sample central differences for every entry of one parameter.

    Returns an array of shape ``(N, *theta.shape)``.
    """
    columns = []
    for index in np.ndindex(theta.shape):
        up, down = theta.copy(), theta.copy()
        up[index] += step
        down[index] -= step
        columns.append((per_sample_losses(up) - per_sample_losses(down)) / (2.0 * step))
    return np.stack(columns, axis=1).reshape(-1, *theta.shape)


def _difference_raw_activation(
    net: Network, z_k: FloatArray, k: int, step: float, batch: Batch
) -> FloatArray:
    """Per-sample central differences with respect to :math:`z^{(k)}`, shape ``(N, n_k)``.

    Samples do not interact, so one unit is moved in every sample at once.
    """
    f_k, K = net.f(k), net.K

    def losses_from(z: FloatArray) -> FloatArray:
        if k == K:
            return batch.loss.value(z, f_k.f(z), batch.targets)
        out = net.forward_batch(f_k.f(z), start=k + 1)
        return batch.loss.value(out.z[K], out.x[K], batch.targets)

    result = np.empty_like(z_k)
    for unit in range(z_k.shape[1]):
        up, down = z_k.copy(), z_k.copy()
        up[:, unit] += step
        down[:, unit] -= step
        result[:, unit] = (losses_from(up) - losses_from(down)) / (2.0 * step)
    return result


def _with_layer(
    net: Network, k: int, W: FloatArray | None = None, b: FloatArray | None = None
) -> Network:
    weights = [W if (W is not None and j == k) else net.W[j] for j in net.W]
    biases = [b if (b is not None and j == k) else net.b[j] for j in net.b]
    return net.replace(W=weights, b=biases)


def _package(
    dW: dict[int, FloatArray],
    db: dict[int, FloatArray],
    dz: dict[int, FloatArray],
    batch: Batch,
    K: int,
) -> Gradients:
    """Order by layer; for one sample, drop the batch axis of ``z``."""
    layers = range(1, K + 1)
    return Gradients(
        W=Layered((dW[k] for k in layers), first=1),
        b=Layered((db[k] for k in layers), first=1),
        z=Layered((dz[k][0] if batch.single else dz[k] for k in layers), first=1),
    )
