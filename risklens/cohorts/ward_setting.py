"""Settings of the ward simulator (presets) and the ground truth it exports (each row's mechanism).

A :class:`WardPreset` holds the numbers of the care process and of the length-of-stay hazard that
differ between presets; the physiology of the deterioration processes is shared. ``"default"``
reproduces the original simulator exactly; ``"study"`` gives the care process the predictive weight
it carries in real wards (see data/README.md, "the study preset").

:func:`ward_mechanism` turns the simulator's latent state into :attr:`Cohort.mechanism`: the process
of each row, the dictionary groups that process moves, and the group it pushes past a calling
criterion first for that row (from its own baseline and responses, noise-free).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from risklens.cohorts.base import CohortError


#: Latent vitals (indices into the simulator's sbp, dbp, hr, temp, rr, spo2, avpu, o2) that define each
#: process: none, sepsis, respiratory failure, bleeding, neurological decline, arrhythmia.
_DEFINING = ((), (0, 1, 2, 3), (5,), (0, 1), (6,), (2,))


@dataclass(frozen=True)
class WardPreset:
    """Numbers that differ between ward presets (names follow data/README.md)."""

    name: str
    los_mu: float = float(np.log(1.6))  # log-median length of stay at the first row (days)
    los_frail: float = 0.35  # frailty effect on log LOS
    los_sd: float = 0.85  # sd of log LOS
    haz_icpt: float = -2.6  # intercept of the deterioration hazard (logit)
    haz_los: float = 1.0  # weight of log(1 + LOS) in the hazard
    worry_sd: float = 0.45  # nurse's personal worry noise
    worry_active: float = 0.7  # extra worry when a process is brewing (before vitals move)
    obs_icpt: float = -1.7  # logit of an observation set per hour for an average patient
    obs_sev: float = 3.4  # weight of current severity on observation frequency
    abrupt_icpt: float | None = None  # logit intercept of a sudden process without warning (None: none)
    abrupt_los: float = 0.0  # added to that logit from day ``abrupt_after`` of the stay on
    abrupt_after: float = 7.0  # hospital-acquired complications (days)
    abrupt_before: float = 0.0  # ... and in the first days after admission (days; 0: not)
    cross_effect: float = 1.0  # scale of a process's effect on vitals other than its defining ones

    def effect_scale(self) -> np.ndarray:
        """(process, latent vital) multipliers of the physiology tables (all 1 in the default)."""
        scale = np.ones((len(_DEFINING), 8))
        for p, vitals in enumerate(_DEFINING):
            for j in range(8):
                if j not in vitals:
                    scale[p, j] = self.cross_effect
        return scale


PRESETS: dict[str, WardPreset] = {
    "default": WardPreset("default"),
    "study": WardPreset(
        "study", los_mu=float(np.log(2.5)), los_sd=0.7, haz_icpt=-3.5, haz_los=1.7, worry_active=2.5,
        obs_icpt=-2.2, abrupt_icpt=-4.5, abrupt_los=4.0, abrupt_before=1.5, abrupt_after=6.0, cross_effect=0.5,
    ),
}


def get_preset(preset: str | WardPreset | None) -> WardPreset:
    """A :class:`WardPreset` by name (None = "default"); CohortError for an unknown name."""
    if isinstance(preset, WardPreset):
        return preset
    key = "default" if preset is None else str(preset).strip().lower()
    if key not in PRESETS:
        raise CohortError(f"no ward preset named {preset!r}; choose one of: {', '.join(PRESETS)}")
    return PRESETS[key]


# ---- mechanism -------------------------------------------------------------------------------
#: Latent vitals that carry a calling criterion, their dictionary group, and the criterion unit
#: (the unit the trigger rule measures exceedance in). O2 flow has no criterion (unit 2 L/min).
_CRIT = (  # (latent index, group, unit, low threshold, high threshold)
    (0, "blood_pressure", 10.0, 90.0, 220.0),
    (2, "heart_rate", 10.0, 40.0, 130.0),
    (3, "temperature", 0.5, 35.0, 39.4),
    (4, "resp_rate", 4.0, 6.0, 30.0),
    (5, "spo2", 3.0, 90.0, np.inf),
    (6, "consciousness", 0.5, None, None),  # any drop from the usual level: latent +0.5
)
_O2 = (7, "o2_flow", 2.0)
_GRID = np.linspace(0.0, 2.5, 126)


def process_groups(lin: np.ndarray, quad: np.ndarray) -> list[tuple[str, ...]]:
    """Groups each process moves: shift at severity 1 of at least one criterion unit, strongest first."""
    out = []
    for p in range(len(lin)):
        eff = {}
        for j, group, unit, *_ in _CRIT + (_O2,):
            e = abs(lin[p, j] + quad[p, j]) / unit
            if e >= 1.0:
                eff[group] = e
        out.append(tuple(sorted(eff, key=lambda g: -eff[g])))
    return out


def _first_groups(r: dict, lin: np.ndarray, quad: np.ndarray, rows: np.ndarray, moved: list) -> np.ndarray:
    """For rows with a process: among the groups it moves, the one whose vital crosses its criterion at
    the lowest severity (noise-free, this row's baseline and responses); if none crosses by severity
    2.5, the one that got closest (largest share of the distance to its criterion)."""
    proc, base, resp = r["proc"][rows], r["base"][rows], r["response"][rows]
    allowed = np.array([[g in moved[p] for _, g, *_ in _CRIT] for p in range(len(moved))])[proc]
    s, s2 = _GRID[None, :], _GRID[None, :] ** 2
    progress = np.zeros((len(rows), len(_CRIT), len(_GRID)))
    for c, (j, _, _, lo, hi) in enumerate(_CRIT):
        shift = resp[:, j, None] * (lin[proc, j][:, None] * s + quad[proc, j][:, None] * s2)
        if lo is None:  # consciousness: half a level up from the usual one
            progress[:, c] = shift / 0.5
            continue
        b = base[:, j, None]
        up = shift / np.maximum(hi - b, 1e-9)  # 0 when there is no upper criterion (hi = inf)
        down = -shift / np.maximum(b - lo, 1e-9)
        progress[:, c] = np.maximum(up, down)
    progress[~allowed] = -np.inf
    crossed = progress >= 1.0
    first_s = np.where(crossed.any(2), crossed.argmax(2), len(_GRID))  # grid index of the first crossing
    best_cross = first_s.argmin(1)
    closest = progress[:, :, -1].argmax(1)
    pick = np.where(first_s.min(1) < len(_GRID), best_cross, closest)
    return np.array([_CRIT[i][1] for i in pick], dtype=object)


def ward_mechanism(r: dict, lin: np.ndarray, quad: np.ndarray, processes, index: pd.Index,
                   chunk: int = 8192) -> pd.DataFrame:
    """:attr:`Cohort.mechanism` of a simulated ward cohort (see the module docstring)."""
    proc = r["proc"]
    groups = process_groups(lin, quad)
    moved = [";".join(g) for g in groups]
    first = np.full(len(proc), "", dtype=object)
    active = np.flatnonzero(proc > 0)
    for start in range(0, len(active), chunk):
        rows = active[start:start + chunk]
        first[rows] = _first_groups(r, lin, quad, rows, groups)
    return pd.DataFrame({
        "process": np.where(proc > 0, np.asarray(processes, dtype=object)[proc], ""),
        "groups": np.where(proc > 0, np.asarray(moved, dtype=object)[proc], ""),
        "first_group": first,
    }, index=index)
