"""GRU-D: a GRU for time series with missing values (Che, Purushotham, Cho, Sontag, Liu 2018, arXiv 1606.01865).

Two trainable decays, both ``gamma = exp(-max(0, W delta + b))`` of the time ``delta``
since a variable was last observed (Che et al. eq. 3):

- input decay (diagonal ``W``): a missing input decays from its last observed value
  towards the empirical mean, ``x_hat = m x + (1 - m)(gamma_x x_last + (1 - gamma_x) x_mean)``;
- hidden decay (full ``W``): the previous hidden state is shrunk, ``h <- gamma_h * h``.

The GRU update then reads ``[x_hat, m]``. It uses PyTorch's ``GRUCell``, which applies the
reset gate after the recurrent matrix (``r * (U h)``) where Che et al. write ``U (r * h)``;
both are standard GRU variants.
"""

from __future__ import annotations

import torch
from torch import nn


def decay_rate(delta: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """``gamma = exp(-max(0, delta W^T + b))``: delta ``(B, V)``, weight ``(K, V)``, bias ``(K,)`` to ``(B, K)``."""
    return torch.exp(-torch.relu(delta @ weight.T + bias))


class GRUDCell(nn.Module):
    """One GRU-D step. State: hidden ``h`` ``(B, H)`` and last observed inputs ``x_last`` ``(B, V)``.

    Args:
        x_mean: the empirical mean ``(V,)`` of each variable on the training data (0 after standardising).
    """

    def __init__(self, input_size: int, hidden_size: int, x_mean: torch.Tensor | None = None) -> None:
        super().__init__()
        if input_size <= 0 or hidden_size <= 0:
            raise ValueError(f"sizes must be positive, got input {input_size}, hidden {hidden_size}")
        self.input_size, self.hidden_size = input_size, hidden_size
        self.input_decay_weight = nn.Parameter(torch.full((input_size,), 0.1))
        self.input_decay_bias = nn.Parameter(torch.zeros(input_size))
        self.hidden_decay = nn.Linear(input_size, hidden_size)
        self.gru = nn.GRUCell(2 * input_size, hidden_size)
        mean = torch.zeros(input_size) if x_mean is None else x_mean.detach().float()
        if mean.shape != (input_size,):
            raise ValueError(f"x_mean must have shape ({input_size},), got {tuple(mean.shape)}")
        self.register_buffer("x_mean", mean)

    def initial_state(self, batch: int, device: torch.device | None = None) -> dict[str, torch.Tensor]:
        return {
            "h": torch.zeros(batch, self.hidden_size, device=device),
            "x_last": self.x_mean.to(device).expand(batch, -1).clone(),
        }

    def impute(self, x: torch.Tensor, m: torch.Tensor, delta: torch.Tensor, x_last: torch.Tensor) -> torch.Tensor:
        """``x_hat`` ``(B, V)``: observed values kept, missing ones decayed from ``x_last`` towards ``x_mean``."""
        gamma_x = torch.exp(-torch.relu(self.input_decay_weight * delta + self.input_decay_bias))
        return m * x + (1 - m) * (gamma_x * x_last + (1 - gamma_x) * self.x_mean)

    def forward(
        self, x: torch.Tensor, m: torch.Tensor, delta: torch.Tensor, state: dict[str, torch.Tensor]
    ) -> dict[str, torch.Tensor]:
        """One step: values ``x``, mask ``m`` and hours since last observation ``delta``, all ``(B, V)``."""
        x_hat = self.impute(x, m, delta, state["x_last"])
        gamma_h = decay_rate(delta, self.hidden_decay.weight, self.hidden_decay.bias)
        h = self.gru(torch.cat([x_hat, m], dim=1), gamma_h * state["h"])
        return {"h": h, "x_last": torch.where(m > 0, x, state["x_last"])}
