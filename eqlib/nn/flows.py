"""Invertible layers for normalizing flows, exact and self-normalizing.

Keller, Peters, Jaini, Hoogeboom, Forré, Welling, "Self Normalizing Flows", ICML 2021
(arXiv 2011.07248). A linear flow layer ``z = W h + b`` adds ``log|det W|`` to the
log-likelihood; its gradient ``d log|det W| / dW = W^{-T}`` costs O(D^3). A
self-normalizing layer also learns ``R ~ W^{-1}`` and uses ``R^T`` in its place (O(D^2)),
while a reconstruction loss ``||h - R W h||^2`` keeps R close to the inverse (paper, eq. 9-11).
In the paper's update the likelihood also trains R, through the mirrored gradient with
``W^T`` standing in for ``R^{-T}`` (``SelfNormLinearFunction``).

Every layer maps ``h -> (z, logdet)`` with ``logdet`` of shape ``(B,)`` and has ``inverse``.
``exact=True`` asks for the true log-determinant (evaluation); the default is what training
uses: the exact one for ``Exact*`` layers, a zero-valued log-det whose gradient is the
self-normalizing update for ``SelfNorm*`` layers. ``SelfNormConv2d`` keeps the simpler
detached update (log-det gradient ``flip(R)`` to W, R trained by reconstruction only).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _check_vectors(h: torch.Tensor, dim: int, name: str) -> None:
    if h.dim() != 2 or h.shape[1] != dim:
        raise ValueError(f"{name} expects inputs (B, {dim}), got shape {tuple(h.shape)}")


def _check_images(h: torch.Tensor, channels: int, name: str) -> None:
    if h.dim() != 4 or h.shape[1] != channels:
        raise ValueError(f"{name} expects inputs (B, {channels}, H, W), got shape {tuple(h.shape)}")


def _near_identity(dim: int, noise: float, generator: torch.Generator | None) -> torch.Tensor:
    """``I + noise * N(0, 1/D)``: flows that start near the identity train well (authors' issue #2)."""
    return torch.eye(dim) + noise * torch.randn(dim, dim, generator=generator) / dim**0.5


def gradient_only(value_grad_source: torch.Tensor) -> torch.Tensor:
    """A tensor whose value is 0 but whose gradient is that of ``value_grad_source``."""
    return value_grad_source - value_grad_source.detach()


class ExactLinear(nn.Module):
    """``z = W h + b`` with ``log|det W|`` from ``torch.linalg.slogdet``, differentiated by autograd (O(D^3))."""

    def __init__(self, dim: int, init_noise: float = 0.01, generator: torch.Generator | None = None) -> None:
        super().__init__()
        if not isinstance(dim, int) or dim <= 0:
            raise ValueError(f"dim must be a positive int, got {dim!r}")
        self.dim = dim
        self.weight = nn.Parameter(_near_identity(dim, init_noise, generator))
        self.bias = nn.Parameter(torch.zeros(dim))

    def log_abs_det(self) -> torch.Tensor:
        return torch.linalg.slogdet(self.weight).logabsdet

    def forward(self, h: torch.Tensor, exact: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, D) -> (B, D)`` and ``log|det W|`` repeated ``(B,)``."""
        _check_vectors(h, self.dim, type(self).__name__)
        return F.linear(h, self.weight, self.bias), self.log_abs_det().expand(h.shape[0])

    def inverse(self, z: torch.Tensor, exact: bool = True) -> torch.Tensor:
        _check_vectors(z, self.dim, type(self).__name__)
        return torch.linalg.solve(self.weight, (z - self.bias).T).T


UPDATES = ("mirrored", "detached")


def _row_major_copy(matrix: torch.Tensor) -> torch.Tensor:
    """A fresh row-major copy (``contiguous`` would return ``matrix`` itself when it is already row-major)."""
    return matrix.clone(memory_format=torch.contiguous_format)


class SelfNormLinearFunction(torch.autograd.Function):
    """``z = W h + b`` with a zero log-determinant whose backward is the self-normalizing update.

    Forward: ``h (B, D), W (D, D), b (D,), R (D, D) -> z (B, D), logdet (B,)`` with ``logdet = 0``.
    Backward, with ``g = dL/dz (B, D)`` and ``s = sum_b dL/dlogdet_b`` (``-1`` for a mean NLL):

    * ``mirrored`` (paper Sec. 4, as in the authors' ``SelfNormConvFunc``): the likelihood trains
      both matrices, each with half of its gradient, the inverse standing in for the other:
      ``dL/dW = (g^T h + s R^T) / 2`` (``R^T`` for ``d log|det W| / dW = W^-T``) and
      ``dL/dR = (-(g W)^T (W h) - s W^T) / 2`` (the same likelihood written through ``h = R (z - b)``,
      where ``log|det W| = -log|det R|`` and ``d/dR = -R^-T``, replaced by ``-W^T``);
    * ``detached``: ``dL/dW = g^T h + s R^T`` and nothing to ``R`` (R learns from reconstruction only).
    """

    @staticmethod
    def forward(ctx, h, weight, bias, inverse_weight, mirrored: bool):  # type: ignore[override]
        wh = F.linear(h, weight)
        ctx.save_for_backward(h, weight, inverse_weight, wh)
        ctx.mirrored = mirrored
        return wh + bias, h.new_zeros(h.shape[0])

    @staticmethod
    def backward(ctx, grad_z, grad_logdet):  # type: ignore[override]
        h, W, R, wh = ctx.saved_tensors
        s = grad_logdet.sum()
        half = 0.5 if ctx.mirrored else 1.0
        grad_h = grad_z @ W
        # The stand-ins R^T and W^T are copied to row-major memory once (a copy, never a view of R or W) and added
        # in place: an elementwise op mixing a transposed (D, D) view with a row-major one is several times slower.
        grad_W = torch.mm(grad_z.T * half, h).add_(_row_major_copy(R.T).mul_(s * half))
        if not ctx.mirrored or not ctx.needs_input_grad[3]:
            return grad_h, grad_W, grad_z.sum(0), None, None
        grad_R = torch.mm(grad_h.T * -half, wh).add_(_row_major_copy(W.T).mul_(s * -half))
        return grad_h, grad_W, grad_z.sum(0), grad_R, None


class SelfNormLinear(ExactLinear):
    """``z = W h + b`` with a learned inverse ``R``; training never computes det, inverse or LU.

    ``update="mirrored"`` (default, the paper's): the likelihood's gradient reaches W and R,
    halved, each with the other matrix standing in for its inverse (``SelfNormLinearFunction``);
    ``"detached"``: W gets the whole data gradient plus ``R^T`` and R learns only from the
    reconstruction loss ``||h - R W h||^2`` (an ablation). Both add that loss in training.
    """

    def __init__(
        self,
        dim: int,
        init_noise: float = 0.01,
        generator: torch.Generator | None = None,
        update: str = "mirrored",
    ) -> None:
        super().__init__(dim, init_noise, generator)
        if update not in UPDATES:
            raise ValueError(f"update must be one of {UPDATES}, got {update!r}")
        self.update = update
        # R starts at the exact inverse of the initial W (the only inverse ever computed), row-major like W
        # (LAPACK returns it column-major, which would make every gradient update of R a transposed copy)
        self.inverse_weight = nn.Parameter(torch.linalg.inv(self.weight.detach()).contiguous())

    def forward(self, h: torch.Tensor, exact: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, D) -> (B, D)`` and a log-det ``(B,)``: exact when ``exact``, else zero with the update's gradient."""
        _check_vectors(h, self.dim, type(self).__name__)
        if exact:
            return super().forward(h)
        mirrored = self.update == "mirrored"
        return SelfNormLinearFunction.apply(h, self.weight, self.bias, self.inverse_weight, mirrored)

    def inverse(self, z: torch.Tensor, exact: bool = False) -> torch.Tensor:
        """``h = R (z - b)``, or the exact solve of ``W h = z - b`` when ``exact``."""
        if exact:
            return super().inverse(z)
        _check_vectors(z, self.dim, type(self).__name__)
        return F.linear(z - self.bias, self.inverse_weight)

    def reconstruct(self, h: torch.Tensor, inverse_weight: torch.Tensor | None = None) -> torch.Tensor:
        """``R W h`` for inputs ``(B, D)``; ``inverse_weight`` stands in for R if given."""
        R = self.inverse_weight if inverse_weight is None else inverse_weight
        return F.linear(F.linear(h, self.weight), R)

    def reconstruction_loss(self, h: torch.Tensor) -> torch.Tensor:
        """``mean_b ||h_b - R W h_b||^2`` with the input detached (gradients reach W and R)."""
        h = h.detach()
        return (h - self.reconstruct(h)).pow(2).sum(dim=1).mean()

    def inverse_error(self) -> float:
        """``||R W - I||_F / sqrt(D)``: 0 when R is the exact inverse."""
        with torch.no_grad():
            eye = torch.eye(self.dim, dtype=self.weight.dtype, device=self.weight.device)
            return float((self.inverse_weight @ self.weight - eye).norm() / self.dim**0.5)


def flip_kernel(kernel: torch.Tensor) -> torch.Tensor:
    """The kernel of the transposed convolution: ``(out, in, k, k) -> (in, out, k, k)`` flipped in space."""
    return torch.flip(kernel, dims=(-2, -1)).transpose(0, 1)


class ExactConv2d(nn.Module):
    """Channel-preserving ``k x k`` convolution (zero padding) as a flow layer.

    The log-determinant is that of the ``D x D`` matrix (``D = C H W``) the convolution
    applies to a flattened image, built explicitly and passed to ``slogdet``: O(D^3).
    """

    def __init__(
        self, channels: int, kernel_size: int = 3, init_noise: float = 0.01, generator: torch.Generator | None = None
    ) -> None:
        super().__init__()
        if not isinstance(channels, int) or channels <= 0:
            raise ValueError(f"channels must be a positive int, got {channels!r}")
        if not isinstance(kernel_size, int) or kernel_size <= 0 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be a positive odd int, got {kernel_size!r}")
        self.channels, self.padding = channels, kernel_size // 2
        kernel = torch.zeros(channels, channels, kernel_size, kernel_size)
        nn.init.dirac_(kernel)
        kernel += init_noise * torch.randn(kernel.shape, generator=generator) / (channels * kernel_size**2) ** 0.5
        self.weight = nn.Parameter(kernel)
        self.bias = nn.Parameter(torch.zeros(channels))

    def matrix(self, height: int, width: int) -> torch.Tensor:
        """The convolution as a dense ``(D, D)`` matrix acting on flattened ``(C, H, W)`` images."""
        dim = self.channels * height * width
        basis = torch.eye(dim, dtype=self.weight.dtype, device=self.weight.device).view(
            dim, self.channels, height, width
        )
        return F.conv2d(basis, self.weight, padding=self.padding).view(dim, dim).T

    def log_abs_det(self, height: int, width: int) -> torch.Tensor:
        return torch.linalg.slogdet(self.matrix(height, width)).logabsdet

    def forward(self, h: torch.Tensor, exact: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, C, H, W) -> (B, C, H, W)`` and ``log|det|`` repeated ``(B,)``."""
        _check_images(h, self.channels, type(self).__name__)
        z = F.conv2d(h, self.weight, self.bias, padding=self.padding)
        return z, self.log_abs_det(*h.shape[-2:]).expand(h.shape[0])

    def inverse(self, z: torch.Tensor, exact: bool = True) -> torch.Tensor:
        _check_images(z, self.channels, type(self).__name__)
        flat = (z - self.bias.view(1, -1, 1, 1)).flatten(1)
        return torch.linalg.solve(self.matrix(*z.shape[-2:]), flat.T).T.view_as(z)


class SelfNormConv2d(ExactConv2d):
    """Convolution with a learned inverse convolution ``R`` (same kernel size).

    The log-det gradient ``d log|det T_W| / dW`` is approximated by ``flip(R) * m``, where
    ``T_W`` is the convolution's matrix and ``m[o, i, u, v]`` counts the positions at which
    kernel tap ``(u, v)`` connects two pixels inside the image (zero padding drops the rest).
    """

    def __init__(
        self, channels: int, kernel_size: int = 3, init_noise: float = 0.01, generator: torch.Generator | None = None
    ) -> None:
        super().__init__(channels, kernel_size, init_noise, generator)
        # W is near the identity kernel, whose inverse is itself: start R there
        self.inverse_weight = nn.Parameter(flip_kernel(self.weight.detach()).clone())

    def tap_counts(self, height: int, width: int) -> torch.Tensor:
        """``m``: for each kernel tap, the number of output pixels whose input pixel lies inside."""
        ones_in = self.weight.new_ones(1, self.channels, height, width)
        ones_out = self.weight.new_ones(1, self.channels, height, width)
        return torch.nn.grad.conv2d_weight(ones_in, self.weight.shape, ones_out, padding=self.padding)

    def surrogate_log_abs_det(self, height: int, width: int) -> torch.Tensor:
        grad = flip_kernel(self.inverse_weight.detach()) * self.tap_counts(height, width)
        return gradient_only((self.weight * grad).sum())

    def forward(self, h: torch.Tensor, exact: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        _check_images(h, self.channels, type(self).__name__)
        z = F.conv2d(h, self.weight, self.bias, padding=self.padding)
        size = h.shape[-2:]
        logdet = self.log_abs_det(*size) if exact else self.surrogate_log_abs_det(*size)
        return z, logdet.expand(h.shape[0])

    def inverse(self, z: torch.Tensor, exact: bool = False) -> torch.Tensor:
        if exact:
            return super().inverse(z)
        _check_images(z, self.channels, type(self).__name__)
        return F.conv2d(z - self.bias.view(1, -1, 1, 1), self.inverse_weight, padding=self.padding)

    def reconstruction_loss(self, h: torch.Tensor) -> torch.Tensor:
        """``mean_b ||h_b - R * (W * h_b)||^2`` with the input detached."""
        h = h.detach()
        rec = F.conv2d(F.conv2d(h, self.weight, padding=self.padding), self.inverse_weight, padding=self.padding)
        return (h - rec).pow(2).flatten(1).sum(dim=1).mean()


class SmoothLeakyReLU(nn.Module):
    """Elementwise bijection ``f(x) = a x + (1 - a) softplus(x)``, slope between a and 1.

    ``log|f'(x)| = log(a + (1 - a) sigmoid(x))``, summed over dimensions. The inverse has no
    closed form; Newton's method converges fast because f is smooth, monotone and convex.
    """

    def __init__(self, alpha: float = 0.3) -> None:
        super().__init__()
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
        self.alpha = alpha

    def forward(self, h: torch.Tensor, exact: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        a = self.alpha
        z = a * h + (1 - a) * F.softplus(h)
        slope = a + (1 - a) * torch.sigmoid(h)
        return z, slope.log().flatten(1).sum(dim=1)

    def inverse(self, z: torch.Tensor, exact: bool = True, iterations: int = 50) -> torch.Tensor:
        a = self.alpha
        h = z.clone()
        for _ in range(iterations):
            value = a * h + (1 - a) * F.softplus(h) - z
            h = h - value / (a + (1 - a) * torch.sigmoid(h))
        return h


class MonotoneTanhMixture(nn.Module):
    """Learnable elementwise bijection ``f(x) = a x + sum_k w_k tanh(s_k (x - c_k))`` per dimension.

    With ``a, w_k, s_k > 0`` (softplus / exp parametrisation) the slope
    ``f'(x) = a + sum_k w_k s_k sech^2(s_k (x - c_k)) >= a`` is positive, so f is invertible;
    each tanh is a soft step, so f can stretch or squeeze several intervals of the line and a
    stack of these with linear layers can model multimodal densities. Inverted by bisection.
    """

    def __init__(self, dim: int, components: int = 8, span: float = 3.0) -> None:
        super().__init__()
        if dim <= 0 or components <= 0:
            raise ValueError(f"dim and components must be positive, got {dim}, {components}")
        self.dim = dim
        self.raw_slope = nn.Parameter(torch.zeros(dim))
        self.raw_weight = nn.Parameter(torch.full((dim, components), -3.0))
        self.log_scale = nn.Parameter(torch.zeros(dim, components))
        self.centre = nn.Parameter(torch.linspace(-span, span, components).repeat(dim, 1))

    def _parts(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return F.softplus(self.raw_slope) + 1e-3, F.softplus(self.raw_weight), self.log_scale.exp()

    def _value(self, h: torch.Tensor) -> torch.Tensor:
        a, w, s = self._parts()
        return a * h + (w * torch.tanh(s * (h.unsqueeze(-1) - self.centre))).sum(-1)

    def forward(self, h: torch.Tensor, exact: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, dim) -> (B, dim)`` and ``sum_d log f'(h_d)`` ``(B,)``."""
        _check_vectors(h, self.dim, type(self).__name__)
        a, w, s = self._parts()
        u = s * (h.unsqueeze(-1) - self.centre)
        slope = a + (w * s * (1 - torch.tanh(u).pow(2))).sum(-1)
        return self._value(h), slope.log().sum(dim=1)

    @torch.no_grad()
    def inverse(self, z: torch.Tensor, exact: bool = True, iterations: int = 60) -> torch.Tensor:
        _check_vectors(z, self.dim, type(self).__name__)
        a, w, _ = self._parts()
        reach = w.sum(-1)  # |f(x) - a x| <= sum_k w_k
        low, high = (z - reach) / a, (z + reach) / a
        for _ in range(iterations):
            mid = (low + high) / 2
            above = self._value(mid) > z
            high = torch.where(above, mid, high)
            low = torch.where(above, low, mid)
        return (low + high) / 2
