r"""A minimal Elman recurrent network: its forward rule and, beside it, backpropagation through time.

The notation is the book's, with a time index ``t = 1..T`` added. A sample
is a sequence :math:`x^{(0)}_1, \dots, x^{(0)}_T` of vectors of width
``n_0``, stored as an array of shape ``(T, n_0)``.

Layer 1, the recurrent layer, carries a state :math:`x^{(1)}_t` (often
written :math:`h_t`) from step to step, starting from
:math:`x^{(1)}_0 = 0`:

.. math::

   z^{(1)}_t = W^{(1)} x^{(0)}_t + U^{(1)} x^{(1)}_{t-1} + b^{(1)}, \qquad
   x^{(1)}_t = f_1(z^{(1)}_t).

:math:`W^{(1)}` (input weights, ``(n_1, n_0)``), :math:`U^{(1)}` (recurrent
weights, ``(n_1, n_1)``) and :math:`b^{(1)}` are the same at every step.
Layer 2, the readout, is a dense layer applied at every step with the same
:math:`W^{(2)}` (``(n_2, n_1)``) and :math:`b^{(2)}`:

.. math::

   z^{(2)}_t = W^{(2)} x^{(1)}_t + b^{(2)}, \qquad x^{(2)}_t = f_2(z^{(2)}_t).

With ``output="last"`` the loss reads only the last step,
:math:`L = \ell(x^{(2)}_T, y)`; with ``output="every"`` it reads every step
and sums, :math:`L = \sum_t \ell(x^{(2)}_t, y_t)`.

Backward, given :math:`\delta^{(2)}_t = \partial L/\partial z^{(2)}_t` (zero
for ``t < T`` when only the last step is read), the readout follows the dense
rule at each step and sums over steps, since its parameters are shared:
:math:`\partial L/\partial b^{(2)} = \sum_t \delta^{(2)}_t`. Through time, from
``t = T`` down to 1:

.. math::

   \delta^{(1)}_t = f_1'(z^{(1)}_t) \odot
       \bigl(W^{(2)\top} \delta^{(2)}_t + U^{(1)\top} \delta^{(1)}_{t+1}\bigr),
   \qquad \delta^{(1)}_{T+1} = 0,

and :math:`\partial L/\partial W^{(1)} = \sum_t \delta^{(1)}_t x^{(0)\top}_t`,
:math:`\partial L/\partial U^{(1)} = \sum_{t \ge 2} \delta^{(1)}_t x^{(1)\top}_{t-1}`,
:math:`\partial L/\partial b^{(1)} = \sum_t \delta^{(1)}_t`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Self

import numpy as np
import numpy.typing as npt

from zerograd._typing import FloatArray
from zerograd.activations import Activation
from zerograd.dense import dense_backward, dense_forward
from zerograd.layered import Layered
from zerograd.model import LayerArrays, LayeredModel, layer_lists
from zerograd.network import ForwardPass
from zerograd.validation import as_real_array, check_choice, check_shape, whole_numbers

OUTPUTS = ("last", "every")
"""Where the loss reads the readout: at the last step only, or at every step."""


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


class RecurrentNetwork(LayeredModel):
    """An Elman recurrent layer (layer 1) followed by a dense readout (layer 2).

    See the module's description for the equations. ``net.W[1]``,
    ``net.U[1]``, ``net.b[1]`` are the recurrent layer's input weights,
    recurrent weights and bias; ``net.W[2]``, ``net.b[2]`` the readout's.
    Gradients come back under the same names, with ``U`` in
    ``U`` of :class:`zerograd.Gradients`.

    Parameters
    ----------
    W : sequence of two array_like
        :math:`W^{(1)}`, shape ``(n_1, n_0)``, and :math:`W^{(2)}`, shape ``(n_2, n_1)``.
    U : array_like, shape (n_1, n_1)
        :math:`U^{(1)}`.
    b : sequence of two array_like
        :math:`b^{(1)}`, shape ``(n_1,)``, and :math:`b^{(2)}`, shape ``(n_2,)``.
    activations : str or sequence of two str
        :math:`f_1` and :math:`f_2`, or one name for both.
    output : {"last", "every"}
        Whether the loss reads the readout at the last step only (a target
        has shape ``(n_2,)``) or at every step, summed (a target has shape
        ``(T, n_2)``).

    Raises
    ------
    ValueError
        If shapes do not chain, values are not finite, or a name is unknown.
    TypeError
        If an array does not hold real numbers.

    Examples
    --------
    >>> net = RecurrentNetwork.random([2, 3, 1], ["tanh", "identity"], output="every", seed=0)
    >>> net.W[1].shape, net.U[1].shape, net.W[2].shape
    ((3, 2), (3, 3), (1, 3))
    >>> sequence = np.ones((4, 2))      # T = 4 steps of width n_0 = 2
    >>> net.forward(sequence).x[2].shape
    (4, 1)
    """

    def __init__(
        self,
        W: Sequence[npt.ArrayLike],
        U: npt.ArrayLike,
        b: Sequence[npt.ArrayLike],
        activations: str | Sequence[str],
        output: str = "last",
    ) -> None:
        if len(W) != 2 or len(b) != 2:
            msg = (
                "a RecurrentNetwork has two layers: W and b must each hold 2 arrays "
                f"(recurrent layer, readout); got {len(W)} and {len(b)}"
            )
            raise ValueError(msg)
        weights, biases, self._f = layer_lists(W, b, activations, "RecurrentNetwork")
        recurrent = as_real_array(U, "U[1]")
        self._output = check_choice(output, OUTPUTS, "output")
        w1, w2 = weights
        if w1.ndim != 2 or min(w1.shape) < 1:
            msg = f"W[1] must be a non-empty matrix of shape (n_1, n_0); got shape {w1.shape}"
            raise ValueError(msg)
        n_1 = w1.shape[0]
        check_shape(recurrent, (n_1, n_1), "U[1]")
        if w2.ndim != 2 or w2.shape[1] != n_1 or w2.shape[0] < 1:
            msg = f"W[2] must have shape (n_2, {n_1}) to read the state; got shape {w2.shape}"
            raise ValueError(msg)
        check_shape(biases[0], (n_1,), "b[1]")
        check_shape(biases[1], (w2.shape[0],), "b[2]")
        self.W = Layered(weights, first=1)
        self.U = Layered([recurrent], first=1)
        self.b = Layered(biases, first=1)

    @classmethod
    def random(
        cls,
        sizes: Sequence[int],
        activations: str | Sequence[str] = ("tanh", "identity"),
        output: str = "last",
        seed: int | np.random.Generator = 0,
    ) -> RecurrentNetwork:
        r"""A network with seeded random parameters.

        :math:`W^{(1)}` and :math:`W^{(2)}` are drawn from
        :math:`\mathcal N(0, 1/\text{fan-in})`, :math:`U^{(1)}` from
        :math:`\mathcal N(0, 0.5^2/n_1)` (so the state neither explodes nor
        dies at once), biases from :math:`\mathcal N(0, 0.1^2)`.

        Parameters
        ----------
        sizes : sequence of three int
            ``(n_0, n_1, n_2)``: input, state and output widths.
        activations, output
            As for :class:`RecurrentNetwork`.
        seed : int or numpy.random.Generator
            Seed for :func:`numpy.random.default_rng`, or a generator.
        """
        widths = whole_numbers(sizes, "sizes")
        if len(widths) != 3 or min(widths) < 1:
            msg = f"sizes must be (n_0, n_1, n_2), three positive widths; got {list(sizes)}"
            raise ValueError(msg)
        n_0, n_1, n_2 = widths
        rng = np.random.default_rng(seed)
        return cls(
            W=[
                rng.normal(0.0, 1.0 / np.sqrt(n_0), (n_1, n_0)),
                rng.normal(0.0, 1.0 / np.sqrt(n_1), (n_2, n_1)),
            ],
            U=rng.normal(0.0, 0.5 / np.sqrt(n_1), (n_1, n_1)),
            b=[rng.normal(0.0, 0.1, n_1), rng.normal(0.0, 0.1, n_2)],
            activations=activations,
            output=output,
        )

    @property
    def output(self) -> str:
        """``"last"`` or ``"every"``: which steps the loss reads."""
        return self._output

    @property
    def sizes(self) -> tuple[int, int, int]:
        """Widths ``(n_0, n_1, n_2)``."""
        (n_1, n_0), n_2 = self.W[1].shape, self.W[2].shape[0]
        return n_0, n_1, n_2

    @property
    def parameters(self) -> dict[str, Layered]:
        """``{"W": W, "U": U, "b": b}``."""
        return {"W": self.W, "U": self.U, "b": self.b}

    def rebuild(self, arrays: dict[str, list[FloatArray]]) -> Self:
        """A network with these ``W``, ``U`` and ``b``, the same activations and output."""
        return type(self)(
            arrays["W"], arrays["U"][0], arrays["b"], self.activations, output=self.output
        )

    def prepare_input(self, x: npt.ArrayLike) -> tuple[FloatArray, bool]:
        """Check ``x``: shape ``(T, n_0)`` for one sequence or ``(N, T, n_0)``.

        Returns
        -------
        inputs : ndarray, shape (N, T, n_0)
        single : bool
        """
        inputs = as_real_array(x, "x")
        n_0 = self.sizes[0]
        if inputs.ndim == 2 and inputs.shape[1] == n_0 and inputs.shape[0] >= 1:
            return inputs[None], True
        if inputs.ndim == 3 and inputs.shape[2] == n_0 and min(inputs.shape[:2]) >= 1:
            return inputs, False
        msg = (
            f"x must have shape (T, {n_0}) for one sequence or (N, T, {n_0}) for a batch, "
            f"with T >= 1 and N >= 1; got shape {inputs.shape}"
        )
        raise ValueError(msg)

    def output_shape(self, inputs: FloatArray) -> tuple[int, ...]:
        """``(n_2,)`` when reading the last step, ``(T, n_2)`` when reading every step."""
        n_2 = self.sizes[2]
        return (n_2,) if self.output == "last" else (inputs.shape[1], n_2)

    def term_shape(self, inputs: FloatArray) -> tuple[int, int]:
        """``(1, n_2)`` when reading the last step, ``(T, n_2)`` when reading every step."""
        n_2 = self.sizes[2]
        return (1, n_2) if self.output == "last" else (inputs.shape[1], n_2)

    def forward_batch(
        self, inputs: FloatArray, offsets: Mapping[int, FloatArray] | None = None
    ) -> ForwardPass:
        """Forward pass on a checked batch of shape ``(N, T, n_0)``.

        Every ``z[k]`` and ``x[k]`` has shape ``(N, T, n_k)``, all steps
        included; ``offsets[k]``, if given, is added to ``z[k]``.
        """
        offsets = offsets or {}
        z1, x1 = elman_forward(self.W[1], self.U[1], self.b[1], inputs, self.f(1), offsets.get(1))
        n_samples, length, n_1 = x1.shape
        z2 = dense_forward(self.W[2], self.b[2], x1.reshape(-1, n_1)).reshape(n_samples, length, -1)
        if 2 in offsets:
            z2 = z2 + offsets[2]
        return ForwardPass(
            z=Layered([z1, z2], first=1), x=Layered([inputs, x1, self.f(2).f(z2)], first=0)
        )

    def loss_terms(self, trace: ForwardPass) -> tuple[FloatArray, FloatArray]:
        """The readout at the last step (``S = 1``) or at every step (``S = T``)."""
        steps = slice(-1, None) if self.output == "last" else slice(None)
        return trace.z[2][:, steps], trace.x[2][:, steps]

    def delta_from_terms(self, delta_terms: FloatArray, trace: ForwardPass) -> FloatArray:
        """``dL/dz[2]`` at every step: zero before the last one when only it is read."""
        if self.output == "every":
            return delta_terms
        delta = np.zeros_like(trace.z[2])
        delta[:, -1] = delta_terms[:, 0]
        return delta

    def backward(
        self, trace: ForwardPass, delta: FloatArray, *, per_sample: bool
    ) -> tuple[dict[str, LayerArrays], LayerArrays]:
        """Backpropagation through time; see ``LayeredModel.backward``."""
        n_samples, length, n_2 = delta.shape
        states = trace.x[1]
        dW2, db2, d_states = dense_backward(
            self.W[2],
            states.reshape(-1, states.shape[2]),
            delta.reshape(-1, n_2),
            per_sample=per_sample,
        )
        if per_sample:  # per (sample, step) so far: the shared readout sums over steps
            dW2 = dW2.reshape(n_samples, length, *dW2.shape[1:]).sum(axis=1)
            db2 = db2.reshape(n_samples, length, -1).sum(axis=1)
        dW1, dU1, db1, delta1 = elman_backward(
            self.U[1],
            self.f(1),
            trace.x[0],
            trace.z[1],
            states,
            d_states.reshape(states.shape),
            per_sample=per_sample,
        )
        return {"W": {1: dW1, 2: dW2}, "U": {1: dU1}, "b": {1: db1, 2: db2}}, {1: delta1, 2: delta}

    def __repr__(self) -> str:
        return (
            f"RecurrentNetwork(sizes={self.sizes}, activations={self.activations}, "
            f"output={self.output!r})"
        )
