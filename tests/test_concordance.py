"""Trigger concordance (risklens.metrics.concordance) on constructed attributions with known answers."""

import numpy as np
import pytest

from risklens.metrics.concordance import trigger_concordance
from risklens.cohorts.dictionary import FeatureDictionary, FeatureInfo

DICT = FeatureDictionary([
    FeatureInfo("spo2_min", "SpO2 min", group="spo2", kind="vital sign"),
    FeatureInfo("spo2_mean", "SpO2 mean", group="spo2", kind="vital sign"),
    FeatureInfo("rr_max", "RR max", group="resp_rate", kind="vital sign"),
    FeatureInfo("hr_max", "HR max", group="heart_rate", kind="vital sign"),
    FeatureInfo("los_days", "LOS", kind="administrative"),
    FeatureInfo("n_obs_sets", "Recorded sets", kind="care process"),
    FeatureInfo("spo2_count", "SpO2 readings", group="spo2", kind="care process"),
])
NAMES = list(DICT)
TRIG = np.array(["spo2", "resp_rate", "heart_rate", "spo2"], dtype=object)
COL = {"spo2": 1, "resp_rate": 2, "heart_rate": 3}  # a derived feature of each group


def test_only_trigger_vitals_reaches_one():
    V = np.full((4, 7), 0.01)
    for i, t in enumerate(TRIG):
        V[i, COL[t]] = 2.0
    c = trigger_concordance(V, NAMES, TRIG, DICT)
    assert c.dropped == 1.0 and c.kept == 1.0 and c.non_clinical_share == 0.0
    assert c.topk_hit["1"] == 1.0 and c.mean_trigger_rank == 1.0


def test_only_length_of_stay_reaches_zero_kept_nan_dropped():
    V = np.zeros((4, 7))
    V[:, 4] = 3.0
    c = trigger_concordance(V, NAMES, TRIG, DICT)
    assert c.kept == 0.0
    assert np.isnan(c.dropped)  # nobody left once non-clinical tops are dropped
    assert c.non_clinical_share == 1.0


def test_mixed_variants_and_topk():
    V = np.zeros((4, 7))
    V[0, [4, 0]] = [3, 2]  # LOS top, trigger group 2nd
    V[1, 2] = 3  # hit
    V[2, [0, 5, 3]] = [3, 2, 1]  # wrong clinical top; trigger at rank 3
    V[3, 1] = -3  # hit (sign does not matter)
    c = trigger_concordance(V, NAMES, TRIG, DICT)
    assert c.kept == pytest.approx(2 / 4)
    assert c.dropped == pytest.approx(2 / 3)
    assert c.non_clinical_share == pytest.approx(1 / 4)
    assert c.topk_hit["1"] == 0.5 and c.topk_hit["2"] == 0.75 and c.topk_hit["3"] == 1.0
    assert c.mean_trigger_rank == pytest.approx((2 + 1 + 3 + 1) / 4)


def test_rows_without_trigger_are_excluded():
    V = np.zeros((3, 7)); V[:, 1] = 1
    c = trigger_concordance(V, NAMES, np.array(["spo2", "", None], dtype=object), DICT)
    assert c.n == 1 and c.n_no_trigger == 2 and c.kept == 1.0


def test_care_process_feature_of_the_trigger_group_is_a_miss():
    V = np.zeros((1, 7)); V[0, 6] = 2.0; V[0, 0] = 1.0  # spo2_count on top, spo2_min second
    c = trigger_concordance(V, NAMES, np.array(["spo2"], dtype=object), DICT)
    assert c.kept == 0.0 and np.isnan(c.dropped) and c.non_clinical_share == 1.0
    assert c.topk_hit["1"] == 0.0 and c.topk_hit["2"] == 1.0 and c.mean_trigger_rank == 2.0
