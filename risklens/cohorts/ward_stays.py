"""Stays in the ward simulator: each admission as consecutive 24-hour windows, the latent process evolving through them.

``simulate_ward(n, seed, preset, stays=True)`` (an option: the default output is unchanged) makes ``n`` stays.
Each stay starts from one of the simulator's ordinary rows (:func:`~risklens.cohorts.ward_physiology.draw_rows`:
the same patient, baseline, latent process, onset and ramp) and is observed every ``STEP_H`` hours for up to
``MAX_WINDOWS`` windows (drawn per stay). One hourly grid covers the whole stay, so consecutive windows share
their overlapping observations; the process's severity keeps ramping through the stay. Window ``k`` (its
prediction time ``k * STEP_H`` hours after the first one) has the features of the 24 h before it, the length of
stay at that time, and the outcome "red flag within the next 8 h" checked hourly on one future grid of the stay;
the trigger is the group of the stay's first red flag. Windows at or after the stay's first red flag are not
made (the alert has been answered), so the last window of a stay with an event is the one that saw it coming.

``Cohort.extra`` carries ``stay`` (the stay id), ``hour`` (hours since admission at the window), ``event_hour``
(hours since admission of the first red flag, NaN without one), ``window`` (0, 1, ...), ``latent_process`` and
``hours_to_red_flag``; row ids are ``<stay>-h<hours since the first window, 3 digits>``. Deterministic in
``(n, seed, preset)``. Stays are made in blocks of :data:`STAY_BLOCK`, each from a seed of its own
(:func:`risklens.cohorts.ward.simulate_stays`), and within a block in fixed-size chunks, each with its own child
seed; a stay's windows are never split between blocks, so a partitioned dataset of stays
(``risklens cohort ward --stays --partitions P``) has the same rows, in the same order, whatever ``P``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risklens.cohorts.ward_physiology import F, mask_terms, physiology, red_flags, sigmoid, window_stats

STEP_H = 4
MAX_WINDOWS = 13  # up to 48 h of windows after the first
#: Stays per block: a block is simulated on its own seed (see :func:`risklens.cohorts.ward.simulate_stays`), so a
#: cohort of up to 20,000 stays is one block made from the seed itself.
STAY_BLOCK = 20_000
PAST_HOURS, FUTURE_HOURS = 24, 8


def stay_windows(n: int, seed: int) -> np.ndarray:
    """Windows planned per stay (1..MAX_WINDOWS), from a stream of their own (the stays' rows are unchanged)."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x57A7]))
    return rng.integers(1, MAX_WINDOWS + 1, size=n)


def stay_chunk(r: dict, sl: slice, rng: np.random.Generator, features, vitals, stats, record_p, decimals,
               planned: np.ndarray) -> dict:
    """Windows of the stays ``sl``: features (rows x features), stay position, window index, outcome hour and
    trigger index of each window, and each stay's first red flag hour (-1 none) and trigger."""
    c = sl.stop - sl.start
    span = (MAX_WINDOWS - 1) * STEP_H
    hours = np.arange(-PAST_HOURS + 1, span + 1, dtype=F)
    t = hours[None, :] - F(0.9) * rng.random((c, len(hours)), dtype=F)
    at_pred = (hours % STEP_H == 0) & (hours >= 0)
    t[:, at_pred] = hours[at_pred]  # every prediction time is an observation set
    past = physiology(r, sl, t, rng)
    p = r["preset"]
    person = (p.obs_icpt + 0.3 * r["frail"][sl] + r["worry"][sl]).astype(F)
    logit = F(p.obs_sev) * past["severity"] + person[:, None]
    obs = (rng.random(t.shape, dtype=F) < sigmoid(logit)) & (t > (-24.0 * r["los"][sl, None]).astype(F))
    obs[:, at_pred] = True
    recorded = {}
    for v in vitals:
        if v not in ("dbp", "map"):  # systolic, diastolic and MAP come from one BP reading
            recorded[v] = obs & (rng.random(t.shape, dtype=F) < F(record_p["bp" if v == "sbp" else v]))
    t_future = np.broadcast_to(np.arange(1, span + FUTURE_HOURS + 1, dtype=F), (c, span + FUTURE_HOURS))
    fut = physiology(r, sl, t_future, rng, names=("sbp", "hr", "temp", "rr", "spo2", "avpu"))
    first, trig = red_flags(fut, np.digitize(r["base"][sl, 6], [0.5, 1.5, 2.5]).astype(F))
    first_h = np.where(first >= 0, first + 1, -1)  # hours after the first prediction time
    rows, feats = [], []
    for k in range(MAX_WINDOWS):
        start = k * STEP_H  # column of the window's first hour: hours -23 .. 0 relative to its prediction time
        keep = (planned > k) & ((first_h < 0) | (first_h > k * STEP_H))
        if not keep.any():
            continue
        sel = np.flatnonzero(keep)
        cols_t = slice(start, start + PAST_HOURS)
        tw = t[sel, cols_t] - F(k * STEP_H)
        cols = [None] * len(features)
        for v in vitals:
            if v not in ("dbp", "map"):
                terms = mask_terms(recorded[v][sel, cols_t], tw)
            i = features.index(f"{v}_min")
            cols[i:i + len(stats)] = window_stats(past[v][sel, cols_t], terms, decimals[v])
        g = sl.start + sel
        cols[-4:] = [r["age"][g], r["sex"][g], np.round(r["los"][g] + k * STEP_H / 24.0, 2),
                     obs[sel, cols_t].sum(1).astype(np.float64)]
        feats.append(np.column_stack(cols))
        rows.append(pd.DataFrame({"stay": sel, "window": k}))
    frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame({"stay": [], "window": []})
    X = np.vstack(feats) if feats else np.zeros((0, len(features)))
    order = np.lexsort((frame["window"].to_numpy(), frame["stay"].to_numpy()))  # stays together, windows in order
    return {"X": X[order], "stay": frame["stay"].to_numpy()[order] + sl.start, "window": frame["window"].to_numpy()[order],
            "first_h": first_h, "trig": trig}


def assemble_stays(r: dict, parts: list[dict], processes, trigger_groups, first_patient: int = 0) -> tuple:
    """(X, ids, groups, y, trigger, extra, row of r per window) from the chunks' windows; patients are numbered
    from ``first_patient`` (a block's first stay: a block has no more patients than stays, so ids never collide)."""
    X = np.vstack([q["X"] for q in parts])
    stay = np.concatenate([q["stay"] for q in parts]).astype(np.int64)
    window = np.concatenate([q["window"] for q in parts]).astype(np.int64)
    first_h = np.concatenate([q["first_h"] for q in parts])
    trig = np.concatenate([q["trig"] for q in parts])
    pat = r["pat"] + int(first_patient)
    stay_ids = np.array([f"W{p:07d}-{v + 1}" for p, v in zip(pat.tolist(), r["visit"].tolist())], dtype=object)
    since_first = window * STEP_H
    fh = first_h[stay]
    y = ((fh > since_first) & (fh <= since_first + FUTURE_HOURS)).astype(np.int8)
    trigger = np.where(y == 1, np.asarray(trigger_groups, dtype=object)[np.maximum(trig[stay], 0)], "").astype(object)
    ids = pd.Index([f"{s}-h{h:03d}" for s, h in zip(stay_ids[stay].tolist(), since_first.tolist())])
    seen = pd.Series(y).groupby(stay).transform("max").to_numpy() > 0  # the event falls in a window's horizon
    fh = np.where(seen, fh, -1)  # an event after the stay's last window's horizon is not observed
    admit_h = r["los"][stay] * 24.0  # hours since admission at the first window
    extra = pd.DataFrame({
        "stay": stay_ids[stay], "window": window, "hour": np.round(admit_h + since_first, 2),
        "event_hour": np.where(fh > 0, np.round(admit_h + fh, 2), np.nan),
        "latent_process": pd.Categorical.from_codes(r["proc"][stay], processes),
        "hours_to_red_flag": np.where(y == 1, fh - since_first, np.nan).astype(np.float64),
    }, index=ids)
    groups = np.array([f"W{p:07d}" for p in pat[stay].tolist()], dtype=object)
    return X, ids, groups, y, trigger, extra, stay
