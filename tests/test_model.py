"""Model, the engine every network uses: its public methods called directly.

``zerograd.gradients``, ``numerical_gradients`` and ``check_gradients`` pass every
option to these methods; here the methods' own defaults and checks are tested, and
the targets and constructor lists the models share.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
from contracts import refuses

import zerograd as zg

FloatArray = npt.NDArray[np.float64]

# One convolution of width 2 on a length-3 input, tanh: two outputs per sample.
CONV_NET = zg.ConvNetwork(W=[[[[0.5, -1.0]]]], b=[[0.25]], activations="tanh", length=3)
CONV_X = np.array([[[1.0, 2.0, -1.0]], [[0.5, -0.5, 2.0]]])
CONV_Y = np.array([[[0.5, -0.5]], [[0.0, 1.0]]])

# identity, W1 = 1, U = 0.5, W2 = 1, read at the last step: the state of [[2], [1], [0]]
# is h_t = x_t + h_{t-1}/2 = 2, 2, 1, so the output is 1; for [[0], [0], [4]] it is 4.
RNN_NET = zg.RecurrentNetwork(
    W=[[[1.0]], [[1.0]]], U=[[0.5]], b=[[0.0], [0.0]], activations="identity"
)
RNN_X = np.array([[[2.0], [1.0], [0.0]], [[0.0], [0.0], [4.0]]])
RNN_Y = np.array([[0.0], [1.0]])

# A 2-1-1 network, tanh then identity.
DENSE_NET = zg.Network(
    W=[[[1.0, -1.0]], [[2.0]]], b=[[0.0], [0.5]], activations=["tanh", "identity"]
)
DENSE_X = np.array([[1.0, 0.5], [-1.0, 2.0]])
DENSE_Y = np.array([[0.0], [1.0]])

MODELS: dict[str, tuple[zg.Model, FloatArray, FloatArray]] = {
    "dense": (DENSE_NET, DENSE_X, DENSE_Y),
    "conv": (CONV_NET, CONV_X, CONV_Y),
    "recurrent": (RNN_NET, RNN_X, RNN_Y),
}


def assert_same_gradients(got: zg.Gradients, want: zg.Gradients) -> None:
    assert [name for name, _ in got.arrays()] == [name for name, _ in want.arrays()]
    for (name, a), (_, b) in zip(got.arrays(), want.arrays(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)
    for k in want.z:
        np.testing.assert_array_equal(got.z[k], want.z[k], err_msg=f"z[{k}]")


@pytest.mark.parametrize("model", list(MODELS))
def test_method_defaults_are_squared_error_sum_and_no_decay(model: str) -> None:
    net, x, y = MODELS[model]
    loss, reduction, decay = "squared_error", "sum", 0.0
    assert_same_gradients(
        net.gradients(x, y),
        zg.gradients(net, x, y, loss=loss, reduction=reduction, weight_decay=decay),
    )
    assert_same_gradients(
        net.numerical_gradients(x, y),
        zg.numerical_gradients(
            net, x, y, loss=loss, reduction=reduction, weight_decay=decay, step=1e-6
        ),
    )
    assert net.loss(x, y) == net.loss(x, y, loss=loss, reduction=reduction, weight_decay=decay)


@pytest.mark.parametrize("step", [0.0, -1e-6, math.nan, math.inf, 1e-300, 1e-17])
@pytest.mark.parametrize("model", list(MODELS))
def test_numerical_gradients_method_needs_a_step_that_moves_every_entry(
    model: str, step: float
) -> None:
    net, x, y = MODELS[model]
    with refuses(zg.ArgumentValueError, "step", received=step) as info:
        net.numerical_gradients(x, y, step=step)
    # The smallest step allowed: float64's epsilon times the largest |entry| moved, or 1.
    trace = net.forward(x)
    moved = [
        *(a for layered in net.parameters.values() for a in layered.values()),
        *trace.z.values(),
    ]
    largest = max(1.0, *(float(np.abs(a).max()) for a in moved))
    assert info.value.expected == np.finfo(float).eps * largest
    with refuses(zg.ArgumentTypeError, "step", received=True):
        net.numerical_gradients(x, y, step=True)


def test_numerical_gradients_use_the_step_given() -> None:
    # A step of 0.5 is far too large for tanh, so the estimate is visibly the
    # central difference with that step, not with the default one.
    step = 0.5
    x, y = CONV_X[0], CONV_Y[0]
    kernel = np.array([[[0.5, -1.0]]])

    def loss_with_first_weight(w: float) -> float:
        moved = kernel.copy()
        moved[0, 0, 0] = w
        net = zg.ConvNetwork(W=[moved], b=[[0.25]], activations="tanh", length=3)
        return float(net.loss(x, y))

    by_definition = (loss_with_first_weight(0.5 + step) - loss_with_first_weight(0.5 - step)) / (
        2 * step
    )
    estimate = zg.numerical_gradients(CONV_NET, x, y, step=step).W[1][0, 0, 0]
    assert estimate == pytest.approx(by_definition, rel=1e-12)
    exact = zg.gradients(CONV_NET, x, y).W[1][0, 0, 0]
    assert abs(by_definition - exact) > 1e-3, "the step must matter for this check to mean anything"


def test_one_unit_output_takes_a_scalar_or_a_flat_batch_of_targets() -> None:
    # Outputs 1 and 4 (see RNN_NET): losses (1 - 0)^2 / 2 = 0.5 and (4 - 1)^2 / 2 = 4.5.
    assert RNN_NET.loss(RNN_X[0], 0.0) == 0.5
    assert RNN_NET.loss(RNN_X[0], [0.0]) == 0.5
    np.testing.assert_array_equal(RNN_NET.loss(RNN_X, [0.0, 1.0], reduction="none"), [0.5, 4.5])
    np.testing.assert_array_equal(RNN_NET.loss(RNN_X, RNN_Y, reduction="none"), [0.5, 4.5])
    assert_same_gradients(
        zg.gradients(RNN_NET, RNN_X[0], 0.0), zg.gradients(RNN_NET, RNN_X[0], [0.0])
    )


@pytest.mark.parametrize(
    ("model", "x", "y", "expected", "received"),
    [
        ("recurrent", RNN_X[0], [0.0, 1.0], (1,), (2,)),
        ("recurrent", RNN_X, [0.0, 1.0, 2.0], (2, 1), (3,)),
        ("recurrent", RNN_X, 0.0, (2, 1), ()),
        # Only a one-unit output drops its last axis: the conv output has shape (1, 2).
        ("conv", CONV_X[0], [0.5], (1, 2), (1,)),
        ("conv", CONV_X[0], 0.5, (1, 2), ()),
        ("conv", CONV_X, [[0.5], [0.0]], (2, 1, 2), (2, 1)),
    ],
)
def test_targets_of_the_wrong_shape_are_refused(
    model: str, x: npt.ArrayLike, y: npt.ArrayLike, expected: object, received: object
) -> None:
    net = MODELS[model][0]
    with refuses(zg.ArgumentValueError, "y", expected=expected, received=received):
        net.loss(x, y)


@pytest.mark.parametrize("model", list(MODELS))
def test_non_finite_targets_are_named_y_at_their_own_index(model: str) -> None:
    net, x, y = MODELS[model]
    bad = np.array(y, dtype=float)
    bad.flat[1] = np.nan  # the second entry in C order
    index = tuple(int(i) for i in np.unravel_index(1, bad.shape))
    with refuses(zg.NonFiniteError, "y", index=index):
        net.gradients(x, bad)


KERNEL, DENSE = np.ones((1, 1, 2)), np.ones((1, 2))


@pytest.mark.parametrize(
    ("W", "b", "activations", "kind", "argument", "received"),
    [
        ([KERNEL, DENSE], [[0.0], [np.nan]], "tanh", zg.NonFiniteError, "b[2]", "NaN"),
        ([KERNEL, DENSE], [[np.inf], [0.0]], "tanh", zg.NonFiniteError, "b[1]", "inf"),
        ([KERNEL, DENSE], [[0.0]], "tanh", zg.ArgumentValueError, "b", 1),
        ([KERNEL], [[0.0], [0.0]], "tanh", zg.ArgumentValueError, "b", 2),
        ([KERNEL, DENSE], [[0.0], [0.0]], ["tanh"] * 3, zg.ArgumentValueError, "activations", 3),
        ([], [], "tanh", zg.ArgumentValueError, "W", 0),
        (None, [[0.0]], "tanh", zg.ArgumentTypeError, "W", None),
        ([KERNEL], 0.0, "tanh", zg.ArgumentTypeError, "b", 0.0),
        ([KERNEL], [[0.0]], None, zg.ArgumentTypeError, "activations", None),
        ([KERNEL], [[0.0]], [None], zg.ArgumentTypeError, "activations[0]", None),
    ],
)
def test_constructor_lists_are_checked_layer_by_layer(
    W: object,
    b: object,
    activations: object,
    kind: type[zg.ArgumentError],
    argument: str,
    received: object,
) -> None:
    with refuses(kind, argument, received=received):
        zg.ConvNetwork(W=W, b=b, activations=activations, length=3)  # type: ignore[arg-type]


def test_recurrent_biases_are_named_by_layer() -> None:
    with refuses(zg.NonFiniteError, "b[2]", index=(0,)):
        zg.RecurrentNetwork(
            W=[[[1.0]], [[1.0]]], U=[[0.5]], b=[[0.0], [np.nan]], activations="identity"
        )
