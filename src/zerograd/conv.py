"""A network of 1-D convolution layers, then optionally dense layers.

The convolution's rules, forward and backward, are in :mod:`zerograd.layers`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence

import numpy.typing as npt

from zerograd._checks import (
    FLOAT64,
    ArgumentValueError,
    FloatArray,
    Seed,
    Whole,
    check_addressable,
    check_shape,
    is_whole,
    sequence,
    short_repr,
    whole_number,
    whole_numbers,
)
from zerograd.layered import LayerIndexError
from zerograd.layers import (
    Conv1dFactors,
    DenseFactors,
    conv1d_forward,
    conv1d_input_gradient,
    dense_forward,
    dense_input_gradient,
)
from zerograd.model import ForwardPass, Model, Visit, draw_normal, layer_lists


class ConvNetwork(Model):
    """Convolution layers, then optionally dense layers, numbered from 1.

    A sample is an array :math:`x^{(0)}` of shape ``(C_0, T_0)``: ``C_0``
    channels of length ``T_0``. Layers ``1..J`` are convolutions
    (``zerograd.layers.conv1d_forward``); layers ``J+1..K``, if any, are
    dense (``zerograd.layers.dense_forward``), the first of them reading
    :math:`x^{(J)}` flattened channel by channel into a vector of length
    ``C_J * T_J``. Every layer ``k`` applies its activation :math:`f_k`. The
    loss sees the output :math:`x^{(K)}` flattened into one vector, so a
    target has the output's shape.

    Parameters
    ----------
    W : sequence of array_like, or mapping of int to array_like
        ``K`` weights in layer order: shape ``(C_k, C_{k-1}, w_k)`` for a
        convolution, ``(n_k, n_{k-1})`` for a dense layer. Convolutions come
        first; layer 1 is one.
    b : sequence of array_like, or mapping of int to array_like
        ``K`` biases: shape ``(C_k,)`` (one per output channel) or ``(n_k,)``.
    activations : str or sequence of str
        One activation name per layer, or one name for every layer.
    length : int
        The input length ``T_0``. Each kernel must fit in its input.

    Raises
    ------
    zerograd.ArgumentValueError
        If shapes do not chain, a kernel is wider than its input, one channel
        of ``length`` would be more than numpy can hold in an array, counts
        differ, values are not finite or an activation name is unknown.
    zerograd.ArgumentTypeError
        If an argument is not of the documented kind.

    Examples
    --------
    One convolution (2 channels in, 3 out, width 2) on inputs of length 5,
    then a dense layer with one output:

    >>> import numpy as np
    >>> net = ConvNetwork.random((2, 5), conv=[(3, 2)], dense=[1],
    ...                          activations=["relu", "identity"], seed=0)
    >>> net.W[1].shape, net.b[1].shape, net.W[2].shape
    ((3, 2, 2), (3,), (1, 12))
    >>> trace = net.forward(np.ones((2, 5)))
    >>> trace.z[1].shape, trace.x[2].shape
    ((3, 4), (1,))
    """

    def __init__(
        self,
        W: Sequence[npt.ArrayLike] | Mapping[int, npt.ArrayLike],
        b: Sequence[npt.ArrayLike] | Mapping[int, npt.ArrayLike],
        activations: str | Sequence[str],
        length: Whole,
    ) -> None:
        length = whole_number(length, "length", minimum=1)
        # a length no input could have is refused now, not at the first call
        check_addressable(FLOAT64.itemsize * length, "length", "one input channel")
        # the weights first: a bias is checked against a chain of weights that fits, so
        # that no bias is blamed for a fault that no value of it could mend
        weights, biases, functions, shapes = layer_lists(
            W, b, activations, functools.partial(_chain_shapes, length=length)
        )
        for k, (v, shape) in enumerate(zip(biases, shapes[1:], strict=True), start=1):
            check_shape(v, (shape[0],), f"b[{k}]")
        self._shapes = shapes
        self._conv = tuple(w.ndim == 3 for w in weights)
        super().__init__({"W": weights, "b": biases}, functions)

    @classmethod
    def random(
        cls,
        input_shape: tuple[Whole, Whole],
        conv: Sequence[tuple[Whole, Whole]],
        dense: Sequence[Whole] = (),
        activations: str | Sequence[str] = "tanh",
        seed: Seed = 0,
    ) -> ConvNetwork:
        r"""A network with seeded random weights and biases.

        Weights are drawn from :math:`\mathcal N(0, 1/\text{fan-in})` (fan-in
        ``C_{k-1} w_k`` for a convolution, ``n_{k-1}`` for a dense layer) and
        biases from :math:`\mathcal N(0, 0.1^2)`.

        Parameters
        ----------
        input_shape : (int, int)
            ``(C_0, T_0)``: input channels and length.
        conv : sequence of (int, int)
            ``(C_k, w_k)`` for each convolution, at least one: output channels,
            kernel width.
        dense : sequence of int
            The widths ``n_k`` of the dense layers after the convolutions.
        activations : str or sequence of str
            As for :class:`ConvNetwork`.
        seed : int or numpy.random.Generator
            As for :meth:`Network.random <zerograd.Network.random>`.
        """
        shape = whole_numbers(input_shape, "input_shape", count=2)
        layers = [
            whole_numbers(layer, "each (channels, width) of conv", count=2)
            for layer in sequence(conv, "conv", "a sequence of (channels, width) pairs")
        ]
        widths = whole_numbers(dense, "dense")
        if not layers:
            raise ArgumentValueError(
                "conv",
                "hold at least one (channels, width)",
                short_repr(conv),
                expected=1,
                received=0,
            )
        channels, length = shape
        check_addressable(FLOAT64.itemsize * length, "input_shape", "one input channel")
        shapes: list[tuple[int, ...]] = []  # of each weight array, in layer order
        for k, (c_out, width) in enumerate(layers, start=1):
            if width > length:
                raise ArgumentValueError(
                    "conv",
                    f"have kernels no wider than their inputs: layer {k}'s input has length "
                    f"{length}",
                    f"width {short_repr(width)}",
                    expected=length,
                    received=width,
                )
            shapes.append((c_out, channels, width))
            channels, length = c_out, length - width + 1
        n_in = channels * length
        for n_out in widths:
            shapes.append((n_out, n_in))
            n_in = n_out
        # Fan-in: C_{k-1} w_k for a kernel, n_{k-1} for a matrix; each W[k], then its b[k].
        specs = [
            spec
            for weight in shapes
            for spec in ((weight, math.prod(weight[1:]), 1.0), ((weight[0],), 1, 0.1))
        ]
        drawn = draw_normal(specs, seed, "input_shape, conv and dense")
        return cls(drawn[0::2], drawn[1::2], activations, length=shape[1])

    @property
    def input_shape(self) -> tuple[int, int]:
        """``(C_0, T_0)``, the shape of one sample."""
        channels, length = self._shapes[0]
        return channels, length

    @property
    def sample_shape(self) -> tuple[int, int]:
        """:attr:`input_shape`."""
        return self.input_shape

    def shape(self, k: Whole) -> tuple[int, ...]:
        """Shape of one sample's :math:`x^{(k)}` (and :math:`z^{(k)}`), ``k = 0..K``.

        ``(C_k, T_k)`` for the input and convolutions, ``(n_k,)`` for dense layers.

        Raises
        ------
        zerograd.layered.LayerIndexError
            If ``k`` is not an int from 0 to ``K``, as for ``forward(x).x[k]``.
        """
        if not (is_whole(k) and 0 <= k <= self.K):
            msg = f"layer number must be an int from 0 to {self.K}; got {short_repr(k)}"
            raise LayerIndexError(msg)
        return self._shapes[int(k)]

    def is_conv(self, k: Whole) -> bool:
        """Whether layer ``k`` is a convolution (else it is dense)."""
        self.W[k]  # raises a clear LayerIndexError when k is out of range
        return self._conv[int(k) - 1]

    def target_shape(self, inputs: FloatArray) -> tuple[int, ...]:  # noqa: ARG002
        """The shape of one sample's :math:`x^{(K)}`, whatever the batch."""
        return self._shapes[self.K]

    def loss_shape(self, inputs: FloatArray) -> tuple[int]:  # noqa: ARG002
        """``(size of x[K],)``: the loss reads the output flattened into one vector."""
        return (self.loss_units,)

    @property
    def loss_units(self) -> int:
        """The size of :math:`x^{(K)}`: channels times positions."""
        return math.prod(self._shapes[self.K])

    def loss_view(self, trace: ForwardPass) -> tuple[FloatArray, FloatArray]:
        """The output flattened channel by channel: shape ``(N, size of x[K])``."""
        z, x = trace.z[self.K], trace.x[self.K]
        return z.reshape(len(z), -1), x.reshape(len(x), -1)

    def forward_batch(
        self, inputs: FloatArray, offsets: Mapping[int, FloatArray] | None = None
    ) -> ForwardPass:
        """Forward pass on a checked batch of shape ``(N, C_0, T_0)``; see :meth:`Model.forward_batch`."""
        return self._stack(inputs, self._layer, offsets)

    def _layer(self, k: int, x_prev: FloatArray) -> FloatArray:
        if self._conv[k - 1]:
            return conv1d_forward(self.W[k], self.b[k], x_prev)
        return dense_forward(self.W[k], self.b[k], x_prev.reshape(len(x_prev), -1))

    def backward(self, trace: ForwardPass, delta: FloatArray, visit: Visit) -> None:
        """Backpropagate the flattened output's gradient with each layer's rules.

        See :meth:`Model.backward`.
        """
        delta = delta.reshape(trace.z[self.K].shape)
        for k in range(self.K, 0, -1):
            x_prev = trace.x[k - 1]
            if self._conv[k - 1]:
                visit(k, delta, Conv1dFactors(x_prev, delta))
            else:
                visit(k, delta, DenseFactors(x_prev.reshape(len(x_prev), -1), delta))
            if k > 1:  # layer 1's input is the data: its gradient would go unused
                if self._conv[k - 1]:
                    delta = conv1d_input_gradient(self.W[k], delta)
                else:
                    delta = dense_input_gradient(self.W[k], delta).reshape(x_prev.shape)
                self._f[k - 2].multiply_by_slope(delta, trace.z[k - 1], x_prev)

    def __repr__(self) -> str:
        shapes = ", ".join(short_repr(shape) for shape in self._shapes)
        return f"ConvNetwork(shapes=[{shapes}], activations={self.activations})"


def _chain_shapes(weights: list[FloatArray], length: int) -> tuple[tuple[int, ...], ...]:
    """Check that the layers chain; return each ``x[k]``'s per-sample shape, ``k = 0..K``."""
    if weights[0].ndim != 3:
        raise ArgumentValueError(
            "W[1]",
            "be a convolution kernel of shape (C_1, C_0, w_1)",
            f"shape {weights[0].shape}",
            expected=3,
            received=weights[0].shape,
        )
    shapes: list[tuple[int, ...]] = [(weights[0].shape[1], length)]
    for k, w in enumerate(weights, start=1):
        previous = shapes[-1]
        if w.ndim in (2, 3) and min(w.shape) < 1:  # before the chain: no width can mend it
            raise ArgumentValueError(
                f"W[{k}]",
                f"be a non-empty kernel (C_{k}, C_{k - 1}, w_{k}) or matrix (n_{k}, n_{k - 1}), "
                "every size at least 1",
                f"shape {w.shape}",
                expected=">= 1",
                received=w.shape,
            )
        if w.ndim == 3 and len(previous) == 2:
            c_out, c_in, width = w.shape
            if min(w.shape) < 1 or c_in != previous[0]:
                raise ArgumentValueError(
                    f"W[{k}]",
                    f"have shape (C_{k}, {previous[0]}, w_{k}) with positive sizes to read "
                    f"x[{k - 1}] of shape {previous}",
                    f"shape {w.shape}",
                    expected=previous[0],
                    received=w.shape,
                )
            if width > previous[1]:
                raise ArgumentValueError(
                    f"W[{k}]",
                    f"have a kernel no wider than its input x[{k - 1}], of length {previous[1]}",
                    f"width {width}",
                    expected=previous[1],
                    received=width,
                )
            shapes.append((c_out, previous[1] - width + 1))
        elif w.ndim == 2:
            n_in = math.prod(previous)
            if min(w.shape) < 1 or w.shape[1] != n_in:
                raise ArgumentValueError(
                    f"W[{k}]",
                    f"have shape (n_{k}, {n_in}) to read x[{k - 1}] of shape {previous} flattened",
                    f"shape {w.shape}",
                    expected=n_in,
                    received=w.shape,
                )
            shapes.append((w.shape[0],))
        else:
            raise ArgumentValueError(
                f"W[{k}]",
                "be a convolution kernel (3-D, only before any dense layer) or a dense matrix "
                f"(2-D) to read x[{k - 1}] of shape {previous}",
                f"shape {w.shape}",
                expected=(2, 3),
                received=w.shape,
            )
    return tuple(shapes)
