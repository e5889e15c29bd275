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
    It needs at least two output units. The rule is the gradient of the loss
    when each row of :math:`y` sums to 1. The target check accepts a row whose
    sum misses 1 by up to :math:`2 n \varepsilon` of its dtype (round-off for
    float64 targets; for ten float32 ones, :math:`2.384 \times 10^{-6}` and a
    little more), and for such a row the rule differs from the gradient of the
    computed loss,
    :math:`f_K'(z^{(K)}) \odot (\operatorname{softmax}(x^{(K)}) \sum_i y_i - y)`,
    by :math:`f_K'(z^{(K)}) \odot \operatorname{softmax}(x^{(K)}) (\sum_i y_i - 1)`:
    it is the gradient with the target taken as a probability vector. Its
    value is computed with the log-softmax, :math:`\log
    \operatorname{softmax}(x)_i = (x_i - m) - \log \sum_j e^{x_j - m}` with
    :math:`m = \max_j x_j`, so that it keeps its precision for large logits
    (three equal logits of 1e16 give :math:`\log 3`), and a class whose target
    is 0 adds 0 to it even where its log-probability overflows to
    :math:`-\infty` (logits :math:`10^{308}` and :math:`-10^{308}` with target
    :math:`(1, 0)` give 0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from zerograd._checks import ArgumentValueError, FloatArray, as_given, check_choice
from zerograd.activations import Activation


@dataclass(frozen=True)
class Loss:
    r"""A per-sample loss and the rule for :math:`\partial L/\partial z^{(K)}`.

    All callables work on batches: ``z``, ``x`` and ``y`` have shape
    ``(..., n_K)``, any number of leading axes (samples, and time steps for a
    recurrent network) before the output units.

    Attributes
    ----------
    name : str
        The name it is looked up by.
    value : callable
        ``value(z, x, y)``, the loss of each row, shape ``(...)``.
    delta : callable
        ``delta(z, x, y, f)``, :math:`\partial L/\partial z^{(K)}` for each
        row, shape ``(..., n_K)``, where ``f`` is the output activation.
    check_output : callable
        ``check_output(output_activation, n_units)`` raises
        ``zerograd.ArgumentValueError`` if a model's output cannot take the
        loss: its activation's name, and ``n_units``, the length of each row
        the loss reads. A model's calls check it before ``x`` and ``y``, whose
        values cannot mend it.
    check_target : callable
        ``check_target(y)`` raises ``zerograd.ArgumentValueError`` if the
        targets, shape ``(..., n_K)``, are outside what the loss can take.
        ``y`` comes in the caller's own dtype (a float32 target is checked at
        float32 precision), finite.
    """

    name: str
    value: Callable[[FloatArray, FloatArray, FloatArray], FloatArray]
    delta: Callable[[FloatArray, FloatArray, FloatArray, Activation], FloatArray]
    check_output: Callable[[str, int], None]
    check_target: Callable[[FloatArray], None]


def softmax(logits: FloatArray) -> FloatArray:
    """Softmax along the last axis, shifted by the maximum to avoid overflow.

    Examples
    --------
    >>> softmax(np.array([0.0, np.log(3.0)]))
    array([0.25, 0.75])
    """
    with np.errstate(over="ignore"):  # a logit more than 1.8e308 below the top: -inf, e^-inf = 0
        shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probabilities: FloatArray = shifted / shifted.sum(axis=-1, keepdims=True)
    return probabilities


def log_softmax(logits: FloatArray) -> FloatArray:
    """The logarithm of :func:`softmax`, computed without rounding the largest logit away.

    Examples
    --------
    >>> log_softmax(np.array([1e16, 1e16, 1e16]))
    array([-1.09861229, -1.09861229, -1.09861229])
    """
    with np.errstate(over="ignore"):  # a logit more than 1.8e308 below the top: -inf
        shifted = logits - logits.max(axis=-1, keepdims=True)
    result: FloatArray = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return result


def _squared_error(z: FloatArray, x: FloatArray, y: FloatArray) -> FloatArray:
    result: FloatArray = 0.5 * ((x - y) ** 2).sum(axis=-1)
    return result


def _d_squared_error(z: FloatArray, x: FloatArray, y: FloatArray, f: Activation) -> FloatArray:
    result: FloatArray = f.df(z) * (x - y)
    return result


def _any_output(output_activation: str, n_units: int) -> None:
    """Squared error takes any output."""


def _any_target(y: FloatArray) -> None:
    """Squared error takes any finite target."""


def _binary_cross_entropy(z: FloatArray, x: FloatArray, y: FloatArray) -> FloatArray:
    result: FloatArray = (np.logaddexp(0.0, z) - y * z).sum(axis=-1)
    return result


def _d_binary_cross_entropy(
    z: FloatArray, x: FloatArray, y: FloatArray, f: Activation
) -> FloatArray:
    # sigmoid'(z) = x (1 - x) cancels the denominator of dL/dx exactly.
    return x - y


def _check_sigmoid_output(output_activation: str, n_units: int) -> None:
    if output_activation != "sigmoid":
        raise ArgumentValueError(
            "the output activation",
            "be 'sigmoid' for binary_cross_entropy",
            repr(output_activation),
            expected="sigmoid",
            received=output_activation,
        )


def _check_binary_target(y: FloatArray) -> None:
    outside = ~np.isin(y, (0, 1))
    if outside.any():
        bad = as_given(y[outside][0])
        raise ArgumentValueError(
            "y", "hold 0 or 1 for binary_cross_entropy", repr(bad), expected=(0, 1), received=bad
        )


def _softmax_cross_entropy(z: FloatArray, x: FloatArray, y: FloatArray) -> FloatArray:
    log_p = log_softmax(x)
    # a class of target 0 adds 0 even where its log-probability overflows to -inf
    terms = np.multiply(y, log_p, out=np.zeros_like(log_p), where=y != 0)
    result: FloatArray = 0.0 - terms.sum(axis=-1)  # +0.0 where every term is a zero
    return result


def _d_softmax_cross_entropy(
    z: FloatArray, x: FloatArray, y: FloatArray, f: Activation
) -> FloatArray:
    return f.df(z) * (softmax(x) - y)


def probability_sum_tolerance(y: FloatArray) -> float:
    r"""How far a row of softmax cross-entropy targets ``y`` may sum from 1.

    :math:`2 n \varepsilon`, with :math:`n` entries a row and :math:`\varepsilon`
    the machine epsilon of ``y``'s dtype (of float64 for integers and bools): a
    probability vector computed and stored in that precision misses 1 by at most
    about :math:`n \varepsilon`, from rounding each entry and the sum.

    Examples
    --------
    >>> probability_sum_tolerance(np.ones((5, 2), dtype=np.float32))
    4.76837158203125e-07
    """
    dtype = y.dtype if y.dtype.kind == "f" else np.dtype(np.float64)
    return float(2.0 * y.shape[-1] * np.finfo(dtype).eps)


def _check_several_units(output_activation: str, n_units: int) -> None:
    if n_units < 2:
        raise ArgumentValueError(
            "the output",
            "have at least 2 units for softmax_cross_entropy",
            f"{n_units}",
            expected=2,
            received=n_units,
        )


def _check_probability_target(y: FloatArray) -> None:
    if (y < 0).any():
        bad = as_given(y[y < 0][0])
        raise ArgumentValueError(
            "y", "be non-negative for softmax_cross_entropy", repr(bad), expected=0, received=bad
        )
    # in the wider of y's dtype and float64: a long double row summing to 1 within
    # its own 2 n eps can miss 1 by more than that once rounded to float64
    with np.errstate(over="ignore"):  # a sum that overflows is inf, refused below
        # (float64 for an object array of Python numbers, whose ints may be long)
        wider = np.float64 if y.dtype == object else np.result_type(y.dtype, np.float64)
        sums = y.sum(axis=-1, dtype=wider)
    tolerance = probability_sum_tolerance(y)
    off = np.abs(sums - 1.0) > tolerance
    if off.any():
        bad = as_given(sums[off][0])
        raise ArgumentValueError(
            "y",
            f"hold probability vectors summing to 1 (within {tolerance:.3g}) "
            "for softmax_cross_entropy",
            f"a sum of {bad!r}",
            expected=1.0,
            received=bad,
        )


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss("squared_error", _squared_error, _d_squared_error, _any_output, _any_target),
        Loss(
            "binary_cross_entropy",
            _binary_cross_entropy,
            _d_binary_cross_entropy,
            _check_sigmoid_output,
            _check_binary_target,
        ),
        Loss(
            "softmax_cross_entropy",
            _softmax_cross_entropy,
            _d_softmax_cross_entropy,
            _check_several_units,
            _check_probability_target,
        ),
    )
}
# Documented where zerograd exports it, as zerograd.LOSSES.


def get_loss(name: str) -> Loss:
    """Look up a loss by name.

    Raises
    ------
    zerograd.ArgumentValueError
        If the name is unknown; the message lists the known names.
    zerograd.ArgumentTypeError
        If ``name`` is not a str.

    Examples
    --------
    >>> get_loss("mse")
    Traceback (most recent call last):
    ...
    zerograd._checks.ArgumentValueError: name must be one of 'squared_error',
    'binary_cross_entropy', 'softmax_cross_entropy'; got 'mse'
    """
    return LOSSES[check_choice(name, LOSSES, "name")]
