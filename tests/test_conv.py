"""The 1-D convolution layer and ConvNetwork: forward values, exact gradients, errors."""

from __future__ import annotations

import numpy as np
import pytest
from contracts import refuses
from gradient_cases import Case, FloatArray, conv_cases
from hypothesis import given
from hypothesis import strategies as st

import zerograd as zg
from zerograd.layers import (
    conv1d_forward,
    conv1d_input_gradient,
    conv1d_parameter_gradients,
)

SEED = 122895  # the follow-up question about convolutions


def naive_conv1d(W: FloatArray, b: FloatArray, x: FloatArray) -> FloatArray:
    """The definition, one sample, one output at a time: no numpy tricks to share a bug with."""
    c_out, c_in, width = W.shape
    length = x.shape[1] - width + 1
    z = np.zeros((c_out, length))
    for o in range(c_out):
        for t in range(length):
            total = b[o]
            for c in range(c_in):
                for j in range(width):
                    total += W[o, c, j] * x[c, t + j]
            z[o, t] = total
    return z


@given(
    n_samples=st.integers(1, 3),
    c_in=st.integers(1, 3),
    c_out=st.integers(1, 3),
    length=st.integers(1, 9),
    data=st.data(),
)
def test_forward_matches_the_definition(
    n_samples: int, c_in: int, c_out: int, length: int, data: st.DataObject
) -> None:
    width = data.draw(st.integers(1, length))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    W, b = rng.normal(size=(c_out, c_in, width)), rng.normal(size=c_out)
    x = rng.normal(size=(n_samples, c_in, length))
    z = conv1d_forward(W, b, x)
    want = np.stack([naive_conv1d(W, b, sample) for sample in x])
    np.testing.assert_allclose(z, want, rtol=1e-12, atol=1e-12)


@given(c_in=st.integers(1, 3), c_out=st.integers(1, 3), length=st.integers(1, 8), data=st.data())
def test_backward_matches_the_naive_chain_rule(
    c_in: int, c_out: int, length: int, data: st.DataObject
) -> None:
    width = data.draw(st.integers(1, length))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    W, x = rng.normal(size=(c_out, c_in, width)), rng.normal(size=(2, c_in, length))
    delta = rng.normal(size=(2, c_out, length - width + 1))
    dW, db = conv1d_parameter_gradients(x, delta, per_sample=True)
    dx = conv1d_input_gradient(W, delta)
    # Accumulate dz/dtheta * delta term by term, straight from z's definition.
    want_dW, want_db, want_dx = np.zeros_like(dW), np.zeros_like(db), np.zeros_like(dx)
    for n in range(2):
        for o in range(c_out):
            for t in range(length - width + 1):
                want_db[n, o] += delta[n, o, t]
                for c in range(c_in):
                    for j in range(width):
                        want_dW[n, o, c, j] += delta[n, o, t] * x[n, c, t + j]
                        want_dx[n, c, t + j] += delta[n, o, t] * W[o, c, j]
    np.testing.assert_allclose(dW, want_dW, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(db, want_db, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, want_dx, rtol=1e-12, atol=1e-12)
    summed = conv1d_parameter_gradients(x, delta, per_sample=False)
    np.testing.assert_allclose(summed[0], dW.sum(axis=0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(summed[1], db.sum(axis=0), rtol=1e-12, atol=1e-12)


@given(case=conv_cases())
def test_gradients_match_central_differences(case: Case[zg.ConvNetwork]) -> None:
    case.check_gradients()


@given(case=conv_cases())
def test_gradients_match_central_differences_along_random_directions(
    case: Case[zg.ConvNetwork],
) -> None:
    case.check_gradients(directions=3)


@given(case=conv_cases())
def test_forward_of_the_network_matches_naive_layers(case: Case[zg.ConvNetwork]) -> None:
    net, batch = case.net, np.asarray(case.x).reshape(-1, *case.net.input_shape)
    trace = net.forward(batch)
    for n, sample in enumerate(batch):
        x_prev = sample
        for k in range(1, net.K + 1):
            if net.is_conv(k):
                z = naive_conv1d(net.W[k], net.b[k], x_prev)
            else:
                z = net.W[k] @ x_prev.reshape(-1) + net.b[k]
            np.testing.assert_allclose(trace.z[k][n], z, rtol=1e-12, atol=1e-12)
            x_prev = net.f(k).f(z)
        np.testing.assert_allclose(trace.x[net.K][n], x_prev, rtol=1e-12, atol=1e-12)


@given(case=conv_cases())
def test_bias_gradient_is_the_sum_over_positions(case: Case[zg.ConvNetwork]) -> None:
    grads = zg.gradients(case.net, case.x, case.y, loss=case.loss, reduction="sum")
    batch_axis = () if np.ndim(case.x) == 2 else (0,)
    for k in range(1, case.net.K + 1):
        if case.net.is_conv(k):
            axes = (*batch_axis, grads.z[k].ndim - 1)
            np.testing.assert_allclose(grads.b[k], grads.z[k].sum(axis=axes), rtol=1e-12)


@given(case=conv_cases())
def test_batch_sum_and_mean_are_sum_and_mean_of_per_sample(case: Case[zg.ConvNetwork]) -> None:
    x = np.asarray(case.x).reshape(-1, *case.net.input_shape)
    y = np.asarray(case.y).reshape(len(x), *case.net.shape(case.net.K))
    each = zg.gradients(case.net, x, y, loss=case.loss, reduction="none")
    total = zg.gradients(case.net, x, y, loss=case.loss, reduction="sum")
    mean = zg.gradients(case.net, x, y, loss=case.loss, reduction="mean")
    for (name, per), (_, summed), (_, averaged) in zip(
        each.arrays(), total.arrays(), mean.arrays(), strict=True
    ):
        np.testing.assert_allclose(summed, per.sum(axis=0), rtol=1e-10, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(averaged, per.mean(axis=0), rtol=1e-10, atol=1e-12)
    for n in range(len(x)):
        alone = zg.gradients(case.net, x[n], y[n], loss=case.loss)
        for (name, per), (_, one) in zip(each.arrays(), alone.arrays(), strict=True):
            np.testing.assert_allclose(per[n], one, rtol=1e-10, atol=1e-12, err_msg=name)


def test_width_one_convolution_on_length_one_is_a_dense_layer() -> None:
    rng = np.random.default_rng(SEED)
    dense = zg.Network.random([3, 4, 2], ["tanh", "identity"], seed=5)
    conv = zg.ConvNetwork(
        W=[dense.W[1][:, :, None], dense.W[2]], b=[dense.b[1], dense.b[2]],
        activations=dense.activations, length=1,
    )  # fmt: skip
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    want = zg.gradients(dense, x, y, reduction="none")
    got = zg.gradients(conv, x[:, :, None], y, reduction="none")
    np.testing.assert_allclose(got.W[1][..., 0], want.W[1], rtol=1e-12, atol=1e-14)
    for name in ("b[1]", "W[2]", "b[2]"):
        np.testing.assert_allclose(dict(got.arrays())[name], dict(want.arrays())[name], rtol=1e-12)
    assert conv.loss(x[:, :, None], y) == pytest.approx(dense.loss(x, y), rel=1e-12)


def test_hand_computed_example() -> None:
    # z = [x1 - x2, x2 - x3] + 0.5 = [-2.5, -4.5]; L = 1/2 ||z - y||^2 with y = [-1.5, -5.5]
    # so dL/dz = [-1, 1]: the bias gradient is their sum, exactly 0.
    net = zg.ConvNetwork(W=[[[[1.0, -1.0]]]], b=[[0.5]], activations="identity", length=3)
    grads = zg.gradients(net, [[1.0, 4.0, 9.0]], [[-1.5, -5.5]])
    assert grads.b[1].tolist() == [0.0]
    assert grads.z[1].tolist() == [[-1.0, 1.0]]
    assert grads.W[1].tolist() == [[[-1.0 * 1 + 1.0 * 4, -1.0 * 4 + 1.0 * 9]]]
    assert not grads.all_zero()


def test_random_is_seeded_and_shapes_chain() -> None:
    net = zg.ConvNetwork.random((2, 9), conv=[(3, 4), (2, 2)], dense=[5, 1], seed=7)
    again = zg.ConvNetwork.random((2, 9), conv=[(3, 4), (2, 2)], dense=[5, 1], seed=7)
    assert [net.shape(k) for k in range(net.K + 1)] == [(2, 9), (3, 6), (2, 5), (5,), (1,)]
    assert all(np.array_equal(net.W[k], again.W[k]) for k in net.W)
    assert [net.is_conv(k) for k in net.W] == [True, True, False, False]
    assert "ConvNetwork" in repr(net)


def test_repr_names_every_layer_shape_and_activation() -> None:
    net = zg.ConvNetwork.random(
        (2, 9),
        conv=[(3, 4), (2, 2)],
        dense=[5, 1],
        activations=["relu", "tanh", "silu", "identity"],
    )
    # Lengths 9 -> 9 - 4 + 1 = 6 -> 6 - 2 + 1 = 5, then the dense widths.
    assert repr(net) == (
        "ConvNetwork(shapes=[(2, 9), (3, 6), (2, 5), (5,), (1,)], "
        "activations=('relu', 'tanh', 'silu', 'identity'))"
    )


@pytest.mark.parametrize("bad", [-1, 5, 1.0, True, "1", None])
def test_shape_refuses_layer_numbers_outside_0_to_K(bad: object) -> None:
    net = zg.ConvNetwork.random((2, 9), conv=[(3, 4), (2, 2)], dense=[5, 1], seed=7)
    assert net.shape(0) == (2, 9)
    assert net.shape(4) == (1,)
    with pytest.raises(zg.LayerIndexError, match=r"from 0 to 4; got "):
        net.shape(bad)  # type: ignore[arg-type]


def test_the_loss_reads_each_sample_flattened_channel_by_channel() -> None:
    # Two output channels of length 2: differences of neighbours plus 0.5, and the right
    # neighbour. For x = [1, 4, 9]: z = [[-2.5, -4.5], [4, 9]]; for x = [0, 1, 0]: [[-0.5, 1.5], [1, 0]].
    net = zg.ConvNetwork(
        W=[[[[1.0, -1.0]], [[0.0, 1.0]]]], b=[[0.5, 0.0]], activations="tanh", length=3
    )
    trace = net.forward_batch(np.array([[[1.0, 4.0, 9.0]], [[0.0, 1.0, 0.0]]]))
    z_terms, x_terms = net.loss_view(trace)
    want = np.array([[-2.5, -4.5, 4.0, 9.0], [-0.5, 1.5, 1.0, 0.0]])
    assert z_terms.shape == x_terms.shape == (2, 4)
    np.testing.assert_array_equal(z_terms, want)
    np.testing.assert_allclose(x_terms, np.tanh(want), rtol=1e-15)


KERNEL, ZERO = np.ones((2, 1, 2)), np.zeros(2)

BAD_NETWORKS = [
    pytest.param({"W": [np.ones((1, 1, 4))], "b": [np.zeros(1)], "length": 3},
                 zg.ArgumentValueError, "W[1]", 3, 4, id="kernel wider than input"),
    pytest.param({"W": [KERNEL, np.ones((1, 3, 2))], "b": [ZERO, np.zeros(1)], "length": 5},
                 zg.ArgumentValueError, "W[2]", 2, (1, 3, 2), id="channels do not chain"),
    pytest.param({"W": [KERNEL, np.ones((1, 7))], "b": [ZERO, np.zeros(1)], "length": 5},
                 zg.ArgumentValueError, "W[2]", 8, (1, 7), id="dense does not read the flattening"),
    pytest.param({"W": [KERNEL, np.ones((1, 8)), np.ones((1, 1, 1))],
                  "b": [ZERO, np.zeros(1), np.zeros(1)], "length": 5},
                 zg.ArgumentValueError, "W[3]", (2, 3), (1, 1, 1), id="kernel after a dense layer"),
    pytest.param({"W": [np.ones((2, 3))], "b": [ZERO], "length": 3},
                 zg.ArgumentValueError, "W[1]", 3, (2, 3), id="layer 1 not a convolution"),
    pytest.param({"W": [KERNEL], "b": [np.zeros(3)], "length": 3},
                 zg.ArgumentValueError, "b[1]", (2,), (3,), id="bias per channel"),
    pytest.param({"W": [KERNEL], "b": [ZERO], "length": 0},
                 zg.ArgumentValueError, "length", 1, 0, id="length 0"),
    pytest.param({"W": [KERNEL], "b": [ZERO], "length": 2.0},
                 zg.ArgumentTypeError, "length", int, 2.0, id="length a float"),
    pytest.param({"W": [np.full((1, 1, 1), np.nan)], "b": [np.zeros(1)], "length": 2},
                 zg.NonFiniteError, "W[1]", "finite", "NaN", id="NaN kernel"),
    pytest.param({"W": [], "b": [], "length": 2},
                 zg.ArgumentValueError, "W", ">= 1", 0, id="no layers"),
]  # fmt: skip


@pytest.mark.parametrize(("kwargs", "kind", "argument", "expected", "received"), BAD_NETWORKS)
def test_bad_networks_are_refused(
    kwargs: dict[str, object],
    kind: type[zg.ArgumentError],
    argument: str,
    expected: object,
    received: object,
) -> None:
    with refuses(kind, argument, expected=expected, received=received):
        zg.ConvNetwork(activations="tanh", **kwargs)  # type: ignore[arg-type]


def test_numpy_integers_are_lengths_and_layer_numbers() -> None:
    net = zg.ConvNetwork(W=[KERNEL], b=[ZERO], activations="tanh", length=np.int64(3))
    assert net.input_shape == (1, 3)
    assert net.shape(np.int64(1)) == net.shape(1) == (2, 2)
    assert net.is_conv(np.uint8(1))


@pytest.mark.parametrize(
    ("x", "y", "argument", "expected", "received"),
    [
        (np.ones((2, 6)), np.ones((3, 4)), "x", (2, 5), (2, 6)),
        (np.ones((4, 1, 5)), np.ones((4, 3, 4)), "x", (2, 5), (4, 1, 5)),
        (np.ones((0, 2, 5)), np.ones((0, 3, 4)), "x", (2, 5), (0, 2, 5)),
        (np.ones(5), np.ones((3, 4)), "x", (2, 5), (5,)),
        (np.ones((2, 5)), np.ones(12), "y", (3, 4), (12,)),
        (np.ones((3, 2, 5)), np.ones((2, 3, 4)), "y", (3, 3, 4), (2, 3, 4)),
    ],
)
def test_bad_input_is_refused(
    x: FloatArray, y: FloatArray, argument: str, expected: object, received: object
) -> None:
    net = zg.ConvNetwork.random((2, 5), conv=[(3, 2)], seed=0)
    for entry in (zg.gradients, zg.numerical_gradients):
        with refuses(zg.ArgumentValueError, argument, expected=expected, received=received):
            entry(net, x, y)
    with refuses(zg.NonFiniteError, "x", index=(0, 0)):
        zg.gradients(net, np.full((2, 5), np.nan), np.ones((3, 4)))


@pytest.mark.parametrize(
    ("conv", "expected", "received"),
    [
        ([], 1, 0),  # no convolution at all
        ([(2, 3), (1, 3)], 2, 3),  # layer 2 reads a length of 4 - 3 + 1 = 2 with a width of 3
    ],
)
def test_random_refuses_convolutions_it_cannot_build(
    conv: list[tuple[int, int]], expected: int, received: int
) -> None:
    with refuses(zg.ArgumentValueError, "conv", expected=expected, received=received):
        zg.ConvNetwork.random((1, 4), conv=conv)
