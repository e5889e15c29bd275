"""The book's constructions have the properties the book states about them.

Expected numbers here are worked out by hand from the construction's
definition (see each comment), never read back from the library.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from contracts import refuses
from gradient_cases import add_activation
from hypothesis import given, settings
from hypothesis import strategies as st

import zerograd as zg
from zerograd import _checks
from zerograd.activations import Activation
from zerograd.book import same_bits
from zerograd.examples import (
    CANCELLING_POSITION_ERRORS,
    CANCELLING_STEP_ERRORS,
    MIRRORED_ERROR,
    OPTIMUM_ERRORS,
    Example,
    Setting,
    cancelling_batch,
    cancelling_batch_full_rank,
    conv_cancelling_positions,
    output_optimum_batch,
    recurrent_cancelling_steps,
    steepest_zero,
    weight_only_counterexample,
    worked_example,
    zero_output_bias_batch,
    zeros_of,
)
from zerograd.rational import fractions_of, gradients_are_exact

ACTIVATION_NAMES = tuple(zg.ACTIVATIONS)
# f(z) = 0 at a point where f'(z) != 0: tanh, identity, leaky_relu and silu at z = 0.
WEIGHT_ONLY_POSSIBLE = {"identity", "leaky_relu", "tanh", "silu"}


def test_worked_example_forward_values_by_hand() -> None:
    trace = worked_example().net.forward([2.0, 1.0])
    # z1 = (2 - 1 + 0.5, 1 + 2 - 1, -2 + 0.5), x1 = relu(z1), z2 = 1.5 - 1 + 0 + 0.25
    np.testing.assert_array_equal(trace.z[1], [1.5, 2.0, -1.5])
    np.testing.assert_array_equal(trace.x[1], [1.5, 2.0, 0.0])
    np.testing.assert_array_equal(trace.x[2], [0.75])


def test_worked_example_gradients_by_hand() -> None:
    g = worked_example().gradients()
    # delta2 = 0.75 - 1.75 = -1; delta1 = relu'(z1) * W2^T delta2 = (1, 1, 0) * (-1, 0.5, -2)
    np.testing.assert_array_equal(g.z[2], [-1.0])
    np.testing.assert_array_equal(g.b[2], [-1.0])
    np.testing.assert_array_equal(g.W[2], [[-1.5, -2.0, 0.0]])
    np.testing.assert_array_equal(g.z[1], [-1.0, 0.5, 0.0])
    np.testing.assert_array_equal(g.b[1], [-1.0, 0.5, 0.0])
    np.testing.assert_array_equal(g.W[1], [[-2.0, -1.0], [1.0, 0.5], [0.0, 0.0]])


def test_worked_example_agrees_with_central_differences() -> None:
    case = worked_example()
    zg.check_gradients(case.net, case.x, case.y, loss=case.loss)


@pytest.mark.parametrize(
    ("target", "output", "bias", "z2"),
    [
        (0.75, "identity", 0.25, 0.75),  # target equal to the prediction
        (1.75, "relu", -0.5, 0.0),  # relu's kink, relu'(0) = 0
        (1.75, "relu", -1.25, -0.75),  # relu's flat region
    ],
)
def test_worked_example_zero_cases(target: float, output: str, bias: float, z2: float) -> None:
    case = worked_example(target=target, output_activation=output, output_bias=bias)
    assert case.net.forward(case.x).z[2][0] == z2
    assert case.gradients().all_zero()


def test_worked_example_nonzero_when_target_differs_by_a_representable_amount() -> None:
    case = worked_example(target=0.75 + 2.0**-40)
    g = case.gradients()
    assert not g.all_zero()
    assert g.max_abs() <= 2.0 * 2.0**-40


@settings(max_examples=40, deadline=None)
@given(
    widths=st.lists(st.integers(1, 4), min_size=3, max_size=4),
    activations=st.lists(st.sampled_from(ACTIVATION_NAMES), min_size=3, max_size=3),
    seed=st.integers(0, 2**32 - 1),
)
def test_target_at_prediction_gives_exact_zeros(
    widths: list[int], activations: list[str], seed: int
) -> None:
    names = activations[: len(widths) - 1]
    case = zero_output_bias_batch(widths, names, way="target", n_samples=16, seed=seed)
    assert case.gradients(reduction="none").all_zero()
    assert case.gradients(reduction="sum").all_zero()


@settings(max_examples=40, deadline=None)
@given(
    widths=st.lists(st.integers(1, 4), min_size=3, max_size=3),
    hidden=st.sampled_from(ACTIVATION_NAMES),
    seed=st.integers(0, 2**32 - 1),
)
def test_flat_relu_output_gives_exact_zeros(widths: list[int], hidden: str, seed: int) -> None:
    case = zero_output_bias_batch(widths, [hidden, "relu"], way="flat", n_samples=16, seed=seed)
    assert (case.net.forward(case.x).z[2] < 0).all()
    assert np.any(case.y)  # the targets are not what makes the gradient vanish
    assert case.gradients(reduction="none").all_zero()


def test_target_zeros_are_those_of_the_batched_forward_pass() -> None:
    # A one-sample call rounds the prediction on its own, so the docstring says
    # it need not give delta^(K) = 0.0; this batch has such samples.
    case = zero_output_bias_batch([2, 3, 1], ["tanh", "identity"], way="target", seed=0)
    assert case.gradients(reduction="none").all_zero()
    alone = [
        not zg.gradients(case.net, x_n, y_n).all_zero()
        for x_n, y_n in zip(case.x, case.y, strict=True)
    ]
    assert any(alone)


def test_softmax_target_at_prediction_gives_exact_zeros() -> None:
    case = zero_output_bias_batch(
        [3, 4, 3], ["tanh", "identity"], way="target", seed=5, loss="softmax_cross_entropy"
    )
    np.testing.assert_allclose(case.y.sum(axis=1), 1.0)
    assert case.gradients(reduction="none").all_zero()


def test_zero_output_bias_batch_rejects_what_it_cannot_build() -> None:
    with refuses(zg.ArgumentValueError, "way", received=("tanh", "squared_error")):
        zero_output_bias_batch([2, 2, 1], ["tanh", "tanh"], way="flat")
    with refuses(zg.ArgumentValueError, "way", expected=("target", "flat"), received="saturated"):
        zero_output_bias_batch([2, 2, 1], ["tanh", "relu"], way="saturated")
    with refuses(
        zg.ArgumentValueError,
        "loss",
        expected=("squared_error", "softmax_cross_entropy"),
        received="binary_cross_entropy",
    ):
        zero_output_bias_batch([2, 2, 1], ["tanh", "sigmoid"], loss="binary_cross_entropy")
    with refuses(zg.ArgumentTypeError, "loss", received=None):
        zero_output_bias_batch([2, 2, 1], ["tanh", "relu"], loss=None)  # type: ignore[arg-type]
    with refuses(zg.ArgumentValueError, "sizes", expected=2, received=1) as info:
        zero_output_bias_batch([2, 3, 1], ["tanh", "identity"], loss="softmax_cross_entropy")
    assert str(info.value) == (
        "sizes must end in 2 output units or more for softmax_cross_entropy; got 1 output unit"
    )
    with refuses(zg.ArgumentTypeError, "n_samples", received=2.0):
        zero_output_bias_batch([2, 2, 1], ["tanh", "relu"], n_samples=2.0)  # type: ignore[arg-type]
    with refuses(zg.ArgumentTypeError, "seed", received=0.5):
        zero_output_bias_batch([2, 2, 1], ["tanh", "relu"], seed=0.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("activations", "loss", "received"),
    [
        ("tanh", "squared_error", ("tanh", "squared_error")),
        (("relu", "sigmoid"), "squared_error", ("sigmoid", "squared_error")),
    ],
)
def test_flat_with_another_loss_or_output_is_refused_before_the_sizes(
    activations: str | list[str], loss: str, received: tuple[str, str]
) -> None:
    # no sizes would make 'flat' fit: the error names way, not the bad sizes
    for sizes in ([2, -3, 2], [2, 3, 2]):
        with refuses(zg.ArgumentValueError, "way", received=received):
            zero_output_bias_batch(sizes, activations, way="flat", loss=loss)


@pytest.mark.parametrize("n_samples", [2**40, 2**62, 10**30])
def test_zero_output_bias_batch_refuses_a_batch_that_cannot_be_held(
    n_samples: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not numpy's 'array is too big', nor an attempt to allocate it.

    Widths 3-2-1, per sample: x and its copy (2 x 3), z and x of each layer (2 x 3), y (1):
    13 floats.
    """
    monkeypatch.setattr(_checks, "available_memory", lambda: 2**30)
    with refuses(zg.ArgumentValueError, "n_samples", received=8 * 13 * n_samples) as info:
        zero_output_bias_batch([3, 2, 1], ["tanh", "identity"], n_samples=n_samples)
    assert f"got a batch of {n_samples:,} samples needing {8 * 13 * n_samples:,} bytes" in str(
        info.value
    )


def test_zeros_of_each_activation() -> None:
    np.testing.assert_array_equal(zeros_of("tanh"), [0.0])
    np.testing.assert_array_equal(zeros_of("identity"), [0.0])
    np.testing.assert_array_equal(zeros_of("leaky_relu"), [0.0])
    relu_zeros = zeros_of("relu")
    assert relu_zeros.max() == 0.0
    assert relu_zeros.min() == -1000.0
    # sigmoid and softplus are positive; in float64 they reach 0.0 only by underflow, near -745
    for name in ("sigmoid", "softplus"):
        assert -750.0 < zeros_of(name).max() < -740.0


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_steepest_zero_is_zero_or_underflow(name: str) -> None:
    z_0 = steepest_zero(name)
    if name in {"sigmoid", "softplus"}:
        assert z_0 < -740.0
    else:
        assert z_0 == 0.0


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_weight_only_counterexample_exists_exactly_where_the_math_says(name: str) -> None:
    case = weight_only_counterexample(name)
    trace = case.net.forward(case.x)
    # W1 x0 = (2 - 2, 1 - 1) = 0, so z1 = b1 = (z_0, z_0) and x1 = f(z_0) = 0 exactly
    z_0 = steepest_zero(name)
    np.testing.assert_array_equal(trace.z[1], [z_0, z_0])
    np.testing.assert_array_equal(trace.x[1], [0.0, 0.0])
    np.testing.assert_array_equal(trace.x[2], [0.5])
    g = case.gradients()
    assert not np.any(g.W[2]), "the premise: output-weight gradient exactly zero"
    np.testing.assert_array_equal(g.b[2], [-1.0])  # x2 = b2 = 0.5, target 1.5
    hidden_nonzero = bool(np.any(g.W[1]) or np.any(g.b[1]))
    assert hidden_nonzero == (name in WEIGHT_ONLY_POSSIBLE)


def test_weight_only_counterexample_numbers_by_hand() -> None:
    g = weight_only_counterexample("tanh").gradients()
    # delta1 = tanh'(0) * W2^T * (-1) = (-1, 2); dW1 = delta1 x0^T with x0 = (1, 2)
    np.testing.assert_array_equal(g.b[1], [-1.0, 2.0])
    np.testing.assert_array_equal(g.W[1], [[-1.0, -2.0], [2.0, 4.0]])
    leaky = weight_only_counterexample("leaky_relu").gradients()
    np.testing.assert_allclose(leaky.b[1], [-0.01, 0.02], rtol=1e-15)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_cancelling_batch_meets_the_full_premise(name: str, reduction: str) -> None:
    case = cancelling_batch(name)
    g = case.gradients(reduction=reduction)
    assert not np.any(g.W[2])
    assert not np.any(g.b[2])
    assert np.any(g.W[1])
    per_sample = case.gradients(reduction="none")
    np.testing.assert_array_equal(per_sample.b[2], [[MIRRORED_ERROR], [-MIRRORED_ERROR]])


def test_cancelling_batch_full_rank_by_hand() -> None:
    case = cancelling_batch_full_rank()
    g = case.gradients()
    assert not np.any(g.W[2])
    assert not np.any(g.b[2])
    # delta^(2) = (0.5, 0.5, -0.5, -0.5), W2 = (1, -0.5), relu masks (1, 0), (0, 1), (1, 1),
    # (0, 0): delta^(1)_n = (0.5, 0), (0, -0.25), (-0.5, 0.25), (0, 0), and
    # dL/dW^(1) = sum_n delta^(1)_n x0_n^T with x0 = (1, -1), (-1, 1), (1, 1), (-1, -1).
    np.testing.assert_array_equal(g.z[2][:, 0], [0.5, 0.5, -0.5, -0.5])
    np.testing.assert_array_equal(g.W[1], [[0.0, -1.0], [0.5, 0.0]])
    np.testing.assert_array_equal(g.b[1], [0.0, 0.0])


def test_cancelling_batch_full_rank_is_off_the_kink() -> None:
    case = cancelling_batch_full_rank()
    trace = case.net.forward(case.x)
    # every raw activation of the relu layer is +-1, so relu is differentiable there ...
    np.testing.assert_array_equal(np.abs(trace.z[1]), np.ones((4, 2)))
    np.testing.assert_array_equal(trace.x[1], [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    # ... and backpropagation agrees with central differences, for the sum and per sample.
    zg.check_gradients(case.net, case.x, case.y)
    zg.check_gradients(case.net, case.x, case.y, reduction="none")


def test_zeros_of_rejects_bad_candidates() -> None:
    with refuses(zg.ArgumentValueError, "candidates", expected=1, received=(1, 2)):
        zeros_of("tanh", [[0.0, 1.0]])
    for scalar in (5.0, np.float64(0.0)):  # no bare numpy AxisError from sorting a 0-d array
        with refuses(zg.ArgumentValueError, "candidates", expected=1, received=()):
            zeros_of("tanh", scalar)
    with refuses(zg.NonFiniteError, "candidates", index=(1,)):
        zeros_of("tanh", [0.0, float("nan")])


def test_worked_example_parameters_as_documented() -> None:
    net = worked_example().net
    np.testing.assert_array_equal(net.W[1], [[1.0, -1.0], [0.5, 2.0], [-1.0, 0.5]])
    np.testing.assert_array_equal(net.b[1], [0.5, -1.0, 0.0])
    np.testing.assert_array_equal(net.W[2], [[1.0, -0.5, 2.0]])
    np.testing.assert_array_equal(net.b[2], [0.25])
    assert net.activations == ("relu", "identity")
    # the third hidden unit is off while its output weight is not zero
    assert net.forward([2.0, 1.0]).z[1][2] < 0.0
    assert net.W[2][0, 2] != 0.0


def test_documented_defaults() -> None:
    assert weight_only_counterexample().net.activations == ("tanh", "identity")
    assert cancelling_batch().net.activations == ("tanh", "identity")
    default = zero_output_bias_batch([2, 3, 1], ["tanh", "identity"])
    assert default.x.shape == (64, 2)
    assert default.y.shape == (64, 1)
    explicit = zero_output_bias_batch(
        [2, 3, 1], ["tanh", "identity"], way="target", n_samples=64, seed=0
    )
    np.testing.assert_array_equal(default.x, explicit.x)
    np.testing.assert_array_equal(default.y, explicit.y)
    np.testing.assert_array_equal(default.y, default.prediction())  # way="target"


def test_cancelling_batch_linear_case_by_hand() -> None:
    case = cancelling_batch("identity")
    net = case.net
    np.testing.assert_array_equal(net.W[1], [[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
    np.testing.assert_array_equal(net.b[1], [0.25, 0.0])
    np.testing.assert_array_equal(net.W[2], [[0.5, -0.25]])
    np.testing.assert_array_equal(net.b[2], [1.25])
    # second input = first + v, v = (1, -1, 1)
    np.testing.assert_array_equal(case.x, [[0.5, 0.0, 0.25], [1.5, -1.0, 1.25]])
    np.testing.assert_array_equal(net.W[1] @ np.array([1.0, -1.0, 1.0]), [0.0, 0.0])
    trace = net.forward(case.x)
    np.testing.assert_array_equal(trace.z[1], [[0.75, 0.25], [0.75, 0.25]])
    # p = 0.5 * 0.75 - 0.25 * 0.25 + 1.25 = 1.5625; targets p - d and p + d, d = 1/8
    np.testing.assert_array_equal(trace.x[2], [[1.5625], [1.5625]])
    np.testing.assert_array_equal(case.y, [[1.4375], [1.6875]])
    g = case.gradients()
    # delta1_1 = W2^T d = (1/16, -1/32); dW1 = -delta1_1 v^T; db1 = delta1_1 - delta1_1
    np.testing.assert_array_equal(
        g.W[1], [[-0.0625, 0.0625, -0.0625], [0.03125, -0.03125, 0.03125]]
    )
    np.testing.assert_array_equal(g.b[1], [0.0, 0.0])


def test_cancelling_batch_tanh_hidden_gradient_formula() -> None:
    g = cancelling_batch("tanh").gradients()
    # dW1 = -delta1_1 v^T with delta1_1 = tanh'(z1) * W2^T d, z1 = (0.75, 0.25), d = 1/8
    tanh_slope = 1.0 - np.tanh(np.array([0.75, 0.25])) ** 2
    delta_1 = tanh_slope * np.array([0.5, -0.25]) * 0.125
    expected = -np.outer(delta_1, [1.0, -1.0, 1.0])
    np.testing.assert_allclose(g.W[1], expected, rtol=1e-14)


def _step_to_two_to_fifty(z: np.ndarray) -> np.ndarray:
    # 0.5 * (2**51 - 2.5) + 1.25 = 2**50: cancelling_batch's prediction lands on a power of two
    return np.where(z > 0.5, 2.0**51 - 2.5, 0.0)


def _row_dependent(z: np.ndarray) -> np.ndarray:
    # not elementwise: the second sample's hidden output is moved by (1, 2) * 2**-10, which
    # W^(2) = (0.5, -0.25) maps to 0, so the two predictions stay equal
    if z.ndim != 2:
        return z
    shift = np.arange(z.shape[0], dtype=float)[:, None] * np.array([1.0, 2.0]) * 2.0**-10
    moved: np.ndarray = np.add(z, shift)
    return moved


def test_cancelling_batch_refuses_hidden_outputs_that_differ(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = Activation("rows", _row_dependent, np.ones_like, "")
    add_activation(monkeypatch, rows)
    base = cancelling_batch("identity")
    net = zg.Network(base.net.W, base.net.b, ["rows", "identity"])
    x = base.x
    prediction = net.forward(x).x[2]
    assert prediction[0, 0] == prediction[1, 0], "the predictions agree"
    with refuses(zg.ArgumentValueError, "hidden", expected="equal rows", received="rows") as info:
        cancelling_batch("rows")
    assert str(info.value) == (
        "hidden must give both samples the same hidden output x^(1); got x^(1) = "
        "[[0.75, 0.25], [0.7509765625, 0.251953125]] for 'rows'"
    )


def test_cancelling_batch_refuses_errors_that_do_not_come_out_exactly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # With p = 2**50, floats below p are 1/8 apart and above it 1/4 apart: p - d is exact,
    # p + d = 2**50 + 1/8 rounds (to even) to p, so only the second error is wrong.
    step = Activation("step", _step_to_two_to_fifty, np.zeros_like, "")
    add_activation(monkeypatch, step)
    assert float(np.float64(2.0**50) + MIRRORED_ERROR) == 2.0**50
    assert float(np.float64(2.0**50) - MIRRORED_ERROR) == 2.0**50 - MIRRORED_ERROR
    with refuses(zg.ArgumentValueError, "hidden", expected=0.125, received="step") as info:
        cancelling_batch("step")
    # The errors p - y are d and 0: the second target p + d came out as p.
    assert re.fullmatch(
        r"hidden must give errors of exactly \+-0\.125 \(a prediction where p -\+ d is exact\); "
        r"got errors \[0\.125 0\. *\] for 'step'",
        str(info.value),
    ), str(info.value)


def test_steepest_zero_refuses_an_activation_without_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    positive = Activation("positive", lambda z: 1.0 + z**2, lambda z: 2.0 * z, "1 + z^2")
    add_activation(monkeypatch, positive)
    assert zeros_of("positive").size == 0
    with refuses(zg.ArgumentValueError, "activation", expected="a zero", received="positive"):
        steepest_zero("positive")


def test_cancelling_batch_full_rank_parameters_and_targets_by_hand() -> None:
    case = cancelling_batch_full_rank()
    net = case.net
    np.testing.assert_array_equal(net.W[1], np.eye(2))
    np.testing.assert_array_equal(net.b[1], [0.0, 0.0])
    np.testing.assert_array_equal(net.W[2], [[1.0, -0.5]])
    np.testing.assert_array_equal(net.b[2], [0.25])
    np.testing.assert_array_equal(case.x, [[1.0, -1.0], [-1.0, 1.0], [1.0, 1.0], [-1.0, -1.0]])
    trace = net.forward(case.x)
    np.testing.assert_array_equal(trace.x[1], [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    # p = x1 . (1, -0.5) + 0.25 = (1.25, -0.25, 0.75, 0.25); y = p - (0.5, 0.5, -0.5, -0.5)
    np.testing.assert_array_equal(trace.x[2], [[1.25], [-0.25], [0.75], [0.25]])
    np.testing.assert_array_equal(case.y, [[0.75], [-0.75], [1.25], [0.75]])
    np.testing.assert_array_equal(
        case.gradients(reduction="none").z[2], [[0.5], [0.5], [-0.5], [-0.5]]
    )


def test_zero_output_bias_batch_is_seeded() -> None:
    def build(seed: int) -> zg.Network:
        return zero_output_bias_batch([2, 3, 1], ["tanh", "identity"], n_samples=4, seed=seed).net

    again, other = build(3), build(4)
    np.testing.assert_array_equal(build(3).W[1], again.W[1])
    assert not np.array_equal(again.W[1], other.W[1])


def test_flat_way_lowers_only_the_output_bias_as_documented() -> None:
    sizes, names = [2, 3, 2, 2], ["tanh", "tanh", "relu"]
    target = zero_output_bias_batch(sizes, names, way="target", n_samples=8, seed=2)
    flat = zero_output_bias_batch(sizes, names, way="flat", n_samples=8, seed=2)
    np.testing.assert_array_equal(flat.x, target.x)
    for k in (1, 2, 3):
        np.testing.assert_array_equal(flat.net.W[k], target.net.W[k])
    for k in (1, 2):
        np.testing.assert_array_equal(flat.net.b[k], target.net.b[k])
    # b_j = -(1 + max_n |(W^(3) x^(2)_n)_j|), so every z^(3) <= -1
    weighted = flat.net.forward(flat.x).x[2] @ flat.net.W[3].T
    np.testing.assert_allclose(flat.net.b[3], -(1.0 + np.abs(weighted).max(axis=0)), rtol=1e-12)
    assert (flat.net.forward(flat.x).z[3] <= -1.0 + 1e-12).all()
    assert flat.gradients(reduction="none").all_zero()


def test_zero_output_bias_batch_flat_needs_relu_and_squared_error() -> None:
    with refuses(zg.ArgumentValueError, "way", received=("tanh", "squared_error")):
        zero_output_bias_batch([2, 2, 2, 1], ["relu", "relu", "tanh"], way="flat")
    with refuses(zg.ArgumentValueError, "loss", received="softmax_cross_entropy"):
        zero_output_bias_batch(
            [2, 2, 2], ["tanh", "relu"], way="flat", loss="softmax_cross_entropy"
        )


def test_zeros_of_names_the_candidates() -> None:
    with refuses(zg.NonFiniteError, "candidates", index=(0,)):
        zeros_of("tanh", [float("nan"), 0.0])
    with refuses(zg.ArgumentTypeError, "candidates", received=np.dtype("<U1")):
        zeros_of("tanh", ["a", "b"])


def test_example_numerical_gradients_use_the_case_loss_and_reduction() -> None:
    per_sample = cancelling_batch("identity").numerical_gradients(reduction="none")
    # each sample's own output-bias gradient is its error, +d and -d
    np.testing.assert_allclose(per_sample.b[2], [[MIRRORED_ERROR], [-MIRRORED_ERROR]], rtol=1e-7)
    softmax_case = zero_output_bias_batch(
        [3, 2, 3], ["tanh", "identity"], n_samples=2, seed=1, loss="softmax_cross_entropy"
    )
    # y = softmax(prediction): cross-entropy is at its minimum, so every gradient is 0
    assert softmax_case.numerical_gradients().max_abs() < 1e-8


def test_worked_example_names_a_bad_target() -> None:
    with refuses(zg.NonFiniteError, "target", index=(), received="NaN") as info:
        worked_example(target=float("nan"))
    assert str(info.value) == "target must be finite; got NaN"
    with refuses(zg.NonFiniteError, "output_bias", index=(), received="inf") as info:
        worked_example(output_bias=-np.inf)
    assert str(info.value) == "output_bias must be finite; got -inf"


def test_zero_output_bias_batch_needs_at_least_one_sample() -> None:
    with refuses(zg.ArgumentValueError, "n_samples", expected=1, received=0):
        zero_output_bias_batch([2, 2, 1], ["tanh", "relu"], n_samples=0)
    case = zero_output_bias_batch([2, 2, 1], ["tanh", "relu"], n_samples=1)
    assert case.x.shape == (1, 2)
    assert case.y.shape == (1, 1)


def test_zero_output_bias_batch_flat_names_the_output_and_the_loss() -> None:
    # Three layers, so that the output (layer -1) and layer 1 = layer -2 differ.
    with refuses(
        zg.ArgumentValueError,
        "way",
        expected=("relu", "squared_error"),
        received=("tanh", "squared_error"),
    ):
        zero_output_bias_batch([2, 2, 2, 1], ["relu", "relu", "tanh"], way="flat")


def test_zero_output_bias_batch_flat_with_softmax_is_refused_by_loss_at_any_width() -> None:
    # with one output unit way='target' would not mend it either (softmax needs two):
    # the loss is what to change, and is named before the width
    for sizes in ([2, 3, 1], [2, 3, 2], [2, -3, 1]):
        with refuses(
            zg.ArgumentValueError,
            "loss",
            expected="squared_error",
            received="softmax_cross_entropy",
        ) as info:
            zero_output_bias_batch(
                sizes, ["tanh", "relu"], way="flat", loss="softmax_cross_entropy"
            )
        assert str(info.value) == (
            "loss must be 'squared_error' for way='flat'; got 'softmax_cross_entropy'"
        )
    # the width is named where the way fits the loss
    with refuses(zg.ArgumentValueError, "sizes", expected=2, received=1):
        zero_output_bias_batch([2, 3, 1], ["tanh", "identity"], loss="softmax_cross_entropy")
    # and two output units are enough
    two = zero_output_bias_batch([2, 3, 2], ["tanh", "identity"], loss="softmax_cross_entropy")
    assert two.net.sizes == (2, 3, 2)
    assert two.loss == "softmax_cross_entropy"


def test_output_optimum_batch_parameters_and_targets_by_hand() -> None:
    case = output_optimum_batch()
    net = case.net
    np.testing.assert_array_equal(net.W[1], np.eye(2))
    np.testing.assert_array_equal(net.b[1], [0.0, 0.0])
    np.testing.assert_array_equal(net.W[2], [[1.0, -0.5]])
    np.testing.assert_array_equal(net.b[2], [0.25])
    assert net.activations == ("relu", "identity")
    assert case.loss == "squared_error"
    np.testing.assert_array_equal(
        case.x, [[1.0, -1.0], [2.0, -0.5], [-1.0, -1.0], [-1.0, 1.0], [-0.5, 2.0], [-0.5, -2.0]]
    )
    # x1 = relu(x0) = (1, 0), (2, 0), (0, 0), (0, 1), (0, 2), (0, 0);
    # p = x1 . (1, -0.5) + 0.25 = (1.25, 2.25, 0.25, -0.25, -0.75, 0.25);
    # y = p - e with e = (1, -0.5, -0.5, 1, -0.5, -0.5).
    np.testing.assert_array_equal(case.y, [[0.25], [2.75], [0.75], [-1.25], [-0.25], [0.75]])
    assert OPTIMUM_ERRORS == (1.0, -0.5, -0.5, 1.0, -0.5, -0.5)


def test_output_optimum_batch_has_the_properties_the_book_uses() -> None:
    """What the training and per-sample pages rely on, from the numbers alone (plain numpy)."""
    case = output_optimum_batch()
    net = case.net
    z1 = case.x @ net.W[1].T + net.b[1]
    # off relu's kink, so every gradient is a derivative; and z1 = x0 (per-sample's derivation)
    assert np.all(z1 != 0.0)
    np.testing.assert_array_equal(z1, case.x)
    features = np.hstack([np.maximum(z1, 0.0), np.ones((len(z1), 1))])  # the rows a_n
    errors = features @ np.append(net.W[2][0], net.b[2]) - case.y[:, 0]
    # every sample keeps an error, of size 1/2 or 1 ...
    np.testing.assert_array_equal(np.sort(np.abs(errors)), [0.5, 0.5, 0.5, 0.5, 1.0, 1.0])
    np.testing.assert_array_equal(errors, OPTIMUM_ERRORS)
    # ... yet they solve the normal equations: the output gradient sum_n e_n a_n is 0.0
    np.testing.assert_array_equal(features.T @ errors, [0.0, 0.0, 0.0])
    # the Gram matrix H = sum_n a_n a_n^T is positive definite (training's hypothesis)
    assert np.linalg.matrix_rank(features) == 3
    assert np.linalg.eigvalsh(features.T @ features).min() > 0.0
    # both hidden units off for the third and sixth sample only; their errors are -1/2
    both_off = np.flatnonzero(np.all(z1 < 0.0, axis=1))
    np.testing.assert_array_equal(both_off, [2, 5])
    np.testing.assert_array_equal(errors[both_off], [-0.5, -0.5])


def test_output_optimum_batch_gradients_by_hand() -> None:
    case = output_optimum_batch()
    g = case.gradients()
    # The output layer is at its optimum: exact zeros.
    np.testing.assert_array_equal(g.W[2], [[0.0, 0.0]])
    np.testing.assert_array_equal(g.b[2], [0.0])
    # delta1_n = relu'(x0_n) * (1, -0.5) e_n = (1, 0), (-0.5, 0), (0, 0), (0, -0.5), (0, 0.25),
    # (0, 0); sum_n delta1_n x0_n^T = [[1 - 1, -1 + 0.25], [0.5 - 0.125, -0.5 + 0.5]].
    np.testing.assert_array_equal(g.W[1], [[0.0, -0.75], [0.375, 0.0]])
    np.testing.assert_array_equal(g.b[1], [0.5, -0.25])
    np.testing.assert_array_equal(case.gradients(reduction="none").z[2][:, 0], OPTIMUM_ERRORS)
    zg.check_gradients(case.net, case.x, case.y)
    zg.check_gradients(case.net, case.x, case.y, reduction="none")


def test_conv_cancelling_positions_by_hand() -> None:
    case = conv_cancelling_positions()
    assert isinstance(case.net, zg.ConvNetwork)
    trace = case.net.forward(case.x)
    # z1_t = x0_t + x0_{t+1} / 2 on (5/8, -1/4, 3/2, -1, 1, 1); x1 = relu(z1)
    np.testing.assert_array_equal(trace.z[1], [[0.5, 0.5, 1.0, -0.5, 1.5]])
    # z2_t = x1_t - x1_{t+1} / 2 + 1/4 on x1 = (1/2, 1/2, 1, 0, 3/2); y = z2 - errors
    np.testing.assert_array_equal(trace.x[2], [[0.5, 0.25, 1.25, -0.5]])
    np.testing.assert_array_equal(case.y, [[1.0, 0.75, 0.75, -1.0]])
    assert CANCELLING_POSITION_ERRORS == (-0.5, -0.5, 0.5, 0.5)
    g = case.gradients()
    # the output layer sums delta2 = errors: sum 0, and 0 against both windows of x1
    np.testing.assert_array_equal(g.W[2], [[[0.0, 0.0]]])
    np.testing.assert_array_equal(g.b[2], [0.0])
    # dL/dx1 = (-1/2, -1/4, 3/4, 1/4, -1/4), times relu' = (1, 1, 1, 0, 1)
    np.testing.assert_array_equal(g.W[1], [[[0.625, -1.25]]])
    np.testing.assert_array_equal(g.b[1], [-0.25])
    zg.check_gradients(case.net, case.x, case.y)


def test_recurrent_cancelling_steps_by_hand() -> None:
    case = recurrent_cancelling_steps()
    assert isinstance(case.net, zg.RecurrentNetwork)
    assert case.net.output == "every"
    trace = case.net.forward(case.x)
    # states x1_t = x0_t + x1_{t-1} / 2 + 1/2 from x1_0 = 0: 1, 2, 1/2; readout = states
    np.testing.assert_array_equal(trace.x[2], [[1.0], [2.0], [0.5]])
    np.testing.assert_array_equal(case.y, [[2.5], [1.5], [-0.5]])
    assert CANCELLING_STEP_ERRORS == (-1.5, 0.5, 1.0)
    g = case.gradients()
    # sum of errors 0, and -3/2 * 1 + 1/2 * 2 + 1 * 1/2 = 0
    np.testing.assert_array_equal(g.W[2], [[0.0]])
    np.testing.assert_array_equal(g.b[2], [0.0])
    # delta1 = (-1, 1, 1) backward through time; W1: -1/2 + 1 - 1; U1: 1 * 1 + 1 * 2
    np.testing.assert_array_equal(g.W[1], [[-0.5]])
    np.testing.assert_array_equal(g.U[1], [[3.0]])
    np.testing.assert_array_equal(g.b[1], [1.0])
    zg.check_gradients(case.net, case.x, case.y)


@pytest.mark.parametrize(
    "case",
    [
        worked_example(),
        worked_example(output_activation="relu"),
        worked_example(target=0.875),
        worked_example(output_bias=0.0),
        cancelling_batch("relu"),
        cancelling_batch("identity"),
        cancelling_batch_full_rank(),
        output_optimum_batch(),
        conv_cancelling_positions(),
        recurrent_cancelling_steps(),
    ],
    ids=[
        "worked",
        "worked-relu-output",
        "worked-target",
        "worked-zero-bias",
        "cancelling-relu",
        "cancelling-identity",
        "cancelling-full-rank",
        "output-optimum",
        "conv-positions",
        "recurrent-steps",
    ],
)
def test_the_examples_called_exact_are_exact(case: Example[zg.Model]) -> None:
    # every value of the forward and backward pass, redone in rational arithmetic
    assert case.loss == "squared_error"
    assert gradients_are_exact(case.net, case.x, case.y)


def test_cancelling_batch_with_leaky_relu_is_identitys_bit_for_bit() -> None:
    # its z^(1) is positive, where leaky relu is the identity: identity's values are real
    leaky, linear = cancelling_batch("leaky_relu"), cancelling_batch("identity")
    assert np.all(leaky.net.forward(leaky.x).z[1] > 0)
    assert same_bits(leaky.y, linear.y)
    ours, theirs = leaky.gradients(reduction="none"), linear.gradients(reduction="none")
    for k in (1, 2):
        assert same_bits(ours.W[k], theirs.W[k]), k
        assert same_bits(ours.b[k], theirs.b[k]), k


@pytest.mark.parametrize("activation", ["identity", "relu", "leaky_relu", "tanh", "silu"])
def test_weight_only_counterexample_zero_is_real(activation: str) -> None:
    case = weight_only_counterexample(activation)
    W, b = case.net.W[1], case.net.b[1]
    real_z1 = fractions_of(W) @ fractions_of(case.x) + fractions_of(b)
    assert real_z1.tolist() == [0, 0]  # where each of these activations is 0


class _NoDtypeArray:
    """An array-like whose __array__ takes no dtype argument, which numpy reads."""

    def __array__(self) -> np.ndarray:
        return np.array([-1.0, 0.5])


def test_zeros_of_reads_an_array_like_without_a_dtype_argument() -> None:
    assert zeros_of("relu", _NoDtypeArray()).tolist() == [-1.0]


def test_setting_names_the_loss_and_each_layer_s_activation() -> None:
    assert worked_example().setting == ("squared_error", ("relu", "identity"))
    assert worked_example(output_activation="relu").setting == (
        "squared_error",
        ("relu", "relu"),
    )
    case = Example(
        zg.Network.random([2, 3, 1], ["tanh", "sigmoid"], seed=0),
        np.zeros(2),
        np.ones(1),
        loss="binary_cross_entropy",
    )
    assert case.setting == Setting("binary_cross_entropy", ("tanh", "sigmoid"))
    assert case.setting.loss == "binary_cross_entropy"
    assert case.setting.activations == ("tanh", "sigmoid")
    assert case.setting != ("squared_error", ("tanh", "sigmoid"))
    assert (
        conv_cancelling_positions().setting.activations
        == conv_cancelling_positions().net.activations
    )


def test_setting_of_a_case_without_a_model_names_net() -> None:
    with refuses(zg.ArgumentTypeError, "net"):
        _ = Example(3, np.zeros(2), np.zeros(1)).setting  # type: ignore[type-var]


@pytest.mark.parametrize(
    ("loss", "kind"),
    [("nope", zg.ArgumentValueError), (None, zg.ArgumentTypeError), (5, zg.ArgumentTypeError)],
)
def test_setting_refuses_a_loss_that_gradients_refuses(
    loss: object, kind: type[zg.ArgumentError]
) -> None:
    case = worked_example()
    wrong = Example(case.net, case.x, case.y, loss=loss)  # type: ignore[arg-type]
    with refuses(kind, "loss", received=loss) as by_setting:
        _ = wrong.setting
    with refuses(kind, "loss", received=loss) as by_gradients:
        wrong.gradients()
    assert str(by_setting.value) == str(by_gradients.value)


def test_flat_with_names_that_do_not_fit_the_layers_names_the_activations() -> None:
    # the last name is no network's output when the count is off: activations is named
    for sizes, names in (([2, 3, 1], ["relu", "relu", "tanh"]), ([2, 3, 4, 1], ["relu", "tanh"])):
        with refuses(zg.ArgumentValueError, "activations"):
            zero_output_bias_batch(sizes, names, way="flat")


@pytest.mark.parametrize("name", ["sigmoid", "softplus", "tanh", "relu"])
def test_the_zero_search_keeps_a_caller_s_floating_point_settings_out(name: str) -> None:
    # exp underflows on the grid's far end by design; a caller who has set
    # np.seterr(all="raise") for their own debugging gets the zeros, not numpy's error.
    expected = zeros_of(name)
    with np.errstate(all="raise"):
        assert np.array_equal(zeros_of(name), expected)
        steepest_zero(name)
        weight_only_counterexample(name)


def test_an_example_passes_a_weight_decay_through() -> None:
    # J = L + (lambda/2) sum ||W||^2: the weight gradients gain lambda W, the biases do not.
    case = cancelling_batch("relu")
    plain = case.gradients(weight_decay=0.0)
    decayed = case.gradients(weight_decay=0.5)
    for k in (1, 2):
        np.testing.assert_allclose(decayed.W[k], plain.W[k] + 0.5 * case.net.W[k], rtol=1e-15)
        assert np.array_equal(decayed.b[k], plain.b[k])
    estimate = case.numerical_gradients(weight_decay=0.5)
    np.testing.assert_allclose(estimate.W[2], decayed.W[2], rtol=1e-6, atol=1e-8)
    with pytest.raises(zg.ArgumentValueError, match="weight_decay"):
        case.gradients(reduction="none", weight_decay=0.5)
