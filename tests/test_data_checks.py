"""Data checks before training (risklens.cohorts.checks): known answers for each check, whas500 without a false
leak, and the findings on stderr / in the JSON of `risklens check` and `risklens train`."""

import json

import numpy as np
import pytest

from extract_fixture import extract_frame, write_extract
from risklens.cli import main
from risklens.cohorts import load_builtin
from risklens.cohorts.checks import (LEAK_AUROC, Finding, check_cohort, check_table, cohort_input, findings_frame,
                                     leakage_table, post_outcome_reason, table_input)


def kinds(findings):
    return {(f.kind, f.column) for f in findings}


def test_a_planted_leak_has_auroc_one_and_is_named_with_the_reason():
    findings = check_table(extract_frame(cause=False), "died", id_col="patient_id")
    leak = next(f for f in findings if f.column == "futime")
    assert (leak.kind, leak.severity, leak.measured, leak.threshold) == ("leak", "high", 1.0, LEAK_AUROC)
    assert "follow-up or survival time" in leak.message and "--drop futime" in leak.action
    assert kinds(findings) == {("leak", "futime")}  # nothing else in this table is flagged


def test_a_column_blank_exactly_for_survivors_is_a_missingness_leak():
    frame = extract_frame(leak=False)
    assert frame.loc[frame["died"] == "no", "cause"].isna().all() and frame.loc[frame["died"] == "yes", "cause"].notna().all()
    findings = check_table(frame, "died", id_col="patient_id")
    f = next(f for f in findings if f.column == "cause")
    assert f.kind == "missing-leak" and f.measured == 1.0 and "blank" in f.message
    assert kinds(findings) == {("missing-leak", "cause")}


def test_the_missingness_signal_is_measured_on_its_own():
    # blank for survivors and for 30% of deaths: the blank alone gives AUROC (1 + 0.7) / 2 = 0.85 on average
    inp = table_input(extract_frame(n=4000, leak=False, cause_unknown=0.3, seed=2), "died", id_col="patient_id")
    row = leakage_table(inp).set_index("column").loc["cause"]
    assert row["blank_auroc"] == pytest.approx(0.85, abs=0.03)
    assert row["blank_share"] == pytest.approx(1 - 0.7 * (inp.y == 1).mean(), abs=0.01)
    # 0.85 < 0.90: not called a leak, but its name still is a post-outcome word
    assert {(f.kind, f.column) for f in findings_from(inp)} == {("post-outcome-name", "cause")}


def findings_from(inp):
    from risklens.cohorts.checks import findings_of

    return findings_of(inp)


@pytest.mark.parametrize("name, flagged", [
    ("futime", True), ("followUp_days", True), ("date_of_death", True), ("discharge_disposition", True),
    ("vital_status", True), ("los", True), ("cause_of_death", True), ("outcome_30d", True),
    ("age", False), ("creatinine", False), ("admit_year", False), ("heart_rate", False), ("diabetes", False),
])
def test_post_outcome_words_in_names(name, flagged):
    assert (post_outcome_reason(name) is not None) == flagged


def test_post_outcome_name_without_signal_is_a_warning():
    frame = extract_frame(leak=False, cause=False)
    frame["discharge_ward"] = np.random.default_rng(1).choice(["A", "B", "C"], len(frame))
    findings = check_table(frame, "died", id_col="patient_id")
    f = next(f for f in findings if f.column == "discharge_ward")
    assert (f.kind, f.severity) == ("post-outcome-name", "warning") and "discharge" in f.message


def test_id_constant_and_duplicated_columns():
    frame = extract_frame(leak=False, cause=False, constant=True, duplicate_column=True)
    frame["row_no"] = np.arange(1, len(frame) + 1)
    findings = check_table(frame, "died")  # patient_id left as a feature
    assert kinds(findings) == {("id-like", "patient_id"), ("id-like", "row_no"), ("constant", "ward_code"),
                               ("duplicate-column", "age_years")}
    dup = next(f for f in findings if f.kind == "duplicate-column")
    assert "'age'" in dup.message


def test_duplicate_patients_across_the_split():
    clean = check_table(extract_frame(n=2000, leak=False, cause=False), "died", id_col="patient_id")
    assert not any(f.kind == "duplicate-patients" for f in clean)  # chance twins of coarse columns are expected
    twins = check_table(extract_frame(n=2000, leak=False, cause=False, twins=80), "died", id_col="patient_id")
    f = next(f for f in twins if f.kind == "duplicate-patients")
    # 80 copies under new ids; about 30% of them land on the other side of their original
    assert 10 <= f.measured <= 80 and f.measured > f.threshold and f.severity == "high"
    # the same copies under the SAME patient (--group) stay on one side: no finding
    frame = extract_frame(n=2000, leak=False, cause=False, twins=80)
    frame["person"] = _person_of_copies(frame)
    frame["row"] = [f"R{i}" for i in range(len(frame))]
    grouped = check_table(frame.drop(columns=["patient_id"]), "died", id_col="row", group_col="person")
    assert not any(f.kind == "duplicate-patients" for f in grouped)


def _person_of_copies(frame):
    """The patient of each row: a copy belongs to the row it copies (matched on every other column)."""
    cols = [c for c in frame.columns if c != "patient_id"]
    key = frame[cols].astype("string").fillna("").agg("|".join, axis=1)
    first = {}
    out = []
    for k, pid in zip(key, frame["patient_id"]):
        first.setdefault(k, pid)
        out.append(first[k])
    return out


def test_whas500_gives_no_false_leak():
    cohort = load_builtin("whas500")
    table = leakage_table(cohort_input(cohort))
    assert table["auroc"].max() < LEAK_AUROC
    assert table.iloc[0]["column"] == "age" and 0.75 < table.iloc[0]["auroc"] < 0.88
    assert kinds(check_cohort(cohort)) == {("post-outcome-name", "los")}


def test_cohort_checks_read_encoded_categories_back():
    from risklens.cohorts import cohort_from_frame

    frame = extract_frame(n=1500, leak=False, cause_unknown=0.1)
    cohort = cohort_from_frame(frame, "died", id_col="patient_id")
    raw = leakage_table(table_input(frame, "died", id_col="patient_id")).set_index("column")
    built = leakage_table(cohort_input(cohort)).set_index("column")
    assert set(built.index) == set(raw.index)  # one row per original column, not per one-hot column
    assert built.loc["cause", "blank_auroc"] == pytest.approx(raw.loc["cause", "blank_auroc"])
    assert built.loc["cause", "blank_auroc"] >= LEAK_AUROC


def test_finding_round_trip_and_frame():
    f = check_table(extract_frame(cause=False), "died", id_col="patient_id")[0]
    assert Finding.from_dict(json.loads(json.dumps(f.to_dict()))) == f
    frame = findings_frame([f])
    assert list(frame.columns) == ["severity", "check", "column", "measured", "threshold", "finding", "what to do"]
    assert frame.iloc[0]["column"] == "futime"


def test_cli_check_prints_the_table_and_findings(tmp_path, capsys):
    path = write_extract(tmp_path / "extract.csv", n=1000, cause_unknown=0.1)
    assert main(["check", "--data", str(path), "--outcome", "died", "--id", "patient_id", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    cols = {c["column"]: c for c in out["columns"]}
    assert cols["futime"]["auroc"] == 1.0 and cols["cause"]["blank_auroc"] >= 0.9
    assert {(f["kind"], f["column"]) for f in out["findings"]} == {("leak", "futime"), ("missing-leak", "cause")}
    assert main(["check", "--data", str(path), "--outcome", "died", "--id", "patient_id", "--strict",
                 "--drop", "futime"]) == 1
    text = capsys.readouterr().out
    assert "futime" not in text and "cause" in text
    assert main(["check", "--data", str(path), "--outcome", "died", "--id", "patient_id", "--strict",
                 "--drop", "futime", "--drop", "cause"]) == 0


def test_cli_train_warns_on_stderr_and_in_json(tmp_path, capsys):
    path = write_extract(tmp_path / "extract.csv", n=800, cause_unknown=0.1)
    rc = main(["train", "--data", str(path), "--outcome", "died", "--id", "patient_id", "--model", "l1-logistic",
               "--out", str(tmp_path / "m")])
    assert rc == 0
    cap = capsys.readouterr()
    warn = [line for line in cap.err.splitlines() if line.startswith("warning: data check")]
    assert len(warn) == 2 and any("'futime'" in w for w in warn) and any("'cause'" in w for w in warn)
    out = json.loads(cap.out)
    assert {(c["kind"], c["column"]) for c in out["checks"]} == {("leak", "futime"), ("missing-leak", "cause")}
    assert out["mean"]["auroc"] > 0.97  # what the leaks do to the held-out numbers


def test_report_has_a_data_checks_section_with_user_text_escaped():
    from test_report import HOSTILE, _report

    from risklens.study import EvaluationReport
    from risklens.study.report import to_html, to_markdown

    rep = _report()
    rep.data_checks = [Finding("leak", HOSTILE, "high", 1.0, LEAK_AUROC, f"column {HOSTILE} leaks", "leave it out")]
    again = EvaluationReport.from_json(rep.to_json())
    assert again.data_checks == rep.data_checks and isinstance(again.data_checks[0], Finding)
    html, md = to_html(again), to_markdown(again)
    assert "<h2>Data checks</h2>" in html and "<script>" not in html and "&lt;script&gt;" in html
    assert "## Data checks" in md and "<script>" not in md
    old = json.loads(rep.to_json())
    old.pop("data_checks")  # a report written before the checks existed still loads
    assert EvaluationReport.from_dict(old).data_checks == []


def test_the_protocol_records_the_checks_on_its_split():
    from risklens.cohorts.columns import leave_out
    from risklens.study import ProtocolSettings, run_protocol
    from risklens.study.report import to_markdown

    settings = ProtocolSettings(families=("l1-logistic",), methods=("l1-logistic/coef",), runs=1, seed=0,
                                max_patients=5, stability_patients=2, stability_repeats=2, faithfulness_patients=5)
    rep = run_protocol(load_builtin("whas500"), settings)
    assert kinds(rep.data_checks) == {("post-outcome-name", "los")}
    assert "## Data checks" in to_markdown(rep) and "length of stay" in to_markdown(rep)
    assert run_protocol(leave_out(load_builtin("whas500"), ["los"]), settings).data_checks == []
