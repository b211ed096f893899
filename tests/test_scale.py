"""risklens.scale: partitioned datasets, the partitioned simulator, and Dask runs equal to in-process runs.

One LocalCluster (2 single-threaded worker processes) serves the module; the lost-worker test
kills one of its workers and runs last.
"""

from __future__ import annotations

import io
import json
import os
import signal
import threading
import time

import numpy as np
import pandas as pd
import pytest

from risklens.cli import main
from risklens.modeling import save_model
from risklens.scale import dataset
from risklens.scale.cluster import ProgressBar, SchedulerError, connect, parse_scheduler
from risklens.scale.jobs import explain_to_dataset, score_to_dataset
from risklens.scale.simulate import partition_bounds, write_partition, write_simulated
from test_explain_fixtures import cohort, model

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


@pytest.fixture(scope="module")
def client():
    with connect("local:2") as c:
        yield c


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    root = tmp_path_factory.mktemp("scale")
    for fam in ("xgboost", "mlp"):
        save_model(model(fam), root / fam)
    X, _ = cohort()
    X.iloc[:400].reset_index().to_csv(root / "rows.csv", index=False)
    return root


def explain_cli(*args) -> int:
    return main(["explain", *map(str, args)])


# ---- datasets and the partitioned simulator ------------------------------------------------------
def test_partitioned_ward_same_rows_whatever_partitions_and_n(tmp_path):
    frames = {}
    for p in (1, 3, 7):
        write_simulated("ward", 3500, tmp_path / f"p{p}", partitions=p, seed=5, block_rows=1000, progress=False)
        frames[p] = dataset.read_dataset(tmp_path / f"p{p}")
        assert len(dataset.part_paths(tmp_path / f"p{p}")) == p
    pd.testing.assert_frame_equal(frames[1], frames[3], check_exact=True)
    pd.testing.assert_frame_equal(frames[1], frames[7], check_exact=True)
    assert frames[1]["id"].is_unique and len(frames[1]) == 3500
    assert frames[1]["patient_id"].str.match(r"^W\d{9}$").all()
    # row i depends on (seed, block_rows, i) only: a shorter cohort is a prefix of a longer one
    write_simulated("ward", 1700, tmp_path / "short", partitions=2, seed=5, block_rows=1000, progress=False)
    pd.testing.assert_frame_equal(dataset.read_dataset(tmp_path / "short"), frames[1].iloc[:1700], check_exact=True)
    write_simulated("ward", 1700, tmp_path / "other", partitions=2, seed=6, block_rows=1000, progress=False)
    assert not dataset.read_dataset(tmp_path / "other")["sbp_min"].equals(frames[1]["sbp_min"].iloc[:1700])


def test_partitioned_cohort_on_cluster_equals_in_process(client, tmp_path):
    write_simulated("ward", 2500, tmp_path / "here", partitions=4, seed=2, block_rows=600, progress=False)
    write_simulated("ward", 2500, tmp_path / "there", partitions=5, seed=2, block_rows=600, client=client,
                    progress=False)
    pd.testing.assert_frame_equal(dataset.read_dataset(tmp_path / "here"), dataset.read_dataset(tmp_path / "there"),
                                  check_exact=True)


def partition_stays(folder) -> list[set]:
    return [set(dataset.read_part(f)["stay"]) for f in dataset.part_paths(folder)]


def test_partitioned_stays_are_the_rows_of_the_one_file_whatever_partitions(tmp_path, capsys):
    from risklens.cohorts import load_builtin
    from risklens.cohorts.stays import stays_frame

    assert main(["cohort", "ward", "--stays", "--n", "600", "--seed", "4", "--out", str(tmp_path / "one.parquet")]) == 0
    one = pd.read_parquet(tmp_path / "one.parquet")
    pd.testing.assert_frame_equal(one, stays_frame(load_builtin("ward", n=600, seed=4, stays=True)), check_exact=True)
    assert one["stay"].nunique() == 600 and len(one) > 3 * 600
    for k in (1, 3, 7):
        assert main(["cohort", "ward", "--stays", "--n", "600", "--seed", "4", "--partitions", str(k),
                     "--out", str(tmp_path / f"k{k}")]) == 0
        pd.testing.assert_frame_equal(dataset.read_dataset(tmp_path / f"k{k}"), one, check_exact=True)
        stays = partition_stays(tmp_path / f"k{k}")
        # whole stays: partition p holds stays [p * n // k, (p + 1) * n // k), none split between partitions
        assert [len(s) for s in stays] == [partition_bounds(600, k, p)[1] - partition_bounds(600, k, p)[0]
                                           for p in range(k)]
        assert sum(len(s) for s in stays) == len(set().union(*stays)) == 600
    assert dataset.read_manifest(tmp_path / "k7")["rows"] == len(one)
    assert main(["cohort", "ward", "--stays", "--n", "600", "--seed", "4", "--preset", "study", "--partitions", "2",
                 "--out", str(tmp_path / "study")]) == 0  # the preset reaches the partitions
    pd.testing.assert_frame_equal(dataset.read_dataset(tmp_path / "study"),
                                  stays_frame(load_builtin("ward", n=600, seed=4, preset="study", stays=True)),
                                  check_exact=True)
    capsys.readouterr()
    code = main(["cohort", "ward", "--stays", "--n", "600", "--partitions", "3", "--preset", "nope",
                 "--out", str(tmp_path / "bad")])
    assert code == 2 and "no ward preset named 'nope'" in capsys.readouterr().err


def test_stays_across_simulator_blocks_same_rows_whatever_partitions(tmp_path):
    """Blocks of 250 stays: partitions cut through blocks, blocks are made on their own seeds, the rows are the
    whole cohort's."""
    from risklens.cohorts.stays import stays_frame
    from risklens.cohorts.ward import simulate_stays

    whole = stays_frame(simulate_stays(700, seed=4, block_stays=250))
    assert whole["stay"].is_unique is False and whole["stay"].nunique() == 700 and whole["id"].is_unique
    first = whole.groupby("stay", sort=False).head(1).reset_index(drop=True)
    assert not np.allclose(first["age"].iloc[:100], first["age"].iloc[250:350])  # block 1 is not block 0 again
    for k in (1, 3, 7):
        write_simulated("ward", 700, tmp_path / f"k{k}", partitions=k, seed=4, block_rows=250, progress=False,
                        stays=True)
        pd.testing.assert_frame_equal(dataset.read_dataset(tmp_path / f"k{k}"), whole, check_exact=True)
        assert sum(len(s) for s in partition_stays(tmp_path / f"k{k}")) == 700
    write_simulated("ward", 700, tmp_path / "other", partitions=2, seed=5, block_rows=250, progress=False, stays=True)
    assert not dataset.read_dataset(tmp_path / "other")["sbp_min"].iloc[:100].equals(whole["sbp_min"].iloc[:100])


def test_partitioned_stays_on_the_cluster_equal_in_process(client, tmp_path, capsys):
    here = tmp_path / "here"
    assert main(["cohort", "ward", "--stays", "--n", "500", "--seed", "2", "--partitions", "3", "--out", str(here)]) == 0
    there = tmp_path / "there"
    assert main(["cohort", "ward", "--stays", "--n", "500", "--seed", "2", "--partitions", "5", "--scheduler",
                 client.scheduler.address, "--out", str(there)]) == 0
    pd.testing.assert_frame_equal(dataset.read_dataset(here), dataset.read_dataset(there), check_exact=True)
    write_simulated("ward", 900, tmp_path / "blocks", partitions=4, seed=2, block_rows=200, client=client,
                    progress=False, stays=True)
    from risklens.cohorts.stays import stays_frame
    from risklens.cohorts.ward import simulate_stays

    pd.testing.assert_frame_equal(dataset.read_dataset(tmp_path / "blocks"),
                                  stays_frame(simulate_stays(900, seed=2, block_stays=200)), check_exact=True)


@pytest.mark.slow
def test_ten_million_rows_same_rows_whatever_partitions_on_a_sample(tmp_path):
    """The 10M-row cohort: rows of partitions 0 and 137 of P=200 equal the same rows cut from P=333."""
    n = 10_000_000
    for p in (0, 137):
        start, stop = partition_bounds(n, 200, p)
        a_dir, b_dir = tmp_path / f"a{p}", tmp_path / f"b{p}"
        a_dir.mkdir(), b_dir.mkdir()
        write_partition(str(a_dir), "ward", p, n, 200, 0, 50_000, {})
        got = dataset.read_part(a_dir / dataset.part_name(p))
        assert len(got) == stop - start
        parts, firsts = [], []
        for q in range(333):
            lo, hi = partition_bounds(n, 333, q)
            if hi > start and lo < stop:
                write_partition(str(b_dir), "ward", q, n, 333, 0, 50_000, {})
                parts.append(dataset.read_part(b_dir / dataset.part_name(q)))
                firsts.append(lo)
        other = pd.concat(parts, ignore_index=True).iloc[start - firsts[0]: stop - firsts[0]].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, other, check_exact=True)


def test_manifest_lists_what_is_read_and_foreign_folders_are_refused(tmp_path):
    write_simulated("ward", 900, tmp_path / "d", partitions=3, seed=0, block_rows=500, progress=False)
    manifest = dataset.read_manifest(tmp_path / "d")
    assert manifest["rows"] == 900 and [p["rows"] for p in manifest["partitions"]] == [300, 300, 300]
    write_simulated("ward", 900, tmp_path / "d", partitions=2, seed=0, block_rows=500, progress=False)
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["_common_metadata", "_manifest.json",
                                                                  "part-00000.parquet", "part-00001.parquet"]
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(dataset.DatasetError, match="other files"):
        dataset.prepare_folder(tmp_path / "mine")
    (tmp_path / "d" / "_manifest.json").unlink()
    with pytest.raises(dataset.DatasetError, match="no _manifest.json"):
        dataset.read_dataset(tmp_path / "d")


def test_cli_cohort_partitions_then_explain_reads_the_folder(saved, tmp_path, capsys):
    assert main(["cohort", "ward", "--n", "2000", "--seed", "3", "--partitions", "3", "--out", str(tmp_path / "w")]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 2000
    assert dataset.read_manifest(tmp_path / "w")["meta"]["block_rows"] == 50_000
    assert explain_cli("--model", saved / "xgboost", "--data", tmp_path / "w", "--method", "shap", "--rows", 40,
                       "--out", tmp_path / "s.parquet") == 0
    frame = pd.read_parquet(tmp_path / "s.parquet")
    assert list(frame["id"]) == list(dataset.read_dataset(tmp_path / "w")["id"][:40])
    capsys.readouterr()
    assert main(["train", "--data", str(tmp_path / "w"), "--outcome", "outcome", "--id", "id", "--group", "patient_id",
                 "--trigger", "trigger", "--model", "l1-logistic", "--out", str(tmp_path / "m")]) == 0
    assert json.loads(capsys.readouterr().out)["runs"][0]["path"] == str(tmp_path / "m")


def test_scheduler_values():
    assert parse_scheduler("local:3") == ("local", 3)
    assert parse_scheduler("tcp://10.0.0.5:8786") == ("remote", "tcp://10.0.0.5:8786")
    for bad in ("local:0", "lokal", "http://x:1", "tcp://host", "tcp://a:1; rm -rf /"):
        with pytest.raises(SchedulerError):
            parse_scheduler(bad)


def test_progress_bar_counts_parts_and_rows():
    out = io.StringIO()
    bar = ProgressBar(3, "explanation", stream=out)
    for rows in (10, 10, 5):
        bar.update(rows)
    last = out.getvalue().strip().splitlines()[-1]
    assert "100%" in last and "3/3 parts" in last and "25 rows" in last


# ---- explanations: cluster == in-process -----------------------------------------------------------
@pytest.mark.parametrize("family, method, extra", [
    ("xgboost", "shap", []),
    ("xgboost", "lime", ["--samples", "300"]),
    ("mlp", "shap", ["--samples", "25"]),
])
def test_explain_on_cluster_equals_in_process(client, saved, tmp_path, capsys, family, method, extra):
    ref, out = tmp_path / "ref.parquet", tmp_path / "dist"
    common = ["--model", saved / family, "--data", saved / "rows.csv", "--method", method, *extra]
    assert explain_cli(*common, "--rows", 300, "--out", ref) == 0
    capsys.readouterr()
    assert explain_cli(*common, "--rows", 300, "--out", out, "--partition-rows", 70,
                       "--scheduler", client.scheduler.address) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["partitions"] == 5 and summary["rows"] == 300
    pd.testing.assert_frame_equal(pd.read_parquet(ref), dataset.read_dataset(out), check_exact=True)
    sidecar = json.loads((tmp_path / "ref.parquet.json").read_text())
    assert dataset.read_manifest(out)["meta"] == sidecar  # same ids, params and provenance


def test_explain_partitioned_input_and_ids(client, saved, tmp_path):
    X, _ = cohort()
    dataset.prepare_folder(tmp_path / "rows")
    parts = [X.iloc[i:i + 150].reset_index() for i in range(0, 450, 150)]
    for i, part in enumerate(parts):
        dataset.write_part(tmp_path / "rows", i, part)
    dataset.write_manifest(tmp_path / "rows", "rows", [150] * 3, list(parts[0].columns))
    ids = ["r440", "r3", "r151", "r299"]
    explain_to_dataset(saved / "xgboost", tmp_path / "rows", "shap", tmp_path / "a", ids=ids, client=client,
                       progress=False)
    explain_to_dataset(saved / "xgboost", tmp_path / "rows", "shap", tmp_path / "b", part_rows=100, progress=False)
    assert list(dataset.read_dataset(tmp_path / "a")["id"]) == ids
    whole = dataset.read_dataset(tmp_path / "b")
    assert list(whole["id"]) == list(X.index[:450]) and dataset.read_manifest(tmp_path / "b")["rows"] == 450
    pd.testing.assert_frame_equal(dataset.read_dataset(tmp_path / "a"),
                                  whole.set_index("id", drop=False).loc[ids].reset_index(drop=True), check_exact=True)


def test_score_on_cluster(client, saved, tmp_path):
    summary = score_to_dataset(saved / "xgboost", saved / "rows.csv", tmp_path / "s", client=client, part_rows=150,
                               progress=False)
    scores = dataset.read_dataset(tmp_path / "s")
    X, _ = cohort()
    m = model("xgboost")
    assert summary["partitions"] == 3 and list(scores["id"]) == list(X.index[:400])
    assert (scores["risk"].to_numpy() == m.predict_proba(X.iloc[:400])).all()


def test_cli_score_on_the_cluster_equals_in_process(client, saved, tmp_path, capsys):
    common = ["score", "--model", str(saved / "xgboost"), "--data", str(saved / "rows.csv")]
    assert main([*common, "--out", str(tmp_path / "one.csv")]) == 0
    assert main([*common, "--out", str(tmp_path / "parts"), "--partition-rows", "150",
                 "--scheduler", client.scheduler.address]) == 0
    one = pd.read_csv(tmp_path / "one.csv", dtype={"id": str}).set_index("id")
    parts = dataset.read_dataset(tmp_path / "parts").set_index("id")
    assert len(dataset.part_paths(tmp_path / "parts")) == 3 and sorted(parts.index) == sorted(one.index)
    np.testing.assert_allclose(parts.loc[one.index, "risk"], one["risk"], rtol=0, atol=1e-15)
    assert (parts.loc[one.index, "alert"].astype(bool) == one["alert"].astype(bool)).all()
    capsys.readouterr()
    assert main([*common, "--explain", "shap", "--out", str(tmp_path / "x"), "--scheduler", client.scheduler.address]) == 2
    assert "not offered" in capsys.readouterr().err


def test_tampered_model_is_refused_on_the_worker(client, saved, tmp_path):
    from risklens.modeling.model import ModelError
    from risklens.scale.jobs import explain_rows
    from risklens.scale.shipping import model_files

    files = model_files(saved / "xgboost")
    files["model.ubj"] = files["model.ubj"][:-8] + b"\x00" * 8
    X, _ = cohort()
    with pytest.raises(ModelError, match="does not match its card"):
        client.submit(explain_rows, files, X.iloc[:5], "shap", 0, {}).result()


def test_cli_errors_stay_one_line(saved, tmp_path, capsys):
    code = explain_cli("--model", saved / "xgboost", "--data", saved / "rows.csv", "--method", "shap",
                       "--scheduler", "nowhere:1", "--out", tmp_path / "o")
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err[-1].startswith("risklens explain: error: --scheduler must be")
    code = explain_cli("--model", saved / "xgboost", "--data", saved / "rows.csv", "--method", "shap",
                       "--scheduler", "local:1", "--out", tmp_path / "o.txt")
    assert code == 2 and "use a .csv or .parquet file name" in capsys.readouterr().err


@pytest.mark.slow
def test_evaluation_on_cluster_equals_in_process(client):
    from risklens.cohorts import load_builtin
    from risklens.scale.protocol import DaskExecutor
    from risklens.study import ProtocolSettings, run_protocol

    ward = load_builtin("ward", n=1500, seed=3)
    settings = ProtocolSettings(families=("xgboost",), runs=2, seed=0, max_patients=40, max_cohort=300,
                                stability_repeats=2, faithfulness_patients=20)
    from distributed import get_task_stream

    here = run_protocol(ward, settings).to_dict()
    with get_task_stream(client) as stream:
        there = run_protocol(ward, settings, executor=DaskExecutor(client, min_rows=20)).to_dict()
    ran = {str(t["key"]).split("-0")[0] for t in stream.data}
    assert {"explain-shap", "explain-lime"} <= ran  # the explanations really ran on the workers
    for rep in (here, there):
        rep.pop("provenance")
    assert here == there


def test_cli_evaluate_with_scheduler(client, tmp_path, capsys):
    code = main(["evaluate", "--cohort", "ward", "--n", "1200", "--runs", "1", "--families", "xgboost",
                 "--max-patients", "20", "--scheduler", client.scheduler.address, "--out", str(tmp_path / "rep")])
    assert code == 0, capsys.readouterr().err
    report = json.loads((tmp_path / "rep" / "report.json").read_text())
    explainers = {(e["explainer"]["family"], e["explainer"]["method"]) for e in report["table1"]}
    assert explainers == {("xgboost", "shap"), ("xgboost", "lime")}


# ---- last: a worker dies mid-run -------------------------------------------------------------------
def test_lost_worker_is_retried_without_duplicated_or_missing_rows(client, saved, tmp_path):
    ref = explain_to_dataset(saved / "xgboost", saved / "rows.csv", "lime", tmp_path / "ref", samples=1500,
                             part_rows=25, progress=False)
    killed = {}
    pids = client.run(os.getpid)  # {worker address: pid}, asked before any task runs: the kill follows the look

    def kill_a_busy_worker():
        deadline = time.time() + 60
        while time.time() < deadline and not killed:
            busy = [(w, keys) for w, keys in client.processing().items() if keys and w in pids]
            if busy:
                worker, keys = busy[0]
                os.kill(pids[worker], signal.SIGKILL)
                killed.update(worker=worker, pid=pids[worker], tasks=len(keys))
            time.sleep(0.05)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    got = explain_to_dataset(saved / "xgboost", saved / "rows.csv", "lime", tmp_path / "dist", samples=1500,
                             part_rows=25, client=client, progress=False)
    killer.join()
    assert killed and killed["tasks"] >= 1
    out = dataset.read_dataset(tmp_path / "dist")
    assert got["rows"] == ref["rows"] == 400 and out["id"].is_unique
    pd.testing.assert_frame_equal(dataset.read_dataset(tmp_path / "ref"), out, check_exact=True)
