"""zerograd: gradients of small networks by backpropagation in float64, and the tools to check them.

The notation follows the book: ``W[k]`` is :math:`W^{(k)}`, ``b[k]`` is
:math:`b^{(k)}`, ``x[0]`` is the input :math:`x^{(0)}`.
"""

from zerograd import activations, losses, model
from zerograd._checks import (
    ArgumentError,
    ArgumentTypeError,
    ArgumentValueError,
    NonFiniteError,
)
from zerograd.activations import Activation, get_activation
from zerograd.conv import ConvNetwork
from zerograd.layered import Layered, LayerIndexError
from zerograd.losses import Loss, get_loss
from zerograd.model import (
    ForwardPass,
    GradientCheckError,
    GradientNorms,
    Gradients,
    Model,
    check_gradients,
    gradient_norms,
    gradients,
    numerical_gradients,
)
from zerograd.network import Network
from zerograd.recurrent import RecurrentNetwork

# The three tables are bound here, not imported by name, so that their docstrings sit
# where the public names are: Sphinx reads a variable's docstring from the module it is
# documented in (https://github.com/sphinx-doc/sphinx/issues/6495).
ACTIVATIONS = activations.ACTIVATIONS
"""Every activation, by name: a read-only mapping (:class:`types.MappingProxyType`) from each
name to its :class:`Activation`. ``dict(zerograd.ACTIVATIONS)`` gives a copy that can be
changed (the mapping itself cannot be copied with :mod:`copy` or pickled).

:meta hide-value:
"""
LOSSES = losses.LOSSES
"""Every loss, by name: a read-only mapping (:class:`types.MappingProxyType`) from each
name to its :class:`Loss`. ``dict(zerograd.LOSSES)`` gives a copy that can be
changed (the mapping itself cannot be copied with :mod:`copy` or pickled).

:meta hide-value:
"""
REDUCTIONS = model.REDUCTIONS
"""How per-sample losses and gradients of a batch are combined: ``"sum"`` (the default),
``"mean"`` or ``"none"`` (one per sample)."""

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "REDUCTIONS",
    "Activation",
    "ArgumentError",
    "ArgumentTypeError",
    "ArgumentValueError",
    "ConvNetwork",
    "ForwardPass",
    "GradientCheckError",
    "GradientNorms",
    "Gradients",
    "LayerIndexError",
    "Layered",
    "Loss",
    "Model",
    "Network",
    "NonFiniteError",
    "RecurrentNetwork",
    "check_gradients",
    "get_activation",
    "get_loss",
    "gradient_norms",
    "gradients",
    "numerical_gradients",
]

__version__ = "0.1.0"
