import numpy as np
import pytest
import torch

from eqlib.metrics import (
    accuracy,
    active_units,
    largest_cluster_null,
    linear_probe_accuracy,
    linear_probe_predictions,
    torus_cluster_sizes,
)


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


def test_probe_predictions_are_the_classes_its_accuracy_counts():
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 3, size=300)
    features = np.eye(3)[labels] * 2 + rng.normal(size=(300, 3))
    predicted = linear_probe_predictions(features[:200], labels[:200], features[200:])
    assert predicted.shape == (100,) and set(np.unique(predicted)) <= {0, 1, 2}
    assert linear_probe_accuracy(features[:200], labels[:200], features[200:], labels[200:]) == pytest.approx(
        float((predicted == labels[200:]).mean())
    )


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


def test_torus_cluster_sizes_connect_across_the_edges():
    mask = torch.zeros(6, 6, dtype=torch.bool)
    mask[0, 0] = mask[0, 5] = mask[5, 0] = True  # one cluster through the wrap-around
    mask[2, 2] = mask[2, 3] = True  # a second one
    mask[4, 3] = True  # an isolated cell (diagonal neighbours do not connect)
    assert torus_cluster_sizes(mask) == [3, 2, 1]
    assert torus_cluster_sizes(torch.zeros(4, 4, dtype=torch.bool)) == []
    with pytest.raises(ValueError, match="bool mask"):
        torus_cluster_sizes(torch.zeros(4, 4))


def test_largest_cluster_null_keeps_the_count_and_is_smaller_than_a_blob():
    mask = torch.zeros(16, 16, dtype=torch.bool)
    mask[3:7, 3:7] = True  # one 16-cell blob
    null = largest_cluster_null(mask, permutations=50, seed=0)
    assert null.shape == (50,) and int(null.max()) < 16
    assert torch.equal(null, largest_cluster_null(mask, permutations=50, seed=0))


def test_active_units_counts_units_whose_mean_varies_over_inputs():
    means = torch.zeros(100, 4)
    means[:, 0] = torch.linspace(-1, 1, 100)  # varies: active
    means[:, 1] = 3.0  # constant: collapsed
    means[:, 2] = 0.001 * torch.randn(100)  # below the threshold
    assert active_units(means) == 1
    with pytest.raises(ValueError, match="N >= 2"):
        active_units(torch.zeros(1, 4))
