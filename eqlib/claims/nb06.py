"""Notebook 06's claims (see ``eqlib.claims.core`` for the kinds, the health check and the verdicts)."""

from __future__ import annotations

import numpy as np

from eqlib.claims._shared import zeros_like
from eqlib.claims.core import (
    HOLDS,
    INCONCLUSIVE,
    UNTESTED,
    Claim,
    Decision,
    Effect,
    Measure,
    above,
    all_of,
    below,
    exceeds,
)

# fast-run regression: tolerances other than the default, per quantity (None: not compared), and the quantities
# a fast run does not measure, with the reason
FAST_TOLERANCES: dict[str, dict[str, float] | None] = {}
FAST_UNMEASURED: dict[str, str] = {}

NOTEBOOK = "06"

FW_LSTM_DEPARTS = "the FW-LSTM follows the paper's equations, not the authors' released cell"


def speedup(values: dict[str, Measure], reference: str, arm: str, steps: str = "steps_to_90") -> Measure:
    """``log2`` of the reference's steps over the arm's, per seed: 1 means the arm needs half the steps."""
    return Measure(np.log2(values[f"{reference}_{steps}"].values / values[f"{arm}_{steps}"].values))


def faster(values: dict[str, Measure], reference: str, arm: str, margin: float, what: str, steps: str) -> Decision:
    """The arm's ``log2`` speed-up over the reference has its paired interval above ``margin``."""
    gain = speedup(values, reference, arm, steps)
    return exceeds(gain, zeros_like(gain), margin, what, ".2f")


CLAIMS: tuple[Claim, ...] = (
    Claim(
        key="06.memory",
        statement="A fast-weight memory makes an LSTM learn associative retrieval much faster: the FW-LSTM reaches "
        "90 % accuracy in at most half the steps of the LN-LSTM",
        paper="FW-LSTM trains much faster than the LN-LSTM on associative retrieval (Keller, Sridhar, Wang 2018)",
        rule="steps until the running batch accuracy (25-step mean on fresh batches) reaches 0.9, paired per seed: "
        "log2(LN-LSTM's steps / the arm's steps) has its 95 % interval above 1 (at least twice as fast)",
        test=lambda v, a: faster(v, "ln_lstm", a, 1.0, "log2 speed-up over the LN-LSTM", "steps_to_90"),
        subject="fw_lstm",
        subject_text="the FW-LSTM",
        control="lstm",
        control_text="the same cell with the memory off (eta = 0), same seeds, trained until it reaches 90 % too",
        suite="K = {task_speed_pairs:.0f}, every arm trained until 90 % (cap {task_speed_cap:.0f} steps); steps to "
        "90 %: FW-LSTM {fw_lstm_steps_to_90:.0f}, LSTM (memory off) {lstm_steps_to_90:.0f}, LN-LSTM "
        "{ln_lstm_steps_to_90:.0f}, fast-weight RNN {fw_rnn_steps_to_90:.0f}",
        quantities=(
            "fw_lstm_steps_to_90",
            "lstm_steps_to_90",
            "ln_lstm_steps_to_90",
            "fw_rnn_steps_to_90",
            "task_speed_pairs",
            "task_speed_cap",
        ),
        seeds={"fast": 1, "full": 5},
        expected={"fast": UNTESTED, "full": HOLDS},
        tested_in_fast=False,
        contrast=lambda v: exceeds(
            speedup(v, "lstm", "fw_lstm"),
            zeros_like(v["fw_lstm_steps_to_90"]),
            1.0,
            "log2 speed-up of the FW-LSTM over the LSTM (memory off)",
            ".2f",
        ),
        references=("ln_lstm", "fw_rnn", "task"),
        health=lambda v: all_of(
            below(v["lstm_steps_to_90"], v["task_speed_cap"].mean, "steps to 90 % within the cap", ".0f"),
            below(v["ln_lstm_steps_to_90"], v["task_speed_cap"].mean, "the LN-LSTM's steps within the cap", ".0f"),
        ),
        health_text="it learned to bind: its running accuracy reaches 90 % within the cap on every seed, and so does "
        "the LN-LSTM the rule measures against (no step count is censored)",
        effect=Effect(1.0, "the suite's choice, twice as fast (log2 ratio 1); the paper says 'much faster'"),
        departures="speed measured at K = 3, where the LSTMs without a memory reach 90 % within a CPU budget "
        "(the paper: K up to 8 with longer training); fresh batches instead of the authors' fixed training set; "
        "a run stops at the end of the 50-step epoch in which it reaches 90 %; hidden 64, batch 128, Adam 1e-3 "
        "for every arm; " + FW_LSTM_DEPARTS,
    ),
    Claim(
        key="06.rnn_speed",
        statement="The FW-LSTM also learns faster than the fast-weight RNN of the same hidden size, beyond what the "
        "LSTM's extra parameters buy",
        paper="FW-LSTM trains much faster than the fast-weight RNN (Keller, Sridhar, Wang 2018)",
        rule="in the same race (every arm until its running batch accuracy reaches 0.9), paired per seed: "
        "log2(fast-weight RNN's steps / the arm's steps) has its 95 % interval above 0",
        test=lambda v, a: faster(v, "fw_rnn", a, 0.0, "log2 speed-up over the fast-weight RNN", "steps_to_90"),
        subject="fw_lstm",
        subject_text="the FW-LSTM",
        control="fw_rnn_matched",
        control_text="the fast-weight RNN widened to the FW-LSTM's parameter count (same memory read, no gates)",
        suite="K = {task_speed_pairs:.0f}, every arm until 90 %; steps to 90 %: FW-LSTM {fw_lstm_steps_to_90:.0f}, "
        "fast-weight RNN {fw_rnn_steps_to_90:.0f}, widened fast-weight RNN {fw_rnn_matched_steps_to_90:.0f}",
        quantities=(
            "fw_lstm_steps_to_90",
            "fw_rnn_matched_steps_to_90",
            "fw_rnn_steps_to_90",
            "task_speed_pairs",
            "task_speed_cap",
        ),
        seeds={"fast": 1, "full": 5},
        expected={"fast": UNTESTED, "full": INCONCLUSIVE},
        why="in the race the FW-LSTM and the fast-weight RNN of its width reach 90 % in about the same number of "
        "steps, and the widened fast-weight RNN in no more: five paired seeds see neither a speed-up over the "
        "fast-weight RNN nor a difference from the widened RNN, so the paper's 'much faster' than the fast-weight "
        "RNN is not reproduced at this difficulty",
        tested_in_fast=False,
        contrast=lambda v: exceeds(
            speedup(v, "fw_rnn_matched", "fw_lstm"),
            zeros_like(v["fw_lstm_steps_to_90"]),
            0.0,
            "log2 speed-up of the FW-LSTM over the widened fast-weight RNN",
            ".2f",
        ),
        references=("fw_rnn", "task"),
        health=lambda v: all_of(
            below(v["fw_rnn_matched_steps_to_90"], v["task_speed_cap"].mean, "steps to 90 % within the cap", ".0f"),
            below(v["fw_rnn_steps_to_90"], v["task_speed_cap"].mean, "the reference's steps within the cap", ".0f"),
        ),
        health_text="it learned to bind: its running accuracy reaches 90 % within the cap on every seed, and so does "
        "the fast-weight RNN the rule measures against (no step count is censored)",
        effect=Effect(0.5, "the suite's choice, 1.4 times as fast (log2 ratio 0.5); the paper says 'much faster'"),
        departures="judged in the K = 3 race, where no run is censored; the paper compares at equal hidden units, "
        "and the widened fast-weight RNN (the FW-LSTM's parameters, and a larger memory, 122 x 122 against 64 x 64) "
        "is the suite's control for the FW-LSTM's 2.2x parameters; fresh batches instead of a fixed training set; "
        + FW_LSTM_DEPARTS,
    ),
    Claim(
        key="06.harder",
        statement="The FW-LSTM's lead over the fast-weight RNN is largest at high difficulty: positive at the "
        "largest K and growing with K",
        paper="the FW-LSTM's boost is most prominent at high memory task difficulties (Keller, Sridhar, Wang 2018)",
        rule="over paired seeds, the test-accuracy lead over the fast-weight RNN (same hidden size) at the largest "
        "K has its 95 % interval above 0, and its growth (the least-squares slope of the lead over every K of the "
        "sweep, times the range of K) has it above 0.05",
        test=lambda v, a: all_of(
            exceeds(v[f"{a}_lead_hard"], zeros_like(v[f"{a}_lead_hard"]), 0.0, "lead at the largest K"),
            exceeds(v[f"{a}_lead_growth"], zeros_like(v[f"{a}_lead_growth"]), 0.05, "growth of the lead over K"),
        ),
        subject="fw_lstm",
        subject_text="the FW-LSTM",
        control="fw_rnn_matched",
        control_text="the fast-weight RNN widened to the FW-LSTM's parameter count: its lead over the same "
        "fast-weight RNN",
        suite="lead over the fast-weight RNN at the largest K, and its growth over K: FW-LSTM {fw_lstm_lead_hard:.3f}, "
        "{fw_lstm_lead_growth:.3f}; widened fast-weight RNN {fw_rnn_matched_lead_hard:.3f}, "
        "{fw_rnn_matched_lead_growth:.3f}",
        quantities=(
            "fw_lstm_lead_hard",
            "fw_lstm_lead_growth",
            "fw_rnn_matched_lead_hard",
            "fw_rnn_matched_lead_growth",
            "fw_rnn_matched_accuracy_easy",
            "fw_rnn_matched_accuracy_hard",
        ),
        seeds={"fast": 1, "full": 5},
        expected={"fast": UNTESTED, "full": UNTESTED},
        why="the widened fast-weight RNN, the control for the FW-LSTM's extra parameters, fails to bind at the largest "
        "K on most seeds within its budget (wider is less stable for this cell here), so it is no near miss where the "
        "claim is decided; the FW-LSTM's own lead at the largest K is positive and grows with K, with the growth's "
        "interval straddling its 0.05 margin at five seeds",
        tested_in_fast=False,
        contrast=lambda v: all_of(
            exceeds(
                v["fw_lstm_lead_hard"],
                v["fw_rnn_matched_lead_hard"],
                0.0,
                "lead at the largest K, FW-LSTM - widened fast-weight RNN",
            ),
            exceeds(
                v["fw_lstm_lead_growth"],
                v["fw_rnn_matched_lead_growth"],
                0.0,
                "growth of the lead, FW-LSTM - widened fast-weight RNN",
            ),
        ),
        health=lambda v: all_of(
            above(v["fw_rnn_matched_accuracy_easy"], 0.9, "smallest K: test accuracy"),
            above(v["fw_rnn_matched_accuracy_hard"], 0.5, "largest K: test accuracy"),
        ),
        health_text="it learned to bind: above 90 % at the smallest K and more than half the answers at the largest "
        "K (the most frequent value scores about 0.26 there), on every seed",
        effect=Effect(0.1, "the suite's choice, a tenth of the answers; the paper shows curves, no number"),
        departures="difficulty is the number of pairs K in {4, 8, 12} with one-letter keys; 1,000 steps at K = 4 "
        "and 8, 2,000 at K = 12, on fresh batches (the authors: a fixed training set), so the lead also measures "
        "learning speed; the widened fast-weight RNN has the FW-LSTM's parameters and a larger memory (122 x 122); "
        "the paper's harder variant (mART) is not built here; " + FW_LSTM_DEPARTS,
    ),
)
