"""Weight decay: the L2 penalty on the weights, in the loss and in both gradient engines."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pytest
from gradient_cases import KINK_MARGIN, Case, assert_gradients_close, cases
from hypothesis import assume, given
from hypothesis import strategies as st

from zerograd import Gradients, Network, gradients, numerical_gradients

TOLERANCE = 1e-6
"""Largest accepted ``|exact - estimate| / max(1, |estimate|)``, as for the plain loss.

The penalty is a quadratic, so its central difference is exact up to
round-off; the tolerance is set by the data loss, as in ``test_gradients``.
"""

DECAYS = st.sampled_from([1e-3, 0.1, 0.7, 3.0])

ENTRY_POINTS: dict[str, Callable[..., object]] = {
    "gradients": gradients,
    "numerical_gradients": numerical_gradients,
    "loss": lambda net, *args, **kwargs: net.loss(*args, **kwargs),
}
"""Every function that takes ``weight_decay``, called as ``f(net, x, y, ...)``."""

HAND_NET = Network(
    W=[[[1.0, -2.0], [0.5, 3.0]], [[2.0, -1.0]]],
    b=[[0.25, -0.5], [1.0]],
    activations=["identity", "identity"],
)


@given(case=cases(reductions=["sum", "mean"]), weight_decay=DECAYS)
def test_weight_decay_gradients_match_central_differences(case: Case, weight_decay: float) -> None:
    assume(case.min_abs_z_at_kinks() > KINK_MARGIN)
    kwargs = {"loss": case.loss, "reduction": case.reduction, "weight_decay": weight_decay}
    exact = gradients(case.net, case.x, case.y, **kwargs)  # type: ignore[arg-type]
    estimate = numerical_gradients(case.net, case.x, case.y, **kwargs)  # type: ignore[arg-type]
    assert_gradients_close(exact, estimate, TOLERANCE)


@given(case=cases(reductions=["sum", "mean"]), weight_decay=DECAYS)
def test_weight_decay_adds_lambda_w_to_weights_only(case: Case, weight_decay: float) -> None:
    plain = gradients(case.net, case.x, case.y, loss=case.loss, reduction=case.reduction)
    decayed = gradients(
        case.net,
        case.x,
        case.y,
        loss=case.loss,
        reduction=case.reduction,
        weight_decay=weight_decay,
    )
    for k in case.net.W:
        np.testing.assert_allclose(
            decayed.W[k], plain.W[k] + weight_decay * case.net.W[k], rtol=1e-12, atol=1e-12
        )
        np.testing.assert_array_equal(decayed.b[k], plain.b[k])
        np.testing.assert_array_equal(decayed.z[k], plain.z[k])


@given(case=cases())
def test_zero_weight_decay_changes_nothing(case: Case) -> None:
    args = (case.net, case.x, case.y)
    options = {"loss": case.loss, "reduction": case.reduction}
    plain = gradients(*args, **options)  # type: ignore[arg-type]
    zero = gradients(*args, **options, weight_decay=0.0)  # type: ignore[arg-type]
    for (name, a), (_, b) in zip(plain.arrays(), zero.arrays(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)
    loss_plain = case.net.loss(*args[1:], **options)  # type: ignore[arg-type]
    loss_zero = case.net.loss(*args[1:], **options, weight_decay=0)
    np.testing.assert_array_equal(loss_plain, loss_zero)


def test_hand_example_loss_and_gradients() -> None:
    # x = [1, 1]: z1 = [1 - 2 + 0.25, 0.5 + 3 - 0.5] = [-0.75, 3], z2 = -1.5 - 3 + 1 = -3.5
    # L = (z2 - y)^2 / 2 with y = 0.5: 8; penalty 0.2/2 * (1 + 4 + 0.25 + 9 + 4 + 1) = 1.925
    # delta2 = -4, dW2 = -4 * [-0.75, 3] + 0.2 * [2, -1] = [3.4, -12.2]
    # delta1 = W2^T delta2 = [-8, 4], dW1 = outer([-8, 4], [1, 1]) + 0.2 * W1
    x, y, lam = [1.0, 1.0], [0.5], 0.2
    assert HAND_NET.loss(x, y, weight_decay=lam) == pytest.approx(8.0 + 1.925, abs=1e-14)
    grads = gradients(HAND_NET, x, y, weight_decay=lam)
    np.testing.assert_allclose(grads.W[2], [[3.4, -12.2]], rtol=0, atol=1e-14)
    np.testing.assert_allclose(grads.b[2], [-4.0], rtol=0, atol=0)
    np.testing.assert_allclose(grads.W[1], [[-7.8, -8.4], [4.1, 4.6]], rtol=0, atol=1e-14)
    np.testing.assert_allclose(grads.b[1], [-8.0, 4.0], rtol=0, atol=0)


@pytest.mark.parametrize("engine", [gradients, numerical_gradients])
def test_unit_weight_decay_adds_the_weights_themselves(engine: Callable[..., Gradients]) -> None:
    # As in the hand example with lambda = 1: dW2 = -4 * [-0.75, 3] + [2, -1] = [5, -13],
    # dW1 = outer([-8, 4], [1, 1]) + W1 = [[-7, -10], [4.5, 7]]; biases get nothing.
    grads = engine(HAND_NET, [1.0, 1.0], [0.5], weight_decay=1.0)
    np.testing.assert_allclose(grads.W[2], [[5.0, -13.0]], rtol=0, atol=1e-7)
    np.testing.assert_allclose(grads.W[1], [[-7.0, -10.0], [4.5, 7.0]], rtol=0, atol=1e-7)
    np.testing.assert_allclose(grads.b[2], [-4.0], rtol=0, atol=1e-7)
    np.testing.assert_allclose(grads.b[1], [-8.0, 4.0], rtol=0, atol=1e-7)


def test_penalty_is_not_divided_by_batch_size_under_mean() -> None:
    # Two copies of the hand sample: mean loss 8, penalty still 1.925.
    x, y = [[1.0, 1.0], [1.0, 1.0]], [[0.5], [0.5]]
    value = HAND_NET.loss(x, y, reduction="mean", weight_decay=0.2)
    assert value == pytest.approx(9.925, abs=1e-14)
    grads = gradients(HAND_NET, x, y, reduction="mean", weight_decay=0.2)
    np.testing.assert_allclose(grads.W[2], [[3.4, -12.2]], rtol=0, atol=1e-14)


def test_penalty_counts_weights_and_not_biases() -> None:
    assert HAND_NET.weight_penalty(2.0) == pytest.approx(19.25, abs=1e-14)
    shifted = HAND_NET.replace(b=[[100.0, -100.0], [50.0]])
    assert shifted.weight_penalty(2.0) == HAND_NET.weight_penalty(2.0)


BAD_WEIGHT_DECAYS = [
    pytest.param(bad, error, message, id=name)
    for name, bad, error, message in [
        ("negative", -0.1, ValueError, "weight_decay must be a finite number >= 0; got -0.1"),
        ("nan", math.nan, ValueError, "weight_decay must be a finite number >= 0; got nan"),
        ("inf", math.inf, ValueError, "weight_decay must be a finite number >= 0; got inf"),
        ("minus_inf", -math.inf, ValueError, "weight_decay must be a finite number >= 0; got -inf"),
        ("str", "0.1", TypeError, "weight_decay must be a real number (int or float); got str '0.1'"),
        ("none", None, TypeError, "weight_decay must be a real number (int or float); got NoneType None"),
        ("bool", True, TypeError, "weight_decay must be a real number (int or float); got bool True"),
        ("complex", 1j, TypeError, "weight_decay must be a real number (int or float); got complex 1j"),
    ]
]  # fmt: skip
"""Bad values of ``weight_decay`` with the error and the whole message each must raise."""

PER_SAMPLE_REFUSAL = (
    "weight_decay must be 0 with reduction='none': the penalty belongs to the "
    "whole objective, not to one sample; got weight_decay=0.1"
)
"""The whole message for ``weight_decay=0.1`` with ``reduction="none"`` on a batch."""


@pytest.mark.parametrize(("bad", "error", "message"), BAD_WEIGHT_DECAYS)
@pytest.mark.parametrize("entry_point", ["gradients", "numerical_gradients", "loss"])
def test_bad_weight_decay_is_refused(
    bad: object, error: type[Exception], message: str, entry_point: str
) -> None:
    call = ENTRY_POINTS[entry_point]
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        call(HAND_NET, [1.0, 1.0], [0.5], weight_decay=bad)


@pytest.mark.parametrize("entry_point", ["gradients", "numerical_gradients", "loss"])
def test_weight_decay_with_per_sample_reduction_is_refused(entry_point: str) -> None:
    # The penalty belongs to the whole objective, not to one sample.
    call = ENTRY_POINTS[entry_point]
    x, y = [[1.0, 1.0], [0.0, 2.0]], [0.5, -1.0]
    with pytest.raises(ValueError, match=f"^{re.escape(PER_SAMPLE_REFUSAL)}$"):
        call(HAND_NET, x, y, reduction="none", weight_decay=0.1)
    call(HAND_NET, x, y, reduction="none", weight_decay=0.0)  # zero is fine


def test_one_sample_ignores_reduction_with_weight_decay_too() -> None:
    # For one sample the reduction is ignored, so "none" with a penalty is the plain objective.
    as_none = gradients(HAND_NET, [1.0, 1.0], [0.5], reduction="none", weight_decay=0.2)
    as_sum = gradients(HAND_NET, [1.0, 1.0], [0.5], weight_decay=0.2)
    for (name, a), (_, b) in zip(as_none.arrays(), as_sum.arrays(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)
