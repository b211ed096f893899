"""``risklens explain``: one row per patient, metadata beside, one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from risklens.cli import main
from risklens.explain import explain
from test_explain_fixtures import FEATURES, cohort, model

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    from risklens.modeling import load_model, save_model

    root = tmp_path_factory.mktemp("cli")
    save_model(model("xgboost"), root / "xgb")
    X, _ = cohort()
    data = X.iloc[:300].reset_index()  # an 'id' column
    data.to_csv(root / "rows.csv", index=False)
    return root, load_model(root / "xgb"), X.iloc[:300]


def test_cli_shap_rows_to_parquet(saved, capsys):
    root, m, X = saved
    out = root / "shap.parquet"
    assert main(["explain", "--model", str(root / "xgb"), "--data", str(root / "rows.csv"), "--method", "shap",
                 "--rows", "25", "--out", str(out)]) == 0
    frame = pd.read_parquet(out)
    assert len(frame) == 25 and list(frame["id"]) == list(X.index[:25])
    assert {"base_value", "method", "output", "model_id", "seed"} <= set(frame.columns)
    np.testing.assert_allclose(frame[FEATURES].sum(1) + frame["base_value"], m.predict_margin(X.iloc[:25]), atol=1e-5)
    meta = json.loads((root / "shap.parquet.json").read_text())
    assert meta["method"] == "shap" and meta["output"] == "log-odds" and meta["model_id"] == m.model_id
    assert json.loads(capsys.readouterr().out)["rows"] == 25


def test_cli_lime_ids_to_csv_matches_the_library(saved):
    root, m, X = saved
    out = root / "lime.csv"
    ids = ["r3", "r17"]
    assert main(["explain", "--model", str(root / "xgb"), "--data", str(root / "rows.csv"), "--method", "lime",
                 "--ids", *ids, "--seed", "2", "--samples", "300", "--out", str(out)]) == 0
    frame = pd.read_csv(out)
    assert list(frame["id"]) == ids and (frame["seed"] == 2).all() and (frame["output"] == "probability").all()
    ref = explain(m, X.loc[ids], "lime", seed=2, num_samples=300, background=X)  # background = the whole file
    np.testing.assert_allclose(frame[FEATURES].to_numpy(), ref.values, atol=1e-12)


@pytest.mark.parametrize("args, message", [
    (["--method", "dtd"], "does not apply to xgboost"),
    (["--method", "shap", "--ids", "nobody"], "ids not found"),
    (["--method", "shap", "--id", "nope"], "--id column 'nope'"),
    (["--method", "magic"], "unknown explanation method"),
])
def test_cli_errors_are_one_line(saved, capsys, args, message):
    root, _, _ = saved
    code = main(["explain", "--model", str(root / "xgb"), "--data", str(root / "rows.csv"), "--out",
                 str(root / "x.csv"), *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err[-1].startswith("risklens explain: error:") and message in err[-1]
