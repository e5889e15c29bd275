"""Bad input raises the library's ValueError or TypeError, naming the argument, the expected and the received.

Each case pins the error's contract (class, argument, expected and received values);
the wording of each message template is pinned once, in ``test_errors.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from typing import Any

import numpy as np
import pytest
from contracts import ANY, refuses

import zerograd as zg
from zerograd import LayerIndexError, Network, gradients, numerical_gradients


def small_net(activations: tuple[str, str] = ("tanh", "identity"), n_out: int = 2) -> Network:
    return Network.random([3, 4, n_out], list(activations), seed=7)


GOOD_X = np.arange(15.0).reshape(5, 3) / 10.0
GOOD_Y = np.zeros((5, 2))

ENTRY_POINTS: dict[str, Callable[..., object]] = {
    "Network.loss": lambda net, x, y, **options: net.loss(x, y, **options),
    "gradients": gradients,
    "numerical_gradients": numerical_gradients,
    "check_gradients": zg.check_gradients,
}
"""Every public function that takes inputs and targets; each bad (x, y) is tried on all."""

REAL = "real numbers"
VALUE, TYPE, FINITE = zg.ArgumentValueError, zg.ArgumentTypeError, zg.NonFiniteError

# (case id, x, y, options, error, argument, expected, received)
BAD_INPUTS_AND_TARGETS: list[tuple[str, Any, Any, dict[str, Any], type[zg.ArgumentError], str, Any, Any]] = [
    ("x one sample too short", [1.0, 2.0], [0.0, 0.0], {}, VALUE, "x", (3,), (2,)),
    ("x batch too wide", np.zeros((5, 4)), GOOD_Y, {}, VALUE, "x", (3,), (5, 4)),
    ("x three axes", np.zeros((2, 5, 3)), GOOD_Y, {}, VALUE, "x", (3,), (2, 5, 3)),
    ("x scalar", 1.0, [0.0, 0.0], {}, VALUE, "x", (3,), ()),
    ("empty batch", np.zeros((0, 3)), np.zeros((0, 2)), {}, VALUE, "x", (3,), (0, 3)),
    ("y one sample too long", [1.0, 2.0, 3.0], [0.0, 0.0, 0.0], {}, VALUE, "y", (2,), (3,)),
    ("y scalar for two outputs", [1.0, 2.0, 3.0], 0.0, {}, VALUE, "y", (2,), ()),
    ("y batch too few rows", GOOD_X, np.zeros((4, 2)), {}, VALUE, "y", (5, 2), (4, 2)),
    ("y batch flat for two outputs", GOOD_X, np.zeros(5), {}, VALUE, "y", (5, 2), (5,)),
    ("y batch transposed", GOOD_X, np.zeros((2, 5)), {}, VALUE, "y", (5, 2), (2, 5)),
    ("x NaN", np.where(GOOD_X == 0.5, np.nan, GOOD_X), GOOD_Y, {}, FINITE, "x", "finite", "NaN"),
    ("x inf", [1.0, np.inf, 0.0], [0.0, 0.0], {}, FINITE, "x", "finite", "inf"),
    ("x minus inf", [-np.inf, 1.0, 0.0], [0.0, 0.0], {}, FINITE, "x", "finite", "inf"),
    ("y NaN", GOOD_X, np.where(np.eye(5, 2) == 1, np.nan, 0.0), {}, FINITE, "y", "finite", "NaN"),
    ("y inf", [1.0, 2.0, 3.0], [0.0, np.inf], {}, FINITE, "y", "finite", "inf"),
    ("x strings", ["1", "2", "3"], [0.0, 0.0], {}, TYPE, "x", REAL, np.dtype("<U1")),
    ("x complex", [1.0 + 0j, 2.0, 3.0], [0.0, 0.0], {}, TYPE, "x", REAL, np.dtype(complex)),
    ("x bool", [True, False, True], [0.0, 0.0], {}, TYPE, "x", REAL, np.dtype(bool)),
    ("x holding None", [None, 1.0, 2.0], [0.0, 0.0], {}, TYPE, "x", REAL, np.dtype(object)),
    ("x None", None, [0.0, 0.0], {}, TYPE, "x", REAL, np.dtype(object)),
    ("x a generator", (v for v in (1.0, 2.0, 3.0)), [0.0, 0.0], {}, TYPE, "x", REAL, np.dtype(object)),
    ("x masked", np.ma.masked_array([1.0, 2.0, 3.0], mask=[False, True, False]), [0.0, 0.0], {}, TYPE, "x",
     np.ndarray, np.ma.MaskedArray),
    ("x ragged", [[1.0, 2.0, 3.0], [1.0]], GOOD_Y[:2], {}, TYPE, "x", "a rectangular array", ANY),
    ("y complex", [1.0, 2.0, 3.0], [0.0, 1j], {}, TYPE, "y", REAL, np.dtype(complex)),
    ("y strings", [1.0, 2.0, 3.0], ["0", "1"], {}, TYPE, "y", REAL, np.dtype("<U1")),
    ("y masked", [1.0, 2.0, 3.0], np.ma.masked_array([0.0, 1.0], mask=[True, False]), {}, TYPE, "y",
     np.ndarray, np.ma.MaskedArray),
    ("y ragged", GOOD_X[:2], [[0.0, 0.0], [0.0]], {}, TYPE, "y", "a rectangular array", ANY),
    ("unknown loss", GOOD_X, GOOD_Y, {"loss": "mse"}, VALUE, "loss", tuple(zg.LOSSES), "mse"),
    ("loss not a str", GOOD_X, GOOD_Y, {"loss": None}, TYPE, "loss", tuple(zg.LOSSES), None),
    ("unknown reduction", GOOD_X, GOOD_Y, {"reduction": "max"}, VALUE, "reduction",
     zg.REDUCTIONS, "max"),
    ("reduction not a str", GOOD_X, GOOD_Y, {"reduction": 1}, TYPE, "reduction", zg.REDUCTIONS, 1),
    ("bce on identity output", GOOD_X, GOOD_Y, {"loss": "binary_cross_entropy"}, VALUE,
     "the output activation", "sigmoid", "identity"),
    ("softmax negative target", [1.0, 2.0, 3.0], [1.5, -0.5], {"loss": "softmax_cross_entropy"},
     VALUE, "y", 0, -0.5),
    ("softmax target sum", GOOD_X, np.full((5, 2), 0.25), {"loss": "softmax_cross_entropy"},
     VALUE, "y", 1.0, 0.5),
]  # fmt: skip


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize(
    ("x", "y", "options", "kind", "argument", "expected", "received"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_INPUTS_AND_TARGETS],
)
def test_bad_inputs_and_targets_are_refused(
    entry: str,
    x: Any,
    y: Any,
    options: dict[str, Any],
    kind: type[zg.ArgumentError],
    argument: str,
    expected: Any,
    received: Any,
) -> None:
    if isinstance(x, Generator):  # a generator is used up by the first call
        x = (value for value in (1.0, 2.0, 3.0))
    with refuses(kind, argument, expected=expected, received=received):
        ENTRY_POINTS[entry](small_net(), x, y, **options)


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize("label", [0.5, 2.0, -1.0])
def test_binary_cross_entropy_targets_must_be_labels(entry: str, label: float) -> None:
    net = small_net(("relu", "sigmoid"))
    with refuses(zg.ArgumentValueError, "y", expected=(0, 1), received=label):
        ENTRY_POINTS[entry](net, [1.0, 2.0, 3.0], [1.0, label], loss="binary_cross_entropy")


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_softmax_cross_entropy_needs_two_outputs(entry: str) -> None:
    net = small_net(n_out=1)
    with refuses(zg.ArgumentValueError, "the output", expected=2, received=1):
        ENTRY_POINTS[entry](net, GOOD_X, np.ones(5), loss="softmax_cross_entropy")


@pytest.mark.parametrize("entry", ["gradients", "numerical_gradients", "check_gradients"])
@pytest.mark.parametrize("net", [None, 3, "net", object(), {"W": [], "b": []}])
def test_only_a_model_is_a_net(entry: str, net: object) -> None:
    with refuses(zg.ArgumentTypeError, "net", expected=zg.Model, received=type(net)):
        ENTRY_POINTS[entry](net, GOOD_X, GOOD_Y)


@pytest.mark.parametrize(
    ("x", "kind", "argument", "received"),
    [
        ([1.0, 2.0], zg.ArgumentValueError, "x", (2,)),
        (np.zeros((0, 3)), zg.ArgumentValueError, "x", (0, 3)),
        ([[np.nan, 0.0, 0.0]], zg.NonFiniteError, "x", "NaN"),
        (["a", "b", "c"], zg.ArgumentTypeError, "x", np.dtype("<U1")),
    ],
)
def test_forward_refuses_bad_inputs(
    x: Any, kind: type[zg.ArgumentError], argument: str, received: Any
) -> None:
    with refuses(kind, argument, received=received):
        small_net().forward(x)


W1, W2 = np.ones((4, 3)), np.ones((2, 4))
B1, B2 = np.zeros(4), np.zeros(2)


@pytest.mark.parametrize(
    ("W", "b", "activations", "kind", "argument", "expected", "received"),
    [
        pytest.param([W1, np.ones((2, 5))], [B1, B2], "tanh", VALUE, "W[2]", 4, (2, 5),
                     id="W chain broken"),
        pytest.param([np.ones(3)], [np.zeros(1)], "tanh", VALUE, "W[1]", 2, (3,), id="W a vector"),
        pytest.param([W1, np.ones((0, 4))], [B1, np.zeros(0)], "tanh", VALUE, "W[2]", 2, (0, 4),
                     id="W empty"),
        pytest.param([W1, W2], [np.zeros(3), B2], "tanh", VALUE, "b[1]", (4,), (3,),
                     id="b too short"),
        pytest.param([W1, W2], [B1, np.zeros((2, 1))], "tanh", VALUE, "b[2]", (2,), (2, 1),
                     id="b a column"),
        pytest.param([W1, W2], [B1], "tanh", VALUE, "b", 2, 1, id="too few b"),
        pytest.param([W1], [B1, B2], "tanh", VALUE, "b", 1, 2, id="too many b"),
        pytest.param([W1, W2], [B1, B2], ["tanh"], VALUE, "activations", 2, 1,
                     id="too few activations"),
        pytest.param([W1, W2], [B1, B2], ["tanh"] * 3, VALUE, "activations", 2, 3,
                     id="too many activations"),
        pytest.param([], [], "tanh", VALUE, "W", ">= 1", 0, id="no layers"),
        pytest.param([W1, W2], [B1, B2], ["tanh", "ReLU"], VALUE, "activations[1]",
                     tuple(zg.ACTIVATIONS), "ReLU", id="unknown activation"),
        pytest.param([W1, W2], [B1, B2], ["tanh", None], TYPE, "activations[1]",
                     tuple(zg.ACTIVATIONS), None, id="activation not a str"),
        pytest.param([W1, W2], [B1, B2], (n for n in ["tanh"] * 2), TYPE, "activations", ANY,
                     ANY, id="activations a generator"),
        pytest.param([W1, np.where(np.eye(2, 4) == 1, np.nan, W2)], [B1, B2], "tanh", FINITE,
                     "W[2]", "finite", "NaN", id="W NaN"),
        pytest.param([np.where(W1 > 0, np.inf, W1)], [B1], "tanh", FINITE, "W[1]", "finite",
                     "inf", id="W inf"),
        pytest.param([W1, W2], [B1, [0.0, np.nan]], "tanh", FINITE, "b[2]", "finite", "NaN",
                     id="b NaN"),
        pytest.param([W1.astype(str)], [B1], "tanh", TYPE, "W[1]", REAL, np.dtype("<U32"),
                     id="W strings"),
        pytest.param([W1 + 0j], [B1], "tanh", TYPE, "W[1]", REAL, np.dtype(complex),
                     id="W complex"),
        pytest.param([W1 > 0], [B1], "tanh", TYPE, "W[1]", REAL, np.dtype(bool), id="W bool"),
        pytest.param([[[1.0, 2.0], [3.0]]], [B1], "tanh", TYPE, "W[1]", "a rectangular array",
                     ANY, id="W ragged"),
        pytest.param([np.ma.masked_array(W1)], [B1], "tanh", TYPE, "W[1]", np.ndarray,
                     np.ma.MaskedArray, id="W masked"),
        pytest.param(None, [B1], "tanh", TYPE, "W", ANY, None, id="W None"),
        pytest.param(W1[0, 0], [B1], "tanh", TYPE, "W", ANY, ANY, id="W a number"),
        pytest.param((w for w in [W1]), [B1], "tanh", TYPE, "W", ANY, ANY, id="W a generator"),
        pytest.param("W", [B1], "tanh", TYPE, "W", ANY, "W", id="W a str"),
        pytest.param({2: W1}, [B1], "tanh", VALUE, "W", ANY, [2], id="W keyed from 2"),
    ],
)  # fmt: skip
def test_bad_networks_are_refused(
    W: Any,
    b: Any,
    activations: Any,
    kind: type[zg.ArgumentError],
    argument: str,
    expected: Any,
    received: Any,
) -> None:
    with refuses(kind, argument, expected=expected, received=received):
        Network(W=W, b=b, activations=activations)


def test_replace_checks_the_new_parameters() -> None:
    with refuses(zg.ArgumentValueError, "b[2]", expected=2, received=(3,)):
        small_net().replace(b=[B1, np.zeros(3)])
    # a width changed in W alone is blamed on W, not on the copied b
    with refuses(zg.ArgumentValueError, "W[1]", expected=4, received=(5, 3)):
        small_net().replace(W=[np.zeros((5, 3)), np.zeros((2, 5))])
    with refuses(zg.ArgumentValueError, "W", expected=2, received=1):
        small_net().replace(W=[np.zeros((4, 3))])
    # a copied parameter changed through the setter is checked as every call checks it
    changed = small_net()
    changed.W[1] = np.zeros((5, 3))
    with refuses(zg.ArgumentValueError, "W[1]"):
        changed.replace(b=[np.zeros(4), B2])
    # a changed parameter that the call replaces is not checked: it is not used
    assert changed.replace(W=[np.zeros((4, 3)), np.zeros((2, 4))]).W[1].shape == (4, 3)
    with refuses(zg.NonFiniteError, "W[1]", index=(0, 0)):
        small_net().replace(W=[np.full((4, 3), np.nan), W2])


@pytest.mark.parametrize(
    ("sizes", "kind", "expected", "received"),
    [
        ([3], zg.ArgumentValueError, 2, 1),
        ([], zg.ArgumentValueError, 2, 0),
        ([3, 0, 1], zg.ArgumentValueError, 1, [3, 0, 1]),
        ([3, -2], zg.ArgumentValueError, 1, [3, -2]),
        ([2.7, 3], zg.ArgumentTypeError, int, [2.7, 3]),
        ([2, True], zg.ArgumentTypeError, int, [2, True]),
        (["2", 3], zg.ArgumentTypeError, int, ["2", 3]),
        (None, zg.ArgumentTypeError, ANY, None),
        (5, zg.ArgumentTypeError, ANY, 5),
        ("23", zg.ArgumentTypeError, ANY, "23"),
    ],
)
def test_random_refuses_bad_sizes(
    sizes: Any, kind: type[zg.ArgumentError], expected: Any, received: Any
) -> None:
    with refuses(kind, "sizes", expected=expected, received=received):
        Network.random(sizes, "tanh", seed=0)


def test_random_refuses_an_unknown_activation() -> None:
    with refuses(zg.ArgumentValueError, "activations", received="gelu"):
        Network.random([2, 2], "gelu", seed=0)


def test_lookups_name_the_known_names() -> None:
    # the lookups' own argument is name; a model's call names its loss argument
    with refuses(zg.ArgumentValueError, "name", expected=tuple(zg.ACTIVATIONS)):
        zg.get_activation("Tanh")
    with refuses(zg.ArgumentValueError, "name", expected=tuple(zg.LOSSES)):
        zg.get_loss("cross_entropy")
    with refuses(zg.ArgumentTypeError, "name", received=3):
        zg.get_loss(3)  # type: ignore[arg-type]
    with refuses(zg.ArgumentValueError, "loss", expected=tuple(zg.LOSSES)):
        small_net().loss(np.zeros(3), np.zeros(2), loss="cross_entropy")


@pytest.mark.parametrize("bad", [0, 3, -1, 1.0, "1", True, None])
def test_layer_numbers_outside_1_to_K_are_refused(bad: Any) -> None:
    net = small_net()
    for layered in (net.W, net.b, gradients(net, GOOD_X, GOOD_Y).W, net.forward(GOOD_X).z):
        with pytest.raises(LayerIndexError, match=r"^layer number must be an int from 1 to 2"):
            layered[bad]
    with pytest.raises(LayerIndexError):
        net.f(bad)


def test_layer_index_error_is_both_a_key_and_an_index_error() -> None:
    net = small_net()
    with pytest.raises(KeyError):
        net.W[3]
    with pytest.raises(IndexError):
        net.W[3]
    assert 0 not in net.W, "membership must answer False, not raise"
    assert 0 in net.forward(GOOD_X).x, "x[0] is the input"
    with pytest.raises(LayerIndexError, match=r"from 0 to 2; got 3$"):
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


def test_unsigned_integer_and_bool_targets_are_labels() -> None:
    net = small_net(("tanh", "sigmoid"))
    x = [[0.1, 0.2, 0.3]]
    reference = gradients(net, x, [[1.0, 0.0]], loss="binary_cross_entropy")
    for labels in (np.array([[1, 0]], dtype=np.uint8), np.array([[True, False]])):
        exact = gradients(net, x, labels, loss="binary_cross_entropy")
        np.testing.assert_array_equal(exact.W[1], reference.W[1])


_LAYERS = zg.Layered([np.array([5.0, 7.0, 9.0]), np.array([1.0, 1.0])], first=1)


@pytest.mark.parametrize(
    ("x", "index"),
    [
        (_LAYERS, None),  # numpy would read its keys, 1 and 2
        ([_LAYERS[1], _LAYERS], (1,)),
        ({0: 1.0, 1: 2.0, 2: 3.0}, None),
        ([[1.0, 2.0, 3.0], {0: 1.0}], (1,)),
    ],
    ids=["layered", "layered-in-a-list", "dict", "dict-in-a-list"],
)
def test_a_mapping_where_an_array_belongs_is_refused(x: object, index: object) -> None:
    net = small_net()
    with refuses(zg.ArgumentTypeError, "x", expected="an array") as info:
        net.forward(x)  # type: ignore[arg-type]
    shown = f"a mapping, {type(x).__name__}" if index is None else f"a mapping at index {index}"
    assert str(info.value) == (
        "x must be an array or a sequence of numbers (numpy would read a mapping's keys); "
        f"got {shown}"
    )
    assert info.value.received is Mapping
    with refuses(zg.ArgumentTypeError, "b[1]", expected="an array"):
        Network(W=net.W, b=[_LAYERS, net.b[2]], activations=net.activations)  # type: ignore[list-item]


def test_a_bytearray_is_refused_as_bytes_are_not_read_as_numbers() -> None:
    net = Network(W=[[[1.0, 1.0]]], b=[[0.0]], activations="identity")
    for x in (bytearray(b"\x02\x03"), [bytearray(b"12")]):
        with refuses(zg.ArgumentTypeError, "x", expected="real numbers"):
            net.forward(x)  # type: ignore[arg-type]
    with refuses(zg.ArgumentTypeError, "sizes"):
        Network.random(bytearray(b"\x02\x03"), "relu")
