"""Self-supervised losses."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    """NT-Xent, the normalised temperature-scaled cross entropy of SimCLR (Chen et al. 2020, eq. 1).

    ``z1, z2``: ``(B, D)`` embeddings of two views; row i of each is a positive pair, the other
    ``2B - 2`` rows are negatives. With cosine similarities ``s`` and ``k(i)`` the partner of i:
        ``loss = mean_i -log( exp(s_{i,k(i)} / t) / sum_{j != i} exp(s_ij / t) )`` over all 2B rows.
    """
    if z1.dim() != 2 or z1.shape != z2.shape:
        raise ValueError(
            f"nt_xent expects two (B, D) tensors of the same shape, got {tuple(z1.shape)} and {tuple(z2.shape)}"
        )
    if z1.shape[0] < 2:
        raise ValueError("nt_xent needs a batch of at least 2 pairs (negatives come from the batch)")
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = z @ z.T / temperature
    logits.fill_diagonal_(float("-inf"))
    n = z1.shape[0]
    partner = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(logits, partner)


def binned_target(params: torch.Tensor, bins: int, kind: str = "vonmises", width: float | None = None) -> torch.Tensor:
    """A distribution over ``bins`` equal bins of [0, 1) centred on each normalised parameter, ``(B,)`` -> ``(B, bins)``.

    DUET's target for the transformation axis (Suau et al. 2023, arXiv 2306.16058): the density of
    a von Mises (cyclic parameters such as an angle or a hue; ``width`` = concentration kappa,
    default 3.0) or a Gaussian (``width`` = standard deviation on [0, 1], default 0.2), integrated
    over each bin and normalised to sum to 1. Cyclic bins are centred on ``g / bins`` (bin 0 holds
    the parameters near 0 and near 1, so the von Mises wraps around); Gaussian bins split [0, 1]
    into ``bins`` equal intervals.
    """
    if params.dim() != 1:
        raise ValueError(f"expected normalised parameters (B,), got shape {tuple(params.shape)}")
    if not isinstance(bins, int) or bins < 2:
        raise ValueError(f"bins must be an int >= 2, got {bins!r}")
    if kind not in ("vonmises", "gaussian"):
        raise ValueError(f"kind must be 'vonmises' or 'gaussian', got {kind!r}")
    width = width if width is not None else (3.0 if kind == "vonmises" else 0.2)
    if width <= 0:
        raise ValueError(f"width must be positive, got {width}")
    # integrate the density on a fine grid of points inside each bin (midpoint rule)
    fine = 64
    grid = (torch.arange(bins * fine, device=params.device, dtype=params.dtype) + 0.5) / (bins * fine)
    offset = grid[None, :] - params[:, None]  # (B, bins * fine)
    if kind == "vonmises":
        log_density = width * torch.cos(2 * torch.pi * (offset - 0.5 / bins))
    else:
        log_density = -0.5 * (offset / width) ** 2
    density = torch.exp(log_density - log_density.amax(dim=1, keepdim=True)).view(-1, bins, fine).sum(-1)
    return density / density.sum(dim=1, keepdim=True)


def jensen_shannon(p: torch.Tensor, q: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Jensen-Shannon divergence of two distributions along the last axis, averaged over the rest (nats).

    ``JS(p, q) = (KL(p || m) + KL(q || m)) / 2`` with ``m = (p + q) / 2``; symmetric, bounded by log 2.
    """
    if p.shape != q.shape:
        raise ValueError(f"p and q must share a shape, got {tuple(p.shape)} and {tuple(q.shape)}")
    m = 0.5 * (p + q)

    def kl(a: torch.Tensor) -> torch.Tensor:
        return (a * (torch.log(a + eps) - torch.log(m + eps))).sum(-1)

    return (0.5 * (kl(p) + kl(q))).mean()
