r"""The book's worked example and counterexamples, built by construction.

Each function that builds a case returns an :class:`Example`: a network, its
input and its target, chosen so that a property the book discusses holds
exactly in the library's float64 arithmetic, not just up to round-off; the
other two, :func:`zeros_of` and :func:`steepest_zero`, find where an activation
is exactly 0.0. Where exactness rests on floating-point facts (two samples with
equal hidden outputs, a subtraction that cannot round),
:func:`cancelling_batch`, whose hidden activation is an argument, checks them
with the library and raises if they fail. The fixed examples are built from
small dyadic constants, and where the docstrings call their values exact
the tests check it in rational arithmetic (:mod:`zerograd.rational`);
:func:`zero_output_bias_batch` gives a :math:`\delta^{(K)}` of 0.0 by
construction (targets equal to the computed predictions for squared error,
or to their softmax for softmax cross-entropy, or relu's flat side at raw
activations of at most about :math:`-1` in float64), and :func:`weight_only_counterexample` gives a hidden output
:math:`x^{(1)}` of exactly 0.0, and so a zero :math:`\partial L/\partial
W^{(2)}`, by a bias at a point where the activation is exactly 0.0. Their
doctests and the tests assert their properties.

The dense networks have two layers as in the answer the book corrects:
:math:`z^{(1)} = W^{(1)} x^{(0)} + b^{(1)}`, :math:`x^{(1)} = f_1(z^{(1)})`,
:math:`z^{(2)} = W^{(2)} x^{(1)} + b^{(2)}`, :math:`x^{(2)} = f_2(z^{(2)})`,
except :func:`zero_output_bias_batch`, which takes any widths.
:func:`conv_cancelling_positions` and :func:`recurrent_cancelling_steps` are
two-layer convolutional and recurrent networks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar, cast

import numpy as np
import numpy.typing as npt

from zerograd._checks import (
    ArgumentValueError,
    FloatArray,
    as_given,
    as_real_array,
    check_choice,
    check_memory,
    check_seed,
    count_text,
    finite_number,
    read_once,
    short_repr,
    whole_number,
)
from zerograd.activations import ACTIVATIONS, get_activation
from zerograd.conv import ConvNetwork
from zerograd.losses import LOSSES, softmax
from zerograd.model import (
    Gradients,
    Model,
    _no_equality,
    check_model,
    gradients,
    numerical_gradients,
)
from zerograd.network import Network
from zerograd.recurrent import RecurrentNetwork

ZERO_OUTPUT_BIAS_WAYS = ("target", "flat")
"""The ways :func:`zero_output_bias_batch` makes every output-bias gradient zero."""

ZERO_OUTPUT_BIAS_LOSSES = ("squared_error", "softmax_cross_entropy")
"""The losses :func:`zero_output_bias_batch` builds a batch for."""

ZERO_SEARCH_GRID: FloatArray = np.unique(np.append(np.linspace(-1000.0, 1000.0, 400_001), 0.0))
"""Points (spacing 0.005, plus 0.0 itself) where :func:`zeros_of` looks for zeros.

The range reaches far past the points where ``sigmoid``, ``softplus`` and
``silu`` underflow to an exact 0.0 (near -745), so float zeros are found too.

:meta hide-value:
"""

MIRRORED_ERROR = 0.125
"""The error :math:`\\pm d` of the two samples of :func:`cancelling_batch`."""

OPTIMUM_ERRORS = (1.0, -0.5, -0.5, 1.0, -0.5, -0.5)
"""The output errors :math:`e_n = x^{(2)}_n - y_n` of :func:`output_optimum_batch`."""


_ModelT = TypeVar("_ModelT", bound=Model)  # the kind of network an Example holds


class Setting(NamedTuple):
    """The loss of an :class:`Example` and its network's activations, layer by layer.

    A premise a page relies on (a rational recomputation holds for squared
    error and identity or relu layers, a delta rule for one output activation)
    can then be asserted in one comparison, and shown whole when it fails:
    ``assert case.setting == ("squared_error", ("relu", "identity")), case.setting``.

    Attributes
    ----------
    loss : str
        A key of :data:`zerograd.LOSSES`.
    activations : tuple of str
        ``net.activations``: one name per layer, the output layer's last.
    """

    loss: str
    activations: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Example(Generic[_ModelT]):
    """A network with the inputs and targets of one worked case.

    Attributes
    ----------
    net : Model
        A :class:`~zerograd.Network`, or for two of the examples a
        :class:`~zerograd.ConvNetwork` or :class:`~zerograd.RecurrentNetwork`.
    x : ndarray
        One sample, or a batch with one sample per row: shape ``(n_0,)`` or
        ``(N, n_0)`` for a dense network, ``(C_0, T_0)`` for a convolution
        and ``(T, n_0)`` for a sequence (see :attr:`zerograd.Model.sample_shape`).
    y : ndarray
        The targets, one row per sample for a batch.
    loss : str
        The loss the case is about, a key of :data:`zerograd.LOSSES`.
    """

    net: _ModelT
    x: FloatArray
    y: FloatArray
    loss: str = "squared_error"

    __eq__ = _no_equality
    __hash__ = None  # type: ignore[assignment]

    @property
    def setting(self) -> Setting:
        """The case's loss and its network's activations (:class:`Setting`).

        Raises
        ------
        zerograd.ArgumentTypeError
            If ``net`` is not a model, or ``loss`` not a str, as :meth:`gradients` does.
        zerograd.ArgumentValueError
            If ``loss`` is not a key of :data:`zerograd.LOSSES`.
        """
        loss = check_choice(self.loss, LOSSES, "loss")
        return Setting(loss, check_model(self.net).activations)

    def gradients(self, reduction: str = "sum", *, weight_decay: float = 0.0) -> Gradients:
        """The gradients of this case, by :func:`zerograd.gradients` with its loss."""
        return gradients(
            self.net, self.x, self.y, loss=self.loss, reduction=reduction,
            weight_decay=weight_decay,
        )  # fmt: skip

    def numerical_gradients(
        self, reduction: str = "sum", *, weight_decay: float = 0.0
    ) -> Gradients:
        """Central-difference gradients, by :func:`zerograd.numerical_gradients` with its loss."""
        return numerical_gradients(
            self.net, self.x, self.y, loss=self.loss, reduction=reduction,
            weight_decay=weight_decay,
        )  # fmt: skip

    def prediction(self) -> FloatArray:
        """The network's output :math:`x^{(K)}`, ``net.forward(x).x[K]``.

        Its shape is ``(n_K,)`` or ``(N, n_K)`` for a dense network, ``(C_K, T_K)``
        for a convolution, and ``(T, n_2)`` for a sequence, one row per step,
        whichever steps the loss reads.
        """
        net = check_model(self.net)  # as gradients() does, so that net is named
        return net.forward(self.x).x[net.K]


def worked_example(
    target: float = 1.75,
    output_activation: str = "identity",
    output_bias: float = 0.25,
) -> Example[Network]:
    r"""The book's worked example: a 2-3-1 network with a relu hidden layer.

    Every weight, bias and input is a small dyadic number (a few significant
    bits), so with an ``identity`` or ``relu`` output and a ``target`` and
    ``output_bias`` that are small dyadic numbers too (the defaults, and the
    cases below; not 0.1, say) every value of the forward and backward pass is
    exact in float64 and can be checked by hand: :math:`W^{(1)}` has the rows
    :math:`(1, -1)`, :math:`(0.5, 2)` and :math:`(-1, 0.5)`, :math:`b^{(1)} = (0.5, -1, 0)`,
    :math:`W^{(2)} = (1, -0.5, 2)` and :math:`x^{(0)} = (2, 1)`. The third
    hidden unit is off (:math:`z^{(1)}_3 < 0`) although its output weight is
    not zero. With the defaults :math:`z^{(1)} = (1.5, 2, -1.5)`,
    :math:`x^{(1)} = (1.5, 2, 0)`, :math:`x^{(2)} = 0.75` and
    :math:`\delta^{(2)} = x^{(2)} - y = -1`.

    Parameters
    ----------
    target : float
        The target :math:`y`. ``target=0.75`` (the prediction) makes every
        gradient zero.
    output_activation : str
        :math:`f_2`. With ``"relu"`` and ``output_bias=-0.5`` the output raw
        activation is exactly 0, the kink; with ``output_bias=-1.25`` it is
        -0.75, in relu's flat region.
    output_bias : float
        :math:`b^{(2)}`; the output raw activation is ``0.5 + output_bias``.

    Returns
    -------
    Example
        One sample: ``x`` of shape (2,), ``y`` of shape (1,).

    Raises
    ------
    TypeError
        For a ``target`` or ``output_bias`` that is not a real number (an array
        of one entry is refused too), or an ``output_activation`` that is not a
        str.
    ValueError
        For a ``target`` or ``output_bias`` that is NaN, infinite or beyond
        float64's range, or an unknown ``output_activation``.

    Examples
    --------
    >>> case = worked_example()
    >>> case.prediction()
    array([0.75])
    >>> case.gradients().b[2]
    array([-1.])
    >>> worked_example(target=0.75).gradients().all_zero()
    True
    """
    # Checked here, so that the error names the argument given and not y, b[2] or
    # activations[1].
    check_choice(output_activation, ACTIVATIONS, "output_activation")
    y = np.array([finite_number(target, "target")])
    b2 = np.array([finite_number(output_bias, "output_bias")])
    net = Network(
        W=[[[1.0, -1.0], [0.5, 2.0], [-1.0, 0.5]], [[1.0, -0.5, 2.0]]],
        b=[[0.5, -1.0, 0.0], b2],
        activations=["relu", output_activation],
    )
    return Example(net, np.array([2.0, 1.0]), y)


def zero_output_bias_batch(
    sizes: Sequence[int],
    activations: Sequence[str],
    way: str = "target",
    n_samples: int = 64,
    seed: int = 0,
    loss: str = "squared_error",
) -> Example[Network]:
    r"""A random network and batch in which every sample's :math:`\delta^{(K)}` is 0.

    Each sample's gradient is the gradient of a one-sample problem, so the
    batch holds ``n_samples`` single-sample cases that
    ``reduction="none"`` checks in one vectorised pass. The zeros are those of
    the batched forward pass: with ``way="target"``, a one-sample call on
    ``(x[n], y[n])`` can round the prediction differently and need not give
    :math:`\delta^{(K)} = 0.0`.

    Parameters
    ----------
    sizes : sequence of int
        ``(n_0, ..., n_K)`` for :meth:`zerograd.Network.random`.
    activations : sequence of str
        One activation per layer.
    way : {"target", "flat"}
        ``"target"``: the target is the prediction, :math:`y = x^{(K)}` for
        squared error and :math:`y = \operatorname{softmax}(x^{(K)})` for
        softmax cross-entropy, so the loss's rule, applied by the library to
        the same float64 numbers, gives
        :math:`\delta^{(K)} = f_K'(z^{(K)}) \odot 0 = 0.0`. That is a float64
        zero: in exact arithmetic the real :math:`\delta^{(K)}` at these
        parameters need not be 0, as it carries the rounding error of the
        computed prediction (for softmax cross-entropy, of its float softmax,
        whose entries, as rationals, need not sum to 1); it is 0 where a relu
        output is below its kink. ``"flat"``: the output
        activation must be ``relu``; the output bias is lowered to
        :math:`b^{(K)}_j = -(1 + \max_n |(W^{(K)} x^{(K-1)}_n)_j|)`, so that
        every sample's :math:`z^{(K)}` is at most :math:`-1` up to rounding
        (a few units in the last place), well below 0, where
        :math:`\operatorname{relu}' = 0`; the other parameters are those of
        ``"target"`` with the same seed, and the targets are random.
    n_samples : int
        Batch size ``N``.
    seed : int or numpy.random.Generator
        Seed of the weights, inputs and (for ``"flat"``) targets, or the generator
        that draws them.
    loss : {"squared_error", "softmax_cross_entropy"}
        The loss; ``"softmax_cross_entropy"`` only with ``"target"`` and two
        output units or more, as that loss needs.

    Returns
    -------
    Example
        ``x`` of shape (N, n_0), ``y`` of shape (N, n_K).

    Raises
    ------
    ValueError
        For an unknown ``way`` or ``loss``, for ``"flat"`` without a relu
        output or with a loss other than squared error, for softmax
        cross-entropy with one output unit, and for an
        ``n_samples`` whose batch and forward pass would take more than 64 MiB
        and more than the available memory (where the operating system
        reports it), or more than numpy can index; and for an ``n_samples``
        below 1, a negative ``seed``, and ``sizes`` or ``activations`` that
        :meth:`zerograd.Network.random` refuses (fewer than 2 sizes, a width of 0, an
        unknown activation, a count of names that does not match the layers).
    TypeError
        For an argument of the wrong kind: ``way``, ``loss`` or an activation
        name that is not a str, ``sizes`` that are not a sequence of ints, an
        ``n_samples`` that is not an int, a ``seed`` that is neither an int nor a
        ``numpy.random.Generator`` (a bool is not an int).

    Examples
    --------
    >>> case = zero_output_bias_batch(
    ...     [2, 3, 1], ["tanh", "relu"], way="flat", seed=1
    ... )
    >>> bool((case.net.forward(case.x).z[2] < 0).all())
    True
    >>> case.gradients(reduction="none").all_zero()
    True
    """
    check_choice(way, ZERO_OUTPUT_BIAS_WAYS, "way")
    check_choice(loss, ZERO_OUTPUT_BIAS_LOSSES, "loss")
    # way, loss and a known output name before sizes, where the names fit the layers
    # (another count is for Network.random to refuse): no sizes make 'flat' fit another
    # loss or output
    given = activations[-1] if _is_name_list(activations) else activations
    fits = isinstance(activations, str) or (
        _is_name_list(activations)
        and isinstance(sizes, list | tuple)
        and len(sizes) - 1 == len(activations)
    )
    if way == "flat" and fits and isinstance(given, str) and given in ACTIVATIONS:
        _refuse_flat(str(given), loss)
    count = whole_number(n_samples, "n_samples", minimum=1)
    rng = np.random.default_rng(check_seed(seed))
    net = Network.random(sizes, activations, seed=rng)
    if way == "flat":
        _refuse_flat(net.activations[-1], loss)
    if loss == "softmax_cross_entropy" and net.sizes[-1] < 2:
        raise ArgumentValueError(
            "sizes",
            "end in 2 output units or more for softmax_cross_entropy",
            f"{net.sizes[-1]} output unit",
            expected=2,
            received=net.sizes[-1],
        )
    # x, the forward pass's copy of it, each layer's z and x, and y
    per_sample = 2 * net.sizes[0] + 2 * sum(net.sizes[1:]) + net.sizes[-1]
    check_memory(8 * count * per_sample, "n_samples", f"a batch of {count_text(count)} samples")
    x = rng.normal(size=(count, net.sizes[0]))
    K = net.K
    trace = net.forward(x)
    if way == "target":
        y = softmax(trace.x[K]) if loss == "softmax_cross_entropy" else trace.x[K]
        return Example(net, x, y, loss)
    without_bias = trace.z[K] - net.b[K]
    # A margin of 1 keeps every z^(K) clearly below 0 despite rounding.
    lowered = -(np.abs(without_bias).max(axis=0) + 1.0)
    biases = [net.b[k] for k in range(1, K)] + [lowered]
    return Example(net.replace(b=biases), x, rng.normal(size=(count, net.sizes[-1])))


def _is_name_list(activations: object) -> bool:
    """Whether ``activations`` is a non-empty list or tuple whose last entry is a str."""
    return (
        isinstance(activations, list | tuple)
        and len(activations) > 0
        and isinstance(activations[-1], str)
    )


def _refuse_flat(output: str, loss: str) -> None:
    """Refuse ``way='flat'`` unless the output is relu and the loss squared error.

    With a relu output, the loss is the argument to change ('target' may not fit it
    either: softmax cross-entropy needs two output units); otherwise ``way``.
    """
    if output == "relu" and loss != "squared_error":
        raise ArgumentValueError(
            "loss",
            "be 'squared_error' for way='flat'",
            repr(loss),
            expected="squared_error",
            received=loss,
        )
    if output != "relu":
        raise ArgumentValueError(
            "way",
            "be 'target' unless the output is 'relu' and the loss squared_error ('flat')",
            f"'flat' with output {output!r} and loss {loss!r}",
            expected=("relu", "squared_error"),
            received=(output, loss),
        )


def zeros_of(activation: str, candidates: npt.ArrayLike | None = None) -> FloatArray:
    r"""The candidate points :math:`z` where the activation is exactly 0.0 in float64.

    Parameters
    ----------
    activation : str
        A key of :data:`zerograd.ACTIVATIONS`.
    candidates : array_like, shape (M,), optional
        Where to look; :data:`ZERO_SEARCH_GRID` by default.

    Returns
    -------
    ndarray, shape (m,)
        The candidates with :math:`f(z) = 0` exactly, in increasing order.

    Raises
    ------
    ValueError
        If ``activation`` is not a key of :data:`zerograd.ACTIVATIONS`, or
        ``candidates`` is not one-dimensional, holds NaN or inf, or holds a number
        that float64 would round (a long double, an int beyond 2**53): a zero is
        reported at a value the caller gave, never at its rounding.
    TypeError
        If ``activation`` is not a str, or ``candidates`` does not hold real numbers.

    Examples
    --------
    >>> zeros_of("tanh")
    array([0.])
    >>> zeros_of("relu", [-1.0, 0.0, 1.0])
    array([-1.,  0.])
    >>> bool(zeros_of("sigmoid").max() < -700)
    True
    """
    f = ACTIVATIONS[check_choice(activation, ACTIVATIONS, "activation")]  # names activation
    if candidates is not None:  # read twice below, for the check and the caller's numbers
        candidates = cast("npt.ArrayLike", read_once(candidates))
    points = ZERO_SEARCH_GRID if candidates is None else as_real_array(candidates, "candidates")
    if points.ndim != 1:
        raise ArgumentValueError(
            "candidates", "have shape (M,)", f"shape {points.shape}", expected=1,
            received=points.shape,
        )  # fmt: skip
    if candidates is not None:
        # the caller's own numbers: numpy rounds the ints of a list it reads as float64
        given = np.asarray(candidates, dtype=object)
        _refuse_rounded(given.tolist(), points.tolist())
    points = np.sort(points)
    # exp underflows on the grid's far end, as it should: those 0.0 are the zeros sought,
    # and a caller's np.seterr must not turn them into an error or a warning
    with np.errstate(under="ignore"):
        zeros: FloatArray = points[f.f(points) == 0.0]
    return zeros


def _refuse_rounded(given: list[object], floats: list[float]) -> None:
    """Raise if a candidate as given differs from its float64 value.

    ``given`` holds the caller's own objects: numpy rounds the ints of a list that
    mixes them with floats. Python compares an int, and numpy a long double, with a
    float exactly.
    """
    for index, value in enumerate(given):
        exact = as_given(value)
        if floats[index] != exact:
            raise ArgumentValueError(
                "candidates", "hold numbers float64 holds exactly",
                f"{short_repr(exact)} at index {index}, {floats[index]!r} in float64",
                expected="float64 values", received=exact,
            )  # fmt: skip


def steepest_zero(activation: str) -> float:
    r"""The zero of the activation where :math:`|f'|` is largest.

    Ties (relu's whole flat half, or the underflow region of ``sigmoid``)
    go to the zero nearest to 0.

    Returns
    -------
    float
        A point of :func:`zeros_of` ``(activation)``.

    Raises
    ------
    ValueError
        If the activation is not a known name, or has no zero on
        :data:`ZERO_SEARCH_GRID`.
    TypeError
        If ``activation`` is not a str.

    Examples
    --------
    >>> steepest_zero("leaky_relu"), steepest_zero("relu")
    (0.0, 0.0)
    """
    zeros = zeros_of(activation)
    if zeros.size == 0:
        raise ArgumentValueError(
            "activation", "have a zero on ZERO_SEARCH_GRID", repr(activation),
            expected="a zero", received=activation,
        )  # fmt: skip
    with np.errstate(under="ignore"):  # as in zeros_of: an underflow to 0.0 is expected
        slopes = np.abs(get_activation(activation).df(zeros))
    best = zeros[slopes == slopes.max()]
    return float(best[np.argmin(np.abs(best))])


def weight_only_counterexample(activation: str = "tanh") -> Example[Network]:
    r"""A 2-2-1 case whose output-weight gradient is 0 because :math:`x^{(1)} = 0`.

    The input :math:`x^{(0)} = (1, 2)` lies in the null space of
    :math:`W^{(1)}`, so :math:`z^{(1)} = b^{(1)} = (z_0, z_0)` with
    :math:`z_0` = :func:`steepest_zero` ``(activation)``, and
    :math:`x^{(1)} = f_1(z_0) = 0` in float64, and in exact arithmetic too
    (:math:`z^{(1)} = (z_0, z_0)` exactly; the tests check it in rational
    arithmetic) except for sigmoid and softplus, whose :math:`z_0` is where
    :math:`e^{z_0}` underflows (in exact arithmetic :math:`f_1(z_0) > 0`
    there, so for them the case holds in float64 alone). The output is then
    :math:`x^{(2)} = b^{(2)} = 0.5` and the target 1.5 gives
    :math:`\delta^{(2)} = -1`. The hidden gradients are
    :math:`\delta^{(1)} = f_1'(z_0)\,W^{(2)\top}\delta^{(2)}`: not zero for
    tanh, identity and silu; not zero for leaky_relu and zero for relu, where
    :math:`z_0 = 0` is the kink and the values rest on the library's slope
    conventions there (0.01 and 0), not on a derivative; zero in float64 for
    sigmoid and softplus, whose slope at :math:`z_0` underflows to 0 as well.

    Parameters
    ----------
    activation : str
        The hidden activation :math:`f_1`; the output is ``identity``.

    Returns
    -------
    Example
        One sample: ``x`` of shape (2,), ``y`` of shape (1,).

    Raises
    ------
    ValueError, TypeError
        For an ``activation`` that :func:`steepest_zero` refuses.

    Examples
    --------
    >>> g = weight_only_counterexample("tanh").gradients()
    >>> g.W[2], g.b[1]
    (array([[0., 0.]]), array([-1.,  2.]))
    """
    # W^(1) x^(0) = 0 is exact (small integers), so z^(1) = (z_0, z_0) exactly, and
    # f_1(z_0) == 0.0 exactly because zeros_of kept only points where f is 0.0.
    z_0 = steepest_zero(activation)
    net = Network(
        W=[[[2.0, -1.0], [1.0, -0.5]], [[1.0, -2.0]]],
        b=[[z_0, z_0], [0.5]],
        activations=[activation, "identity"],
    )
    return Example(net, np.array([1.0, 2.0]), np.array([1.5]))


def cancelling_batch(hidden: str = "tanh") -> Example[Network]:
    r"""Two samples whose output-layer gradients, as zerograd computes them, sum to 0.0.

    :math:`W^{(1)}` has the rows :math:`(1, 1, 0)` and :math:`(0, 1, 1)`,
    :math:`b^{(1)} = (0.25, 0)`, :math:`W^{(2)} = (0.5, -0.25)` and
    :math:`b^{(2)} = 1.25`. The first input is :math:`(0.5, 0, 0.25)` and the
    second adds :math:`v = (1, -1, 1)`, a null vector of :math:`W^{(1)}`, so
    both samples have the same :math:`z^{(1)} = (0.75, 0.25)`, the same
    :math:`x^{(1)}` and the same prediction :math:`p`. Their targets are
    :math:`p \mp d` with :math:`d` = :data:`MIRRORED_ERROR`, where :math:`p`
    is zerograd's float64 prediction, so zerograd's
    :math:`\delta^{(2)}_1 = d` and :math:`\delta^{(2)}_2 = -d` (the output is
    ``identity``). Summed over the batch,
    :math:`\partial L/\partial b^{(2)} = d - d` and
    :math:`\partial L/\partial W^{(2)} = d\,x^{(1)\top} - d\,x^{(1)\top}` are
    0.0, while :math:`\partial L/\partial W^{(1)} = \delta^{(1)}_1 (x^{(0)}_1 -
    x^{(0)}_2)^\top = -\delta^{(1)}_1 v^\top \neq 0`. With an ``identity`` or
    ``relu`` hidden layer float64 computes :math:`p` and every gradient without
    rounding, so these are the real values (the tests check it in rational
    arithmetic), and so with ``leaky_relu``, which is the identity on these
    positive :math:`z^{(1)}` (the tests check that its values are identity's,
    bit for bit); with ``tanh``, ``sigmoid``, ``softplus`` and ``silu``
    :math:`p` is a rounding of the real prediction, and the real summed
    gradients need not be zero (the book's batch page computes one that is
    not).

    Parameters
    ----------
    hidden : str
        The hidden activation :math:`f_1`; any activation works, ``identity``
        included, because every :math:`f_1'(z^{(1)})` here is non-zero.

    Returns
    -------
    Example
        ``x`` of shape (2, 3), ``y`` of shape (2, 1).

    Raises
    ------
    TypeError
        If ``hidden`` is not a str.
    ValueError
        If ``hidden`` is not the name of one of the library's activations, if
        the two samples' hidden outputs :math:`x^{(1)}` are not equal (the
        output-weight gradient would not cancel), or the mirrored errors do not
        come out exactly as :math:`\pm d` (the prediction left the interval
        where :math:`p \pm d` is exact).

    Examples
    --------
    >>> g = cancelling_batch("identity").gradients()
    >>> g.W[2], g.b[2]
    (array([[0., 0.]]), array([0.]))
    >>> bool(np.any(g.W[1]))
    True
    """
    check_choice(hidden, ACTIVATIONS, "hidden")  # so that the error names hidden
    net = Network(
        W=[[[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]], [[0.5, -0.25]]],
        b=[[0.25, 0.0], [1.25]],
        activations=[hidden, "identity"],
    )
    first = np.array([0.5, 0.0, 0.25])
    x = np.stack([first, first + np.array([1.0, -1.0, 1.0])])
    trace = net.forward(x)
    hidden_outputs = trace.x[1]
    if not np.array_equal(hidden_outputs[0], hidden_outputs[1]):  # d x1 - d x1 needs one x1
        raise ArgumentValueError(
            "hidden",
            "give both samples the same hidden output x^(1)",
            f"x^(1) = {hidden_outputs.tolist()} for {hidden!r}",
            expected="equal rows",
            received=hidden,
        )
    prediction = trace.x[2]
    y = prediction - np.array([[MIRRORED_ERROR], [-MIRRORED_ERROR]])
    errors = (prediction - y)[:, 0]
    if not (errors[0] == MIRRORED_ERROR and errors[1] == -MIRRORED_ERROR):
        raise ArgumentValueError(
            "hidden",
            f"give errors of exactly +-{MIRRORED_ERROR} (a prediction where p -+ d is exact)",
            f"errors {errors} for {hidden!r}",
            expected=MIRRORED_ERROR,
            received=hidden,
        )
    return Example(net, x, y)


def cancelling_batch_full_rank() -> Example[Network]:
    r"""Four samples whose output-layer gradients cancel, with an invertible :math:`W^{(1)}`.

    The hidden layer is relu with :math:`W^{(1)} = I`, :math:`b^{(1)} = 0`,
    the output is identity with :math:`W^{(2)} = (1, -0.5)`,
    :math:`b^{(2)} = 0.25`. The inputs :math:`(1, -1), (-1, 1), (1, 1), (-1, -1)`
    are the raw activations :math:`z^{(1)}`, every entry :math:`\pm 1`, away from
    relu's kink at 0, so every gradient below is a derivative (central
    differences agree), not a convention. They give the hidden outputs
    :math:`(1, 0), (0, 1), (1, 1), (0, 0)`. The targets make the errors
    :math:`\delta^{(2)} = (e, e, -e, -e)` with :math:`e = 0.5`, which solve both
    :math:`\sum_n \delta^{(2)}_n = 0` (the output bias) and
    :math:`\sum_n \delta^{(2)}_n x^{(1)}_n = 0` (the output weights). Relu
    switches off one hidden unit of the first two samples and both units of
    the fourth, so the hidden weight gradient
    :math:`\sum_n \delta^{(1)}_n x^{(0)\top}_n`, with the rows :math:`(0, -1)` and
    :math:`(0.5, 0)`, does not cancel. These are the gradients of its summed
    squared error with no weight penalty (:meth:`Example.gradients` with its
    defaults); in exact arithmetic, a linear network with a scalar output and an
    invertible :math:`W^{(1)}` cannot do this (see the book's page on batches).

    Returns
    -------
    Example
        ``x`` of shape (4, 2), ``y`` of shape (4, 1); every number is dyadic,
        so every gradient is exact.

    Examples
    --------
    >>> g = cancelling_batch_full_rank().gradients()
    >>> g.W[2], g.b[2]
    (array([[0., 0.]]), array([0.]))
    >>> g.W[1], g.b[1]
    (array([[ 0. , -1. ],
           [ 0.5,  0. ]]), array([0., 0.]))
    """
    net = Network(
        W=[[[1.0, 0.0], [0.0, 1.0]], [[1.0, -0.5]]],
        b=[[0.0, 0.0], [0.25]],
        activations=["relu", "identity"],
    )
    x = np.array([[1.0, -1.0], [-1.0, 1.0], [1.0, 1.0], [-1.0, -1.0]])
    errors = np.array([[0.5], [0.5], [-0.5], [-0.5]])
    return Example(net, x, net.forward(x).x[2] - errors)


def output_optimum_batch() -> Example[Network]:
    r"""Six samples at their output layer's optimum, where the hidden gradients are not zero.

    The hidden layer is relu with :math:`W^{(1)} = I` and :math:`b^{(1)} = 0`,
    so :math:`z^{(1)}_n = x^{(0)}_n`; the output is identity with
    :math:`W^{(2)} = (1, -0.5)` and :math:`b^{(2)} = 0.25`; the loss is squared
    error. The inputs :math:`(1, -1)`, :math:`(2, -0.5)`, :math:`(-1, -1)`,
    :math:`(-1, 1)`, :math:`(-0.5, 2)` and :math:`(-0.5, -2)` have no zero
    entry, so no raw activation sits on relu's kink, and give the hidden
    outputs :math:`(1, 0)`, :math:`(2, 0)`, :math:`(0, 0)`, :math:`(0, 1)`,
    :math:`(0, 2)` and :math:`(0, 0)`: both hidden units are off for the third
    and the sixth sample.
    The targets are the predictions minus the errors :math:`e` =
    :data:`OPTIMUM_ERRORS`, so :math:`\delta^{(2)}_n = e_n`. The errors sum to
    zero and are orthogonal to the outputs of each hidden unit over the batch,
    :math:`(1, 2, 0, 0, 0, 0)` and :math:`(0, 0, 0, 1, 2, 0)`. These are the
    normal equations of least squares: the output layer's batch gradients
    :math:`\sum_n e_n x^{(1)\top}_n` and :math:`\sum_n e_n` are zero, and with
    the hidden layer frozen the output layer is at its optimum, which is
    unique because the rows :math:`(x^{(1)}_n, 1)` span :math:`\mathbb R^3`.
    The hidden layer's gradient, with
    :math:`\delta^{(1)}_n = \operatorname{relu}'(z^{(1)}_n) \odot W^{(2)\top} e_n`,
    weighs the samples differently and is not zero:
    :math:`\partial L/\partial W^{(1)}` has the rows :math:`(0, -0.75)` and
    :math:`(0.375, 0)`, and :math:`\partial L/\partial b^{(1)} = (0.5, -0.25)`.

    Returns
    -------
    Example
        ``x`` of shape (6, 2), ``y`` of shape (6, 1); every number is dyadic,
        so the forward pass, the errors and the gradients are exact in float64.

    Examples
    --------
    >>> case = output_optimum_batch()
    >>> g = case.gradients()
    >>> g.W[2], g.b[2]
    (array([[0., 0.]]), array([0.]))
    >>> g.W[1], g.b[1]
    (array([[ 0.   , -0.75 ],
           [ 0.375,  0.   ]]), array([ 0.5 , -0.25]))
    >>> bool(np.all(g.z[2][:, 0] == OPTIMUM_ERRORS))
    True
    """
    net = Network(
        W=[[[1.0, 0.0], [0.0, 1.0]], [[1.0, -0.5]]],
        b=[[0.0, 0.0], [0.25]],
        activations=["relu", "identity"],
    )
    x = np.array([[1.0, -1.0], [2.0, -0.5], [-1.0, -1.0], [-1.0, 1.0], [-0.5, 2.0], [-0.5, -2.0]])
    errors = np.array(OPTIMUM_ERRORS)[:, np.newaxis]
    return Example(net, x, net.forward(x).x[2] - errors)


CANCELLING_POSITION_ERRORS = (-0.5, -0.5, 0.5, 0.5)
"""The output errors of :func:`conv_cancelling_positions`, one per output position."""

CANCELLING_STEP_ERRORS = (-1.5, 0.5, 1.0)
"""The output errors of :func:`recurrent_cancelling_steps`, one per step."""


def conv_cancelling_positions() -> Example[ConvNetwork]:
    r"""One sample of a convolution whose output layer's gradients are zero, and layer 1's not.

    Two convolution layers with one channel and kernel width 2: relu with the
    kernel :math:`(1, \tfrac12)` and bias 0, then identity with the kernel
    :math:`(1, -\tfrac12)` and bias :math:`\tfrac14`. The input of length 6,
    :math:`(\tfrac58, -\tfrac14, \tfrac32, -1, 1, 1)`, gives the raw
    activations :math:`z^{(1)} = (\tfrac12, \tfrac12, 1, -\tfrac12, \tfrac32)`,
    each at least :math:`\tfrac12` away from relu's kink, and four output
    positions. The target is the prediction minus the errors
    :data:`CANCELLING_POSITION_ERRORS`, so :math:`\delta^{(2)}_t` is
    :math:`(-\tfrac12, -\tfrac12, \tfrac12, \tfrac12)`. The output bias and
    kernel are shared by the four positions, and their gradients
    :math:`\sum_t \delta^{(2)}_t` and
    :math:`\sum_t \delta^{(2)}_t (x^{(1)}_t, x^{(1)}_{t+1})` are zero, while
    layer 1's are not: with a convolution output layer of several positions,
    zero output-layer gradients of one sample do not make the layers below
    zero.

    Returns
    -------
    Example
        ``x`` of shape (1, 6) (one channel of length 6) and ``y`` of shape
        (1, 4); every number is dyadic, so every gradient is exact.

    Examples
    --------
    >>> g = conv_cancelling_positions().gradients()
    >>> g.W[2], g.b[2]
    (array([[[0., 0.]]]), array([0.]))
    >>> g.W[1], g.b[1]
    (array([[[ 0.625, -1.25 ]]]), array([-0.25]))
    """
    net = ConvNetwork(
        W=[[[[1.0, 0.5]]], [[[1.0, -0.5]]]],
        b=[[0.0], [0.25]],
        activations=["relu", "identity"],
        length=6,
    )
    x = np.array([[0.625, -0.25, 1.5, -1.0, 1.0, 1.0]])
    errors = np.array([CANCELLING_POSITION_ERRORS])
    return Example(net, x, net.forward(x).x[2] - errors)


def recurrent_cancelling_steps() -> Example[RecurrentNetwork]:
    r"""One sequence read at every step, whose readout gradients are zero, and layer 1's not.

    An Elman network with one identity unit, :math:`W^{(1)} = 1`,
    :math:`U^{(1)} = \tfrac12`, :math:`b^{(1)} = \tfrac12`, and an identity
    readout with :math:`W^{(2)} = 1` and :math:`b^{(2)} = 0`, read at each of
    three steps (``output="every"``). The inputs
    :math:`(\tfrac12, 1, -1)` give the states :math:`(1, 2, \tfrac12)`. The
    targets are the predictions minus the errors
    :data:`CANCELLING_STEP_ERRORS`, :math:`(-\tfrac32, \tfrac12, 1)`, which
    sum to zero and are orthogonal to the states, so the readout's gradients
    :math:`\sum_t \delta^{(2)}_t` and :math:`\sum_t \delta^{(2)}_t x^{(1)}_t`
    are zero, while the recurrent layer's are not.

    Returns
    -------
    Example
        ``x`` and ``y`` of shape (3, 1), one row per step; every number is
        dyadic, so every gradient is exact.

    Examples
    --------
    >>> g = recurrent_cancelling_steps().gradients()
    >>> g.W[2], g.b[2]
    (array([[0.]]), array([0.]))
    >>> g.W[1], g.U[1], g.b[1]
    (array([[-0.5]]), array([[3.]]), array([1.]))
    """
    net = RecurrentNetwork(
        W=[[[1.0]], [[1.0]]],
        U=[[0.5]],
        b=[[0.5], [0.0]],
        activations="identity",
        output="every",
    )
    x = np.array([[0.5], [1.0], [-1.0]])
    errors = np.array(CANCELLING_STEP_ERRORS)[:, np.newaxis]
    return Example(net, x, net.forward(x).x[2] - errors)
