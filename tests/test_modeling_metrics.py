"""Held-out metrics against hand-computed values and closed-form facts."""

import numpy as np
import pytest

from risklens.modeling import ModelError, calibration, classification_metrics, default_threshold, threshold_table

Y = np.array([1, 0, 1, 0, 0, 1])
P = np.array([0.9, 0.2, 0.4, 0.6, 0.1, 0.8])


def test_hand_computed_metrics_at_half():
    m = classification_metrics(Y, P, 0.5)
    # alerts: rows 0, 3, 5 -> TP 2, FP 1, FN 1, TN 2
    assert m["sensitivity"] == pytest.approx(2 / 3)
    assert m["specificity"] == pytest.approx(2 / 3)
    assert m["ppv"] == pytest.approx(2 / 3)
    assert m["npv"] == pytest.approx(2 / 3)
    assert m["alerts_per_100"] == pytest.approx(50.0)
    assert m["brier"] == pytest.approx((0.01 + 0.04 + 0.36 + 0.36 + 0.01 + 0.04) / 6)
    assert m["auroc"] == pytest.approx(8 / 9)  # 8 of 9 positive-negative pairs ordered correctly
    assert (m["n"], m["events"], m["threshold"]) == (6, 3, 0.5)


def test_hand_computed_metrics_at_lower_threshold():
    m = classification_metrics(Y, P, 0.3)
    # alerts: rows 0, 2, 3, 5 -> TP 3, FP 1, FN 0, TN 2
    assert m["sensitivity"] == 1.0 and m["npv"] == 1.0
    assert m["ppv"] == pytest.approx(3 / 4)
    assert m["specificity"] == pytest.approx(2 / 3)
    assert m["alerts_per_100"] == pytest.approx(400 / 6)


def test_auprc_of_a_perfect_ranking_is_one():
    m = classification_metrics([0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9], 0.5)
    assert m["auroc"] == 1.0 and m["auprc"] == 1.0


def test_calibration_of_a_perfectly_calibrated_simulation():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.02, 0.98, 20_000)
    y = (rng.random(p.size) < p).astype(int)
    slope, intercept = calibration(y, p)
    assert slope == pytest.approx(1.0, abs=0.06)
    assert intercept == pytest.approx(0.0, abs=0.05)


def test_calibration_detects_overconfidence_and_underestimation():
    rng = np.random.default_rng(1)
    z = rng.normal(0, 1.5, 20_000)
    y = (rng.random(z.size) < 1 / (1 + np.exp(-z))).astype(int)
    slope, _ = calibration(y, 1 / (1 + np.exp(-2 * z)))  # logits twice too extreme -> slope 1/2
    assert slope == pytest.approx(0.5, abs=0.04)
    _, intercept = calibration(y, 1 / (1 + np.exp(-(z - 1.0))))  # risks shifted down by 1 logit
    assert intercept == pytest.approx(1.0, abs=0.06)


def test_one_class_gives_nan_not_an_error():
    m = classification_metrics([0, 0, 0], [0.1, 0.2, 0.3], 0.25)
    assert np.isnan(m["auroc"]) and np.isnan(m["calibration_slope"]) and np.isnan(m["sensitivity"])
    assert m["specificity"] == pytest.approx(2 / 3)


def test_bad_inputs_are_model_errors():
    with pytest.raises(ModelError, match="outcomes"):
        classification_metrics([0, 2], [0.1, 0.2], 0.5)
    with pytest.raises(ModelError, match="probabilities"):
        classification_metrics([0, 1], [0.1, 1.2], 0.5)
    with pytest.raises(ModelError, match="2 outcomes but 3"):
        classification_metrics([0, 1], [0.1, 0.2, 0.3], 0.5)


def test_threshold_table_matches_the_pointwise_metrics():
    rng = np.random.default_rng(2)
    p = np.round(rng.uniform(size=300), 3)
    y = (rng.random(300) < p).astype(int)
    table = threshold_table(y, p)
    assert len(table) == 99 and table["threshold"].iloc[0] == 0.01
    assert table["alerts_per_100"].is_monotonic_decreasing
    for t in (0.05, 0.3, 0.5, 0.77):
        row = table.loc[np.isclose(table["threshold"], t)].iloc[0]
        m = classification_metrics(y, p, t)
        for key in ("sensitivity", "specificity", "ppv", "npv", "alerts_per_100"):
            assert row[key] == pytest.approx(m[key]), key


def test_default_threshold_hits_the_alert_budget():
    p = np.arange(1000) / 1000
    t = default_threshold(p, event_rate=0.1)  # budget: 20% alerted
    assert (p >= t).mean() == pytest.approx(0.2, abs=0.002)
    assert (p >= default_threshold(p, event_rate=0.4)).mean() == pytest.approx(0.5, abs=0.002)  # capped
