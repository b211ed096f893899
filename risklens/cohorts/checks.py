"""Data checks before training: typed findings about columns that would make a model's numbers wrong.

:func:`check_table` (a user's raw table and its column roles) and :func:`check_cohort` (a built cohort) return
a list of :class:`Finding`; :func:`leakage_table` gives every column's measured values. Nothing is dropped:
a finding names the column, what was measured against which threshold, and what to do.

Checks
------
- **outcome leak** (``leak``): each feature column *alone* predicts the outcome on the held-out rows of the
  same patient-level split the model uses. The column's value is turned into a score on the training rows
  only -- the event rate of its level (text), of its training decile (numbers), with a blank as a level of
  its own -- and that score's AUROC is measured on the held-out rows; a number is also scored as itself,
  in the direction the training rows show, and the larger AUROC is kept (blanks left out of that one). **Threshold: AUROC >= 0.90**
  (:data:`LEAK_AUROC`). Why: in clinical risk prediction no single baseline measurement comes near that
  (on WHAS500 the strongest genuine baseline column, age, reaches 0.84 for death within a year, and the
  models built from all 14 columns 0.79-0.85; published early-warning scores built from many vital signs
  reach 0.75-0.90). A single column that ranks patients better than a whole model usually does is almost
  always recorded after or because of the outcome: follow-up time, cause of death, discharge disposition.
  A lower "review" level was tried and dropped: at 0.80 it flagged age on WHAS500, a true predictor.
- **missingness leak** (``missing-leak``): the same, with "is the column blank?" as the only signal (a
  cause-of-death column is blank exactly for survivors). Same threshold; reported instead of ``leak`` when
  the blank alone explains the column.
- **post-outcome name** (``post-outcome-name``): words in the column name that usually mean "recorded after
  the outcome" (death, died, discharge, outcome, follow-up, futime, survival, status, length of stay,
  cause, readmission ...).
- **identifier** (``id-like``): a different value in every row (text, or whole numbers in a run), or an
  id-like name with unique values.
- **constant** (``constant``): one value (or none) in every row.
- **duplicated column** (``duplicate-column``): the same values as an earlier column.
- **duplicate patients across the split** (``duplicate-patients``): held-out rows whose every feature value
  equals a training row of another patient (one patient under two ids makes held-out numbers optimistic);
  reported when their number clearly exceeds the number expected by chance if the columns were independent
  (expected + 3 sd + 2; identifier columns are left out of the comparison).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from risklens.cohorts.base import Cohort, CohortError
from risklens.cohorts.stays import stay_hours
from risklens.cohorts.user_checks import check_columns, check_drop, is_id_like, parse_outcome, text_ids
from risklens.modeling.contract import NOT_RECORDED

LEAK_AUROC = 0.90
N_BINS = 10
MIN_ROWS_ID = 20
SEVERITIES = ("high", "warning")

#: (pattern on the lower-cased, "_"-separated column name, why it may be recorded after the outcome)
POST_OUTCOME_WORDS: tuple[tuple[str, str], ...] = (
    (r"(^|_)(death|dead|died|deceased|dod|dth|mortality|autopsy|expired)(_|$)", "it names a death"),
    (r"(^|_)(discharge[a-z]*|disposition)(_|$)", "it is recorded at discharge"),
    (r"(^|_)(outcome|endpoint|event)(_|$)", "it names an outcome or event"),
    (r"(^|_)(follow_?up|fu|futime|fu_?time|lenfol|surv[a-z]*|time_to_[a-z]+|days_to_[a-z]+)(_|$)",
     "it measures follow-up or survival time, known only after the outcome"),
    (r"(^|_)(vital_status|fstat|status|censor[a-z]*)$", "it records vital or censoring status"),
    (r"(^|_)(los|length_of_stay|stay_length)(_|$)", "length of stay is known only at discharge"),
    (r"(^|_)(readmit[a-z]*|readmission[a-z]*)(_|$)", "it names a later readmission"),
    (r"(^|_)(cause|cod)(_|$)", "a cause (of death) is recorded after the event"),
)


@dataclass(frozen=True)
class Finding:
    """One problem with one column (``column`` is "" for the whole table)."""

    kind: str
    column: str
    severity: str  # "high": held-out numbers are likely wrong; "warning": check it
    measured: float | None
    threshold: float | None
    message: str
    action: str

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Finding":
        return cls(**{k: d.get(k) for k in cls.__dataclass_fields__})

    def line(self) -> str:
        """One line for a terminal: ``warning: [high] leak in 'futime': ... -> what to do``."""
        where = f" in {self.column!r}" if self.column else ""
        return f"[{self.severity}] {self.kind}{where}: {self.message} What to do: {self.action}"


@dataclass
class CheckInput:
    """Raw feature columns, the 0/1 outcome and the train / held-out positions the checks use."""

    features: pd.DataFrame
    y: np.ndarray
    train_pos: np.ndarray | None
    test_pos: np.ndarray | None


# ---- inputs ------------------------------------------------------------------------------------
def table_input(frame: pd.DataFrame, outcome: str, *, id_col=None, group_col=None, trigger_col=None, drop=(),
                test_size: float = 0.3, split_seed: int = 0, time_col=None) -> CheckInput:
    """A user's raw table with its roles: the same rows, patients and split as the cohort built from it
    (``time_col``: the windows' time column of a table of stays, checked and not a feature)."""
    from risklens.modeling.split import split_groups

    frame = frame.reset_index(drop=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    check_columns(frame, outcome=outcome, id=id_col, trigger=trigger_col, group=group_col, time=time_col)
    drop = check_drop(frame, drop, outcome=outcome, id=id_col, trigger=trigger_col, group=group_col, time=time_col)
    if time_col:
        stay_hours(frame, group_col, time_col)
    y = parse_outcome(frame[outcome], outcome)
    if group_col:
        groups = text_ids(frame[group_col], "group")
    elif id_col:
        groups = text_ids(frame[id_col], "id")
    else:
        groups = np.array([str(i + 1) for i in range(len(frame))], dtype=object)
    roles = {outcome, id_col, group_col, trigger_col, time_col}
    features = frame[[c for c in frame.columns if c not in roles and c not in drop]]
    train, test = _split(split_groups, groups, y, test_size, split_seed)
    return CheckInput(features, y, train, test)


def cohort_input(cohort: Cohort, *, test_size: float = 0.3, split_seed: int = 0, split=None) -> CheckInput:
    """A built cohort, its encoded categories read back as one text column each (level, blank, "other")."""
    from risklens.modeling.split import split_groups

    cols: dict[str, pd.Series] = {}
    contract = cohort.contract
    specs = contract.columns if contract is not None and contract.outputs == cohort.features else None
    if specs is None:
        cols = {c: cohort.X[c] for c in cohort.features}
    else:
        for spec in specs:
            if spec.kind != "category":
                cols[spec.name] = cohort.X[spec.outputs[0]]
                continue
            block = cohort.X[list(spec.outputs)].to_numpy(dtype=np.float64)
            level = np.array(spec.levels, dtype=object)[np.nan_to_num(block, nan=0).argmax(axis=1)]
            level[np.nansum(block, axis=1) == 0] = "other"
            level[np.isnan(block).all(axis=1)] = None
            if spec.has_not_recorded:  # a blank in the table: blank again here, so its signal is measured
                level[level == NOT_RECORDED] = None
            cols[spec.name] = pd.Series(level, index=cohort.X.index, dtype=object)
    features = pd.DataFrame(cols, index=cohort.X.index).reset_index(drop=True)
    if split is not None:
        train, test = (np.asarray(p) for p in split)
    else:
        train, test = _split(split_groups, cohort.groups, cohort.y, test_size, split_seed)
    return CheckInput(features, np.asarray(cohort.y), train, test)


def _split(split_groups, groups, y, test_size, seed):
    from risklens.errors import RiskLensError

    try:
        return split_groups(groups, y, test_size=test_size, seed=seed)
    except RiskLensError:  # too few patients for a split: the held-out checks are skipped
        return None, None


# ---- measuring ---------------------------------------------------------------------------------
def _as_numbers(col: pd.Series) -> np.ndarray | None:
    """The column as floats when it is numeric (or mostly numbers written as text), else None."""
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        return col.to_numpy(dtype=np.float64, na_value=np.nan)
    text = col.astype("string").str.strip().replace("", pd.NA)
    nums = pd.to_numeric(text, errors="coerce")
    if nums.notna().sum() and nums.notna().sum() >= 0.5 * text.notna().sum():
        return nums.to_numpy(dtype=np.float64, na_value=np.nan)
    return None


def _codes(col: pd.Series, train: np.ndarray) -> np.ndarray:
    """A code per row: training decile of a number, the text of a level; blank -> its own code."""
    nums = _as_numbers(col)
    if nums is not None:
        fit = nums[train][~np.isnan(nums[train])]
        edges = np.unique(np.quantile(fit, np.linspace(0, 1, N_BINS + 1)[1:-1])) if len(fit) else np.array([])
        codes = np.searchsorted(edges, nums, side="right").astype(object)
        codes[np.isnan(nums)] = "\x00blank"
        return codes
    text = col.astype("string").str.strip().replace("", pd.NA)
    return text.fillna("\x00blank").to_numpy(dtype=object)


def _auroc(y: np.ndarray, score: np.ndarray) -> float:
    """AUROC by ranks (Mann-Whitney, ties counted half); 0.5 when one class is absent."""
    from scipy.stats import rankdata

    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return 0.5
    ranks = rankdata(score)
    return float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _held_out_auroc(codes: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray) -> float:
    """AUROC on ``test`` of the training event rate of each row's code (smoothed toward the training rate)."""
    idx, _ = pd.factorize(pd.Series(codes, dtype=object))
    k = int(idx.max()) + 1
    ytr = y[train].astype(np.float64)
    prior = float(ytr.mean())
    events = np.bincount(idx[train], weights=ytr, minlength=k)
    counts = np.bincount(idx[train], minlength=k)
    rate = (events + prior) / (counts + 1.0)  # a code never seen in training gets the training rate
    return _auroc(np.asarray(y[test]), rate[idx[test]])


def _monotone_auroc(col: pd.Series, y: np.ndarray, train: np.ndarray, test: np.ndarray) -> float:
    """A number's held-out AUROC as a score itself, its direction taken from the training rows (0.5 for text)."""
    nums = _as_numbers(col)
    if nums is None:
        return 0.5
    aucs = []
    for pos in (train, test):
        x, t = nums[pos], np.asarray(y[pos])
        ok = ~np.isnan(x)
        aucs.append(_auroc(t[ok], x[ok]))
    return aucs[1] if aucs[0] >= 0.5 else 1.0 - aucs[1]


def leakage_table(inp: CheckInput) -> pd.DataFrame:
    """Per feature column: kind, share blank, held-out single-column AUROC of its value and of its blanks."""
    rows = []
    for c in inp.features.columns:
        col = inp.features[c]
        blank = col.isna()
        if not pd.api.types.is_numeric_dtype(col):
            blank |= (col.astype("string").str.strip() == "").fillna(False)
        share = float(blank.mean()) if len(col) else 0.0
        value_auc = miss_auc = float("nan")
        if inp.train_pos is not None and col.notna().any():
            codes = _codes(col, inp.train_pos)
            value_auc = max(_held_out_auroc(codes, inp.y, inp.train_pos, inp.test_pos),
                            _monotone_auroc(col, inp.y, inp.train_pos, inp.test_pos))
            if 0 < share < 1:
                miss_auc = _held_out_auroc(blank.to_numpy().astype(object), inp.y, inp.train_pos, inp.test_pos)
        rows.append({"column": str(c), "kind": "number" if _as_numbers(col) is not None else "text",
                     "blank_share": share, "auroc": value_auc, "blank_auroc": miss_auc})
    table = pd.DataFrame(rows, columns=["column", "kind", "blank_share", "auroc", "blank_auroc"])
    return table.sort_values("auroc", ascending=False, kind="stable", na_position="last").reset_index(drop=True)


# ---- findings ----------------------------------------------------------------------------------
def _norm_name(name: str) -> str:
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(name))
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


def post_outcome_reason(name: str) -> str | None:
    """Why a column name suggests it is recorded after the outcome, or None."""
    norm = _norm_name(name)
    return next((why for pattern, why in POST_OUTCOME_WORDS if re.search(pattern, norm)), None)


def looks_like_id(col: pd.Series) -> bool:
    """An identifier: an id-like name with unique values, or a different value in every row (text, or whole
    numbers in a run such as 1..n)."""
    return _id_like(col)


def _id_like(col: pd.Series) -> bool:
    if is_id_like(col):
        return True
    present = col.dropna()
    if len(col) < MIN_ROWS_ID or len(present) < len(col) or not present.is_unique:
        return False
    nums = _as_numbers(col)
    if nums is None:
        return True  # text with a different value in every row
    whole = bool((nums == np.round(nums)).all())
    return whole and np.ptp(nums) == len(nums) - 1  # 1..n, 1001..1000+n: a row number


def _leak_findings(table: pd.DataFrame, why_of) -> list[Finding]:
    out = []
    for r in table.itertuples(index=False):
        why = why_of(r.column)
        after = f" It may be recorded after the outcome: {why}." if why else (
            " A single baseline column rarely ranks patients this well; check when it is recorded.")
        drop = f"leave it out (--drop {r.column}, or 'Leave out columns' on the Data page) unless it is known " \
               "before the prediction time"
        if np.isfinite(r.blank_auroc) and r.blank_auroc >= LEAK_AUROC:
            out.append(Finding("missing-leak", r.column, "high", round(float(r.blank_auroc), 4), LEAK_AUROC,
                               f"whether it is blank alone predicts the outcome on held-out rows with AUROC "
                               f"{r.blank_auroc:.3f} (>= {LEAK_AUROC:.2f}; blank in {r.blank_share:.0%} of rows): "
                               f"it is filled in for one outcome and left blank for the other.{after}", drop))
        elif np.isfinite(r.auroc) and r.auroc >= LEAK_AUROC:
            out.append(Finding("leak", r.column, "high", round(float(r.auroc), 4), LEAK_AUROC,
                               f"this column alone predicts the outcome on held-out rows with AUROC {r.auroc:.3f} "
                               f"(>= {LEAK_AUROC:.2f}): a likely outcome leak.{after}", drop))
    return out


def _column_findings(features: pd.DataFrame, flagged: set[str]) -> list[Finding]:
    out = []
    for c in features.columns:
        col = features[c]
        why = post_outcome_reason(c)
        if why and c not in flagged:
            out.append(Finding("post-outcome-name", c, "warning", None, None,
                               f"the name suggests it may be recorded after the outcome: {why}.",
                               f"check when it is recorded; leave it out (--drop {c}) if after the prediction time"))
        distinct = int(col.nunique(dropna=True))
        if distinct < 2:
            what = "no value in any row" if distinct == 0 else "the same value in every row"
            out.append(Finding("constant", c, "warning", float(distinct), 2.0, f"it has {what}: it carries no "
                               "information.", f"leave it out (--drop {c})"))
        elif _id_like(col):
            out.append(Finding("id-like", c, "warning", float(distinct), float(len(col)),
                               f"a different value in each of its {len(col)} rows: it looks like an identifier, "
                               "not a patient characteristic.",
                               f"map it as the row id (--id {c}) or leave it out (--drop {c})"))
    out += _duplicate_columns(features)
    return out


def _duplicate_columns(features: pd.DataFrame) -> list[Finding]:
    seen: dict[int, str] = {}
    out = []
    for c in features.columns:
        key = int(pd.util.hash_pandas_object(features[c], index=False).sum())
        first = seen.get(key)
        if first is not None and features[c].equals(features[first]):
            out.append(Finding("duplicate-column", c, "warning", None, None,
                               f"it holds the same value as column {first!r} in every row.",
                               f"leave one of them out (--drop {c})"))
        else:
            seen.setdefault(key, c)
    return out


def _duplicate_patients(inp: CheckInput, ids: set[str]) -> list[Finding]:
    # identifiers differ by design; a copied column would count twice in the chance estimate
    features = inp.features[[c for c in inp.features.columns if c not in ids]]
    if inp.train_pos is None or features.shape[1] == 0:
        return []
    codes = np.column_stack([pd.factorize(features[c], use_na_sentinel=False)[0] for c in features.columns])
    keys = pd.util.hash_pandas_object(pd.DataFrame(codes), index=False).to_numpy()
    twins = np.isin(keys[inp.test_pos], keys[inp.train_pos])
    # identical rows also happen by chance when the columns are coarse: the expected number of held-out rows
    # with a chance twin, if columns were independent, is sum_i 1 - exp(-n_train * prod_j share_j(value_ij));
    # the twins count only when they exceed it clearly (Poisson: expected + 3 sd + 2)
    n_train = len(inp.train_pos)
    log_p = np.zeros(len(inp.test_pos))
    for j in range(codes.shape[1]):
        share = np.bincount(codes[inp.train_pos, j], minlength=int(codes[:, j].max()) + 1) / n_train
        p = share[codes[inp.test_pos, j]]
        log_p += np.log(np.where(p > 0, p, 1.0 / n_train))
    expected = float(np.sum(-np.expm1(-n_train * np.exp(log_p))))
    n = int(twins.sum())
    bound = expected + 3 * np.sqrt(expected) + 2
    if n <= bound:
        return []
    return [Finding("duplicate-patients", "", "high", float(n), round(float(bound), 2),
                    f"{n} held-out row(s) have every feature value equal to a training row of another patient "
                    f"(about {expected:.1f} expected by chance): one patient under two ids? Held-out numbers "
                    "would be optimistic.",
                    "give the patient column (--group) so a patient's rows stay on one side, or remove the copies")]


def findings_of(inp: CheckInput, table: pd.DataFrame | None = None) -> list[Finding]:
    """Every finding of the checks input, leaks first."""
    table = leakage_table(inp) if table is None else table
    leaks = _leak_findings(table, post_outcome_reason)
    flagged = {f.column for f in leaks}
    columns = _column_findings(inp.features, flagged)
    ids = {f.column for f in columns if f.kind in ("id-like", "duplicate-column")}  # left out of the row twins
    out = leaks + columns + _duplicate_patients(inp, ids)
    if inp.train_pos is None:
        out.append(Finding("no-split", "", "warning", None, None, "too few patients for a train / held-out "
                           "split: the leakage checks were skipped.", "use a larger table"))
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(out, key=lambda f: order.get(f.severity, 9))


def check_table(frame: pd.DataFrame, outcome: str, **roles) -> list[Finding]:
    """Findings of a user's raw table (roles: ``id_col, group_col, trigger_col, drop, test_size, split_seed``)."""
    return findings_of(table_input(frame, outcome, **roles))


def check_cohort(cohort: Cohort, **split) -> list[Finding]:
    """Findings of a built cohort (``test_size``, ``split_seed`` or ``split=(train_pos, test_pos)``)."""
    return findings_of(cohort_input(cohort, **split))


__all__ = ["CheckInput", "CohortError", "Finding", "LEAK_AUROC", "check_cohort", "check_table", "findings_frame",
           "cohort_input", "findings_of", "leakage_table", "post_outcome_reason", "table_input"]


def findings_frame(findings) -> pd.DataFrame:
    """The findings as a table for a page (text cells): severity, check, column, measured, threshold, finding, what
    to do."""
    rows = [{"severity": f.severity, "check": f.kind, "column": f.column or "(table)",
             "measured": None if f.measured is None else round(float(f.measured), 3),
             "threshold": None if f.threshold is None else round(float(f.threshold), 3),
             "finding": f.message, "what to do": f.action} for f in findings]
    return pd.DataFrame(rows, columns=["severity", "check", "column", "measured", "threshold", "finding",
                                       "what to do"])
