"""Input checks that turn bad input into errors naming what was expected.

Every public entry point passes user arrays through :func:`as_real_array`, so
integer input becomes float64 and NaN, inf, strings or complex numbers are
refused before any arithmetic happens.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import numpy as np
import numpy.typing as npt

from zerograd._typing import FloatArray


def as_real_array(value: npt.ArrayLike, name: str, *, copy: bool = True) -> FloatArray:
    """Convert ``value`` to a finite float64 array, or raise.

    Parameters
    ----------
    value : array_like
        Integers or floats. Integers are converted to float64.
    name : str
        How the value is called in error messages, for example ``"x"``.
    copy : bool
        Always return a new array. With ``False``, a float64 ``value`` is
        returned as it is (not copied), for callers that only read it.

    Returns
    -------
    ndarray
        A float64 array with the shape of ``value``.

    Raises
    ------
    TypeError
        If ``value`` is not made of real numbers (bool, complex, str, object).
    ValueError
        If ``value`` holds NaN or inf.

    Examples
    --------
    >>> as_real_array([1, 2], "x")
    array([1., 2.])
    >>> as_real_array([1.0, float("nan")], "x")
    Traceback (most recent call last):
    ...
    ValueError: x must be finite; got NaN at index (1,)
    """
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:  # ragged nested lists
        msg = f"{name} must be a rectangular array of real numbers; got {value!r}"
        raise TypeError(msg) from error
    if array.dtype.kind not in "iuf":
        msg = f"{name} must hold real numbers (integer or floating dtype); got dtype {array.dtype}"
        raise TypeError(msg)
    array = array.astype(np.float64, copy=copy)
    # One pass without a temporary array: NaN and inf always reach the sum. A sum of
    # finite numbers can overflow too, so only the elementwise search decides.
    with np.errstate(over="ignore", invalid="ignore"):
        total = array.sum()
    if not np.isfinite(total):
        bad = np.argwhere(~np.isfinite(array))  # shape (count, ndim): (1, 0) for a bad 0-d
        if len(bad):
            index = tuple(int(i) for i in bad[0])
            kind = "NaN" if np.isnan(array[index]) else "inf"
            msg = f"{name} must be finite; got {kind} at index {index}"
            raise ValueError(msg)
    return array


def whole_numbers(values: Iterable[object], name: str) -> list[int]:
    """Return ``values`` as a list of ints, or raise ``TypeError`` naming ``name``.

    Python and numpy integers are accepted. Anything else, a float such as
    ``2.0`` or a ``bool`` included, is refused rather than rounded.

    Examples
    --------
    >>> whole_numbers([3, np.int64(4)], "sizes")
    [3, 4]
    >>> whole_numbers([3, 2.5], "sizes")
    Traceback (most recent call last):
    ...
    TypeError: sizes must be whole numbers (int); got [3, 2.5]
    """
    found = list(values)
    whole = [int(n) for n in found if isinstance(n, int | np.integer) and not isinstance(n, bool)]
    if len(whole) != len(found):
        msg = f"{name} must be whole numbers (int); got {found}"
        raise TypeError(msg)
    return whole


def check_shape(array: FloatArray, expected: tuple[int, ...], name: str) -> None:
    """Raise ``ValueError`` unless ``array`` has exactly the ``expected`` shape.

    Examples
    --------
    >>> check_shape(np.zeros((2, 3)), (3, 2), "W[1]")
    Traceback (most recent call last):
    ...
    ValueError: W[1] must have shape (3, 2); got shape (2, 3)
    """
    if array.shape != expected:
        msg = f"{name} must have shape {expected}; got shape {array.shape}"
        raise ValueError(msg)


def check_choice(value: object, choices: Collection[str], what: str) -> str:
    """Return ``value`` if it is one of ``choices``, else raise naming them all.

    Examples
    --------
    >>> check_choice("max", ["sum", "mean", "none"], "reduction")
    Traceback (most recent call last):
    ...
    ValueError: unknown reduction 'max'; expected one of 'sum', 'mean', 'none'
    """
    if not isinstance(value, str):
        msg = f"{what} must be given by name (a str); got {type(value).__name__}"
        raise TypeError(msg)
    if value not in choices:
        known = ", ".join(repr(choice) for choice in choices)
        msg = f"unknown {what} {value!r}; expected one of {known}"
        raise ValueError(msg)
    return value
