"""A scored cohort served from Parquet: the worklist's pages, filters and search answered by DuckDB without
building the table in Python, checked against pandas on the whole table; and the Patients page pointed at it."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest

from risklens.cli import main
from risklens.patients.worklist import WorklistFilters, open_worklist
from risklens.scale import dataset

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")
N = 50_000


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """A 50,000-row ward cohort scored by a small XGBoost model (``risklens score --cohort``), and the whole
    table read by pandas (the answer key)."""
    root = tmp_path_factory.mktemp("worklist")
    assert main(["train", "--cohort", "ward", "--n", "1500", "--model", "xgboost", "--out", str(root / "m")]) == 0
    assert main(["score", "--cohort", "ward", "--n", str(N), "--seed", "7", "--model", str(root / "m"),
                 "--out", str(root / "w")]) == 0
    return root, dataset.read_dataset(root / "w")


def expected(full: pd.DataFrame, keep) -> pd.DataFrame:
    return full[keep].sort_values(["risk", "id"], ascending=[False, True], kind="stable")


def test_scored_cohort_is_the_cohort_plus_the_models_scores(scored):
    from risklens.modeling import load_model
    from risklens.scale.simulate import write_simulated

    root, full = scored
    assert len(full) == N and full["id"].is_unique
    meta = dataset.read_manifest(root / "w")["meta"]
    model = load_model(root / "m")
    assert meta["model_id"] == model.model_id and dataset.read_manifest(root / "w")["kind"] == "scored cohort"
    write_simulated("ward", 3000, root / "plain", partitions=1, seed=7, progress=False)
    plain = dataset.read_dataset(root / "plain")
    head = full.iloc[:3000].reset_index(drop=True)
    pd.testing.assert_frame_equal(head[list(plain.columns)], plain, check_exact=True)  # the same rows
    risk = model.predict_proba(model.prepare(plain))
    assert head["risk"].to_numpy().tobytes() == risk.tobytes()
    assert (head["alert"].to_numpy() == (risk >= model.threshold)).all()


def opened(folder, source: str, monkeypatch):
    """The worklist answering from the Parquet files (its ranked copy never built) or from the ranked copy."""
    from risklens.patients.worklist import ScoredWorklist

    if source == "parquet":
        monkeypatch.setattr(ScoredWorklist, "_build_ranked", lambda self: None)
    wl = open_worklist(folder)
    if source == "ranked":
        assert wl.wait_ranked(120)
    else:
        assert not wl.wait_ranked(0.5)
    return wl


@pytest.mark.parametrize("source", ["parquet", "ranked"])
def test_pages_filters_and_search_match_pandas_without_building_the_table(scored, source, monkeypatch):
    root, full = scored
    wl = opened(root / "w", source, monkeypatch)
    thr = float(np.quantile(full["risk"], 0.9))
    tracemalloc.start()
    n, first = wl.page(thr, WorklistFilters(), 1, 50)
    n_deep, deep = wl.page(thr, WorklistFilters(), 700, 50)
    n_alert, alerts = wl.page(thr, WorklistFilters(above_only=True, outcome="event"), 3, 50)
    trig = next(t for t in wl.trigger_options() if t != "any")
    n_trig, by_trig = wl.page(thr, WorklistFilters(trigger=trig, outcome="no event"), 1, 50)
    pid = full["id"].iloc[31_337]
    n_found, found = wl.page(thr, WorklistFilters(search=pid[:9].lower()), 1, 50)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    whole = full[["id", "risk", "outcome", "trigger"]].memory_usage(deep=True).sum()
    assert peak < whole / 10  # no frame of the whole cohort (not even of the listed columns) was built here

    order = expected(full, np.ones(N, bool))
    assert n == N and list(first["id"]) == list(order["id"][:50])
    assert list(deep["id"]) == list(order["id"][699 * 50: 700 * 50])
    assert first["risk"].to_numpy().tobytes() == order["risk"][:50].to_numpy().tobytes()
    keep = (full["risk"] >= thr) & (full["outcome"] == 1)
    assert n_alert == int(keep.sum()) > 100 and list(alerts["id"]) == list(expected(full, keep)["id"][100:150])
    keep = (full["trigger"] == trig) & (full["outcome"] == 0)
    assert n_trig == int(keep.sum()) and list(by_trig["id"]) == list(expected(full, keep)["id"][:50])
    keep = full["id"].str.lower().str.contains(pid[:9].lower(), regex=False)
    assert pid in set(found["id"]) and n_found == int(keep.sum())
    # the last page is clipped, a page past the end shows the last page
    n_last, last = wl.page(thr, WorklistFilters(), 10**6, 50)
    assert list(last["id"]) == list(order["id"][(N // 50 - 1) * 50:])


@pytest.mark.parametrize("source", ["parquet", "ranked"])
def test_one_patients_row_percentile_and_counts(scored, source, monkeypatch):
    root, full = scored
    wl = opened(root / "w", source, monkeypatch)
    pid = full["id"].iloc[4242]
    row = wl.row(pid)
    pd.testing.assert_frame_equal(row.reset_index(drop=True), full.iloc[[4242]].reset_index(drop=True),
                                  check_exact=True, check_dtype=False)
    assert wl.has(pid) and not wl.has(pid + "x") and not wl.has("' OR 1=1 --")
    r = float(row["risk"].iloc[0])
    assert wl.percentile(r) == pytest.approx(100 * (full["risk"] < r).mean())
    c = wl.counts(0.1)
    assert c == {"patients": N, "alerts": int((full["risk"] >= 0.1).sum()), "events": int(full["outcome"].sum())}
    from risklens.errors import RiskLensError

    with pytest.raises(RiskLensError, match="no patient with id"):
        wl.row("nobody")


def test_a_folder_that_is_not_scored_is_refused(tmp_path, scored):
    from risklens.errors import RiskLensError
    from risklens.scale.simulate import write_simulated

    write_simulated("ward", 500, tmp_path / "plain", partitions=1, progress=False)
    with pytest.raises(RiskLensError, match="no risk column"):
        open_worklist(tmp_path / "plain")
    with pytest.raises(RiskLensError, match="does not exist"):
        open_worklist(tmp_path / "nowhere")


# ---- the Patients page pointed at a scored cohort -------------------------------------------------------
@pytest.fixture(scope="module")
def app_home(tmp_path_factory):
    import os

    from apptest_support import demo_home

    gen = demo_home(tmp_path_factory, 2000)
    home = next(gen)
    from risklens.demo import demo_dir

    assert main(["score", "--cohort", "ward", "--n", "3000", "--seed", "5", "--model", str(demo_dir("xgboost")),
                 "--out", str(home / "data" / "scored")]) == 0
    os.environ["RISKLENS_WORKLIST"] = "data/scored"  # relative: under the RiskLens home
    yield home
    os.environ.pop("RISKLENS_WORKLIST", None)
    next(gen, None)


def test_patients_page_pages_the_scored_cohort(app_home):
    from apptest_support import open_page

    full = dataset.read_dataset(app_home / "data" / "scored")
    at = open_page("pages/patients.py")
    caption = next(c.value for c in at.caption if "scored patients match" in c.value)
    assert caption.startswith("3,000 of 3,000 scored patients match")
    table = next(df.value for df in at.dataframe if "risk %" in df.value.columns)
    assert list(table["id"]) == list(expected(full, np.ones(len(full), bool))["id"][:100])
    heads = [h.value for h in at.subheader if str(h.value).startswith("Patient ")]
    assert heads == [f"Patient {table['id'].iloc[0]}"]
    at.number_input(key="wl_page").set_value(30).run()  # the last page
    table = next(df.value for df in at.dataframe if "risk %" in df.value.columns)
    assert list(table["id"]) == list(expected(full, np.ones(len(full), bool))["id"][2900:])
    pid = full["id"].iloc[1234]
    at.text_input(key="wl_search").set_value(pid).run()
    table = next(df.value for df in at.dataframe if "risk %" in df.value.columns)
    assert pid in list(table["id"]) and not at.exception
    at.selectbox(key="pt_select").set_value(pid).run()
    assert [h.value for h in at.subheader if str(h.value).startswith("Patient ")] == [f"Patient {pid}"]
    risk = float(full["risk"].iloc[1234])
    assert next(m.value for m in at.metric if m.label == "Predicted risk") == f"{100 * risk:.1f}%"
    # a deep link to a scored patient in a new session; an unknown one is plain text
    at2 = open_page("pages/patients.py", query={"patient": full["id"].iloc[77]})
    assert [h.value for h in at2.subheader if str(h.value).startswith("Patient ")] == [f"Patient {full['id'].iloc[77]}"]
    at3 = open_page(query={"patient": "[x](https://evil.example)"})
    assert at3.error and "not in the scored worklist" in at3.error[0].value
    assert "[x](https://evil.example)" in [t.value for t in at3.text]
    # what-if on a scored patient
    box = at2.number_input[1] if len(at2.number_input) > 1 else at2.number_input[0]
    box.set_value((box.value or 1.0) * 2 + 5)
    next(b for b in at2.button if b.label == "Recompute risk and explanation").click().run()
    assert not at2.exception and any(m.label == "Risk with these values" for m in at2.metric)


def test_a_wrong_worklist_setting_says_so_and_keeps_the_page(app_home, monkeypatch):
    from apptest_support import open_page

    monkeypatch.setenv("RISKLENS_WORKLIST", "data/no-such-folder")
    at = open_page("pages/patients.py")
    from apptest_support import shown

    assert at.warning and "RISKLENS_WORKLIST cannot be used" in shown(at.warning[0].value)
    assert any("held-out patients match" in c.value for c in at.caption)  # the demo's worklist instead
