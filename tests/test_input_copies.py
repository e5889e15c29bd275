"""Which entry points copy the caller's arrays, and that none of them writes into them."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from zerograd import ConvNetwork, Network, RecurrentNetwork, gradients, numerical_gradients
from zerograd.validation import as_real_array


def test_as_real_array_copies_unless_told_not_to() -> None:
    value = np.array([[1.0, -2.0], [3.0, 4.5]])
    copied = as_real_array(value, "x")
    assert copied is not value
    assert not np.shares_memory(copied, value)
    assert as_real_array(value, "x", copy=False) is value


def test_as_real_array_converts_integers_even_without_copy() -> None:
    converted = as_real_array(np.array([1, 2, 3]), "x", copy=False)
    assert converted.dtype == np.float64
    np.testing.assert_array_equal(converted, [1.0, 2.0, 3.0])


@pytest.mark.parametrize("copy", [True, False])
def test_finite_values_whose_sum_overflows_are_accepted(copy: bool) -> None:
    # 1e308 + 1e308 overflows to inf, yet every entry is finite.
    value = np.array([1e308, 1e308, -5.0])
    np.testing.assert_array_equal(as_real_array(value, "x", copy=copy), value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([np.inf, -np.inf], r"x must be finite; got inf at index \(0,\)"),
        ([[1.0, 2.0], [np.nan, 1e308]], r"x must be finite; got NaN at index \(1, 0\)"),
        ([1e308, 1e308, -np.inf], r"x must be finite; got inf at index \(2,\)"),
        (np.float64("nan"), r"x must be finite; got NaN at index \(\)"),
        (np.array(-np.inf), r"x must be finite; got inf at index \(\)"),
    ],
)
def test_the_first_non_finite_entry_is_named(value: npt.ArrayLike, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        as_real_array(value, "x", copy=False)


def test_the_forward_pass_keeps_its_own_copy_of_the_input() -> None:
    net = Network(W=[[[2.0, -1.0]]], b=[[0.5]], activations="identity")
    x = np.array([[1.0, 3.0]])
    trace = net.forward(x)
    x[0, 0] = 100.0
    np.testing.assert_array_equal(trace.x[0], [[1.0, 3.0]])
    np.testing.assert_array_equal(trace.z[1], [[2.0 - 3.0 + 0.5]])


@pytest.mark.parametrize("reduction", ["sum", "mean", "none"])
def test_gradients_never_write_into_the_callers_arrays(
    reduction: str, rng: np.random.Generator
) -> None:
    net = Network.random([3, 4, 2], ["tanh", "identity"], seed=rng)
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    x_before, y_before = x.copy(), y.copy()
    gradients(net, x, y, reduction=reduction)
    numerical_gradients(net, x, y, reduction=reduction)
    net.loss(x, y, reduction=reduction)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(y, y_before)


def test_a_checked_float64_batch_is_the_callers_data_not_a_copy() -> None:
    net = Network(W=[[[1.0, 2.0]]], b=[[0.0]], activations="identity")
    x, y = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.5], [1.5]])
    batch = net.prepare_batch(x, y, "squared_error", "mean")
    assert np.shares_memory(batch.inputs, x)
    assert np.shares_memory(batch.targets, y)
    assert batch.reduction == "mean"
    inputs, single = net.prepare_input(x)
    assert not single
    assert not np.shares_memory(inputs, x), "prepare_input copies unless told not to"


def test_one_sample_is_always_summed() -> None:
    # One sample: sum, mean and none agree, and the batch records it as a sum.
    net = Network(W=[[[1.0, 2.0]]], b=[[0.0]], activations="identity")
    for reduction in ("sum", "mean", "none"):
        batch = net.prepare_batch([1.0, 2.0], [0.5], "squared_error", reduction)
        assert batch.single
        assert batch.reduction == "sum"
        assert batch.inputs.shape == (1, 2)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_a_scalar_target_must_be_finite_too(bad: float) -> None:
    # One sample of a one-unit network takes its target as a scalar: a 0-d array.
    nets: list[Network | ConvNetwork | RecurrentNetwork] = [
        Network(W=[[[2.0]]], b=[[0.0]], activations="identity"),
        ConvNetwork(W=[[[[1.0, 1.0]]]], b=[[0.0]], activations="identity", length=2),
        RecurrentNetwork(W=[[[1.0]], [[1.0]]], U=[[0.5]], b=[[0.0], [0.0]], activations="identity"),
    ]
    inputs: list[npt.ArrayLike] = [[1.5], [[1.0, 2.0]], [[1.0], [2.0]]]
    kind = "NaN" if np.isnan(bad) else "inf"
    message = rf"^y must be finite; got {kind} at index \(\)$"
    for net, x in zip(nets, inputs, strict=True):
        with pytest.raises(ValueError, match=message):
            net.loss(x, bad)
        with pytest.raises(ValueError, match=message):
            gradients(net, x, bad)
