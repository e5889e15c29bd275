r"""Exact rational forward passes and backpropagation, to show where float64 did not round.

A float64 number is a rational number, so a forward pass through identity
and relu layers, and backpropagation of squared error through them
(:func:`exact_gradients`, :func:`gradients_are_exact`), can be redone
without rounding by Python's :class:`fractions.Fraction`. Where every raw activation and output of the
library's float64 pass equals the rational one, float64 computed the pass
exactly: a raw activation the book compares with ``0.0`` is then the real
one, and so is the output :math:`x^{(K)}` (the error :math:`x^{(K)} - y`
the library computes from it is one more float64 subtraction, which a page
checks with ``exact_forward(net, x).x[K] - fractions_of(y)``). The book's
pages use this to back the word "exact" (``forward_is_exact``); the check is
independent of the library's forward rules, which it only compares with.

Only ``identity`` and ``relu`` are computed: the other activations
(``tanh``, ``sigmoid``, ...) have irrational values at most rational points,
and ``leaky_relu``'s slope 0.01 is itself not a float64 number, so float64
rounds nearly every product with it.

Examples
--------
Quarters have few bits, so float64 adds and multiplies them exactly; at
the second input the raw activation is half of the float64 nearest 0.1
plus a quarter, a sum that needs 55 bits, and float64 rounds it:

>>> import numpy as np
>>> from zerograd import Network
>>> net = Network(W=[[[0.5, -0.25]], [[2.0]]], b=[[0.25], [0.0]],
...               activations=["relu", "identity"])
>>> exact_forward(net, [1.0, 1.0]).x[2]
array([Fraction(1, 1)], dtype=object)
>>> forward_is_exact(net, [1.0, 1.0]), forward_is_exact(net, [0.1, 0.0])
(True, False)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple, NoReturn, cast

import numpy as np
import numpy.typing as npt

from zerograd._checks import (
    ArgumentTypeError,
    ArgumentValueError,
    as_given,
    check_finite,
    is_bool,
    read_once,
    reads_by_entries,
    real_array,
    received,
    shape_text,
    to_float64,
)
from zerograd.conv import ConvNetwork
from zerograd.model import ForwardPass, Gradients, Model, _no_equality
from zerograd.network import Network
from zerograd.recurrent import RecurrentNetwork

ObjectArray = npt.NDArray[np.object_]

RATIONAL_ACTIVATIONS: tuple[str, ...] = ("identity", "relu")
"""The activations :func:`exact_forward` computes."""

_ZERO = Fraction(0)
_ZERO_ARRAY = np.array(_ZERO, dtype=object)
_ONE_ARRAY = np.array(Fraction(1), dtype=object)


def fractions_of(values: npt.ArrayLike) -> ObjectArray:
    """Each entry's exact value as a :class:`~fractions.Fraction`, in an object array.

    Parameters
    ----------
    values : array_like
        Finite ints or floats, any shape, taken as given: an int of any length
        within float64's range is taken exactly, also in a list that numpy
        would read as float64 (where the library's calls round it).

    Returns
    -------
    ndarray of Fraction, the shape of ``values``

    Raises
    ------
    zerograd.ArgumentTypeError
        If ``values`` does not hold ints or floats (as for ``x`` in ``net.forward``).
    zerograd.NonFiniteError
        If it holds NaN or inf, which no fraction equals.
    zerograd.ArgumentValueError
        If it holds a number beyond float64's range, an int or a long double,
        as every array argument of the library does.

    Examples
    --------
    >>> fractions_of([0.5, 0.1])
    array([Fraction(1, 2), Fraction(3602879701896397, 36028797018963968)],
          dtype=object)
    """
    return _fractions(values, "values")


def _fractions(values: npt.ArrayLike, name: str, *, bools: bool = False) -> ObjectArray:
    """:func:`fractions_of`, naming the argument ``name``; bools as 0 and 1 if allowed."""
    # read once: checked below, then read again for the caller's own numbers
    values = cast("npt.ArrayLike", read_once(values))
    array = real_array(values, name, bools=bools)
    check_finite(to_float64(array, name), name)
    # the caller's own numbers: numpy rounds the ints of a list it reads as float64
    given = array
    if reads_by_entries(values):  # a list, a tuple, a deque, ...
        given = np.asarray(values, dtype=object)
    exact = np.empty(given.shape, dtype=object)
    for index, value in np.ndenumerate(given):
        # as_integer_ratio, not Fraction(value): a long double is not a Python float
        number = as_given(value)
        exact[index] = Fraction(*number.as_integer_ratio())  # type: ignore[attr-defined]
    return exact


@dataclass(frozen=True, eq=False)
class RationalPass:
    r"""A forward pass in rational arithmetic, numbered by layer as :class:`~zerograd.ForwardPass`.

    Attributes
    ----------
    z : dict of int to ndarray of Fraction
        ``z[k]`` is :math:`z^{(k)}` for ``k = 1..K``, in one sample's shape.
    x : dict of int to ndarray of Fraction
        ``x[k]`` is :math:`x^{(k)}` for ``k = 0..K``; ``x[0]`` is the input.
    """

    z: dict[int, ObjectArray]
    x: dict[int, ObjectArray]

    __eq__ = _no_equality
    __hash__ = None  # type: ignore[assignment]


def _activation(name: str) -> Callable[[ObjectArray], ObjectArray]:
    if name == "identity":
        return lambda z: z
    if name == "relu":
        return lambda z: np.where(z > _ZERO, z, _ZERO_ARRAY)
    raise ArgumentValueError(
        "net", f"use only the activations {', '.join(RATIONAL_ACTIVATIONS)}",
        f"an activation {name!r}", expected=RATIONAL_ACTIVATIONS, received=name,
    )  # fmt: skip


def _dense(W: ObjectArray, b: ObjectArray, x_prev: ObjectArray) -> ObjectArray:
    z: ObjectArray = W @ x_prev.reshape(-1) + b
    return z


def _conv(W: ObjectArray, b: ObjectArray, x_prev: ObjectArray) -> ObjectArray:
    """Output channel o at position t: sum over channels c and offsets j of W[o, c, j] x[c, t + j]."""
    n_out, n_in, width = W.shape
    steps = x_prev.shape[1] - width + 1
    z = np.empty((n_out, steps), dtype=object)
    for o in range(n_out):
        for t in range(steps):
            z[o, t] = b[o] + sum(
                (W[o, c, j] * x_prev[c, t + j] for c in range(n_in) for j in range(width)),
                start=_ZERO,
            )
    return z


def _check_model(net: object) -> list[Callable[[ObjectArray], ObjectArray]]:
    """Refuse a ``net`` these helpers cannot replay; its activations' exact functions."""
    if not isinstance(net, Network | ConvNetwork | RecurrentNetwork):
        raise ArgumentTypeError(
            "net", "be a Network, ConvNetwork or RecurrentNetwork", received(net),
            expected=Model, received=net,
        )  # fmt: skip
    return [_activation(name) for name in net.activations]


def _refuse_batch(net: Model, shape: object) -> NoReturn:
    sample = net.sample_shape
    lengths = ", each named length at least 1" if any(isinstance(n, str) for n in sample) else ""
    raise ArgumentValueError(
        "x", f"be one sample, of shape {shape_text(sample)}{lengths} (no batch axis)",
        f"shape {shape}", expected=sample, received=shape,
    )  # fmt: skip


def exact_forward(net: Model, x: npt.ArrayLike) -> RationalPass:
    """The forward pass of one sample in exact rational arithmetic.

    Parameters
    ----------
    net : Network, ConvNetwork or RecurrentNetwork
        Every activation ``identity`` or ``relu`` (:data:`RATIONAL_ACTIVATIONS`).
    x : array_like
        One sample, in :attr:`~zerograd.Model.sample_shape`; no batch axis.
        ``x[0]`` of the result is ``x`` as given (:func:`fractions_of`), the
        rest follows from it.

    Returns
    -------
    RationalPass
        Every ``z[k]`` and ``x[k]`` in the shapes of ``net.forward(x)``.

    Raises
    ------
    zerograd.ArgumentValueError
        If an activation is not one of :data:`RATIONAL_ACTIVATIONS`, or ``x``
        is a batch.
    zerograd.ArgumentTypeError
        If ``net`` is not one of the three models; ``x`` is checked as
        ``net.forward`` checks it.
    zerograd.NonFiniteError
        As ``net.forward``: for NaN or inf in ``x``, and where the float64
        pass overflows (the error then names the layer, ``z[k]``).
    """
    functions = _check_model(net)
    x = cast("npt.ArrayLike", read_once(x))  # read again below: could give another input
    try:
        inputs = net.forward(x).x[0]  # checked as the library checks it
    except ArgumentValueError as error:
        if error.argument == "x" and error.expected == net.sample_shape:
            _refuse_batch(net, error.received)  # its shape error offers a batch: refused here
        raise
    if inputs.ndim != len(net.sample_shape):
        _refuse_batch(net, inputs.shape)
    z: dict[int, ObjectArray] = {}
    # x as given, not as float64 rounded it: forward_is_exact compares the two
    outputs: dict[int, ObjectArray] = {0: fractions_of(x).reshape(inputs.shape)}
    if isinstance(net, RecurrentNetwork):
        _recurrent(net, functions, z, outputs)
        return RationalPass(z=z, x=outputs)
    for k in net.W:
        W, b = fractions_of(net.W[k]), fractions_of(net.b[k])
        conv = isinstance(net, ConvNetwork) and net.is_conv(k)
        z[k] = (_conv if conv else _dense)(W, b, outputs[k - 1])
        outputs[k] = functions[k - 1](z[k])
    return RationalPass(z=z, x=outputs)


def _recurrent(
    net: RecurrentNetwork,
    functions: list[Callable[[ObjectArray], ObjectArray]],
    z: dict[int, ObjectArray],
    outputs: dict[int, ObjectArray],
) -> None:
    W1, U1, b1 = fractions_of(net.W[1]), fractions_of(net.U[1]), fractions_of(net.b[1])
    W2, b2 = fractions_of(net.W[2]), fractions_of(net.b[2])
    raw: list[Any] = []
    states: list[Any] = []
    state = np.full(len(b1), _ZERO, dtype=object)  # x^(1)_0 = 0
    for x_t in outputs[0]:
        raw.append(W1 @ x_t + U1 @ state + b1)
        state = functions[0](raw[-1])
        states.append(state)
    z[1], outputs[1] = np.array(raw, dtype=object), np.array(states, dtype=object)
    z[2] = np.array([W2 @ state + b2 for state in states], dtype=object)
    outputs[2] = functions[1](z[2])


def forward_is_exact(net: Model, x: npt.ArrayLike) -> bool:
    """Whether float64 computed every raw activation and output of ``net`` at ``x`` exactly.

    Compares each entry of ``net.forward(x)``'s ``z[k]`` and ``x[k]``, the
    input ``x[0]`` included (float64 rounds an int beyond 2**53), with
    :func:`exact_forward`; a float and a fraction compare by their exact values.

    Parameters and Raises as for :func:`exact_forward`.
    """
    x = cast("npt.ArrayLike", read_once(x))  # read twice below: could give another input
    exact = exact_forward(net, x)
    computed = net.forward(x)
    return all(
        bool(np.all(exact.z[k] == computed.z[k])) and bool(np.all(exact.x[k] == computed.x[k]))
        for k in net.W
    ) and bool(np.all(exact.x[0] == computed.x[0]))


@dataclass(frozen=True, eq=False)
class RationalGradients:
    r"""Gradients of squared error in rational arithmetic, named as :class:`~zerograd.Gradients`.

    Attributes
    ----------
    parameters : dict of str to ndarray of Fraction
        ``"W[k]"``, ``"b[k]"`` (and ``"U[1]"``) as :meth:`~zerograd.Gradients.arrays`
        names them: the gradient of the summed loss, in each parameter's shape.
    z : dict of int to ndarray of Fraction
        ``z[k]`` is :math:`\delta^{(k)}` in the shape of ``gradients(net, x, y).z[k]``
        (a leading axis ``N`` for a batch).
    """

    parameters: dict[str, ObjectArray]
    z: dict[int, ObjectArray]

    __eq__ = _no_equality
    __hash__ = None  # type: ignore[assignment]

    def all_zero(self, *, deltas: bool = False) -> bool:
        r"""Whether every parameter gradient is 0, and with ``deltas`` every :math:`\delta^{(k)}` too.

        The rational counterpart of :meth:`zerograd.Gradients.all_zero`: True
        means each value of :func:`exact_gradients` is 0 as a rational, not
        that float64 rounded it to ``0.0``. They are the real gradients where
        each relu raw activation is off its kink; at one that is exactly 0 the
        library's slope 0 there is a convention, and the loss need not have a
        gradient (as :func:`gradients_are_exact` says).

        Raises
        ------
        zerograd.ArgumentTypeError
            If ``deltas`` is not a bool.
        """
        if not is_bool(deltas):  # "False" or None would read as a truth
            raise ArgumentTypeError(
                "deltas", "be a bool", received(deltas), expected=bool, received=deltas
            )
        arrays = [*self.parameters.values(), *(self.z.values() if deltas else ())]
        return not any(np.any(array != 0) for array in arrays)


def _slope(name: str, z: ObjectArray) -> ObjectArray:
    """f'(z) of identity or relu, with the library's relu'(0) = 0."""
    if name == "identity":
        return np.full(z.shape, Fraction(1), dtype=object)
    slope: ObjectArray = np.where(z > _ZERO, _ONE_ARRAY, _ZERO_ARRAY)
    return slope


def _sample_gradients(
    net: Model, forward: RationalPass, target: ObjectArray
) -> tuple[dict[str, ObjectArray], dict[int, ObjectArray]]:
    """One sample's gradients of 1/2 ||x^(K) - y||^2 and its deltas, from its exact pass."""
    if isinstance(net, RecurrentNetwork):
        return _recurrent_gradients(net, forward, target)
    names = net.activations
    K = net.K
    grads: dict[str, ObjectArray] = {}
    deltas: dict[int, ObjectArray] = {}
    delta = (forward.x[K] - target.reshape(forward.x[K].shape)) * _slope(names[-1], forward.z[K])
    for k in range(K, 0, -1):
        deltas[k] = delta
        W, x_prev = fractions_of(net.W[k]), forward.x[k - 1]
        if W.ndim == 3:  # a convolution: sums over positions
            n_out, n_in, width = W.shape
            steps = delta.shape[1]
            grads[f"W[{k}]"] = np.array(
                [
                    [
                        [
                            sum((delta[o, t] * x_prev[c, t + j] for t in range(steps)), _ZERO)
                            for j in range(width)
                        ]
                        for c in range(n_in)
                    ]
                    for o in range(n_out)
                ],
                dtype=object,
            ).reshape(W.shape)
            grads[f"b[{k}]"] = delta.sum(axis=1)
            back = np.full(x_prev.shape, _ZERO, dtype=object)
            for o in range(n_out):
                for j in range(width):
                    for t in range(steps):
                        back[:, t + j] += W[o, :, j] * delta[o, t]
        else:
            grads[f"W[{k}]"] = np.outer(delta, x_prev.reshape(-1))
            grads[f"b[{k}]"] = delta
            back = (W.T @ delta).reshape(x_prev.shape)
        if k > 1:
            delta = back * _slope(names[k - 2], forward.z[k - 1])
    return grads, deltas


def _recurrent_gradients(
    net: RecurrentNetwork, forward: RationalPass, target: ObjectArray
) -> tuple[dict[str, ObjectArray], dict[int, ObjectArray]]:
    """Backpropagation through time for one sequence, read at every step or the last."""
    first, readout = net.activations
    U1, W2 = fractions_of(net.U[1]), fractions_of(net.W[2])
    states, readouts = forward.x[1], forward.x[2]
    length = len(states)
    delta2 = np.full(readouts.shape, _ZERO, dtype=object)
    read = range(length) if net.output == "every" else [length - 1]
    targets = target.reshape(len(read), -1)
    for row, t in enumerate(read):
        delta2[t] = (readouts[t] - targets[row]) * _slope(readout, forward.z[2][t])
    delta1 = np.full(states.shape, _ZERO, dtype=object)
    carried = np.full(states.shape[1], _ZERO, dtype=object)
    for t in range(length - 1, -1, -1):
        carried = (W2.T @ delta2[t] + U1.T @ carried) * _slope(first, forward.z[1][t])
        delta1[t] = carried
    previous = np.vstack([np.full((1, states.shape[1]), _ZERO, dtype=object), states[:-1]])
    grads = {
        "W[1]": delta1.T @ forward.x[0],
        "U[1]": delta1.T @ previous,
        "b[1]": delta1.sum(axis=0),
        "W[2]": delta2.T @ states,
        "b[2]": delta2.sum(axis=0),
    }
    return grads, {1: delta1, 2: delta2}


def exact_gradients(net: Model, x: npt.ArrayLike, y: npt.ArrayLike) -> RationalGradients:
    r"""The gradients of squared error, :math:`L = \sum_n \tfrac12 \lVert x^{(K)}_n - y_n \rVert^2`, in rational arithmetic.

    Backpropagation redone with :class:`~fractions.Fraction` from the exact
    forward pass (:func:`exact_forward`), layer by layer as the book derives
    it, independently of the library's backward rules; relu's slope at 0 is
    the library's, 0.

    Parameters
    ----------
    net : Network, ConvNetwork or RecurrentNetwork
        Every activation ``identity`` or ``relu``.
    x : array_like
        One sample, or a batch with a leading axis ``N``.
    y : array_like
        Targets as for :func:`zerograd.gradients`; taken as given (:func:`fractions_of`).

    Returns
    -------
    RationalGradients
        Of the summed loss (``reduction="sum"``, no weight decay).

    Raises
    ------
    zerograd.ArgumentValueError, zerograd.ArgumentTypeError
        As :func:`exact_forward`, and where ``y`` does not fit ``x`` (checked as
        :func:`zerograd.gradients` checks it). ``net`` and its activations are
        checked before ``x`` and ``y``.
    zerograd.NonFiniteError
        Where zerograd's float64 pass overflows, forward or backward (it runs
        first, as the check of ``x`` and ``y``).
    """
    return _backpropagate(net, x, y).exact


class _Backpropagation(NamedTuple):
    """The exact gradients and each sample's exact forward pass, beside zerograd's.

    ``forward`` is zerograd's pass of ``x`` as given: of the whole batch, for a batch.
    """

    exact: RationalGradients
    passes: list[RationalPass]
    computed: Gradients
    forward: ForwardPass


def _backpropagate(net: Model, x: npt.ArrayLike, y: npt.ArrayLike) -> _Backpropagation:
    """Exact gradients and forward passes, beside zerograd's, each computed once."""
    _check_model(net)  # the net first: no x or y could mend it
    # each is read again below: an array-like could give another input or target
    x, y = cast("npt.ArrayLike", read_once(x)), cast("npt.ArrayLike", read_once(y))
    computed = net.gradients(x, y)  # checks x and y as the library does
    forward = net.forward(x)
    targets = _fractions(y, "y", bools=True)
    samples = _batch_samples(net, x, forward)
    if samples is None:
        passes = [exact_forward(net, x)]
        grads, deltas = _sample_gradients(net, passes[0], targets)
        exact = RationalGradients(parameters=grads, z=deltas)
        return _Backpropagation(exact, passes, computed, forward)
    passes = [exact_forward(net, sample) for sample in samples]
    # a slice, not targets[n]: a batch of one-unit targets may be given as shape (N,)
    each = [_sample_gradients(net, p, targets[n : n + 1]) for n, p in enumerate(passes)]
    summed = {name: sum((g[name] for g, _ in each[1:]), each[0][0][name]) for name in each[0][0]}
    stacked = {k: np.stack([d[k] for _, d in each]) for k in each[0][1]}
    exact = RationalGradients(parameters=summed, z=stacked)
    return _Backpropagation(exact, passes, computed, forward)


def _batch_samples(
    net: Model, x: npt.ArrayLike, forward: ForwardPass
) -> list[npt.ArrayLike] | None:
    """The samples of a batch as the caller gave them, or None for one sample."""
    if forward.x[0].ndim == len(net.sample_shape):
        return None
    # a sequence's samples as given (its ints unrounded); anything else, an ndarray
    # subclass such as np.matrix included, as numpy reads it
    given = x if reads_by_entries(x) else np.asarray(x)
    return list(cast("Sequence[npt.ArrayLike]", given))


def gradients_are_exact(net: Model, x: npt.ArrayLike, y: npt.ArrayLike) -> bool:
    r"""Whether zerograd's squared-error gradients at ``x``, ``y``, and its forward pass, are real.

    True when, and only when, every entry of :func:`zerograd.gradients`
    ``(net, x, y)``, each parameter's gradient and each :math:`\delta^{(k)}`, equals
    :func:`exact_gradients`, and each raw activation and output of zerograd's
    forward pass (of the batch, for a batch), the input ``x[0]`` included,
    equals the rational one: then each value zerograd returned, and each raw
    activation and output, is the real one, and a value the book asserts of
    zerograd's result is the real value. These are derivatives where each relu
    raw activation is off its kink; at one that is exactly 0 the library's
    slope 0 there is a convention, and the loss need not have a gradient. (A
    rounded product that a relu slope of 0 then multiplies away can hide
    inside it: what is shown is that the results are real, not that no
    intermediate step rounded.) False when any of these differs, a raw
    activation that float64 rounded included, even where each gradient is
    the real one.

    Parameters and Raises as for :func:`exact_gradients`.
    """
    exact, passes, computed, forward = _backpropagate(net, x, y)
    if forward.x[0].ndim == len(net.sample_shape):  # one sample
        exact_z, exact_x = passes[0].z, passes[0].x
    else:
        # the batch's own forward pass, which zerograd computes in one product per
        # layer and which can round otherwise than a pass of one sample
        exact_z = {k: np.stack([p.z[k] for p in passes]) for k in net.W}
        exact_x = {k: np.stack([p.x[k] for p in passes]) for k in range(net.K + 1)}
    return (
        # the input x[0] too (float64 rounds an int beyond 2**53), as forward_is_exact does
        all(bool(np.all(exact_x[k] == forward.x[k])) for k in range(net.K + 1))
        and all(bool(np.all(exact_z[k] == forward.z[k])) for k in net.W)
        and all(bool(np.all(exact.parameters[name] == value)) for name, value in computed.arrays())
        and all(bool(np.all(exact.z[k] == computed.z[k])) for k in computed.z)
    )
