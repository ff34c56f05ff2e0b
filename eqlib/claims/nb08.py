"""Notebook 08's claims (see ``eqlib.claims.core`` for the kinds, the health check and the verdicts)."""

from __future__ import annotations

from eqlib.claims._shared import difference
from eqlib.claims.core import (
    INCONCLUSIVE,
    UNTESTED,
    Claim,
    Effect,
    above,
    all_of,
    exceeds,
)

# fast-run regression: tolerances other than the default, per quantity (None: not compared), and the quantities
# a fast run does not measure, with the reason
FAST_TOLERANCES: dict[str, dict[str, float] | None] = {}
FAST_UNMEASURED: dict[str, str] = {}

NOTEBOOK = "08"

CLAIMS: tuple[Claim, ...] = (
    Claim(
        key="08.apc",
        statement="APC pre-training improves AUPRC for GRU and GRU-D on sparse, imbalanced series",
        paper="PhysioNet 2012 AUPRC (%): GRU 51.4, GRU-D 53.1, GRU-D + APC 55.1 (Wever et al. 2021)",
        rule="for both encoders, AUPRC above training from scratch (paired interval of the gain > 0)",
        test=lambda v, a: all_of(
            exceeds(v[f"{a}_gru"], v["scratch_gru"], 0.0, "GRU gain"),
            exceeds(v[f"{a}_grud"], v["scratch_grud"], 0.0, "GRU-D gain"),
        ),
        subject="apc",
        subject_text="APC pre-training, then the two fine-tuning stages",
        control="schedule",
        control_text="the same two stages from the untrained encoder APC starts from",
        suite="AUPRC, synthetic ICU stays, all labelled: GRU {scratch_gru:.3f} -> APC {apc_gru:.3f} (schedule only "
        "{schedule_gru:.3f}); GRU-D {scratch_grud:.3f} -> APC {apc_grud:.3f} (schedule only {schedule_grud:.3f})",
        quantities=(
            "scratch_gru",
            "apc_gru",
            "schedule_gru",
            "scratch_grud",
            "apc_grud",
            "schedule_grud",
            "chance_auprc",
        ),
        seeds={"fast": 1, "full": 5},
        expected={"fast": UNTESTED, "full": INCONCLUSIVE},
        tested_in_fast=False,
        contrast=lambda v: all_of(
            exceeds(v["apc_gru"], v["schedule_gru"], 0.0, "GRU: APC - schedule only"),
            exceeds(v["apc_grud"], v["schedule_grud"], 0.0, "GRU-D: APC - schedule only"),
        ),
        references=("scratch", "chance"),
        health=lambda v: all_of(
            above(v["schedule_gru"], v["chance_auprc"].mean + 0.1, "GRU AUPRC over the positive rate + 0.1"),
            above(v["schedule_grud"], v["chance_auprc"].mean + 0.1, "GRU-D AUPRC over the positive rate + 0.1"),
        ),
        health_text="it learned: AUPRC more than 0.1 above the positive rate (a random score's AUPRC), every seed",
        effect=Effect(
            0.02,
            "the paper's GRU-D + APC gain, 55.1 - 53.1 AUPRC points; it gives no GRU + APC number, so the same size "
            "is asked of the GRU",
        ),
        departures="synthetic PhysioNet-shaped stays (24 variables, 800 training stays) instead of PhysioNet "
        "2012; 8 APC epochs and 4 + 8 fine-tuning epochs instead of 100 each; stage 2 frozen as the paper "
        "says (the authors' code lets the outcome loss reach the encoder there); GRU without the authors' "
        "ReLU and layer norm",
        why="under the paper's protocol (every training stay labelled, APC on the same stays) the gains over "
        "training from scratch straddle zero: five paired seeds cannot see an effect the size of the paper's",
    ),
    Claim(
        key="08.sweep",
        statement="APC's gains are largest where high missingness and severe class imbalance combine",
        paper="synthetic sweep, missingness 0/30/60 %, imbalance 1:1, 3:7, 1:20 (Wever et al. 2021, Fig. 2)",
        rule="for GRU and GRU-D, the AUPRC gain over training from scratch at 60 % missing and 1:20 exceeds "
        "the gain at 0 % missing and 1:1 (paired interval > 0)",
        test=lambda v, a: all_of(
            exceeds(v[f"{a}_gru_gain_hard"], v[f"{a}_gru_gain_easy"], 0.0, "GRU: gain hard - gain easy"),
            exceeds(v[f"{a}_grud_gain_hard"], v[f"{a}_grud_gain_easy"], 0.0, "GRU-D: gain hard - gain easy"),
        ),
        subject="apc",
        subject_text="APC pre-training, then the two fine-tuning stages",
        control="schedule",
        control_text="the same two stages from the untrained encoder",
        suite="AUPRC gain over scratch, simulated series: GRU {apc_gru_gain_easy:.3f} (0 %, 1:1) vs "
        "{apc_gru_gain_hard:.3f} (60 %, 1:20); GRU-D {apc_grud_gain_easy:.3f} vs {apc_grud_gain_hard:.3f}",
        quantities=(
            "apc_gru_gain_easy",
            "apc_gru_gain_hard",
            "apc_grud_gain_easy",
            "apc_grud_gain_hard",
            "schedule_gru_gain_easy",
            "schedule_gru_gain_hard",
            "schedule_grud_gain_easy",
            "schedule_grud_gain_hard",
            "schedule_gru_lift_easy",
            "schedule_gru_lift_hard",
            "schedule_grud_lift_easy",
            "schedule_grud_lift_hard",
        ),
        seeds={"fast": 1, "full": 3},
        expected={"fast": UNTESTED, "full": UNTESTED},
        tested_in_fast=False,
        contrast=lambda v: all_of(
            exceeds(
                difference(v["apc_gru_gain_hard"], v["apc_gru_gain_easy"]),
                difference(v["schedule_gru_gain_hard"], v["schedule_gru_gain_easy"]),
                0.0,
                "GRU: growth of the gain, APC - schedule only",
            ),
            exceeds(
                difference(v["apc_grud_gain_hard"], v["apc_grud_gain_easy"]),
                difference(v["schedule_grud_gain_hard"], v["schedule_grud_gain_easy"]),
                0.0,
                "GRU-D: growth of the gain, APC - schedule only",
            ),
        ),
        health=lambda v: all_of(
            *(
                above(v[f"schedule_{enc}_lift_{end}"], 0.1, f"{enc}, {end} corner: share of the way to AUPRC 1", ".2f")
                for enc in ("gru", "grud")
                for end in ("easy", "hard")
            )
        ),
        health_text="it learned in both corners: AUPRC more than a tenth of the way from the positive rate to 1, "
        "every seed",
        effect=Effect(
            0.02,
            "the suite's choice, 2 AUPRC points of difference in gains (the paper's sweep is a figure, no numbers)",
        ),
        departures="the authors' simulation re-implemented (400 training series of 100 steps, validation "
        "and test series drawn afresh); 10 APC epochs and 5 + 20 fine-tuning epochs instead of 100 each; "
        "GRU-D at the two corners only; three seeds (the paper's figure: median and extremes over runs)",
        why="the schedule-only control sits near chance in the corners (it did not learn there), so it is no near "
        "miss; the APC gains in the two corners are printed above",
    ),
)
