r"""Activation functions, each beside its derivative (the analytic formula, in float64).

.. rubric:: Saturation

``tanh'`` and ``sigmoid'`` are formed from the output, as :math:`1 - x^2` and
:math:`x(1 - x)` (as PyTorch's ``tanh_backward`` and ``sigmoid_backward`` do), so
they lose relative accuracy as a unit saturates, where the output rounds near 1:
``tanh'(15)`` is off by about 2e-4 of itself and ``sigmoid'(30)`` by about 1e-3;
from :math:`|z| \approx 18.99` for tanh and :math:`z \approx 36.74` for sigmoid
(the positive side only: for :math:`z < 0` the output is small and the product
keeps its precision) they are ``0.0``, where the real slope is still about 1e-16.
So a saturated unit's gradient is ``0.0`` in float64 before it is 0 in fact: a
float64 statement, not an exact one.

.. rubric:: Conventions at kinks

``relu`` and ``leaky_relu`` are not differentiable at 0, and frameworks choose a
slope there. Both of the library's choices are tested.

``relu`` uses :math:`\operatorname{relu}'(0) = 0`, as PyTorch, TensorFlow and
JAX do: PyTorch's derivative of ``relu`` is ``threshold_backward(grad, result, 0)``
(tools/autograd/derivatives.yaml), which gives 0 where the value is at most 0;
TensorFlow's ``ReluGrad`` (tensorflow/core/kernels/relu_op_functor.h) passes the
gradient on only where the input is above 0; and ``jax.nn.relu`` has a custom
derivative that selects the gradient where ``x > 0`` (jax/_src/nn/functions.py).

``leaky_relu`` uses the slope of its left piece at 0, :math:`0.01`. Frameworks
differ here:

* PyTorch uses its ``negative_slope`` (default 0.01) at 0:
  ``leaky_relu_backward_kernel`` in aten/src/ATen/native/cpu/Activation.cpp
  computes ``a > 0 ? b : b * negval``.
* TensorFlow uses its ``alpha`` (default 0.2) at 0: ``LeakyReluGrad`` in
  tensorflow/core/kernels/relu_op_functor.h selects ``gradients`` where
  ``features > 0`` and ``gradients * alpha`` elsewhere.
* JAX uses slope 1 at 0: ``jax.nn.leaky_relu`` (jax/_src/nn/functions.py) is
  ``jnp.where(x >= 0, x, negative_slope * x)`` with no custom derivative, so the
  derivative at 0 follows the ``x >= 0`` branch (``jax.grad(jax.nn.leaky_relu)(0.0)``
  is 1.0 in jax 0.10.2). Flax re-exports it (flax/linen/activation.py).
* Keras 3's ``keras.activations.leaky_relu`` calls its backend's
  (keras/src/backend/{jax,tensorflow,torch}/nn.py), so its slope at 0 is 1 on
  JAX and the negative slope on TensorFlow and PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from zerograd._checks import FloatArray, check_choice

LEAKY_RELU_SLOPE = 0.01
"""Slope of ``leaky_relu`` for negative input (and at 0)."""

SLOPE_BLOCK_BYTES = 2**20
"""Most bytes of :math:`f'(z)` that :meth:`Activation.multiply_by_slope` holds at once, or
one sample's worth when a single sample's :math:`f'(z)` is larger."""


@dataclass(frozen=True)
class Activation:
    r"""An elementwise activation :math:`f` and its derivative :math:`f'`.

    Attributes
    ----------
    name : str
        The name it is looked up by.
    f : callable
        ``f(z)`` for a float64 array ``z`` (or a float), elementwise: float64, of
        ``z``'s shape, and a numpy float for a 0-d ``z`` or a float, as numpy's ufuncs
        return. The rules do not check ``z``: the models check their inputs and
        parameters before calling them.
    df : callable
        ``df(z)`` is :math:`f'(z)`, elementwise, as ``f``.
    formula : str
        :math:`f` in LaTeX, for documentation.
    df_of_output : callable or None
        ``df_of_output(x)`` is :math:`f'(z)` computed from the output
        :math:`x = f(z)` alone, for the activations whose derivative is a function
        of their value and costly to evaluate again (:math:`\tanh' = 1 - \tanh^2`,
        :math:`\sigma' = \sigma (1 - \sigma)`); bit for bit ``df(z)``. The dense
        network's backward pass uses it on the outputs its forward pass kept.
    exact_zero_slopes : bool
        Whether a slope of 0.0 is the real slope (relu off its kink, and at it by the
        library's convention), and not an underflow of a positive one (tanh, sigmoid,
        softplus and silu far out). Only then is the delta of such a unit 0 whatever
        error reaches it (``multiply_in_place``); otherwise inf times a slope that
        underflowed stays NaN, and the models report the overflow.
    """

    name: str
    f: Callable[[FloatArray], FloatArray]
    df: Callable[[FloatArray], FloatArray]
    formula: str
    df_of_output: Callable[[FloatArray], FloatArray] | None = None
    exact_zero_slopes: bool = False

    def multiply_by_slope(self, delta: FloatArray, z: FloatArray, x: FloatArray) -> None:
        r"""Multiply ``delta`` by :math:`f'(z)` in place, a block of samples at a time.

        Parameters
        ----------
        delta : ndarray, shape (N, ...)
            The gradient with respect to the activation's output; overwritten with
            the gradient with respect to its input.
        z : ndarray, same shape as ``delta``
            The activation's input.
        x : ndarray, same shape as ``delta``
            Its output, ``f(z)``, as the forward pass kept it: :math:`f'` is computed
            from it where the activation allows (``df_of_output``, bit for bit ``df(z)``).
        """
        # f'(z) for a whole batch would be one more array of the layer's size beside the
        # trace the backward pass keeps; a block of samples at a time bounds that at
        # SLOPE_BLOCK_BYTES, and the block is large enough that the loop costs nothing.
        rows = max(1, SLOPE_BLOCK_BYTES // max(1, delta[:1].nbytes))
        for start in range(0, len(delta), rows):
            block = slice(start, start + rows)
            slope = self.df(z[block]) if self.df_of_output is None else self.df_of_output(x[block])
            if self.exact_zero_slopes:
                multiply_in_place(delta[block], slope)
            else:
                delta[block] *= slope


def multiply_in_place(values: FloatArray, slope: FloatArray) -> None:
    r"""Multiply ``values`` by ``slope`` in place, with 0 wherever the slope is 0.

    For an activation whose zero slopes are real (:attr:`Activation.exact_zero_slopes`,
    relu): a slope of 0 gives a gradient of 0 whatever reaches the unit, while in
    float64 an error that overflowed on its way down (inf) times that slope would be
    NaN, reported at an entry whose real value is 0. Where a slope of 0.0 is an
    underflow (a saturated tanh), the real product may be any size, and this must not
    be used. Only a product that holds a NaN is looked at again (one sum tells), so
    the finite case costs one pass.

    Parameters
    ----------
    values : ndarray
        The gradient with respect to the activation's output; overwritten.
    slope : ndarray, broadcastable to ``values``
        :math:`f'(z)`.

    Examples
    --------
    >>> values = np.array([np.inf, 2.0, np.inf])
    >>> with np.errstate(invalid="ignore"):  # inf * 0, as the models compute it
    ...     multiply_in_place(values, np.array([0.0, 0.0, 1.0]))
    >>> values
    array([ 0.,  0., inf])
    """
    values *= slope
    if np.isnan(np.sum(values)):  # NaN, or an inf and a -inf: rare
        np.copyto(values, 0.0, where=(slope == 0.0) & np.isnan(values))


def sigmoid(z: FloatArray) -> FloatArray:
    """Logistic function, computed without overflow for any finite ``z``.

    Examples
    --------
    >>> sigmoid(np.array([0.0, -1000.0, 1000.0]))
    array([0.5, 0. , 1. ])
    """
    # exp(-|z|) never overflows; pick the algebraically equal form per sign.
    e = np.exp(-np.abs(z))
    return _as_a_ufunc_returns(np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)))


def _as_a_ufunc_returns(values: FloatArray) -> FloatArray:
    # np.where and np.ones_like give a 0-d array for a 0-d or scalar z, where np.tanh
    # and the other ufuncs give a numpy float: every rule returns what a ufunc does.
    return values[()]


def _identity(z: FloatArray) -> FloatArray:
    return np.positive(z)  # a ufunc, as the other rules are: a new array, or a numpy float


def _d_identity(z: FloatArray) -> FloatArray:
    return _as_a_ufunc_returns(np.ones_like(z, dtype=np.float64))


def _relu(z: FloatArray) -> FloatArray:
    return _as_a_ufunc_returns(np.where(z > 0, z, 0.0))


def _d_relu(z: FloatArray) -> FloatArray:
    return _as_a_ufunc_returns(np.where(z > 0, 1.0, 0.0))  # relu'(0) = 0 by convention


def _leaky_relu(z: FloatArray) -> FloatArray:
    return _as_a_ufunc_returns(np.where(z > 0, z, LEAKY_RELU_SLOPE * z))


def _d_leaky_relu(z: FloatArray) -> FloatArray:
    return _as_a_ufunc_returns(np.where(z > 0, 1.0, LEAKY_RELU_SLOPE))


def _tanh(z: FloatArray) -> FloatArray:
    return np.tanh(z)


def _d_tanh(z: FloatArray) -> FloatArray:
    return 1.0 - np.tanh(z) ** 2


def _d_tanh_of_output(x: FloatArray) -> FloatArray:
    # 1 - x^2 in one new array, for the dense network's backward pass: a batch's layer
    # can be large, and each fresh array costs about as much as the arithmetic.
    slope: FloatArray = np.square(x, out=np.empty_like(x))
    np.subtract(1.0, slope, out=slope)
    return _as_a_ufunc_returns(slope)


def _d_sigmoid(z: FloatArray) -> FloatArray:
    return _d_sigmoid_of_output(sigmoid(z))


def _d_sigmoid_of_output(s: FloatArray) -> FloatArray:
    return np.multiply(s, np.subtract(1.0, s))  # a ufunc, so a float s gives a numpy float


def _softplus(z: FloatArray) -> FloatArray:
    return np.logaddexp(0.0, z)


def _d_softplus(z: FloatArray) -> FloatArray:
    return sigmoid(z)


def _silu(z: FloatArray) -> FloatArray:
    return z * sigmoid(z)


def _d_silu(z: FloatArray) -> FloatArray:
    s = sigmoid(z)
    return s * (1.0 + z * (1.0 - s))


ACTIVATIONS: Mapping[str, Activation] = MappingProxyType(
    {
        a.name: a
        for a in (
            Activation("identity", _identity, _d_identity, r"z"),
            Activation("relu", _relu, _d_relu, r"\max(z, 0)", exact_zero_slopes=True),
            Activation(
                "leaky_relu", _leaky_relu, _d_leaky_relu, rf"\max(z, {LEAKY_RELU_SLOPE}\,z)"
            ),
            Activation("tanh", _tanh, _d_tanh, r"\tanh z", _d_tanh_of_output),
            Activation("sigmoid", sigmoid, _d_sigmoid, r"1 / (1 + e^{-z})", _d_sigmoid_of_output),
            Activation("softplus", _softplus, _d_softplus, r"\log(1 + e^{z})"),
            Activation("silu", _silu, _d_silu, r"z / (1 + e^{-z})"),
        )
    }
)
# Documented where zerograd exports it, as zerograd.ACTIVATIONS.


def get_activation(name: str) -> Activation:
    """Look up an activation by name.

    Raises
    ------
    zerograd.ArgumentValueError
        If the name is unknown; the message lists the known names.
    zerograd.ArgumentTypeError
        If ``name`` is not a str.

    Examples
    --------
    >>> get_activation("relu").df(np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 1.])
    >>> get_activation("ReLU")
    Traceback (most recent call last):
    ...
    zerograd._checks.ArgumentValueError: name must be one of 'identity',
    'relu', 'leaky_relu', 'tanh', 'sigmoid', 'softplus', 'silu'; got 'ReLU'
    """
    return ACTIVATIONS[check_choice(name, ACTIVATIONS, "name")]
