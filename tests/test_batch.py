"""Batch identities of the three reductions, and that batches are computed in one vectorised pass."""

from __future__ import annotations

import dataclasses
import tracemalloc
from typing import Any

import numpy as np
import pytest
from gradient_cases import Case, add_loss, cases, targets
from hypothesis import given

from zerograd import LOSSES, Gradients, Network, gradients
from zerograd.layers import dense_input_gradient, dense_parameter_gradients


def assert_round_off_equal(actual: np.ndarray, expected: np.ndarray, name: str) -> None:
    """The same sums taken in another order agree to round-off."""
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-12, err_msg=name)


def grads_of(case: Case[Network], reduction: str) -> Gradients:
    return gradients(case.net, case.x, case.y, loss=case.loss, reduction=reduction)


def fields(grads: Gradients) -> dict[str, np.ndarray]:
    """Every array of ``grads`` by name, including ``z[k]``."""
    named = dict(grads.arrays())
    named.update({f"z[{k}]": grads.z[k] for k in grads.z})
    return named


@given(cases(single=False))
def test_sum_and_mean_follow_from_per_sample_gradients(case: Case[Network]) -> None:
    per_sample, total, mean = (grads_of(case, r) for r in ("none", "sum", "mean"))
    N, summed, averaged = case.n_samples, dict(total.arrays()), dict(mean.arrays())
    for name, rows in per_sample.arrays():
        assert_round_off_equal(summed[name], rows.sum(axis=0), name)
        assert_round_off_equal(averaged[name], rows.sum(axis=0) / N, name)
    for k in per_sample.z:
        # z[k] keeps one row per sample under every reduction; mean scales each by 1/N.
        np.testing.assert_array_equal(total.z[k], per_sample.z[k], err_msg=f"z[{k}]")
        assert_round_off_equal(mean.z[k], per_sample.z[k] / N, f"z[{k}]")


@given(cases(single=False, reductions=["none"]))
def test_per_sample_row_is_the_gradient_of_that_sample_alone(case: Case[Network]) -> None:
    per_sample = fields(grads_of(case, "none"))
    for n in range(case.n_samples):
        alone = gradients(case.net, case.x[n], case.y[n], loss=case.loss)
        for name, value in fields(alone).items():
            assert_round_off_equal(per_sample[name][n], value, f"{name} row {n}")


@given(cases(single=True))
def test_one_sample_equals_a_batch_of_one_under_every_reduction(case: Case[Network]) -> None:
    single = fields(grads_of(case, "sum"))
    x, y = case.x[None, :], case.y[None, :]
    for reduction in ("sum", "mean", "none"):
        batch = fields(gradients(case.net, x, y, loss=case.loss, reduction=reduction))
        for name, value in single.items():
            # z keeps its batch axis for any batch; W and b only under "none".
            has_batch_axis = name.startswith("z") or reduction == "none"
            expected = value[None] if has_batch_axis else value
            assert_round_off_equal(batch[name], expected, f"{reduction} {name}")


@given(cases(single=False))
def test_shapes_of_each_reduction(case: Case[Network]) -> None:
    N, net = case.n_samples, case.net
    for reduction in ("sum", "mean", "none"):
        grads = grads_of(case, reduction)
        lead = (N,) if reduction == "none" else ()
        for k in net.W:
            assert grads.W[k].shape == (*lead, *net.W[k].shape), (reduction, k)
            assert grads.b[k].shape == (*lead, *net.b[k].shape), (reduction, k)
            assert grads.z[k].shape == (N, net.sizes[k]), (reduction, k)


@given(cases(single=True))
def test_reduction_is_irrelevant_for_one_sample(case: Case[Network]) -> None:
    reference = fields(grads_of(case, "sum"))
    for reduction in ("mean", "none"):
        for name, value in fields(grads_of(case, reduction)).items():
            np.testing.assert_array_equal(value, reference[name], err_msg=f"{reduction} {name}")


class DenseBackwardSpy:
    """Wraps the dense backward rules and records each call's batch size, flag and shapes."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.input_calls: list[dict[str, Any]] = []

    def parameters(
        self, x_prev: np.ndarray, delta: np.ndarray, *, per_sample: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        dW, db = dense_parameter_gradients(x_prev, delta, per_sample=per_sample)
        self.calls.append(
            {
                "rows": x_prev.shape[0],
                "per_sample": per_sample,
                "dW": dW.shape,
                "W": (delta.shape[1], x_prev.shape[1]),
            }
        )
        return dW, db

    def inputs(self, W: np.ndarray, delta: np.ndarray) -> np.ndarray:
        self.input_calls.append({"rows": delta.shape[0], "W": W.shape})
        return dense_input_gradient(W, delta)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> DenseBackwardSpy:
    recorder = DenseBackwardSpy()
    monkeypatch.setattr("zerograd.layers.dense_parameter_gradients", recorder.parameters)
    monkeypatch.setattr("zerograd.network.dense_input_gradient", recorder.inputs)
    return recorder


@pytest.mark.parametrize("reduction", ["sum", "mean", "none"])
def test_a_batch_is_one_pass_per_layer_not_one_per_sample(
    reduction: str, spy: DenseBackwardSpy, rng: np.random.Generator
) -> None:
    net = Network.random([3, 5, 4, 2], ["tanh", "relu", "identity"], seed=rng)
    N = 7
    gradients(net, rng.normal(size=(N, 3)), rng.normal(size=(N, 2)), reduction=reduction)
    assert len(spy.calls) == net.K, f"the parameter rule ran {len(spy.calls)} times for K={net.K}"
    assert all(call["rows"] == N for call in spy.calls), "each call must see the whole batch"
    per_sample = reduction == "none"
    assert all(call["per_sample"] is per_sample for call in spy.calls), spy.calls
    for call in spy.calls:
        expected = (N, *call["W"]) if per_sample else call["W"]
        assert call["dW"] == expected, call
    # Layers K..2 pass the gradient down; layer 1's input is the data, so it is skipped.
    assert [call["W"] for call in spy.input_calls] == [net.W[k].shape for k in (3, 2)]
    assert all(call["rows"] == N for call in spy.input_calls), spy.input_calls


def test_the_loss_rule_runs_once_on_the_whole_batch(
    monkeypatch: pytest.MonkeyPatch, rng: np.random.Generator
) -> None:
    rule = LOSSES["softmax_cross_entropy"]
    batch_sizes: list[int] = []

    def counting_delta(z: np.ndarray, x: np.ndarray, y: np.ndarray, f: Any) -> np.ndarray:
        batch_sizes.append(z.shape[0])
        return rule.delta(z, x, y, f)

    add_loss(monkeypatch, dataclasses.replace(rule, delta=counting_delta))
    net = Network.random([2, 3, 3], ["silu", "identity"], seed=rng)
    y = targets(rule.name, (6, 3), rng)
    gradients(net, rng.normal(size=(6, 2)), y, loss=rule.name, reduction="none")
    assert batch_sizes == [6]


def peak_bytes_of_gradients(net: Network, x: np.ndarray, y: np.ndarray, reduction: str) -> int:
    tracemalloc.start()
    try:
        gradients(net, x, y, reduction=reduction)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_summed_gradients_never_build_per_sample_arrays(rng: np.random.Generator) -> None:
    # numpy reports its buffers to tracemalloc. Per-sample weight gradients of
    # this batch take N * 40 * 40 * 8 bytes = 25.6 MB; everything else (inputs,
    # activations, deltas: N * 40 * 8 bytes each) is a few MB.
    N, width = 2000, 40
    net = Network.random([width, width, width, 1], ["tanh", "tanh", "identity"], seed=rng)
    x, y = rng.normal(size=(N, width)), rng.normal(size=N)
    per_sample_weights = N * width * width * 8
    summed_peak = peak_bytes_of_gradients(net, x, y, "sum")
    per_sample_peak = peak_bytes_of_gradients(net, x, y, "none")
    # The measurement does see per-sample arrays when they exist:
    assert per_sample_peak > per_sample_weights, (per_sample_peak, per_sample_weights)
    assert summed_peak < per_sample_weights / 2, (
        f"summed gradients peaked at {summed_peak} bytes; "
        f"one per-sample weight gradient is {per_sample_weights}"
    )
