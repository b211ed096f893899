"""A disk store of explanations: Parquet (arrays) + JSON (what was computed), keyed by everything that matters.

The key is the SHA-256 of: the model (``model_id``, or a hash of the fitted parameters when the
model was never saved), the data (SHA-256 of the rows given: column names, dtypes, row ids and
values), the method, the seed and the parameters (a background frame enters through its hash).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from risklens.explain._common import model_fingerprint
from risklens.explain.base import Explanation, ExplainError, json_safe
from risklens.explain.registry import IN_PROCESS, Prepared, prepare
from risklens.safety import atomic_path, atomic_write_text

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: rely on atomic renames and the sidecar's hash
    fcntl = None

DEFAULT_ROOT = Path(".risklens-cache/explanations")


def data_hash(X: pd.DataFrame) -> str:
    """SHA-256 of a frame's rows including their ids (index), column names and dtypes."""
    if not isinstance(X, pd.DataFrame):
        raise ExplainError(f"expected a DataFrame of rows, not {type(X).__name__}")
    h = hashlib.sha256()
    h.update(json.dumps([[str(c), str(t)] for c, t in X.dtypes.items()]).encode())
    h.update(json.dumps([str(i) for i in X.index]).encode())
    h.update(pd.util.hash_pandas_object(X, index=True).to_numpy().tobytes())
    return h.hexdigest()


def _normalise_params(params: dict) -> dict:
    out = {}
    for k, v in sorted(params.items()):
        if isinstance(v, pd.DataFrame):
            out[k] = {"frame_sha256": data_hash(v)}
        elif isinstance(v, np.ndarray) and v.ndim == 2:
            out[k] = {"array_sha256": hashlib.sha256(np.ascontiguousarray(v, dtype=np.float64).tobytes()).hexdigest()}
        else:
            out[k] = json_safe(v)
    return out


def cache_key(model, X: pd.DataFrame, method: str, seed: int, params: dict) -> tuple[str, dict]:
    """(hex key, the JSON-safe description it hashes)."""
    desc = {"model": model_fingerprint(model), "data": data_hash(X), "method": str(method), "seed": int(seed),
            "params": _normalise_params(params)}
    return hashlib.sha256(json.dumps(desc, sort_keys=True).encode()).hexdigest()[:32], desc


class ExplanationStore:
    """Explanations saved as ``<root>/<method>/<key>.parquet`` with ``<key>.json`` beside."""

    def __init__(self, root: Path | str = DEFAULT_ROOT):
        self.root = Path(root)

    def _paths(self, method: str, key: str) -> tuple[Path, Path]:
        d = self.root / method
        return d / f"{key}.parquet", d / f"{key}.json"

    @contextlib.contextmanager
    def _locked(self, method: str, key: str, exclusive: bool):
        """Hold ``<key>.lock`` (exclusive to write the pair, shared to read it); threads and processes alike."""
        lock = self.root / method / f".{key}.lock"
        lock.parent.mkdir(parents=True, exist_ok=True)
        with open(lock, "a+b") as fh:
            if fcntl is not None:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            try:
                yield
            finally:
                if fcntl is not None:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def get(self, method: str, key: str) -> Explanation | None:
        path, meta = self._paths(method, key)
        if not (path.exists() and meta.exists()):
            return None
        with self._locked(method, key, exclusive=False):
            try:
                data = path.read_bytes()
                described = json.loads(meta.read_text()).get("parquet_sha256")
            except (OSError, ValueError):
                return None
            if described != hashlib.sha256(data).hexdigest():
                return None  # the sidecar describes another file: recompute, never trust
            try:
                return Explanation.from_parquet(path)
            except ExplainError:
                return None  # a damaged cache entry is recomputed, never trusted

    def put(self, method: str, key: str, expl: Explanation, description: dict) -> Path:
        """Write ``<key>.parquet`` and its ``<key>.json`` (with the Parquet file's SHA-256) as one pair:
        each through a unique temporary file renamed into place, under the key's lock."""
        path, meta = self._paths(method, key)
        with self._locked(method, key, exclusive=True):
            with atomic_path(path) as tmp:
                expl.to_parquet(tmp)
                digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
            atomic_write_text(meta, json.dumps({"key": key, **description, "parquet_sha256": digest,
                                                "explanation": expl.metadata()}, indent=1))
        return path

    def __contains__(self, item: tuple[str, str]) -> bool:
        return all(p.exists() for p in self._paths(*item))

    def entries(self) -> list[dict]:
        """The JSON descriptions of every stored explanation."""
        return [json.loads(p.read_text()) for p in sorted(self.root.glob("*/*.json"))]


def cached_explain(model, X: pd.DataFrame, method: str, *, seed: int = 0, store: ExplanationStore | None = None,
                   executor=None, **params) -> Explanation:
    """The stored explanation for exactly these inputs if there is one, else compute, save and return it
    (:func:`~risklens.explain.registry.prepare` checks the request; ``executor`` runs it, default here)."""
    return run_cached(prepare(model, X, method, seed=seed, **params), store, executor)


def run_cached(call: Prepared, store: ExplanationStore | None = None, executor=None) -> Explanation:
    """A prepared call through the store: the stored explanation when there is one, else run on ``executor``
    (default: this process), saved and returned."""
    store = store if store is not None else ExplanationStore()
    key, desc = cache_key(call.model, call.X, call.method, call.seed, call.arguments())
    found = store.get(call.method, key)
    if found is not None:
        return found
    expl = (executor or IN_PROCESS).explain(call)
    store.put(call.method, key, expl, desc)
    return expl
