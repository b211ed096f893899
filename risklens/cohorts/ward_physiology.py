"""Physiology of the ward simulator: patients and their latent processes, vital signs over time,
24-hour window statistics and the red-flag calling criteria (see :mod:`risklens.cohorts.ward`).

Row-level draws are in float64; the hourly grids are float32 for speed (:data:`F`).
"""

from __future__ import annotations

import numpy as np

from risklens.cohorts.ward_setting import WardPreset

F = np.float32  # dtype of the hourly grids

# Latent physiology: sbp, dbp, hr, temp, rr, spo2, avpu (latent), o2 (titrated flow).
_LAT = ("sbp", "dbp", "hr", "temp", "rr", "spo2", "avpu", "o2")
# Effect of severity s (linear and quadratic terms) per process, columns as _LAT.
_LIN = np.array([
    [0, 0, 0, 0, 0, 0, 0, 0],                 # none
    [-8, -5, 36, 2.2, 15, -2.5, 0.0, 1.0],     # sepsis: HR, temp, RR up first ...
    [0, 0, 18, 0.3, 17, -9, 0.0, 6.0],        # respiratory failure: SpO2 down, RR and O2 up
    [-42, -26, 40, -0.2, 5, -1, 0.0, 0.0],     # bleeding / hypotension
    [10, 5, -4, 0, -3, -1, 0.8, 0.0],         # neurological decline
    [-10, -4, 62, 0, 3, 0, 0.0, 0.0],          # arrhythmia (fast AF)
], dtype=np.float64)
_QUAD = np.array([
    [0, 0, 0, 0, 0, 0, 0, 0],
    [-36, -20, 0, 0, 0, 0, 0.35, 0.0],         # ... BP falls later (quadratic), confusion late
    [0, 0, 0, 0, 0, -2, 0.25, 0.0],
    [0, 0, 0, 0, 0, 0, 0.30, 0.0],
    [0, 0, 0, 0, 0, 0, 0.0, 0.0],
    [-8, -4, 0, 0, 0, 0, 0.0, 0.0],
], dtype=np.float64)
_NOISE_SD = np.array([6.0, 4.5, 5.0, 0.22, 1.6, 1.0, 0.12, 0.0])


def sigmoid(x):
    """The logistic function."""
    return 1.0 / (1.0 + np.exp(-x))


# ---- row level (patients, prediction times, latent processes) -------------------------------
def draw_rows(n: int, rng: np.random.Generator, p: WardPreset) -> dict:
    """Patients, their prediction times and each row's latent process (the simulator's row-level state)."""
    k = rng.choice(3, size=n, p=[0.55, 0.28, 0.17]) + 1
    ends = np.cumsum(k)
    n_pat = int(np.searchsorted(ends, n) + 1)
    k = k[:n_pat]
    k[-1] -= int(ends[n_pat - 1] - n)
    pat = np.repeat(np.arange(n_pat), k)
    starts = np.cumsum(k) - k
    visit = np.arange(n) - starts[pat]

    age_p = np.round(18 + 82 * rng.beta(4.0, 2.2, n_pat))
    sex_p = (rng.random(n_pat) < 0.5).astype(np.float64)
    frail_p = rng.normal(0, 1, n_pat) + 0.025 * (age_p - 68)
    copd_p = rng.random(n_pat) < 0.08 + 0.06 * (frail_p > 1)
    dementia_p = rng.random(n_pat) < np.clip(0.002 * (age_p - 60), 0, 0.08)
    base = np.empty((n_pat, len(_LAT)))
    base[:, 0] = np.clip(rng.normal(126 + 0.3 * (age_p - 60), 13), 108, 185)
    base[:, 1] = np.clip(0.45 * base[:, 0] + rng.normal(17, 6, n_pat), 50, 105)
    base[:, 2] = np.clip(rng.normal(79, 10, n_pat) + 2 * frail_p, 52, 112)
    base[:, 3] = rng.normal(36.8, 0.22, n_pat)
    base[:, 4] = np.clip(rng.normal(16, 1.6, n_pat) + 0.6 * np.maximum(frail_p, 0) + 2.5 * copd_p, 11, 24)
    base[:, 5] = np.clip(rng.normal(97, 1.0, n_pat) - 0.5 * np.maximum(frail_p, 0) - 3.2 * copd_p, 90.5, 100)
    base[:, 6] = 1.0 * dementia_p  # advanced dementia: baseline 'responds to Voice'
    base[:, 7] = np.where(copd_p & (rng.random(n_pat) < 0.5), rng.choice([1.0, 2.0], n_pat), 0.0)

    # length of stay at the first prediction time, later ones 0.5-3 days apart
    los_first = np.exp(rng.normal(p.los_mu + p.los_frail * frail_p, p.los_sd))
    gap = np.where(visit > 0, rng.uniform(0.5, 3.0, n), 0.0)
    cum = np.cumsum(gap)
    los = np.round(np.clip(los_first[pat] + cum - cum[starts[pat]], 0.05, 90), 2)

    frail = frail_p[pat]
    eta = p.haz_icpt + 0.55 * frail + 0.015 * (age_p[pat] - 68) + p.haz_los * np.log1p(los) + rng.normal(0, 0.3, n)
    active = rng.random(n) < sigmoid(eta)
    w = np.column_stack([
        np.full(n, 0.30), 0.26 + 0.5 * copd_p[pat], np.full(n, 0.22),
        0.07 + 0.003 * np.maximum(age_p[pat] - 70, 0) + 0.2 * dementia_p[pat], np.full(n, 0.12),
    ])
    w /= w.sum(1, keepdims=True)
    proc = 1 + (rng.random(n)[:, None] > np.cumsum(w, 1)).sum(1)
    proc = np.where(active, np.minimum(proc, 5), 0)
    # severity s(t) = clip((t - onset) / ramp, 0, cap), hours relative to the prediction time
    ramp = rng.uniform(8, 36, n)
    # severity reaches 0.7 (about where the first vital crosses its calling criterion) 0-40 h ahead
    onset = rng.uniform(0, 40, n) - 0.7 * ramp
    cap = rng.uniform(0.5, 1.7, n)
    # patients respond differently: each process effect is scaled per row and vital
    response = np.exp(rng.normal(0, 0.3, (n, len(_LAT))))
    # supplemental O2 unrelated to a process (post-operative, PRN), being weaned by 0.02-0.12 L/min per h
    extra_o2 = rng.random(n) < 0.15
    base_row = base[pat] + rng.normal(0, 1, (n, len(_LAT))) * np.array([4, 3, 4, 0.1, 0.8, 0.4, 0, 0])
    base_row[:, 7] += np.where(extra_o2, rng.uniform(1, 4, n), 0.0)
    o2_trend = np.where(extra_o2, -rng.uniform(0.02, 0.12, n), 0.0)
    if p.abrupt_icpt is not None:  # sudden, unheralded processes (no staff worry), commoner in long stays
        eta_a = p.abrupt_icpt + p.abrupt_los * ((los >= p.abrupt_after) | (los < p.abrupt_before)) + 0.3 * frail
        abrupt = ~active & (rng.random(n) < sigmoid(eta_a))
        kind = np.minimum(1 + (rng.random(n)[:, None] > np.cumsum(w, 1)).sum(1), 5)
        proc = np.where(abrupt, kind, proc)
        ramp = np.where(abrupt, rng.uniform(1, 4, n), ramp)
        onset = np.where(abrupt, rng.uniform(0, 10, n) - 0.7 * ramp, onset)
        cap = np.where(abrupt, rng.uniform(0.9, 1.7, n), cap)
    return {
        "n": n, "pat": pat, "visit": visit, "age": age_p[pat], "sex": sex_p[pat], "frail": frail,
        "base": base_row, "o2_trend": o2_trend,
        "los": los, "proc": proc, "onset": onset, "ramp": ramp, "cap": cap,
        "response": response, "preset": p, "lin": _LIN * p.effect_scale(), "quad": _QUAD * p.effect_scale(),
        # staff worry: personal noise plus a gut feeling about a brewing process (before vitals move)
        "worry": rng.normal(0, p.worry_sd, n) + p.worry_active * active,
    }


# ---- hourly grid (chunked, float32 for speed; features are returned as rounded float64) -------

def physiology(r: dict, sl: slice, t: np.ndarray, rng: np.random.Generator, names=_LAT) -> dict:
    """Vital values at times ``t`` (rows x times) for rows ``sl``, rounded like a chart."""
    proc = r["proc"][sl]
    s = (t - r["onset"][sl, None].astype(F)) / r["ramp"][sl, None].astype(F)
    np.clip(s, F(0), r["cap"][sl, None].astype(F), out=s)
    s[proc == 0] = 0
    s2 = s * s
    base = r["base"][sl].astype(F)
    out = {}
    for j, name in enumerate(_LAT):
        if name not in names:
            continue
        k = r["response"][sl, j]
        v = s * (k * r["lin"][proc, j]).astype(F)[:, None]
        v += s2 * (k * r["quad"][proc, j]).astype(F)[:, None]
        v += base[:, j, None]
        if _NOISE_SD[j] > 0:
            v += rng.standard_normal(t.shape, dtype=F) * F(_NOISE_SD[j])
        out[name] = v
    out["sbp"] = np.clip(np.round(out["sbp"]), 50, 250)
    if "dbp" in out:
        out["dbp"] = np.clip(np.round(np.minimum(out["dbp"], out["sbp"] - 15)), 25, 150)
        out["map"] = np.round((out["sbp"] + 2 * out["dbp"]) / 3)
    out["hr"] = np.clip(np.round(out["hr"]), 25, 220)
    out["temp"] = np.clip(np.round(out["temp"], 1), 33.0, 42.0)
    out["rr"] = np.clip(np.round(out["rr"]), 4, 60)
    out["spo2"] = np.clip(np.round(out["spo2"]), 60, 100)
    if "o2" in out:
        o2 = out.pop("o2") + r["o2_trend"][sl, None].astype(F) * t
        on = o2 > 0.25  # prescribed flow wobbles as staff titrate it
        o2 += on * rng.standard_normal(t.shape, dtype=F) * F(0.3)
        out["o2_flow"] = np.clip(np.round(o2 * 2) / 2, 0, 15)
    out["avpu"] = np.digitize(out["avpu"], [0.5, 1.5, 2.5]).astype(F)
    out["severity"] = s
    return out


def mask_terms(m: np.ndarray, t: np.ndarray) -> tuple:
    """Per-row quantities of one record mask, shared by every vital recorded with it."""
    mf = m.astype(F)
    cnt = mf.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        tbar = (t * mf).sum(1) / cnt
    dt = (t - tbar[:, None]) * mf
    return m, mf, cnt, dt, (dt * dt).sum(1)


def window_stats(v: np.ndarray, terms: tuple, decimals: int = 1) -> list[np.ndarray]:
    """min, max, mean, std (ddof 1), count, slope per hour of the recorded values (float64)."""
    m, mf, cnt, dt, dtt = terms
    with np.errstate(invalid="ignore", divide="ignore"):
        vmin = np.where(m, v, F(np.inf)).min(1)
        vmax = np.where(m, v, F(-np.inf)).max(1)
        mean = (v * mf).sum(1) / cnt
        dv = (v - mean[:, None]) * mf
        std = np.sqrt((dv * dv).sum(1) / (cnt - 1))
        slope = (dt * dv).sum(1) / dtt
    none, one = cnt == 0, cnt < 2
    out = [np.round(vmin.astype(np.float64), decimals), np.round(vmax.astype(np.float64), decimals),
           np.round(mean.astype(np.float64), 3), np.round(std.astype(np.float64), 3), cnt.astype(np.float64),
           np.round(slope.astype(np.float64), 4)]
    for k in (0, 1, 2):
        out[k][none] = np.nan
    out[3][one], out[5][one] = np.nan, np.nan
    return out


def red_flags(f: dict, avpu_usual: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: hour index of the first red flag (-1 none) and the index of its trigger group."""
    sbp, hr, rr, spo2, avpu, temp = f["sbp"], f["hr"], f["rr"], f["spo2"], f["avpu"], f["temp"]
    # exceedance beyond each calling criterion, in "criterion units"; > 0 means it fired
    score = np.stack([
        np.maximum((90 - sbp) / 10, (sbp - 220) / 10),            # blood_pressure: SBP < 90 (or > 220)
        np.maximum((hr - 130) / 10, (40 - hr) / 10),              # heart_rate: HR > 130 or < 40
        np.maximum((rr - 30) / 4, (6 - rr) / 4),                  # resp_rate: RR > 30 or < 6
        (90 - spo2) / 3,                                          # spo2: SpO2 < 90
        avpu - avpu_usual[:, None] - 0.5,                         # consciousness: any drop from usual level
        np.maximum((temp - 39.4) / 0.5, (35.0 - temp) / 0.5),     # temperature: >= 39.5 or < 35 (rare)
    ], axis=-1)
    fired = score > 0
    any_hour = fired.any(-1)
    has = any_hour.any(1)
    first = np.where(has, any_hour.argmax(1), -1)
    at_first = score[np.arange(len(first)), np.maximum(first, 0)]
    trig = np.where(has, at_first.argmax(-1), -1)
    return first, trig

