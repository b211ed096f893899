"""User data: a CSV or Parquet file -> a validated :class:`Cohort`.

Every problem a user can cause raises :class:`CohortError` with a message that names the file
problem or the column (and a value and row where that helps) and says what to do.

Rules (also in data/README.md):

* the outcome must have exactly two values: 0/1, true/false, yes/no, y/n, positive/negative
  (any case; 1/true/yes/y/positive is the event); missing outcomes are an error;
* numeric columns are used as they are (missing values stay NaN); text columns are encoded: two values ->
  one 0/1 column ``<col>_<level>``, more -> one 0/1 column per value (``<col>_<level>``, grouped under
  ``<col>`` in the dictionary), the 10 most frequent plus "other" when there are more, a blank as its own
  level "not recorded" (:mod:`risklens.modeling.contract`);
* columns the user leaves out (``drop``) are never read and are recorded in the input contract;
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

Reading the file is :mod:`risklens.cohorts.user_table`, the column checks are
:mod:`risklens.cohorts.user_checks`; this module builds the Cohort (dictionary, triggers).
"""


from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from risklens.cohorts.base import Cohort, CohortError
from risklens.cohorts.stays import stay_extra, stay_hours
from risklens.cohorts.dictionary import FeatureDictionary, FeatureInfo, infer_dictionary
from risklens.cohorts.user_checks import (check_columns, check_drop, check_informative, check_leaks, encode,
                                          is_id_like, parse_outcome, text_ids)
from risklens.cohorts.user_table import MAX_COLUMNS, read_table

__all__ = ["MAX_COLUMNS", "MIN_PER_CLASS", "MIN_ROWS", "cohort_from_frame", "load_cohort_file", "read_table"]

MIN_ROWS = 50
MIN_PER_CLASS = 10


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
                      dictionary: FeatureDictionary | None = None, drop=(), time_col: str | None = None) -> Cohort:
    """Validate a user's table and build a :class:`Cohort` (features = every other column but ``drop``).

    ``drop``: columns the user leaves out; they are never read and are recorded in the input contract.
    ``time_col`` (with ``group_col``, the patient or stay id): the rows are windows of stays, the column their
    time in hours since admission (:func:`risklens.cohorts.stays.stay_extra`; not a feature)."""
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    check_columns(frame, outcome=outcome, id=id_col, trigger=trigger_col, group=group_col, time=time_col)
    hours = stay_hours(frame, group_col, time_col) if time_col else None  # a group column, a time in every row
    drop = check_drop(frame, drop, outcome=outcome, id=id_col, trigger=trigger_col, group=group_col, time=time_col)
    n = len(frame)
    if n < MIN_ROWS:
        raise CohortError(f"the file has {n} rows; at least {MIN_ROWS} are needed to train and test a model")
    y = parse_outcome(frame[outcome], outcome)
    events = int(y.sum())
    if min(events, n - events) < MIN_PER_CLASS:
        raise CohortError(f"the outcome {outcome!r} has {events} events and {n - events} non-events; each needs at "
                          f"least {MIN_PER_CLASS} to train and evaluate a model")
    if id_col:
        ids = text_ids(frame[id_col], "id")
        dup = pd.Series(ids)[pd.Series(ids).duplicated()].unique()
        if len(dup):
            raise CohortError(f"the id column {id_col!r} has duplicated ids: {', '.join(map(str, dup[:5]))}"
                              f"{' ...' if len(dup) > 5 else ''}; each row needs its own id (use --group for patients)")
    else:
        ids = np.array([str(i + 1) for i in range(n)], dtype=object)
    groups = text_ids(frame[group_col], "group") if group_col else None

    feature_cols = [c for c in frame.columns
                    if c not in {outcome, id_col, trigger_col, group_col, time_col} and c not in drop]
    if not feature_cols:
        raise CohortError("the file has no feature columns besides the outcome/id/trigger/group columns")
    for c in feature_cols:
        if is_id_like(frame[c]):
            raise CohortError(f"column {c!r} looks like an identifier (a different value in every row); pass it "
                              f"as the id column (--id {c}) instead of using it as a feature, or leave it out "
                              f"(--drop {c}, or 'Leave out columns' on the Data page)")
    check_leaks(frame, feature_cols, y)
    contract, X = encode(frame, feature_cols, id_col, drop)
    sources = contract.sources()
    if not X.columns.is_unique:
        dup = X.columns[X.columns.duplicated()][0]
        raise CohortError(f"two columns end up named {dup!r} after encoding text categories; rename one of them")
    check_informative(X, sources)
    X.index = pd.Index(ids.tolist())

    inferred = _known_dictionary(list(X.columns)) or _infer(frame, X, sources, contract)
    final = inferred.updated(dictionary) if dictionary is not None else inferred
    trigger = _map_triggers(frame[trigger_col].to_numpy(dtype=object), final) if trigger_col else None
    extra = None
    if time_col:
        extra = stay_extra(frame, group_col, hours, y, X.index)
    return Cohort(name=name, X=X, y=y, dictionary=final, groups=groups, trigger=trigger,
                  source=f"user file {name!r}: {n} rows, {X.shape[1]} features, outcome column {outcome!r}",
                  outcome_name=outcome, contract=contract, extra=extra)


def _infer(frame: pd.DataFrame, X: pd.DataFrame, sources: dict[str, str], contract) -> FeatureDictionary:
    def contract_level(encoded: str, src: str) -> str:
        level = contract.original_of(encoded)[1]
        return encoded[len(src) + 1:] if level is None else level

    base = infer_dictionary(frame, [sources[c] for c in X.columns if sources[c] == c])
    entries = []
    for c in X.columns:
        src = sources[c]
        if src == c and c in base:
            entries.append(base[c])
            continue
        parent = infer_dictionary(frame, [src])[src]
        level = contract_level(c, src)
        entries.append(FeatureInfo(name=c, label=f"{parent.label}: {level}", unit="0/1", group=src,
                                   kind=parent.kind, description=f"1 if {src} is {level!r}"))
    return FeatureDictionary(entries)


def load_cohort_file(path, outcome: str, id_col: str | None = None, trigger_col: str | None = None,
                     group_col: str | None = None, dictionary: FeatureDictionary | None = None, drop=(),
                     time_col: str | None = None) -> Cohort:
    """:func:`read_table` + :func:`cohort_from_frame`; the cohort is named after the file.

    A mechanism side file beside it (``NAME.mechanism.parquet``, written by ``risklens cohort``) is
    attached as ``Cohort.mechanism`` (:mod:`risklens.cohorts.mechanism`)."""
    from risklens.cohorts.mechanism import read_mechanism

    frame = read_table(path, text_columns=[c for c in (id_col, group_col, trigger_col) if c])
    cohort = cohort_from_frame(frame, outcome, id_col=id_col, trigger_col=trigger_col, group_col=group_col,
                               name=Path(str(path)).stem, dictionary=dictionary, drop=drop, time_col=time_col)
    cohort.mechanism = read_mechanism(path, cohort.ids)
    return cohort
