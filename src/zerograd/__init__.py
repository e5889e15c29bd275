"""zerograd: exact gradients of small networks, and the tools to check them.

The notation follows the book: ``W[k]`` is :math:`W^{(k)}`, ``b[k]`` is
:math:`b^{(k)}`, ``x[0]`` is the input :math:`x^{(0)}`.
"""

from zerograd._checks import (
    ArgumentError,
    ArgumentTypeError,
    ArgumentValueError,
    NonFiniteError,
)
from zerograd.activations import ACTIVATIONS, Activation, get_activation
from zerograd.conv import ConvNetwork
from zerograd.layered import Layered, LayerIndexError
from zerograd.losses import LOSSES, Loss, get_loss
from zerograd.model import (
    REDUCTIONS,
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
