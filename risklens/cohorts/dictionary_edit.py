"""Editing a cohort's feature dictionary: from the Data page's editor, from a dictionary CSV, applied to a cohort."""

from __future__ import annotations

import io

import pandas as pd

from risklens.cohorts.base import Cohort
from risklens.cohorts.dictionary import DICTIONARY_COLUMNS, DictionaryError, FeatureDictionary


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
