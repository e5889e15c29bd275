"""Weight decay: the L2 penalty on every weight tensor, in the loss, the gradients and the estimates.

The objective is the reduced loss plus ``λ/2`` times the squared norms of every
``W[k]`` (dense matrix or convolution kernel) and of the recurrent ``U[1]``,
biases excepted, for all three models.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import numpy.typing as npt
import pytest
from contracts import refuses
from gradient_cases import Case, FloatArray, any_cases
from hypothesis import given
from hypothesis import strategies as st

import zerograd as zg
from zerograd import Gradients, Network, gradients, numerical_gradients

DECAYS = st.sampled_from([1e-3, 0.1, 0.7, 1.0, 3.0])

ENTRY_POINTS: dict[str, Callable[..., object]] = {
    "gradients": gradients,
    "numerical_gradients": numerical_gradients,
    "loss": lambda net, *args, **kwargs: net.loss(*args, **kwargs),
}
"""Every function that takes ``weight_decay``, called as ``f(net, x, y, ...)``."""

HAND_NET = Network(
    W=[[[1.0, -2.0], [0.5, 3.0]], [[2.0, -1.0]]],
    b=[[0.25, -0.5], [1.0]],
    activations=["identity", "identity"],
)


@given(case=any_cases(reductions=["sum", "mean"]), weight_decay=DECAYS)
def test_weight_decay_gradients_match_central_differences(
    case: Case[zg.Model], weight_decay: float
) -> None:
    # The penalty is a quadratic, whose central difference is exact up to round-off:
    # the data loss sets the tolerance, as without weight decay.
    case.check_gradients(weight_decay=weight_decay)


def penalised_tensors(net: zg.Model) -> dict[str, FloatArray]:
    """Every weight tensor by name, written out per model rather than read from the library."""
    tensors = {f"W[{k}]": net.W[k] for k in range(1, net.K + 1)}
    if isinstance(net, zg.RecurrentNetwork):
        tensors["U[1]"] = net.U[1]
    return tensors


@given(case=any_cases(reductions=["sum", "mean"]), weight_decay=DECAYS)
def test_weight_decay_adds_lambda_theta_to_weight_tensors_only(
    case: Case[zg.Model], weight_decay: float
) -> None:
    plain = gradients(case.net, case.x, case.y, **case.options)
    decayed = gradients(case.net, case.x, case.y, weight_decay=weight_decay, **case.options)
    tensors = penalised_tensors(case.net)
    plain_arrays = dict(plain.arrays())
    for name, got in decayed.arrays():
        if name in tensors:
            want = plain_arrays[name] + weight_decay * tensors[name]
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=name)
        else:
            assert name.startswith("b["), name
            np.testing.assert_array_equal(got, plain_arrays[name], err_msg=name)
    for k in plain.z:
        np.testing.assert_array_equal(decayed.z[k], plain.z[k], err_msg=f"z[{k}]")
    # The loss gains the penalty, which is not divided by N under "mean".
    penalty = 0.5 * weight_decay * sum(float(np.sum(t**2)) for t in tensors.values())
    value = case.net.loss(case.x, case.y, weight_decay=weight_decay, **case.options)
    assert isinstance(value, float)
    plain_value = float(case.net.loss(case.x, case.y, **case.options))
    assert value == pytest.approx(plain_value + penalty, rel=1e-12, abs=1e-12)
    assert case.net.weight_penalty(weight_decay) == pytest.approx(penalty, rel=1e-12, abs=1e-300)


@given(case=any_cases())
def test_zero_weight_decay_changes_nothing(case: Case[zg.Model]) -> None:
    args = (case.net, case.x, case.y)
    plain = gradients(*args, **case.options)
    zero = gradients(*args, **case.options, weight_decay=0.0)
    for (name, a), (_, b) in zip(plain.arrays(), zero.arrays(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)
    for k in plain.z:
        np.testing.assert_array_equal(zero.z[k], plain.z[k], err_msg=f"z[{k}]")
    loss_plain = case.net.loss(*args[1:], **case.options)
    loss_zero = case.net.loss(*args[1:], **case.options, weight_decay=0)
    np.testing.assert_array_equal(loss_plain, loss_zero)


def test_hand_example_loss_and_gradients() -> None:
    # x = [1, 1]: z1 = [1 - 2 + 0.25, 0.5 + 3 - 0.5] = [-0.75, 3], z2 = -1.5 - 3 + 1 = -3.5
    # L = (z2 - y)^2 / 2 with y = 0.5: 8; penalty 0.2/2 * (1 + 4 + 0.25 + 9 + 4 + 1) = 1.925
    # delta2 = -4, dW2 = -4 * [-0.75, 3] + 0.2 * [2, -1] = [3.4, -12.2]
    # delta1 = W2^T delta2 = [-8, 4], dW1 = outer([-8, 4], [1, 1]) + 0.2 * W1
    x, y, lam = [1.0, 1.0], [0.5], 0.2
    assert HAND_NET.loss(x, y, weight_decay=lam) == pytest.approx(8.0 + 1.925, abs=1e-14)
    grads = gradients(HAND_NET, x, y, weight_decay=lam)
    np.testing.assert_allclose(grads.W[2], [[3.4, -12.2]], rtol=0, atol=1e-14)
    np.testing.assert_allclose(grads.b[2], [-4.0], rtol=0, atol=0)
    np.testing.assert_allclose(grads.W[1], [[-7.8, -8.4], [4.1, 4.6]], rtol=0, atol=1e-14)
    np.testing.assert_allclose(grads.b[1], [-8.0, 4.0], rtol=0, atol=0)


@pytest.mark.parametrize("engine", [gradients, numerical_gradients])
def test_unit_weight_decay_adds_the_weights_themselves(engine: Callable[..., Gradients]) -> None:
    # As in the hand example with lambda = 1: dW2 = -4 * [-0.75, 3] + [2, -1] = [5, -13],
    # dW1 = outer([-8, 4], [1, 1]) + W1 = [[-7, -10], [4.5, 7]]; biases get nothing.
    grads = engine(HAND_NET, [1.0, 1.0], [0.5], weight_decay=1.0)
    np.testing.assert_allclose(grads.W[2], [[5.0, -13.0]], rtol=0, atol=1e-7)
    np.testing.assert_allclose(grads.W[1], [[-7.0, -10.0], [4.5, 7.0]], rtol=0, atol=1e-7)
    np.testing.assert_allclose(grads.b[2], [-4.0], rtol=0, atol=1e-7)
    np.testing.assert_allclose(grads.b[1], [-8.0, 4.0], rtol=0, atol=1e-7)


def test_penalty_is_not_divided_by_batch_size_under_mean() -> None:
    # Two copies of the hand sample: mean loss 8, penalty still 1.925.
    x, y = [[1.0, 1.0], [1.0, 1.0]], [[0.5], [0.5]]
    value = HAND_NET.loss(x, y, reduction="mean", weight_decay=0.2)
    assert value == pytest.approx(9.925, abs=1e-14)
    grads = gradients(HAND_NET, x, y, reduction="mean", weight_decay=0.2)
    np.testing.assert_allclose(grads.W[2], [[3.4, -12.2]], rtol=0, atol=1e-14)


def test_penalty_counts_weights_and_not_biases() -> None:
    assert HAND_NET.weight_penalty(2.0) == pytest.approx(19.25, abs=1e-14)
    shifted = HAND_NET.replace(b=[[100.0, -100.0], [50.0]])
    assert shifted.weight_penalty(2.0) == HAND_NET.weight_penalty(2.0)


# z = [1 - 4, 4 - 9] + 0.5 = [-2.5, -4.5]; with y = [-1.5, -5.5], dL/dz = [-1, 1] and L = 1.
CONV_NET = zg.ConvNetwork(W=[[[[1.0, -1.0]]]], b=[[0.5]], activations="identity", length=3)
CONV_X, CONV_Y = [[1.0, 4.0, 9.0]], [[-1.5, -5.5]]

# identity, W1 = 1, U = 0.5, W2 = 1: the state is h_t = x_t + h_{t-1}/2 = 2, 2, 1 and is read at
# the last step, so L = 1/2 * 1^2 and dL/dz2_3 = 1.
RNN_NET = zg.RecurrentNetwork(
    W=[[[1.0]], [[1.0]]], U=[[0.5]], b=[[0.0], [0.0]], activations="identity"
)
RNN_X, RNN_Y = [[2.0], [1.0], [0.0]], [0.0]

HAND: dict[str, tuple[zg.Model, npt.ArrayLike, npt.ArrayLike]] = {
    "dense": (HAND_NET, [1.0, 1.0], [0.5]),
    "conv": (CONV_NET, CONV_X, CONV_Y),
    "recurrent": (RNN_NET, RNN_X, RNN_Y),
}


def test_conv_hand_example() -> None:
    # dW = [-1 * 1 + 1 * 4, -1 * 4 + 1 * 9] = [3, 5]; with lambda = 0.5 add 0.5 * [1, -1].
    # L = 1, penalty 0.5/2 * (1 + 1) = 0.5; the bias (0.5) is not penalised.
    grads = gradients(CONV_NET, CONV_X, CONV_Y, weight_decay=0.5)
    assert grads.W[1].tolist() == [[[3.5, 4.5]]]
    assert grads.b[1].tolist() == [0.0]
    assert grads.z[1].tolist() == [[-1.0, 1.0]]
    assert CONV_NET.loss(CONV_X, CONV_Y, weight_decay=0.5) == pytest.approx(1.5, abs=1e-14)
    # Under "mean" the penalty is not divided by N: two copies give the same objective.
    twice_x, twice_y = [CONV_X, CONV_X], [CONV_Y, CONV_Y]
    mean = gradients(CONV_NET, twice_x, twice_y, reduction="mean", weight_decay=0.5)
    assert mean.W[1].tolist() == [[[3.5, 4.5]]]
    value = CONV_NET.loss(twice_x, twice_y, reduction="mean", weight_decay=0.5)
    assert value == pytest.approx(1.5, abs=1e-14)


def test_recurrent_hand_example() -> None:
    # Without decay: dU = 0.5 * 2 + 1 * 2 = 3, dW1 = 0.25 * 2 + 0.5 * 1 + 1 * 0 = 1,
    # dW2 = dL/dz2_3 * h_3 = 1, db2 = 1. With lambda = 0.2 add 0.2 * (0.5, 1, 1).
    # L = 0.5, penalty 0.2/2 * (1 + 0.25 + 1) = 0.225.
    grads = gradients(RNN_NET, RNN_X, RNN_Y, weight_decay=0.2)
    assert grads.U[1].tolist() == [[pytest.approx(3.1, abs=1e-15)]]
    assert grads.W[1].tolist() == [[pytest.approx(1.2, abs=1e-15)]]
    assert grads.W[2].tolist() == [[pytest.approx(1.2, abs=1e-15)]]
    assert grads.b[1].tolist() == [1.75]
    assert grads.b[2].tolist() == [1.0]
    assert RNN_NET.loss(RNN_X, RNN_Y, weight_decay=0.2) == pytest.approx(0.725, abs=1e-15)


@pytest.mark.parametrize("model", ["conv", "recurrent"])
def test_penalty_of_the_other_models_counts_every_weight_tensor_and_no_bias(model: str) -> None:
    net = copy.deepcopy(HAND[model][0])
    # conv: 2/2 * (1 + 1) = 2; recurrent: 2/2 * (1 + 1 + 0.25) = 2.25, U included.
    assert net.weight_penalty(2.0) == {"conv": 2.0, "recurrent": 2.25}[model]
    for k in net.b:
        net.b[k] += 10.0  # every bias moved, the weights kept
    assert net.weight_penalty(2.0) == {"conv": 2.0, "recurrent": 2.25}[model]


BAD_WEIGHT_DECAYS = [
    pytest.param(bad, kind, id=name)
    for name, bad, kind in [
        ("negative", -0.1, zg.ArgumentValueError),
        ("nan", math.nan, zg.ArgumentValueError),
        ("inf", math.inf, zg.ArgumentValueError),
        ("minus_inf", -math.inf, zg.ArgumentValueError),
        ("str", "0.1", zg.ArgumentTypeError),
        ("none", None, zg.ArgumentTypeError),
        ("bool", True, zg.ArgumentTypeError),
        ("complex", 1j, zg.ArgumentTypeError),
        ("int_beyond_float64", 10**400, zg.ArgumentValueError),
    ]
]
"""Bad values of ``weight_decay`` with the error each must raise."""


@pytest.mark.parametrize(("bad", "kind"), BAD_WEIGHT_DECAYS)
@pytest.mark.parametrize("entry_point", list(ENTRY_POINTS))
@pytest.mark.parametrize("model", list(HAND))
def test_bad_weight_decay_is_refused(
    bad: object, kind: type[zg.ArgumentError], entry_point: str, model: str
) -> None:
    net, x, y = HAND[model]
    with refuses(kind, "weight_decay", received=bad):
        ENTRY_POINTS[entry_point](net, x, y, weight_decay=bad)


@pytest.mark.parametrize("entry_point", list(ENTRY_POINTS))
@pytest.mark.parametrize("model", list(HAND))
def test_weight_decay_with_per_sample_reduction_is_refused(entry_point: str, model: str) -> None:
    # The penalty belongs to the whole objective, not to one sample.
    net, x, y = HAND[model]
    call = ENTRY_POINTS[entry_point]
    with refuses(zg.ArgumentValueError, "weight_decay", expected=0.0, received=0.1):
        call(net, [x, x], [y, y], reduction="none", weight_decay=0.1)
    call(net, [x, x], [y, y], reduction="none", weight_decay=0.0)  # zero is fine
    # One sample ignores the reduction, so "none" with a penalty is the plain objective.
    as_none = gradients(net, x, y, reduction="none", weight_decay=0.2)
    as_sum = gradients(net, x, y, weight_decay=0.2)
    for (name, a), (_, b) in zip(as_none.arrays(), as_sum.arrays(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_a_penalty_whose_sum_of_squares_overflows_is_formed_again_as_documented() -> None:
    # the sum 2e308 overflows float64, though 0.5 / 2 times it does not
    net = zg.Network(W=[[[1e154, 1e154]], [[3.0]]], b=[[0.0], [0.0]], activations="identity")
    real = Fraction(0.5) / 2 * (2 * Fraction(1e154) ** 2 + 9)
    assert net.weight_penalty(0.5) == pytest.approx(float(real), rel=1e-15)
    g = zg.gradients(net, [0.0, 0.0], [1.0], weight_decay=0.5)
    assert np.all(np.isfinite(g.W[1]))  # gradients add lambda W and form no penalty


def test_a_penalty_that_fits_is_returned_where_the_sum_of_squares_overflows() -> None:
    # 1e155 squared overflows float64; 1e-10 / 2 * 1e310 = 5e299 fits, and the loss,
    # the penalty and the central differences all use it
    net = zg.Network(W=[[[1e155, 3e154]], [[2.0]]], b=[[0.0], [0.0]], activations="identity")
    real = Fraction(1e-10) / 2 * (Fraction(1e155) ** 2 + Fraction(3e154) ** 2 + 4)
    assert net.weight_penalty(1e-10) == pytest.approx(float(real), rel=1e-15)
    assert net.loss([0.0, 0.0], [0.0], weight_decay=1e-10) == net.weight_penalty(1e-10)
    zg.check_gradients(net, [0.0, 0.0], [0.0], weight_decay=1e-10, step=1e150)
    with pytest.raises(zg.NonFiniteError, match=r"^the weight penalty must be finite"):
        net.weight_penalty(1e10)  # 5e319: the penalty itself overflows


@pytest.mark.parametrize(
    ("weight", "decay"),
    [(1e-170, 1e300), (3e-160, 1e300), (2.0**30, 3 * 2.0**-1074), (1.0, 5e-324)],
    ids=["squares-underflow", "squares-subnormal", "subnormal-decay", "smallest-decay"],
)
def test_a_penalty_is_right_where_its_squares_underflow_or_lambda_is_subnormal(
    weight: float, decay: float
) -> None:
    # lambda/2 * w^2 is a float64 number in each case; forming w^2 first would give 0.0
    # or a subnormal, and 0.5 * lambda first would round a subnormal lambda
    net = zg.Network(W=[[[weight, weight]]], b=[[0.0]], activations="identity")
    real = Fraction(decay) / 2 * 2 * Fraction(weight) ** 2
    got = net.weight_penalty(decay)
    assert got == pytest.approx(float(real), rel=4 * 2.0**-52, abs=0.0) or got == float(real)
    assert net.loss([0.0, 0.0], [0.0], weight_decay=decay) == got


@pytest.mark.parametrize(
    ("weights", "decay"),
    [
        ([0.45752525329589844, 0.2044544219970703], float.fromhex("0x1.e492c29385181p-1020")),
        ([0.691401481628418, 0.4617338180541992], float.fromhex("0x1.36831df83be4bp-1021")),
        ([1.0, 1.0], 5e-324),
        ([2.0**-200, 1.0], 2.0**-1060),
    ],
)
def test_a_subnormal_penalty_is_within_one_unit_of_the_real_one(
    weights: list[float], decay: float
) -> None:
    # lambda/2 times the sum of squares is a subnormal float64: each rounding on the way
    # is at most half a unit there, 2**-1075
    net = zg.Network(W=[[weights]], b=[[0.0]], activations="identity")
    real = Fraction(decay) / 2 * sum(Fraction(w) ** 2 for w in weights)
    assert real < Fraction(2.0**-1022)
    assert abs(Fraction(net.weight_penalty(decay)) - real) <= Fraction(2.0**-1074)


def test_the_penalty_of_an_all_zero_weight_array_is_zero() -> None:
    net = zg.Network(W=[[[0.0, 0.0]], [[2.0]]], b=[[0.0], [0.0]], activations="identity")
    assert net.weight_penalty(0.5) == 0.5 / 2 * 4.0
    zero = zg.Network(W=[[[0.0, -0.0]]], b=[[5.0]], activations="identity")
    penalty = zero.weight_penalty(1e300)
    assert penalty == 0.0
    assert math.copysign(1.0, penalty) == 1.0


def test_a_subnormal_lambda_times_the_squares_is_rounded_once() -> None:
    # lambda * S = 2.6 * 2**-1074 rounds to 3 * 2**-1074, and halving that rounds again
    # to 2 * 2**-1074; the real penalty, 1.3 * 2**-1074, rounds to 2**-1074
    net = zg.Network(W=[[[1.0, 1.2649110640673518]]], b=[[0.0]], activations="identity")
    squares = sum(Fraction(w) ** 2 for w in (1.0, 1.2649110640673518))
    real = Fraction(5e-324) / 2 * squares
    assert net.weight_penalty(5e-324) == float(real)


def test_a_step_whose_double_overflows_is_refused() -> None:
    net = zg.Network(W=[[[1.0]]], b=[[0.0]], activations="sigmoid")
    with refuses(zg.ArgumentValueError, "step", expected=2.0**1023, received=2.0**1023) as info:
        net.numerical_gradients([1.0], [1.0], loss="binary_cross_entropy", step=2.0**1023)
    assert str(info.value) == (
        "step must be below 2**1023 (twice it overflows float64); got 8.98846567431158e+307"
    )
