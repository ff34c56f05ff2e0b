"""Notebook 03's claims (see ``eqlib.claims.core`` for the kinds, the health check and the verdicts)."""

from __future__ import annotations

from collections.abc import Mapping

from eqlib.claims.core import (
    FAILS,
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

NOTEBOOK = "03"


def healthy_lambda_zero(v: Mapping[str, Measure]) -> Decision:
    """DUET with lambda = 0 learned: its digit probe beats the untrained backbone's (paired interval > 0)."""
    return exceeds(v["unstructured_accuracy"], v["untrained_accuracy"], 0.0, "lambda = 0 - untrained, digit probe")


HEALTHY_LAMBDA_ZERO_TEXT = "it learned: its digit probe on f(x) beats the untrained backbone's (paired interval > 0)"


def healthy_generation_control(v: Mapping[str, Measure]) -> Decision:
    """DUET with lambda = 0 learned, and so did its decoder: fed the control's own bins of the true turned view, its
    decodes keep the source's digit more often than the template that ignores the digit (paired interval > 0)."""
    return all_of(
        healthy_lambda_zero(v),
        exceeds(
            v["unstructured_oracle_digit"],
            v["template_generation_digit"],
            0.0,
            "lambda = 0 decodes from its own bins of the true view - mean-digit template, digit kept",
        ),
    )


CLAIMS: tuple[Claim, ...] = (
    Claim(
        key="03.transformation",
        statement="DUET keeps the rotation that SimCLR's loss discards",
        paper="",
        rule="the angle read by a linear readout from the group head's bins (where DUET's group loss acts) with a "
        "mean error < 60 degrees (chance 90) on every seed",
        test=lambda v, a: below(v[f"{a}_angle"], 60.0, "angle error (deg)", ".1f"),
        subject="duet",
        subject_text="DUET",
        control="unstructured",
        control_text="DUET with lambda = 0 (its group loss off), same architecture, views and budget",
        references=("simclr", "essl", "untrained"),
        suite="angle error where the loss acts (chance 90 deg): DUET {duet_angle:.0f}, lambda = 0 "
        "{unstructured_angle:.0f}, untrained DUET {untrained_angle:.0f}, SimCLR {simclr_angle:.0f}, "
        "ESSL {essl_angle:.0f} (quarter turns {essl_quarter_angle:.0f}); in f(x), where every method keeps it: DUET "
        "{duet_angle_fx:.0f}, SimCLR {simclr_angle_fx:.0f}, ESSL {essl_angle_fx:.0f}; ESSL's heads on their own "
        "tasks: angle in +-90 deg {essl_head_error:.0f} deg off, quarter turns {essl_quarter:.2f} (4-way)",
        quantities=(
            "duet_angle",
            "unstructured_angle",
            "unstructured_accuracy",
            "untrained_accuracy",
            "untrained_angle",
            "simclr_angle",
            "essl_angle",
            "duet_angle_fx",
            "simclr_angle_fx",
            "essl_angle_fx",
            "essl_head_error",
            "essl_quarter",
            "essl_quarter_angle",
        ),
        seeds={"fast": 1, "full": 3},
        expected={"fast": UNTESTED, "full": HOLDS},
        tested_in_fast=False,
        contrast=lambda v: exceeds(
            v["unstructured_angle"], v["duet_angle"], 0.0, "lambda = 0 - DUET angle error (deg)", ".1f"
        ),
        health=healthy_lambda_zero,
        health_text=HEALTHY_LAMBDA_ZERO_TEXT,
        effect=Effect(10.0, "the suite's choice, a ninth of the 90-degree chance error; the paper reports none"),
        departures="a small CNN and a 2-layer head on 4,000 coloured MNIST digits for 10 epochs, no crops, "
        "lambda 10 (the paper: ResNets on CIFAR-10, STL-10 and others; the authors' rotation run uses lambda "
        "1000), Adam 1e-3 at batch 128 (the authors: AdamW 4e-4, cosine schedule, batch 1024); projections read "
        "after normalisation; ESSL regresses one angle in +-90 deg per digit and step (the authors' code turns "
        "half-size crops); SimCLR's projection, trained to drop the angle, and f(x), where every method keeps it, "
        "are reference lines",
    ),
    Claim(
        key="03.generation",
        statement="DUET's structured representation allows controlled generation",
        paper="",
        rule="with the code's handle set to a new angle (DUET: its bins set to the angle's target, for a decoder "
        "trained on its content and its own bins), the decodes are read at that angle (nearest of 8 multiples of 45 "
        "degrees) and as the source's digit by two judges trained on real views, at least half as often as the real "
        "turned digits, on every seed",
        test=lambda v, a: above(
            v[f"{a}_generation_joint"], 0.5 * v["real_joint"].mean, "decodes showing the asked angle and digit", ".3f"
        ),
        subject="duet",
        subject_text="DUET, its bins set to the asked angle's target",
        control="unstructured",
        control_text="DUET with lambda = 0, decoder trained the same way on its own bins, which are set at test time to "
        "the mean of its own bins over training views at the asked angle (a handle inside what its decoder saw)",
        references=("real", "projection", "informed", "essl", "edit", "template", "labelled", "untrained"),
        suite="decodes showing the asked angle and digit (real turned digits {real_joint:.2f}): DUET "
        "{duet_generation_joint:.2f} (angle {duet_generation_accuracy:.2f}, digit {duet_generation_digit:.2f}; "
        "with its own-bin handle {duet_own_handle_joint:.2f}), lambda = 0 {unstructured_generation_joint:.2f} (angle "
        "{unstructured_generation_accuracy:.2f}; bins set to targets {unstructured_target_joint:.2f}); SimCLR "
        "projection + target bins {projection_generation_joint:.2f}, SimCLR readout edit {edit_generation_joint:.2f}; "
        "handed the true angle: SimCLR {informed_generation_joint:.2f}, ESSL {essl_informed_generation_joint:.2f}; "
        "templates: mean digit {template_generation_joint:.2f} (angle {template_generation_accuracy:.2f}), class mean "
        "{labelled_generation_joint:.2f}; pixel MSE DUET {duet_generation_mse:.4f}, lambda = 0 "
        "{unstructured_generation_mse:.4f}, mean-digit template {template_generation_mse:.4f}",
        quantities=(
            "duet_generation_joint",
            "unstructured_generation_joint",
            "real_joint",
            "duet_generation_accuracy",
            "duet_generation_digit",
            "duet_own_handle_joint",
            "unstructured_generation_accuracy",
            "unstructured_target_joint",
            "unstructured_oracle_digit",
            "projection_generation_joint",
            "informed_generation_joint",
            "essl_informed_generation_joint",
            "edit_generation_joint",
            "template_generation_accuracy",
            "template_generation_digit",
            "template_generation_joint",
            "labelled_generation_joint",
            "duet_generation_mse",
            "unstructured_generation_mse",
            "template_generation_mse",
            "unstructured_accuracy",
            "untrained_accuracy",
        ),
        seeds={"fast": 1, "full": 3},
        expected={"fast": UNTESTED, "full": FAILS},
        tested_in_fast=False,
        why="DUET's decodes show the asked angle about as often as the real turned digits, and the contrast shows the "
        "group loss gives that handle; but the digit judge reads the source's digit in about a quarter of them against "
        "three quarters of the real turned digits. The decoders reading SimCLR's 512 features keep the digit only a "
        "little more often (under a third), and the class-mean template, told the digit, is read as it in under half: "
        "the small pixel-MSE decoders draw digits too blurred for the judge, so at this budget the claim fails on the "
        "drawing more than on DUET's handle",
        contrast=lambda v: exceeds(
            v["duet_generation_joint"], v["unstructured_generation_joint"], 0.0, "DUET - lambda = 0"
        ),
        health=healthy_generation_control,
        health_text="it learned: its digit probe on f(x) beats the untrained backbone's, and its decoder, fed its own "
        "bins of the true turned view, keeps the digit more often than the mean-digit template (paired intervals > 0)",
        effect=Effect(0.1, "the suite's choice, a tenth of the decodes; the paper reports reconstruction error"),
        departures="the paper reports reconstruction error (pixel MSE, printed beside; a template that ignores the "
        "digit scores well on it); here two judges trained on real turned digits, one of 8 angles, one of the 10 "
        "digits, score decoders trained on pairs of views",
    ),
    Claim(
        key="03.content",
        statement="DUET keeps the content: its digit accuracy is on par with SimCLR's",
        paper="",
        rule="digit probe not more than 0.02 below SimCLR's (paired interval of the difference > -0.02)",
        test=lambda v, a: exceeds(v[f"{a}_accuracy"], v["simclr_accuracy"], -0.02, "difference to SimCLR"),
        subject="duet",
        subject_text="DUET",
        control="unstructured",
        control_text="DUET with lambda = 0 (its group loss off), same architecture and budget",
        references=("simclr", "essl", "untrained"),
        suite="digit probe: DUET {duet_accuracy:.3f}, lambda = 0 {unstructured_accuracy:.3f}, SimCLR "
        "{simclr_accuracy:.3f}, ESSL {essl_accuracy:.3f} (quarter turns {essl_quarter_accuracy:.3f}), untrained "
        "{untrained_accuracy:.3f}",
        quantities=(
            "duet_accuracy",
            "simclr_accuracy",
            "unstructured_accuracy",
            "untrained_accuracy",
            "essl_accuracy",
            "essl_quarter_accuracy",
        ),
        seeds={"fast": 1, "full": 3},
        expected={"fast": UNTESTED, "full": INCONCLUSIVE},
        contrast=lambda v: exceeds(
            v["duet_accuracy"], v["unstructured_accuracy"], -0.02, "DUET - lambda = 0 (cost of the group loss)"
        ),
        health=healthy_lambda_zero,
        health_text=HEALTHY_LAMBDA_ZERO_TEXT,
        effect=Effect(0.02, "the rule's margin; the paper reports DUET's accuracy above SimCLR's"),
        why="a claim of parity, so its control is expected to keep the content too; at three seeds DUET's difference "
        "to SimCLR, the control's, and the cost of the group loss (the contrast) all straddle the 0.02 margin: "
        "neither shown on par nor shown worse",
        departures="a small CNN on 4,000 digits for 10 epochs, probe on f(x); the paper reports ResNets trained "
        "for hundreds of epochs",
    ),
)
