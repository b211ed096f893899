"""Lead time (risklens.metrics.lead_time, risklens.study.lead_time) on hand-made stays with known answers."""

import numpy as np
import pytest

from risklens.metrics.lead_time import lead_time_summary, lead_times


def stays():
    # stay A: windows at 0, 4, 8, 12 h; event at 14 h; first alert at 4 h (score 0.6) -> lead 10 h
    # stay B: windows at 0, 4, 8 h; event at 9 h; first alert at 8 h -> lead 1 h
    # stay C: windows at 0, 4 h; event at 5 h; never alerts -> missed
    # stay D: no event; one alert at 4 h (a false alert)
    # stay E: windows at 0..40 h every 4 h, event at 40 h; an alert at 0 h is more than 24 h ahead and does not count,
    #         the next alert at 32 h -> lead 8 h
    stay = list("AAAA") + list("BBB") + list("CC") + list("DD") + ["E"] * 11
    hour = [0, 4, 8, 12, 0, 4, 8, 0, 4, 0, 4] + list(range(0, 44, 4))
    score = [0.1, 0.6, 0.2, 0.9, 0.1, 0.2, 0.7, 0.1, 0.3, 0.2, 0.8] + [0.9] + [0.1] * 7 + [0.6, 0.1, 0.7]
    event = [14] * 4 + [9] * 3 + [5] * 2 + [np.nan] * 2 + [40] * 11
    return stay, hour, score, event


def test_lead_times_known_answers():
    per = lead_times(*stays(), threshold=0.5)
    got = dict(zip(per["stay"], per["lead_h"]))
    assert got["A"] == 10 and got["B"] == 1 and np.isnan(got["C"]) and got["E"] == 8 and "D" not in got


def test_summary_median_share_ahead_and_alert_rate():
    rec = lead_time_summary(*stays(), threshold=0.5, hours_per_window=4, family="xgboost")
    assert (rec.events, rec.alerted) == (4, 3)
    assert rec.median_lead_h == 8  # of 10, 1, 8
    assert rec.share_ahead == pytest.approx(2 / 4)  # A and E >= 4 h; B too late; C missed
    n_alerts = 7  # A: 2, B: 1, D: 1, E: 3
    assert rec.alerts_per_patient_day == pytest.approx(n_alerts / (22 * 4 / 24))  # 22 windows of 4 h
    assert rec.stays == 5 and rec.basis == "stays"
    strict = lead_time_summary(*stays(), threshold=0.95, hours_per_window=4)
    assert strict.alerted == 0 and np.isnan(strict.median_lead_h) and strict.share_ahead == 0


def test_independent_ward_windows_give_the_time_to_the_event():
    from risklens.cohorts import load_builtin
    from risklens.cohorts.stays import windows_of
    from risklens.study.lead_time import lead_time_record

    ward = load_builtin("ward", n=600, seed=3)
    w = windows_of(ward)
    assert w.basis == "independent windows" and w.hours_per_window == 24

    class Always:  # alerts on every window
        family = "test"
        feature_names = list(ward.features)

        def predict_proba(self, X):
            return np.ones(len(X))

    rec = lead_time_record(Always(), ward, np.arange(ward.n), 0.5)
    hours = ward.extra["hours_to_red_flag"].dropna().to_numpy()
    assert rec.events == ward.n_events and rec.alerted == ward.n_events
    assert rec.median_lead_h == np.median(hours) and rec.share_ahead == pytest.approx(np.mean(hours >= 4))
    assert rec.alerts_per_patient_day == pytest.approx(1.0)  # one alert per 24 h window
