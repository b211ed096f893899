"""The ``ward`` simulator: adult ward inpatients, 24 h of vital signs, red flag in the next 8 h.

Shaped like the study's VS data (see data/README.md for the full generative story). In short:

* patients (age, sex, frailty, personal baseline vitals) contribute 1-3 prediction times;
* each prediction time may carry a latent deterioration process (sepsis, respiratory failure,
  bleeding, neurological decline, arrhythmia) whose severity ramps up over hours and moves
  several vitals together; its hazard rises with frailty, age and length of stay;
* nurses record observation sets more often when a patient worries them (frailty, severity),
  and not every vital is recorded in every set;
* the outcome is a red flag (adult ward calling criteria) at any hourly check in the next 8 h;
  ``trigger`` is the group of the criterion that fired first (ties: the most extreme one).

Everything is vectorised over rows; the only Python loop is over fixed-size row chunks, each with
its own child seed, so the same ``(n, seed)`` always gives the same cohort.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risklens.cohorts.base import Cohort, CohortError
from risklens.cohorts.dictionary import FeatureDictionary, FeatureInfo

VITALS = ("sbp", "dbp", "map", "hr", "temp", "rr", "spo2", "o2_flow", "avpu")
STATS = ("min", "max", "mean", "std", "count", "slope")
GROUP_OF = {
    "sbp": "blood_pressure", "dbp": "blood_pressure", "map": "blood_pressure",
    "hr": "heart_rate", "temp": "temperature", "rr": "resp_rate", "spo2": "spo2",
    "o2_flow": "o2_flow", "avpu": "consciousness",
}
# vital -> (label, unit, normal_low, normal_high)
VITAL_INFO = {
    "sbp": ("systolic BP", "mmHg", 100.0, 140.0),
    "dbp": ("diastolic BP", "mmHg", 60.0, 90.0),
    "map": ("mean arterial pressure", "mmHg", 70.0, 105.0),
    "hr": ("heart rate", "/min", 50.0, 100.0),
    "temp": ("temperature", "°C", 36.0, 38.0),
    "rr": ("respiratory rate", "/min", 12.0, 20.0),
    "spo2": ("SpO2", "%", 94.0, 100.0),
    "o2_flow": ("O2 flow rate", "L/min", 0.0, 2.0),
    "avpu": ("AVPU score", "", 0.0, 0.0),  # consciousness: 0 Alert, 1 Voice, 2 Pain, 3 Unresponsive
}
FEATURES = tuple(f"{v}_{s}" for v in VITALS for s in STATS) + ("age", "sex", "los_days", "n_obs_sets")
TRIGGER_GROUPS = ("blood_pressure", "heart_rate", "resp_rate", "spo2", "consciousness", "temperature")
PROCESSES = ("none", "sepsis", "respiratory", "bleeding", "neurological", "arrhythmia")
DEFAULT_N = 20_000
MIN_N, MAX_N = 100, 2_000_000
CHUNK = 4_096
PAST_HOURS, FUTURE_HOURS = 24, 8

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
_RECORD_P = {"bp": 0.96, "hr": 0.98, "temp": 0.72, "rr": 0.90, "spo2": 0.95, "o2_flow": 0.62, "avpu": 0.85}


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def ward_dictionary() -> FeatureDictionary:
    """Complete dictionary of the ward features."""
    entries = []
    stat_word = {"min": "Min", "max": "Max", "mean": "Mean", "std": "SD of", "count": "Number of", "slope": "Slope of"}
    for v in VITALS:
        name, unit, lo, hi = VITAL_INFO[v]
        for s in STATS:
            word = "Average" if s == "mean" and name.startswith("mean ") else stat_word[s]  # not "Mean mean ..."
            label = f"{word} {name}" + (" readings" if s == "count" else "")
            has_range = s in ("min", "max", "mean")
            f_unit = {"count": "readings", "slope": f"{unit}/h" if v != "avpu" else "levels/h"}.get(s, unit)
            coding = " (consciousness, 0 = Alert, 1 = Voice, 2 = Pain, 3 = Unresponsive)" if v == "avpu" else ""
            desc = {
                "min": f"lowest {name} in the last 24 h", "max": f"highest {name} in the last 24 h",
                "mean": f"mean {name} over the last 24 h", "std": f"standard deviation of {name} over 24 h",
                "count": f"number of recorded {name} readings in 24 h (how closely staff observed)",
                "slope": f"least-squares trend of {name} per hour over 24 h (needs 2 readings)",
            }[s] + coding
            entries.append(FeatureInfo(
                name=f"{v}_{s}", label=label[:1].upper() + label[1:], unit=f_unit,
                normal_low=lo if has_range else None, normal_high=hi if has_range else None,
                group=GROUP_OF[v], kind="care process" if s == "count" else "vital sign", description=desc,
            ))
    entries += [
        FeatureInfo("age", "Age", "years", None, None, "age", "demographic", "age at the prediction time"),
        FeatureInfo("sex", "Sex (1 = male)", "0/1", None, None, "sex", "demographic", "0 = female, 1 = male"),
        FeatureInfo("los_days", "Length of stay so far", "days", None, None, "los_days", "administrative",
                    "days since admission at the prediction time"),
        FeatureInfo("n_obs_sets", "Number of vital-sign sets", "sets", None, None, "n_obs_sets", "care process",
                    "observation sets recorded in the last 24 h (how worried staff were)"),
    ]
    return FeatureDictionary(entries)


# ---- row level (patients, prediction times, latent processes) -------------------------------
def _rows(n: int, rng: np.random.Generator) -> dict:
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
    los_first = np.exp(rng.normal(np.log(1.6) + 0.35 * frail_p, 0.85))
    gap = np.where(visit > 0, rng.uniform(0.5, 3.0, n), 0.0)
    cum = np.cumsum(gap)
    los = np.round(np.clip(los_first[pat] + cum - cum[starts[pat]], 0.05, 90), 2)

    frail = frail_p[pat]
    eta = -2.6 + 0.55 * frail + 0.015 * (age_p[pat] - 68) + 1.0 * np.log1p(los) + rng.normal(0, 0.3, n)
    active = rng.random(n) < _sigmoid(eta)
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
    return {
        "n": n, "pat": pat, "visit": visit, "age": age_p[pat], "sex": sex_p[pat], "frail": frail,
        "base": base_row, "o2_trend": o2_trend,
        "los": los, "proc": proc, "onset": onset, "ramp": ramp, "cap": cap,
        "response": response,
        # staff worry: personal noise plus a gut feeling about a brewing process (before vitals move)
        "worry": rng.normal(0, 0.45, n) + 0.7 * active,
    }


# ---- hourly grid (chunked, float32 for speed; features are returned as rounded float64) -------
F = np.float32
_DECIMALS = {"sbp": 0, "dbp": 0, "map": 0, "hr": 0, "temp": 1, "rr": 0, "spo2": 0, "o2_flow": 1, "avpu": 0}


def _physiology(r: dict, sl: slice, t: np.ndarray, rng: np.random.Generator, names=_LAT) -> dict:
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
        v = s * (k * _LIN[proc, j]).astype(F)[:, None]
        v += s2 * (k * _QUAD[proc, j]).astype(F)[:, None]
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


def _mask_terms(m: np.ndarray, t: np.ndarray) -> tuple:
    """Per-row quantities of one record mask, shared by every vital recorded with it."""
    mf = m.astype(F)
    cnt = mf.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        tbar = (t * mf).sum(1) / cnt
    dt = (t - tbar[:, None]) * mf
    return m, mf, cnt, dt, (dt * dt).sum(1)


def _window_stats(v: np.ndarray, terms: tuple, decimals: int = 1) -> list[np.ndarray]:
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


def _red_flags(f: dict, avpu_usual: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def _chunk(r: dict, sl: slice, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    c = sl.stop - sl.start
    hours = np.arange(-PAST_HOURS + 1, 1, dtype=F)
    t = hours[None, :] - F(0.9) * rng.random((c, PAST_HOURS), dtype=F)
    t[:, -1] = 0.0  # the prediction time is an observation set
    past = _physiology(r, sl, t, rng)
    # observation sets: more often for worrying patients; none before admission
    person = (-1.7 + 0.3 * r["frail"][sl] + r["worry"][sl]).astype(F)
    logit = F(3.4) * past["severity"] + person[:, None]
    obs = (rng.random((c, PAST_HOURS), dtype=F) < _sigmoid(logit)) & (t > (-24.0 * r["los"][sl, None]).astype(F))
    obs[:, -1] = True
    cols = [None] * len(FEATURES)
    for v in VITALS:
        if v not in ("dbp", "map"):  # systolic, diastolic and MAP come from one BP reading
            rec = obs & (rng.random((c, PAST_HOURS), dtype=F) < F(_RECORD_P["bp" if v == "sbp" else v]))
            terms = _mask_terms(rec, t)
        i = FEATURES.index(f"{v}_min")
        cols[i:i + len(STATS)] = _window_stats(past[v], terms, _DECIMALS[v])
    cols[-4:] = [r["age"][sl], r["sex"][sl], r["los"][sl], obs.sum(1).astype(np.float64)]
    t_future = np.broadcast_to(np.arange(1, FUTURE_HOURS + 1, dtype=F), (c, FUTURE_HOURS))
    fut = _physiology(r, sl, t_future, rng, names=("sbp", "hr", "temp", "rr", "spo2", "avpu"))
    first, trig = _red_flags(fut, np.digitize(r["base"][sl, 6], [0.5, 1.5, 2.5]).astype(F))
    return np.column_stack(cols), first, trig


def simulate_ward(n: int | None = None, seed: int = 0) -> Cohort:
    """A ward cohort of ``n`` rows (prediction times), deterministic in ``(n, seed)``."""
    n = DEFAULT_N if n is None else int(n)
    if not MIN_N <= n <= MAX_N:
        raise CohortError(f"the ward simulator makes {MIN_N:,} to {MAX_N:,} rows; got n={n:,}")
    children = np.random.SeedSequence(int(seed)).spawn(1 + (n + CHUNK - 1) // CHUNK)
    r = _rows(n, np.random.default_rng(children[0]))
    X = np.empty((n, len(FEATURES)))
    first = np.empty(n, dtype=np.int64)
    trig = np.empty(n, dtype=np.int64)
    for i, start in enumerate(range(0, n, CHUNK)):
        sl = slice(start, min(start + CHUNK, n))
        X[sl], first[sl], trig[sl] = _chunk(r, sl, np.random.default_rng(children[1 + i]))
    ids = pd.Index([f"W{p:07d}-{v + 1}" for p, v in zip(r["pat"].tolist(), r["visit"].tolist())])
    groups = np.array([f"W{p:07d}" for p in r["pat"].tolist()], dtype=object)
    y = (first >= 0).astype(np.int8)
    trigger = np.where(y == 1, np.array(TRIGGER_GROUPS, dtype=object)[np.maximum(trig, 0)], "").astype(object)
    extra = pd.DataFrame({
        "latent_process": pd.Categorical.from_codes(r["proc"], PROCESSES),
        "hours_to_red_flag": np.where(y == 1, first + 1.0, np.nan),
    }, index=ids)
    return Cohort(
        name="ward",
        X=pd.DataFrame(X, index=ids, columns=list(FEATURES)),
        y=y,
        dictionary=ward_dictionary(),
        groups=groups,
        trigger=trigger,
        source=(f"Simulated adult ward (RiskLens ward simulator, n={n}, seed={seed}): 24 h of vital signs, "
                "red flag within the next 8 h, recorded trigger. Synthetic data, no real patients; "
                "see data/README.md for the generative story."),
        outcome_name="red flag within 8 h",
        extra=extra,
    )
