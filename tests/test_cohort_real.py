"""whas500: a real cohort with a fixed-horizon outcome and censoring handled by exclusion."""

import numpy as np

from risklens.cohorts import load_builtin
from risklens.cohorts.real import WHAS500_CITATION, fixed_horizon_outcome, load_whas500


def test_fixed_horizon_rule_on_a_tiny_example():
    #            died d100  died d400  alive d500  censored d200  censored d365  died d365
    event = np.array([True, True, False, False, False, True])
    time = np.array([100.0, 400.0, 500.0, 200.0, 365.0, 365.0])
    y, known = fixed_horizon_outcome(event, time, 365)
    assert known.tolist() == [True, True, True, False, True, True]
    assert y[known].tolist() == [1, 0, 0, 0, 1]


def test_whas500_one_year_counts():
    from sksurv.datasets import load_whas500 as raw

    X, s = raw()
    c = load_builtin("whas500", n=123, seed=9)  # n and seed are ignored for real data
    expected_events = int((s["fstat"] & (s["lenfol"] <= 365)).sum())
    censored_early = int((~s["fstat"] & (s["lenfol"] < 365)).sum())
    assert c.n == 500 - censored_early and c.n_events == expected_events == 138
    assert abs(c.event_rate - 0.276) < 1e-9
    assert f"{censored_early} patient(s) censored" in c.source
    assert "Hosmer" in c.source and "scikit-survival" in c.source and "de-identified" in c.source
    assert c.trigger is None and c.X.shape[1] == 14 and not c.X.isna().any().any()


def test_longer_horizon_excludes_censored_patients_not_counts_them_as_survivors():
    from sksurv.datasets import load_whas500 as raw

    _, s = raw()
    c = load_whas500(horizon_days=730)
    excluded = int((~s["fstat"] & (s["lenfol"] < 730)).sum())
    assert excluded > 0 and c.n == 500 - excluded
    assert c.n_events == int((s["fstat"] & (s["lenfol"] <= 730)).sum())
    assert (c.extra["followup_days"][c.y == 0] >= 730).all()


def test_whas500_dictionary():
    d = load_builtin("whas500").dictionary
    assert d["hr"].unit == "/min" and d["hr"].normal_low == 60 and d["hr"].group == "heart_rate"
    assert d["sysbp"].group == d["diasbp"].group == "blood_pressure"
    assert d["bmi"].normal_range_text.startswith("18.5")
    assert d["los"].kind == "administrative" and d["sho"].kind == "diagnosis"
    assert "Wiley" in WHAS500_CITATION
