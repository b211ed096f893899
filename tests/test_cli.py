"""The command line end to end: cohort -> train -> models, and clean one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import risklens.cohorts as cohorts
from risklens import cli

ROOT = Path(__file__).resolve().parents[1]
needs_files = pytest.mark.skipif(not hasattr(cohorts, "load_cohort_file"), reason="cohort loaders not built yet")
needs_builtin = pytest.mark.skipif(not hasattr(cohorts, "load_builtin"), reason="built-in cohorts not built yet")


def write_csv(path, n=600, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, 4)), columns=["hr", "rr", "spo2", "age"])
    frame.insert(0, "id", [f"e{i}" for i in range(n)])
    frame.insert(1, "patient", [f"p{i // 2}" for i in range(n)])
    lp = -1.0 + 1.5 * frame["hr"] - frame["spo2"]
    frame["died"] = (rng.random(n) < 1 / (1 + np.exp(-lp))).astype(int)
    frame.to_csv(path, index=False)
    return path


def run(args, capsys):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_the_subcommands():
    proc = subprocess.run([sys.executable, "-m", "risklens", "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0
    for name in ("cohort", "train", "models"):
        assert name in proc.stdout


def test_every_listed_module_registers_a_command():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"cohort", "train", "models"} <= set(sub.choices)


def test_missing_file_is_one_line_exit_2(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "risklens", "train", "--data", str(tmp_path / "no.csv"),
                           "--outcome", "y", "--model", "mlp", "--out", str(tmp_path / "m")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "no.csv" in lines[0] and lines[0].startswith("risklens train: error:")


def test_bad_params_json_is_a_clear_error(tmp_path, capsys):
    code, _, err = run(["train", "--cohort", "ward", "--model", "xgboost", "--params", "{n_estimators: 5",
                        "--out", tmp_path / "m"], capsys)
    assert code == 2 and "--params is not valid JSON" in err and len(err.strip().splitlines()) == 1


def test_models_on_an_empty_store(tmp_path, capsys):
    code, out, _ = run(["models", "--root", tmp_path, "--json"], capsys)
    assert code == 0 and json.loads(out) == []


@needs_files
def test_train_file_then_models(tmp_path, capsys):
    data = write_csv(tmp_path / "cohort.csv")
    code, out, err = run(["train", "--data", data, "--outcome", "died", "--id", "id", "--group", "patient",
                          "--model", "l1-logistic", "--runs", "2", "--seed", "4", "--out", tmp_path / "models/l1"],
                         capsys)
    assert code == 0, err
    result = json.loads(out)
    assert [r["seed"] for r in result["runs"]] == [4, 5]
    assert all(r["metrics"]["auroc"] > 0.7 for r in result["runs"])
    assert (tmp_path / "models/l1/run-1/card.json").is_file() and (tmp_path / "models/l1/run-2/model.skops").is_file()
    assert "%" in err  # progress went to stderr

    code, out, _ = run(["train", "--data", data, "--outcome", "died", "--group", "patient", "--model", "xgboost",
                        "--id", "id", "--params", '{"n_estimators": 30}', "--out", tmp_path / "models/xgb"], capsys)
    assert code == 0
    assert Path(json.loads(out)["runs"][0]["path"]) == tmp_path / "models/xgb"

    code, out, _ = run(["models", "--root", tmp_path / "models", "--json"], capsys)
    rows = json.loads(out)
    assert sorted(r["family"] for r in rows) == ["l1-logistic", "l1-logistic", "xgboost"]
    code, table, _ = run(["models", "--root", tmp_path / "models"], capsys)
    assert code == 0 and table.splitlines()[0].split()[:3] == ["NAME", "FAMILY", "COHORT"] and len(table.splitlines()) == 4


@needs_files
def test_missing_outcome_column_exits_2_with_one_line(tmp_path):
    data = write_csv(tmp_path / "cohort.csv")
    proc = subprocess.run([sys.executable, "-m", "risklens", "train", "--data", str(data), "--outcome", "dead",
                           "--model", "xgboost", "--out", str(tmp_path / "m")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "dead" in lines[0] and lines[0].startswith("risklens train: error:")
    assert not (tmp_path / "m").exists()


@needs_builtin
def test_cohort_then_train_then_models(tmp_path, capsys):
    out_file = tmp_path / "ward.parquet"
    code, out, err = run(["cohort", "ward", "--n", "1500", "--seed", "1", "--out", out_file], capsys)
    assert code == 0, err
    frame = pd.read_parquet(out_file)
    assert len(frame) == 1500 and {"id", "outcome", "trigger"} <= set(frame.columns)
    code, out, err = run(["train", "--data", out_file, "--outcome", "outcome", "--id", "id", "--group", "patient_id",
                          "--trigger", "trigger", "--model", "xgboost", "--params", '{"n_estimators": 30}',
                          "--out", tmp_path / "models/ward-xgb"], capsys)
    assert code == 0, err
    assert json.loads(out)["cohort"] and json.loads(out)["runs"][0]["metrics"]["auroc"] > 0.6
    code, out, _ = run(["models", "--root", tmp_path / "models", "--json"], capsys)
    assert [r["family"] for r in json.loads(out)] == ["xgboost"]


@needs_builtin
def test_unknown_builtin_and_bad_extension(tmp_path, capsys):
    code, _, err = run(["cohort", "nosuch", "--out", tmp_path / "x.csv"], capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("risklens cohort: error:") and "nosuch" in lines[0]
    code, _, err = run(["cohort", "ward", "--n", "200", "--out", tmp_path / "x.xlsx"], capsys)
    assert code == 2 and ".csv or .parquet" in err
