"""Notebook 05's claims (see ``eqlib.claims.core`` for the kinds, the health check and the verdicts)."""

from __future__ import annotations

from eqlib.claims._shared import difference
from eqlib.claims.core import (
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

NOTEBOOK = "05"

CLAIMS: tuple[Claim, ...] = (
    Claim(
        key="05.clusters",
        statement="A TVAE on a torus, trained without labels, grows category-selective units (Cohen's d >= "
        "0.85) that sit in clusters",
        paper="",
        rule="at least 8 selective units on every seed, and the share of selective units with a selective "
        "neighbour for the same category above the 95th percentile of its permutation null (same count per "
        "category; lower end of the paired 95% interval over seeds)",
        test=lambda v, a: all_of(
            above(v[f"{a}_selective"], 7.5, "selective units", ".0f"),
            exceeds(v[f"{a}_neighbour_share"], v[f"{a}_null95_share"], 0.0, "share - null 95th percentile"),
        ),
        subject="tvae",
        subject_text="the TVAE (5 x 5 neighbourhood)",
        control="local",
        control_text="the same TVAE with a one-unit neighbourhood",
        suite="selective unit-category pairs: TVAE {tvae_selective:.0f}, one-unit "
        "neighbourhood {local_selective:.0f}, VAE {vae_selective:.0f}; share with a selective neighbour: "
        "{tvae_neighbour_share:.2f} / {local_neighbour_share:.2f} / {vae_neighbour_share:.2f} (null 95th "
        "percentile {tvae_null95_share:.2f} / {local_null95_share:.2f} / {vae_null95_share:.2f})",
        quantities=(
            "tvae_selective",
            "local_selective",
            "vae_selective",
            "tvae_neighbour_share",
            "local_neighbour_share",
            "vae_neighbour_share",
            "tvae_null95_share",
            "local_null95_share",
            "vae_null95_share",
        ),
        seeds={"fast": 1, "full": 3},
        expected={"fast": UNTESTED, "full": UNTESTED},
        why="the one-unit TVAE collapses (no selective units on any seed), so it is no near miss; and a smooth map "
        "passes the clustering half against a scattered null, so the near miss must be a TVAE that grows selective "
        "units without topography (a scrambled neighbourhood), judged against a smooth null",
        contrast=lambda v: exceeds(
            difference(v["tvae_neighbour_share"], v["tvae_null95_share"]),
            difference(v["local_neighbour_share"], v["local_null95_share"]),
            0.0,
            "TVAE - one-unit TVAE, share above the null",
        ),
        references=("vae",),
        health=lambda v: above(v["local_selective"], 7.5, "selective units", ".0f"),
        health_text="it grew category-selective units: at least 8 on every seed",
        effect=Effect(0.1, "the suite's choice, a tenth of the selective units; the paper shows maps, no share"),
        departures="procedural 32 x 32 drawings instead of AlexNet features of photographs; a 16 x 16 torus with "
        "a 5 x 5 neighbourhood instead of 64 x 64 with 25 x 25",
    ),
)
