"""Results records: what a notebook must record, how the README table is built, and that it is current."""

import json
import math
from pathlib import Path

import pytest

from eqlib.claims import judge
from eqlib.claims.registry import fast_unmeasured
from eqlib.results import (
    BEGIN,
    CLAIMS,
    END,
    GPU_RUNS,
    MIMETYPE,
    NOT_MEASURED,
    load_gpu_runs,
    make_record,
    read_record,
    record,
    recorded_values,
    replace_table,
    required_values,
    results_table,
    store_gpu_run,
)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def values_for(notebook: str, value: float = 0.5) -> dict:
    return dict.fromkeys(required_values(notebook), value)


def test_every_notebook_has_claims_and_every_claim_reads_recorded_values():
    assert sorted(CLAIMS) == [p.name[:2] for p in NOTEBOOKS]
    for notebook, claims in CLAIMS.items():
        assert claims and required_values(notebook), notebook
        for claim in claims:
            assert claim.key.startswith(f"{notebook}.") and claim.statement and "{" in claim.suite, claim.key
            # the rule reads only the claim's quantities and decides both arms
            judgement = judge(claim, values_for(notebook))
            assert judgement.subject is not None and judgement.control is not None, claim.key


def test_a_record_holds_the_values_and_missing_unknown_or_nonfinite_ones_are_refused():
    result = make_record("08", values_for("08"), seconds=12.0, device="cpu", fast=True, seed=3)
    assert result["notebook"] == "08" and result["mode"] == "fast" and result["seed"] == 3
    assert result["values"] == values_for("08") and result["device"].startswith("CPU")
    with pytest.raises(ValueError, match="missing \\['apc_grud'\\]"):
        record(
            "08",
            {k: v for k, v in values_for("08").items() if k != "apc_grud"},
            seconds=1,
            device="cpu",
            fast=False,
            seed=0,
        )
    with pytest.raises(ValueError, match="unknown \\['extra'\\]"):
        record("08", {**values_for("08"), "extra": 1.0}, seconds=1, device="cpu", fast=False, seed=0)
    with pytest.raises(ValueError, match="must be finite"):
        record("08", {**values_for("08"), "apc_gru": math.inf}, seconds=1, device="cpu", fast=False, seed=0)
    # NaN is "not measured": a full run measures everything, and a fast run all but what its module exempts
    with pytest.raises(ValueError, match="must measure \\['apc_gru'\\]"):
        make_record("08", {**values_for("08"), "apc_gru": [0.4, math.nan]}, seconds=1, device="cpu", fast=False, seed=0)
    with pytest.raises(ValueError, match="a fast run must measure"):
        make_record("08", {**values_for("08"), "apc_gru": math.nan}, seconds=1, device="cpu", fast=True, seed=0)
    exempt = min(fast_unmeasured("04"))
    unmeasured = make_record("04", {**values_for("04"), exempt: math.nan}, seconds=1, device="cpu", fast=True, seed=0)
    assert unmeasured["values"][exempt] is None and math.isnan(recorded_values(unmeasured)[exempt])
    with pytest.raises(ValueError, match="notebook must be one of"):
        record("99", {}, seconds=1, device="cpu", fast=False, seed=0)
    with pytest.raises(ValueError, match="positive run time"):
        record("08", values_for("08"), seconds=0, device="cpu", fast=False, seed=0)


def test_record_shows_the_claims_and_carries_the_record_as_json(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda data, raw: shown.append((data, raw)))
    assert record("08", values_for("08"), seconds=5.0, device="cpu", fast=False, seed=0) is None
    ((data, raw),) = shown
    assert raw and data[MIMETYPE]["values"] == values_for("08") and data[MIMETYPE]["mode"] == "full"
    assert "| claim | statement | paper | this run | verdict |" in data["text/markdown"]
    assert CLAIMS["08"][0].statement in data["text/markdown"]


def _notebook_with(*records: dict) -> dict:
    outputs = [{"output_type": "display_data", "data": {MIMETYPE: r}, "metadata": {}} for r in records]
    return {"cells": [{"cell_type": "code", "outputs": outputs, "source": ""}]}


def test_read_record_finds_exactly_one_record():
    result = {"notebook": "08", "mode": "full", "values": values_for("08")}
    assert read_record(_notebook_with(result)) == result
    with pytest.raises(ValueError, match="found 0"):
        read_record(_notebook_with())
    with pytest.raises(ValueError, match="found 2"):
        read_record(_notebook_with(result, result))


def test_table_gives_each_claim_its_numbers_control_health_verdict_and_reason_and_takes_full_runs_only():
    seeds = {"scratch_gru": [0.40, 0.42, 0.41, 0.40, 0.42], "scratch_grud": [0.44, 0.45, 0.43, 0.44, 0.45]}
    gains = {"apc_gru": [0.45, 0.46, 0.47, 0.45, 0.47], "apc_grud": [0.48, 0.50, 0.47, 0.49, 0.48]}
    schedule = {"schedule_gru": [0.39, 0.41, 0.40, 0.39, 0.40], "schedule_grud": [0.43, 0.44, 0.42, 0.43, 0.44]}
    corners = {f"{arm}_{kind}_gain_{where}": [0.0, 0.1, 0.05] for kind in ("gru", "grud") for arm in ("apc", "schedule")
               for where in ("easy", "hard")}  # fmt: skip
    lifts = {f"schedule_{kind}_lift_{where}": [0.3, 0.3, 0.3] for kind in ("gru", "grud") for where in ("easy", "hard")}
    full = {
        "notebook": "08",
        "mode": "full",
        "device": "CPU, 2 cores",
        "seconds": 300.0,
        "values": {**seeds, **gains, **schedule, **corners, **lifts, "chance_auprc": 0.14},
    }
    table = results_table([full])
    assert "GRU 0.410 ± 0.010 -> APC 0.460 ± 0.010" in table and "(5 seeds)" in table
    assert (
        "| the same two stages from the untrained encoder APC starts from (does not hold; healthy) | holds | "
        "past the margin against a healthy control that fails the rule | CPU, 2 cores, 5.0 min "
        f"| {NOT_MEASURED} | {NOT_MEASURED} |" in table
    )
    # APC no better than scratch for GRU-D: the claim does not hold
    worse = {**full, "values": {**full["values"], "apc_grud": seeds["scratch_grud"]}}
    assert "| does not hold at this budget |" in results_table([worse])
    # the control does as well as APC: the rule cannot tell them apart
    easy = {**full, "values": {**full["values"], "schedule_gru": gains["apc_gru"], "schedule_grud": gains["apc_grud"]}}
    assert "(passes; healthy) | not tested |" in results_table([easy])
    # a control no better than a random score did not train: not tested, whatever APC does
    dead = {**full, "values": {**full["values"], "schedule_gru": [0.15] * 5}}
    assert "did not train) | not tested | the control did not train" in results_table([dead])
    # fewer seeds than the claim needs: not tested
    short = {**full, "values": {k: v[:3] if isinstance(v, list) else v for k, v in full["values"].items()}}
    assert "| not tested |" in results_table([short]).splitlines()[2]
    assert len(table.splitlines()) == 2 + len(CLAIMS["08"]) + 1 + 2  # the claims, a blank line, an empty table
    with pytest.raises(ValueError, match="fast mode"):
        results_table([{**full, "mode": "fast"}])


def test_construction_checks_have_a_table_of_their_own():
    values = {"p4_upright": 0.95, "p4_rotated": 0.95, "cnn_upright": 0.98, "cnn_rotated": 0.45}
    values |= {f"{arm}_acc{a}": acc for arm, accs in (("p4", (0.94, 0.55, 0.94)), ("cnn", (0.97, 0.48, 0.2)))
               for a, acc in zip((0, 45, 90), accs)}  # fmt: skip
    values |= {"field_probe": 0.97, "invariant_probe": 0.26}
    values |= {f"{d}_{net}_error": [e] * 3 for d, net, e in [("rot", "cnn", 11.0), ("rot", "p4", 6.5),
               ("upright", "cnn", 2.0), ("upright", "p4", 4.5)]}  # fmt: skip
    table = results_table([{"notebook": "01", "mode": "full", "device": "CPU", "seconds": 60.0, "values": values}])
    claims, built = table.split("\n\n")
    assert "checked by construction" not in claims and "| holds |" not in built
    assert built.count("| checked by construction |") == 3


def test_replace_table_keeps_the_rest_of_the_readme_and_needs_both_markers():
    readme = f"intro\n{BEGIN}\nold\n{END}\noutro\n"
    assert replace_table(readme, "new") == f"intro\n{BEGIN}\nnew\n{END}\noutro\n"
    with pytest.raises(ValueError, match="markers"):
        replace_table("no markers here", "new")


def test_committed_notebooks_record_full_runs_and_the_readme_table_is_current():
    records = [read_record(json.loads(path.read_text())) for path in NOTEBOOKS]
    assert [r["notebook"] for r in records] == [p.name[:2] for p in NOTEBOOKS]
    readme = (ROOT / "README.md").read_text()
    table = results_table(records, load_gpu_runs(ROOT / GPU_RUNS))
    assert replace_table(readme, table) == readme, "README results table is stale: make results"


def test_gpu_runs_fill_the_gpu_columns_where_stored_and_are_written_atomically(tmp_path):
    path = tmp_path / "gpu_runs.json"
    assert load_gpu_runs(path) == {}
    values = {"exact_nll": [1000.0, 1001.0, 1002.0], "snf_nll": [1001.0, 1002.0, 1003.0],
              "frozen_nll": [1300.0, 1310.0, 1320.0], "snf_slope": [2.0] * 5, "slogdet_slope": [2.5] * 5,
              "exact_slope": [2.6, 2.7, 2.6, 2.7, 2.6], "snf_speedup": [3.0, 3.1, 3.2, 3.1, 3.0],
              "slogdet_speedup": [0.8] * 5, "snf_toy_excess": 0.01, "frozen_toy_excess": 5.0,
              "frozen_gaussian_lead": 1.0, "frozen_rise": [1.0, 2.0, 1.0]}  # fmt: skip
    assert set(values) == required_values("07")
    cpu = {"notebook": "07", "mode": "full", "device": "CPU, 2 cores", "seconds": 600.0, "values": values}
    gpu = {**cpu, "device": "NVIDIA H100", "seconds": 120.0}
    store_gpu_run(path, "full", gpu)
    store_gpu_run(path, "paper", {**gpu, "seconds": 1500.0})
    assert not list(tmp_path.glob("*.partial"))
    runs = load_gpu_runs(path)
    assert set(runs) == {"full", "paper"}
    rows = results_table([cpu], runs).splitlines()[2:]
    assert "| CPU, 2 cores, 10.0 min | NVIDIA H100, 2.0 min | " in rows[0]
    assert rows[0].endswith(f" ({'NVIDIA H100, 25.0 min'}) |")
    assert all(NOT_MEASURED not in row for row in rows)
    assert NOT_MEASURED in results_table([cpu], {"full": runs["full"]}).splitlines()[2]
    with pytest.raises(ValueError, match="scale must be one of"):
        store_gpu_run(path, "fast", gpu)
    with pytest.raises(ValueError, match="full-mode record"):
        store_gpu_run(path, "full", {**gpu, "mode": "fast"})
    path.write_text(json.dumps({"huge": {}}))
    with pytest.raises(ValueError, match="keyed by scales"):
        load_gpu_runs(path)
