r"""The layer types' rules: each forward rule beside its backward rules.

All rules are pure functions of arrays with a leading batch axis ``N``. A
layer's backward rules start from :math:`\delta^{(k)} = \partial L/\partial z^{(k)}`:

* the *input gradient* :math:`\partial L/\partial x^{(k-1)}`, before the
  activation rule of layer ``k - 1`` is applied, which carries
  backpropagation to the layer below;
* the *parameter gradients*, summed over the batch or one per sample
  (``per_sample=True``);
* the *gradient norms*: each sample's Frobenius norm of each parameter
  gradient, shape ``(N,)``, computed without an array of every sample's gradients.

In every layer type below, each sample's weight gradient is a sum of outer
products of :math:`\delta^{(k)}` with the layer's input (one product for a dense
layer, one per position or step where the weight is shared), and a bias
gradient is a sum of :math:`\delta^{(k)}`. A model's backward pass therefore
hands each layer's two factors over as one object (:class:`LayerFactors`:
:class:`DenseFactors`, :class:`StepFactors`, :class:`Conv1dFactors`,
:class:`ElmanFactors`), and the caller asks it for the summed gradients, the
per-sample gradients or the per-sample norms.

A new layer type starts here: its forward rule, its backward rules and its
factors, then a model that calls them in its ``forward_batch`` and
``backward`` (see :mod:`zerograd.model`).

Dense
-----
:math:`z^{(k)} = W^{(k)} x^{(k-1)} + b^{(k)}`, that is ``x_prev @ W.T + b``.
Backward: :math:`\partial L/\partial W^{(k)} = \delta^{(k)} x^{(k-1)\top}` (an outer
product per sample), :math:`\partial L/\partial b^{(k)} = \delta^{(k)}`,
:math:`\partial L/\partial x^{(k-1)} = W^{(k)\top} \delta^{(k)}`.
Per sample the weight gradient is an outer product, whose Frobenius norm is a
product of two vector norms, :math:`\lVert \delta x^\top \rVert_F = \lVert \delta
\rVert\, \lVert x \rVert`, since :math:`\sum_{i,j} \delta_i^2 x_j^2 = \lVert\delta\rVert^2
\lVert x\rVert^2` (Goodfellow, 2015, arXiv:1510.01799).

Weights shared over positions or steps
--------------------------------------
A convolution, the recurrent layer and a readout applied at every step have,
per sample, weight gradients of the form
:math:`G = \sum_{t=1}^{T} \delta_t u_t^\top` (:math:`u_t` the input at step ``t``,
or the window a kernel reads at position ``t``). Its norm comes from ``G``
itself, formed for one block of samples at a time, or from the *Gram form*
(the "ghost norm" of Li et al., 2022, arXiv:2110.05679)

.. math::

   \lVert G \rVert_F^2 = \sum_{t,s} (\delta_t \cdot \delta_s)\,(u_t \cdot u_s),

whichever costs less (:func:`shared_weight_norms`).

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

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from zerograd._checks import FloatArray
from zerograd.activations import Activation, multiply_in_place

Method = Literal["auto", "gram", "direct"]
"""How :func:`shared_weight_norms` computes a norm: by the size rule, the Gram form or ``G``."""

GRAM_COST_FACTOR = 4.0
"""Weight of the Gram form's operation count against the direct form's in the size rule.

numpy runs the Gram form's ``T x T`` products at about a quarter of the direct
form's rate per counted operation. The factor was chosen by timing both forms
on a grid of shapes; ``benchmarks/gram_factor.py`` repeats that measurement and
reports, for several factors, how much slower the rule's pick is than the
faster form (its last run is in ``benchmarks/results/gram_factor.json``).
"""

GRAM_CONDITION_LIMIT = 1e3
r"""Largest :math:`S_n^2 / \lVert G_n \rVert^2` for which a Gram-form result is kept.

:math:`S_n = \sum_t \lVert\delta_t\rVert\,\lVert u_t\rVert` bounds the terms of
the Gram sum, so its rounding error is a small multiple of
:math:`\varepsilon S_n^2` (:math:`\varepsilon = 2^{-52}`, float64's machine
epsilon), and the relative error of :math:`\lVert G_n\rVert`, a square root,
about half of :math:`\varepsilon S_n^2 / \lVert G_n\rVert^2`: at most about
:math:`1.1 \times 10^{-13}` below the limit. A sample above it (its terms
cancel) is computed again from :math:`G_n` itself, whose relative error is
about :math:`\varepsilon S_n / \lVert G_n\rVert`.
"""

BLOCK_BYTES = 4 * 2**20
"""Scratch memory of one block of samples in :func:`shared_weight_norms`, at least (4 MiB)."""


class LayerFactors(Protocol):
    r"""A layer's parameter gradients in factored form, as the backward pass hands them over.

    It holds the layer's :math:`\delta^{(k)}` and its input, and forms from them
    whichever result is asked for, and only that one.
    """

    def gradients(self, *, per_sample: bool) -> dict[str, FloatArray]:
        """Each parameter's gradient by name, summed over the batch unless ``per_sample``."""
        ...

    def norms(self) -> dict[str, FloatArray]:
        """Each parameter's per-sample gradient norm by name, each of shape ``(N,)``."""
        ...


def row_norms(a: FloatArray) -> FloatArray:
    """The Euclidean norm of each row.

    Parameters
    ----------
    a : ndarray, shape (N, m)

    Returns
    -------
    ndarray, shape (N,)
        A new array; no temporary of ``a``'s size is made.

    Examples
    --------
    >>> row_norms(np.array([[3.0, 4.0], [0.0, 0.0]]))
    array([5., 0.])
    """
    squares: FloatArray = np.einsum("ij,ij->i", a, a)
    return np.sqrt(squares, out=squares)


# ---------------------------------------------------------------------------- dense


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
    >>> W, b = np.array([[1.0, 2.0]]), np.array([0.5])
    >>> dense_forward(W, b, np.array([[3.0, 4.0]]))
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
    >>> x_prev = np.array([[3.0, 4.0], [1.0, 0.0]])
    >>> delta = np.array([[0.5], [2.0]])
    >>> dense_parameter_gradients(x_prev, delta, per_sample=False)
    (array([[3.5, 2. ]]), array([2.5]))
    >>> dW, db = dense_parameter_gradients(x_prev, delta, per_sample=True)
    >>> dW.shape, db.shape
    ((2, 1, 2), (2, 1))
    """
    if per_sample:
        # The values of broadcasting delta[:, :, None] * x_prev[:, None, :], up to the sign
        # of a zero, but einsum's loops stay fast when n_{k-1} is small (3-16-1: 2-3x faster).
        dW = np.einsum("ni,nj->nij", delta, x_prev)
        db = delta.copy()
    else:
        dW = delta.T @ x_prev
        db = delta.sum(axis=0)
    return dW, db


def dense_gradient_norms(x_prev: FloatArray, delta: FloatArray) -> tuple[FloatArray, FloatArray]:
    r"""Each sample's norms of a dense layer's weight and bias gradients.

    :math:`\lVert \delta_n x_n^\top \rVert_F = \lVert \delta_n \rVert\,\lVert x_n \rVert`
    and :math:`\lVert \delta_n \rVert`: two vector norms per sample, no matrix.

    Parameters
    ----------
    x_prev : ndarray, shape (N, n_{k-1})
        The layer's input :math:`x^{(k-1)}`.
    delta : ndarray, shape (N, n_k)
        :math:`\partial \ell_n/\partial z^{(k)}` for each sample.

    Returns
    -------
    W : ndarray, shape (N,)
    b : ndarray, shape (N,)

    Examples
    --------
    >>> x_prev = np.array([[3.0, 4.0], [1.0, 0.0]])
    >>> delta = np.array([[0.5], [2.0]])
    >>> dense_gradient_norms(x_prev, delta)  # 0.5 * 5 and 2 * 1
    (array([2.5, 2. ]), array([0.5, 2. ]))
    """
    bias = row_norms(delta)
    inputs = row_norms(x_prev)
    # a zero factor gives a zero norm, as the sample's gradient row is then 0, even where
    # the other factor's sum of squares overflowed (0 * inf would be NaN). A norm of 0 may
    # also be an underflow of a factor that is not 0, whose product with a norm that
    # overflowed must stay NaN, to be refused: where a norm of 0 meets one that is not
    # finite, the factors are looked at (only there: a fitted sample's delta is 0).
    nonzero = (bias != 0.0) & (inputs != 0.0)
    doubtful = np.flatnonzero(~nonzero & ~(np.isfinite(bias) & np.isfinite(inputs)))
    # a block of rows at a time: every row may be doubtful, and the rows looked at are copied
    for block in _blocks(doubtful.size, delta[:1].nbytes + x_prev[:1].nbytes, BLOCK_BYTES):
        rows = doubtful[block]
        nonzero[rows] = _has_nonzero(delta[rows], axis=1) & _has_nonzero(x_prev[rows], axis=1)
    weights = np.zeros_like(bias)
    with np.errstate(invalid="ignore"):  # 0 * inf is the NaN meant above, not an accident
        np.multiply(bias, inputs, out=weights, where=nonzero)
    return weights, bias


def _has_nonzero(a: FloatArray, axis: int) -> npt.NDArray[np.bool_]:
    """Which slices of ``a`` along ``axis`` hold an entry that is not 0 (NaN counts as not 0).

    Two reductions rather than ``np.any(a != 0.0, axis)``, which would make a boolean
    temporary of ``a``'s size: the norms' scratch memory is bounded by ``delta``'s size.
    """
    # max(a, 0) > 0 or min(a, 0) < 0 exactly where a non-zero entry is; `initial`
    # also makes an empty slice give False.
    above: npt.NDArray[np.bool_] = np.max(a, axis=axis, initial=0.0) != 0.0
    below: npt.NDArray[np.bool_] = np.min(a, axis=axis, initial=0.0) != 0.0
    return above | below


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


@dataclass(frozen=True)
class DenseFactors:
    r"""A dense layer's input and :math:`\delta`, the factors of its parameter gradients.

    Attributes
    ----------
    x_prev : ndarray, shape (N, n_{k-1})
    delta : ndarray, shape (N, n_k)
    """

    x_prev: FloatArray
    delta: FloatArray

    def gradients(self, *, per_sample: bool) -> dict[str, FloatArray]:
        """``W`` and ``b``, by :func:`dense_parameter_gradients`."""
        dW, db = dense_parameter_gradients(self.x_prev, self.delta, per_sample=per_sample)
        return {"W": dW, "b": db}

    def norms(self) -> dict[str, FloatArray]:
        """``W`` and ``b``, by :func:`dense_gradient_norms`."""
        W, b = dense_gradient_norms(self.x_prev, self.delta)
        return {"W": W, "b": b}


# ---------------------------------------------------------------------------- shared weights


def step_weight_gradient(inputs: FloatArray, delta: FloatArray, *, per_sample: bool) -> FloatArray:
    r"""The gradient of a weight applied at every step: :math:`\sum_t \delta_t u_t^\top`.

    Parameters
    ----------
    inputs : ndarray, shape (N, T, c)
        :math:`u_t`, the input the weight multiplies at each step.
    delta : ndarray, shape (N, T, a)
        :math:`\delta_t`, the gradient with respect to the raw activation it feeds.
    per_sample : bool
        Keep one gradient per sample instead of summing them too.

    Returns
    -------
    ndarray, shape (N, a, c) if ``per_sample`` else (a, c)

    Examples
    --------
    >>> inputs, delta = np.array([[[1.0], [2.0]]]), np.array([[[3.0], [-1.0]]])
    >>> step_weight_gradient(inputs, delta, per_sample=False)  # 3 * 1 - 1 * 2
    array([[1.]])
    """
    if per_sample:
        per_sample_gradients: FloatArray = np.einsum("nti,ntj->nij", delta, inputs)
        return per_sample_gradients
    # One matrix product over every (sample, step) pair: BLAS, not einsum's own loops.
    summed: FloatArray = np.tensordot(delta, inputs, axes=([0, 1], [0, 1]))
    return summed


def operation_counts(steps: int, n_out: int, n_in: int, width: int = 1) -> tuple[int, int]:
    r"""Multiply-adds per sample of the Gram form and of the direct form, for :func:`choose_method`.

    With ``a = n_out``, ``c = n_in``, ``w = width``:

    * the Gram form: :math:`T^2 a` for the products :math:`\delta_t\cdot\delta_s`,
      :math:`(T+w-1)^2 c` for those of the input's rows, :math:`w T^2` to add
      the ``w`` diagonal blocks that make up the windows' products, and
      :math:`T^2` for the final sum;
    * the direct form: :math:`w T a c` to form :math:`G` and :math:`w a c` for its norm.

    Parameters
    ----------
    steps : int
        ``T``, the positions or steps at which the weight is applied.
    n_out, n_in : int
        ``a`` and ``c``: the lengths of :math:`\delta_t` and of one row of the input.
    width : int
        ``w``, the kernel width; 1 for a weight applied at every step.

    Returns
    -------
    tuple of int
        ``(gram, direct)``.

    Examples
    --------
    >>> operation_counts(steps=2, n_out=3, n_in=4)
    (36, 36)
    """
    span = steps + width - 1
    gram = steps**2 * (n_out + width + 1) + span**2 * n_in
    direct = width * n_in * n_out * (steps + 1)
    return gram, direct


def choose_method(steps: int, n_out: int, n_in: int, width: int = 1) -> Literal["gram", "direct"]:
    r"""The cheaper exact method for :func:`shared_weight_norms`, by counting operations.

    The counts are :func:`operation_counts`'s, with the Gram form's weighted by
    :data:`GRAM_COST_FACTOR`. The Gram form wins for short sequences of wide
    layers, roughly when
    :math:`T (a + c + w) \lesssim a c w / 4`.
    On a tie the direct form is chosen: it is the simpler of the two, with no
    samples to recompute.

    Parameters
    ----------
    steps, n_out, n_in, width : int
        As for :func:`operation_counts`.

    Returns
    -------
    {"gram", "direct"}

    Examples
    --------
    >>> choose_method(steps=8, n_out=64, n_in=64)
    'gram'
    >>> choose_method(steps=60, n_out=16, n_in=4)
    'direct'
    """
    gram, direct = operation_counts(steps, n_out, n_in, width)
    return "gram" if GRAM_COST_FACTOR * gram < direct else "direct"


def shared_weight_norms(
    delta: FloatArray, inputs: FloatArray, width: int = 1, method: Method = "auto"
) -> FloatArray:
    r"""Each sample's :math:`\lVert G_n \rVert_F` with :math:`G_n = \sum_t \delta_{n,t} u_{n,t}^\top`.

    Parameters
    ----------
    delta : ndarray, shape (N, T, a)
        :math:`\delta_{n,t}`, the gradient with respect to the raw activation at
        position or step ``t``.
    inputs : ndarray, shape (N, T + width - 1, c)
        The input by position: :math:`u_{n,t}` is ``inputs[n, t:t + width]``
        flattened (with ``width=1``, the row ``inputs[n, t]``).
    width : int
        The kernel width ``w``; 1 for a weight applied at every step.
    method : {"auto", "gram", "direct"}
        The Gram form, :math:`G_n` itself, or the cheaper of the two by
        :func:`choose_method`. They give the same norms up to rounding.

    Returns
    -------
    ndarray, shape (N,)

    Notes
    -----
    The samples are taken a block at a time, so that the scratch memory stays
    at about the size of ``delta`` (at least :data:`BLOCK_BYTES`, and at least
    one sample's scratch, which for a long sequence can be larger) whatever
    ``N``: neither form holds :math:`G_n` or a ``T x T`` matrix for more than
    one block. A Gram-form sample whose terms cancel beyond
    :data:`GRAM_CONDITION_LIMIT` is computed again from :math:`G_n`. With
    ``T = 0`` (a recurrent weight run for one step) every norm is 0.

    Examples
    --------
    Two steps whose terms cancel exactly give 0 by either method:

    >>> delta = np.array([[[1.0, 2.0], [-1.0, -2.0]]])
    >>> inputs = np.array([[[3.0], [3.0]]])
    >>> shared_weight_norms(delta, inputs, method="gram")
    array([0.])
    >>> shared_weight_norms(delta, inputs)
    array([0.])
    """
    n_samples, steps, n_out = delta.shape
    n_in = inputs.shape[2]
    if steps == 0:
        return np.zeros(n_samples)
    chosen = choose_method(steps, n_out, n_in, width) if method == "auto" else method
    span = steps + width - 1
    budget = max(BLOCK_BYTES, delta.nbytes)
    direct_scratch = 8 * (2 * n_out * n_in + steps * n_in)
    squares = np.empty(n_samples)
    if chosen == "direct":
        for rows in _blocks(n_samples, direct_scratch, budget):
            squares[rows] = _direct_squares(delta[rows], inputs[rows], width)
        return np.sqrt(squares, out=squares)
    doubtful = np.empty(n_samples, dtype=bool)
    # per sample: the Gram matrices (room for three T x T, one span x span) and a few
    # arrays of T or of 1 entries, which for T = 1 are as large as the matrices
    gram_scratch = 8 * (3 * steps * steps + span * span + 2 * steps + 4)
    for rows in _blocks(n_samples, gram_scratch, budget):
        squares[rows], doubtful[rows] = _gram_squares(delta[rows], inputs[rows], width)
    # Samples whose terms cancel, from G_n: in blocks sized for G_n and for the copies of
    # the samples' delta and input that picking them makes, so that a batch of such
    # samples does not hold every G_n, or a copy of a wide input, at once.
    again = np.flatnonzero(doubtful)
    picked = delta[:1].nbytes + inputs[:1].nbytes
    for rows in _blocks(again.size, direct_scratch + picked, budget):
        samples = again[rows]
        squares[samples] = _direct_squares(delta[samples], inputs[samples], width)
    return np.sqrt(squares, out=squares)


def _blocks(n_samples: int, scratch: int, budget: int) -> list[slice]:
    """Slices that cover ``range(n_samples)`` in blocks of ``budget // scratch`` samples (at least 1)."""
    block = max(1, min(n_samples, budget // max(1, scratch)))  # no scratch: an input of no columns
    return [slice(start, start + block) for start in range(0, n_samples, block)]


def _gram_squares(
    delta: FloatArray, inputs: FloatArray, width: int
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    r""":math:`\sum_{t,s} (\delta_t\cdot\delta_s)(u_t\cdot u_s)` per sample, and which samples cancel.

    A sample is marked when its terms cancel beyond :data:`GRAM_CONDITION_LIMIT` (a
    sum of 0 or below with a diagonal term that is not 0 is such a sample), when its
    sum is not finite, or when a step whose ``delta_t`` and ``u_t`` are both non-zero
    has a diagonal term that underflowed to 0: the products of its factors can overflow or
    underflow where the entries of ``G`` do not, and a step whose term is lost may be
    the one that dominates ``G``. Its square is then to be computed again from ``G``.
    A sample whose steps all have a zero factor keeps its exact 0.
    """
    steps = delta.shape[1]
    with np.errstate(over="ignore", invalid="ignore"):  # such a sample is marked, below
        delta_gram = np.matmul(delta, delta.transpose(0, 2, 1))  # (n, T, T)
        input_gram = np.matmul(inputs, inputs.transpose(0, 2, 1))  # (n, T + w - 1, T + w - 1)
        # u_t . u_s = sum_j x_{t+j} . x_{s+j}: the sum of `width` diagonal blocks.
        window_gram = input_gram[:, :steps, :steps].copy()
        for j in range(1, width):
            window_gram += input_gram[:, j : j + steps, j : j + steps]
        del input_gram
        squares: FloatArray = np.einsum("nts,nts->n", delta_gram, window_gram)
        # S_n = sum_t |delta_t| |u_t| bounds every term; see GRAM_CONDITION_LIMIT.
        diagonal = np.einsum("ntt,ntt->nt", delta_gram, window_gram)
        # a zero term is lost only where the step's factors are not 0, looked at only in a
        # block that has a zero term (on the whole block: a subset would be a copy)
        zero_terms = diagonal == 0.0
        lost = (
            np.any(zero_terms & _live_steps(delta, inputs, width), axis=1)
            if zero_terms.any()
            else np.zeros(len(squares), dtype=bool)
        )
        scale = np.sqrt(diagonal, out=diagonal).sum(axis=1)
        cancelled = squares * GRAM_CONDITION_LIMIT < scale * scale
    return squares, cancelled | lost | ~np.isfinite(squares)


def _live_steps(delta: FloatArray, inputs: FloatArray, width: int) -> npt.NDArray[np.bool_]:
    """Which steps of each sample have a non-zero ``delta_t`` and a non-zero window ``u_t``, shape (n, T)."""
    steps = delta.shape[1]
    rows = _has_nonzero(inputs, axis=2)  # (n, T + w - 1)
    window = rows[:, :steps].copy()
    for j in range(1, width):
        window |= rows[:, j : j + steps]
    return _has_nonzero(delta, axis=2) & window


def _direct_squares(delta: FloatArray, inputs: FloatArray, width: int) -> FloatArray:
    r""":math:`\lVert G_n\rVert_F^2` from :math:`G_n` itself, one kernel offset at a time."""
    steps = delta.shape[1]
    delta_t = delta.transpose(0, 2, 1)  # (n, a, T)
    squares = np.zeros(delta.shape[0])
    # a sum that overflows is inf or NaN, which the caller refuses, without numpy's warning
    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(width):
            part = np.matmul(delta_t, inputs[:, j : j + steps])  # (n, a, c): columns j of G_n
            squares += np.einsum("nac,nac->n", part, part)
    return squares


@dataclass(frozen=True)
class StepFactors:
    r"""A dense layer applied at every step with the same weights, e.g. a recurrent readout.

    Each sample's gradients are :math:`\sum_t \delta_t x_t^\top` and
    :math:`\sum_t \delta_t`.

    Attributes
    ----------
    inputs : ndarray, shape (N, T, n_{k-1})
    delta : ndarray, shape (N, T, n_k)
    """

    inputs: FloatArray
    delta: FloatArray

    def gradients(self, *, per_sample: bool) -> dict[str, FloatArray]:
        """``W`` by :func:`step_weight_gradient`; ``b``, the sum of delta over the steps."""
        dW = step_weight_gradient(self.inputs, self.delta, per_sample=per_sample)
        db = self.delta.sum(axis=1) if per_sample else self.delta.sum(axis=(0, 1))
        return {"W": dW, "b": db}

    def norms(self) -> dict[str, FloatArray]:
        """``W`` by :func:`shared_weight_norms`; ``b``, the norm of the bias gradient."""
        return {
            "W": shared_weight_norms(self.delta, self.inputs),
            "b": row_norms(self.delta.sum(axis=1)),
        }


# ---------------------------------------------------------------------------- convolution


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
    width = W.shape[2]
    steps = x_prev.shape[2] - width + 1
    # One matrix product per kernel offset j, broadcast over the batch: numpy runs each
    # in BLAS, where an einsum over sliding windows ran its own loops, 10-40x slower.
    z: FloatArray = W[:, :, 0] @ x_prev[:, :, :steps]
    for j in range(1, width):
        z += W[:, :, j] @ x_prev[:, :, j : j + steps]
    z += b[:, None]
    return z


def conv1d_parameter_gradients(
    x_prev: FloatArray, delta: FloatArray, *, per_sample: bool
) -> tuple[FloatArray, FloatArray]:
    r"""Gradients of a 1-D convolution layer's weights and bias.

    Parameters
    ----------
    x_prev : ndarray, shape (N, C_{k-1}, T_{k-1})
        The layer's input :math:`x^{(k-1)}`.
    delta : ndarray, shape (N, C_k, T_k)
        :math:`\partial L/\partial z^{(k)}` for each sample and position; the
        kernel width is ``T_{k-1} - T_k + 1``.
    per_sample : bool
        Keep one gradient per sample (leading axis ``N``) instead of summing.

    Returns
    -------
    dW : ndarray, shape (N, C_k, C_{k-1}, w_k) if ``per_sample`` else (C_k, C_{k-1}, w_k)
    db : ndarray, shape (N, C_k) if ``per_sample`` else (C_k,)
        Always summed over positions: the bias is shared by them.

    Examples
    --------
    With ``delta = [1, -1]`` the bias gradient is their sum, 0, while the
    weight gradient is not:

    >>> x_prev, delta = np.array([[[1.0, 4.0, 9.0]]]), np.array([[[1.0, -1.0]]])
    >>> conv1d_parameter_gradients(x_prev, delta, per_sample=False)
    (array([[[-3., -5.]]]), array([0.]))
    """
    steps = delta.shape[2]
    width = x_prev.shape[2] - steps + 1
    # The window at offset j, one BLAS product each (see conv1d_forward).
    windows = [x_prev[:, :, j : j + steps] for j in range(width)]  # each (N, C_{k-1}, T_k)
    if per_sample:
        dW: FloatArray = np.stack([delta @ window.transpose(0, 2, 1) for window in windows], axis=3)
        db: FloatArray = delta.sum(axis=2)
    else:
        # Summed over samples and positions in one product; a per-sample product
        # summed afterwards would hold N times the kernel.
        dW = np.stack(
            [np.tensordot(delta, window, axes=([0, 2], [0, 2])) for window in windows], axis=2
        )
        db = delta.sum(axis=(0, 2))
    return dW, db


def conv1d_gradient_norms(x_prev: FloatArray, delta: FloatArray) -> tuple[FloatArray, FloatArray]:
    r"""Each sample's norms of a 1-D convolution layer's weight and bias gradients.

    The weight is shared by the ``T_k`` positions: :func:`shared_weight_norms`
    with :math:`\delta_t = \delta_{:,t}` and :math:`u_t` the window
    ``x_prev[:, t:t + w_k]``. The bias gradient is :math:`\sum_t \delta_{:,t}`.

    Parameters
    ----------
    x_prev : ndarray, shape (N, C_{k-1}, T_{k-1})
    delta : ndarray, shape (N, C_k, T_k)

    Returns
    -------
    W : ndarray, shape (N,)
    b : ndarray, shape (N,)

    Examples
    --------
    The example of :func:`conv1d_parameter_gradients`: the weight gradient
    ``(-3, -5)`` has norm :math:`\sqrt{34}`, the bias gradient 0.

    >>> x_prev, delta = np.array([[[1.0, 4.0, 9.0]]]), np.array([[[1.0, -1.0]]])
    >>> W, b = conv1d_gradient_norms(x_prev, delta)
    >>> bool(np.isclose(W[0] ** 2, 34.0, rtol=1e-14)), b
    (True, array([0.]))
    """
    width = x_prev.shape[2] - delta.shape[2] + 1
    weights = shared_weight_norms(delta.transpose(0, 2, 1), x_prev.transpose(0, 2, 1), width)
    return weights, row_norms(delta.sum(axis=2))


def conv1d_input_gradient(W: FloatArray, delta: FloatArray) -> FloatArray:
    r"""Gradient with respect to a 1-D convolution layer's input.

    Parameters
    ----------
    W : ndarray, shape (C_k, C_{k-1}, w_k)
    delta : ndarray, shape (N, C_k, T_k)

    Returns
    -------
    ndarray, shape (N, C_{k-1}, T_{k-1})
        :math:`\partial L/\partial x^{(k-1)}`, before the activation rule of
        layer ``k - 1`` is applied: the "full" convolution of ``delta`` with
        the flipped kernel.

    Examples
    --------
    >>> conv1d_input_gradient(np.array([[[1.0, -1.0]]]), np.array([[[1.0, -1.0]]]))
    array([[[ 1., -2.,  1.]]])
    """
    width = W.shape[2]
    n_samples, _, steps = delta.shape
    # Position t + j of the input fed position t through kernel offset j: one BLAS
    # product per offset (see conv1d_forward), added into the positions it reached.
    dx_prev: FloatArray = np.zeros((n_samples, W.shape[1], steps + width - 1))
    for j in range(width):
        dx_prev[:, :, j : j + steps] += W[:, :, j].T @ delta
    return dx_prev


@dataclass(frozen=True)
class Conv1dFactors:
    r"""A 1-D convolution layer's input and :math:`\delta`, the factors of its parameter gradients.

    Attributes
    ----------
    x_prev : ndarray, shape (N, C_{k-1}, T_{k-1})
    delta : ndarray, shape (N, C_k, T_k)
    """

    x_prev: FloatArray
    delta: FloatArray

    def gradients(self, *, per_sample: bool) -> dict[str, FloatArray]:
        """``W`` and ``b``, by :func:`conv1d_parameter_gradients`."""
        dW, db = conv1d_parameter_gradients(self.x_prev, self.delta, per_sample=per_sample)
        return {"W": dW, "b": db}

    def norms(self) -> dict[str, FloatArray]:
        """``W`` and ``b``, by :func:`conv1d_gradient_norms`."""
        W, b = conv1d_gradient_norms(self.x_prev, self.delta)
        return {"W": W, "b": b}


# ---------------------------------------------------------------------------- Elman recurrence


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
        Added to :math:`z^{(1)}_t` itself, after its recurrent term and before
        the activation, so that later steps see it (for central differences
        with respect to raw activations).

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
    >>> inputs = np.array([[[2.0], [1.0], [0.0]]])
    >>> f = get_activation("identity")
    >>> z, h = elman_forward(one, 0.5 * one, np.zeros(1), inputs, f)
    >>> h[0, :, 0]
    array([2., 2., 1.])
    """
    n_samples, length, _ = inputs.shape
    driven = inputs @ W.T + b  # the part of z that does not depend on the state
    z = np.empty((n_samples, length, W.shape[0]))
    states = np.empty_like(z)
    state = np.zeros((n_samples, W.shape[0]))
    for t in range(length):
        z[:, t] = driven[:, t] + state @ U.T
        if offset is not None:
            # Last, so that a step h the caller checked against |z| moves z: added to
            # driven instead, it can round away where the recurrent term cancels driven.
            z[:, t] += offset[:, t]
        state = f.f(z[:, t])
        states[:, t] = state
    return z, states


def elman_deltas(U: FloatArray, f: Activation, z: FloatArray, d_states: FloatArray) -> FloatArray:
    r"""Backpropagation through time in the recurrent layer: :math:`\delta^{(1)}_t` for every step.

    Parameters
    ----------
    U : ndarray, shape (n_1, n_1)
    f : Activation
    z : ndarray, shape (N, T, n_1)
        From :func:`elman_forward`.
    d_states : ndarray, shape (N, T, n_1)
        The gradient reaching each state :math:`x^{(1)}_t` from outside the
        recurrence (from the readout): :math:`W^{(2)\top}\delta^{(2)}_t`.

    Returns
    -------
    ndarray, shape (N, T, n_1)
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
    >>> elman_deltas(0.5 * one, f, z, np.array([[[0.0], [0.0], [1.0]]]))[0, :, 0]
    array([0.25, 0.5 , 1.  ])
    """
    delta = np.empty_like(z)
    # A NaN at a unit whose real slope is 0 (Activation.exact_zero_slopes) is mended where
    # it arises (multiply_in_place), before U carries it to every unit of the earlier
    # steps; looking for one at each step costs a quarter of a short sequence's time
    # (nox -s ab), so the pass is redone with mending only if one came out.
    for mend in (False, True):
        from_later = np.zeros_like(z[:, 0])  # U^T delta_{t+1}, zero after the last step
        for t in range(z.shape[1] - 1, -1, -1):
            np.add(d_states[:, t], from_later, out=delta[:, t])
            if mend:
                multiply_in_place(delta[:, t], f.df(z[:, t]))
            else:
                delta[:, t] *= f.df(z[:, t])
            from_later = delta[:, t] @ U
        if mend or not f.exact_zero_slopes or not np.isnan(np.sum(delta)):
            break
    return delta


@dataclass(frozen=True)
class ElmanFactors:
    r"""The recurrent layer's inputs, states and :math:`\delta^{(1)}`: the factors of its gradients.

    Per sample, :math:`\partial L/\partial W^{(1)} = \sum_t \delta^{(1)}_t x^{(0)\top}_t`,
    :math:`\partial L/\partial U^{(1)} = \sum_{t \ge 2} \delta^{(1)}_t x^{(1)\top}_{t-1}`
    (the state :math:`x^{(1)}_0 = 0` adds nothing) and
    :math:`\partial L/\partial b^{(1)} = \sum_t \delta^{(1)}_t`.

    Attributes
    ----------
    inputs : ndarray, shape (N, T, n_0)
    states : ndarray, shape (N, T, n_1)
        :math:`x^{(1)}_t` for ``t = 1..T``.
    delta : ndarray, shape (N, T, n_1)
        From :func:`elman_deltas`.

    Examples
    --------
    The example of :func:`elman_deltas`, summed over steps:

    >>> from zerograd.activations import get_activation
    >>> one, f = np.array([[1.0]]), get_activation("identity")
    >>> inputs = np.array([[[2.0], [1.0], [0.0]]])
    >>> z, h = elman_forward(one, 0.5 * one, np.zeros(1), inputs, f)
    >>> delta = elman_deltas(0.5 * one, f, z, np.array([[[0.0], [0.0], [1.0]]]))
    >>> ElmanFactors(inputs, h, delta).gradients(per_sample=False)["b"]
    array([1.75])
    """

    inputs: FloatArray
    states: FloatArray
    delta: FloatArray

    def gradients(self, *, per_sample: bool) -> dict[str, FloatArray]:
        """``W``, ``U`` and ``b``, summed over the batch unless ``per_sample``."""
        inputs = StepFactors(self.inputs, self.delta).gradients(per_sample=per_sample)
        previous = self.states[:, :-1]  # x^(1)_{t-1} for t = 2..T
        dU = step_weight_gradient(previous, self.delta[:, 1:], per_sample=per_sample)
        return {"W": inputs["W"], "U": dU, "b": inputs["b"]}

    def norms(self) -> dict[str, FloatArray]:
        """``W``, ``U`` and ``b``, each of shape ``(N,)``."""
        inputs = StepFactors(self.inputs, self.delta).norms()
        dU = shared_weight_norms(self.delta[:, 1:], self.states[:, :-1])
        return {"W": inputs["W"], "U": dU, "b": inputs["b"]}
