"""zerograd.gradient_norms against the norms of reduction="none", its errors, memory and rounding.

The reference is the norm of each row of ``gradients(..., reduction="none")``, computed by the
same engine's per-sample rules and ``np.linalg.norm``. Two float64 computations of one number
agree to a few units of rounding, except where a shared weight's terms
``delta_t u_t^T`` cancel: the per-sample gradient ``G_n`` formed in float64 (by either side) is
then only accurate to a few ``u S_n``, ``S_n = sum_t |delta_t| |u_t|``, which can be more than
1e-12 of ``|G_n|``. So a norm must agree to ``1e-12 |ref| + 8 u S_n``, with ``S_n = 0`` for
dense layers and biases (no cancellation: the plain 1e-12 relative).
"""

from __future__ import annotations

import math
import tracemalloc
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from gradient_cases import Case, FloatArray, cases, conv_cases, recurrent_cases
from hypothesis import given
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view

import zerograd as zg
from zerograd import layers
from zerograd.examples import cancelling_batch_full_rank, zero_output_bias_batch

U_ROUND = np.finfo(np.float64).eps / 2
RELATIVE = 1e-12
METHODS = ("auto", "gram", "direct")


@contextmanager
def method(chosen: str) -> Iterator[None]:
    """Make every shared weight use the Gram form or G itself (or the size rule, for "auto")."""
    saved = layers.GRAM_COST_FACTOR
    # The rule picks the Gram form when factor * gram < direct: 0 always, inf never.
    layers.GRAM_COST_FACTOR = {"auto": saved, "gram": 0.0, "direct": math.inf}[chosen]
    try:
        yield
    finally:
        layers.GRAM_COST_FACTOR = saved


def batch_of(case: Case[Any]) -> tuple[FloatArray, FloatArray]:
    """The case's inputs and targets with a batch axis."""
    return (case.x[None], case.y[None]) if case.single else (case.x, case.y)


def reference_norms(
    net: zg.Model, x: FloatArray, y: FloatArray, loss: str
) -> dict[str, FloatArray]:
    """Each sample's norm of each parameter's gradient, from reduction="none"."""
    g = zg.gradients(net, x, y, loss=loss, reduction="none")
    return {name: np.linalg.norm(a.reshape(len(a), -1), axis=1) for name, a in g.arrays()}


def term_sizes(delta: FloatArray, inputs: FloatArray) -> FloatArray:
    """S_n = sum_t |delta_t| |u_t| for delta (N, T, a) and inputs (N, T, c)."""
    sizes: FloatArray = (np.linalg.norm(delta, axis=2) * np.linalg.norm(inputs, axis=2)).sum(1)
    return sizes


def rounding_scales(
    net: zg.Model, x: FloatArray, y: FloatArray, loss: str
) -> dict[str, FloatArray]:
    """S_n of every weight shared over positions or steps, from the engine's own deltas."""
    g = zg.gradients(net, x, y, loss=loss, reduction="none")
    trace = net.forward(x)
    n = len(x)
    scales: dict[str, FloatArray] = {}
    if isinstance(net, zg.ConvNetwork):
        for k in net.W:
            if net.is_conv(k):
                windows = sliding_window_view(trace.x[k - 1], net.W[k].shape[2], axis=2)
                flat = windows.transpose(0, 2, 1, 3).reshape(n, windows.shape[2], -1)
                scales[f"W[{k}]"] = term_sizes(g.z[k].transpose(0, 2, 1), flat)
    elif isinstance(net, zg.RecurrentNetwork):
        inputs, states = trace.x[0], trace.x[1]
        scales["W[1]"] = term_sizes(g.z[1], inputs)
        scales["U[1]"] = term_sizes(g.z[1][:, 1:], states[:, :-1])
        scales["W[2]"] = term_sizes(g.z[2], states)
    return scales


def assert_matches_reference(norms: zg.GradientNorms, case: Case[Any], label: str = "") -> None:
    """Every norm within 1e-12 relative of the reference, plus 8 u S_n for shared weights."""
    x, y = batch_of(case)
    reference = reference_norms(case.net, x, y, case.loss)
    scales = rounding_scales(case.net, x, y, case.loss)
    got = dict(norms.arrays())
    assert list(got) == list(reference), f"{label}: names {list(got)} != {list(reference)}"
    for name, expected in reference.items():
        value = np.asarray(got[name])
        assert value.shape == (() if case.single else expected.shape), f"{label} {name}: shape"
        value = value.reshape(expected.shape)
        allowed = RELATIVE * expected + 8 * U_ROUND * scales.get(name, 0.0)
        error = np.abs(value - expected)
        assert np.all(error <= allowed), (
            f"{label} {name}: error {error} above the allowance {allowed}; "
            f"gradient_norms {value}, per-sample gradients' norms {expected}"
        )


# The three models against reduction="none" ----------------------------------------------


MODELS: dict[str, st.SearchStrategy[Case[Any]]] = {
    "dense": cases(reductions=["none"]),
    "conv": conv_cases(reductions=["none"]),
    "recurrent": recurrent_cases(reductions=["none"]),
}


@pytest.mark.parametrize("kind", list(MODELS))
@given(data=st.data(), chosen=st.sampled_from(METHODS))
def test_each_model_matches_the_norms_of_per_sample_gradients(
    kind: str, data: st.DataObject, chosen: str
) -> None:
    case = data.draw(MODELS[kind])
    with method(chosen):
        norms = zg.gradient_norms(case.net, case.x, case.y, loss=case.loss)
    assert_matches_reference(norms, case, f"{case.net!r} {chosen}")


def test_larger_shared_weights_match_by_both_methods() -> None:
    # Wider layers and longer inputs than the drawn cases, so that the size rule picks each
    # method on its own ("auto") somewhere: the first two convolutions take G, the last two
    # layers the Gram form.
    rng = np.random.default_rng(5)
    conv = zg.ConvNetwork.random((4, 40), [(6, 5), (5, 3)], [3], "tanh", seed=1)
    wide = zg.ConvNetwork.random((32, 6), [(64, 3)], [2], ["relu", "identity"], seed=2)
    rnn = zg.RecurrentNetwork.random([48, 48, 4], ["tanh", "identity"], output="every", seed=3)
    models: list[tuple[zg.Model, FloatArray, FloatArray]] = [
        (conv, rng.normal(size=(9, 4, 40)), rng.normal(size=(9, 3))),
        (wide, rng.normal(size=(9, 32, 6)), rng.normal(size=(9, 2))),
        (rnn, rng.normal(size=(9, 5, 48)), rng.normal(size=(9, 5, 4))),
    ]
    assert layers.choose_method(34, 6, 4, 5) == "direct"
    assert layers.choose_method(4, 64, 32, 3) == "gram"
    # The documented counts, T^2 (a + w + 1) + (T + w - 1)^2 c against w a c (T + 1), with
    # w = 1 by default and the Gram count weighted by 4:
    # T = 4, a = c = 32: 4 (16 * 34 + 16 * 32) = 4224 < 32 * 32 * 5 = 5120, Gram;
    # T = 6: 4 (36 * 34 + 36 * 32) = 9504 > 32 * 32 * 7 = 7168, direct.
    assert layers.choose_method(4, 32, 32) == "gram"
    assert layers.choose_method(6, 32, 32) == "direct"
    # Close to the tie: T = 4, a = c = 26: 4 (16 * 28 + 16 * 26) = 3456 > 26 * 26 * 5 = 3380.
    assert layers.choose_method(4, 26, 26) == "direct"
    # and a = c = 27: 4 (16 * 29 + 16 * 27) = 3584 < 27 * 27 * 5 = 3645.
    assert layers.choose_method(4, 27, 27) == "gram"
    # An exact tie goes to the direct form, as documented: T = 1, a = 3, c = 10:
    # 4 (1 * 5 + 1 * 10) = 60 = 10 * 3 * 2.
    assert layers.choose_method(1, 3, 10) == "direct"
    # The kernel width counts: T = 4, a = c = 16, w = 5 (span 8):
    # 4 (16 * 22 + 64 * 16) = 5504 < 5 * 16 * 16 * 5 = 6400, Gram; with w = 1,
    # 4 (16 * 18 + 16 * 16) = 2176 > 16 * 16 * 5 = 1280, direct.
    assert layers.operation_counts(4, 16, 16, 5) == (1376, 6400)
    assert layers.operation_counts(4, 16, 16) == (544, 1280)
    assert layers.choose_method(4, 16, 16, 5) == "gram"
    assert layers.choose_method(4, 16, 16) == "direct"
    for net, x, y in models:
        for chosen in METHODS:
            with method(chosen):
                norms = zg.gradient_norms(net, x, y)
            case = Case(net, x, y, "squared_error", "none", single=False)
            assert_matches_reference(norms, case, f"{net!r} {chosen}")


# The shared-weight rule on its own ------------------------------------------------------


@given(
    shape=st.tuples(st.integers(1, 5), st.integers(1, 20), st.integers(1, 8), st.integers(1, 8)),
    width=st.integers(1, 4),
    chosen=st.sampled_from(METHODS),
    seed=st.integers(0, 2**32 - 1),
)
def test_shared_weight_norms_are_those_of_g_formed_window_by_window(
    shape: tuple[int, int, int, int], width: int, chosen: str, seed: int
) -> None:
    n, steps, a, c = shape
    rng = np.random.default_rng(seed)
    delta = rng.normal(size=(n, steps, a))
    inputs = rng.normal(size=(n, steps + width - 1, c))
    windows = np.stack([inputs[:, t : t + width].reshape(n, -1) for t in range(steps)], axis=1)
    explicit = np.linalg.norm(np.einsum("nta,ntc->nac", delta, windows).reshape(n, -1), axis=1)
    got = layers.shared_weight_norms(delta, inputs, width, method=chosen)  # type: ignore[arg-type]
    allowed = RELATIVE * explicit + 8 * U_ROUND * term_sizes(delta, windows)
    assert np.all(np.abs(got - explicit) <= allowed), (chosen, got, explicit)


@pytest.mark.parametrize(("steps", "a", "c"), [(2, 3, 4), (8, 16, 16), (34, 5, 7)])
def test_the_gram_form_hands_cancelling_samples_to_g(steps: int, a: int, c: int) -> None:
    """Terms that cancel to 1e-12 of their size, against an 80-bit reference.

    Each sample is within 1e-12 relative of the exact norm, or within 4 u S_n of it (no
    float64 method does better: forming G_n alone is off by that much); without the
    fallback the Gram sum alone is off by far more.
    """
    rng = np.random.default_rng(steps)
    n = 3000
    eta = 10.0 ** rng.uniform(-12, 0, size=n)
    delta = rng.normal(size=(n, steps, a))
    inputs = rng.normal(size=(n, steps, c))
    half = steps // 2
    delta[:, half : 2 * half] = -delta[:, :half] * (1 + eta[:, None, None])
    inputs[:, half : 2 * half] = inputs[:, :half]
    wide_delta, wide_inputs = delta.astype(np.longdouble), inputs.astype(np.longdouble)
    exact_g = np.einsum("nta,ntc->nac", wide_delta, wide_inputs)
    exact = np.sqrt((exact_g**2).sum(axis=(1, 2))).astype(np.float64)
    scale = term_sizes(delta, inputs)
    gram = layers.shared_weight_norms(delta, inputs, 1, method="gram")
    error = np.abs(gram - exact)
    assert np.all(error <= np.maximum(RELATIVE * exact, 4 * U_ROUND * scale)), np.max(error / exact)
    saved = layers.GRAM_CONDITION_LIMIT
    layers.GRAM_CONDITION_LIMIT = math.inf  # the fallback off
    try:
        with np.errstate(invalid="ignore"):  # a negative Gram sum has no square root
            unchecked = layers.shared_weight_norms(delta, inputs, 1, method="gram")
    finally:
        layers.GRAM_CONDITION_LIMIT = saved
    assert np.nanmax(np.abs(unchecked - exact) / exact) > 1e-8


@pytest.mark.parametrize(
    ("steps", "a", "c", "width"), [(8, 64, 64, 1), (60, 16, 4, 1), (4, 64, 32, 3), (34, 6, 4, 5)]
)
@pytest.mark.parametrize("chosen", METHODS)
def test_shared_weight_norms_runs_the_method_asked_for(
    steps: int, a: int, c: int, width: int, chosen: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An explicit method runs as asked, "auto" runs choose_method's pick; blocks cover the batch."""
    calls: list[tuple[str, int]] = []
    for name in ("gram", "direct"):
        real = getattr(layers, f"_{name}_squares")

        def spy(
            delta: FloatArray, inputs: FloatArray, w: int, *, real: Any = real, name: str = name
        ) -> FloatArray:
            calls.append((name, len(delta)))
            return np.asarray(real(delta, inputs, w))

        monkeypatch.setattr(layers, f"_{name}_squares", spy)
    rng = np.random.default_rng(steps)
    n = 40
    delta = rng.normal(size=(n, steps, a))
    inputs = rng.normal(size=(n, steps + width - 1, c))
    got = layers.shared_weight_norms(delta, inputs, width, method=chosen)  # type: ignore[arg-type]
    want = layers.choose_method(steps, a, c, width) if chosen == "auto" else chosen
    assert calls[0][0] == want, calls
    top = [call for call in calls if call[0] == want]
    if want == "direct":  # (the Gram form may hand a few samples to G)
        assert top == calls, calls
    assert sum(size for _, size in top) == n, calls
    # G_n has one (a, c) block per kernel offset j: sum_t delta_t x_{t+j}^T.
    blocks = [np.einsum("nta,ntc->nac", delta, inputs[:, j : j + steps]) for j in range(width)]
    explicit = np.linalg.norm(np.concatenate(blocks, axis=2).reshape(n, -1), axis=1)
    np.testing.assert_allclose(got, explicit, rtol=1e-10)


def test_a_weight_applied_at_no_step_has_norm_zero() -> None:
    # U[1] of a sequence of one step: x^(1)_0 = 0, so its gradient is exactly 0.
    net = zg.RecurrentNetwork.random([2, 3, 1], output="every", seed=1)
    norms = zg.gradient_norms(net, np.ones((4, 1, 2)), np.zeros((4, 1, 1)))
    assert np.array_equal(norms.U[1], np.zeros(4))
    assert np.all(norms.W[1] > 0)


# Exact zeros, and what a batch gradient does not show ------------------------------------


@pytest.mark.parametrize(
    ("sizes", "activations"),
    [([3, 5, 2], ["tanh", "identity"]), ([3, 4, 4, 2], ["relu", "silu", "sigmoid"])],
)
def test_zero_output_errors_give_norms_of_exactly_zero(
    sizes: list[int], activations: list[str]
) -> None:
    case = zero_output_bias_batch(sizes, activations, seed=3)
    assert not np.any(case.gradients(reduction="none").z[case.net.K]), "the premise"
    for name, values in zg.gradient_norms(case.net, case.x, case.y).arrays():
        assert np.all(values == 0.0), f"{name}: {values}"


def test_a_cancelling_batch_has_non_zero_norms() -> None:
    case = cancelling_batch_full_rank()
    summed = case.gradients(reduction="sum")
    assert not np.any(summed.W[2]), "the premise"
    assert not np.any(summed.b[2]), "the premise"
    norms = zg.gradient_norms(case.net, case.x, case.y)
    assert np.array_equal(norms.b[2], np.full(4, 0.5))  # each |delta^(2)_n| = 1/2
    # |delta^(2)_n| |x^(1)_n| with x^(1) = (1, 0), (0, 1), (1, 1), (0, 0):
    np.testing.assert_allclose(norms.W[2], [0.5, 0.5, 0.5 * math.sqrt(2.0), 0.0], rtol=1e-15)
    assert np.any(norms.W[1] > 0)


# The result's layout ---------------------------------------------------------------------


def test_one_sample_gives_shape_empty_and_equals_a_batch_of_one() -> None:
    models: list[tuple[zg.Model, FloatArray, FloatArray]] = [
        (zg.Network.random([3, 4, 2], ["relu", "identity"], seed=2), np.ones(3), np.zeros(2)),
        (zg.ConvNetwork.random((2, 5), [(3, 2)], [1], seed=2), np.ones((2, 5)), np.zeros(1)),
        (zg.RecurrentNetwork.random([2, 3, 1], seed=2), np.ones((4, 2)), np.zeros(1)),
    ]
    for net, x, y in models:
        one = zg.gradient_norms(net, x, y)
        batch = zg.gradient_norms(net, x[None], y[None])
        for (name, a), (other, b) in zip(one.arrays(), batch.arrays(), strict=True):
            assert name == other
            assert a.shape == (), name
            assert b.shape == (1,), name
            assert a == b[0], name
        assert one.total().shape == ()
        assert isinstance(one.total(), np.ndarray), "a 0-d array, as documented"


def test_names_and_order_are_those_of_gradients() -> None:
    net = zg.RecurrentNetwork.random([2, 3, 2], output="every", seed=4)
    x, y = np.ones((3, 4, 2)), np.zeros((3, 4, 2))
    norms = zg.gradient_norms(net, x, y)
    names = [name for name, _ in zg.gradients(net, x, y).arrays()]
    assert [name for name, _ in norms.arrays()] == names == ["W[1]", "U[1]", "b[1]", "W[2]", "b[2]"]
    assert norms.U[1] is norms.parameters["U"][1]
    with pytest.raises(AttributeError, match="these gradient norms have no parameter 'V'"):
        _ = norms.V


def test_a_sample_norm_does_not_depend_on_the_rest_of_the_batch() -> None:
    net = zg.ConvNetwork.random((2, 10), [(3, 3), (2, 2)], [2], seed=1)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(9, 2, 10)), rng.normal(size=(9, 2))
    whole = dict(zg.gradient_norms(net, x, y).arrays())
    parts = [dict(zg.gradient_norms(net, x[s], y[s]).arrays()) for s in (slice(0, 4), slice(4, 9))]
    for name, values in whole.items():
        together = np.concatenate([part[name] for part in parts])
        np.testing.assert_allclose(values, together, rtol=1e-14, err_msg=name)


def test_total_is_the_norm_of_each_sample_s_whole_gradient() -> None:
    net = zg.RecurrentNetwork.random([2, 3, 2], output="every", seed=4)
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(5, 4, 2)), rng.normal(size=(5, 4, 2))
    g = zg.gradients(net, x, y, reduction="none")
    flat = np.concatenate([a.reshape(5, -1) for _, a in g.arrays()], axis=1)
    total = zg.gradient_norms(net, x, y).total()
    np.testing.assert_allclose(total, np.linalg.norm(flat, axis=1), rtol=1e-12)


def test_total_does_not_overflow_where_the_norms_do_not() -> None:
    # One dense sample with delta = 2e100 and x = 1e100: |dW| = 2e200, |db| = 2e100, and
    # the whole gradient's norm is 2e200 (to 1e-200 relative), though 2e200**2 overflows.
    net = zg.Network([[[1.0]]], [[0.0]], "identity")
    norms = zg.gradient_norms(net, [1e100], [1e100 - 2e100])
    assert (float(norms.W[1]), float(norms.b[1])) == (2e200, 2e100)
    assert float(norms.total()) == pytest.approx(2e200, rel=1e-15)


def test_norms_below_the_square_root_of_the_smallest_float_underflow_as_documented() -> None:
    # W = 0 and y = -1e-170 make delta = 1e-170, whose square is below the smallest
    # float: the norm comes out 0 while dL/dW = delta x = 1e-170 is not
    net = zg.Network([[[0.0]]], [[0.0]], "identity")
    norms = zg.gradient_norms(net, [1.0], [-1e-170])
    assert zg.gradients(net, [1.0], [-1e-170]).W[1][0, 0] == 1e-170
    assert (float(norms.W[1]), float(norms.b[1])) == (0.0, 0.0)


# Bad input gets the errors of gradients ------------------------------------------------


def dense() -> zg.Network:
    return zg.Network.random([2, 1], "identity", seed=0)


BAD_INPUTS: list[tuple[str, Callable[[], tuple[Any, Any, Any, Any]]]] = [
    ("NaN in x", lambda: (dense(), [[np.nan, 1.0]], [1.0], "squared_error")),
    ("x of the wrong width", lambda: (dense(), [[1.0, 2.0, 3.0]], [1.0], "squared_error")),
    ("unknown loss", lambda: (dense(), [[1.0, 2.0]], [1.0], "mse")),
    ("loss not a string", lambda: (dense(), [[1.0, 2.0]], [1.0], 3)),
    ("bce without sigmoid", lambda: (dense(), [[1.0, 2.0]], [1.0], "binary_cross_entropy")),
    (
        "y of the wrong shape",
        lambda: (
            zg.ConvNetwork.random((1, 4), [(2, 2)]),
            np.ones((3, 1, 4)),
            np.ones((3, 5)),
            "squared_error",
        ),
    ),
    (
        "empty batch",
        lambda: (
            zg.RecurrentNetwork.random([2, 3, 1]),
            np.ones((0, 4, 2)),
            np.ones((0, 1)),
            "squared_error",
        ),
    ),
    ("string x", lambda: (dense(), "ab", [1.0], "squared_error")),
    ("inf in y", lambda: (dense(), [[1.0, 2.0]], [np.inf], "squared_error")),
    ("not a model", lambda: ("net", [[1.0, 2.0]], [1.0], "squared_error")),
]


@pytest.mark.parametrize(("label", "make"), BAD_INPUTS, ids=[label for label, _ in BAD_INPUTS])
def test_bad_input_gets_the_errors_of_gradients(label: str, make: Callable[[], Any]) -> None:
    net, x, y, loss = make()
    with pytest.raises(zg.ArgumentError) as expected:
        zg.gradients(net, x, y, loss=loss, reduction="none")
    with pytest.raises(type(expected.value)) as ours:
        zg.gradient_norms(net, x, y, loss=loss)
    assert str(ours.value) == str(expected.value), label
    assert ours.value.argument == expected.value.argument


def test_a_changed_parameter_is_named() -> None:
    net = zg.Network.random([2, 3, 1], "tanh", seed=0)
    net.W[2][0, 1] = np.inf
    with pytest.raises(
        zg.NonFiniteError, match=r"^W\[2\] must be finite; got inf at index \(0, 1\)"
    ):
        zg.gradient_norms(net, np.ones((2, 2)), np.zeros((2, 1)))


def test_a_norm_that_overflows_is_refused() -> None:
    # Each gradient entry, 1e160 * 1e160 = 1e320, overflows, and so does the norm.
    net = zg.Network(W=[[[1.0]]], b=[[0.0]], activations="identity")
    x, y = np.array([[1e160], [1.0]]), np.array([[-1e160], [0.0]])
    message = (
        r"^the gradient norm W\[1\] must be finite; got inf at index \(0,\): "
        r"a value it is formed from \(the sum of squares of a factor, or a shared weight's "
        r"per-sample gradient\) overflowed float64, while the forward and backward values are finite \(.*below about 1\.3e154: scale x, y or the parameters down\)$"
    )
    with pytest.raises(zg.NonFiniteError, match=message):  # sample 0 overflows, sample 1 does not
        zg.gradient_norms(net, x, y)
    # 1.3e154, as the message says, is where a square overflows
    assert 1.34e154 < math.sqrt(np.finfo(np.float64).max) < 1.35e154


def test_a_shared_weight_s_gradient_that_overflows_is_not_blamed_on_a_sum_of_squares() -> None:
    # G = (2e308, 2e308), the kernel's per-sample gradient, overflows as it is summed over
    # the two positions, before anything is squared; x, z, x^(1) and delta are finite.
    net = zg.ConvNetwork(W=[[[[1.0, 1.0]]]], b=[[0.0]], activations="identity", length=3)
    x = np.array([[1e154, 1e154, 1e154]])
    y = net.forward(x).x[1] - np.array([[1e154, 1e154]])
    with pytest.raises(zg.NonFiniteError) as refused:
        zg.gradient_norms(net, x, y)
    assert str(refused.value).startswith("the gradient norm W[1] must be finite; got inf")
    assert "or a shared weight's per-sample gradient) overflowed float64" in str(refused.value)


def test_a_norm_whose_backward_pass_overflows_says_so() -> None:
    # delta^(2) = 1e300 is finite, delta^(1) = W^(2) delta^(2) = 1e500 is not: the backward
    # pass overflowed, not a sum of squares alone
    net = zg.Network(W=[[[1e-200]], [[1e200]]], b=[[0.0], [0.0]], activations="identity")
    message = r"^the gradient norm W\[1\] must be finite; got inf at index \(0,\): the values overflowed float64$"
    with pytest.raises(zg.NonFiniteError, match=message):
        zg.gradient_norms(net, [[1.0]], [[-1e300]])


def test_the_overflow_limit_is_on_the_factors_not_on_the_norm() -> None:
    # The gradient_norms docstring: a dense weight's norm is |delta_n| |x_n|, each factor
    # formed from its square, so a factor above about 1e154 (sqrt of float64's largest,
    # 1.34e154) is refused, while a norm above 1e154 made of two smaller factors is not.
    net = zg.Network(W=[[[1.0]]], b=[[0.0]], activations="identity")
    big = zg.gradient_norms(net, [[1e100]], [[0.0]])  # delta = x = 1e100
    assert big.W[1][0] == pytest.approx(1e200, rel=1e-12)
    assert zg.gradient_norms(net, [[1.0]], [[-1e153]]).W[1][0] == pytest.approx(1e153)
    per_sample = zg.gradients(net, [[1.0]], [[-1e155]], reduction="none").W[1]
    assert np.all(np.isfinite(per_sample)), "the per-sample gradient, 1e155, fits"
    with pytest.raises(zg.NonFiniteError, match=r"^the gradient norm W\[1\] must be finite"):
        zg.gradient_norms(net, [[1.0]], [[-1e155]])  # delta = 1e155: its square overflows


@pytest.mark.parametrize("shared", ["recurrent", "convolution"])
def test_a_shared_weight_norm_above_the_limit_is_refused(shared: str) -> None:
    # The docstring's other half: a weight shared over steps or positions squares its
    # norm itself, so a norm of 2e200 is refused although each factor is 1e100 and
    # the per-sample gradient it comes from is finite.
    model: zg.RecurrentNetwork | zg.ConvNetwork
    if shared == "recurrent":
        model = zg.RecurrentNetwork(
            W=[[[1.0]], [[1.0]]],
            U=[[0.0]],
            b=[[0.0], [0.0]],
            activations="identity",
            output="every",
        )
        x, y = [[[1e100], [1e100]]], [[[0.0], [0.0]]]
        name = "W[2]"
    else:
        model = zg.ConvNetwork(W=[[[[1.0]]]], b=[[0.0]], activations="identity", length=2)
        x, y = [[[1e100, 1e100]]], [[[0.0, 0.0]]]
        name = "W[1]"
    per_sample = getattr(zg.gradients(model, x, y, reduction="none"), name[0])[int(name[2])]
    assert np.all(np.isfinite(per_sample))
    assert np.max(np.abs(per_sample)) == pytest.approx(2e200)
    with pytest.raises(zg.NonFiniteError, match=r"^the gradient norm \w\[\d\] must be finite"):
        zg.gradient_norms(model, x, y)


def test_a_backward_overflow_names_the_delta_where_it_began() -> None:
    # The gradients docstring: the deltas are checked first, from the last layer down, so
    # the message names delta^(2) = W^(3)T delta^(3) = 1e200 * -1e150, the first value
    # beyond float64, and not W[1], which is formed from it (and W[1]'s real value,
    # 1e-300 times that, is beyond float64 too).
    net = zg.Network(
        W=[[[1.0]], [[1e-300]], [[1e200]]],
        b=[[0.0], [0.0], [0.0]],
        activations=["identity", "tanh", "identity"],
    )
    assert np.all(np.isfinite(net.forward([1.0]).x[3])), "the forward pass is finite"
    message = r"^the gradient z\[2\] must be finite; got -inf at index \(0,\): the values"
    with pytest.raises(zg.NonFiniteError, match=message):
        zg.gradients(net, [1.0], [1e150])


def test_reduction_and_weight_decay_are_not_arguments() -> None:
    # The norms are those of each sample's own loss; the penalty belongs to no sample.
    net = dense()
    for keyword in ("reduction", "weight_decay"):
        with pytest.raises(TypeError, match=f"unexpected keyword argument '{keyword}'"):
            zg.gradient_norms(net, [[1.0, 2.0]], [1.0], **{keyword: "mean"})


# Memory ----------------------------------------------------------------------------------


def peak_bytes(function: Callable[[], object]) -> int:
    """The most memory numpy and Python held at once while ``function`` ran, above the start."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        function()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


@dataclass(frozen=True)
class MemoryCase:
    label: str
    net: zg.Model
    x_shape: tuple[int, ...]
    y_shape: tuple[int, ...]


MEMORY_CASES = [
    MemoryCase(
        "dense 784-128-10", zg.Network.random([784, 128, 10], ["tanh", "identity"]), (784,), (10,)
    ),
    MemoryCase(
        "conv 64x6, two 64-channel layers",
        zg.ConvNetwork.random((64, 6), [(64, 3), (64, 3)], [4]),
        (64, 6),
        (4,),
    ),
    MemoryCase(
        "elman 128-128-8, every step",
        zg.RecurrentNetwork.random([128, 128, 8], output="every"),
        (2, 128),
        (2, 8),
    ),
]


@pytest.mark.parametrize("case", MEMORY_CASES, ids=[case.label for case in MEMORY_CASES])
@pytest.mark.parametrize("chosen", METHODS)
def test_no_per_sample_gradient_is_built(case: MemoryCase, chosen: str) -> None:
    """The peak stays far below one per-sample copy of the largest weight, and near the forward pass.

    One per-sample weight array takes N x P_k x 8 bytes; per-sample gradients take that for
    every weight. The forward pass keeps every layer's z and x, as gradient_norms does too.
    """
    n = 2048
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(n, *case.x_shape)), rng.normal(size=(n, *case.y_shape))
    largest = max(case.net.W[k].size for k in case.net.W)
    per_sample_bytes = n * largest * 8
    forward = peak_bytes(lambda: case.net.forward(x))
    with method(chosen):
        peak = peak_bytes(lambda: zg.gradient_norms(case.net, x, y))
    assert peak < per_sample_bytes / 4, (
        f"{case.label} ({chosen}): peak {peak / 2**20:.1f} MiB, one per-sample weight array "
        f"{per_sample_bytes / 2**20:.1f} MiB"
    )
    assert peak < 2 * forward, (
        f"{case.label} ({chosen}): peak {peak / 2**20:.1f} MiB, forward pass "
        f"{forward / 2**20:.1f} MiB"
    )


def test_the_gram_form_s_scratch_stays_near_delta_s_size_for_one_step() -> None:
    # With T = 1 each sample's Gram matrices are 1 x 1, as small as its other arrays
    # (the diagonal, the squares, the marks): the block must count those too.
    n, n_out, n_in = 200_000, 4, 4
    rng = np.random.default_rng(0)
    delta, inputs = rng.normal(size=(n, 1, n_out)), rng.normal(size=(n, 1, n_in))
    peak = peak_bytes(lambda: layers.shared_weight_norms(delta, inputs, method="gram"))
    limit = 1.5 * max(layers.BLOCK_BYTES, delta.nbytes)
    assert peak < limit, f"peak {peak / 2**20:.1f} MiB, limit {limit / 2**20:.1f} MiB"


@pytest.mark.parametrize("chosen", ["gram", "direct", "auto"])
def test_shared_weights_of_an_input_of_width_zero_have_norm_zero(chosen: str) -> None:
    # G_n has no column: each sample's norm is 0, and the direct form's blocks need no
    # scratch at all (the Gram form's redone samples count one row of delta)
    delta, inputs = np.ones((2, 3, 2)), np.zeros((2, 3, 0))
    norms = layers.shared_weight_norms(delta, inputs, method=chosen)  # type: ignore[arg-type]
    assert norms.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("chosen", ["gram", "direct"])
def test_shared_weight_norms_give_inf_for_an_overflow_without_a_warning(chosen: str) -> None:
    # G_n's entries, 2e308, overflow; the caller refuses the inf, so numpy is not let warn
    delta, inputs = np.array([[[1e154], [1e154]]]), np.array([[[1e154], [1e154]]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        norms = layers.shared_weight_norms(delta, inputs, method=chosen)  # type: ignore[arg-type]
    assert norms.tolist() == [np.inf]


def test_the_gram_form_s_scratch_stays_near_the_block_size_for_a_wide_input() -> None:
    # The Gram form is chosen where the input is wide (c >> a), so a temporary of the
    # input's size, even a boolean one (an eighth of it, 8 MiB here), would dominate.
    n, steps, n_out, n_in = 500, 2, 8, 8192
    assert layers.choose_method(steps, n_out, n_in) == "gram"
    rng = np.random.default_rng(0)
    delta = rng.normal(size=(n, steps, n_out))
    delta[::2, 0] = 0.0  # a zero term, so that which steps are live is looked at
    inputs = rng.normal(size=(n, steps, n_in))
    peak = peak_bytes(lambda: layers.shared_weight_norms(delta, inputs))
    limit = 1.5 * max(layers.BLOCK_BYTES, delta.nbytes)
    assert peak < limit, f"peak {peak / 2**20:.1f} MiB, limit {limit / 2**20:.1f} MiB"


def test_the_gram_form_redoes_samples_within_the_block_size_for_a_wide_kernel() -> None:
    # Every sample's first step underflows to a diagonal term of 0, so every sample is
    # computed again from G_n; picking them copies their delta and their input window,
    # which with a kernel this wide is larger than the direct form's other scratch
    # (9 MiB of input in all).
    n, steps, n_out, n_in, width = 128, 64, 64, 16, 512
    assert layers.choose_method(steps, n_out, n_in, width) == "gram"
    rng = np.random.default_rng(0)
    delta = rng.normal(size=(n, steps, n_out))
    delta[:, 0] = 1e-170
    inputs = rng.normal(size=(n, steps + width - 1, n_in))
    _, redone = layers._gram_squares(delta[:8], inputs[:8], width)
    assert redone.all(), "the premise: each sample is computed again from G_n"
    peak = peak_bytes(lambda: layers.shared_weight_norms(delta, inputs, width))
    limit = 1.5 * max(layers.BLOCK_BYTES, delta.nbytes)
    assert peak < limit, f"peak {peak / 2**20:.1f} MiB, limit {limit / 2**20:.1f} MiB"
    direct = layers.shared_weight_norms(delta, inputs, width, method="direct")
    assert np.allclose(layers.shared_weight_norms(delta, inputs, width), direct, rtol=1e-12)


def test_the_direct_form_s_scratch_stays_near_the_block_size_for_a_wide_input() -> None:
    # With c much larger than T, a block sized without the input window's term, or all
    # samples at once, holds several budgets of G_n (a x c per sample).
    n, steps, n_out, n_in = 512, 4, 1, 4096
    rng = np.random.default_rng(0)
    delta, inputs = rng.normal(size=(n, steps, n_out)), rng.normal(size=(n, steps, n_in))
    peak = peak_bytes(lambda: layers.shared_weight_norms(delta, inputs, method="direct"))
    limit = 1.5 * max(layers.BLOCK_BYTES, delta.nbytes)
    assert peak < limit, f"peak {peak / 2**20:.1f} MiB, limit {limit / 2**20:.1f} MiB"


@pytest.mark.parametrize(("n", "n_in"), [(512, 8192), (2, 1_000_000)])
def test_dense_norms_look_at_every_doubtful_sample_a_block_at_a_time(n: int, n_in: int) -> None:
    # Every input's sum of squares overflows and every delta's underflows, so each sample's
    # factors are looked at: a copy of the whole input (32 MiB; or 15 MiB in two rows,
    # each larger than a block) would exceed the scratch, which is a block or one row.
    n_out = 8
    x_prev, delta = np.full((n, n_in), 1e200), np.full((n, n_out), 1e-170)
    peak = peak_bytes(lambda: layers.dense_gradient_norms(x_prev, delta))
    limit = 1.5 * max(layers.BLOCK_BYTES, delta.nbytes, x_prev[:1].nbytes + delta[:1].nbytes)
    assert peak < limit, f"peak {peak / 2**20:.1f} MiB, limit {limit / 2**20:.1f} MiB"
    weights, _ = layers.dense_gradient_norms(x_prev, delta)
    assert np.isnan(weights).all(), "each factor is non-zero: each norm stays NaN, to be refused"


def test_the_memory_measurement_sees_per_sample_gradients() -> None:
    net = zg.ConvNetwork.random((64, 6), [(64, 3), (64, 3)], [4])
    x, y = np.ones((256, 64, 6)), np.zeros((256, 4))
    per_sample_bytes = 256 * net.W[2].size * 8
    assert peak_bytes(lambda: zg.gradients(net, x, y, reduction="none")) > per_sample_bytes


def test_cancelling_samples_go_back_to_g_a_block_at_a_time() -> None:
    """Samples whose Gram terms cancel are recomputed from G_n in blocks, not all at once.

    With u_2 = -u_1 and delta_2 = delta_1, G_n = delta_1 u_1^T - delta_1 u_1^T = 0: each
    sample cancels, on a shape (short, wide) where the size rule picks the Gram form.
    """
    n, a, c = 128, 256, 256
    rng = np.random.default_rng(3)
    u, d = rng.normal(size=(n, 1, c)), rng.normal(size=(n, 1, a))
    inputs, delta = np.concatenate([u, -u], axis=1), np.concatenate([d, d], axis=1)
    assert layers.choose_method(2, a, c) == "gram"
    per_sample_bytes = n * a * c * 8
    peak = peak_bytes(lambda: layers.shared_weight_norms(delta, inputs))
    assert peak < per_sample_bytes / 4, (
        f"peak {peak / 2**20:.1f} MiB, every G_n {per_sample_bytes / 2**20:.1f} MiB"
    )
    norms = layers.shared_weight_norms(delta, inputs)
    scale = np.linalg.norm(d[:, 0], axis=1) * np.linalg.norm(u[:, 0], axis=1)
    assert np.all(norms <= 4 * np.finfo(float).eps * scale), "|G_n| is 0 up to rounding"


# The checks can fail: plant a bug, and the comparison must catch it --------------------


def wrong_dense_norms(x_prev: FloatArray, delta: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The weight norm taken as |delta| + |x| instead of |delta| |x|."""
    bias = layers.row_norms(delta)
    return bias + layers.row_norms(x_prev), bias


def bias_of_first_position(x_prev: FloatArray, delta: FloatArray) -> tuple[FloatArray, FloatArray]:
    """A convolution's shared bias measured at its first position, not summed over positions."""
    width = x_prev.shape[2] - delta.shape[2] + 1
    weights = layers.shared_weight_norms(delta.transpose(0, 2, 1), x_prev.transpose(0, 2, 1), width)
    return weights, layers.row_norms(delta[:, :, 0])


def narrow_windows(
    delta: FloatArray, inputs: FloatArray, width: int = 1, method: layers.Method = "auto"
) -> FloatArray:
    """A kernel offset dropped: the window one row narrower than the kernel."""
    trimmed = inputs[:, : inputs.shape[1] - 1] if width > 1 else inputs
    return SHARED(delta, trimmed, max(1, width - 1), method)


SHARED = layers.shared_weight_norms


def recurrent_norms_of_wrong_states(self: layers.ElmanFactors) -> dict[str, FloatArray]:
    """U's norm with x^(1)_t where x^(1)_{t-1} belongs."""
    right = ELMAN_NORMS(self)
    right["U"] = SHARED(self.delta[:, 1:], self.states[:, 1:])
    return right


ELMAN_NORMS = layers.ElmanFactors.norms

PLANTED: dict[str, tuple[str, object, Callable[[], tuple[zg.Model, FloatArray, FloatArray]]]] = {
    "dense weight norm |delta| + |x|": (
        "dense_gradient_norms",
        wrong_dense_norms,
        lambda: (zg.Network.random([3, 4, 2], "tanh", seed=1), np.ones((3, 3)), np.zeros((3, 2))),
    ),
    "convolution bias at its first position": (
        "conv1d_gradient_norms",
        bias_of_first_position,
        lambda: (
            zg.ConvNetwork.random((2, 6), [(3, 2)], [1], seed=1),
            np.random.default_rng(1).normal(size=(3, 2, 6)),
            np.zeros((3, 1)),
        ),
    ),
    "convolution window missing an offset": (
        "shared_weight_norms",
        narrow_windows,
        lambda: (
            zg.ConvNetwork.random((2, 6), [(3, 3)], [1], seed=1),
            np.random.default_rng(2).normal(size=(3, 2, 6)),
            np.zeros((3, 1)),
        ),
    ),
}


@pytest.mark.parametrize("bug", list(PLANTED))
def test_the_comparison_catches_a_planted_bug(bug: str, monkeypatch: pytest.MonkeyPatch) -> None:
    name, replacement, make = PLANTED[bug]
    net, x, y = make()
    case = Case(net, x, y, "squared_error", "none", single=False)
    assert_matches_reference(zg.gradient_norms(net, x, y), case, "before")
    monkeypatch.setattr(layers, name, replacement)
    with pytest.raises(AssertionError):
        assert_matches_reference(zg.gradient_norms(net, x, y), case, bug)


def test_the_comparison_catches_u_paired_with_the_wrong_states(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    net = zg.RecurrentNetwork.random([2, 3, 1], output="every", seed=1)
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 4, 1))
    case = Case(net, x, y, "squared_error", "none", single=False)
    assert_matches_reference(zg.gradient_norms(net, x, y), case, "before")
    monkeypatch.setattr(layers.ElmanFactors, "norms", recurrent_norms_of_wrong_states)
    with pytest.raises(AssertionError, match="U\\[1\\]"):
        assert_matches_reference(zg.gradient_norms(net, x, y), case, "wrong states")


def test_the_model_method_uses_squared_error_by_default() -> None:
    net = zg.Network.random([3, 4, 2], ["tanh", "identity"], seed=5)
    x = np.random.default_rng(6).normal(size=(4, 3))
    y = np.random.default_rng(7).normal(size=(4, 2))
    norms = net.gradient_norms(x, y)
    for n in range(len(x)):  # each sample's norm, from that sample's own squared-error gradient
        one = zg.gradients(net, x[n], y[n], loss="squared_error")
        for name, k in (("W", 1), ("b", 1), ("W", 2), ("b", 2)):
            expected = np.linalg.norm(one.parameters[name][k])
            assert norms.parameters[name][k][n] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("delta_scale", "input_scale"), [(1e160, 1e-160), (1e-170, 1e100)])
def test_the_gram_form_redoes_a_sample_whose_factor_products_overflow_or_underflow(
    delta_scale: float, input_scale: float
) -> None:
    # delta_t . delta_s overflows (or underflows to 0) where G_n's entries, delta times
    # input, are moderate: the Gram sum is inf, NaN or 0 and the direct form is right
    rng = np.random.default_rng(0)
    delta = rng.normal(size=(1, 2, 64)) * delta_scale
    inputs = rng.normal(size=(1, 3, 64)) * input_scale
    direct = layers.shared_weight_norms(delta, inputs, 2, "direct")
    assert np.all(np.isfinite(direct))
    assert np.all(direct > 0.0)
    gram = layers.shared_weight_norms(delta, inputs, 2, "gram")
    np.testing.assert_allclose(gram, direct, rtol=1e-12)


def test_a_zero_factor_gives_a_zero_norm_where_the_other_overflows_its_squares() -> None:
    # Sample 0's hidden unit is off (relu, z = -2e200): its delta is 0, so its gradient
    # row is 0, though its input's sum of squares (2e400) overflows: its norm is 0.
    net = zg.Network(W=[[[-1.0, -1.0]], [[1.0]]], b=[[0.0], [0.0]], activations="relu")
    x = np.array([[1e200, 1e200], [1.0, 2.0]])
    y = np.array([1.0, 1.0])
    rows = zg.gradients(net, x, y, reduction="none").W[1]
    assert rows[0].tolist() == [[0.0, 0.0]]
    norms = zg.gradient_norms(net, x, y)
    assert norms.W[1][0] == 0.0
    assert norms.W[1][1] == pytest.approx(float(np.linalg.norm(rows[1])), rel=1e-12)


def test_has_nonzero_finds_the_slices_with_an_entry_other_than_zero() -> None:
    # NaN is not 0 (a NaN factor must stay NaN, to be refused); -0.0 and +0.0 are 0.
    rows = np.array(
        [
            [0.0, -0.0, 0.0],
            [0.0, -1e-320, 0.0],
            [2.0, 0.0, 0.0],
            [-0.0, 0.0, np.nan],
            [-3.0, 4.0, 0.0],
        ]
    )
    expected = [False, True, True, True, True]
    assert layers._has_nonzero(rows, axis=1).tolist() == expected
    assert layers._has_nonzero(rows.T, axis=0).tolist() == expected
    assert layers._has_nonzero(rows[:, None, :], axis=2).tolist() == [[e] for e in expected]
    assert layers._has_nonzero(np.zeros((3, 0)), axis=1).tolist() == [False] * 3


def test_dense_norms_look_at_a_zero_norm_s_factor_sample_by_sample() -> None:
    # Each sample meets a norm that overflows (inf) with one of 0: from a factor that is 0
    # (the real norm is 0) or from one whose squares underflow (the real norm is about
    # 1.4e30, so the result must be NaN, to be refused), either factor in either role.
    huge, tiny = [1e200, 1e200], [1e-170, 0.0]
    x_prev = np.array([[0.0, 0.0], tiny, [3.0, 4.0], huge, huge])
    delta = np.array([huge, huge, [0.5, 0.0], [0.0, 0.0], tiny])
    with warnings.catch_warnings():  # the NaN is meant: called directly, numpy is not let warn
        warnings.simplefilter("error")
        weights, bias = layers.dense_gradient_norms(x_prev, delta)
    assert weights[[0, 2, 3]].tolist() == [0.0, 2.5, 0.0]
    assert np.isnan(weights[[1, 4]]).all(), weights
    assert bias[[2, 3]].tolist() == [0.5, 0.0]


@pytest.mark.parametrize("tiny", ["delta", "input"])
def test_a_factor_whose_norm_underflows_against_one_that_overflows_is_refused(tiny: str) -> None:
    # One factor of W[1]'s gradient is 1e-163, not 0, but its square underflows, so its
    # norm is 0; the other's, 1e160, overflows. The real norm is 1e-3: it must not come
    # out as 0 (the zero test is on the factor, not on its norm), and 0 * inf is refused
    # like any overflow.
    if tiny == "delta":
        W = [[[1e-160]], [[10**-81.5]]]  # delta^(1) = 10**-81.5 * 10**-81.5 * 1
        x, y = [[1e160]], [[0.0]]
    else:
        W = [[[1.0]], [[1.0]]]  # delta^(1) = x^(2) - y, about 1e160
        x, y = [[1e-163]], [[-1e160]]
    net = zg.Network(W=W, b=[[0.0], [0.0]], activations="identity")
    row = zg.gradients(net, x, y, reduction="none").W[1][0]
    assert np.linalg.norm(row) == pytest.approx(1e-3, rel=1e-12)
    with pytest.raises(zg.NonFiniteError, match=r"^the gradient norm W\[1\] must be finite"):
        zg.gradient_norms(net, x, y)


def test_the_gram_form_redoes_a_sample_where_one_step_s_term_underflows() -> None:
    # delta_1 = 1e-170 against an input of 1e70: G_n = 1e-100, and delta_1 . delta_1 =
    # 1e-340 underflows to 0, so the step that dominates G_n drops out of the Gram sum,
    # which stays positive (the other step's 1e-220). The sample is redone from G_n.
    channels, steps = 64, 2
    kernel = np.zeros((channels, channels, 1))
    kernel[0, 0, 0] = 1e-240
    net = zg.ConvNetwork(W=[kernel], b=[np.zeros(channels)], activations="identity", length=steps)
    x = np.zeros((1, channels, steps))
    x[0, 0] = [1e70, 1e-60]
    z = net.forward(x).x[1]
    y = z.copy()
    y[0, 0] = [0.0, z[0, 0, 1] - 1e-60]
    assert layers.choose_method(steps, channels, channels, 1) == "gram"
    row = zg.gradients(net, x, y, reduction="none").W[1][0]
    assert np.linalg.norm(row) == pytest.approx(1e-100, rel=1e-12, abs=0.0)
    norms = zg.gradient_norms(net, x, y)
    assert norms.W[1][0] == pytest.approx(1e-100, rel=1e-12, abs=0.0)


def test_the_gram_form_finds_a_lost_step_through_either_offset_of_its_window() -> None:
    # A kernel of width 2: step 0's delta, 1e-170, squares to 0 in float64, while its
    # window u_0 = (x_0, x_1) is not 0 (through x_1 in sample A, through x_0 in sample B)
    # and its term dominates G_n (about 1e-100). The other step's term, 1e-240, keeps the
    # Gram sum positive. Both samples are redone from G_n.
    # Sample C is B reversed in time: its lost step is the last, u_2 = (x_2, x_3), not 0
    # through x_3 alone, the last input.
    delta = np.array([[[1e-170], [0.0], [1e-60]]] * 2 + [[[1e-60], [0.0], [1e-170]]])
    inputs = np.array(
        [
            [[0.0], [1e70], [0.0], [1e-60]],  # A: u_0 is not 0 through its offset 1 alone
            [[1e70], [0.0], [0.0], [1e-60]],  # B: through its offset 0 alone
            [[1e-60], [0.0], [0.0], [1e70]],  # C: u_2 through its offset 1 alone
        ]
    )
    direct = layers.shared_weight_norms(delta, inputs, 2, "direct")
    assert direct == pytest.approx([1e-100] * 3, rel=1e-12, abs=0.0)
    gram = layers.shared_weight_norms(delta, inputs, 2, "gram")
    np.testing.assert_allclose(gram, direct, rtol=1e-12)
