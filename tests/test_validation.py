"""Bad input raises ValueError or TypeError, and the message names what was expected and what came."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import numpy as np
import pytest

from zerograd import (
    ACTIVATIONS,
    LOSSES,
    LayerIndexError,
    Network,
    get_activation,
    get_loss,
    gradients,
    numerical_gradients,
)

KNOWN_ACTIVATIONS = "'identity', 'relu', 'leaky_relu', 'tanh', 'sigmoid', 'softplus', 'silu'"
KNOWN_LOSSES = "'squared_error', 'binary_cross_entropy', 'softmax_cross_entropy'"


def small_net(activations: tuple[str, str] = ("tanh", "identity"), n_out: int = 2) -> Network:
    return Network.random([3, 4, n_out], list(activations), seed=7)


GOOD_X = np.arange(15.0).reshape(5, 3) / 10.0
GOOD_Y = np.zeros((5, 2))

EntryPoint = Callable[..., object]
ENTRY_POINTS: dict[str, EntryPoint] = {
    "Network.loss": lambda net, x, y, **options: net.loss(x, y, **options),
    "gradients": gradients,
    "numerical_gradients": numerical_gradients,
}
"""Every public function that takes inputs and targets; each bad (x, y) is tried on all."""


def raises(
    error: type[Exception], message: str
) -> AbstractContextManager[pytest.ExceptionInfo[Exception]]:
    """``pytest.raises`` matching the whole ``message`` literally, not as a regex."""
    return pytest.raises(error, match=f"^{re.escape(message)}$")


# (case id, x, y, options, error, message)
BAD_INPUTS_AND_TARGETS: list[tuple[str, Any, Any, dict[str, Any], type[Exception], str]] = [
    ("x one sample too short", [1.0, 2.0], [0.0, 0.0], {}, ValueError,
     "x (one sample) must have shape (3,); got shape (2,)"),
    ("x batch too wide", np.zeros((5, 4)), GOOD_Y, {}, ValueError,
     "x must have shape (3,) or (N, 3); got shape (5, 4)"),
    ("x three axes", np.zeros((2, 5, 3)), GOOD_Y, {}, ValueError,
     "x must have shape (3,) or (N, 3); got shape (2, 5, 3)"),
    ("x scalar", 1.0, [0.0, 0.0], {}, ValueError,
     "x must have shape (3,) or (N, 3); got shape ()"),
    ("empty batch", np.zeros((0, 3)), np.zeros((0, 2)), {}, ValueError,
     "x must hold at least one sample; got shape (0, 3)"),
    ("y one sample too long", [1.0, 2.0, 3.0], [0.0, 0.0, 0.0], {}, ValueError,
     "y for one sample must have shape (2,); got shape (3,)"),
    ("y one sample scalar for two outputs", [1.0, 2.0, 3.0], 0.0, {}, ValueError,
     "y for one sample must have shape (2,); got shape ()"),
    ("y batch too few rows", GOOD_X, np.zeros((4, 2)), {}, ValueError,
     "y for a batch of 5 must have shape (5, 2); got shape (4, 2)"),
    ("y batch flat for two outputs", GOOD_X, np.zeros(5), {}, ValueError,
     "y for a batch of 5 must have shape (5, 2); got shape (5,)"),
    ("y batch transposed", GOOD_X, np.zeros((2, 5)), {}, ValueError,
     "y for a batch of 5 must have shape (5, 2); got shape (2, 5)"),
    ("x NaN", np.where(GOOD_X == 0.5, np.nan, GOOD_X), GOOD_Y, {}, ValueError,
     "x must be finite; got NaN at index (1, 2)"),
    ("x inf", [1.0, np.inf, 0.0], [0.0, 0.0], {}, ValueError,
     "x must be finite; got inf at index (1,)"),
    ("x minus inf", [-np.inf, 1.0, 0.0], [0.0, 0.0], {}, ValueError,
     "x must be finite; got inf at index (0,)"),
    ("y NaN", GOOD_X, np.where(np.eye(5, 2) == 1, np.nan, 0.0), {}, ValueError,
     "y must be finite; got NaN at index (0, 0)"),
    ("y inf", [1.0, 2.0, 3.0], [0.0, np.inf], {}, ValueError,
     "y must be finite; got inf at index (1,)"),
    ("x strings", ["1", "2", "3"], [0.0, 0.0], {}, TypeError,
     "x must hold real numbers (integer or floating dtype); got dtype <U1"),
    ("x complex", [1.0 + 0j, 2.0, 3.0], [0.0, 0.0], {}, TypeError,
     "x must hold real numbers (integer or floating dtype); got dtype complex128"),
    ("x bool", [True, False, True], [0.0, 0.0], {}, TypeError,
     "x must hold real numbers (integer or floating dtype); got dtype bool"),
    ("x None", [None, 1.0, 2.0], [0.0, 0.0], {}, TypeError,
     "x must hold real numbers (integer or floating dtype); got dtype object"),
    ("x ragged", [[1.0, 2.0, 3.0], [1.0]], GOOD_Y[:2], {}, TypeError,
     "x must be a rectangular array of real numbers; got [[1.0, 2.0, 3.0], [1.0]]"),
    ("y complex", [1.0, 2.0, 3.0], [0.0, 1j], {}, TypeError,
     "y must hold real numbers (integer or floating dtype); got dtype complex128"),
    ("y bool", [1.0, 2.0, 3.0], [True, False], {}, TypeError,
     "y must hold real numbers (integer or floating dtype); got dtype bool"),
    ("y ragged", GOOD_X[:2], [[0.0, 0.0], [0.0]], {}, TypeError,
     "y must be a rectangular array of real numbers; got [[0.0, 0.0], [0.0]]"),
    ("unknown loss", GOOD_X, GOOD_Y, {"loss": "mse"}, ValueError,
     f"unknown loss 'mse'; expected one of {KNOWN_LOSSES}"),
    ("loss not a str", GOOD_X, GOOD_Y, {"loss": None}, TypeError,
     "loss must be given by name (a str); got NoneType"),
    ("unknown reduction", GOOD_X, GOOD_Y, {"reduction": "max"}, ValueError,
     "unknown reduction 'max'; expected one of 'sum', 'mean', 'none'"),
    ("reduction not a str", GOOD_X, GOOD_Y, {"reduction": 1}, TypeError,
     "reduction must be given by name (a str); got int"),
    ("bce on identity output", GOOD_X, GOOD_Y, {"loss": "binary_cross_entropy"}, ValueError,
     "binary_cross_entropy needs a 'sigmoid' output activation; got 'identity'"),
    ("softmax negative target", [1.0, 2.0, 3.0], [1.5, -0.5],
     {"loss": "softmax_cross_entropy"}, ValueError,
     "softmax_cross_entropy targets must be non-negative; got -0.5"),
    ("softmax target sum", GOOD_X, np.full((5, 2), 0.25),
     {"loss": "softmax_cross_entropy"}, ValueError,
     "softmax_cross_entropy targets must be probability vectors summing to 1; got a sum of 0.5"),
]  # fmt: skip


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize(
    ("x", "y", "options", "error", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_INPUTS_AND_TARGETS],
)
def test_bad_inputs_and_targets_are_refused(
    entry: str, x: Any, y: Any, options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with raises(error, message):
        ENTRY_POINTS[entry](small_net(), x, y, **options)


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize(
    ("y", "message"),
    [
        ([0.0, 0.5], "binary_cross_entropy targets must be 0 or 1; got 0.5"),
        ([2.0, 1.0], "binary_cross_entropy targets must be 0 or 1; got 2.0"),
        ([1.0, -1.0], "binary_cross_entropy targets must be 0 or 1; got -1.0"),
    ],
)
def test_binary_cross_entropy_targets_must_be_labels(
    entry: str, y: list[float], message: str
) -> None:
    net = small_net(("relu", "sigmoid"))
    with raises(ValueError, message):
        ENTRY_POINTS[entry](net, [1.0, 2.0, 3.0], y, loss="binary_cross_entropy")


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_softmax_cross_entropy_needs_two_outputs(entry: str) -> None:
    net = small_net(n_out=1)
    with raises(ValueError, "softmax_cross_entropy needs at least 2 output units; got 1"):
        ENTRY_POINTS[entry](net, GOOD_X, np.ones(5), loss="softmax_cross_entropy")


@pytest.mark.parametrize(
    ("x", "error", "message"),
    [
        ([1.0, 2.0], ValueError, "x (one sample) must have shape (3,); got shape (2,)"),
        (np.zeros((0, 3)), ValueError, "x must hold at least one sample; got shape (0, 3)"),
        ([[np.nan, 0.0, 0.0]], ValueError, "x must be finite; got NaN at index (0, 0)"),
        (
            ["a", "b", "c"],
            TypeError,
            "x must hold real numbers (integer or floating dtype); got dtype <U1",
        ),
    ],
)
def test_forward_refuses_bad_inputs(x: Any, error: type[Exception], message: str) -> None:
    with raises(error, message):
        small_net().forward(x)


W1, W2 = np.ones((4, 3)), np.ones((2, 4))
B1, B2 = np.zeros(4), np.zeros(2)


@pytest.mark.parametrize(
    ("W", "b", "activations", "error", "message"),
    [
        pytest.param([W1, np.ones((2, 5))], [B1, B2], "tanh", ValueError,
                     "W[2] must have 4 columns to match W[1] of shape (4, 3); got shape (2, 5)",
                     id="W chain broken"),
        pytest.param([np.ones(3)], [np.zeros(1)], "tanh", ValueError,
                     "W[1] must be a non-empty matrix of shape (n_1, n_0); got shape (3,)",
                     id="W a vector"),
        pytest.param([W1, np.ones((0, 4))], [B1, np.zeros(0)], "tanh", ValueError,
                     "W[2] must be a non-empty matrix of shape (n_2, n_1); got shape (0, 4)",
                     id="W empty"),
        pytest.param([W1, W2], [np.zeros(3), B2], "tanh", ValueError,
                     "b[1] must have shape (4,); got shape (3,)", id="b too short"),
        pytest.param([W1, W2], [B1, np.zeros((2, 1))], "tanh", ValueError,
                     "b[2] must have shape (2,); got shape (2, 1)", id="b a column"),
        pytest.param([W1, W2], [B1], "tanh", ValueError,
                     "expected one bias vector per layer (2); got 1", id="too few b"),
        pytest.param([W1], [B1, B2], "tanh", ValueError,
                     "expected one bias vector per layer (1); got 2", id="too many b"),
        pytest.param([W1, W2], [B1, B2], ["tanh"], ValueError,
                     "expected one activation per layer (2); got 1", id="too few activations"),
        pytest.param([W1, W2], [B1, B2], ["tanh"] * 3, ValueError,
                     "expected one activation per layer (2); got 3", id="too many activations"),
        pytest.param([], [], "tanh", ValueError,
                     "a Network needs at least one layer; got W with 0 matrices", id="no layers"),
        pytest.param([W1, W2], [B1, B2], ["tanh", "ReLU"], ValueError,
                     f"unknown activation 'ReLU'; expected one of {KNOWN_ACTIVATIONS}",
                     id="unknown activation"),
        pytest.param([W1, W2], [B1, B2], ["tanh", None], TypeError,
                     "activation must be given by name (a str); got NoneType",
                     id="activation not a str"),
        pytest.param([W1, np.where(np.eye(2, 4) == 1, np.nan, W2)], [B1, B2], "tanh", ValueError,
                     "W[2] must be finite; got NaN at index (0, 0)", id="W NaN"),
        pytest.param([np.where(W1 > 0, np.inf, W1)], [B1], "tanh", ValueError,
                     "W[1] must be finite; got inf at index (0, 0)", id="W inf"),
        pytest.param([W1, W2], [B1, [0.0, np.nan]], "tanh", ValueError,
                     "b[2] must be finite; got NaN at index (1,)", id="b NaN"),
        pytest.param([W1, W2], [[0.0, 0.0, 0.0, -np.inf], B2], "tanh", ValueError,
                     "b[1] must be finite; got inf at index (3,)", id="b inf"),
        pytest.param([W1.astype(str)], [B1], "tanh", TypeError,
                     "W[1] must hold real numbers (integer or floating dtype); got dtype <U32",
                     id="W strings"),
        pytest.param([W1 + 0j], [B1], "tanh", TypeError,
                     "W[1] must hold real numbers (integer or floating dtype); got dtype complex128",
                     id="W complex"),
        pytest.param([W1 > 0], [B1], "tanh", TypeError,
                     "W[1] must hold real numbers (integer or floating dtype); got dtype bool",
                     id="W bool"),
        pytest.param([[[1.0, 2.0], [3.0]]], [B1], "tanh", TypeError,
                     "W[1] must be a rectangular array of real numbers; got [[1.0, 2.0], [3.0]]",
                     id="W ragged"),
        pytest.param([W1], [B1.astype(complex)], "tanh", TypeError,
                     "b[1] must hold real numbers (integer or floating dtype); got dtype complex128",
                     id="b complex"),
    ],
)  # fmt: skip
def test_bad_networks_are_refused(
    W: Any, b: Any, activations: Any, error: type[Exception], message: str
) -> None:
    with raises(error, message):
        Network(W=W, b=b, activations=activations)


def test_replace_checks_the_new_parameters() -> None:
    with raises(ValueError, "b[2] must have shape (2,); got shape (3,)"):
        small_net().replace(b=[B1, np.zeros(3)])
    with raises(ValueError, "W[1] must be finite; got NaN at index (0, 0)"):
        small_net().replace(W=[np.full((4, 3), np.nan), W2])


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ([3], "sizes must list n_0..n_K, at least two positive widths; got [3]"),
        ([], "sizes must list n_0..n_K, at least two positive widths; got []"),
        ([3, 0, 1], "sizes must list n_0..n_K, at least two positive widths; got [3, 0, 1]"),
        ([3, -2], "sizes must list n_0..n_K, at least two positive widths; got [3, -2]"),
    ],
)
def test_random_refuses_bad_sizes(sizes: list[int], message: str) -> None:
    with raises(ValueError, message):
        Network.random(sizes, "tanh", seed=0)


def test_random_refuses_an_unknown_activation() -> None:
    with raises(ValueError, f"unknown activation 'gelu'; expected one of {KNOWN_ACTIVATIONS}"):
        Network.random([2, 2], "gelu", seed=0)


def test_lookups_list_the_known_names() -> None:
    with raises(ValueError, f"unknown activation 'Tanh'; expected one of {KNOWN_ACTIVATIONS}"):
        get_activation("Tanh")
    with raises(ValueError, f"unknown loss 'cross_entropy'; expected one of {KNOWN_LOSSES}"):
        get_loss("cross_entropy")
    # The messages above list the registries completely, in order.
    assert ", ".join(map(repr, ACTIVATIONS)) == KNOWN_ACTIVATIONS
    assert ", ".join(map(repr, LOSSES)) == KNOWN_LOSSES


@pytest.mark.parametrize("step", [0.0, -1e-6, float("nan"), float("inf")])
def test_numerical_gradients_needs_a_positive_finite_step(step: float) -> None:
    with raises(ValueError, f"step must be a positive finite number; got {step!r}"):
        numerical_gradients(small_net(), GOOD_X, GOOD_Y, step=step)


@pytest.mark.parametrize("bad", [0, 3, -1, 1.0, "1", True, None])
def test_layer_numbers_outside_1_to_K_are_refused(bad: Any) -> None:
    net = small_net()
    message = f"layer number must be an int from 1 to 2; got {bad!r}"
    for layered in (net.W, net.b, gradients(net, GOOD_X, GOOD_Y).W, net.forward(GOOD_X).z):
        with raises(LayerIndexError, message):
            layered[bad]
    with raises(LayerIndexError, message):
        net.f(bad)


def test_layer_index_error_is_both_a_key_and_an_index_error() -> None:
    net = small_net()
    with pytest.raises(KeyError):
        net.W[3]
    with pytest.raises(IndexError):
        net.W[3]
    assert 0 not in net.W, "membership must answer False, not raise"
    assert 0 in net.forward(GOOD_X).x, "x[0] is the input"
    with raises(LayerIndexError, "layer number must be an int from 0 to 2; got 3"):
        net.forward(GOOD_X).x[3]


def test_integer_arrays_are_converted_to_float64_silently() -> None:
    W_int = [np.array([[1, -2, 0], [3, 1, -1]]), np.array([[2, -1]])]
    b_int = [np.array([0, 1]), np.array([-1])]
    x_int, y_int = np.array([[1, 2, 3], [0, -1, 2]]), np.array([[1], [0]])
    net_int = Network(W=W_int, b=b_int, activations=["tanh", "identity"])
    net_float = Network(
        W=[w.astype(float) for w in W_int], b=[v.astype(float) for v in b_int],
        activations=["tanh", "identity"],
    )  # fmt: skip
    assert all(net_int.W[k].dtype == np.float64 for k in net_int.W)
    assert all(net_int.b[k].dtype == np.float64 for k in net_int.b)
    as_int = gradients(net_int, x_int, y_int, reduction="none")
    as_float = gradients(net_float, x_int.astype(float), y_int.astype(float), reduction="none")
    for (name, a), (_, f) in zip(as_int.arrays(), as_float.arrays(), strict=True):
        assert a.dtype == np.float64, name
        np.testing.assert_array_equal(a, f, err_msg=name)
    assert net_int.loss(x_int, y_int) == net_float.loss(x_int.astype(float), y_int.astype(float))
    forward = net_int.forward(np.array([1, 2, 3], dtype=np.int8))
    assert forward.x[0].dtype == np.float64
    np.testing.assert_array_equal(forward.x[2], net_float.forward([1.0, 2.0, 3.0]).x[2])


def test_unsigned_integer_targets_are_accepted() -> None:
    net = small_net(("tanh", "sigmoid"))
    labels = np.array([[1, 0]], dtype=np.uint8)
    exact = gradients(net, [[0.1, 0.2, 0.3]], labels, loss="binary_cross_entropy")
    reference = gradients(net, [[0.1, 0.2, 0.3]], [[1.0, 0.0]], loss="binary_cross_entropy")
    np.testing.assert_array_equal(exact.W[1], reference.W[1])
