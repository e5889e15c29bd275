"""Containers numbered by layer, as in the math."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import zerograd as zg
from zerograd import Layered, LayerIndexError


def test_numbering_starts_at_first() -> None:
    arrays = [np.zeros((3, 2)), np.ones((1, 3))]
    W = Layered(arrays, first=1)
    assert W[1] is arrays[0]
    assert W[2] is arrays[1]
    assert (W.first, W.last, len(W)) == (1, 2, 2)
    assert list(W) == [1, 2]
    assert list(W.keys()) == [1, 2]


def test_numbering_from_zero_for_layer_outputs() -> None:
    x = Layered([np.array([1.0]), np.array([2.0]), np.array([3.0])], first=0)
    assert (x.first, x.last) == (0, 2)
    assert [float(x[k][0]) for k in x] == [1.0, 2.0, 3.0]
    assert 0 in x
    assert 3 not in x


@pytest.mark.parametrize("bad", [0, 3, -1])
def test_out_of_range_numbers_name_the_range(bad: int) -> None:
    W = Layered([np.zeros(1), np.zeros(1)], first=1)
    with pytest.raises(
        LayerIndexError, match=rf"^layer number must be an int from 1 to 2; got {bad}$"
    ):
        W[bad]


@pytest.mark.parametrize("bad", [1.0, "1", True, None, (1,)])
def test_non_int_numbers_are_refused(bad: object) -> None:
    # True == 1 and 1.0 == 1, but a layer number written that way is a mistake.
    W = Layered([np.zeros(1)], first=1)
    with pytest.raises(LayerIndexError, match="layer number must be an int from 1 to 1"):
        W[bad]


def test_no_negative_indexing_from_the_end() -> None:
    # Python's W[-1] would silently mean the last layer; here it is an error.
    W = Layered([np.zeros(1), np.ones(1)], first=1)
    with pytest.raises(LayerIndexError, match="got -1"):
        W[-1]


def test_mapping_behaviour() -> None:
    W = Layered([np.zeros(2), np.ones(3)], first=1)
    assert W.get(5) is None
    assert dict(W.items())[2].shape == (3,)
    assert {k: v.shape for k, v in W.items()} == {1: (2,), 2: (3,)}


def test_repr_shows_layer_numbers_and_shapes() -> None:
    W = Layered([np.zeros((3, 2)), np.zeros((1, 3))], first=1)
    assert repr(W) == "Layered({1: (3, 2), 2: (1, 3)})"


def test_error_message_is_not_quoted_like_a_key_error() -> None:
    error = LayerIndexError("layer number must be an int from 1 to 2; got 0")
    assert str(error) == "layer number must be an int from 1 to 2; got 0"
    assert isinstance(error, KeyError)
    assert isinstance(error, IndexError)


def test_numpy_integers_name_layers_like_ints() -> None:
    layers = Layered([np.zeros(1), np.ones(2)], first=1)
    assert layers[np.int64(2)].shape == (2,)
    assert layers[np.uint8(1)].shape == (1,)


def test_a_type_error_of_the_caller_s_generator_is_its_own() -> None:
    def arrays() -> object:
        yield np.zeros(1)
        msg = "the caller's own error"
        raise TypeError(msg)

    with pytest.raises(TypeError, match=r"^the caller's own error$"):
        Layered(arrays(), first=1)  # type: ignore[arg-type]


def test_results_refuse_equality_naming_what_compares_their_arrays() -> None:
    # numpy's == gives arrays, so == on a result would raise numpy's "truth value
    # of an array ... is ambiguous", or compare one-entry arrays with 0.0 == -0.0
    net = zg.Network.random([2, 3], "tanh", seed=0)
    results = {
        "Layered": net.W,
        "Gradients": zg.gradients(net, [1.0, 2.0], [0.0, 0.0, 0.0]),
        "GradientNorms": zg.gradient_norms(net, [1.0, 2.0], [0.0, 0.0, 0.0]),
        "ForwardPass": net.forward([1.0, 2.0]),
    }
    for name, result in results.items():
        for compare in (operator.eq, operator.ne):
            with pytest.raises(TypeError, match=rf"^{name} holds arrays, .*numpy\.array_equal"):
                compare(result, result)
        with pytest.raises(TypeError, match=rf"unhashable type: '{name}'"):
            hash(result)


def test_a_layer_set_to_something_else_is_shown_by_its_type() -> None:
    net = zg.Network.random([2, 3], "tanh", seed=0)
    net.W[1] = None  # type: ignore[assignment]
    assert repr(net.W) == "Layered({1: NoneType})"
    net.W[1] = [[1.0], [1.0, 2.0]]  # type: ignore[assignment]
    assert repr(net.W) == "Layered({1: list})"


def test_the_refusal_of_equality_is_worded_in_full() -> None:
    net = zg.Network.random([2, 3], "tanh", seed=0)
    g = zg.gradients(net, [1.0, 2.0], [0.0, 0.0, 0.0])
    with pytest.raises(TypeError) as info:
        operator.eq(g, g)
    assert str(info.value) == (
        "Gradients holds arrays, which == does not compare to one truth value; compare "
        "them array by array with numpy.array_equal (or zerograd.book.same_bits, bit for bit)"
    )
    with pytest.raises(TypeError) as info:
        operator.eq(net.W, net.W)
    assert str(info.value) == (
        "Layered holds arrays, which == does not compare to one truth value; compare them "
        "layer by layer with numpy.array_equal (or zerograd.book.same_bits, bit for bit)"
    )
    with pytest.raises(zg.ArgumentTypeError, match=r"arrays must be an iterable"):
        Layered(bytearray(b"ab"), first=1)  # type: ignore[arg-type]
