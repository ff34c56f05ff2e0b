import numpy as np
import pytest
import torch

from eqlib.metrics import accuracy, linear_probe_accuracy


def test_accuracy_counts_argmax_hits():
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [5.0, -1.0], [0.1, 0.2]])
    labels = torch.tensor([0, 1, 1, 1])
    assert accuracy(logits, labels) == pytest.approx(0.75)


def test_accuracy_bad_shapes():
    with pytest.raises(ValueError, match=r"logits \(N, K\) and labels \(N,\)"):
        accuracy(torch.zeros(3), torch.zeros(3))
    with pytest.raises(ValueError, match="empty"):
        accuracy(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long))


def test_probe_reads_linear_information_and_not_noise():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, size=800)
    informative = np.eye(4)[labels] * 5 + rng.normal(size=(800, 4))
    noise = rng.normal(size=(800, 6))
    assert linear_probe_accuracy(informative[:400], labels[:400], informative[400:], labels[400:]) > 0.95
    assert linear_probe_accuracy(noise[:400], labels[:400], noise[400:], labels[400:]) < 0.4


def test_probe_flattens_structured_features():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, size=200)
    feats = torch.tensor(rng.normal(size=(200, 2, 3)) + labels[:, None, None] * 4.0)
    assert (
        linear_probe_accuracy(feats[:100], torch.tensor(labels[:100]), feats[100:], torch.tensor(labels[100:])) > 0.95
    )


def test_probe_bad_inputs():
    x = np.zeros((4, 3))
    with pytest.raises(ValueError, match="differ in width"):
        linear_probe_accuracy(x, [0, 1, 0, 1], np.zeros((4, 2)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="one label per row"):
        linear_probe_accuracy(x, [0, 1], x, [0, 1, 0, 1])
    with pytest.raises(ValueError, match="two classes"):
        linear_probe_accuracy(x, [1, 1, 1, 1], x, [0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"\(N, D...\)"):
        linear_probe_accuracy(np.zeros(4), [0, 1, 0, 1], x, [0, 1, 0, 1])
