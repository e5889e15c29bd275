"""zerograd.rational: forward passes redone in rational arithmetic.

Expected values are worked by hand; the random cases compare the rational pass
with the library's float64 pass, an independent implementation.
"""

from __future__ import annotations

import collections
import enum
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import numpy.typing as npt
import pytest
from contracts import Drifting, refuses
from gradient_cases import Case, any_cases
from hypothesis import given
from hypothesis import strategies as st

import zerograd as zg
from zerograd.examples import worked_example
from zerograd.model import Model
from zerograd.rational import (
    RATIONAL_ACTIVATIONS,
    RationalGradients,
    exact_forward,
    exact_gradients,
    forward_is_exact,
    fractions_of,
    gradients_are_exact,
)


def dense_example() -> zg.Network:
    """z1 = x1/2 - x2/4 + 1/4, x1 = relu(z1), x2 = 2 x1."""
    return zg.Network(
        W=[[[0.5, -0.25]], [[2.0]]], b=[[0.25], [0.0]], activations=["relu", "identity"]
    )


def test_fractions_of_gives_each_float_s_exact_value() -> None:
    exact = fractions_of(np.array([[0.5, 0.1], [3, -2]]))
    assert exact.dtype == object
    assert exact.shape == (2, 2)
    # 0.1 in float64 is 3602879701896397 / 2**55
    assert exact.tolist() == [
        [Fraction(1, 2), Fraction(3602879701896397, 2**55)],
        [Fraction(3), Fraction(-2)],
    ]
    assert fractions_of(np.array([3, 2**62])).tolist() == [3, 2**62]  # int64, exactly
    assert fractions_of(np.array([1.5], dtype=np.longdouble)).tolist() == [Fraction(3, 2)]
    assert fractions_of(np.float32(0.1)).item() == Fraction(13421773, 2**27)


@pytest.mark.parametrize(
    ("x", "z1", "x1", "x2"),
    [
        ([1.0, 1.0], Fraction(1, 2), Fraction(1, 2), Fraction(1)),
        ([-1.0, 1.0], Fraction(-1, 2), Fraction(0), Fraction(0)),
        ([0.0, 1.0], Fraction(0), Fraction(0), Fraction(0)),
    ],
)
def test_dense_pass_by_hand(x: list[float], z1: Fraction, x1: Fraction, x2: Fraction) -> None:
    exact = exact_forward(dense_example(), x)
    assert exact.x[0].tolist() == [Fraction(v) for v in x]
    assert exact.z[1].tolist() == [z1]
    assert exact.x[1].tolist() == [x1]
    assert exact.z[2].tolist() == [x2]
    assert exact.x[2].tolist() == [x2]
    assert forward_is_exact(dense_example(), x)


def test_a_rounded_raw_activation_is_seen() -> None:
    # z1 = 0.1/2 + 1/4: the exact sum needs more than 53 bits
    net, x = dense_example(), [0.1, 0.0]
    assert exact_forward(net, x).z[1][0] == Fraction(1, 4) + Fraction(0.1) / 2
    assert net.forward(x).z[1][0] == 0.3
    assert not forward_is_exact(net, x)


def test_a_rounded_output_alone_is_seen() -> None:
    # every raw activation of layer 1 exact, the output 3 * 0.1 rounded
    net = zg.Network(W=[[[1.0]], [[3.0]]], b=[[0.0], [0.0]], activations="identity")
    assert net.forward([0.1]).z[1][0] == 0.1
    assert not forward_is_exact(net, [0.1])
    assert forward_is_exact(net, [0.125])


def conv_example() -> zg.ConvNetwork:
    """Kernel (1, -1), bias 1/2 on three positions, then a dense sum: relu, identity."""
    return zg.ConvNetwork(
        W=[[[[1.0, -1.0]]], [[1.0, 1.0]]],
        b=[[0.5], [0.0]],
        activations=["relu", "identity"],
        length=3,
    )


def test_conv_pass_by_hand() -> None:
    # kernel (1, -1), bias 1/2: z_t = x_t - x_(t+1) + 1/2; then a dense sum
    net = conv_example()
    exact = exact_forward(net, [[1.0, 4.0, 2.5]])
    assert exact.z[1].tolist() == [[Fraction(-5, 2), Fraction(2)]]
    assert exact.x[1].tolist() == [[Fraction(0), Fraction(2)]]
    assert exact.x[2].tolist() == [Fraction(2)]
    assert forward_is_exact(net, [[1.0, 4.0, 2.5]])


def recurrent_example() -> zg.RecurrentNetwork:
    """x^(1)_t = x_t + x^(1)_(t-1) / 2 from x^(1)_0 = 0; readout 2 x^(1)_t - 1, every step."""
    return zg.RecurrentNetwork(
        W=[[[1.0]], [[2.0]]],
        U=[[0.5]],
        b=[[0.0], [-1.0]],
        activations="identity",
        output="every",
    )


def test_recurrent_pass_by_hand() -> None:
    # x^(1)_t = x_t + x^(1)_(t-1) / 2 from x^(1)_0 = 0; readout 2 x^(1)_t - 1
    net = recurrent_example()
    exact = exact_forward(net, [[2.0], [1.0], [0.0]])
    assert exact.x[1].ravel().tolist() == [2, 2, 1]
    assert exact.x[2].ravel().tolist() == [3, 3, 1]
    assert forward_is_exact(net, [[2.0], [1.0], [0.0]])
    assert not forward_is_exact(net, [[0.1], [0.1], [0.1]])


def with_rational_activations(net: zg.Model, names: list[str]) -> zg.Model:
    """The same parameters under activations drawn from RATIONAL_ACTIVATIONS."""
    W, b = list(net.W.values()), list(net.b.values())
    if isinstance(net, zg.RecurrentNetwork):
        return zg.RecurrentNetwork(W=W, U=net.U[1], b=b, activations=names, output=net.output)
    if isinstance(net, zg.ConvNetwork):
        return zg.ConvNetwork(W=W, b=b, activations=names, length=net.input_shape[1])
    return zg.Network(W=W, b=b, activations=names)


def quarters(array: np.ndarray) -> np.ndarray:
    return np.round(4 * np.asarray(array)) / 4


@given(case=any_cases(), data=st.data())
def test_random_models_agree_with_float64(case: Case[zg.Model], data: st.DataObject) -> None:
    names = data.draw(
        st.lists(st.sampled_from(RATIONAL_ACTIVATIONS), min_size=case.net.K, max_size=case.net.K)
    )
    net = with_rational_activations(case.net, names)
    x = case.x if case.single else case.x[0]
    exact, computed = exact_forward(net, x), net.forward(x)
    for k in net.W:
        assert exact.z[k].shape == computed.z[k].shape
        scale = 1.0 + float(np.max(np.abs(computed.z[k])))
        assert np.allclose(exact.z[k].astype(float), computed.z[k], rtol=0, atol=1e-9 * scale)
        assert np.allclose(exact.x[k].astype(float), computed.x[k], rtol=0, atol=1e-9 * scale)
    # on quarters, float64 rounds nothing in these small models
    dyadic = (
        net.replace(
            W=[quarters(w) for w in net.W.values()], b=[quarters(b) for b in net.b.values()]
        )
        if isinstance(net, zg.Network)
        else None
    )
    if dyadic is not None:
        assert forward_is_exact(dyadic, quarters(x))


def test_values_are_taken_as_given() -> None:
    # numpy reads this list as float64, rounding 2**63 + 1 to 2**63
    assert fractions_of([2**63 + 1, -1]).tolist() == [2**63 + 1, -1]
    assert fractions_of([2**70 + 1, 0.5]).tolist() == [2**70 + 1, Fraction(1, 2)]
    identity = zg.Network(W=[[[1.0]]], b=[[0.0]], activations="identity")
    assert exact_forward(identity, [2**53 + 1]).z[1].tolist() == [2**53 + 1]
    # float64 rounds the input itself, the one entry the layers do not touch
    assert not forward_is_exact(identity, [2**53 + 1])
    assert not forward_is_exact(identity, np.array([2**53 + 1]))
    assert forward_is_exact(identity, [2**52 + 1])


def test_zero_dimensional_arrays_in_a_list_are_read_as_their_numbers() -> None:
    # numpy reads [array(1.0), 2**70 + 1] as an object array holding the 0-d array
    assert fractions_of([np.array(0.5), 2**70 + 1]).tolist() == [Fraction(1, 2), 2**70 + 1]  # type: ignore[arg-type]
    assert fractions_of([np.array(0.5), 2.0]).tolist() == [Fraction(1, 2), 2]  # type: ignore[arg-type]


def test_a_long_double_beyond_float64_is_refused() -> None:
    huge = np.longdouble(2.0) ** 2000
    if not np.isfinite(huge):
        pytest.skip("long double is float64 on this platform")
    with pytest.raises(zg.ArgumentValueError, match="values must hold numbers within float64"):
        fractions_of(np.array([huge]))


def test_non_finite_values_are_refused_in_any_dtype() -> None:
    for values, shown in (
        ([2**70, np.nan], "NaN"),
        ([2**70, np.inf], "inf"),
        ([1.0, -np.inf], "-inf"),
        ([2**70, -np.inf], "-inf"),
    ):
        with pytest.raises(zg.NonFiniteError) as info:
            fractions_of(values)
        assert str(info.value) == f"values must be finite; got {shown} at index (1,)"
    with pytest.raises(zg.ArgumentValueError, match="values must hold numbers within float64"):
        fractions_of([2**1024, 1])


def test_other_activations_are_refused() -> None:
    net = zg.Network.random([2, 1], activations="tanh", seed=0)
    with pytest.raises(
        zg.ArgumentValueError,
        match=r"net must use only the activations identity, relu; got an activation 'tanh'",
    ):
        exact_forward(net, [1.0, 1.0])


def test_a_batch_is_refused() -> None:
    with pytest.raises(
        zg.ArgumentValueError,
        match=r"^x must be one sample, of shape \(2,\) \(no batch axis\); got shape \(3, 2\)$",
    ):
        exact_forward(dense_example(), np.ones((3, 2)))
    # an x of the wrong shape is not offered the batch that the call then refuses
    for wrong in ([1.0], [[1.0]]):
        with pytest.raises(zg.ArgumentValueError, match=r"^x must be one sample.*no batch axis"):
            exact_forward(dense_example(), wrong)
    net = zg.RecurrentNetwork.random([1, 1, 1], activations="identity", seed=0)
    with pytest.raises(zg.ArgumentValueError, match=r"of shape \(T, 1\)"):
        forward_is_exact(net, np.ones((2, 3, 1)))


def test_bad_arguments_are_named() -> None:
    with pytest.raises(
        zg.ArgumentTypeError,
        match="net must be a Network, ConvNetwork or RecurrentNetwork; got str 'a'",
    ):
        exact_forward("a", [1.0])  # type: ignore[arg-type]
    with pytest.raises(zg.NonFiniteError, match=r"values must be finite; got NaN at index \(1,\)"):
        fractions_of([1.0, np.nan])
    with pytest.raises(zg.ArgumentTypeError, match="values must hold real numbers"):
        fractions_of(["a"])
    with pytest.raises(zg.ArgumentValueError, match=r"x must be one sample, of shape \(2,\)"):
        exact_forward(dense_example(), [1.0])


def test_dense_gradients_by_hand() -> None:
    # x^(2) = 1 at x = (1, 1), y = 0: delta^(2) = 1, x^(1) = 1/2, and
    # delta^(1) = W^(2)T delta^(2) relu'(1/2) = 2
    exact = exact_gradients(dense_example(), [1.0, 1.0], [0.0])
    assert exact.parameters["W[2]"].tolist() == [[Fraction(1, 2)]]
    assert exact.parameters["b[2]"].tolist() == [1]
    assert exact.parameters["W[1]"].tolist() == [[2, 2]]
    assert exact.parameters["b[1]"].tolist() == [2]
    assert exact.z[2].tolist() == [1]
    assert exact.z[1].tolist() == [2]
    assert gradients_are_exact(dense_example(), [1.0, 1.0], [0.0])
    # relu off at z^(1) = -1/2: nothing reaches layer 1; relu'(0) = 0 at z^(1) = 0
    for x in ([-1.0, 1.0], [0.0, 1.0]):
        assert exact_gradients(dense_example(), x, [1.0]).parameters["W[1]"].tolist() == [[0, 0]]


def test_all_zero_reads_the_real_values_and_the_deltas_when_asked() -> None:
    net = dense_example()
    # y = x^(2) = 1 at x = (1, 1): every real gradient and delta is 0
    fitted = exact_gradients(net, [1.0, 1.0], [1.0])
    assert fitted.all_zero()
    assert fitted.all_zero(deltas=True)
    assert not exact_gradients(net, [1.0, 1.0], [0.0]).all_zero()
    # relu off for both samples, errors -1 and 1: the summed gradients are 0,
    # each sample's delta^(2) is not
    cancelling = exact_gradients(net, [[-1.0, 1.0], [-1.0, 1.0]], [[1.0], [-1.0]])
    assert cancelling.z[2].tolist() == [[-1], [1]]
    assert cancelling.all_zero()
    assert not cancelling.all_zero(deltas=True)
    # a gradient of 2**-1074 in float64 terms is not 0 as a rational
    tiny = RationalGradients(
        parameters={"b[1]": fractions_of([5e-324])}, z={1: fractions_of([0.0])}
    )
    assert not tiny.all_zero()
    assert not tiny.all_zero(deltas=True)


@pytest.mark.parametrize("deltas", ["False", None, [False], np.array([True, False]), 0])
def test_all_zero_refuses_a_deltas_that_is_not_a_bool(deltas: object) -> None:
    fitted = exact_gradients(dense_example(), [1.0, 1.0], [1.0])
    with refuses(zg.ArgumentTypeError, "deltas", expected=bool) as info:
        fitted.all_zero(deltas=deltas)  # type: ignore[arg-type]
    assert info.value.received is deltas
    shown = repr(deltas).replace("\n", "")
    assert str(info.value) == f"deltas must be a bool; got {type(deltas).__name__} {shown}"
    assert fitted.all_zero(deltas=np.True_)  # type: ignore[arg-type]  # a numpy bool is one


def test_all_zero_takes_relu_s_slope_0_at_its_kink() -> None:
    # x^(2) = relu(z^(2)) with z^(2) = 0 exactly: the library's slope there is 0, so
    # every value is 0, where the loss has no derivative (its one-sided slopes differ)
    case = worked_example(output_activation="relu", output_bias=-0.5)
    assert exact_forward(case.net, case.x).z[2].tolist() == [0]
    assert exact_gradients(case.net, case.x, case.y).all_zero(deltas=True)


def test_a_batch_sums_its_samples_gradients() -> None:
    net, x, y = dense_example(), [[1.0, 1.0], [2.0, -1.0]], [[0.0], [0.5]]
    batch = exact_gradients(net, x, y)
    first, second = (exact_gradients(net, x[n], y[n]) for n in range(2))
    for name in ("W[1]", "b[1]", "W[2]", "b[2]"):
        assert np.all(batch.parameters[name] == first.parameters[name] + second.parameters[name])
    assert batch.z[2].tolist() == [first.z[2].tolist(), second.z[2].tolist()]
    assert gradients_are_exact(net, x, y)


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
def test_a_batch_given_as_an_ndarray_subclass_is_read_by_its_rows() -> None:
    # np.matrix keeps two dimensions when iterated; its samples are numpy's reading of it
    net, rows, y = dense_example(), [[1.0, 1.0], [2.0, -1.0]], [[0.0], [0.5]]
    as_matrix = exact_gradients(net, np.matrix(rows), y)
    as_list = exact_gradients(net, rows, y)
    for name in ("W[1]", "b[1]", "W[2]", "b[2]"):
        assert np.all(as_matrix.parameters[name] == as_list.parameters[name])
    assert gradients_are_exact(net, np.matrix(rows), y)


def test_one_unit_targets_may_be_given_as_a_vector() -> None:
    net, x = dense_example(), [[1.0, 1.0], [2.0, -1.0]]
    as_vector = exact_gradients(net, x, [0.0, 0.5])
    as_column = exact_gradients(net, x, [[0.0], [0.5]])
    assert all(
        np.all(as_vector.parameters[name] == as_column.parameters[name])
        for name in as_column.parameters
    )
    assert gradients_are_exact(net, x, [0.0, 0.5])


def test_a_rounded_gradient_is_seen() -> None:
    assert not gradients_are_exact(dense_example(), [0.1, 0.0], [0.0])
    # the forward pass exact, the target's subtraction rounded
    assert forward_is_exact(dense_example(), [1.0, 1.0])
    assert not gradients_are_exact(dense_example(), [1.0, 1.0], [2.0**-60])


def test_conv_gradients_by_hand() -> None:
    # z^(1) = (-5/2, 2), x^(1) = (0, 2), x^(2) = 2, y = 0: delta^(2) = 2,
    # delta^(1) = (2, 2) relu'(z^(1)) = (0, 2); dL/dW^(1)_j = 2 x_(1 + j)
    net = conv_example()
    exact = exact_gradients(net, [[1.0, 4.0, 2.5]], [0.0])
    assert exact.parameters["W[2]"].tolist() == [[0, 4]]
    assert exact.parameters["b[2]"].tolist() == [2]
    assert exact.z[1].tolist() == [[0, 2]]
    assert exact.parameters["W[1]"].tolist() == [[[8, 5]]]
    assert exact.parameters["b[1]"].tolist() == [2]
    assert gradients_are_exact(net, [[1.0, 4.0, 2.5]], [0.0])


def test_recurrent_gradients_by_hand() -> None:
    # states (2, 2, 1), errors d = (1/2, 0, -1/2); backwards through time
    # delta^(1) = (3/4, -1/2, -1) with W^(2) = 2, U^(1) = 1/2
    net = recurrent_example()
    x, y = [[2.0], [1.0], [0.0]], [[2.5], [3.0], [1.5]]
    exact = exact_gradients(net, x, y)
    assert exact.z[2].ravel().tolist() == [Fraction(1, 2), 0, Fraction(-1, 2)]
    assert exact.z[1].ravel().tolist() == [Fraction(3, 4), Fraction(-1, 2), -1]
    assert exact.parameters["W[2]"].tolist() == [[Fraction(1, 2)]]
    assert exact.parameters["b[2]"].tolist() == [0]
    assert exact.parameters["W[1]"].tolist() == [[1]]
    assert exact.parameters["U[1]"].tolist() == [[-3]]
    assert exact.parameters["b[1]"].tolist() == [Fraction(-3, 4)]
    assert gradients_are_exact(net, x, y)
    last = zg.RecurrentNetwork(
        W=[[[1.0]], [[2.0]]], U=[[0.5]], b=[[0.0], [-1.0]], activations="identity"
    )
    # read at the last step only: delta^(2) is 0 before it
    assert exact_gradients(last, x, [1.5]).z[2].ravel().tolist() == [0, 0, Fraction(-1, 2)]


def quartered(net: zg.Model) -> zg.Model:
    """The same model with its parameters rounded to multiples of 1/4 in [-2, 2]."""

    def small(array: np.ndarray) -> np.ndarray:
        return quarters(np.clip(array, -2.0, 2.0))

    W, b = [small(w) for w in net.W.values()], [small(v) for v in net.b.values()]
    if isinstance(net, zg.RecurrentNetwork):
        U = small(net.U[1]) / 2
        return zg.RecurrentNetwork(W=W, U=U, b=b, activations=net.activations, output=net.output)
    if isinstance(net, zg.ConvNetwork):
        return zg.ConvNetwork(W=W, b=b, activations=net.activations, length=net.input_shape[1])
    return zg.Network(W=W, b=b, activations=net.activations)


@given(case=any_cases(), data=st.data())
def test_random_gradients_agree_with_float64(case: Case[zg.Model], data: st.DataObject) -> None:
    names = data.draw(
        st.lists(st.sampled_from(RATIONAL_ACTIVATIONS), min_size=case.net.K, max_size=case.net.K)
    )
    net = with_rational_activations(case.net, names)
    exact, computed = exact_gradients(net, case.x, case.y), net.gradients(case.x, case.y)
    for name, value in computed.arrays():
        scale = 1.0 + float(np.max(np.abs(value)))
        assert np.allclose(exact.parameters[name].astype(float), value, rtol=0, atol=1e-9 * scale)
    for k in computed.z:
        scale = 1.0 + float(np.max(np.abs(computed.z[k])))
        assert np.allclose(exact.z[k].astype(float), computed.z[k], rtol=0, atol=1e-9 * scale)
    # with few bits (parameters on a quarter grid, integer inputs) float64 rounds
    # nothing, and the two agree entry for entry
    small = quartered(net)
    assert gradients_are_exact(small, np.round(case.x), quarters(case.y))


def test_gradients_check_their_arguments_as_the_library_does() -> None:
    with pytest.raises(zg.ArgumentTypeError, match=r"^net must be a Network"):
        exact_gradients("a", [1.0], [0.0])  # type: ignore[arg-type]
    with pytest.raises(zg.ArgumentTypeError, match=r"^net must be a Network"):
        gradients_are_exact(None, [1.0], [0.0])  # type: ignore[arg-type]
    # targets take bools as 0 and 1, as zerograd.gradients does
    with_bool = exact_gradients(dense_example(), [1.0, 1.0], [True])
    assert with_bool.parameters["b[2]"].tolist() == [0]
    assert gradients_are_exact(dense_example(), [1.0, 1.0], np.array([True]))


class _ArrayOnly:
    """A batch numpy reads through __array__, with no indexing of its own."""

    def __array__(self, dtype: object = None, copy: object = None) -> np.ndarray:
        return np.array([[1.0, 1.0], [2.0, -1.0]])


def test_a_batch_is_read_as_numpy_reads_it() -> None:
    net, y = dense_example(), [[0.0], [0.5]]
    expected = exact_gradients(net, [[1.0, 1.0], [2.0, -1.0]], y)
    view = memoryview(np.array([[1.0, 1.0], [2.0, -1.0]]).tobytes()).cast("d", (2, 2))
    batches: list[npt.ArrayLike] = [_ArrayOnly(), view]
    for batch in batches:
        got = exact_gradients(net, batch, y)
        assert all(np.all(got.parameters[n] == expected.parameters[n]) for n in got.parameters)
        assert gradients_are_exact(net, batch, y)


class _ArrayWithoutDtype:
    """An array-like whose __array__ takes no dtype, which numpy reads all the same."""

    def __array__(self) -> np.ndarray:
        return np.array([1.0, 1.0])


def test_an_array_like_without_a_dtype_argument_is_read() -> None:
    assert fractions_of(_ArrayWithoutDtype()).tolist() == [1, 1]
    assert fractions_of([_ArrayWithoutDtype()]).tolist() == [[1, 1]]
    assert forward_is_exact(dense_example(), _ArrayWithoutDtype())
    assert dense_example().forward([_ArrayWithoutDtype()]).x[0].tolist() == [[1.0, 1.0]]


def test_the_batch_s_own_forward_pass_is_compared() -> None:
    # weights of +-2**53 that cancel: one sample alone, float64 computes the raw
    # activation exactly, but the batch's single matrix product sums in another
    # order and rounds sample 1's, on relu's flat side, where no gradient shows it
    big = 2.0**53
    net = zg.Network(
        W=[[[-big, big, 1.0, 1.0, -1.0, 1.0, 1.0, 1.0, -big]], [[1.0]]],
        b=[[0.0], [0.0]],
        activations=["relu", "identity"],
    )
    x = np.array(
        [
            [-1.0, -1.0, 1.0, 1.0, -1.0, -1.0, -1.0, 1.0, 1.0],
            [1.0, -1.0, 1.0, -1.0, 1.0, 1.0, 1.0, -1.0, 1.0],
            [1.0, 1.0, 1.0, 1.0, -1.0, -1.0, 1.0, 1.0, -1.0],
        ]
    )
    y = np.zeros((3, 1))
    assert all(forward_is_exact(net, sample) for sample in x)
    real = [exact_forward(net, sample).z[1][0] for sample in x]
    if np.all(net.forward(x).z[1][:, 0] == real):
        pytest.skip("this BLAS sums the batch in the order of one sample: nothing to see")
    assert not gradients_are_exact(net, x, y)


class _Half(float):
    """A float subclass, which numpy reads as a float."""


def test_subclasses_of_int_and_float_beside_a_long_int_are_numbers() -> None:
    class Size(enum.IntEnum):
        TWO = 2

    assert fractions_of([Size.TWO, 2**70]).tolist() == [2, 2**70]
    assert fractions_of([_Half(0.5), 2**70]).tolist() == [Fraction(1, 2), 2**70]
    net = zg.Network(W=[[[1.0, 0.0]]], b=[[0.0]], activations="identity")
    assert net.forward([_Half(0.5), 2**70]).z[1].tolist() == [0.5]


def test_a_rounded_input_is_seen_for_one_sample_and_for_a_batch() -> None:
    # W = 0: the output ignores the input, which float64 rounds (2**53 + 1)
    net = zg.Network(W=[[[0.0]]], b=[[1.0]], activations="identity")
    assert not gradients_are_exact(net, [2**53 + 1], [1.0])
    assert not gradients_are_exact(net, [[2**53 + 1]], [[1.0]])
    assert gradients_are_exact(net, [[2**52 + 1]], [[1.0]])


def test_refusals_carry_what_was_expected_and_received() -> None:
    tanh = zg.Network.random([2, 1], activations="tanh", seed=0)
    with refuses(zg.ArgumentValueError, "net", expected=RATIONAL_ACTIVATIONS, received="tanh"):
        exact_forward(tanh, [1.0, 1.0])
    with refuses(zg.ArgumentTypeError, "net", expected=Model, received="a"):
        exact_forward("a", [1.0])  # type: ignore[arg-type]
    with refuses(zg.ArgumentValueError, "x", expected=(2,), received=(3, 2)):
        exact_forward(dense_example(), np.ones((3, 2)))
    with refuses(zg.ArgumentTypeError, "values"):
        fractions_of([True])


def test_exact_gradients_name_a_bad_target() -> None:
    with refuses(zg.NonFiniteError, "y", index=(0,)):
        exact_gradients(dense_example(), [1.0, 1.0], [np.nan])
    with refuses(zg.ArgumentTypeError, "y"):
        exact_gradients(dense_example(), [1.0, 1.0], ["a"])


def test_a_batch_list_s_samples_are_read_as_given() -> None:
    # numpy would round 2**53 + 1 in an array; the list's samples keep it
    identity = zg.Network(W=[[[1.0]]], b=[[0.0]], activations="identity")
    got = exact_gradients(identity, [[2**53 + 1], [1]], [[0], [0]])
    assert got.parameters["W[1]"].tolist() == [[(2**53 + 1) ** 2 + 1]]
    assert got.z[1].tolist() == [[2**53 + 1], [1]]


def test_a_convolution_s_rounded_raw_activation_is_seen() -> None:
    # 0.1 + 0.2 in float64 is not the sum of the two floats' exact values
    conv = zg.ConvNetwork(
        W=[[[[1.0, 1.0]]], [[1.0, 1.0]]],
        b=[[0.0], [0.0]],
        activations=["identity", "identity"],
        length=3,
    )
    exact = exact_forward(conv, [[0.1, 0.2, 0.0]])
    assert exact.z[1].dtype == object
    assert exact.z[1].tolist() == [[Fraction(0.1) + Fraction(0.2), Fraction(0.2)]]
    assert not forward_is_exact(conv, [[0.1, 0.2, 0.0]])
    assert forward_is_exact(conv, [[0.5, 0.25, 0.0]])


def test_a_rounded_raw_activation_relu_switches_off_is_seen() -> None:
    # z^(1) = 0.1 - 1 rounds in float64; relu turns it into an exact 0, and the
    # output, the error and every gradient are then exact: only z^(1) shows it
    net = zg.Network(W=[[[1.0]], [[1.0]]], b=[[-1.0], [0.0]], activations=["relu", "identity"])
    assert net.forward([0.1]).z[1][0] != Fraction(0.1) - 1
    assert not forward_is_exact(net, [0.1])
    assert not gradients_are_exact(net, [0.1], [0.0])
    assert not gradients_are_exact(net, [[0.1], [0.5]], [[0.0], [0.0]])
    assert gradients_are_exact(net, [0.5], [0.0])


def test_any_sequence_is_read_as_given() -> None:
    # numpy would round 2**53 + 1 beside 0.5; a deque's entries are the caller's
    big = 2**53 + 1
    identity = zg.Network(W=[[[1.0, 0.0]]], b=[[0.0]], activations="identity")
    assert fractions_of(collections.deque([big, 0.5])).tolist() == [big, Fraction(1, 2)]
    assert not forward_is_exact(identity, collections.deque([big, 0.5]))
    assert not gradients_are_exact(identity, collections.deque([big, 0.5]), [0.0])
    assert not gradients_are_exact(identity, collections.deque([[big, 0.5]]), [[0.0]])
    assert gradients_are_exact(identity, collections.deque([[2**52, 0.5]]), [[0.0]])


@pytest.mark.parametrize("helper", [exact_gradients, gradients_are_exact])
def test_an_activation_the_replay_lacks_is_named_before_x_and_y(
    helper: Callable[..., object],
) -> None:
    # No x or y could mend the call: a target of the wrong shape and an input that
    # overflows the float pass are not blamed first.
    tanh = zg.Network(W=[[[1e300]], [[1e300]]], b=[[0.0], [0.0]], activations=["tanh", "identity"])
    for x, y in (([1.0], [1.0, 2.0, 3.0]), ([1e300], [0.0])):
        with pytest.raises(zg.ArgumentValueError, match=r"^net must use only the activations"):
            helper(tanh, x, y)


def test_the_rational_helpers_read_x_and_y_once() -> None:
    # read again, x would give another input, whose exact gradients zerograd's at the
    # first input would then be judged against
    net = zg.Network(W=[[[1.0, 0.5]], [[2.0]]], b=[[0.0], [0.0]], activations=["relu", "identity"])
    calls: dict[str, Callable[[Drifting, Drifting], object]] = {
        "exact_forward": lambda x, _: exact_forward(net, x),
        "forward_is_exact": lambda x, _: forward_is_exact(net, x),
        "exact_gradients": lambda x, y: exact_gradients(net, x, y),
        "gradients_are_exact": lambda x, y: gradients_are_exact(net, x, y),
    }
    for name, call in calls.items():
        x, y = Drifting([1.0, 2.0], [7.0, 8.0]), Drifting([0.0], [5.0])
        call(x, y)
        assert x.reads == 1, name
        assert y.reads in (0, 1), name
    x, y = Drifting([1.0, 2.0], [7.0, 8.0]), Drifting([0.0], [5.0])
    assert gradients_are_exact(net, x, y)
    exact = exact_gradients(net, Drifting([1.0, 2.0], [7.0, 8.0]), [0.0])
    assert exact.parameters["W[1]"].tolist() == [[Fraction(8), Fraction(16)]]


class _Scalar:
    """An array-like scalar, as a torch or JAX scalar is: numpy reads it by __array__."""

    def __array__(self, dtype: object = None, copy: object = None) -> np.ndarray:
        return np.array(0.5, dtype=dtype)  # type: ignore[call-overload,no-any-return]


def test_fractions_of_reads_its_argument_once_and_takes_array_like_entries() -> None:
    drifting = Drifting([0.5], [0.25])
    assert fractions_of(drifting).tolist() == [Fraction(1, 2)]
    assert drifting.reads == 1
    assert fractions_of([_Scalar(), 0.25]).tolist() == [Fraction(1, 2), Fraction(1, 4)]  # type: ignore[arg-type]
