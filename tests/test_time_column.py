"""A user's time column (``--time`` on the command line, ``time_col=`` in the library): with the stay or patient id
column the rows are windows of stays; hours as numbers or ISO date-times (hours since the stay's first window)."""

import json

import numpy as np
import pandas as pd
import pytest

from risklens.cli import main
from risklens.cohorts import CohortError, load_cohort_file
from risklens.cohorts.stays import windows_of
from risklens.cohorts.ward import simulate_ward

START = pd.Timestamp("2024-03-01 08:00")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The simulator's stays as a user's files: hours, ISO date-times, and broken copies."""
    root = tmp_path_factory.mktemp("time")
    sim = simulate_ward(300, seed=2, stays=True)
    from risklens.cohorts.stays import stays_frame

    frame = stays_frame(sim).drop(columns=["event_hour", "patient_id"])
    frame.to_csv(root / "hours.csv", index=False)
    # each stay admitted at its own date-time; the file gives the window's clock time, not hours
    admit = START + pd.to_timedelta(pd.factorize(frame["stay"])[0] * 7.5, unit="h")
    when = admit + pd.to_timedelta(frame["hour"], unit="h")
    dated = frame.drop(columns=["hour"]).assign(when=when.dt.strftime("%Y-%m-%dT%H:%M:%S"))
    dated.to_csv(root / "dated.csv", index=False)
    bad = dated.copy()
    bad.loc[[3, 10], "when"] = "yesterday"
    bad.to_csv(root / "bad_dates.csv", index=False)
    badnum = frame.astype({"hour": object})
    badnum.loc[5, "hour"] = "late"
    badnum.to_csv(root / "bad_hours.csv", index=False)
    return root, sim


def cli(*args) -> int:
    return main([str(a) for a in args])


def roles(path, *extra):
    return ["--data", path, "--outcome", "outcome", "--id", "id", "--trigger", "trigger", *extra]


def test_hours_and_date_times_give_the_simulators_stays(files):
    root, sim = files
    hours = windows_of(load_cohort_file(root / "hours.csv", "outcome", id_col="id", trigger_col="trigger",
                                        group_col="stay", time_col="hour"))
    np.testing.assert_allclose(hours.hour, sim.extra["hour"].to_numpy())
    dated = load_cohort_file(root / "dated.csv", "outcome", id_col="id", trigger_col="trigger", group_col="stay",
                             time_col="when")
    assert "when" not in dated.features and "stay" not in dated.features
    w = windows_of(dated)
    first = sim.extra.groupby("stay", sort=False)["hour"].transform("min").to_numpy()
    # date-times: hours since the stay's first window, to the second
    np.testing.assert_allclose(w.hour, sim.extra["hour"].to_numpy() - first, atol=1 / 3600)
    assert w.basis == "stays" and w.hours_per_window == 4
    np.testing.assert_allclose((w.event_hour - w.hour)[np.isfinite(w.event_hour)],
                               (hours.event_hour - hours.hour)[np.isfinite(hours.event_hour)], atol=1 / 3600)


def test_time_errors_are_one_line_on_the_command_line(files, capsys):
    root, _ = files
    cases = [
        (roles(root / "hours.csv", "--time", "hour"), "the time column 'hour' needs the patient (stay) id column"),
        (roles(root / "hours.csv", "--group", "stay", "--time", "hours"),
         "the time column 'hours' is not in the file; did you mean 'hour'?"),
        (roles(root / "bad_hours.csv", "--group", "stay", "--time", "hour"),
         "the time column 'hour' needs a number of hours (or a date-time) in every row; 1 row(s) are missing or not "
         "numbers (first: row 6)"),
        (roles(root / "bad_dates.csv", "--group", "stay", "--time", "when"),
         "the time column 'when' is read as date-times, but 2 row(s) are missing or not a date-time (first: row 4, 11)"),
        (roles(root / "hours.csv", "--group", "stay", "--time", "stay"), "column 'stay' is given for two roles"),
        (roles(root / "hours.csv", "--group", "stay", "--time", "hour", "--drop", "hour"),
         "cannot leave out column 'hour': it is the time column"),
    ]
    for command, out in (("check", []), ("train", ["--model", "l1-logistic", "--out", root / "never"])):
        for args, message in cases:
            code = cli(command, *args, *out)
            err = capsys.readouterr().err.strip().splitlines()
            assert code == 2 and len(err) == 1 and err[0].startswith(f"risklens {command}: error: ") \
                and message in err[0], (command, err)
    assert not (root / "never").exists()


def test_check_leaves_the_time_column_out_of_the_features(files, capsys):
    root, _ = files
    assert cli("check", *roles(root / "hours.csv", "--group", "stay"), "--json") == 0
    assert "hour" in {r["column"] for r in json.loads(capsys.readouterr().out)["columns"]}
    assert cli("check", *roles(root / "hours.csv", "--group", "stay", "--time", "hour"), "--json") == 0
    assert "hour" not in {r["column"] for r in json.loads(capsys.readouterr().out)["columns"]}


def test_evaluate_a_users_stays_measures_lead_time_over_each_stay(files, capsys):
    root, _ = files
    args = ["--families", "l1-logistic", "--runs", "1", "--max-patients", "20", "--no-trust"]
    assert cli("evaluate", *roles(root / "dated.csv", "--group", "stay", "--time", "when"), *args,
               "--out", root / "rep") == 0
    lead = json.loads((root / "rep" / "report.json").read_text())["lead_time"]
    assert [r["basis"] for r in lead] == ["stays"] and lead[0]["stays"] > 50
    assert cli("evaluate", *roles(root / "dated.csv", "--group", "stay", "--drop", "when"), *args,
               "--out", root / "rep2") == 0
    lead = json.loads((root / "rep2" / "report.json").read_text())["lead_time"]
    assert all(r["basis"] != "stays" for r in lead)
    capsys.readouterr()


def test_conformal_reads_the_time_column_like_train(files, capsys):
    root, _ = files
    data = roles(root / "hours.csv", "--group", "stay", "--time", "hour")
    assert cli("train", *data, "--model", "l1-logistic", "--out", root / "m") == 0
    capsys.readouterr()
    assert cli("conformal", "--model", root / "m", *data) == 0
    assert "coverage" in capsys.readouterr().err
    with pytest.raises(CohortError, match="needs the patient"):
        load_cohort_file(root / "hours.csv", "outcome", id_col="id", time_col="hour")


def test_a_date_time_column_of_a_parquet_file_with_time_zones(files, tmp_path):
    root, sim = files
    frame = pd.read_csv(root / "hours.csv")
    # clock times in Sydney across a daylight-saving change: hours are measured in UTC, not on the wall clock
    when = pd.Timestamp("2024-04-06 20:00", tz="Australia/Sydney") + pd.to_timedelta(frame["hour"], unit="h")
    frame.drop(columns=["hour"]).assign(when=when).to_parquet(tmp_path / "tz.parquet")
    w = windows_of(load_cohort_file(tmp_path / "tz.parquet", "outcome", id_col="id", trigger_col="trigger",
                                    group_col="stay", time_col="when"))
    first = sim.extra.groupby("stay", sort=False)["hour"].transform("min").to_numpy()
    np.testing.assert_allclose(w.hour, sim.extra["hour"].to_numpy() - first, atol=1e-6)
