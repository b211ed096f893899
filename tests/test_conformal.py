"""Conformal prediction sets: known answers on a stub model, coverage bands on a simulated cohort, CLI."""

import json

import numpy as np
import pytest

from risklens.cli import main
from risklens.cohorts import load_builtin
from risklens.modeling import ModelError, train_model
from risklens.modeling.conformal import (
    ConformalRisk, RiskModelClassifier, calibration_split, conformal_for_cohort, coverage_band, set_labels, set_names,
)


class Stub:
    """A 'model' whose event probability is the first input column."""

    feature_names = ["p"]

    def as_matrix(self, X):
        return np.asarray(X, dtype=np.float64).reshape(-1, 1)

    def predict_proba(self, X):
        return self.as_matrix(X)[:, 0]


def test_known_answer_lac_threshold():
    # 19 calibration non-events with p = 0.01 .. 0.19 (LAC score = 1 - P(no event) = p) and one event with
    # p = 0.5 (score 0.5). At alpha = 0.1 the conformal quantile is the ceil((20 + 1) * 0.9) = 19th smallest
    # of the 20 scores, 0.19: a label is in the set when its score is <= 0.19.
    p = np.r_[np.arange(1, 20) / 100, 0.5]
    y = np.r_[np.zeros(19, int), 1]
    cp = ConformalRisk(Stub(), alpha=0.1).calibrate(p, y)
    sets = cp.predict_sets(np.array([0.05, 0.19, 0.2, 0.95]))
    assert sets[:, 0].tolist() == [True, True, False, False]  # no event: score p
    assert sets[:, 1].tolist() == [False, False, False, True]  # event: score 1 - p
    assert set_names(sets).tolist() == ["no event", "no event", "empty", "event"]
    assert set_labels(sets).tolist() == ["no event", "no event", "uncertain", "event"]


def test_mondrian_uses_one_threshold_per_class():
    rng = np.random.default_rng(0)
    p0, p1 = rng.uniform(0.0, 0.5, 200), rng.uniform(0.2, 0.9, 200)
    cp = ConformalRisk(Stub(), alpha=0.1, mondrian=True).calibrate(np.r_[p0, p1], np.r_[np.zeros(200), np.ones(200)])
    probe = np.linspace(0, 1, 101)
    sets = cp.predict_sets(probe)
    # "no event" kept up to about the 90% quantile of p among non-events; "event" down to the 10% one among events
    assert abs(probe[sets[:, 0]].max() - np.quantile(p0, 0.9)) < 0.02
    assert abs(probe[sets[:, 1]].min() - np.quantile(p1, 0.1)) < 0.02
    assert set_names(sets[[0, 35, 100]]).tolist() == ["no event", "uncertain", "event"]


def test_wrapper_is_a_binary_classifier():
    w = RiskModelClassifier(Stub())
    P = w.predict_proba(np.array([0.2, 0.7]))
    assert np.allclose(P, [[0.8, 0.2], [0.3, 0.7]]) and w.classes_.tolist() == [0, 1]
    assert w.predict(np.array([0.2, 0.7])).tolist() == [0, 1]


def test_bad_alpha_and_tiny_calibration_are_model_errors():
    with pytest.raises(ModelError, match="alpha"):
        ConformalRisk(Stub(), alpha=0)
    with pytest.raises(ModelError, match="at least 19 rows"):
        ConformalRisk(Stub(), alpha=0.05).calibrate(np.linspace(0, 1, 10), np.r_[np.zeros(5), np.ones(5)])
    with pytest.raises(ModelError, match="of each outcome class"):
        ConformalRisk(Stub(), alpha=0.2, mondrian=True).calibrate(np.linspace(0, 1, 40), np.r_[np.zeros(37), np.ones(3)])
    with pytest.raises(ModelError, match="calibrate"):
        ConformalRisk(Stub()).predict_sets(np.array([0.5]))


@pytest.fixture(scope="module")
def fitted():
    cohort = load_builtin("readmission", n=3000, seed=0)
    return cohort, train_model(cohort, "xgboost", seed=0, params={"n_estimators": 60})


def test_calibration_split_is_patient_level_inside_held_out(fitted):
    cohort, model = fitted
    from risklens.modeling import held_out_positions

    cal, ev = calibration_split(cohort, held_out_positions(model, cohort), 0)
    held = set(held_out_positions(model, cohort).tolist())
    assert set(cal) | set(ev) == held and not set(cal) & set(ev)
    assert not set(cohort.groups[cal]) & set(cohort.groups[ev])
    assert np.array_equal(calibration_split(cohort, held_out_positions(model, cohort), 0)[0], cal)


@pytest.mark.parametrize("alpha", [0.1, 0.2])
def test_coverage_within_the_finite_sample_band(fitted, alpha):
    cohort, model = fitted
    _, s = conformal_for_cohort(model, cohort, 0, alpha=alpha)
    lo, hi = s.band["overall"]
    assert lo <= s.coverage <= hi
    assert lo < 1 - alpha < hi
    _, m = conformal_for_cohort(model, cohort, 0, alpha=alpha, mondrian=True)
    for cls in ("no event", "event"):
        lo, hi = m.band[cls]
        assert lo <= m.coverage_by_class[cls] <= hi, (cls, m.coverage_by_class[cls], m.band[cls])
    # with rare events the marginal variant covers events less often than the class-conditional one
    assert s.coverage_by_class["event"] < m.coverage_by_class["event"]
    assert abs(sum(m.share.values()) - 1) < 1e-9


def test_coverage_band_shrinks_with_data():
    wide, narrow = coverage_band(0.1, 100, 100), coverage_band(0.1, 10_000, 10_000)
    assert wide[0] < narrow[0] < 0.9 < narrow[1] < wide[1]


def test_cli_prints_coverage_per_class(tmp_path, capsys):
    data = tmp_path / "ward.csv"
    assert main(["cohort", "ward", "--n", "2000", "--out", str(data)]) == 0
    cols = ["--data", str(data), "--outcome", "outcome", "--id", "id", "--group", "patient_id", "--trigger", "trigger"]
    assert main(["train", *cols, "--model", "xgboost", "--params", '{"n_estimators": 40}', "--out", str(tmp_path / "m")]) == 0
    capsys.readouterr()
    assert main(["conformal", "--model", str(tmp_path / "m"), *cols, "--mondrian", "--alpha", "0.2"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["mondrian"] and set(out["coverage_by_class"]) == {"no event", "event"}
    assert set(out["share"]) == {"event", "no event", "uncertain", "empty"}
    other = ["--cohort", "ward", "--n", "900"]  # a cohort the model was not trained on
    assert main(["conformal", "--model", str(tmp_path / "m"), *other, "--alpha", "0.2"]) == 2
    assert "different data" in capsys.readouterr().err
