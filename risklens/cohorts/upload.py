"""Cohort loading from uploads and the Data page's summary statistics (pure; no streamlit)."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pandas as pd

from risklens.cohorts.base import Cohort, CohortError
from risklens.cohorts.bins import format_number, quantile_bins
from risklens.cohorts.dictionary import DICTIONARY_COLUMNS, NOT_RECORDED, DictionaryError, FeatureDictionary
from risklens.modeling.encoded import column_levels, grouping, level_words, text_specs

__all__ = ["read_upload", "cohort_from_upload", "cohort_stats", "missingness", "trigger_mix", "guess_columns",
           "dictionary_from_editor", "read_dictionary_csv", "apply_dictionary", "dictionary_editor_key"]


def read_upload(data: bytes, filename: str) -> pd.DataFrame:
    """Bytes of an uploaded CSV/Parquet -> frame; CohortError with a clear message otherwise."""
    from risklens.cohorts import read_table

    if not data:
        raise CohortError(f"the file {filename!r} is empty; upload a CSV or Parquet file with one row per patient")
    return read_table(data, filename=filename)


def cohort_from_upload(frame: pd.DataFrame, outcome: str, id_col: str | None = None, trigger_col: str | None = None,
                       group_col: str | None = None, name: str = "uploaded",
                       dictionary: FeatureDictionary | None = None, drop=()) -> Cohort:
    from risklens.cohorts import cohort_from_frame

    if not outcome or outcome not in frame.columns:
        raise CohortError("choose the outcome column (0/1) of the uploaded table")
    return cohort_from_frame(frame, outcome, id_col=id_col or None, trigger_col=trigger_col or None,
                             group_col=group_col or None, name=name, dictionary=dictionary, drop=drop)


ROLES = ("outcome", "id", "group", "trigger")


def guess_columns(frame: pd.DataFrame) -> dict:
    """Best guesses for the mapping widgets: outcome, id, group and trigger columns (or None), no column twice.

    The row id is a column named like an id, or else the first identifier-like column (a different value in
    every row); a patient-named column is the patient (group) column only when its values repeat, and the row
    id when they do not."""
    from risklens.cohorts.checks import looks_like_id

    cols = [str(c) for c in frame.columns]
    low = {c.lower(): c for c in cols}

    def first(*names):
        for n in names:
            if n in low:
                return low[n]
        return None

    outcome = first("outcome", "y", "label", "target", "event", "death", "died", "readmitted", "fstat")
    if outcome is None:
        binary = [c for c in cols if frame[c].dropna().isin([0, 1]).all() and frame[c].notna().any()]
        outcome = binary[-1] if binary else None
    patient = first("patient_id", "subject_id", "patient", "mrn")
    group = patient if patient is not None and frame[patient].duplicated().any() else None
    id_col = first("id", "row_id", "encounter_id", "stay_id")
    if id_col is None and patient is not None and group is None and frame[patient].notna().all():
        id_col = patient
    if id_col is None:
        id_col = next((c for c in cols if c not in (outcome, group) and looks_like_id(frame[c])), None)
    trigger = first("trigger", "red_flag_trigger")
    return {"outcome": outcome, "id": id_col, "group": group, "trigger": trigger}


def move_role(mapping: dict, role: str, column) -> dict:
    """The mapping after ``column`` is chosen for ``role``: another role holding it gives it up (None)."""
    out = {r: (None if c == column and r != role else c) for r, c in mapping.items()} if column else dict(mapping)
    out[role] = column
    return out


def cohort_stats(cohort: Cohort) -> dict:
    s = cohort.summary()
    miss = cohort.X.isna().to_numpy().mean() if cohort.n else float("nan")
    s["missing_cells"] = float(miss)
    return s


def missingness(cohort: Cohort) -> pd.Series:
    """Share of rows with a missing value, per feature (0..1), largest first."""
    return cohort.X.isna().mean().sort_values(ascending=False, kind="stable")


def trigger_mix(cohort: Cohort) -> pd.Series:
    """Counts of the recorded trigger among events ('not recorded' for events without one)."""
    if cohort.trigger is None:
        return pd.Series(dtype=np.int64)
    t = pd.Series(cohort.trigger[cohort.y == 1]).replace("", "not recorded")
    return t.value_counts()


def dictionary_from_editor(frame: pd.DataFrame) -> FeatureDictionary:
    """The edited dictionary table -> FeatureDictionary (DictionaryError on invalid rows)."""
    return FeatureDictionary.from_frame(frame)


def read_dictionary_csv(data: bytes) -> pd.DataFrame:
    """Bytes of an uploaded dictionary CSV -> frame (DictionaryError with a clear message otherwise)."""
    try:
        frame = pd.read_csv(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - pandas raises many types for unreadable text
        raise DictionaryError(f"could not read the dictionary CSV ({exc}); upload a comma-separated file with "
                              f"a header row: {', '.join(DICTIONARY_COLUMNS)}") from None
    if "name" not in frame.columns and len(frame.columns) == 1 and ";" in str(frame.columns[0]):
        raise DictionaryError("the dictionary CSV seems to use ';' between columns; save it comma-separated")
    return frame


def apply_dictionary(cohort: Cohort, table: pd.DataFrame) -> tuple[Cohort, list[str]]:
    """The cohort with the dictionary entries of ``table`` (the edited table, or an uploaded CSV as a frame).

    Columns absent from ``table`` keep the cohort's current values (a CSV of just ``name,label`` renames
    and keeps units, ranges, groups and kinds); empty cells mean "none". Features not in ``table`` keep
    their entries. Returns ``(new cohort, names in table that are not features of the cohort)``.
    DictionaryError if a row is invalid, no name matches a feature, or a recorded trigger would no longer
    name a group.
    """
    if "name" not in table.columns:
        raise DictionaryError(f"the dictionary has no 'name' column (the feature names); its columns are: "
                              f"{', '.join(map(str, table.columns))}; expected: {', '.join(DICTIONARY_COLUMNS)}")
    table = table.copy()
    names = [str(n).strip() for n in table["name"]]
    current = cohort.dictionary
    for col in DICTIONARY_COLUMNS[1:]:
        if col not in table.columns:
            table[col] = pd.Series([getattr(current.get_info(n), col) for n in names], index=table.index,
                                   dtype=object)
    new = FeatureDictionary.from_frame(table)
    features = set(cohort.features)
    unknown = [n for n in new if n not in features]
    if len(unknown) == len(new):
        shown = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
        raise DictionaryError(f"none of its names ({shown}) is a feature of cohort {cohort.name!r}; "
                              f"the names must match the column names, e.g. {', '.join(cohort.features[:3])}")
    result = cohort.with_dictionary(new)
    if result.trigger is not None:
        groups = set(result.dictionary.groups(result.features))
        lost = sorted(set(result.trigger) - {""} - groups)
        if lost:
            raise DictionaryError(f"the recorded triggers name the group(s) {', '.join(map(repr, lost))}, which no "
                                  "feature would belong to any more; keep at least one feature in each of these groups")
    return result, unknown


def dictionary_editor_key(cohort: Cohort) -> str:
    """Widget key of the Data page's dictionary editor. It changes with the applied dictionary, so after
    an apply the editor starts from the active dictionary (no stale cell edits replayed on top of it)."""
    digest = hashlib.sha256(cohort.dictionary.subset(cohort.features).to_csv().encode()).hexdigest()
    return f"dict_editor_{cohort.hash[:8]}_{digest[:8]}"


AGE_BANDS = [(-np.inf, 50, "< 50"), (50, 65, "50-64"), (65, 80, "65-79"), (80, np.inf, "80+")]


def subgroup_options(cohort: Cohort, contract=None) -> list[str]:
    """Columns that can split the cohort into subgroups, as the user's file has them (a text column once, never
    its 0/1 columns): age band and sex first, then the recorded trigger, the outcome and the rest."""
    columns = grouping(contract, cohort.features)[0]
    opts = []
    if "age" in columns:
        opts.append("age band")
    opts += [c for c in ("sex", "gender") if c in columns]
    if cohort.trigger is not None:
        opts.append("recorded trigger")
    opts.append("outcome")
    opts += [c for c in columns if c not in opts and c != "age"]
    return opts


def subgroup_split(cohort: Cohort, positions: np.ndarray, column: str, contract=None,
                   dictionary: FeatureDictionary | None = None) -> tuple[np.ndarray, list[str]]:
    """A readable subgroup label per row at ``positions`` and the labels in their natural order. Every label
    carries its count ("Sex = F (n=312)"); a text column is split by its levels in words, a number with few values
    by value, else by quantile bins named in the column's kind (:func:`risklens.cohorts.bins.quantile_bins`: "Year
    1990–1995 (n=361)", no empty bin); missing values are a group of their own ("not recorded")."""
    positions = np.asarray(positions)
    d = dictionary if dictionary is not None else cohort.dictionary
    specs = text_specs(contract)
    if column == "age band":
        age = cohort.X["age"].to_numpy(dtype=np.float64)[positions]
        base = np.full(len(age), "age unknown", dtype=object)
        for lo, hi, lab in AGE_BANDS:
            base[(age >= lo) & (age < hi)] = f"age {lab}"
        order = [f"age {b[2]}" for b in AGE_BANDS] + ["age unknown"]
    elif column == "recorded trigger":
        t = cohort.trigger[positions]
        base = np.array([d.group_label(v) if v else "no trigger" for v in t], dtype=object)
        order = sorted(set(base) - {"no trigger"}) + ["no trigger"]
    elif column == "outcome":
        base = np.where(cohort.y[positions] == 1, "event", "no event").astype(object)
        order = ["event", "no event"]
    elif column in specs:
        label = d.label(column)
        words = column_levels(contract, cohort.X.iloc[positions], column)
        base = np.array([f"{label} = {w}" for w in words], dtype=object)
        order = [f"{label} = {w}" for w in dict.fromkeys(level_words(specs[column]) + ["other", NOT_RECORDED])]
    else:
        info = d.get_info(column)
        col = cohort.X[column].to_numpy(dtype=np.float64)[positions]
        uniq = np.unique(col[~np.isnan(col)])
        if len(uniq) > 6:
            bins = quantile_bins(col, 4, info.label, info.unit)
            return bins.labels(), list(bins.names)
        whole = bool(np.all(uniq == np.round(uniq)))
        texts = {v: (format_number(v, None) if whole else info.format_value(v)) for v in uniq}
        base = np.array([f"{info.label} = {texts[v]}" if not np.isnan(v) else f"{info.label} {NOT_RECORDED}"
                         for v in col], dtype=object)
        order = [f"{info.label} = {texts[v]}" for v in uniq] + [f"{info.label} {NOT_RECORDED}"]
    names, counts = np.unique(base, return_counts=True)
    named = {g: f"{g} (n={int(k):,})" for g, k in zip(names, counts)}
    return np.array([named[g] for g in base], dtype=object), [named[g] for g in order if g in named]


def subgroup_labels(cohort: Cohort, positions: np.ndarray, column: str, contract=None,
                    dictionary: FeatureDictionary | None = None) -> np.ndarray:
    """The subgroup label of each row at ``positions`` (see :func:`subgroup_split`)."""
    return subgroup_split(cohort, positions, column, contract, dictionary)[0]
