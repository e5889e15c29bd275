"""The exact wording of each message template, pinned once.

Every other error test pins the contract (class, argument, expected, received); here one
instance of each template is matched whole, so that a change of wording is a decision.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from contracts import refuses
from gradient_cases import add_activation

import zerograd as zg
from zerograd import _checks
from zerograd.activations import Activation
from zerograd.examples import (
    Example,
    cancelling_batch,
    steepest_zero,
    worked_example,
    zero_output_bias_batch,
    zeros_of,
)
from zerograd.rational import exact_forward, fractions_of

NET = zg.Network.random([3, 4, 2], ["tanh", "identity"], seed=7)
X, Y = np.zeros((5, 3)), np.zeros((5, 2))
SIGMOID = zg.Network(W=[[[1.0]]], b=[[0.0]], activations="sigmoid")
TWICE = zg.Network(W=[[[2.0]]], b=[[0.0]], activations="identity")  # z = 2 x


def changed_weight() -> zg.Network:
    net = zg.Network.random([3, 4, 2], ["tanh", "identity"], seed=7)
    net.W[1] = np.ones((4, 3), dtype=np.int64)
    return net


def changed(value: Any) -> Callable[[], object]:
    def call() -> object:
        net = zg.Network.random([3, 4, 2], ["tanh", "identity"], seed=7)
        net.W[1] = value
        return net.forward(X)

    return call


def without_zero() -> object:
    positive = Activation("positive", lambda z: 1.0 + z**2, lambda z: 2.0 * z, "1 + z^2")
    with pytest.MonkeyPatch.context() as patch:
        add_activation(patch, positive)
        return steepest_zero("positive")


RNN_W, RNN_U, RNN_B = [np.ones((2, 1)), np.ones((1, 2))], np.eye(2), [np.zeros(2), np.zeros(1)]


def with_memory(available: int, call: Callable[[], object]) -> Callable[[], object]:
    """``call``, made while the machine seems to have ``available`` bytes free."""

    def limited() -> object:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(_checks, "available_memory", lambda: available)
            return call()

    return limited


def huge(available: int) -> Callable[[], object]:
    """A 10-1e6-10 network drawn while the machine seems to have ``available`` bytes free."""
    return with_memory(available, lambda: zg.Network.random([10, 10**6, 10], "tanh"))


TEMPLATES: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    ("real numbers", lambda: NET.forward(["a", "b", "c"]), zg.ArgumentTypeError,
     "x must hold real numbers (integer or floating dtype); got dtype <U1"),
    ("masked", lambda: NET.forward(np.ma.masked_array(X)), zg.ArgumentTypeError,
     "x must be a plain array (a masked array's mask would be ignored); got a masked array"),
    ("ragged", lambda: NET.forward([[1.0], [1.0, 2.0]]), zg.ArgumentTypeError,
     "x must be a rectangular array of real numbers; got [[1.0], [1.0, 2.0]]"),
    ("finite", lambda: NET.forward([0.0, np.nan, 1.0]), zg.NonFiniteError,
     "x must be finite; got NaN at index (1,)"),
    # one sample: the index is into that sample's z[2], of shape (1,), not the batch's
    ("overflow", lambda: zg.Network([[[1e200]], [[1e200]]], [[0.0], [0.0]], "identity").forward([1.0]),
     zg.NonFiniteError,
     ("z[2] must be finite; got inf at index (0,): the values overflowed float64 in layer 2, "
      "whose parameters are finite (its sums included)")),
    ("overflow batch",
     lambda: zg.Network([[[1e200]], [[1e200]]], [[0.0], [0.0]], "identity").forward([[0.0], [1.0]]),
     zg.NonFiniteError,
     ("z[2] must be finite; got inf at index (1, 0): the values overflowed float64 in layer 2, "
      "whose parameters are finite (its sums included)")),
    ("input shape", lambda: NET.forward([1.0, 2.0]), zg.ArgumentValueError,
     ("x must have shape (3,) for one sample or (N, 3) for a batch, each named length at least 1; "
      "got shape (2,)")),
    ("target shape", lambda: NET.loss(X, Y[:4]), zg.ArgumentValueError,
     "y must have shape (5, 2) for a batch of 5; got shape (4, 2)"),
    ("one-output target shape",
     lambda: zg.Network([np.ones((1, 2))], [np.zeros(1)], "identity").loss(
         [[1.0, 2.0], [3.0, 4.0]], [1.0, 2.0, 3.0]),
     zg.ArgumentValueError,
     "y must have shape (2, 1) or (2,) for a batch of 2; got shape (3,)"),
    ("one-output target shape, one sample",
     lambda: zg.Network([np.ones((1, 2))], [np.zeros(1)], "identity").loss([1.0, 2.0], [1.0, 2.0]),
     zg.ArgumentValueError,
     "y must have shape (1,) or () for one sample; got shape (2,)"),
    ("parameter shape", lambda: zg.Network([np.ones((4, 3))], [np.zeros(3)], "tanh"),
     zg.ArgumentValueError, "b[1] must have shape (4,); got shape (3,)"),
    ("choice", lambda: NET.loss(X, Y, loss="mse"), zg.ArgumentValueError,
     ("loss must be one of 'squared_error', 'binary_cross_entropy', 'softmax_cross_entropy'; "
      "got 'mse'")),
    ("choice type", lambda: NET.loss(X, Y, reduction=1), zg.ArgumentTypeError,  # type: ignore[arg-type]
     "reduction must be a name (str), one of 'sum', 'mean', 'none'; got int 1"),
    ("sequence", lambda: zg.Network(None, [np.zeros(1)], "tanh"), zg.ArgumentTypeError,  # type: ignore[arg-type]
     "W must be a sequence of arrays, one per layer; got NoneType None"),
    ("whole number", lambda: zg.ConvNetwork([np.ones((1, 1, 1))], [[0.0]], "tanh", length=2.0),  # type: ignore[arg-type]
     zg.ArgumentTypeError, "length must be a whole number (int); got float 2.0"),
    ("changed parameter", lambda: changed_weight().forward(X), zg.ArgumentTypeError,
     ("W[1] must be a float64 array (native byte order) of shape (4, 3), as when the model was built; "
      "got ndarray of dtype int64")),
    ("changed to no array", changed([[1.0] * 3] * 4), zg.ArgumentTypeError,
     "W[1] must be a float64 array (native byte order) of shape (4, 3), as when the model was built; got list"),
    ("changed shape", changed(np.ones((3, 4))), zg.ArgumentValueError,
     ("W[1] must be a float64 array (native byte order) of shape (4, 3), as when the model was built; "
      "got shape (3, 4)")),
    ("directions", lambda: zg.check_gradients(TWICE, [3.0], [0.0], directions=3),
     zg.ArgumentValueError,
     ("directions must be at most the number of parameters, 2 (as many cost as much as "
      "checking every entry, directions=None); got 3")),
    ("recurrent input weights", lambda: zg.RecurrentNetwork([np.ones(2), RNN_W[1]], RNN_U, RNN_B, "tanh"),
     zg.ArgumentValueError, "W[1] must be a non-empty matrix of shape (n_1, n_0); got shape (2,)"),
    ("recurrent readout", lambda: zg.RecurrentNetwork([RNN_W[0], np.ones((1, 3))], RNN_U, RNN_B, "tanh"),
     zg.ArgumentValueError,
     ("W[2] must have shape (n_2, 2) to read the state, whose width is the rows of W[1] of "
      "shape (2, 1); got shape (1, 3)")),
    ("recurrent state", lambda: zg.RecurrentNetwork(RNN_W, np.ones((3, 3)), RNN_B, "tanh"),
     zg.ArgumentValueError,
     ("U[1] must have shape (2, 2), the state's width n_1 = 2 being the rows of W[1] of shape "
      "(2, 1); got shape (3, 3)")),
    ("conv sequence", lambda: zg.ConvNetwork.random((1, 4), conv=3), zg.ArgumentTypeError,  # type: ignore[arg-type]
     "conv must be a sequence of (channels, width) pairs; got int 3"),
    ("no convolution", lambda: zg.ConvNetwork.random((1, 4), conv=[]), zg.ArgumentValueError,
     "conv must hold at least one (channels, width); got []"),
    ("random kernel too wide", lambda: zg.ConvNetwork.random((1, 4), conv=[(2, 3), (1, 3)]),
     zg.ArgumentValueError,
     "conv must have kernels no wider than their inputs: layer 2's input has length 2; got width 3"),
    ("first kernel", lambda: zg.ConvNetwork([np.ones((2, 3))], [np.zeros(2)], "tanh", length=4),
     zg.ArgumentValueError, "W[1] must be a convolution kernel of shape (C_1, C_0, w_1); got shape (2, 3)"),
    ("kernel channels", lambda: zg.ConvNetwork([np.ones((2, 1, 2)), np.ones((1, 3, 2))],
                                                [np.zeros(2), np.zeros(1)], "tanh", length=4),
     zg.ArgumentValueError,
     ("W[2] must have shape (C_2, 2, w_2) with positive sizes to read x[1] of shape (2, 3); "
      "got shape (1, 3, 2)")),
    ("conv kernel too wide", lambda: zg.ConvNetwork([np.ones((1, 1, 5))], [np.zeros(1)], "tanh", length=4),
     zg.ArgumentValueError, "W[1] must have a kernel no wider than its input x[0], of length 4; got width 5"),
    ("dense after conv", lambda: zg.ConvNetwork([np.ones((2, 1, 2)), np.ones((1, 5))],
                                                 [np.zeros(2), np.zeros(1)], "tanh", length=4),
     zg.ArgumentValueError,
     "W[2] must have shape (n_2, 6) to read x[1] of shape (2, 3) flattened; got shape (1, 5)"),
    ("conv after dense", lambda: zg.ConvNetwork([np.ones((2, 1, 2)), np.ones((1, 6)), np.ones((1, 1, 1))],
                                                 [np.zeros(2), np.zeros(1), np.zeros(1)], "tanh", length=4),
     zg.ArgumentValueError,
     ("W[3] must be a convolution kernel (3-D, only before any dense layer) or a dense matrix "
      "(2-D) to read x[2] of shape (1,); got shape (1, 1, 1)")),
    ("binary output", lambda: NET.loss(X, Y, loss="binary_cross_entropy"), zg.ArgumentValueError,
     "the output activation must be 'sigmoid' for binary_cross_entropy; got 'identity'"),
    ("binary target", lambda: SIGMOID.loss([0.0], [0.5], loss="binary_cross_entropy"),
     zg.ArgumentValueError, "y must hold 0 or 1 for binary_cross_entropy; got 0.5"),
    ("worked target", lambda: worked_example(target=[1.0, 2.0]), zg.ArgumentTypeError,  # type: ignore[arg-type]
     ("target must be a real number (an int, a float, a Fraction or a numpy number, read as "
      "float64); got list [1.0, 2.0]")),
    ("worked bias", lambda: worked_example(output_bias=float("inf")), zg.NonFiniteError,
     "output_bias must be finite; got inf"),
    ("activation entry", lambda: zg.Network([[[1.0]], [[1.0]]], [[0.0], [0.0]], ["relu", "Tanh"]),
     zg.ArgumentValueError,
     ("activations[1] must be one of 'identity', 'relu', 'leaky_relu', 'tanh', 'sigmoid', "
      "'softplus', 'silu'; got 'Tanh'")),
    ("output activation", lambda: worked_example(output_activation="ReLU"), zg.ArgumentValueError,
     ("output_activation must be one of 'identity', 'relu', 'leaky_relu', 'tanh', 'sigmoid', "
      "'softplus', 'silu'; got 'ReLU'")),
    ("hidden", lambda: cancelling_batch("gelu"), zg.ArgumentValueError,
     ("hidden must be one of 'identity', 'relu', 'leaky_relu', 'tanh', 'sigmoid', "
      "'softplus', 'silu'; got 'gelu'")),
    ("replace depth", lambda: NET.replace(W=[np.zeros((4, 3))]), zg.ArgumentValueError,
     "W must hold 2 arrays, one per layer of the network; got 1"),
    ("huge width", lambda: zg.Network.random([2**64, 1], "relu"), zg.ArgumentValueError,
     ("sizes must give arrays numpy can hold (at most 9,223,372,036,854,775,807 bytes); "
      "got parameters needing 295,147,905,179,352,825,872 bytes")),
    ("step too large", lambda: zg.numerical_gradients(TWICE, [3.0], [0.0], step=1e300),
     zg.ArgumentValueError,
     ("step must be small enough that the moved parameters and raw activations keep the "
      "objective finite (where no step large enough to move every entry does, the values "
      "are too large for central differences in float64: scale x, y or the parameters down); "
      "got 1e+300 (the loss must be finite; got inf: the values overflowed float64)")),
    ("example net", lambda: Example(None, np.ones(2), np.ones(1)).prediction(),  # type: ignore[type-var]
     zg.ArgumentTypeError,
     "net must be a zerograd model (Network, ConvNetwork or RecurrentNetwork); got NoneType None"),
    ("candidates", lambda: zeros_of("tanh", [[0.0, 1.0]]), zg.ArgumentValueError,
     "candidates must have shape (M,); got shape (1, 2)"),
    ("no zero", without_zero, zg.ArgumentValueError,
     "activation must have a zero on ZERO_SEARCH_GRID; got 'positive'"),
    ("flat", lambda: zero_output_bias_batch([2, 2, 2, 1], ["relu", "relu", "tanh"], way="flat"),
     zg.ArgumentValueError,
     ("way must be 'target' unless the output is 'relu' and the loss squared_error ('flat'); "
      "got 'flat' with output 'tanh' and loss 'squared_error'")),
    ("memory", huge(2**27), zg.ArgumentValueError,
     ("sizes must give arrays that fit in the available memory (134,217,728 bytes); "
      "got parameters needing 336,000,160 bytes")),
    ("weight decay", lambda: NET.loss(X, Y, weight_decay=-0.1), zg.ArgumentValueError,
     "weight_decay must be a finite number >= 0; got -0.1"),
    ("step", lambda: zg.numerical_gradients(TWICE, [3.0], [0.0], step=1e-300),
     zg.ArgumentValueError,
     ("step must be a finite number of at least 1.3322676295501878e-15 (float64's epsilon "
      "times the largest "
      "|parameter| or |raw activation|, 6, or 1: a smaller step can leave an entry unmoved; "
      "where a step that large makes the objective overflow, no step works: scale x, y or the "
      "parameters down); got 1e-300")),
    ("layer number", lambda: NET.W[0], zg.LayerIndexError,
     "layer number must be an int from 1 to 2; got 0"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "kind", "message"), [pytest.param(*case[1:], id=case[0]) for case in TEMPLATES]
)
def test_each_message_template_reads_as_written(
    call: Callable[[], object], kind: type[Exception], message: str
) -> None:
    with pytest.raises(kind) as info:
        call()
    assert str(info.value) == message


WIDE = zg.Network.random([100, 1000, 10], "tanh")  # 111,010 parameters, 8 bytes each
WIDE_X, WIDE_Y = np.zeros((100, 100)), np.zeros((100, 10))


def per_sample_pair() -> object:
    """Per-sample gradients of 2 samples of a 2048-2048-1 network: 2 x 4,198,401 x 8 bytes."""
    net = zg.Network.random([2048, 2048, 1], "tanh")
    x, y = np.zeros((2, 2048)), np.zeros((2, 1))
    return with_memory(2**26, lambda: zg.gradients(net, x, y, reduction="none"))()


SIGMOID_OUTPUTS = zg.Network.random([3, 2], "sigmoid", seed=7)
PARAMETERS = ([np.ones((4, 3)), np.ones((2, 4))], [np.zeros(4), np.zeros(2)])

# Each error also carries, as attributes, the argument, what was expected and what was
# received (see zerograd.ArgumentError), for code that handles the error.
ATTRIBUTES: list[tuple[str, Callable[[], object], type[Exception], str, object, object, str]] = [
    ("sizes of floats", lambda: zg.Network.random([3, 2.5], "tanh"), zg.ArgumentTypeError,  # type: ignore[list-item]
     "sizes", int, [3, 2.5], "sizes must be a sequence of whole numbers (int); got list [3, 2.5]"),
    ("sizes not a sequence", lambda: zg.Network.random(5, "tanh"), zg.ArgumentTypeError,  # type: ignore[arg-type]
     "sizes", "a sequence of whole numbers (int)", 5,
     "sizes must be a sequence of whole numbers (int); got int 5"),
    ("too few sizes", lambda: zg.Network.random([3], "tanh"), zg.ArgumentValueError,
     "sizes", 2, 1, "sizes must hold at least 2 whole numbers; got [3]"),
    ("sizes of a recurrent network", lambda: zg.RecurrentNetwork.random([2, 3]),
     zg.ArgumentValueError, "sizes", 3, 2, "sizes must hold exactly 3 whole numbers; got [2, 3]"),
    ("a size of zero", lambda: zg.Network.random([3, 0], "tanh"), zg.ArgumentValueError,
     "sizes", 1, [3, 0], "sizes must hold positive whole numbers; got [3, 0]"),
    ("a convolution pair", lambda: zg.ConvNetwork.random((1, 4), conv=[(2,)]),  # type: ignore[list-item]
     zg.ArgumentValueError, "each (channels, width) of conv", 2, 1,
     "each (channels, width) of conv must hold exactly 2 whole numbers; got (2,)"),
    ("a float seed", lambda: zg.Network.random([2, 1], "tanh", seed=1.5), zg.ArgumentTypeError,  # type: ignore[arg-type]
     "seed", "int or Generator", 1.5,
     "seed must be a non-negative int or a numpy.random.Generator; got float 1.5"),
    ("a negative seed", lambda: zg.Network.random([2, 1], "tanh", seed=-1), zg.ArgumentValueError,
     "seed", 0, -1, "seed must be at least 0; got -1"),
    ("length 0", lambda: zg.ConvNetwork([np.ones((1, 1, 1))], [[0.0]], "tanh", length=0),
     zg.ArgumentValueError, "length", 1, 0, "length must be at least 1; got 0"),
    ("negative weight decay", lambda: zg.gradients(NET, X, Y, weight_decay=-0.1),
     zg.ArgumentValueError, "weight_decay", ">= 0", -0.1,
     "weight_decay must be a finite number >= 0; got -0.1"),
    ("activations not a sequence", lambda: zg.Network(*PARAMETERS, 5), zg.ArgumentTypeError,  # type: ignore[arg-type]
     "activations", "a name (str) or a sequence of names", 5,
     "activations must be a name (str) or a sequence of names; got int 5"),
    ("one activation too many", lambda: zg.Network(*PARAMETERS, ["tanh"] * 3),
     zg.ArgumentValueError, "activations", 2, 3,
     "activations must name one activation per layer (2); got 3 names"),
    ("layer keys from 0", lambda: zg.Network(dict(enumerate(PARAMETERS[0])), PARAMETERS[1], "tanh"),
     zg.ArgumentValueError, "W", "layer numbers 1..K", [0, 1],
     "W must be numbered by layer from 1, as a network's parameters are; got the keys [0, 1]"),
    ("targets of strings", lambda: NET.loss(X, np.full((5, 2), "a")), zg.ArgumentTypeError,
     "y", "real numbers", np.dtype("<U1"),
     "y must hold real numbers (integer, floating or bool dtype); got dtype <U1"),
    ("a step of text", lambda: zg.numerical_gradients(NET, X, Y, step="a"), zg.ArgumentTypeError,  # type: ignore[arg-type]
     "step", float, "a", ("step must be a real number (an int, a float, a Fraction or a numpy number, read as "
      "float64); got str 'a'")),
    ("layers not iterable", lambda: zg.Layered(5, 1), zg.ArgumentTypeError,  # type: ignore[arg-type]
     "arrays", "iterable", 5, "arrays must be an iterable of arrays in layer order; got int 5"),
    ("softmax of one unit",
     lambda: zg.Network.random([3, 1], "identity").loss(X, Y[:, :1], loss="softmax_cross_entropy"),
     zg.ArgumentValueError, "the output", 2, 1,
     "the output must have at least 2 units for softmax_cross_entropy; got 1"),
    ("a negative probability",
     lambda: NET.loss(X[:1], [[1.5, -0.5]], loss="softmax_cross_entropy"),
     zg.ArgumentValueError, "y", 0, -0.5, "y must be non-negative for softmax_cross_entropy; got -0.5"),
    ("probabilities off 1",
     lambda: NET.loss(X[:1], [[0.5, 0.6]], loss="softmax_cross_entropy"),
     zg.ArgumentValueError, "y", 1.0, 1.1,
     ("y must hold probability vectors summing to 1 (within 8.88e-16) for softmax_cross_entropy; "
      "got a sum of 1.1")),
    ("a binary target of 2",
     lambda: SIGMOID_OUTPUTS.loss(X[:1], [[2.0, 0.0]], loss="binary_cross_entropy"),
     zg.ArgumentValueError, "y", (0, 1), 2.0, "y must hold 0 or 1 for binary_cross_entropy; got 2.0"),
    ("binary cross-entropy without sigmoid",
     lambda: NET.loss(X[:1], [[1.0, 0.0]], loss="binary_cross_entropy"),
     zg.ArgumentValueError, "the output activation", "sigmoid", "identity",
     "the output activation must be 'sigmoid' for binary_cross_entropy; got 'identity'"),
    ("a negative rtol", lambda: zg.check_gradients(NET, X, Y, rtol=-1.0), zg.ArgumentValueError,
     "rtol", ">= 0", -1.0, "rtol must be a finite number >= 0; got -1.0"),
    ("an infinite atol", lambda: zg.check_gradients(NET, X, Y, atol=np.inf), zg.ArgumentValueError,
     "atol", ">= 0", np.inf, "atol must be a finite number >= 0; got inf"),
    ("not a model", lambda: zg.gradients("net", X, Y), zg.ArgumentTypeError,  # type: ignore[arg-type]
     "net", zg.Model, str,
     "net must be a zerograd model (Network, ConvNetwork or RecurrentNetwork); got str 'net'"),
    ("no layers", lambda: zg.Network([], [], "tanh"), zg.ArgumentValueError,
     "W", ">= 1", 0, "W must hold at least one weight array, one per layer; got 0"),
    ("a bias missing", lambda: zg.Network(PARAMETERS[0], PARAMETERS[1][:1], "tanh"),
     zg.ArgumentValueError, "b", 2, 1, "b must hold one bias per layer (2); got 1"),
    ("a recurrent network of one layer",
     lambda: zg.RecurrentNetwork([np.ones((2, 1))], np.eye(2), [np.zeros(2)], "tanh"),
     zg.ArgumentValueError, "W", 2, 1, "W must hold exactly 2 weight arrays, one per layer; got 1"),
    ("weight decay per sample, checked",
     lambda: zg.check_gradients(NET, X, Y, reduction="none", weight_decay=0.1),
     zg.ArgumentValueError, "weight_decay", 0.0, 0.1,
     ("weight_decay must be 0 with reduction='none' (the penalty belongs to the whole objective, "
      "not to one sample); got 0.1")),
    ("one sample's target", lambda: NET.loss(X[0], Y[:1]), zg.ArgumentValueError,
     "y", (2,), (1, 2), "y must have shape (2,) for one sample; got shape (1, 2)"),
    ("a vector for W[1]",
     lambda: zg.Network([np.ones(3), PARAMETERS[0][1]], PARAMETERS[1], "tanh"),
     zg.ArgumentValueError, "W[1]", 2, (3,),
     "W[1] must be a non-empty matrix of shape (n_1, n_0); got shape (3,)"),
    ("W[2]'s columns",
     lambda: zg.Network([PARAMETERS[0][0], np.ones((2, 3))], PARAMETERS[1], "tanh"),
     zg.ArgumentValueError, "W[2]", 4, (2, 3),
     "W[2] must have 4 columns to match W[1] of shape (4, 3); got shape (2, 3)"),
    ("per-sample gradients beyond the memory",
     with_memory(2**26, lambda: zg.gradients(WIDE, WIDE_X, WIDE_Y, reduction="none")),
     zg.ArgumentValueError, "x", 2**26, 88_808_000,
     ("x must give arrays that fit in the available memory (67,108,864 bytes); got per-sample "
      "gradients (reduction='none') of 100 samples needing 88,808,000 bytes")),
    ("per-sample estimates beyond the memory",  # the estimate and the exact values: two copies
     with_memory(2**26, lambda: zg.numerical_gradients(WIDE, WIDE_X, WIDE_Y, reduction="none")),
     zg.ArgumentValueError, "x", 2**26, 177_616_000,
     ("x must give arrays that fit in the available memory (67,108,864 bytes); got per-sample "
      "gradients (reduction='none') of 100 samples needing 177,616,000 bytes")),
    ("two samples' per-sample gradients beyond the memory", per_sample_pair,
     zg.ArgumentValueError, "x", 2**26, 67_174_416,
     ("x must give arrays that fit in the available memory (67,108,864 bytes); got per-sample "
      "gradients (reduction='none') of 2 samples needing 67,174,416 bytes")),
    ("a ragged input", lambda: NET.forward([[1.0], [1.0, 2.0]]), zg.ArgumentTypeError,
     "x", "a rectangular array", [[1.0], [1.0, 2.0]],
     "x must be a rectangular array of real numbers; got [[1.0], [1.0, 2.0]]"),
    ("weight decay per sample", lambda: zg.gradients(NET, X, Y, reduction="none", weight_decay=0.1),
     zg.ArgumentValueError, "weight_decay", 0.0, 0.1,
     ("weight_decay must be 0 with reduction='none' (the penalty belongs to the whole objective, "
      "not to one sample); got 0.1")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "kind", "argument", "expected", "received", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in ATTRIBUTES],
)
def test_an_error_names_the_argument_what_was_expected_and_what_was_received(
    call: Callable[[], object],
    kind: type[Exception],
    argument: str,
    expected: object,
    received: object,
    message: str,
) -> None:
    with pytest.raises(kind) as info:
        call()
    error = info.value
    assert isinstance(error, zg.ArgumentError)
    assert (error.argument, error.expected, error.received) == (argument, expected, received)
    assert type(error.expected) is type(expected)  # 0.0, not 0 or False
    assert str(error) == message


OVERFLOWING = zg.Network([[[1.3e154]]], [[0.0]], "identity")  # each loss 8.45e307; 3 sum to inf
MIDDLE_OVERFLOW = zg.Network([[[1e250]], [[1e-250]], [[1e50]]], [[0.0]] * 3, "identity")
HEAVY = zg.Network([[[1e200]], [[1e-200]]], [[0.0], [0.0]], "identity")  # |W|^2 = inf
OVERFLOWING_RECURRENT = zg.RecurrentNetwork(
    W=[[[1.0]], [[1.0]]], U=[[1.0]], b=[[1.5], [0.0]], activations="identity", output="last"
)


@pytest.mark.parametrize(
    ("call", "argument", "message"),
    [
        pytest.param(
            lambda: OVERFLOWING.loss(np.ones((3, 1)), np.zeros((3, 1))),
            "the objective",
            "the objective must be finite; got inf: the values overflowed float64",
            id="objective",
        ),
        pytest.param(
            lambda: zg.Network([[[1e155]]], [[0.0]], "identity").loss([1.0], [0.0]),
            "the loss",
            "the loss must be finite; got inf: the values overflowed float64",
            id="loss",
        ),
        pytest.param(
            lambda: zg.gradients(MIDDLE_OVERFLOW, [1.0], [0.0]),
            "the gradient W[2]",
            "the gradient W[2] must be finite; got inf at index (0, 0): the values overflowed float64",
            id="gradient",
        ),
        pytest.param(
            # W[1]'s gradient is finite; U[1], b[1] and W[2] overflow: U[1] is named, as
            # it comes after W[1] and before b[1] in the order of Gradients.arrays()
            lambda: zg.gradients(OVERFLOWING_RECURRENT, [[1e-300], [1e-300]], [-1.5e308]),
            "the gradient U[1]",
            "the gradient U[1] must be finite; got inf at index (0, 0): the values overflowed float64",
            id="recurrent-gradient-order",
        ),
        pytest.param(
            lambda: HEAVY.loss([1.0], [0.0], weight_decay=0.5),
            "the weight penalty",
            "the weight penalty must be finite; got inf: the values overflowed float64",
            id="penalty",
        ),
    ],
)
def test_a_value_that_overflows_is_named_with_its_attributes(
    call: Callable[[], object], argument: str, message: str
) -> None:
    with pytest.raises(zg.NonFiniteError) as info:
        call()
    error = info.value
    assert (error.argument, error.expected, error.received) == (argument, "finite", "inf")
    assert str(error) == message


def test_an_overflowing_loss_has_an_index_only_in_a_batch() -> None:
    # One sample's loss is a number (loss returns a float): no index into the batch axis
    # the engine adds. In a batch, the sample is named.
    net = zg.Network([[[1e155]]], [[0.0]], "identity")
    with pytest.raises(zg.NonFiniteError) as one:
        net.loss([1.0], [0.0])
    assert one.value.index == ()
    with pytest.raises(zg.NonFiniteError) as batch:
        net.loss([[0.0], [1.0]], [0.0, 0.0], reduction="none")
    assert batch.value.index == (1,)
    assert "got inf at index (1,)" in str(batch.value)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(10**400, "<int of 1329 bits>"), (np.longdouble("1e400"), "np.longdouble('1e+400')")],
    ids=["int", "long double"],
)
def test_a_number_beyond_float64_is_shown_without_an_index(value: object, shown: str) -> None:
    if isinstance(value, np.longdouble) and not LONG_DOUBLE:
        pytest.skip("numpy's long double is float64 on this platform")
    with pytest.raises(zg.ArgumentValueError) as info:
        NET.loss(X[0], value)  # type: ignore[arg-type]
    assert str(info.value).endswith(f"got {shown}"), str(info.value)


def test_the_check_gradients_method_has_the_function_s_defaults() -> None:
    # Squared error, summed, no weight decay: a batch with reduction="none" is accepted only
    # without decay.
    net = zg.Network.random([2, 1], "tanh", seed=1)
    x, y = [[0.1, 0.2], [0.3, -0.4]], [[0.3], [0.1]]
    net.check_gradients(x, y)
    net.check_gradients(x, y, reduction="none")
    with pytest.raises(zg.ArgumentValueError, match="must be 0 with reduction='none'"):
        net.check_gradients(x, y, reduction="none", weight_decay=0.1)


def test_the_memory_message_counts_what_it_would_allocate() -> None:
    # 10-1e6-10 has 1e7 + 1e6 + 1e7 + 10 entries, 8 bytes each, drawn then copied.
    with pytest.raises(zg.ArgumentValueError) as info:
        huge(1000)()
    assert info.value.received == 2 * 8 * (10 * 10**6 + 10**6 + 10**6 * 10 + 10)


def test_a_gradient_check_failure_reads_as_written() -> None:
    error = zg.GradientCheckError("W[1]", (2, 1), 0.5, 0.25, 1e-8, "rtol 1e-06, atol 1e-08")
    assert str(error) == (
        "gradient check failed for W[1] at index (2, 1): exact 0.5, central difference 0.25, "
        "error 0.25 > tolerance 1e-08 (rtol 1e-06, atol 1e-08)"
    )
    # an error and a tolerance that agree to 3 digits are printed in full
    close = zg.GradientCheckError("b[1]", (0,), 1.0, 1.0 + 3.964949e-11, 3.964945e-11, "rtol 0")
    assert str(close).endswith(
        f"error {abs(1.0 - (1.0 + 3.964949e-11))!r} > tolerance 3.964945e-11 (rtol 0)"
    )
    along = zg.GradientCheckError("direction 3", (), 1.0, 2.0, 1e-6, "rtol 1e-06")
    assert str(along) == (
        "gradient check failed for direction 3: exact 1.0, central difference 2.0, "
        "error 1 > tolerance 1e-06 (rtol 1e-06)"
    )


def test_a_missing_parameter_of_gradients_names_those_there_are() -> None:
    g = zg.gradients(NET, X, Y)
    with pytest.raises(AttributeError) as info:
        _ = g.U
    assert str(info.value) == "these gradients have no parameter 'U'; they have W, b"


def test_a_non_finite_error_without_a_reason_ends_at_the_index() -> None:
    error = zg.NonFiniteError("y", (0, 2), "inf")
    assert str(error) == "y must be finite; got inf at index (0, 2)"


def test_a_negative_infinity_is_shown_with_its_sign() -> None:
    # received names the kind, "inf"; the message shows the caller's value
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: fractions_of(float("-inf")), "values must be finite; got -inf"),
        (
            lambda: NET.gradients([1.0, -np.inf, 0.0], [0.0, 0.0]),
            "x must be finite; got -inf at index (1,)",
        ),
        (lambda: NET.gradients(X[0], [0.0, np.inf]), "y must be finite; got inf at index (1,)"),
        (
            lambda: zg.Network(W=[[[1.0, -np.inf]]], b=[[0.0]], activations="relu"),
            "W[1] must be finite; got -inf at index (0, 1)",
        ),
    ]
    for call, message in cases:
        with pytest.raises(zg.NonFiniteError) as info:
            call()
        assert str(info.value) == message
        assert info.value.received == "inf"


@pytest.mark.parametrize(
    ("length", "shown"),
    [
        (77, "b'" + "a" * 77 + "'"),  # its repr has 80 characters: shown whole
        (78, "b'" + "a" * 75 + "..."),  # 81 characters: cut to 77 and three dots, 80 in all
    ],
)
def test_a_received_value_is_shown_in_at_most_80_characters(length: int, shown: str) -> None:
    with pytest.raises(zg.ArgumentTypeError) as info:
        NET.loss(X, Y, reduction=b"a" * length)  # type: ignore[arg-type]
    assert str(info.value) == (
        f"reduction must be a name (str), one of 'sum', 'mean', 'none'; got bytes {shown}"
    )


def test_a_step_is_blamed_only_for_an_overflow_it_causes() -> None:
    with refuses(zg.ArgumentValueError, "step", received=1e300):
        zg.check_gradients(TWICE, [3.0], [0.0], step=1e300, directions=2)
    # The objective overflows at the unmoved parameters: that is not the step's doing.
    huge = zg.Network(W=[[[1e200]]], b=[[0.0]], activations="identity")
    with refuses(zg.NonFiniteError, "the loss"):
        zg.numerical_gradients(huge, [1.0], [0.0], step=1e185)
    # Nor is it when the step is also too small to move the parameters: no step helps.
    for call in (zg.numerical_gradients, zg.check_gradients):
        with refuses(zg.NonFiniteError, "the loss"):
            call(huge, [1.0], [0.0])
    with refuses(zg.NonFiniteError, "the weight penalty"):
        zg.numerical_gradients(huge, [0.0], [0.0], weight_decay=1e-20)


LONG_DOUBLE = np.dtype(np.longdouble).itemsize > 8


@pytest.mark.skipif(not LONG_DOUBLE, reason="numpy's long double is float64 on this platform")
def test_a_finite_long_double_beyond_float64_is_named_not_called_inf() -> None:
    huge = np.longdouble("1e4000")
    with refuses(zg.ArgumentValueError, "W[1]", expected="a finite float64"):
        zg.Network(W=[np.full((1, 1), huge)], b=[[0.0]], activations="identity")
    with refuses(zg.ArgumentValueError, "weight_decay", expected="a finite float64"):
        TWICE.loss([1.0], [0.0], weight_decay=huge)  # type: ignore[arg-type]


def test_the_examples_name_their_own_activation_argument() -> None:
    with refuses(zg.ArgumentValueError, "activation", received="ReLU"):
        zeros_of("ReLU")
    with refuses(zg.ArgumentValueError, "activation", received="ReLU"):
        steepest_zero("ReLU")


@pytest.mark.skipif(not LONG_DOUBLE, reason="numpy's long double is float64 on this platform")
def test_a_long_double_input_or_target_beyond_float64_is_named() -> None:
    huge = np.array([np.longdouble("1e4000")])
    with refuses(zg.ArgumentValueError, "x", expected="a finite float64"):
        zg.gradients(TWICE, huge, [0.0])
    with refuses(zg.ArgumentValueError, "y", expected="a finite float64"):
        zg.gradients(TWICE, [1.0], huge)


@pytest.mark.skipif(not LONG_DOUBLE, reason="numpy's long double is float64 on this platform")
def test_long_double_messages_name_the_value_and_its_index() -> None:
    huge = np.longdouble("1e4000")
    with pytest.raises(zg.ArgumentValueError) as caught:
        zg.gradients(TWICE, np.array([np.longdouble(1.0), huge])[1:], [0.0])
    assert str(caught.value) == (
        "x must hold numbers within float64's range; got np.longdouble('1e+4000') at index (0,)"
    )
    assert caught.value.received == huge
    with pytest.raises(zg.ArgumentValueError) as caught:
        TWICE.loss([1.0], [0.0], weight_decay=huge)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "weight_decay must be a number within float64's range; got np.longdouble('1e+4000')"
    )
    assert caught.value.received == huge
    # a long double that float64 holds is converted, as any float is
    small = np.array([np.longdouble(1.5)])
    assert zg.gradients(TWICE, small, [0.0]).W[1].tolist() == [[4.5]]  # (2 x) x, x = 3/2


def test_a_finite_numpy_float_weight_decay_is_taken() -> None:
    decayed = TWICE.loss([1.0], [0.0], weight_decay=np.float32(0.5))  # type: ignore[arg-type]
    assert decayed == TWICE.loss([1.0], [0.0], weight_decay=0.5)


def test_the_overflowing_step_error_keeps_its_cause() -> None:
    with refuses(zg.ArgumentValueError, "step", expected="a smaller step"):
        zg.numerical_gradients(TWICE, [3.0], [0.0], step=1e300)
    with pytest.raises(zg.ArgumentValueError) as caught:
        zg.check_gradients(TWICE, [3.0], [0.0], step=1e300, directions=1)
    assert isinstance(caught.value.__cause__, zg.NonFiniteError)


OVERFLOW_ONE = zg.Network([[[1e200]], [[1e200]]], [[0.0], [0.0]], "identity")


@pytest.mark.parametrize(
    "call",
    [
        lambda: zg.gradients(OVERFLOW_ONE, [1.0], [0.0]),
        lambda: zg.numerical_gradients(OVERFLOW_ONE, [1.0], [0.0]),
        lambda: zg.gradient_norms(OVERFLOW_ONE, [1.0], [0.0]),
        lambda: OVERFLOW_ONE.loss([1.0], [0.0]),
    ],
    ids=["gradients", "numerical_gradients", "gradient_norms", "loss"],
)
def test_one_sample_overflow_is_indexed_in_the_sample(call: Callable[[], object]) -> None:
    with refuses(zg.NonFiniteError, "z[2]", index=(0,)):
        call()


def test_replace_names_the_given_array_and_checks_the_copied_ones() -> None:
    net = zg.Network.random([3, 4, 2], "tanh", seed=1)
    with pytest.raises(zg.ArgumentValueError) as caught:
        net.replace(W=[np.zeros((5, 3)), np.zeros((2, 5))])
    assert str(caught.value) == (
        "W[1] must keep layer 1's width, 4, as the copied b[1] has (pass b too to change a "
        "width); got shape (5, 3)"
    )
    with pytest.raises(zg.ArgumentValueError) as caught:
        net.replace(b=[np.zeros(7), np.zeros(2)])
    assert str(caught.value) == (
        "b[1] must keep layer 1's width, 4, as the copied W[1] has (pass W too to change a "
        "width); got shape (7,)"
    )
    # both given: each list's count is checked before the constructor sees it
    with pytest.raises(zg.ArgumentValueError) as caught:
        net.replace(W=[np.zeros((4, 3)), np.zeros((2, 4))], b=[np.zeros(4)])
    assert str(caught.value) == "b must hold 2 arrays, one per layer of the network; got 1"
    changed = zg.Network.random([3, 4, 2], "tanh", seed=1)
    changed.b[1] = [0.0, 0.0, 0.0, 0.0]  # type: ignore[assignment]
    with refuses(zg.ArgumentTypeError, "b[1]"):
        changed.replace(W=[np.zeros((4, 3)), np.zeros((2, 4))])


def test_replace_leaves_an_array_with_other_axes_to_the_constructor() -> None:
    # a width is compared only on a matrix W[k] or a vector b[k]: for other axes, the
    # advice to pass both would not help
    net = zg.Network.random([3, 4, 2], "tanh", seed=1)
    for W, shape in (([np.zeros(4), np.zeros((2, 4))], "(4,)"), ([3.0, np.zeros((2, 4))], "()")):
        with pytest.raises(zg.ArgumentValueError) as caught:
            net.replace(W=W)  # type: ignore[arg-type]
        assert str(caught.value) == (
            f"W[1] must be a non-empty matrix of shape (n_1, n_0); got shape {shape}"
        )
    for b, shape in (([np.zeros((4, 1)), np.zeros(2)], "(4, 1)"), ([0.5, np.zeros(2)], "()")):
        with pytest.raises(zg.ArgumentValueError) as caught:
            net.replace(b=b)  # type: ignore[arg-type]
        assert str(caught.value) == f"b[1] must have shape (4,); got shape {shape}"


def test_a_step_refused_for_overflow_says_when_no_step_works() -> None:
    # x = 1e150: the smallest step that moves every entry is about 2.2e134, and every
    # step from there up overflows the moved loss, so the message points at the scale
    net = zg.Network(W=[[[1.0]], [[1.0]]], b=[[0.0], [0.0]], activations="identity")
    for step in (2.3e134, 1e200):
        with refuses(zg.ArgumentValueError, "step", received=step) as caught:
            zg.numerical_gradients(net, [1e150], [0.0], step=step)
        assert "scale x, y or the parameters down" in str(caught.value)
    with refuses(zg.ArgumentValueError, "step"):  # the default is below the smallest
        zg.numerical_gradients(net, [1e150], [0.0])


def test_the_weights_are_checked_before_the_biases() -> None:
    # b[1] fits W[2]'s columns, W[1] fits neither: no b[1] would mend the call, so the
    # chain of weights is named
    with refuses(zg.ArgumentValueError, "W[2]", expected=2, received=(2, 3)):
        zg.Network([np.zeros((2, 3)), np.zeros((2, 3))], [np.zeros(3), np.zeros(2)], "tanh")
    # the copy of a network whose W[1] was given another width names W[2] too
    net = zg.Network.random([3, 3, 2], "tanh", seed=0)
    net.W[1] = np.zeros((2, 3))
    with refuses(zg.ArgumentValueError, "W[2]"):
        zg.Network(net.W, net.b, net.activations)
    # with the weights in a chain, a bias that does not fit is named
    with refuses(zg.ArgumentValueError, "b[1]", expected=(3,), received=(2,)):
        zg.Network([np.zeros((3, 3)), np.zeros((2, 3))], [np.zeros(2), np.zeros(2)], "tanh")


def test_one_weight_matrix_given_without_its_list_is_named_before_the_counts() -> None:
    # Its rows read as one layer each: the counts of biases and activations, right for
    # the one layer meant, are not blamed, since the rows are not matrices.
    message = r"^W\[1\] must be a non-empty matrix of shape \(n_1, n_0\); got shape \(2,\)$"
    for b, activations in (([np.zeros(3)], "relu"), (np.zeros(3), ["relu"])):
        with pytest.raises(zg.ArgumentValueError, match=message):
            zg.Network(np.ones((3, 2)), b, activations)  # type: ignore[arg-type]
    with refuses(zg.ArgumentValueError, "W[1]", expected=3):
        zg.ConvNetwork(np.ones((3, 1, 2)), [np.zeros(3)], "relu", length=5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("second", "read"),
    [(np.ones((1, 3, 2)), 4), (np.ones((1, 12)), 16)],
    ids=["convolution", "dense"],
)
def test_a_convolution_network_checks_its_weights_before_its_biases(
    second: npt.NDArray[np.float64], read: int
) -> None:
    # W[1] has 4 output channels where b[1] and W[2] read 3: no b[1] would mend it
    # (a dense W[2] reads x[1] flattened, 4 channels of length 4)
    with refuses(zg.ArgumentValueError, "W[2]", expected=read):
        zg.ConvNetwork([np.ones((4, 1, 2)), second], [np.zeros(3), np.zeros(1)], "relu", length=5)
    with refuses(zg.ArgumentValueError, "b[1]", expected=(3,), received=(4,)):
        zg.ConvNetwork([np.ones((3, 1, 2)), second], [np.zeros(4), np.zeros(1)], "relu", length=5)


def test_worked_example_names_a_bias_that_is_not_a_number() -> None:
    with refuses(zg.ArgumentTypeError, "output_bias", received="a"):
        worked_example(output_bias="a")  # type: ignore[arg-type]


def test_a_recurrent_u_of_the_wrong_kind_reads_as_written() -> None:
    with pytest.raises(zg.ArgumentValueError) as caught:
        zg.RecurrentNetwork(RNN_W, {1: RNN_U, 2: RNN_U}, RNN_B, "tanh")
    assert str(caught.value) == (
        "U must hold U^(1) alone, under layer number 1, as a network's U does; got the keys [1, 2]"
    )
    assert (caught.value.expected, caught.value.received) == ([1], [1, 2])
    with pytest.raises(zg.ArgumentTypeError) as caught_type:
        zg.RecurrentNetwork(RNN_W, None, RNN_B, "tanh")  # type: ignore[arg-type]
    assert str(caught_type.value) == (
        "U must be an array of shape (n_1, n_1), or a mapping holding it under 1; got NoneType None"
    )
    assert (caught_type.value.expected, caught_type.value.received) == ("array_like", None)


# Python refuses to print an int of more than 4,300 digits (sys.get_int_max_str_digits):
# a message that printed one would fail with a bare ValueError naming no argument.
TOO_LONG = 10**5000
CONV = zg.ConvNetwork([np.ones((1, 1, 1))], [[0.0]], "identity", length=3)
ONE = zg.Network.random([2, 1], "identity", seed=0)


@pytest.mark.parametrize(
    ("call", "kind", "argument", "got"),
    [
        (
            lambda: zg.Network.random([2, TOO_LONG], "identity"),
            zg.ArgumentValueError,
            "sizes",
            "got parameters needing at least 2**16615 bytes",
        ),
        (
            lambda: zg.Network.random([2, -TOO_LONG], "identity"),
            zg.ArgumentValueError,
            "sizes",
            "got [2, <negative int of 16610 bits>]",
        ),
        (
            lambda: zg.Network.random([2, 1], "identity", seed=-TOO_LONG),
            zg.ArgumentValueError,
            "seed",
            "got <negative int of 16610 bits>",
        ),
        (
            lambda: ONE.check_gradients(np.ones(2), np.ones(1), directions=TOO_LONG),
            zg.ArgumentValueError,
            "directions",
            "got <int of 16610 bits>",
        ),
        (
            lambda: ONE.loss(np.ones(2), np.ones(1), loss=TOO_LONG),  # type: ignore[arg-type]
            zg.ArgumentTypeError,
            "loss",
            "got int <int of 16610 bits>",
        ),
        (
            lambda: zg.Network({TOO_LONG: [[1.0]]}, [[0.0]], "identity"),
            zg.ArgumentValueError,
            "W",
            "got the keys [<int of 16610 bits>]",
        ),
        (
            lambda: ONE.check_gradients(np.ones(2), np.ones(1), step=TOO_LONG),
            zg.ArgumentValueError,
            "step",
            "got <int of 16610 bits>",
        ),
        (
            lambda: zero_output_bias_batch([2, 1], ["relu"], n_samples=TOO_LONG),
            zg.ArgumentValueError,
            "n_samples",
            "got a batch of at least 2**16609 samples needing at least 2**16615 bytes",
        ),
    ],
)
def test_an_int_too_long_to_print_is_named_by_its_bits(
    call: Callable[[], object], kind: type[zg.ArgumentError], argument: str, got: str
) -> None:
    with refuses(kind, argument):
        call()
    with pytest.raises(kind) as info:
        call()
    assert got in str(info.value), info.value


@pytest.mark.parametrize(
    "lookup",
    [
        lambda: ONE.W[TOO_LONG],
        lambda: ONE.f(TOO_LONG),
        lambda: CONV.shape(TOO_LONG),
        lambda: CONV.is_conv(-TOO_LONG),
    ],
)
def test_a_layer_number_too_long_to_print_is_a_layer_index_error(
    lookup: Callable[[], object],
) -> None:
    with pytest.raises(zg.LayerIndexError, match=r"; got <(negative )?int of 16610 bits>$"):
        lookup()


def test_memory_counts_beyond_64_bits_are_given_as_powers_of_two() -> None:
    assert _checks.count_text(2**128 - 1) == f"{2**128 - 1:,}"
    assert _checks.count_text(2**128) == "at least 2**128"
    assert _checks.count_text(2**129 - 1) == "at least 2**128"


def test_the_identity_activation_takes_what_the_others_take() -> None:
    for given in (2.0, np.array([[0.5]])):
        shown = {
            name: (np.asarray(out).dtype, np.shape(out))
            for name in zg.ACTIVATIONS
            for out in [zg.get_activation(name).f(given)]  # type: ignore[arg-type]
        }
        assert len(set(shown.values())) == 1, shown
    z = np.array([1.0, -2.0])
    assert zg.get_activation("identity").f(z) is not z, "a copy, as the other rules give"


@pytest.mark.parametrize("length", [2**60, TOO_LONG], ids=["2**60", "10**5000"])
def test_a_convolution_no_input_could_reach_is_refused(length: int) -> None:
    # 8 bytes times the length of one channel is beyond what numpy can hold (2**63 - 1)
    needing = f"needing {8 * length:,}" if length == 2**60 else "needing at least 2**16612"
    with refuses(zg.ArgumentValueError, "input_shape", received=8 * length) as info:
        zg.ConvNetwork.random((1, length), [(2, 1)], seed=0)
    assert f"got one input channel {needing} bytes" in str(info.value)
    with refuses(zg.ArgumentValueError, "length", received=8 * length) as info:
        zg.ConvNetwork([np.ones((1, 1, 1))], [[0.0]], "identity", length=length)
    assert f"got one input channel {needing} bytes" in str(info.value)


def test_a_kernel_width_too_long_to_print_is_named() -> None:
    with refuses(zg.ArgumentValueError, "conv", expected=3, received=TOO_LONG) as info:
        zg.ConvNetwork.random((1, 3), [(1, TOO_LONG)])
    assert str(info.value).endswith("; got width <int of 16610 bits>")


def refuse_repr(self: object) -> str:
    msg = "no repr"
    raise RuntimeError(msg)


class UnprintableInt(int):
    __repr__ = refuse_repr


def test_a_repr_that_raises_does_not_replace_the_error() -> None:
    with pytest.raises(zg.ArgumentTypeError) as info:
        ONE.loss(np.ones(2), np.ones(1), loss=UnprintableInt(3))  # type: ignore[arg-type]
    assert str(info.value).endswith("got UnprintableInt <int of 2 bits>")
    with pytest.raises(zg.LayerIndexError) as lookup:
        ONE.W[UnprintableInt(7)]
    assert str(lookup.value).endswith("; got <int of 3 bits>")
    with pytest.raises(zg.ArgumentTypeError) as typed:
        ONE.loss(np.ones(2), np.ones(1), loss=UNPRINTABLE)  # type: ignore[arg-type]
    assert str(typed.value).endswith(
        "got Unprintable <Unprintable whose repr raised RuntimeError: no repr>"
    )


class Unprintable:
    __repr__ = refuse_repr


UNPRINTABLE = Unprintable()


def test_a_layered_container_far_from_zero_reports_its_range() -> None:
    far = zg.Layered([np.zeros(1)], TOO_LONG)
    with pytest.raises(zg.LayerIndexError) as info:
        far[1]
    assert str(info.value) == (
        "layer number must be an int from <int of 16610 bits> to <int of 16610 bits>; got 1"
    )
    assert repr(far) == "Layered({<int of 16610 bits>: (1,)})"


def test_a_too_long_int_in_a_sequence_is_shown_entry_by_entry() -> None:
    with refuses(zg.ArgumentValueError, "sizes", expected=1) as info:
        zg.Network.random([2, 0, TOO_LONG], "relu")
    assert str(info.value).endswith("; got [2, 0, <int of 16610 bits>]")
    assert _checks.short_repr((TOO_LONG,)) == "(<int of 16610 bits>,)"
    # cut to 80 characters, as a printable value is
    shown = _checks.short_repr([TOO_LONG] * 1000)
    assert len(shown) == 80, shown
    assert shown.endswith("..."), shown


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda step: zg.numerical_gradients(ONE, np.ones(2), np.ones(1), step=step), "step"),
        (lambda rtol: zg.check_gradients(ONE, np.ones(2), np.ones(1), rtol=rtol), "rtol"),
        (lambda atol: zg.check_gradients(ONE, np.ones(2), np.ones(1), atol=atol), "atol"),
        (lambda decay: ONE.loss(np.ones(2), np.ones(1), weight_decay=decay), "weight_decay"),
    ],
    ids=["step", "rtol", "atol", "weight_decay"],
)
def test_a_number_whose_repr_fails_is_still_named(
    call: Callable[[object], object], argument: str
) -> None:
    # a Fraction of 5,000 digits is a real number float64 rounds to -1.0; so is an
    # int subclass whose repr raises
    for bad, shown in (
        (Fraction(-TOO_LONG - 1, TOO_LONG), "<Fraction whose repr raised ValueError: Exceeds"),
        (UnprintableInt(-1), "<negative int of 1 bits>"),
    ):
        with refuses(zg.ArgumentValueError, argument) as info:
            call(bad)
        assert shown in str(info.value), info.value


def test_a_fraction_beyond_float64_is_shown_as_a_fraction() -> None:
    with refuses(zg.ArgumentValueError, "weight_decay", received=Fraction(10**400)) as info:
        ONE.loss(np.ones(2), np.ones(1), weight_decay=Fraction(10**400))  # type: ignore[arg-type]
    # "Fraction(1" and 67 zeros: the first 77 characters of the repr, then the dots
    assert str(info.value).endswith("; got Fraction(1" + "0" * 67 + "...")
    with refuses(zg.ArgumentValueError, "step") as info:
        zg.numerical_gradients(ONE, np.ones(2), np.ones(1), step=Fraction(TOO_LONG, 3))  # type: ignore[arg-type]
    assert str(info.value).endswith(
        "; got <Fraction whose repr raised ValueError: Exceeds the limit (4300 digits) for i..."
    )


EXTENDED = np.finfo(np.longdouble).eps < np.finfo(np.float64).eps


@pytest.mark.skipif(not EXTENDED, reason="long double is float64 on this platform")
def test_a_long_double_target_is_shown_as_refused_not_rounded() -> None:
    sigmoid = zg.Network(W=[[[1.0]]], b=[[0.0]], activations="sigmoid")
    above_one = np.longdouble(1) + np.longdouble(2) ** -62  # float64 rounds it to 1.0
    with refuses(zg.ArgumentValueError, "y", received=above_one) as info:
        sigmoid.loss([0.5], np.array([above_one]), loss="binary_cross_entropy")
    assert str(info.value).endswith(f"; got {above_one!r}"), info.value
    tiny = -(np.longdouble(2) ** -16000)  # float64 rounds it to -0.0
    two = zg.Network(W=[[[1.0], [1.0]]], b=[[0.0, 0.0]], activations="identity")
    with refuses(zg.ArgumentValueError, "y", received=tiny) as info:
        two.loss([0.5], np.array([1 - tiny, tiny]), loss="softmax_cross_entropy")
    assert str(info.value).endswith(f"; got {tiny!r}"), info.value
    off = np.array([0.5, 0.5], dtype=np.longdouble)
    off[1] += np.longdouble(2) ** -57  # a sum of 1 + 2**-57, which float64 rounds to 1.0
    with refuses(zg.ArgumentValueError, "y", received=off.sum()) as info:
        two.loss([0.5], off, loss="softmax_cross_entropy")
    assert str(info.value).endswith(f"; got a sum of {off.sum()!r}"), info.value


def test_a_parameter_in_the_other_byte_order_is_refused_saying_why() -> None:
    net = zg.Network.random([3, 4, 2], ["tanh", "identity"], seed=7)
    net.W[1] = net.W[1].astype(">f8")
    with refuses(zg.ArgumentTypeError, "W[1]") as info:
        net.loss(X, Y)
    assert "(native byte order)" in str(info.value)
    assert str(info.value).endswith("; got ndarray of dtype >f8")


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda t: ONE.loss(np.ones(2), np.ones(1), weight_decay=t), "weight_decay"),
        (lambda t: zg.numerical_gradients(ONE, np.ones(2), np.ones(1), step=t), "step"),
        (lambda t: zg.check_gradients(ONE, np.ones(2), np.ones(1), directions=t), "directions"),
        (lambda t: zg.Network.random([2, 1], "identity", seed=t), "seed"),
        (lambda t: zg.Network.random([2, t], "identity"), "sizes"),
        (lambda t: worked_example(target=t), "target"),
        (lambda t: zero_output_bias_batch([2, 1], ["relu"], n_samples=t), "n_samples"),
    ],
    ids=["weight_decay", "step", "directions", "seed", "sizes", "target", "n_samples"],
)
@pytest.mark.parametrize("duration", [np.timedelta64(2, "s"), np.timedelta64(2)])
def test_a_timedelta_is_not_a_number(
    call: Callable[[object], object], argument: str, duration: np.timedelta64
) -> None:
    # numpy makes timedelta64 an integer type; with a unit, int() of it raised a bare
    # TypeError, and without one it was taken as the number 2
    with refuses(zg.ArgumentTypeError, argument) as info:
        call(duration)
    assert repr(duration) in str(info.value), info.value


def test_a_timedelta_is_not_a_layer_number() -> None:
    with pytest.raises(zg.LayerIndexError):
        ONE.W[np.timedelta64(1)]


def test_a_softmax_target_whose_sum_overflows_is_refused_without_a_warning() -> None:
    three = zg.Network.random([2, 3], "identity", seed=0)
    with refuses(zg.ArgumentValueError, "y", received=np.inf) as info:
        three.loss([0.5, 0.5], [1e308, 1e308, 1.0], loss="softmax_cross_entropy")
    # the caller gave no inf: the sum of finite entries overflowed
    assert str(info.value).endswith("; got a sum beyond float64's range (about 1.8e308)")


def test_a_total_norm_beyond_float64_is_refused_naming_the_sample() -> None:
    norms = zg.GradientNorms(
        parameters={"W": zg.Layered([np.array([1.0, 1.44e308])], 1),
                    "b": zg.Layered([np.array([1.0, 1.44e308])], 1)},
    )  # fmt: skip
    with refuses(zg.NonFiniteError, "the total norm", index=(1,), received="inf") as info:
        norms.total()
    assert str(info.value) == (
        "the total norm must be finite; got inf at index (1,): the values overflowed float64"
    )


@pytest.mark.parametrize(
    ("candidates", "shown"),
    [
        (np.array([0.0, np.longdouble(2) ** -16000]), "at index 1, 0.0 in float64"),
        (np.array([-(2**53) - 1], dtype=np.int64), "at index 0, -9007199254740992.0 in float64"),
    ],
)
def test_zeros_of_refuses_candidates_float64_would_round(
    candidates: npt.NDArray[Any], shown: str
) -> None:
    index = 1 if candidates.size == 2 else 0
    value = candidates[index].item()  # a Python int, or the long double itself
    with refuses(
        zg.ArgumentValueError, "candidates", expected="float64 values", received=value
    ) as info:
        zeros_of("relu", candidates)
    assert str(info.value) == (
        f"candidates must hold numbers float64 holds exactly; got {value!r} {shown}"
    )


def test_zeros_of_refuses_an_int_that_numpy_rounds_in_a_mixed_list() -> None:
    # numpy turns [-(2**53) - 1, 1.0] into float64, rounding the int to -2**53
    with refuses(zg.ArgumentValueError, "candidates", received=-(2**53) - 1) as info:
        zeros_of("relu", [-(2**53) - 1, 1.0])
    assert str(info.value).endswith(
        "; got -9007199254740993 at index 0, -9007199254740992.0 in float64"
    )
    assert zeros_of("relu", [-(2**53), 1.0]).tolist() == [-(2.0**53)]
    # a numpy int in a list: numpy would compare it with the float by rounding it too
    with refuses(zg.ArgumentValueError, "candidates", received=-(2**53) - 1):
        zeros_of("relu", [np.int64(-(2**53) - 1), 1.0])  # type: ignore[arg-type]


class UnprintableMessageError(Exception):
    def __str__(self) -> str:
        msg = "no message"
        raise RuntimeError(msg)


class ReprRaises:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def __repr__(self) -> str:
        raise self.error


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (RuntimeError("boom"), "<ReprRaises whose repr raised RuntimeError: boom>"),
        (RuntimeError(), "<ReprRaises whose repr raised RuntimeError>"),
        (UnprintableMessageError(), "<ReprRaises whose repr raised UnprintableMessageError>"),
        (
            RuntimeError("x" * 100),
            "<ReprRaises whose repr raised RuntimeError: " + "x" * 33 + "...",
        ),
    ],
    ids=["message", "no message", "message fails", "long message"],
)
def test_a_repr_that_raises_is_shown_by_its_exception(error: Exception, shown: str) -> None:
    assert _checks.short_repr(ReprRaises(error)) == shown


def test_ints_are_described_by_sign_and_bits() -> None:
    assert _checks.int_text(0) == "<int of 0 bits>"
    assert _checks.int_text(1) == "<int of 1 bits>"
    assert _checks.int_text(-(2**100)) == "<negative int of 101 bits>"


def test_a_list_holding_itself_is_shown_without_recursing() -> None:
    looped: list[object] = [TOO_LONG]
    looped.append(looped)
    with refuses(zg.ArgumentTypeError, "sizes") as info:
        zg.Network.random(looped, "relu")  # type: ignore[arg-type]
    assert "[<int of 16610 bits>, [<int of 16610 bits>, [" in str(info.value)


@pytest.mark.parametrize(
    "tiny",
    [Fraction(1, 10**400), np.longdouble(2) ** -16000],
    ids=["Fraction", "long double"],
)
def test_a_number_float64_rounds_to_zero_keeps_its_sign_and_its_zero(tiny: object) -> None:
    # each rounds to 0.0 (or -0.0), which the checks would otherwise accept: a
    # positive one would silently turn weight decay (or a tolerance) off
    batch = (np.ones((2, 2)), np.ones((2, 1)))
    for reduction in ("sum", "none"):
        with refuses(zg.ArgumentValueError, "weight_decay", expected=">= 5e-324") as info:
            ONE.gradients(*batch, reduction=reduction, weight_decay=tiny)  # type: ignore[arg-type]
        assert str(info.value).startswith(
            "weight_decay must be 0 or a positive number float64 holds (at least 5e-324); got "
        )
        assert str(info.value).endswith(", which float64 rounds to 0.0")
    with refuses(zg.ArgumentValueError, "weight_decay", received=tiny):
        ONE.weight_penalty(tiny)  # type: ignore[arg-type]
    for tolerance in ("rtol", "atol"):
        with refuses(zg.ArgumentValueError, tolerance, expected=">= 5e-324"):
            ONE.check_gradients(*batch, **{tolerance: tiny})  # type: ignore[arg-type]
    # the smallest positive float64 is taken
    assert np.all(ONE.gradients(*batch, weight_decay=5e-324).W[1] == ONE.gradients(*batch).W[1])
    with refuses(zg.ArgumentValueError, "weight_decay", expected=">= 0"):
        ONE.gradients(*batch, weight_decay=-tiny)  # type: ignore[operator]
    for tolerance in ("rtol", "atol"):
        with refuses(zg.ArgumentValueError, tolerance, expected=">= 0"):
            ONE.check_gradients(*batch, **{tolerance: -tiny})  # type: ignore[operator]


def test_ints_beyond_64_bits_read_as_floats_as_int64_ones_do() -> None:
    # numpy keeps an all-int list holding 2**70 as Python objects
    beyond = ONE.gradients([2**70, 1], [0.0])
    same = ONE.gradients([2.0**70, 1.0], [0.0])
    assert all(
        np.array_equal(a, b) for (_, a), (_, b) in zip(beyond.arrays(), same.arrays(), strict=True)
    )
    assert zeros_of("relu", [-(2**70)]).tolist() == [-(2.0**70)]  # float64 holds it exactly
    with refuses(zg.ArgumentValueError, "candidates", received=-(2**64) - 1):
        zeros_of("relu", [-(2**64) - 1])  # float64 rounds it
    with refuses(zg.ArgumentValueError, "x", received=10**400) as info:
        ONE.gradients([1, 10**400], [0.0])
    assert str(info.value) == (
        "x must hold numbers within float64's range; got <int of 1329 bits> at index (1,)"
    )


def test_ints_beyond_64_bits_mixed_with_floats_read_as_floats() -> None:
    # numpy keeps [2**70, 0.5] as Python objects too
    beyond = ONE.gradients([2**70, 0.5], [0.0])
    same = ONE.gradients([2.0**70, 0.5], [0.0])
    assert all(
        np.array_equal(a, b) for (_, a), (_, b) in zip(beyond.arrays(), same.arrays(), strict=True)
    )
    with refuses(zg.ArgumentValueError, "candidates", received=-(2**70) - 1):
        zeros_of("relu", [-(2**70) - 1, 0.5])  # float64 rounds it
    # the least int float64 cannot hold, and the int just below it, which rounds to max
    with refuses(zg.ArgumentValueError, "x", received=2**1024 - 2**970) as info:
        ONE.gradients([0.5, 2**1024 - 2**970], [0.0])
    assert str(info.value).endswith("got <int of 1024 bits> at index (1,)")
    assert ONE.forward([0.5, 2**1024 - 2**970 - 1]).x[0][1] == np.finfo(np.float64).max


def test_numpy_scalars_beside_a_long_int_read_as_floats() -> None:
    beyond = ONE.gradients([2**70, np.float32(0.5)], [0.0])  # type: ignore[arg-type]
    same = ONE.gradients([2.0**70, 0.5], [0.0])
    assert all(
        np.array_equal(a, b) for (_, a), (_, b) in zip(beyond.arrays(), same.arrays(), strict=True)
    )
    assert zeros_of("relu", [2**70, np.float64(0.0), np.int64(-1)]).tolist() == [-1.0, 0.0]  # type: ignore[arg-type]


@pytest.mark.skipif(
    bool(np.finfo(np.longdouble).max <= np.finfo(np.float64).max),
    reason="long double is float64 on this platform: none is beyond float64's range",
)
def test_a_long_double_beyond_float64_beside_a_long_int_is_refused() -> None:
    huge = np.longdouble(2.0) ** 2000
    with refuses(zg.ArgumentValueError, "x", expected="a finite float64", received=huge) as info:
        ONE.gradients([2**70, huge], [0.0])  # type: ignore[arg-type]
    assert str(info.value) == (
        f"x must hold numbers within float64's range; got {huge!r} at index (1,)"
    )


def test_a_bool_inside_a_list_of_numbers_is_refused() -> None:
    # numpy reads [0.5, True] as [0.5, 1.0]; a bool array is refused, and so is this
    with refuses(zg.ArgumentTypeError, "x", expected="real numbers", received=bool) as info:
        ONE.gradients([[0.5, 1.0], [True, 0.0]], [[0.0], [0.0]])
    assert str(info.value) == (
        "x must hold real numbers (integer or floating dtype); got a bool at index (1, 0)"
    )
    with refuses(zg.ArgumentTypeError, "x") as info:
        ONE.gradients([np.array([0.5, 1.0]), np.array([False, True])], [[0.0], [0.0]])
    assert str(info.value).endswith("got a bool at index (1, 0)")
    with refuses(zg.ArgumentTypeError, "candidates"):
        zeros_of("relu", [0.0, True])
    with refuses(zg.ArgumentTypeError, "W[1]"):
        zg.Network(W=[[[2**70, np.True_]]], b=[[0.0]], activations="identity")  # type: ignore[list-item]
    # targets take bools as 0 and 1, inside a list too, and beside an int numpy keeps as
    # an object
    beside_long = ONE.gradients([[0.5, 1.0], [1.0, 0.0]], [[True], [2**70]])  # type: ignore[arg-type]
    assert (
        beside_long.b[1].tolist()
        == ONE.gradients([[0.5, 1.0], [1.0, 0.0]], [[1.0], [2.0**70]]).b[1].tolist()
    )
    with_bools = ONE.gradients([[0.5, 1.0], [1.0, 0.0]], [[True], [0.0]])  # type: ignore[arg-type]
    with_floats = ONE.gradients([[0.5, 1.0], [1.0, 0.0]], [[1.0], [0.0]])
    assert np.array_equal(with_bools.b[1], with_floats.b[1])


def test_a_refused_long_int_target_is_shown_as_given() -> None:
    net = zg.Network.random([1, 1], "sigmoid", seed=0)
    with refuses(zg.ArgumentValueError, "y", received=2**70 + 1) as info:
        net.gradients([0.5], [2**70 + 1], loss="binary_cross_entropy")
    assert str(info.value).endswith(f"got {2**70 + 1}")
    pair = zg.Network.random([1, 2], "identity", seed=0)
    with refuses(zg.ArgumentValueError, "y", received=-(2**70)):
        pair.gradients([0.5], [-(2**70), 0.5], loss="softmax_cross_entropy")
    # a sum of long ints beyond float64's range is inf, refused without a warning
    with refuses(zg.ArgumentValueError, "y", received=float("inf")):
        pair.gradients([0.5], [2**1023, 2**1023], loss="softmax_cross_entropy")


def test_an_empty_conv_is_shown_as_given() -> None:
    with refuses(zg.ArgumentValueError, "conv", expected=1, received=0) as info:
        zg.ConvNetwork.random((1, 3), ())
    assert str(info.value).endswith("; got ()")


class _BoolsWithoutDtype:
    """An array-like of bools whose __array__ takes no dtype, as numpy allows."""

    def __array__(self) -> np.ndarray:
        return np.array([True, True])


def test_a_masked_array_inside_a_list_is_refused_with_its_index() -> None:
    # numpy reads [masked] by its data and drops the mask: the masked 100.0 would count
    masked = np.ma.array([1.0, 100.0], mask=[False, True])
    message = "must be a plain array (a masked array's mask would be ignored); got a masked array"
    with refuses(
        zg.ArgumentTypeError, "x", expected=np.ndarray, received=np.ma.MaskedArray
    ) as info:
        ONE.forward([masked])
    assert str(info.value) == f"x {message} at index (0,)"
    with refuses(zg.ArgumentTypeError, "x") as info:
        ONE.forward(([0.5, 0.5], masked))  # type: ignore[arg-type]
    assert str(info.value) == f"x {message} at index (1,)"
    with refuses(zg.ArgumentTypeError, "y") as info:
        ONE.gradients([[1.0, 1.0]], [np.ma.array([3.0], mask=[True])])
    assert str(info.value) == f"y {message} at index (0,)"
    with refuses(zg.ArgumentTypeError, "W[1]"):
        zg.Network(W=[[masked]], b=[[0.0]], activations="identity")
    with refuses(zg.ArgumentTypeError, "values"):
        fractions_of([masked])
    # a masked constant: numpy would warn and read NaN; refused before numpy reads it
    with refuses(zg.ArgumentTypeError, "x") as info:
        ONE.forward([np.ma.masked, 1.0])  # type: ignore[arg-type]
    assert str(info.value) == f"x {message} at index (0,)"


def test_a_masked_entry_after_a_bool_is_refused_as_masked_without_a_warning() -> None:
    # numpy would warn for the masked constant; the mask is named, not the bool
    with refuses(zg.ArgumentTypeError, "x", received=np.ma.MaskedArray) as info:
        ONE.forward([True, np.ma.masked])  # type: ignore[arg-type]
    assert str(info.value).endswith("got a masked array at index (1,)")


def test_bools_alone_are_refused_by_dtype_and_bools_among_numbers_by_index() -> None:
    # numpy reads a list of bools as a bool array: refused by its dtype, as that array is
    for alone in ([True, False], np.array([True, False]), collections.deque([False, True])):
        with refuses(zg.ArgumentTypeError, "x", expected="real numbers") as info:
            ONE.forward(alone)
        assert str(info.value).endswith("got dtype bool")
    # a bool beside an int beyond 64 bits is kept by numpy as an object, in an array too
    with refuses(zg.ArgumentTypeError, "x", expected="real numbers", received=bool) as info:
        ONE.forward(np.array([2**70, True], dtype=object))
    assert str(info.value).endswith("got a bool at index (1,)")


def test_an_object_array_refused_names_the_entry_that_is_not_a_number() -> None:
    with refuses(zg.ArgumentTypeError, "x", expected="real numbers") as info:
        ONE.forward(None)  # type: ignore[arg-type]
    assert str(info.value).endswith("got dtype object (None)")
    with refuses(zg.ArgumentTypeError, "x") as info:
        ONE.forward([[0.5, None]])  # type: ignore[arg-type]
    assert str(info.value).endswith("got dtype object (None at index (0, 1))")
    with refuses(zg.ArgumentTypeError, "x") as info:
        ONE.forward(np.array([], dtype=object))
    assert str(info.value).endswith("got dtype object")
    # the first entry that is not a number is named, a bool or not
    for given in (np.array([None, True], dtype=object), [None, True]):
        with refuses(zg.ArgumentTypeError, "x") as info:
            ONE.forward(given)  # type: ignore[arg-type]
        assert str(info.value).endswith("got dtype object (None at index (0,))")
    # a numpy value that is not a number is shown as itself, not as the int it holds
    with refuses(zg.ArgumentTypeError, "x") as info:
        ONE.forward(np.array([1.0, np.timedelta64(1)], dtype=object))
    assert str(info.value).endswith("got dtype object (np.timedelta64(1) at index (1,))")
    with refuses(zg.ArgumentTypeError, "x") as info:
        ONE.forward([np.array(None), 1.0])  # type: ignore[arg-type]
    assert str(info.value).endswith("got dtype object (None at index (0,))")
    # numpy keeps a 0-d object array in a list as an array: shown by the value it holds
    with refuses(zg.ArgumentTypeError, "x") as info:
        ONE.forward([np.array("text", dtype=object), 1.0])  # type: ignore[arg-type]
    assert str(info.value).endswith("got dtype object ('text' at index (0,))")
    # an object array inside a list, holding a bool beside a long int: by the bool's index
    with refuses(zg.ArgumentTypeError, "x", received=bool) as info:
        ONE.forward([np.array([2**70, True], dtype=object)])
    assert str(info.value).endswith("got a bool at index (0, 1)")


class _CountsReads:
    """An array-like that counts how often numpy asks it for its array."""

    def __init__(self) -> None:
        self.reads = 0

    def __array__(self, dtype: object = None, copy: object = None) -> np.ndarray:
        self.reads += 1
        return np.array([0.5, 2.0])


class _RefusesToGiveAnArray:
    """An array-like whose __array__ fails, as numpy reports for a ragged one."""

    def __array__(self, dtype: object = None, copy: object = None) -> np.ndarray:
        msg = "no array here"
        raise ValueError(msg)


def test_an_array_like_that_fails_to_give_an_array_is_refused_by_name() -> None:
    with refuses(zg.ArgumentTypeError, "x", expected="a rectangular array"):
        ONE.forward(_RefusesToGiveAnArray())


def test_an_array_like_argument_is_read_once() -> None:
    given = _CountsReads()
    assert ONE.forward(given).x[0].tolist() == [0.5, 2.0]
    assert given.reads == 1


def test_bools_from_an_array_like_without_a_dtype_argument_are_refused() -> None:
    with refuses(zg.ArgumentTypeError, "x", expected="real numbers", received=bool) as info:
        ONE.forward([_BoolsWithoutDtype(), [0.5, 0.5]])  # type: ignore[arg-type]
    assert str(info.value).endswith("got a bool at index (0, 0)")
    with refuses(zg.ArgumentTypeError, "values"):
        fractions_of([[0.5, 0.5], _BoolsWithoutDtype()])  # type: ignore[arg-type]
    with refuses(zg.ArgumentTypeError, "x") as info:
        ONE.forward([0.5, np.True_])  # type: ignore[arg-type]
    assert str(info.value).endswith("got a bool at index (1,)")
    # numbers from numpy scalars and array-likes are still read
    assert ONE.forward([np.float64(0.5), np.int64(1)]).x[0].tolist() == [0.5, 1.0]


class _GivesMasked:
    """An array-like whose __array__ returns a masked array, which numpy unmasks."""

    def __array__(self, dtype: object = None, copy: object = None) -> np.ndarray:
        return np.ma.array([1.0, 100.0], mask=[False, True])


def test_other_sequences_and_array_likes_are_read_as_numpy_reads_them() -> None:
    message = "must be a plain array (a masked array's mask would be ignored); got a masked array"
    masked = np.ma.array([1.0, 100.0], mask=[False, True])
    # numpy reads a deque or a UserList entry by entry, as a list
    with refuses(zg.ArgumentTypeError, "x") as info:
        ONE.forward(collections.deque([True, 1.0]))
    assert str(info.value).endswith("got a bool at index (0,)")
    with refuses(zg.ArgumentTypeError, "x") as info:
        ONE.forward([collections.UserList([0.5, True])])
    assert str(info.value).endswith("got a bool at index (0, 1)")
    with refuses(zg.ArgumentTypeError, "x") as info:
        ONE.forward(collections.deque([np.ma.masked, 1.0]))  # type: ignore[arg-type]
    assert str(info.value) == f"x {message} at index (0,)"
    with refuses(zg.ArgumentTypeError, "y") as info:
        ONE.gradients([[1.0, 1.0]], collections.deque([masked[:1]]))
    assert str(info.value) == f"y {message} at index (0,)"
    # an array-like that gives a masked array, alone or in a list
    with refuses(zg.ArgumentTypeError, "x", received=np.ma.MaskedArray) as info:
        ONE.forward(_GivesMasked())
    assert str(info.value) == f"x {message}"
    with refuses(zg.ArgumentTypeError, "W[1]") as info:
        zg.Network(W=[[_GivesMasked()]], b=[[0.0]], activations="identity")
    assert str(info.value) == f"W[1] {message} at index (0,)"
    # a range or a deque of numbers is read as numbers
    assert ONE.forward(range(2)).x[0].tolist() == [0.0, 1.0]
    assert ONE.forward(collections.deque([0.5, 2])).x[0].tolist() == [0.5, 2.0]


def test_a_list_that_holds_itself_is_refused_as_not_rectangular() -> None:
    looped: list[object] = [1.0]
    looped.append(looped)
    with refuses(zg.ArgumentTypeError, "x", expected="a rectangular array"):
        ONE.forward(looped)  # type: ignore[arg-type]
    deep: list[object] = [1.0]
    for _ in range(100):
        deep = [deep]
    with refuses(zg.ArgumentTypeError, "values"):
        fractions_of(deep)  # type: ignore[arg-type]


class _Subclass(np.ndarray):
    """An ndarray subclass, as np.matrix is (which warns when made)."""


@pytest.mark.parametrize(
    "replacement",
    [np.ones((4, 3)).view(_Subclass), np.ma.masked_array(np.ones((4, 3)))],
    ids=["subclass", "masked array"],
)
def test_a_parameter_replaced_by_an_array_subclass_names_its_type(replacement: object) -> None:
    # It holds float64 of the right shape: the type is what is wrong, and the attributes
    # say so instead of reporting float64 against float64.
    net = zg.Network.random([3, 4, 2], "tanh", seed=0)
    net.W[1] = replacement  # type: ignore[assignment]
    with refuses(zg.ArgumentTypeError, "W[1]", expected=np.ndarray, received=type(replacement)):
        net.forward(np.ones(3))
    # a wrong dtype is still named by its dtype
    net.W[1] = np.ones((4, 3), dtype=np.float32)
    with refuses(zg.ArgumentTypeError, "W[1]", expected=np.dtype(np.float64)) as info:
        net.forward(np.ones(3))
    assert info.value.received == np.dtype(np.float32)


def test_weight_decay_times_a_weight_that_overflows_is_named() -> None:
    # The data gradient is 0.0 (the target is the prediction); only 4 * 1e308 overflows.
    net = zg.Network(W=[[[1.0, -1e308]]], b=[[0.0]], activations="identity")
    y = net.forward([0.0, 0.0]).x[1]
    with refuses(zg.NonFiniteError, "weight_decay * W[1]", index=(0, 1)) as info:
        zg.gradients(net, [0.0, 0.0], y, weight_decay=4.0)
    assert str(info.value) == (
        "weight_decay * W[1] must be finite; got -inf at index (0, 1): weight_decay times the "
        "entry -1e+308 overflowed float64"
    )


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: zg.ConvNetwork([np.ones((1, 0, 2))], [np.zeros(1)], "relu", length=3),
            (
                "W[1] must be a non-empty kernel (C_1, C_0, w_1) or matrix (n_1, n_0), every size "
                "at least 1; got shape (1, 0, 2)"
            ),
        ),
        (
            lambda: zg.ConvNetwork(
                [np.ones((1, 1, 2)), np.ones((0, 2))], [np.zeros(1), np.zeros(0)], "relu", length=3
            ),
            (
                "W[2] must be a non-empty kernel (C_2, C_1, w_2) or matrix (n_2, n_1), every size "
                "at least 1; got shape (0, 2)"
            ),
        ),
        (
            lambda: zg.RecurrentNetwork(
                [np.ones((2, 1)), np.ones((0, 2))],
                np.ones((2, 2)),
                [np.zeros(2), np.zeros(0)],
                "tanh",
            ),
            "W[2] must be a non-empty matrix of shape (n_2, n_1); got shape (0, 2)",
        ),
    ],
    ids=["conv-kernel", "conv-dense", "recurrent-readout"],
)
def test_an_empty_weight_is_named_as_empty(build: Callable[[], object], message: str) -> None:
    # Its other sizes chain: the message asks for what is missing, not for a shape that
    # the refused one meets or that no shape could.
    with pytest.raises(zg.ArgumentValueError) as info:
        build()
    assert str(info.value) == message


def test_a_sequence_of_no_steps_is_refused_with_its_length_rule() -> None:
    net = zg.RecurrentNetwork.random([1, 2, 1], activations="identity", seed=0)
    with pytest.raises(
        zg.ArgumentValueError, match=r"each named length at least 1 \(no batch axis\)"
    ):
        exact_forward(net, np.ones((0, 1)))


def test_a_bad_atol_is_refused_before_the_gradients_are_computed() -> None:
    # x overflows the gradient; atol is named first, as rtol is
    net = zg.Network.random([2, 1], "identity", seed=0)
    with refuses(zg.ArgumentValueError, "atol", received=-1.0):
        zg.check_gradients(net, [1e300, 1e300], [1.0], atol=-1.0)


def test_an_output_error_beyond_float64_is_named_not_a_zero_gradient_entry() -> None:
    # backpropagated, the infinite error times the zero weight would be NaN in W[1]'s
    # entry (0, 0), whose real value is 0
    net = zg.Network(
        W=[[[1.0], [1.0]], [[0.0, 1e308]]], b=[[0.0, 0.0], [0.0]], activations="identity"
    )
    with refuses(zg.NonFiniteError, "the output error delta", index=(0,)) as info:
        zg.gradients(net, [1.0], [-1e308])
    assert str(info.value) == (
        "the output error delta must be finite; got inf at index (0,): the values "
        "overflowed float64"
    )


def test_the_penalty_without_weight_decay_is_the_float_zero() -> None:
    net = zg.Network(W=[[[1.0, 2.0]]], b=[[5.0]], activations="identity")
    penalty = net.weight_penalty(0.0)
    assert type(penalty) is float
    assert penalty == 0.0
