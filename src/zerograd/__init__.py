"""zerograd: exact gradients of small dense networks, and the tools to check them.

The notation follows the book: ``W[k]`` is :math:`W^{(k)}`, ``b[k]`` is
:math:`b^{(k)}`, ``x[0]`` is the input :math:`x^{(0)}`.
"""

from zerograd.activations import ACTIVATIONS, Activation, get_activation
from zerograd.backprop import Gradients, gradients, numerical_gradients
from zerograd.conv import ConvNetwork
from zerograd.layered import Layered, LayerIndexError
from zerograd.losses import LOSSES, Loss, get_loss
from zerograd.network import REDUCTIONS, ForwardPass, Network
from zerograd.recurrent import RecurrentNetwork

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "REDUCTIONS",
    "Activation",
    "ConvNetwork",
    "ForwardPass",
    "Gradients",
    "LayerIndexError",
    "Layered",
    "Loss",
    "Network",
    "RecurrentNetwork",
    "get_activation",
    "get_loss",
    "gradients",
    "numerical_gradients",
]

__version__ = "0.1.0"
