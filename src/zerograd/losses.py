r"""Per-sample losses, each beside the rule for its gradient.

Every loss maps one sample's network output :math:`x^{(K)}` (shape
``(n_K,)``) and target :math:`y` to a number. The backward rule returns
:math:`\delta^{(K)} = \partial L / \partial z^{(K)}`, the gradient with
respect to the output layer's raw activation, because that is where
backpropagation starts and what the book reasons about.

``squared_error``
    :math:`L = \tfrac12 \lVert x^{(K)} - y \rVert^2` (with the factor
    :math:`\tfrac12`), so :math:`\delta^{(K)} = f_K'(z^{(K)}) \odot (x^{(K)} - y)`.
``binary_cross_entropy``
    :math:`L = -\sum_i \bigl[y_i \log x^{(K)}_i + (1 - y_i)\log(1 - x^{(K)}_i)\bigr]`
    with :math:`x^{(K)} = \sigma(z^{(K)})`: the output activation must be
    ``sigmoid`` and every target 0 or 1. It is evaluated as
    :math:`\sum_i [\operatorname{softplus}(z_i) - y_i z_i]`, which is equal and
    never takes the log of 0, and its rule is the simplified
    :math:`\delta^{(K)} = x^{(K)} - y`.
``softmax_cross_entropy``
    :math:`L = -\sum_i y_i \log \operatorname{softmax}(x^{(K)})_i`, with
    :math:`y` a probability vector and :math:`x^{(K)}` the logits, so
    :math:`\delta^{(K)} = f_K'(z^{(K)}) \odot (\operatorname{softmax}(x^{(K)}) - y)`.
    It needs at least two output units.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from zerograd._typing import FloatArray
from zerograd.activations import Activation
from zerograd.validation import check_choice

PROBABILITY_SUM_TOLERANCE = 1e-9
"""How far a softmax cross-entropy target's sum may be from 1."""


@dataclass(frozen=True)
class Loss:
    r"""A per-sample loss and the rule for :math:`\partial L/\partial z^{(K)}`.

    All callables work on batches: ``z``, ``x`` and ``y`` have shape
    ``(N, n_K)``.

    Attributes
    ----------
    name : str
        The name it is looked up by.
    value : callable
        ``value(z, x, y)``, the loss of each sample, shape ``(N,)``.
    delta : callable
        ``delta(z, x, y, f)``, :math:`\partial L/\partial z^{(K)}` for each
        sample, shape ``(N, n_K)``, where ``f`` is the output activation.
    check : callable
        ``check(y, output_activation)`` raises ``ValueError`` if the targets
        or the output activation are outside what the loss can take.
    """

    name: str
    value: Callable[[FloatArray, FloatArray, FloatArray], FloatArray]
    delta: Callable[[FloatArray, FloatArray, FloatArray, Activation], FloatArray]
    check: Callable[[FloatArray, str], None]


def softmax(logits: FloatArray) -> FloatArray:
    """Softmax along the last axis, shifted by the maximum to avoid overflow.

    Examples
    --------
    >>> softmax(np.array([0.0, np.log(3.0)]))
    array([0.25, 0.75])
    """
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probabilities: FloatArray = shifted / shifted.sum(axis=-1, keepdims=True)
    return probabilities


def _log_sum_exp(logits: FloatArray) -> FloatArray:
    peak = logits.max(axis=-1)
    result: FloatArray = peak + np.log(np.exp(logits - peak[..., None]).sum(axis=-1))
    return result


def _squared_error(z: FloatArray, x: FloatArray, y: FloatArray) -> FloatArray:
    result: FloatArray = 0.5 * ((x - y) ** 2).sum(axis=-1)
    return result


def _d_squared_error(z: FloatArray, x: FloatArray, y: FloatArray, f: Activation) -> FloatArray:
    result: FloatArray = f.df(z) * (x - y)
    return result


def _check_any_target(y: FloatArray, output_activation: str) -> None:
    """Squared error takes any finite target."""


def _binary_cross_entropy(z: FloatArray, x: FloatArray, y: FloatArray) -> FloatArray:
    result: FloatArray = (np.logaddexp(0.0, z) - y * z).sum(axis=-1)
    return result


def _d_binary_cross_entropy(
    z: FloatArray, x: FloatArray, y: FloatArray, f: Activation
) -> FloatArray:
    # sigmoid'(z) = x (1 - x) cancels the denominator of dL/dx exactly.
    return x - y


def _check_binary_target(y: FloatArray, output_activation: str) -> None:
    if output_activation != "sigmoid":
        msg = f"binary_cross_entropy needs a 'sigmoid' output activation; got {output_activation!r}"
        raise ValueError(msg)
    outside = ~np.isin(y, (0.0, 1.0))
    if outside.any():
        # float(): numpy 2 scalars would print as np.float64(0.5).
        bad = float(y[outside][0])
        msg = f"binary_cross_entropy targets must be 0 or 1; got {bad!r}"
        raise ValueError(msg)


def _softmax_cross_entropy(z: FloatArray, x: FloatArray, y: FloatArray) -> FloatArray:
    result: FloatArray = _log_sum_exp(x) - (y * x).sum(axis=-1)
    return result


def _d_softmax_cross_entropy(
    z: FloatArray, x: FloatArray, y: FloatArray, f: Activation
) -> FloatArray:
    return f.df(z) * (softmax(x) - y)


def _check_probability_target(y: FloatArray, output_activation: str) -> None:
    if y.shape[-1] < 2:
        msg = f"softmax_cross_entropy needs at least 2 output units; got {y.shape[-1]}"
        raise ValueError(msg)
    if (y < 0).any():
        msg = f"softmax_cross_entropy targets must be non-negative; got {float(y[y < 0][0])!r}"
        raise ValueError(msg)
    sums = y.sum(axis=-1)
    off = np.abs(sums - 1.0) > PROBABILITY_SUM_TOLERANCE
    if off.any():
        msg = (
            "softmax_cross_entropy targets must be probability vectors summing to 1; "
            f"got a sum of {float(sums[off][0])!r}"
        )
        raise ValueError(msg)


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss("squared_error", _squared_error, _d_squared_error, _check_any_target),
        Loss(
            "binary_cross_entropy",
            _binary_cross_entropy,
            _d_binary_cross_entropy,
            _check_binary_target,
        ),
        Loss(
            "softmax_cross_entropy",
            _softmax_cross_entropy,
            _d_softmax_cross_entropy,
            _check_probability_target,
        ),
    )
}
"""Every loss, by name.

:meta hide-value:
"""


def get_loss(name: str) -> Loss:
    """Look up a loss by name.

    Raises
    ------
    ValueError
        If the name is unknown; the message lists the known names.

    Examples
    --------
    >>> get_loss("mse")
    Traceback (most recent call last):
    ...
    ValueError: unknown loss 'mse'; expected one of 'squared_error', 'binary_cross_entropy', 'softmax_cross_entropy'
    """
    return LOSSES[check_choice(name, LOSSES, "loss")]
