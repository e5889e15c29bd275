r"""The layer types' rules: each forward rule beside its backward rule.

All rules are pure functions of arrays with a leading batch axis ``N``. A
backward rule takes :math:`\delta^{(k)} = \partial L/\partial z^{(k)}` and
returns the gradients of the layer's parameters (summed over the batch, or one
per sample with ``per_sample=True``) and of its input :math:`x^{(k-1)}`, before
the activation rule of layer ``k - 1`` is applied.

A new layer type starts here: its two rules, then a model that calls them in its
``forward_batch`` and ``backward`` (see :mod:`zerograd.model`).

Dense
-----
:math:`z^{(k)} = W^{(k)} x^{(k-1)} + b^{(k)}`, that is ``x_prev @ W.T + b``.
Backward: :math:`\partial L/\partial W^{(k)} = \delta^{(k)} x^{(k-1)\top}` (an outer
product per sample), :math:`\partial L/\partial b^{(k)} = \delta^{(k)}`,
:math:`\partial L/\partial x^{(k-1)} = W^{(k)\top} \delta^{(k)}`.

1-D convolution
---------------
Layer ``k`` maps ``C_{k-1}`` channels of length ``T_{k-1}`` to ``C_k`` channels
of length ``T_k = T_{k-1} - w_k + 1`` (stride 1, "valid" padding: the kernel
never hangs over an end). Like the deep-learning frameworks it computes a
cross-correlation:

.. math::

   z^{(k)}_{o,t} = \sum_{c=1}^{C_{k-1}} \sum_{j=1}^{w_k}
       W^{(k)}_{o,c,j}\, x^{(k-1)}_{c,\,t+j-1} + b^{(k)}_o .

One bias :math:`b^{(k)}_o` per output channel is *shared* by all ``T_k``
positions. Backward:

* :math:`\partial L/\partial W^{(k)}_{o,c,j} = \sum_t \delta^{(k)}_{o,t}\, x^{(k-1)}_{c,\,t+j-1}`;
* :math:`\partial L/\partial b^{(k)}_o = \sum_t \delta^{(k)}_{o,t}`, a sum over
  positions, so it can vanish while every :math:`\delta^{(k)}_{o,t}` does not;
* :math:`\partial L/\partial x^{(k-1)}_{c,s} = \sum_o \sum_j W^{(k)}_{o,c,j}\,
  \delta^{(k)}_{o,\,s-j+1}` (terms outside ``1..T_k`` are 0): a "full"
  convolution with the flipped kernel.

Elman recurrence
----------------
A sequence :math:`x^{(0)}_1, \dots, x^{(0)}_T` drives a state :math:`x^{(1)}_t`
from :math:`x^{(1)}_0 = 0`:
:math:`z^{(1)}_t = W^{(1)} x^{(0)}_t + U^{(1)} x^{(1)}_{t-1} + b^{(1)}`,
:math:`x^{(1)}_t = f_1(z^{(1)}_t)`, with the same :math:`W^{(1)}`,
:math:`U^{(1)}`, :math:`b^{(1)}` at every step. Backward through time, from
``t = T`` down to 1, given the gradient :math:`g_t` reaching each state from
outside the recurrence:

.. math::

   \delta^{(1)}_t = f_1'(z^{(1)}_t) \odot
       \bigl(g_t + U^{(1)\top} \delta^{(1)}_{t+1}\bigr),
   \qquad \delta^{(1)}_{T+1} = 0,

and :math:`\partial L/\partial W^{(1)} = \sum_t \delta^{(1)}_t x^{(0)\top}_t`,
:math:`\partial L/\partial U^{(1)} = \sum_{t \ge 2} \delta^{(1)}_t x^{(1)\top}_{t-1}`,
:math:`\partial L/\partial b^{(1)} = \sum_t \delta^{(1)}_t`.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from zerograd._checks import FloatArray
from zerograd.activations import Activation


def dense_forward(W: FloatArray, b: FloatArray, x_prev: FloatArray) -> FloatArray:
    """Raw activations of a dense layer for a batch.

    Parameters
    ----------
    W : ndarray, shape (n_k, n_{k-1})
    b : ndarray, shape (n_k,)
    x_prev : ndarray, shape (N, n_{k-1})

    Returns
    -------
    ndarray, shape (N, n_k)

    Examples
    --------
    >>> dense_forward(np.array([[1.0, 2.0]]), np.array([0.5]), np.array([[3.0, 4.0]]))
    array([[11.5]])
    """
    z = x_prev @ W.T
    z += b  # in place: one (N, n_k) array, not two
    return z


def dense_parameter_gradients(
    x_prev: FloatArray, delta: FloatArray, *, per_sample: bool
) -> tuple[FloatArray, FloatArray]:
    r"""Gradients of a dense layer's weights and bias.

    Parameters
    ----------
    x_prev : ndarray, shape (N, n_{k-1})
        The layer's input :math:`x^{(k-1)}`.
    delta : ndarray, shape (N, n_k)
        :math:`\partial L/\partial z^{(k)}` for each sample.
    per_sample : bool
        Keep one gradient per sample (leading axis ``N``) instead of summing
        them. The sum is one matrix product and never builds the per-sample
        array.

    Returns
    -------
    dW : ndarray, shape (N, n_k, n_{k-1}) if ``per_sample`` else (n_k, n_{k-1})
    db : ndarray, shape (N, n_k) if ``per_sample`` else (n_k,)

    Examples
    --------
    >>> x_prev, delta = np.array([[3.0, 4.0], [1.0, 0.0]]), np.array([[0.5], [2.0]])
    >>> dense_parameter_gradients(x_prev, delta, per_sample=False)
    (array([[3.5, 2. ]]), array([2.5]))
    >>> dW, db = dense_parameter_gradients(x_prev, delta, per_sample=True)
    >>> dW.shape, db.shape
    ((2, 1, 2), (2, 1))
    """
    if per_sample:
        # The same products as broadcasting delta[:, :, None] * x_prev[:, None, :], but
        # einsum's loops stay fast when n_{k-1} is small (3-16-1: 2-3x faster).
        dW = np.einsum("ni,nj->nij", delta, x_prev)
        db = delta.copy()
    else:
        dW = delta.T @ x_prev
        db = delta.sum(axis=0)
    return dW, db


def dense_input_gradient(W: FloatArray, delta: FloatArray) -> FloatArray:
    r"""Gradient with respect to a dense layer's input, :math:`W^{(k)\top} \delta^{(k)}` per sample.

    Parameters
    ----------
    W : ndarray, shape (n_k, n_{k-1})
    delta : ndarray, shape (N, n_k)
        :math:`\partial L/\partial z^{(k)}` for each sample.

    Returns
    -------
    ndarray, shape (N, n_{k-1})
        :math:`\partial L/\partial x^{(k-1)}`, before the activation rule of
        layer ``k - 1`` is applied. A new array.

    Examples
    --------
    >>> dense_input_gradient(np.array([[1.0, 2.0]]), np.array([[0.5]]))
    array([[0.5, 1. ]])
    """
    return delta @ W


def dense_backward(
    W: FloatArray, x_prev: FloatArray, delta: FloatArray, *, per_sample: bool
) -> tuple[FloatArray, FloatArray, FloatArray]:
    r"""Gradients of a dense layer's weights, bias and input.

    :func:`dense_parameter_gradients` and :func:`dense_input_gradient`
    together. Backpropagation through a network skips the input gradient of
    layer 1, whose input is the data.

    Parameters
    ----------
    W : ndarray, shape (n_k, n_{k-1})
    x_prev : ndarray, shape (N, n_{k-1})
        The layer's input :math:`x^{(k-1)}`.
    delta : ndarray, shape (N, n_k)
        :math:`\partial L/\partial z^{(k)}` for each sample.
    per_sample : bool
        As for :func:`dense_parameter_gradients`.

    Returns
    -------
    dW : ndarray, shape (N, n_k, n_{k-1}) if ``per_sample`` else (n_k, n_{k-1})
    db : ndarray, shape (N, n_k) if ``per_sample`` else (n_k,)
    dx_prev : ndarray, shape (N, n_{k-1})

    Examples
    --------
    >>> W = np.array([[1.0, 2.0]])
    >>> dW, db, dx = dense_backward(W, np.array([[3.0, 4.0]]), np.array([[0.5]]), per_sample=False)
    >>> dW, db, dx
    (array([[1.5, 2. ]]), array([0.5]), array([[0.5, 1. ]]))
    """
    dW, db = dense_parameter_gradients(x_prev, delta, per_sample=per_sample)
    return dW, db, dense_input_gradient(W, delta)


def conv1d_forward(W: FloatArray, b: FloatArray, x_prev: FloatArray) -> FloatArray:
    """Raw activations of a 1-D convolution layer for a batch.

    Parameters
    ----------
    W : ndarray, shape (C_k, C_{k-1}, w_k)
    b : ndarray, shape (C_k,)
    x_prev : ndarray, shape (N, C_{k-1}, T_{k-1})

    Returns
    -------
    ndarray, shape (N, C_k, T_{k-1} - w_k + 1)

    Examples
    --------
    One channel, kernel ``[1, -1]``, bias 0.5: each output is a difference of
    neighbours plus the bias.

    >>> W, b = np.array([[[1.0, -1.0]]]), np.array([0.5])
    >>> conv1d_forward(W, b, np.array([[[1.0, 4.0, 9.0]]]))
    array([[[-2.5, -4.5]]])
    """
    windows = sliding_window_view(x_prev, W.shape[2], axis=2)  # (N, C_{k-1}, T_k, w_k)
    z: FloatArray = np.einsum("nctj,ocj->not", windows, W) + b[:, None]
    return z


def conv1d_backward(
    W: FloatArray, x_prev: FloatArray, delta: FloatArray, *, per_sample: bool
) -> tuple[FloatArray, FloatArray, FloatArray]:
    r"""Gradients of a 1-D convolution layer's weights, bias and input.

    Parameters
    ----------
    W : ndarray, shape (C_k, C_{k-1}, w_k)
    x_prev : ndarray, shape (N, C_{k-1}, T_{k-1})
        The layer's input :math:`x^{(k-1)}`.
    delta : ndarray, shape (N, C_k, T_k)
        :math:`\partial L/\partial z^{(k)}` for each sample and position.
    per_sample : bool
        Keep one gradient per sample (leading axis ``N``) instead of summing.

    Returns
    -------
    dW : ndarray, shape (N, C_k, C_{k-1}, w_k) if ``per_sample`` else (C_k, C_{k-1}, w_k)
    db : ndarray, shape (N, C_k) if ``per_sample`` else (C_k,)
        Always summed over positions: the bias is shared by them.
    dx_prev : ndarray, shape (N, C_{k-1}, T_{k-1})
        :math:`\partial L/\partial x^{(k-1)}`, before the activation rule of
        layer ``k - 1`` is applied.

    Examples
    --------
    With ``delta = [1, -1]`` the bias gradient is their sum, 0, while the
    weight and input gradients are not 0:

    >>> W = np.array([[[1.0, -1.0]]])
    >>> dW, db, dx = conv1d_backward(W, np.array([[[1.0, 4.0, 9.0]]]),
    ...                              np.array([[[1.0, -1.0]]]), per_sample=False)
    >>> dW, db, dx
    (array([[[-3., -5.]]]), array([0.]), array([[[ 1., -2.,  1.]]]))
    """
    width = W.shape[2]
    windows = sliding_window_view(x_prev, width, axis=2)  # (N, C_{k-1}, T_k, w_k)
    if per_sample:
        dW: FloatArray = np.einsum("not,nctj->nocj", delta, windows)
        db: FloatArray = delta.sum(axis=2)
    else:
        dW = np.einsum("not,nctj->ocj", delta, windows)
        db = delta.sum(axis=(0, 2))
    padded = np.pad(delta, ((0, 0), (0, 0), (width - 1, width - 1)))
    delta_windows = sliding_window_view(padded, width, axis=2)  # (N, C_k, T_{k-1}, w_k)
    dx_prev: FloatArray = np.einsum("nosj,ocj->ncs", delta_windows, W[:, :, ::-1])
    return dW, db, dx_prev


def elman_forward(
    W: FloatArray,
    U: FloatArray,
    b: FloatArray,
    inputs: FloatArray,
    f: Activation,
    offset: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Raw activations and states of the recurrent layer, for a batch of sequences.

    Parameters
    ----------
    W : ndarray, shape (n_1, n_0)
    U : ndarray, shape (n_1, n_1)
    b : ndarray, shape (n_1,)
    inputs : ndarray, shape (N, T, n_0)
    f : Activation
    offset : ndarray, shape (N, T, n_1), optional
        Added to :math:`z^{(1)}_t` before the activation, so that later steps
        see it (for central differences with respect to raw activations).

    Returns
    -------
    z : ndarray, shape (N, T, n_1)
    states : ndarray, shape (N, T, n_1)
        :math:`x^{(1)}_t` for ``t = 1..T``.

    Examples
    --------
    One unit, identity activation, ``W = 1``, ``U = 0.5``, ``b = 0``: each
    state is the input plus half the previous state.

    >>> from zerograd.activations import get_activation
    >>> one = np.array([[1.0]])
    >>> z, h = elman_forward(one, 0.5 * one, np.zeros(1), np.array([[[2.0], [1.0], [0.0]]]),
    ...                      get_activation("identity"))
    >>> h[0, :, 0]
    array([2., 2., 1.])
    """
    n_samples, length, _ = inputs.shape
    driven = inputs @ W.T + b  # the part of z that does not depend on the state
    if offset is not None:
        driven = driven + offset
    z = np.empty((n_samples, length, W.shape[0]))
    states = np.empty_like(z)
    state = np.zeros((n_samples, W.shape[0]))
    for t in range(length):
        z[:, t] = driven[:, t] + state @ U.T
        state = f.f(z[:, t])
        states[:, t] = state
    return z, states


def elman_backward(
    U: FloatArray,
    f: Activation,
    inputs: FloatArray,
    z: FloatArray,
    states: FloatArray,
    d_states: FloatArray,
    *,
    per_sample: bool,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    r"""Backpropagation through time in the recurrent layer.

    Parameters
    ----------
    U : ndarray, shape (n_1, n_1)
    f : Activation
    inputs : ndarray, shape (N, T, n_0)
    z, states : ndarray, shape (N, T, n_1)
        From :func:`elman_forward`.
    d_states : ndarray, shape (N, T, n_1)
        The gradient reaching each state :math:`x^{(1)}_t` from outside the
        recurrence (from the readout): :math:`W^{(2)\top}\delta^{(2)}_t`.
    per_sample : bool
        Keep one gradient per sample (leading axis ``N``) instead of summing.

    Returns
    -------
    dW : ndarray, shape (N, n_1, n_0) if ``per_sample`` else (n_1, n_0)
    dU : ndarray, shape (N, n_1, n_1) if ``per_sample`` else (n_1, n_1)
    db : ndarray, shape (N, n_1) if ``per_sample`` else (n_1,)
    delta : ndarray, shape (N, T, n_1)
        :math:`\delta^{(1)}_t = \partial L/\partial z^{(1)}_t`.

    Examples
    --------
    Continuing the example of :func:`elman_forward` with
    :math:`\partial L/\partial x^{(1)}_3 = 1` only: the gradient reaches step
    ``t`` multiplied by :math:`U^{3-t} = 0.5^{3-t}`.

    >>> from zerograd.activations import get_activation
    >>> one, f = np.array([[1.0]]), get_activation("identity")
    >>> inputs = np.array([[[2.0], [1.0], [0.0]]])
    >>> z, h = elman_forward(one, 0.5 * one, np.zeros(1), inputs, f)
    >>> dW, dU, db, delta = elman_backward(0.5 * one, f, inputs, z, h,
    ...                                    np.array([[[0.0], [0.0], [1.0]]]), per_sample=False)
    >>> delta[0, :, 0], db
    (array([0.25, 0.5 , 1.  ]), array([1.75]))
    """
    delta = np.empty_like(z)
    from_later = np.zeros_like(z[:, 0])  # U^T delta_{t+1}, zero after the last step
    for t in range(z.shape[1] - 1, -1, -1):
        delta[:, t] = f.df(z[:, t]) * (d_states[:, t] + from_later)
        from_later = delta[:, t] @ U
    previous = states[:, :-1]  # x^(1)_{t-1} for t = 2..T; x^(1)_0 = 0 adds nothing
    if per_sample:
        dW: FloatArray = np.einsum("nti,ntj->nij", delta, inputs)
        dU: FloatArray = np.einsum("nti,ntj->nij", delta[:, 1:], previous)
        db: FloatArray = delta.sum(axis=1)
    else:
        dW = np.einsum("nti,ntj->ij", delta, inputs)
        dU = np.einsum("nti,ntj->ij", delta[:, 1:], previous)
        db = delta.sum(axis=(0, 1))
    return dW, dU, db, delta
