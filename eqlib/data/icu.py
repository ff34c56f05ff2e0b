"""Sparse, irregularly observed clinical time series with a rare outcome, PhysioNet-2012 style.

PhysioNet/CinC 2012 holds about 12,000 ICU stays: 37 variables over the first 48 hours,
most values missing, about 14% in-hospital deaths. Real data cannot be shipped here, so
``synthetic_icu`` generates data of the same shape from latent patient dynamics:

- a latent state ``z_t`` (4 dims) per patient follows a mean-reverting walk towards a
  patient-specific level; patients who deteriorate drift away from it after an onset hour;
- variables are noisy linear read-outs of ``z_t`` with their own units (offset and scale);
  the measurement noise (``noise``, in latent units) is large, as for bedside labs, so a good
  state estimate has to pool many measurements over variables and hours;
- each variable is measured with its own base rate (vitals often, labs rarely) and more
  often when the patient is sicker (informative missingness); the overall missing rate is
  calibrated to ``missing_rate``;
- the outcome depends on where the state lies over the last six hours along one fixed
  direction, blurred by logistic noise and thresholded to give ``positive_rate``.

The mapping from latents to variables is fixed (it does not depend on ``seed``), so data
drawn with different seeds describe the same "hospital". ``load_icu_csv`` reads the same
layout from CSV files (long format, like PhysioNet's ``Time, Parameter, Value`` records).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import torch

LATENT = 4
_STRUCTURE_SEED = 2012  # fixes the hospital: variable read-outs, units and base rates


@dataclass
class ICUData:
    """A batch of stays on an hourly grid.

    Attributes:
        values: ``(N, T, V)`` float32 measurements, 0 where missing.
        mask: ``(N, T, V)`` float32, 1 where observed.
        labels: ``(N,)`` float32 outcome, 1 = positive (e.g. in-hospital death).
        variables: the ``V`` variable names.
    """

    values: torch.Tensor
    mask: torch.Tensor
    labels: torch.Tensor
    variables: list[str]

    def __post_init__(self) -> None:
        if self.values.dim() != 3 or self.mask.shape != self.values.shape:
            raise ValueError(
                f"values and mask must share a shape (N, T, V), got {tuple(self.values.shape)} "
                f"and {tuple(self.mask.shape)}"
            )
        if self.labels.shape != (self.values.shape[0],):
            raise ValueError(f"labels must have shape (N,) = ({self.values.shape[0]},), got {tuple(self.labels.shape)}")
        if len(self.variables) != self.values.shape[2]:
            raise ValueError(f"{len(self.variables)} variable names for {self.values.shape[2]} variables")

    def __len__(self) -> int:
        return self.values.shape[0]

    @property
    def missing_rate(self) -> float:
        return 1.0 - self.mask.mean().item()

    @property
    def positive_rate(self) -> float:
        return self.labels.mean().item()

    def subset(self, index: torch.Tensor | slice) -> ICUData:
        return ICUData(self.values[index], self.mask[index], self.labels[index], self.variables)

    def deltas(self) -> torch.Tensor:
        """Hours since the previous observation of each variable, ``(N, T, V)`` (GRU-D, Che et al. eq. 2).

        ``delta_0 = 0``; ``delta_t = 1 + delta_{t-1}`` if the variable was missing at ``t - 1``, else 1.
        """
        delta = torch.zeros_like(self.mask)
        for t in range(1, self.mask.shape[1]):
            delta[:, t] = 1.0 + (1.0 - self.mask[:, t - 1]) * delta[:, t - 1]
        return delta

    def normaliser(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-variable mean and std ``(V,)`` over the observed entries (fit on training data only)."""
        count = self.mask.sum(dim=(0, 1)).clamp_min(1.0)
        mean = (self.values * self.mask).sum(dim=(0, 1)) / count
        var = (((self.values - mean) * self.mask) ** 2).sum(dim=(0, 1)) / count
        return mean, var.sqrt().clamp_min(1e-6)

    def standardised(self, mean: torch.Tensor, std: torch.Tensor) -> ICUData:
        """Observed values mapped to ``(x - mean) / std``; missing entries stay 0 (= the mean)."""
        return ICUData((self.values - mean) / std * self.mask, self.mask, self.labels, self.variables)


def _structure(variables: int) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(_STRUCTURE_SEED)
    readout = torch.randn(variables, LATENT, generator=g) / math.sqrt(LATENT)
    offset = torch.randint(20, 120, (variables,), generator=g).float()
    scale = torch.rand(variables, generator=g) * 20 + 1
    # base measurement rates on the logit scale: a few frequent vitals, many rare labs
    base_logit = torch.linspace(2.0, -3.0, variables)
    risk_direction = torch.randn(LATENT, generator=g)
    return readout, offset, scale, base_logit, risk_direction / risk_direction.norm()


def _calibrate_offset(logits: torch.Tensor, target_mean: float) -> float:
    """The shift ``c`` with ``mean(sigmoid(logits + c)) = target_mean``, by bisection."""
    lo, hi = -20.0, 20.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if torch.sigmoid(logits + mid).mean().item() < target_mean:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def synthetic_icu(
    n: int,
    seed: int = 0,
    variables: int = 24,
    hours: int = 48,
    missing_rate: float = 0.8,
    positive_rate: float = 0.14,
    informative: float = 1.0,
    noise: float = 0.6,
) -> ICUData:
    """``n`` synthetic ICU stays (see the module docstring), deterministic for a given seed.

    Args:
        missing_rate: expected share of missing entries, in (0, 1).
        positive_rate: share of positive outcomes, in (0, 1).
        informative: how strongly sickness raises the measurement rate (0 = missing at random).
        noise: standard deviation of the measurement noise in latent units (>= 0).
    """
    if not isinstance(n, int) or n <= 0:
        raise ValueError(f"n must be a positive int, got {n!r}")
    if not 0.0 < missing_rate < 1.0 or not 0.0 < positive_rate < 1.0:
        raise ValueError(f"missing_rate and positive_rate must lie in (0, 1), got {missing_rate}, {positive_rate}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    if variables < 1 or hours < 2:
        raise ValueError(f"need at least 1 variable and 2 hours, got {variables}, {hours}")
    readout, offset, scale, base_logit, risk_direction = _structure(variables)
    g = torch.Generator().manual_seed(seed)

    level = 0.5 * torch.randn(n, LATENT, generator=g)
    deteriorates = torch.rand(n, generator=g) < 0.3
    onset = torch.randint(hours // 8, max(hours // 8 + 1, hours - hours // 8), (n,), generator=g)
    direction = torch.randn(n, LATENT, generator=g)
    direction = direction / direction.norm(dim=1, keepdim=True)
    speed = 0.05 + 0.1 * torch.rand(n, generator=g)
    z = level + 0.5 * torch.randn(n, LATENT, generator=g)
    latents = []
    for t in range(hours):
        drift = (deteriorates & (t >= onset)).float()[:, None] * speed[:, None] * direction
        level = level + drift
        z = z + 0.3 * (level - z) + 0.15 * torch.randn(n, LATENT, generator=g)
        latents.append(z)
    latents = torch.stack(latents, dim=1)  # (n, hours, LATENT)

    clean = latents @ readout.T  # (n, hours, V) in latent units
    values = offset + scale * (clean + noise * torch.randn(clean.shape, generator=g))

    sickness = latents.norm(dim=2, keepdim=True) - 1.0  # far from the healthy origin = sick
    logits = base_logit + informative * sickness
    logits = logits + _calibrate_offset(logits, 1.0 - missing_rate)
    mask = (torch.rand(logits.shape, generator=g) < torch.sigmoid(logits)).float()

    risk = latents[:, -6:].mean(dim=1) @ risk_direction  # where the late state lies along one direction
    risk = (risk - risk.mean()) / risk.std()
    u = torch.rand(n, generator=g).clamp(1e-6, 1 - 1e-6)
    noisy_risk = 1.5 * risk + torch.log(u / (1 - u))  # logistic noise: the outcome is not a pure function of z
    threshold = torch.quantile(noisy_risk, 1.0 - positive_rate)
    labels = (noisy_risk > threshold).float()

    names = [f"var{v:02d}" for v in range(variables)]
    return ICUData((values * mask).float(), mask, labels, names)


def save_icu_csv(data: ICUData, folder: str | Path) -> None:
    """Write ``data`` as ``measurements.csv`` (patient, hour, variable, value; observed entries only)
    and ``outcomes.csv`` (patient, label) in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "measurements.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["patient", "hour", "variable", "value"])
        for p, t, v in data.mask.nonzero().tolist():
            writer.writerow([p, t, data.variables[v], repr(float(data.values[p, t, v]))])
    with open(folder / "outcomes.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["patient", "label"])
        for p, label in enumerate(data.labels.tolist()):
            writer.writerow([p, int(label)])


def load_icu_csv(folder: str | Path, hours: int = 48, variables: list[str] | None = None) -> ICUData:
    """Read ``measurements.csv`` and ``outcomes.csv`` (see ``save_icu_csv``) onto an hourly grid.

    ``hour`` may be fractional (hours since admission, as PhysioNet's ``hh:mm`` divided by 60);
    measurements in the same hour are averaged, those at or after ``hours`` are dropped.
    Patients are ordered as in ``outcomes.csv``; ``variables`` fixes the column order
    (default: sorted names found in the file).
    """
    folder = Path(folder)
    for name in ("measurements.csv", "outcomes.csv"):
        if not (folder / name).is_file():
            raise FileNotFoundError(f"{folder / name} not found: expected measurements.csv and outcomes.csv")
    with open(folder / "outcomes.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or set(rows[0]) != {"patient", "label"}:
        raise ValueError("outcomes.csv needs the columns patient,label")
    patients = {row["patient"]: i for i, row in enumerate(rows)}
    labels = torch.tensor([float(row["label"]) for row in rows])
    if not set(labels.tolist()) <= {0.0, 1.0}:
        raise ValueError("labels in outcomes.csv must be 0 or 1")
    with open(folder / "measurements.csv", newline="") as f:
        records = list(csv.DictReader(f))
    if records and set(records[0]) != {"patient", "hour", "variable", "value"}:
        raise ValueError("measurements.csv needs the columns patient,hour,variable,value")
    names = variables or sorted({r["variable"] for r in records})
    column = {name: j for j, name in enumerate(names)}
    total = torch.zeros(len(rows), hours, len(names))
    count = torch.zeros_like(total)
    for r in records:
        if r["patient"] not in patients:
            raise ValueError(f"measurements.csv names patient {r['patient']!r}, which outcomes.csv lacks")
        hour = math.floor(float(r["hour"]))
        if 0 <= hour < hours and r["variable"] in column:
            index = (patients[r["patient"]], hour, column[r["variable"]])
            total[index] += float(r["value"])
            count[index] += 1
    mask = (count > 0).float()
    return ICUData(total / count.clamp_min(1), mask, labels, list(names))
