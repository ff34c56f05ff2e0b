"""Notebook 07's claims (see ``eqlib.claims.core`` for the kinds, the health check and the verdicts)."""

from __future__ import annotations

from eqlib.claims._shared import zeros_like
from eqlib.claims.core import (
    HOLDS,
    UNTESTED,
    Claim,
    Effect,
    above,
    all_of,
    below,
    exceeds,
    within,
)

# fast-run regression: tolerances other than the default, per quantity (None: not compared), and the quantities
# a fast run does not measure, with the reason
FAST_TOLERANCES: dict[str, dict[str, float] | None] = {
    name: None  # wall-clock times: they move with the machine and its load
    for name in ("snf_slope", "slogdet_slope", "exact_slope", "snf_speedup", "slogdet_speedup")
}
FAST_UNMEASURED: dict[str, str] = {}

NOTEBOOK = "07"

CLAIMS: tuple[Claim, ...] = (
    Claim(
        key="07.toy_likelihood",
        statement="A self normalizing flow reaches the exact flow's likelihood on 2-D densities",
        paper="",
        rule="held-out NLL at most 0.1 nats above the exact flow's on every toy density, for every one of the "
        "paired seeds (initial weights and batches)",
        test=lambda v, a: below(v[f"{a}_toy_excess"], 0.1, "largest NLL - exact NLL over the densities (nats)"),
        subject="snf",
        subject_text="the SNF",
        control="frozen",
        control_text="the same SNF with R frozen at its initial value",
        suite="largest NLL above the exact flow's: SNF {snf_toy_excess:.3f}, R frozen {frozen_toy_excess:.3f} nats; "
        "R frozen's smallest lead over one Gaussian {frozen_gaussian_lead:.2f} nats",
        quantities=("snf_toy_excess", "frozen_toy_excess", "frozen_gaussian_lead"),
        contrast=lambda v: exceeds(v["frozen_toy_excess"], v["snf_toy_excess"], 0.0, "R frozen - SNF excess (nats)"),
        health=lambda v: above(v["frozen_gaussian_lead"], 0.0, "smallest lead over one Gaussian (nats)", ".2f"),
        health_text="it learned each density: its held-out NLL beats one fitted Gaussian on every toy and seed",
        effect=Effect(0.1, "the rule's tolerance; the paper shows the toy densities, no number"),
        seeds={"fast": 1, "full": 3},
        expected={"fast": UNTESTED, "full": UNTESTED},
        why="with R frozen the flow ends worse than one Gaussian on the toys (it diverges), so it is no near miss; "
        "the SNF's own excess over the exact flow is printed above",
        tested_in_fast=False,
        departures="the suite's own toy flows: 6 linear layers with a learnable monotone elementwise bijection "
        "between them, initial W = I + 0.5 N(0, 1/D), Adam at 5e-3, 20,000 points for 10 epochs; the authors' toy "
        "experiments use their own flows and budgets",
    ),
    Claim(
        key="07.mnist_likelihood",
        statement="A self normalizing flow reaches the exact flow's likelihood on MNIST",
        paper="MNIST, 2-layer FC flow: 947.6 (exact) vs 947.1 nats (SNF) (Keller et al. 2021)",
        rule="held-out NLL above the exact flow's by less than 5 nats: the upper end of the paired 95% "
        "interval (with 3 seeds, mean + 2.48 sd of the per-seed gaps); 5 nats = 0.009 bits/dim, below the "
        "0.01 bits/dim to which flow likelihoods are reported",
        test=lambda v, a: within(v[f"{a}_nll"], v["exact_nll"], 5.0, "NLL - exact NLL (nats)", ".1f"),
        subject="snf",
        subject_text="the SNF (detached update, lambda = 0.1)",
        control="frozen",
        control_text="the same SNF with R frozen at its initial value",
        suite="MNIST NLL, exact flow vs SNFs trained for about equal time: exact {exact_nll:.1f}, SNF "
        "{snf_nll:.1f}, R frozen {frozen_nll:.1f} nats",
        quantities=("exact_nll", "snf_nll", "frozen_nll", "frozen_rise"),
        seeds={"fast": 1, "full": 3},
        expected={"fast": UNTESTED, "full": UNTESTED},
        why="with R frozen the flow's held-out NLL turns and climbs (it diverges), so it is no near miss; the SNF's "
        "own gap to the exact flow is printed above, its interval reaching past 5 nats at three seeds",
        tested_in_fast=False,
        departures="the detached update (R from reconstruction only), because the paper's update drifts at lr "
        "1e-3; 10,000 training digits, lr 1e-3 without warm-up, 2,000 (exact) and 3,000 (SNF) steps, "
        "the final model scored on 2,000 test digits; the authors train on 50,000 (10,000 for validation) at "
        "1e-4 after a 10-epoch warm-up, to convergence, and score the best validation epoch on all 10,000",
        contrast=lambda v: exceeds(v["frozen_nll"], v["snf_nll"], 0.0, "R frozen NLL - SNF NLL (nats)", ".1f"),
        references=("exact",),
        health=lambda v: below(v["frozen_rise"], 10.0, "final minus best held-out NLL (nats)", ".1f"),
        health_text="it does not diverge: its held-out NLL ends within 10 nats of the best it reached, on every seed",
        effect=Effect(5.0, "the rule's tolerance; the paper's SNF is 0.5 nats better than its exact flow"),
    ),
    Claim(
        key="07.cost",
        statement="Without the O(D^3) log-determinant gradient a training step is far cheaper at large D, "
        "and the saving grows with D",
        paper="",
        rule="over 5 timing rounds (each times every step at every D, interleaved): the exact step > 2x slower "
        "than this step at the largest D (2048), and this step's log-log slope over D = 512-2048 below the "
        "exact step's (the ratio grows with D); both on the lower end of the 95% interval over the rounds",
        test=lambda v, a: all_of(
            exceeds(
                v[f"{a}_speedup"],
                zeros_like(v[f"{a}_speedup"]),
                2.0,
                "exact / this step time at the largest D",
                ".2f",
            ),
            exceeds(v["exact_slope"], v[f"{a}_slope"], 0.0, "exact slope - this slope", ".2f"),
        ),
        subject="snf",
        subject_text="the SNF step",
        control="slogdet",
        control_text="the same SNF step that also computes slogdet(W)",
        suite="slope of the step time over D (exact {exact_slope:.2f}): SNF {snf_slope:.2f}, SNF + slogdet "
        "{slogdet_slope:.2f}; exact step time over: SNF {snf_speedup:.1f}x, SNF + slogdet {slogdet_speedup:.1f}x",
        quantities=("snf_slope", "slogdet_slope", "exact_slope", "snf_speedup", "slogdet_speedup"),
        references=("exact",),
        contrast=lambda v: all_of(
            exceeds(v["snf_speedup"], v["slogdet_speedup"], 0.0, "speed-up over the exact step, SNF - SNF + slogdet"),
            exceeds(v["slogdet_slope"], v["snf_slope"], 0.0, "slope, SNF + slogdet - SNF"),
        ),
        health_text="not applicable: nothing is trained; the control is the same step that also computes slogdet(W)",
        effect=Effect(
            1.0, "the suite's choice, the exact step costing one more SNF step; the paper reports other sizes", parts=1
        ),
        seeds={"fast": 1, "full": 5},
        expected={"fast": UNTESTED, "full": HOLDS},
        why="measured on the 2-core reference CPU with the notebook alone on it; with another job beside it the "
        "ratio at D = 2048 falls towards 2 and the verdict can turn inconclusive",
        tested_in_fast=False,
        departures="wall-clock times measured in the run, so a loaded machine moves them (the rounds' spread is "
        "part of the verdict); a short range of D; seeds are timing rounds",
    ),
)
