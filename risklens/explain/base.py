"""One :class:`Explanation` type for every method (values, base values, data, ids; Parquet I/O).

The registry of methods by name is :mod:`risklens.explain.registry`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from risklens.errors import RiskLensError
from risklens.jsonsafe import to_json_safe

OUTPUTS = ("log-odds", "probability")
#: Key of the JSON metadata stored in an explanation's Parquet schema.
PARQUET_META_KEY = b"risklens.explanation"
_VALUE_PREFIX, _DATA_PREFIX, _STDERR_PREFIX = "value:", "data:", "stderr:"


class ExplainError(RiskLensError):
    """An explanation cannot be computed (method does not apply to this model, bad rows ...)."""


@dataclass(eq=False)
class Explanation:
    """Attributions of ``n`` rows over ``f`` features, in the style of ``shap.Explanation``.

    values (n, f), base_values (n,), data (n, f) -- the feature values explained (NaN = missing),
    feature_names (f), ids (n) row ids, method name, model_id, output space ("log-odds" or
    "probability") and params (seed, samples, background ... everything needed to reproduce it).
    For additive methods, ``values.sum(1) + base_values`` is the model output in that space.
    ``stderr`` (n, f), optional: the estimated standard error of each value for sampling estimators
    (None when the method is exact or does not estimate it; NaN where it could not be estimated).
    """

    values: np.ndarray
    base_values: np.ndarray
    data: np.ndarray
    feature_names: list[str]
    method: str
    model_id: str
    output: str
    ids: np.ndarray | None = None
    params: dict = field(default_factory=dict)
    stderr: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.values = np.asarray(self.values, dtype=np.float64)
        if self.values.ndim == 1:
            self.values = self.values[None, :]
        n, f = self.values.shape
        self.base_values = np.broadcast_to(np.asarray(self.base_values, dtype=np.float64), (n,)).copy()
        self.data = np.asarray(self.data, dtype=np.float64).reshape(n, f)
        self.feature_names = list(self.feature_names)
        if len(self.feature_names) != f:
            raise ExplainError(f"{f} attribution columns but {len(self.feature_names)} feature names")
        if self.output not in OUTPUTS:
            raise ExplainError(f"output must be one of {OUTPUTS}, not {self.output!r}")
        self.ids = (np.arange(n).astype(str) if self.ids is None else np.asarray(self.ids)).astype(object)
        if len(self.ids) != n:
            raise ExplainError(f"{n} rows but {len(self.ids)} ids")
        if self.stderr is not None:
            self.stderr = np.asarray(self.stderr, dtype=np.float64).reshape(n, f)

    # ---- shape and slicing -------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape

    def __len__(self) -> int:
        return self.values.shape[0]

    def __getitem__(self, rows) -> "Explanation":
        """Rows by integer, slice, mask or position array, or one row id as a string (always an Explanation)."""
        if isinstance(rows, str):
            return self.rows_for_ids([rows])
        if isinstance(rows, (int, np.integer)):
            rows = [int(rows)]
        return Explanation(
            values=self.values[rows], base_values=self.base_values[rows], data=self.data[rows],
            feature_names=self.feature_names, method=self.method, model_id=self.model_id,
            output=self.output, ids=self.ids[rows], params=dict(self.params),
            stderr=None if self.stderr is None else self.stderr[rows],
        )

    def rows_for_ids(self, ids) -> "Explanation":
        pos = pd.Index(self.ids).get_indexer(list(ids))
        if (pos < 0).any():
            bad = [i for i, p in zip(ids, pos) if p < 0]
            raise ExplainError(f"ids not in this explanation: {', '.join(map(str, bad[:5]))}")
        return self[pos]

    # ---- rankings ----------------------------------------------------------------------------
    def top_k(self, k: int) -> np.ndarray:
        """Per-row indices of the k features with largest |attribution|, shape (n, k), ties by index
        (:func:`risklens.metrics.consistency.top_k`, the one ranking helper)."""
        from risklens.metrics.consistency import top_k

        return np.atleast_2d(top_k(self.values, k))

    def cohort_importance(self) -> pd.Series:
        """Mean |attribution| per feature over rows, sorted descending (the study's cohort level)."""
        imp = pd.Series(np.abs(self.values).mean(axis=0), index=self.feature_names, name=self.method)
        return imp.sort_values(ascending=False, kind="stable")

    def to_frame(self) -> pd.DataFrame:
        """One row per patient: id, base value, one column per feature's attribution."""
        df = pd.DataFrame(self.values, columns=self.feature_names)
        df.insert(0, "base_value", self.base_values)
        df.insert(0, "id", self.ids)
        return df

    def output_frame(self, seed: int) -> pd.DataFrame:
        """What ``risklens explain`` writes: one row per patient with id, base_value, method, output, model_id,
        seed, then one column per feature."""
        frame = self.to_frame()
        frame.insert(2, "method", self.method)
        frame.insert(3, "output", self.output)
        frame.insert(4, "model_id", self.model_id)
        frame.insert(5, "seed", int(seed))
        return frame

    def top_features(self, row: int, k: int) -> list[str]:
        """Names of the k features with largest |attribution| for row position ``row``."""
        return [self.feature_names[j] for j in self.top_k(k)[int(row)]]

    def values_frame(self) -> pd.DataFrame:
        """Attributions as a frame indexed by row id, one column per feature."""
        return pd.DataFrame(self.values, index=pd.Index(self.ids, name="id"), columns=self.feature_names)

    def data_frame(self) -> pd.DataFrame:
        """Explained feature values as a frame indexed by row id."""
        return pd.DataFrame(self.data, index=pd.Index(self.ids, name="id"), columns=self.feature_names)

    @property
    def description(self) -> str:
        return f"{self.method} on model {self.model_id} ({self.output})"

    # ---- persistence: Parquet (arrays) + JSON (metadata in the Parquet schema) ----------------
    def metadata(self) -> dict:
        """JSON-safe metadata: feature names, method, model id, output space and params."""
        return {
            "feature_names": list(self.feature_names), "method": self.method, "model_id": self.model_id,
            "output": self.output, "params": json_safe(self.params), "n": len(self), "format": 1,
        }

    def to_parquet(self, path) -> Path:
        """Write values, base values, data and ids to Parquet; metadata as JSON in the schema."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        cols = {"id": _ids_for_arrow(self.ids), "base_value": pa.array(self.base_values, pa.float64())}
        for j, name in enumerate(self.feature_names):
            cols[f"{_VALUE_PREFIX}{name}"] = pa.array(self.values[:, j], pa.float64())
        for j, name in enumerate(self.feature_names):
            cols[f"{_DATA_PREFIX}{name}"] = pa.array(self.data[:, j], pa.float64())
        if self.stderr is not None:
            for j, name in enumerate(self.feature_names):
                cols[f"{_STDERR_PREFIX}{name}"] = pa.array(self.stderr[:, j], pa.float64())
        table = pa.table(cols)
        table = table.replace_schema_metadata({PARQUET_META_KEY: json.dumps(self.metadata()).encode()})
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)
        return path

    @classmethod
    def from_parquet(cls, path) -> "Explanation":
        """Read an explanation written by :meth:`to_parquet` (exact round trip)."""
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as exc:  # pyarrow raises several types for unreadable files
            raise ExplainError(f"could not read explanation file {path}: {exc}") from None
        raw = (table.schema.metadata or {}).get(PARQUET_META_KEY)
        if raw is None:
            raise ExplainError(f"{path} is not a RiskLens explanation (no metadata); write it with to_parquet")
        meta = json.loads(raw)
        names = meta["feature_names"]
        col = lambda c: table.column(c).to_numpy(zero_copy_only=False)  # noqa: E731
        values = np.column_stack([col(f"{_VALUE_PREFIX}{n}") for n in names]) if names else np.zeros((table.num_rows, 0))
        data = np.column_stack([col(f"{_DATA_PREFIX}{n}") for n in names]) if names else np.zeros((table.num_rows, 0))
        ids = np.asarray(table.column("id").to_pylist(), dtype=object)
        has_se = bool(names) and all(f"{_STDERR_PREFIX}{n}" in table.column_names for n in names)
        stderr = np.column_stack([col(f"{_STDERR_PREFIX}{n}") for n in names]) if has_se else None
        return cls(values=values, base_values=col("base_value"), data=data, feature_names=names,
                   method=meta["method"], model_id=meta["model_id"], output=meta["output"], ids=ids,
                   params=meta.get("params", {}), stderr=stderr)

    def allclose(self, other: "Explanation", rtol: float = 0.0, atol: float = 0.0) -> bool:
        """Same metadata and (within tolerance) the same arrays; NaN data compare equal."""
        return (
            self.metadata() == other.metadata()
            and list(self.ids) == list(other.ids)
            and np.allclose(self.values, other.values, rtol=rtol, atol=atol)
            and np.allclose(self.base_values, other.base_values, rtol=rtol, atol=atol)
            and np.allclose(self.data, other.data, rtol=rtol, atol=atol, equal_nan=True)
        )


def comparable(a: Explanation, b: Explanation) -> bool:
    """True when two explanations' values live in the same output space (log-odds vs probability).

    Magnitude-based comparisons (differences, sums) are meaningful only then; otherwise compare
    rankings (Spearman, top-k overlap, signs), which do not depend on the scale.
    """
    return a.output == b.output


def comparison_note(a: Explanation, b: Explanation) -> str:
    """One sentence saying how two explanations may be compared."""
    if comparable(a, b):
        return f"both in {a.output}: values and ranks are comparable"
    return f"{a.method} is in {a.output}, {b.method} in {b.output}: compare ranks and signs only"


def _ids_for_arrow(ids: np.ndarray):
    import pyarrow as pa

    vals = list(ids)
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in vals):
        return pa.array([int(v) for v in vals], pa.int64())
    return pa.array([str(v) for v in vals], pa.string())


def json_safe(obj):
    """Plain JSON types for stored metadata; non-finite numbers as text so stored keys stay distinct."""
    try:
        return to_json_safe(obj, nonfinite="string", strict=True)
    except TypeError as exc:
        raise ExplainError(f"parameter value of type {exc} cannot be stored; pass numbers or strings") from None
