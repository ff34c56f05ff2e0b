"""Notebook 01's claims (see ``eqlib.claims.core`` for the kinds, the health check and the verdicts)."""

from __future__ import annotations

from eqlib.claims._shared import ONE_SEED, abs_gap, difference
from eqlib.claims.core import (
    CONSTRUCTED,
    CONSTRUCTION,
    HOLDS,
    UNTESTED,
    Claim,
    Effect,
    above,
    all_of,
    below,
    exceeds,
)

# fast-run regression: tolerances other than the default, per quantity (None: not compared), and the quantities
# a fast run does not measure, with the reason
FAST_TOLERANCES: dict[str, dict[str, float] | None] = {}
FAST_UNMEASURED: dict[str, str] = {}

NOTEBOOK = "01"

CLAIMS: tuple[Claim, ...] = (
    Claim(
        key="01.invariance",
        statement="A group CNN made invariant by construction gives the same accuracy on rotated test digits",
        paper="",
        rule="upright test accuracy > 0.5 (it learned) and |upright - rotated accuracy| < 0.01",
        test=lambda v, a: all_of(
            above(v[f"{a}_upright"], 0.5, "upright accuracy"),
            below(abs_gap(v[f"{a}_upright"], v[f"{a}_rotated"]), 0.01, "|upright - rotated|"),
        ),
        subject="p4",
        subject_text="the P4CNN (invariant embedding)",
        control="cnn",
        control_text="plain CNN, same budget",
        suite="trained upright, accuracy upright / rotated: P4CNN {p4_upright:.3f} / {p4_rotated:.3f}, "
        "plain CNN {cnn_upright:.3f} / {cnn_rotated:.3f}",
        quantities=("p4_upright", "p4_rotated", "cnn_upright", "cnn_rotated"),
        seeds=ONE_SEED,
        expected={"fast": CONSTRUCTED, "full": CONSTRUCTED},
        kind=CONSTRUCTION,
        why="the embedding is invariant to quarter turns by how the network is built, so the gap is zero up to "
        "rounding whatever the network learned; the plain CNN is the reference that shows the check can fail",
    ),
    Claim(
        key="01.angles",
        statement="C4 buys invariance to quarter turns only: the group CNN's accuracy comes back exactly at 90 "
        "degrees and drops in between",
        paper="",
        rule="trained upright, test accuracy at 90 degrees within 0.005 of that at 0 degrees and at 45 degrees more "
        "than 0.05 below it (bilinear rotation of every test digit)",
        test=lambda v, a: all_of(
            below(abs_gap(v[f"{a}_acc90"], v[f"{a}_acc0"]), 0.005, "|acc(90) - acc(0)|"),
            exceeds(v[f"{a}_acc0"], v[f"{a}_acc45"], 0.05, "acc(0) - acc(45)"),
        ),
        subject="p4",
        subject_text="the P4CNN trained upright",
        control="cnn",
        control_text="the plain CNN, same training",
        suite="trained upright, accuracy at 0 / 45 / 90 degrees: P4CNN {p4_acc0:.3f} / {p4_acc45:.3f} / "
        "{p4_acc90:.3f}, plain CNN {cnn_acc0:.3f} / {cnn_acc45:.3f} / {cnn_acc90:.3f}",
        quantities=("p4_acc0", "p4_acc45", "p4_acc90", "cnn_acc0", "cnn_acc45", "cnn_acc90"),
        seeds=ONE_SEED,
        expected={"fast": CONSTRUCTED, "full": CONSTRUCTED},
        kind=CONSTRUCTION,
        why="the return at 90 degrees is exact by construction (a quarter turn permutes the group axis the "
        "embedding pools over); the dip at 45 degrees shows the construction's limit, not a learned effect",
    ),
    Claim(
        key="01.mnist_rot",
        statement="On MNIST-rot (random angles in training and test) a P4CNN has a lower test error than a plain "
        "CNN of about the same size",
        paper="MNIST-rot test error: P4CNN 2.28%, Z2CNN 5.03% (Cohen & Welling 2016)",
        rule="plain CNN test error - P4CNN test error > 0 points: the lower end of the 95% interval over 3 paired "
        "seeds (same digits, initial-weight seed and batches)",
        test=lambda v, a: exceeds(
            v[f"{a}_cnn_error"], v[f"{a}_p4_error"], 0.0, "plain CNN error - P4CNN error (points)", ".2f"
        ),
        subject="rot",
        subject_text="trained and tested on MNIST-rot",
        control="upright",
        control_text="the same networks, digits, seeds and budget, upright",
        suite="test error (%): MNIST-rot P4CNN {rot_p4_error:.2f}, plain CNN {rot_cnn_error:.2f}; upright P4CNN "
        "{upright_p4_error:.2f}, plain CNN {upright_cnn_error:.2f}",
        quantities=("rot_p4_error", "rot_cnn_error", "upright_p4_error", "upright_cnn_error"),
        seeds={"fast": 1, "full": 3},
        expected={"fast": UNTESTED, "full": HOLDS},
        contrast=lambda v: exceeds(
            difference(v["rot_cnn_error"], v["rot_p4_error"]),
            difference(v["upright_cnn_error"], v["upright_p4_error"]),
            0.0,
            "the P4CNN's gain, MNIST-rot - upright (points)",
            ".2f",
        ),
        health=lambda v: all_of(
            below(v["upright_cnn_error"], 10.0, "plain CNN upright test error (%)", ".2f"),
            below(v["upright_p4_error"], 10.0, "P4CNN upright test error (%)", ".2f"),
        ),
        health_text="both networks learned upright digits: test error below 10 % (chance 90 %)",
        effect=Effect(2.75, "the paper's P4CNN gain on MNIST-rot, 5.03 - 2.28 points"),
        departures="MNIST digits rotated here by uniform random angles with bilinear interpolation (the paper: "
        "Larochelle et al.'s MNIST-rot); 10,000 training and 10,000 test digits, no validation set (the paper: "
        "10,000 / 2,000 / 50,000); 3-layer networks, plain CNN 16/32/64 channels, P4CNN 8/16/32, batch norm, no "
        "dropout (the paper: 7 layers of 3x3 convolutions, Z2CNN 20 channels, P4CNN 10, batch norm, dropout, "
        "max-pool after layer 2); 5 epochs of Adam at a constant rate; 3 seeds",
    ),
    Claim(
        key="01.pose",
        statement="Invariance throws the pose away; equivariant features of the same network keep it",
        paper="",
        rule="a linear probe reads the quarter turn from the features with accuracy > 0.5 (chance 0.25)",
        test=lambda v, a: above(v[f"{a}_probe"], 0.5, "rotation probe accuracy"),
        subject="field",
        subject_text="the P4CNN's equivariant pooled field",
        control="invariant",
        control_text="the same P4CNN's invariant embedding",
        suite="rotation probe (chance 0.25): equivariant pooled field {field_probe:.3f}, "
        "invariant embedding {invariant_probe:.3f}",
        quantities=("field_probe", "invariant_probe"),
        seeds=ONE_SEED,
        expected={"fast": CONSTRUCTED, "full": CONSTRUCTED},
        kind=CONSTRUCTION,
        why="the invariant embedding cannot hold the turn by construction and the equivariant field permutes "
        "its orientation channels under it, so a probe reads it from any digit with an orientation",
    ),
)
