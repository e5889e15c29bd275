"""Backpropagation against central differences and against formulas written out by hand."""

from __future__ import annotations

import numpy as np
import pytest
from gradient_cases import ACTIVATION_NAMES, LOSS_NAMES, Case, cases
from hypothesis import given, settings
from hypothesis import strategies as st

from zerograd import Network, gradients, numerical_gradients

TOLERANCE = 1e-6
"""Largest accepted error of the central differences against a closed form.

Central differences with the default step reach about 1e-9 here, so a dropped
factor, a flipped sign or a wrong index, which move entries by a sizeable
fraction, cannot hide.
"""

FEWER_EXAMPLES = settings(max_examples=max(10, settings().max_examples // 4))
"""For tests repeated once per activation or loss by ``parametrize``."""


@given(cases())
def test_gradients_match_central_differences(case: Case[Network]) -> None:
    case.check_gradients()


@given(cases())
def test_gradients_match_central_differences_along_random_directions(case: Case[Network]) -> None:
    case.check_gradients(directions=3)


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@FEWER_EXAMPLES
@given(data=st.data())
def test_gradients_match_central_differences_for_each_activation(
    activation: str, data: st.DataObject
) -> None:
    # Every layer uses one activation (except a sigmoid output forced by
    # binary cross-entropy), so each rule is exercised whatever the draws.
    data.draw(cases(activations=[activation])).check_gradients()


@pytest.mark.parametrize("loss", LOSS_NAMES)
@pytest.mark.parametrize("single", [True, False], ids=["one_sample", "batch"])
@FEWER_EXAMPLES
@given(data=st.data())
def test_gradients_match_central_differences_for_each_loss(
    loss: str, single: bool, data: st.DataObject
) -> None:
    data.draw(cases(losses=[loss], single=single)).check_gradients()


def test_hand_computed_two_layer_relu_example() -> None:
    # z1 = W1 x + b1 = [1 - 3 + 0.5, 2 + 1.5 - 1] = [-1.5, 2.5], x1 = [0, 2.5]
    # z2 = 1*0 + 2*2.5 - 0.5 = 4.5, L = (4.5 - 4)^2 / 2, delta2 = 0.5
    # dW2 = 0.5 * [0, 2.5], W2^T delta2 = [0.5, 1], delta1 = [0, 1] (relu'(-1.5) = 0)
    # dW1 = outer([0, 1], [1, 3]), db1 = [0, 1]
    net = Network(
        W=[[[1.0, -1.0], [2.0, 0.5]], [[1.0, 2.0]]],
        b=[[0.5, -1.0], [-0.5]],
        activations=["relu", "identity"],
    )
    grads = gradients(net, [1.0, 3.0], [4.0])
    np.testing.assert_array_equal(grads.z[2], [0.5])
    np.testing.assert_array_equal(grads.W[2], [[0.0, 1.25]])
    np.testing.assert_array_equal(grads.b[2], [0.5])
    np.testing.assert_array_equal(grads.z[1], [0.0, 1.0])
    np.testing.assert_array_equal(grads.W[1], [[0.0, 0.0], [1.0, 3.0]])
    np.testing.assert_array_equal(grads.b[1], [0.0, 1.0])


@pytest.mark.parametrize(
    ("activation", "hidden_slope"), [("relu", 0.0), ("leaky_relu", 0.01)], ids=["relu", "leaky"]
)
def test_kink_convention_holds_through_backpropagation(
    activation: str, hidden_slope: float
) -> None:
    # z1 = 2 - 2 = 0 exactly, at the kink. Output z2 = 3 * f(0) = 0, y = 1,
    # so delta2 = -1 and W2^T delta2 = -3; delta1 = f'(0) * -3.
    net = Network(
        W=[[[1.0, -1.0]], [[3.0]]], b=[[0.0], [0.0]], activations=[activation, "identity"]
    )
    grads = gradients(net, [2.0, 2.0], [1.0])
    delta1 = hidden_slope * -3.0
    np.testing.assert_array_equal(grads.z[1], [delta1])
    np.testing.assert_array_equal(grads.W[1], [[2.0 * delta1, 2.0 * delta1]])
    np.testing.assert_array_equal(grads.b[1], [delta1])


def tanh_net_closed_form(
    W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray, x: np.ndarray, y: np.ndarray
) -> dict[str, np.ndarray]:
    """Gradients of sum_n 1/2 ||W2 tanh(W1 x_n + b1) + b2 - y_n||^2, written out for rows x_n."""
    hidden = np.tanh(x @ W1.T + b1)
    residual = hidden @ W2.T + b2 - y
    back = (residual @ W2) * (1.0 - hidden**2)
    return {
        "W2": np.einsum("ni,nj->ij", residual, hidden),
        "b2": residual.sum(axis=0),
        "W1": np.einsum("ni,nj->ij", back, x),
        "b1": back.sum(axis=0),
        "z2": residual,
        "z1": back,
    }


@given(
    seed=st.integers(0, 2**32 - 1),
    n_in=st.integers(1, 6),
    n_hidden=st.integers(1, 6),
    n_out=st.integers(1, 4),
    n_samples=st.integers(1, 5),
)
def test_one_hidden_layer_tanh_net_matches_closed_form(
    seed: int, n_in: int, n_hidden: int, n_out: int, n_samples: int
) -> None:
    rng = np.random.default_rng(seed)
    W1, b1 = rng.normal(size=(n_hidden, n_in)), rng.normal(size=n_hidden)
    W2, b2 = rng.normal(size=(n_out, n_hidden)), rng.normal(size=n_out)
    x, y = rng.normal(size=(n_samples, n_in)), rng.normal(size=(n_samples, n_out))
    expected = tanh_net_closed_form(W1, b1, W2, b2, x, y)
    net = Network(W=[W1, W2], b=[b1, b2], activations=["tanh", "identity"])
    # The exact rule agrees to round-off; the estimate only to its own accuracy,
    # which also checks the reference that the other tests trust.
    for grads, tolerance in (
        (gradients(net, x, y), 1e-12),
        (numerical_gradients(net, x, y), TOLERANCE),
    ):
        got = {
            "W2": grads.W[2],
            "b2": grads.b[2],
            "W1": grads.W[1],
            "b1": grads.b[1],
            "z2": grads.z[2],
            "z1": grads.z[1],
        }
        for name, value in expected.items():
            np.testing.assert_allclose(
                got[name], value, rtol=tolerance, atol=tolerance, err_msg=name
            )


@given(seed=st.integers(0, 2**32 - 1), n_in=st.integers(1, 6), n_samples=st.integers(1, 5))
def test_logistic_regression_matches_closed_form(seed: int, n_in: int, n_samples: int) -> None:
    # For one sigmoid unit with cross-entropy, dL/dw = sum_n (p_n - y_n) x_n.
    rng = np.random.default_rng(seed)
    W, b = rng.normal(size=(1, n_in)), rng.normal(size=1)
    x, y = rng.normal(size=(n_samples, n_in)), rng.integers(0, 2, size=n_samples).astype(float)
    p = 1.0 / (1.0 + np.exp(-(x @ W[0] + b[0])))
    net = Network(W=[W], b=[b], activations="sigmoid")
    grads = gradients(net, x, y, loss="binary_cross_entropy")
    np.testing.assert_allclose(grads.W[1], [(p - y) @ x], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grads.b[1], [(p - y).sum()], rtol=1e-12, atol=1e-14)


@given(
    seed=st.integers(0, 2**32 - 1),
    n_in=st.integers(1, 6),
    n_out=st.integers(2, 5),
    n_samples=st.integers(1, 5),
)
def test_softmax_regression_matches_closed_form(
    seed: int, n_in: int, n_out: int, n_samples: int
) -> None:
    # For logits W x + b with softmax cross-entropy, dL/dW = sum_n (p_n - y_n) x_n^T.
    rng = np.random.default_rng(seed)
    W, b = rng.normal(size=(n_out, n_in)), rng.normal(size=n_out)
    x = rng.normal(size=(n_samples, n_in))
    y = np.eye(n_out)[rng.integers(0, n_out, size=n_samples)]
    logits = x @ W.T + b
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    net = Network(W=[W], b=[b], activations="identity")
    grads = gradients(net, x, y, loss="softmax_cross_entropy", reduction="mean")
    np.testing.assert_allclose(grads.W[1], (p - y).T @ x / n_samples, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grads.b[1], (p - y).mean(axis=0), rtol=1e-12, atol=1e-14)


def test_gradients_arrays_are_named_in_layer_order() -> None:
    net = Network.random([2, 3, 1], ["tanh", "identity"], seed=3)
    names = [name for name, _ in gradients(net, [1.0, 2.0], [0.5]).arrays()]
    assert names == ["W[1]", "b[1]", "W[2]", "b[2]"]


def test_all_zero_means_exactly_zero() -> None:
    net = Network(W=[[[2.0]]], b=[[0.0]], activations="identity")
    assert gradients(net, [1.5], [3.0]).all_zero()  # output 3 equals the target
    # Output 1e-300 against target 0: dL/db = 1e-300, tiny but not zero.
    tiny = Network(W=[[[0.0]]], b=[[1e-300]], activations="identity")
    assert not gradients(tiny, [1.5], [0.0]).all_zero(), "a gradient of 1e-300 is not zero"


def test_max_abs_is_the_largest_entry_over_weights_and_biases() -> None:
    # L = (2 * 1.5 - 1)^2 / 2: dL/dW = 2 * 1.5 = 3, dL/db = 2.
    net = Network(W=[[[2.0]]], b=[[0.0]], activations="identity")
    assert gradients(net, [1.5], [1.0]).max_abs() == 3.0
    assert gradients(net, [-0.5], [1.0]).max_abs() == 2.0  # |dL/db| = 2 > |dL/dW| = 1
