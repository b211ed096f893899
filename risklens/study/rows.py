"""Stages 1-2: train the runs on one seeded split, then select the rows every explainer explains.

*patients* = held-out positives that the run-1 model of **every** family predicts positive (at its
threshold): the study's "correctly predicted positives", one common set so methods and models can
be compared patient by patient (all held-out positives when fewer than :data:`MIN_PATIENTS`). Fast
methods explain all of them; slow ones (sampling methods: LIME, permutation SHAP) a seeded sample of
``max_patients``. *cohort rows* = a seeded sample of held-out rows (``max_cohort`` for fast methods,
``max_patients`` for slow ones) for the cohort-level tables. Samples of one seed are nested, so
methods share rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from risklens.study.seeds import SeedPlan
from risklens.study.settings import EvaluationError, ExplainerKey, ProtocolSettings

MIN_PATIENTS = 5
TEST_SIZE = 0.3


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

    patients: np.ndarray  # ids of the analysed patients
    rule: str
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


def train_stage(cohort, families, settings: ProtocolSettings, plan: SeedPlan, progress=None,
                models: dict | None = None) -> Trained:
    """Split once (seed ``split``), then train ``runs`` models per family (seed ``model run r``).

    ``models`` ({family: [RiskModel, ...]}) replaces training for the families it names; those models
    must have been trained on this same split, or the held-out rows leak.
    """
    from risklens.modeling import held_out_positions, split_cohort, train_model
    from risklens.modeling.model import FAMILY_LABELS

    say = progress or (lambda f, m: None)
    train_pos, test_pos = split_cohort(cohort, TEST_SIZE, plan.split)
    out, notes = {}, []
    for i, fam in enumerate(families):
        if models and models.get(fam):
            out[fam] = list(models[fam])
            for m in out[fam]:  # a supplied model must not have been fitted on any of the protocol's held-out rows
                if np.setdiff1d(test_pos, held_out_positions(m, cohort)).size:
                    raise EvaluationError(f"{FAMILY_LABELS[fam]} model {m.model_id} was fitted on rows the "
                                          "protocol holds out; supply models trained on its split or imported ones")
            notes.append(f"{FAMILY_LABELS[fam]}: {len(out[fam])} supplied model(s) used instead of training")
            continue
        out[fam] = []
        for r in range(1, settings.runs + 1):
            say((i + (r - 1) / settings.runs) / len(families),
                f"training {FAMILY_LABELS[fam]} run {r}/{settings.runs} (seed {plan.model(r)})")
            out[fam].append(train_model(cohort, fam, seed=plan.model(r), params=settings.model_params.get(fam),
                                        split_seed=plan.split, test_size=TEST_SIZE, split=(train_pos, test_pos)))
    return Trained(np.asarray(train_pos), np.asarray(test_pos), out, notes)


def select_patients(cohort, trained: Trained, keys: list[ExplainerKey], settings: ProtocolSettings,
                    plan: SeedPlan) -> Rows:
    """The analysed patients, each explainer's rows, the background, baseline and feature scale."""
    X_test = cohort.X.iloc[trained.test_pos]
    y_test = cohort.y[trained.test_pos]
    correct = y_test == 1
    for ms in trained.models.values():
        correct &= ms[0].predict_proba(X_test) >= ms[0].threshold
    ids = X_test.index.to_numpy(dtype=object)
    patients, notes = ids[correct], []
    rule = "held-out patients with the event that the run-1 model of every family flagged (correctly predicted positives)"
    if len(patients) < MIN_PATIENTS:
        patients = ids[y_test == 1]
        rule = f"all held-out patients with the event (fewer than {MIN_PATIENTS} were flagged by every model)"
        notes.append(f"fewer than {MIN_PATIENTS} held-out positives are predicted positive by every family; all "
                     f"{len(patients)} held-out positives are analysed instead")
    if len(patients) == 0:
        raise EvaluationError("the held-out split has no positive patients; use a larger cohort")
    pat, coh = {}, {}
    for key in keys:
        cap = is_capped(key)
        pat[key] = sample_ids(patients, settings.max_patients if cap else None, plan.rows)
        coh[key] = sample_ids(ids, settings.max_patients if cap else settings.max_cohort, plan.cohort_rows)
    if any(is_capped(k) for k in keys) and len(patients) > settings.max_patients:
        notes.append(f"slow methods (LIME, permutation SHAP) explain a seeded sample of {settings.max_patients} of "
                     f"the {len(patients)} correctly predicted positives and {settings.max_patients} held-out rows")
    train = cohort.X.iloc[trained.train_pos]
    background = train.iloc[sample_ids(np.arange(len(train)), settings.background_rows, plan.background)]
    T = train.to_numpy(dtype=np.float64)
    from risklens.metrics.faithfulness import baseline_from

    return Rows(patients, rule, pat, coh, background, baseline_from(T, "mean"), np.nanstd(T, axis=0), notes)
