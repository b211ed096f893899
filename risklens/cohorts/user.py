"""User data: a CSV or Parquet file -> a validated :class:`Cohort`.

Every problem a user can cause raises :class:`CohortError` with a message that names the file
problem or the column (and a value and row where that helps) and says what to do.

Rules (also in data/README.md):

* the outcome must have exactly two values: 0/1, true/false, yes/no, y/n, positive/negative
  (any case; 1/true/yes/y/positive is the event); missing outcomes are an error;
* numeric columns are used as they are (missing values stay NaN); text columns with up to
  :data:`MAX_LEVELS` values are encoded: two values -> one 0/1 column ``<col>_<level>``, more ->
  one 0/1 column per value (``<col>_<level>``, grouped under ``<col>`` in the dictionary);
* text in a mostly numeric column, all-missing or constant columns, identifier-like feature
  columns and duplicated ids are errors, not silent fixes;
* duplicated column names are refused from the header row itself (before pandas would rename
  ``x1, x1`` to ``x1, x1.1``); more than :data:`MAX_COLUMNS` columns are refused before parsing;
* ``inf`` in a feature is refused naming the column;
* a feature that is a function of the outcome -- one value (or "missing") in every row of one outcome
  class and never in the other, like a trigger column that is empty exactly when the outcome is 0 -- is
  refused as an outcome leak naming the column (pass a trigger with --trigger, or drop the column);
* the encoding of text columns is the model's input contract
  (:class:`risklens.modeling.contract.InputContract`), kept with the cohort and saved with its models;
* trigger values must name a dictionary group (or a feature, or a label) of the final
  dictionary, compared case-insensitively with spaces/dashes read as "_"; blank means "not
  recorded". Unknown trigger values are an **error** that lists them and the groups that exist
  (a silently dropped trigger would bias trigger concordance).
"""

from __future__ import annotations

import difflib
import io
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from risklens.cohorts.base import Cohort, CohortError
from risklens.cohorts.dictionary import FeatureDictionary, FeatureInfo, infer_dictionary
from risklens.modeling.contract import FALSE_WORDS, TRUE_WORDS, ContractError, InputContract

MIN_ROWS = 50
MIN_PER_CLASS = 10
MAX_COLUMNS = 5000
_TRUE = set(TRUE_WORDS)
_FALSE = set(FALSE_WORDS)
_ID_NAME = re.compile(r"^(id|mrn|urn|uid|uuid|record|row|index|patient|subject|encounter)$|(^|_)(id|mrn|urn|uuid)$|^id_",
                      re.I)


# ---- reading -----------------------------------------------------------------------------------
def read_table(source, filename: str | None = None, text_columns=()) -> pd.DataFrame:
    """A CSV or Parquet table from a path, bytes or a file-like object.

    The format comes from ``filename`` (or the path / the object's ``name``): ``.parquet``/``.pq``
    is Parquet, anything else is CSV; bytes starting with the Parquet magic are Parquet anyway.
    ``text_columns`` are read as text (keeps ids like "007" intact).
    """
    label, data = _read_bytes(source, filename)
    if not data.strip():
        raise CohortError(f"{label} is empty (0 rows); choose a file with a header row and data rows")
    is_parquet = data[:4] == b"PAR1" or label.lower().endswith((".parquet", ".pq"))
    frame = _read_parquet(data, label) if is_parquet else _read_csv(data, label, text_columns)
    if frame.shape[1] == 0:
        raise CohortError(f"{label} has no columns; is it a CSV with a header row?")
    if len(frame) == 0:
        raise CohortError(f"{label} has column names but no data rows")
    frame.columns = [str(c).strip() for c in frame.columns]
    _check_header(list(frame.columns), label)
    return frame


def _check_header(names: list[str], label: str) -> None:
    """Too many columns or a repeated name -> CohortError (linear in the number of columns)."""
    if len(names) > MAX_COLUMNS:
        raise CohortError(f"{label} has {len(names):,} columns; RiskLens takes at most {MAX_COLUMNS:,}. "
                          "Select the columns you need and upload that")
    seen: set[str] = set()
    dup = sorted({n for n in names if n in seen or seen.add(n)})
    if dup:
        shown = ", ".join(dup[:10]) + (" ..." if len(dup) > 10 else "")
        raise CohortError(f"{label}: column name(s) appear more than once: {shown}; rename them")


def _read_bytes(source, filename: str | None) -> tuple[str, bytes]:
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        label = filename or path.name
        if not path.is_file():
            raise CohortError(f"file not found: {path}")
        return label, path.read_bytes()
    if isinstance(source, (bytes, bytearray, memoryview)):
        return filename or "the uploaded file", bytes(source)
    if hasattr(source, "read"):
        label = filename or os.path.basename(str(getattr(source, "name", ""))) or "the uploaded file"
        if hasattr(source, "seek"):
            try:
                source.seek(0)  # a Streamlit upload is read again on every rerun
            except (OSError, ValueError):
                pass
        data = source.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
        return label, bytes(data)
    raise CohortError(f"cannot read a table from a {type(source).__name__}; give a path, bytes or an open file")


def _read_parquet(data: bytes, label: str) -> pd.DataFrame:
    try:
        return pd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise CohortError(f"{label} is not a readable Parquet file ({type(exc).__name__}: {exc})") from None


def _read_csv(data: bytes, label: str, text_columns) -> pd.DataFrame:
    if data[:4] == b"PK\x03\x04":
        raise CohortError(f"{label} looks like an Excel workbook (or another zip file); save it as 'CSV UTF-8' "
                          "or Parquet and upload that")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise CohortError(f"{label} is UTF-16 text, not UTF-8; save it as 'CSV UTF-8' and upload again")
    if b"\x00" in data[:4096]:
        raise CohortError(f"{label} looks like a binary file, not CSV text; export it as CSV (UTF-8) or Parquet")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = data[exc.start:exc.start + 1].hex()
        line = data[:exc.start].count(b"\n") + 1
        raise CohortError(
            f"{label} is not UTF-8 text (byte 0x{bad} on line {line}); save it as 'CSV UTF-8' and upload again"
        ) from None
    dtype = {c: str for c in text_columns if c}
    header = text.split("\n", 1)[0]
    sep = next((d for d in (",", ";", "\t", "|") if d in header), ",")  # European ';' and TSV files too
    _check_header(_header_names(header, sep), label)  # before pandas renames repeated names
    try:
        return pd.read_csv(io.StringIO(text), sep=sep, decimal="," if sep == ";" else ".", dtype=dtype or None,
                           skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise CohortError(f"{label} is empty (no header row)") from None
    except Exception as exc:  # ParserError, ValueError ...
        msg = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise CohortError(f"{label} could not be parsed as CSV: {msg}") from None


def _header_names(header: str, sep: str) -> list[str]:
    import csv

    try:
        row = next(csv.reader([header.rstrip("\r")], delimiter=sep, skipinitialspace=True), [])
    except csv.Error:
        return []
    return [c.strip() for c in row]


# ---- validation helpers ----------------------------------------------------------------------
def _check_columns(frame: pd.DataFrame, **named) -> None:
    cols = [str(c) for c in frame.columns]
    for role, col in named.items():
        if col is None:
            continue
        if col not in frame.columns:
            close = difflib.get_close_matches(str(col), cols, n=1, cutoff=0.7)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            shown = ", ".join(cols[:30]) + (" ..." if len(cols) > 30 else "")
            raise CohortError(f"the {role} column {col!r} is not in the file{hint} The columns are: {shown}")
    used = [c for c in named.values() if c is not None]
    dup = sorted({c for c in used if used.count(c) > 1})
    if dup:
        raise CohortError(f"column {dup[0]!r} is given for two roles (outcome/id/trigger/group); use it once")


def _parse_outcome(col: pd.Series, name: str) -> np.ndarray:
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


def _text_ids(col: pd.Series, role: str) -> np.ndarray:
    if col.isna().any():
        row = int(np.flatnonzero(col.isna().to_numpy())[0]) + 1
        raise CohortError(f"the {role} column {col.name!r} is empty in row {row}; every row needs a value")
    if pd.api.types.is_float_dtype(col) and (col == col.round()).all():
        col = col.astype(np.int64)
    return col.astype(str).str.strip().to_numpy(dtype=object)


def _is_id_like(col: pd.Series) -> bool:
    named = _ID_NAME.search(str(col.name)) or re.search(r"(?<=[a-z])(ID|Id)$", str(col.name))
    if not named or col.isna().any() or not col.is_unique:
        return False
    if pd.api.types.is_integer_dtype(col):
        return True
    if pd.api.types.is_float_dtype(col):
        return bool((col == col.round()).all())
    return not pd.api.types.is_bool_dtype(col)


def _encode(frame: pd.DataFrame, feature_cols: list[str], id_col: str | None):
    """The input contract of the feature columns and the encoded matrix (CohortError on bad columns)."""
    try:
        contract = InputContract.fit(frame, feature_cols, id_col=id_col)
        X = contract.transform(frame)
    except ContractError as exc:
        raise CohortError(str(exc)) from None
    return contract, X


def _check_leaks(frame: pd.DataFrame, feature_cols: list[str], y: np.ndarray) -> None:
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
                    "column if it records what triggered the event, or drop it")


def _check_informative(X: pd.DataFrame, sources: dict[str, str]) -> None:
    all_missing = [c for c in X.columns if X[c].isna().all()]
    if all_missing:
        raise CohortError(f"feature column(s) with no values at all: {', '.join(all_missing[:10])}; drop them")
    constant = [sources.get(c, c) for c in X.columns if X[c].nunique(dropna=True) < 2]
    if constant:
        names = list(dict.fromkeys(constant))
        raise CohortError(f"feature column(s) with a single value in every row: {', '.join(names[:10])}; "
                          "they carry no information, drop them")


def _norm(s: str) -> str:
    return re.sub(r"[\s\-./]+", "_", str(s).strip().lower())


def _map_triggers(values: np.ndarray, dictionary: FeatureDictionary) -> np.ndarray:
    lookup: dict[str, str] = {}
    for name, info in dictionary.items():
        for key in (info.label, name, info.group):
            lookup[_norm(key)] = info.group
    raw = pd.Series(values, dtype=object).fillna("").astype(str).str.strip()
    mapped = raw.map(lambda v: "" if v.lower() in ("", "nan", "none") else lookup.get(_norm(v)))
    unknown = sorted(set(raw[mapped.isna()]))
    if unknown:
        groups = sorted({i.group for i in dictionary.values()})
        raise CohortError(
            f"trigger value(s) {', '.join(map(repr, unknown[:8]))} do not name a feature group; the groups are: "
            f"{', '.join(groups[:30])}. Rename the values, or upload a dictionary whose 'group' column uses them"
        )
    return mapped.to_numpy(dtype=object)


def _known_dictionary(features: list[str]) -> FeatureDictionary | None:
    """A built-in cohort's dictionary when the file has exactly that cohort's features."""
    from risklens.cohorts import BUILTIN_COHORTS, builtin_dictionary

    for name in BUILTIN_COHORTS:
        d = builtin_dictionary(name)
        if set(d) == set(features):
            return d
    return None


# ---- public ------------------------------------------------------------------------------------
def cohort_from_frame(frame: pd.DataFrame, outcome: str, id_col: str | None = None, trigger_col: str | None = None,
                      group_col: str | None = None, name: str = "uploaded",
                      dictionary: FeatureDictionary | None = None) -> Cohort:
    """Validate a user's table and build a :class:`Cohort` (features = every other column)."""
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    _check_columns(frame, outcome=outcome, id=id_col, trigger=trigger_col, group=group_col)
    n = len(frame)
    if n < MIN_ROWS:
        raise CohortError(f"the file has {n} rows; at least {MIN_ROWS} are needed to train and test a model")
    y = _parse_outcome(frame[outcome], outcome)
    events = int(y.sum())
    if min(events, n - events) < MIN_PER_CLASS:
        raise CohortError(f"the outcome {outcome!r} has {events} events and {n - events} non-events; each needs at "
                          f"least {MIN_PER_CLASS} to train and evaluate a model")
    if id_col:
        ids = _text_ids(frame[id_col], "id")
        dup = pd.Series(ids)[pd.Series(ids).duplicated()].unique()
        if len(dup):
            raise CohortError(f"the id column {id_col!r} has duplicated ids: {', '.join(map(str, dup[:5]))}"
                              f"{' ...' if len(dup) > 5 else ''}; each row needs its own id (use --group for patients)")
    else:
        ids = np.array([str(i + 1) for i in range(n)], dtype=object)
    groups = _text_ids(frame[group_col], "group") if group_col else None

    feature_cols = [c for c in frame.columns if c not in {outcome, id_col, trigger_col, group_col}]
    if not feature_cols:
        raise CohortError("the file has no feature columns besides the outcome/id/trigger/group columns")
    for c in feature_cols:
        if _is_id_like(frame[c]):
            raise CohortError(f"column {c!r} looks like an identifier (a different value in every row); pass it "
                              f"as the id column (--id {c}) instead of using it as a feature, or drop it")
    _check_leaks(frame, feature_cols, y)
    contract, X = _encode(frame, feature_cols, id_col)
    sources = contract.sources()
    levels_of = {spec.name: list(spec.levels) for spec in contract.columns if spec.kind != "numeric"}
    if not X.columns.is_unique:
        dup = X.columns[X.columns.duplicated()][0]
        raise CohortError(f"two columns end up named {dup!r} after encoding text categories; rename one of them")
    _check_informative(X, sources)
    X.index = pd.Index(ids.tolist())

    inferred = _known_dictionary(list(X.columns)) or _infer(frame, X, sources, levels_of)
    final = inferred.updated(dictionary) if dictionary is not None else inferred
    trigger = _map_triggers(frame[trigger_col].to_numpy(dtype=object), final) if trigger_col else None
    return Cohort(name=name, X=X, y=y, dictionary=final, groups=groups, trigger=trigger,
                  source=f"user file {name!r}: {n} rows, {X.shape[1]} features, outcome column {outcome!r}",
                  outcome_name=outcome, contract=contract)


def _infer(frame: pd.DataFrame, X: pd.DataFrame, sources: dict[str, str], levels_of: dict) -> FeatureDictionary:
    base = infer_dictionary(frame, [sources[c] for c in X.columns if sources[c] == c])
    entries = []
    for c in X.columns:
        src = sources[c]
        if src == c and c in base:
            entries.append(base[c])
            continue
        parent = infer_dictionary(frame, [src])[src]
        level = c[len(src) + 1:]
        entries.append(FeatureInfo(name=c, label=f"{parent.label}: {level}", unit="0/1", group=src,
                                   kind=parent.kind, description=f"1 if {src} is {level!r}"))
    return FeatureDictionary(entries)


def load_cohort_file(path, outcome: str, id_col: str | None = None, trigger_col: str | None = None,
                     group_col: str | None = None, dictionary: FeatureDictionary | None = None) -> Cohort:
    """:func:`read_table` + :func:`cohort_from_frame`; the cohort is named after the file.

    A mechanism side file beside it (``NAME.mechanism.parquet``, written by ``risklens cohort``) is
    attached as ``Cohort.mechanism`` (:mod:`risklens.cohorts.mechanism`)."""
    from risklens.cohorts.mechanism import read_mechanism

    frame = read_table(path, text_columns=[c for c in (id_col, group_col, trigger_col) if c])
    cohort = cohort_from_frame(frame, outcome, id_col=id_col, trigger_col=trigger_col, group_col=group_col,
                               name=Path(str(path)).stem, dictionary=dictionary)
    cohort.mechanism = read_mechanism(path, cohort.ids)
    return cohort
