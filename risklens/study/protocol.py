"""The study's protocol end to end: runs x model families x explanation methods -> :class:`EvaluationReport`.

Rows (all on the held-out side of one seeded patient-level split, ``split_seed = seed``):

- *patients* = held-out positives that the run-1 model of **every** family predicts positive (at its
  threshold): the study's "correctly predicted positives", one common set so methods and models can
  be compared patient by patient. Cheap methods explain all of them; the model-agnostic ones
  (:func:`is_capped`: LIME, SHAP on the MLP) a seeded sample of ``max_patients``.
- *cohort rows* = a seeded sample of the held-out rows (``max_cohort`` for cheap methods,
  ``max_patients`` for capped ones): the cohort-level tables (mean |attribution|) use them.

Each (model, method) is explained once on the union of both row sets and sliced afterwards; pass an
:class:`~risklens.explain.ExplanationStore` as ``store`` to reuse explanations across calls.
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from itertools import combinations
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from risklens.metrics import consistency as C
from risklens.metrics.concordance import explanation_concordance
from risklens.errors import RiskLensError
from risklens.metrics.faithfulness import (
    baseline_from,
    compacity,
    faithfulness_curves,
    local_lipschitz,
    pgi_pgu,
)
from risklens.jsonsafe import to_json_safe
from risklens.metrics.stability import lime_stability, stability_summary

STUDY_METHODS: dict[str, tuple[str, ...]] = {
    "l1-logistic": ("coef", "lime"), "xgboost": ("shap", "lime"), "mlp": ("shap", "dtd", "lime"),
}
#: Explanation parameters used by the protocol (smaller budgets than the methods' defaults).
#: SHAP on the MLP: 5 antithetic permutations over 50 background rows (its default is 10 over 100).
DEFAULT_METHOD_PARAMS: dict[str, dict] = {"lime": {"num_samples": 2000}, "shap": {"background_size": 50, "permutations": 5}}


class EvaluationError(RiskLensError):
    """The protocol cannot run on this cohort / these settings (the message says what to change)."""


def is_capped(family: str, method: str) -> bool:
    """Model-agnostic, sampling-based methods whose patient count is capped by ``max_patients``."""
    return method in ("lime", "lime-ref") or (method == "shap" and family == "mlp")


@dataclass
class EvaluationReport:
    """Result of :func:`run_evaluation`; every field is JSON data (``to_json`` / ``from_json``).

    Keys of per-explainer dicts are ``"<family>/<method>"`` (e.g. ``"xgboost/shap"``).

    - ``cohort``: name, rows, events, event_rate, has_trigger, hash (SHA-256), source.
    - ``settings``: families, methods (key list), runs, seed, split_seed, max_patients, max_cohort,
      method_params, n_patients (common correctly predicted positives), n_explained {key: patients
      explained}, n_cohort_rows {key: rows}, capped (keys limited by max_patients).
    - ``models``: one dict per trained model: family, run, seed, model_id, auroc, auprc, threshold.
    - ``table1``: {key: [{rank, feature, label, group, kind, importance}, ... top 5]} (run 1, cohort level).
    - ``concordance``: {key: {dropped, kept, non_clinical_share, n, n_no_trigger, topk_hit {"1".."5"},
      mean_trigger_rank, trigger_not_in_model, kept_per_run [..]}} (mean over runs); {} without trigger.
    - ``run_consistency``: {key: {FA, CR, pairs}}: cohort level, FA top 5, CR all features, mean over run pairs.
    - ``cross_model``: {"xgboost/shap vs mlp/shap": {FA, CR, pairs}} cohort level, every run pair.
    - ``sign_agreement``: {key: {leading, top5, all}} patient level across runs (shared-feature form); not DTD.
    - ``top_contributor``: {"a vs b": {exact, group, top2_set, top3_set, n}} run 1, patient level.
    - ``method_agreement``: {"a vs b": {"patient": {FA, RA, SA, SA_shared, SRA, CR, PRA}, "cohort": {...}}} k = 5.
    - ``lime_stability``: {family: {jaccard, VSI, CSI, coef_cv, unstable_share, n, repeats, k, rule, csi_intervals}}.
    - ``faithfulness``: {key: {deletion_auc, deletion_auc_random, insertion_auc, insertion_auc_random,
      deletion_auc_norm, insertion_auc_norm, mean_curve_* [..], PGI, PGU, compacity_mean, lipschitz_mean
      (cheap methods only), n, baseline}} run 1, probability output.
    - ``rashomon``: {} or {margin, records [{family, seed, params, auroc, model_id, kept}], spread [{feature,
      min, median, max, rank_min, rank_max, rank_range}]}.
    - ``published``: the study's numbers for this cohort (:func:`risklens.study.paper.published`), {} if none.
    - ``provenance``: created, cohort_hash, versions {package: version}, seeds, timings {stage: seconds},
      total_seconds.
    - ``notes``: sentences a reader must know (caps, fallbacks, skipped parts).
    Missing numbers (NaN) are stored as null.
    """

    cohort: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    models: list = field(default_factory=list)
    table1: dict = field(default_factory=dict)
    concordance: dict = field(default_factory=dict)
    run_consistency: dict = field(default_factory=dict)
    cross_model: dict = field(default_factory=dict)
    sign_agreement: dict = field(default_factory=dict)
    top_contributor: dict = field(default_factory=dict)
    method_agreement: dict = field(default_factory=dict)
    lime_stability: dict = field(default_factory=dict)
    faithfulness: dict = field(default_factory=dict)
    rashomon: dict = field(default_factory=dict)
    published: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return clean(asdict(self))

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> "EvaluationReport":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise EvaluationError(f"not an evaluation report (invalid JSON: {exc})") from None
        if not isinstance(data, dict) or "cohort" not in data:
            raise EvaluationError("not an evaluation report: the JSON has no 'cohort' key")
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def clean(obj):
    """JSON-safe copy: numpy -> Python, NaN/inf -> None, tuples -> lists."""
    return to_json_safe(obj)


def resolve_methods(families: Sequence[str], methods) -> list[tuple[str, str]]:
    """(family, method) pairs: the study's defaults, or names ("shap") / keys ("mlp/dtd") given by the user."""
    from risklens.explain import methods_for

    if methods is None:
        return [(f, m) for f in families for m in STUDY_METHODS[f]]
    pairs = []
    for item in methods:
        if "/" in item:
            fam, m = item.split("/", 1)
            if fam not in families:
                raise EvaluationError(f"{item!r}: family {fam!r} is not among the evaluated families {list(families)}")
            if m not in methods_for(fam):
                raise EvaluationError(f"{item!r}: method {m!r} does not apply to {fam}; use one of {methods_for(fam)}")
            pairs.append((fam, m))
        else:
            hits = [(f, item) for f in families if item in methods_for(f)]
            if not hits:
                raise EvaluationError(f"method {item!r} applies to none of the families {list(families)}")
            pairs.extend(hits)
    return list(dict.fromkeys(pairs))


def _versions() -> dict:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for pkg in ("risklens", "numpy", "pandas", "scikit-learn", "xgboost", "shap", "lime", "scipy"):
        for dist in (pkg, f"{pkg}-cpu"):
            try:
                out[pkg] = md.version(dist)
                break
            except md.PackageNotFoundError:
                out[pkg] = None
    return out


class _Clock:
    def __init__(self):
        self.timings: dict[str, float] = {}

    def add(self, stage: str, start: float) -> None:
        self.timings[stage] = round(self.timings.get(stage, 0.0) + time.perf_counter() - start, 3)


def _sample(ids: np.ndarray, cap: int | None, seed: int) -> np.ndarray:
    """A seeded sample of ``cap`` ids in their original order; samples of one seed are nested
    (the 100 rows of a capped method are among the 2000 of a cheap one), so methods share rows."""
    if cap is None or len(ids) <= cap:
        return ids
    perm = np.random.default_rng(seed).permutation(len(ids))
    return ids[np.sort(perm[: int(cap)])]


def run_evaluation(cohort, *, families: Sequence[str] = ("l1-logistic", "mlp", "xgboost"), methods=None,
                   runs: int = 5, seed: int = 0, max_patients: int = 100, max_cohort: int = 2000,
                   progress: Callable[[float, str], None] | None = None, store=None,
                   model_params: dict[str, dict] | None = None, method_params: dict[str, dict] | None = None,
                   stability_patients: int = 20, stability_repeats: int = 5, faithfulness_patients: int = 100,
                   rashomon: bool = False, rashomon_margin: float = 0.01) -> EvaluationReport:
    """Run the protocol (see module docstring) and return an :class:`EvaluationReport`."""
    from risklens.study import paper
    from risklens.modeling import split_cohort, train_runs

    t_all = time.perf_counter()
    clock = _Clock()
    say = progress or (lambda f, m: None)
    from risklens.modeling import FAMILIES

    families = list(dict.fromkeys(families))
    bad = [f for f in families if f not in FAMILIES]
    if bad or not families:
        raise EvaluationError(f"unknown model family {', '.join(bad) or '(none given)'}; choose from {', '.join(FAMILIES)}")
    if int(runs) < 1:
        raise EvaluationError(f"runs must be at least 1, got {runs}")
    pairs = resolve_methods(families, methods)
    mparams = {**DEFAULT_METHOD_PARAMS, **(method_params or {})}
    notes: list[str] = []

    # ---- train -----------------------------------------------------------------------------
    t = time.perf_counter()
    train_pos, test_pos = split_cohort(cohort, 0.3, seed)
    models: dict[str, list] = {}
    for i, fam in enumerate(families):
        sub = lambda f, m, i=i: say(0.30 * (i + f) / len(families), m)  # noqa: E731
        models[fam] = train_runs(cohort, fam, runs=runs, seed=seed, split_seed=seed, progress=sub,
                                 params=(model_params or {}).get(fam))
    clock.add("train", t)

    # ---- rows --------------------------------------------------------------------------------
    X_test = cohort.X.iloc[test_pos]
    y_test = cohort.y[test_pos]
    correct = y_test == 1
    for fam in families:
        m = models[fam][0]
        correct &= m.predict_proba(X_test) >= m.threshold
    patients = X_test.index.to_numpy(dtype=object)[correct]
    if len(patients) < 5:
        patients = X_test.index.to_numpy(dtype=object)[y_test == 1]
        notes.append(f"fewer than 5 held-out positives are predicted positive by every family; all {len(patients)} "
                     "held-out positives are analysed instead")
    if len(patients) == 0:
        raise EvaluationError("the held-out split has no positive patients; use a larger cohort")
    test_ids = X_test.index.to_numpy(dtype=object)
    background = cohort.X.iloc[_sample(np.asarray(train_pos), 200, seed + 11)]
    baseline = baseline_from(cohort.X.iloc[train_pos].to_numpy(dtype=np.float64), "mean")
    rows_pat, rows_coh = {}, {}
    for fam, meth in pairs:
        cap = is_capped(fam, meth)
        rows_pat[fam, meth] = _sample(patients, max_patients if cap else None, seed + 1)
        rows_coh[fam, meth] = _sample(test_ids, max_patients if cap else max_cohort, seed + 2)
    if any(is_capped(f, m) and len(patients) > max_patients for f, m in pairs):
        notes.append(f"model-agnostic methods (LIME, SHAP on the MLP) explain a seeded sample of {max_patients} of "
                     f"the {len(patients)} correctly predicted positives and {max_patients} held-out rows")

    # ---- explain -----------------------------------------------------------------------------
    expl: dict[tuple[str, str], list] = {}
    n_units = len(pairs) * runs
    done = 0
    for fam, meth in pairs:
        union = pd.Index(rows_pat[fam, meth]).append(pd.Index(rows_coh[fam, meth])).unique()
        X = cohort.X.loc[union]
        t = time.perf_counter()
        expl[fam, meth] = []
        for r, model in enumerate(models[fam]):
            say(0.30 + 0.45 * done / n_units, f"explaining with {fam}/{meth}, run {r + 1}/{runs} ({len(X)} rows)")
            expl[fam, meth].append(_explain(model, X, meth, seed + r, store, _params(fam, meth, mparams, background)))
            done += 1
        clock.add(f"explain {fam}/{meth}", t)
    keys = [f"{f}/{m}" for f, m in pairs]
    pat = {f"{f}/{m}": [e.rows_for_ids(rows_pat[f, m]) for e in expl[f, m]] for f, m in pairs}
    coh = {f"{f}/{m}": [e.rows_for_ids(rows_coh[f, m]) for e in expl[f, m]] for f, m in pairs}

    rep = EvaluationReport(published=paper.published(cohort.name))
    rep.cohort = {**{k: v for k, v in cohort.summary().items() if k != "hash"}, "hash": cohort.hash,
                  "source": cohort.source, "outcome": cohort.outcome_name}
    rep.models = [{"family": fam, "run": r + 1, "seed": m.seed, "model_id": m.model_id,
                   "auroc": m.metrics.get("auroc"), "auprc": m.metrics.get("auprc"), "threshold": m.threshold}
                  for fam in families for r, m in enumerate(models[fam])]

    # ---- tables --------------------------------------------------------------------------------
    say(0.76, "cohort tables and consistency")
    t = time.perf_counter()
    rep.table1 = {k: _table1(coh[k][0], cohort.dictionary) for k in keys}
    rep.run_consistency = {k: C.run_consistency(coh[k], k=5) for k in keys}
    if "xgboost/shap" in coh and "mlp/shap" in coh:
        a, b = coh["xgboost/shap"], coh["mlp/shap"]
        common = np.intersect1d(a[0].ids.astype(str), b[0].ids.astype(str))
        ia = [C.cohort_importance(e.rows_for_ids(common)) for e in a]
        ib = [C.cohort_importance(e.rows_for_ids(common)) for e in b]
        rep.cross_model = {"xgboost/shap vs mlp/shap": {
            "FA": C.mean_over_cross(ia, ib, lambda x, y: C.feature_agreement(x, y, 5)),
            "CR": C.mean_over_cross(ia, ib, C.rank_correlation), "pairs": len(ia) * len(ib), "rows": len(common)}}
    rep.sign_agreement = {k: C.sign_agreement_runs(pat[k]) for k in keys if not k.endswith("/dtd") and runs > 1}
    groups = cohort.dictionary.groups(cohort.features)
    for ka, kb in combinations(keys, 2):
        common = [i for i in pat[ka][0].ids if i in set(pat[kb][0].ids)]
        if not common:
            continue
        ea, eb = pat[ka][0].rows_for_ids(common), pat[kb][0].rows_for_ids(common)
        rep.top_contributor[f"{ka} vs {kb}"] = C.top_contributor_agreement(ea, eb, groups)
        cb = set(coh[kb][0].ids)
        common_c = [i for i in coh[ka][0].ids if i in cb]
        ca, cb_ = ((coh[ka][0].rows_for_ids(common_c), coh[kb][0].rows_for_ids(common_c)) if common_c
                   else (coh[ka][0], coh[kb][0]))
        rep.method_agreement[f"{ka} vs {kb}"] = {"patient": C.agreement(ea, eb, 5, "patient"),
                                                 "cohort": C.agreement(ca, cb_, 5, "cohort"), "patients": len(common)}
    clock.add("consistency", t)

    if cohort.has_trigger:
        t = time.perf_counter()
        for k in keys:
            per_run = [explanation_concordance(e, cohort).to_dict() for e in pat[k]]
            rep.concordance[k] = _mean_records(per_run)
            rep.concordance[k]["kept_per_run"] = [r["kept"] for r in per_run]
        clock.add("concordance", t)
    else:
        notes.append("the cohort records no trigger: concordance (Fig. 2) is not computed")

    # ---- LIME stability ------------------------------------------------------------------------
    t = time.perf_counter()
    for fam, meth in pairs:
        if meth != "lime" or stability_repeats < 2:
            continue
        say(0.80, f"LIME stability on {fam} ({stability_repeats} seeds)")
        X = cohort.X.loc[rows_pat[fam, meth][:stability_patients]]
        reps = [_explain(models[fam][0], X, "lime", seed + 1000 + r, store, _params(fam, "lime", mparams, background))
                for r in range(stability_repeats)]
        rep.lime_stability[fam] = stability_summary(lime_stability(reps), stability_repeats)
    clock.add("lime stability", t)

    # ---- faithfulness --------------------------------------------------------------------------
    t = time.perf_counter()
    for fam, meth in pairs:
        k = f"{fam}/{meth}"
        say(0.88, f"faithfulness of {k}")
        e = pat[k][0][: faithfulness_patients]
        model = models[fam][0]
        res = faithfulness_curves(model.predict_proba, e.data, e.values, baseline, seed=seed)
        scale = np.nanstd(cohort.X.iloc[train_pos].to_numpy(dtype=np.float64), axis=0)
        res.update({kk: v for kk, v in pgi_pgu(model.predict_proba, e.data, e.values, scale=scale, seed=seed).items()
                    if kk in ("PGI", "PGU")})
        res["compacity_mean"] = float(compacity(e.values).mean())
        if not is_capped(fam, meth):
            res["lipschitz_mean"] = float(np.mean(local_lipschitz(
                _array_explainer(model, meth, seed, cohort.features), e.data[:25], scale=scale, seed=seed)))
        res["baseline"] = "training mean"
        rep.faithfulness[k] = res
    clock.add("faithfulness", t)

    if rashomon:
        from risklens.study.rashomon import importance_spread, rashomon_set

        t = time.perf_counter()
        say(0.92, "Rashomon set")
        fams = [f for f in families if f != "mlp"] or families
        kept, records = rashomon_set(cohort, fams, seeds=(seed, seed + 1), margin=rashomon_margin, split_seed=seed)
        spread = importance_spread(kept, cohort.X.loc[_sample(test_ids, 500, seed + 3)], seed=seed, store=store)
        rep.rashomon = {"margin": rashomon_margin, "records": records, "spread": spread.to_dict("records")}
        clock.add("rashomon", t)

    rep.settings = {
        "families": families, "methods": keys, "runs": int(runs), "seed": int(seed), "split_seed": int(seed),
        "max_patients": int(max_patients), "max_cohort": int(max_cohort), "method_params": mparams,
        "n_patients": int(len(patients)), "n_explained": {k: len(pat[k][0]) for k in keys},
        "n_cohort_rows": {k: len(coh[k][0]) for k in keys},
        "capped": [f"{f}/{m}" for f, m in pairs if is_capped(f, m)],
        "stability": {"patients": stability_patients, "repeats": stability_repeats},
        "faithfulness_patients": faithfulness_patients,
    }
    rep.provenance = {"created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "cohort_hash": cohort.hash,
                      "versions": _versions(), "seeds": {"models": [seed + r for r in range(runs)], "split": seed},
                      "timings": clock.timings, "total_seconds": round(time.perf_counter() - t_all, 3)}
    rep.notes = notes
    say(1.0, f"evaluation done in {rep.provenance['total_seconds']:.0f} s")
    return EvaluationReport(**clean(asdict(rep)))


# ---- helpers ---------------------------------------------------------------------------------
def _params(fam: str, meth: str, mparams: dict, background: pd.DataFrame) -> dict:
    if meth in ("lime", "lime-ref"):
        return {**mparams.get(meth, {}), "background": background}
    if meth == "shap" and fam == "mlp":
        return {**mparams.get("shap", {}), "background": background}
    return {}


def _explain(model, X, meth, seed, store, params):
    from risklens.explain import cached_explain, explain

    if store is None:
        return explain(model, X, meth, seed=seed, **params)
    return cached_explain(model, X, meth, seed=seed, store=store, **params)


def _array_explainer(model, meth, seed, names):
    from risklens.explain import explain

    def fn(M):
        X = pd.DataFrame(M, columns=names, index=[str(i) for i in range(len(M))])
        return explain(model, X, meth, seed=seed).values
    return fn


def _table1(e, dictionary, k: int = 5) -> list[dict]:
    imp = e.cohort_importance().head(k)
    out = []
    for r, (name, v) in enumerate(imp.items(), start=1):
        info = dictionary.get_info(name)
        out.append({"rank": r, "feature": name, "label": info.label, "group": info.group, "kind": info.kind,
                    "importance": float(v)})
    return out


def _mean_records(records: list[dict]) -> dict:
    out = {}
    for key, v in records[0].items():
        if isinstance(v, dict):
            out[key] = {kk: _nanmean([r[key][kk] for r in records]) for kk in v}
        elif isinstance(v, int) and not isinstance(v, bool):
            out[key] = v if all(r[key] == v for r in records) else _nanmean([r[key] for r in records])
        elif isinstance(v, float):
            out[key] = _nanmean([r[key] for r in records])
    return out


def _nanmean(vals) -> float:
    vals = [float(v) for v in vals if v is not None and np.isfinite(v)]
    return float(np.mean(vals)) if vals else float("nan")
