"""Containers indexed by layer number, so that code reads like the math.

``W[1]`` is :math:`W^{(1)}` and ``x[0]`` is the input :math:`x^{(0)}`: the
first valid index is the first layer number, not Python's 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import cast

import numpy as np

from zerograd._checks import (
    ArgumentTypeError,
    FloatArray,
    Whole,
    is_whole,
    received,
    short_repr,
    whole_number,
)


class LayerIndexError(KeyError, IndexError):
    """A layer number outside the range a container holds."""

    def __str__(self) -> str:
        # KeyError quotes its argument; show the sentence as written.
        return str(self.args[0])


class Layered(Mapping[int, FloatArray]):
    """Arrays numbered by layer, from ``first`` to ``last`` inclusive.

    ``layers[k] = array`` replaces layer ``k``'s array, so that an update such as
    ``net.W[1] -= lr * g.W[1]`` reads as it does in the math. A model checks its
    parameters at every use (see :class:`zerograd.Model`).

    Parameters
    ----------
    arrays : iterable of ndarray
        One array per layer, in layer order.
    first : int
        The layer number of the first array, at least 0: 1 for weights, biases
        and raw activations, 0 for layer outputs (``x[0]`` is the input).

    Examples
    --------
    >>> import numpy as np
    >>> W = Layered([np.zeros((3, 2)), np.zeros((1, 3))], first=1)
    >>> W[2].shape
    (1, 3)
    >>> list(W)
    [1, 2]
    >>> W[0]
    Traceback (most recent call last):
    ...
    zerograd.layered.LayerIndexError: layer number must be an int from 1 to 2;
    got 0
    """

    __slots__ = ("_arrays", "_first", "_last")

    def __init__(self, arrays: Iterable[FloatArray], first: Whole) -> None:
        try:
            if not isinstance(arrays, list) and isinstance(
                arrays, str | bytes | bytearray | Mapping
            ):
                raise TypeError  # iterable, but not one array per layer
            each = iter(arrays)
        except TypeError as error:  # not iterable, a 0-d array included
            raise ArgumentTypeError(
                "arrays",
                "be an iterable of arrays in layer order",
                received(arrays),
                expected="iterable",
                received=arrays,
            ) from error
        # outside the try: a TypeError the caller's own generator raises is its own
        self._arrays: list[FloatArray] = list(each)
        self._first = first if type(first) is int and first >= 0 else whole_number(first, "first")
        self._last = self._first + len(self._arrays) - 1

    @property
    def first(self) -> int:
        """The number of the first layer held."""
        return self._first

    @property
    def last(self) -> int:
        """The number of the last layer held."""
        return self._last

    def __getitem__(self, k: object) -> FloatArray:
        return self._arrays[self._position(k)]

    def __setitem__(self, k: object, array: FloatArray) -> None:
        self._arrays[self._position(k)] = array

    def _position(self, k: object) -> int:
        if type(k) is int and self._first <= k <= self._last:
            return k - self._first
        # Any integer type (int, numpy.int64) names a layer; bool and float do not.
        if not (is_whole(k) and self.first <= k <= self.last):  # type: ignore[operator]
            msg = (
                f"layer number must be an int from {short_repr(self.first)} to "
                f"{short_repr(self.last)}; got {short_repr(k)}"
            )
            raise LayerIndexError(msg)
        return int(cast("Whole", k)) - self._first

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.first, self.last + 1))

    def __len__(self) -> int:
        return len(self._arrays)

    def __repr__(self) -> str:
        # a layer set to something else (the next model call refuses it) by its type
        shapes = ", ".join(f"{short_repr(k)}: {_shape_or_type(a)}" for k, a in self.items())
        return f"Layered({{{shapes}}})"

    def __eq__(self, other: object) -> bool:
        """Refused: a mapping's ``==`` would compare arrays with numpy's ``==``, which gives arrays."""
        msg = (
            "Layered holds arrays, which == does not compare to one truth value; compare "
            "them layer by layer with numpy.array_equal (or zerograd.book.same_bits, bit "
            "for bit)"
        )
        raise TypeError(msg)

    __hash__ = None  # type: ignore[assignment]


def _shape_or_type(value: object) -> str:
    """An array's shape, or the type of anything else."""
    return str(value.shape) if isinstance(value, np.ndarray) else type(value).__name__
