"""The layer-normalised LSTM of Ba, Kiros and Hinton (2016, arXiv 1607.06450), the LN-LSTM that
Keller, Sridhar and Wang (2018) compare the FW-LSTM against.

Layer normalisation is applied to the input and the recurrent contributions of all four gates
separately, each over its ``4H`` pre-activations with its own gain and bias, and to the cell
state before the output (Ba et al. 2016, section 3.1 / eq. 20-22):

    (f, i, o, g) = LN(W_h h_{t-1}; a_1, b_1) + LN(W_x x_t; a_2, b_2) + b
    c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(g)
    h_t = sigmoid(o) * tanh(LN(c_t; a_3, b_3))

Shapes: inputs ``x_t`` are ``(B, I)``, hidden and cell states ``(B, H)``.
"""

from __future__ import annotations

import torch
from torch import nn


class LayerNormLSTMCell(nn.Module):
    """Ba et al.'s LN-LSTM cell; the state is ``{"h": (B, H), "c": (B, H)}``, as in ``FastWeightLSTMCell``."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        if input_size <= 0 or hidden_size <= 0:
            raise ValueError(f"sizes must be positive, got input {input_size}, hidden {hidden_size}")
        self.hidden_size = hidden_size
        self.input = nn.Linear(input_size, 4 * hidden_size, bias=False)
        self.recurrent = nn.Linear(hidden_size, 4 * hidden_size, bias=False)
        self.input_norm = nn.LayerNorm(4 * hidden_size)
        self.recurrent_norm = nn.LayerNorm(4 * hidden_size)
        self.cell_norm = nn.LayerNorm(hidden_size)
        self.bias = nn.Parameter(torch.zeros(4 * hidden_size))
        with torch.no_grad():  # forget gate starts open, as in the FW-LSTM cell
            self.bias[0:hidden_size].fill_(1.0)

    def initial_state(self, batch: int, device: torch.device | None = None) -> dict[str, torch.Tensor]:
        zeros = torch.zeros(batch, self.hidden_size, device=device)
        return {"h": zeros, "c": zeros}

    def forward(self, x: torch.Tensor, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """One time step: ``x`` ``(B, I)`` and the previous state to the next state."""
        drive = self.recurrent_norm(self.recurrent(state["h"])) + self.input_norm(self.input(x)) + self.bias
        f, i, o, g = drive.chunk(4, dim=1)
        c = torch.sigmoid(f) * state["c"] + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(self.cell_norm(c))
        return {"h": h, "c": c}
