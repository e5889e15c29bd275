r"""The dense feed-forward network.

Layer :math:`k = 1, \dots, K` computes
:math:`z^{(k)} = W^{(k)} x^{(k-1)} + b^{(k)}` and
:math:`x^{(k)} = f_k(z^{(k)})`; :math:`x^{(0)}` is the input and the loss is
:math:`L(x^{(K)}, y)`. Backpropagation starts from
:math:`\delta^{(K)} = \partial L/\partial z^{(K)}` (the loss's rule) and walks down
the layers with :math:`\delta^{(k-1)} = f_{k-1}'(z^{(k-1)}) \odot W^{(k)\top}\delta^{(k)}`;
the weight and bias gradients of layer ``k`` come from :math:`\delta^{(k)}` by the
dense layer's backward rule (:mod:`zerograd.layers`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import cast

import numpy.typing as npt

from zerograd._checks import (
    ArgumentValueError,
    FloatArray,
    Seed,
    Whole,
    as_real_array,
    check_shape,
    layer_sequence,
    read_once,
    whole_numbers,
)
from zerograd.layers import DenseFactors, dense_forward, dense_input_gradient
from zerograd.model import ForwardPass, Model, Visit, draw_normal, layer_lists


class Network(Model):
    """A dense feed-forward network with ``K >= 1`` layers.

    Parameters
    ----------
    W : sequence of array_like, or mapping of int to array_like
        ``K`` weight matrices in layer order (or keyed by layer number from 1,
        as another network's ``W`` is); the ``k``-th has shape
        ``(n_k, n_{k-1})``. They are reachable afterwards as ``net.W[k]``,
        numbered from 1. The network keeps copies.
    b : sequence of array_like, or mapping of int to array_like
        ``K`` bias vectors; the ``k``-th has shape ``(n_k,)``.
    activations : str or sequence of str
        One activation name per layer, or one name for every layer. Known
        names are the keys of :data:`zerograd.ACTIVATIONS`.

    Raises
    ------
    zerograd.ArgumentValueError
        If shapes do not chain, counts differ, values are not finite or an
        activation name is unknown.
    zerograd.ArgumentTypeError
        If an argument is not a sequence of arrays of real numbers.

    Examples
    --------
    A two-layer, scalar-output network like the book's, written out:

    >>> net = Network(W=[[[1, -1], [2, 0]], [[1, 1]]], b=[[0, 0], [0.5]],
    ...               activations=["relu", "identity"])
    >>> net.sizes
    (2, 2, 1)
    >>> net.W[1]
    array([[ 1., -1.],
           [ 2.,  0.]])
    >>> net.forward([1.0, 3.0]).x[2]
    array([2.5])

    A copy, and a training step that updates it in place: the output 2.5 misses
    the target 2 by 0.5, and ``x[1] = (0, 2)``, so the gradient of ``W[2]`` is
    ``(0, 1)``:

    >>> from zerograd import gradients
    >>> copy = Network(net.W, net.b, net.activations)
    >>> copy.W[2] -= 0.5 * gradients(copy, [1.0, 3.0], [2.0]).W[2]
    >>> copy.W[2], net.W[2]
    (array([[1. , 0.5]]), array([[1., 1.]]))
    """

    def __init__(
        self,
        W: Sequence[npt.ArrayLike] | Mapping[int, npt.ArrayLike],
        b: Sequence[npt.ArrayLike] | Mapping[int, npt.ArrayLike],
        activations: str | Sequence[str],
    ) -> None:
        # the weights first: a bias is checked against a chain of weights that fits, so
        # that no bias is blamed for a fault that no value of it could mend
        weights, biases, functions, sizes = layer_lists(W, b, activations, _chain_sizes)
        for k, v in enumerate(biases, start=1):
            check_shape(v, (sizes[k],), f"b[{k}]")
        super().__init__({"W": weights, "b": biases}, functions)
        self._sizes = sizes

    @classmethod
    def random(
        cls,
        sizes: Sequence[Whole],
        activations: str | Sequence[str],
        seed: Seed = 0,
    ) -> Network:
        r"""A network with seeded random weights and biases.

        Weights are drawn from :math:`\mathcal N(0, 1/n_{k-1})` and biases
        from :math:`\mathcal N(0, 0.1^2)`.

        Parameters
        ----------
        sizes : sequence of int
            ``(n_0, n_1, ..., n_K)``: input width, then each layer's width.
        activations : str or sequence of str
            As for :class:`Network`.
        seed : int or numpy.random.Generator
            A non-negative seed for :func:`numpy.random.default_rng`, or a generator.

        Raises
        ------
        zerograd.ArgumentValueError
            Also when the parameters, counted twice (drawn, then copied by
            the model), take more than 64 MiB and more than the available
            memory, where the operating system reports it (as for
            :func:`~zerograd.gradients`).

        Examples
        --------
        >>> net = Network.random([3, 4, 1], ["tanh", "identity"], seed=1)
        >>> net.K, net.W[1].shape, net.b[2].shape
        (2, (4, 3), (1,))
        >>> same_seed = Network.random([3, 4, 1], ["tanh", "identity"], seed=1)
        >>> bool((same_seed.W[1] == net.W[1]).all())
        True
        """
        widths = whole_numbers(sizes, "sizes", at_least=2)
        weights = [((n_out, n_in), n_in, 1.0) for n_in, n_out in itertools.pairwise(widths)]
        biases = [((n_out,), 1, 0.1) for n_out in widths[1:]]
        drawn = draw_normal([*weights, *biases], seed, "sizes")
        return cls(drawn[: len(weights)], drawn[len(weights) :], activations)

    @property
    def sizes(self) -> tuple[int, ...]:
        """Widths ``(n_0, n_1, ..., n_K)``."""
        return self._sizes

    @property
    def sample_shape(self) -> tuple[int]:
        """``(n_0,)``: one sample is a vector."""
        return (self._sizes[0],)

    def target_shape(self, inputs: FloatArray) -> tuple[int]:  # noqa: ARG002
        """``(n_K,)``, whatever the batch."""
        return (self.loss_units,)

    @property
    def loss_units(self) -> int:
        """``n_K``."""
        return self._sizes[-1]

    def replace(
        self,
        W: Sequence[npt.ArrayLike] | None = None,
        b: Sequence[npt.ArrayLike] | None = None,
    ) -> Network:
        """A copy with other weights or biases, and the same activations.

        Parameters
        ----------
        W, b : sequence of array_like, optional
            In layer order, as for :class:`Network`, one array for each of the
            network's ``K`` layers. Omitted ones are copied.

        Raises
        ------
        ValueError
            If ``W`` or ``b`` does not hold ``K`` arrays, an array's shape does
            not fit the others or a value is not finite; also, as at every call,
            if a parameter to be copied was changed through the setter.
        TypeError
            If ``W`` or ``b`` is not a sequence of arrays of real numbers (as
            for :class:`Network`), or a parameter to be copied was changed
            through the setter to another type or dtype.
        """
        # a parameter to be copied may have been changed through the setter
        self._check_parameters([name for name, given in (("W", W), ("b", b)) if given is None])
        read: dict[str, list[npt.ArrayLike]] = {}
        for name, given in (("W", W), ("b", b)):
            # Checked here, so that the error names the argument the caller gave,
            # not the copied one whose shape no longer fits.
            if given is None:
                continue
            # each array read once: the check below and the constructor see one value
            arrays = [
                cast("npt.ArrayLike", read_once(array)) for array in layer_sequence(given, name)
            ]
            read[name] = arrays
            if len(arrays) != self.K:
                raise ArgumentValueError(
                    name, f"hold {self.K} arrays, one per layer of the network",
                    f"{len(arrays)}", expected=self.K, received=len(arrays),
                )  # fmt: skip
            if (W is None) == (b is None):
                continue
            copied = "b" if name == "W" else "W"
            axes = 2 if name == "W" else 1  # another count is the constructor's to refuse
            for k, array in enumerate(arrays, 1):
                shape = as_real_array(array, f"{name}[{k}]").shape
                if len(shape) == axes and shape[0] != self._sizes[k]:
                    raise ArgumentValueError(
                        f"{name}[{k}]",
                        f"keep layer {k}'s width, {self._sizes[k]}, as the copied "
                        f"{copied}[{k}] has (pass {copied} too to change a width)",
                        f"shape {shape}", expected=self._sizes[k], received=shape,
                    )  # fmt: skip
        return Network(
            W=read.get("W", self.W), b=read.get("b", self.b), activations=self.activations
        )

    def forward_batch(
        self, inputs: FloatArray, offsets: Mapping[int, FloatArray] | None = None
    ) -> ForwardPass:
        """Forward pass on a checked batch of shape ``(N, n_0)``; see :meth:`Model.forward_batch`."""
        return self._stack(inputs, self._dense, offsets)

    def _dense(self, k: int, x_prev: FloatArray) -> FloatArray:
        return dense_forward(self.W[k], self.b[k], x_prev)

    def backward(self, trace: ForwardPass, delta: FloatArray, visit: Visit) -> None:
        r"""Backpropagate ``delta`` = :math:`\delta^{(K)}`; see :meth:`Model.backward`."""
        for k in range(self.K, 0, -1):
            visit(k, delta, DenseFactors(trace.x[k - 1], delta))
            if k > 1:  # layer 1's input is the data: its gradient would go unused
                delta = dense_input_gradient(self.W[k], delta)
                self._f[k - 2].multiply_by_slope(delta, trace.z[k - 1], trace.x[k - 1])

    def __repr__(self) -> str:
        return f"Network(sizes={self.sizes}, activations={self.activations})"


def _chain_sizes(weights: list[FloatArray]) -> tuple[int, ...]:
    """Check that each weight is a matrix reading the layer below; the widths ``n_0..n_K``."""
    for k, w in enumerate(weights, start=1):
        if w.ndim != 2 or min(w.shape) < 1:
            raise ArgumentValueError(
                f"W[{k}]",
                f"be a non-empty matrix of shape (n_{k}, n_{k - 1})",
                f"shape {w.shape}",
                expected=2,
                received=w.shape,
            )
        if k > 1 and w.shape[1] != weights[k - 2].shape[0]:
            previous = weights[k - 2].shape
            raise ArgumentValueError(
                f"W[{k}]",
                f"have {previous[0]} columns to match W[{k - 1}] of shape {previous}",
                f"shape {w.shape}",
                expected=previous[0],
                received=w.shape,
            )
    return (weights[0].shape[1], *(w.shape[0] for w in weights))
