"""Stays in the ward simulator (an option; the default output is unchanged): consecutive windows of one
admission with the latent process evolving through them, deterministic by seed."""

import numpy as np
import pandas as pd
import pytest

from risklens.cohorts import CohortError, load_builtin
from risklens.cohorts.stays import windows_of
from risklens.cohorts.ward import simulate_ward
from risklens.cohorts.ward_stays import FUTURE_HOURS, STEP_H


@pytest.fixture(scope="module")
def stays():
    return simulate_ward(1500, seed=5, stays=True)


def test_deterministic_by_seed_and_the_default_is_unchanged(stays):
    assert simulate_ward(1500, seed=5, stays=True).hash == stays.hash
    assert simulate_ward(1500, seed=6, stays=True).hash != stays.hash
    plain = simulate_ward(1500, seed=5)
    assert plain.n == 1500 and "stay" not in plain.extra.columns
    assert load_builtin("ward", n=1500, seed=5, stays=True).hash == stays.hash
    with pytest.raises(CohortError, match="no stays"):
        load_builtin("readmission", n=200, stays=True)


def test_a_stay_is_consecutive_windows_of_one_admission(stays):
    e = stays.extra
    assert e["stay"].nunique() == 1500 and stays.n > 3 * 1500
    for _, g in e.groupby("stay", sort=False):
        assert np.all(np.diff(g["hour"]) == pytest.approx(STEP_H, abs=0.02))
        assert list(g["window"]) == list(range(len(g)))
    los = stays.X["los_days"].to_numpy()
    same = (e["stay"].to_numpy()[1:] == e["stay"].to_numpy()[:-1])
    assert np.allclose(np.diff(los)[same], STEP_H / 24, atol=0.011)
    # one latent process per stay, the same as the ordinary simulator's row the stay starts from
    plain = simulate_ward(1500, seed=5)
    first = ~np.r_[False, same]
    assert list(stays.mechanism["process"][first]) == list(plain.mechanism["process"])


def test_windows_share_their_hours_and_the_process_evolves(stays):
    e = stays.extra
    same = (e["stay"].to_numpy()[1:] == e["stay"].to_numpy()[:-1])
    rr = stays.X["rr_mean"].to_numpy()
    ok = same & np.isfinite(rr[:-1]) & np.isfinite(rr[1:])
    nxt = np.corrcoef(rr[:-1][ok], rr[1:][ok])[0, 1]
    fin = rr[np.isfinite(rr)]
    shuffled = np.corrcoef(fin, np.random.default_rng(0).permutation(fin))[0, 1]
    assert nxt > 0.9 and abs(shuffled) < 0.1  # consecutive windows overlap by 20 of their 24 hours
    # outcome per window: the stay's first red flag within 8 h; no window at or after it
    y, hours = stays.y, e["hours_to_red_flag"].to_numpy()
    assert ((hours[y == 1] > 0) & (hours[y == 1] <= FUTURE_HOURS)).all() and np.isnan(hours[y == 0]).all()
    np.testing.assert_allclose((e["event_hour"] - e["hour"]).to_numpy()[y == 1], hours[y == 1], atol=0.02)
    for _, g in pd.DataFrame({"stay": e["stay"], "y": y}).groupby("stay", sort=False):
        assert np.all(np.diff(g["y"].to_numpy()) >= 0)  # once the flag is within 8 h it stays so: the tail
    assert (stays.trigger[y == 1] != "").all() and (stays.trigger[y == 0] == "").all()
    # severity ramps through the stay: windows of stays with a process drift, e.g. heart rate rises toward the event
    proc = stays.mechanism["process"].to_numpy()
    pos = (proc == "sepsis") & (e["window"].to_numpy() > 0)
    hr = stays.X["hr_mean"].to_numpy()
    prev = np.r_[np.nan, hr[:-1]]
    assert np.nanmean(hr[pos] - prev[pos]) > 0.5


def test_windows_of_stays_feed_the_lead_time(stays):
    w = windows_of(stays)
    assert w.basis == "stays" and w.hours_per_window == STEP_H
    has_event = pd.Series(stays.y).groupby(stays.extra["stay"].to_numpy()).transform("max").to_numpy() == 1
    assert (np.isfinite(w.event_hour) == has_event).all()  # an event is recorded when a window saw it coming


def test_a_user_file_with_patient_id_and_time_column_is_read_as_stays(tmp_path):
    from risklens.cli import main
    from risklens.cohorts import load_cohort_file

    out = tmp_path / "stays.csv"
    assert main(["cohort", "ward", "--n", "300", "--seed", "2", "--stays", "--out", str(out)]) == 0
    frame = pd.read_csv(out)
    assert {"stay", "hour", "event_hour"} <= set(frame.columns)
    frame.drop(columns=["event_hour", "patient_id"]).to_csv(out, index=False)  # a user's file: id, stay, time
    cohort = load_cohort_file(out, "outcome", id_col="id", trigger_col="trigger", group_col="stay", time_col="hour")
    assert "hour" not in cohort.features and "stay" not in cohort.features
    w = windows_of(cohort)
    sim = simulate_ward(300, seed=2, stays=True)
    assert w.basis == "stays" and w.hours_per_window == STEP_H
    np.testing.assert_allclose(w.hour, sim.extra["hour"].to_numpy())
    ev = sim.extra["event_hour"].to_numpy()
    has = np.isfinite(ev)
    assert (np.isfinite(w.event_hour) == has).all()
    assert (w.event_hour[has] <= ev[has] + 1e-9).all() and (ev[has] - w.event_hour[has] <= FUTURE_HOURS + 0.02).all()
    with pytest.raises(CohortError, match="needs the patient"):
        load_cohort_file(out, "outcome", id_col="id", time_col="hour")
