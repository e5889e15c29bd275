"""Hypothesis throws bad values at every public entry point.

Each call gets, argument by argument, either a valid value or one drawn from a pool
of bad ones: None, bools, numbers of every size and kind (NaN, inf, 1e308, huge ints),
strings, bytes, lists (ragged ones too), dicts, sets, generators, arrays of every
dtype, masked arrays, other objects; and arrays of the right shape holding any
float64. The call must either raise one of the library's errors, a ValueError or a
TypeError that names the argument, or return finite results. It must never warn
(pytest turns warnings into errors) and never write into the caller's arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import zerograd as zg

ARRAY_DTYPES = [np.float64, np.float32, np.float16, np.int64, np.uint8, np.bool_, np.complex128]

JUNK: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([10**12, -(10**12), 2**63, np.int64(2), np.uint8(7)]),
    st.floats(),  # NaN, inf, -0.0, 1e308, subnormals
    st.complex_numbers(max_magnitude=10),
    st.text(max_size=3),
    st.binary(max_size=3),
    st.lists(st.floats() | st.integers(-3, 3), max_size=4),
    st.lists(st.lists(st.floats(-10, 10), max_size=3), max_size=3),  # ragged, often
    st.tuples(st.integers(-2, 5), st.integers(-2, 5)),
    st.dictionaries(st.integers(0, 3), st.floats(-1, 1), max_size=2),
    st.sets(st.integers(0, 3), max_size=3),
    st.builds(lambda values: (v for v in values), st.lists(st.floats(-1, 1), max_size=3)),
    st.sampled_from(ARRAY_DTYPES).flatmap(
        lambda dtype: hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
    ),
    hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=3)).map(np.ma.masked_array),
    hnp.arrays(np.dtype("U2"), hnp.array_shapes(max_dims=2, max_side=3)),
    st.sampled_from([object(), print, zg.Layered([np.zeros(1)], first=1), zg.LOSSES]),
)
"""Bad values of every kind, none of them large enough to allocate much."""


HUGE = st.sampled_from([1e154, -1e200, 1e300, -1.7976931348623157e308])
"""Finite values whose products and sums overflow float64."""


def any_floats(shape: tuple[int, ...]) -> st.SearchStrategy[Any]:
    """Arrays of the right shape holding any float64: NaN, inf, huge and tiny values included."""
    return hnp.arrays(np.float64, shape, elements=st.floats() | HUGE) | hnp.arrays(
        np.float64, shape, elements=st.floats(allow_nan=False, allow_infinity=False) | HUGE
    )


def either(data: st.DataObject, valid: st.SearchStrategy[Any] | Any) -> Any:
    """A valid value or a bad one, half the time each."""
    if data.draw(st.booleans()):
        return data.draw(JUNK)
    return data.draw(valid) if isinstance(valid, st.SearchStrategy) else valid


def arrays_in(value: Any) -> Iterator[np.ndarray]:
    """Every numpy array reachable in ``value``: the caller's data the call must not change."""
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from arrays_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from arrays_in(item)


def assert_finite(result: Any) -> None:
    """Numbers in a result are finite, wherever they are."""
    if isinstance(result, zg.Gradients):
        for _, array in result.arrays():
            assert np.all(np.isfinite(array))
        assert_finite(result.z)
    elif isinstance(result, zg.GradientNorms):
        for _, array in result.arrays():
            assert np.all(np.isfinite(array))
            assert np.all(array >= 0.0)
    elif isinstance(result, zg.ForwardPass):
        assert_finite(result.z)
        assert_finite(result.x)
    elif isinstance(result, zg.Model):
        for layered in result.parameters.values():
            assert_finite(layered)
    elif isinstance(result, zg.Layered):
        for array in result.values():
            assert np.all(np.isfinite(array))
    elif isinstance(result, float | np.ndarray):
        assert np.all(np.isfinite(result))


def assert_clear(
    call: Callable[[], Any], *arguments: Any, lookups: bool = False, finite: bool = True
) -> None:
    """Run ``call``: a library error naming an argument, or finite results; data untouched.

    ``finite=False`` for a container, which holds what it is given.
    """
    before = [(array, array.copy()) for value in arguments for array in arrays_in(value)]
    error: Exception | None = None
    try:
        result = call()
    except (zg.ArgumentError, zg.LayerIndexError, zg.GradientCheckError) as raised:
        error = raised
    if isinstance(error, zg.ArgumentError):
        assert isinstance(error, ValueError | TypeError)
        assert error.argument, error
        assert str(error).startswith(f"{error.argument} must "), error
    elif isinstance(error, zg.LayerIndexError):
        assert lookups, "a layer number was not asked for"
    elif error is None and finite:
        assert_finite(result)
    # A GradientCheckError reports a failed check: near a relu kink central differences fail.
    for array, copy in before:
        np.testing.assert_array_equal(array, copy, err_msg="the call wrote into its input")


def dense(activations: Any = ("tanh", "identity")) -> zg.Network:
    return zg.Network.random([2, 3, 2], activations, seed=1)


def conv(activations: Any = ("tanh", "identity")) -> zg.ConvNetwork:
    return zg.ConvNetwork.random((1, 4), [(2, 2)], [2], activations, seed=1)


def recurrent(activations: Any = ("tanh", "identity")) -> zg.RecurrentNetwork:
    return zg.RecurrentNetwork.random([2, 3, 2], activations, output="every", seed=1)


MODELS: dict[str, tuple[Callable[[Any], zg.Model], tuple[int, ...], tuple[int, ...]]] = {
    "dense": (dense, (3, 2), (3, 2)),
    "conv": (conv, (3, 1, 4), (3, 2)),
    "recurrent": (recurrent, (3, 4, 2), (3, 4, 2)),
}
"""Each model, and the shapes of a valid batch of inputs and targets for it."""


def model_data(data: st.DataObject, kind: str) -> tuple[zg.Model, Any, Any]:
    make, x_shape, y_shape = MODELS[kind]
    names = st.sampled_from(list(zg.ACTIVATIONS))
    net = make(data.draw(st.lists(names, min_size=2, max_size=2)))
    x = either(data, any_floats(x_shape) | any_floats(x_shape[1:]) | st.just(np.ones(x_shape)))
    y = either(data, any_floats(y_shape) | st.just(np.zeros(y_shape)))
    return net, x, y


def options(data: st.DataObject) -> dict[str, Any]:
    return {
        "loss": either(data, st.sampled_from(list(zg.LOSSES))),
        "reduction": either(data, st.sampled_from(zg.REDUCTIONS)),
        "weight_decay": either(data, st.sampled_from([0.0, 0.1])),
    }


KINDS = list(MODELS)


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_forward_loss_and_gradients(kind: str, data: st.DataObject) -> None:
    net, x, y = model_data(data, kind)
    chosen = options(data)
    assert_clear(lambda: net.forward(x), x)
    assert_clear(lambda: net.loss(x, y, **chosen), x, y)
    assert_clear(lambda: zg.gradients(net, x, y, **chosen), x, y)
    loss = chosen["loss"]
    assert_clear(lambda: zg.gradient_norms(net, x, y, loss=loss), x, y)


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_numerical_and_checked_gradients(kind: str, data: st.DataObject) -> None:
    net, x, y = model_data(data, kind)
    chosen = options(data)
    step = either(data, st.sampled_from([1e-6, 1e-3]))
    assert_clear(lambda: zg.numerical_gradients(net, x, y, step=step, **chosen), x, y)
    check = {
        "step": step,
        "rtol": either(data, st.just(1e-6)),
        "atol": either(data, st.sampled_from([None, 1e-8])),
        "directions": either(data, st.sampled_from([None, 1, 3])),
        "seed": either(data, st.integers(0, 10)),
    }
    assert_clear(lambda: zg.check_gradients(net, x, y, **check, **chosen), x, y)


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_parameters_changed_in_place_or_replaced(kind: str, data: st.DataObject) -> None:
    net, x, y = model_data(data, kind)
    name = data.draw(st.sampled_from(list(net.parameters)))
    layered = net.parameters[name]
    k = data.draw(st.sampled_from(list(layered)))
    if data.draw(st.booleans()):
        layered[k] = data.draw(JUNK | any_floats(layered[k].shape))
    else:  # an in-place write of any float
        index = tuple(data.draw(st.integers(0, n - 1)) for n in layered[k].shape)
        layered[k][index] = data.draw(st.floats() | HUGE)
    assert_clear(lambda: zg.gradients(net, x, y), x, y)
    assert_clear(lambda: zg.gradient_norms(net, x, y), x, y)
    assert_clear(lambda: net.weight_penalty(either(data, st.just(0.1))))
    assert_clear(lambda: net.f(either(data, st.integers(1, net.K))), lookups=True)


@given(data=st.data())
def test_constructors(data: st.DataObject) -> None:
    valid = dense()
    W = either(data, st.just([valid.W[1], valid.W[2]]) | st.just(valid.W))
    b = either(data, st.just([valid.b[1], valid.b[2]]) | st.just(valid.b))
    activations = either(data, st.sampled_from(["tanh", ["relu", "identity"]]))
    assert_clear(lambda: zg.Network(W, b, activations), W, b)
    assert_clear(lambda: valid.replace(W=W, b=b), W, b)
    net = conv()
    Wc = either(data, st.just(net.W))
    length = either(data, st.sampled_from([4, np.int64(4)]))
    assert_clear(lambda: zg.ConvNetwork(Wc, net.b, activations, length), Wc)
    rnn = recurrent()
    U = either(data, st.just(rnn.U[1]) | any_floats(rnn.U[1].shape))
    output = either(data, st.sampled_from(["last", "every"]))
    assert_clear(lambda: zg.RecurrentNetwork(rnn.W, U, b, activations, output), U, b)


@given(data=st.data())
def test_random_constructors(data: st.DataObject) -> None:
    sizes = either(data, st.lists(st.integers(1, 4), min_size=2, max_size=4))
    activations = either(data, st.sampled_from(["tanh", "silu"]))
    seed = either(data, st.integers(0, 100) | st.builds(np.random.default_rng))
    assert_clear(lambda: zg.Network.random(sizes, activations, seed), sizes)
    shape = either(data, st.tuples(st.integers(1, 3), st.integers(3, 6)))
    layers = either(data, st.lists(st.tuples(st.integers(1, 3), st.integers(1, 2)), max_size=2))
    widths = either(data, st.lists(st.integers(1, 3), max_size=2))
    assert_clear(lambda: zg.ConvNetwork.random(shape, layers, widths, activations, seed), shape)
    output = either(data, st.sampled_from(["last", "every"]))
    assert_clear(lambda: zg.RecurrentNetwork.random(sizes, activations, output, seed), sizes)


@given(data=st.data())
def test_lookups_and_containers(data: st.DataObject) -> None:
    name = either(data, st.sampled_from(list(zg.ACTIVATIONS)))
    assert_clear(lambda: zg.get_activation(name))
    loss = either(data, st.sampled_from(list(zg.LOSSES)))
    assert_clear(lambda: zg.get_loss(loss))
    arrays = either(data, st.just([np.zeros(2), np.ones(3)]))
    first = either(data, st.sampled_from([0, 1]))
    assert_clear(lambda: zg.Layered(arrays, first), arrays, lookups=True, finite=False)
    layered = zg.Layered([np.zeros(2), np.ones(3)], first=1)
    k = either(data, st.sampled_from([1, 2]))
    assert_clear(lambda: layered[k], lookups=True)
    net = conv()
    assert_clear(lambda: net.shape(k), lookups=True)
    assert_clear(lambda: net.is_conv(k), lookups=True)
