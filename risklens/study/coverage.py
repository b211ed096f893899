"""Stage: how sure is each model -- split-conformal prediction sets of every family's run-1 model.

The held-out rows of the protocol's split are divided once, by patient and stratified by outcome
(seed stream ``conformal``), into a *calibration* half and an *evaluation* half. Each family's run-1
model is calibrated on the first (:class:`~risklens.modeling.conformal.ConformalRisk`, MAPIE's LAC
score) at ``settings.conformal_alpha``, in two variants:

- **standard**: one threshold; coverage ``>= 1 - alpha`` over patients (marginal), none promised
  within a class -- with rare events the events can be covered far less often;
- **Mondrian**: one threshold per outcome class; coverage ``>= 1 - alpha`` within events and within
  non-events.

On the evaluation half it records the empirical coverage overall and per class, the band the
finite-sample guarantee allows (:func:`~risklens.modeling.conformal.coverage_band`), and the shares
of sets that are {event}, {no event}, both ("uncertain") and empty.
"""

from __future__ import annotations

import numpy as np

from risklens.errors import RiskLensError
from risklens.modeling.conformal import ConformalRisk, calibration_split, summarize
from risklens.study.types import ConformalRecord

VARIANTS = (("standard", False), ("mondrian", True))


def _in(v, band) -> bool:
    return v is not None and np.isfinite(v) and band[0] <= v <= band[1]


def conformal_record(model, family: str, cohort, cal: np.ndarray, ev: np.ndarray, alpha: float,
                     variant: str, mondrian: bool) -> ConformalRecord:
    """Calibrate ``model`` on rows ``cal`` and summarise its prediction sets on rows ``ev``."""
    cp = ConformalRisk(model, alpha=alpha, mondrian=mondrian).calibrate(cohort.X.iloc[cal], cohort.y[cal])
    s = summarize(cp.predict_sets(cohort.X.iloc[ev]), cohort.y[ev], alpha, mondrian, cp.n_calibration_)
    cov_e, cov_n = s.coverage_by_class["event"], s.coverage_by_class["no event"]
    band_e, band_n = s.band.get("event", []), s.band.get("no event", [])
    ok = _in(s.coverage, s.band["overall"]) and (not mondrian or (_in(cov_e, band_e) and _in(cov_n, band_n)))
    return ConformalRecord(
        family=family, model_id=model.model_id, variant=variant, alpha=float(alpha), coverage=s.coverage,
        coverage_event=cov_e, coverage_no_event=cov_n, band=list(s.band["overall"]), band_event=list(band_e),
        band_no_event=list(band_n), in_band=bool(ok), uncertain=s.share["uncertain"], empty=s.share["empty"],
        sure_event=s.share["event"], sure_no_event=s.share["no event"], mean_set_size=s.mean_set_size,
        n_calibration=int(sum(s.n_calibration.values())), n_calibration_events=int(s.n_calibration["event"]),
        n_evaluation=int(sum(s.n_evaluation.values())), n_evaluation_events=int(s.n_evaluation["event"]))


def conformal_stage(cohort, trained, settings, plan) -> tuple[list[ConformalRecord], list[str]]:
    """(records: one per family and variant, notes) for the run-1 model of every family."""
    from risklens.families import FAMILY_LABELS

    try:
        cal, ev = calibration_split(cohort, trained.test_pos, plan.conformal)
    except RiskLensError as exc:
        return [], [f"conformal prediction is not computed: {str(exc).rstrip('.')}"]
    out, notes = [], []
    for fam, models in trained.models.items():
        for variant, mondrian in VARIANTS:
            try:
                out.append(conformal_record(models[0], fam, cohort, cal, ev, settings.conformal_alpha, variant,
                                            mondrian))
            except RiskLensError as exc:
                notes.append(f"{FAMILY_LABELS.get(fam, fam)}: {variant} conformal sets not computed: "
                             f"{str(exc).rstrip('.')}")
    return out, notes
