"""Metrics shared by notebooks and tests: accuracy and linear probes."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
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


def linear_probe_accuracy(
    train_features: torch.Tensor | np.ndarray,
    train_labels: torch.Tensor | np.ndarray,
    test_features: torch.Tensor | np.ndarray,
    test_labels: torch.Tensor | np.ndarray,
    max_iter: int = 2000,
) -> float:
    """Test accuracy of a multinomial logistic regression fitted on frozen features.

    Features ``(N, D...)`` are flattened and standardised on the training split. A probe
    measures what information is *linearly* readable from a representation.
    """
    xtr, xte = _as_2d_numpy(train_features, "train_features"), _as_2d_numpy(test_features, "test_features")
    ytr, yte = np.asarray(train_labels).ravel(), np.asarray(test_labels).ravel()
    if xtr.shape[1] != xte.shape[1]:
        raise ValueError(f"train and test features differ in width: {xtr.shape[1]} vs {xte.shape[1]}")
    if len(xtr) != len(ytr) or len(xte) != len(yte):
        raise ValueError("each feature matrix needs one label per row")
    if len(np.unique(ytr)) < 2:
        raise ValueError("a probe needs at least two classes in the training labels")
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter))
    probe.fit(xtr, ytr)
    return float(probe.score(xte, yte))
