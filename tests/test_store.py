"""The model store: safe formats, hash checked before loading, pickle never opened."""

import hashlib
import json
import pickle

import numpy as np
import pandas as pd
import pytest

from risklens.cohorts.base import Cohort
from risklens.cohorts.dictionary import infer_dictionary
from risklens.families import FAMILIES
from risklens.modeling import ModelError, list_models, load_model, save_model, train_model

SMALL = {"xgboost": {"n_estimators": 30}, "l1-logistic": None, "mlp": {"hidden_layer_sizes": (8,), "max_iter": 50}}
CARD_KEYS = {"name", "family", "features", "data_hash", "cohort", "seed", "split_seed", "test_size", "params",
             "metrics", "versions", "created", "sha256", "model_file", "threshold"}


def toy_cohort(n=800, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=["a", "b", "c", "d"], index=[f"r{i}" for i in range(n)])
    X.iloc[::11, 2] = np.nan
    y = (rng.random(n) < 1 / (1 + np.exp(-(X["a"] - X["b"] - 1)))).astype(int)
    return Cohort("toy", X, y, dictionary=infer_dictionary(X))


@pytest.fixture(scope="module")
def cohort():
    return toy_cohort()


@pytest.fixture(scope="module")
def saved(cohort, tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    out = {}
    for family in FAMILIES:
        model = train_model(cohort, family, seed=3, params=SMALL[family])
        out[family] = (model, save_model(model, root / family))
    return root, out


@pytest.mark.parametrize("family", FAMILIES)
def test_round_trip_gives_identical_predictions(cohort, saved, family):
    model, path = saved[1][family]
    loaded = load_model(path)
    assert np.array_equal(loaded.predict_proba(cohort.X), model.predict_proba(cohort.X))
    assert np.array_equal(loaded.predict_margin(cohort.X), model.predict_margin(cohort.X))
    assert loaded.model_id == model.model_id
    assert loaded.family == family and loaded.seed == 3 and loaded.feature_names == ["a", "b", "c", "d"]
    assert loaded.metrics["auroc"] == pytest.approx(model.metrics["auroc"])


@pytest.mark.parametrize("family", FAMILIES)
def test_card_fields_and_hash(cohort, saved, family):
    _, path = saved[1][family]
    card = json.loads((path / "card.json").read_text())
    assert CARD_KEYS <= set(card)
    assert card["data_hash"] == cohort.hash and card["cohort"] == "toy" and card["family"] == family
    model_file = path / card["model_file"]
    assert model_file.suffix == (".ubj" if family == "xgboost" else ".skops")
    assert hashlib.sha256(model_file.read_bytes()).hexdigest() == card["sha256"]
    assert not list(path.glob("*.pkl")) and not list(path.glob("*.joblib"))


def test_saving_twice_gives_the_same_bytes(saved, tmp_path):
    for family in ("xgboost", "mlp"):
        model, path = saved[1][family]
        again = save_model(model, tmp_path / family)
        name = json.loads((path / "card.json").read_text())["model_file"]
        assert (again / name).read_bytes() == (path / name).read_bytes()


def _copy(path, dest):
    dest.mkdir()
    for f in path.iterdir():
        (dest / f.name).write_bytes(f.read_bytes())
    return dest


@pytest.mark.parametrize("family", FAMILIES)
def test_tampered_model_file_is_refused(saved, tmp_path, family):
    d = _copy(saved[1][family][1], tmp_path / "m")
    card = json.loads((d / "card.json").read_text())
    f = d / card["model_file"]
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0xFF
    f.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match its card"):
        load_model(d)


def test_pickle_files_are_refused_without_unpickling(saved, tmp_path):
    d = tmp_path / "pickled"
    d.mkdir()
    (d / "model.pkl").write_bytes(pickle.dumps({"not": "loaded"}))
    with pytest.raises(ModelError, match="never unpickles"):
        load_model(d)
    with pytest.raises(ModelError, match="pickle"):
        load_model(d / "model.pkl")
    # a pickle renamed to model.skops whose card even carries the right hash: refused by magic bytes
    d2 = _copy(saved[1]["mlp"][1], tmp_path / "renamed")
    payload = pickle.dumps({"not": "loaded"})
    (d2 / "model.skops").write_bytes(payload)
    card = json.loads((d2 / "card.json").read_text())
    card["sha256"] = hashlib.sha256(payload).hexdigest()
    (d2 / "card.json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="pickle"):
        load_model(d2)


def test_missing_card_is_refused(saved, tmp_path):
    d = _copy(saved[1]["xgboost"][1], tmp_path / "nocard")
    (d / "card.json").unlink()
    with pytest.raises(ModelError, match="no card.json"):
        load_model(d)
    with pytest.raises(ModelError, match="no model at"):
        load_model(tmp_path / "nowhere")


def test_untrusted_types_in_a_skops_file_are_refused(cohort, tmp_path):
    import skops.io as sio
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    d = tmp_path / "evil"
    d.mkdir()
    evil = Pipeline([("impute", FunctionTransformer(json.dumps)), ("scale", FunctionTransformer()),
                     ("clf", FunctionTransformer())])
    data = sio.dumps(evil)
    (d / "model.skops").write_bytes(data)
    card = {"family": "mlp", "features": ["a", "b", "c", "d"], "model_file": "model.skops",
            "sha256": hashlib.sha256(data).hexdigest()}
    (d / "card.json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="does not trust: .*json.dumps"):
        load_model(d)
    # skops itself trusts a FunctionTransformer around a numpy function; RiskLens' allow-list does not
    plain = Pipeline([("impute", FunctionTransformer(np.abs)), ("scale", FunctionTransformer()),
                      ("clf", FunctionTransformer())]).fit(cohort.X.fillna(0).to_numpy())
    data = sio.dumps(plain)
    (d / "model.skops").write_bytes(data)
    card["sha256"] = hashlib.sha256(data).hexdigest()
    (d / "card.json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="does not trust: numpy.absolute, .*FunctionTransformer"):
        load_model(d)
    # allow-listed types only, but not the pipeline an mlp card promises: refused after loading, before use
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    other = Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler()), ("clf", LogisticRegression())])
    other.fit(cohort.X.fillna(0).to_numpy()[:, :4], cohort.y)
    data = sio.dumps(other)
    (d / "model.skops").write_bytes(data)
    card["sha256"] = hashlib.sha256(data).hexdigest()
    (d / "card.json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="does not hold a mlp model"):
        load_model(d)


def test_card_pointing_elsewhere_is_refused(saved, tmp_path):
    d = _copy(saved[1]["mlp"][1], tmp_path / "m")
    card = json.loads((d / "card.json").read_text())
    card["model_file"] = "../../etc/passwd"
    (d / "card.json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="must be in 'model.skops'"):
        load_model(d)


def test_list_models(saved, tmp_path):
    root, out = saved
    rows = list_models(root)
    assert [r["family"] for r in rows] == sorted(FAMILIES)
    for r in rows:
        assert {"name", "family", "cohort", "seed", "auroc", "created", "path"} <= set(r)
        assert r["cohort"] == "toy" and r["seed"] == 3
        assert r["auroc"] == pytest.approx(out[r["family"]][0].metrics["auroc"])
    assert list_models(tmp_path / "empty") == []
