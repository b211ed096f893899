"""The readmission simulator: determinism, RA30 shape, latent complexity behind the features."""

import numpy as np
import pandas as pd
import pytest

from risklens.cohorts import CohortError, load_builtin
from risklens.cohorts.readmission import FEATURES, readmission_dictionary, simulate_readmission
from risklens.cohorts.dictionary import KINDS


@pytest.fixture(scope="module")
def big():
    return simulate_readmission(20_000, seed=0)


def test_same_seed_same_cohort_and_other_seed_differs():
    a, b, c = simulate_readmission(1000, seed=5), simulate_readmission(1000, seed=5), simulate_readmission(1000, seed=6)
    pd.testing.assert_frame_equal(a.X, b.X)
    assert np.array_equal(a.y, b.y) and a.hash == b.hash
    assert a.hash != c.hash


def test_shape_one_row_per_patient_no_trigger():
    c = load_builtin("readmission", n=1000, seed=0)
    assert c.n == 1000 and list(c.X.columns) == list(FEATURES)
    assert c.trigger is None and not c.has_trigger
    assert np.array_equal(c.groups, c.ids) and pd.Index(c.ids).is_unique
    assert c.X["age_years"].between(0, 18).all()
    with pytest.raises(CohortError):
        simulate_readmission(5)


def test_event_rate_in_range(big):
    for c in (big, simulate_readmission(20_000, seed=1)):
        assert 0.10 <= c.event_rate <= 0.15


def test_latent_complexity_moves_several_features_and_the_outcome(big):
    z = big.extra["latent_complexity"].to_numpy()
    for col in ("prior_stays_12m", "los_days", "n_medications", "n_pathology_tests", "n_diagnoses"):
        r = pd.Series(z).corr(big.X[col].reset_index(drop=True), method="spearman")
        assert r > 0.2, col
    assert big.y[z > 1].mean() > 2 * big.y[z < -1].mean()
    assert big.y[big.X["cancer"].to_numpy() == 1].mean() > big.y[big.X["cancer"].to_numpy() == 0].mean()


def test_dictionary_complete():
    d = readmission_dictionary()
    assert list(d) == list(FEATURES)
    assert all(i.kind in KINDS and i.label for i in d.values())
    assert d["los_days"].kind == "administrative" and d["age_years"].kind == "demographic"
    assert d["n_medications"].kind == "medication" and d["asthma"].kind == "diagnosis"
