"""Normalizing flows assembled from ``eqlib.nn.flows`` layers.

Change of variables (paper eq. 1): for an invertible ``z = g(x)`` and base density ``p_z``,
    ``log p(x) = log p_z(g(x)) + sum_l log|det J_l|``.
A ``Flow`` stacks layers that each return ``(z, logdet)``; its base density is a standard
normal. ``log_prob`` always uses exact log-determinants; ``training_loss`` uses what each
layer trains with (exact, or the self-normalizing surrogate plus reconstruction losses).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

from eqlib.nn.flows import (
    ExactConv2d,
    ExactLinear,
    MonotoneTanhMixture,
    SelfNormConv2d,
    SelfNormLinear,
    SmoothLeakyReLU,
)

LOG_2PI = math.log(2 * math.pi)


def standard_normal_log_prob(z: torch.Tensor) -> torch.Tensor:
    """``log N(z; 0, I)`` summed over all but the batch dimension: ``(B, ...) -> (B,)``."""
    return -0.5 * (z.pow(2) + LOG_2PI).flatten(1).sum(dim=1)


class Flow(nn.Module):
    """A stack of flow layers over inputs of shape ``event_shape``, with a standard normal base."""

    def __init__(self, layers: Sequence[nn.Module], event_shape: Sequence[int]) -> None:
        super().__init__()
        if not layers:
            raise ValueError("a flow needs at least one layer")
        self.layers = nn.ModuleList(layers)
        self.event_shape = tuple(event_shape)

    @property
    def self_normalizing(self) -> list[nn.Module]:
        return [layer for layer in self.layers if hasattr(layer, "reconstruction_loss")]

    def _check(self, x: torch.Tensor) -> None:
        if tuple(x.shape[1:]) != self.event_shape:
            raise ValueError(f"Flow expects inputs (B, {', '.join(map(str, self.event_shape))}), got {tuple(x.shape)}")

    def transform(self, x: torch.Tensor, exact: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        """``x (B, *event) -> z (B, *event)`` and the summed log-determinants ``(B,)``."""
        self._check(x)
        logdet = x.new_zeros(x.shape[0])
        for layer in self.layers:
            x, ld = layer(x, exact=exact)
            logdet = logdet + ld
        return x, logdet

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Exact ``log p(x)`` in nats, ``(B,)``."""
        z, logdet = self.transform(x, exact=True)
        return standard_normal_log_prob(z) + logdet

    def training_loss(self, x: torch.Tensor, recon_weight: float = 1.0) -> tuple[torch.Tensor, dict[str, float]]:
        """Mean negative log-likelihood as trained, plus ``recon_weight`` times the layers' reconstruction losses.

        For self-normalizing layers the log-det terms are zero-valued surrogates, so the
        loss *value* is not an NLL; evaluate with ``log_prob``. Returns the loss and
        ``{"recon": ...}``, the summed reconstruction loss.
        """
        self._check(x)
        h, logdet, recon = x, x.new_zeros(x.shape[0]), x.new_zeros(())
        for layer in self.layers:
            if hasattr(layer, "reconstruction_loss"):
                recon = recon + layer.reconstruction_loss(h)
            h, ld = layer(h)
            logdet = logdet + ld
        nll = -(standard_normal_log_prob(h) + logdet).mean()
        return nll + recon_weight * recon, {"recon": float(recon.detach())}

    def inverse(self, z: torch.Tensor, exact: bool = False) -> torch.Tensor:
        """``z -> x`` through the learned inverses, or exact inverses when ``exact``."""
        self._check(z)
        for layer in reversed(self.layers):
            z = layer.inverse(z, exact=exact)
        return z

    @torch.no_grad()
    def sample(
        self, n: int, temperature: float = 1.0, exact: bool = False, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """``n`` samples ``(n, *event)``: base noise scaled by ``temperature``, mapped back."""
        if n <= 0 or temperature < 0:
            raise ValueError(f"need n > 0 and temperature >= 0, got n={n}, temperature={temperature}")
        device = next(self.parameters()).device
        z = temperature * torch.randn(n, *self.event_shape, generator=generator).to(device)
        return self.inverse(z, exact=exact)

    @torch.no_grad()
    def reconstruction_errors(
        self, x: torch.Tensor, inverse_weights: Sequence[torch.Tensor] | None = None
    ) -> list[float]:
        """Relative error ``||h - R W h|| / ||h||`` of each ``SelfNormLinear`` layer on the data ``x``.

        ``h`` is each layer's input as ``x`` flows through. ``inverse_weights`` replaces the
        layers' R (e.g. by their initial values) to ask how well those would invert.
        """
        self._check(x)
        layers = [layer for layer in self.layers if isinstance(layer, SelfNormLinear)]
        if inverse_weights is not None and len(inverse_weights) != len(layers):
            raise ValueError(f"got {len(inverse_weights)} inverse weights for {len(layers)} self-normalizing layers")
        errors, h = [], x
        for layer in self.layers:
            if isinstance(layer, SelfNormLinear):
                R = None if inverse_weights is None else inverse_weights[len(errors)]
                errors.append(float((h - layer.reconstruct(h, R)).norm() / h.norm().clamp_min(1e-12)))
            h, _ = layer(h, exact=False)
        return errors

    def inverse_error(self) -> float:
        """Largest ``||R W - I||_F / sqrt(D)`` over self-normalizing linear layers (0 if none)."""
        errors = [layer.inverse_error() for layer in self.self_normalizing if hasattr(layer, "inverse_error")]
        return max(errors, default=0.0)


def _interleave(
    make_layer: Callable[[], nn.Module], make_activation: Callable[[], nn.Module], depth: int
) -> list[nn.Module]:
    """``depth`` invertible layers with an elementwise bijection between each two."""
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    layers: list[nn.Module] = []
    for i in range(depth):
        layers.append(make_layer())
        if i + 1 < depth:
            layers.append(make_activation())
    return layers


def mlp_flow(
    dim: int,
    depth: int,
    self_normalizing: bool,
    activation: str = "smooth_leaky_relu",
    alpha: float = 0.3,
    seed: int = 0,
    init_noise: float = 0.01,
    update: str = "mirrored",
) -> Flow:
    """``depth`` linear layers with elementwise bijections between them, on vectors ``(B, dim)``.

    ``activation``: ``"smooth_leaky_relu"`` (fixed, as in the paper's MNIST flows) or
    ``"tanh_mixture"`` (learnable, for multimodal low-dimensional densities).
    ``update``: the self-normalizing layers' update (``SelfNormLinear``); ignored for exact flows.
    """
    activations = {
        "smooth_leaky_relu": lambda: SmoothLeakyReLU(alpha),
        "tanh_mixture": lambda: MonotoneTanhMixture(dim),
    }
    if activation not in activations:
        raise ValueError(f"activation must be one of {sorted(activations)}, got {activation!r}")
    generator = torch.Generator().manual_seed(seed)
    linear, options = (SelfNormLinear, {"update": update}) if self_normalizing else (ExactLinear, {})
    return Flow(
        _interleave(
            lambda: linear(dim, init_noise=init_noise, generator=generator, **options), activations[activation], depth
        ),
        (dim,),
    )


def conv_flow(
    channels: int,
    size: int,
    depth: int,
    self_normalizing: bool,
    kernel_size: int = 3,
    alpha: float = 0.3,
    seed: int = 0,
) -> Flow:
    """``depth`` channel-preserving convolutions with smooth leaky ReLUs, on images ``(B, C, size, size)``."""
    generator = torch.Generator().manual_seed(seed)
    conv = SelfNormConv2d if self_normalizing else ExactConv2d
    layers = _interleave(
        lambda: conv(channels, kernel_size, generator=generator), lambda: SmoothLeakyReLU(alpha), depth
    )
    return Flow(layers, (channels, size, size))


class LogitDequantization(nn.Module):
    """From 8-bit pixels to the real line, with the log-det bookkeeping that keeps NLLs in nats of discrete data.

    ``x in {0..255}`` -> ``y = (x + u) / 256``, ``u ~ U[0, 1)`` -> ``s = a + (1 - 2a) y`` -> ``logit(s)``.
    ``forward`` returns the logits and ``log|dlogit/dx|`` ``(B,)``, so that
    ``-log p(x) = -(log p(logit) + logdet)`` is the dequantized NLL of the 8-bit image (Theis et al. 2016).
    """

    def __init__(self, alpha: float = 1e-6) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        if x.dtype == torch.uint8:
            x = x.float()
        if x.min() < 0 or x.max() > 255:
            raise ValueError("LogitDequantization expects pixel values in [0, 255]")
        noise = torch.rand(x.shape, generator=generator).to(x.device)
        s = self.alpha + (1 - 2 * self.alpha) * (x + noise) / 256.0
        y = torch.log(s) - torch.log1p(-s)
        logdet = (math.log(1 - 2 * self.alpha) - math.log(256.0) - torch.log(s) - torch.log1p(-s)).flatten(1).sum(1)
        return y, logdet

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        """Logits back to pixel intensities in [0, 1]."""
        return ((torch.sigmoid(y) - self.alpha) / (1 - 2 * self.alpha)).clamp(0, 1)
