"""The guards of issue 13: parameters checked at every use, non-finite forward passes,
large logits, memory, and the inputs that are accepted rather than refused."""

from __future__ import annotations

import copy
import itertools
import math
import pickle
import types
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from contracts import refuses

import zerograd as zg
from zerograd import _checks

# Parameters at every use ---------------------------------------------------------------


def dense() -> zg.Network:
    return zg.Network.random([3, 4, 2], ["tanh", "identity"], seed=1)


X, Y = np.ones((5, 3)), np.zeros((5, 2))

CALLS: dict[str, Callable[[zg.Model], object]] = {
    "forward": lambda net: net.forward(X),
    "loss": lambda net: net.loss(X, Y),
    "gradients": lambda net: zg.gradients(net, X, Y),
    "gradient_norms": lambda net: zg.gradient_norms(net, X, Y),
    "numerical_gradients": lambda net: zg.numerical_gradients(net, X, Y),
    "check_gradients": lambda net: zg.check_gradients(net, X, Y, directions=1),
}
"""Every call that uses a network's parameters; each checks them first."""


def test_a_training_loop_updates_the_parameters_in_place() -> None:
    # Plain gradient descent on one batch: the loss must fall, step after step.
    net = dense()
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    losses = []
    for _ in range(20):
        losses.append(net.loss(x, y, reduction="mean"))
        g = zg.gradients(net, x, y, reduction="mean")
        for k in net.W:
            net.W[k] -= 0.1 * g.W[k]
            net.b[k] -= 0.1 * g.b[k]
    assert all(later < earlier for earlier, later in itertools.pairwise(losses))
    net.W[1] = np.zeros((4, 3))  # replacing by a float64 array of the same shape is fine too
    assert np.all(net.forward(X).z[1] == net.b[1])


@pytest.mark.parametrize("call", list(CALLS))
def test_a_nan_written_into_a_weight_is_named_with_its_index(call: str) -> None:
    net = dense()
    net.W[1][2, 1] = np.nan
    with refuses(zg.NonFiniteError, "W[1]", received="NaN", index=(2, 1)):
        CALLS[call](net)


@pytest.mark.parametrize("call", list(CALLS))
def test_an_infinite_bias_behind_a_relu_is_named_too(call: str) -> None:
    # relu(-inf) = 0: the output stays finite, but the forward pass checks every layer.
    net = zg.Network.random([3, 4, 2], ["relu", "identity"], seed=1)
    net.b[1][0] = -np.inf
    with refuses(zg.NonFiniteError, "b[1]", received="inf", index=(0,)):
        CALLS[call](net)


@pytest.mark.parametrize("call", list(CALLS))
@pytest.mark.parametrize(
    ("name", "value", "kind", "received"),
    [
        ("b", np.zeros(1), zg.ArgumentValueError, (1,)),  # a shortened bias
        ("W", np.ones((4, 3), dtype=int), zg.ArgumentTypeError, np.dtype(int)),
        ("W", np.ones((4, 3), dtype=np.float32), zg.ArgumentTypeError, np.dtype(np.float32)),
        ("W", [[1.0] * 3] * 4, zg.ArgumentTypeError, list),
        # float64 in another type: the type is named, not a dtype that is right
        ("W", np.ma.masked_array(np.ones((4, 3))), zg.ArgumentTypeError, np.ma.MaskedArray),
        ("W", np.ones((3, 4)), zg.ArgumentValueError, (3, 4)),
    ],
)
def test_a_parameter_swapped_for_another_kind_or_shape_is_refused(
    call: str, name: str, value: Any, kind: type[zg.ArgumentError], received: object
) -> None:
    net = dense()
    expected_shape = net.parameters[name][1].shape
    net.parameters[name][1] = value
    with refuses(kind, f"{name}[1]", received=received) as info:
        CALLS[call](net)
    assert str(expected_shape) in str(info.value)


@pytest.mark.parametrize(
    ("value", "kind", "expected", "received"),
    [
        ([[1.0] * 3] * 4, zg.ArgumentTypeError, np.ndarray, list),  # no dtype at all
        (np.ones((4, 3), np.float32), zg.ArgumentTypeError, np.dtype(np.float64),
         np.dtype(np.float32)),
        (np.ones((3, 4)), zg.ArgumentValueError, (4, 3), (3, 4)),
    ],
)  # fmt: skip
def test_a_changed_parameter_is_refused_with_what_was_built(
    value: Any, kind: type[zg.ArgumentError], expected: object, received: object
) -> None:
    net = dense()
    net.W[1] = value
    with refuses(kind, "W[1]", expected=expected, received=received) as info:
        net.forward(X)
    # numpy compares None equal to float64 (np.dtype(None) is float64): check the type too.
    assert type(info.value.expected) is type(expected)


def test_gradients_survive_a_copy_and_a_pickle() -> None:
    # copy and pickle build the object without __init__ and then look for __setstate__.
    g = zg.gradients(dense(), X, Y)
    for twin in (copy.copy(g), pickle.loads(pickle.dumps(g))):
        assert [name for name, _ in twin.arrays()] == ["W[1]", "b[1]", "W[2]", "b[2]"]
        assert all(
            np.array_equal(a, b) for (_, a), (_, b) in zip(twin.arrays(), g.arrays(), strict=True)
        )


def test_more_directions_than_parameters_are_refused() -> None:
    # 3-4-2 has 4*3 + 4 + 2*4 + 2 = 26 parameters.
    with refuses(zg.ArgumentValueError, "directions", expected=26, received=27):
        zg.check_gradients(dense(), X, Y, directions=27)
    zg.check_gradients(dense(), X, Y, directions=26)  # as many as there are: accepted


def test_weight_penalty_checks_the_parameters_too() -> None:
    net = dense()
    net.W[2] = np.ones((2, 4), dtype=np.float32)
    with refuses(zg.ArgumentTypeError, "W[2]"):
        net.weight_penalty(0.1)
    net = dense()
    net.W[2][0, 0] = np.inf
    with refuses(zg.NonFiniteError, "W[2]", index=(0, 0)):
        net.weight_penalty(0.1)


def test_a_nan_recurrent_weight_is_named_even_for_a_single_step() -> None:
    # With one step the state before it is 0, but 0 * NaN is NaN: z[1] is not finite.
    net = zg.RecurrentNetwork.random([2, 3, 1], seed=0)
    net.U[1][1, 1] = np.nan
    with refuses(zg.NonFiniteError, "U[1]", index=(1, 1)):
        zg.gradients(net, np.ones((1, 2)), [0.0])


# Non-finite forward passes -----------------------------------------------------------


def overflowing() -> dict[str, tuple[zg.Model, np.ndarray, np.ndarray]]:
    """Finite parameters whose forward pass overflows in layer 2: 1e200 * 1e200 * ..."""
    return {
        "dense": (
            zg.Network(W=[[[1e200]], [[1e200]]], b=[[0.0], [0.0]], activations="identity"),
            np.array([1.0]),
            np.array([0.0]),
        ),
        "conv": (
            zg.ConvNetwork(
                W=[[[[1e200]]], [[1e200]]], b=[[0.0], [0.0]], activations="identity", length=1
            ),
            np.ones((1, 1)),
            np.zeros(1),
        ),
        "recurrent": (
            zg.RecurrentNetwork(
                W=[[[1e200]], [[1e200]]], U=[[0.0]], b=[[0.0], [0.0]], activations="identity"
            ),
            np.ones((1, 1)),
            np.zeros(1),
        ),
    }


@pytest.mark.parametrize("model", ["dense", "conv", "recurrent"])
@pytest.mark.parametrize("call", list(CALLS))
def test_an_overflowing_forward_pass_names_the_layer_where_it_started(
    model: str, call: str
) -> None:
    net, x, y = overflowing()[model]
    calls: dict[str, Callable[[], object]] = {
        "forward": lambda: net.forward(x),
        "loss": lambda: net.loss(x, y),
        "gradients": lambda: zg.gradients(net, x, y),
        "gradient_norms": lambda: zg.gradient_norms(net, x, y),
        "numerical_gradients": lambda: zg.numerical_gradients(net, x, y),
        "check_gradients": lambda: zg.check_gradients(net, x, y),
    }
    with refuses(zg.NonFiniteError, "z[2]", received="inf") as info:
        calls[call]()
    assert "overflowed" in str(info.value)


def test_the_convolution_of_the_issue_overflows_clearly() -> None:
    # A ConvNetwork whose forward pass overflows used to return NaN gradients and loss.
    net = zg.ConvNetwork(
        W=[np.full((2, 1, 2), 1e200), np.full((1, 2, 1), -1e200)],
        b=[np.zeros(2), np.zeros(1)],
        activations="identity",
        length=3,
    )
    with refuses(zg.NonFiniteError, "z[2]"):
        zg.gradients(net, np.ones((1, 3)), np.zeros((1, 2)))


@pytest.mark.parametrize("reduction", ["sum", "none"])
def test_a_loss_or_a_backward_pass_that_overflows_is_refused(reduction: str) -> None:
    # The forward pass is finite (z[2] = 1e300), its square is not, and neither is
    # dL/dW[2] = (x2 - y) x1 = 1e300 * 1e200.
    net = zg.Network(W=[[[1e200]], [[1e100]]], b=[[0.0], [0.0]], activations="identity")
    x, y = np.ones((2, 1)), np.zeros((2, 1))
    with refuses(zg.NonFiniteError, "the loss"):
        net.loss(x, y, reduction=reduction)
    # delta^(1) = W[2] delta^(2) = 1e100 * 1e300 is beyond float64: named before the
    # gradients formed from it
    with refuses(zg.NonFiniteError, "the gradient z[1]"):
        zg.gradients(net, x, y, reduction=reduction)


def test_huge_but_representable_gradients_are_returned() -> None:
    # |delta| |x| = 1e160 * 1e160 overflows, yet every gradient entry is 1e160 or less:
    # the cheap bound fails and the exact check lets the result through.
    net = zg.Network(W=[[[1.0]]], b=[[0.0]], activations="identity")
    g = zg.gradients(net, np.array([[1e160], [0.0]]), np.array([[1e160 + 1.0], [-1e160]]))
    assert np.all(np.isfinite(g.W[1]))
    assert g.b[1][0] == pytest.approx(1e160 - 1.0, rel=1e-12)


# Large logits, targets, numpy integers ---------------------------------------------------


def test_softmax_cross_entropy_keeps_its_precision_at_large_logits() -> None:
    net = zg.Network(W=[[[1e16], [1e16], [1e16]]], b=[[0.0, 0.0, 0.0]], activations="identity")
    value = net.loss([1.0], [1.0, 0.0, 0.0], loss="softmax_cross_entropy")
    assert value == pytest.approx(math.log(3.0), rel=1e-15)


def test_float32_and_bool_targets_are_accepted_where_they_are_valid() -> None:
    net = zg.Network.random([3, 4, 3], ["tanh", "identity"], seed=0)
    x = np.random.default_rng(0).normal(size=(6, 3))
    rows = np.random.default_rng(1).dirichlet(np.ones(3), size=6)
    # float32 rows sum to 1 only within float32's rounding, and are checked at that precision.
    zg.check_gradients(net, x, rows.astype(np.float32), loss="softmax_cross_entropy")
    one_hot = np.eye(3, dtype=bool)[[0, 2, 1, 1, 0, 2]]
    np.testing.assert_array_equal(
        zg.gradients(net, x, one_hot, loss="softmax_cross_entropy").W[2],
        zg.gradients(net, x, one_hot.astype(float), loss="softmax_cross_entropy").W[2],
    )
    # The same numbers as float64 claim float64's precision, which they miss.
    with refuses(zg.ArgumentValueError, "y", expected=1.0):
        zg.gradients(net, x, rows.astype(np.float32).astype(float), loss="softmax_cross_entropy")


def test_numpy_integers_serve_wherever_an_int_does() -> None:
    net = zg.Network.random(np.array([3, 4, 2]), "tanh", seed=np.uint16(1))  # type: ignore[arg-type]
    assert net.f(np.int64(2)).name == "tanh"
    zg.check_gradients(net, X, Y, directions=np.int32(2), seed=np.int64(4))
    assert zg.Layered([np.zeros(1)], first=np.int8(1))[np.int64(1)].shape == (1,)


@pytest.mark.parametrize("name", list(zg.ACTIVATIONS))
@pytest.mark.parametrize("z", [np.float64(0.3), np.array(-0.7)])
def test_a_derivative_keeps_a_scalar_shape(name: str, z: Any) -> None:
    activation = zg.get_activation(name)
    h = 1e-6
    slope = activation.df(z)
    assert np.shape(slope) == np.shape(activation.f(z)) == ()
    point = np.asarray(z, dtype=float)
    estimate = (activation.f(point + h) - activation.f(point - h)) / (2 * h)
    assert float(slope) == pytest.approx(float(estimate), rel=1e-6)


# Memory --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "argument"),
    [
        (lambda: zg.Network.random([1, 4 * 10**8, 1], "tanh"), "sizes"),
        (
            lambda: zg.ConvNetwork.random((1, 10**6), [(4 * 10**8, 1)]),
            "input_shape, conv and dense",
        ),
        (lambda: zg.RecurrentNetwork.random([1, 4 * 10**8, 1]), "sizes"),
    ],
    ids=["dense", "conv", "recurrent"],
)
def test_random_networks_larger_than_the_memory_are_refused(
    make: Callable[[], zg.Model], argument: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whatever this machine has, pretend 1 GiB is available: 4e8 widths need gigabytes.
    monkeypatch.setattr(_checks, "available_memory", lambda: 2**30)
    with refuses(zg.ArgumentValueError, argument, expected=2**30) as info:
        make()
    assert info.value.received > 2**30  # type: ignore[operator]


def test_absurd_sizes_are_refused_on_any_machine() -> None:
    with refuses(zg.ArgumentValueError, "sizes") as info:
        zg.Network.random([1, 10**12, 1], "tanh")
    # W[1], b[1] and W[2] of 1e12 entries each, 8 bytes, counted twice (drawn, then copied).
    assert "48,000,000,000,016 bytes" in str(info.value)


def test_per_sample_gradients_larger_than_the_memory_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    net = zg.Network.random([100, 1000, 10], "tanh")  # 111,010 parameters
    x, y = np.zeros((100, 100)), np.zeros((100, 10))
    monkeypatch.setattr(_checks, "available_memory", lambda: 2**26)
    need = 8 * 100 * 111_010  # 88.8 MB for the per-sample gradients
    with refuses(zg.ArgumentValueError, "x", expected=2**26, received=need):
        zg.gradients(net, x, y, reduction="none")
    zg.gradients(net, x, y)  # summed: a few hundred kB


def test_without_a_reading_of_the_memory_nothing_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_checks, "available_memory", lambda: None)
    _checks.check_memory(10**15, "sizes", "parameters")  # cannot tell, so it does not refuse


def test_beyond_what_numpy_can_hold_is_refused_without_a_reading(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_checks, "available_memory", lambda: None)
    largest = np.iinfo(np.intp).max
    _checks.check_memory(largest, "sizes", "parameters")  # numpy's own limit: not refused here
    with refuses(zg.ArgumentValueError, "sizes", expected=largest, received=largest + 1) as info:
        _checks.check_memory(largest + 1, "sizes", "parameters")
    assert str(info.value) == (
        f"sizes must give arrays numpy can hold (at most {largest:,} bytes); "
        f"got parameters needing {largest + 1:,} bytes"
    )
    with refuses(zg.ArgumentValueError, "sizes"):
        zg.Network.random([1, 2**62, 1], "tanh")


def test_a_gradient_that_overflows_in_a_middle_layer_is_refused() -> None:
    # x^(1) = 1e250 and delta^(2) = 1e100 are finite, and so is the forward pass
    # (z^(2) = 1, z^(3) = 1e50), but dL/dW^(2) = delta^(2) x^(1) = 1e350 is not. The last
    # layer's input, x^(2) = 1, and every delta are small: only x^(1) shows the overflow.
    net = zg.Network([[[1e250]], [[1e-250]], [[1e50]]], [[0.0]] * 3, "identity")
    with refuses(zg.NonFiniteError, "the gradient W[2]", received="inf"):
        zg.gradients(net, [1.0], [0.0])


def test_the_smallest_step_is_accepted() -> None:
    # Every |parameter| and |raw activation| is below 1 here, so the smallest step allowed
    # is float64's epsilon itself.
    net = zg.Network([[[0.5]]], [[0.25]], "tanh")
    zg.numerical_gradients(net, [0.5], [0.0], step=float(np.finfo(np.float64).eps))
    with refuses(zg.ArgumentValueError, "step"):
        zg.numerical_gradients(net, [0.5], [0.0], step=float(np.finfo(np.float64).eps) / 2)


def test_a_gradient_that_overflows_through_a_large_output_error_is_refused() -> None:
    # delta^(2) = 1e200 (from b^(2)) and x^(1) = 1e120 (from b^(1)): dL/dW^(2) = 1e320. The
    # other delta, delta^(1) = W^(2) delta^(2) = 1, and the inputs' squares are finite:
    # only delta^(2) shows the overflow.
    net = zg.Network([[[1.0]], [[1e-200]]], [[1e120], [1e200]], "identity")
    with refuses(zg.NonFiniteError, "the gradient W[2]", received="inf"):
        zg.gradients(net, [1.0], [0.0])


def test_weights_whose_squares_overflow_need_no_penalty_without_weight_decay() -> None:
    heavy = zg.Network([[[1e200]], [[1e-200]]], [[0.0], [0.0]], "identity")  # |W|^2 = inf
    assert heavy.loss([1.0], [0.0]) == 0.5
    with refuses(zg.NonFiniteError, "the weight penalty"):
        heavy.loss([1.0], [0.0], weight_decay=0.5)


def test_zero_tolerances_are_accepted() -> None:
    net = zg.Network.random([2, 3, 1], "tanh", seed=3)
    zg.check_gradients(net, [0.5, -0.2], [0.1], rtol=0.0, atol=1e-6)


def test_the_memory_limits_are_inclusive(monkeypatch: pytest.MonkeyPatch) -> None:
    # A request of MEMORY_CHECKED_ABOVE bytes is not compared with the memory (the limit is
    # "above"), and a request of exactly the available memory fits.
    threshold = _checks.MEMORY_CHECKED_ABOVE
    monkeypatch.setattr(_checks, "available_memory", lambda: 0)
    _checks.check_memory(threshold, "sizes", "parameters")
    with refuses(zg.ArgumentValueError, "sizes", expected=0, received=threshold + 1):
        _checks.check_memory(threshold + 1, "sizes", "parameters")
    monkeypatch.setattr(_checks, "available_memory", lambda: 2**30)
    _checks.check_memory(2**30, "sizes", "parameters")
    with refuses(zg.ArgumentValueError, "sizes", expected=2**30, received=2**30 + 1):
        _checks.check_memory(2**30 + 1, "sizes", "parameters")


def test_the_available_memory_is_read() -> None:
    available = _checks.available_memory()
    assert available is None or available > 0


MEMINFO = "MemTotal:        8000000 kB\nMemFree:          100000 kB\nMemAvailable:    3000000 kB\n"


class FakeProc:
    """``pathlib.Path`` on a system whose /proc/meminfo is MEMINFO, or that has no /proc."""

    def __init__(self, path: str, meminfo: str | None) -> None:
        self.path, self.meminfo = path, meminfo

    def read_text(self, **_encoding: object) -> str:
        if self.path != "/proc/meminfo" or self.meminfo is None:
            raise FileNotFoundError(self.path)
        return self.meminfo


def fake_sysconf(name: object) -> int:
    """``os.sysconf`` of a system with 1000 free pages of 4096 bytes: names are case-sensitive."""
    if not isinstance(name, str | int):
        msg = "configuration names must be strings or integers"
        raise TypeError(msg)
    values = {"SC_AVPHYS_PAGES": 1000, "SC_PAGE_SIZE": 4096}
    if name not in values:
        msg = "unrecognized configuration name"
        raise ValueError(msg)
    return values[name]


@pytest.mark.parametrize(
    ("meminfo", "sysconf", "available"),
    [
        (MEMINFO, fake_sysconf, 3000000 * 1024),  # Linux: MemAvailable, counted in kiB
        (None, fake_sysconf, 1000 * 4096),  # no /proc: the free pages times the page size
        (None, None, None),  # neither: no reading, so nothing is refused
    ],
)
def test_the_available_memory_is_read_from_the_system(
    monkeypatch: pytest.MonkeyPatch, meminfo: str | None, sysconf: Any, available: int | None
) -> None:
    monkeypatch.setattr(_checks, "Path", lambda path: FakeProc(path, meminfo))
    system = types.SimpleNamespace() if sysconf is None else types.SimpleNamespace(sysconf=sysconf)
    monkeypatch.setattr(_checks, "os", system)
    assert _checks.available_memory() == available


# Layered ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arrays", "first", "argument"),
    [(None, 1, "arrays"), (3, 1, "arrays"), ("ab", 1, "arrays"), ({1: np.zeros(1)}, 1, "arrays"),
     ([np.zeros(1)], 1.0, "first"), ([np.zeros(1)], -1, "first"), ([np.zeros(1)], True, "first")],
)  # fmt: skip
def test_layered_checks_its_arguments(arrays: Any, first: Any, argument: str) -> None:
    with pytest.raises(zg.ArgumentError) as info:
        zg.Layered(arrays, first=first)
    assert info.value.argument == argument


@pytest.mark.parametrize("model", ["dense", "conv", "recurrent"])
def test_an_overflow_reaching_a_flat_unit_gives_it_a_zero_delta(model: str) -> None:
    # A relu unit that is off (z = -1) under an output weight of 1e300: W^T delta is inf
    # there, and inf times relu's slope 0 would be NaN where the real delta is 0. Every
    # real gradient is finite: delta^(1) = (0, 1e10), so dL/dW[1] = delta^(1) x^T.
    error = 1e10
    if model == "dense":
        net: zg.Model = zg.Network(
            W=[[[-1.0], [1.0]], [[1e300, 1.0]]], b=[[0.0, 0.0], [0.0]], activations="relu"
        )
        x: Any = [1.0]
    elif model == "conv":
        net = zg.ConvNetwork(
            W=[[[[-1.0]], [[1.0]]], [[[1e300], [1.0]]]],
            b=[[0.0, 0.0], [0.0]],
            activations="relu",
            length=1,
        )
        x = [[1.0]]
    else:
        net = zg.RecurrentNetwork(
            W=[[[-1.0], [1.0]], [[1e300, 1.0]]],
            U=[[0.0, 0.0], [0.0, 0.0]],
            b=[[0.0, 0.0], [0.0]],
            activations=["relu", "identity"],
            output="every",
        )
        x = [[1.0]]
    y = np.asarray(net.forward(x).x[net.K]) - error
    with np.errstate(all="raise"):  # no warning escapes, as everywhere
        g = zg.gradients(net, x, y, loss="squared_error", reduction="sum", weight_decay=0.0)
    assert np.array_equal(g.W[1].ravel(), [0.0, error])
    assert np.array_equal(g.b[1].ravel(), [0.0, error])
    norms = zg.gradient_norms(net, x, y)
    assert norms.W[1] == error


def test_an_error_beyond_float64_through_time_is_named_where_it_began() -> None:
    # U = 10 carries delta^(1) back through 330 steps: the real delta at the early steps
    # is beyond float64 (about 1e330), while dL/dW[1], which meets those steps only
    # through inputs of 1e-300 and 0, is about 1e56. The delta is named, with inf, not
    # W[1] with a NaN (inf times an input of 0).
    net = zg.RecurrentNetwork(
        W=[[[1.0]], [[1.0]]], U=[[10.0]], b=[[0.0], [0.0]],
        activations=["relu", "identity"], output="every",
    )  # fmt: skip
    steps = 330
    x = np.zeros((steps, 1))
    x[0, 0], x[1, 0] = -1.0, 1e-300
    y = np.ones((steps, 1))
    assert math.isfinite(net.loss(x, y)), "the forward pass and the loss are finite"
    # step 0's unit is off (z = -1): its delta is 0, and the first inf is at step 1
    message = r"^the gradient z\[1\] must be finite; got inf at index \(1, 0\): the values"
    with pytest.raises(zg.NonFiniteError, match=message):
        zg.gradients(net, x, y, loss="squared_error", reduction="sum", weight_decay=0.0)


@pytest.mark.parametrize("model", ["dense", "conv", "recurrent"])
@pytest.mark.parametrize(
    ("hidden", "bias", "weight"), [("sigmoid", -747.0, 1e300), ("tanh", 20.0, 1e160)]
)
def test_an_overflow_reaching_a_slope_that_underflowed_is_refused(
    model: str, hidden: str, bias: float, weight: float
) -> None:
    # sigmoid'(-747) is 3.8e-325 in reals and 0.0 in float64, tanh'(20) 1.7e-17 in reals
    # and 0.0 in float64 too: times the error 1e150 carried by the weight (inf in
    # float64), the real delta^(1) is finite and not 0 (3.8e125, 1.7e293). A zero delta
    # would be a silent wrong answer; the overflow is reported.
    if model == "dense":
        net: zg.Model = zg.Network(
            W=[[[1.0]], [[weight]]], b=[[bias], [0.0]], activations=[hidden, "identity"]
        )
        x: Any = [0.0]
    elif model == "conv":
        net = zg.ConvNetwork(
            W=[[[[1.0]]], [[[weight]]]], b=[[bias], [0.0]], activations=[hidden, "identity"],
            length=1,
        )  # fmt: skip
        x = [[0.0]]
    else:
        net = zg.RecurrentNetwork(
            W=[[[1.0]], [[weight]]], U=[[0.0]], b=[[bias], [0.0]],
            activations=[hidden, "identity"], output="every",
        )  # fmt: skip
        x = [[0.0]]
    assert net.f(1).df(np.array([bias])).tolist() == [0.0], "the slope underflows"
    y = np.asarray(net.forward(x).x[net.K]) - 1e150
    with pytest.raises(zg.NonFiniteError, match=r"^the gradient z\[1\] must be finite"):
        zg.gradients(net, x, y, loss="squared_error", reduction="sum", weight_decay=0.0)
    with pytest.raises(zg.NonFiniteError, match=r"^the gradient norm "):
        zg.gradient_norms(net, x, y)
