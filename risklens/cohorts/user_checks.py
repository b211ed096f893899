"""Validating a user's table column by column before it becomes a Cohort.

Each check raises :class:`CohortError` naming the column (and a value or row where that helps):
roles given to missing or repeated columns, a non-binary or missing outcome, empty or duplicated
ids, identifier-like features, outcome leaks, columns the input contract cannot encode, and
all-missing or constant features. The rules are in :mod:`risklens.cohorts.user`.
"""

from __future__ import annotations

import difflib
import re

import numpy as np
import pandas as pd

from risklens.cohorts.base import CohortError
from risklens.modeling.contract import FALSE_WORDS, TRUE_WORDS, ContractError, InputContract

_TRUE = set(TRUE_WORDS)
_FALSE = set(FALSE_WORDS)
_ID_NAME = re.compile(r"^(id|mrn|urn|uid|uuid|record|row|index|patient|subject|encounter)$|(^|_)(id|mrn|urn|uuid)$|^id_",
                      re.I)


def check_columns(frame: pd.DataFrame, **named) -> None:
    """Every named role column is in the frame, and no column plays two roles."""
    cols = [str(c) for c in frame.columns]
    for role, col in named.items():
        if col is None:
            continue
        if col not in frame.columns:
            close = difflib.get_close_matches(str(col), cols, n=1, cutoff=0.7)
            hint = f"; did you mean {close[0]!r}?" if close else "."
            shown = ", ".join(cols[:30]) + (" ..." if len(cols) > 30 else "")
            raise CohortError(f"the {role} column {col!r} is not in the file{hint} The columns are: {shown}")
    used = [c for c in named.values() if c is not None]
    dup = sorted({c for c in used if used.count(c) > 1})
    if dup:
        raise CohortError(f"column {dup[0]!r} is given for two roles (outcome/id/trigger/group/time); use it once")


def check_drop(frame: pd.DataFrame, drop, **roles) -> tuple[str, ...]:
    """The columns to leave out, checked: each is in the table and plays no role (outcome, id ...)."""
    drop = tuple(dict.fromkeys(str(c).strip() for c in (drop or ())))
    cols = [str(c) for c in frame.columns]
    for c in drop:
        if c not in frame.columns:
            close = difflib.get_close_matches(c, cols, n=1, cutoff=0.7)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise CohortError(f"cannot leave out column {c!r}: it is not in the file{hint}")
        role = next((r for r, v in roles.items() if v == c), None)
        if role:
            raise CohortError(f"cannot leave out column {c!r}: it is the {role} column")
    return drop


def parse_outcome(col: pd.Series, name: str) -> np.ndarray:
    """The outcome as 0/1 int8 (1 = the event); missing, non-binary or single-class outcomes are errors."""
    missing = col.isna().to_numpy()
    if missing.any():
        rows = np.flatnonzero(missing)[:5] + 1
        raise CohortError(f"the outcome {name!r} is missing in {int(missing.sum())} row(s) (first: row "
                          f"{', '.join(map(str, rows))}); fill or drop those rows")
    if pd.api.types.is_bool_dtype(col):
        return col.to_numpy().astype(np.int8)
    text = col.astype(str).str.strip().str.lower()
    levels = sorted(text.unique())
    if len(levels) > 2:
        show = ", ".join(repr(v) for v in levels[:6]) + (" ..." if len(levels) > 6 else "")
        raise CohortError(f"the outcome {name!r} must be binary (0/1, yes/no, true/false) but has "
                          f"{len(levels)} different values: {show}")
    pos, neg = text.isin(_TRUE), text.isin(_FALSE)
    if not (pos | neg).all():
        bad = sorted(set(text[~(pos | neg)]))[:3]
        raise CohortError(f"the outcome {name!r} has value(s) {', '.join(map(repr, bad))}; use 0/1, yes/no or "
                          "true/false (1/yes/true = the event)")
    if len(levels) < 2 or pos.all() or neg.all():
        raise CohortError(f"the outcome {name!r} has a single class ({levels[0]!r} in every row); a model needs "
                          "both events and non-events")
    return pos.to_numpy().astype(np.int8)


def text_ids(col: pd.Series, role: str) -> np.ndarray:
    """An id or group column as stripped text (whole floats lose their '.0'); empty values are errors."""
    if col.isna().any():
        row = int(np.flatnonzero(col.isna().to_numpy())[0]) + 1
        raise CohortError(f"the {role} column {col.name!r} is empty in row {row}; every row needs a value")
    if pd.api.types.is_float_dtype(col) and (col == col.round()).all():
        col = col.astype(np.int64)
    return col.astype(str).str.strip().to_numpy(dtype=object)


def is_id_like(col: pd.Series) -> bool:
    """An id-like name and a different, whole, present value in every row."""
    named = _ID_NAME.search(str(col.name)) or re.search(r"(?<=[a-z])(ID|Id)$", str(col.name))
    if not named or col.isna().any() or not col.is_unique:
        return False
    if pd.api.types.is_integer_dtype(col):
        return True
    if pd.api.types.is_float_dtype(col):
        return bool((col == col.round()).all())
    return not pd.api.types.is_bool_dtype(col)


def encode(frame: pd.DataFrame, feature_cols: list[str], id_col: str | None, drop=()):
    """The input contract of the feature columns and the encoded matrix (CohortError on bad columns)."""
    try:
        contract = InputContract.fit(frame, feature_cols, id_col=id_col, dropped=drop)
        X = contract.transform(frame)
    except ContractError as exc:
        raise CohortError(str(exc)) from None
    return contract, X


def check_leaks(frame: pd.DataFrame, feature_cols: list[str], y: np.ndarray) -> None:
    """A feature with one value (or "missing") in every row of one outcome class, never in the other."""
    pos = y == 1
    for c in feature_cols:
        col = frame[c]
        if not pd.api.types.is_numeric_dtype(col):
            col = col.astype("string").str.strip().replace("", pd.NA)
        codes = pd.factorize(col, use_na_sentinel=True)[0]  # missing (or blank) -> -1
        for label, mask in (("0", ~pos), ("1", pos)):
            inside, outside = codes[mask], codes[~mask]
            if inside.min() == inside.max() and not (outside == inside[0]).any():
                value = col.to_numpy()[np.flatnonzero(mask)[0]]
                what = "empty" if inside[0] < 0 else (repr(value) if isinstance(value, str) else f"{value}")
                raise CohortError(
                    f"column {c!r} is {what} exactly when the outcome is {label}: it is a function of the outcome "
                    "(an outcome leak), and a model would just read the answer from it. Pass it as the trigger "
                    "column if it records what triggered the event, or leave it out (--drop COLUMN, or 'Leave out "
                    "columns' on the Data page)")


def check_informative(X: pd.DataFrame, sources: dict[str, str]) -> None:
    """No encoded feature is all-missing or constant (named by its source column)."""
    all_missing = [c for c in X.columns if X[c].isna().all()]
    if all_missing:
        raise CohortError(f"feature column(s) with no values at all: {', '.join(all_missing[:10])}; drop them")
    constant = [sources.get(c, c) for c in X.columns if X[c].nunique(dropna=True) < 2]
    if constant:
        names = list(dict.fromkeys(constant))
        raise CohortError(f"feature column(s) with a single value in every row: {', '.join(names[:10])}; "
                          "they carry no information, drop them")

