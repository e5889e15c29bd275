r"""The 1-D convolution layer's forward rule and, beside it, its backward rule.

A convolution layer ``k`` maps ``C_{k-1}`` channels of length ``T_{k-1}`` to
``C_k`` channels of length ``T_k = T_{k-1} - w_k + 1`` (stride 1, "valid"
padding: the kernel never hangs over an end). Like the deep-learning
frameworks it computes a cross-correlation:

.. math::

   z^{(k)}_{o,t} = \sum_{c=1}^{C_{k-1}} \sum_{j=1}^{w_k}
       W^{(k)}_{o,c,j}\, x^{(k-1)}_{c,\,t+j-1} + b^{(k)}_o .

One bias :math:`b^{(k)}_o` per output channel is *shared* by all ``T_k``
positions. Backward, given :math:`\delta^{(k)} = \partial L/\partial z^{(k)}`:

* :math:`\partial L/\partial W^{(k)}_{o,c,j} = \sum_t \delta^{(k)}_{o,t}\, x^{(k-1)}_{c,\,t+j-1}`;
* :math:`\partial L/\partial b^{(k)}_o = \sum_t \delta^{(k)}_{o,t}`, a sum over
  positions, so it can vanish while every :math:`\delta^{(k)}_{o,t}` does not;
* :math:`\partial L/\partial x^{(k-1)}_{c,s} = \sum_o \sum_j W^{(k)}_{o,c,j}\,
  \delta^{(k)}_{o,\,s-j+1}` (terms outside ``1..T_k`` are 0): a "full"
  convolution with the flipped kernel.

:class:`ConvNetwork` stacks convolution layers, optionally followed by dense
layers that read the last convolution's output flattened channel by channel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Self

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from zerograd._typing import FloatArray
from zerograd.dense import dense_backward, dense_forward
from zerograd.layered import Layered, LayerIndexError
from zerograd.model import LayerArrays, LayeredModel, layer_lists
from zerograd.network import ForwardPass
from zerograd.validation import as_real_array, check_shape, whole_numbers


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


class ConvNetwork(LayeredModel):
    """Convolution layers, then optionally dense layers, numbered from 1.

    A sample is an array :math:`x^{(0)}` of shape ``(C_0, T_0)``: ``C_0``
    channels of length ``T_0``. Layers ``1..J`` are convolutions
    (``conv1d_forward``); layers ``J+1..K``, if any, are dense
    (``dense_forward``), the first of them reading
    :math:`x^{(J)}` flattened channel by channel into a vector of length
    ``C_J * T_J``. Every layer ``k`` applies its activation :math:`f_k`. The
    loss sees the output :math:`x^{(K)}` flattened into one vector, so a
    target has the output's shape.

    Parameters
    ----------
    W : sequence of array_like
        ``K`` weights in layer order: shape ``(C_k, C_{k-1}, w_k)`` for a
        convolution, ``(n_k, n_{k-1})`` for a dense layer. Convolutions come
        first; layer 1 is one.
    b : sequence of array_like
        ``K`` biases: shape ``(C_k,)`` (one per output channel) or ``(n_k,)``.
    activations : str or sequence of str
        One activation name per layer, or one name for every layer.
    length : int
        The input length ``T_0``. Each kernel must fit in its input.

    Raises
    ------
    ValueError
        If shapes do not chain, a kernel is wider than its input, counts
        differ, values are not finite or an activation name is unknown.
    TypeError
        If an array does not hold real numbers.

    Examples
    --------
    One convolution (2 channels in, 3 out, width 2) on inputs of length 5,
    then a dense layer with one output:

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
        W: Sequence[npt.ArrayLike],
        b: Sequence[npt.ArrayLike],
        activations: str | Sequence[str],
        length: int,
    ) -> None:
        weights, biases, self._f = layer_lists(W, b, activations, "ConvNetwork")
        if type(length) is not int or length < 1:
            msg = f"length must be a positive int (the input length T_0); got {length!r}"
            raise ValueError(msg)
        self._shapes = _chain_shapes(weights, biases, length)
        self.W = Layered(weights, first=1)
        self.b = Layered(biases, first=1)

    @classmethod
    def random(
        cls,
        input_shape: tuple[int, int],
        conv: Sequence[tuple[int, int]],
        dense: Sequence[int] = (),
        activations: str | Sequence[str] = "tanh",
        seed: int | np.random.Generator = 0,
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
            ``(C_k, w_k)`` for each convolution: output channels, kernel width.
        dense : sequence of int
            The widths ``n_k`` of the dense layers after the convolutions.
        activations : str or sequence of str
            As for :class:`ConvNetwork`.
        seed : int or numpy.random.Generator
            Seed for :func:`numpy.random.default_rng`, or a generator.
        """
        shape = whole_numbers(input_shape, "input_shape")
        layers = [whole_numbers(layer, "each (channels, width) of conv") for layer in conv]
        widths = whole_numbers(dense, "dense")
        if (
            len(shape) != 2
            or min(shape) < 1
            or not layers
            or any(len(layer) != 2 for layer in layers)
        ):
            msg = (
                "input_shape must be two positive ints and conv must list at least one "
                f"(channels, width); got input_shape={input_shape}, conv={list(conv)}"
            )
            raise ValueError(msg)
        channels, length = shape
        rng = np.random.default_rng(seed)
        W: list[FloatArray] = []
        b: list[FloatArray] = []
        for c_out, width in layers:
            W.append(rng.normal(0.0, 1.0 / np.sqrt(channels * width), (c_out, channels, width)))
            b.append(rng.normal(0.0, 0.1, c_out))
            channels, length = c_out, length - width + 1
        n_in = channels * length
        for n_out in widths:
            W.append(rng.normal(0.0, 1.0 / np.sqrt(max(n_in, 1)), (n_out, n_in)))
            b.append(rng.normal(0.0, 0.1, n_out))
            n_in = n_out
        return cls(W, b, activations, length=shape[1])

    @property
    def parameters(self) -> dict[str, Layered]:
        """``{"W": W, "b": b}``."""
        return {"W": self.W, "b": self.b}

    @property
    def input_shape(self) -> tuple[int, int]:
        """``(C_0, T_0)``, the shape of one sample."""
        channels, length = self._shapes[0]
        return channels, length

    def shape(self, k: int) -> tuple[int, ...]:
        """Shape of one sample's :math:`x^{(k)}` (and :math:`z^{(k)}`), ``k = 0..K``.

        ``(C_k, T_k)`` for the input and convolutions, ``(n_k,)`` for dense layers.

        Raises
        ------
        zerograd.layered.LayerIndexError
            If ``k`` is not an int from 0 to ``K``, as for ``forward(x).x[k]``.
        """
        if type(k) is not int or not 0 <= k <= self.K:
            msg = f"layer number must be an int from 0 to {self.K}; got {k!r}"
            raise LayerIndexError(msg)
        return self._shapes[k]

    def is_conv(self, k: int) -> bool:
        """Whether layer ``k`` is a convolution (else it is dense)."""
        return self.W[k].ndim == 3

    def rebuild(self, arrays: dict[str, list[FloatArray]]) -> Self:
        """A network with these ``W`` and ``b``, the same activations and input length."""
        return type(self)(arrays["W"], arrays["b"], self.activations, length=self.input_shape[1])

    def prepare_input(self, x: npt.ArrayLike) -> tuple[FloatArray, bool]:
        """Check ``x``: shape ``(C_0, T_0)`` for one sample or ``(N, C_0, T_0)``.

        Returns
        -------
        inputs : ndarray, shape (N, C_0, T_0)
        single : bool
        """
        inputs = as_real_array(x, "x")
        expected = self.input_shape
        if inputs.ndim == 2:
            check_shape(inputs, expected, "x (one sample)")
            return inputs[None], True
        if inputs.ndim != 3 or inputs.shape[1:] != expected or inputs.shape[0] == 0:
            msg = (
                f"x must have shape {expected} (one sample) or (N, {expected[0]}, {expected[1]}) "
                f"with N >= 1; got shape {inputs.shape}"
            )
            raise ValueError(msg)
        return inputs, False

    def output_shape(self, inputs: FloatArray) -> tuple[int, ...]:  # noqa: ARG002
        """The shape of one sample's target: that of :math:`x^{(K)}`, whatever the batch."""
        return self._shapes[self.K]

    def term_shape(self, inputs: FloatArray) -> tuple[int, int]:  # noqa: ARG002
        """``(1, size of x[K])``: the loss sees the output flattened into one vector."""
        return 1, int(np.prod(self._shapes[self.K]))

    def forward_batch(
        self, inputs: FloatArray, offsets: Mapping[int, FloatArray] | None = None
    ) -> ForwardPass:
        """Forward pass on a checked batch of shape ``(N, C_0, T_0)``.

        ``offsets[k]``, if given, is added to ``z[k]`` (used by the central
        differences with respect to raw activations).
        """
        zs: list[FloatArray] = []
        xs: list[FloatArray] = [inputs]
        for k in self.W:
            if self.is_conv(k):
                z = conv1d_forward(self.W[k], self.b[k], xs[-1])
            else:
                z = dense_forward(self.W[k], self.b[k], xs[-1].reshape(len(inputs), -1))
            if offsets is not None and k in offsets:
                z = z + offsets[k]
            zs.append(z)
            xs.append(self.f(k).f(z))
        return ForwardPass(z=Layered(zs, first=1), x=Layered(xs, first=0))

    def loss_terms(self, trace: ForwardPass) -> tuple[FloatArray, FloatArray]:
        """The output flattened: one term per sample, shape ``(N, 1, size of x[K])``."""
        z, x = trace.z[self.K], trace.x[self.K]
        return z.reshape(len(z), 1, -1), x.reshape(len(x), 1, -1)

    def delta_from_terms(self, delta_terms: FloatArray, trace: ForwardPass) -> FloatArray:
        """Undo the flattening of :meth:`loss_terms`."""
        return delta_terms.reshape(trace.z[self.K].shape)

    def backward(
        self, trace: ForwardPass, delta: FloatArray, *, per_sample: bool
    ) -> tuple[dict[str, LayerArrays], LayerArrays]:
        """Backpropagate with each layer's rule; see ``LayeredModel.backward``."""
        dW: LayerArrays = {}
        db: LayerArrays = {}
        dz: LayerArrays = {}
        for k in range(self.K, 0, -1):
            dz[k] = delta
            x_prev = trace.x[k - 1]
            if self.is_conv(k):
                dW[k], db[k], dx_prev = conv1d_backward(
                    self.W[k], x_prev, delta, per_sample=per_sample
                )
            else:
                dW[k], db[k], dx_flat = dense_backward(
                    self.W[k], x_prev.reshape(len(x_prev), -1), delta, per_sample=per_sample
                )
                dx_prev = dx_flat.reshape(x_prev.shape)
            if k > 1:
                delta = self.f(k - 1).df(trace.z[k - 1]) * dx_prev
        return {"W": dW, "b": db}, dz

    def __repr__(self) -> str:
        shapes = ", ".join(str(self._shapes[k]) for k in range(self.K + 1))
        return f"ConvNetwork(shapes=[{shapes}], activations={self.activations})"


def _chain_shapes(
    weights: list[FloatArray], biases: list[FloatArray], length: int
) -> tuple[tuple[int, ...], ...]:
    """Check that the layers chain; return each ``x[k]``'s per-sample shape, ``k = 0..K``."""
    if weights[0].ndim != 3:
        msg = f"W[1] must be a convolution kernel of shape (C_1, C_0, w_1); got shape {weights[0].shape}"
        raise ValueError(msg)
    shapes: list[tuple[int, ...]] = [(weights[0].shape[1], length)]
    for k, (w, v) in enumerate(zip(weights, biases, strict=True), start=1):
        previous = shapes[-1]
        if w.ndim == 3 and len(previous) == 2:
            c_out, c_in, width = w.shape
            if min(w.shape) < 1 or c_in != previous[0]:
                msg = (
                    f"W[{k}] must have shape (C_{k}, {previous[0]}, w_{k}) with positive sizes "
                    f"to read x[{k - 1}] of shape {previous}; got shape {w.shape}"
                )
                raise ValueError(msg)
            if width > previous[1]:
                msg = (
                    f"W[{k}] has kernel width {width}, wider than its input x[{k - 1}] "
                    f"of length {previous[1]}"
                )
                raise ValueError(msg)
            shapes.append((c_out, previous[1] - width + 1))
        elif w.ndim == 2:
            n_in = int(np.prod(previous))
            if min(w.shape) < 1 or w.shape[1] != n_in:
                msg = (
                    f"W[{k}] must have shape (n_{k}, {n_in}) to read x[{k - 1}] of shape "
                    f"{previous} flattened; got shape {w.shape}"
                )
                raise ValueError(msg)
            shapes.append((w.shape[0],))
        else:
            msg = (
                f"W[{k}] must be a convolution kernel (3-D, only before any dense layer) "
                f"or a dense matrix (2-D); got shape {w.shape} after x[{k - 1}] of shape {previous}"
            )
            raise ValueError(msg)
        check_shape(v, (w.shape[0],), f"b[{k}]")
    return tuple(shapes)
