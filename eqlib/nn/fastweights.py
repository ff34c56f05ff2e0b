"""Recurrent cells with a fast-weight associative memory, batched over the sequence batch.

Fast weights (Ba et al. 2016, arXiv 1610.06258) keep a per-sequence matrix ``A`` that is
written by a Hebbian outer product and decays,

    A_t = lambda A_{t-1} + eta h_t h_t^T,                                          (Ba eq. 4)

and read in an inner loop of ``S`` steps that settles the next hidden state,

    h^0 = f(W h_{t-1} + C x_t),   h^{s+1} = f(LN[W h_{t-1} + C x_t + A_{t-1} h^s]).  (Ba eq. 2)

Unrolled, ``A_{t-1} h = eta sum_{tau < t} lambda^{t-1-tau} (h_tau . h) h_tau``: the read-out
is attention over past hidden states with dot-product scores and an exponential recency
decay, without softmax (``fast_weight_attention``).

The FW-LSTM (Keller, Sridhar, Wang 2018, arXiv 1804.06511) puts the same memory inside a
gated LSTM: the memory is written with the gated cell output ``h_t`` and read in the inner
loop that settles the candidate ``g`` of the cell update. With ``eta = 0`` it is exactly the
layer-normalised LSTM below.

The cells below never form ``A``: their state keeps the past hidden states ``(B, T, H)`` and
reads the memory in the attention form, ``O(B T H)`` per step instead of ``O(B H^2)``, which
is cheaper while the sequence is shorter than the hidden size. ``memory_matrix`` rebuilds
``A`` from that state for inspection; the tests check that both forms agree.

Shapes: inputs ``x_t`` are ``(B, I)``, hidden states ``(B, H)``, memories ``(B, H, H)``.
"""

from __future__ import annotations

import torch
from torch import nn


def fast_weight_update(memory: torch.Tensor, h: torch.Tensor, decay: float, rate: float) -> torch.Tensor:
    """``A_t = decay * A_{t-1} + rate * h h^T`` for a batch: memory ``(B, H, H)``, h ``(B, H)``."""
    return decay * memory + rate * h.unsqueeze(2) * h.unsqueeze(1)


def _recency(past: torch.Tensor, decay: float, rate: float) -> torch.Tensor:
    """Write weights ``(T,)`` of the states ``past`` ``(B, T, H)``, oldest first: ``rate * decay^(T - 1 - tau)`` for the
    0-based index ``tau``, so the newest state has ``rate`` and the oldest ``rate * decay^(T - 1)``."""
    steps = past.shape[1]
    return rate * decay ** torch.arange(steps - 1, -1, -1, dtype=past.dtype, device=past.device)


def attention_scores(past: torch.Tensor, query: torch.Tensor, decay: float, rate: float) -> torch.Tensor:
    """Weights of the past states in the read-out: ``rate * decay^(T - 1 - tau) (h_tau . q)`` for the 0-based ``tau``,
    shape ``(B, T)``.

    Args:
        past: hidden states ``h_1..h_T`` as ``(B, T, H)`` (oldest first).
        query: ``(B, H)``.
    """
    if past.dim() != 3 or query.dim() != 2 or past.shape[0] != query.shape[0] or past.shape[2] != query.shape[1]:
        raise ValueError(f"expected past (B, T, H) and query (B, H), got {tuple(past.shape)} and {tuple(query.shape)}")
    return torch.einsum("bth,bh->bt", past, query) * _recency(past, decay, rate)


def fast_weight_attention(past: torch.Tensor, query: torch.Tensor, decay: float, rate: float) -> torch.Tensor:
    """The read-out ``A q`` ``(B, H)`` as attention over the past states ``(B, T, H)``, never forming ``A``:
    ``sum_tau attention_scores[tau] h_tau``, with unnormalised scores (no softmax)."""
    return torch.einsum("bt,bth->bh", attention_scores(past, query, decay, rate), past)


def memory_matrix(past: torch.Tensor, decay: float, rate: float) -> torch.Tensor:
    """``A`` after writing the states ``past`` ``(B, T, H)`` into an empty memory: ``(B, H, H)``."""
    if past.dim() != 3:
        raise ValueError(f"expected past states (B, T, H), got {tuple(past.shape)}")
    return torch.einsum("t,bti,btj->bij", _recency(past, decay, rate), past, past)


def _write(past: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """Append ``h`` ``(B, H)`` to the stored states ``(B, T, H)``: the write ``A += eta h h^T`` in attention form."""
    return torch.cat([past, h.unsqueeze(1)], dim=1)


def _check(decay: float, rate: float, inner_steps: int) -> None:
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"decay (lambda) must lie in [0, 1], got {decay}")
    if rate < 0:
        raise ValueError(f"rate (eta) must be non-negative, got {rate}")
    if not isinstance(inner_steps, int) or inner_steps < 1:
        raise ValueError(f"inner_steps (S) must be a positive int, got {inner_steps!r}")


class FastWeightRNNCell(nn.Module):
    """Ba et al.'s fast-weight RNN cell with ReLU units and layer normalisation in the inner loop.

    Defaults are theirs: ``decay = 0.95``, ``rate = 0.5``, ``inner_steps = 1``. The slow
    recurrent matrix starts at ``0.05 * I``, a small identity as in IRNN-style initialisation.
    """

    def __init__(
        self, input_size: int, hidden_size: int, decay: float = 0.95, rate: float = 0.5, inner_steps: int = 1
    ) -> None:
        super().__init__()
        _check(decay, rate, inner_steps)
        self.hidden_size, self.decay, self.rate, self.inner_steps = hidden_size, decay, rate, inner_steps
        self.slow = nn.Linear(hidden_size, hidden_size, bias=False)
        self.input = nn.Linear(input_size, hidden_size)
        self.norm = nn.LayerNorm(hidden_size)
        with torch.no_grad():
            self.slow.weight.copy_(0.05 * torch.eye(hidden_size))

    def initial_state(self, batch: int, device: torch.device | None = None) -> dict[str, torch.Tensor]:
        h = torch.zeros(batch, self.hidden_size, device=device)
        return {"h": h, "past": h.new_zeros(batch, 0, self.hidden_size)}

    def first_query(self, x: torch.Tensor, state: dict[str, torch.Tensor]) -> torch.Tensor:
        """The vector ``h^0`` ``(B, H)`` that first reads the memory at this step (for inspection)."""
        return torch.relu(self.slow(state["h"]) + self.input(x))

    def forward(self, x: torch.Tensor, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """One time step (Ba eqs. 2 and 4): ``x`` ``(B, I)``, state ``h`` ``(B, H)``, ``past`` ``(B, T, H)``."""
        drive = self.slow(state["h"]) + self.input(x)
        h = torch.relu(drive)
        for _ in range(self.inner_steps):
            h = torch.relu(self.norm(drive + fast_weight_attention(state["past"], h, self.decay, self.rate)))
        return {"h": h, "past": _write(state["past"], h)}


class FastWeightLSTMCell(nn.Module):
    """An LSTM cell whose candidate update reads a fast-weight memory written by its output.

    With gates ``i, f, o = sigmoid(.)`` and candidate drive ``z`` from ``[x_t, h_{t-1}]``:

        g^0 = tanh(LN[z]),   g^{s+1} = tanh(LN[z + A_{t-1} g^s])   (s < S)
        c_t = f * c_{t-1} + i * g^S,   h_t = o * tanh(c_t),
        A_t = lambda A_{t-1} + eta h_t h_t^T.

    ``rate = 0`` (or ``memory=False``) gives the plain layer-normalised LSTM baseline.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        decay: float = 0.95,
        rate: float = 0.5,
        inner_steps: int = 1,
        memory: bool = True,
    ) -> None:
        super().__init__()
        _check(decay, rate, inner_steps)
        self.hidden_size, self.decay, self.rate, self.inner_steps = hidden_size, decay, rate, inner_steps
        self.memory = memory
        self.gates = nn.Linear(input_size + hidden_size, 4 * hidden_size)
        self.norm = nn.LayerNorm(hidden_size)
        with torch.no_grad():  # forget gate starts open, a common LSTM initialisation
            self.gates.bias[hidden_size : 2 * hidden_size].fill_(1.0)

    def initial_state(self, batch: int, device: torch.device | None = None) -> dict[str, torch.Tensor]:
        zeros = torch.zeros(batch, self.hidden_size, device=device)
        state = {"h": zeros, "c": zeros}
        if self.memory:
            state["past"] = zeros.new_zeros(batch, 0, self.hidden_size)
        return state

    def first_query(self, x: torch.Tensor, state: dict[str, torch.Tensor]) -> torch.Tensor:
        """The vector ``g^0`` ``(B, H)`` that first reads the memory at this step (for inspection)."""
        return torch.tanh(self.norm(self.gates(torch.cat([x, state["h"]], dim=1)).chunk(4, dim=1)[3]))

    def forward(self, x: torch.Tensor, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """One time step: ``x`` ``(B, I)`` and the previous state to the next state."""
        i, f, o, z = self.gates(torch.cat([x, state["h"]], dim=1)).chunk(4, dim=1)
        g = torch.tanh(self.norm(z))
        if self.memory:
            for _ in range(self.inner_steps):
                g = torch.tanh(self.norm(z + fast_weight_attention(state["past"], g, self.decay, self.rate)))
        c = torch.sigmoid(f) * state["c"] + torch.sigmoid(i) * g
        h = torch.sigmoid(o) * torch.tanh(c)
        new = {"h": h, "c": c}
        if self.memory:
            new["past"] = _write(state["past"], h)
        return new
