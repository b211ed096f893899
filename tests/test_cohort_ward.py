"""The ward simulator: determinism, shape, dictionary and the behaviour its README promises."""

import re

import numpy as np
import pandas as pd
import pytest

from risklens.cohorts import CohortError, load_builtin
from risklens.cohorts import ward
from risklens.cohorts.ward import FEATURES, GROUP_OF, TRIGGER_GROUPS, simulate_ward, ward_dictionary
from risklens.cohorts.dictionary import KINDS


@pytest.fixture(scope="module")
def big():
    return simulate_ward(20_000, seed=0)


def test_same_seed_same_cohort_and_other_seed_differs():
    a, b, c = simulate_ward(1000, seed=3), simulate_ward(1000, seed=3), simulate_ward(1000, seed=4)
    pd.testing.assert_frame_equal(a.X, b.X)
    assert np.array_equal(a.y, b.y) and np.array_equal(a.trigger, b.trigger) and np.array_equal(a.groups, b.groups)
    assert a.hash == b.hash
    assert a.hash != c.hash
    assert not np.allclose(a.X["sbp_mean"].to_numpy(), c.X["sbp_mean"].to_numpy(), equal_nan=True)


def test_shape_ids_and_groups():
    c = simulate_ward(1000, seed=1)
    assert c.n == 1000 and list(c.X.columns) == list(FEATURES) and len(FEATURES) == 9 * 6 + 4
    assert all(re.fullmatch(r"W\d{7}-[123]", i) for i in c.ids)
    assert np.array_equal(np.array([i.split("-")[0] for i in c.ids], dtype=object), c.groups)
    per_patient = pd.Series(c.groups).value_counts()
    assert per_patient.max() <= 3 and per_patient.min() >= 1 and (per_patient > 1).any()
    assert load_builtin("ward", n=1000, seed=1).hash == c.hash


def test_several_chunks_give_a_valid_cohort(monkeypatch):
    monkeypatch.setattr(ward, "CHUNK", 300)
    c = simulate_ward(1000, seed=2)
    assert c.n == 1000 and 0.02 < c.event_rate < 0.15
    assert not c.X["n_obs_sets"].isna().any()


def test_n_out_of_range_is_a_cohort_error():
    with pytest.raises(CohortError, match="rows"):
        simulate_ward(10)


def test_window_statistics_are_consistent(big):
    X = big.X
    assert (X["n_obs_sets"] >= 1).all() and (X["n_obs_sets"] <= 24).all()
    for v in ward.VITALS:
        cnt = X[f"{v}_count"]
        assert (cnt <= X["n_obs_sets"]).all()
        has = cnt > 0
        assert (X.loc[has, f"{v}_min"] <= X.loc[has, f"{v}_mean"] + 1e-9).all()
        assert (X.loc[has, f"{v}_mean"] <= X.loc[has, f"{v}_max"] + 1e-9).all()
        assert X.loc[cnt < 2, f"{v}_slope"].isna().all() and X.loc[cnt == 0, f"{v}_mean"].isna().all()
    assert X["avpu_max"].dropna().isin([0, 1, 2, 3]).all()
    assert ((X["map_mean"] - (X["sbp_mean"] + 2 * X["dbp_mean"]) / 3).abs().dropna() < 1.0).all()


def test_event_rate_and_trigger_rules(big):
    for c in (big, simulate_ward(20_000, seed=1)):
        assert 0.05 <= c.event_rate <= 0.10
        pos = c.y == 1
        assert all(t in TRIGGER_GROUPS for t in c.trigger[pos])
        assert (c.trigger[~pos] == "").all()
    mix = pd.Series(big.trigger[big.y == 1]).value_counts(normalize=True)
    assert mix["blood_pressure"] > 0.15 and mix["spo2"] > 0.15
    for g in ("resp_rate", "heart_rate", "consciousness"):
        assert mix[g] > 0.05
    assert mix.get("temperature", 0.0) < 0.04
    assert set(mix.index[:2]) <= {"blood_pressure", "spo2"}


def test_staff_observe_patients_before_red_flags_more_often(big):
    X, pos = big.X, big.y == 1
    assert X["n_obs_sets"][pos].mean() > X["n_obs_sets"][~pos].mean() + 1.5
    assert X["sbp_count"][pos].mean() > X["sbp_count"][~pos].mean()


@pytest.mark.parametrize("trigger, slope, sign", [
    ("spo2", "spo2_slope", -1), ("blood_pressure", "sbp_slope", -1), ("heart_rate", "hr_slope", 1),
    ("resp_rate", "rr_slope", 1), ("consciousness", "avpu_slope", 1),
])
def test_slope_of_the_triggering_vital_points_the_right_way(big, trigger, slope, sign):
    X = big.X
    on = X[slope][big.trigger == trigger].mean()
    neg = X[slope][big.y == 0].mean()
    assert sign * on > 0
    assert sign * (on - neg) > 0


def test_length_of_stay_is_tied_to_risk(big):
    q = pd.qcut(big.X["los_days"], 5, labels=False)
    rate = pd.Series(big.y).groupby(q.to_numpy()).mean()
    assert rate.iloc[-1] > 1.5 * rate.iloc[0]
    assert rate.is_monotonic_increasing


def test_latent_process_drives_the_outcome(big):
    proc = big.extra["latent_process"].astype(str).to_numpy()
    assert big.y[proc == "none"].mean() < 0.02
    assert big.y[proc != "none"].mean() > 0.2
    resp = (proc == "respiratory") & (big.y == 1)
    assert (big.trigger[resp] == "spo2").mean() > 0.6


def test_dictionary_is_complete_and_follows_the_contract():
    d = ward_dictionary()
    assert list(d) == list(FEATURES)
    for name, info in d.items():
        assert info.kind in KINDS and info.label and info.description
        if name in ("age", "sex"):
            assert info.kind == "demographic"
            continue
        if name == "los_days":
            assert info.kind == "administrative"
            continue
        if name == "n_obs_sets":
            assert info.kind == "care process"
            continue
        vital, stat = re.fullmatch(r"(.+)_(min|max|mean|std|count|slope)", name).groups()
        assert info.group == GROUP_OF[vital]
        assert info.kind == ("care process" if stat == "count" else "vital sign")
        has_range = info.normal_low is not None and info.normal_high is not None
        assert has_range == (stat in ("min", "max", "mean"))
    assert d["sbp_min"].label == "Min systolic BP" and d["sbp_min"].unit == "mmHg"
    assert (d["spo2_mean"].normal_low, d["spo2_mean"].normal_high) == (94.0, 100.0)
    assert (d["avpu_max"].normal_low, d["avpu_max"].normal_high) == (0.0, 0.0)
    assert set(TRIGGER_GROUPS) <= {i.group for i in d.values()}


# ---- mechanism (ground truth) and presets ------------------------------------------------------
def test_mechanism_describes_every_row(big):
    m = big.mechanism
    assert list(m.columns) == ["process", "groups", "first_group"] and m.index.equals(big.X.index)
    latent = big.extra["latent_process"].astype(str).to_numpy()
    assert np.array_equal(m["process"].to_numpy() == "", latent == "none")
    assert np.array_equal(m["process"].to_numpy()[latent != "none"], latent[latent != "none"])
    groups = set(ward_dictionary().groups(list(FEATURES)))
    for moved, first in zip(m["groups"], m["first_group"]):
        assert (moved == "") == (first == "")
        if moved:
            assert set(moved.split(";")) <= groups and first in moved.split(";")
    by_process = m.drop_duplicates("process").set_index("process")["groups"]
    assert "spo2" in by_process["respiratory"].split(";") and "o2_flow" in by_process["respiratory"].split(";")
    assert by_process["neurological"].split(";")[0] == "consciousness"
    assert "heart_rate" in by_process["arrhythmia"].split(";")


def test_first_group_predicts_the_recorded_trigger(big):
    pos = big.y == 1
    first = big.mechanism["first_group"].to_numpy()[pos]
    assert (first == big.trigger[pos]).mean() > 0.75  # noise-free truth vs the charted first red flag


def test_default_preset_is_the_original_simulator():
    # hash of simulate_ward(5000, seed=7) before presets existed (numpy 2.4, pandas 3.1): any change to the default
    # simulator shows here
    assert simulate_ward(5000, seed=7).hash == "f0824228075311dbc30327c285ea4f0a98fb48f3ffb75317e6c0af3d3c63dd68"
    assert simulate_ward(5000, seed=7, preset="default").hash == simulate_ward(5000, seed=7).hash


def test_study_preset_is_deterministic_and_different():
    a, b = simulate_ward(2000, seed=1, preset="study"), simulate_ward(2000, seed=1, preset="study")
    assert a.hash == b.hash and a.hash != simulate_ward(2000, seed=1).hash
    assert "preset study" in a.source and a.name == "ward"
    assert load_builtin("ward", n=2000, seed=1, preset="study").hash == a.hash
    with pytest.raises(CohortError, match="preset"):
        simulate_ward(2000, preset="icu")
    with pytest.raises(CohortError, match="presets"):
        load_builtin("readmission", n=500, preset="study")


def test_mechanism_side_file_round_trip(tmp_path):
    from risklens.cli import main
    from risklens.cohorts import load_cohort_file
    from risklens.cohorts.mechanism import mechanism_path

    out = tmp_path / "w.csv"
    assert main(["cohort", "ward", "--n", "600", "--seed", "3", "--out", str(out)]) == 0
    assert mechanism_path(out).is_file() and not list(tmp_path.glob(".*tmp"))
    cols = dict(id_col="id", group_col="patient_id", trigger_col="trigger")
    loaded = load_cohort_file(out, "outcome", **cols)
    pd.testing.assert_frame_equal(loaded.mechanism, simulate_ward(600, seed=3).mechanism, check_names=False)
    # rows may be a reordered subset of the written ones
    frame = pd.read_csv(out).iloc[::-3]
    frame.to_csv(tmp_path / "w2.csv", index=False)
    mechanism_path(out).rename(mechanism_path(tmp_path / "w2.csv"))
    part = load_cohort_file(tmp_path / "w2.csv", "outcome", **cols)
    assert part.mechanism.index.equals(part.X.index) and part.mechanism.loc[part.ids[0]].equals(
        loaded.mechanism.loc[part.ids[0]])
    assert load_cohort_file(out, "outcome", **cols).mechanism is None  # no side file, no truth


def test_stale_mechanism_side_file_is_a_cohort_error(tmp_path):
    from risklens.cli import main
    from risklens.cohorts import load_cohort_file
    from risklens.cohorts.mechanism import mechanism_path

    main(["cohort", "ward", "--n", "300", "--seed", "1", "--out", str(tmp_path / "a.csv")])
    main(["cohort", "ward", "--n", "600", "--seed", "2", "--out", str(tmp_path / "b.csv")])
    mechanism_path(tmp_path / "a.csv").replace(mechanism_path(tmp_path / "b.csv"))
    with pytest.raises(CohortError, match="does not describe"):
        load_cohort_file(tmp_path / "b.csv", "outcome", id_col="id", group_col="patient_id", trigger_col="trigger")
    mechanism_path(tmp_path / "b.csv").write_bytes(b"not parquet")
    with pytest.raises(CohortError, match="not a readable mechanism file"):
        load_cohort_file(tmp_path / "b.csv", "outcome", id_col="id", group_col="patient_id", trigger_col="trigger")
