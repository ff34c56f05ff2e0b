import math

import numpy as np
import pytest
import torch
from sklearn.metrics import average_precision_score, roc_auc_score

from eqlib.data.icu import ICUData, load_icu_csv, save_icu_csv, synthetic_icu
from eqlib.metrics import auprc, auroc
from eqlib.models.apc import (
    APC,
    APCClassifier,
    OutcomeClassifier,
    SeriesEncoder,
    apc_loss,
    forward_fill,
    weighted_bce,
)
from eqlib.nn.grud import GRUDCell, decay_rate

GEN = torch.Generator().manual_seed(0)


# --- data -------------------------------------------------------------------------------


def test_synthetic_icu_matches_the_requested_shape_sparsity_and_imbalance():
    data = synthetic_icu(2000, seed=0, variables=12, hours=48, missing_rate=0.8, positive_rate=0.14)
    assert data.values.shape == data.mask.shape == (2000, 48, 12) and data.labels.shape == (2000,)
    assert abs(data.missing_rate - 0.8) < 0.02
    assert abs(data.positive_rate - 0.14) < 0.005
    assert torch.all(data.values[data.mask == 0] == 0)
    rates = data.mask.mean(dim=(0, 1))
    assert rates[0] > 3 * rates[-1]  # frequent vitals, rare labs


def test_synthetic_icu_missingness_is_informative_and_can_be_switched_off():
    sick = synthetic_icu(3000, seed=1)
    at_random = synthetic_icu(3000, seed=1, informative=0.0)
    gap = sick.mask[sick.labels == 1].mean() - sick.mask[sick.labels == 0].mean()
    gap_random = at_random.mask[at_random.labels == 1].mean() - at_random.mask[at_random.labels == 0].mean()
    assert gap > 0.01 and abs(gap_random) < 0.002


def test_synthetic_icu_is_deterministic_per_seed():
    a, b, c = synthetic_icu(50, seed=3), synthetic_icu(50, seed=3), synthetic_icu(50, seed=4)
    assert torch.equal(a.values, b.values) and torch.equal(a.labels, b.labels)
    assert not torch.equal(a.mask, c.mask)


def test_deltas_follow_the_gru_d_definition_on_a_hand_example():
    mask = torch.tensor([[1.0], [0.0], [0.0], [1.0], [0.0]])[None]  # one patient, 5 hours, 1 variable
    data = ICUData(torch.zeros(1, 5, 1), mask, torch.zeros(1), ["x"])
    assert data.deltas()[0, :, 0].tolist() == [0.0, 1.0, 2.0, 3.0, 1.0]


def test_standardising_uses_observed_entries_only():
    data = synthetic_icu(300, seed=0)
    mean, std = data.normaliser()
    z = data.standardised(mean, std)
    observed = z.mask.bool()
    per_var = [(z.values[..., v][observed[..., v]]) for v in range(3)]
    assert all(abs(float(x.mean())) < 1e-4 and abs(float(x.std()) - 1) < 1e-2 for x in per_var)
    assert torch.all(z.values[~observed] == 0)


def test_csv_round_trip_and_fractional_hours(tmp_path):
    data = synthetic_icu(5, seed=2, variables=4, hours=6)
    save_icu_csv(data, tmp_path)
    back = load_icu_csv(tmp_path, hours=6, variables=data.variables)
    assert torch.equal(back.mask, data.mask) and torch.equal(back.labels, data.labels)
    torch.testing.assert_close(back.values, data.values)

    (tmp_path / "measurements.csv").write_text(
        "patient,hour,variable,value\na,0.25,HR,80\na,0.75,HR,90\na,2.5,Temp,37\nb,1.0,HR,70\nb,7.0,HR,60\n"
    )
    (tmp_path / "outcomes.csv").write_text("patient,label\na,1\nb,0\n")
    tiny = load_icu_csv(tmp_path, hours=3)
    assert tiny.variables == ["HR", "Temp"] and tiny.labels.tolist() == [1.0, 0.0]
    assert tiny.values[0, 0, 0] == 85.0 and tiny.values[0, 2, 1] == 37.0 and tiny.values[1, 1, 0] == 70.0
    assert tiny.mask.sum() == 3  # hour 7 lies outside the 3-hour grid


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: synthetic_icu(0), "positive int"),
        (lambda: synthetic_icu(10, missing_rate=1.0), "missing_rate"),
        (lambda: synthetic_icu(10, noise=-0.1), "noise"),
        (lambda: ICUData(torch.zeros(2, 3, 4), torch.zeros(2, 3), torch.zeros(2), list("abcd")), "share a shape"),
        (lambda: ICUData(torch.zeros(2, 3, 4), torch.zeros(2, 3, 4), torch.zeros(3), list("abcd")), "labels"),
        (lambda: auroc([0.1, 0.2], [1, 1]), "both positive and negative"),
        (lambda: auprc([0.1, float("nan")], [0, 1]), "NaN"),
        (lambda: auprc([0.1, 0.2], [0, 2]), "0 or 1"),
    ],
)
def test_bad_inputs(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_csv_loader_names_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="measurements.csv"):
        load_icu_csv(tmp_path)


# --- GRU-D --------------------------------------------------------------------------------


def test_decay_rate_is_exp_of_minus_relu():
    delta = torch.tensor([[0.0, 2.0]])
    gamma = decay_rate(delta, torch.tensor([[1.0, 0.5]]), torch.tensor([-0.5]))
    assert math.isclose(float(gamma), math.exp(-max(0.0, 0 * 1.0 + 2 * 0.5 - 0.5)), rel_tol=1e-6)
    assert float(decay_rate(delta, torch.tensor([[0.0, -1.0]]), torch.tensor([0.0]))) == 1.0  # never above 1


def test_gru_d_input_decay_on_a_hand_computed_example():
    cell = GRUDCell(2, 3, x_mean=torch.tensor([10.0, 20.0]))
    with torch.no_grad():
        cell.input_decay_weight.copy_(torch.tensor([0.5, 1.0]))
        cell.input_decay_bias.copy_(torch.tensor([0.0, -1.0]))
    x, m = torch.tensor([[99.0, 99.0]]), torch.tensor([[0.0, 1.0]])
    delta, x_last = torch.tensor([[2.0, 3.0]]), torch.tensor([[14.0, 25.0]])
    x_hat = cell.impute(x, m, delta, x_last)
    gamma = math.exp(-0.5 * 2.0)  # first variable: missing, decays from 14 towards the mean 10
    assert torch.allclose(x_hat, torch.tensor([[gamma * 14 + (1 - gamma) * 10, 99.0]]))
    state = cell.initial_state(1)
    assert torch.equal(state["x_last"], torch.tensor([[10.0, 20.0]]))
    new = cell(x, m, delta, {"h": torch.zeros(1, 3), "x_last": x_last})
    assert torch.equal(new["x_last"], torch.tensor([[14.0, 99.0]]))  # only observed entries update


def test_gru_d_hidden_decay_shrinks_the_state_with_time():
    torch.manual_seed(0)
    cell = GRUDCell(2, 4)
    with torch.no_grad():
        cell.hidden_decay.weight.fill_(1.0)
        cell.hidden_decay.bias.zero_()
        for p in cell.gru.parameters():
            p.zero_()  # GRU with zero weights: z = 1/2, candidate 0, so h' = h_decayed / 2
    h = torch.ones(1, 4)
    x, m = torch.zeros(1, 2), torch.zeros(1, 2)
    for hours in (0.0, 1.0, 3.0):
        out = cell(x, m, torch.full((1, 2), hours), {"h": h, "x_last": torch.zeros(1, 2)})["h"]
        assert torch.allclose(out, torch.full((1, 4), 0.5 * math.exp(-2 * hours)))


# --- encoders and APC -------------------------------------------------------------------


def test_forward_fill_carries_last_observations_and_fills_the_start():
    values = torch.tensor([[0.0, 5.0, 0.0, 0.0, 7.0]])[..., None]
    mask = torch.tensor([[0.0, 1.0, 0.0, 0.0, 1.0]])[..., None]
    assert forward_fill(values, mask, fill=-1.0)[0, :, 0].tolist() == [-1.0, 5.0, 5.0, 5.0, 7.0]


def test_apc_loss_ignores_missing_entries():
    targets = torch.randn(2, 5, 3, generator=GEN)
    mask = (torch.rand(2, 5, 3, generator=GEN) < 0.4).float()
    predictions = targets + 0.5 * mask  # error 0.5 on every observed entry
    predictions = predictions + 100.0 * (1 - mask)  # huge errors where nothing was observed
    assert float(apc_loss(predictions, targets, mask)) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="share a shape"):
        apc_loss(predictions, targets[:, :4], mask)


@pytest.mark.parametrize("kind", ["gru", "grud"])
def test_encoders_apc_and_classifier_shapes_and_gradients(kind):
    data = synthetic_icu(6, seed=0, variables=5, hours=7)
    encoder = SeriesEncoder(kind, 5, hidden_size=8)
    series = (data.values, data.mask, data.deltas())
    assert encoder(*series).shape == (6, 7, 8)
    apc = APC(encoder, shift=2)
    assert apc.predictions(*series).shape == (6, 5, 5)
    apc.loss(*series).backward()
    assert all(p.grad is not None for p in encoder.parameters())
    logits = OutcomeClassifier(encoder)(*series)
    assert logits.shape == (6,)


def test_weighted_bce_weights_each_class_as_the_formula_says():
    # catches swapped or ignored weights: -mean(w_1 y log s(l) + w_0 (1 - y) log(1 - s(l)))
    logits, labels = torch.tensor([2.0, -1.0, 0.5, -3.0]), torch.tensor([1.0, 0.0, 1.0, 0.0])
    p = torch.sigmoid(logits)
    by_hand = -(6.0 * labels * p.log() + 0.5 * (1 - labels) * (1 - p).log()).mean()
    assert torch.allclose(weighted_bce(logits, labels, (0.5, 6.0)), by_hand)
    plain = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
    assert torch.allclose(weighted_bce(logits, labels, (1.0, 1.0)), plain)


def test_encoder_is_causal():
    data = synthetic_icu(3, seed=0, variables=4, hours=8)
    series = [data.values.clone(), data.mask.clone(), data.deltas()]
    for kind in ("gru", "grud"):
        encoder = SeriesEncoder(kind, 4, hidden_size=6)
        before = encoder(*series)
        changed = [s.clone() for s in series]
        changed[0][:, 5:] += 3.0
        changed[1][:, 5:] = 1.0
        after = encoder(*changed)
        torch.testing.assert_close(after[:, :5], before[:, :5])  # the future does not leak into the past


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: SeriesEncoder("lstm", 3), "kind"),
        (lambda: SeriesEncoder("gru", 3)(torch.zeros(2, 4, 5), torch.zeros(2, 4, 5), torch.zeros(2, 4, 5)), "values"),
        (lambda: APC(SeriesEncoder("gru", 3), shift=0), "shift"),
        (lambda: GRUDCell(3, 4, x_mean=torch.zeros(2)), "x_mean"),
        (lambda: weighted_bce(torch.zeros(2), torch.zeros(2), (1.0, 0.0)), "class_weights"),
    ],
)
def test_model_bad_inputs(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- metrics ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_auroc_and_auprc_equal_scikit_learn_including_ties(seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, 400)
    scores = np.round(rng.normal(size=400) + labels, 1)  # rounding creates ties
    assert auroc(scores, labels) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    assert auprc(scores, labels) == pytest.approx(average_precision_score(labels, scores), abs=1e-12)
    assert auprc(torch.tensor(scores), torch.tensor(labels)) == pytest.approx(auprc(scores, labels))


def test_apc_classifier_joint_loss_is_outcome_plus_forecast_loss():
    data = synthetic_icu(6, seed=1, variables=4, hours=8)
    series = (data.values, data.mask, data.deltas())
    torch.manual_seed(0)
    apc = APC(SeriesEncoder("grud", 4, hidden_size=8), shift=2)
    model = APCClassifier(apc)
    with torch.no_grad():
        joint = model.joint_loss(*series, data.labels, class_weights=(0.6, 3.0), apc_weight=0.5)
        expected = weighted_bce(model(*series), data.labels, (0.6, 3.0)) + 0.5 * apc.loss(*series)
    torch.testing.assert_close(joint, expected)
    assert model(*series).shape == (6,)
