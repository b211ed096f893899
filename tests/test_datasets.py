"""Datasets other tools open, folders other tools wrote, and one file from a --scheduler run.

- A RiskLens partitioned folder opens in pandas, pyarrow.dataset, Dask and DuckDB as the same table.
- Hive-partitioned folders written by pandas (``partition_cols``) and Dask (``partition_on``), with ``_SUCCESS``
  and hidden files beside the data, are read by every command that reads data (partition keys as columns).
- ``--scheduler local:2 --out FILE`` gathers the parts into one file whose values are the in-process bytes.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from risklens.cli import main
from risklens.cohorts import read_table
from risklens.modeling import save_model
from risklens.scale import dataset
from risklens.scale.simulate import write_simulated
from test_explain_fixtures import cohort, model

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning", "ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def ward(tmp_path_factory):
    """A 1,200-row ward cohort in 3 RiskLens partitions, and the same table as a pandas frame."""
    folder = tmp_path_factory.mktemp("ds") / "ward"
    write_simulated("ward", 1200, folder, partitions=3, seed=4, block_rows=500, progress=False)
    return folder, dataset.read_dataset(folder)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    save_model(model("xgboost"), root / "xgboost")
    X, y = cohort()
    flat = X.iloc[:300].reset_index()
    flat["outcome"] = np.asarray(y)[:300]
    flat["site"] = np.where(np.arange(300) % 3 == 0, "north", np.where(np.arange(300) % 3 == 1, "south", "east"))
    flat.to_csv(root / "rows.csv", index=False)
    return root, flat


def by_id(frame: pd.DataFrame, columns) -> pd.DataFrame:
    return frame[list(columns)].sort_values("id").reset_index(drop=True)


# ---- 1. a RiskLens folder opens in other tools -------------------------------------------------------
def test_risklens_folder_opens_in_pandas_pyarrow_dask_and_duckdb(ward):
    import dask.dataframe as dd
    import duckdb
    import pyarrow.dataset as ds

    folder, ours = ward
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["_common_metadata", "_manifest.json", "part-00000.parquet", "part-00001.parquet",
                     "part-00002.parquet"]
    cols = list(ours.columns)
    want = by_id(ours, cols)
    got = {
        "pandas": pd.read_parquet(folder),
        "pyarrow.dataset": ds.dataset(folder, format="parquet").to_table().to_pandas(),
        "dask": dd.read_parquet(str(folder)).compute(),
        "duckdb": duckdb.connect().execute(f"SELECT * FROM read_parquet('{folder}/*.parquet')").df(),
    }
    for tool, frame in got.items():
        assert len(frame) == 1200, tool
        pd.testing.assert_frame_equal(by_id(frame, cols), want, check_exact=True, check_dtype=False,
                                      obj=tool)


def test_manifest_is_written_last_and_an_old_folder_is_still_read(ward, tmp_path):
    folder, ours = ward
    manifest = json.loads((folder / "_manifest.json").read_text())
    assert manifest["rows"] == 1200 and [p["file"] for p in manifest["partitions"]][-1] == "part-00002.parquet"
    # a folder written before the "_" prefix: manifest.json beside the parts
    import shutil

    old = tmp_path / "old"
    shutil.copytree(folder, old)
    (old / "_manifest.json").rename(old / "manifest.json")
    (old / "_common_metadata").unlink()
    pd.testing.assert_frame_equal(dataset.read_dataset(old), ours, check_exact=True)
    # rewriting an old folder replaces its manifest by the new name
    write_simulated("ward", 600, old, partitions=2, seed=4, block_rows=500, progress=False)
    assert not (old / "manifest.json").exists() and dataset.read_manifest(old)["rows"] == 600
    # our parts without a manifest are an interrupted run, never read as a table
    (old / "_manifest.json").unlink()
    with pytest.raises(dataset.DatasetError, match="interrupted"):
        read_table(old)


# ---- 3. folders written by other tools --------------------------------------------------------------
def _foreign(flat: pd.DataFrame, folder, tool: str):
    if tool == "pandas":
        flat.to_parquet(folder, partition_cols=["site"], index=False)
    else:
        import dask.dataframe as dd

        dd.from_pandas(flat, npartitions=3).to_parquet(str(folder), partition_on=["site"], write_index=False)
    (folder / "_SUCCESS").write_text("")  # what Spark / Hadoop leave behind
    (folder / ".hidden.crc").write_bytes(b"\x00\x01")
    return folder


@pytest.mark.parametrize("tool", ["pandas", "dask"])
def test_hive_folders_of_other_tools_read_with_partition_columns(saved, tmp_path, tool):
    root, flat = saved
    folder = _foreign(flat, tmp_path / tool, tool)
    assert any(p.is_dir() and p.name.startswith("site=") for p in folder.iterdir())
    frame = read_table(folder)
    assert sorted(frame.columns) == sorted(flat.columns)  # the partition key is a column again
    pd.testing.assert_frame_equal(by_id(frame, flat.columns), by_id(flat, flat.columns), check_exact=True,
                                  check_dtype=False)
    assert dataset.dataset_columns(folder)[-1] == "site"


@pytest.mark.parametrize("tool", ["pandas", "dask"])
def test_commands_read_other_tools_folders(saved, tmp_path, tool, capsys):
    root, flat = saved
    folder = _foreign(flat, tmp_path / tool, tool)
    common = ["--model", str(root / "xgboost"), "--method", "shap"]
    assert main(["explain", *common, "--data", str(root / "rows.csv"), "--out", str(tmp_path / "flat.parquet")]) == 0
    assert main(["explain", *common, "--data", str(folder), "--out", str(tmp_path / "hive.parquet")]) == 0
    a = pd.read_parquet(tmp_path / "flat.parquet").sort_values("id").reset_index(drop=True)
    b = pd.read_parquet(tmp_path / "hive.parquet").sort_values("id").reset_index(drop=True)
    assert len(b) == 300
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    # partition by partition (a folder output) reads the same folder file by file
    assert main(["explain", *common, "--data", str(folder), "--out", str(tmp_path / "parts"),
                 "--partition-rows", "60"]) == 0
    c = dataset.read_dataset(tmp_path / "parts").sort_values("id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, c, check_exact=True)
    assert main(["score", "--model", str(root / "xgboost"), "--data", str(folder),
                 "--out", str(tmp_path / "s.csv")]) == 0
    assert len(pd.read_csv(tmp_path / "s.csv")) == 300
    capsys.readouterr()
    assert main(["train", "--data", str(folder), "--outcome", "outcome", "--id", "id", "--model", "l1-logistic",
                 "--out", str(tmp_path / "m")]) == 0
    card = json.loads((tmp_path / "m" / "card.json").read_text())
    assert "site" in json.dumps(card)  # the partition column took part as a (text) feature


def test_folder_without_data_says_so(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "_SUCCESS").write_text("")
    with pytest.raises(dataset.DatasetError, match="no Parquet data files"):
        read_table(tmp_path / "empty")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "notes.txt").write_text("not parquet")
    with pytest.raises(dataset.DatasetError, match="not a folder of Parquet files"):
        read_table(tmp_path / "junk")


# ---- 2. --scheduler with a file --out ------------------------------------------------------------------
def test_scheduler_with_a_file_out_gives_the_in_process_bytes(saved, tmp_path, capsys):
    root, flat = saved
    common = ["--model", str(root / "xgboost"), "--data", str(root / "rows.csv")]
    assert main(["explain", *common, "--method", "shap", "--out", str(tmp_path / "here.parquet")]) == 0
    assert main(["explain", *common, "--method", "shap", "--out", str(tmp_path / "there.parquet"),
                 "--scheduler", "local:2", "--partition-rows", "70"]) == 0
    here, there = pd.read_parquet(tmp_path / "here.parquet"), pd.read_parquet(tmp_path / "there.parquet")
    assert list(here.columns) == list(there.columns) and list(here["id"]) == list(there["id"])
    values = [c for c in here.columns if c not in ("id", "method", "output", "model_id", "seed")]
    for c in values:
        assert here[c].to_numpy().tobytes() == there[c].to_numpy().tobytes(), c
    assert (json.loads((tmp_path / "there.parquet.json").read_text())
            == json.loads((tmp_path / "here.parquet.json").read_text()))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no scratch folder left
    # scores: the same risk, byte for byte, per id; CSV too
    assert main(["score", *common, "--out", str(tmp_path / "s_here.parquet")]) == 0
    assert main(["score", *common, "--out", str(tmp_path / "s_there.parquet"), "--scheduler", "local:2",
                 "--partition-rows", "100"]) == 0
    a = pd.read_parquet(tmp_path / "s_here.parquet").set_index("id")
    b = pd.read_parquet(tmp_path / "s_there.parquet").set_index("id")
    assert len(b) == 300 and list(b.index) == list(flat["id"])  # input order
    assert a.loc[b.index, "risk"].to_numpy().tobytes() == b["risk"].to_numpy().tobytes()
    assert (a.loc[b.index, "alert"].astype(int).to_numpy() == b["alert"].to_numpy()).all()


def test_cohort_on_the_scheduler_into_one_file(tmp_path, ward, capsys):
    assert main(["cohort", "ward", "--n", "1200", "--seed", "4", "--partitions", "3", "--scheduler", "local:1",
                 "--out", str(tmp_path / "w.parquet")]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 1200
    one = pd.read_parquet(tmp_path / "w.parquet")
    # block_rows differs from the fixture's (500 there, 50,000 here): compare with a fresh folder
    write_simulated("ward", 1200, tmp_path / "f", partitions=2, seed=4, progress=False)
    pd.testing.assert_frame_equal(one, dataset.read_dataset(tmp_path / "f"), check_exact=True)
    assert main(["cohort", "ward", "--n", "10", "--scheduler", "local:1", "--out", str(tmp_path / "w.txt")]) == 2
    assert "use a .csv or .parquet" in capsys.readouterr().err
