"""Encoders for sparse clinical series and Autoregressive Predictive Coding (APC).

APC (Chung et al. 2019, arXiv 1904.03240; for sparse, imbalanced clinical series Wever et al. 2021, arXiv 2106.15577)
pre-trains a recurrent encoder without labels: from the hidden state at hour ``t`` a linear
head predicts the measurements at hour ``t + n``, scored by the squared error on the entries
that were actually observed. The encoder is then reused for outcome prediction.

Tensors: values, mask and deltas are ``(B, T, V)``; hidden states ``(B, T, H)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from eqlib.nn.grud import GRUDCell

ENCODERS = ("gru", "grud")


def forward_fill(values: torch.Tensor, mask: torch.Tensor, fill: torch.Tensor | float = 0.0) -> torch.Tensor:
    """Carry each variable's last observed value forward in time ``(B, T, V)``; ``fill`` before the first one."""
    steps = torch.arange(values.shape[1], device=values.device)[None, :, None].expand_as(values)
    last = torch.where(mask > 0, steps, torch.full_like(steps, -1)).cummax(dim=1).values
    carried = values.gather(1, last.clamp_min(0))
    return torch.where(last >= 0, carried, torch.as_tensor(fill, dtype=values.dtype, device=values.device))


def _check_series(values: torch.Tensor, mask: torch.Tensor, deltas: torch.Tensor, variables: int) -> None:
    if values.dim() != 3 or values.shape[2] != variables:
        raise ValueError(f"values must have shape (B, T, {variables}), got {tuple(values.shape)}")
    if mask.shape != values.shape or deltas.shape != values.shape:
        raise ValueError(
            f"mask and deltas must match values {tuple(values.shape)}, got {tuple(mask.shape)}, {tuple(deltas.shape)}"
        )


class SeriesEncoder(nn.Module):
    """A recurrent encoder over hourly series with missing values.

    ``"gru"``: a GRU reading forward-filled values and the mask ``[x_ffill, m]``.
    ``"grud"``: GRU-D, which decays missing inputs and the hidden state with the time since
    the last observation (``eqlib.nn.GRUDCell``).
    """

    def __init__(self, kind: str, variables: int, hidden_size: int = 64, x_mean: torch.Tensor | None = None) -> None:
        super().__init__()
        if kind not in ENCODERS:
            raise ValueError(f"encoder kind must be one of {ENCODERS}, got {kind!r}")
        self.kind, self.variables, self.hidden_size = kind, variables, hidden_size
        if kind == "gru":
            self.rnn = nn.GRU(2 * variables, hidden_size, batch_first=True)
            self.register_buffer("x_mean", torch.zeros(variables) if x_mean is None else x_mean.detach().float())
        else:
            self.cell = GRUDCell(variables, hidden_size, x_mean)

    def forward(self, values: torch.Tensor, mask: torch.Tensor, deltas: torch.Tensor) -> torch.Tensor:
        """Hidden states ``(B, T, H)``."""
        _check_series(values, mask, deltas, self.variables)
        if self.kind == "gru":
            return self.rnn(torch.cat([forward_fill(values, mask, self.x_mean), mask], dim=2))[0]
        state = self.cell.initial_state(values.shape[0], values.device)
        hidden = []
        for t in range(values.shape[1]):
            state = self.cell(values[:, t], mask[:, t], deltas[:, t], state)
            hidden.append(state["h"])
        return torch.stack(hidden, dim=1)


def apc_loss(predictions: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the observed target entries only: ``sum(m (p - x)^2) / sum(m)``."""
    if predictions.shape != targets.shape or mask.shape != targets.shape:
        raise ValueError(
            f"predictions, targets and mask must share a shape, got {tuple(predictions.shape)}, "
            f"{tuple(targets.shape)}, {tuple(mask.shape)}"
        )
    return ((predictions - targets) ** 2 * mask).sum() / mask.sum().clamp_min(1.0)


class APC(nn.Module):
    """An encoder and a linear head that predicts the values ``shift`` hours ahead from each hidden state."""

    def __init__(self, encoder: SeriesEncoder, shift: int = 1) -> None:
        super().__init__()
        if not isinstance(shift, int) or shift < 1:
            raise ValueError(f"shift (n) must be a positive int, got {shift!r}")
        self.encoder, self.shift = encoder, shift
        self.head = nn.Linear(encoder.hidden_size, encoder.variables)

    def predictions(self, values: torch.Tensor, mask: torch.Tensor, deltas: torch.Tensor) -> torch.Tensor:
        """Predicted values for hours ``shift .. T-1`` from hidden states at ``0 .. T-1-shift``: ``(B, T - n, V)``."""
        if values.shape[1] <= self.shift:
            raise ValueError(f"series of {values.shape[1]} hours are too short to predict {self.shift} ahead")
        return self.head(self.encoder(values, mask, deltas)[:, : -self.shift])

    def loss(self, values: torch.Tensor, mask: torch.Tensor, deltas: torch.Tensor) -> torch.Tensor:
        n = self.shift
        return apc_loss(self.predictions(values, mask, deltas), values[:, n:], mask[:, n:])


class OutcomeClassifier(nn.Module):
    """An encoder and a linear head on its last hidden state: one outcome logit per stay ``(B,)``."""

    def __init__(self, encoder: SeriesEncoder) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(encoder.hidden_size, 1)

    def forward(self, values: torch.Tensor, mask: torch.Tensor, deltas: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(values, mask, deltas)[:, -1]).squeeze(1)


class APCClassifier(nn.Module):
    """An outcome classifier that keeps APC's forecasting head, for the paper's three stages.

    The APC paper (Wever et al. 2021) trains (1) APC alone, (2) the outcome head on the frozen
    encoder, (3) everything end to end on ``outcome loss + apc_weight * APC loss`` (their weights:
    1 and 1). ``forward`` gives one outcome logit per stay ``(B,)`` from the last hidden state.
    """

    def __init__(self, apc: APC) -> None:
        super().__init__()
        self.apc = apc
        self.head = nn.Linear(apc.encoder.hidden_size, 1)

    def forward(self, values: torch.Tensor, mask: torch.Tensor, deltas: torch.Tensor) -> torch.Tensor:
        return self.head(self.apc.encoder(values, mask, deltas)[:, -1]).squeeze(1)

    def joint_loss(
        self,
        values: torch.Tensor,
        mask: torch.Tensor,
        deltas: torch.Tensor,
        labels: torch.Tensor,
        class_weights: tuple[float, float],
        apc_weight: float = 1.0,
    ) -> torch.Tensor:
        """``weighted_bce(outcome) + apc_weight * apc_loss``, from one pass of the encoder."""
        hidden = self.apc.encoder(values, mask, deltas)
        outcome = weighted_bce(self.head(hidden[:, -1]).squeeze(1), labels, class_weights)
        n = self.apc.shift
        forecast = apc_loss(self.apc.head(hidden[:, :-n]), values[:, n:], mask[:, n:])
        return outcome + apc_weight * forecast


def weighted_bce(logits: torch.Tensor, labels: torch.Tensor, class_weights: tuple[float, float]) -> torch.Tensor:
    """Binary cross-entropy with each stay weighted by its class: ``mean(w_y * bce)``, ``(B,)`` to a scalar.

    ``class_weights = (w_0, w_1)`` for negatives and positives, e.g. ``n / (2 n_c)`` as the APC
    paper's code sets them (``eqlib.models.apc_protocol.class_weights``); ``(1, 1)`` is plain BCE.
    """
    w_negative, w_positive = class_weights
    if w_negative <= 0 or w_positive <= 0:
        raise ValueError(f"class_weights must be two positive numbers, got {class_weights}")
    weights = torch.where(labels > 0.5, w_positive, w_negative)
    return (weights * F.binary_cross_entropy_with_logits(logits, labels, reduction="none")).mean()
