"""Can I trust this explanation? One patient, one model, only measured quantities (no invented score).

Each line states what was measured and what it means:

1. **sampling error**: the method's standard error beside the patient's contributions (exact methods: none);
2. **agreement**: the second method's top features beside the first's (top-k overlap, same top feature,
   rank correlation);
3. **local sensitivity**: max-sensitivity of the explanation when every input moves by up to
   :data:`RADIUS` feature standard deviations (:data:`NEIGHBOURS` seeded neighbours);
4. **sanity check on this model**: the method's explanations of :data:`SANITY_PATIENTS` held-out patients
   with the event, for this model and for a randomised copy (:mod:`risklens.modeling.randomised`), compared
   by Spearman of |attribution| (:data:`~risklens.metrics.randomisation.RULE`).

Each line has a status: "ok", "caution" (the measurement says be careful) or "info".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from risklens.metrics.randomisation import PASS_BELOW, explanation_similarity, sanity_verdict
from risklens.metrics.robustness import max_sensitivity

RADIUS = 0.1
NEIGHBOURS = 4
SANITY_PATIENTS = 20
SENSITIVE_ABOVE = 0.5  # a relative change of the explanation above this is flagged


@dataclass(frozen=True)
class ModelSanity:
    """The sanity check of one method on one model: mean similarity to the randomised model's explanations."""

    method: str
    randomisation: str
    spearman: float
    top_k: float
    passed: bool
    n: int


@dataclass(frozen=True)
class TrustLine:
    topic: str
    status: str  # "ok", "caution", "info"
    text: str


def model_sanity(model, cohort, method: str, params: dict, held_out: np.ndarray, seed: int = 0,
                 n: int = SANITY_PATIENTS) -> ModelSanity | None:
    """The check on ``n`` seeded held-out patients with the event (None for a model trained elsewhere)."""
    from risklens.explain import explain
    from risklens.modeling.randomised import randomised_models

    train = np.setdiff1d(np.arange(cohort.n), held_out)
    how, steps = randomised_models(model, cohort.X.iloc[train][model.feature_names].to_numpy(np.float64),
                                   cohort.y[train], seed)
    if not steps or len(train) == 0:
        return None
    pos = held_out[cohort.y[held_out] == 1]
    if len(pos) == 0:
        pos = held_out
    pos = np.sort(np.random.default_rng(seed).permutation(pos)[:n])
    X = cohort.X.iloc[pos][model.feature_names]
    real = explain(model, X, method, seed=seed, **params).values
    rand = explain(steps[-1][1], X, method, seed=seed, **params).values
    sim = explanation_similarity(real, rand, 5)
    rho = float(np.mean(sim["spearman"]))
    return ModelSanity(method, how, rho, float(np.mean(sim["top_k"])), sanity_verdict(rho), int(len(X)))


def patient_sensitivity(model, row: pd.DataFrame, method: str, params: dict, scale: np.ndarray, seed: int = 0) -> float:
    """Max-sensitivity of one patient's explanation (NaN when the explanation is all zero)."""
    from risklens.explain import explain

    names = list(model.feature_names)

    def fn(M):
        frame = pd.DataFrame(M, columns=names, index=[f"n{i}" for i in range(len(M))])
        return explain(model, frame, method, seed=seed, **params).values

    X = row[names].to_numpy(np.float64)
    return float(max_sensitivity(fn, X, scale=scale, radius=RADIUS, n_neighbours=NEIGHBOURS, seed=seed)[0])


def sampling_line(name: str, values: np.ndarray, stderr: np.ndarray | None, exact: bool, k: int = 5) -> TrustLine:
    """Standard errors beside the contributions: how many of the top k are resolved (|value| > 2 SE)."""
    if exact or stderr is None:
        return TrustLine("sampling error", "ok", f"{name} is computed exactly for this model: no sampling error.")
    v, se = np.abs(np.asarray(values, float)), np.nan_to_num(np.asarray(stderr, float), nan=0.0)
    top = np.argsort(-v, kind="stable")[:k]
    resolved = int(np.sum(v[top] > 2 * se[top]))
    worst = float(se[top].max()) if len(top) else 0.0
    status = "ok" if resolved == len(top) else "caution"
    return TrustLine("sampling error", status,
                     f"{name}'s largest standard error among the top {len(top)} features is {worst:.3g} against a top "
                     f"contribution of {v[top[0]]:.3g}; {resolved} of the {len(top)} are more than two standard "
                     "errors from zero.")


def agreement_line(name: str, other: str, agreement: dict | None) -> TrustLine:
    if not agreement:
        return TrustLine("agreement", "info", f"No second method explains this model beside {name}.")
    k, fa = agreement["k"], agreement["topk_overlap"]
    shared = int(round(fa * k)) if np.isfinite(fa) else 0
    same = "the same top feature" if agreement["top1_same"] else "different top features"
    rc = agreement.get("rank_correlation")
    rc_txt = f", rank correlation {rc:.2f}" if rc is not None and np.isfinite(rc) else ""
    status = "ok" if agreement["top1_same"] and fa >= 0.6 else "caution"
    return TrustLine("agreement", status, f"{name} and {other} share {shared} of their top {k} features and name "
                     f"{same}{rc_txt}.")


def sensitivity_line(name: str, value: float | None) -> TrustLine:
    if value is None or not np.isfinite(value):
        return TrustLine("local sensitivity", "info", f"{name}'s local sensitivity was not measured for this patient.")
    status = "ok" if value <= SENSITIVE_ABOVE else "caution"
    return TrustLine("local sensitivity", status,
                     f"When every input moves by up to {RADIUS:g} standard deviations ({NEIGHBOURS} seeded tries), "
                     f"{name}'s explanation changes by up to {value:.0%} of its size (max-sensitivity {value:.2f}).")


def sanity_line(name: str, check: ModelSanity | None) -> TrustLine:
    if check is None:
        return TrustLine("sanity check", "info", f"{name} has no sanity check for a model trained elsewhere.")
    how = "a copy with every layer re-drawn" if check.randomisation == "cascading layers" else \
        "a copy retrained on shuffled outcomes"
    verdict = "passed" if check.passed else "FAILED"
    return TrustLine("sanity check", "ok" if check.passed else "caution",
                     f"{name} {verdict} the sanity check on this model: on {check.n} held-out patients with the event, "
                     f"its explanations of {how} have a Spearman correlation of {check.spearman:.2f} with the real "
                     f"ones (passes below {PASS_BELOW}).")


def trust_lines(name: str, other: str, view, stderr, exact: bool, sensitivity: float | None,
                sanity: ModelSanity | None) -> list[TrustLine]:
    """The four lines of the panel for one patient (``view``: the Patients page's PatientView)."""
    return [sampling_line(name, view.attributions, stderr, exact), agreement_line(name, other, view.agreement),
            sensitivity_line(name, sensitivity), sanity_line(name, sanity)]
