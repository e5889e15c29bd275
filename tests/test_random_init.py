"""The documented initial distributions, default seed and errors of the ``random`` constructors.

``Network.random``, ``ConvNetwork.random`` and ``RecurrentNetwork.random`` say that weights
are drawn from N(0, 1/fan-in) (``U[1]`` from N(0, 0.5^2/n_1)) and biases from N(0, 0.1^2),
seeded by an int (default 0) or a generator. These tests check exactly that.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pytest
from contracts import ANY, refuses

import zerograd as zg
from zerograd import ConvNetwork, Network, RecurrentNetwork

Model = zg.Model

BAND = 5.0
"""Half-width of every acceptance band, in standard errors.

A normal deviate lies beyond 5 standard errors with probability 5.7e-7, so with the
few dozen checks here a correct initialiser passes for (almost) every seed, while a
standard deviation off by a factor of 2 or more lies tens of standard errors away.
"""

SEEDS = [0, 1, 122888]

BIAS_STD = 0.1


def assert_normal_sample(values: npt.NDArray[np.float64], std: float, name: str) -> None:
    """Check that ``values`` look like independent draws from N(0, std^2).

    For n independent draws the sample mean has standard error std/sqrt(n). The sample
    variance s^2 satisfies (n-1) s^2 / std^2 ~ chi-square(n-1), whose variance 2(n-1)
    gives var(s^2) = 2 std^4 / (n-1); by the delta method s has standard error
    std / sqrt(2 (n-1)). Both are compared with ``BAND`` standard errors.
    """
    sample = values.ravel()
    n = sample.size
    mean_band = BAND * std / np.sqrt(n)
    std_band = BAND * std / np.sqrt(2 * (n - 1))
    mean, sample_std = float(sample.mean()), float(sample.std(ddof=1))
    assert abs(mean) <= mean_band, f"{name}: mean {mean:.3g} is not within {mean_band:.3g} of 0"
    assert abs(sample_std - std) <= std_band, (
        f"{name}: standard deviation {sample_std:.4g} is not within {std_band:.3g} of {std:.4g}"
    )


def assert_same(first: Model, second: Model) -> None:
    """Every parameter array of the two models is identical."""
    first_parameters, second_parameters = first.parameters, second.parameters
    assert first_parameters.keys() == second_parameters.keys()
    for name, layered in first_parameters.items():
        assert list(layered) == list(second_parameters[name])
        for k in layered:
            np.testing.assert_array_equal(layered[k], second_parameters[name][k], f"{name}[{k}]")


def assert_all_differ(first: Model, second: Model) -> None:
    """No parameter array of the two models is equal."""
    second_parameters = second.parameters
    for name, layered in first.parameters.items():
        for k in layered:
            assert not np.array_equal(layered[k], second_parameters[name][k]), (
                f"{name}[{k}] is the same for two different seeds"
            )


# Fan-ins differ from fan-outs in every layer, so that 1/sqrt(fan-out) would fail too.
DENSE_SIZES = [400, 300, 100, 200]


def dense_net(seed: int | np.random.Generator = 0) -> Network:
    return Network.random(DENSE_SIZES, ["tanh", "tanh", "identity"], seed=seed)


# Conv fan-ins C_{k-1} w_k: 20 * 20 = 400 and 60 * 8 = 480; lengths 30 -> 11 -> 4, so the
# first dense layer has fan-in 100 * 4 = 400 and the second 300.
CONV_INPUT = (20, 30)
CONV_LAYERS = [(60, 20), (100, 8)]
CONV_DENSE = [300, 150]
CONV_FAN_INS = [400, 480, 400, 300]


def conv_net(seed: int | np.random.Generator = 0) -> ConvNetwork:
    return ConvNetwork.random(CONV_INPUT, CONV_LAYERS, CONV_DENSE, seed=seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_conv_dense_layer_with_fan_in_one_has_unit_standard_deviation(seed: int) -> None:
    # One channel of length 4 read by a width-4 kernel leaves x[1] of shape (1, 1), so the
    # dense layer after it has fan-in 1 and its weights are drawn from N(0, 1/1).
    net = ConvNetwork.random((1, 4), [(1, 4)], [400], seed=seed)
    assert net.shape(1) == (1, 1)
    assert net.W[2].shape == (400, 1)
    assert_normal_sample(net.W[2], 1.0, "W[2]")


RECURRENT_SIZES = (400, 300, 100)


def recurrent_net(seed: int | np.random.Generator = 0) -> RecurrentNetwork:
    return RecurrentNetwork.random(RECURRENT_SIZES, seed=seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_dense_weights_and_biases_follow_the_documented_normals(seed: int) -> None:
    net = dense_net(seed)
    assert net.sizes == tuple(DENSE_SIZES)
    for k in net.W:
        fan_in = DENSE_SIZES[k - 1]
        assert_normal_sample(net.W[k], 1.0 / np.sqrt(fan_in), f"W[{k}]")
        assert_normal_sample(net.b[k], BIAS_STD, f"b[{k}]")


@pytest.mark.parametrize("seed", SEEDS)
def test_conv_weights_and_biases_follow_the_documented_normals(seed: int) -> None:
    net = conv_net(seed)
    assert [net.W[k].shape[-1] if net.is_conv(k) else None for k in net.W] == [20, 8, None, None]
    assert [net.W[k].shape for k in net.W if not net.is_conv(k)] == [(300, 400), (150, 300)]
    for k, fan_in in zip(net.W, CONV_FAN_INS, strict=True):
        assert_normal_sample(net.W[k], 1.0 / np.sqrt(fan_in), f"W[{k}]")
        assert_normal_sample(net.b[k], BIAS_STD, f"b[{k}]")


@pytest.mark.parametrize("seed", SEEDS)
def test_recurrent_weights_and_biases_follow_the_documented_normals(seed: int) -> None:
    net = recurrent_net(seed)
    n_0, n_1, _ = RECURRENT_SIZES
    assert_normal_sample(net.W[1], 1.0 / np.sqrt(n_0), "W[1]")
    assert_normal_sample(net.W[2], 1.0 / np.sqrt(n_1), "W[2]")
    assert_normal_sample(net.U[1], 0.5 / np.sqrt(n_1), "U[1]")
    for k in net.b:
        assert_normal_sample(net.b[k], BIAS_STD, f"b[{k}]")


MAKERS: dict[str, Callable[[int | np.random.Generator], Model]] = {
    "dense": dense_net,
    "conv": conv_net,
    "recurrent": recurrent_net,
}


@pytest.mark.parametrize("kind", MAKERS)
def test_default_seed_is_zero_and_repeatable(kind: str) -> None:
    defaults: dict[str, Callable[[], Model]] = {
        "dense": lambda: Network.random(DENSE_SIZES, ["tanh", "tanh", "identity"]),
        "conv": lambda: ConvNetwork.random(CONV_INPUT, CONV_LAYERS, CONV_DENSE),
        "recurrent": lambda: RecurrentNetwork.random(RECURRENT_SIZES),
    }
    unseeded = defaults[kind]()
    assert_same(unseeded, defaults[kind]())
    assert_same(unseeded, MAKERS[kind](0))


@pytest.mark.parametrize("kind", MAKERS)
def test_different_seeds_give_different_parameters(kind: str) -> None:
    assert_all_differ(MAKERS[kind](0), MAKERS[kind](1))


@pytest.mark.parametrize("kind", MAKERS)
def test_a_generator_is_used_as_given(kind: str) -> None:
    # default_rng(generator) returns that generator, so it draws what the int seed would.
    generator = np.random.default_rng(7)
    from_generator = MAKERS[kind](generator)
    assert_same(from_generator, MAKERS[kind](7))
    # The generator has advanced, so a second network from it is new.
    assert_all_differ(from_generator, MAKERS[kind](generator))


@pytest.mark.parametrize(
    ("sizes", "kind", "received"),
    [
        ([3, 2.0], zg.ArgumentTypeError, [3, 2.0]),
        ([3, True], zg.ArgumentTypeError, [3, True]),
        ([3, "4"], zg.ArgumentTypeError, [3, "4"]),
        ([], zg.ArgumentValueError, 0),
        ([3], zg.ArgumentValueError, 1),
        ([3, 0], zg.ArgumentValueError, [3, 0]),
        ([0, 2], zg.ArgumentValueError, [0, 2]),
        ([3, -1, 2], zg.ArgumentValueError, [3, -1, 2]),
    ],
)
def test_dense_sizes_must_be_two_or_more_positive_ints(
    sizes: list[Any], kind: type[zg.ArgumentError], received: object
) -> None:
    with refuses(kind, "sizes", received=received):
        Network.random(sizes, "tanh")


@pytest.mark.parametrize(
    ("input_shape", "conv", "dense", "kind", "argument"),
    [
        ((0, 5), [(2, 2)], [], zg.ArgumentValueError, "input_shape"),
        ((2, 0), [(2, 2)], [], zg.ArgumentValueError, "input_shape"),
        ((-1, 5), [(2, 2)], [], zg.ArgumentValueError, "input_shape"),
        ((2, 5), [], [], zg.ArgumentValueError, "conv"),
        ((2,), [(2, 2)], [], zg.ArgumentValueError, "input_shape"),
        ((2, 5, 1), [(2, 2)], [], zg.ArgumentValueError, "input_shape"),
        ((2, 5), [(2, 2, 1)], [], zg.ArgumentValueError, "each (channels, width) of conv"),
        ((2, 5), [(2, 6)], [], zg.ArgumentValueError, "conv"),
        ((2, 5), [(2, 3), (2, 4)], [1], zg.ArgumentValueError, "conv"),
        ((1, 5.0), [(2, 2)], [], zg.ArgumentTypeError, "input_shape"),
        ((1, 5), [(2, 2.5)], [], zg.ArgumentTypeError, "each (channels, width) of conv"),
        ((1, 5), [(True, 2)], [], zg.ArgumentTypeError, "each (channels, width) of conv"),
        ((1, 5), [(2, 2)], [1.5], zg.ArgumentTypeError, "dense"),
        (5, [(2, 2)], [], zg.ArgumentTypeError, "input_shape"),
        ((1, 5), (2, 2), [], zg.ArgumentTypeError, "each (channels, width) of conv"),
        ((1, 5), None, [], zg.ArgumentTypeError, "conv"),
        ((1, 5), [(2, 2)], 3, zg.ArgumentTypeError, "dense"),
    ],
)
def test_conv_sizes_must_be_positive_ints_with_a_convolution(
    input_shape: Any, conv: Any, dense: Any, kind: type[zg.ArgumentError], argument: str
) -> None:
    with refuses(kind, argument):
        ConvNetwork.random(input_shape, conv, dense)


@pytest.mark.parametrize(
    ("sizes", "kind", "received"),
    [
        ((3, 4), zg.ArgumentValueError, 2),
        ((3, 4, 2, 1), zg.ArgumentValueError, 4),
        ((3, 0, 2), zg.ArgumentValueError, [3, 0, 2]),
        ((0, 4, 2), zg.ArgumentValueError, [0, 4, 2]),
        ((3, 4, -2), zg.ArgumentValueError, [3, 4, -2]),
        ([3, 4.0, 2], zg.ArgumentTypeError, [3, 4.0, 2]),
        ([3, 4, False], zg.ArgumentTypeError, [3, 4, False]),
        ([2.5, 4, 2], zg.ArgumentTypeError, [2.5, 4, 2]),
        (None, zg.ArgumentTypeError, None),
    ],
)
def test_recurrent_sizes_must_be_three_positive_ints(
    sizes: Any, kind: type[zg.ArgumentError], received: object
) -> None:
    with refuses(kind, "sizes", received=received):
        RecurrentNetwork.random(sizes)


@pytest.mark.parametrize("seed", [-1, 1.5, True, "0", None, np.random.SeedSequence(0)])
@pytest.mark.parametrize("kind", list(MAKERS))
def test_seed_must_be_a_non_negative_int_or_a_generator(seed: Any, kind: str) -> None:
    error = zg.ArgumentValueError if seed == -1 else zg.ArgumentTypeError
    with refuses(error, "seed", expected=ANY, received=seed):
        MAKERS[kind](seed)


def test_numpy_integers_are_accepted_as_sizes() -> None:
    # numpy's integer scalars are not int to a type checker, but they are whole numbers.
    as_numpy = cast("list[int]", [np.int64(3), np.int32(4), np.uint8(2)])
    shape = cast("tuple[int, int]", (np.int64(1), np.int64(5)))
    conv = cast("list[tuple[int, int]]", [(np.int8(2), np.int16(2))])
    pairs: list[tuple[Model, Model]] = [
        (Network.random(as_numpy, "tanh"), Network.random([3, 4, 2], "tanh")),
        (RecurrentNetwork.random(as_numpy), RecurrentNetwork.random([3, 4, 2])),
        (ConvNetwork.random(shape, conv, [as_numpy[2]]), ConvNetwork.random((1, 5), [(2, 2)], [2])),
        (
            Network.random([3, 4, 2], "tanh", seed=np.int64(3)),
            Network.random([3, 4, 2], "tanh", seed=3),
        ),
    ]
    for made, reference in pairs:
        assert made.K == reference.K
        for k in range(1, reference.K + 1):
            np.testing.assert_array_equal(made.W[k], reference.W[k])
            np.testing.assert_array_equal(made.b[k], reference.b[k])
