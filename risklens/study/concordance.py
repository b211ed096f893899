"""Stage 5: trigger concordance (the study's Fig. 2) and mechanism concordance (simulated cohorts),
per explainer on the analysed patients, mean over runs."""

from __future__ import annotations

import numpy as np

from risklens.metrics.concordance import explanation_concordance
from risklens.metrics.mechanism import explanation_mechanism
from risklens.study.explain import Explained
from risklens.study.types import MechanismRecord, TriggerConcordance


def nanmean(vals) -> float:
    vals = [float(v) for v in vals if v is not None and np.isfinite(v)]
    return float(np.mean(vals)) if vals else float("nan")


def trigger_record(key, runs, cohort, max_k: int = 5) -> TriggerConcordance:
    per_run = [explanation_concordance(e, cohort, max_k) for e in runs]
    topk = {str(k): nanmean([c.topk_hit[str(k)] for c in per_run]) for k in range(1, max_k + 1)}
    return TriggerConcordance(
        key, nanmean([c.dropped for c in per_run]), nanmean([c.kept for c in per_run]),
        nanmean([c.non_clinical_share for c in per_run]), per_run[0].n, per_run[0].n_no_trigger, topk,
        nanmean([c.mean_trigger_rank for c in per_run]), nanmean([c.trigger_not_in_model for c in per_run]),
        [c.kept for c in per_run])


def mechanism_record(key, runs, cohort, k: int) -> MechanismRecord:
    per_run = [explanation_mechanism(e, cohort, k) for e in runs]
    mean = {f: nanmean([getattr(c, f) for c in per_run])
            for f in ("top1_process", "topk_process", "top1_first", "non_clinical_top1")}
    return MechanismRecord(key, **mean, k=per_run[0].k, n=per_run[0].n, n_no_process=per_run[0].n_no_process)


def concordance_stage(cohort, keys, exp: Explained, settings) -> tuple[list, list, list[str]]:
    """(trigger records, mechanism records, notes); empty lists when the cohort lacks a trigger / mechanism."""
    notes = []
    trig, mech = [], []
    if cohort.has_trigger:
        trig = [trigger_record(key, exp.patients[key], cohort) for key in keys]
    else:
        notes.append("the cohort records no trigger: concordance (Fig. 2) is not computed")
    if cohort.mechanism is not None:
        mech = [mechanism_record(key, exp.patients[key], cohort, settings.k) for key in keys]
    else:
        notes.append("the cohort records no mechanism (only simulated cohorts can): mechanism concordance is not computed")
    return trig, mech, notes
