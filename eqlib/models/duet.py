"""SimCLR, ESSL and DUET on one small CNN: invariant, equivariant and structured representations.

The three methods share the backbone, the projection head, the contrastive loss and the
training budget; they differ in what they ask of the representation.

- SimCLR (Chen et al. 2020): two views under random rotation and hue, NT-Xent on projections.
  The representation is pushed to be **invariant** to both.
- ESSL (Dangovski et al. 2022, arXiv 2111.00899): the views vary in hue only, and a head
  predicts the rotation applied to an extra view, weighted by lambda = 0.4. As DUET's authors run
  it for rotation (``essl_target="continuous"``, the default): an angle drawn uniformly in
  [-90, 90] degrees, regressed as ``degrees / 180`` with the mean squared error; as ESSL's own
  paper runs it (``"quarter"``): which of four quarter turns, by cross-entropy. Both heads are
  the authors' predictor (two hidden layers with layer norm). The representation is
  **equivariant** to rotation, but with no designated place for it.
- DUET (Suau et al. 2023, arXiv 2306.16058): the ``F = K * G * C`` features are read as ``K``
  matrices of ``G`` bins (transformation axis) by ``C`` channels (content), one per
  structured transformation (``groups``: rotation alone by default, as in the authors' code,
  which structures one group; rotation and hue together as an extension). Summing over ``G``
  gives the content, which goes into NT-Xent; averaging over ``C`` and a softmax over ``G`` give a
  distribution over the bins, which is matched to a binned von Mises centred on the applied
  (normalised) angle or hue by the Jensen-Shannon divergence, weighted by lambda = 10 (the
  default of the authors' script, as are G = 8, kappa = 3 and temperature 0.1).

Every method's two views differ in hue (an ordinary augmentation); SimCLR's and DUET's also in
angle. Images are coloured digits ``(B, 3, H, W)``; transformation parameters are normalised to
[0, 1): ``angle / 360`` and ``hue / 360``, in that order (``TRANSFORMS``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from eqlib.data.sequences import affine, colourise
from eqlib.losses import binned_target, jensen_shannon, nt_xent

METHODS = ("simclr", "essl", "duet")
ESSL_TARGETS = ("continuous", "quarter")  # ESSL's rotation target: an angle in [-90, 90] deg (MSE), or 4 turns (CE)
DEFAULT_WEIGHTS = {"simclr": 0.0, "essl": 0.4, "duet": 10.0}  # lambda of each method's extra term
TRANSFORMS = ("rotation", "hue")


def transform(gray: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
    """Grey digits ``(B, 1, H, W)`` painted in hue ``params[:, 1]`` and rotated by ``params[:, 0]`` -> ``(B, 3, H, W)``.

    ``params`` ``(B, 2)`` are the normalised (angle, hue) in [0, 1).
    """
    if gray.dim() != 4 or gray.shape[1] != 1 or params.shape != (gray.shape[0], 2):
        raise ValueError(
            f"expected grey digits (B, 1, H, W) and params (B, 2), got {tuple(gray.shape)} and {tuple(params.shape)}"
        )
    degrees = 360.0 * params
    return affine(colourise(gray, degrees[:, 1]), degrees[:, 0], torch.ones_like(degrees[:, 0]))


class Backbone(nn.Sequential):
    """Three conv blocks, average pooling to a ``pool x pool`` grid and a linear map: ``(B, 3, H, W)`` -> ``(B, features)``.

    The coarse grid (rather than global pooling) keeps where the strokes lie, which a linear
    readout of the rotation angle needs: with ``pool=1`` DUET's bins never learn the angle.
    """

    def __init__(self, features: int = 512, pool: int = 3) -> None:
        def block(c_in: int, c_out: int) -> list[nn.Module]:
            return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU()]

        super().__init__(
            *block(3, 32),
            nn.MaxPool2d(2),
            *block(32, 64),
            nn.MaxPool2d(2),
            *block(64, 128),
            nn.AdaptiveAvgPool2d(pool),
            nn.Flatten(),
            nn.Linear(128 * pool * pool, features),
        )


def projection_head(features: int, hidden: int = 256, out: int = 64) -> nn.Sequential:
    return nn.Sequential(nn.Linear(features, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, out))


def essl_predictor(features: int, out: int, hidden: int = 256) -> nn.Sequential:
    """ESSL's rotation predictor ``(B, features)`` -> ``(B, out)``: two hidden layers with layer norm, as in the
    authors' code (hidden 2048 there, 256 here to match this suite's projection head)."""
    return nn.Sequential(
        nn.Linear(features, hidden),
        nn.LayerNorm(hidden),
        nn.ReLU(),
        nn.Linear(hidden, hidden),
        nn.LayerNorm(hidden),
        nn.ReLU(),
        nn.Linear(hidden, out),
    )


class SelfSupervised(nn.Module):
    """One of SimCLR, ESSL or DUET (``method``) on the shared backbone.

    Args:
        features: backbone output size ``F``; for DUET ``F = K * bins * C``: 512 = 1 x 8 x 64 for
            rotation alone, 2 x 8 x 32 for rotation and hue.
        bins: ``G``, the resolution of DUET's transformation axis.
        weight: lambda of the ESSL or DUET term (default 0.4 and 10).
        kappa: concentration of DUET's von Mises targets.
        groups: the transformations DUET structures (one matrix each), and the ones
            ``controlled_code`` sets for every method; a subset of ``TRANSFORMS``.
        essl_target: ESSL's rotation target, one of ``ESSL_TARGETS``: ``"continuous"`` (an angle in
            [-90, 90] degrees, MSE on ``degrees / 180``, as DUET's authors run ESSL for rotation) or
            ``"quarter"`` (which of four quarter turns, cross-entropy, as ESSL's paper does).
    """

    def __init__(
        self,
        method: str,
        features: int = 512,
        bins: int = 8,
        weight: float | None = None,
        kappa: float = 3.0,
        temperature: float = 0.1,
        groups: tuple[str, ...] = ("rotation",),
        essl_target: str = "continuous",
    ) -> None:
        super().__init__()
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        if essl_target not in ESSL_TARGETS:
            raise ValueError(f"essl_target must be one of {ESSL_TARGETS}, got {essl_target!r}")
        if not groups or len(set(groups)) != len(groups) or not set(groups) <= set(TRANSFORMS):
            raise ValueError(f"groups must be distinct names from {TRANSFORMS}, got {groups!r}")
        k = len(groups)
        if method == "duet" and features % (k * bins):
            raise ValueError(f"DUET needs features divisible by K * bins = {k * bins}, got {features}")
        self.method, self.bins, self.kappa, self.temperature = method, bins, kappa, temperature
        self.essl_target = essl_target
        self.groups = tuple(groups)
        self.group_index = [TRANSFORMS.index(g) for g in groups]  # their columns in the (angle, hue) parameters
        self.weight = weight if weight is not None else DEFAULT_WEIGHTS[method]
        self.backbone = Backbone(features)
        self.channels = features // (k * bins)
        content = k * self.channels if method == "duet" else features
        self.head = projection_head(content)
        if method == "essl":
            self.rotation_head = essl_predictor(features, 1 if essl_target == "continuous" else 4)

    def representation(self, x: torch.Tensor) -> torch.Tensor:
        """The frozen-evaluation representation ``(B, F)``."""
        return self.backbone(x)

    def matrix(self, x: torch.Tensor) -> torch.Tensor:
        """DUET's view of the representation: ``(B, K, G, C)``, one ``G x C`` matrix per transformation."""
        return self.representation(x).view(x.shape[0], len(self.groups), self.bins, self.channels)

    def content(self, x: torch.Tensor) -> torch.Tensor:
        """DUET's content: the matrices summed over the transformation axis, ``(B, K * C)``."""
        return content_of(self.matrix(x))

    def structure(self, x: torch.Tensor) -> torch.Tensor:
        """DUET's distribution over the ``G`` bins of each transformation, ``(B, K, G)``."""
        return structure_of(self.matrix(x))

    def targets(self, params: torch.Tensor) -> torch.Tensor:
        """Binned von Mises targets ``(B, K, G)`` of the model's groups, from (angle, hue) parameters ``(B, 2)``."""
        return duet_targets(self.grouped(params), self.bins, self.kappa)

    def grouped(self, params: torch.Tensor) -> torch.Tensor:
        """The columns of (angle, hue) parameters ``(B, 2)`` that belong to the model's groups, ``(B, K)``."""
        if params.dim() != 2 or params.shape[1] != len(TRANSFORMS):
            raise ValueError(f"expected (angle, hue) parameters (B, 2), got shape {tuple(params.shape)}")
        return params[:, self.group_index]

    def loss(self, gray: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        """The method's loss on a batch of grey digits ``(B, 1, H, W)``; views are drawn here."""
        n = gray.shape[0]
        params = torch.rand(2, n, 2, device=gray.device)
        if self.method == "essl":
            params[:, :, 0] = 0.0  # ESSL keeps rotation out of the contrastive views ...
        x1, x2 = transform(gray, params[0]), transform(gray, params[1])
        metrics: dict[str, float] = {}
        if self.method == "duet":
            contrastive, extra = duet_objective(
                self.matrix(x1),
                self.matrix(x2),
                self.grouped(params[0]),
                self.grouped(params[1]),
                self.head,
                self.kappa,
                self.temperature,
            )
            metrics["js"] = extra.item()
        else:
            r1, r2 = self.representation(x1), self.representation(x2)
            contrastive = nt_xent(self.head(r1), self.head(r2), self.temperature)
            extra = torch.zeros((), device=gray.device)
            if self.method == "essl":  # ... and predicts the rotation of an extra view
                extra = self.rotation_loss(gray, params[0, :, 1])
                metrics["rotation_mse" if self.essl_target == "continuous" else "rotation_ce"] = extra.item()
        metrics["nt_xent"] = contrastive.item()
        return contrastive + self.weight * extra, metrics

    def rotation_loss(self, gray: torch.Tensor, hue: torch.Tensor) -> torch.Tensor:
        """ESSL's term: the grey digits ``(B, 1, H, W)`` in hue ``hue`` ``(B,)`` turned at random, the turn predicted.

        Continuous: angle ``a`` uniform in [-90, 90) degrees, ``MSE(head(f(x)), a / 180)``; quarter:
        ``t`` uniform in {0, 1, 2, 3}, ``CE(head(f(x)), t)`` for a turn of ``90 t`` degrees.
        """
        n = gray.shape[0]
        if self.essl_target == "continuous":
            half_turns = torch.rand(n, device=gray.device) - 0.5  # a / 180 in [-0.5, 0.5)
            rotated = transform(gray, torch.stack([half_turns / 2.0, hue], 1))  # angle / 360
            return F.mse_loss(self.rotation_head(self.representation(rotated))[:, 0], half_turns)
        turns = torch.randint(0, 4, (n,), device=gray.device)
        rotated = transform(gray, torch.stack([turns / 4.0, hue], 1))
        return F.cross_entropy(self.rotation_head(self.representation(rotated)), turns)


def duet_targets(params: torch.Tensor, bins: int, kappa: float = 3.0) -> torch.Tensor:
    """DUET's targets: a binned von Mises per transformation, ``(B, K)`` parameters in [0, 1) to ``(B, K, G)``."""
    if params.dim() != 2:
        raise ValueError(f"expected normalised parameters (B, K), got shape {tuple(params.shape)}")
    return torch.stack([binned_target(params[:, k], bins, "vonmises", kappa) for k in range(params.shape[1])], 1)


def content_of(matrix: torch.Tensor) -> torch.Tensor:
    """DUET's content from its matrices ``(B, K, G, C)``: the sum over the bins, flattened to ``(B, K * C)``."""
    return matrix.sum(dim=2).flatten(1)


def structure_of(matrix: torch.Tensor) -> torch.Tensor:
    """DUET's marginal from its matrices ``(B, K, G, C)``: ``softmax_g`` of the mean over channels, ``(B, K, G)``.

    The authors' code takes the mean over the channels; the paper's figure, the sum (a temperature C).
    """
    return F.softmax(matrix.mean(dim=3), dim=-1)


def duet_objective(
    matrix_1: torch.Tensor,
    matrix_2: torch.Tensor,
    params_1: torch.Tensor,
    params_2: torch.Tensor,
    head: nn.Module,
    kappa: float = 3.0,
    temperature: float = 0.1,
) -> tuple[torch.Tensor, torch.Tensor]:
    """DUET's two terms for two views, given their matrices ``(B, K, G, C)`` and parameters ``(B, K)``.

    Suau et al. 2023, eqs. 2-4: the content ``sum_g M[:, :, g, :]`` of each view, flattened to
    ``(B, K * C)``, goes through ``head`` into NT-Xent; the marginal ``softmax_g(mean_c M)`` of each
    view is matched by the Jensen-Shannon divergence to the binned von Mises centred on its own
    parameters. Returns ``(nt_xent, js)``; the loss is ``nt_xent + lambda * js``. The random views
    are drawn by the caller (``SelfSupervised.loss``), so this function can be checked by hand.
    """
    if matrix_1.dim() != 4 or matrix_1.shape != matrix_2.shape:
        raise ValueError(f"expected two matrices (B, K, G, C) of one shape, got {tuple(matrix_1.shape)}, "
                         f"{tuple(matrix_2.shape)}")  # fmt: skip
    if params_1.shape != matrix_1.shape[:2] or params_2.shape != params_1.shape:
        raise ValueError(f"expected parameters (B, K) = {tuple(matrix_1.shape[:2])}, got {tuple(params_1.shape)}")
    contrastive = nt_xent(head(content_of(matrix_1)), head(content_of(matrix_2)), temperature)
    predicted = structure_of(torch.cat([matrix_1, matrix_2]))
    js = jensen_shannon(predicted, duet_targets(torch.cat([params_1, params_2]), matrix_1.shape[2], kappa))
    return contrastive, js


class ImageDecoder(nn.Sequential):
    """Decoder from a frozen code ``(B, inputs)``, standardised per feature, to coloured images ``(B, 3, size, size)`` in [0, 1]."""

    def __init__(self, inputs: int, size: int = 28, hidden: int = 256) -> None:
        if size % 4:
            raise ValueError(f"size must be a multiple of 4, got {size}")
        super().__init__(
            nn.BatchNorm1d(inputs),  # codes differ in scale from method to method: standardise each feature
            nn.Linear(inputs, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 64 * (size // 4) ** 2),
            nn.ReLU(),
            nn.Unflatten(1, (64, size // 4, size // 4)),
            nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(32, 3, 4, stride=2, padding=1),
            nn.Sigmoid(),
        )


def duet_code(content: torch.Tensor, structure: torch.Tensor) -> torch.Tensor:
    """What DUET's decoder reads: the content ``(B, K * C)`` and the bin distributions ``(B, K, G)``, concatenated."""
    return torch.cat([content, structure.flatten(1)], dim=1)


def informed_code(features: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
    """The equally informed baseline's code: a representation ``(B, F)`` and true parameters ``(B, K)`` on the circle.

    A decoder trained on it is handed the parameters DUET must find in its own bins: ``(B, F + 2K)``.
    """
    if features.dim() != 2 or params.dim() != 2 or len(features) != len(params):
        raise ValueError(f"expected features (B, F) and params (B, K), got {tuple(features.shape)} and "
                         f"{tuple(params.shape)}")  # fmt: skip
    return torch.cat([features, circular_features(params.to(features.device))], dim=1)


def judge_classifier(classes: int = 8) -> nn.Sequential:
    """A judge of generated images: the shared backbone and a linear layer, ``(B, 3, H, W)`` -> ``(B, classes)`` logits.

    Trained on real rotated, painted digits to name the nearest of ``classes`` evenly spaced angles
    (``nearest_angle_class``), it scores whether a decode shows the angle that was asked for; trained
    on their labels (10 classes), whether it shows the source's digit.
    """
    return nn.Sequential(Backbone(128), nn.ReLU(), nn.Linear(128, classes))


def nearest_angle_class(angle: torch.Tensor, classes: int = 8) -> torch.Tensor:
    """Normalised angles ``(B,)`` in [0, 1) -> the nearest of ``classes`` multiples of ``1 / classes``, ``(B,)`` long."""
    return torch.round(angle * classes).long() % classes


def circular_features(params: torch.Tensor) -> torch.Tensor:
    """Normalised cyclic parameters ``(B, K)`` -> their points on the circle ``(B, 2K)``: cos, sin per parameter."""
    angle = 2 * torch.pi * params
    return torch.cat([torch.cos(angle), torch.sin(angle)], dim=1)


def circle_to_params(cosine: torch.Tensor, sine: torch.Tensor) -> torch.Tensor:
    """The inverse of ``circular_features``: points ``(cos, sin)``, each ``(B, K)``, -> parameters ``(B, K)`` in [0, 1)."""
    return torch.atan2(sine, cosine) / (2 * torch.pi) % 1.0


class LinearReadout:
    """Ridge regression from a representation ``(N, F)``, standardised per feature, to circular features ``(N, 2K)``.

    ``predict`` gives the parameters back in [0, 1); ``edit`` moves representations by the
    smallest change (in the least-squares sense) that makes the readout report new
    parameters: ``r' = r + W^+ (y_new - W r - b)``, the best an unstructured representation offers
    for controlled generation.
    """

    def __init__(self, features: torch.Tensor, params: torch.Tensor, ridge: float = 1e-2) -> None:
        if features.dim() != 2 or params.dim() != 2 or len(features) != len(params):
            raise ValueError(
                f"expected features (N, F) and params (N, K), got {tuple(features.shape)} and {tuple(params.shape)}"
            )
        dtype = _solve_dtype(features.device)
        x, y = features.to(dtype), circular_features(params.to(features.device)).to(dtype)
        self.x_mean, self.y_mean = x.mean(0), y.mean(0)
        # the ridge acts on standardised features, so features of small spread (DUET's bin probabilities)
        # are not shrunk more than wide ones (a projection); the weights are mapped back to raw features
        scale = x.std(0).clamp_min(1e-8)
        xs = (x - self.x_mean) / scale
        gram = xs.T @ xs + ridge * len(x) * torch.eye(x.shape[1], dtype=dtype, device=x.device)
        self.weight = (torch.linalg.solve(gram, xs.T @ (y - self.y_mean)) / scale[:, None]).T  # (2K, F)
        self._pinv: torch.Tensor | None = None

    def to(self, device: torch.device | str) -> LinearReadout:
        """Move the fitted readout to ``device`` (float64 there, float32 where float64 is missing, as on MPS)."""
        dtype = _solve_dtype(torch.device(device))
        self.x_mean, self.y_mean, self.weight = (t.to(device, dtype) for t in (self.x_mean, self.y_mean, self.weight))
        self._pinv = None
        return self

    def _circle(self, features: torch.Tensor) -> torch.Tensor:
        return (features.to(self.weight.device, self.weight.dtype) - self.x_mean) @ self.weight.T + self.y_mean

    def predict(self, features: torch.Tensor) -> torch.Tensor:
        """Parameters ``(N, K)`` in [0, 1), float32 on the features' device."""
        cosine, sine = self._circle(features).chunk(2, dim=1)
        return circle_to_params(cosine, sine).to(features.device, torch.float32)

    def edit(self, features: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        """Features ``(N, F)`` moved until the readout reports ``params`` ``(N, K)``; on the features' device and dtype."""
        change = circular_features(params.to(self.weight.device)).to(self.weight.dtype) - self._circle(features)
        if self._pinv is None:  # computed once; to() resets it
            self._pinv = torch.linalg.pinv(self.weight).T  # (2K, F)
        moved = features.to(self.weight.device, self.weight.dtype) + change @ self._pinv
        return moved.to(features.device, features.dtype)


def _solve_dtype(device: torch.device) -> torch.dtype:
    # ridge regression in float64 for accuracy, except on Apple's MPS, which has no float64
    return torch.float32 if device.type == "mps" else torch.float64


def circular_error_degrees(predicted: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
    """Mean absolute error on the circle, in degrees, per parameter: ``(N, K)`` x 2 -> ``(K,)``; chance is 90."""
    difference = (predicted - true) % 1.0
    return 360.0 * torch.minimum(difference, 1.0 - difference).mean(0)


def bin_circular_mean(distribution: torch.Tensor) -> torch.Tensor:
    """The parameter a distribution over ``G`` cyclic bins points at: ``(B, K, G)`` -> ``(B, K)`` in [0, 1).

    Bin ``g`` is centred on ``g / G`` (as in ``binned_target``); the reading is the angle of
    ``sum_g p_g exp(2 pi i g / G)``, so DUET's marginals give the parameters with no probe.
    """
    if distribution.dim() != 3:
        raise ValueError(f"expected distributions (B, K, G), got {tuple(distribution.shape)}")
    angles = 2 * torch.pi * torch.arange(distribution.shape[-1], device=distribution.device) / distribution.shape[-1]
    sine, cosine = (distribution * torch.sin(angles)).sum(-1), (distribution * torch.cos(angles)).sum(-1)
    return circle_to_params(cosine, sine)


@torch.no_grad()
def controlled_code(
    model: SelfSupervised, images: torch.Tensor, params: torch.Tensor, readout: LinearReadout | None = None
) -> torch.Tensor:
    """The code a decoder reads to draw ``images`` ``(B, 3, H, W)`` under new (angle, hue) parameters ``(B, 2)``.

    Only the model's ``groups`` are set. DUET: its content with the bin distributions set to the
    targets of ``params``, ``(B, K*C + K*G)``. SimCLR and ESSL have no place for the parameters, so
    the unsupervised counterpart is the representation moved by ``readout.edit`` (a readout fitted
    on the groups' parameters) until it reports ``params``, ``(B, F)``.
    """
    if model.method == "duet":
        return duet_code(model.content(images), model.targets(params))
    if readout is None:
        raise ValueError(f"{model.method} has no parameter slot: pass the LinearReadout whose edit sets the parameters")
    return readout.edit(model.representation(images), model.grouped(params))
