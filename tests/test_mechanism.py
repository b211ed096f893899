"""Mechanism concordance (risklens.metrics.mechanism): known answers on a tiny hand-built cohort."""

import numpy as np
import pandas as pd
import pytest

from risklens.cohorts.base import Cohort
from risklens.cohorts.dictionary import FeatureDictionary, FeatureInfo
from risklens.explain.base import Explanation
from risklens.metrics.mechanism import explanation_mechanism, mechanism_concordance

NAMES = ["spo2_min", "hr_max", "rr_max", "los_days", "spo2_count"]
DICT = FeatureDictionary([
    FeatureInfo("spo2_min", "Min SpO2", group="spo2", kind="vital sign"),
    FeatureInfo("hr_max", "Max heart rate", group="hr", kind="vital sign"),
    FeatureInfo("rr_max", "Max resp. rate", group="rr", kind="vital sign"),
    FeatureInfo("los_days", "Length of stay", group="los_days", kind="administrative"),
    FeatureInfo("spo2_count", "SpO2 measurements", group="spo2", kind="care process"),
])
# one patient per row: the process, the groups it moves, the group it moved first
MECH = pd.DataFrame({
    "process": ["hypoxia", "sepsis", "sepsis", "hypoxia", ""],
    "groups": ["spo2;rr", "hr;rr", "hr;rr", "spo2", ""],
    "first_group": ["spo2", "hr", "hr", "spo2", ""],
}, index=[f"p{i}" for i in range(5)])
# attributions forcing each patient's ranking (largest |value| first)
V = np.array([
    [5.0, 1, 2, 0, 0],    # top-1 spo2_min: in process, first moved
    [0.0, 1, 5, 0, 0],    # top-1 rr_max: in process, not first; top-2 has hr too
    [1.0, 0, 0, 5, 0],    # top-1 LOS: proxy; top-2 spo2 not in process -> no top-k hit at k=2
    [0.0, 0, 0, 1, 5],    # top-1 spo2_count: proxy in the process's group -> never a match; top-2 LOS
    [5.0, 0, 0, 0, 0],    # no process: excluded
])


def test_known_answers():
    m = mechanism_concordance(V, NAMES, MECH, DICT, k=2)
    assert (m.n, m.n_no_process, m.k) == (4, 1, 2)
    assert m.top1_process == pytest.approx(2 / 4)
    assert m.top1_first == pytest.approx(1 / 4)
    assert m.topk_process == pytest.approx(2 / 4)
    assert m.non_clinical_top1 == pytest.approx(2 / 4)
    m5 = mechanism_concordance(V, NAMES, MECH, DICT, k=5)
    assert m5.topk_process == pytest.approx(1.0)  # with every feature ranked, each process group appears


def test_all_in_process_and_no_process():
    v = np.tile([5.0, 0, 0, 0, 0], (4, 1))
    mech = MECH.iloc[:4].assign(groups="spo2", first_group="spo2")
    m = mechanism_concordance(v, NAMES, mech, DICT, k=1)
    assert m.top1_process == m.top1_first == m.topk_process == 1.0 and m.non_clinical_top1 == 0.0
    none = mechanism_concordance(V[4:], NAMES, MECH.iloc[4:], DICT)
    assert none.n == 0 and np.isnan(none.top1_process)


def test_explanation_against_a_cohort():
    X = pd.DataFrame(np.zeros((5, 5)), columns=NAMES, index=MECH.index)
    cohort = Cohort("tiny", X, np.ones(5), DICT, mechanism=MECH)
    e = Explanation(values=V[[3, 0]], base_values=0.0, data=np.zeros((2, 5)), feature_names=NAMES, method="shap",
                    model_id="m", output="log-odds", ids=np.array(["p3", "p0"], dtype=object))
    m = explanation_mechanism(e, cohort, k=1)
    assert m.n == 2 and m.top1_process == 0.5 and m.non_clinical_top1 == 0.5  # rows follow the explanation's ids
    with pytest.raises(ValueError, match="no recorded mechanism"):
        explanation_mechanism(e, Cohort("tiny", X, np.ones(5), DICT))
