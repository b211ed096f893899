"""The plain-language patient summary: wording facts on a tiny dictionary."""

import numpy as np
import pytest

from risklens.cohorts.dictionary import FeatureDictionary, FeatureInfo
from risklens.patients.summary import describe_feature, format_percent, patient_summary, risk_level

D = FeatureDictionary([
    FeatureInfo("rr_max", "Respiratory rate (max)", unit="/min", normal_low=12, normal_high=20, group="resp_rate",
                kind="vital sign"),
    FeatureInfo("spo2_min", "SpO2 (min)", unit="%", normal_low=94, normal_high=100, group="spo2", kind="vital sign"),
    FeatureInfo("age", "Age", unit="years", kind="demographic"),
    FeatureInfo("los_days", "Length of stay", unit="days", kind="administrative"),
])
NAMES = ["rr_max", "spo2_min", "age", "los_days"]


def test_percent_and_level():
    assert format_percent(0.342) == "34%"
    assert format_percent(0.004) == "0.4%"
    assert format_percent(0.022) == "2.2%"
    assert format_percent(0.996) == "99.6%"
    assert risk_level(0.34, 0.12) == "high"
    assert risk_level(0.07, 0.12) == "moderate"
    assert risk_level(0.01, 0.12) == "low"


def test_describe_against_normal_range():
    assert describe_feature("rr_max", 32, D) == "Respiratory rate (max) was 32 /min (high; normal 12-20 /min)"
    assert describe_feature("spo2_min", 97, D) == "SpO2 (min) was 97 % (within normal 94-100 %)"
    assert describe_feature("age", float("nan"), D) == "Age was not recorded"


def test_summary_names_top_raising_features_in_order():
    text = patient_summary(0.34, 0.12, NAMES, [32, 88, 70, 3], [0.9, 0.5, -0.2, 0.01], D, top=3)
    assert text.startswith("Risk is high (34%, alert threshold 12%) mainly because Respiratory rate (max) was 32 /min")
    assert text.index("Respiratory rate") < text.index("SpO2 (min) was 88 %")
    assert "Lowering it: Age was 70 years." in text
    assert "Length of stay" not in text  # fourth by |attribution|, outside the top 3


def test_summary_mentions_trigger_and_handles_no_attribution():
    text = patient_summary(0.02, 0.12, NAMES, [15, 97, 40, 1], np.zeros(4), D, trigger_label="Respiratory rate")
    assert "Risk is low (2.0%, alert threshold 12%)." in text
    assert "no feature" in text
    assert text.endswith("The recorded alert trigger was Respiratory rate.")


def test_summary_rejects_mismatched_lengths():
    with pytest.raises(ValueError):
        patient_summary(0.5, 0.1, NAMES, [1, 2], [0.1, 0.2, 0.3, 0.4], D)


def test_summary_does_not_call_a_feature_within_its_error_of_zero_a_driver():
    attr, values = [0.9, 0.5, -0.2, 0.01], [32, 88, 70, 3]
    sure = patient_summary(0.34, 0.12, NAMES, values, attr, D, top=3, stderr=[0.01, 0.01, 0.01, 0.01])
    assert "SpO2 (min) was 88 %" in sure and "error of zero" not in sure
    noisy = patient_summary(0.34, 0.12, NAMES, values, attr, D, top=3, stderr=[0.01, 0.3, 0.01, 0.01])
    assert "SpO2 (min) was 88 %" not in noisy  # |0.5| <= 2 x 0.3: within its error of zero
    assert "SpO2 (min) is within the estimate's error of zero, so not called a driver." in noisy
    assert "Respiratory rate (max) was 32 /min" in noisy
