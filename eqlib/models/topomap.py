"""A VAE whose latent units sit on a 2-D torus: topographic maps of category selectivity.

Keller, Gao, Welling 2021 (arXiv 2110.13911) place the TVAE's units on a torus and pool
``U^2`` over a square neighbourhood (no time axis, no roll):

    T = (Z + mu) / sqrt(W * U^2 + eps),    W = all ones over a width x width square, circular.

Units that share a neighbourhood share a variance, so nearby units respond to similar
images and category selectivity (Cohen's d per unit) forms clusters on the map. The paper
reads frozen AlexNet features; here the default encoder is a small convolutional network on
pixels with a Bernoulli decoder, and a frozen feature extractor can be plugged in instead
(``features``), in which case the model reconstructs the features with a unit-variance
Gaussian.

Tensors: images ``(B, channels, H, W)``; maps ``(B, grid, grid)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from eqlib.models.tvae import LOG_VAR_RANGE, gaussian_kl, reparameterise
from eqlib.nn.topographic import topographic_variable, torus_kernel


def _conv_encoder(channels: int, size: int, hidden: int) -> nn.Sequential:
    if size % 4:
        raise ValueError(f"image size must be a multiple of 4, got {size}")
    return nn.Sequential(
        nn.Conv2d(channels, 32, 4, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(32, 64, 4, stride=2, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(64 * (size // 4) ** 2, hidden),
        nn.ReLU(),
    )


def _conv_decoder(latent: int, channels: int, size: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(latent, hidden),
        nn.ReLU(),
        nn.Linear(hidden, 64 * (size // 4) ** 2),
        nn.ReLU(),
        nn.Unflatten(1, (64, size // 4, size // 4)),
        nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1),
        nn.ReLU(),
        nn.ConvTranspose2d(32, channels, 4, stride=2, padding=1),
    )


class TopographicMapVAE(nn.Module):
    """A 2-D topographic VAE (``topographic=True``) or the same VAE without topography (``T = Z``).

    Args:
        grid: the torus has ``grid x grid`` latent units.
        width: side of the square neighbourhood (odd).
        mu_init: initial value of the learnable shift ``mu`` (the paper starts at 40).
        image_shape: ``(channels, H, W)`` of the images, H = W a multiple of 4.
        features: optional frozen feature extractor, images ``(B, ...)`` -> ``(B, feature_size)``;
            the model then encodes and reconstructs those features.
    """

    def __init__(
        self,
        grid: int = 16,
        width: int = 5,
        topographic: bool = True,
        mu_init: float = 20.0,
        hidden: int = 256,
        image_shape: tuple[int, int, int] = (1, 32, 32),
        features: Callable[[torch.Tensor], torch.Tensor] | None = None,
        feature_size: int | None = None,
    ) -> None:
        super().__init__()
        if (features is None) != (feature_size is None):
            raise ValueError("pass features and feature_size together")
        channels, size, width_px = image_shape
        if size != width_px:
            raise ValueError(f"images must be square, got {image_shape}")
        self.grid, self.topographic, self.image_shape = grid, topographic, tuple(image_shape)
        self.features = features
        latent = grid * grid
        if features is None:
            self.encoder = _conv_encoder(channels, size, hidden)
            self.decoder = _conv_decoder(latent, channels, size, hidden)
        else:
            self.encoder = nn.Sequential(nn.Linear(feature_size, hidden), nn.ReLU())
            self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, feature_size))
        self.z_head = nn.Linear(hidden, 2 * latent)
        if topographic:
            self.u_head = nn.Linear(hidden, 2 * latent)
            self.mu = nn.Parameter(torch.tensor(float(mu_init)))
            self.register_buffer("kernel", torus_kernel(grid, width))

    def _inputs(self, x: torch.Tensor) -> torch.Tensor:
        """What the model encodes and reconstructs: the images, or their frozen features."""
        if self.features is None:
            if x.dim() != 4 or tuple(x.shape[1:]) != self.image_shape:
                raise ValueError(f"expected images (B, {', '.join(map(str, self.image_shape))}), got {tuple(x.shape)}")
            return x
        with torch.no_grad():
            return self.features(x).flatten(1)

    def latents(self, x: torch.Tensor, sample: bool = True) -> dict[str, torch.Tensor]:
        """Posterior parameters and the sampled (or mean) Z, U and T, each ``(B, grid, grid)``."""
        h = self.encoder(self._inputs(x))
        out: dict[str, torch.Tensor] = {}
        heads = {"z": self.z_head} | ({"u": self.u_head} if self.topographic else {})
        for name, head in heads.items():
            mean, log_var = head(h).view(-1, 2, self.grid, self.grid).unbind(1)
            out[f"{name}_mean"], out[f"{name}_log_var"] = mean, log_var.clamp(*LOG_VAR_RANGE)
            out[name] = reparameterise(mean, out[f"{name}_log_var"], sample)
        if self.topographic:
            # a torus is the (S, D) plane of topographic_variable with one capsule: (B, grid, 1, grid)
            z, u = out["z"][:, :, None], out["u"][:, :, None]
            out["t"] = topographic_variable(z, u, self.kernel, self.mu)[:, :, 0]
        else:
            out["t"] = out["z"]
        return out

    def reconstruction_nll(self, target: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """``-log p(target | t)`` per example ``(B,)``: Bernoulli on pixels, unit Gaussian on features."""
        output = self.decoder(t.flatten(1)).view_as(target)
        if self.features is None:
            nll = F.binary_cross_entropy_with_logits(output, target, reduction="none")
        else:
            nll = 0.5 * (output - target) ** 2 + 0.5 * math.log(2 * math.pi)
        return nll.flatten(1).sum(1)

    def loss(self, x: torch.Tensor, kl_weight: float = 1.0) -> tuple[torch.Tensor, dict[str, float]]:
        """Negative ELBO per example (``kl_weight`` < 1 for a warm-up; metrics unweighted)."""
        target = self._inputs(x)
        out = self.latents(x)
        nll = self.reconstruction_nll(target, out["t"])
        kl = gaussian_kl(out["z_mean"], out["z_log_var"]).flatten(1).sum(1)
        if self.topographic:
            kl = kl + gaussian_kl(out["u_mean"], out["u_log_var"]).flatten(1).sum(1)
        return (nll + kl_weight * kl).mean(), {"nll": nll.mean().item(), "kl": kl.mean().item()}

    def decode(self, t: torch.Tensor) -> torch.Tensor:
        """Images in [0, 1] (or features) for maps ``(B, grid, grid)``."""
        output = self.decoder(t.flatten(1))
        if self.features is None:
            return torch.sigmoid(output).view(-1, *self.image_shape)
        return output
