"""Sequence classifiers for associative retrieval: LSTM, LN-LSTM, fast-weight RNN and FW-LSTM.

All four read token ids through the same embedding, run one recurrent cell over the
sequence and classify the final hidden state with the same two-layer head, so that they
differ only in the cell (Ba et al. 2016, arXiv 1610.06258; Ba, Kiros, Hinton 2016, arXiv 1607.06450; Keller et al. 2018,
arXiv 1804.06511).
"""

from __future__ import annotations

import torch
from torch import nn

from eqlib.data.retrieval import VOCABULARY
from eqlib.nn.fastweights import FastWeightLSTMCell, FastWeightRNNCell, attention_scores
from eqlib.nn.lstm import LayerNormLSTMCell

CELLS = ("lstm", "ln_lstm", "fw_rnn", "fw_lstm")


class RetrievalNet(nn.Module):
    """Embedding -> recurrent cell over time -> MLP on the last hidden state -> 10 digit logits.

    Args:
        cell: ``"lstm"`` (the FW-LSTM cell without its memory: an LSTM whose candidate alone is
            layer-normalised), ``"ln_lstm"`` (Ba, Kiros, Hinton's layer-normalised LSTM, the paper's
            baseline), ``"fw_rnn"`` (Ba et al.) or ``"fw_lstm"``.
        decay, rate, inner_steps: the fast-weight lambda, eta and S (ignored by ``"lstm"`` and ``"ln_lstm"``).
    """

    def __init__(
        self,
        cell: str,
        hidden_size: int = 64,
        embed_size: int = 32,
        decay: float = 0.95,
        rate: float = 0.5,
        inner_steps: int = 1,
    ) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, got {cell!r}")
        if hidden_size <= 0 or embed_size <= 0:
            raise ValueError(f"sizes must be positive, got hidden {hidden_size}, embed {embed_size}")
        self.kind = cell
        self.embed = nn.Embedding(len(VOCABULARY), embed_size)
        if cell == "fw_rnn":
            self.cell: nn.Module = FastWeightRNNCell(embed_size, hidden_size, decay, rate, inner_steps)
        elif cell == "ln_lstm":
            self.cell = LayerNormLSTMCell(embed_size, hidden_size)
        else:
            self.cell = FastWeightLSTMCell(embed_size, hidden_size, decay, rate, inner_steps, memory=cell == "fw_lstm")
        self.head = nn.Sequential(nn.Linear(hidden_size, 100), nn.ReLU(), nn.Linear(100, 10))

    def run(self, tokens: torch.Tensor) -> list[dict[str, torch.Tensor]]:
        """All states along the sequence: tokens ``(B, L)`` int64 to ``L`` state dicts (``h``: ``(B, H)``)."""
        if tokens.dim() != 2 or tokens.dtype != torch.long:
            raise ValueError(f"tokens must be int64 of shape (B, L), got {tuple(tokens.shape)} {tokens.dtype}")
        if tokens.numel() and (tokens.min() < 0 or tokens.max() >= len(VOCABULARY)):
            raise ValueError(f"token ids must lie in 0..{len(VOCABULARY) - 1}")
        inputs = self.embed(tokens)
        state = self.cell.initial_state(tokens.shape[0], tokens.device)
        states = []
        for t in range(tokens.shape[1]):
            state = self.cell(inputs[:, t], state)
            states.append(state)
        return states

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Digit logits ``(B, 10)`` for tokens ``(B, L)``."""
        return self.head(self.run(tokens)[-1]["h"])

    def final_read_scores(self, tokens: torch.Tensor) -> torch.Tensor:
        """How the last step (the query key) first reads the memory: scores ``(B, L - 1)`` over earlier positions.

        Score ``tau`` (0-based) is ``eta lambda^(L-2-tau) (h_tau . q)``: the memory holds the ``L - 1`` states
        before the query key, the newest with weight ``eta``, so the first key has ``lambda^(2K+1)`` and its value
        ``lambda^(2K)``. ``q`` is the cell's first read vector
        (``g^0`` in the FW-LSTM, ``h^0`` in the fast-weight RNN); see ``attention_scores``.
        """
        if self.kind in ("lstm", "ln_lstm"):
            raise ValueError(f"the {self.kind} cell has no fast-weight memory to read")
        if tokens.dim() != 2 or tokens.shape[1] < 2:
            raise ValueError(f"need tokens (B, L) with L >= 2, got {tuple(tokens.shape)}")
        before = self.run(tokens[:, :-1])[-1]
        query = self.cell.first_query(self.embed(tokens[:, -1]), before)
        return attention_scores(before["past"], query, self.cell.decay, self.cell.rate)
