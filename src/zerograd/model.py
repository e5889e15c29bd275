r"""What the models beyond the dense :class:`~zerograd.Network` share.

:class:`~zerograd.ConvNetwork` and :class:`~zerograd.RecurrentNetwork` have
layer-numbered parameters (``W[k]``, ``b[k]`` and, for the recurrent layer,
``U[k]``) and a forward pass that can add an offset to any raw activation
:math:`z^{(k)}`. Each supplies its forward and backward rules; this base class
turns them into the loss, exact gradients and central-difference gradients,
with the same batch conventions as the dense network.

The loss sees ``S`` *terms* per sample, each a vector of the output width:
one term for a convolutional network (its flattened output) and for a
recurrent network read at the last step, ``T`` terms for a recurrent network
read at every step. A sample's loss is the sum of its terms' losses.

Weight decay works as for the dense network: the objective is the reduced
loss plus :math:`\tfrac\lambda2` times the squared Frobenius norm of every
weight tensor (``PENALISED``), biases excepted.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Self

import numpy as np
import numpy.typing as npt

from zerograd._typing import FloatArray
from zerograd.activations import Activation, get_activation
from zerograd.backprop import DEFAULT_STEP, Gradients, _difference_each_entry
from zerograd.layered import Layered
from zerograd.losses import get_loss
from zerograd.network import REDUCTIONS, Batch, ForwardPass, check_weight_decay, weight_penalty
from zerograd.validation import as_real_array, check_choice

LayerArrays = dict[int, FloatArray]
"""Arrays keyed by layer number, before they are packed into a :class:`Layered`."""

PENALISED = ("W", "U")
"""Names of the parameters weight decay penalises: every weight tensor, no bias.

``W[k]`` is a dense matrix or a convolution kernel, ``U[k]`` a recurrent
weight matrix. Biases are left out for the reason
:meth:`zerograd.Network.weight_penalty` gives.
"""


class LayeredModel(ABC):
    """Base class of a model with layer-numbered parameters and a checked backward pass.

    A subclass sets ``_f``, its activations in layer order, in ``__init__``.
    """

    _f: tuple[Activation, ...]

    @property
    @abstractmethod
    def parameters(self) -> dict[str, Layered]:
        """The parameters by name, for example ``{"W": W, "b": b}``."""

    @abstractmethod
    def rebuild(self, arrays: dict[str, list[FloatArray]]) -> Self:
        """A model of the same kind and activations with these parameter arrays."""

    def with_parameter(self, name: str, k: int, value: FloatArray) -> Self:
        """A copy of the model with ``parameters[name][k]`` replaced by ``value``."""
        arrays = {
            key: [a.copy() for a in layered.values()] for key, layered in self.parameters.items()
        }
        arrays[name][k - self.parameters[name].first] = value
        return self.rebuild(arrays)

    def f(self, k: int) -> Activation:
        """The activation :math:`f_k` of layer ``k`` (numbered from 1)."""
        self.parameters["W"][k]  # raises a clear LayerIndexError when k is out of range
        return self._f[k - 1]

    @abstractmethod
    def prepare_input(self, x: npt.ArrayLike) -> tuple[FloatArray, bool]:
        """Check ``x``; return it with a batch axis, and whether it was one sample."""

    @abstractmethod
    def output_shape(self, inputs: FloatArray) -> tuple[int, ...]:
        """The shape of one sample's target, for checked ``inputs`` with a batch axis."""

    @abstractmethod
    def term_shape(self, inputs: FloatArray) -> tuple[int, int]:
        """``(S, n_K)``: how many loss terms one sample has, and their width."""

    @abstractmethod
    def forward_batch(
        self, inputs: FloatArray, offsets: Mapping[int, FloatArray] | None = None
    ) -> ForwardPass:
        """Forward pass on a checked batch, adding ``offsets[k]`` to ``z[k]`` when given."""

    @abstractmethod
    def loss_terms(self, trace: ForwardPass) -> tuple[FloatArray, FloatArray]:
        """The raw activations and outputs the loss sees, both of shape ``(N, S, n_K)``."""

    @abstractmethod
    def delta_from_terms(self, delta_terms: FloatArray, trace: ForwardPass) -> FloatArray:
        """Place ``dL/dz`` of the loss terms, ``(N, S, n_K)``, into the shape of ``z[K]``."""

    @abstractmethod
    def backward(
        self, trace: ForwardPass, delta: FloatArray, *, per_sample: bool
    ) -> tuple[dict[str, LayerArrays], LayerArrays]:
        """Backpropagate ``delta = dL/dz[K]`` (batch axis first).

        Returns the parameter gradients by name and layer, summed over the
        batch unless ``per_sample``, and ``dL/dz[k]`` for every layer.
        """

    @property
    def K(self) -> int:
        """Number of layers :math:`K`."""
        return len(self.parameters["W"])

    @property
    def activations(self) -> tuple[str, ...]:
        """Activation names, for layers ``1..K`` in order."""
        return tuple(self.f(k).name for k in range(1, self.K + 1))

    def forward(self, x: npt.ArrayLike) -> ForwardPass:
        """Run the model on one sample or a batch.

        Returns
        -------
        ForwardPass
            ``z[k]`` and ``x[k]``, without a batch axis for one sample.
        """
        inputs, single = self.prepare_input(x)
        trace = self.forward_batch(inputs)
        if not single:
            return trace
        return ForwardPass(
            z=Layered((trace.z[k][0] for k in trace.z), first=1),
            x=Layered((trace.x[k][0] for k in trace.x), first=0),
        )

    def prepare_batch(self, x: npt.ArrayLike, y: npt.ArrayLike, loss: str, reduction: str) -> Batch:
        """Check inputs, targets, loss and reduction together.

        Returns
        -------
        Batch
            Inputs with a batch axis, and targets of shape ``(N, S, n_K)``.
        """
        loss_rule = get_loss(loss)
        check_choice(reduction, REDUCTIONS, "reduction")
        inputs, single = self.prepare_input(x)
        shape = self.output_shape(inputs)
        targets = _targets_as_batch(as_real_array(y, "y"), inputs.shape[0], shape, single)
        n_terms, width = self.term_shape(inputs)
        terms = targets.reshape(inputs.shape[0], n_terms, width)
        loss_rule.check(terms.reshape(-1, width), self.f(self.K).name)
        return Batch(inputs, terms, loss_rule, "sum" if single else reduction, single)

    def per_sample_losses(
        self, batch: Batch, offsets: Mapping[int, FloatArray] | None = None
    ) -> FloatArray:
        """Each sample's loss, shape ``(N,)``, the sum of its terms' losses."""
        z, x = self.loss_terms(self.forward_batch(batch.inputs, offsets))
        n_samples, n_terms, width = z.shape
        values = batch.loss.value(
            z.reshape(-1, width), x.reshape(-1, width), batch.targets.reshape(-1, width)
        )
        total: FloatArray = values.reshape(n_samples, n_terms).sum(axis=1)
        return total

    def loss(
        self,
        x: npt.ArrayLike,
        y: npt.ArrayLike,
        loss: str = "squared_error",
        reduction: str = "sum",
        weight_decay: float = 0.0,
    ) -> float | FloatArray:
        r"""The loss of one sample, or of a batch combined by ``reduction``.

        Parameters
        ----------
        x, y : array_like
            One sample and its target, or a batch, in the shapes the model
            documents.
        loss : str
            A key of :data:`zerograd.LOSSES`.
        reduction : {"sum", "mean", "none"}
            For a batch: the sum, the mean, or the per-sample losses.
        weight_decay : float
            :math:`\lambda \ge 0`. The objective becomes the reduced loss
            plus :meth:`weight_penalty`, which is not divided by ``N`` under
            ``reduction="mean"``. Must be 0 with ``reduction="none"`` on a
            batch (see ``check_weight_decay``).

        Returns
        -------
        float or ndarray, shape (N,)
            A float, except for a batch with ``reduction="none"``.
        """
        batch = self.prepare_batch(x, y, loss, reduction)
        decay = check_weight_decay(weight_decay, batch.reduction)
        reduced = batch.reduce(self.per_sample_losses(batch))
        if decay == 0.0:
            return reduced
        return float(reduced) + self.weight_penalty(decay)

    def weight_penalty(self, weight_decay: float) -> float:
        r"""The L2 penalty on every weight tensor, :math:`\tfrac\lambda2 \sum \lVert \theta \rVert_F^2`.

        The sum runs over the parameters named in ``PENALISED``: every
        ``W[k]`` (dense matrix or convolution kernel) and every recurrent
        ``U[k]``, but no bias, as for :meth:`zerograd.Network.weight_penalty`.

        Parameters
        ----------
        weight_decay : float
            :math:`\lambda \ge 0`, finite.

        Returns
        -------
        float

        Examples
        --------
        >>> from zerograd import RecurrentNetwork
        >>> net = RecurrentNetwork(
        ...     W=[[[1.0]], [[2.0]]], U=[[3.0]], b=[[5.0], [7.0]], activations="identity"
        ... )
        >>> net.weight_penalty(0.5)  # 0.5/2 * (1 + 4 + 9): U counts, the biases do not
        3.5
        """
        # Every model has W, so the sum is never empty and always a float.
        return sum(
            weight_penalty(arrays, weight_decay)
            for name, arrays in self.parameters.items()
            if name in PENALISED
        )

    def gradients(
        self,
        x: npt.ArrayLike,
        y: npt.ArrayLike,
        loss: str = "squared_error",
        reduction: str = "sum",
        weight_decay: float = 0.0,
    ) -> Gradients:
        r"""Exact gradients; what :func:`zerograd.gradients` calls for this model.

        With ``weight_decay`` :math:`\lambda`, :math:`\lambda\theta` is added
        to the gradient of each penalised tensor :math:`\theta`
        (``PENALISED``); bias and raw-activation gradients are unchanged.
        """
        batch = self.prepare_batch(x, y, loss, reduction)
        decay = check_weight_decay(weight_decay, batch.reduction)
        trace = self.forward_batch(batch.inputs)
        z, x_out = self.loss_terms(trace)
        width = z.shape[-1]
        delta_terms = batch.loss.delta(
            z.reshape(-1, width),
            x_out.reshape(-1, width),
            batch.targets.reshape(-1, width),
            self.f(self.K),
        ).reshape(z.shape)
        delta = self.delta_from_terms(batch.scale * delta_terms, trace)
        params, dz = self.backward(trace, delta, per_sample=batch.reduction == "none")
        if decay != 0.0:
            for name, arrays in self.parameters.items():
                if name in PENALISED:
                    for k in arrays:
                        params[name][k] = params[name][k] + decay * arrays[k]
        return self._package(params, dz, batch.single)

    def numerical_gradients(
        self,
        x: npt.ArrayLike,
        y: npt.ArrayLike,
        loss: str = "squared_error",
        reduction: str = "sum",
        weight_decay: float = 0.0,
        step: float = DEFAULT_STEP,
    ) -> Gradients:
        r"""Central differences; what :func:`zerograd.numerical_gradients` calls for this model.

        Every entry of every parameter is moved by :math:`\pm h`, and so is
        every entry of every raw activation (an offset added in the forward
        pass, so that the later layers, and later time steps, see the change).
        For ``reduction="none"`` each sample's loss is differenced; otherwise
        the objective itself, the reduced loss plus :meth:`weight_penalty` of
        the moved parameters, so the penalty's gradient is estimated, not
        assumed.
        """
        if not (np.isfinite(step) and step > 0):
            msg = f"step must be a positive finite number; got {step!r}"
            raise ValueError(msg)
        batch = self.prepare_batch(x, y, loss, reduction)
        decay = check_weight_decay(weight_decay, batch.reduction)
        per_sample = batch.reduction == "none"

        def objective(model: LayeredModel) -> FloatArray:
            # Per-sample losses, shape (N,), or the one penalised objective, shape (1,).
            losses = model.per_sample_losses(batch)
            if per_sample:
                return losses
            return np.array([float(batch.reduce(losses)) + model.weight_penalty(decay)])

        params: dict[str, LayerArrays] = {}
        for name, arrays in self.parameters.items():
            params[name] = {}
            for k in arrays:

                def objective_with(value: FloatArray, name: str = name, k: int = k) -> FloatArray:
                    return objective(self.with_parameter(name, k, value))

                each = _difference_each_entry(arrays[k], step, objective_with)
                params[name][k] = each if per_sample else each[0]
        trace = self.forward_batch(batch.inputs)
        dz = {k: self._difference_raw_activation(batch, trace.z[k], k, step) for k in trace.z}
        return self._package(params, {k: d * batch.scale for k, d in dz.items()}, batch.single)

    def _difference_raw_activation(
        self, batch: Batch, z_k: FloatArray, k: int, step: float
    ) -> FloatArray:
        # Samples do not interact, so one entry is moved in every sample at once.
        result = np.empty_like(z_k)
        for index in np.ndindex(z_k.shape[1:]):
            offset = np.zeros_like(z_k)
            offset[(slice(None), *index)] = step
            up = self.per_sample_losses(batch, {k: offset})
            down = self.per_sample_losses(batch, {k: -offset})
            result[(slice(None), *index)] = (up - down) / (2.0 * step)
        return result

    def _package(self, params: dict[str, LayerArrays], dz: LayerArrays, single: bool) -> Gradients:
        def layered(arrays: LayerArrays) -> Layered:
            return Layered((arrays[k] for k in sorted(arrays)), first=min(arrays))

        return Gradients(
            W=layered(params["W"]),
            b=layered(params["b"]),
            z=layered({k: d[0] if single else d for k, d in dz.items()}),
            U=layered(params["U"]) if "U" in params else None,
        )


def layer_lists(
    W: Sequence[npt.ArrayLike],
    b: Sequence[npt.ArrayLike],
    activations: str | Sequence[str],
    model: str,
) -> tuple[list[FloatArray], list[FloatArray], tuple[Activation, ...]]:
    """Check a constructor's weights, biases and activation names, one of each per layer.

    Returns
    -------
    weights, biases : list of ndarray
        Finite float64 arrays, in layer order (shapes are checked by the model).
    activations : tuple of Activation
    """
    weights = [as_real_array(w, f"W[{k}]") for k, w in enumerate(W, start=1)]
    biases = [as_real_array(v, f"b[{k}]") for k, v in enumerate(b, start=1)]
    depth = len(weights)
    if depth == 0:
        msg = f"a {model} needs at least one layer; got W with 0 arrays"
        raise ValueError(msg)
    if len(biases) != depth:
        msg = f"expected one bias vector per layer ({depth}); got {len(biases)}"
        raise ValueError(msg)
    names = [activations] * depth if isinstance(activations, str) else list(activations)
    if len(names) != depth:
        msg = f"expected one activation per layer ({depth}); got {len(names)}"
        raise ValueError(msg)
    return weights, biases, tuple(get_activation(name) for name in names)


def _targets_as_batch(
    y: FloatArray, n_samples: int, shape: tuple[int, ...], single: bool
) -> FloatArray:
    """Targets with a batch axis, shape ``(N, *shape)``.

    A one-unit output also takes a scalar (one sample) or shape ``(N,)``.
    """
    expected = shape if single else (n_samples, *shape)
    if y.shape == expected or (shape == (1,) and y.shape == expected[:-1]):
        return y.reshape(n_samples, *shape)
    what = "one sample" if single else f"a batch of {n_samples}"
    msg = f"y for {what} must have shape {expected}; got shape {y.shape}"
    raise ValueError(msg)
