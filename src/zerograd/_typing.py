"""Array type aliases shared by every module."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
"""A float64 array: the only dtype the library computes in."""
