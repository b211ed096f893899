"""Small helpers shared by the explanation adapters: input checks, model fingerprints, backgrounds."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from risklens.explain.base import ExplainError


def check_frame(model, X) -> tuple[np.ndarray, np.ndarray]:
    """(matrix in the model's feature order, row ids) for a DataFrame X; clear errors otherwise."""
    if not isinstance(X, pd.DataFrame):
        raise ExplainError(f"explain() needs a DataFrame whose index holds the row ids, not {type(X).__name__}")
    if len(X) == 0:
        raise ExplainError("there are no rows to explain; select at least one patient")
    if not X.index.is_unique:
        dup = X.index[X.index.duplicated()][:5]
        raise ExplainError(f"row ids must be unique; repeated: {', '.join(map(str, dup))}")
    missing = [c for c in model.feature_names if c not in X.columns]
    if missing:
        raise ExplainError(f"the rows lack {len(missing)} feature(s) the model uses: {', '.join(missing[:8])}")
    try:
        M = X[list(model.feature_names)].to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        bad = [c for c in model.feature_names if not pd.api.types.is_numeric_dtype(X[c])]
        raise ExplainError(f"features must be numeric; not numeric: {', '.join(bad[:8])}") from None
    return M, np.asarray(X.index, dtype=object)


#: Fewest rows that may serve as their own background (SHAP on the MLP, LIME's training statistics).
MIN_BACKGROUND = 20


def check_own_background(n_rows: int, method: str = "") -> None:
    """Rows explained without a background serve as their own: refused (ExplainError) below MIN_BACKGROUND."""
    if n_rows < MIN_BACKGROUND:
        raise ExplainError(
            f"explaining {n_rows} row(s){' with ' + method if method else ''} needs a background sample of the "
            f"population (at least {MIN_BACKGROUND} rows, e.g. training rows): pass background=<frame>; on the "
            "command line give the whole file and pick the patients with --rows or --ids")


def background_matrix(model, X: pd.DataFrame, background=None) -> np.ndarray:
    """The background rows (params['background'] if given, else the rows being explained -- which must then
    be enough rows to stand for the population: a lone patient as its own background explains nothing)."""
    if background is None:
        check_own_background(len(X))
        return X[list(model.feature_names)].to_numpy(dtype=np.float64)
    if isinstance(background, pd.DataFrame):
        missing = [c for c in model.feature_names if c not in background.columns]
        if missing:
            raise ExplainError(f"the background lacks feature(s): {', '.join(missing[:8])}")
        B = background[list(model.feature_names)].to_numpy(dtype=np.float64)
    else:
        B = np.asarray(background, dtype=np.float64)
    if B.ndim != 2 or B.shape[1] != len(model.feature_names) or len(B) == 0:
        raise ExplainError(f"the background must be a non-empty table with the model's {len(model.feature_names)} features")
    return B


def lime_budget(method: str, num_samples: int, samples: int | None, params: dict) -> int:
    """LIME's samples per patient (``samples`` is the CLI's name for ``num_samples``); other options are refused."""
    if params:
        raise ExplainError(f"{method} does not take: {', '.join(params)}; use num_samples, kernel_width, background")
    n = int(samples if samples is not None else num_samples)
    if n < 2:
        raise ExplainError(f"{method} needs at least 2 samples per patient (5000 is lime's default)")
    return n


def array_hash(*arrays: np.ndarray) -> str:
    """Short SHA-256 of arrays (values, shapes); NaNs hash identically."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(np.asarray(a, dtype=np.float64))
        h.update(str(a.shape).encode())
        h.update(np.where(np.isnan(a), np.nan, a).tobytes())
    return h.hexdigest()[:16]


def model_fingerprint(model) -> str:
    """``model.model_id`` when the model was saved, else a hash of its fitted parameters."""
    if getattr(model, "model_id", ""):
        return str(model.model_id)
    h = hashlib.sha256(model.family.encode())
    h.update("\x1f".join(model.feature_names).encode())
    original = (model.card or {}).get("provenance", {}).get("original_sha256") if isinstance(model.card, dict) else None
    if original:  # an imported model: the file it came from
        h.update(str(original).encode())
    elif model.family == "xgboost":
        h.update(bytes(model.booster.save_raw("json")))
    else:
        steps = model.estimator.named_steps
        arrays = [steps["impute"].statistics_, steps["scale"].mean_, steps["scale"].scale_]
        clf = steps["clf"]
        if model.family == "l1-logistic":
            arrays += [clf.coef_, clf.intercept_]
        else:
            arrays += list(clf.coefs_) + list(clf.intercepts_)
        h.update(array_hash(*arrays).encode())
    return "unsaved-" + h.hexdigest()[:12]


def seeded_rows(B: np.ndarray, size: int, seed: int) -> np.ndarray:
    """A seeded sample (without replacement) of at most ``size`` rows, in their original order."""
    if len(B) <= size:
        return B
    idx = np.sort(np.random.default_rng(seed).choice(len(B), size=size, replace=False))
    return B[idx]


def column_medians(B: np.ndarray) -> np.ndarray:
    """Per-column median ignoring NaN; 0 for an all-missing column."""
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            med = np.nanmedian(B, axis=0)
    return np.where(np.isnan(med), 0.0, med)


def impute(M: np.ndarray, fill: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(M), fill[None, :], M)
