"""Metrics shared by notebooks and tests: accuracy, linear probes, AUROC and AUPRC, capsule
equivariance error and importance-sampled log-likelihood."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of rows of ``logits (N, K)`` whose argmax equals ``labels (N,)``."""
    if logits.dim() != 2 or labels.dim() != 1 or logits.shape[0] != labels.shape[0]:
        raise ValueError(
            f"accuracy expects logits (N, K) and labels (N,), got {tuple(logits.shape)} and {tuple(labels.shape)}"
        )
    if logits.shape[0] == 0:
        raise ValueError("accuracy of an empty batch is undefined")
    return float((logits.argmax(dim=1) == labels).float().mean())


def _as_2d_numpy(features: torch.Tensor | np.ndarray, name: str) -> np.ndarray:
    array = features.detach().cpu().numpy() if isinstance(features, torch.Tensor) else np.asarray(features)
    if array.ndim < 2:
        raise ValueError(f"{name} must have shape (N, D...), got {array.shape}")
    return array.reshape(array.shape[0], -1).astype(np.float64)


def linear_probe_predictions(
    train_features: torch.Tensor | np.ndarray,
    train_labels: torch.Tensor | np.ndarray,
    test_features: torch.Tensor | np.ndarray,
    max_iter: int = 2000,
) -> np.ndarray:
    """The classes ``(M,)`` a multinomial logistic regression fitted on frozen features predicts for the test rows.

    Features ``(N, D...)`` and ``(M, D...)`` are flattened and standardised on the training split.
    """
    xtr, xte = _as_2d_numpy(train_features, "train_features"), _as_2d_numpy(test_features, "test_features")
    ytr = np.asarray(train_labels).ravel()
    if xtr.shape[1] != xte.shape[1]:
        raise ValueError(f"train and test features differ in width: {xtr.shape[1]} vs {xte.shape[1]}")
    if len(xtr) != len(ytr):
        raise ValueError("each feature matrix needs one label per row")
    if len(np.unique(ytr)) < 2:
        raise ValueError("a probe needs at least two classes in the training labels")
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter))
    probe.fit(xtr, ytr)
    return probe.predict(xte)


def linear_probe_accuracy(
    train_features: torch.Tensor | np.ndarray,
    train_labels: torch.Tensor | np.ndarray,
    test_features: torch.Tensor | np.ndarray,
    test_labels: torch.Tensor | np.ndarray,
    max_iter: int = 2000,
) -> float:
    """Test accuracy of a multinomial logistic regression fitted on frozen features (``linear_probe_predictions``).

    A probe measures what information is *linearly* readable from a representation.
    """
    yte = np.asarray(test_labels).ravel()
    if len(_as_2d_numpy(test_features, "test_features")) != len(yte):
        raise ValueError("each feature matrix needs one label per row")
    predicted = linear_probe_predictions(train_features, train_labels, test_features, max_iter)
    return float((predicted == yte).mean())


def _binary_scores(
    scores: torch.Tensor | np.ndarray, labels: torch.Tensor | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    s, y = np.asarray(scores, dtype=np.float64).ravel(), np.asarray(labels).ravel()
    if s.shape != y.shape or s.size == 0:
        raise ValueError(f"need one score per label, got {s.shape} scores and {y.shape} labels")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 or 1")
    if y.min() == y.max():
        raise ValueError("AUROC and AUPRC need both positive and negative labels")
    if not np.isfinite(s).all():
        raise ValueError("scores contain NaN or inf")
    return s, y.astype(np.int64)


def auroc(scores: torch.Tensor | np.ndarray, labels: torch.Tensor | np.ndarray) -> float:
    """Area under the ROC curve: the probability that a random positive outranks a random negative
    (ties count one half); scikit-learn's ``roc_auc_score`` after checking the inputs."""
    s, y = _binary_scores(scores, labels)
    return float(roc_auc_score(y, s))


def auprc(scores: torch.Tensor | np.ndarray, labels: torch.Tensor | np.ndarray) -> float:
    """Area under the precision-recall curve as average precision, ``sum_k (R_k - R_{k-1}) P_k`` over
    the distinct score thresholds (no interpolation); scikit-learn's ``average_precision_score``
    after checking the inputs. A random ranking scores the positive rate."""
    s, y = _binary_scores(scores, labels)
    return float(average_precision_score(y, s))


class CapsuleEquivarianceError(NamedTuple):
    """``total``: summed over frame pairs and capsules, averaged over sequences (the paper's figure);
    ``per_pair_capsule``: ``total`` divided by the number of frame pairs times capsules."""

    total: float
    per_pair_capsule: float


def capsule_equivariance_error(t: torch.Tensor, eps: float = 1e-8) -> CapsuleEquivarianceError:
    """How far capsules are from rolling in step with the sequence (Keller & Welling 2021, sec. 5).

    Each capsule of ``t`` ``(N, S, C, D)`` is scaled to unit length, then

        E = mean_n sum_{t0 < t1} sum_c || Roll^{t1 - t0}(T_{t0, c}) - T_{t1, c} ||_1,

    where ``Roll^k`` shifts the capsule's units by ``k``. Zero for a representation whose
    capsules roll by one unit per frame.
    """
    if t.dim() != 4 or t.shape[1] < 2:
        raise ValueError(f"expected capsules of shape (N, S >= 2, C, D), got {tuple(t.shape)}")
    unit = t / t.norm(dim=-1, keepdim=True).clamp_min(eps)
    frames, capsules = t.shape[1], t.shape[2]
    total = torch.zeros((), dtype=t.dtype, device=t.device)
    for t0 in range(frames - 1):
        for t1 in range(t0 + 1, frames):
            rolled = torch.roll(unit[:, t0], shifts=t1 - t0, dims=-1)
            total = total + (rolled - unit[:, t1]).abs().sum() / t.shape[0]
    pairs = frames * (frames - 1) // 2
    return CapsuleEquivarianceError(total.item(), total.item() / (pairs * capsules))


def _check_frame_log_weights(log_w: torch.Tensor) -> None:
    if log_w.dim() != 3:
        raise ValueError(f"expected frame log-weights of shape (K, B, S), got {tuple(log_w.shape)}")


def sequence_log_likelihood(frame_log_weights: torch.Tensor) -> torch.Tensor:
    """Importance-sampled bound on ``log p(x_1, ..., x_S)`` per sequence, ``(K, B, S)`` -> ``(B,)``.

    ``logsumexp_k sum_t log w_kt - log K``: the weights of a draw are multiplied over the frames
    before averaging over draws, so this is an estimate of the joint likelihood that is a lower
    bound in expectation for any model, coupled frames included (Burda et al. 2016); leaving out
    the ``- log K`` overstates it by exactly ``log K``.
    """
    _check_frame_log_weights(frame_log_weights)
    return torch.logsumexp(frame_log_weights.sum(-1), dim=0) - math.log(frame_log_weights.shape[0])


def per_frame_log_likelihood(frame_log_weights: torch.Tensor) -> torch.Tensor:
    """The per-frame estimate of the TVAE authors' evaluation, ``(K, B, S)`` -> ``(B, S)``.

    ``logsumexp_k log w_kt - log K`` for each frame separately. For a model whose frames are
    independent (the VAE) the sum over frames is again a bound on the sequence's likelihood. For the
    TVAE it is not: ``T_t`` depends on the ``U`` of neighbouring frames, whose draws are averaged per
    frame as if they were free, so the sum over frames estimates no likelihood of the model.
    The authors' code also leaves out ``- log K``, which adds ``log K`` nats to every frame.
    """
    _check_frame_log_weights(frame_log_weights)
    return torch.logsumexp(frame_log_weights, dim=0) - math.log(frame_log_weights.shape[0])


def cohens_d(t: torch.Tensor, labels: torch.Tensor, category: int) -> torch.Tensor:
    """Selectivity of every unit for ``category`` against all other images pooled, ``(N, U)`` -> ``(U,)``.

    ``d = (mean_c - mean_rest) / sqrt((var_c + var_rest) / 2)`` with unbiased variances, as in
    Keller, Gao, Welling 2021 (arXiv 2110.13911).
    """
    if t.dim() != 2 or labels.shape != (t.shape[0],):
        raise ValueError(f"expected activations (N, U) and labels (N,), got {tuple(t.shape)} and {tuple(labels.shape)}")
    inside = labels == category
    if inside.sum() < 2 or (~inside).sum() < 2:
        raise ValueError(f"category {category} needs at least 2 images inside and 2 outside, got {int(inside.sum())}")
    a, b = t[inside].double(), t[~inside].double()
    pooled = ((a.var(dim=0) + b.var(dim=0)) / 2).sqrt().clamp_min(1e-12)
    return ((a.mean(dim=0) - b.mean(dim=0)) / pooled).to(t.dtype)


def _torus_neighbour_sum(grid: torch.Tensor) -> torch.Tensor:
    """Sum of each cell's four neighbours (up, down, left, right) on a torus, ``(H, W)``."""
    return sum(torch.roll(grid, shifts=s, dims=d) for s in (1, -1) for d in (0, 1))


def morans_i(values: torch.Tensor) -> float:
    """Moran's I of a map ``(H, W)`` on a torus with rook (4-neighbour) weights.

    ``I = (N / S0) * sum_ij w_ij z_i z_j / sum_i z_i^2`` with ``z = x - mean(x)`` and ``S0 = 4N``:
    near +1 for smooth maps, about ``-1/(N-1)`` for spatially random ones, negative for checkerboards.
    """
    if values.dim() != 2 or min(values.shape) < 3:
        raise ValueError(f"expected a map (H, W) with H, W >= 3, got {tuple(values.shape)}")
    z = values.double() - values.double().mean()
    denominator = (z * z).sum()
    if denominator == 0:
        raise ValueError("Moran's I is undefined for a constant map")
    return float((z * _torus_neighbour_sum(z)).sum() / (4 * denominator))


def morans_i_null(values: torch.Tensor, permutations: int = 200, seed: int = 0) -> torch.Tensor:
    """Moran's I of ``permutations`` random rearrangements of the map's cells: the null distribution."""
    if permutations < 1:
        raise ValueError(f"permutations must be >= 1, got {permutations}")
    g = torch.Generator().manual_seed(seed)
    flat = values.flatten()
    return torch.tensor(
        [morans_i(flat[torch.randperm(flat.numel(), generator=g)].view_as(values)) for _ in range(permutations)]
    )


def selective_neighbour_share(masks: torch.Tensor) -> float:
    """Share of selective units that have a selective neighbour for the same category, on a torus.

    ``masks (C, H, W)`` bool: unit (h, w) is selective for category c. A unit counts once per
    category it is selective for; neighbours are the four rook neighbours. NaN when no unit is
    selective.
    """
    if masks.dim() != 3 or masks.dtype != torch.bool or min(masks.shape[1:]) < 3:
        raise ValueError(f"expected bool masks (C, H, W) with H, W >= 3, got {masks.dtype} {tuple(masks.shape)}")
    total = int(masks.sum())
    if total == 0:
        return math.nan
    neighbours = sum(torch.roll(masks, shifts=s, dims=d).int() for s in (1, -1) for d in (1, 2))
    return float((masks & (neighbours > 0)).sum()) / total


def selective_neighbour_null(masks: torch.Tensor, permutations: int = 200, seed: int = 0) -> torch.Tensor:
    """``selective_neighbour_share`` after placing each category's selective units at random cells.

    Keeps the number of selective units per category: the null of "no spatial clustering".
    Returns ``(permutations,)``.
    """
    if permutations < 1:
        raise ValueError(f"permutations must be >= 1, got {permutations}")
    g = torch.Generator().manual_seed(seed)
    flat = masks.flatten(1)
    shuffled = []
    for _ in range(permutations):
        order = torch.stack([torch.randperm(flat.shape[1], generator=g) for _ in range(flat.shape[0])])
        shuffled.append(selective_neighbour_share(flat.gather(1, order).view_as(masks)))
    return torch.tensor(shuffled)


def torus_cluster_sizes(mask: torch.Tensor) -> list[int]:
    """Sizes of the connected clusters of ``True`` cells of ``mask (H, W)`` on a torus, largest first.

    Cells are connected through their four rook neighbours, across the edges too (the map wraps).
    """
    if mask.dim() != 2 or mask.dtype != torch.bool:
        raise ValueError(f"expected a bool mask (H, W), got {mask.dtype} {tuple(mask.shape)}")
    height, width = mask.shape
    cells = mask.cpu().numpy()
    seen = np.zeros_like(cells)
    sizes = []
    for start in zip(*np.nonzero(cells)):
        if seen[start]:
            continue
        seen[start], stack, size = True, [start], 0
        while stack:
            i, j = stack.pop()
            size += 1
            for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                n = ((i + di) % height, (j + dj) % width)
                if cells[n] and not seen[n]:
                    seen[n] = True
                    stack.append(n)
        sizes.append(size)
    return sorted(sizes, reverse=True)


def largest_cluster_null(mask: torch.Tensor, permutations: int = 200, seed: int = 0) -> torch.Tensor:
    """Largest cluster of ``mask``'s selective cells after placing them at random cells: ``(permutations,)``."""
    if permutations < 1:
        raise ValueError(f"permutations must be >= 1, got {permutations}")
    g = torch.Generator().manual_seed(seed)
    flat = mask.flatten()
    out = []
    for _ in range(permutations):
        sizes = torus_cluster_sizes(flat[torch.randperm(flat.numel(), generator=g)].view_as(mask))
        out.append(sizes[0] if sizes else 0)
    return torch.tensor(out)


def active_units(posterior_means: torch.Tensor, threshold: float = 0.01) -> int:
    """Units whose posterior mean varies over the data: ``Var_x E_q[z_k | x] > threshold`` (Burda et al. 2016).

    ``posterior_means (N, ...)``: one row per input; a collapsed unit's mean is the same for every input.
    """
    if posterior_means.dim() < 2 or posterior_means.shape[0] < 2:
        raise ValueError(f"expected posterior means (N, ...) with N >= 2, got {tuple(posterior_means.shape)}")
    return int((posterior_means.flatten(1).double().var(dim=0) > threshold).sum())
