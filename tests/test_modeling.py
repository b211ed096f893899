"""Training the three families: they learn an easy signal, split by patient, and obey their seeds."""

import numpy as np
import pandas as pd
import pytest

from risklens.cohorts.base import Cohort
from risklens.cohorts.dictionary import infer_dictionary
from risklens.families import FAMILIES
from risklens.modeling import (
    ModelError, build_estimator, held_out_positions, split_cohort, train_model, train_runs,
)

SMALL = {"xgboost": {"n_estimators": 50}, "l1-logistic": None, "mlp": {"hidden_layer_sizes": (16, 8)}}


def toy_cohort(n=1500, seed=0, rows_per_patient=3):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 6)), columns=[f"x{i}" for i in range(6)],
                     index=[f"r{i}" for i in range(n)])
    lp = -1.5 + 2.0 * X["x0"] - 1.5 * X["x1"] + 1.0 * X["x2"]
    y = (rng.random(n) < 1 / (1 + np.exp(-lp))).astype(int)
    X.iloc[::13, 3] = np.nan  # missing values in an uninformative column
    groups = np.array([f"p{i // rows_per_patient}" for i in range(n)], dtype=object)
    return Cohort("toy", X, y, dictionary=infer_dictionary(X), groups=groups)


@pytest.fixture(scope="module")
def cohort():
    return toy_cohort()


@pytest.fixture(scope="module")
def models(cohort):
    return {f: train_model(cohort, f, seed=0, params=SMALL[f]) for f in FAMILIES}


@pytest.mark.parametrize("family", FAMILIES)
def test_each_family_beats_chance_on_an_easy_signal(models, family):
    m = models[family]
    assert m.metrics["auroc"] > 0.8
    assert m.metrics["n"] + m.card["n_train"] == 1500


def test_sklearn_families_use_the_named_steps():
    for family in ("l1-logistic", "mlp"):
        assert list(build_estimator(family).named_steps) == ["impute", "scale", "clf"]


def test_l1_model_is_sparse_and_keeps_the_signal(models):
    coef, _ = models["l1-logistic"].linear_coef
    assert coef[0] > 0.5 and coef[1] < -0.5  # x0 up, x1 down
    assert np.abs(coef[3:]).max() < 0.15  # noise columns shrunk towards 0


def test_metrics_are_on_the_held_out_split(cohort, models):
    m = models["xgboost"]
    test = held_out_positions(m, cohort)
    from risklens.modeling import classification_metrics

    again = classification_metrics(cohort.y[test], m.predict_proba(cohort.X.iloc[test]), m.metrics["threshold"])
    assert again["auroc"] == pytest.approx(m.metrics["auroc"])
    assert again["n"] == len(test)


def test_split_is_patient_level_and_seeded(cohort):
    train, test = split_cohort(cohort, test_size=0.3, seed=5)
    assert not set(cohort.groups[train]) & set(cohort.groups[test])
    assert len(train) + len(test) == cohort.n and not set(train) & set(test)
    assert abs(len(set(cohort.groups[test])) - 0.3 * 500) <= 1  # 30% of the 500 patients
    again = split_cohort(cohort, test_size=0.3, seed=5)
    assert np.array_equal(train, again[0]) and np.array_equal(test, again[1])
    other = split_cohort(cohort, test_size=0.3, seed=6)
    assert not np.array_equal(test, other[1])
    # events stratified: both sides within 3 points of the cohort rate
    assert abs(cohort.y[test].mean() - cohort.y.mean()) < 0.03


def test_split_refuses_too_few_events():
    c = toy_cohort(n=60)
    y = np.zeros(60, dtype=int)
    y[0] = 1
    c1 = Cohort("one-event", c.X, y, dictionary=c.dictionary)
    with pytest.raises(ModelError, match="one outcome class"):
        split_cohort(c1)


@pytest.mark.parametrize("family", FAMILIES)
def test_same_seed_same_model(cohort, models, family):
    again = train_model(cohort, family, seed=0, params=SMALL[family])
    assert np.array_equal(again.predict_proba(cohort.X), models[family].predict_proba(cohort.X))
    assert again.model_id == models[family].model_id and len(again.model_id) == 12


@pytest.mark.parametrize("family", ["xgboost", "mlp"])
def test_different_seeds_give_different_models(cohort, models, family):
    other = train_model(cohort, family, seed=1, params=SMALL[family])
    assert not np.allclose(other.predict_proba(cohort.X), models[family].predict_proba(cohort.X))
    assert other.model_id != models[family].model_id


def test_train_runs_keeps_the_split_and_steps_the_seed(cohort):
    calls = []
    runs = train_runs(cohort, "l1-logistic", runs=3, seed=10, split_seed=2,
                      progress=lambda f, msg: calls.append((f, msg)))
    assert [m.seed for m in runs] == [10, 11, 12]
    assert {m.card["split_seed"] for m in runs} == {2}
    assert len({m.metrics["n"] for m in runs}) == 1
    assert calls[-1][0] == 1.0 and all(0 <= f <= 1 for f, _ in calls)


def test_card_records_provenance(cohort, models):
    card = models["mlp"].card
    assert card["data_hash"] == cohort.hash and card["cohort"] == "toy"
    assert card["features"] == cohort.features
    assert card["params"]["hidden_layer_sizes"] == [16, 8]
    assert set(card["versions"]) == {"numpy", "sklearn", "xgboost", "risklens"}
    assert card["content_hash"].startswith(models["mlp"].model_id)  # the id covers file, contract, threshold
    from risklens.modeling.card import card_model_id

    assert card_model_id(card) == models["mlp"].model_id


def test_default_threshold_alerts_about_twice_the_event_rate(models, cohort):
    m = models["l1-logistic"]
    train_rate = m.card["train_event_rate"]
    alert_rate = (m.predict_proba(cohort.X) >= m.metrics["threshold"]).mean()
    assert alert_rate == pytest.approx(min(2 * train_rate, 0.5), abs=0.05)


def test_unknown_family_and_parameter_are_clear_errors(cohort):
    with pytest.raises(ModelError, match="unknown model family"):
        train_model(cohort, "forest")
    with pytest.raises(ModelError, match="n_trees"):
        train_model(cohort, "xgboost", params={"n_trees": 5})
