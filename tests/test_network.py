"""The network: its forward pass on numbers worked out by hand, its shapes, seeds and copies."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gradient_cases import Case, cases
from hypothesis import given

from zerograd import ACTIVATIONS, Network, gradients


def hand_net() -> Network:
    """Two inputs, a relu layer of two units, one identity output."""
    return Network(
        W=[[[1.0, -1.0], [2.0, 0.5]], [[1.0, 2.0]]],
        b=[[0.5, -1.0], [-0.5]],
        activations=["relu", "identity"],
    )


def test_forward_one_sample_by_hand() -> None:
    # z1 = [1 - 3 + 0.5, 2 + 1.5 - 1] = [-1.5, 2.5]; relu gives [0, 2.5]
    # z2 = 0 + 2 * 2.5 - 0.5 = 4.5
    trace = hand_net().forward([1.0, 3.0])
    np.testing.assert_array_equal(trace.x[0], [1.0, 3.0])
    np.testing.assert_array_equal(trace.z[1], [-1.5, 2.5])
    np.testing.assert_array_equal(trace.x[1], [0.0, 2.5])
    np.testing.assert_array_equal(trace.z[2], [4.5])
    np.testing.assert_array_equal(trace.x[2], [4.5])


def test_forward_batch_by_hand() -> None:
    # Second row: z1 = [2 - 1 + 0.5, 4 + 0.5 - 1] = [1.5, 3.5], z2 = 1.5 + 7 - 0.5 = 8
    trace = hand_net().forward([[1.0, 3.0], [2.0, 1.0]])
    np.testing.assert_array_equal(trace.z[1], [[-1.5, 2.5], [1.5, 3.5]])
    np.testing.assert_array_equal(trace.x[1], [[0.0, 2.5], [1.5, 3.5]])
    np.testing.assert_array_equal(trace.z[2], [[4.5], [8.0]])


def test_smooth_activations_in_the_forward_pass_by_hand() -> None:
    # sigmoid(log 3) = 3 / (1 + 3) = 0.75; tanh(0) = 0; softplus(0) = log 2
    net = Network(W=[[[1.0], [0.0], [0.0]]], b=[[0.0, 0.0, 0.0]], activations="sigmoid")
    np.testing.assert_allclose(net.forward([math.log(3.0)]).x[1], [0.75, 0.5, 0.5], rtol=1e-15)
    tanh = Network(W=[[[1.0]]], b=[[0.0]], activations="tanh")
    assert tanh.forward([0.0]).x[1][0] == 0.0
    softplus = Network(W=[[[1.0]]], b=[[0.0]], activations="softplus")
    np.testing.assert_allclose(softplus.forward([0.0]).x[1], [math.log(2.0)], rtol=1e-15)


def test_loss_by_hand_for_each_reduction() -> None:
    # Outputs 4.5 and 8 against targets 4 and 8: losses (0.5^2)/2 = 0.125 and 0.
    net, x, y = hand_net(), [[1.0, 3.0], [2.0, 1.0]], [4.0, 8.0]
    assert net.loss(x, y) == 0.125
    assert net.loss(x, y, reduction="mean") == 0.0625
    np.testing.assert_array_equal(net.loss(x, y, reduction="none"), [0.125, 0.0])
    assert net.loss([1.0, 3.0], [4.0]) == 0.125
    assert net.loss([1.0, 3.0], 4.0) == 0.125  # a scalar target for a scalar output
    assert isinstance(net.loss(x, y, reduction="sum"), float)


def test_reduced_losses_are_python_floats() -> None:
    # Documented as a float: numpy.float64 would pass isinstance(..., float) but is not one.
    net, x, y = hand_net(), [[1.0, 3.0], [2.0, 1.0]], [4.0, 8.0]
    for value in (
        net.loss(x, y),
        net.loss(x, y, reduction="mean"),
        net.loss([1.0, 3.0], [4.0], reduction="none"),
        net.loss(x, y, weight_decay=0.5),
    ):
        assert type(value) is float, type(value)
    assert type(net.loss(x, y, reduction="none")) is np.ndarray


def test_a_scalar_target_is_one_sample_of_a_one_unit_output() -> None:
    # Output 4.5: the target 4.0 as a scalar, a vector or a batch of one gives the same.
    net = hand_net()
    for target in (4.0, [4.0], np.float32(4.0)):
        assert net.loss([1.0, 3.0], target) == 0.125
        np.testing.assert_array_equal(gradients(net, [1.0, 3.0], target).z[2], [0.5])
    np.testing.assert_array_equal(gradients(net, [[1.0, 3.0]], [4.0]).z[2], [[0.5]])


def test_cross_entropy_losses_by_hand() -> None:
    # sigmoid(log 3) = 3/4: -log(3/4) for label 1, -log(1/4) for label 0.
    sigmoid_net = Network(W=[[[1.0]]], b=[[0.0]], activations="sigmoid")
    x = [[math.log(3.0)], [math.log(3.0)]]
    np.testing.assert_allclose(
        sigmoid_net.loss(x, [1.0, 0.0], loss="binary_cross_entropy", reduction="none"),
        [math.log(4.0 / 3.0), math.log(4.0)],
        rtol=1e-14,
    )
    # logits [0, log 3] give probabilities [1/4, 3/4].
    logits_net = Network(W=[[[0.0], [1.0]]], b=[[0.0, 0.0]], activations="identity")
    value = logits_net.loss([math.log(3.0)], [0.0, 1.0], loss="softmax_cross_entropy")
    assert value == pytest.approx(math.log(4.0 / 3.0), rel=1e-14)
    half = logits_net.loss([math.log(3.0)], [0.5, 0.5], loss="softmax_cross_entropy")
    assert half == pytest.approx(0.5 * math.log(4.0) + 0.5 * math.log(4.0 / 3.0), rel=1e-14)


@given(cases())
def test_forward_shapes_and_single_sample_agrees_with_batch_row(case: Case[Network]) -> None:
    net, trace = case.net, case.net.forward(case.x)
    lead = () if case.single else (case.n_samples,)
    assert list(trace.z) == list(range(1, net.K + 1))
    assert list(trace.x) == list(range(net.K + 1))
    for k in range(net.K + 1):
        assert trace.x[k].shape == (*lead, net.sizes[k])
    for k in range(1, net.K + 1):
        assert trace.z[k].shape == (*lead, net.sizes[k])
        np.testing.assert_array_equal(trace.x[k], net.f(k).f(trace.z[k]))
    if not case.single:
        alone = net.forward(case.x[0])
        for k in trace.z:
            np.testing.assert_allclose(alone.z[k], trace.z[k][0], rtol=1e-14, atol=1e-14)


def test_properties() -> None:
    net = Network.random([3, 5, 4, 2], ["relu", "tanh", "identity"], seed=0)
    assert net.K == 3
    assert net.sizes == (3, 5, 4, 2)
    assert net.activations == ("relu", "tanh", "identity")
    assert [net.W[k].shape for k in net.W] == [(5, 3), (4, 5), (2, 4)]
    assert [net.b[k].shape for k in net.b] == [(5,), (4,), (2,)]
    assert [net.f(k).name for k in range(1, 4)] == ["relu", "tanh", "identity"]
    assert net.f(2) is ACTIVATIONS["tanh"]
    assert repr(net) == "Network(sizes=(3, 5, 4, 2), activations=('relu', 'tanh', 'identity'))"


def test_one_activation_name_serves_every_layer() -> None:
    net = Network.random([2, 3, 3, 1], "softplus", seed=0)
    assert net.activations == ("softplus", "softplus", "softplus")


def test_random_is_reproducible_by_seed() -> None:
    first = Network.random([4, 6, 3], ["tanh", "identity"], seed=42)
    again = Network.random([4, 6, 3], ["tanh", "identity"], seed=42)
    other = Network.random([4, 6, 3], ["tanh", "identity"], seed=43)
    for k in first.W:
        np.testing.assert_array_equal(first.W[k], again.W[k])
        np.testing.assert_array_equal(first.b[k], again.b[k])
        assert not np.array_equal(first.W[k], other.W[k]), f"seeds 42 and 43 gave the same W[{k}]"


def test_random_accepts_a_generator_and_advances_it() -> None:
    rng = np.random.default_rng(5)
    first = Network.random([2, 2], "tanh", seed=rng)
    second = Network.random([2, 2], "tanh", seed=rng)
    assert not np.array_equal(first.W[1], second.W[1])
    np.testing.assert_array_equal(
        first.W[1], Network.random([2, 2], "tanh", seed=np.random.default_rng(5)).W[1]
    )


def test_random_scales_follow_the_docstring() -> None:
    # Weights N(0, 1/n_in), biases N(0, 0.1^2): with 250_000 and 5_000 draws
    # the sample standard deviations are within 1% and 5% of those.
    net = Network.random([400, 625, 5000], "tanh", seed=0)
    assert net.W[1].std() == pytest.approx(1.0 / 20.0, rel=0.01)
    assert net.W[2].std() == pytest.approx(1.0 / 25.0, rel=0.01)
    assert net.b[2].std() == pytest.approx(0.1, rel=0.05)
    assert abs(net.W[1].mean()) < 0.001


def test_replace_swaps_parameters_and_keeps_the_rest() -> None:
    net = hand_net()
    W1_before = net.W[1].copy()
    doubled = net.replace(W=[2.0 * net.W[1], 2.0 * net.W[2]])
    assert doubled.activations == net.activations
    np.testing.assert_array_equal(doubled.W[1], 2.0 * W1_before)
    np.testing.assert_array_equal(doubled.b[2], net.b[2])
    np.testing.assert_array_equal(net.W[1], W1_before)  # the original is untouched
    shifted = net.replace(b=[[0.0, 0.0], [1.0]])
    np.testing.assert_array_equal(shifted.W[2], net.W[2])
    np.testing.assert_array_equal(shifted.b[2], [1.0])


def test_replace_copies_so_later_edits_do_not_leak() -> None:
    net = hand_net()
    copy = net.replace()
    copy.W[1][0, 0] = 99.0
    copy.b[1][0] = 99.0
    assert net.W[1][0, 0] == 1.0
    assert net.b[1][0] == 0.5


def test_the_network_does_not_alias_the_callers_arrays() -> None:
    W1 = np.array([[1.0, 2.0]])
    net = Network(W=[W1], b=[[0.0]], activations="identity")
    W1[0, 0] = 99.0
    assert net.W[1][0, 0] == 1.0


def test_a_network_copies_another_through_its_layered_parameters() -> None:
    net = hand_net()
    copy = Network(net.W, net.b, net.activations)
    assert copy.activations == net.activations
    for k in net.W:
        np.testing.assert_array_equal(copy.W[k], net.W[k])
        assert copy.W[k] is not net.W[k], "the copy must own its arrays"
    as_mapping = Network({2: net.W[2], 1: net.W[1]}, {1: net.b[1], 2: net.b[2]}, "relu")
    np.testing.assert_array_equal(as_mapping.W[2], net.W[2])


def test_parameters_name_every_parameter() -> None:
    net = hand_net()
    assert list(net.parameters) == ["W", "b"]
    assert net.parameters["W"] is net.W
    assert net.parameters["b"] is net.b
