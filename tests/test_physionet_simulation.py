"""The APC paper's simulated benchmark and the PhysioNet 2012 converter (on a fixture in its format)."""

import math

import pytest
import torch

from eqlib.data.apc_simulation import apc_simulation
from eqlib.data.physionet import VARIABLES, physionet_2012, read_record
from eqlib.models.apc import OutcomeClassifier, SeriesEncoder, weighted_bce
from eqlib.models.apc_protocol import split_stays
from eqlib.train import TensorBatches, fit

# --- the simulation --------------------------------------------------------------------------


def test_simulation_has_the_papers_shape_and_requested_missingness_and_imbalance():
    data = apc_simulation(400, seed=0)
    assert data.values.shape == (400, 100, 2) and data.variables == ["b", "x"]
    assert data.missing_rate == 0.0 and data.positive_rate == 0.5
    sparse = apc_simulation(400, seed=0, missing_rate=0.7, positive_rate=0.1)
    assert abs(sparse.missing_rate - 0.7) < 0.01 and sparse.positive_rate == pytest.approx(0.1)
    assert (sparse.values[sparse.mask == 0] == 0).all()
    b = data.values[..., 0]
    assert set(b.unique().tolist()) <= {0.0, 1.0}
    torch.testing.assert_close(apc_simulation(50, seed=3).values, apc_simulation(50, seed=3).values)


def test_simulated_label_is_an_xor_that_per_series_means_do_not_reveal():
    data = apc_simulation(4000, seed=1)
    b_mean, x_mean = data.values[..., 0].mean(1), data.values[..., 1].mean(1)
    y = data.labels
    # the rate (b's mean) and the level of x carry no label information on their own
    for feature in (b_mean, x_mean):
        assert abs(torch.corrcoef(torch.stack([feature, y]))[0, 1]) < 0.05
    # but the XOR of the rate and the period does: label = [rate > 0.5] == [period short]
    x = data.values[..., 1] - x_mean[:, None]
    spectrum = torch.fft.rfft(x, dim=1).abs()
    frequency_bin = spectrum[:, 1:].argmax(1) + 1  # cycles per 100 steps: 5 (period 20) to 20 (period 5)
    fast = frequency_bin > 100 / 12.5  # period below 12.5 steps: the frequency latent below 0.5 (period 5 + 15 f)
    xor = ((b_mean > 0.5) == fast).float()
    assert (xor == y).float().mean() > 0.9


# --- PhysioNet 2012 -------------------------------------------------------------------------


def write_record(folder, record_id, rows):
    lines = ["Time,Parameter,Value", f"00:00,RecordID,{record_id}", "00:00,Age,54", "00:00,Gender,0"]
    lines += ["00:00,Height,-1", "00:00,ICUType,4", "00:00,Weight,-1"]
    lines += [f"{t},{p},{v}" for t, p, v in rows]
    (folder / f"{record_id}.txt").write_text("\n".join(lines) + "\n")


@pytest.fixture
def physionet_fixture(tmp_path):
    records = tmp_path / "set-a"
    records.mkdir()
    write_record(records, 132539, [("00:07", "HR", 80), ("00:37", "HR", 90), ("01:10", "Temp", 37.5),
                                   ("47:59", "GCS", 15), ("48:00", "HR", 70), ("02:00", "Weight", 81.0)])  # fmt: skip
    write_record(records, 132540, [("05:30", "pH", 7.4), ("05:31", "MechVent", 1), ("10:00", "Lactate", -1)])
    write_record(records, 132541, [("00:00", "HR", 100), ("23:15", "Urine", 250)])
    outcomes = tmp_path / "Outcomes-a.txt"
    outcomes.write_text(
        "RecordID,SAPS-I,SOFA,Length_of_stay,Survival,In-hospital_death\n"
        "132539,6,1,5,-1,0\n132540,16,8,8,-1,1\n132541,21,11,19,-1,0\n"
    )
    return records, outcomes


def test_converter_bins_hourly_and_drops_descriptors_unknowns_and_late_values(physionet_fixture):
    records, outcomes = physionet_fixture
    data = physionet_2012(records, outcomes)
    assert data.values.shape == (3, 48, 37) and data.variables == VARIABLES
    assert data.labels.tolist() == [0.0, 1.0, 0.0]
    col = {name: j for j, name in enumerate(VARIABLES)}
    first = data.subset(slice(0, 1))
    assert first.values[0, 0, col["HR"]] == pytest.approx(85.0)  # 00:07 and 00:37 averaged
    assert first.values[0, 1, col["Temp"]] == pytest.approx(37.5)
    assert first.values[0, 47, col["GCS"]] == 15 and first.mask[0, 2, col["Weight"]] == 1
    assert first.mask[0, 0, col["Weight"]] == 0  # the -1 descriptor at 00:00 is unknown, not a value
    assert first.mask.sum() == 4  # HR hour 0, Temp, GCS, Weight; HR at 48:00 falls outside the grid
    assert data.mask[1, 10, col["Lactate"]] == 0 and data.mask[1].sum() == 2
    assert len(read_record(records / "132541.txt")) == 2


def test_converted_stays_standardise_and_train_one_step(physionet_fixture):
    records, outcomes = physionet_fixture
    data = physionet_2012(records, outcomes)
    data = data.standardised(*data.normaliser())
    model = OutcomeClassifier(SeriesEncoder("grud", len(VARIABLES), 8))
    tensors = (data.values, data.mask, data.deltas() / 10.0, data.labels)
    history = fit(model, TensorBatches(*tensors, batch_size=3, seed=0),
                  lambda m, b: weighted_bce(m(*b[:3]), b[3], (0.75, 1.5)), epochs=1, progress=False)  # fmt: skip
    assert len(history) == 1 and math.isfinite(history[0]["loss"])


def test_converted_stays_split_for_the_protocol(physionet_fixture):
    records, outcomes = physionet_fixture
    train, val, test = split_stays(physionet_2012(records, outcomes), shares=(0.34, 0.33), seed=0)
    assert [len(s[0]) for s in (train, val, test)] == [1, 1, 1]
    assert all(s[0].shape[1:] == (48, 37) and s[2].shape == s[0].shape for s in (train, val, test))
    with pytest.raises(ValueError, match="too few"):
        split_stays(physionet_2012(records, outcomes), shares=(0.1, 0.1))


def test_converter_names_what_is_missing(tmp_path, physionet_fixture):
    records, outcomes = physionet_fixture
    (records / "132540.txt").unlink()
    with pytest.raises(FileNotFoundError, match="132540"):
        physionet_2012(records, outcomes)
    bad = tmp_path / "bad.txt"
    bad.write_text("Time;Parameter;Value\n")
    with pytest.raises(ValueError, match="Time,Parameter,Value"):
        read_record(bad)
