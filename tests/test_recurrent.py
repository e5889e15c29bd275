"""The Elman RecurrentNetwork: forward values, backpropagation through time, errors."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pytest
from gradient_cases import ACTIVATION_NAMES, KINK_MARGIN, KINKED, LOSS_NAMES, targets
from hypothesis import assume, given
from hypothesis import strategies as st

import zerograd as zg

FloatArray = npt.NDArray[np.float64]
RTOL, ATOL = 1e-6, 1e-8
SEED = 122895  # the follow-up question about convolutions


def naive_rnn(net: zg.RecurrentNetwork, sequence: FloatArray) -> tuple[FloatArray, FloatArray]:
    """States and readouts of one sequence, step by step with explicit sums over units."""
    n_0, n_1, n_2 = net.sizes
    f_1, f_2 = net.f(1).f, net.f(2).f
    state = np.zeros(n_1)
    states, outputs = [], []
    for x_t in sequence:
        z = np.array([
            sum(net.W[1][i, j] * x_t[j] for j in range(n_0))
            + sum(net.U[1][i, j] * state[j] for j in range(n_1))
            + net.b[1][i]
            for i in range(n_1)
        ])  # fmt: skip
        state = f_1(z)
        readout = np.array(
            [sum(net.W[2][i, j] * state[j] for j in range(n_1)) + net.b[2][i] for i in range(n_2)]
        )
        states.append(state)
        outputs.append(f_2(readout))
    return np.array(states), np.array(outputs)


@dataclass(frozen=True)
class RecurrentCase:
    net: zg.RecurrentNetwork
    x: FloatArray
    y: FloatArray
    loss: str
    reduction: str


@st.composite
def recurrent_cases(draw: st.DrawFn) -> RecurrentCase:
    loss = draw(st.sampled_from(LOSS_NAMES))
    n_2 = draw(st.integers(2 if loss == "softmax_cross_entropy" else 1, 3))
    sizes = (draw(st.integers(1, 3)), draw(st.integers(1, 4)), n_2)
    activations = [draw(st.sampled_from(ACTIVATION_NAMES)) for _ in range(2)]
    if loss == "binary_cross_entropy":
        activations[1] = "sigmoid"
    output = draw(st.sampled_from(("last", "every")))
    seed = draw(st.integers(0, 2**32 - 1))
    net = zg.RecurrentNetwork.random(sizes, activations, output=output, seed=seed)
    n_samples, length = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_samples, length, sizes[0]))
    y = targets(loss, (n_samples, n_2) if output == "last" else (n_samples, length, n_2), rng)
    if draw(st.booleans()):
        x, y = x[0], y[0]
    trace = net.forward(x)
    for k in (1, 2):
        if net.activations[k - 1] in KINKED:
            assume(float(np.min(np.abs(trace.z[k]))) > KINK_MARGIN)
    return RecurrentCase(net, x, y, loss, draw(st.sampled_from(zg.REDUCTIONS)))


@given(case=recurrent_cases())
def test_gradients_match_central_differences(case: RecurrentCase) -> None:
    exact = zg.gradients(case.net, case.x, case.y, loss=case.loss, reduction=case.reduction)
    estimate = zg.numerical_gradients(
        case.net, case.x, case.y, loss=case.loss, reduction=case.reduction
    )
    atol = ATOL * max(1.0, exact.max_abs())
    names = [name for name, _ in exact.arrays()]
    assert names == ["W[1]", "U[1]", "b[1]", "W[2]", "b[2]"]
    for (name, got), (_, want) in zip(exact.arrays(), estimate.arrays(), strict=True):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=atol, err_msg=name)
    for k in (1, 2):
        np.testing.assert_allclose(
            exact.z[k], estimate.z[k], rtol=RTOL, atol=atol, err_msg=f"z[{k}]"
        )


@given(case=recurrent_cases())
def test_forward_matches_a_naive_loop(case: RecurrentCase) -> None:
    batch = np.asarray(case.x).reshape(-1, *np.shape(case.x)[-2:])
    trace = case.net.forward(batch)
    for n, sequence in enumerate(batch):
        states, outputs = naive_rnn(case.net, sequence)
        np.testing.assert_allclose(trace.x[1][n], states, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(trace.x[2][n], outputs, rtol=1e-12, atol=1e-12)


@given(case=recurrent_cases())
def test_batch_sum_and_mean_are_sum_and_mean_of_per_sample(case: RecurrentCase) -> None:
    net = case.net
    x = np.asarray(case.x).reshape(-1, *np.shape(case.x)[-2:])
    y = np.asarray(case.y).reshape(len(x), *net.output_shape(x))
    each = zg.gradients(net, x, y, loss=case.loss, reduction="none")
    total = zg.gradients(net, x, y, loss=case.loss, reduction="sum")
    mean = zg.gradients(net, x, y, loss=case.loss, reduction="mean")
    for (name, per), (_, summed), (_, averaged) in zip(
        each.arrays(), total.arrays(), mean.arrays(), strict=True
    ):
        np.testing.assert_allclose(summed, per.sum(axis=0), rtol=1e-10, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(averaged, per.mean(axis=0), rtol=1e-10, atol=1e-12)
    for n in range(len(x)):
        alone = zg.gradients(net, x[n], y[n], loss=case.loss)
        for (name, per), (_, one) in zip(each.arrays(), alone.arrays(), strict=True):
            np.testing.assert_allclose(per[n], one, rtol=1e-10, atol=1e-12, err_msg=name)


@given(case=recurrent_cases())
def test_shared_biases_sum_their_raw_activation_gradients(case: RecurrentCase) -> None:
    grads = zg.gradients(case.net, case.x, case.y, loss=case.loss, reduction="sum")
    axes = (0,) if np.ndim(case.x) == 2 else (0, 1)  # steps, and samples for a batch
    for k in (1, 2):
        np.testing.assert_allclose(grads.b[k], grads.z[k].sum(axis=axes), rtol=1e-12, atol=1e-15)
    if case.net.output == "last":  # only the last readout reaches the loss
        assert not np.any(np.asarray(grads.z[2])[..., :-1, :])


def test_one_step_is_a_two_layer_dense_network() -> None:
    rng = np.random.default_rng(SEED)
    rnn = zg.RecurrentNetwork.random([3, 4, 2], ["silu", "tanh"], seed=3)
    dense = zg.Network([rnn.W[1], rnn.W[2]], [rnn.b[1], rnn.b[2]], rnn.activations)
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    got = zg.gradients(rnn, x[:, None, :], y, reduction="none")
    want = zg.gradients(dense, x, y, reduction="none")
    for k in (1, 2):
        np.testing.assert_allclose(got.W[k], want.W[k], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(got.b[k], want.b[k], rtol=1e-12, atol=1e-15)
    assert got.U is not None
    assert not np.any(got.U[1]), "with one step the state before it is 0, so U gets no gradient"


def test_every_step_output_sums_the_per_step_losses() -> None:
    rng = np.random.default_rng(SEED)
    every = zg.RecurrentNetwork.random([2, 3, 2], seed=4, output="every")
    x, y = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    outputs = every.forward(x).x[2]
    assert every.loss(x, y) == pytest.approx(0.5 * np.sum((outputs - y) ** 2), rel=1e-12)
    last = zg.RecurrentNetwork(
        [every.W[1], every.W[2]], every.U[1], [every.b[1], every.b[2]], every.activations
    )
    assert last.loss(x, y[-1]) == pytest.approx(0.5 * np.sum((outputs[-1] - y[-1]) ** 2))


def test_hand_computed_backpropagation_through_time() -> None:
    # identity everywhere, W1 = 1, U = 0.5, W2 = 1: x2_t = h_t with h_t = x_t + h_{t-1}/2.
    net = zg.RecurrentNetwork(
        W=[[[1.0]], [[1.0]]], U=[[0.5]], b=[[0.0], [0.0]], activations="identity"
    )
    grads = zg.gradients(net, [[2.0], [1.0], [0.0]], [0.0])  # h = 2, 2, 1; dL/dh_3 = 1
    assert grads.z[1][:, 0].tolist() == [0.25, 0.5, 1.0]
    assert grads.U is not None
    assert grads.U[1].tolist() == [[0.5 * 2.0 + 1.0 * 2.0]]  # delta_2 h_1 + delta_3 h_2
    assert grads.W[1].tolist() == [[0.25 * 2.0 + 0.5 * 1.0 + 1.0 * 0.0]]
    assert grads.b[2].tolist() == [1.0]


def test_backward_keys_its_gradients_by_layer_number() -> None:
    # The example above, through the model's backward hook: delta^(2) is 1 at the last step.
    net = zg.RecurrentNetwork(
        W=[[[1.0]], [[1.0]]], U=[[0.5]], b=[[0.0], [0.0]], activations="identity"
    )
    trace = net.forward_batch(np.array([[[2.0], [1.0], [0.0]]]))
    delta = np.array([[[0.0], [0.0], [1.0]]])
    params, dz = net.backward(trace, delta, per_sample=False)
    got = {name: {k: v.tolist() for k, v in arrays.items()} for name, arrays in params.items()}
    assert got == {
        "W": {1: [[0.25 * 2.0 + 0.5 * 1.0]], 2: [[1.0 * 1.0]]},  # sum_t delta_t x_t; h_3 = 1
        "U": {1: [[0.5 * 2.0 + 1.0 * 2.0]]},
        "b": {1: [0.25 + 0.5 + 1.0], 2: [1.0]},
    }
    assert {k: v.tolist() for k, v in dz.items()} == {
        1: [[[0.25], [0.5], [1.0]]],
        2: [[[0.0], [0.0], [1.0]]],
    }


TWO_ARRAYS = (
    "a RecurrentNetwork has two layers: W and b must each hold 2 arrays (recurrent layer, readout)"
)

BAD_NETWORKS = [
    ({"W": [np.ones((2, 1))], "U": np.eye(2), "b": [np.zeros(2)]}, f"{TWO_ARRAYS}; got 1 and 1"),
    (
        {"W": [np.ones((2, 1)), np.ones((1, 2))], "U": np.eye(2), "b": [np.zeros(2)]},
        f"{TWO_ARRAYS}; got 2 and 1",
    ),
    (
        {"W": [np.ones((2, 1))], "U": np.eye(2), "b": [np.zeros(2), np.zeros(1)]},
        f"{TWO_ARRAYS}; got 1 and 2",
    ),
    (
        {"W": [np.ones((2, 1)), np.ones((1, 2))], "U": np.eye(3), "b": [np.zeros(2), np.zeros(1)]},
        "U[1] must have shape (2, 2); got shape (3, 3)",
    ),
    (
        {"W": [np.ones((2, 1)), np.ones((1, 3))], "U": np.eye(2), "b": [np.zeros(2), np.zeros(1)]},
        "W[2] must have shape (n_2, 2) to read the state; got shape (1, 3)",
    ),
    (
        {"W": [np.ones((2, 1)), np.ones((0, 2))], "U": np.eye(2), "b": [np.zeros(2), np.zeros(0)]},
        "W[2] must have shape (n_2, 2) to read the state; got shape (0, 2)",
    ),
    (
        {"W": [np.ones(2), np.ones((1, 2))], "U": np.eye(2), "b": [np.zeros(2), np.zeros(1)]},
        "W[1] must be a non-empty matrix of shape (n_1, n_0); got shape (2,)",
    ),
    (
        {"W": [np.ones((2, 1)), np.ones((1, 2))], "U": np.eye(2), "b": [np.zeros(3), np.zeros(1)]},
        "b[1] must have shape (2,); got shape (3,)",
    ),
    (
        {"W": [np.ones((2, 1)), np.ones((1, 2))], "U": np.eye(2), "b": [np.zeros(2), np.zeros(2)]},
        "b[2] must have shape (1,); got shape (2,)",
    ),
    (
        {
            "W": [np.ones((2, 1)), np.ones((1, 2))],
            "U": np.full((2, 2), np.inf),
            "b": [np.zeros(2), np.zeros(1)],
        },
        "U[1] must be finite; got inf at index (0, 0)",
    ),
    (
        {
            "W": [np.ones((2, 1)), np.ones((1, 2))],
            "U": np.eye(2),
            "b": [np.zeros(2), np.zeros(1)],
            "output": "first",
        },
        "unknown output 'first'; expected one of 'last', 'every'",
    ),
    (
        {
            "W": [np.ones((2, 1)), np.ones((1, 2))],
            "U": np.eye(2),
            "b": [np.zeros(2), np.zeros(1)],
            "activations": "ReLU",
        },
        "unknown activation 'ReLU'; expected one of "
        + ", ".join(repr(name) for name in ACTIVATION_NAMES),
    ),
]


@pytest.mark.parametrize(("kwargs", "message"), BAD_NETWORKS)
def test_bad_networks_are_refused(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"activations": "tanh", **kwargs}
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        zg.RecurrentNetwork(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("output", "x", "y", "message"),
    [
        ("last", np.ones((4, 3)), np.ones(1), "x must have shape (T, 2) for one sequence or (N, T, 2)"),
        ("last", np.ones(2), np.ones(1), "got shape (2,)"),
        ("last", np.ones((0, 2)), np.ones(1), "with T >= 1 and N >= 1; got shape (0, 2)"),
        ("last", np.full((4, 2), np.nan), np.ones(1), "x must be finite; got NaN at index (0, 0)"),
        ("last", np.ones((4, 2)), np.ones((4, 1)), "y for one sample must have shape (1,); got shape (4, 1)"),
        ("every", np.ones((4, 2)), np.ones((3, 1)), "y for one sample must have shape (4, 1); got shape (3, 1)"),
        ("every", np.ones((5, 4, 2)), np.ones((5, 1)), "y for a batch of 5 must have shape (5, 4, 1)"),
    ],
)  # fmt: skip
def test_bad_input_is_refused(output: str, x: FloatArray, y: FloatArray, message: str) -> None:
    net = zg.RecurrentNetwork.random([2, 3, 1], output=output, seed=0)
    with pytest.raises(ValueError, match=re.escape(message)):
        zg.gradients(net, x, y)
    with pytest.raises(ValueError, match=re.escape(message)):
        zg.numerical_gradients(net, x, y)


def test_bad_sizes_loss_and_weight_decay_are_refused() -> None:
    with pytest.raises(ValueError, match=re.escape("sizes must be (n_0, n_1, n_2)")):
        zg.RecurrentNetwork.random([2, 3])
    net = zg.RecurrentNetwork.random([2, 3, 1], seed=0)
    x, y = np.ones((4, 2)), np.ones(1)
    with pytest.raises(ValueError, match="needs at least 2 output units; got 1"):
        zg.gradients(net, x, y, loss="softmax_cross_entropy")
    with pytest.raises(
        ValueError, match=re.escape("weight_decay must be a finite number >= 0; got -1.0")
    ):
        zg.numerical_gradients(net, x, y, weight_decay=-1.0)
    assert "RecurrentNetwork(sizes=(2, 3, 1)" in repr(net)
