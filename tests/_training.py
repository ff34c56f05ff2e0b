"""A shared check for the generative models' tests: a few optimiser steps lower the loss."""

from __future__ import annotations

from collections.abc import Callable

import torch


def loss_before_and_after(
    model: torch.nn.Module, loss: Callable[[], torch.Tensor], steps: int, lr: float = 3e-3
) -> tuple[torch.Tensor, torch.Tensor]:
    """``loss()`` before and after ``steps`` Adam steps on ``model``, each evaluated with the same noise seed."""
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    torch.manual_seed(1)
    first = loss().detach()
    for _ in range(steps):
        optimiser.zero_grad()
        loss().backward()
        optimiser.step()
    torch.manual_seed(1)
    return first, loss().detach()
