"""Where NN+SHAP and NN+DTD sit outside the study's Fig. 2 numbers on the study preset: is it the network (the data)
or the explainer? Both methods explain the same run-1 network on the same patients, so a gap between them is the
explainers'; whether a method's top feature is the one the network relies on is measured by setting that one
feature to its training mean and recording how far the network's risk falls.

    python bench/bench_study_gaps.py                   # simulator seeds 0 1 2, n = 20,000
    python bench/bench_study_gaps.py --seeds 0 --n 8000

Per seed: trigger concordance (kept / dropped / non-clinical top-1 share) of NN+SHAP and NN+DTD on the same patients;
the share of patients whose top-1 is a blood-pressure feature although the trigger was not blood pressure; the mean
fall in risk when each method's top-1 feature is set to the training mean (a faithful top-1 moves the risk most);
for patients whose SHAP top-1 is length of stay, the fall when LOS alone, or the trigger's vital-sign group, is set
to the training mean.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def risk_fall(model, data: np.ndarray, cols: list[np.ndarray], baseline: np.ndarray) -> np.ndarray:
    """Per patient: risk minus risk with the features in ``cols[i]`` set to the training mean."""
    M = data.copy()
    for i, c in enumerate(cols):
        M[i, c] = baseline[c]
    return model.predict_proba(data) - model.predict_proba(M)


def measure(seed: int, n: int) -> None:
    from risklens.cohorts.ward import simulate_ward
    from risklens.metrics.concordance import explanation_concordance, feature_groups
    from risklens.study import ExplainerKey, ProtocolSettings, SeedPlan
    from risklens.study.explain import explain_stage
    from risklens.study.rows import select_patients, train_stage

    cohort = simulate_ward(n, seed=seed, preset="study")
    keys = [ExplainerKey("mlp", "shap"), ExplainerKey("mlp", "dtd")]
    settings = ProtocolSettings(families=("mlp",), methods=tuple(map(str, keys)), runs=1)
    plan = SeedPlan(0)
    trained = train_stage(cohort, ["mlp"], settings, plan)
    rows = select_patients(cohort, trained, keys, settings, plan)
    exp = explain_stage(cohort, trained, rows, keys, settings, plan)
    shap = exp.patients[keys[0]][0]
    dtd = exp.patients[keys[1]][0].rows_for_ids(shap.ids)
    model = trained.models["mlp"][0]
    names = np.array(shap.feature_names)
    groups, clinical = feature_groups(names, cohort.dictionary)
    trig = np.asarray(cohort.trigger, dtype=object)[cohort.X.index.get_indexer(shap.ids)]
    data = cohort.X.loc[shap.ids, names].to_numpy(dtype=np.float64)
    print(f"\n== simulator seed {seed}: NN run 1, {len(shap.ids)} of its correctly predicted positives "
          f"(the NN+SHAP sample), same patients for both methods ==")
    tops = {}
    for label, e in (("NN+SHAP", shap), ("NN+DTD", dtd)):
        c = explanation_concordance(e, cohort, 1)
        top = np.abs(e.values).argmax(axis=1)
        tops[label] = top
        bp_wrong = float(np.mean(groups[top][trig != "blood_pressure"] == "blood_pressure"))
        fall = risk_fall(model, data, [np.array([t]) for t in top], rows.baseline)
        print(f"{label:8s} kept {c.kept:.2f}  dropped {c.dropped:.2f}  non-clinical top-1 {c.non_clinical_share:.2f}  "
              f"BP top-1 when the trigger is not BP {bp_wrong:.2f}  risk fall, top-1 to mean {np.mean(fall):+.3f}")
    same = float(np.mean(tops["NN+SHAP"] == tops["NN+DTD"]))
    print(f"top-1 feature the same for both methods: {same:.2f}")
    los = np.flatnonzero(names[tops["NN+SHAP"]] == "los_days")
    if len(los):
        j = int(np.flatnonzero(names == "los_days")[0])
        f_los = risk_fall(model, data[los], [np.array([j])] * len(los), rows.baseline)
        trig_cols = [np.flatnonzero((groups == trig[i]) & clinical) for i in los]
        f_trig = risk_fall(model, data[los], trig_cols, rows.baseline)
        print(f"{len(los)} patients with SHAP top-1 = length of stay: risk fall with LOS to mean {np.mean(f_los):+.3f}, "
              f"with the trigger's vital-sign group to mean {np.mean(f_trig):+.3f} (risk {np.mean(model.predict_proba(data[los])):.3f})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--n", type=int, default=20_000)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    for seed in args.seeds:
        measure(seed, args.n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
