"""Results against the papers: what each notebook records, and the README table built from it.

Each notebook ends with ``record(...)``: the measured values go into the notebook's outputs as
JSON (mimetype ``application/vnd.eqlib.results+json``) next to a small table the reader sees.
``python -m eqlib.results`` (``make results``) reads those records from the committed,
full-mode notebooks and writes one table into README.md between two markers: for every claim,
the paper's number where it gives one, this suite's number from the run, whether the claim
holds in it, the device and the notebook's run time. The claims, the papers' numbers, the
sentence that states the suite's numbers and the test of each claim live in ``CLAIMS``; the
numbers in that sentence are the recorded values, nothing else.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import torch

MIMETYPE = "application/vnd.eqlib.results+json"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


@dataclass(frozen=True)
class Claim:
    """One row of the table.

    ``claim``: what the paper (or the line of work the notebook teaches) says, in a sentence.
    ``paper``: the paper's own number and where it comes from, or ``""`` when it gives none.
    ``suite``: a ``str.format`` template over the values the notebook records.
    ``holds``: whether the recorded values bear the claim out, by the test its notebook asserts
    (the thresholds are the suite's; the table prints yes or no).
    """

    claim: str
    paper: str
    suite: str
    holds: Callable[[Mapping[str, float]], bool]


CLAIMS: dict[str, tuple[Claim, ...]] = {
    "01": (
        Claim(
            "A group CNN is rotation-equivariant by construction; made invariant, its predictions do not "
            "change when the test digits rotate",
            "MNIST-rot test error: P4CNN 2.28%, plain CNN (Z2CNN) 5.03% (Cohen & Welling 2016; "
            "trained on rotated digits)",
            "equivariance error {p4_rotation_error:.1e}; trained upright, accuracy upright / rotated: "
            "P4CNN {p4_upright:.3f} / {p4_rotated:.3f}, plain CNN {cnn_upright:.3f} / {cnn_rotated:.3f}",
            lambda v: abs(v["p4_rotated"] - v["p4_upright"]) < 0.005 and v["cnn_upright"] - v["cnn_rotated"] > 0.1,
        ),
        Claim(
            "Invariance throws the pose away; equivariant features keep it",
            "",
            "rotation probe (chance 0.25): invariant embedding {probe_invariant:.3f}, "
            "equivariant pooled field {probe_field:.3f}",
            lambda v: v["probe_invariant"] < 0.35 and v["probe_field"] > v["probe_invariant"] + 0.2,
        ),
    ),
    "02": (
        Claim(
            "For an augmentation-homomorphic backbone the homomorphic loss equals the augmentation-based "
            "one, with one backbone pass instead of two",
            "",
            "NT-Xent difference {loss_gap:.1e}; backbone passes per step {hssl_passes:.0f} vs "
            "{simclr_passes:.0f}, {hssl_ms:.0f} vs {simclr_ms:.0f} ms",
            lambda v: v["loss_gap"] < 1e-4 and v["hssl_passes"] < v["simclr_passes"],
        ),
        Claim(
            "H-SSL learns as well as augmentation-based SSL; without representational structure it fails",
            "",
            "linear probe: H-SSL {hssl_probe:.3f}, SimCLR {simclr_probe:.3f}, structure removed "
            "{removed_probe:.3f}, random init {random_probe:.3f}",
            lambda v: v["hssl_probe"] > v["simclr_probe"] - 0.02 and v["removed_probe"] < v["random_probe"],
        ),
    ),
    "03": (
        Claim(
            "DUET and ESSL keep the transformation that SimCLR's loss discards",
            "",
            "angle / hue error where the loss acts (chance 90 deg): SimCLR {simclr_angle:.0f} / {simclr_hue:.0f}, "
            "ESSL {essl_angle:.0f} / {essl_hue:.0f}, DUET {duet_angle:.0f} / {duet_hue:.0f}",
            lambda v: max(v["duet_angle"], v["essl_angle"]) < v["simclr_angle"] - 20,
        ),
        Claim(
            "DUET's structured representation allows controlled generation",
            "",
            "pixel MSE to the transformed digit: DUET {duet_generation:.4f}, readout edits SimCLR "
            "{simclr_generation:.4f} / ESSL {essl_generation:.4f}, unedited DUET code {duet_no_control:.4f}",
            lambda v: v["duet_generation"] < min(v["simclr_generation"], 0.7 * v["duet_no_control"]),
        ),
        Claim(
            "at a small cost in content",
            "",
            "digit probe: SimCLR {simclr_accuracy:.3f}, ESSL {essl_accuracy:.3f}, DUET {duet_accuracy:.3f}",
            lambda v: v["duet_accuracy"] > max(v["simclr_accuracy"], v["essl_accuracy"]) - 0.1,
        ),
    ),
    "04": (
        Claim(
            "Topographic VAE capsules learn to roll with the input: far lower equivariance error than a VAE",
            "",
            "E_eq: TVAE {tvae_eq:.0f}, VAE {vae_eq:.0f}, no-roll TVAE {bubbles_eq:.0f}; best roll = s "
            "(chance 0.125): {tvae_roll:.2f} / {vae_roll:.2f} / {bubbles_roll:.2f}",
            lambda v: v["tvae_eq"] < v["vae_eq"] / 2 and v["tvae_roll"] > 2 * max(v["vae_roll"], v["bubbles_roll"]),
        ),
        Claim(
            "and a higher likelihood on transforming test sequences",
            "",
            "log p(x) per frame (nats): TVAE {tvae_log_likelihood:.1f}, VAE {vae_log_likelihood:.1f}",
            lambda v: v["tvae_log_likelihood"] >= v["vae_log_likelihood"],
        ),
        Claim(
            "Rolling the capsules decodes unseen frames of the sequence",
            "",
            "decode nearest to frame s: TVAE {tvae_decode:.2f}, VAE {vae_decode:.2f}",
            lambda v: v["tvae_decode"] > v["vae_decode"] + 0.3,
        ),
    ),
    "05": (
        Claim(
            "A TVAE on a torus, trained without labels, grows spatially clustered category-selective units "
            "(Cohen's d >= 0.85)",
            "",
            "Moran's I of the d-maps: TVAE {tvae_moran_min:.2f}-{tvae_moran_max:.2f}, VAE at most "
            "{vae_moran_max:.2f} (null sd {null_sd:.2f}); selective units faces / bodies / places / objects: "
            "TVAE {tvae_faces:.3f} / {tvae_bodies:.3f} / {tvae_places:.3f} / {tvae_objects:.3f}, "
            "VAE at most {vae_selective_max:.3f}",
            lambda v: (
                v["tvae_moran_min"] > v["vae_moran_max"] + 0.4
                and min(v[f"tvae_{c}"] for c in ("faces", "bodies", "places", "objects")) > v["vae_selective_max"]
            ),
        ),
    ),
    "06": (
        Claim(
            "A fast-weight memory in an LSTM learns associative retrieval faster and to a lower error",
            "",
            "test accuracy, K = {pairs:.0f}: FW-LSTM {fw_lstm:.3f}, fast-weight RNN {fw_rnn:.3f}, LSTM {lstm:.3f}; "
            "FW-LSTM at 50% batch accuracy after {fw_lstm_steps:.0f} of {budget:.0f} steps",
            lambda v: v["fw_lstm"] > max(v["fw_rnn"], v["lstm"] + 0.2),
        ),
        Claim(
            "the more so the harder the task",
            "",
            "FW-LSTM minus LSTM accuracy at K = {k_easy:.0f}: {gap_easy:.3f}, at K = {k_hard:.0f}: {gap_hard:.3f}",
            lambda v: v["gap_hard"] > v["gap_easy"],
        ),
    ),
    "07": (
        Claim(
            "A self normalizing flow reaches the exact flow's likelihood",
            "MNIST, 2-layer FC flow: 947.6 (exact) vs 947.1 nats (SNF) (Keller et al. 2021)",
            "MNIST, same flow, short training: {exact_nll:.1f} vs {snf_nll:.1f} nats; 2-D densities at most "
            "{toy_gap:.3f} nats apart",
            lambda v: abs(v["snf_nll"] - v["exact_nll"]) < 0.02 * v["exact_nll"] and v["toy_gap"] < 0.1,
        ),
        Claim(
            "without the O(D^3) log-determinant gradient",
            "",
            "O(D^3) routines per step, counted: exact {exact_cubic:.0f}, SNF {snf_cubic:.0f}; "
            "{exact_ms:.0f} vs {snf_ms:.0f} ms per MNIST step; one layer at D = {bench_dim:.0f}: "
            "{bench_ratio:.1f}x faster",
            lambda v: v["snf_cubic"] == 0 < v["exact_cubic"] and v["snf_ms"] < v["exact_ms"],
        ),
    ),
    "08": (
        Claim(
            "APC pre-training improves AUPRC for GRU and GRU-D on sparse, imbalanced series",
            "PhysioNet 2012 AUPRC (%): GRU 51.4, GRU-D 53.1, GRU-D + APC 55.1 (arXiv 2106.15577)",
            "synthetic stays, 5 seeds: GRU {gru:.3f} -> {gru_apc:.3f}, GRU-D {grud:.3f} -> {grud_apc:.3f}",
            lambda v: v["gru_apc"] > v["gru"] and v["grud_apc"] > v["grud"],
        ),
    ),
}


def required_values(notebook: str) -> set[str]:
    """The names of the values a notebook must record: the fields of its claims' templates."""
    if notebook not in CLAIMS:
        raise ValueError(f"notebook must be one of {sorted(CLAIMS)}, got {notebook!r}")
    return {field for claim in CLAIMS[notebook] for _, field, _, _ in string.Formatter().parse(claim.suite) if field}


def describe_device(device: torch.device | str) -> str:
    """``"CPU, 2 cores"`` or the GPU's name, for the table's device column."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "cpu":
        return f"CPU, {os.cpu_count()} cores"
    return device.type.upper()


def make_record(
    notebook: str,
    values: Mapping[str, float],
    *,
    seconds: float,
    device: torch.device | str,
    fast: bool,
    seed: int,
) -> dict:
    """The record of one run: ``{"notebook", "mode", "seed", "device", "seconds", "torch", "values"}``.

    ``values`` must hold exactly ``required_values(notebook)``, each a finite number (a metric that
    is NaN or infinite means the run went wrong, so it raises instead of being written down).
    """
    needed = required_values(notebook)
    missing, unknown = needed - set(values), set(values) - needed
    if missing or unknown:
        raise ValueError(
            f"notebook {notebook} records {sorted(needed)}; missing {sorted(missing)}, unknown {sorted(unknown)}"
        )
    clean = {}
    for name, value in values.items():
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"value {name!r} of notebook {notebook} must be finite, got {number}")
        clean[name] = number
    if not seconds > 0:
        raise ValueError(f"seconds must be the positive run time of the notebook, got {seconds}")
    return {
        "notebook": notebook,
        "mode": "fast" if fast else "full",
        "seed": int(seed),
        "device": describe_device(device),
        "seconds": round(float(seconds), 1),
        "torch": torch.__version__,
        "values": clean,
    }


def record(
    notebook: str,
    values: Mapping[str, float],
    *,
    seconds: float,
    device: torch.device | str,
    fast: bool,
    seed: int,
) -> None:
    """Put a notebook's measured values into its outputs, shown next to the claims they test.

    The arguments are ``make_record``'s; the record travels in the cell's output as JSON
    (``MIMETYPE``) beside a markdown table, which is what a reader sees.
    """
    _display(make_record(notebook, values, seconds=seconds, device=device, fast=fast, seed=seed))


def _display(result: dict) -> None:
    from IPython.display import display

    rows = [
        f"| {c.claim} | {c.paper or '-'} | {c.suite.format(**result['values'])} |" for c in CLAIMS[result["notebook"]]
    ]
    table = "\n".join(["| claim | paper | this run |", "| --- | --- | --- |", *rows])
    caption = f"\n\n{result['mode']} mode, seed {result['seed']}, {result['device']}, {result['seconds']:.0f} s"
    display({MIMETYPE: result, "text/markdown": table + caption}, raw=True)


def read_record(notebook: Mapping) -> dict:
    """The one record in a notebook's outputs (a notebook as loaded by ``json``/``nbformat``)."""
    found = [
        output["data"][MIMETYPE]
        for cell in notebook.get("cells", [])
        if cell.get("cell_type") == "code"
        for output in cell.get("outputs", [])
        if MIMETYPE in output.get("data", {})
    ]
    if len(found) != 1:
        raise ValueError(f"expected one results record ({MIMETYPE}) in the notebook's outputs, found {len(found)}")
    return found[0]


def results_table(records: list[dict]) -> str:
    """Markdown table: notebook, claim, paper, this suite's full run, whether it holds, device and run time."""
    lines = [
        "| # | claim | paper | this suite (full run) | holds here | device, run time |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for result in sorted(records, key=lambda r: r["notebook"]):
        if result["mode"] != "full":
            raise ValueError(
                f"notebook {result['notebook']} was recorded in {result['mode']} mode; the table takes full runs "
                "only (make execute)"
            )
        where = f"{result['device']}, {result['seconds'] / 60:.1f} min"
        for i, claim in enumerate(CLAIMS[result["notebook"]]):
            first = i == 0
            lines.append(
                f"| {result['notebook'] if first else ''} | {claim.claim} | {claim.paper or '-'} | "
                f"{claim.suite.format(**result['values'])} | {'yes' if claim.holds(result['values']) else 'no'} | "
                f"{where if first else ''} |"
            )
    return "\n".join(lines)


def replace_table(readme: str, table: str) -> str:
    """``readme`` with the text between the two markers replaced by ``table``."""
    start, stop = readme.find(BEGIN), readme.find(END)
    if start < 0 or stop < start:
        raise ValueError(f"README needs the markers {BEGIN} and {END}, in that order")
    return readme[: start + len(BEGIN)] + "\n" + table + "\n" + readme[stop:]


def collect(notebooks: list[Path]) -> list[dict]:
    """The records of the given committed notebooks, in order."""
    if not notebooks:
        raise ValueError("no notebooks given")
    return [read_record(json.loads(Path(path).read_text())) for path in notebooks]


def main(argv: list[str] | None = None) -> None:
    """Write the results table from ``notebooks/NN_*.ipynb`` into README.md."""
    from eqlib.runtime import repo_root

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--readme", type=Path, default=repo_root() / "README.md")
    parser.add_argument("--notebooks", type=Path, default=repo_root() / "notebooks")
    args = parser.parse_args(argv)
    table = results_table(collect(sorted(args.notebooks.glob("[0-9][0-9]_*.ipynb"))))
    args.readme.write_text(replace_table(args.readme.read_text(), table))
    print(f"wrote {len(table.splitlines()) - 2} rows into {args.readme}")


if __name__ == "__main__":
    main()
