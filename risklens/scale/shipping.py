"""Models travel to workers as the bytes of their saved files, never as pickled objects.

:func:`model_files` reads a saved model directory (card.json + model.ubj/.skops) into a dict of
file name -> bytes; on a worker :func:`load_shipped` writes them to a temporary folder and loads
them with :func:`risklens.modeling.store.load_model`, which checks the model file's SHA-256 against
the card *before* deserialising, exactly as for a model on disk. A worker keeps the few models it
has loaded, keyed by the SHA-256 of all their bytes, so each model is checked and loaded once per
worker process rather than once per partition.
"""

from __future__ import annotations

import copy
import hashlib
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

from risklens.modeling.store import CARD_NAME, MODEL_FILES, save_model
from risklens.safety import atomic_write_bytes
from risklens.scale.dataset import DatasetError

_CACHE: OrderedDict[str, object] = OrderedDict()
_CACHE_SIZE = 8
_LOCK = threading.Lock()


def model_files(directory) -> dict[str, bytes]:
    """The card and model file of a saved model directory, as bytes (what a worker needs to load it)."""
    directory = Path(directory)
    if directory.is_file():
        directory = directory.parent
    names = [CARD_NAME] + sorted(set(MODEL_FILES.values()))
    files = {name: (directory / name).read_bytes() for name in names if (directory / name).is_file()}
    if CARD_NAME not in files or len(files) < 2:
        raise DatasetError(f"{directory} is not a saved model (needs {CARD_NAME} and its model file)")
    return files


def files_of_model(model) -> dict[str, bytes]:
    """A fitted, possibly unsaved model as the files :func:`save_model` would write (the model itself is
    not changed: a shallow copy is saved, so its ``model_id`` and card stay as they were)."""
    with tempfile.TemporaryDirectory(prefix="risklens-ship-") as tmp:
        save_model(copy.copy(model), Path(tmp) / "model")
        return model_files(Path(tmp) / "model")


def files_key(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return h.hexdigest()


def load_shipped(files: dict[str, bytes]):
    """The model for shipped files, loaded through ``load_model`` (hash check included), cached per process."""
    from risklens.modeling import load_model

    key = files_key(files)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    allowed = {CARD_NAME, *MODEL_FILES.values()}
    if set(files) - allowed:
        raise DatasetError(f"unexpected file(s) shipped with a model: {', '.join(sorted(set(files) - allowed))[:80]}")
    with tempfile.TemporaryDirectory(prefix="risklens-model-") as tmp:
        for name, data in files.items():
            atomic_write_bytes(Path(tmp) / name, data)  # a private temp dir, removed right after loading
        model = load_model(tmp)
    _fit_to_worker(model)
    with _LOCK:
        _CACHE[key] = model
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return model


def _fit_to_worker(model) -> None:
    """On a Dask worker, XGBoost uses the worker's threads, not its own default (which oversubscribes cores
    when several workers share a machine). Predictions do not depend on the thread count."""
    try:
        from distributed import get_worker

        threads = int(get_worker().state.nthreads)
    except (ImportError, ValueError, AttributeError):
        return  # not on a worker
    if model.family == "xgboost":
        model.estimator.set_params(n_jobs=threads)
        model.booster.set_param({"nthread": threads})
