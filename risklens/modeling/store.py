"""Save and load risk models without pickle.

One model per directory::

    <dir>/model.ubj | model.skops   XGBoost's own UBJSON format | skops for scikit-learn models
    <dir>/card.json                 the model card (schema: :mod:`risklens.modeling.card`)
    <dir>/.lock                     the directory lock

Saving takes an exclusive lock on the directory and writes each file atomically (unique temporary
file + rename); loading takes a shared lock, so a reader never sees a new model file with an old card.
Loading size-checks the model file before reading it, checks its SHA-256 against the card *before*
deserialising, refuses pickle/joblib files outright and opens skops files only when every type
they name is on an explicit allow-list (:mod:`risklens.modeling.safeio`). Serialisation is
canonical, so the same fitted model always gives the same bytes and the same ``model_id``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from contextlib import contextmanager
from pathlib import Path

from risklens.jsonsafe import to_json_safe
from risklens.modeling.card import CardError, card_model_id, content_hash, parse_card
from risklens.modeling.model import ModelError, RiskModel
from risklens.modeling.safeio import (
    IMPORT_TYPES, PICKLE_SUFFIXES, RISKLENS_TYPES, canonical_skops, load_skops, looks_like_pickle, read_model_bytes,
)
from risklens.safety import atomic_write_bytes, atomic_write_text

CARD_NAME = "card.json"
LOCK_NAME = ".lock"
MODEL_FILES = {"xgboost": "model.ubj", "l1-logistic": "model.skops", "mlp": "model.skops", "sklearn": "model.skops"}
TRUSTED_TYPES = RISKLENS_TYPES


# ---- serialisation -------------------------------------------------------------------------------
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

    return canonical_skops(sio.dumps(model.estimator)), MODEL_FILES[model.family]


def _looks_like_pickle(path: Path, head: bytes) -> bool:
    return looks_like_pickle(path, head)


def deserialise(family: str, data: bytes, label) -> object:
    """The estimator in ``data`` (XGBoost UBJ/JSON or an allow-listed skops archive)."""
    if family == "xgboost":
        from xgboost import XGBClassifier

        est = XGBClassifier(n_jobs=2)
        try:
            est.load_model(bytearray(data))
        except Exception as exc:  # xgboost raises its own XGBoostError on corrupt input
            raise ModelError(f"{label} is not a valid XGBoost model file: {exc}".splitlines()[0]) from None
        return est
    return load_skops(data, str(label), IMPORT_TYPES if family == "sklearn" else RISKLENS_TYPES)


_deserialise = deserialise


def check_estimator(family: str, est, n_features: int, label) -> None:
    """Refuse an estimator that is not of the kind its family promises or has another number of inputs."""
    if family == "xgboost":
        from xgboost import XGBClassifier

        ok = isinstance(est, XGBClassifier)
        n_in = est.get_booster().num_features() if ok else -1
    elif family == "sklearn":
        labels = sorted(str(c).lower() for c in getattr(est, "classes_", []))
        ok = hasattr(est, "predict_proba") and labels in (["0", "1"], ["0.0", "1.0"], ["false", "true"])
        n_in = getattr(est, "n_features_in_", -1) if ok else -1
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
        kind = "a binary classifier with predict_proba" if family == "sklearn" else f"a {family} model of the kind RiskLens saves"
        raise ModelError(f"{label} does not hold {kind}")
    if n_in != n_features:
        raise ModelError(f"{label} expects {n_in} features but its card lists {n_features}")


_check_estimator = check_estimator


# ---- the directory lock ------------------------------------------------------------------------
@contextmanager
def directory_lock(directory: Path, exclusive: bool):
    """``flock`` on ``<directory>/.lock``: exclusive for writers, shared for readers.

    A reader of a directory that was never locked (no ``.lock``, e.g. a read-only copy) goes unlocked.
    """
    lock = directory / LOCK_NAME
    if not exclusive and not lock.exists():
        yield
        return
    fh = open(lock, "a+b" if exclusive else "rb")
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        fh.close()  # closing releases the lock


# ---- save / load ---------------------------------------------------------------------------------
def finish_card(model: RiskModel, data: bytes, filename: str, name: str) -> dict:
    """The card to save with ``model``: its fields plus file name, SHA-256, input contract and ids."""
    sha = hashlib.sha256(data).hexdigest()
    card = dict(model.card)
    card.update({
        "family": model.family, "features": list(model.feature_names), "seed": int(model.seed),
        "metrics": dict(model.metrics), "model_file": filename, "sha256": sha,
        "input_contract": model.contract.to_json(),
    })
    card.setdefault("name", name)
    card.setdefault("params", dict(model.params))
    card = to_json_safe(card)
    card["content_hash"] = content_hash(sha, card["family"], card["features"], card["input_contract"],
                                        card.get("threshold"))
    card["model_id"] = card["content_hash"][:12]
    return card


def save_model(model: RiskModel, directory) -> Path:
    """Write the model file and ``card.json`` into ``directory`` (created if needed); returns it.

    Holds the directory's exclusive lock while writing; each file is replaced atomically.
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ModelError(f"{directory} exists and is not a directory; choose another --out")
    data, filename = serialise_model(model)
    card = finish_card(model, data, filename, directory.name)
    text = json.dumps(card, indent=2, allow_nan=False) + "\n"
    directory.mkdir(parents=True, exist_ok=True)
    with directory_lock(directory, exclusive=True):
        for stale in set(MODEL_FILES.values()) - {filename}:
            (directory / stale).unlink(missing_ok=True)
        atomic_write_bytes(directory / filename, data)
        atomic_write_text(directory / CARD_NAME, text)
    model.card, model.model_id = card, card["model_id"]
    return directory


def read_card(directory: Path) -> dict:
    """The validated card of a model directory (:class:`~risklens.modeling.card.CardError` naming the field)."""
    card_path = Path(directory) / CARD_NAME
    if not card_path.is_file():
        raise ModelError(f"{directory} has no {CARD_NAME}; RiskLens only loads models saved with their card")
    from risklens.modeling.safeio import check_size

    check_size(card_path.stat().st_size, str(card_path))
    return parse_card(card_path.read_bytes(), str(card_path))


_read_card = read_card


def _nan_metrics(metrics: dict) -> dict:
    return {k: (float("nan") if v is None else v) for k, v in (metrics or {}).items()}


def _check_pins(path: Path, model_id: str, expect_model_id: str | None) -> None:
    from risklens.settings import pinned_models

    if expect_model_id and model_id != str(expect_model_id).strip().lower()[:12]:
        raise ModelError(f"{path} has model id {model_id}, not the expected {str(expect_model_id)[:12]}: "
                         "the model was changed or swapped; refusing to load it")
    pinned = pinned_models().get(str(path.resolve()))
    if pinned and model_id != pinned[:12]:
        raise ModelError(f"{path} has model id {model_id}, but the pinned-model list expects {pinned[:12]}: "
                         "the model was changed or swapped; refusing to load it")


def _model_dir(directory) -> Path:
    path = Path(directory)
    if not path.exists():
        raise ModelError(f"no model at {path}")
    if path.is_file():
        with open(path, "rb") as fh:
            head = fh.read(2)
        if looks_like_pickle(path, head):
            raise ModelError(f"{path} is a pickle/joblib file; RiskLens never unpickles (use model.ubj/.skops + card.json)")
        path = path.parent
    pickles = sorted(p.name for p in path.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
    if pickles and not (path / CARD_NAME).is_file():
        raise ModelError(f"{path} holds a pickle/joblib file ({pickles[0]}); RiskLens never unpickles models")
    return path


def _read_consistent(path: Path) -> tuple[dict, bytes]:
    """Card and model bytes read under the shared lock, the bytes checked against the card's SHA-256."""
    with directory_lock(path, exclusive=False):
        card = read_card(path)
        name = str(card["model_file"])
        expected = MODEL_FILES[card["family"]]
        if name != expected:
            raise ModelError(f"card names model file {name!r}, but a {card['family']} model must be in {expected!r}")
        model_path = path / name
        if not model_path.is_file():
            raise ModelError(f"{model_path} is missing (the card refers to it)")
        data = read_model_bytes(model_path)
    sha = hashlib.sha256(data).hexdigest()
    if sha != card["sha256"]:
        raise ModelError(
            f"{model_path} does not match its card (SHA-256 {sha[:12]}... != {str(card['sha256'])[:12]}...): "
            "the file was modified or replaced; refusing to load it"
        )
    return card, data


def load_model(directory, expect_model_id: str | None = None) -> RiskModel:
    """Load a model saved by :func:`save_model`; the file's SHA-256 is checked before deserialising.

    ``expect_model_id`` (and the pinned-model list of :func:`risklens.settings.pinned_models`) refuse a
    model whose id -- recomputed from the file and the card -- is not the expected one.
    """
    from risklens.modeling.contract import InputContract

    path = _model_dir(directory)
    card, data = _read_consistent(path)
    model_id = card_model_id(card)
    _check_pins(path, model_id, expect_model_id)
    label = path / str(card["model_file"])
    est = deserialise(card["family"], data, label)
    check_estimator(card["family"], est, len(card["features"]), label)
    card["metrics"] = _nan_metrics(card.get("metrics"))
    contract = card.get("input_contract")
    return RiskModel(
        family=card["family"], estimator=est, feature_names=list(card["features"]),
        seed=int(card.get("seed", 0)), params=dict(card.get("params") or {}),
        metrics=dict(card["metrics"]), card=card, model_id=model_id,
        contract=None if contract is None else InputContract.from_json(contract),
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
            card = read_card(directory)
        except (ModelError, OSError) as exc:
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
            "model_id": card_model_id(card),
        })
    return rows


__all__ = ["CardError", "save_model", "load_model", "list_models", "read_card", "serialise_model", "directory_lock"]
