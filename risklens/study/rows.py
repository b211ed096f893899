"""Stages 1-2: train the runs on one seeded split, then select the rows every explainer explains.

*Per-model patients* (:data:`PATIENT_RULE`): a family's analysed patients are the held-out positives
its own run-1 model predicts positive at its threshold -- the study's "correctly predicted
positives", for that model alone (all held-out positives when fewer than :data:`MIN_PATIENTS`). So
one model's per-patient numbers never depend on which other families run beside it. Fast methods
explain all of them; slow ones (sampling methods: LIME, permutation SHAP) a seeded sample of
``max_patients`` chosen by a hash of (seed, patient id) (:func:`sample_by_id`): a patient's
membership depends on its id only, so samples of two families overlap as much as their sets do.

*Comparison patients* (:data:`COMPARISON_RULE`): comparisons between two explainers (method
agreement, top-contributor agreement, disagreements) use the patients both compared models flag,
i.e. the ids both explained; ``common`` = the patients every family flags. *cohort rows* = a seeded
sample of held-out rows (``max_cohort`` for fast methods, ``max_patients`` for slow ones) for the
cohort-level tables; samples of one seed are nested, so methods share rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from risklens.study.seeds import SeedPlan
from risklens.study.settings import EvaluationError, ExplainerKey, ProtocolSettings

MIN_PATIENTS = 5
#: Order in which a family's training and explanation units are handed out (slowest family first, so two workers
#: finish together).
TRAIN_ORDER = {"mlp": 0, "xgboost": 1, "l1-logistic": 2}
TEST_SIZE = 0.3
PATIENT_RULE = ("per model: the held-out patients with the event that this model's run-1 model flags (its own "
                "correctly predicted positives); trigger and mechanism concordance, sign agreement, stability, "
                "faithfulness and the noise floor of its explainers are measured on them")
COMPARISON_RULE = ("comparisons (method agreement, top-contributor agreement, disagreements): the patients every "
                   "compared model flags, each pair with its own count; cross-model consistency: the same held-out "
                   "cohort rows")


@dataclass
class Trained:
    """The split (row positions) and the trained runs of every family (run 1 first)."""

    train_pos: np.ndarray
    test_pos: np.ndarray
    models: dict  # family -> list[RiskModel]
    notes: list[str] = field(default_factory=list)


@dataclass
class Rows:
    """Row ids per explainer and the shared reference data."""

    family_patients: dict  # family -> ids of its analysed patients (its own correctly predicted positives)
    common: np.ndarray  # ids of the patients every family flags
    patient_rows: dict  # ExplainerKey -> ids
    cohort_rows: dict  # ExplainerKey -> ids
    background: pd.DataFrame  # training rows for sampling methods
    baseline: np.ndarray  # training mean per feature ("feature removed")
    scale: np.ndarray  # training std per feature
    notes: list[str] = field(default_factory=list)


def is_capped(key: ExplainerKey) -> bool:
    """Slow methods (sampling on this family) explain at most ``max_patients`` rows."""
    from risklens.explain import method

    return method(key.method).cost_for(key.family) == "slow"


def sample_ids(ids: np.ndarray, cap: int | None, seed: int) -> np.ndarray:
    """A seeded sample of ``cap`` ids in their original order (nested for one seed)."""
    if cap is None or len(ids) <= cap:
        return ids
    perm = np.random.default_rng(seed).permutation(len(ids))
    return ids[np.sort(perm[: int(cap)])]


def sample_by_id(ids: np.ndarray, cap: int | None, seed: int) -> np.ndarray:
    """The ``cap`` ids with the lowest hash of (seed, id), in their original order. Membership depends on the
    id alone, so for sets A and B the samples of A and of B hold every sampled id of A ∩ B that either holds."""
    import hashlib

    if cap is None or len(ids) <= cap:
        return ids
    keys = [hashlib.sha256(f"{int(seed)}\x1f{i}".encode()).digest()[:8] for i in ids]
    order = sorted(range(len(ids)), key=keys.__getitem__)
    return ids[np.sort(np.asarray(order[: int(cap)], dtype=np.intp))]


def flagged(model, X_test: pd.DataFrame, y_test: np.ndarray) -> np.ndarray:
    """Mask of held-out rows with the event that ``model`` predicts positive at its threshold."""
    return (y_test == 1) & (model.predict_proba(X_test) >= model.threshold)


def train_stage(cohort, families, settings: ProtocolSettings, plan: SeedPlan, progress=None,
                models: dict | None = None, workers=None) -> Trained:
    """Split once (seed ``split``), then train ``runs`` models per family (seed ``model run r``), on ``workers``
    (:class:`~risklens.study.workers.LocalWorkers`) when given, else in this process; the same models either way.

    ``models`` ({family: [RiskModel, ...]}) replaces training for the families it names; those models
    must have been trained on this same split, or the held-out rows leak.
    """
    from risklens.modeling import held_out_positions, split_cohort, train_model
    from risklens.families import FAMILY_LABELS
    from risklens.study.workers import map_units

    say = progress or (lambda f, m: None)
    train_pos, test_pos = split_cohort(cohort, TEST_SIZE, plan.split)
    out, notes, units = {}, [], []
    for fam in families:
        if models and models.get(fam):
            out[fam] = list(models[fam])
            for m in out[fam]:  # a supplied model must not have been fitted on any of the protocol's held-out rows
                if np.setdiff1d(test_pos, held_out_positions(m, cohort)).size:
                    raise EvaluationError(f"{FAMILY_LABELS[fam]} model {m.model_id} was fitted on rows the "
                                          "protocol holds out; supply models trained on its split or imported ones")
            notes.append(f"{FAMILY_LABELS[fam]}: {len(out[fam])} supplied model(s) used instead of training")
            continue
        units += [(fam, r) for r in range(1, settings.runs + 1)]
    slow_first = sorted(units, key=lambda u: TRAIN_ORDER.get(u[0], 0))  # the longest first balances the workers
    kwargs = [dict(seed=plan.model(r), params=settings.model_params.get(fam), split_seed=plan.split,
                   test_size=TEST_SIZE, split=(train_pos, test_pos)) for fam, r in slow_first]

    def said(done, total):
        if done < total:
            fam, r = slow_first[done]
            say(done / total, f"training {FAMILY_LABELS[fam]} run {r}/{settings.runs} (seed {plan.model(r)})")

    fitted = map_units(workers, train_model, [(cohort, fam) for fam, _ in slow_first], said, kwargs)
    by_unit = {u: m for u, (m, _) in zip(slow_first, fitted)}
    for fam in families:
        if fam not in out:
            out[fam] = [by_unit[(fam, r)] for r in range(1, settings.runs + 1)]
    return Trained(np.asarray(train_pos), np.asarray(test_pos), {f: out[f] for f in families}, notes)


def select_patients(cohort, trained: Trained, keys: list[ExplainerKey], settings: ProtocolSettings,
                    plan: SeedPlan) -> Rows:
    """The analysed patients, each explainer's rows, the background, baseline and feature scale."""
    from risklens.families import FAMILY_LABELS

    X_test = cohort.X.iloc[trained.test_pos]
    y_test = cohort.y[trained.test_pos]
    ids = X_test.index.to_numpy(dtype=object)
    if not (y_test == 1).any():
        raise EvaluationError("the held-out split has no positive patients; use a larger cohort")
    fam_patients, notes = {}, []
    every = np.ones(len(ids), dtype=bool)
    for fam, ms in trained.models.items():
        mask = flagged(ms[0], X_test, y_test)
        if mask.sum() < MIN_PATIENTS:
            notes.append(f"{FAMILY_LABELS.get(fam, fam)}: fewer than {MIN_PATIENTS} held-out positives are predicted "
                         f"positive; all {int((y_test == 1).sum())} held-out positives are analysed instead")
            mask = y_test == 1
        fam_patients[fam] = ids[mask]
        every &= mask
    pat, coh = {}, {}
    for key in keys:
        cap = is_capped(key)
        pat[key] = sample_by_id(fam_patients[key.family], settings.max_patients if cap else None, plan.rows)
        coh[key] = sample_ids(ids, settings.max_patients if cap else settings.max_cohort, plan.cohort_rows)
    big = [f for f in fam_patients if len(fam_patients[f]) > settings.max_patients]
    if any(is_capped(k) and k.family in big for k in keys):
        notes.append(f"slow methods (LIME, permutation SHAP) explain a seeded sample of {settings.max_patients} of "
                     f"their model's correctly predicted positives and {settings.max_patients} held-out rows")
    train = cohort.X.iloc[trained.train_pos]
    background = train.iloc[sample_ids(np.arange(len(train)), settings.background_rows, plan.background)]
    T = train.to_numpy(dtype=np.float64)
    from risklens.metrics.faithfulness import baseline_from

    return Rows(fam_patients, ids[every], pat, coh, background, baseline_from(T, "mean"), np.nanstd(T, axis=0), notes)
