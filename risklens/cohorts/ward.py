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
from risklens.cohorts.ward_physiology import F, draw_rows, mask_terms, physiology, red_flags, sigmoid, window_stats
from risklens.cohorts.ward_setting import WardPreset, get_preset, ward_mechanism

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

_RECORD_P = {"bp": 0.96, "hr": 0.98, "temp": 0.72, "rr": 0.90, "spo2": 0.95, "o2_flow": 0.62, "avpu": 0.85}
_DECIMALS = {"sbp": 0, "dbp": 0, "map": 0, "hr": 0, "temp": 1, "rr": 0, "spo2": 0, "o2_flow": 1, "avpu": 0}


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


def _chunk(r: dict, sl: slice, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    c = sl.stop - sl.start
    hours = np.arange(-PAST_HOURS + 1, 1, dtype=F)
    t = hours[None, :] - F(0.9) * rng.random((c, PAST_HOURS), dtype=F)
    t[:, -1] = 0.0  # the prediction time is an observation set
    past = physiology(r, sl, t, rng)
    p = r["preset"]
    # observation sets: more often for worrying patients; none before admission
    person = (p.obs_icpt + 0.3 * r["frail"][sl] + r["worry"][sl]).astype(F)
    logit = F(p.obs_sev) * past["severity"] + person[:, None]
    obs = (rng.random((c, PAST_HOURS), dtype=F) < sigmoid(logit)) & (t > (-24.0 * r["los"][sl, None]).astype(F))
    obs[:, -1] = True
    cols = [None] * len(FEATURES)
    for v in VITALS:
        if v not in ("dbp", "map"):  # systolic, diastolic and MAP come from one BP reading
            rec = obs & (rng.random((c, PAST_HOURS), dtype=F) < F(_RECORD_P["bp" if v == "sbp" else v]))
            terms = mask_terms(rec, t)
        i = FEATURES.index(f"{v}_min")
        cols[i:i + len(STATS)] = window_stats(past[v], terms, _DECIMALS[v])
    cols[-4:] = [r["age"][sl], r["sex"][sl], r["los"][sl], obs.sum(1).astype(np.float64)]
    t_future = np.broadcast_to(np.arange(1, FUTURE_HOURS + 1, dtype=F), (c, FUTURE_HOURS))
    fut = physiology(r, sl, t_future, rng, names=("sbp", "hr", "temp", "rr", "spo2", "avpu"))
    first, trig = red_flags(fut, np.digitize(r["base"][sl, 6], [0.5, 1.5, 2.5]).astype(F))
    return np.column_stack(cols), first, trig


def simulate_ward(n: int | None = None, seed: int = 0, preset: str | WardPreset = "default",
                  stays: bool = False) -> Cohort:
    """A ward cohort of ``n`` rows (prediction times), deterministic in ``(n, seed, preset)``.

    ``stays=True``: ``n`` stays instead, each a run of consecutive 24 h windows every 4 h with the latent
    process evolving through them (:mod:`risklens.cohorts.ward_stays`).

    ``preset`` is a name in :data:`~risklens.cohorts.ward_setting.PRESETS` ("default", "study") or a
    :class:`~risklens.cohorts.ward_setting.WardPreset`. ``Cohort.mechanism`` holds each row's true
    process, the groups it moves and the group it pushes past a criterion first.
    """
    p = get_preset(preset)
    n = DEFAULT_N if n is None else int(n)
    if not MIN_N <= n <= MAX_N:
        raise CohortError(f"the ward simulator makes {MIN_N:,} to {MAX_N:,} rows; got n={n:,}")
    if stays:
        return simulate_stays(n, seed, p)
    children = np.random.SeedSequence(int(seed)).spawn(1 + (n + CHUNK - 1) // CHUNK)
    r = draw_rows(n, np.random.default_rng(children[0]), p)
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
        source=(f"Simulated adult ward (RiskLens ward simulator, n={n}, seed={seed}"
                + ("" if p.name == "default" else f", preset {p.name}") + "): 24 h of vital signs, "
                "red flag within the next 8 h, recorded trigger. Synthetic data, no real patients; "
                "see data/README.md for the generative story."),
        outcome_name="red flag within 8 h",
        extra=extra,
        mechanism=ward_mechanism(r, r["lin"], r["quad"], PROCESSES, ids),
    )


def block_seed(seed: int, block: int) -> int:
    """The simulator seed of block ``block`` of a large cohort: independent streams, one SeedSequence per block."""
    return int(np.random.SeedSequence([int(seed), int(block)]).generate_state(1, dtype=np.uint64)[0])


def simulate_stays(n: int, seed: int = 0, preset: str | WardPreset = "default", blocks=None,
                   block_stays: int | None = None) -> Cohort:
    """Stays ``blocks`` (default: all) of a cohort of ``n`` stays (see :mod:`risklens.cohorts.ward_stays`).

    Stays come in blocks of ``block_stays`` (default :data:`~risklens.cohorts.ward_stays.STAY_BLOCK`): block ``b``
    holds stays ``[b * block_stays, min(n, (b + 1) * block_stays))`` and is simulated on its own from seed ``seed``
    (block 0) or :func:`block_seed` ``(seed, b)``, its patients numbered from ``b * block_stays``. A stay's windows
    therefore depend only on ``(n, seed, preset, block_stays)`` and its block, never on which other blocks are
    made: the partitioned writer (:mod:`risklens.scale.simulate`) makes the blocks a partition needs and gets the
    same rows as the whole cohort.
    """
    from risklens.cohorts.ward_stays import MAX_WINDOWS, STAY_BLOCK, STEP_H

    p = get_preset(preset)
    size = int(block_stays or STAY_BLOCK)
    n_blocks = -(-int(n) // size)
    blocks = range(n_blocks) if blocks is None else list(blocks)
    pieces = [_stay_block(int(n), int(seed), p, b, size) for b in blocks]
    X = pd.concat([q[0] for q in pieces]) if len(pieces) > 1 else pieces[0][0]
    cat = (lambda i: np.concatenate([q[i] for q in pieces]))
    extra = pd.concat([q[5] for q in pieces]) if len(pieces) > 1 else pieces[0][5]
    mech = pd.concat([q[6] for q in pieces]) if len(pieces) > 1 else pieces[0][6]
    return Cohort(
        name="ward", X=X, y=cat(3), dictionary=ward_dictionary(), groups=cat(2), trigger=cat(4),
        source=(f"Simulated adult ward stays (RiskLens ward simulator, n={n} stays, seed={seed}"
                + ("" if p.name == "default" else f", preset {p.name}") + f"): a 24 h window every {STEP_H} h for up "
                f"to {MAX_WINDOWS} windows per stay, red flag within the next 8 h, recorded trigger. Synthetic data, "
                "no real patients; see data/README.md for the generative story."),
        outcome_name="red flag within 8 h", extra=extra, mechanism=mech,
    )


def _stay_block(n: int, seed: int, p: WardPreset, block: int, size: int) -> tuple:
    """(X, ids, groups, y, trigger, extra, mechanism) of block ``block`` of ``n`` stays in blocks of ``size``."""
    from risklens.cohorts.ward_stays import assemble_stays, stay_chunk, stay_windows

    first = block * size
    m = min(size, n - first)
    if m < 1:
        raise CohortError(f"block {block} is past the last of {n:,} stays")
    s = seed if block == 0 else block_seed(seed, block)
    children = np.random.SeedSequence(int(s)).spawn(1 + (m + CHUNK - 1) // CHUNK)
    r = draw_rows(m, np.random.default_rng(children[0]), p)
    planned = stay_windows(m, s)
    parts = []
    for i, start in enumerate(range(0, m, CHUNK)):
        sl = slice(start, min(start + CHUNK, m))
        parts.append(stay_chunk(r, sl, np.random.default_rng(children[1 + i]), FEATURES, VITALS, STATS, _RECORD_P,
                                _DECIMALS, planned[sl]))
    X, ids, groups, y, trigger, extra, stay = assemble_stays(r, parts, PROCESSES, TRIGGER_GROUPS, first_patient=first)
    mech = ward_mechanism(r, r["lin"], r["quad"], PROCESSES, pd.RangeIndex(m)).iloc[stay]
    mech.index = ids
    return pd.DataFrame(X, index=ids, columns=list(FEATURES)), ids, groups, y, trigger, extra, mech
