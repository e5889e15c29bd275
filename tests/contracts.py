"""How the tests pin an error: its class, the argument it names, what was expected and received.

The wording of each message template is pinned once, in ``test_errors.py``; everywhere
else a test checks the error's contract, so that rewording a message breaks one test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest

import zerograd as zg

ANY = object()
"""Leave ``expected`` or ``received`` unchecked."""


def same(a: object, b: object) -> bool:
    """Equality that also holds for NaN, numpy scalars, arrays and dtypes."""
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))
    return bool(a == b)


@contextmanager
def refuses(
    kind: type[zg.ArgumentError],
    argument: str,
    *,
    expected: object = ANY,
    received: object = ANY,
    index: tuple[int, ...] | None = None,
) -> Iterator[pytest.ExceptionInfo[zg.ArgumentError]]:
    """Expect ``kind`` (or a subclass) naming ``argument``, with these expected and received values.

    ``index`` is checked for a :class:`zerograd.NonFiniteError`: the first bad entry.
    """
    with pytest.raises(kind) as info:
        yield info
    error = info.value
    assert error.argument == argument, f"the error names {error.argument!r}: {error}"
    if expected is not ANY:
        assert same(error.expected, expected), f"expected {error.expected!r}: {error}"
    if received is not ANY:
        assert same(error.received, received), f"received {error.received!r}: {error}"
    if index is not None:
        assert isinstance(error, zg.NonFiniteError), f"not a NonFiniteError: {error!r}"
        assert error.index == index, f"index {error.index}: {error}"
    assert str(error).startswith(f"{argument} must "), f"the message does not lead: {error}"


class Drifting:
    """An array-like that gives the next of its values on each read (then the last).

    It stands for one that reads differently each time (a view of a buffer being
    written, a lazy array): a call that checks it and then reads it again would use
    values its checks never saw. ``reads`` counts the reads.
    """

    def __init__(self, *values: object) -> None:
        self.values = values
        self.reads = 0

    def __array__(self, dtype: object = None, copy: object = None) -> np.ndarray:
        value = self.values[min(self.reads, len(self.values) - 1)]
        self.reads += 1
        return np.asanyarray(value, dtype=dtype)  # type: ignore[call-overload,no-any-return]
