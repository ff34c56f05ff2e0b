"""Every rule of the registry can flip: per claim, one set of values it accepts and one it rejects.

The accepted set is the claim's committed full-run record, with per-claim changes where the run's verdict is not
``holds`` (each change says what it makes true). The rejected set hands the subject the control's values: a subject
with its mechanism removed must not get the verdict the mechanism earned. A claim whose control on the page is no
near miss (``control_flaw``) is flipped on its rule alone.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from eqlib.claims import CLAIMS, CONSTRUCTED, HOLDS, NOT_APPLICABLE, Claim, judge
from eqlib.results import read_record, recorded_values

ROOT = Path(__file__).resolve().parent.parent
ALL = [claim for claims in CLAIMS.values() for claim in claims]


def shifted(values: list[float], by: list[float] | float) -> list[float]:
    steps = by if isinstance(by, list) else [by] * len(values)
    return [v + s for v, s in zip(values, steps)]


def apc_values() -> dict:
    """08.apc: APC a consistent 0.05 above scratch and above schedule-only, which learned (far above chance)."""
    apc = {
        "scratch_gru": [0.48, 0.46, 0.51, 0.45, 0.48],
        "scratch_grud": [0.49, 0.45, 0.53, 0.47, 0.45],
        "chance_auprc": 0.14,
    }
    apc |= {
        f"apc_{enc}": shifted(apc[f"scratch_{enc}"], [0.05, 0.06, 0.05, 0.055, 0.06]) for enc in ("gru", "grud")
    } | {f"schedule_{enc}": shifted(apc[f"scratch_{enc}"], [0.0, 0.01, -0.005, 0.0, 0.005]) for enc in ("gru", "grud")}
    return apc


def sweep_values() -> dict:
    """08.sweep: APC's gain grows from the easy corner to the hard one, schedule-only's does not; both learned."""
    return {
        f"{arm}_{enc}_{end}": gains
        for enc in ("gru", "grud")
        for arm, end, gains in [
            ("apc", "easy", [0.0, 0.01, -0.01]),
            ("apc", "hard", [0.1, 0.12, 0.11]),
            ("schedule", "easy", [0.0, 0.01, 0.0]),
            ("schedule", "hard", [0.01, 0.0, 0.02]),
        ]
    } | {f"schedule_{enc}_lift_{end}": [0.5, 0.5, 0.5] for enc in ("gru", "grud") for end in ("easy", "hard")}


# Per claim whose run does not hold, the changes to its record that make its rule accept the subject beside a
# healthy control (claims that hold in their run are accepted as recorded).
ACCEPTED_CHANGES = {
    # H-SSL a consistent 0.01 above SimCLR: on par within the margin
    "02.learning": lambda v: {"hssl_probe": shifted(v["simclr_probe"], 0.01)},
    "02.pairs": lambda v: {"identical_loss_fall": [0.5, 0.5, 0.5]},
    # DUET with lambda = 0 healthy, and below SimCLR on content so the parity rule rejects it
    "03.content": lambda v: {
        "unstructured_accuracy": shifted(v["simclr_accuracy"], -0.05),
        "duet_accuracy": shifted(v["simclr_accuracy"], 0.01),
        "untrained_accuracy": shifted(v["simclr_accuracy"], -0.15),
    },
    "04.likelihood": lambda v: {"tvae_log_likelihood": shifted(v["vae_log_likelihood"], [1.0, 1.2, 0.9])},
    "04.two_transformations": lambda v: {"tvae_rotation_decode": 0.4},
    "05.clusters": lambda v: {"local_selective": [20.0, 20.0, 20.0]},
    "06.memory": lambda v: {"task_modal_accuracy": 0.2},
    "07.toy_likelihood": lambda v: {"frozen_gaussian_lead": [1.0, 1.0, 1.0]},
    "07.mnist_likelihood": lambda v: {
        "frozen_rise": [1.0, 1.0, 1.0],
        "snf_nll": shifted(v["exact_nll"], [1.0, 2.0, 1.5]),
    },
    "07.cost": lambda v: {"snf_speedup": [3.0, 3.1, 3.2, 3.05, 3.1]},
    "08.apc": lambda v: apc_values(),
    "08.sweep": lambda v: sweep_values(),
}


def committed_values(notebook: str) -> dict:
    path = next((ROOT / "notebooks").glob(f"{notebook}_*.ipynb"))
    return recorded_values(read_record(json.loads(path.read_text())))


def on_its_rule(claim: Claim) -> Claim:
    """The claim with a control on the page that is named as no near miss, judged on its rule alone."""
    if not claim.control_flaw:
        return claim
    return dataclasses.replace(claim, control_flaw="", health_text=f"{NOT_APPLICABLE}: the rule alone is flipped")


def with_controls_values(claim: Claim, values: dict) -> dict:
    """``values`` with every subject quantity replaced by the control's quantity of the same name, where there is one."""
    swapped = dict(values)
    for name in claim.quantities:
        if name.startswith(f"{claim.subject}_"):
            twin = f"{claim.control}_{name[len(claim.subject) + 1 :]}"
            if twin in values:
                swapped[name] = values[twin]
    return swapped


@pytest.mark.parametrize("claim", ALL, ids=[c.key for c in ALL])
def test_every_rule_accepts_one_set_and_rejects_the_subject_with_its_mechanism_removed(claim):
    record = committed_values(claim.key[:2])
    accepted = {**record, **ACCEPTED_CHANGES.get(claim.key, lambda v: {})(record)}
    judged = on_its_rule(claim)
    passing = judge(judged, accepted)
    assert passing.verdict in (HOLDS, CONSTRUCTED), (claim.key, passing.verdict, passing.reason)
    rejected = with_controls_values(claim, accepted)
    assert rejected != accepted, f"{claim.key}: the subject has no quantity of the control's to take"
    failing = judge(judged, rejected)
    assert failing.verdict != passing.verdict, (claim.key, failing.verdict)
