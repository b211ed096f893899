"""Stage 3: explain every run of every explainer on its rows (seed ``explainer run r``).

Each explainer explains the union of its patient rows and cohort rows once per run and is sliced
afterwards; every call offers the seeded training background (the method registry passes it to the methods
that need one) and the method's budget (:meth:`ProtocolSettings.budget`: the registry's defaults unless the
settings override them). Calls run on the protocol's executor (this process unless one is given).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from risklens.study.clock import Clock
from risklens.study.rows import TRAIN_ORDER, Rows, Trained
from risklens.study.seeds import SeedPlan
from risklens.study.settings import ExplainerKey, ProtocolSettings


@dataclass
class Explained:
    """Per explainer: one Explanation per run, sliced to the patient rows and to the cohort rows."""

    patients: dict  # ExplainerKey -> list[Explanation] (run 1 first)
    cohort: dict  # ExplainerKey -> list[Explanation]
    params: dict  # ExplainerKey -> budget parameters used (without the background frame)


def method_params(key: ExplainerKey, settings: ProtocolSettings, background: pd.DataFrame) -> dict:
    """Parameters offered to the method: its budget (empty where exact) and the training background."""
    return {**settings.budget(key.family, key.method), "background": background}


def explain_rows(model, X: pd.DataFrame, method: str, seed: int, store, params: dict, executor=None):
    """One explanation through the store when one is given (reused across calls), else computed; on
    ``executor`` (default: this process)."""
    return explain_calls([(model, X, method, seed, params)], store, executor)[0][0]


def explain_calls(requests: list[tuple], store, executor=None, progress=None) -> list[tuple]:
    """``[(Explanation, seconds), ...]`` of ``(model, X, method, seed, params)`` requests, in order (see
    :func:`start_calls`); ``progress(done, total)`` as they finish."""
    return start_calls(requests, store, executor).result(progress)


def start_calls(requests: list[tuple], store, executor=None):
    """A :class:`~risklens.study.workers.Pending` of ``[(Explanation, seconds), ...]`` for ``(model, X, method,
    seed, params)`` requests, in order: stored ones from ``store`` (0 seconds), the others handed to ``executor``
    now (worker processes run them side by side; default: this process, when the result is asked for) and saved."""
    from risklens.explain import prepare
    from risklens.explain.store import cache_key
    from risklens.study.workers import Pending, start_explain

    calls = [prepare(model, X[model.feature_names], method, seed=seed, **params)
             for model, X, method, seed, params in requests]
    found: list = [None] * len(calls)
    keys = {}
    if store is not None:
        for i, call in enumerate(calls):
            keys[i] = cache_key(call.model, call.X, call.method, call.seed, call.arguments())
            hit = store.get(call.method, keys[i][0])
            if hit is not None:
                found[i] = (hit, 0.0)
    todo = [i for i, o in enumerate(found) if o is None]
    pending = start_explain(executor, [calls[i] for i in todo])

    def collect(progress):
        out = list(found)
        for i, result in zip(todo, pending.result(progress)):
            out[i] = result
            if store is not None:
                store.put(calls[i].method, keys[i][0], result[0], keys[i][1])
        return out

    return Pending(collect)


def explain_stage(cohort, trained: Trained, rows: Rows, keys: list[ExplainerKey], settings: ProtocolSettings,
                  plan: SeedPlan, store=None, progress=None, clock=None, executor=None) -> Explained:
    """Every run of every explainer; ``clock`` gets the stage's wall time ("explain") and each explainer's compute
    seconds over its runs ("explain KEY"; they overlap when worker processes explain side by side)."""
    say = progress or (lambda f, m: None)
    clock = clock or Clock()
    pat, coh = {}, {}
    used = {key: settings.budget(key.family, key.method) for key in keys}
    requests, owner = [], []
    # handed out family by family, the slowest to explain first (the network's, then XGBoost's), so that the
    # last calls are short ones and two workers finish together; results go back to their explainer by owner
    for key in sorted(keys, key=lambda k: TRAIN_ORDER.get(k.family, 0)):
        union = pd.Index(rows.patient_rows[key]).append(pd.Index(rows.cohort_rows[key])).unique()
        X = cohort.X.loc[union]
        params = method_params(key, settings, rows.background)
        for r, model in enumerate(trained.models[key.family], start=1):
            requests.append((model, X, key.method, plan.explainer(r), params))
            owner.append(key)

    def said(done, total):
        if done < total:
            key = owner[done]
            say(done / total, f"explaining with {key} ({len(requests[done][1])} rows), {done}/{total} calls done")

    with clock.stage("explain"):
        results = explain_calls(requests, store, executor, said)
    for key in keys:
        runs = [e for (e, _), k in zip(results, owner) if k == key]
        clock.timings[f"explain {key}"] = round(sum(s for (_, s), k in zip(results, owner) if k == key), 3)
        pat[key] = [e.rows_for_ids(rows.patient_rows[key]) for e in runs]
        coh[key] = [e.rows_for_ids(rows.cohort_rows[key]) for e in runs]
    return Explained(pat, coh, used)
