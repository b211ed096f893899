"""The ward simulator's ``study`` preset reproduces the shape of the study's Fig. 2 under the protocol."""

import pytest

from risklens.cohorts.ward import simulate_ward
from risklens.study.protocol import run_evaluation

KEYS = ("mlp/shap", "mlp/dtd", "xgboost/shap")


@pytest.fixture(scope="module")
def report():
    cohort = simulate_ward(20_000, seed=0, preset="study")
    return run_evaluation(cohort, families=("mlp", "xgboost"), methods=list(KEYS), runs=2, seed=0,
                          stability_repeats=0, faithfulness_patients=5)


@pytest.mark.slow
def test_concordance_with_admin_patients_dropped_is_in_the_study_band(report):
    for key in KEYS:
        assert 0.65 <= report.concordance[key]["dropped"] <= 0.90, (key, report.concordance[key])


@pytest.mark.slow
def test_xgboost_leans_on_non_clinical_features_more_than_the_network(report):
    c = report.concordance
    assert c["xgboost/shap"]["non_clinical_share"] > c["mlp/shap"]["non_clinical_share"] + 0.03
    assert c["xgboost/shap"]["non_clinical_share"] > c["mlp/dtd"]["non_clinical_share"]
    assert c["xgboost/shap"]["kept"] < c["xgboost/shap"]["dropped"]


@pytest.mark.slow
def test_the_default_preset_does_not_show_the_study_pattern():
    # the same protocol on the default preset: the network's and DTD's concordance stay under the band
    rep = run_evaluation(simulate_ward(10_000, seed=0), families=("mlp", "xgboost"), methods=list(KEYS), runs=1,
                         seed=0, stability_repeats=0, faithfulness_patients=5)
    assert rep.concordance["mlp/dtd"]["dropped"] < 0.65
