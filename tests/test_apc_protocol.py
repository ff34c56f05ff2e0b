"""The APC paper's three-arm protocol: schedules, class weights, the frozen stage, jobs and their cache."""

import json

import pytest
import torch

from eqlib.models.apc import APCClassifier
from eqlib.models.apc_protocol import (
    ARMS,
    SOURCES,
    Schedule,
    _outcome_head,
    class_weights,
    compare_arms,
    data_fingerprint,
    initial_apc,
    job_splits,
    run_jobs,
    train_stages,
)

TINY = Schedule(hidden=4, batch=16, apc_epochs=1, head_epochs=1, tune_epochs=1)


def tiny_job(**changes):
    job = {"source": "simulation", "data": {"missing_rate": 0.3, "positive_rate": 0.3, "length": 12},
           "sizes": [40, 20, 30], "kind": "gru", "seed": 0, "schedule": TINY.as_config(), "device": "cpu"}  # fmt: skip
    return {**job, **changes}


def test_schedule_gives_scratch_the_classifier_epochs_of_the_two_stages_and_rejects_zero_epochs():
    assert Schedule(head_epochs=3, tune_epochs=4).scratch_epochs == 7
    assert Schedule(head_epochs=3, tune_epochs=4, scratch_epochs=20).scratch_epochs == 20
    with pytest.raises(ValueError, match="apc_epochs"):
        Schedule(apc_epochs=0)


def test_class_weights_give_each_class_half_the_loss_and_need_both_classes():
    labels = torch.tensor([1.0, 0.0, 0.0, 0.0])
    w_negative, w_positive = class_weights(labels)
    assert (w_negative, w_positive) == (4 / 6, 2.0)  # n / (2 n_c)
    assert w_positive * 1 == pytest.approx(w_negative * 3)  # one positive weighs as much as three negatives
    with pytest.raises(ValueError, match="both classes"):
        class_weights(torch.zeros(5))


def test_job_splits_are_standardised_with_the_training_entries_and_name_bad_sources():
    train, val, test = job_splits(tiny_job())
    assert [len(s[0]) for s in (train, val, test)] == [40, 20, 30]
    observed = train[0][train[1] > 0].view(-1)
    assert abs(float(observed.mean())) < 0.2  # b and x pooled; each variable has mean 0 on its own
    assert (train[0][train[1] == 0] == 0).all()
    with pytest.raises(ValueError, match="source"):
        job_splits(tiny_job(source="mimic"))


def test_stage_two_freezes_the_encoder_and_trains_the_head():
    train, val, _ = job_splits(tiny_job())
    start = initial_apc("gru", train, TINY, seed=0)
    frozen_then_still = Schedule(**{**TINY.as_config(), "tune_lr": 0.0})  # stage 3 at lr 0 changes nothing
    model, scores = train_stages(start, train, val, frozen_then_still, seed=0)
    for name, value in start.encoder.state_dict().items():
        torch.testing.assert_close(model.apc.encoder.state_dict()[name], value)
    untrained_head = APCClassifier(initial_apc("gru", train, TINY, seed=0))
    _outcome_head(untrained_head, seed=0)
    assert not torch.allclose(model.head.weight, untrained_head.head.weight)  # the head did train
    assert len(scores) == 2 and all(0.0 <= s <= 1.0 for s in scores)
    assert all(p.requires_grad for p in model.parameters())  # unfrozen again for stage 3


def test_the_two_stages_are_a_function_of_their_starting_encoder_alone():
    # APC and schedule-only differ in stage 1 only: from the same encoder the stages give the same model
    train, val, _ = job_splits(tiny_job())
    start = initial_apc("grud", train, TINY, seed=4)
    other = initial_apc("grud", train, TINY, seed=5)
    assert not all(torch.equal(a, b) for a, b in zip(start.parameters(), other.parameters()))  # seeds differ
    a, _ = train_stages(start, train, val, TINY, seed=4)
    b, _ = train_stages(initial_apc("grud", train, TINY, seed=4), train, val, TINY, seed=4)
    for name, value in a.state_dict().items():
        torch.testing.assert_close(b.state_dict()[name], value)


def test_compare_arms_scores_all_three_arms():
    train, val, test = job_splits(tiny_job())
    results = compare_arms("grud", train, val, test, TINY, seed=1)
    assert tuple(results) == ARMS
    assert all(0.0 <= r["auprc"] <= 1.0 and 0.0 <= r["auroc"] <= 1.0 for r in results.values())
    with pytest.raises(ValueError, match="kind"):
        compare_arms("lstm", train, val, test, TINY, seed=1)


def test_run_jobs_caches_each_result_under_its_job(tmp_path, monkeypatch):
    monkeypatch.setenv("EQLIB_CACHE", str(tmp_path))
    first = run_jobs([tiny_job()])
    (cached,) = list(tmp_path.glob("apc-job-*.json"))
    assert json.loads(cached.read_text()) == first[0]

    def no_training(job, splits=None):
        raise AssertionError("a cached job trained again")

    monkeypatch.setattr("eqlib.models.apc_protocol.run_job", no_training)
    assert run_jobs([tiny_job()]) == first
    with pytest.raises(AssertionError, match="trained again"):  # another missing rate is another job
        run_jobs([tiny_job(data={"missing_rate": 0.5, "positive_rate": 0.3, "length": 12})])
    with pytest.raises(ValueError, match="workers"):
        run_jobs([tiny_job()], workers=0)


def test_the_cache_key_follows_the_data_not_only_the_knobs(tmp_path, monkeypatch):
    monkeypatch.setenv("EQLIB_CACHE", str(tmp_path))
    run_jobs([tiny_job()])
    monkeypatch.setattr("eqlib.models.apc_protocol.run_job", lambda job, splits=None: {"trained": "again"})
    original = SOURCES["simulation"]
    noisier = lambda n, seed, **data: original(n, seed, **data, sigma=0.5)
    monkeypatch.setitem(SOURCES, "simulation", noisier)
    assert run_jobs([tiny_job()]) == [{"trained": "again"}]
    assert data_fingerprint(job_splits(tiny_job())) != data_fingerprint(job_splits(tiny_job(seed=1)))
