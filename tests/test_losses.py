"""Each loss against its formula written out independently, and its delta rule against central differences."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from contracts import refuses
from gradient_cases import ACTIVATION_NAMES, KINKED, LOSS_NAMES, targets
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import zerograd as zg
from zerograd import LOSSES, get_activation, get_loss
from zerograd.losses import log_softmax, probability_sum_tolerance, softmax

FloatArray = npt.NDArray[np.float64]

STEP = 1e-6
TOLERANCE = 1e-6
"""Largest accepted ``|delta - estimate| / max(1, |estimate|)``; the estimate reaches about 1e-9."""


@st.composite
def loss_inputs(draw: st.DrawFn, loss: str) -> tuple[FloatArray, FloatArray, str]:
    """Raw outputs ``z`` of shape (N, n_K), targets in the loss's domain, and an output activation."""
    activation = (
        "sigmoid" if loss == "binary_cross_entropy" else draw(st.sampled_from(ACTIVATION_NAMES))
    )
    n_out = draw(st.integers(2 if loss == "softmax_cross_entropy" else 1, 6))
    n_samples = draw(st.integers(1, 5))
    elements = st.floats(-20.0, 20.0)
    if activation in KINKED:
        # Central differences straddling the kink average both slopes.
        elements = elements.filter(lambda v: abs(v) > 10 * STEP)
    z = draw(hnp.arrays(np.float64, (n_samples, n_out), elements=elements))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return z, targets(loss, z.shape, rng), activation


@pytest.mark.parametrize("loss", LOSS_NAMES)
@given(data=st.data())
def test_delta_matches_central_differences_of_the_value(loss: str, data: st.DataObject) -> None:
    z, y, activation_name = data.draw(loss_inputs(loss))
    rule, f = get_loss(loss), get_activation(activation_name)
    delta = rule.delta(z, f.f(z), y, f)
    assert delta.shape == z.shape
    estimate = np.empty_like(z)
    for unit in range(z.shape[1]):  # samples are independent: move one unit in all at once
        up, down = z.copy(), z.copy()
        up[:, unit] += STEP
        down[:, unit] -= STEP
        difference = rule.value(up, f.f(up), y) - rule.value(down, f.f(down), y)
        estimate[:, unit] = difference / (2.0 * STEP)
    error = float(np.max(np.abs(delta - estimate) / np.maximum(1.0, np.abs(estimate))))
    assert error <= TOLERANCE, f"{loss} with {activation_name} output: relative error {error:.3g}"


def test_every_loss_is_covered() -> None:
    assert set(LOSS_NAMES) == {"squared_error", "binary_cross_entropy", "softmax_cross_entropy"}


def test_squared_error_has_the_factor_one_half() -> None:
    x, y = np.array([[1.0, 2.0]]), np.array([[0.0, 4.0]])
    # (1^2 + 2^2) / 2 = 2.5, and with an identity output delta = x - y.
    identity = get_activation("identity")
    np.testing.assert_array_equal(LOSSES["squared_error"].value(x, x, y), [2.5])
    np.testing.assert_array_equal(LOSSES["squared_error"].delta(x, x, y, identity), [[1.0, -2.0]])


@given(
    z=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, max_side=5),
        elements=st.floats(-15, 15),
    ),
    seed=st.integers(0, 2**32 - 1),
)
def test_binary_cross_entropy_is_the_textbook_formula(z: FloatArray, seed: int) -> None:
    y = targets("binary_cross_entropy", z.shape, np.random.default_rng(seed))
    p = 1.0 / (1.0 + np.exp(-z))
    textbook = -(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)).sum(axis=1)
    rule = LOSSES["binary_cross_entropy"]
    # 1 - p loses digits by cancellation for large z: that limits the textbook side.
    np.testing.assert_allclose(rule.value(z, p, y), textbook, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(
        rule.delta(z, p, y, get_activation("sigmoid")), p - y, rtol=1e-12, atol=1e-15
    )


def test_binary_cross_entropy_is_finite_for_saturated_outputs() -> None:
    z = np.array([[800.0], [800.0], [-800.0], [-800.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    # A confident wrong answer costs |z|; a confident right one costs 0.
    values = LOSSES["binary_cross_entropy"].value(z, get_activation("sigmoid").f(z), y)
    np.testing.assert_allclose(values, [800.0, 0.0, 800.0, 0.0], atol=1e-12)


@given(
    logits=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 5), st.integers(2, 6)),
        elements=st.floats(-30, 30),
    ),
    seed=st.integers(0, 2**32 - 1),
)
def test_softmax_cross_entropy_is_minus_sum_y_log_softmax(logits: FloatArray, seed: int) -> None:
    y = targets("softmax_cross_entropy", logits.shape, np.random.default_rng(seed))
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = -(y * np.log(probabilities)).sum(axis=1)
    rule = LOSSES["softmax_cross_entropy"]
    np.testing.assert_allclose(rule.value(logits, logits, y), expected, rtol=1e-9, atol=1e-12)
    shifted = logits + 123.0
    np.testing.assert_allclose(
        rule.value(shifted, shifted, y), expected, rtol=1e-9, atol=1e-9
    )  # softmax ignores a common shift
    identity = get_activation("identity")
    np.testing.assert_allclose(
        rule.delta(logits, logits, y, identity), probabilities - y, rtol=1e-9, atol=1e-15
    )


def test_softmax_cross_entropy_survives_huge_logits() -> None:
    logits = np.array([[1000.0, 0.0], [1000.0, 0.0]])
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        values = LOSSES["softmax_cross_entropy"].value(logits, logits, y)
        probabilities = softmax(logits)
    np.testing.assert_allclose(values, [0.0, 1000.0], atol=1e-12)
    np.testing.assert_array_equal(probabilities, [[1.0, 0.0], [1.0, 0.0]])


def test_each_row_is_shifted_by_its_own_maximum() -> None:
    # The rows' logits are 1000 apart: one shift shared by the batch would underflow
    # exp(0 - 1000) to 0 in the second row and give 0/0 and log(0) there.
    logits = np.array([[1000.0, 1000.0], [0.0, np.log(3.0)]])
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        probabilities = softmax(logits)
        values = LOSSES["softmax_cross_entropy"].value(logits, logits, y)
    np.testing.assert_allclose(probabilities, [[0.5, 0.5], [0.25, 0.75]], rtol=1e-15)
    # -log(1/2) and -log(3/4)
    np.testing.assert_allclose(values, [np.log(2.0), np.log(4.0 / 3.0)], rtol=1e-12)


@given(
    logits=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=2, max_side=6),
        elements=st.floats(-700, 700),
    )
)
def test_softmax_is_a_probability_vector(logits: FloatArray) -> None:
    probabilities = softmax(logits)
    assert probabilities.shape == logits.shape
    assert np.all(probabilities >= 0.0)
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, rtol=1e-12)


def test_values_have_one_entry_per_sample(rng: np.random.Generator) -> None:
    z = rng.normal(size=(4, 3))
    for name, rule in LOSSES.items():
        y = targets(name, z.shape, rng)
        x = get_activation("sigmoid").f(z)
        assert rule.value(z, x, y).shape == (4,), name


@pytest.mark.parametrize(
    ("loss", "y", "activation", "argument", "received"),
    [
        ("binary_cross_entropy", [[0.0, 1.0]], "tanh", "the output activation", "tanh"),
        ("binary_cross_entropy", [[0.0, 0.5]], "sigmoid", "y", 0.5),
        ("binary_cross_entropy", [[-1.0]], "sigmoid", "y", -1.0),
        ("binary_cross_entropy", [[2.0]], "sigmoid", "y", 2.0),
        ("softmax_cross_entropy", [[1.0]], "identity", "the output", 1),
        ("softmax_cross_entropy", [[1.5, -0.5]], "identity", "y", -0.5),
        # The first negative entry is named, not the first zero before it.
        ("softmax_cross_entropy", [[0.0, 1.5, -0.5]], "identity", "y", -0.5),
        ("softmax_cross_entropy", [[0.5, 0.4]], "identity", "y", 0.9),
        ("softmax_cross_entropy", [[0.0, 0.0]], "identity", "y", 0.0),
        # float32 rows must sum to 1 within float32's precision: 0.9999 is off by 1e-4.
        ("softmax_cross_entropy", np.array([[0.4999, 0.5]], np.float32), "identity", "y",
         float(np.float32(0.4999)) + 0.5),
    ],
)  # fmt: skip
def test_targets_outside_the_domain_are_refused(
    loss: str, y: npt.ArrayLike, activation: str, argument: str, received: object
) -> None:
    targets = np.asarray(y)
    with refuses(zg.ArgumentValueError, argument, received=received):
        LOSSES[loss].check_output(activation, targets.shape[-1])
        LOSSES[loss].check_target(targets)


@pytest.mark.parametrize(
    ("loss", "y", "activation"),
    [
        ("squared_error", [[-3.0, 7.5]], "tanh"),
        ("binary_cross_entropy", [[0.0, 1.0]], "sigmoid"),
        ("softmax_cross_entropy", [[0.25, 0.75]], "silu"),
        ("softmax_cross_entropy", [[1.0, 0.0]], "identity"),
        # Rows that sum to 1 only up to the rounding of their own precision.
        ("softmax_cross_entropy", np.array([[0.1, 0.2, 0.7]], np.float32), "identity"),
        ("softmax_cross_entropy", np.full((2, 3), 1.0 / 3.0, np.float16), "identity"),
        ("softmax_cross_entropy", [[0.1, 0.2, 0.7]], "identity"),
        ("softmax_cross_entropy", np.array([[True, False]]), "identity"),
        ("binary_cross_entropy", np.array([[True, False]]), "sigmoid"),
    ],
)
def test_targets_inside_the_domain_are_accepted(
    loss: str, y: npt.ArrayLike, activation: str
) -> None:
    targets = np.asarray(y)
    LOSSES[loss].check_output(activation, targets.shape[-1])  # raises if refused
    LOSSES[loss].check_target(targets)


def test_the_probability_sum_tolerance_is_2_n_units_epsilons_of_the_target_dtype() -> None:
    from zerograd.losses import probability_sum_tolerance  # noqa: PLC0415

    f64, f32 = np.finfo(np.float64).eps, float(np.finfo(np.float32).eps)
    assert probability_sum_tolerance(np.zeros((3, 4))) == 2 * 4 * f64
    # n units is the last axis, whatever the others; float32 targets get float32's epsilon
    assert probability_sum_tolerance(np.zeros((2, 3, 5), dtype=np.float32)) == 2 * 5 * f32
    assert probability_sum_tolerance(np.zeros((3, 4), dtype=np.int64)) == 2 * 4 * f64


def test_a_probability_sum_off_by_exactly_the_tolerance_is_accepted() -> None:
    # Two units: the tolerance is 4 eps = 2**-50, and 0.5 + (0.5 + 2**-50) = 1 + 2**-50 exactly.
    net = zg.Network.random([3, 2], "identity", seed=7)
    x = np.zeros((1, 3))
    net.loss(x, [[0.5, 0.5 + 2**-50]], loss="softmax_cross_entropy")
    with refuses(zg.ArgumentValueError, "y"):
        net.loss(x, [[0.5, 0.5 + 2**-49]], loss="softmax_cross_entropy")


def test_a_softmax_target_row_that_misses_one_gets_the_probability_vector_rule() -> None:
    """As documented: the rule is softmax(x) - y, which differs from the gradient of the
    computed loss, softmax(x) * sum(y) - y, by softmax(x) * (sum(y) - 1).

    Ten float32 targets may miss 1 by 2 * 10 * eps32 (2.4e-6); this row misses by about
    2e-6, is accepted, and the difference shows in central differences.
    """
    net = zg.Network.random([1, 10], "identity", seed=0)
    x = np.array([0.5])
    y = np.zeros(10, dtype=np.float32)
    y[:2] = np.float32(0.500001)
    miss = float(y.astype(np.float64).sum()) - 1.0
    assert 1e-6 < miss < 2 * 10 * float(np.finfo(np.float32).eps), "accepted, as documented"
    p = softmax(net.forward(x).x[1])
    g = zg.gradients(net, x, y, loss="softmax_cross_entropy")
    np.testing.assert_allclose(g.z[1], p - y.astype(np.float64), rtol=1e-14, atol=1e-17)
    estimate = zg.numerical_gradients(net, x, y, loss="softmax_cross_entropy")
    exact_of_computed_loss = p * (1.0 + miss) - y.astype(np.float64)
    np.testing.assert_allclose(estimate.z[1], exact_of_computed_loss, rtol=1e-7, atol=1e-10)
    assert np.all(np.abs(estimate.z[1] - g.z[1]) > 0.5 * p * miss), "the difference shows"


def test_a_missed_softmax_target_sum_can_move_the_gradient_by_as_much_as_it_is() -> None:
    """As documented on Gradients: the difference is not small beside the gradient.

    Equal logits give p = (1/2, 1/2); the float32 target (1/2, 1/2 + 2**-22) misses 1 by
    2**-22, within 2 * 2 * eps32, so it is accepted. The rule gives p - y = (0, -2**-22),
    the computed loss's gradient p (1 + 2**-22) - y = (2**-23, -2**-23): each entry moves by
    2**-23, as much as the entry is.
    """
    net = zg.Network([np.zeros((2, 1))], [np.zeros(2)], "identity")
    x = np.array([1.0])
    y = np.array([0.5, 0.5 + 2.0**-22], dtype=np.float32)
    g = zg.gradients(net, x, y, loss="softmax_cross_entropy").z[1]
    assert g.tolist() == [0.0, -(2.0**-22)]
    of_computed_loss = zg.numerical_gradients(net, x, y, loss="softmax_cross_entropy").z[1]
    np.testing.assert_allclose(of_computed_loss, [2.0**-23, -(2.0**-23)], rtol=1e-3, atol=0.0)
    assert np.all(np.abs(g - of_computed_loss) >= 0.5 * np.abs(of_computed_loss))


def test_long_double_targets_summing_to_1_in_their_own_precision_are_taken() -> None:
    # summed in float64, about 4% of these rows missed 1 by more than 2 n eps of long double
    rng = np.random.default_rng(5)
    y = rng.dirichlet(np.ones(3), size=2000).astype(np.longdouble)
    y /= y.sum(axis=-1, keepdims=True)
    net = zg.Network.random([2, 3], "identity", seed=0)
    x = rng.normal(size=(2000, 2))
    zg.gradients(net, x, y, loss="softmax_cross_entropy")
    off = y.copy()
    off[:, 0] += 64 * np.finfo(np.longdouble).eps
    with pytest.raises(zg.ArgumentValueError, match="summing to 1"):
        zg.gradients(net, x, off, loss="softmax_cross_entropy")


@pytest.mark.parametrize(
    ("model", "loss", "message"),
    [
        (
            zg.Network.random([2, 3, 1], ["tanh", "identity"], seed=0),
            "softmax_cross_entropy",
            "the output must have at least 2 units for softmax_cross_entropy; got 1",
        ),
        (
            zg.Network.random([2, 3, 2], ["tanh", "identity"], seed=0),
            "binary_cross_entropy",
            "the output activation must be 'sigmoid' for binary_cross_entropy; got 'identity'",
        ),
        (
            zg.ConvNetwork(W=[[[[1.0, 0.5]]]], b=[[0.0]], activations="identity", length=3),
            "binary_cross_entropy",
            "the output activation must be 'sigmoid' for binary_cross_entropy; got 'identity'",
        ),
        (
            zg.RecurrentNetwork.random([1, 2, 1], ["tanh", "identity"], seed=0),
            "softmax_cross_entropy",
            "the output must have at least 2 units for softmax_cross_entropy; got 1",
        ),
    ],
    ids=["dense-softmax", "dense-bce", "conv-bce", "recurrent-softmax"],
)
def test_an_output_the_loss_cannot_take_is_named_before_x_and_y(
    model: zg.Model, loss: str, message: str
) -> None:
    # No x or y could mend the call, so they are not blamed first: the x and the y
    # below are both of a shape the model refuses.
    calls: list[Callable[..., object]] = [model.loss, model.gradients, model.gradient_norms]
    for call in [*calls, model.numerical_gradients, model.check_gradients]:
        with pytest.raises(zg.ArgumentValueError, match=f"^{re.escape(message)}$"):
            call(np.zeros(7), np.zeros(5), loss=loss)


def test_a_class_of_target_zero_adds_zero_where_its_log_probability_underflows() -> None:
    # log softmax of (1e308, -1e308) is (0, -inf): 0 * -inf would be NaN, the real loss
    # log(1 + e^(-2e308)) rounds to 0.0, and a target of 1 on the -inf class is refused.
    net = zg.Network(W=[[[1.0], [-1.0]]], b=[[0.0, 0.0]], activations="identity")
    assert net.loss([1e308], [1.0, 0.0], loss="softmax_cross_entropy") == 0.0
    assert not np.any(net.gradients([1e308], [1.0, 0.0], loss="softmax_cross_entropy").W[1])
    with pytest.raises(zg.NonFiniteError, match=r"^the loss must be finite; got inf"):
        net.loss([1e308], [0.0, 1.0], loss="softmax_cross_entropy")


def test_softmax_of_logits_further_apart_than_float64_spans_is_quiet() -> None:
    # The shift by the largest logit overflows to -inf on purpose: e^-inf is 0, no warning
    # (the tests run with warnings as errors), and the public loss is +0.0, not -0.0.
    logits = np.array([[1e308, -1e308]])
    np.testing.assert_array_equal(softmax(logits), [[1.0, 0.0]])
    np.testing.assert_array_equal(log_softmax(logits), [[0.0, -np.inf]])
    value = get_loss("softmax_cross_entropy").value(logits, logits, np.array([[1.0, 0.0]]))
    assert value.tolist() == [0.0]
    assert not np.signbit(value[0])


def _value(loss: str, output: list[float], target: list[float]) -> float:
    """One sample's loss through a network whose output is ``output``."""
    activation = {"binary_cross_entropy": "sigmoid"}.get(loss, "identity")
    net = zg.Network(W=[np.zeros((len(output), 1))], b=[output], activations=activation)
    return float(net.loss([0.0], target, loss=loss))


@pytest.mark.parametrize(
    ("output", "real"),
    [([1.5e154], 0.5 * 1.5e154 * 1.5e154), ([1.2e154, 1.2e154], 1.2e154 * 1.2e154)],
    ids=["one-square-overflows", "the-sum-overflows"],
)
def test_a_squared_error_that_fits_is_returned_where_its_squares_overflow(
    output: list[float], real: float
) -> None:
    assert math.isinf(sum(v * v for v in output))  # the squares alone do not fit
    assert _value("squared_error", output, [0.0] * len(output)) == pytest.approx(real, rel=1e-15)


def test_a_mean_loss_that_fits_is_returned_where_the_sum_overflows() -> None:
    net = zg.Network(W=[[[0.0]]], b=[[1.3e154]], activations="identity")
    x, y = np.zeros((4, 1)), np.zeros((4, 1))
    each = 0.5 * 1.3e154 * 1.3e154
    assert np.isinf(4 * each)
    assert net.loss(x, y, reduction="mean") == pytest.approx(each, rel=1e-15)
    zg.check_gradients(net, x, y, reduction="mean", step=1e140)


@pytest.mark.parametrize("z", [20.0, 36.0, 40.0, 700.0])
def test_cross_entropies_keep_a_loss_far_below_one(z: float) -> None:
    # the loss is log(1 + e**-z); softplus(z) - z, or log of a sum that rounds to 1,
    # loses it to cancellation
    real = math.log1p(math.exp(-z))
    assert _value("binary_cross_entropy", [z], [1.0]) == pytest.approx(real, rel=4e-16, abs=0.0)
    assert _value("binary_cross_entropy", [-z], [0.0]) == pytest.approx(real, rel=4e-16, abs=0.0)
    assert _value("softmax_cross_entropy", [z, 0.0], [1.0, 0.0]) == pytest.approx(
        real, rel=4e-16, abs=0.0
    )
    assert float(-log_softmax(np.array([z, 0.0]))[0]) == pytest.approx(real, rel=4e-16, abs=0.0)


def test_a_softmax_cross_entropy_that_fits_is_returned_where_a_logit_gap_overflows() -> None:
    # log p = -2e308 for the second class; half of it fits
    assert _value("softmax_cross_entropy", [1e308, -1e308], [0.5, 0.5]) == pytest.approx(
        1e308, rel=1e-15
    )
    with pytest.raises(zg.NonFiniteError, match=r"^the loss must be finite"):
        _value("softmax_cross_entropy", [1e308, -1e308], [0.0, 1.0])  # 2e308


def test_log_softmax_shifts_and_sums_each_row_by_itself() -> None:
    # two rows whose largest logits differ, and sit in different columns
    logits = np.array([[1.0, 3.0, -2.0], [40.0, 0.0, 39.0]])
    expected = [
        [math.log(math.exp(v) / sum(math.exp(w) for w in row)) for v in row] for row in logits
    ]
    np.testing.assert_allclose(log_softmax(logits), expected, rtol=1e-15, atol=0.0)


@pytest.mark.parametrize("n_classes", [512, 1000])
def test_a_float16_target_far_from_a_probability_vector_is_refused(n_classes: int) -> None:
    # 2 n eps of float16 is 1 or more here: without a cap a row of zeros, or one summing
    # to 2, would pass as a probability vector, as the same rows in float64 do not.
    net = zg.Network(W=[np.zeros((n_classes, 1))], b=[np.zeros(n_classes)], activations="identity")
    for row in (np.zeros(n_classes), np.full(n_classes, 2.0 / n_classes)):
        for dtype, within in ((np.float16, "0.0625"), (np.float64, r"\d\.\d+e-13")):
            with pytest.raises(zg.ArgumentValueError, match=f"summing to 1 .within {within}"):
                zg.gradients(net, [0.0], row.astype(dtype), loss="softmax_cross_entropy")
    assert probability_sum_tolerance(np.zeros((1, n_classes), np.float16)) == 2.0**-4
    # 2 n eps with n = 2**15 is 64 in float16's own arithmetic, and 2**16 overflows it
    long_row: Any = np.broadcast_to(np.float16(0.0), (1, 2**16))
    assert probability_sum_tolerance(long_row) == 2.0**-4
