"""Each activation against independent formulas, and its derivative against central differences."""

from __future__ import annotations

import copy
import math
import pickle
import tracemalloc
from typing import cast

import numpy as np
import numpy.typing as npt
import pytest
from gradient_cases import ACTIVATION_NAMES, KINKED
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import zerograd as zg
from zerograd import ACTIVATIONS, activations, get_activation
from zerograd.activations import LEAKY_RELU_SLOPE, sigmoid

STEP = 1e-6
"""Central-difference step; kinked activations are only probed farther than 10 steps from 0."""

DERIVATIVE_TOLERANCE = 1e-7
"""Central differences reach about 1e-9 here; a wrong derivative is off by far more."""

FloatArray = npt.NDArray[np.float64]


def real_arrays(
    low: float = -40.0, high: float = 40.0, *, avoid_zero: float = 0.0
) -> st.SearchStrategy[FloatArray]:
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False)
    if avoid_zero:
        elements = elements.filter(lambda v: abs(v) > avoid_zero)
    return hnp.arrays(
        np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=5), elements=elements
    )


def central_difference(name: str, z: FloatArray) -> FloatArray:
    f = get_activation(name).f
    return (f(z + STEP) - f(z - STEP)) / (2.0 * STEP)


def assert_derivative_matches(name: str, z: FloatArray) -> None:
    exact = get_activation(name).df(z)
    estimate = central_difference(name, z)
    assert exact.shape == z.shape, f"{name}' changed the shape {z.shape} to {exact.shape}"
    error = np.abs(exact - estimate) / np.maximum(1.0, np.abs(estimate))
    worst = float(error.max())
    assert worst <= DERIVATIVE_TOLERANCE, f"{name}': relative error {worst:.3g} at z={z.ravel()}"


@pytest.mark.parametrize("name", sorted(set(ACTIVATION_NAMES) - KINKED))
@given(z=real_arrays())
def test_smooth_derivative_matches_central_differences(name: str, z: FloatArray) -> None:
    assert_derivative_matches(name, z)


@pytest.mark.parametrize("name", sorted(KINKED))
@given(z=real_arrays(avoid_zero=10 * STEP))
def test_kinked_derivative_matches_central_differences_away_from_zero(
    name: str, z: FloatArray
) -> None:
    # Within one step of 0 the difference straddles the kink; 10 steps keeps clear.
    assert_derivative_matches(name, z)


def test_every_activation_is_covered() -> None:
    assert set(ACTIVATION_NAMES) == {
        "identity",
        "relu",
        "leaky_relu",
        "tanh",
        "sigmoid",
        "softplus",
        "silu",
    }


def test_kink_conventions_are_exact() -> None:
    zeros = np.array([0.0, -0.0])
    np.testing.assert_array_equal(get_activation("relu").df(zeros), [0.0, 0.0])
    np.testing.assert_array_equal(get_activation("leaky_relu").df(zeros), [0.01, 0.01])
    np.testing.assert_array_equal(get_activation("relu").f(zeros), [0.0, 0.0])
    np.testing.assert_array_equal(get_activation("leaky_relu").f(zeros), [0.0, 0.0])
    assert LEAKY_RELU_SLOPE == 0.01


def test_kinked_slopes_just_beside_zero() -> None:
    tiny = np.array([-5e-324, 5e-324])  # the smallest subnormals on each side
    np.testing.assert_array_equal(get_activation("relu").df(tiny), [0.0, 1.0])
    np.testing.assert_array_equal(get_activation("leaky_relu").df(tiny), [0.01, 1.0])


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_extreme_inputs_give_finite_values_without_warnings(name: str) -> None:
    z = np.array([-1000.0, -700.0, 0.0, 700.0, 1000.0])
    activation = get_activation(name)
    # Overflow, 0/0 or division by zero raise; underflow to 0 is the right answer.
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        values, slopes = activation.f(z), activation.df(z)
    assert np.all(np.isfinite(values)), f"{name} at {z}: {values}"
    assert np.all(np.isfinite(slopes)), f"{name}' at {z}: {slopes}"


def test_sigmoid_saturates_exactly_at_extremes() -> None:
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        np.testing.assert_array_equal(sigmoid(np.array([-1000.0, 1000.0])), [0.0, 1.0])
        np.testing.assert_array_equal(
            get_activation("sigmoid").df(np.array([-1000.0, 1000.0])), [0.0, 0.0]
        )


@given(z=real_arrays(-30.0, 30.0))
def test_values_match_independent_formulas(z: FloatArray) -> None:
    # Ranges where the textbook formulas cannot overflow.
    e = np.exp(z)
    expected = {
        "identity": z,
        "relu": np.maximum(z, 0.0),
        "leaky_relu": np.maximum(z, 0.01 * z),
        "tanh": (np.exp(2 * z) - 1.0) / (np.exp(2 * z) + 1.0),
        "sigmoid": 1.0 / (1.0 + np.exp(-z)),
        "softplus": np.log1p(e),
        "silu": z / (1.0 + np.exp(-z)),
    }
    for name, value in expected.items():
        np.testing.assert_allclose(
            ACTIVATIONS[name].f(z), value, rtol=1e-12, atol=1e-15, err_msg=name
        )


@given(z=real_arrays(-30.0, 30.0))
def test_derivatives_match_independent_formulas(z: FloatArray) -> None:
    s = 1.0 / (1.0 + np.exp(-z))
    cosh = np.cosh(z)
    expected = {
        "tanh": 1.0 / cosh**2,  # sech^2, not 1 - tanh^2 as the library computes it
        "sigmoid": np.exp(-z) / (1.0 + np.exp(-z)) ** 2,
        "softplus": s,
        "silu": s + z * np.exp(-z) / (1.0 + np.exp(-z)) ** 2,
        "identity": np.ones_like(z),
    }
    for name, value in expected.items():
        np.testing.assert_allclose(
            ACTIVATIONS[name].df(z), value, rtol=1e-9, atol=1e-15, err_msg=name
        )


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_inputs_are_not_modified(name: str, rng: np.random.Generator) -> None:
    z = rng.normal(size=(3, 4))
    before = z.copy()
    activation = get_activation(name)
    activation.f(z)
    activation.df(z)
    np.testing.assert_array_equal(z, before)


def test_activation_names_match_their_keys() -> None:
    for name, activation in ACTIVATIONS.items():
        assert activation.name == name
        assert activation.formula, f"{name} has no formula for the docs"


def test_relu_gives_positive_zero_for_every_non_positive_input() -> None:
    # max(z, 0) is the literal 0.0 wherever z <= 0, negative zero included, so no -0.0
    # leaks into later sign tests (np.signbit) or printed values.
    out = get_activation("relu").f(np.array([-0.0, 0.0, -3.5]))
    np.testing.assert_array_equal(out, [0.0, 0.0, 0.0])
    assert not np.signbit(out).any(), out


def test_the_derivatives_from_the_output_are_given_where_they_save_work() -> None:
    with_output = {name for name, a in ACTIVATIONS.items() if a.df_of_output is not None}
    assert with_output == {"tanh", "sigmoid"}


@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
@given(z=real_arrays(-800.0, 800.0))
def test_the_derivative_from_the_output_is_the_derivative_bit_for_bit(
    name: str, z: FloatArray
) -> None:
    activation = get_activation(name)
    assert activation.df_of_output is not None
    np.testing.assert_array_equal(activation.df_of_output(activation.f(z)), activation.df(z))


# The backward passes multiply delta by f'(z) in place, a block of samples at a time.
SMALL_BLOCK_BYTES = 3 * 4 * 8
"""Three samples of four float64 entries: a batch of 10 such samples takes four blocks."""


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
@pytest.mark.parametrize("shape", [(10, 4), (7, 2, 3), (1, 5), (3, 40)])
def test_multiply_by_slope_multiplies_every_sample_once(
    name: str, shape: tuple[int, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Blocks smaller than the batch, ending mid-batch and smaller than one sample: each
    # entry must be multiplied by its own slope exactly once.
    monkeypatch.setattr(activations, "SLOPE_BLOCK_BYTES", SMALL_BLOCK_BYTES)
    rng = np.random.default_rng(7)
    activation = get_activation(name)
    z = rng.normal(scale=3.0, size=shape)
    delta = rng.normal(size=shape)
    expected = delta * activation.df(z)
    activation.multiply_by_slope(delta, z, activation.f(z))
    np.testing.assert_array_equal(delta, expected)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_multiply_by_slope_holds_a_few_blocks_not_the_batch(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    block = 2**16
    monkeypatch.setattr(activations, "SLOPE_BLOCK_BYTES", block)
    activation = get_activation(name)
    z = np.linspace(-5.0, 5.0, 2**20).reshape(2**12, 2**8)  # 8 MiB, 128 blocks
    x, delta = activation.f(z), np.ones_like(z)
    tracemalloc.start()
    try:
        activation.multiply_by_slope(delta, z, x)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # f'(z) of one block takes up to about four temporaries of the block's size (softplus
    # and silu, through sigmoid); f'(z) of the whole batch would take 8 MiB at least.
    assert peak <= 8 * block, f"{name}: peak {peak} bytes, more than eight blocks of {block}"


def test_tanh_and_sigmoid_slopes_round_to_zero_where_the_module_says() -> None:
    # formed from the output (1 - x**2, x (1 - x)), they are 0.0 once the output rounds
    # to 1, while the real slope is about 1e-16 there; sigmoid's negative side keeps it
    tanh, sigmoid = get_activation("tanh"), get_activation("sigmoid")
    assert np.all(tanh.df(np.array([-18.98, 18.98])) > 0.0)
    assert np.all(tanh.df(np.array([-19.0, 19.0])) == 0.0)
    assert sigmoid.df(np.array([36.73]))[0] > 0.0
    assert sigmoid.df(np.array([36.75]))[0] == 0.0
    real = math.exp(-40.0) / (1.0 + math.exp(-40.0)) ** 2
    assert sigmoid.df(np.array([-40.0]))[0] == pytest.approx(real, rel=1e-15, abs=0.0)
    assert abs(tanh.df(np.array([15.0]))[0] * math.cosh(15.0) ** 2 - 1.0) > 1e-4


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
@pytest.mark.parametrize("z", [np.array(0.5), np.float64(-0.5), 0.5, np.array(-0.0)])
def test_every_rule_gives_a_numpy_float_for_one_number_as_a_ufunc_does(
    name: str, z: float | npt.NDArray[np.float64]
) -> None:
    activation = ACTIVATIONS[name]
    rules = [activation.f, activation.df]
    if activation.df_of_output is not None:
        rules.append(activation.df_of_output)
    for rule in rules:
        value: object = rule(cast("FloatArray", z))  # or a float, as the docstring allows
        assert type(value) is np.float64, (name, rule)  # as np.tanh(z) is


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_every_rule_gives_a_float64_array_of_the_input_s_shape(name: str) -> None:
    activation = ACTIVATIONS[name]
    z = np.linspace(-2.0, 2.0, 6).reshape(2, 3)
    rules = [activation.f, activation.df]
    if activation.df_of_output is not None:
        rules.append(activation.df_of_output)
    for rule in rules:
        value = rule(z)
        assert type(value) is np.ndarray
        assert value.dtype == np.float64
        assert value.shape == (2, 3)


def test_a_zero_slope_mends_only_the_nans_it_made() -> None:
    # inf * 0 becomes 0; a NaN where the slope is not 0 stays NaN (its real value is not
    # known), and a finite entry times a zero slope keeps its signed zero.
    values = np.array([np.inf, -1.0, np.nan, 2.0])
    with np.errstate(invalid="ignore"):
        activations.multiply_in_place(values, np.array([0.0, 0.0, 1.0, 0.5]))
    assert values[0] == 0.0
    assert values[1] == 0.0
    assert math.copysign(1.0, values[1]) == -1.0, "-1 * 0 is -0.0"
    assert np.isnan(values[2])
    assert values[3] == 1.0


def test_the_tables_of_activations_and_losses_are_read_only() -> None:
    # a name written into the library's own table would change every later lookup
    for table in (zg.ACTIVATIONS, zg.LOSSES):
        first = next(iter(table))
        with pytest.raises(TypeError, match="does not support item assignment"):
            table["mine"] = table[first]  # type: ignore[index]
        assert "mine" not in table
        # as their docstrings say, dict() gives a copy that can be changed, and the
        # mapping itself cannot be copied or pickled
        mutable = dict(table)
        mutable["mine"] = table[first]
        assert list(mutable) == [*table, "mine"]
        assert "mine" not in table
        for copier in (copy.copy, copy.deepcopy, pickle.dumps):
            with pytest.raises(TypeError, match="mappingproxy"):
                copier(table)
