"""Weight decay for ConvNetwork and RecurrentNetwork: every weight tensor, in both engines.

The objective is the reduced loss plus ``λ/2`` times the squared norms of every
``W[k]`` (dense matrix or convolution kernel) and of the recurrent ``U[1]``,
biases excepted, as for the dense network (tests/test_weight_decay.py).
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_conv import ConvCase, conv_cases
from test_recurrent import RecurrentCase, recurrent_cases
from test_weight_decay import BAD_WEIGHT_DECAYS, DECAYS, ENTRY_POINTS, PER_SAMPLE_REFUSAL

import zerograd as zg
from zerograd.model import LayeredModel

FloatArray = npt.NDArray[np.float64]
RTOL, ATOL = 1e-6, 1e-8
"""As in test_conv and test_recurrent: the penalty is a quadratic, whose central
difference is exact up to round-off, so the data loss sets the tolerance."""

REDUCED = st.sampled_from(["sum", "mean"])

# z = [1 - 4, 4 - 9] + 0.5 = [-2.5, -4.5]; with y = [-1.5, -5.5], dL/dz = [-1, 1] and L = 1.
CONV_NET = zg.ConvNetwork(W=[[[[1.0, -1.0]]]], b=[[0.5]], activations="identity", length=3)
CONV_X, CONV_Y = [[1.0, 4.0, 9.0]], [[-1.5, -5.5]]

# identity, W1 = 1, U = 0.5, W2 = 1: the state is h_t = x_t + h_{t-1}/2 = 2, 2, 1 and is read at
# the last step, so L = 1/2 * 1^2 and dL/dz2_3 = 1.
RNN_NET = zg.RecurrentNetwork(
    W=[[[1.0]], [[1.0]]], U=[[0.5]], b=[[0.0], [0.0]], activations="identity"
)
RNN_X, RNN_Y = [[2.0], [1.0], [0.0]], [0.0]

HAND: dict[str, tuple[LayeredModel, list[list[float]], list[list[float]] | list[float]]] = {
    "conv": (CONV_NET, CONV_X, CONV_Y),
    "recurrent": (RNN_NET, RNN_X, RNN_Y),
}


def penalised_tensors(net: LayeredModel) -> dict[str, FloatArray]:
    """Every weight tensor by name, written out per model rather than read from the library."""
    tensors = {f"W[{k}]": net.parameters["W"][k] for k in range(1, net.K + 1)}
    if isinstance(net, zg.RecurrentNetwork):
        tensors["U[1]"] = net.U[1]
    return tensors


def assert_matches_central_differences(exact: zg.Gradients, estimate: zg.Gradients) -> None:
    atol = ATOL * max(1.0, exact.max_abs())
    names = [name for name, _ in exact.arrays()]
    assert names == [name for name, _ in estimate.arrays()]
    for (name, got), (_, want) in zip(exact.arrays(), estimate.arrays(), strict=True):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=atol, err_msg=name)
    for k in exact.z:
        np.testing.assert_allclose(
            exact.z[k], estimate.z[k], rtol=RTOL, atol=atol, err_msg=f"z[{k}]"
        )


def assert_adds_lambda_theta(
    net: LayeredModel, x: FloatArray, y: FloatArray, loss: str, reduction: str, decay: float
) -> None:
    plain = zg.gradients(net, x, y, loss=loss, reduction=reduction)
    decayed = zg.gradients(net, x, y, loss=loss, reduction=reduction, weight_decay=decay)
    plain_arrays, decayed_arrays = dict(plain.arrays()), dict(decayed.arrays())
    tensors = penalised_tensors(net)
    assert set(plain_arrays) == set(decayed_arrays)
    for name, got in decayed_arrays.items():
        if name in tensors:
            want = plain_arrays[name] + decay * tensors[name]
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=name)
        else:  # a bias
            assert name.startswith("b["), name
            np.testing.assert_array_equal(got, plain_arrays[name], err_msg=name)
    for k in plain.z:
        np.testing.assert_array_equal(decayed.z[k], plain.z[k], err_msg=f"z[{k}]")


def assert_zero_decay_changes_nothing(
    net: LayeredModel, x: FloatArray, y: FloatArray, loss: str, reduction: str
) -> None:
    plain = zg.gradients(net, x, y, loss=loss, reduction=reduction)
    zero = zg.gradients(net, x, y, loss=loss, reduction=reduction, weight_decay=0.0)
    for (name, a), (_, b) in zip(plain.arrays(), zero.arrays(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)
    for k in plain.z:
        np.testing.assert_array_equal(zero.z[k], plain.z[k], err_msg=f"z[{k}]")
    np.testing.assert_array_equal(
        net.loss(x, y, loss=loss, reduction=reduction),
        net.loss(x, y, loss=loss, reduction=reduction, weight_decay=0),
    )


def assert_loss_adds_the_penalty(
    net: LayeredModel, x: FloatArray, y: FloatArray, loss: str, reduction: str, decay: float
) -> None:
    # Not divided by N under "mean": the penalty belongs to the objective, not to a sample.
    penalty = 0.5 * decay * sum(float(np.sum(t**2)) for t in penalised_tensors(net).values())
    plain = net.loss(x, y, loss=loss, reduction=reduction)
    decayed = net.loss(x, y, loss=loss, reduction=reduction, weight_decay=decay)
    assert isinstance(decayed, float)
    assert decayed == pytest.approx(float(plain) + penalty, rel=1e-12, abs=1e-12)
    assert net.weight_penalty(decay) == pytest.approx(penalty, rel=1e-12, abs=1e-300)


@given(case=conv_cases(), reduction=REDUCED, decay=DECAYS)
def test_conv_weight_decay_matches_central_differences(
    case: ConvCase, reduction: str, decay: float
) -> None:
    kwargs = {"loss": case.loss, "reduction": reduction, "weight_decay": decay}
    exact = zg.gradients(case.net, case.x, case.y, **kwargs)  # type: ignore[arg-type]
    estimate = zg.numerical_gradients(case.net, case.x, case.y, **kwargs)  # type: ignore[arg-type]
    assert_matches_central_differences(exact, estimate)


@given(case=recurrent_cases(), reduction=REDUCED, decay=DECAYS)
def test_recurrent_weight_decay_matches_central_differences(
    case: RecurrentCase, reduction: str, decay: float
) -> None:
    kwargs = {"loss": case.loss, "reduction": reduction, "weight_decay": decay}
    exact = zg.gradients(case.net, case.x, case.y, **kwargs)  # type: ignore[arg-type]
    estimate = zg.numerical_gradients(case.net, case.x, case.y, **kwargs)  # type: ignore[arg-type]
    assert exact.U is not None
    assert estimate.U is not None
    assert_matches_central_differences(exact, estimate)


@given(case=conv_cases(), reduction=REDUCED, decay=DECAYS)
def test_conv_weight_decay_adds_lambda_w_to_every_kernel_and_matrix(
    case: ConvCase, reduction: str, decay: float
) -> None:
    assert_adds_lambda_theta(case.net, case.x, case.y, case.loss, reduction, decay)
    assert_loss_adds_the_penalty(case.net, case.x, case.y, case.loss, reduction, decay)


@given(case=recurrent_cases(), reduction=REDUCED, decay=DECAYS)
def test_recurrent_weight_decay_adds_lambda_w_and_lambda_u(
    case: RecurrentCase, reduction: str, decay: float
) -> None:
    assert_adds_lambda_theta(case.net, case.x, case.y, case.loss, reduction, decay)
    assert_loss_adds_the_penalty(case.net, case.x, case.y, case.loss, reduction, decay)


@given(case=conv_cases())
def test_conv_zero_weight_decay_changes_nothing(case: ConvCase) -> None:
    assert_zero_decay_changes_nothing(case.net, case.x, case.y, case.loss, case.reduction)


@given(case=recurrent_cases())
def test_recurrent_zero_weight_decay_changes_nothing(case: RecurrentCase) -> None:
    assert_zero_decay_changes_nothing(case.net, case.x, case.y, case.loss, case.reduction)


def test_conv_hand_example() -> None:
    # dW = [-1 * 1 + 1 * 4, -1 * 4 + 1 * 9] = [3, 5]; with lambda = 0.5 add 0.5 * [1, -1].
    # L = 1, penalty 0.5/2 * (1 + 1) = 0.5; the bias (0.5) is not penalised.
    grads = zg.gradients(CONV_NET, CONV_X, CONV_Y, weight_decay=0.5)
    assert grads.W[1].tolist() == [[[3.5, 4.5]]]
    assert grads.b[1].tolist() == [0.0]
    assert grads.z[1].tolist() == [[-1.0, 1.0]]
    assert CONV_NET.loss(CONV_X, CONV_Y, weight_decay=0.5) == pytest.approx(1.5, abs=1e-14)
    # Under "mean" the penalty is not divided by N: two copies give the same objective.
    twice_x, twice_y = [CONV_X, CONV_X], [CONV_Y, CONV_Y]
    mean = zg.gradients(CONV_NET, twice_x, twice_y, reduction="mean", weight_decay=0.5)
    assert mean.W[1].tolist() == [[[3.5, 4.5]]]
    value = CONV_NET.loss(twice_x, twice_y, reduction="mean", weight_decay=0.5)
    assert value == pytest.approx(1.5, abs=1e-14)


def test_recurrent_hand_example() -> None:
    # Without decay: dU = 0.5 * 2 + 1 * 2 = 3, dW1 = 0.25 * 2 + 0.5 * 1 + 1 * 0 = 1,
    # dW2 = dL/dz2_3 * h_3 = 1, db2 = 1. With lambda = 0.2 add 0.2 * (0.5, 1, 1).
    # L = 0.5, penalty 0.2/2 * (1 + 0.25 + 1) = 0.225.
    grads = zg.gradients(RNN_NET, RNN_X, RNN_Y, weight_decay=0.2)
    assert grads.U is not None
    assert grads.U[1].tolist() == [[pytest.approx(3.1, abs=1e-15)]]
    assert grads.W[1].tolist() == [[pytest.approx(1.2, abs=1e-15)]]
    assert grads.W[2].tolist() == [[pytest.approx(1.2, abs=1e-15)]]
    assert grads.b[1].tolist() == [1.75]
    assert grads.b[2].tolist() == [1.0]
    assert RNN_NET.loss(RNN_X, RNN_Y, weight_decay=0.2) == pytest.approx(0.725, abs=1e-15)


@pytest.mark.parametrize("model", ["conv", "recurrent"])
def test_unit_weight_decay_adds_the_weights_themselves(model: str) -> None:
    # With lambda = 1 the penalty's gradient is theta itself, added like any other decay's.
    net, x, y = HAND[model]
    assert_adds_lambda_theta(net, np.array(x), np.array(y), "squared_error", "sum", 1.0)
    assert_loss_adds_the_penalty(net, np.array(x), np.array(y), "squared_error", "sum", 1.0)


@pytest.mark.parametrize("model", ["conv", "recurrent"])
def test_penalty_counts_every_weight_tensor_and_no_bias(model: str) -> None:
    net, _, _ = HAND[model]
    # conv: 2/2 * (1 + 1) = 2; recurrent: 2/2 * (1 + 1 + 0.25) = 2.25, U included.
    assert net.weight_penalty(2.0) == {"conv": 2.0, "recurrent": 2.25}[model]
    arrays = {
        name: [a + 10.0 if name == "b" else a for a in layered.values()]
        for name, layered in net.parameters.items()
    }
    shifted = net.rebuild(arrays)  # every bias moved by 10, weights kept
    assert not np.array_equal(shifted.parameters["b"][1], net.parameters["b"][1])
    assert shifted.weight_penalty(2.0) == net.weight_penalty(2.0)


@pytest.mark.parametrize(("bad", "error", "message"), BAD_WEIGHT_DECAYS)
@pytest.mark.parametrize("entry_point", ["gradients", "numerical_gradients", "loss"])
@pytest.mark.parametrize("model", ["conv", "recurrent"])
def test_bad_weight_decay_is_refused(
    bad: object, error: type[Exception], message: str, entry_point: str, model: str
) -> None:
    net, x, y = HAND[model]
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        ENTRY_POINTS[entry_point](net, x, y, weight_decay=bad)


@pytest.mark.parametrize("entry_point", ["gradients", "numerical_gradients", "loss"])
@pytest.mark.parametrize("model", ["conv", "recurrent"])
def test_weight_decay_with_per_sample_reduction_is_refused(entry_point: str, model: str) -> None:
    net, x, y = HAND[model]
    batch_x, batch_y = [x, x], [y, y]
    call = ENTRY_POINTS[entry_point]
    with pytest.raises(ValueError, match=f"^{re.escape(PER_SAMPLE_REFUSAL)}$"):
        call(net, batch_x, batch_y, reduction="none", weight_decay=0.1)
    call(net, batch_x, batch_y, reduction="none", weight_decay=0.0)  # zero is fine
    # One sample ignores the reduction, so "none" with a penalty is the plain objective.
    as_none = zg.gradients(net, x, y, reduction="none", weight_decay=0.1)
    as_sum = zg.gradients(net, x, y, weight_decay=0.1)
    for (name, a), (_, b) in zip(as_none.arrays(), as_sum.arrays(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)
