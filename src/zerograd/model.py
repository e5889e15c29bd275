r"""The gradient engine: one base class for every model, and the functions built on it.

A model holds parameters numbered by layer, by name (``W[k]``, ``b[k]`` and, for
the recurrent layer, ``U[k]``), and knows its forward pass and its backward pass.
:class:`Model` turns those two into everything else, the same way for every
model: argument checks, the loss and its reductions, weight decay, gradients by
backpropagation (in float64), each sample's gradient norms, central differences
and the gradient check.

The backward pass is one sweep per model. It hands each layer's
:math:`\delta^{(k)}`, with the layer's input, to a consumer as soon as it is
known (:meth:`Model.backward`); :meth:`Model.gradients` asks the layer for its
summed or per-sample parameter gradients, :meth:`Model.gradient_norms` for each
sample's gradient norms, and neither forms what the other needs.

The objective of a batch is the reduced loss (summed, or averaged with
``reduction="mean"``) plus the weight penalty
:math:`\tfrac\lambda2 \sum_\theta \lVert \theta \rVert_F^2` over every parameter
except the biases. With ``reduction="none"`` there is one objective per sample,
its loss, and the weight decay must be 0.

Where to add a layer type
-------------------------
Write its forward and backward rules side by side in :mod:`zerograd.layers`,
with its factors (the object that forms its parameter gradients, or their
norms, from its input and :math:`\delta`), then use them in a model: a subclass of :class:`Model` that calls
``Model.__init__`` with its parameters and activations, and defines
``sample_shape``, ``target_shape``, ``loss_units``, ``forward_batch`` and
``backward`` (and ``loss_shape`` and ``loss_view`` if the loss reads its last
layer other than as it is). :class:`~zerograd.ConvNetwork` mixes two layer types in one model.
"""

from __future__ import annotations

import copy
import functools
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Final, NoReturn, Self, TypeVar, cast

import numpy as np
import numpy.typing as npt

from zerograd._checks import (
    FLOAT64,
    ArgumentTypeError,
    ArgumentValueError,
    FloatArray,
    NonFiniteError,
    Seed,
    Whole,
    activation_names,
    as_real_array,
    at_index,
    check_choice,
    check_finite,
    check_memory,
    check_seed,
    check_weight_decay,
    layer_sequence,
    non_finite_entry,
    non_negative_number,
    read_once,
    real_array,
    real_number,
    received,
    shape_text,
    short_repr,
    squared_norm,
    to_float64,
    whole_number,
)
from zerograd.activations import ACTIVATIONS, Activation
from zerograd.layered import Layered
from zerograd.layers import LayerFactors
from zerograd.losses import LOSSES, Loss

REDUCTIONS = ("sum", "mean", "none")  # documented as zerograd.REDUCTIONS

DEFAULT_STEP = 1e-6
"""Default step ``h`` of the central differences."""

DEFAULT_RTOL = 1e-6
"""Default relative tolerance of :func:`check_gradients`."""

DEFAULT_ATOL = 1e-8
"""Default absolute tolerance of :func:`check_gradients`, per unit of the objective's size."""

LayerArrays = dict[int, FloatArray]
"""Arrays keyed by layer number, before they are packed into a :class:`Layered`."""

Visit = Callable[[int, FloatArray, LayerFactors], None]
"""What :meth:`Model.backward` calls for each layer: ``visit(k, delta_k, factors)``."""

OVERFLOW = ": the values overflowed float64"
SQUARES_OVERFLOW = (
    ": a value it is formed from (the sum of squares of a factor, or a shared weight's "
    "per-sample gradient) overflowed float64, while the forward and backward values are finite (a dense layer's factors, its input, the error and the "
    "bias gradient, and the norm of a weight shared over positions or steps must stay below "
    "about 1.3e154: scale x, y or the parameters down)"
)


def _no_equality(self: object, other: object) -> bool:  # noqa: ARG001
    """``==`` on a result holding arrays: refused, since numpy's ``==`` gives arrays."""
    msg = (
        f"{type(self).__name__} holds arrays, which == does not compare to one truth "
        "value; compare them array by array with numpy.array_equal (or "
        "zerograd.book.same_bits, bit for bit)"
    )
    raise TypeError(msg)


@dataclass(frozen=True, eq=False)
class ForwardPass:
    """Everything a forward pass computed, numbered by layer.

    Attributes
    ----------
    z : Layered
        ``z[k]`` is :math:`z^{(k)}` for ``k = 1..K``: shape ``(n_k,)`` for one
        sample of a dense network, with a leading batch axis ``N`` for a batch.
    x : Layered
        ``x[k]`` is :math:`x^{(k)}` for ``k = 0..K``; ``x[0]`` is the input.
    """

    z: Layered
    x: Layered

    __eq__ = _no_equality
    __hash__ = None  # type: ignore[assignment]


@dataclass
class Batch:
    r"""The checked inputs and targets of one call, always with a batch axis.

    Attributes
    ----------
    inputs : ndarray, shape (N, ...)
        The samples, one per row: the caller's array if it was float64.
    targets : ndarray, shape (N, ...)
        In the shape the loss reads (:meth:`Model.loss_shape` per sample).
    loss : Loss
    reduction : {"sum", "mean", "none"}
        Always ``"sum"`` for a single sample, where all three agree.
    single : bool
        Whether the caller gave one sample without a batch axis.
    weight_decay : float
        :math:`\lambda \ge 0`; 0 whenever ``reduction`` is ``"none"``.
    input_squares : float
        The sum of the squares of ``inputs``' entries.
    """

    inputs: FloatArray
    targets: FloatArray
    loss: Loss
    reduction: str
    single: bool
    weight_decay: float
    input_squares: float

    @property
    def per_sample(self) -> bool:
        """Whether each sample keeps its own loss and gradients (``reduction="none"``)."""
        return self.reduction == "none"

    @property
    def scale(self) -> float:
        """Weight of each sample in the objective: ``1/N`` for a mean, else 1."""
        return 1.0 / self.inputs.shape[0] if self.reduction == "mean" else 1.0


@dataclass(frozen=True, eq=False)
class ParameterArrays:
    """Arrays numbered by layer and keyed by parameter name, as the model's parameters are.

    Each parameter's arrays are an attribute of the same name: ``.W[k]``,
    ``.b[k]`` and, for a recurrent network, ``.U[k]``.

    Attributes
    ----------
    parameters : dict
        The arrays (each a :class:`Layered`) by parameter name, in the model's
        order: ``W``, ``U``, ``b``.
    """

    parameters: dict[str, Layered]
    _kind: ClassVar[str] = "arrays"
    __eq__ = _no_equality
    __hash__ = None  # type: ignore[assignment]
    """What the arrays are, for the error of a missing parameter."""

    def __getattr__(self, name: str) -> Layered:
        # Reached only for names that are not attributes: W, b, U, ...
        parameters: dict[str, Layered] = self.__dict__.get("parameters", {})
        if name in parameters:
            return parameters[name]
        msg = f"these {self._kind} have no parameter {name!r}; they have {', '.join(parameters)}"
        raise AttributeError(msg)

    def arrays(self) -> Iterator[tuple[str, FloatArray]]:
        """Each parameter's array with its name, layer by layer: ``"W[1]"``, ``"b[1]"``, ...

        Examples
        --------
        >>> from zerograd import Network, gradients
        >>> net = Network.random([2, 1], "identity", seed=0)
        >>> [name for name, _ in gradients(net, [1.0, 2.0], [0.0]).arrays()]
        ['W[1]', 'b[1]']
        """
        layers = sorted({k for layered in self.parameters.values() for k in layered})
        for k in layers:
            for name, layered in self.parameters.items():
                if k in layered:
                    yield f"{name}[{k}]", layered[k]


@dataclass(frozen=True, eq=False)
class Gradients(ParameterArrays):
    r"""Gradients of the objective, numbered by layer and keyed by parameter name.

    Each parameter's gradients are an attribute of the same name: ``g.W[k]`` is
    :math:`\partial J/\partial W^{(k)}`, ``g.b[k]`` is
    :math:`\partial J/\partial b^{(k)}` and, for a recurrent network,
    ``g.U[k]`` is :math:`\partial J/\partial U^{(k)}`, where the objective
    :math:`J` is the loss :math:`L` plus the weight penalty of
    ``weight_decay`` (so :math:`J = L` when ``weight_decay=0``, the default);
    each has its parameter's shape. For a batch with ``reduction="none"`` every one of them
    has a leading batch axis of length ``N``.

    For softmax cross-entropy, they are those of the loss with each target row
    taken to sum to 1: for a row accepted with a sum that misses 1 (within the
    tolerance of its dtype), the result differs from the gradient of the
    computed loss by :math:`f_K'(z^{(K)}) \odot \operatorname{softmax}(x^{(K)})`
    times that miss, which need not be small beside that gradient (see
    :mod:`zerograd.losses`).

    These are the gradients of :math:`J` where each activation is
    differentiable at its raw activation, that is, where no raw activation of
    a ``relu`` or ``leaky_relu`` layer is exactly 0. Where one is, they are
    what backpropagation gives with the library's slope there,
    :math:`\operatorname{relu}'(0) = 0` or :math:`\operatorname{leaky\_relu}'(0) = 0.01`
    (the conventions at kinks of :mod:`zerograd.activations`, which compares
    them with other frameworks'): :math:`J` can have no gradient there, and
    :func:`~zerograd.check_gradients` can fail at such a point.

    Attributes
    ----------
    parameters : dict
        The parameter gradients (each a :class:`Layered`) by name, in the model's
        order: ``W``, ``U``, ``b``.
    z : Layered
        ``z[k]`` is :math:`\delta^{(k)} = \partial L/\partial z^{(k)}`, with the
        shape of ``z[k]`` in the forward pass: ``(n_k,)`` for one sample of a
        dense network and ``(N, n_k)`` for a batch, under each reduction (row
        ``n`` is the gradient of the objective with respect to sample ``n``'s
        raw activation, so under ``"mean"`` it is ``1/N`` times that of
        ``"sum"`` and ``"none"``);
        one entry per channel and position, or per step and unit, for the
        other models.
    """

    z: Layered
    _kind: ClassVar[str] = "gradients"

    def all_zero(self) -> bool:
        """Whether every parameter gradient is exactly 0.0 (not just small)."""
        return all(not np.any(array) for _, array in self.arrays())

    def max_abs(self) -> float:
        """The largest absolute entry over all parameter gradients."""
        return max(float(np.max(np.abs(array))) for _, array in self.arrays())


@dataclass(frozen=True, eq=False)
class GradientNorms(ParameterArrays):
    r"""Each sample's gradient norm for every parameter, numbered by layer and keyed by name.

    ``norms.W[k][n]`` is :math:`\lVert \partial \ell_n/\partial W^{(k)} \rVert_F`,
    the Frobenius norm of the gradient of sample ``n``'s own loss
    :math:`\ell_n`; likewise ``norms.b[k][n]`` and, for a recurrent network,
    ``norms.U[k][n]``. Each array has shape ``(N,)`` for a batch, and shape
    ``()`` for one sample given without a batch axis (as :class:`Gradients`
    drops the batch axis for one sample). ``norms.arrays()`` yields them with
    their names, as :meth:`Gradients.arrays` does. See :func:`gradient_norms`.

    Attributes
    ----------
    parameters : dict
        The norms (each a :class:`Layered`) by parameter name, in the model's
        order: ``W``, ``U``, ``b``.
    """

    _kind: ClassVar[str] = "gradient norms"

    def total(self) -> FloatArray:
        r"""Each sample's norm of its whole gradient: :math:`\sqrt{\sum_\theta \lVert \partial \ell_n/\partial\theta \rVert^2}`.

        Returns
        -------
        ndarray, shape (N,), or shape () for one sample

        Raises
        ------
        zerograd.NonFiniteError
            If a sample's total exceeds float64's range (about ``1.8e308``), though
            each of its norms is finite; the index is the sample's.

        Examples
        --------
        >>> from zerograd import Network, gradient_norms
        >>> net = Network(W=[[[2.0]]], b=[[0.0]], activations="identity")
        >>> x, y = [[1.0], [2.0]], [1.0, 1.0]  # errors 1 and 3
        >>> norms = gradient_norms(net, x, y)
        >>> norms.W[1], norms.b[1], norms.total()
        (array([1., 6.]), array([1., 3.]), array([1.41421356, 6.70820393]))
        """
        # hypot, not the root of a sum of squares: no overflow for norms past 1e154
        with np.errstate(over="ignore"):  # a total beyond float64 is named below
            total: FloatArray = np.asarray(
                np.hypot.reduce(np.stack([n for _, n in self.arrays()]))  # over parameters
            )
        beyond = np.argwhere(~np.isfinite(total))
        if len(beyond):
            raise NonFiniteError(
                "the total norm", tuple(int(i) for i in beyond[0]), "inf", OVERFLOW
            )
        return total


class GradientCheckError(AssertionError):
    """Backpropagated gradients and central differences disagree beyond the tolerance.

    "Exact" in the message and the attribute name means the analytic gradient,
    as backpropagation computes it in float64, beside the estimate; it need not
    be the real value to the last bit.

    Attributes
    ----------
    parameter : str
        The gradient that disagrees: ``"W[1]"``, ``"z[2]"``, or ``"direction 3"``
        for a check along random directions.
    entry : tuple of int
        The entry's index (with the batch axis first for per-sample gradients);
        for a direction, ``()``, or ``(n,)`` for sample ``n`` of a per-sample check.
    exact, estimate, error, tolerance : float
        The backpropagated value, the central difference, ``|exact - estimate|`` and the
        tolerance ``atol + rtol * |estimate|`` that the error exceeds.
    """

    def __init__(
        self,
        parameter: str,
        entry: tuple[int, ...],
        exact: float,
        estimate: float,
        tolerance: float,
        checked: str,
    ) -> None:
        self.parameter = parameter
        self.entry = entry
        self.exact = exact
        self.estimate = estimate
        self.error = abs(exact - estimate)
        self.tolerance = tolerance
        shown_error, shown_tolerance = f"{self.error:.3g}", f"{tolerance:.3g}"
        if float(shown_error) <= float(shown_tolerance):  # too close for 3 digits
            shown_error, shown_tolerance = repr(self.error), repr(tolerance)
        super().__init__(
            f"gradient check failed for {parameter}{at_index(entry)}: exact {exact!r}, central "
            f"difference {estimate!r}, error {shown_error} > tolerance {shown_tolerance} "
            f"({checked})"
        )


def _quiet() -> np.errstate:
    """Silence numpy's floating-point warnings: the engine checks finiteness itself."""
    return np.errstate(all="ignore")


class Model(ABC):
    r"""The base of every model: parameters numbered by layer, and the engine.

    A subclass passes its parameters and activations to ``Model.__init__`` and
    defines :attr:`sample_shape`, :meth:`target_shape`, :attr:`loss_units`,
    :meth:`forward_batch` and :meth:`backward` (see "Where to add a layer type"
    in the docstring of the module ``zerograd.model``).

    Parameters are checked at every use. ``net.W[k]`` is a plain float64 array
    that a training loop may update in place (``net.W[1] -= lr * g.W[1]``) or
    replace by another float64 array of the same shape, in the machine's byte
    order (``net.W[1] = new``).
    Every call (:meth:`forward`, :meth:`loss`, :meth:`gradients`, ...; not the
    hooks a model defines, such as :meth:`forward_batch` and :meth:`backward`,
    which take what those calls have checked) compares, before it reads ``x``,
    each parameter's type, dtype and shape with those the model was
    built with, and raises :class:`zerograd.ArgumentTypeError` or
    :class:`zerograd.ArgumentValueError` naming it if they differ. NaN or inf in
    a parameter makes its layer's raw activation non-finite, which the forward
    pass of every such call checks: the call raises :class:`zerograd.NonFiniteError` naming
    the first such layer and, if it is one of that layer's parameters, the
    parameter and its first bad index.

    Copies: a constructor copies the parameters it is given; :meth:`loss`,
    :meth:`gradients` and the central differences read a C-ordered float64
    ``x`` without copying it (another dtype, a list, or another memory order
    may be converted or copied, and so may ``y``) and never write into ``x`` or
    ``y``; :meth:`forward`
    returns a copy of the input as ``x[0]``. No result shares memory with the
    caller's arrays.

    Parameters
    ----------
    parameters : mapping of str to sequence of ndarray
        Each parameter's arrays in layer order, from layer 1: ``{"W": [...],
        "b": [...]}``; float64, finite, already checked by the subclass.
    activations : sequence of Activation
        :math:`f_1, \dots, f_K`.
    """

    def __init__(
        self, parameters: Mapping[str, Sequence[FloatArray]], activations: Sequence[Activation]
    ) -> None:
        self._parameters = {name: Layered(arrays, first=1) for name, arrays in parameters.items()}
        self._layout = tuple(
            (name, k, layered[k].shape)
            for name, layered in self._parameters.items()
            for k in layered
        )
        self._f = tuple(activations)
        self._size = sum(math.prod(shape) for _, _, shape in self._layout)

    # ------------------------------------------------------------ what a model defines

    @property
    @abstractmethod
    def sample_shape(self) -> tuple[int | str, ...]:
        """The shape of one input sample; a str names a length that may vary (``"T"``)."""

    @abstractmethod
    def target_shape(self, inputs: FloatArray) -> tuple[int, ...]:
        """The shape of one sample's target, for checked ``inputs`` with a batch axis."""

    @property
    @abstractmethod
    def loss_units(self) -> int:
        """The length of each row the loss reads: the last axis of :meth:`loss_shape`."""

    @abstractmethod
    def forward_batch(
        self, inputs: FloatArray, offsets: Mapping[int, FloatArray] | None = None
    ) -> ForwardPass:
        """Forward pass on a checked batch, adding ``offsets[k]`` to ``z[k]`` when given.

        An offset reaches everything computed from ``z[k]``, later layers and later
        time steps; the central differences with respect to raw activations use it.
        A hook for :class:`Model`'s calls, which check the batch, the parameters and
        the finiteness of the result first: it checks none of them itself (call
        :meth:`forward` for a checked pass).
        """

    @abstractmethod
    def backward(self, trace: ForwardPass, delta: FloatArray, visit: Visit) -> None:
        r"""Backpropagate ``delta``, the gradient of the loss view (see :meth:`loss_view`).

        For each layer ``k``, from ``K`` down to 1, call ``visit(k, delta_k,
        factors)`` as soon as the layer's :math:`\delta^{(k)}` is known:
        ``delta_k`` is :math:`\partial L/\partial z^{(k)}`, with the shape of
        ``trace.z[k]``, and ``factors`` (a ``zerograd.layers.LayerFactors``
        built from the layer's input and ``delta_k``) forms the layer's parameter
        gradients, summed or per sample, or their per-sample norms. The caller
        decides which, and what to keep: this one sweep serves
        :meth:`gradients` and :meth:`gradient_norms`.
        """

    def loss_shape(self, inputs: FloatArray) -> tuple[int, ...]:
        """The shape of one sample's target as the loss reads it: :meth:`target_shape`."""
        return self.target_shape(inputs)

    def loss_view(self, trace: ForwardPass) -> tuple[FloatArray, FloatArray]:
        """The raw activations and outputs the loss reads: ``z[K]`` and ``x[K]``."""
        return trace.z[self.K], trace.x[self.K]

    def _stack(
        self,
        inputs: FloatArray,
        layer: Callable[[int, FloatArray], FloatArray],
        offsets: Mapping[int, FloatArray] | None,
    ) -> ForwardPass:
        """The forward pass of a stack: ``z[k] = layer(k, x[k-1])``, ``x[k] = f_k(z[k])``.

        ``offsets[k]``, if given, is added to ``z[k]`` before the activation.
        """
        zs: list[FloatArray] = []
        xs: list[FloatArray] = [inputs]
        for k, f in enumerate(self._f, start=1):
            z = layer(k, xs[-1])
            if offsets is not None and k in offsets:
                z = z + offsets[k]
            zs.append(z)
            xs.append(f.f(z))
        return ForwardPass(z=Layered(zs, first=1), x=Layered(xs, first=0))

    # ------------------------------------------------------------ parameters

    @property
    def parameters(self) -> dict[str, Layered]:
        """The parameters by name: ``{"W": W, "b": b}``, and ``U`` for a recurrent layer."""
        return dict(self._parameters)

    @property
    def W(self) -> Layered:
        """``W[k]`` is :math:`W^{(k)}`, numbered from 1."""
        return self._parameters["W"]

    @property
    def b(self) -> Layered:
        """``b[k]`` is :math:`b^{(k)}`, numbered from 1."""
        return self._parameters["b"]

    @property
    def K(self) -> int:
        """Number of layers :math:`K`."""
        return len(self._f)

    @property
    def activations(self) -> tuple[str, ...]:
        """Activation names, for layers ``1..K`` in order."""
        return tuple(f.name for f in self._f)

    def f(self, k: Whole) -> Activation:
        """The activation :math:`f_k` of layer ``k`` (numbered from 1)."""
        self.W[k]  # raises a clear LayerIndexError when k is out of range
        return self._f[int(k) - 1]

    def weight_penalty(self, weight_decay: float) -> float:
        r"""The L2 penalty :math:`\tfrac\lambda2 \sum_\theta \lVert \theta \rVert_F^2`.

        The sum runs over every parameter except the biases: each ``W[k]``
        (dense matrix or convolution kernel) and each recurrent ``U[k]``. A bias
        shifts a unit's input without scaling it, so shrinking it does not make
        the function smoother, and penalising it can pull the network away from
        fitting a non-zero mean.

        Parameters
        ----------
        weight_decay : float
            :math:`\lambda \ge 0`, finite.

        Returns
        -------
        float

        Raises
        ------
        zerograd.NonFiniteError
            Where the penalty overflows float64. Where an array's plain sum of
            squares would overflow or underflow, or :math:`\lambda` times it would
            overflow or fall below ``2**-1021``, its squares are formed scaled by its
            largest entry, and :math:`\lambda`
            and that entry enter by their exponents last, so a penalty that fits
            in float64 is returned
            where the squares would overflow (weights above about ``1e154``) or
            underflow (below about ``1e-154``), or :math:`\lambda/2` would lose
            bits (a subnormal :math:`\lambda`). :meth:`loss`,
            :meth:`numerical_gradients` and :meth:`check_gradients` form the
            penalty the same way;
            :meth:`gradients` adds :math:`\lambda\theta` instead and does not
            form it.

        Examples
        --------
        >>> from zerograd import Network
        >>> W = [[[1.0, 2.0]], [[3.0]]]
        >>> net = Network(W=W, b=[[5.0], [7.0]], activations="identity")
        >>> net.weight_penalty(0.5)  # 0.5/2 * (1 + 4 + 9); the biases do not count
        3.5
        """
        decay = check_weight_decay(weight_decay, "sum")
        self._check_parameters()
        return self._penalty(decay)

    # ------------------------------------------------------------ the engine's public face

    def forward(self, x: npt.ArrayLike) -> ForwardPass:
        """Run the model on one sample or a batch.

        Parameters
        ----------
        x : array_like
            One sample (shape :attr:`sample_shape`) or a batch of them.

        Returns
        -------
        ForwardPass
            ``z[k]`` and ``x[k]``, without a batch axis for one sample. ``x[0]``
            is a copy of the input, never the caller's array.
        """
        inputs, single, _ = self._inputs(x, copy=True)
        with _quiet():
            trace = self._trace(inputs, single=single)
        if not single:
            return trace
        return ForwardPass(
            z=Layered((trace.z[k][0] for k in trace.z), first=1),
            x=Layered((trace.x[k][0] for k in trace.x), first=0),
        )

    def loss(
        self,
        x: npt.ArrayLike,
        y: npt.ArrayLike,
        loss: str = "squared_error",
        reduction: str = "sum",
        weight_decay: float = 0.0,
    ) -> float | FloatArray:
        r"""The objective for one sample, or for a batch combined by ``reduction``.

        Parameters
        ----------
        x, y : array_like
            One sample and its target, or a batch of each (see
            :func:`zerograd.gradients`).
        loss : str
            A key of :data:`zerograd.LOSSES`.
        reduction : {"sum", "mean", "none"}
            For a batch: the sum, the mean, or the per-sample losses.
        weight_decay : float
            :math:`\lambda \ge 0`. The objective becomes the reduced loss plus
            :meth:`weight_penalty`, which is not divided by ``N`` under
            ``reduction="mean"``. Must be 0 with ``reduction="none"`` on a batch.

        Returns
        -------
        float or ndarray, shape (N,)
            A float, except for a batch with ``reduction="none"``.

        Raises
        ------
        zerograd.NonFiniteError
            Where a sample's loss overflows float64, under ``"mean"`` too (where
            its share of the mean could fit: each sample's loss is summed over its
            output units first), or where the objective does.

        Examples
        --------
        >>> from zerograd import Network
        >>> net = Network(W=[[[2.0]]], b=[[0.0]], activations="identity")
        >>> net.loss([1.5], [1.0])
        2.0
        >>> net.loss([[1.0], [2.0]], [1.0, 1.0], reduction="none")
        array([0.5, 4.5])
        >>> net.loss([1.5], [1.0], weight_decay=0.5)  # 2.0 + 0.5/2 * 2.0**2
        3.0
        """
        batch = self._batch(x, y, loss, reduction, weight_decay)
        with _quiet():
            value = self._objective(batch)
        return value if batch.per_sample else float(value[0])

    def gradients(
        self,
        x: npt.ArrayLike,
        y: npt.ArrayLike,
        loss: str = "squared_error",
        reduction: str = "sum",
        weight_decay: float = 0.0,
    ) -> Gradients:
        """Gradients by backpropagation, in float64: see :func:`zerograd.gradients`."""
        batch = self._batch(x, y, loss, reduction, weight_decay)
        if batch.per_sample and len(batch.inputs) > 1:  # one sample's fit as the parameters do
            self._check_per_sample_memory(batch, copies=1)
        with _quiet():
            trace = self._trace(batch.inputs, single=batch.single)
            parameters: dict[str, LayerArrays] = {name: {} for name in self._parameters}
            dz: LayerArrays = {}

            def keep(k: int, delta: FloatArray, factors: LayerFactors) -> None:
                dz[k] = delta
                for name, gradient in factors.gradients(per_sample=batch.per_sample).items():
                    parameters[name][k] = gradient

            self.backward(trace, self._output_delta(batch, trace), keep)
            decay = batch.weight_decay
            if decay:
                for name, k in self._penalised():
                    pull = decay * self._parameters[name][k]
                    found = non_finite_entry(pull)
                    if found is not None:
                        _refuse_decay_overflow(
                            pull, self._parameters[name][k], f"{name}[{k}]", found[0]
                        )
                    parameters[name][k] = parameters[name][k] + pull
            gradients = self._gradients(parameters, dz, batch.single)
            # Bounding the result from the deltas and the layers' inputs costs a pass over
            # each of them; a per-sample result is N times larger than the arrays it bounds.
            if decay or not _bounded(trace, dz, batch.input_squares):
                # the deltas first, from the last layer down, as backpropagation forms
                # them: one that overflowed is where the trouble began, and the gradients
                # formed from it can show NaN (inf times an input of 0) at entries whose
                # real value is finite
                for k in sorted(gradients.z, reverse=True):
                    check_finite(gradients.z[k], f"the gradient z[{k}]", OVERFLOW)
                for name, array in gradients.arrays():
                    check_finite(array, f"the gradient {name}", OVERFLOW)
        return gradients

    def gradient_norms(
        self, x: npt.ArrayLike, y: npt.ArrayLike, loss: str = "squared_error"
    ) -> GradientNorms:
        """Each sample's gradient norms, without an array of every sample's gradients: see :func:`zerograd.gradient_norms`."""
        batch = self._batch(x, y, loss, "none", 0.0)
        norms: dict[str, LayerArrays] = {name: {} for name in self._parameters}

        def measure(k: int, delta: FloatArray, factors: LayerFactors) -> None:  # noqa: ARG001
            for name, values in factors.norms().items():
                norms[name][k] = values[0, ...] if batch.single else values

        with _quiet():
            trace = self._trace(batch.inputs, single=batch.single)
            self.backward(trace, self._output_delta(batch, trace), measure)
        result = GradientNorms({name: _layered(norms[name]) for name in self._parameters})
        for name, values in result.arrays():
            if non_finite_entry(values) is not None:
                check_finite(values, f"the gradient norm {name}", self._norm_overflow(batch, trace))
        return result

    def _norm_overflow(self, batch: Batch, trace: ForwardPass) -> str:
        """Why a norm came out non-finite: the backward pass, or a sum of squares alone."""
        finite: list[bool] = []
        with _quiet():  # the pass is redone: only a call about to raise pays for it
            self.backward(
                trace,
                self._output_delta(batch, trace),
                lambda k, delta, factors: finite.append(bool(np.all(np.isfinite(delta)))),  # noqa: ARG005
            )
        return SQUARES_OVERFLOW if all(finite) else OVERFLOW

    def numerical_gradients(
        self,
        x: npt.ArrayLike,
        y: npt.ArrayLike,
        loss: str = "squared_error",
        reduction: str = "sum",
        weight_decay: float = 0.0,
        step: float = DEFAULT_STEP,
    ) -> Gradients:
        """Gradients by central differences: see :func:`zerograd.numerical_gradients`."""
        batch = self._batch(x, y, loss, reduction, weight_decay)
        if batch.per_sample:
            self._check_per_sample_memory(batch, copies=2)
        with _quiet():
            trace = self._trace(batch.inputs, single=batch.single)
            # an objective that overflows unmoved is no step's doing: raise its error first
            self._objective(batch)
            h = self._check_step(step, trace)
            moved = self._copy()  # its parameters are moved in place, never this model's
            objective = functools.partial(moved._objective, batch)
            parameters: dict[str, LayerArrays] = {}
            dz: LayerArrays = {}
            try:
                for name, layered in moved._parameters.items():
                    each = {k: _central_differences(layered[k], h, objective) for k in layered}
                    parameters[name] = (
                        each if batch.per_sample else {k: d[0] for k, d in each.items()}
                    )
                for k in trace.z:
                    # Samples do not interact, so one entry is moved in every sample at once.
                    offset = np.zeros_like(trace.z[k])
                    losses = functools.partial(self._sample_losses, batch, {k: offset})
                    dz[k] = batch.scale * _central_differences(offset, h, losses, together=1)
            except NonFiniteError as error:
                self._refuse_overflowing_step(h, error)
            gradients = self._gradients(parameters, dz, batch.single)
            for name, array in _every_array(gradients):
                check_finite(array, f"the estimate of {name}", OVERFLOW)
        return gradients

    def check_gradients(
        self,
        x: npt.ArrayLike,
        y: npt.ArrayLike,
        *,
        loss: str = "squared_error",
        reduction: str = "sum",
        weight_decay: float = 0.0,
        step: float = DEFAULT_STEP,
        rtol: float = DEFAULT_RTOL,
        atol: float | None = None,
        directions: Whole | None = None,
        seed: Seed = 0,
    ) -> None:
        """Compare backpropagated gradients with central differences: see :func:`zerograd.check_gradients`."""
        relative = non_negative_number(rtol, "rtol")
        # read once: x and y are read below for the gradients and their estimates
        x, y = cast("npt.ArrayLike", read_once(x)), cast("npt.ArrayLike", read_once(y))
        # a given atol is checked with rtol; only the default needs the objective
        given_atol = None if atol is None else non_negative_number(atol, "atol")
        count = None if directions is None else self._check_directions(directions)
        rng = np.random.default_rng(check_seed(seed))
        batch = self._batch(x, y, loss, reduction, weight_decay)
        exact = self.gradients(x, y, loss, reduction, weight_decay)
        with _quiet():
            trace = self._trace(batch.inputs, single=batch.single)
            size = float(np.max(np.abs(self._objective(batch))))
        absolute = DEFAULT_ATOL * max(1.0, size) if given_atol is None else given_atol
        checked = f"rtol {relative:.3g}, atol {absolute:.3g}, step {short_repr(step)}"
        if count is None:
            estimate = self.numerical_gradients(x, y, loss, reduction, weight_decay, step)
            pairs = zip(_every_array(exact), _every_array(estimate), strict=True)
            cases: Iterator[tuple[str, FloatArray, FloatArray]] = (
                (name, a, e) for (name, a), (_, e) in pairs
            )
        else:
            h = self._check_step(step, trace)
            cases = self._directional_differences(batch, exact, h, count, rng)
        worst: tuple[float, str, FloatArray, FloatArray, tuple[int, ...]] | None = None
        with _quiet():  # the directions are drawn and evaluated as the loop asks for them
            for name, a, e in cases:
                error, allowed = np.abs(a - e), absolute + relative * np.abs(e)
                ratio = np.where(error > allowed, error / allowed, 0.0)  # inf where 0 is allowed
                index = tuple(int(i) for i in np.unravel_index(np.argmax(ratio), ratio.shape))
                if ratio[index] > 0.0 and (worst is None or ratio[index] > worst[0]):
                    worst = (float(ratio[index]), name, a, e, index)
        if worst is not None:
            _, name, a, e, index = worst
            tolerance = absolute + relative * abs(float(e[index]))
            raise GradientCheckError(
                name, index, float(a[index]), float(e[index]), tolerance, checked
            )

    # ------------------------------------------------------------ the engine's internals

    def _check_parameters(self, names: Collection[str] | None = None) -> None:
        """Refuse a parameter (of ``names``, or any) changed through the setter since the build."""
        parameters = self._parameters
        for name, k, shape in self._layout:
            if names is not None and name not in names:
                continue
            array = parameters[name][k]
            if type(array) is not np.ndarray or array.shape != shape or array.dtype != FLOAT64:
                _refuse_changed_parameter(f"{name}[{k}]", shape, array)

    def _inputs(self, x: npt.ArrayLike, *, copy: bool = False) -> tuple[FloatArray, bool, float]:
        """Check the parameters and ``x``.

        Returns ``x`` with a batch axis, whether it was one sample, and the sum of
        the squares of its entries (which the gradients' bound reuses).
        """
        self._check_parameters()
        inputs = to_float64(real_array(x, "x"), "x", copy=copy)
        squares = float(np.vdot(inputs, inputs))
        if not math.isfinite(squares):  # NaN or inf, or entries above 1e154
            check_finite(inputs, "x")
        sample = self.sample_shape
        if inputs.ndim == len(sample) and _fits(inputs.shape, sample):
            return inputs[None], True, squares
        if inputs.ndim == len(sample) + 1 and len(inputs) >= 1 and _fits(inputs.shape[1:], sample):
            return inputs, False, squares
        raise ArgumentValueError(
            "x",
            f"have shape {shape_text(sample)} for one sample or {shape_text(('N', *sample))} "
            "for a batch, each named length at least 1",
            f"shape {inputs.shape}",
            expected=sample,
            received=inputs.shape,
        )

    def _batch(
        self, x: npt.ArrayLike, y: npt.ArrayLike, loss: str, reduction: str, weight_decay: float
    ) -> Batch:
        """Check every argument of a loss or gradient call together."""
        rule = LOSSES[check_choice(loss, LOSSES, "loss")]
        rule.check_output(self._f[-1].name, self.loss_units)  # no x or y could mend it
        check_choice(reduction, REDUCTIONS, "reduction")
        inputs, single, squares = self._inputs(x)
        if single:
            reduction = "sum"  # sum, mean and none agree for one sample
        decay = check_weight_decay(weight_decay, reduction)
        raw = real_array(y, "y", bools=True)  # the caller's dtype, for the loss's check
        targets = to_float64(raw, "y", copy=False)
        if not math.isfinite(np.vdot(targets, targets)):  # NaN or inf, or entries above 1e154
            check_finite(targets, "y")
        n_samples, shape = len(inputs), self.target_shape(inputs)
        expected = shape if single else (n_samples, *shape)
        # A one-unit output also takes a scalar target (one sample) or shape (N,).
        if targets.shape != expected and not (shape == (1,) and targets.shape == expected[:-1]):
            what = "one sample" if single else f"a batch of {n_samples}"
            also = f" or {expected[:-1]}" if shape == (1,) else ""
            raise ArgumentValueError(
                "y",
                f"have shape {expected}{also} for {what}",
                f"shape {targets.shape}",
                expected=expected,
                received=targets.shape,
            )
        loss_shape = (n_samples, *self.loss_shape(inputs))
        if targets.shape != loss_shape:
            raw, targets = raw.reshape(loss_shape), targets.reshape(loss_shape)
        rule.check_target(raw)
        return Batch(inputs, targets, rule, reduction, single, decay, squares)

    def _trace(
        self,
        inputs: FloatArray,
        offsets: Mapping[int, FloatArray] | None = None,
        *,
        single: bool = False,
    ) -> ForwardPass:
        """:meth:`forward_batch`, then raise at the first layer whose raw activation is not finite.

        For one sample (``single``), the error's index is into that sample's
        ``z[k]``, as the caller sees it, without the batch axis.
        """
        trace = self.forward_batch(inputs, offsets)
        for k in trace.z:
            z = trace.z[k]
            if not math.isfinite(np.vdot(z, z)):  # one pass; rarely true
                self._refuse_non_finite_layer(k, z[0] if single else z)
        return trace

    def _refuse_non_finite_layer(self, k: int, z: FloatArray) -> None:
        for name, layered in self._parameters.items():
            if k in layered:
                check_finite(layered[k], f"{name}[{k}]")
        # a partial sum of the layer's products can overflow where z itself would fit
        check_finite(
            z,
            f"z[{k}]",
            f"{OVERFLOW} in layer {k}, whose parameters are finite (its sums included)",
        )

    def _output_delta(self, batch: Batch, trace: ForwardPass) -> FloatArray:
        """The gradient of the objective's loss term with respect to the loss view's raw activations."""
        z, x_out = self.loss_view(trace)
        delta = batch.loss.delta(z, x_out, batch.targets, self._f[-1])
        if batch.reduction == "mean":
            delta = delta * batch.scale
        # named here: backpropagated, an infinite error times a zero weight is NaN, which
        # would be reported at a gradient entry whose real value is 0
        check_finite(delta[0] if batch.single else delta, "the output error delta", OVERFLOW)
        return delta

    def _sample_losses(
        self, batch: Batch, offsets: Mapping[int, FloatArray] | None = None
    ) -> FloatArray:
        """Each sample's loss, shape ``(N,)``: the sum over what the loss reads of one sample.

        Each sample's loss must fit in float64, under ``"mean"`` too, where its share of
        the mean may fit when it does not: the loss sums over a sample's output units
        (and positions or steps) before any weight.
        """
        z, x = self.loss_view(self._trace(batch.inputs, offsets, single=batch.single))
        values = batch.loss.value(z, x, batch.targets)
        losses: FloatArray = values.reshape(len(values), -1).sum(axis=1)
        # one sample's loss is a number, without an index into the batch made for it
        check_finite(losses[0] if batch.single else losses, "the loss", OVERFLOW)
        return losses

    def _objective(self, batch: Batch) -> FloatArray:
        """Each sample's loss, shape ``(N,)``, for ``"none"``; else the objective, shape ``(1,)``."""
        losses = self._sample_losses(batch)
        if batch.per_sample:
            return losses
        # scaled before the sum, as the output delta is: under "mean" a sum can overflow
        # where the mean does not
        with _quiet():
            objective = float((losses * batch.scale).sum()) + self._penalty(batch.weight_decay)
        if not math.isfinite(objective):
            raise NonFiniteError("the objective", (), "inf", OVERFLOW)
        return np.array([objective])

    def _penalised(self) -> Iterator[tuple[str, int]]:
        """Each (name, layer) weight decay penalises: every parameter but the biases."""
        return ((name, k) for name, k, _ in self._layout if name != "b")

    def _penalty(self, weight_decay: float) -> float:
        penalised = list(self._penalised()) if weight_decay else []
        with _quiet():
            penalty = sum(
                (_scaled_penalty(self._parameters[name][k], weight_decay) for name, k in penalised),
                0.0,
            )
        if not math.isfinite(penalty):
            for name, k in penalised:
                check_finite(self._parameters[name][k], f"{name}[{k}]")
            raise NonFiniteError("the weight penalty", (), "inf", OVERFLOW)
        return penalty

    def _check_step(self, step: object, trace: ForwardPass) -> float:
        """``step`` as a float, if it moves every parameter and raw activation; else raise."""
        h = real_number(step, "step")
        arrays = [*(self._parameters[name][k] for name, k, _ in self._layout), *trace.z.values()]
        largest = max(float(np.max(np.abs(array))) for array in arrays)
        # theta + h differs from theta for every |theta| <= largest when h is at least
        # the float64 spacing there (a sufficient condition: a somewhat smaller h can move
        # each entry too), and eps * max(1, largest) is at least that spacing.
        smallest = float(np.finfo(np.float64).eps) * max(1.0, largest)
        if not (math.isfinite(h) and h >= smallest):
            raise ArgumentValueError(
                "step",
                # in full: a rounded bound could print below the step it refuses
                f"be a finite number of at least {smallest!r} (float64's epsilon times the "
                f"largest |parameter| or |raw activation|, {largest:.3g}, or 1: a smaller step "
                "can leave an entry unmoved; where a step that large makes the objective "
                "overflow, no step works: scale x, y or the parameters down)",
                short_repr(step),
                expected=smallest,
                received=step,
            )
        if h >= 2.0**1023:  # the difference is divided by 2 * step, which would overflow
            raise ArgumentValueError(
                "step",
                "be below 2**1023 (twice it overflows float64)",
                short_repr(step),
                expected=2.0**1023,
                received=step,
            )
        return h

    def _check_directions(self, directions: object) -> int:
        """The number of random directions, from 1 to the number of parameters P.

        Along P directions the check costs 2P forward passes, as entry by entry.
        """
        count = whole_number(directions, "directions", minimum=1)
        entries = self._size
        if count > entries:
            raise ArgumentValueError(
                "directions",
                f"be at most the number of parameters, {entries} (as many cost as much as "
                "checking every entry, directions=None)",
                short_repr(count),
                expected=entries,
                received=count,
            )
        return count

    def _check_per_sample_memory(self, batch: Batch, copies: int) -> None:
        n_samples = len(batch.inputs)
        check_memory(
            copies * FLOAT64.itemsize * n_samples * self._size,
            "x",
            f"per-sample gradients (reduction='none') of {n_samples:,} samples",
        )

    def _copy(self) -> Self:
        """A copy of the model with its own parameter arrays."""
        moved = copy.copy(self)
        moved._parameters = {
            name: Layered((array.copy() for array in layered.values()), first=layered.first)
            for name, layered in self._parameters.items()
        }
        return moved

    def _gradients(
        self, parameters: Mapping[str, LayerArrays], dz: LayerArrays, single: bool
    ) -> Gradients:
        """Package gradients in the model's parameter order; one sample loses its batch axis."""
        return Gradients(
            parameters={name: _layered(parameters[name]) for name in self._parameters},
            z=_layered({k: d[0] if single else d for k, d in dz.items()}),
        )

    @staticmethod
    def _refuse_overflowing_step(step: float, error: NonFiniteError) -> NoReturn:
        """Raise for a step whose moved objective overflowed, naming ``step``.

        The callers evaluate the objective at the unmoved parameters before they
        check the step, so its own overflow has been raised by then.
        """
        raise ArgumentValueError(
            "step",
            "be small enough that the moved parameters and raw activations keep the "
            "objective finite (where no step large enough to move every entry does, "
            "the values are too large for central differences in float64: scale x, y or the "
            "parameters down)",
            f"{step!r} ({error})",
            expected="a smaller step",
            received=step,
        ) from error

    def _directional_differences(
        self, batch: Batch, exact: Gradients, step: float, count: int, rng: np.random.Generator
    ) -> Iterator[tuple[str, FloatArray, FloatArray]]:
        """For each of ``count`` random unit directions v: <exact gradient, v> and its estimate.

        Both are 0-d, or of shape ``(N,)`` (one per sample) for ``reduction="none"``.
        """
        moved = self._copy()
        lead = (len(batch.inputs),) if batch.per_sample else ()
        for number in range(1, count + 1):
            v = {(name, k): rng.standard_normal(shape) for name, k, shape in self._layout}
            length = math.sqrt(sum(squared_norm(direction) for direction in v.values()))
            # unit length before the products are summed: a sum over v itself can
            # overflow where the slope along v / |v| is finite
            unit = {key: direction / length for key, direction in v.items()}
            slope: FloatArray = sum(
                (
                    (exact.parameters[name][k] * direction).reshape(*lead, -1).sum(axis=-1)
                    for (name, k), direction in unit.items()
                ),
                start=np.zeros(lead),
            )
            objectives = []
            for sign in (1.0, -1.0):
                for (name, k), direction in unit.items():
                    moved._parameters[name][k] = self._parameters[name][k] + sign * step * direction
                try:
                    objectives.append(moved._objective(batch))
                except NonFiniteError as error:
                    self._refuse_overflowing_step(step, error)
            estimate = (objectives[0] - objectives[1]) / (2.0 * step)
            yield f"direction {number}", slope, estimate.reshape(lead)


def _refuse_decay_overflow(
    pull: FloatArray, parameter: FloatArray, name: str, index: tuple[int, ...]
) -> NoReturn:
    """Raise for ``weight_decay * parameter`` (``pull``), which overflowed at ``index``."""
    why = f": weight_decay times the entry {float(parameter[index])!r} overflowed float64"
    shown = "-inf" if pull[index] < 0 else ""  # finite factors: an infinity, never NaN
    raise NonFiniteError(f"weight_decay * {name}", index, "inf", why, shown=shown)


_PLAIN_SQUARES_FLOOR: Final = 2.0**-900
"""A sum of squares at least this large is not changed in its last bit by the squares
that underflow (each is off by less than ``2**-1022``, and no array has ``2**60``
entries)."""


def _scaled_penalty(array: FloatArray, weight_decay: float) -> float:
    r""":math:`\tfrac\lambda2 \lVert a \rVert^2` of one array, in float64.

    The squares of entries above about ``1e154`` overflow, those below about ``1e-154``
    underflow, and ``0.5 * weight_decay`` loses bits for a subnormal
    :math:`\lambda`, each where the penalty itself can be a normal float64. Where the
    sum of squares is finite and at least :data:`_PLAIN_SQUARES_FLOOR`, and
    :math:`\lambda` times it is finite and at least ``2**-1021`` (so that halving it
    rounds no further), the penalty is formed directly, in one pass
    (two roundings after the sum; the sum's own rounding grows with the array's
    size, to a relative error of about :math:`n \varepsilon` for :math:`n` entries at
    worst: about 2 units in the last place on 784-by-128 arrays of normal draws,
    about 10,000 on a 2000-by-2000 array of equal entries). Otherwise
    the array is scaled by its largest :math:`|a_i| = s`, and the mantissas of
    :math:`\lambda` and :math:`s` (:func:`math.frexp`, in ``[0.5, 1)``) are multiplied
    apart from their exponents, which :func:`math.ldexp` adds back last: the result
    carries the sum's rounding and a few more (the division by :math:`s` and three
    products), within a few units in the last place of the direct form, or is ``inf``
    where the penalty overflows.
    """
    squares = float(np.vdot(array, array))
    product = weight_decay * squares
    if squares >= _PLAIN_SQUARES_FLOOR and 2.0**-1021 <= product < math.inf:
        return 0.5 * product  # the direct form: 15 times faster on a 784-by-128 array
    largest = float(np.max(np.abs(array)))
    if largest == 0.0:
        return 0.0
    ratios = array / largest
    squares = float(np.vdot(ratios, ratios))  # from 1 to the array's size
    decay_mantissa, decay_exponent = math.frexp(weight_decay)
    mantissa, exponent = math.frexp(largest)
    try:
        return math.ldexp(
            0.5 * decay_mantissa * mantissa * mantissa * squares, decay_exponent + 2 * exponent
        )
    except OverflowError:
        return math.inf


Chain = TypeVar("Chain")
"""What a constructor's check of its chain of weights returns (see :func:`layer_lists`)."""


def layer_lists(
    W: object,
    b: object,
    activations: object,
    chain: Callable[[list[FloatArray]], Chain],
    layers: int | None = None,
) -> tuple[list[FloatArray], list[FloatArray], list[Activation], Chain]:
    """Check a constructor's weights, biases and activation names: one of each per layer.

    The weights come first, with ``chain``: a weight array given without its list
    reads as one layer per row, and the counts of biases and names would then be
    blamed for a fault that no bias or name could mend.

    Parameters
    ----------
    W, b : sequence of array_like, or mapping of int to array_like
        In layer order, or keyed by layer number from 1 (another model's ``W``).
    activations : str or sequence of str
        One name per layer, or one name for every layer.
    chain : callable
        ``chain(weights)`` checks the weights' shapes, each against the one
        before; it raises for a fault, and its result is returned.
    layers : int, optional
        The number of layers the model must have.

    Returns
    -------
    weights, biases : list of ndarray
        Finite float64 copies, in layer order (the biases' shapes are the model's
        to check).
    activations : list of Activation
    chained
        What ``chain`` returned.
    """
    weights = [as_real_array(w, f"W[{k}]") for k, w in enumerate(layer_sequence(W, "W"), 1)]
    depth = len(weights)
    if depth == 0 or (layers is not None and depth != layers):
        wanted = (
            "at least one weight array" if layers is None else f"exactly {layers} weight arrays"
        )
        raise ArgumentValueError(
            "W",
            f"hold {wanted}, one per layer",
            f"{depth}",
            expected=layers or ">= 1",
            received=depth,
        )
    chained = chain(weights)
    biases = [as_real_array(v, f"b[{k}]") for k, v in enumerate(layer_sequence(b, "b"), 1)]
    if len(biases) != depth:
        raise ArgumentValueError(
            "b",
            f"hold one bias per layer ({depth})",
            f"{len(biases)}",
            expected=depth,
            received=len(biases),
        )
    names = activation_names(activations, depth)
    # Each name checked here, so that the error names the caller's argument and entry.
    labels = [
        "activations" if isinstance(activations, str) else f"activations[{i}]" for i in range(depth)
    ]
    functions = [
        ACTIVATIONS[check_choice(name, ACTIVATIONS, label)]
        for name, label in zip(names, labels, strict=True)
    ]
    return weights, biases, functions, chained


def draw_normal(
    specs: Sequence[tuple[tuple[int, ...], int, float]], seed: object, argument: str
) -> list[FloatArray]:
    r"""Arrays of these shapes drawn in turn from :math:`\mathcal N(0, s^2)`, seeded.

    Refused if they would not fit in the available memory, counted twice: a
    model's constructor copies what is drawn. The standard deviations are
    computed after that check, so that a size too large for a float is
    refused with the memory error rather than failing in the square root.

    Parameters
    ----------
    specs : sequence of tuple
        ``(shape, fan_in, gain)`` for each array: its shape, and the standard
        deviation :math:`s` = ``gain / sqrt(fan_in)``.
    seed : int or numpy.random.Generator
    argument : str
        The argument that sets the sizes, for the error message.
    """
    rng = np.random.default_rng(check_seed(seed))
    entries = sum(math.prod(shape) for shape, _, _ in specs)
    check_memory(2 * FLOAT64.itemsize * entries, argument, "parameters")
    return [rng.normal(0.0, gain / math.sqrt(fan_in), shape) for shape, fan_in, gain in specs]


def check_model(net: object) -> Model:
    """Return ``net`` if it is a model, else raise :class:`zerograd.ArgumentTypeError`."""
    if not isinstance(net, Model):
        raise ArgumentTypeError(
            "net",
            "be a zerograd model (Network, ConvNetwork or RecurrentNetwork)",
            received(net),
            expected=Model,
            received=type(net),
        )
    return net


def _refuse_changed_parameter(name: str, shape: tuple[int, ...], array: object) -> None:
    requirement = (
        f"be a float64 array (native byte order) of shape {shape}, as when the model was built"
    )
    if type(array) is not np.ndarray or array.dtype != FLOAT64:
        kind = getattr(array, "dtype", None)
        # the attributes name what is wrong: the type (a subclass holding float64, say)
        # or the dtype
        wrong_type = kind is None or kind == FLOAT64
        raise ArgumentTypeError(
            name,
            requirement,
            f"{type(array).__name__}" + (f" of dtype {kind}" if kind is not None else ""),
            expected=np.ndarray if wrong_type else FLOAT64,
            received=type(array) if wrong_type else kind,
        )
    raise ArgumentValueError(
        name, requirement, f"shape {array.shape}", expected=shape, received=array.shape
    )


def _fits(shape: tuple[int, ...], pattern: tuple[int | str, ...]) -> bool:
    """Whether ``shape`` matches ``pattern``: equal ints, and at least 1 where a length is named."""
    return shape == pattern or all(
        size >= 1 if isinstance(want, str) else size == want
        for size, want in zip(shape, pattern, strict=True)
    )


def _layered(arrays: LayerArrays) -> Layered:
    """Arrays keyed by consecutive layer numbers (in any order), as a Layered."""
    first = min(arrays)
    return Layered([arrays[k] for k in range(first, first + len(arrays))], first)


def _every_array(gradients: Gradients) -> Iterator[tuple[str, FloatArray]]:
    """Each parameter gradient, then each raw-activation gradient ``z[k]``, with its name."""
    yield from gradients.arrays()
    yield from ((f"z[{k}]", gradients.z[k]) for k in gradients.z)


def _bounded(trace: ForwardPass, dz: LayerArrays, input_squares: float) -> bool:
    """Whether every parameter gradient is certainly finite, from the deltas and the inputs.

    In every layer type a parameter's gradient is a sum of products of one entry of
    a layer's delta and one of a layer's input (or a sum of delta entries, for a
    bias), so by the Cauchy-Schwarz inequality its entries are at most
    ``|delta| |x|`` in size (norms over the whole batch), and NaN or inf in a delta
    or an input makes that bound NaN or inf. ``input_squares`` is that of ``x[0]``.
    """
    deltas = 0.0
    for delta in dz.values():
        deltas += float(np.vdot(delta, delta))
    inputs = input_squares
    for k in range(1, len(trace.z)):  # x[1], ..., x[K-1]: x[0] is the input, x[K] no layer's
        x = trace.x[k]
        inputs += float(np.vdot(x, x))
    return math.isfinite(deltas * inputs)


def _central_differences(
    theta: FloatArray, step: float, objective: Callable[[], FloatArray], together: int = 0
) -> FloatArray:
    """Central differences of ``objective()`` for every entry of ``theta``, moved in place.

    Each entry is set to ``theta + step`` and ``theta - step`` in turn and put
    back. The first ``together`` axes are moved at once (every sample's entry).
    ``objective()`` returns shape ``(M,)``; the result has shape
    ``(M, *theta.shape[together:])``.
    """
    columns = []
    for entry in np.ndindex(theta.shape[together:]):
        where = (slice(None),) * together + entry
        kept = theta[where].copy()
        theta[where] = kept + step
        up = objective()
        theta[where] = kept - step
        down = objective()
        theta[where] = kept
        columns.append((up - down) / (2.0 * step))
    return np.stack(columns, axis=1).reshape(-1, *theta.shape[together:])


def gradients(
    net: Model,
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    loss: str = "squared_error",
    reduction: str = "sum",
    weight_decay: float = 0.0,
) -> Gradients:
    r"""Gradients of the objective by backpropagation, computed in float64.

    The analytic derivatives (not finite differences), where each activation
    is differentiable at its raw activation, each rounded as float64 rounds
    the products and sums that form it (:mod:`zerograd.rational` says, for
    identity and relu layers under squared error, whether a result is the
    real value; tanh's and sigmoid's slopes, formed from their outputs, lose
    relative accuracy as a unit saturates and are ``0.0`` before the real slope
    is, see :mod:`zerograd.activations`, and so are the output deltas
    :math:`\sigma(z) - y` of binary and :math:`p - y` of softmax cross-entropy
    once the output rounds to its target, from a logit or logit gap of about
    36.7, while the loss keeps :math:`e^{-z}` there); at a raw activation exactly on the
    kink of ``relu`` or ``leaky_relu`` they use the library's slope there (see
    :class:`~zerograd.Gradients`).

    Parameters
    ----------
    net : Network, ConvNetwork or RecurrentNetwork
        The model; its inputs and targets have the shapes it documents.
    x : array_like
        One sample, or a batch with one sample per row: shape ``(n_0,)`` or
        ``(N, n_0)`` for a :class:`~zerograd.Network`.
    y : array_like
        Targets: shape ``(n_K,)`` or ``(N, n_K)`` for a
        :class:`~zerograd.Network`. When one sample's target has shape ``(1,)``
        (one output unit of a dense layer, or of a recurrent readout read at the
        last step), a scalar (one sample) or shape ``(N,)`` (a batch) is
        accepted too. Bools are taken as 0 and 1.
    loss : str
        A key of :data:`zerograd.LOSSES`.
    reduction : {"sum", "mean", "none"}
        For a batch, the gradient of the summed loss, of the mean loss, or of
        each sample's loss (leading batch axis). The per-sample gradients come
        from one vectorised pass with no per-sample loop. The slopes of the
        hidden layers of a :class:`~zerograd.Network` or
        :class:`~zerograd.ConvNetwork` are applied to blocks of samples of
        about 1 MiB each (``zerograd.activations.SLOPE_BLOCK_BYTES``), or of
        one sample where one sample's layer is larger; the
        output layer's slope, where the loss's rule takes one, and the
        recurrent layer's at each step are formed for the whole batch at
        once. Ignored for one sample, where all three agree.
    weight_decay : float
        :math:`\lambda \ge 0`. The objective is the reduced loss plus
        :math:`\tfrac\lambda2` times the sum of the squared Frobenius norms of
        every parameter but the biases (:meth:`Model.weight_penalty`): every
        ``W[k]`` (dense matrix or convolution kernel) and the recurrent ``U[k]``.
        So :math:`\lambda \theta` is added to the gradient of each penalised
        :math:`\theta`; bias and raw-activation gradients are unchanged. The
        penalty is not divided by ``N`` under ``reduction="mean"``, and must be
        0 for a batch with ``reduction="none"``.

    Returns
    -------
    Gradients

    Raises
    ------
    zerograd.ArgumentValueError, zerograd.ArgumentTypeError
        For bad input: shapes, NaN or inf, names, targets the loss cannot
        take, a ``net`` that is not a model, parameters changed to another
        shape or dtype since the model was built, per-sample gradients of a
        batch of two samples or more, of more than 64 MiB and larger than
        the available memory where the operating system reports it (Linux's
        ``/proc/meminfo``, or the free pages of :func:`os.sysconf` where it
        has them; elsewhere, Windows for one, only those beyond the most
        bytes numpy can hold in one array).
    zerograd.NonFiniteError
        If the forward or the backward pass overflows float64. For the
        forward pass the message names the first layer whose raw activation
        is not finite; for the backward pass, which runs from the top layer
        down, it names the output error (``x^(K) - y`` and its slope, scaled
        under ``"mean"`` only after it is formed: each sample's error must fit
        in float64), then the first raw-activation gradient ``z[k]`` that is not
        finite, from ``z[K]`` down (where the overflow began), then the first
        parameter gradient in the order of :meth:`Gradients.arrays` (``W[1]``,
        ``b[1]``, ``W[2]``, ...; a recurrent network's ``U[1]`` comes after
        ``W[1]``). A value formed on the way may overflow where the real
        gradient fits: a sum over samples, positions or steps of terms beyond
        float64's range in total. A relu unit off its kink, whose real slope is
        0, gets a delta of 0 whatever error reached it (at its kink too, where the
        library's slope is 0); a unit whose slope
        underflowed to 0.0 (a saturated tanh or sigmoid) under an error that
        overflowed is reported. If ``weight_decay`` times a penalised
        parameter overflows, the message names that product
        (``weight_decay * W[1]``).

    Examples
    --------
    One sample with :math:`L = \tfrac12 (w x - y)^2`, so
    :math:`\partial L/\partial w = (w x - y)\,x = (3 - 1)\cdot 1.5`:

    >>> from zerograd import Network
    >>> net = Network(W=[[[2.0]]], b=[[0.0]], activations="identity")
    >>> gradients(net, [1.5], [1.0]).W[1]
    array([[3.]])
    >>> batch = gradients(net, [[1.0], [2.0]], [1.0, 1.0], reduction="none")
    >>> batch.b[1]
    array([[1.],
           [3.]])

    With weight decay :math:`\lambda = 0.5` the weight gradient gains
    :math:`\lambda w = 1`:

    >>> gradients(net, [1.5], [1.0], weight_decay=0.5).W[1]
    array([[4.]])
    """
    return check_model(net).gradients(x, y, loss, reduction, weight_decay)


def gradient_norms(
    net: Model, x: npt.ArrayLike, y: npt.ArrayLike, loss: str = "squared_error"
) -> GradientNorms:
    r"""Each sample's gradient norm for every parameter, without an array of every sample's gradients.

    For each sample ``n`` of the batch and each parameter :math:`\theta`
    (``W[k]``, ``b[k]`` and, for a recurrent network, ``U[1]``) this is
    :math:`\lVert \partial \ell_n/\partial \theta \rVert_F`, the Frobenius norm
    (the Euclidean norm, for a bias) of the gradient of sample ``n``'s own loss
    :math:`\ell_n`: the norm of row ``n`` of
    ``gradients(net, x, y, loss, reduction="none")``, with the same arithmetic
    up to rounding. No array of every sample's gradients is formed (for a
    shared weight, either the per-sample gradients or the Gram form's products
    are formed one block of samples at a time, as below), so the memory it
    takes grows with ``N`` times the widths of the layers, as the forward
    pass does, not with ``N`` times the number of parameters:

    * a dense layer: :math:`\lVert \delta_n x_n^\top \rVert_F =
      \lVert \delta_n \rVert\,\lVert x_n \rVert` (Goodfellow, 2015), with
      :math:`\delta_n = \partial \ell_n/\partial z^{(k)}_n` from the backward
      pass and :math:`x_n` the layer's input;
    * a weight shared over positions or steps (a convolution, the recurrent
      layer, a readout read at every step), whose per-sample gradient is
      :math:`G_n = \sum_t \delta_{n,t} u_{n,t}^\top`: the Gram form
      :math:`\lVert G_n \rVert_F^2 = \sum_{t,s} (\delta_{n,t}\cdot\delta_{n,s})
      (u_{n,t}\cdot u_{n,s})`, which needs a ``T x T`` matrix per sample, or
      :math:`G_n` itself, whichever ``zerograd.layers.choose_method`` expects
      to be faster (by operation counts, the Gram form's weighted by
      ``zerograd.layers.GRAM_COST_FACTOR``, a factor fitted to timings). Either is computed
      for one block of samples at a time, so that the scratch memory stays at
      most about the size of the backward pass's :math:`\delta` or 4 MiB
      (``zerograd.layers.BLOCK_BYTES``), whichever is larger, or of one
      sample's scratch where that is larger still (one long sequence, say)
      (``zerograd.layers.shared_weight_norms``); a sample whose Gram terms
      cancel is computed again from :math:`G_n`, in blocks sized for
      :math:`G_n` and for the copy of that sample's :math:`\delta` and input;
    * a bias shared over positions or steps: :math:`\lVert \sum_t \delta_{n,t} \rVert`.

    There is no ``reduction``: the norms are those of each sample's own loss,
    as ``reduction="none"`` defines its gradients, so a sample's norm does not
    depend on the rest of the batch. Under ``reduction="mean"`` sample ``n``
    contributes :math:`\tfrac1N \partial \ell_n/\partial \theta` to the
    gradient, whose norm is these norms divided by ``N``. There is no
    ``weight_decay`` either: the penalty's gradient :math:`\lambda \theta`
    belongs to the whole objective, not to a sample (its norm is
    ``lam * np.linalg.norm(net.W[k])``).

    Accuracy: on the random networks of the three kinds that the tests draw,
    every norm agrees with that of the per-sample gradient to
    :math:`10^{-12}` relative (``tests/test_gradient_norms.py``; the rounding
    estimate behind it is at ``zerograd.layers.GRAM_CONDITION_LIMIT``),
    except where a shared weight's terms
    :math:`\delta_{n,t} u_{n,t}^\top` cancel. There the per-sample gradient
    itself, formed in float64, is only accurate to a few units of
    :math:`\varepsilon S_n` (:math:`\varepsilon = 2^{-52} \approx 2.2 \times 10^{-16}`,
    float64's machine epsilon, as elsewhere on this page;
    :math:`S_n = \sum_t \lVert \delta_{n,t}\rVert\,\lVert u_{n,t}\rVert`),
    which can be far more than :math:`10^{-12}\lVert G_n\rVert`, and summing
    the terms in float64, as numpy and BLAS do, does not get closer in general
    (compensated summation of exact products would): the tests allow
    :math:`10^{-12}\lVert G_n\rVert + 4 \varepsilon S_n`. The Gram form, whose
    error grows with the square of the cancellation, is used only where it
    meets that bound and is replaced by :math:`G_n` elsewhere
    (``zerograd.layers.GRAM_CONDITION_LIMIT``). The norms are formed from sums
    of squares, so the bound also needs what is squared to have a norm above
    about :math:`10^{-154}`: for a dense layer each factor (a sample's
    :math:`\delta_n`, a layer's input, a bias gradient), for a shared weight
    the per-sample gradient :math:`G_n` itself or, in the Gram form, its
    factors. Below that the squares underflow: a norm loses relative accuracy
    (about 1e-8 off at 1e-158, 5 % at 3e-162, too large or too small), and it
    comes out 0 when each entry of a factor is below about 1.6e-162 (each square
    rounds to 0), whatever the norm those entries make, while the per-sample
    gradient is not (above about :math:`10^{154}` it overflows, and the call
    raises, as below).
    In the Gram form a sample whose sum of products overflows or underflows, or
    one of whose steps (or positions) has a term that underflowed to 0 while its
    delta and its input window are not 0, is redone from :math:`G_n`.

    Parameters
    ----------
    net : Network, ConvNetwork or RecurrentNetwork
    x, y : array_like
        One sample and its target, or a batch of each, as for :func:`gradients`.
    loss : str
        A key of :data:`zerograd.LOSSES`.

    Returns
    -------
    GradientNorms
        ``norms.W[k]``, ``norms.b[k]`` (and ``norms.U[1]``): arrays of shape
        ``(N,)``, or of shape ``()`` for one sample without a batch axis.

    Raises
    ------
    zerograd.ArgumentValueError, zerograd.ArgumentTypeError
        For bad input, as :func:`gradients` raises them.
    zerograd.NonFiniteError
        If the forward or backward pass overflows float64, or a norm's
        computation does. Each norm is formed from sums of squares, so what is
        squared must have a norm below about :math:`10^{154}`. For a dense
        layer that is each factor (an error vector :math:`\delta_n`, a layer
        input :math:`x_n`, a bias gradient), so a larger factor is refused even
        where the norm would fit in float64 (unless the other factor is 0: the
        norm, as the sample's gradient row, is then 0), and a norm
        :math:`\lVert \delta_n \rVert\,\lVert x_n \rVert` of two smaller
        factors is returned even above :math:`10^{154}`. A weight shared over
        positions or steps squares :math:`G_n`, or in the Gram form its
        factors' products, so which large factors are refused depends on the
        form ``zerograd.layers.choose_method`` picks; the norm itself must stay
        below about :math:`10^{154}`.

    Examples
    --------
    Two samples with :math:`\ell_n = \tfrac12 (w x_n - y_n)^2`: each sample's
    weight gradient is :math:`(w x_n - y_n)\,x_n`, that is 1 and 6.

    >>> from zerograd import Network
    >>> net = Network(W=[[[2.0]]], b=[[0.0]], activations="identity")
    >>> norms = gradient_norms(net, [[1.0], [2.0]], [1.0, 1.0])
    >>> norms.W[1], norms.b[1]
    (array([1., 6.]), array([1., 3.]))

    Where the samples' gradients point different ways, here 1 and -1.5, the
    summed gradient (-0.5) is smaller than either of them; the norms show what
    the sum hides:

    >>> x, y = [[1.0], [2.0]], [1.0, 4.75]  # errors 1 and -0.75
    >>> norms = gradient_norms(net, x, y)
    >>> norms.W[1], gradients(net, x, y).W[1]
    (array([1. , 1.5]), array([[-0.5]]))

    One sample without a batch axis gives arrays of shape ``()``:

    >>> gradient_norms(net, [1.5], [1.0]).W[1]
    array(3.)
    """
    return check_model(net).gradient_norms(x, y, loss)


def numerical_gradients(
    net: Model,
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    loss: str = "squared_error",
    reduction: str = "sum",
    weight_decay: float = 0.0,
    step: float = DEFAULT_STEP,
) -> Gradients:
    r"""Gradients by central differences, to check :func:`gradients` against.

    Each entry :math:`\theta` of every parameter is moved by :math:`\pm h` and
    the derivative estimated as :math:`(J(\theta + h) - J(\theta - h)) / 2h`,
    where :math:`J` is the objective itself: the reduced loss plus the weight
    penalty for ``"sum"`` and ``"mean"`` (so the penalty's gradient is
    estimated, not assumed), each sample's loss for ``"none"``. Each entry of a
    raw activation :math:`z^{(k)}` is moved the same way (in every sample at
    once: samples do not interact), with each sample's loss differenced and
    scaled by ``1/N`` under ``"mean"``. Only the forward pass runs, so the
    estimate shares no derivative rule with :func:`gradients`.

    The error is of order :math:`h^2 |J'''| / 6` (truncation) plus
    :math:`\varepsilon S / h` (round-off in the two values of :math:`J`,
    :math:`\varepsilon \approx 2.2 \times 10^{-16}`), where :math:`S` is the
    size of the numbers :math:`J` is computed from (parameters, raw
    activations, outputs and targets): :math:`\varepsilon / h \approx 2.2
    \times 10^{-10}` times :math:`S` for the default ``h = 1e-6``. :math:`S` is
    of the order of :math:`|J|` unless :math:`J` is a small difference of
    large numbers: with an output and its target near :math:`10^5` and an
    error of 1, :math:`J = 0.5`, but the round-off is that of numbers near
    :math:`10^5`. When moving a parameter by ``h`` moves a raw
    activation of a ``relu`` or ``leaky_relu`` layer across its kink (a
    raw activation within ``h`` times its rate of change in the parameter,
    ``h`` for a bias and ``h |x_j|`` for a weight that multiplies ``x_j``, or
    further through the layers above), the two evaluations straddle the kink,
    and the estimate is a weighted average of the two one-sided slopes (their
    plain average at the kink itself), so it is not a check of the kink
    convention.

    Parameters
    ----------
    net, x, y, loss, reduction, weight_decay
        As for :func:`gradients`.
    step : float
        The step ``h``. It must move every entry it is added to: at least
        float64's epsilon times the largest absolute parameter or raw
        activation (or times 1, if that is larger), so that
        :math:`\theta + h \ne \theta` for every entry; a smaller step is refused.
        A step so large that the objective at the moved parameters or raw
        activations overflows float64 is refused too.

    Returns
    -------
    Gradients
        The same shapes as :func:`gradients` returns.

    Examples
    --------
    >>> from zerograd import Network
    >>> net = Network.random([3, 4, 2], ["tanh", "identity"], seed=0)
    >>> x, y = [0.1, -0.2, 0.3], [1.0, 0.0]
    >>> exact, estimate = gradients(net, x, y), numerical_gradients(net, x, y)
    >>> bool(np.allclose(exact.W[1], estimate.W[1], rtol=1e-7, atol=1e-9))
    True
    """
    return check_model(net).numerical_gradients(x, y, loss, reduction, weight_decay, step)


def check_gradients(
    net: Model,
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    loss: str = "squared_error",
    reduction: str = "sum",
    weight_decay: float = 0.0,
    step: float = DEFAULT_STEP,
    rtol: float = DEFAULT_RTOL,
    atol: float | None = None,
    directions: Whole | None = None,
    seed: Seed = 0,
) -> None:
    r"""Check :func:`gradients` against central differences; raise if they disagree.

    Without ``directions`` every entry is compared: every parameter gradient
    and every raw-activation gradient ``z[k]`` of :func:`gradients` against
    :func:`numerical_gradients` (two forward passes per entry). With
    ``directions=n``, the parameters are moved together along ``n`` random
    unit directions :math:`v` instead, and the directional derivative
    :math:`\langle \nabla J, v \rangle` is compared with
    :math:`(J(\theta + h v) - J(\theta - h v)) / 2h`: two forward passes per
    direction, whatever the number of parameters, as HIPS autograd's
    ``check_grads`` does. For ``reduction="none"`` each sample's loss is
    checked.

    An entry passes when :math:`|\text{exact} - \text{estimate}| \le
    \text{atol} + \text{rtol}\,|\text{estimate}|`. The tolerances follow the
    estimate's own error, about :math:`h^2 |J'''| / 6` (truncation) plus
    :math:`\varepsilon S / h` (round-off, :math:`\varepsilon \approx 2.2
    \times 10^{-16}`, with :math:`S` the size of the numbers :math:`J` is
    computed from; see :func:`numerical_gradients`). The round-off term
    scales with those numbers, not with the gradient, and the default
    absolute tolerance scales with the objective: ``atol = 1e-8 * max(1, |J|)``
    (:math:`|J|` is the largest sample's loss for ``"none"``), with
    ``rtol = 1e-6`` for the truncation term of large gradients. With the
    default ``h = 1e-6`` the round-off term is :math:`\varepsilon S / h
    \approx 2.2 \times 10^{-10} S`. Where :math:`J` is a small difference of
    large numbers, :math:`S` is far above :math:`|J|`, and correct gradients can
    fail the default check: pass an ``atol`` of about :math:`10^{-8} S`. On the random networks of the three
    kinds that the tests draw, away from kinks (each raw activation of a
    ``relu`` or ``leaky_relu`` layer more than ``1e-4`` from 0, so that no
    difference straddles one), the tests assert that no entry needs more than
    :math:`2 \times 10^{-9} \max(1, |J|)` beyond the relative part, a fifth of
    the default ``atol`` (``tests/test_check_gradients.py``), while a wrong rule (a
    dropped factor, a flipped sign, a forgotten term) moves an entry by a
    sizeable fraction of itself. That fraction is caught only where it exceeds the
    default ``atol``: where :math:`|J|` is far larger than the gradients (squared
    error with errors near :math:`10^9`, whose loss grows as their square and the
    gradients as the errors), :math:`10^{-8} |J|` can exceed every entry, and the
    check cannot fail; pass an ``atol`` on the scale of the gradients there.

    Parameters
    ----------
    net, x, y, loss, reduction, weight_decay
        As for :func:`gradients`.
    step : float
        The step ``h``, as for :func:`numerical_gradients`.
    rtol : float
        Relative tolerance, ``>= 0``.
    atol : float, optional
        Absolute tolerance, ``>= 0``; by default ``1e-8 * max(1, |J|)``.
    directions : int, optional
        Check along this many random directions instead of entry by entry: from
        1 to the number of parameters (as many directions as parameters cost
        about as much as checking every parameter entry).
    seed : int or numpy.random.Generator
        Seed of the random directions.

    Raises
    ------
    zerograd.GradientCheckError
        An :class:`AssertionError` naming the gradient (``"W[1]"``, or
        ``"direction 2"``), the entry, the backpropagated value, the estimate, the error
        and the tolerance, for the entry that exceeds its tolerance the most.
    zerograd.ArgumentValueError, zerograd.ArgumentTypeError
        For bad arguments, as :func:`gradients` and :func:`numerical_gradients`.

    Examples
    --------
    >>> from zerograd import Network
    >>> net = Network.random([3, 4, 2], ["tanh", "identity"], seed=0)
    >>> x, y = [0.1, -0.2, 0.3], [1.0, 0.0]
    >>> check_gradients(net, x, y)  # passes silently
    >>> check_gradients(net, x, y, directions=5, seed=1)
    """
    check_model(net).check_gradients(
        x,
        y,
        loss=loss,
        reduction=reduction,
        weight_decay=weight_decay,
        step=step,
        rtol=rtol,
        atol=atol,
        directions=directions,
        seed=seed,
    )
