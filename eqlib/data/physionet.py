"""PhysioNet/CinC Challenge 2012 (in-hospital mortality) for users with a network.

The challenge ships one text file per ICU stay, ``<RecordID>.txt``, with the header
``Time,Parameter,Value``: ``Time`` is ``hh:mm`` since admission, the first rows (at ``00:00``)
hold the static descriptors (``RecordID, Age, Gender, Height, ICUType, Weight``), the rest the
time series of 37 variables; ``-1`` marks an unknown value. Outcomes come in one file per set
(``Outcomes-a.txt``) with the columns ``RecordID, SAPS-I, SOFA, Length_of_stay, Survival,
In-hospital_death``.

``physionet_2012`` bins a set of records onto the standard hourly grid of the first 48 hours
(measurements in the same hour averaged) as an ``ICUData``; normalise it with
``ICUData.normaliser`` on the training stays and ``ICUData.standardised``, as for the synthetic
data. ``download_physionet_2012`` fetches a set; nothing in the suite calls it, and the tests
convert a small fixture written in the challenge's format.
"""

from __future__ import annotations

import csv
import hashlib
import math
import tarfile
import tempfile
import urllib.request
from pathlib import Path

import torch

from eqlib.data.icu import ICUData

VARIABLES = [
    "ALP", "ALT", "AST", "Albumin", "BUN", "Bilirubin", "Cholesterol", "Creatinine", "DiasABP", "FiO2",
    "GCS", "Glucose", "HCO3", "HCT", "HR", "K", "Lactate", "MAP", "MechVent", "Mg", "NIDiasABP", "NIMAP",
    "NISysABP", "Na", "PaCO2", "PaO2", "Platelets", "RespRate", "SaO2", "SysABP", "Temp", "TroponinI",
    "TroponinT", "Urine", "WBC", "Weight", "pH",
]  # fmt: skip
DESCRIPTORS = ("RecordID", "Age", "Gender", "Height", "ICUType")
URL = "https://physionet.org/files/challenge-2012/1.0.0/"


def _hours(time: str) -> float:
    hours, minutes = time.split(":")
    return int(hours) + int(minutes) / 60.0


def read_record(path: str | Path) -> list[tuple[float, str, float]]:
    """The time-series rows of one record file as ``(hours since admission, variable, value)``.

    Static descriptors and unknown values (``-1``) are left out.
    """
    path = Path(path)
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None or [h.strip() for h in header] != ["Time", "Parameter", "Value"]:
            raise ValueError(f"{path}: expected the header Time,Parameter,Value, got {header}")
        rows = []
        for time, parameter, value in reader:
            if parameter in DESCRIPTORS or parameter == "" or float(value) == -1.0:
                continue
            rows.append((_hours(time), parameter, float(value)))
    return rows


def read_outcomes(path: str | Path) -> dict[str, int]:
    """``RecordID -> In-hospital_death`` (0 or 1) from an ``Outcomes-*.txt`` file, in file order."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or not {"RecordID", "In-hospital_death"} <= set(rows[0]):
        raise ValueError(f"{path}: expected the columns RecordID and In-hospital_death")
    outcomes = {row["RecordID"]: int(row["In-hospital_death"]) for row in rows}
    if not set(outcomes.values()) <= {0, 1}:
        raise ValueError(f"{path}: In-hospital_death must be 0 or 1")
    return outcomes


def physionet_2012(
    records: str | Path, outcomes: str | Path, hours: int = 48, variables: list[str] | None = None
) -> ICUData:
    """The stays of ``records`` (a folder of ``<RecordID>.txt``) with the labels of ``outcomes``.

    Returns ``ICUData`` of shape ``(N, hours, V)`` in the order of the outcomes file; a
    measurement at ``hh:mm`` falls in hour ``floor(hh + mm / 60)``, several in one hour are
    averaged, those at or after ``hours`` are dropped. ``variables`` fixes the columns (default:
    the challenge's 37). Values stay in their units: standardise with the training stays'
    ``normaliser``.
    """
    records, names = Path(records), variables or VARIABLES
    labels_by_record = read_outcomes(outcomes)
    column = {name: j for j, name in enumerate(names)}
    total = torch.zeros(len(labels_by_record), hours, len(names))
    count = torch.zeros_like(total)
    for i, record in enumerate(labels_by_record):
        path = records / f"{record}.txt"
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: the outcomes file lists record {record}")
        for hour, parameter, value in read_record(path):
            t = math.floor(hour)
            if 0 <= t < hours and parameter in column:
                total[i, t, column[parameter]] += value
                count[i, t, column[parameter]] += 1
    mask = (count > 0).float()
    labels = torch.tensor([float(v) for v in labels_by_record.values()])
    return ICUData(total / count.clamp_min(1), mask, labels, list(names))


def _download(url: str, target: Path, sha256: str | None) -> None:
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp, urllib.request.urlopen(url) as response:
        tmp.write(response.read())
    tmp_path = Path(tmp.name)
    if sha256 is not None and hashlib.sha256(tmp_path.read_bytes()).hexdigest() != sha256:
        tmp_path.unlink()
        raise ValueError(f"{url}: the download does not match the expected SHA-256 {sha256}")
    tmp_path.replace(target)


def download_physionet_2012(
    folder: str | Path, subset: str = "a", sha256: dict[str, str] | None = None
) -> tuple[Path, Path]:
    """Fetch ``set-<subset>.tar.gz`` and ``Outcomes-<subset>.txt`` from PhysioNet into ``folder``.

    Returns ``(records folder, outcomes file)`` for ``physionet_2012``. Files already present are
    kept. ``sha256`` maps a file name to its expected digest; give it to verify the downloads
    (PhysioNet lists them on the challenge's page). Needs a network; nothing in the suite calls it.
    """
    if subset not in ("a", "b", "c"):
        raise ValueError(f"subset must be 'a', 'b' or 'c', got {subset!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    archive, outcomes = folder / f"set-{subset}.tar.gz", folder / f"Outcomes-{subset}.txt"
    for target in (archive, outcomes):
        if not target.is_file():
            _download(URL + target.name, target, (sha256 or {}).get(target.name))
    records = folder / f"set-{subset}"
    if not records.is_dir():
        with tarfile.open(archive) as tar:
            tar.extractall(folder, filter="data")
    return records, outcomes
