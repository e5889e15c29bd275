"""zerograd.check_gradients: it passes on the library's gradients and catches planted errors."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from contracts import refuses
from gradient_cases import KINK_MARGIN, Case, FloatArray, any_cases
from hypothesis import assume, given
from hypothesis import strategies as st

import zerograd as zg
from zerograd.layers import LayerFactors
from zerograd.model import Visit

NET = zg.Network.random([3, 4, 2], ["tanh", "identity"], seed=3)
X = np.random.default_rng(0).normal(size=(5, 3))
Y = np.random.default_rng(1).normal(size=(5, 2))


def planted(
    net: zg.Model, parameter: str, k: int, index: tuple[int, ...], error: float
) -> zg.Model:
    """A copy of ``net`` whose backward pass adds ``error`` to one entry of one gradient.

    ``parameter`` is a parameter's name or ``"z"`` (the raw activation's gradient);
    ``index`` leaves out the batch axis, so every sample's entry moves.
    """

    @dataclass(frozen=True)
    class Moved:
        """The layer's factors, with one entry of one parameter gradient moved."""

        factors: LayerFactors

        def gradients(self, *, per_sample: bool) -> dict[str, FloatArray]:
            arrays = self.factors.gradients(per_sample=per_sample)
            moved = arrays[parameter].copy()
            where: tuple[Any, ...] = (slice(None), *index) if per_sample else index
            moved[where] += error
            return {**arrays, parameter: moved}

        def norms(self) -> dict[str, FloatArray]:
            return self.factors.norms()

    class Planted(type(net)):  # type: ignore[misc]
        def backward(self, trace: zg.ForwardPass, delta: FloatArray, visit: Visit) -> None:
            def moving(layer: int, delta_k: FloatArray, factors: LayerFactors) -> None:
                if layer == k and parameter == "z":
                    delta_k = delta_k.copy()
                    every_sample: tuple[Any, ...] = (slice(None), *index)
                    delta_k[every_sample] += error
                elif layer == k:
                    factors = Moved(factors)
                visit(layer, delta_k, factors)

            super().backward(trace, delta, moving)

    wrong = copy.copy(net)
    wrong.__class__ = Planted
    return wrong


def test_a_wrong_weight_gradient_is_named_with_its_entry_and_numbers() -> None:
    wrong = planted(NET, "W", 1, (2, 1), 1e-3)
    with pytest.raises(zg.GradientCheckError) as info:
        zg.check_gradients(wrong, X, Y)
    error = info.value
    assert isinstance(error, AssertionError)
    assert (error.parameter, error.entry) == ("W[1]", (2, 1))
    right = zg.gradients(NET, X, Y).W[1][2, 1]
    assert error.exact == right + 1e-3
    assert error.estimate == pytest.approx(right, abs=1e-9)
    assert error.error == abs(error.exact - error.estimate)
    # The documented default tolerance: rtol 1e-6, atol 1e-8 * max(1, |J|).
    size = max(1.0, float(NET.loss(X, Y)))
    assert error.tolerance == pytest.approx(1e-8 * size + 1e-6 * abs(error.estimate), rel=1e-12)
    assert error.error > error.tolerance
    assert str(error).startswith("gradient check failed for W[1] at index (2, 1): exact ")


@pytest.mark.parametrize(
    ("parameter", "k", "index", "name"),
    [("b", 2, (1,), "b[2]"), ("z", 1, (3,), "z[1]")],
)
def test_a_wrong_bias_or_raw_activation_gradient_is_named(
    parameter: str, k: int, index: tuple[int, ...], name: str
) -> None:
    with pytest.raises(zg.GradientCheckError) as info:
        zg.check_gradients(planted(NET, parameter, k, index, 0.5), X, Y)
    assert info.value.parameter == name
    if parameter == "z":  # z keeps the batch axis: the entry of the worst sample is named
        assert info.value.entry[1:] == index
        assert 0 <= info.value.entry[0] < len(X)
    else:
        assert info.value.entry == index


def test_per_sample_gradients_are_checked_sample_by_sample() -> None:
    wrong = planted(NET, "W", 2, (0, 3), 0.25)
    with pytest.raises(zg.GradientCheckError) as info:
        zg.check_gradients(wrong, X, Y, reduction="none")
    assert info.value.parameter == "W[2]"
    assert info.value.entry[1:] == (0, 3)
    assert 0 <= info.value.entry[0] < len(X)


@pytest.mark.parametrize("reduction", ["sum", "mean", "none"])
def test_random_directions_catch_a_wrong_gradient(reduction: str) -> None:
    wrong = planted(NET, "b", 1, (0,), 0.5)
    with pytest.raises(zg.GradientCheckError) as info:
        zg.check_gradients(wrong, X, Y, reduction=reduction, directions=2, seed=7)
    assert info.value.parameter in {"direction 1", "direction 2"}
    assert info.value.entry == ((info.value.entry[0],) if reduction == "none" else ())
    zg.check_gradients(NET, X, Y, reduction=reduction, directions=2, seed=7)


def test_random_directions_catch_errors_that_cancel_within_an_array() -> None:
    # +0.5 and -0.5 in two entries of b[1]: a direction sees 0.5 (v_0 - v_1), which is 0
    # only where the direction has equal entries there; each direction is drawn entry by entry.
    wrong = planted(planted(NET, "b", 1, (0,), 0.5), "b", 1, (1,), -0.5)
    with pytest.raises(zg.GradientCheckError):
        zg.check_gradients(wrong, X, Y, directions=3, seed=7)


def test_a_direction_s_slope_does_not_overflow_where_the_gradients_are_finite() -> None:
    # weight decay near float64's largest number: gradient entries near 1e308, whose
    # products with an unnormalised direction sum beyond float64's range
    net = zg.Network.random([2, 3, 1], ["tanh", "identity"], seed=0)
    exact = zg.gradients(net, [0.1, 0.2], [0.5], weight_decay=1e308)
    assert 1e307 < exact.max_abs() < np.finfo(np.float64).max
    for count in (1, 2, 5):
        zg.check_gradients(net, [0.1, 0.2], [0.5], weight_decay=1e308, directions=count)


def test_the_same_seed_draws_the_same_directions() -> None:
    wrong = planted(NET, "b", 1, (0,), 0.5)
    reports = []
    for seed in (5, 5, np.random.default_rng(5), 6):
        with pytest.raises(zg.GradientCheckError) as info:
            zg.check_gradients(wrong, X, Y, directions=1, seed=seed)
        reports.append((info.value.exact, info.value.estimate))
    assert reports[0] == reports[1] == reports[2]
    assert reports[3] != reports[0]


def test_a_direction_costs_two_forward_passes_whatever_the_parameter_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []
    forward = zg.Network.forward_batch

    def counted(self: zg.Network, *args: Any, **kwargs: Any) -> zg.ForwardPass:
        calls.append(self)
        return forward(self, *args, **kwargs)

    monkeypatch.setattr(zg.Network, "forward_batch", counted)
    for sizes in ([3, 2, 1], [30, 40, 5]):
        net = zg.Network.random(sizes, "tanh", seed=0)
        x, y = np.ones((4, sizes[0])), np.zeros((4, sizes[-1]))
        calls.clear()
        zg.check_gradients(net, x, y, directions=3)
        # gradients, the objective's size and the step's check: 3 passes; then 2 a direction.
        assert len(calls) == 3 + 2 * 3, sizes


def test_tolerances_decide() -> None:
    wrong = planted(NET, "W", 1, (0, 0), 1e-3)
    zg.check_gradients(wrong, X, Y, atol=1e-2)  # an error of 1e-3 is within
    zg.check_gradients(wrong, X, Y, rtol=10.0, atol=1e-3)
    with pytest.raises(zg.GradientCheckError):
        zg.check_gradients(wrong, X, Y, atol=1e-4)


@given(case=any_cases(), data=st.data())
def test_the_hypothesis_checks_can_fail(case: Case[zg.Model], data: st.DataObject) -> None:
    # The same draws as the central-difference tests, with the output bias's gradient off
    # by 1 in one entry, as if a term were forgotten: the check must notice.
    K = case.net.K
    entry = tuple(data.draw(st.integers(0, n - 1)) for n in case.net.b[K].shape)
    wrong = planted(case.net, "b", K, entry, 1.0)
    wrong_case = Case(wrong, case.x, case.y, case.loss, case.reduction, case.single)
    with pytest.raises(zg.GradientCheckError):
        wrong_case.check_gradients()
    with pytest.raises(zg.GradientCheckError):
        wrong_case.check_gradients(directions=2)


@pytest.mark.parametrize(
    ("options", "kind", "argument", "received"),
    [
        ({"rtol": -1e-6}, zg.ArgumentValueError, "rtol", -1e-6),
        ({"rtol": float("nan")}, zg.ArgumentValueError, "rtol", float("nan")),
        ({"atol": float("inf")}, zg.ArgumentValueError, "atol", float("inf")),
        ({"atol": "1e-8"}, zg.ArgumentTypeError, "atol", "1e-8"),
        ({"rtol": True}, zg.ArgumentTypeError, "rtol", True),
        ({"directions": 0}, zg.ArgumentValueError, "directions", 0),
        ({"directions": 2.0}, zg.ArgumentTypeError, "directions", 2.0),
        ({"seed": -3}, zg.ArgumentValueError, "seed", -3),
        ({"seed": 0.5}, zg.ArgumentTypeError, "seed", 0.5),
        ({"step": 1e-300}, zg.ArgumentValueError, "step", 1e-300),
        ({"step": 1e-300, "directions": 2}, zg.ArgumentValueError, "step", 1e-300),
        ({"step": None}, zg.ArgumentTypeError, "step", None),
        # ints that float64 cannot hold: not a bare OverflowError
        ({"step": 10**400}, zg.ArgumentValueError, "step", 10**400),
        ({"rtol": 10**400}, zg.ArgumentValueError, "rtol", 10**400),
        ({"atol": -(10**400)}, zg.ArgumentValueError, "atol", -(10**400)),
    ],
)
def test_bad_arguments_are_refused(
    options: dict[str, Any], kind: type[zg.ArgumentError], argument: str, received: object
) -> None:
    with refuses(kind, argument, received=received):
        zg.check_gradients(NET, X, Y, **options)


def test_of_two_failing_entries_the_one_furthest_past_its_tolerance_is_reported() -> None:
    net = zg.Network.random([3, 4, 1], ["tanh", "identity"], seed=0)
    x, y = np.array([0.5, -1.0, 2.0]), np.array([1.0])
    exact = zg.gradients(net, x, y).W[1]
    small = np.unravel_index(np.argmin(np.abs(exact)), exact.shape)
    large = np.unravel_index(np.argmax(np.abs(exact)), exact.shape)
    assert abs(exact[large]) > 10 * abs(exact[small])

    def moved(value: float, times: float) -> float:
        """About ``times`` the default tolerance of an entry of this size (|J| < 1)."""
        return times * (1e-8 + 1e-6 * abs(value))

    class TwoWrong(zg.Network):
        def gradients(self, *args: Any, **kwargs: Any) -> zg.Gradients:
            gradients = super().gradients(*args, **kwargs)
            # the small entry 50 tolerances off; the large one 5, a larger error x tolerance
            gradients.W[1][small] += moved(exact[small], 50)
            gradients.W[1][large] += moved(exact[large], 5)
            return gradients

    assert net.loss(x, y) < 2.0  # so the tolerances are those of moved() within 2x
    with pytest.raises(zg.GradientCheckError) as info:
        zg.check_gradients(TwoWrong(net.W, net.b, net.activations), x, y)
    error = info.value
    assert (error.parameter, error.entry) == ("W[1]", tuple(int(i) for i in small))
    assert error.error / error.tolerance > 20


def test_an_int_beyond_float64_is_refused_by_its_size() -> None:
    # Python cannot print an int of more than 4,300 digits, so the message gives its bits.
    with refuses(zg.ArgumentValueError, "step", expected="a finite float64") as info:
        zg.check_gradients(NET, X, Y, step=-(10**400))
    assert (
        str(info.value)
        == "step must be a number within float64's range; got <negative int of 1329 bits>"
    )
    with refuses(zg.ArgumentValueError, "rtol", received=10**5000) as info:
        zg.check_gradients(NET, X, Y, rtol=10**5000)
    assert str(info.value).endswith("; got <int of 16610 bits>")


def doubled_gradients(monkeypatch: pytest.MonkeyPatch) -> zg.Network:
    """z = W x with W = 2, whose gradients(), for this test, come out doubled (a planted bug)."""
    exact = zg.Network.gradients

    def doubled(self: zg.Network, *args: Any, **kwargs: Any) -> zg.Gradients:
        gradients = exact(self, *args, **kwargs)
        gradients.W[1] = 2 * gradients.W[1]
        return gradients

    monkeypatch.setattr(zg.Network, "gradients", doubled)
    return zg.Network([[[2.0]]], [[0.0]], "identity")


@pytest.mark.parametrize(
    ("x", "message"),
    [
        (
            3.0,  # the objective is 18: atol = 1e-8 * 18
            (
                "gradient check failed for W[1] at index (0, 0): exact 36.0, central difference 18.0, "
                "error 18 > tolerance 1.82e-05 (rtol 1e-06, atol 1.8e-07, step 0.0009765625)"
            ),
        ),
        (
            0.25,  # the objective is 1/8, below 1: atol = 1e-8
            (
                "gradient check failed for W[1] at index (0, 0): exact 0.25, central difference 0.125, "
                "error 0.125 > tolerance 1.35e-07 (rtol 1e-06, atol 1e-08, step 0.0009765625)"
            ),
        ),
    ],
)
def test_a_planted_factor_of_2_is_reported_with_its_tolerance(
    x: float, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # z = W x with W = 2 and target 0: L = (W x)^2 / 2 and dL/dW = W x^2, which central
    # differences with a step of 2**-10 give exactly; the planted bug doubles it.
    net = doubled_gradients(monkeypatch)
    with pytest.raises(zg.GradientCheckError) as info:
        zg.check_gradients(net, [x], [0.0], step=2**-10)
    assert str(info.value) == message


def test_the_estimate_for_one_sample_has_no_batch_axis() -> None:
    net = zg.Network.random([3, 2, 1], "tanh", seed=1)
    estimate = zg.numerical_gradients(net, [0.1, 0.2, 0.3], [0.0])
    assert estimate.z[1].shape == (2,)
    assert estimate.z[2].shape == (1,)


def test_an_error_equal_to_its_tolerance_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    # As above with x = 3: exact 36 against 18 exactly, an error of 18; atol = 18 allows it.
    net = doubled_gradients(monkeypatch)
    zg.check_gradients(net, [3.0], [0.0], step=2**-10, rtol=0.0, atol=18.0)
    zg.check_gradients(net, [3.0], [0.0], step=2**-10, rtol=1.0, atol=0.0)  # 18 <= 1 * 18
    with pytest.raises(zg.GradientCheckError):
        zg.check_gradients(net, [3.0], [0.0], step=2**-10, rtol=0.0, atol=17.9)


@given(case=any_cases())
def test_the_default_tolerance_leaves_a_margin_of_five(case: Case[zg.Model]) -> None:
    # The check_gradients docstring: on these draws no entry needs more than
    # 2e-9 * max(1, |J|) beyond rtol * |estimate|, a fifth of the default atol.
    # (3,000 draws of these strategies needed at most 7.0e-10 on 30 Nov 2026.)
    assume(case.min_abs_z_at_kinks() > KINK_MARGIN)  # as Case.check_gradients does
    exact = zg.gradients(case.net, case.x, case.y, **case.options)
    estimate = zg.numerical_gradients(case.net, case.x, case.y, **case.options)
    size = max(1.0, float(np.max(np.abs(case.net.loss(case.x, case.y, **case.options)))))
    pairs = [*zip(exact.arrays(), estimate.arrays(), strict=True)]
    pairs += [((f"z[{k}]", exact.z[k]), (f"z[{k}]", estimate.z[k])) for k in exact.z]
    for (name, value), (_, approximation) in pairs:
        beyond = np.abs(value - approximation) - 1e-6 * np.abs(approximation)
        excess = float(np.max(beyond, initial=0.0)) / size
        assert excess <= 2e-9, f"{name}: {excess:.2e} * max(1, |J|) beyond the relative part"


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_central_differences_within_a_step_of_a_kink_weight_the_two_slopes(
    activation: str,
) -> None:
    # The numerical_gradients docstring. z^(1) = d, identity output, target -4: to first
    # order in h, dL/dz^(1) is 4 right of the kink and 4 s left of it (s the activation's
    # left slope, 0 or 0.01). A difference over [d - h, d + h] with |d| < h sees the
    # right slope over a share (1 + d/h) / 2 of its width.
    h, left = 1e-6, {"relu": 0.0, "leaky_relu": 0.01}[activation]
    for d in (0.0, h / 4, h / 2, -h / 2, 2 * h):
        net = zg.Network(W=[[[1.0]], [[1.0]]], b=[[d], [0.0]], activations=[activation, "identity"])
        right_share = min(1.0, max(0.0, (1.0 + d / h) / 2))
        weighted = right_share * 4.0 + (1.0 - right_share) * left * 4.0
        estimate = zg.numerical_gradients(net, [0.0], [-4.0], step=h).b[1][0]
        assert estimate == pytest.approx(weighted, abs=1e-5), (d, estimate, weighted)


def test_a_small_difference_of_large_numbers_needs_a_larger_atol() -> None:
    """The documented limit of the default tolerance: round-off scales with the numbers J uses.

    Output 1e5, target 1e5 - 1: the error is exactly 1, so J = 0.5 and dJ/db = 1 exactly, but
    b +- h is rounded next to 1e5, whose spacing is about 1.5e-11, a relative 1.5e-5 of h.
    """
    net = zg.Network([[[1.0]]], [[0.0]], ["identity"])
    x, y = [1e5], [1e5 - 1.0]
    exact = zg.gradients(net, x, y)
    assert exact.b[1].tolist() == [1.0]
    assert exact.W[1].tolist() == [[1e5]]
    with pytest.raises(zg.GradientCheckError, match=r"for b\[1\]"):
        zg.check_gradients(net, x, y)
    zg.check_gradients(net, x, y, atol=1e-8 * 1e5)  # the docstring's advice, S = 1e5


def test_the_step_moves_a_recurrent_raw_activation_whose_terms_cancel() -> None:
    """z_2 = W x_2 + U x_1 = -999999 + 1e6 = 1: a step the check accepts for |z| must move z_2.

    Added to W x_2 before U x_1, the step 1e-11 rounds away next to 999999 and the
    estimate of dL/dz_2 is exactly 0; added to z_2 itself, it is about 1.
    """
    net = zg.RecurrentNetwork(
        W=[[[1.0]], [[1.0]]], U=[[1e3]], b=[[0.0], [0.0]], activations="identity"
    )
    x, y = [[1e3], [-1e6 + 1.0]], [0.0]
    assert zg.gradients(net, x, y).z[1][:, 0].tolist() == [1000.0, 1.0]
    estimate = zg.numerical_gradients(net, x, y, step=1e-11).z[1][:, 0]
    assert abs(estimate[1] - 1.0) < 1e-3, estimate
