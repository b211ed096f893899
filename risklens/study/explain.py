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
from risklens.study.rows import Rows, Trained
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
    from risklens.explain import IN_PROCESS, prepare, run_cached

    call = prepare(model, X[model.feature_names], method, seed=seed, **params)
    if store is None:
        return (executor or IN_PROCESS).explain(call)
    return run_cached(call, store, executor)


def explain_stage(cohort, trained: Trained, rows: Rows, keys: list[ExplainerKey], settings: ProtocolSettings,
                  plan: SeedPlan, store=None, progress=None, clock=None, executor=None) -> Explained:
    say = progress or (lambda f, m: None)
    clock = clock or Clock()
    pat, coh, used = {}, {}, {}
    units = sum(len(trained.models[k.family]) for k in keys) or 1
    done = 0
    for key in keys:
        union = pd.Index(rows.patient_rows[key]).append(pd.Index(rows.cohort_rows[key])).unique()
        X = cohort.X.loc[union]
        params = method_params(key, settings, rows.background)
        used[key] = settings.budget(key.family, key.method)
        runs = []
        with clock.stage(f"explain {key}"):
            for r, model in enumerate(trained.models[key.family], start=1):
                say(done / units, f"explaining with {key}, run {r}/{len(trained.models[key.family])} ({len(X)} rows)")
                runs.append(explain_rows(model, X, key.method, plan.explainer(r), store, params, executor))
                done += 1
        pat[key] = [e.rows_for_ids(rows.patient_rows[key]) for e in runs]
        coh[key] = [e.rows_for_ids(rows.cohort_rows[key]) for e in runs]
    return Explained(pat, coh, used)
