r"""A minimal Elman recurrent network: a recurrent layer, then a dense readout.

The notation is the book's, with a time index ``t = 1..T`` added. A sample
is a sequence :math:`x^{(0)}_1, \dots, x^{(0)}_T` of vectors of width
``n_0``, stored as an array of shape ``(T, n_0)``.

Layer 1, the recurrent layer, carries a state :math:`x^{(1)}_t` (often
written :math:`h_t`) from step to step, starting from
:math:`x^{(1)}_0 = 0`:

.. math::

   \begin{aligned}
   z^{(1)}_t &= W^{(1)} x^{(0)}_t + U^{(1)} x^{(1)}_{t-1} + b^{(1)},\\
   x^{(1)}_t &= f_1(z^{(1)}_t).
   \end{aligned}

:math:`W^{(1)}` (input weights, ``(n_1, n_0)``), :math:`U^{(1)}` (recurrent
weights, ``(n_1, n_1)``) and :math:`b^{(1)}` are the same at every step.
Layer 2, the readout, is a dense layer applied at every step with the same
:math:`W^{(2)}` (``(n_2, n_1)``) and :math:`b^{(2)}`:

.. math::

   \begin{aligned}
   z^{(2)}_t &= W^{(2)} x^{(1)}_t + b^{(2)},\\
   x^{(2)}_t &= f_2(z^{(2)}_t).
   \end{aligned}

With ``output="last"`` the loss reads only the last step,
:math:`L = \ell(x^{(2)}_T, y)`; with ``output="every"`` it reads every step
and sums, :math:`L = \sum_t \ell(x^{(2)}_t, y_t)`.

Backward, given :math:`\delta^{(2)}_t = \partial L/\partial z^{(2)}_t` (zero
for ``t < T`` when only the last step is read), the readout follows the dense
rule at each step and sums over steps, since its parameters are shared:
:math:`\partial L/\partial b^{(2)} = \sum_t \delta^{(2)}_t`. Through time, from
``t = T`` down to 1:

.. math::

   \begin{aligned}
   \delta^{(1)}_t &= f_1'(z^{(1)}_t) \odot
       \bigl(W^{(2)\top} \delta^{(2)}_t\\
       &\qquad + U^{(1)\top} \delta^{(1)}_{t+1}\bigr),\\
   \delta^{(1)}_{T+1} &= 0,
   \end{aligned}

and :math:`\partial L/\partial W^{(1)} = \sum_t \delta^{(1)}_t x^{(0)\top}_t`,
:math:`\partial L/\partial U^{(1)} = \sum_{t \ge 2} \delta^{(1)}_t x^{(1)\top}_{t-1}`,
:math:`\partial L/\partial b^{(1)} = \sum_t \delta^{(1)}_t`. The rules, forward and
backward, are ``zerograd.layers.elman_forward`` and
``zerograd.layers.elman_deltas`` (backward through time), with the
factors of ``zerograd.layers.ElmanFactors``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from zerograd._checks import (
    ArgumentTypeError,
    ArgumentValueError,
    FloatArray,
    Seed,
    Whole,
    as_real_array,
    check_choice,
    check_shape,
    layer_sequence,
    received,
    short_repr,
    whole_numbers,
)
from zerograd.layered import Layered
from zerograd.layers import (
    DenseFactors,
    ElmanFactors,
    StepFactors,
    dense_forward,
    dense_input_gradient,
    elman_deltas,
    elman_forward,
)
from zerograd.model import ForwardPass, Model, Visit, draw_normal, layer_lists

OUTPUTS = ("last", "every")
"""Where the loss reads the readout: at the last step only, or at every step."""


class RecurrentNetwork(Model):
    """An Elman recurrent layer (layer 1) followed by a dense readout (layer 2).

    See the description of the module ``zerograd.recurrent`` for the equations. ``net.W[1]``,
    ``net.U[1]``, ``net.b[1]`` are the recurrent layer's input weights,
    recurrent weights and bias; ``net.W[2]``, ``net.b[2]`` the readout's.
    Gradients come back under the same names: ``g.W[1]``, ``g.U[1]``, ...

    Parameters
    ----------
    W : sequence of two array_like, or mapping of int to array_like
        :math:`W^{(1)}`, shape ``(n_1, n_0)``, and :math:`W^{(2)}`, shape ``(n_2, n_1)``.
    U : array_like, shape (n_1, n_1)
        :math:`U^{(1)}`, or another network's ``U`` (a mapping holding it under 1).
    b : sequence of two array_like, or mapping of int to array_like
        :math:`b^{(1)}`, shape ``(n_1,)``, and :math:`b^{(2)}`, shape ``(n_2,)``.
    activations : str or sequence of two str
        :math:`f_1` and :math:`f_2`, or one name for both.
    output : {"last", "every"}
        Whether the loss reads the readout at the last step only (a target
        has shape ``(n_2,)``) or at every step, summed (a target has shape
        ``(T, n_2)``).

    Raises
    ------
    zerograd.ArgumentValueError
        If shapes do not chain, values are not finite, or a name is unknown.
    zerograd.ArgumentTypeError
        If an argument is not of the documented kind.

    Examples
    --------
    >>> net = RecurrentNetwork.random(
    ...     [2, 3, 1], ["tanh", "identity"], output="every", seed=0
    ... )
    >>> net.W[1].shape, net.U[1].shape, net.W[2].shape
    ((3, 2), (3, 3), (1, 3))
    >>> sequence = np.ones((4, 2))      # T = 4 steps of width n_0 = 2
    >>> net.forward(sequence).x[2].shape
    (4, 1)
    """

    def __init__(
        self,
        W: Sequence[npt.ArrayLike] | Mapping[int, npt.ArrayLike],
        U: npt.ArrayLike | Mapping[int, npt.ArrayLike],
        b: Sequence[npt.ArrayLike] | Mapping[int, npt.ArrayLike],
        activations: str | Sequence[str],
        output: str = "last",
    ) -> None:
        # the weights first: U and the biases are checked against weights that chain, so
        # that neither is blamed for a fault that no value of it could mend
        weights, biases, functions, (n_0, n_1, n_2) = layer_lists(
            W, b, activations, _chain_widths, layers=2
        )
        if isinstance(U, Mapping):  # another network's U, numbered from 1
            held = layer_sequence(U, "U")
            if len(held) != 1:
                raise ArgumentValueError(
                    "U", "hold U^(1) alone, under layer number 1, as a network's U does",
                    f"the keys {short_repr(list(U))}", expected=[1], received=list(U),
                )  # fmt: skip
            U = held[0]
        elif U is None:
            raise ArgumentTypeError(
                "U", "be an array of shape (n_1, n_1), or a mapping holding it under 1",
                received(U), expected="array_like", received=U,
            )  # fmt: skip
        recurrent = as_real_array(U, "U[1]")
        # the library's own str, not the caller's object (a numpy str, a str subclass)
        self._output = OUTPUTS[OUTPUTS.index(check_choice(output, OUTPUTS, "output"))]
        if recurrent.shape != (n_1, n_1):
            raise ArgumentValueError(
                "U[1]",
                f"have shape ({n_1}, {n_1}), the state's width n_1 = {n_1} being the rows of "
                f"W[1] of shape {weights[0].shape}",
                f"shape {recurrent.shape}",
                expected=(n_1, n_1),
                received=recurrent.shape,
            )
        check_shape(biases[0], (n_1,), "b[1]")
        check_shape(biases[1], (n_2,), "b[2]")
        super().__init__({"W": weights, "U": [recurrent], "b": biases}, functions)
        self._sizes = (n_0, n_1, n_2)

    @classmethod
    def random(
        cls,
        sizes: Sequence[Whole],
        activations: str | Sequence[str] = ("tanh", "identity"),
        output: str = "last",
        seed: Seed = 0,
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
            As for :meth:`Network.random <zerograd.Network.random>`.
        """
        widths = whole_numbers(sizes, "sizes", count=3)
        n_0, n_1, n_2 = widths
        W1, W2, U1, b1, b2 = draw_normal(
            [
                ((n_1, n_0), n_0, 1.0),
                ((n_2, n_1), n_1, 1.0),
                ((n_1, n_1), n_1, 0.5),
                ((n_1,), 1, 0.1),
                ((n_2,), 1, 0.1),
            ],
            seed,
            "sizes",
        )
        return cls([W1, W2], U1, [b1, b2], activations, output)

    @property
    def U(self) -> Layered:
        """``U[1]`` is :math:`U^{(1)}`, the recurrent weights."""
        return self._parameters["U"]

    @property
    def output(self) -> str:
        """``"last"`` or ``"every"``: which steps the loss reads."""
        return self._output

    @property
    def sizes(self) -> tuple[int, int, int]:
        """Widths ``(n_0, n_1, n_2)``, as the network was built."""
        return self._sizes

    @property
    def sample_shape(self) -> tuple[str, int]:
        """``("T", n_0)``: a sequence of any length ``T >= 1``."""
        return "T", self.sizes[0]

    def target_shape(self, inputs: FloatArray) -> tuple[int, ...]:
        """``(n_2,)`` when reading the last step, ``(T, n_2)`` when reading every step."""
        n_2 = self.loss_units
        return (n_2,) if self.output == "last" else (inputs.shape[1], n_2)

    @property
    def loss_units(self) -> int:
        """``n_2``, the readout's width, at each step read."""
        return self.sizes[2]

    def loss_view(self, trace: ForwardPass) -> tuple[FloatArray, FloatArray]:
        """The readout at the last step, ``(N, n_2)``, or at every step, ``(N, T, n_2)``."""
        if self.output == "last":
            return trace.z[2][:, -1], trace.x[2][:, -1]
        return trace.z[2], trace.x[2]

    def forward_batch(
        self, inputs: FloatArray, offsets: Mapping[int, FloatArray] | None = None
    ) -> ForwardPass:
        """Forward pass on a checked batch of shape ``(N, T, n_0)``; see :meth:`Model.forward_batch`.

        Every ``z[k]`` and ``x[k]`` has shape ``(N, T, n_k)``, all steps included.
        """
        offsets = offsets or {}
        f_1, f_2 = self._f
        z1, x1 = elman_forward(self.W[1], self.U[1], self.b[1], inputs, f_1, offsets.get(1))
        n_samples, length, n_1 = x1.shape
        z2 = dense_forward(self.W[2], self.b[2], x1.reshape(-1, n_1)).reshape(n_samples, length, -1)
        if 2 in offsets:
            z2 = z2 + offsets[2]
        return ForwardPass(
            z=Layered([z1, z2], first=1), x=Layered([inputs, x1, f_2.f(z2)], first=0)
        )

    def backward(self, trace: ForwardPass, delta: FloatArray, visit: Visit) -> None:
        """Backpropagation through time; see :meth:`Model.backward`.

        ``delta`` is the gradient of the readout the loss reads; before the last
        step it is 0 when only the last step is read, and the readout's factors
        are then those of the last step alone.
        """
        states = trace.x[1]
        if self.output == "last":
            at_last_step, delta = delta, np.zeros_like(trace.z[2])
            delta[:, -1] = at_last_step
            visit(2, delta, DenseFactors(states[:, -1], at_last_step))
        else:
            visit(2, delta, StepFactors(states, delta))
        d_states = dense_input_gradient(self.W[2], delta.reshape(-1, delta.shape[2]))
        delta1 = elman_deltas(self.U[1], self._f[0], trace.z[1], d_states.reshape(states.shape))
        visit(1, delta1, ElmanFactors(trace.x[0], states, delta1))

    def __repr__(self) -> str:
        return (
            f"RecurrentNetwork(sizes={self.sizes}, activations={self.activations}, "
            f"output={self.output!r})"
        )


def _chain_widths(weights: list[FloatArray]) -> tuple[int, int, int]:
    """Check that ``W[1]`` is a matrix and ``W[2]`` reads its state; ``(n_0, n_1, n_2)``."""
    w1, w2 = weights
    if w1.ndim != 2 or min(w1.shape) < 1:
        raise ArgumentValueError(
            "W[1]",
            "be a non-empty matrix of shape (n_1, n_0)",
            f"shape {w1.shape}",
            expected=2,
            received=w1.shape,
        )
    n_1 = w1.shape[0]
    if w2.ndim == 2 and min(w2.shape) < 1:
        raise ArgumentValueError(
            "W[2]",
            "be a non-empty matrix of shape (n_2, n_1)",
            f"shape {w2.shape}",
            expected=2,
            received=w2.shape,
        )
    if w2.ndim != 2 or w2.shape[1] != n_1:
        raise ArgumentValueError(
            "W[2]",
            f"have shape (n_2, {n_1}) to read the state, whose width is the rows of W[1] "
            f"of shape {w1.shape}",
            f"shape {w2.shape}",
            expected=n_1,
            received=w2.shape,
        )
    return w1.shape[1], n_1, w2.shape[0]
