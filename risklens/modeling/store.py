"""Save and load risk models without pickle.

One model per directory::

    <dir>/model.ubj | model.skops   XGBoost's own UBJSON format | skops for scikit-learn pipelines
    <dir>/card.json                 the model card, including the SHA-256 of the model file

Loading reads the model file's bytes once, checks their SHA-256 against the card *before*
deserialising, refuses pickle/joblib files outright, and opens skops files only when every type
they contain is on an explicit allow-list. Serialisation is canonical (fixed zip timestamps and
member names), so the same fitted model always gives the same bytes and the same ``model_id``.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

from risklens.jsonsafe import to_json_safe
from risklens.modeling.model import FAMILIES, ModelError, RiskModel

CARD_NAME = "card.json"
MODEL_FILES = {"xgboost": "model.ubj", "l1-logistic": "model.skops", "mlp": "model.skops"}
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".dill", ".sav")

#: Every type a saved RiskLens pipeline may contain beyond skops' own defaults. Anything else in a
#: .skops file (e.g. a function or an unknown class) makes loading fail.
TRUSTED_TYPES = frozenset({
    "builtins.dict", "builtins.list", "builtins.tuple", "builtins.str", "builtins.int", "builtins.float",
    "builtins.bool", "builtins.NoneType",
    "numpy.ndarray", "numpy.dtype", "numpy.float64", "numpy.int64", "numpy.int32", "numpy.bool_",
    "numpy.random.mtrand.RandomState", "numpy.random._mt19937.MT19937",
    "sklearn.pipeline.Pipeline",
    "sklearn.impute._base.SimpleImputer",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.preprocessing._label.LabelBinarizer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.neural_network._multilayer_perceptron.MLPClassifier",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
})
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


# ---- serialisation -------------------------------------------------------------------------------
def _canonical_skops(data: bytes) -> bytes:
    """Rewrite a skops zip with deterministic member names, object ids and timestamps."""
    src = zipfile.ZipFile(io.BytesIO(data))
    schema = json.loads(src.read("schema.json"))
    ids: dict[int, int] = {}
    files: dict[str, str] = {}

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "__id__" and isinstance(value, int):
                    node[key] = ids.setdefault(value, len(ids) + 1)
                elif key == "file" and isinstance(value, str) and value.endswith(".npy"):
                    node[key] = files.setdefault(value, f"{len(files):06d}.npy")
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(schema)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for old, new in sorted(files.items(), key=lambda kv: kv[1]):
            info = zipfile.ZipInfo(new, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, src.read(old))
        info = zipfile.ZipInfo("schema.json", date_time=_FIXED_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        dst.writestr(info, json.dumps(schema, indent=2))
    return out.getvalue()


def serialise_model(model: RiskModel) -> tuple[bytes, str]:
    """``(bytes, file name)`` of the fitted estimator in its safe format; identical for identical models."""
    if model.family == "xgboost":
        booster = model.estimator.get_booster()
        booster.set_attr(scikit_learn=json.dumps({"_estimator_type": "classifier"}))
        try:
            data = bytes(booster.save_raw(raw_format="ubj"))
        finally:
            booster.set_attr(scikit_learn=None)
        return data, MODEL_FILES["xgboost"]
    import skops.io as sio

    return _canonical_skops(sio.dumps(model.estimator)), MODEL_FILES[model.family]


def _looks_like_pickle(path: Path, head: bytes) -> bool:
    return path.suffix.lower() in PICKLE_SUFFIXES or head[:1] == b"\x80"


def _deserialise(family: str, data: bytes, path: Path):
    if family == "xgboost":
        from xgboost import XGBClassifier

        est = XGBClassifier(n_jobs=2)
        try:
            est.load_model(bytearray(data))
        except Exception as exc:  # xgboost raises its own XGBoostError on corrupt input
            raise ModelError(f"{path} is not a valid XGBoost model file: {exc}".splitlines()[0]) from None
        return est
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:
        raise ModelError(f"{path} is not a valid skops file: {exc}".splitlines()[0]) from None
    unknown = sorted(set(untrusted) - TRUSTED_TYPES)
    if unknown:
        raise ModelError(f"{path} contains types RiskLens does not trust: {', '.join(unknown[:5])}; refusing to load")
    try:
        return sio.loads(data, trusted=list(untrusted))
    except Exception as exc:
        raise ModelError(f"{path} could not be loaded: {exc}".splitlines()[0]) from None


def _check_estimator(family: str, est, n_features: int, path: Path) -> None:
    if family == "xgboost":
        from xgboost import XGBClassifier

        ok = isinstance(est, XGBClassifier)
        n_in = est.get_booster().num_features() if ok else -1
    else:
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression
        from sklearn.neural_network import MLPClassifier
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler

        final = LogisticRegression if family == "l1-logistic" else MLPClassifier
        ok = (isinstance(est, Pipeline) and list(est.named_steps) == ["impute", "scale", "clf"]
              and [type(s) for s in est.named_steps.values()] == [SimpleImputer, StandardScaler, final])
        n_in = getattr(est, "n_features_in_", -1) if ok else -1
    if not ok:
        raise ModelError(f"{path} does not hold a {family} model of the kind RiskLens saves")
    if n_in != n_features:
        raise ModelError(f"{path} expects {n_in} features but its card lists {n_features}")


# ---- save / load ---------------------------------------------------------------------------------
def save_model(model: RiskModel, directory) -> Path:
    """Write the model file and ``card.json`` into ``directory`` (created if needed); returns it."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ModelError(f"{directory} exists and is not a directory; choose another --out")
    data, filename = serialise_model(model)
    sha = hashlib.sha256(data).hexdigest()
    card = dict(model.card)
    card.update({
        "family": model.family, "features": list(model.feature_names), "seed": int(model.seed),
        "metrics": dict(model.metrics), "model_file": filename, "sha256": sha,
    })
    card.setdefault("name", directory.name)
    card.setdefault("params", dict(model.params))
    directory.mkdir(parents=True, exist_ok=True)
    for stale in set(MODEL_FILES.values()) - {filename}:
        (directory / stale).unlink(missing_ok=True)
    (directory / filename).write_bytes(data)
    (directory / CARD_NAME).write_text(json.dumps(to_json_safe(card), indent=2, allow_nan=False) + "\n")
    model.card, model.model_id = card, sha[:12]
    return directory


def _read_card(directory: Path) -> dict:
    card_path = directory / CARD_NAME
    if not card_path.is_file():
        raise ModelError(f"{directory} has no {CARD_NAME}; RiskLens only loads models saved with their card")
    try:
        card = json.loads(card_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{card_path} is not valid JSON ({exc})") from None
    if not isinstance(card, dict):
        raise ModelError(f"{card_path} is not a model card (expected a JSON object)")
    for key in ("family", "features", "model_file", "sha256"):
        if key not in card:
            raise ModelError(f"{card_path} lacks the field {key!r}; re-save the model with RiskLens")
    if card["family"] not in FAMILIES:
        raise ModelError(f"{card_path}: unknown family {card['family']!r}")
    return card


def _nan_metrics(metrics: dict) -> dict:
    return {k: (float("nan") if v is None else v) for k, v in (metrics or {}).items()}


def load_model(directory) -> RiskModel:
    """Load a model saved by :func:`save_model`; the file's SHA-256 is checked before deserialising."""
    path = Path(directory)
    if not path.exists():
        raise ModelError(f"no model at {path}")
    if path.is_file():
        with open(path, "rb") as fh:
            head = fh.read(2)
        if _looks_like_pickle(path, head):
            raise ModelError(f"{path} is a pickle/joblib file; RiskLens never unpickles (use model.ubj/.skops + card.json)")
        path = path.parent
    pickles = sorted(p.name for p in path.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
    if pickles and not (path / CARD_NAME).is_file():
        raise ModelError(f"{path} holds a pickle/joblib file ({pickles[0]}); RiskLens never unpickles models")
    card = _read_card(path)
    name = str(card["model_file"])
    expected = MODEL_FILES[card["family"]]
    if name != expected:
        raise ModelError(f"card names model file {name!r}, but a {card['family']} model must be in {expected!r}")
    model_path = path / name
    if not model_path.is_file():
        raise ModelError(f"{model_path} is missing (the card refers to it)")
    data = model_path.read_bytes()
    if _looks_like_pickle(model_path, data[:2]):
        raise ModelError(f"{model_path} is a pickle file; RiskLens never unpickles models")
    sha = hashlib.sha256(data).hexdigest()
    if sha != card["sha256"]:
        raise ModelError(
            f"{model_path} does not match its card (SHA-256 {sha[:12]}... != {str(card['sha256'])[:12]}...): "
            "the file was modified or replaced; refusing to load it"
        )
    est = _deserialise(card["family"], data, model_path)
    _check_estimator(card["family"], est, len(card["features"]), model_path)
    card["metrics"] = _nan_metrics(card.get("metrics"))
    return RiskModel(
        family=card["family"], estimator=est, feature_names=list(card["features"]),
        seed=int(card.get("seed", 0)), params=dict(card.get("params") or {}),
        metrics=dict(card["metrics"]), card=card, model_id=sha[:12],
    )


def list_models(root="models") -> list[dict]:
    """One dict per saved model under ``root`` (any depth): name, family, cohort, seed, auroc, created, path.

    Directories whose card cannot be read are listed with ``family`` "invalid" and an ``error``.
    """
    root = Path(root)
    if not root.is_dir():
        return []
    rows = []
    for card_path in sorted(root.rglob(CARD_NAME)):
        directory = card_path.parent
        try:
            card = _read_card(directory)
        except ModelError as exc:
            rows.append({"name": directory.name, "family": "invalid", "cohort": "", "seed": None,
                         "auroc": None, "created": "", "path": str(directory), "error": str(exc)})
            continue
        rows.append({
            "name": card.get("name", directory.name),
            "family": card["family"],
            "cohort": card.get("cohort", ""),
            "seed": card.get("seed"),
            "auroc": (card.get("metrics") or {}).get("auroc"),
            "created": card.get("created", ""),
            "path": str(directory),
            "model_id": str(card["sha256"])[:12],
        })
    return rows
