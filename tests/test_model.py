"""LayeredModel, the base of ConvNetwork and RecurrentNetwork: its public methods called directly.

``zerograd.gradients`` and ``zerograd.numerical_gradients`` pass every option
to these methods; here the methods' own defaults and checks are tested, and
the targets and constructor lists the two models share.
"""

from __future__ import annotations

import math
import re

import numpy as np
import numpy.typing as npt
import pytest

import zerograd as zg
from zerograd.model import LayeredModel

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

MODELS: dict[str, tuple[LayeredModel, FloatArray, FloatArray]] = {
    "conv": (CONV_NET, CONV_X, CONV_Y),
    "recurrent": (RNN_NET, RNN_X, RNN_Y),
}


def whole(message: str) -> str:
    """A regular expression matching exactly ``message``."""
    return f"^{re.escape(message)}$"


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


@pytest.mark.parametrize("step", [0.0, -1e-6, math.nan, math.inf])
@pytest.mark.parametrize("model", list(MODELS))
def test_numerical_gradients_method_needs_a_positive_finite_step(model: str, step: float) -> None:
    net, x, y = MODELS[model]
    with pytest.raises(
        ValueError, match=whole(f"step must be a positive finite number; got {step!r}")
    ):
        net.numerical_gradients(x, y, step=step)


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
    ("model", "x", "y", "message"),
    [
        ("recurrent", RNN_X[0], [0.0, 1.0], "y for one sample must have shape (1,); got shape (2,)"),
        ("recurrent", RNN_X, [0.0, 1.0, 2.0], "y for a batch of 2 must have shape (2, 1); got shape (3,)"),
        ("recurrent", RNN_X, 0.0, "y for a batch of 2 must have shape (2, 1); got shape ()"),
        # Only a one-unit output drops its last axis: the conv output has shape (1, 2).
        ("conv", CONV_X[0], [0.5], "y for one sample must have shape (1, 2); got shape (1,)"),
        ("conv", CONV_X[0], 0.5, "y for one sample must have shape (1, 2); got shape ()"),
        ("conv", CONV_X, [[0.5], [0.0]], "y for a batch of 2 must have shape (2, 1, 2); got shape (2, 1)"),
    ],
)  # fmt: skip
def test_targets_of_the_wrong_shape_are_refused(
    model: str, x: npt.ArrayLike, y: npt.ArrayLike, message: str
) -> None:
    net = MODELS[model][0]
    with pytest.raises(ValueError, match=whole(message)):
        net.loss(x, y)


@pytest.mark.parametrize(("model", "index"), [("conv", "(0, 0, 1)"), ("recurrent", "(1, 0)")])
def test_non_finite_targets_are_named_y(model: str, index: str) -> None:
    net, x, y = MODELS[model]
    bad = np.array(y, dtype=float)
    bad.flat[1] = np.nan  # the second entry in C order
    with pytest.raises(ValueError, match=whole(f"y must be finite; got NaN at index {index}")):
        net.gradients(x, bad)


KERNEL, DENSE = np.ones((1, 1, 2)), np.ones((1, 2))


@pytest.mark.parametrize(
    ("W", "b", "activations", "message"),
    [
        ([KERNEL, DENSE], [[0.0], [np.nan]], "tanh", "b[2] must be finite; got NaN at index (0,)"),
        ([KERNEL, DENSE], [[np.inf], [0.0]], "tanh", "b[1] must be finite; got inf at index (0,)"),
        ([KERNEL, DENSE], [[0.0]], "tanh", "expected one bias vector per layer (2); got 1"),
        ([KERNEL], [[0.0], [0.0]], "tanh", "expected one bias vector per layer (1); got 2"),
        ([KERNEL, DENSE], [[0.0], [0.0]], ["tanh"] * 3, "expected one activation per layer (2); got 3"),
        ([], [], "tanh", "a ConvNetwork needs at least one layer; got W with 0 arrays"),
    ],
)  # fmt: skip
def test_constructor_lists_are_checked_layer_by_layer(
    W: list[FloatArray], b: list[list[float]], activations: str | list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=whole(message)):
        zg.ConvNetwork(W=W, b=b, activations=activations, length=3)


def test_recurrent_biases_are_named_by_layer() -> None:
    with pytest.raises(ValueError, match=whole("b[2] must be finite; got NaN at index (0,)")):
        zg.RecurrentNetwork(
            W=[[[1.0]], [[1.0]]], U=[[0.5]], b=[[0.0], [np.nan]], activations="identity"
        )


@pytest.mark.parametrize("model", list(MODELS))
def test_prepare_batch_gives_one_sample_a_batch_axis_and_the_sum(model: str) -> None:
    # Batch documents reduction "sum" for one sample, where sum, mean and none agree.
    net, x, y = MODELS[model]
    batch = net.prepare_batch(x[0], y[0], "squared_error", "mean")
    assert batch.single
    assert batch.reduction == "sum"
    assert batch.inputs.shape == (1, *np.shape(x[0]))
    as_batch = net.prepare_batch(x, y, "squared_error", "mean")
    assert not as_batch.single
    assert as_batch.reduction == "mean"
