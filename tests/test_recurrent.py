"""The Elman RecurrentNetwork: forward values, backpropagation through time, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from contracts import refuses
from gradient_cases import Case, FloatArray, recurrent_cases
from hypothesis import given

import zerograd as zg
from zerograd.layers import LayerFactors

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


@given(case=recurrent_cases())
def test_gradients_match_central_differences(case: Case[zg.RecurrentNetwork]) -> None:
    assert [name for name, _ in zg.gradients(case.net, case.x, case.y, **case.options).arrays()] == [
        "W[1]", "U[1]", "b[1]", "W[2]", "b[2]",
    ]  # fmt: skip
    case.check_gradients()


@given(case=recurrent_cases())
def test_gradients_match_central_differences_along_random_directions(
    case: Case[zg.RecurrentNetwork],
) -> None:
    case.check_gradients(directions=3)


@given(case=recurrent_cases())
def test_forward_matches_a_naive_loop(case: Case[zg.RecurrentNetwork]) -> None:
    batch = np.asarray(case.x).reshape(-1, *np.shape(case.x)[-2:])
    trace = case.net.forward(batch)
    for n, sequence in enumerate(batch):
        states, outputs = naive_rnn(case.net, sequence)
        np.testing.assert_allclose(trace.x[1][n], states, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(trace.x[2][n], outputs, rtol=1e-12, atol=1e-12)


@given(case=recurrent_cases())
def test_batch_sum_and_mean_are_sum_and_mean_of_per_sample(case: Case[zg.RecurrentNetwork]) -> None:
    net = case.net
    x = np.asarray(case.x).reshape(-1, *np.shape(case.x)[-2:])
    y = np.asarray(case.y).reshape(len(x), *net.target_shape(x))
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
def test_shared_biases_sum_their_raw_activation_gradients(case: Case[zg.RecurrentNetwork]) -> None:
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
    assert grads.U[1].tolist() == [[0.5 * 2.0 + 1.0 * 2.0]]  # delta_2 h_1 + delta_3 h_2
    assert grads.W[1].tolist() == [[0.25 * 2.0 + 0.5 * 1.0 + 1.0 * 0.0]]
    assert grads.b[2].tolist() == [1.0]


def test_backward_keys_its_gradients_by_layer_number() -> None:
    # The example above, through the model's backward hook: delta^(2) is 1 at the last step,
    # the only step the loss reads.
    net = zg.RecurrentNetwork(
        W=[[[1.0]], [[1.0]]], U=[[0.5]], b=[[0.0], [0.0]], activations="identity"
    )
    trace = net.forward_batch(np.array([[[2.0], [1.0], [0.0]]]))
    delta = np.array([[1.0]])
    got: dict[str, dict[int, list[Any]]] = {"W": {}, "U": {}, "b": {}}
    dz: dict[int, np.ndarray] = {}

    def keep(k: int, delta_k: np.ndarray, factors: LayerFactors) -> None:
        dz[k] = delta_k
        for name, gradient in factors.gradients(per_sample=False).items():
            got[name][k] = gradient.tolist()

    net.backward(trace, delta, keep)
    assert got == {
        "W": {1: [[0.25 * 2.0 + 0.5 * 1.0]], 2: [[1.0 * 1.0]]},  # sum_t delta_t x_t; h_3 = 1
        "U": {1: [[0.5 * 2.0 + 1.0 * 2.0]]},
        "b": {1: [0.25 + 0.5 + 1.0], 2: [1.0]},
    }
    assert {k: v.tolist() for k, v in dz.items()} == {
        1: [[[0.25], [0.5], [1.0]]],
        2: [[[0.0], [0.0], [1.0]]],
    }


W_OK, U_OK, B_OK = [np.ones((2, 1)), np.ones((1, 2))], np.eye(2), [np.zeros(2), np.zeros(1)]

BAD_NETWORKS = [
    pytest.param({"W": W_OK[:1], "b": B_OK[:1]}, "W", 2, 1, id="one W"),
    pytest.param({"W": W_OK, "b": B_OK[:1]}, "b", 2, 1, id="one b"),
    pytest.param({"W": W_OK[:1], "b": B_OK}, "W", 2, 1, id="one W, two b"),
    pytest.param({"U": np.eye(3)}, "U[1]", (2, 2), (3, 3), id="U of the wrong size"),
    pytest.param({"W": [W_OK[0], np.ones((1, 3))]}, "W[2]", 2, (1, 3), id="readout too wide"),
    pytest.param({"W": [W_OK[0], np.ones((0, 2))], "b": [B_OK[0], np.zeros(0)]},
                 "W[2]", 2, (0, 2), id="empty readout"),
    pytest.param({"W": [np.ones(2), W_OK[1]]}, "W[1]", 2, (2,), id="W[1] a vector"),
    pytest.param({"b": [np.zeros(3), B_OK[1]]}, "b[1]", (2,), (3,), id="b[1] too long"),
    pytest.param({"b": [B_OK[0], np.zeros(2)]}, "b[2]", (1,), (2,), id="b[2] too long"),
    pytest.param({"output": "first"}, "output", ("last", "every"), "first", id="unknown output"),
    pytest.param({"activations": "ReLU"}, "activations", tuple(zg.ACTIVATIONS), "ReLU",
                 id="unknown activation"),
]  # fmt: skip


@pytest.mark.parametrize(("kwargs", "argument", "expected", "received"), BAD_NETWORKS)
def test_bad_networks_are_refused(
    kwargs: dict[str, object], argument: str, expected: object, received: object
) -> None:
    arguments: dict[str, object] = {"W": W_OK, "U": U_OK, "b": B_OK, "activations": "tanh"}
    with refuses(zg.ArgumentValueError, argument, expected=expected, received=received):
        zg.RecurrentNetwork(**{**arguments, **kwargs})  # type: ignore[arg-type]
    with refuses(zg.NonFiniteError, "U[1]", index=(0, 0)):
        zg.RecurrentNetwork(**{**arguments, "U": np.full((2, 2), np.inf)})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("output", "x", "y", "argument", "expected", "received"),
    [
        ("last", np.ones((4, 3)), np.ones(1), "x", ("T", 2), (4, 3)),
        ("last", np.ones(2), np.ones(1), "x", ("T", 2), (2,)),
        ("last", np.ones((0, 2)), np.ones(1), "x", ("T", 2), (0, 2)),
        ("last", np.ones((4, 2)), np.ones((4, 1)), "y", (1,), (4, 1)),
        ("every", np.ones((4, 2)), np.ones((3, 1)), "y", (4, 1), (3, 1)),
        ("every", np.ones((5, 4, 2)), np.ones((5, 1)), "y", (5, 4, 1), (5, 1)),
    ],
)
def test_bad_input_is_refused(
    output: str, x: FloatArray, y: FloatArray, argument: str, expected: object, received: object
) -> None:
    net = zg.RecurrentNetwork.random([2, 3, 1], output=output, seed=0)
    for entry in (zg.gradients, zg.numerical_gradients):
        with refuses(zg.ArgumentValueError, argument, expected=expected, received=received):
            entry(net, x, y)


def test_bad_sizes_are_refused() -> None:
    with refuses(zg.ArgumentValueError, "sizes", expected=3, received=2):
        zg.RecurrentNetwork.random([2, 3])
    assert "RecurrentNetwork(sizes=(2, 3, 1)" in repr(zg.RecurrentNetwork.random([2, 3, 1]))


def test_another_network_s_u_serves_as_u() -> None:
    # net.U is numbered from 1 like W and b, so a network's parameters rebuild it.
    net = zg.RecurrentNetwork.random([2, 3, 1], ["tanh", "identity"], seed=SEED)
    twin = zg.RecurrentNetwork(net.W, net.U, net.b, net.activations)
    assert np.array_equal(twin.U[1], net.U[1])
    sequence = np.linspace(-1.0, 1.0, 8).reshape(4, 2)
    assert np.array_equal(twin.forward(sequence).x[2], net.forward(sequence).x[2])


def test_a_u_numbered_otherwise_is_refused() -> None:
    with refuses(zg.ArgumentValueError, "U", received=[2]):
        zg.RecurrentNetwork(W_OK, {2: U_OK}, B_OK, "tanh")
    with refuses(zg.ArgumentValueError, "U", expected=[1], received=[1, 2]):
        zg.RecurrentNetwork(W_OK, {1: U_OK, 2: U_OK}, B_OK, "tanh")
    with refuses(zg.ArgumentTypeError, "U", received=None):
        zg.RecurrentNetwork(W_OK, None, B_OK, "tanh")  # type: ignore[arg-type]


def test_sizes_are_those_the_network_was_built_with() -> None:
    net = zg.RecurrentNetwork.random([1, 2, 1], seed=0)
    net.W[1] = np.zeros((3, 4))  # refused at the next call; sizes do not follow it
    assert net.sizes == (1, 2, 1)
    net.W[1] = "x"  # type: ignore[assignment]
    assert net.sizes == (1, 2, 1)


def test_the_output_setting_is_the_library_s_own_name() -> None:
    # A numpy str, or a str subclass with its own ==, is kept as the plain name: the
    # backward pass and the repr compare and show the library's str.
    class Loud(str):
        __slots__ = ()

    for name in (np.str_("every"), Loud("every")):
        net = zg.RecurrentNetwork(
            W=[[[1.0]], [[1.0]]], U=[[0.5]], b=[[0.0], [0.0]], activations="identity",
            output=name,
        )  # fmt: skip
        assert type(net.output) is str
        assert net.output == "every"
        assert "output='every'" in repr(net)
