r"""Per-sample losses, each beside the rule for its gradient.

Every loss maps one sample's network output :math:`x^{(K)}` (shape
``(n_K,)``) and target :math:`y` to a number. The backward rule returns
:math:`\delta^{(K)} = \partial L / \partial z^{(K)}`, the gradient with
respect to the output layer's raw activation, because that is where
backpropagation starts and what the book reasons about.

``squared_error``
    :math:`L = \tfrac12 \lVert x^{(K)} - y \rVert^2` (with the factor
    :math:`\tfrac12`), so :math:`\delta^{(K)} = f_K'(z^{(K)}) \odot (x^{(K)} - y)`.
    It is summed as :math:`\sum_i (\tfrac12 e_i) e_i` with :math:`e = x^{(K)} - y`,
    which is :math:`\tfrac12 \sum_i e_i^2` to the bit wherever each
    :math:`\tfrac12 e_i^2` is a normal float64 (below, it rounds once where that
    rounds twice) but does not overflow where only the squares would (an error
    between about 1.3e154 and 1.9e154).
``binary_cross_entropy``
    :math:`L = -\sum_i \bigl[y_i \log x^{(K)}_i + (1 - y_i)\log(1 - x^{(K)}_i)\bigr]`
    with :math:`x^{(K)} = \sigma(z^{(K)})`: the output activation must be
    ``sigmoid`` and every target 0 or 1. It is evaluated as
    :math:`\sum_i [(1 - y_i) \operatorname{softplus}(z_i) + y_i
    \operatorname{softplus}(-z_i)]`, which is equal, never takes the log of 0,
    and has no cancellation (:math:`z = 40`, :math:`y = 1` gives :math:`e^{-40}`
    to a few units in the last place, not 0), and its rule is the simplified
    :math:`\delta^{(K)} = x^{(K)} - y`.
``softmax_cross_entropy``
    :math:`L = -\sum_i y_i \log \operatorname{softmax}(x^{(K)})_i`, with
    :math:`y` a probability vector and :math:`x^{(K)}` the logits, so
    :math:`\delta^{(K)} = f_K'(z^{(K)}) \odot (\operatorname{softmax}(x^{(K)}) - y)`.
    It needs at least two output units. The rule is the gradient of the loss
    when each row of :math:`y` sums to 1. The target check accepts a row whose
    sum misses 1 by up to :math:`2 n \varepsilon` of its dtype, and by no more than
    1/16 (``PROBABILITY_SUM_CAP``) whatever the dtype and length (round-off for
    float64 targets; for ten float32 ones, :math:`20 \times 2^{-23} \approx
    2.384 \times 10^{-6}`), and for such a row the gradient of the computed loss,
    :math:`f_K'(z^{(K)}) \odot (\operatorname{softmax}(x^{(K)}) \sum_i y_i - y)`,
    is the rule plus
    :math:`f_K'(z^{(K)}) \odot \operatorname{softmax}(x^{(K)}) (\sum_i y_i - 1)`:
    the rule is the gradient with the target taken as a probability vector. Its
    value is computed as :math:`\sum_i y_i (m - x_i) + \log(1 + s) \sum_i y_i`,
    with :math:`m = \max_j x_j` and :math:`s` the sum of :math:`e^{x_j - m}` over
    the logits but one largest: both terms are non-negative and ``log1p`` keeps
    :math:`s`, so it keeps its precision for large logits (three equal logits of
    1e16 give :math:`\log 3`) and for a loss far below 1 (logits 40 and 0 with
    target :math:`(1, 0)` give :math:`e^{-40}` to a few units in the last place);
    where :math:`m - x_i` overflows, :math:`y_i (m - x_i)` is formed as
    :math:`y_i m - y_i x_i`, so a class whose target is 0 adds 0 (logits
    :math:`10^{308}` and :math:`-10^{308}` with target :math:`(1, 0)` give 0) and
    a loss that fits in float64 is returned (target :math:`(0.5, 0.5)` there
    gives :math:`10^{308}`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

import numpy as np

from zerograd._checks import ArgumentValueError, FloatArray, as_given, check_choice
from zerograd.activations import Activation


@dataclass(frozen=True)
class Loss:
    r"""A per-sample loss and the rule for :math:`\partial L/\partial z^{(K)}`.

    All callables work on batches: ``z``, ``x`` and ``y`` have shape
    ``(..., n_K)``, any number of leading axes (samples, and time steps for a
    recurrent network) before the output units. They take numpy arrays and do
    not check them (the models check what reaches them), as
    :class:`~zerograd.Activation`'s rules do; ``check_output`` and
    ``check_target`` are those checks.

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

    A helper of the loss rules: ``logits`` is a finite float64 ndarray whose last
    axis has an entry, and is not checked (the models check what reaches it).

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
    """The logarithm of :func:`softmax`, computed without rounding small probabilities away.

    It takes what :func:`softmax` takes, unchecked. Softmax cross-entropy's value
    is formed from the same parts (see the module's notes), not from this.

    ``(x - m) - log(1 + s)``, with ``m`` the largest logit and ``s`` the sum of
    ``exp(x_j - m)`` over the other logits (one largest left out): ``log1p`` keeps
    ``s`` where ``1 + s`` would round to 1, so a probability near 1 keeps its
    distance from 1.

    Examples
    --------
    >>> log_softmax(np.array([1e16, 1e16, 1e16]))
    array([-1.09861229, -1.09861229, -1.09861229])
    >>> float(-log_softmax(np.array([40.0, 0.0]))[0])  # e**-40, where log(1 + s) is 0
    4.248354255291589e-18
    """
    with np.errstate(over="ignore"):  # a logit more than 1.8e308 below the top: -inf
        shifted = logits - logits.max(axis=-1, keepdims=True)
    result: FloatArray = shifted - _log_one_plus_others(shifted)
    return result


def _log_one_plus_others(shifted: FloatArray) -> FloatArray:
    """``log(sum(exp(shifted)))`` along the last axis, kept; ``shifted``'s largest is 0."""
    others = np.exp(shifted)
    top = np.argmax(shifted, axis=-1)[..., np.newaxis]
    np.put_along_axis(others, top, 0.0, axis=-1)  # its exp(0) = 1 is the 1 of log1p
    result: FloatArray = np.log1p(others.sum(axis=-1, keepdims=True))
    return result


def _squared_error(z: FloatArray, x: FloatArray, y: FloatArray) -> FloatArray:
    # halved before squaring (exact), so a square that overflows where its half does not
    # (an error between about 1.3e154 and 1.9e154) is not lost
    with np.errstate(over="ignore"):  # an error or a loss beyond float64 is inf
        errors = x - y
        result: FloatArray = ((0.5 * errors) * errors).sum(axis=-1)
    return result


def _d_squared_error(z: FloatArray, x: FloatArray, y: FloatArray, f: Activation) -> FloatArray:
    with np.errstate(over="ignore"):  # an error beyond float64 is inf; the models refuse it
        result: FloatArray = f.df(z) * (x - y)
    return result


def _any_output(output_activation: str, n_units: int) -> None:
    """Squared error takes any output."""


def _any_target(y: FloatArray) -> None:
    """Squared error takes any finite target."""


def _binary_cross_entropy(z: FloatArray, x: FloatArray, y: FloatArray) -> FloatArray:
    # softplus(z) - y z as (1 - y) softplus(z) + y softplus(-z): two terms of one sign,
    # so a loss far below 1 is not lost to cancellation (z = 40, y = 1: e**-40)
    terms = (1.0 - y) * np.logaddexp(0.0, z) + y * np.logaddexp(0.0, -z)
    result: FloatArray = terms.sum(axis=-1)
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
    # -sum y log p = sum y (m - x) + log(sum exp(x - m)) sum y, m the largest logit:
    # each term is one sign, so the loss is not the difference of two large numbers
    top = x.max(axis=-1, keepdims=True)
    with np.errstate(over="ignore", invalid="ignore"):
        gaps = top - x  # inf for a logit more than 1.8e308 below the top
        # there y (m - x) is formed as y m - y x: finite where the term is, and 0 for
        # a class of target 0 (where y (m - x) would be 0 * inf)
        far = np.isinf(gaps)
        terms = np.where(far, y * top - y * x, y * gaps)
        result: FloatArray = terms.sum(axis=-1) + _log_one_plus_others(-gaps)[..., 0] * y.sum(
            axis=-1
        )
    return result


def _d_softmax_cross_entropy(
    z: FloatArray, x: FloatArray, y: FloatArray, f: Activation
) -> FloatArray:
    return f.df(z) * (softmax(x) - y)


PROBABILITY_SUM_CAP: Final = 2.0**-4
"""The most a softmax cross-entropy target's row may miss 1 by, whatever its dtype and
length (:func:`probability_sum_tolerance`): float16 rows reach it from 32 entries."""


def probability_sum_tolerance(y: FloatArray) -> float:
    r"""How far a row of softmax cross-entropy targets ``y`` may sum from 1.

    A helper of the target check: ``y`` is an ndarray with at least one axis, unchecked.

    :math:`2 n \varepsilon`, with :math:`n` entries a row and :math:`\varepsilon`
    the machine epsilon of ``y``'s dtype (of float64 for integers and bools): a
    probability vector computed and stored in that precision misses 1 by at most
    about :math:`n \varepsilon`, from rounding each entry and the sum. It is capped at
    :data:`PROBABILITY_SUM_CAP`: :math:`2 n \varepsilon` reaches 1 for float16 rows of
    512 entries, where a row of zeros or one summing to 2 would pass as a probability
    vector. A long double target is held to its own :math:`\varepsilon`, smaller than
    float64's: its numbers are checked as given, before the loss rounds them to float64,
    so a long double row may be refused whose float64 copy would be taken.

    Examples
    --------
    >>> probability_sum_tolerance(np.ones((5, 2), dtype=np.float32))
    4.76837158203125e-07
    >>> probability_sum_tolerance(np.ones((1, 512), dtype=np.float16))
    0.0625
    """
    dtype = y.dtype if y.dtype.kind == "f" else np.dtype(np.float64)
    # eps as a Python float: times a long row, a float16 eps would overflow float16
    return min(2.0 * int(y.shape[-1]) * float(np.finfo(dtype).eps), PROBABILITY_SUM_CAP)


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
        first = sums[off][0]
        bad = as_given(first)
        # finite entries whose sum overflowed: the caller gave no inf
        shown = (
            "a sum beyond float64's range (about 1.8e308)"
            if np.isinf(first)
            else f"a sum of {bad!r}"
        )
        raise ArgumentValueError(
            "y",
            f"hold probability vectors summing to 1 (within {tolerance:.3g}) "
            "for softmax_cross_entropy",
            shown,
            expected=1.0,
            received=bad,
        )


LOSSES: Mapping[str, Loss] = MappingProxyType(
    {
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
)
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
