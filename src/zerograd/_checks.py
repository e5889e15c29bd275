"""Argument checks, and the errors they raise.

Every public entry point passes what it is given through these checks before
any arithmetic, so bad input becomes an error that names the argument, what was
expected and what was received, never a bare numpy or Python error, a warning
or a silent wrong answer.

Every error is an :class:`ArgumentError`: an :class:`ArgumentValueError` (a
:class:`ValueError`) or an :class:`ArgumentTypeError` (a :class:`TypeError`),
and :class:`NonFiniteError` for NaN or inf in an array, a target or a bias, or
from an overflow. Each carries the ``argument`` it is
about, the ``expected`` and the ``received`` value, and its message always reads
``"<argument> must <requirement>; got <what was received>"``.
"""

from __future__ import annotations

import math
import numbers
import os
import reprlib
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, NamedTuple, NoReturn, cast

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
"""A float64 array: the only dtype the library computes in."""

FLOAT64 = np.dtype(np.float64)
"""The dtype of every parameter and every computed array."""

Whole = int | np.integer[Any]
"""A whole number: a Python int or a numpy integer (not a bool)."""

Seed = int | np.integer[Any] | np.random.Generator
"""A seed for :func:`numpy.random.default_rng`: a non-negative whole number, or a generator."""

INT_BEYOND_FLOAT64 = 2**1024 - 2**970
"""The least int Python cannot convert to float64: halfway above the largest float64
(``2**1024 - 2**971``), where round-half-to-even rounds up to ``2**1024``."""
MEMORY_CHECKED_ABOVE = 2**26
"""Bytes (64 MiB) above which a request is compared with the available memory.

Smaller requests are never refused, so that the common small call does not pay
for asking the operating system.
"""


class ArgumentError(Exception):
    """A bad argument, named, with what was expected and what was received.

    Parameters
    ----------
    argument : str
        The argument, or the part of it, that is wrong: ``"x"``, ``"W[2]"``,
        ``"step"``.
    requirement : str
        What it must satisfy, as it reads after "must": ``"be finite"``.
    found : str
        What was received, as it reads after "got".
    expected, received : object
        The same two facts as values, for programs and tests: a shape, a
        tuple of choices, a bound; the value, shape or type received.

    Examples
    --------
    >>> error = ArgumentValueError(
    ...     "step", "be positive", "-1.0", expected=0.0, received=-1.0
    ... )
    >>> str(error), error.argument, error.received
    ('step must be positive; got -1.0', 'step', -1.0)
    """

    def __init__(
        self, argument: str, requirement: str, found: str, *, expected: object, received: object
    ) -> None:
        super().__init__(f"{argument} must {requirement}; got {found}")
        self.argument = argument
        self.expected = expected
        self.received = received


class ArgumentValueError(ArgumentError, ValueError):
    """An argument of the right kind with a value the library cannot take."""


class ArgumentTypeError(ArgumentError, TypeError):
    """An argument of the wrong kind: ``None`` where an array belongs, a float for an int."""


class NonFiniteError(ArgumentValueError):
    """NaN or inf in an array, a target or a bias, or where the computation overflowed.

    The computation is in float64. NaN or inf given as a number setting
    (``weight_decay``, ``step``, ``rtol``, ``atol``) is an :class:`ArgumentValueError`
    naming it instead.

    ``received`` is ``"NaN"`` or ``"inf"``; the message shows an infinity with
    its sign (``-inf``), and the index of an array's entry.

    Attributes
    ----------
    index : tuple of int
        The index of the first such entry, in C order; ``()`` for a scalar.
    """

    def __init__(
        self, argument: str, index: tuple[int, ...], kind: str, why: str = "", *, shown: str = ""
    ) -> None:
        super().__init__(
            argument,
            "be finite",
            f"{shown or kind}{at_index(index)}{why}",
            expected="finite",
            received=kind,
        )
        self.index = index


def at_index(index: tuple[int, ...]) -> str:
    """`` at index (i, j)`` for a message about an array's entry; empty for a scalar's ``()``."""
    return f" at index {index}" if index else ""


def short_repr(value: object, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters for error messages.

    A repr that fails must not replace the error being reported. Python refuses
    to print an int of more than 4,300 digits (its ``sys.get_int_max_str_digits()``):
    such an int is shown by its sign and bit length, a container holding one entry
    by entry (:mod:`reprlib`, which also stops at a container that holds itself),
    and anything else whose repr raises by its type and the exception.

    Examples
    --------
    >>> short_repr(-(10**5000))
    '<negative int of 16610 bits>'
    >>> short_repr([0, 10**5000])
    '[0, <int of 16610 bits>]'
    """
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001  (the caller's object; its repr may do anything)
        text = _FallbackRepr().repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _FallbackRepr(reprlib.Repr):
    """:mod:`reprlib`'s bounded repr, for a value whose own repr raised."""

    def __init__(self) -> None:
        super().__init__()
        # as many entries as an 80-character message can show; reprlib's defaults are 6
        self.maxlist = self.maxtuple = 80

    def repr_int(self, x: int, level: int) -> str:
        try:
            return str(super().repr_int(x, level))
        except ValueError:  # more than 4,300 digits
            return int_text(x)

    def repr_instance(self, x: object, level: int) -> str:  # noqa: ARG002  (reprlib's signature)
        try:
            return repr(x)
        except Exception as error:  # noqa: BLE001  (the caller's object)
            if is_whole(x):  # an int subclass
                return int_text(int(cast("Whole", x)))
            return f"<{type(x).__name__} whose repr raised {_exception_text(error)}>"


def message_of(error: BaseException) -> str | None:
    """``str(error)``, or None where making it raises (a message whose ``__str__`` fails).

    Examples
    --------
    >>> class Unprintable(Exception):
    ...     def __str__(self) -> str:
    ...         raise RuntimeError
    >>> message_of(ValueError("no")), message_of(Unprintable())
    ('no', None)
    """
    try:
        return str(error)
    except Exception:  # noqa: BLE001  (any exception: the caller still needs a text)
        return None


def _exception_text(error: Exception) -> str:
    """``error``'s type and message; its type alone if it has no message or the message fails."""
    message = message_of(error)
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def int_text(number: int) -> str:
    """``number`` described by its sign and bit length, for an int too long to print.

    Examples
    --------
    >>> int_text(2**100), int_text(-1)
    ('<int of 101 bits>', '<negative int of 1 bits>')
    """
    sign = "negative " if number < 0 else ""
    return f"<{sign}int of {number.bit_length()} bits>"


def count_text(count: int) -> str:
    """``count`` with thousands separators, or from 2**128 on as a power of two it reaches.

    Examples
    --------
    >>> count_text(1234567), count_text(3 * 2**200)
    ('1,234,567', 'at least 2**201')
    """
    if count.bit_length() <= 128:
        return f"{count:,}"
    return f"at least 2**{count.bit_length() - 1}"


def shape_text(pattern: tuple[int | str, ...]) -> str:
    """A shape as Python writes a tuple, with named sizes unquoted: ``(T, 2)``, ``(3,)``."""
    inside = ", ".join(str(size) for size in pattern)
    return f"({inside},)" if len(pattern) == 1 else f"({inside})"


def as_given(entry: object) -> object:
    """An entry of an array as the caller wrote it, for a message and ``received``.

    A numpy scalar becomes the Python number that holds it (numpy 2 prints
    ``np.float64(0.5)``; a long double stays one, which no Python float holds);
    an entry of an object array is the caller's own object already, or a 0-d
    array the caller put in a list, read as the number it holds.
    """
    if isinstance(entry, np.ndarray) and entry.ndim == 0:
        entry = entry[()]  # numpy keeps a 0-d array inside a list it reads as objects
    return entry.item() if isinstance(entry, np.generic) else entry


def received(value: object) -> str:
    """The type and a short repr of ``value``, for the "got" part of a type error."""
    return f"{type(value).__name__} {short_repr(value)}"


def real_array(value: object, name: str, *, bools: bool = False) -> npt.NDArray[Any]:
    """``value`` as a numpy array of real numbers, in its own dtype, or raise.

    Parameters
    ----------
    value : array_like
    name : str
        The argument's name in error messages.
    bools : bool
        Whether a bool array is accepted (as 0 and 1).

    Raises
    ------
    ArgumentTypeError
        For a masked array (its mask would be silently dropped) or a mapping
        (numpy reads a dict as one object and another mapping, such as a
        :class:`~zerograd.Layered`, as its keys), also one inside a list or
        other sequence; a bytearray (as bytes are: numpy would read its bytes as
        numbers); a ragged nesting, or anything but
        integers, floats (and bools, if allowed). Where bools are not allowed,
        an array of bools is refused by its dtype, and a bool among numbers (in
        a sequence, an array-like inside one, or an object array), which numpy
        would read as 0 or 1, by its index.
    ArgumentValueError
        For an int beyond float64's range (about ``1.8e308``).

    Notes
    -----
    A list holding an int beyond 64 bits, which numpy keeps as an object array,
    comes back as that object array of the caller's numbers (and bools, if
    allowed): :func:`to_float64` then rounds the ints as it rounds int64 ones.
    """
    if isinstance(value, Mapping):
        _refuse_mapping(name, (), f"a mapping, {type(value).__name__}")
    if isinstance(value, bytearray):
        value = bytes(value)  # refused as text below, as bytes are
    if type(value) is np.ndarray:
        array = value
    elif reads_by_entries(value):
        # read once, and checked before numpy makes the array: numpy would drop a mask,
        # warn for a masked constant, and read a bool beside numbers as 0 or 1
        entries = read_once(value)
        hidden = hidden_entry(entries, bools=bools)
        if hidden is not None and hidden.masked:
            _refuse_masked(name, hidden.where)
        if hidden is not None and hidden.mapping:
            _refuse_mapping(name, hidden.where)
        array = _rectangular(lambda: np.asarray(entries), value, name)
        # bools alone: by dtype; in an object array: by the first entry that is not a
        # number, below
        if hidden is not None and array.dtype not in (np.bool_, object):
            _refuse_bool(name, hidden.where)
    else:  # an array-like or a number, which numpy reads whole: read once, subclass kept
        array = _rectangular(lambda: np.asanyarray(value), value, name)
        if isinstance(array, np.ma.MaskedArray):
            _refuse_masked(name, ())
        array = np.asarray(array)
    # the first entry of an object array that is not a number (not a bool either,
    # unless allowed): numpy keeps a list holding an int beyond 64 bits as objects
    odd = (
        next(((i, e) for i, e in np.ndenumerate(array) if not _is_number(e, bools)), None)
        if array.dtype == object
        else None
    )
    if odd is not None and type(as_given(odd[1])) is bool:  # a bool beside a long int
        _refuse_bool(name, odd[0])
    if array.dtype == object and array.size and odd is None:
        # kept as the caller's numbers, so that a value refused later is shown as
        # given; to_float64 rounds them
        _refuse_beyond_float64(array, name)
        return array
    if array.dtype.kind not in ("biuf" if bools else "iuf"):
        kinds = "integer, floating or bool" if bools else "integer or floating"
        shown = f"dtype {array.dtype}"
        if odd is not None:  # "dtype object" alone would not say what the caller gave
            index, entry = odd
            if isinstance(entry, np.ndarray) and entry.ndim == 0:
                entry = entry[()]  # a 0-d array in a list: the value it holds
            at = f" at index {index}" if array.ndim else ""
            # by its own repr: as_given would show a timedelta64 as the int it holds
            shown += f" ({short_repr(entry)}{at})"
        raise ArgumentTypeError(
            name,
            f"hold real numbers ({kinds} dtype)",
            shown,
            expected="real numbers",
            received=array.dtype,
        )
    return array


def _rectangular(
    read: Callable[[], npt.NDArray[Any]], value: object, name: str
) -> npt.NDArray[Any]:
    """``read()``, the array numpy makes of ``value``, or raise naming ``name`` for a ragged nesting."""
    try:
        return read()
    except (ValueError, TypeError) as error:
        raise ArgumentTypeError(
            name,
            "be a rectangular array of real numbers",
            short_repr(value),
            expected="a rectangular array",
            received=value,
        ) from error


def _refuse_masked(name: str, where: tuple[int, ...]) -> NoReturn:
    raise ArgumentTypeError(
        name, "be a plain array (a masked array's mask would be ignored)",
        f"a masked array{at_index(where)}", expected=np.ndarray, received=np.ma.MaskedArray,
    )  # fmt: skip


def _refuse_mapping(name: str, where: tuple[int, ...], shown: str = "a mapping") -> NoReturn:
    raise ArgumentTypeError(
        name, "be an array or a sequence of numbers (numpy would read a mapping's keys)",
        f"{shown}{at_index(where)}", expected="an array", received=Mapping,
    )  # fmt: skip


def is_bool(value: object) -> bool:
    """Whether ``value`` is a Python or numpy bool: what a flag argument must be.

    Examples
    --------
    >>> is_bool(np.True_), is_bool(1), is_bool("False")
    (True, False, False)
    """
    return isinstance(value, bool | np.bool_)


def _refuse_bool(name: str, where: tuple[int, ...]) -> NoReturn:
    raise ArgumentTypeError(
        name, "hold real numbers (integer or floating dtype)",
        f"a bool at index {where}", expected="real numbers", received=bool,
    )  # fmt: skip


def _is_number(entry: object, bools: bool) -> bool:
    """Whether an entry of an object array is a number numpy would read (a bool if allowed)."""
    if isinstance(entry, np.ndarray) and entry.ndim == 0:
        entry = entry[()]
    if is_bool(entry):
        return bools
    # subclasses too (an IntEnum member, a float subclass), as numpy reads them
    return isinstance(entry, int | float) or (
        isinstance(entry, np.integer | np.floating) and not isinstance(entry, np.timedelta64)
    )


_NUMPY_MAX_DIMS = 64
"""The most axes a numpy 2 array has: a deeper nesting (a list holding itself) is refused."""


def reads_by_entries(value: object) -> bool:
    """Whether numpy reads ``value`` entry by entry, as a nest of sequences.

    A list, a tuple or another sequence (a deque, a ``UserList``); not an array,
    an array-like (``__array__``, the array interface), a buffer, a str or a
    mapping (numpy takes a dict whole, and reads another mapping as its keys,
    which the checks refuse).
    """
    if isinstance(value, list | tuple):
        return True
    if isinstance(value, np.ndarray | np.generic | str | bytes | bytearray | memoryview | Mapping):
        return False
    if any(hasattr(value, a) for a in ("__array__", "__array_interface__", "__array_struct__")):
        return False
    try:
        memoryview(value)  # type: ignore[arg-type]
    except TypeError:
        return hasattr(value, "__len__") and hasattr(value, "__getitem__")
    return False  # a buffer


class HiddenEntry(NamedTuple):
    """An entry of the caller's sequences that numpy would read without a word."""

    masked: bool
    """A masked array (or the masked constant); otherwise a mapping, a bool, or with
    ``float64`` an entry whose own dtype is not float64."""
    where: tuple[int, ...]
    """Its index in the caller's nesting; inside an array, the array's followed by its own
    (for an array that is not float64, the array's)."""
    mapping: bool = False
    """A mapping (a dict, a :class:`~zerograd.Layered`), which numpy reads as its keys
    or as one object."""

    @property
    def refused(self) -> bool:
        """Whether it is refused wherever it is: a masked array or a mapping."""
        return self.masked or self.mapping


_PLAIN_NUMBERS: Final = frozenset({float, int, np.float64, np.float32, np.int64, np.int32})
"""The types of the entries a walk need not look into (a bool's type is bool or numpy.bool)."""
_PLAIN_FLOATS: Final = frozenset({float, np.float64})
"""The same for a walk that looks for entries whose own dtype is not float64."""


def read_once(value: object, depth: int = 0) -> object:
    """``value`` read once, as numpy reads it, into lists and arrays that read the same again.

    Each sequence in it becomes a list of its entries, each array-like the array it
    gives (a masked one kept), and the rest stays as it is. A sequence nested deeper
    than numpy takes, or one that cannot be read, is left as it is, for numpy to refuse
    with its own error. A sequence or array-like may give other entries when read again;
    checking what this returns, then making the array from it, checks what is used.
    """
    if type(value) in (float, int):  # most entries: nothing to read
        return value
    if reads_by_entries(value):
        if depth >= _NUMPY_MAX_DIMS:
            return value
        try:
            # as numpy reads a sequence: by iteration, or by index until IndexError
            entries = list(cast("Sequence[object]", value))
        except Exception:  # noqa: BLE001  a broken sequence: numpy fails on it, and says so
            return value
        if _PLAIN_NUMBERS.issuperset(map(type, entries)):
            return entries  # plain numbers, read: no walk
        return [read_once(entry, depth + 1) for entry in entries]
    if isinstance(value, int | float | np.generic | np.ndarray | Mapping):
        return value  # a mapping is left for hidden_entry to find
    if isinstance(value, bytearray):
        return bytes(value)  # read as text, as bytes are, not as the numbers of its bytes
    try:  # an array-like, as numpy reads it (a subclass kept, so that a mask is seen)
        return np.asanyarray(value)
    except Exception:  # noqa: BLE001  numpy fails on it again, and the caller says so
        return value


def hidden_entry(entries: object, *, bools: bool, float64: bool = False) -> HiddenEntry | None:
    """The first entry of ``entries`` that numpy would read without a word, a masked one first.

    ``entries`` is a value as :func:`read_once` gives it: lists, arrays and numbers.
    A masked array (or the masked constant), whose mask numpy drops, or a mapping,
    which numpy reads as its keys, anywhere: numpy would warn for a masked constant,
    so these come before the rest; otherwise the first
    bool among numbers, unless ``bools``, which numpy reads as 0 or 1 (a bool inside an
    object array is left to the caller, who sees the array numpy makes); with
    ``float64``, the first entry whose own dtype is not float64 (an int, a bool, a
    float32, ...), which numpy converts to float64 beside floats. None when there is
    none of these.
    """
    other = None
    for found in _hidden_entries(entries, (), bools, float64):
        if found.refused:
            return found
        other = other or found
    return other


def _hidden_entries(
    value: object, where: tuple[int, ...], bools: bool, float64: bool
) -> Iterator[HiddenEntry]:
    """Each entry :func:`hidden_entry` looks for, in the order numpy reads them."""
    # numbers first: they are most of the entries
    if is_bool(value):
        if float64 or not bools:
            yield HiddenEntry(False, where)
        return
    if isinstance(value, int | float | np.generic):
        if float64 and not isinstance(value, float):  # float64 is a float subclass
            yield HiddenEntry(False, where)
        return
    if isinstance(value, list) and len(where) < _NUMPY_MAX_DIMS:
        # plain numbers (not bools, whose type is bool): nothing to find, and no walk
        if (_PLAIN_FLOATS if float64 else _PLAIN_NUMBERS).issuperset(map(type, value)):
            return
        for position, entry in enumerate(value):
            yield from _hidden_entries(entry, (*where, position), bools, float64)
        return
    if isinstance(value, Mapping):
        yield HiddenEntry(False, where, mapping=True)
        return
    if not isinstance(value, np.ndarray):
        # what read_once left as it was (too deep, or unreadable): numpy refuses it
        return
    array = value  # an array, or what an array-like gave (a subclass kept)
    if isinstance(array, np.ma.MaskedArray):
        yield HiddenEntry(True, where)
    elif float64:
        if array.dtype != np.float64:
            yield HiddenEntry(False, where)
    elif not bools and array.dtype == np.bool_ and array.size:
        # numpy reads these as numbers beside other arrays; an object array keeps its
        # bools as objects, which the caller finds in the array numpy makes
        yield HiddenEntry(False, (*where, *(0,) * array.ndim))


def _refuse_beyond_float64(array: npt.NDArray[Any], name: str) -> None:
    """Raise, naming the first, if an object array of numbers holds one float64 cannot."""
    for index, given in enumerate(array.flat):
        entry = as_given(given)
        if isinstance(entry, int):
            beyond = abs(int(entry)) >= INT_BEYOND_FLOAT64
        else:  # a float; a long double can be beyond float64's range
            with np.errstate(over="ignore"):
                number = cast("float", entry)
                beyond = bool(np.isfinite(number)) and not np.isfinite(np.float64(number))
        if beyond:
            where = tuple(int(i) for i in np.unravel_index(index, array.shape))
            shown = int_text(entry) if isinstance(entry, int) else repr(entry)
            raise ArgumentValueError(
                name, "hold numbers within float64's range", f"{shown}{at_index(where)}",
                expected="a finite float64", received=entry,
            )  # fmt: skip


def as_real_array(value: object, name: str) -> FloatArray:
    """Convert ``value`` to a new finite float64 array, or raise.

    Parameters
    ----------
    value : array_like
        Integers or floats, converted to float64.
    name : str
        The argument's name in error messages, for example ``"x"``.

    Returns
    -------
    ndarray
        A float64 array with the shape of ``value``, never ``value`` itself:
        the caller may keep it while the user changes ``value``.

    Raises
    ------
    ArgumentTypeError
        As for :func:`real_array`.
    NonFiniteError
        If ``value`` holds NaN or inf.

    Examples
    --------
    >>> as_real_array([1, 2], "x")
    array([1., 2.])
    >>> as_real_array([1.0, float("nan")], "x")
    Traceback (most recent call last):
    ...
    zerograd._checks.NonFiniteError: x must be finite; got NaN at index (1,)
    """
    array = to_float64(real_array(value, name), name)
    check_finite(array, name)
    return array


def to_float64(given: npt.NDArray[Any], name: str, *, copy: bool = True) -> FloatArray:
    """``given``, an array of real numbers, as float64, or raise if that turns finite into inf.

    ``given`` comes from :func:`real_array`: integers and floats of at most 64
    bits, and Python numbers no larger than float64 holds, convert without
    overflow; a longer
    float (numpy's long double, where it is longer) can hold a finite number
    beyond float64's range, which is refused here, naming ``name``, rather
    than turned into inf with numpy's overflow warning.
    """
    if given.dtype.kind != "f" or given.dtype.itemsize <= FLOAT64.itemsize:
        return given.astype(np.float64, copy=copy)
    with np.errstate(over="ignore"):  # the overflow is named below
        array = given.astype(np.float64)
    lost = np.argwhere(np.isfinite(given) & ~np.isfinite(array))
    if len(lost):
        index = tuple(int(i) for i in lost[0])
        raise ArgumentValueError(
            name, "hold numbers within float64's range", f"{given[index]!r}{at_index(index)}",
            expected="a finite float64", received=given[index],
        )  # fmt: skip
    return array


def squared_norm(array: FloatArray) -> float:
    """The sum of squares of ``array``'s entries, in one pass and without a temporary.

    It is not finite when an entry is NaN or inf, and also when an entry's
    magnitude exceeds about 1e154 (the square overflows).
    """
    return float(np.vdot(array, array))


def non_finite_entry(array: FloatArray) -> tuple[tuple[int, ...], str] | None:
    """The index and kind (``"NaN"`` or ``"inf"``) of the first non-finite entry, or None.

    Examples
    --------
    >>> non_finite_entry(np.array([[1.0, 2.0], [np.inf, np.nan]]))
    ((1, 0), 'inf')
    >>> non_finite_entry(np.array([1e300, -1e300])) is None
    True
    """
    # One BLAS pass decides for the common, finite array: NaN and inf always make
    # the sum of squares non-finite. It overflows for huge finite entries too, so
    # only the elementwise search below decides that there is a bad entry.
    if math.isfinite(squared_norm(array)):
        return None
    bad = np.argwhere(~np.isfinite(array))  # shape (count, ndim)
    if not len(bad):
        return None
    index = tuple(int(i) for i in bad[0])
    return index, "NaN" if np.isnan(array[index]) else "inf"


def check_finite(array: FloatArray, name: str, why: str = "") -> None:
    """Raise :class:`NonFiniteError` naming ``name`` if ``array`` holds NaN or inf."""
    found = non_finite_entry(array)
    if found is not None:
        index, kind = found
        # received stays "inf"; the message shows the value as given, sign included
        shown = "-inf" if kind == "inf" and array[index] < 0 else ""
        raise NonFiniteError(name, index, kind, why, shown=shown)


def check_shape(array: FloatArray, expected: tuple[int, ...], name: str) -> None:
    """Raise ``ArgumentValueError`` unless ``array`` has exactly the ``expected`` shape.

    Examples
    --------
    >>> check_shape(np.zeros((2, 3)), (3, 2), "W[1]")
    Traceback (most recent call last):
    ...
    zerograd._checks.ArgumentValueError: W[1] must have shape (3, 2); got shape
    (2, 3)
    """
    if array.shape != expected:
        raise ArgumentValueError(
            name,
            f"have shape {expected}",
            f"shape {array.shape}",
            expected=expected,
            received=array.shape,
        )


def check_choice(value: object, choices: Collection[str], name: str) -> str:
    """Return ``value`` if it is one of ``choices``, else raise naming them all.

    Examples
    --------
    >>> check_choice("max", ["sum", "mean", "none"], "reduction")
    Traceback (most recent call last):
    ...
    zerograd._checks.ArgumentValueError: reduction must be one of 'sum',
    'mean', 'none'; got 'max'
    """
    if isinstance(value, str) and value in choices:
        return value
    known = ", ".join(repr(choice) for choice in choices)
    if not isinstance(value, str):
        raise ArgumentTypeError(
            name, f"be a name (str), one of {known}", received(value),
            expected=tuple(choices), received=value,
        )  # fmt: skip
    raise ArgumentValueError(
        name, f"be one of {known}", short_repr(value), expected=tuple(choices), received=value
    )


def is_whole(value: object) -> bool:
    """Whether ``value`` is a Python or numpy integer (a bool and a timedelta64 are not)."""
    # numpy makes a timedelta64 an integer type; it is a duration, not a count
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.timedelta64)


def whole_number(value: object, name: str, *, minimum: int = 0) -> int:
    """``value`` as an int, or raise: a Python or numpy integer of at least ``minimum``.

    A float such as ``2.0`` and a bool are refused rather than converted.

    Examples
    --------
    >>> whole_number(np.int64(4), "length", minimum=1)
    4
    >>> whole_number(2.0, "length")
    Traceback (most recent call last):
    ...
    zerograd._checks.ArgumentTypeError: length must be a whole number (int);
    got float 2.0
    """
    if not is_whole(value):
        raise ArgumentTypeError(
            name, "be a whole number (int)", received(value), expected=int, received=value
        )
    number = int(cast("Whole", value))
    if number < minimum:
        raise ArgumentValueError(
            name, f"be at least {minimum}", short_repr(number), expected=minimum, received=number
        )
    return number


def whole_numbers(
    values: object, name: str, *, count: int | None = None, at_least: int = 0
) -> list[int]:
    """``values`` as a list of positive ints, or raise naming ``name``.

    ``values`` must be a sequence (a list, tuple or 1-D array) of exactly
    ``count`` numbers, or of at least ``at_least``; Python and numpy integers are
    accepted, floats and bools refused rather than rounded.

    Examples
    --------
    >>> whole_numbers([3, np.int64(4)], "sizes")
    [3, 4]
    >>> whole_numbers([3, 2.5], "sizes")
    Traceback (most recent call last):
    ...
    zerograd._checks.ArgumentTypeError: sizes must be a sequence of whole
    numbers (int); got list [3, 2.5]
    """
    found = list(sequence(values, name, "a sequence of whole numbers (int)"))
    if not all(is_whole(n) for n in found):
        raise ArgumentTypeError(
            name,
            "be a sequence of whole numbers (int)",
            received(values),
            expected=int,
            received=values,
        )
    if len(found) < at_least or count not in (None, len(found)):
        wanted = f"exactly {count}" if count is not None else f"at least {at_least}"
        raise ArgumentValueError(
            name,
            f"hold {wanted} whole numbers",
            short_repr(values),
            expected=count if count is not None else at_least,
            received=len(found),
        )
    numbers_ = [int(n) for n in found]
    if min(numbers_, default=1) < 1:
        raise ArgumentValueError(
            name, "hold positive whole numbers", short_repr(numbers_), expected=1,
            received=numbers_,
        )  # fmt: skip
    return numbers_


def sequence(value: object, name: str, what: str) -> Sequence[Any]:
    """``value`` if it is a sequence (list, tuple or array with an axis), else raise.

    A str, bytes or a bytearray, a mapping, a set, a generator, ``None`` and a number are refused:
    each would be read one way when another was meant.
    """
    if isinstance(value, np.ndarray) and value.ndim >= 1:
        return list(value)
    if isinstance(value, Sequence) and not isinstance(value, str | bytes | bytearray):
        return value
    raise ArgumentTypeError(name, f"be {what}", received(value), expected=what, received=value)


def layer_sequence(value: object, name: str) -> list[Any]:
    """A constructor's one-entry-per-layer argument as a list in layer order, or raise.

    Accepted: a sequence in layer order, or a mapping keyed by the layer numbers
    1 to K (a :class:`~zerograd.Layered` such as another network's ``W``).
    """
    if isinstance(value, Mapping):
        numbers_ = list(value)
        if not all(is_whole(k) for k in numbers_) or sorted(numbers_) != list(
            range(1, len(numbers_) + 1)
        ):
            raise ArgumentValueError(
                name,
                "be numbered by layer from 1, as a network's parameters are",
                f"the keys {short_repr(numbers_)}",
                expected="layer numbers 1..K",
                received=numbers_,
            )
        return [value[k] for k in sorted(numbers_)]
    return list(sequence(value, name, "a sequence of arrays, one per layer"))


def activation_names(activations: object, depth: int) -> list[str]:
    """One activation name per layer: the names given, or one name for every layer."""
    if isinstance(activations, str):
        return [activations] * depth
    names = list(sequence(activations, "activations", "a name (str) or a sequence of names"))
    if len(names) != depth:
        raise ArgumentValueError(
            "activations",
            f"name one activation per layer ({depth})",
            f"{len(names)} names",
            expected=depth,
            received=len(names),
        )
    return names


def check_seed(seed: object) -> int | np.random.Generator:
    """Return ``seed`` if it is a non-negative whole number or a numpy Generator, else raise.

    Examples
    --------
    >>> check_seed(1.5)
    Traceback (most recent call last):
    ...
    zerograd._checks.ArgumentTypeError: seed must be a non-negative int or a
    numpy.random.Generator; got float 1.5
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if not is_whole(seed):
        raise ArgumentTypeError(
            "seed",
            "be a non-negative int or a numpy.random.Generator",
            received(seed),
            expected="int or Generator",
            received=seed,
        )
    return whole_number(seed, "seed")


def real_number(value: object, name: str) -> float:
    """``value`` as a float if it is a real number, else raise.

    A real number here is a :class:`numbers.Real` (ints, floats, numpy integers
    and floats, fractions); a bool and a numpy timedelta64, which Python and
    numpy count as ints, are not.

    An int too large for float64 (beyond about ``1.8e308``) is refused with an
    :class:`ArgumentValueError`, not Python's bare ``OverflowError``.
    """
    if type(value) is float:
        return value
    finite_numpy_float = isinstance(value, np.floating) and bool(np.isfinite(value))
    if isinstance(value, bool | np.timedelta64) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(
            name, "be a real number (an int, a float, a Fraction or a numpy number, read as float64)",
            received(value),
            expected=float, received=value,
        )  # fmt: skip
    try:
        number = float(value)
    except OverflowError:
        # an int by its bits, however short: Python refuses to print one of more than 4,300
        # digits, and a cut repr would hide its size
        shown = int_text(int(cast("Whole", value))) if is_whole(value) else short_repr(value)
        raise ArgumentValueError(
            name, "be a number within float64's range", shown,
            expected="a finite float64", received=value,
        ) from None  # fmt: skip
    if math.isinf(number) and finite_numpy_float:
        # a longer numpy float (long double) that float64 cannot hold
        raise ArgumentValueError(
            name, "be a number within float64's range", repr(value),
            expected="a finite float64", received=value,
        )  # fmt: skip
    return number


def non_negative_number(value: object, name: str) -> float:
    """``value`` as a float if it is a real number, finite and ``>= 0``, else raise.

    The sign is that of the value given: a negative Fraction or long double
    that rounds to ``-0.0`` is refused, not taken as 0.

    Raises
    ------
    ArgumentTypeError
        As :func:`real_number`.
    ArgumentValueError
        If it is negative, NaN or inf, or beyond float64's range; or positive
        but rounded to ``0.0`` by float64 (below ``5e-324``), which would
        silently turn it off.
    """
    number = real_number(value, name)
    if not (math.isfinite(number) and cast("float", value) >= 0):
        raise ArgumentValueError(
            name, "be a finite number >= 0", short_repr(value), expected=">= 0", received=value
        )
    if number == 0.0 and cast("float", value) > 0:  # a Fraction or long double below 5e-324
        raise ArgumentValueError(
            name, "be 0 or a positive number float64 holds (at least 5e-324)",
            f"{short_repr(value)}, which float64 rounds to 0.0", expected=">= 5e-324",
            received=value,
        )  # fmt: skip
    return number


def finite_number(value: object, name: str) -> float:
    """``value`` as a float if it is a finite real number, else raise.

    Raises
    ------
    ArgumentTypeError, ArgumentValueError
        As :func:`real_number`.
    NonFiniteError
        For NaN or an infinity, shown with its sign.
    """
    number = real_number(value, name)
    if not math.isfinite(number):
        kind = "NaN" if math.isnan(number) else "inf"
        shown = "-inf" if number < 0 else kind
        raise NonFiniteError(name, (), kind, shown=shown)
    return number


def check_weight_decay(weight_decay: object, reduction: str) -> float:
    r"""Return the weight decay :math:`\lambda` as a float, or raise.

    The penalty belongs to the objective as a whole, not to any one sample,
    so it cannot be split over per-sample losses or gradients: a non-zero
    ``weight_decay`` with ``reduction="none"`` on a batch is refused rather
    than added to every sample or to none.

    Parameters
    ----------
    weight_decay : float
        :math:`\lambda`: a real number, finite and ``>= 0``.
    reduction : {"sum", "mean", "none"}
        The reduction in effect (``"sum"`` for one sample).

    Raises
    ------
    ArgumentTypeError
        If ``weight_decay`` is not a real number (a bool is not one).
    ArgumentValueError
        If it is negative, NaN or inf, or non-zero with ``reduction="none"``.

    Examples
    --------
    >>> check_weight_decay(1, "mean")
    1.0
    >>> check_weight_decay(-0.1, "sum")
    Traceback (most recent call last):
    ...
    zerograd._checks.ArgumentValueError: weight_decay must be a finite number
    >= 0; got -0.1
    """
    decay = non_negative_number(weight_decay, "weight_decay")
    # zero as given: a Fraction or long double can round to 0.0
    if cast("float", weight_decay) != 0 and reduction == "none":
        raise ArgumentValueError(
            "weight_decay",
            "be 0 with reduction='none' (the penalty belongs to the whole objective, "
            "not to one sample)",
            short_repr(weight_decay),
            expected=0.0,
            received=weight_decay,
        )
    return decay


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation, or None where it cannot be read.

    Linux reports it as ``MemAvailable`` in ``/proc/meminfo`` (free memory plus
    the caches it can drop); elsewhere ``os.sysconf`` gives the free physical
    pages where the system supports that.
    """
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024  # the file counts kiB
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):  # no sysconf, or no such name
        return None


def check_addressable(n_bytes: int, name: str, what: str) -> None:
    """Raise ``ArgumentValueError`` if ``n_bytes`` exceed what numpy can hold in one array.

    That is ``np.iinfo(np.intp).max`` bytes; no machine can meet such a request, and
    numpy would raise its own ``ValueError``. Parameters as for :func:`check_memory`.
    """
    addressable = int(np.iinfo(np.intp).max)
    if n_bytes > addressable:
        raise ArgumentValueError(
            name,
            f"give arrays numpy can hold (at most {addressable:,} bytes)",
            f"{what} needing {count_text(n_bytes)} bytes",
            expected=addressable,
            received=n_bytes,
        )


def check_memory(n_bytes: int, name: str, what: str) -> None:
    """Raise ``ArgumentValueError`` if ``n_bytes`` exceed the available memory.

    Above ``np.iinfo(np.intp).max`` bytes, the most numpy can hold in one array,
    the request is refused whether or not the available memory can be read: no
    machine can meet it, and numpy would raise its own ``ValueError``.

    Parameters
    ----------
    n_bytes : int
        What the call is about to allocate.
    name : str
        The argument that sets the size, for example ``"sizes"``.
    what : str
        What would be allocated, for the message: ``"the parameters"``.
    """
    if n_bytes <= MEMORY_CHECKED_ABOVE:
        return
    check_addressable(n_bytes, name, what)
    available = available_memory()
    if available is not None and n_bytes > available:
        raise ArgumentValueError(
            name,
            f"give arrays that fit in the available memory ({available:,} bytes)",
            f"{what} needing {count_text(n_bytes)} bytes",
            expected=available,
            received=n_bytes,
        )
