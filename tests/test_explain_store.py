"""Parquet round trips change nothing; the store key changes with model, data, method, seed and params."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from risklens.explain import Explanation, ExplainError, ExplanationStore, cached_explain, explain
from risklens.explain.store import cache_key, data_hash
from test_explain_fixtures import cohort, model

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


def test_parquet_round_trip_is_exact(tmp_path):
    X, _ = cohort()
    e = explain(model("xgboost"), X.iloc[:30], "lime", seed=4, background=X, num_samples=200)
    path = e.to_parquet(tmp_path / "e.parquet")
    back = Explanation.from_parquet(path)
    assert back.allclose(e)  # exact: rtol = atol = 0, NaN data equal
    np.testing.assert_array_equal(back.values, e.values)
    assert list(back.ids) == list(e.ids) and back.feature_names == e.feature_names
    assert (back.method, back.model_id, back.output) == (e.method, e.model_id, e.output)
    assert back.params == e.params and back.params["num_samples"] == 200


def test_round_trip_keeps_integer_ids_and_sliced_rows(tmp_path):
    X, _ = cohort()
    rows = X.iloc[:10].reset_index(drop=True)  # integer ids 0..9
    e = explain(model("l1-logistic"), rows, "coef")[2:7]
    back = Explanation.from_parquet(e.to_parquet(tmp_path / "c.parquet"))
    assert list(back.ids) == [2, 3, 4, 5, 6] and back.allclose(e)


def test_from_parquet_rejects_foreign_files(tmp_path):
    pd.DataFrame({"a": [1.0]}).to_parquet(tmp_path / "x.parquet")
    with pytest.raises(ExplainError, match="not a RiskLens explanation"):
        Explanation.from_parquet(tmp_path / "x.parquet")


def test_cached_explain_stores_then_returns_the_same(tmp_path):
    X, _ = cohort()
    store = ExplanationStore(tmp_path / "cache")
    m = model("xgboost")
    rows = X.iloc[:12]
    first = cached_explain(m, rows, "lime", seed=1, store=store, num_samples=200, background=X)
    assert len(store.entries()) == 1
    entry = store.entries()[0]
    assert entry["method"] == "lime" and entry["seed"] == 1 and entry["params"]["num_samples"] == 200
    assert "frame_sha256" in entry["params"]["background"]
    second = cached_explain(m, rows, "lime", seed=1, store=store, num_samples=200, background=X)
    assert second.allclose(first) and len(store.entries()) == 1
    # what is stored is what a fresh computation gives
    assert explain(m, rows, "lime", seed=1, num_samples=200, background=X).allclose(second)
    cached_explain(m, rows, "lime", seed=2, store=store, num_samples=200, background=X)
    assert len(store.entries()) == 2


def test_store_key_changes_with_everything_that_matters():
    X, _ = cohort()
    rows = X.iloc[:20]
    m = model("xgboost")
    base, _ = cache_key(m, rows, "lime", 0, {"num_samples": 100})
    variants = [
        cache_key(m, rows, "lime", 1, {"num_samples": 100})[0],  # seed
        cache_key(m, rows, "lime-ref", 0, {"num_samples": 100})[0],  # method
        cache_key(m, rows, "lime", 0, {"num_samples": 101})[0],  # params
        cache_key(m, X.iloc[:21], "lime", 0, {"num_samples": 100})[0],  # rows
        cache_key(m, rows.rename(index=lambda i: i + "x"), "lime", 0, {"num_samples": 100})[0],  # ids
        cache_key(model("mlp"), rows, "lime", 0, {"num_samples": 100})[0],  # model
        cache_key(model("mlp", seed=1), rows, "lime", 0, {"num_samples": 100})[0],  # model seed
        cache_key(m, rows, "lime", 0, {"num_samples": 100, "background": X})[0],  # background
    ]
    changed = rows.copy()
    changed.iloc[3, 2] += 1e-9
    variants.append(cache_key(m, changed, "lime", 0, {"num_samples": 100})[0])  # one value
    assert len({base, *variants}) == len(variants) + 1
    assert cache_key(m, rows.copy(), "lime", 0, {"num_samples": 100})[0] == base  # same inputs, same key
    assert data_hash(rows) == data_hash(rows.copy())


def test_unsaved_models_get_distinct_fingerprints():
    X, _ = cohort()
    a = explain(model("mlp", seed=0), X.iloc[:3], "dtd")
    b = explain(model("mlp", seed=1), X.iloc[:3], "dtd")
    assert a.model_id.startswith("unsaved-") and a.model_id != b.model_id


def test_store_metadata_is_plain_json(tmp_path):
    X, _ = cohort()
    store = ExplanationStore(tmp_path)
    cached_explain(model("l1-logistic"), X.iloc[:5], "shap", store=store)
    (meta,) = list(tmp_path.glob("shap/*.json"))
    data = json.loads(meta.read_text())
    assert data["explanation"]["output"] == "log-odds" and data["explanation"]["feature_names"][0] == "age"
