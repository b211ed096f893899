"""Patients split into subgroups (sex, age band, outcome, trigger, any column): labels with counts, in order."""

from __future__ import annotations

import numpy as np

from risklens.cohorts.base import Cohort
from risklens.cohorts.bins import format_number, quantile_bins
from risklens.cohorts.dictionary import NOT_RECORDED, FeatureDictionary
from risklens.modeling.encoded import column_levels, grouping, level_words, text_specs


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
