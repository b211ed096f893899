"""User files that would mislead a model: repeated headers, inf, outcome leaks, very wide files."""

import time

import numpy as np
import pandas as pd
import pytest

from risklens.cohorts import CohortError, cohort_from_frame, read_table
from risklens.cohorts.user import MAX_COLUMNS


def frame(n=200, seed=0):
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 4 == 0).astype(int)
    return pd.DataFrame({"hr": rng.normal(90, 10, n), "age": rng.normal(60, 10, n).round(), "outcome": y})


def test_duplicated_header_is_refused_before_pandas_renames_it():
    csv = b"x1,x2,x1,outcome\n1,2,3,0\n4,5,6,1\n"
    with pytest.raises(CohortError, match=r"appear more than once: x1; rename them"):
        read_table(csv, filename="dup.csv")
    with pytest.raises(CohortError, match="appear more than once: a"):
        read_table(b"a; b ;a\n1;2;3\n", filename="semi.csv")


def test_inf_is_refused_naming_the_column():
    f = frame()
    f.loc[17, "hr"] = np.inf
    with pytest.raises(CohortError, match=r"column 'hr' holds an infinite value \(inf\) in row 18"):
        cohort_from_frame(f, "outcome")
    f = frame().astype({"hr": object})
    f.loc[3, "hr"] = "-inf"
    with pytest.raises(CohortError, match="column 'hr' holds an infinite value"):
        cohort_from_frame(f, "outcome")


@pytest.mark.parametrize("make, message", [
    (lambda f: np.where(f["outcome"] == 1, "sbp", ""), r"'trigger' is empty exactly when the outcome is 0"),
    (lambda f: f["outcome"].map({0: "no", 1: "yes"}), r"'trigger' is 'no' exactly when the outcome is 0"),
    (lambda f: np.where(f["outcome"] == 1, 0.0, np.arange(len(f)) + 1.0), r"'trigger' is 0.0 exactly when the outcome is 1"),
])
def test_a_column_that_is_a_function_of_the_outcome_is_an_outcome_leak(make, message):
    f = frame()
    f["trigger"] = make(f)
    with pytest.raises(CohortError, match=message + ".*outcome leak.*trigger column"):
        cohort_from_frame(f, "outcome")


def test_the_leak_check_passes_the_same_column_given_as_trigger():
    f = frame()
    f["trigger"] = np.where(f["outcome"] == 1, "hr", "")
    c = cohort_from_frame(f, "outcome", trigger_col="trigger")
    assert "trigger" not in c.features and set(c.trigger[c.y == 1]) == {"hr"}


def test_20000_columns_are_refused_within_seconds():
    n_cols = 20_000
    header = ",".join(f"c{i}" for i in range(n_cols)) + ",outcome"
    rows = "\n".join(",".join(["1"] * n_cols) + f",{i % 2}" for i in range(3))
    t0 = time.perf_counter()
    with pytest.raises(CohortError, match=f"20,001 columns; RiskLens takes at most {MAX_COLUMNS:,}"):
        read_table((header + "\n" + rows).encode(), filename="wide.csv")
    assert time.perf_counter() - t0 < 2


def test_a_wide_file_under_the_cap_loads_in_linear_time():
    rng = np.random.default_rng(0)
    n, k = 60, 3000
    f = pd.DataFrame(rng.normal(size=(n, k)).round(2), columns=[f"v{i}" for i in range(k)])
    f["outcome"] = np.arange(n) % 3 == 0
    data = f.to_csv(index=False).encode()
    t0 = time.perf_counter()
    c = cohort_from_frame(read_table(data, filename="wide.csv"), "outcome")
    seconds = time.perf_counter() - t0
    assert c.X.shape == (n, k) and seconds < 20, seconds
