"""No entry point writes into the caller's arrays, and a result never aliases them."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from contracts import Drifting, refuses
from gradient_cases import Case, any_cases
from hypothesis import given

import zerograd as zg
from zerograd import ConvNetwork, Network, RecurrentNetwork, gradients
from zerograd._checks import as_real_array
from zerograd.examples import zeros_of


def test_finite_values_whose_squares_overflow_are_accepted() -> None:
    # 1e308**2 overflows to inf, yet every entry is finite.
    value = np.array([1e308, 1e308, -5.0])
    converted = as_real_array(value, "x")
    np.testing.assert_array_equal(converted, value)
    assert not np.shares_memory(converted, value)  # a float64 input is copied too


@pytest.mark.parametrize(
    ("value", "index", "kind"),
    [
        ([np.inf, -np.inf], (0,), "inf"),
        ([[1.0, 2.0], [np.nan, 1e308]], (1, 0), "NaN"),
        ([1e308, 1e308, -np.inf], (2,), "inf"),
        (np.float64("nan"), (), "NaN"),
        (np.array(-np.inf), (), "inf"),
    ],
)
def test_the_first_non_finite_entry_is_named(
    value: npt.ArrayLike, index: tuple[int, ...], kind: str
) -> None:
    with refuses(zg.NonFiniteError, "x", received=kind, index=index):
        as_real_array(value, "x")


def test_the_forward_pass_keeps_its_own_copy_of_the_input() -> None:
    net = Network(W=[[[2.0, -1.0]]], b=[[0.5]], activations="identity")
    x = np.array([[1.0, 3.0]])
    trace = net.forward(x)
    x[0, 0] = 100.0
    np.testing.assert_array_equal(trace.x[0], [[1.0, 3.0]])
    np.testing.assert_array_equal(trace.z[1], [[2.0 - 3.0 + 0.5]])


def test_a_network_keeps_its_own_copy_of_the_parameters() -> None:
    W1 = np.array([[1.0, 2.0]])
    net = Network(W=[W1], b=[[0.0]], activations="identity")
    W1[0, 0] = 99.0
    assert net.W[1][0, 0] == 1.0


@given(case=any_cases())
def test_no_entry_point_writes_into_the_callers_arrays(case: Case[zg.Model]) -> None:
    x, y = np.array(case.x, dtype=float), np.array(case.y, dtype=float)
    x_before, y_before = x.copy(), y.copy()
    parameters = {
        (name, k): array.copy()
        for name, layered in case.net.parameters.items()
        for k, array in layered.items()
    }
    results = {
        "gradients": list(gradients(case.net, x, y, **case.options).arrays()),
        "gradient_norms": list(zg.gradient_norms(case.net, x, y, loss=case.loss).arrays()),
        "numerical_gradients": list(
            zg.numerical_gradients(case.net, x, y, **case.options).arrays()
        ),
        "loss": [("loss", np.asarray(case.net.loss(x, y, **case.options)))],
    }
    zg.check_gradients(case.net, x, y, directions=2, **case.options)
    trace = case.net.forward(x)
    results["forward"] = [(f"x[{k}]", trace.x[k]) for k in range(case.net.K + 1)]
    results["forward"] += [(f"z[{k}]", trace.z[k]) for k in range(1, case.net.K + 1)]
    callers = {"x": x, "y": y} | {
        f"{name}[{k}]": case.net.parameters[name][k] for name, k in parameters
    }
    for entry_point, arrays in results.items():
        for result, array in arrays:
            for caller, theirs in callers.items():
                assert not np.shares_memory(array, theirs), (
                    f"{entry_point}'s {result} shares memory with the caller's {caller}"
                )
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(y, y_before)
    for (name, k), before in parameters.items():
        np.testing.assert_array_equal(case.net.parameters[name][k], before, err_msg=f"{name}[{k}]")


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_a_scalar_target_must_be_finite_too(bad: float) -> None:
    # One sample of a one-unit network takes its target as a scalar: a 0-d array.
    nets: list[zg.Model] = [
        Network(W=[[[2.0]]], b=[[0.0]], activations="identity"),
        ConvNetwork(W=[[[[1.0, 1.0]]]], b=[[0.0]], activations="identity", length=2),
        RecurrentNetwork(W=[[[1.0]], [[1.0]]], U=[[0.5]], b=[[0.0], [0.0]], activations="identity"),
    ]
    inputs: list[npt.ArrayLike] = [[1.5], [[1.0, 2.0]], [[1.0], [2.0]]]
    kind = "NaN" if np.isnan(bad) else "inf"
    for net, x in zip(nets, inputs, strict=True):
        with refuses(zg.NonFiniteError, "y", received=kind, index=()):
            net.loss(x, bad)
        with refuses(zg.NonFiniteError, "y", received=kind, index=()):
            gradients(net, x, bad)


class _OtherEntriesOnItsSecondRead:
    """A sequence read by index that gives other entries when read again."""

    def __init__(self) -> None:
        self.passes = 0

    def __len__(self) -> int:
        return 2

    def __getitem__(self, index: int) -> float:
        if index >= 2:
            raise IndexError(index)
        if index == 0:
            self.passes += 1
        return [1.0, 3.0][index] if self.passes == 1 else 99.0


def test_an_input_is_read_once_so_what_is_checked_is_what_is_used() -> None:
    net = Network(W=[[[2.0, -1.0]]], b=[[0.5]], activations="identity")
    expected = net.forward([[1.0, 3.0]]).z[1]
    # read twice, the array-like would bring a mask the checks never saw, and numpy
    # would drop it and use the 99.0 under it
    inside = Drifting([1.0, 3.0], np.ma.array([1.0, 99.0], mask=[False, True]))
    np.testing.assert_array_equal(net.forward([inside]).z[1], expected)
    assert inside.reads == 1
    sequence = _OtherEntriesOnItsSecondRead()
    forward = net.forward([sequence])  # type: ignore[arg-type]
    np.testing.assert_array_equal(forward.z[1], expected)
    assert sequence.passes == 1


def test_calls_that_pass_an_argument_on_read_it_once() -> None:
    # read again, each would check, or compute, with other values than it returns
    net = Network(W=[[[1.0, 0.5]], [[2.0]]], b=[[0.0], [0.0]], activations=["tanh", "identity"])
    for directions in (None, 2):
        x, y = Drifting([1.0, 2.0], [70.0, 80.0]), Drifting([0.0], [5.0])
        zg.check_gradients(net, x, y, directions=directions)
        assert (x.reads, y.reads) == (1, 1)
    candidates = Drifting([-1.0, 0.0, 1.0], [5.0])
    zeros = zeros_of("relu", candidates)
    np.testing.assert_array_equal(zeros, [-1.0, 0.0])
    assert candidates.reads == 1
    weights = Drifting([[1.0, 0.5]], [[9.0, 9.0]])
    replaced = net.replace(W=[weights, net.W[2]])
    assert weights.reads == 1
    np.testing.assert_array_equal(replaced.W[1], [[1.0, 0.5]])
