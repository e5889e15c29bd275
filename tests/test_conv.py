"""The 1-D convolution layer and ConvNetwork: forward values, exact gradients, errors."""

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
from zerograd.conv import conv1d_backward, conv1d_forward

FloatArray = npt.NDArray[np.float64]
RTOL, ATOL = 1e-6, 1e-8
SEED = 122895  # the follow-up question about convolutions


def full(message: str) -> str:
    """A pattern that matches exactly ``message``, for ``pytest.raises(match=...)``."""
    return f"^{re.escape(message)}$"


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


@dataclass(frozen=True)
class ConvCase:
    net: zg.ConvNetwork
    x: FloatArray
    y: FloatArray
    loss: str
    reduction: str


def flat_targets(loss: str, shape: tuple[int, ...], rng: np.random.Generator) -> FloatArray:
    """Targets of shape ``(N, *output shape)``; the loss sees each sample's output flattened."""
    return targets(loss, (shape[0], int(np.prod(shape[1:]))), rng).reshape(shape)


@st.composite
def conv_cases(draw: st.DrawFn) -> ConvCase:
    channels, length = draw(st.integers(1, 3)), draw(st.integers(1, 8))
    conv: list[tuple[int, int]] = []
    current = length
    for _ in range(draw(st.integers(1, 2))):
        width = draw(st.integers(1, current))
        conv.append((draw(st.integers(1, 3)), width))
        current -= width - 1
    dense = draw(st.lists(st.integers(1, 3), max_size=2))
    depth = len(conv) + len(dense)
    loss = draw(st.sampled_from(LOSS_NAMES))
    activations = draw(st.lists(st.sampled_from(ACTIVATION_NAMES), min_size=depth, max_size=depth))
    if loss == "binary_cross_entropy":
        activations[-1] = "sigmoid"
    seed = draw(st.integers(0, 2**32 - 1))
    net = zg.ConvNetwork.random((channels, length), conv, dense, activations, seed=seed)
    out_shape = net.shape(net.K)
    assume(loss != "softmax_cross_entropy" or int(np.prod(out_shape)) >= 2)
    n_samples = draw(st.integers(1, 4))
    single = draw(st.booleans())
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_samples, channels, length))
    y = flat_targets(loss, (n_samples, *out_shape), rng)
    if single:
        x, y = x[0], y[0]
    trace = net.forward(x)
    for k in range(1, net.K + 1):
        if net.activations[k - 1] in KINKED:
            assume(float(np.min(np.abs(trace.z[k]))) > KINK_MARGIN)
    return ConvCase(net, x, y, loss, draw(st.sampled_from(zg.REDUCTIONS)))


def _assert_same(exact: zg.Gradients, estimate: zg.Gradients, scale: float = 1.0) -> None:
    for (name, got), (_, want) in zip(exact.arrays(), estimate.arrays(), strict=True):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL * scale, err_msg=name)
    for k in exact.z:
        np.testing.assert_allclose(
            exact.z[k], estimate.z[k], rtol=RTOL, atol=ATOL * scale, err_msg=f"z[{k}]"
        )


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
    dW, db, dx = conv1d_backward(W, x, delta, per_sample=True)
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
    summed = conv1d_backward(W, x, delta, per_sample=False)
    np.testing.assert_allclose(summed[0], dW.sum(axis=0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(summed[1], db.sum(axis=0), rtol=1e-12, atol=1e-12)


@given(case=conv_cases())
def test_gradients_match_central_differences(case: ConvCase) -> None:
    exact = zg.gradients(case.net, case.x, case.y, loss=case.loss, reduction=case.reduction)
    estimate = zg.numerical_gradients(
        case.net, case.x, case.y, loss=case.loss, reduction=case.reduction
    )
    _assert_same(exact, estimate, scale=max(1.0, exact.max_abs()))


@given(case=conv_cases())
def test_forward_of_the_network_matches_naive_layers(case: ConvCase) -> None:
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
def test_bias_gradient_is_the_sum_over_positions(case: ConvCase) -> None:
    grads = zg.gradients(case.net, case.x, case.y, loss=case.loss, reduction="sum")
    batch_axis = () if np.ndim(case.x) == 2 else (0,)
    for k in range(1, case.net.K + 1):
        if case.net.is_conv(k):
            axes = (*batch_axis, grads.z[k].ndim - 1)
            np.testing.assert_allclose(grads.b[k], grads.z[k].sum(axis=axes), rtol=1e-12)


@given(case=conv_cases())
def test_batch_sum_and_mean_are_sum_and_mean_of_per_sample(case: ConvCase) -> None:
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
    with pytest.raises(
        zg.LayerIndexError, match=full(f"layer number must be an int from 0 to 4; got {bad!r}")
    ):
        net.shape(bad)  # type: ignore[arg-type]


def test_loss_terms_flatten_each_sample_channel_by_channel() -> None:
    # Two output channels of length 2: differences of neighbours plus 0.5, and the right
    # neighbour. For x = [1, 4, 9]: z = [[-2.5, -4.5], [4, 9]]; for x = [0, 1, 0]: [[-0.5, 1.5], [1, 0]].
    net = zg.ConvNetwork(
        W=[[[[1.0, -1.0]], [[0.0, 1.0]]]], b=[[0.5, 0.0]], activations="tanh", length=3
    )
    trace = net.forward_batch(np.array([[[1.0, 4.0, 9.0]], [[0.0, 1.0, 0.0]]]))
    z_terms, x_terms = net.loss_terms(trace)
    want = np.array([[[-2.5, -4.5, 4.0, 9.0]], [[-0.5, 1.5, 1.0, 0.0]]])
    assert z_terms.shape == x_terms.shape == (2, 1, 4)
    np.testing.assert_array_equal(z_terms, want)
    np.testing.assert_allclose(x_terms, np.tanh(want), rtol=1e-15)


BAD_NETWORKS = [
    (
        {"W": [np.ones((1, 1, 4))], "b": [np.zeros(1)], "length": 3},
        "W[1] has kernel width 4, wider than its input x[0] of length 3",
    ),
    (
        {
            "W": [np.ones((2, 1, 2)), np.ones((1, 3, 2))],
            "b": [np.zeros(2), np.zeros(1)],
            "length": 5,
        },
        (
            "W[2] must have shape (C_2, 2, w_2) with positive sizes to read x[1] of shape (2, 4); "
            "got shape (1, 3, 2)"
        ),
    ),
    (
        {"W": [np.ones((2, 1, 2)), np.ones((1, 7))], "b": [np.zeros(2), np.zeros(1)], "length": 5},
        "W[2] must have shape (n_2, 8) to read x[1] of shape (2, 4) flattened; got shape (1, 7)",
    ),
    (
        {
            "W": [np.ones((2, 1, 2)), np.ones((1, 8)), np.ones((1, 1, 1))],
            "b": [np.zeros(2), np.zeros(1), np.zeros(1)],
            "length": 5,
        },
        (
            "W[3] must be a convolution kernel (3-D, only before any dense layer) or a dense "
            "matrix (2-D); got shape (1, 1, 1) after x[2] of shape (1,)"
        ),
    ),
    (
        {"W": [np.ones((2, 3))], "b": [np.zeros(2)], "length": 3},
        "W[1] must be a convolution kernel of shape (C_1, C_0, w_1); got shape (2, 3)",
    ),
    (
        {"W": [np.ones((2, 1, 2))], "b": [np.zeros(3)], "length": 3},
        "b[1] must have shape (2,); got shape (3,)",
    ),
    (
        {"W": [np.ones((2, 1, 2))], "b": [np.zeros(2)], "length": 0},
        "length must be a positive int (the input length T_0); got 0",
    ),
    (
        {"W": [np.full((1, 1, 1), np.nan)], "b": [np.zeros(1)], "length": 2},
        "W[1] must be finite; got NaN at index (0, 0, 0)",
    ),
    (
        {"W": [], "b": [], "length": 2},
        "a ConvNetwork needs at least one layer; got W with 0 arrays",
    ),
]


@pytest.mark.parametrize(("kwargs", "message"), BAD_NETWORKS)
def test_bad_networks_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=full(message)):
        zg.ConvNetwork(activations="tanh", **kwargs)  # type: ignore[arg-type]


def test_unknown_activation_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown activation 'ReLU'"):
        zg.ConvNetwork(W=[np.ones((1, 1, 1))], b=[np.zeros(1)], activations="ReLU", length=2)


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        (
            np.ones((2, 6)),
            np.ones((3, 4)),
            "x (one sample) must have shape (2, 5); got shape (2, 6)",
        ),
        (np.ones((4, 1, 5)), np.ones((4, 3, 4)), "or (N, 2, 5) with N >= 1; got shape (4, 1, 5)"),
        (
            np.ones((0, 2, 5)),
            np.ones((0, 3, 4)),
            "x must have shape (2, 5) (one sample) or (N, 2, 5) with N >= 1; got shape (0, 2, 5)",
        ),
        (np.ones(5), np.ones((3, 4)), "got shape (5,)"),
        (np.full((2, 5), np.nan), np.ones((3, 4)), "x must be finite; got NaN at index (0, 0)"),
        (np.ones((2, 5)), np.ones(12), "y for one sample must have shape (3, 4); got shape (12,)"),
        (np.ones((3, 2, 5)), np.ones((2, 3, 4)), "y for a batch of 3 must have shape (3, 3, 4)"),
    ],
)
def test_bad_input_is_refused(x: FloatArray, y: FloatArray, message: str) -> None:
    net = zg.ConvNetwork.random((2, 5), conv=[(3, 2)], seed=0)
    with pytest.raises(ValueError, match=re.escape(message)):
        zg.gradients(net, x, y)
    with pytest.raises(ValueError, match=re.escape(message)):
        zg.numerical_gradients(net, x, y)


def test_bad_loss_reduction_step_and_weight_decay_are_refused() -> None:
    net = zg.ConvNetwork.random((1, 3), conv=[(1, 2)], activations="tanh", seed=0)
    x, y = np.ones((1, 3)), np.ones((1, 2))
    with pytest.raises(ValueError, match="unknown loss 'mse'"):
        zg.gradients(net, x, y, loss="mse")
    with pytest.raises(ValueError, match="unknown reduction 'max'"):
        zg.gradients(net, x, y, reduction="max")
    with pytest.raises(ValueError, match="needs a 'sigmoid' output activation; got 'tanh'"):
        zg.gradients(net, x, y, loss="binary_cross_entropy")
    with pytest.raises(
        ValueError, match=re.escape("step must be a positive finite number; got 0.0")
    ):
        zg.numerical_gradients(net, x, y, step=0.0)
    with pytest.raises(
        ValueError, match=re.escape("weight_decay must be a finite number >= 0; got -0.1")
    ):
        zg.gradients(net, x, y, weight_decay=-0.1)
