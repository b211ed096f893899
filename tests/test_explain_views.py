"""The tidy frames behind the plots: importance, beeswarm, dependence and the patient card."""

from __future__ import annotations

import numpy as np
import pytest

from risklens.cohorts.dictionary import FeatureDictionary, FeatureInfo
from risklens.explain import ExplainError, Explanation
from risklens.explain.views import beeswarm_frame, dependence_frame, global_importance, patient_frame

NAMES = ["spo2_min", "hr_mean", "los_days"]
DICT = FeatureDictionary([
    FeatureInfo("spo2_min", "Minimum SpO2", "%", 94, 100, "spo2", "vital sign"),
    FeatureInfo("hr_mean", "Mean heart rate", "bpm", 50, 100, "heart_rate", "vital sign"),
    FeatureInfo("los_days", "Length of stay", "days", None, None, "los", "administrative"),
])


def expl():
    values = np.array([[0.5, -0.1, 0.2], [-0.3, 0.4, 0.1], [0.1, 0.0, -0.6]])
    data = np.array([[88.0, 80.0, 2.5], [97.0, 120.0, np.nan], [95.0, 101.0, 10.0]])
    return Explanation(values, [-2.0, -2.0, -2.0], data, NAMES, "shap", "m1", "log-odds", ids=["a", "b", "c"])


def test_global_importance_is_mean_absolute_attribution_with_labels():
    g = global_importance(expl(), DICT)
    assert list(g["feature"]) == ["spo2_min", "los_days", "hr_mean"]
    np.testing.assert_allclose(g["importance"], [0.3, 0.3, 0.5 / 3])
    assert list(g["rank"]) == [1, 2, 3]
    assert g.loc[0, "label"] == "Minimum SpO2" and g.loc[1, "kind"] == "administrative"
    assert g.loc[2, "group"] == "heart_rate" and g.attrs["output"] == "log-odds"


def test_beeswarm_is_long_and_normalised_per_feature():
    b = beeswarm_frame(expl(), DICT, top=2)
    assert len(b) == 3 * 2 and set(b["feature"]) == {"spo2_min", "los_days"}
    spo2 = b[b.feature == "spo2_min"]
    np.testing.assert_allclose(spo2["value_norm"], [0.0, 1.0, 7 / 9])
    np.testing.assert_allclose(spo2["attribution"], [0.5, -0.3, 0.1])
    assert b[b.feature == "los_days"]["value_norm"].isna().sum() == 1  # missing stays missing
    assert set(b["order"]) == {1, 2}


def test_dependence_frame_pairs_values_and_attributions():
    d = dependence_frame(expl(), "hr_mean", "spo2_min")
    np.testing.assert_allclose(d["value"], [80, 120, 101])
    np.testing.assert_allclose(d["attribution"], [-0.1, 0.4, 0.0])
    np.testing.assert_allclose(d["color_value"], [88, 97, 95])
    with pytest.raises(ExplainError, match="not in this explanation"):
        dependence_frame(expl(), "bmi")


def test_patient_frame_reads_like_a_card():
    p = patient_frame(expl(), "b", DICT)
    assert list(p["feature"]) == ["hr_mean", "spo2_min", "los_days"]  # by |attribution|
    assert list(p["rank"]) == [1, 2, 3]
    hr = p.iloc[0]
    assert hr["value_text"] == "120 bpm" and hr["status"] == "high" and hr["normal_range"] == "50-100 bpm"
    assert p.iloc[1]["status"] == "normal" and p.iloc[2]["value_text"] == "not recorded"
    assert p.iloc[2]["status"] == "" and p.attrs["base_value"] == -2.0
    assert patient_frame(expl(), "a", DICT).iloc[0]["status"] == "low"
    with pytest.raises(ExplainError, match="not in this explanation"):
        patient_frame(expl(), "zz", DICT)


def test_views_work_without_a_dictionary():
    g = global_importance(expl(), None)
    assert g.loc[0, "label"] == "Spo2 min"
    assert patient_frame(expl(), "a")["status"].eq("").all()
