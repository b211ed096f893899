"""The input contract: everything between a raw table and a model's matrix, saved with the model.

An :class:`InputContract` is fitted on the raw training table and stored as JSON in the model card
(covered by the model id). It records, per raw column in order:

- ``numeric``: used as it is (numbers written as text are parsed; missing stays NaN);
- ``binary``: two values (yes/no, true/false, M/F ...) -> one 0/1 column ``<col>_<level>``;
  yes/no-like values are read case-insensitively (``Yes``, ``y``, ``TRUE`` and ``1`` are the same);
- ``category``: one 0/1 column per value seen in training. A text column with more than :data:`MAX_LEVELS`
  values keeps its :data:`MAX_LEVELS` most frequent training values (ties by name) and folds the rest into
  one level :data:`OTHER` ("other", column ``<col>_other``); the cut-off is stored in the contract
  (``max_levels``) and the number of folded values per column (``folded``). A blank in training is its own
  level :data:`NOT_RECORDED` ("not recorded", column ``<col>_not_recorded``) instead of NaN in every 0/1
  column. Text with a different value in most rows (free text, an identifier) is refused naming the column;

and the id column, and the raw columns the user chose to leave out (``dropped``: never read, listed in
the card, and left out again when a raw file is scored). One-hot column names are ``<col>_<slug of the
level>`` (deterministic; a clash gets ``_2``, ``_3`` ...); :meth:`InputContract.original_of` maps a
matrix column back to ``(raw column, level)``. :meth:`InputContract.transform` applies it to any raw table (the training file,
next week's extract):

- columns are selected by name; **extra columns are ignored** and the order of columns does not matter;
- a **missing column** raises :class:`ContractError` naming it;
- **text in a numeric column** (a changed dtype) raises :class:`ContractError` naming the column;
- ``inf`` raises :class:`ContractError` naming the column;
- an **unseen category** scores as "other": all of its 0/1 columns are 0 (for a binary column: missing,
  since its single 0/1 column cannot say "neither"); the count per column is in ``TransformReport.unseen``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from risklens.errors import RiskLensError

MAX_LEVELS = 10  # most frequent training values kept per text column; the rest -> OTHER
OTHER = "other"
NOT_RECORDED = "not recorded"
#: a text column with more distinct values than this share of its present rows is free text or an id
FREE_TEXT_SHARE = 0.5
TRUE_WORDS = frozenset({"1", "1.0", "true", "t", "yes", "y", "positive", "pos"})
FALSE_WORDS = frozenset({"0", "0.0", "false", "f", "no", "n", "negative", "neg"})
KINDS = ("numeric", "binary", "category")


class ContractError(RiskLensError):
    """A raw table does not fit a model's input contract; the message names the column."""


def level_slug(level) -> str:
    """The suffix of a category's 0/1 column: ``<col>_<slug>``."""
    return re.sub(r"[^0-9A-Za-z]+", "_", str(level)).strip("_") or "blank"


def _as_text(col: pd.Series) -> pd.Series:
    return col.astype("string").str.strip().replace("", pd.NA)


def _yes_no(levels: list[str]) -> bool:
    low = {str(v).lower() for v in levels}
    return bool(low) and low <= (TRUE_WORDS | FALSE_WORDS) and bool(low & TRUE_WORDS) and bool(low & FALSE_WORDS)


@dataclass(frozen=True)
class ColumnSpec:
    """One raw column: its kind, the levels seen in training (text kinds) and the matrix columns it makes."""

    name: str
    kind: str
    levels: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    folded: int = 0  # training values folded into OTHER (0: every value has its own column)

    @property
    def has_other(self) -> bool:
        return self.kind == "category" and OTHER in self.levels and self.folded > 0

    @property
    def has_not_recorded(self) -> bool:
        return self.kind == "category" and NOT_RECORDED in self.levels

    def to_json(self) -> dict:
        out = {"name": self.name, "kind": self.kind, "levels": list(self.levels), "outputs": list(self.outputs)}
        if self.folded:
            out["folded"] = int(self.folded)
        return out


@dataclass
class TransformReport:
    """What :meth:`InputContract.transform` noticed: unseen categories per column, ignored extra columns."""

    unseen: dict[str, int] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # columns present but left out by the model's contract

    @property
    def warnings(self) -> list[str]:
        out = [f"column {c!r}: {n} row(s) with a category not seen in training, scored as 'other'"
               for c, n in self.unseen.items()]
        if self.dropped:
            out.append(f"column(s) left out when the model was trained, left out again: {', '.join(self.dropped[:8])}"
                       f"{' ...' if len(self.dropped) > 8 else ''}")
        if self.ignored:
            shown = ", ".join(self.ignored[:8]) + (" ..." if len(self.ignored) > 8 else "")
            out.append(f"{len(self.ignored)} column(s) not used by the model were ignored: {shown}")
        return out


def _numeric(col: pd.Series, name: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        values = col.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        text = _as_text(col)
        nums = pd.to_numeric(text, errors="coerce")
        bad = text.notna() & nums.isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise ContractError(f"column {name!r} is numeric but row {i + 1} holds the text {text.iloc[i]!r} "
                                f"({int(bad.sum())} such value(s)); fix or blank them")
        values = nums.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(values).any():
        i = int(np.flatnonzero(np.isinf(values))[0])
        raise ContractError(f"column {name!r} holds an infinite value ({values[i]}) in row {i + 1}; "
                            "blank it or give a finite number")
    return values


def _unique_outputs(name: str, levels) -> tuple[str, ...]:
    """``<name>_<slug>`` per level; a slug seen before gets ``_2``, ``_3`` ... (deterministic)."""
    out: list[str] = []
    for level in levels:
        base = f"{name}_{level_slug(level)}"
        cand, k = base, 2
        while cand in out:
            cand, k = f"{base}_{k}", k + 1
        out.append(cand)
    return tuple(out)


def fit_column(col: pd.Series, max_levels: int = MAX_LEVELS) -> ColumnSpec:
    """The spec of one raw training column (ContractError for free text or an identifier)."""
    name = str(col.name)
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        return ColumnSpec(name, "numeric", (), (name,))
    text = _as_text(col)
    present = text.notna()
    numeric = pd.to_numeric(text, errors="coerce").notna() & present
    if numeric.sum() and numeric.sum() >= 0.5 * present.sum():
        return ColumnSpec(name, "numeric", (), (name,))
    counts = text.dropna().astype(str).value_counts()
    levels = sorted(map(str, counts.index))
    if len(levels) > 2 and _yes_no(levels):  # "yes", "Yes", "NO", "n" ... are one yes/no column
        low = sorted({v.lower() for v in levels})
        pos = next(v for v in low if v in TRUE_WORDS)
        return ColumnSpec(name, "binary", tuple(low), (f"{name}_{level_slug(pos)}",))
    n_present = int(present.sum())
    if len(levels) > max_levels and len(levels) > FREE_TEXT_SHARE * n_present:
        raise ContractError(f"column {name!r} is text with {len(levels)} different values in {n_present} rows "
                            f"(e.g. {levels[0]!r}): free text or an identifier, not a category. Leave it out "
                            f"(--drop {name}, or 'Leave out columns' on the Data page) or recode it")
    blank = bool((~present).any())
    if len(levels) == 2 and not blank:
        pos = levels[0] if levels[0].lower() in TRUE_WORDS else levels[1]
        return ColumnSpec(name, "binary", tuple(levels), (f"{name}_{level_slug(pos)}",))
    folded = 0
    if len(levels) > max_levels:  # the most frequent values by training count, ties by name; the rest -> OTHER
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
        levels = sorted(str(k) for k, _ in ranked[:max_levels])
        folded = len(counts) - max_levels
        if OTHER not in levels:
            levels.append(OTHER)
    if blank and NOT_RECORDED not in levels:
        levels.append(NOT_RECORDED)
    return ColumnSpec(name, "category", tuple(levels), _unique_outputs(name, levels), folded)


def _encode(spec: ColumnSpec, col: pd.Series) -> tuple[dict[str, np.ndarray], int]:
    """0/1 columns of a text column and the number of present values not seen in training."""
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        col = col.map(lambda v: v if pd.isna(v) else (f"{v:g}" if isinstance(v, float) else str(v)))
    text = _as_text(col.astype(object))
    present = text.notna().to_numpy()
    if spec.kind == "binary":
        pos_level = next(v for v in spec.levels if f"{spec.name}_{level_slug(v)}" == spec.outputs[0])
        if _yes_no(list(spec.levels)):
            low = text.str.lower()
            is_pos, is_neg = low.isin(TRUE_WORDS).to_numpy(), low.isin(FALSE_WORDS).to_numpy()
        else:
            is_pos, is_neg = (text == pos_level).fillna(False).to_numpy(), text.isin(spec.levels).to_numpy() & present
            is_neg &= ~is_pos
        unseen = present & ~is_pos & ~is_neg
        out = np.where(is_pos, 1.0, 0.0)
        out[~present | unseen] = np.nan
        return {spec.outputs[0]: out}, int(unseen.sum())
    hits = {level: (text == level).fillna(False).to_numpy() for level in spec.levels}
    known = np.logical_or.reduce(list(hits.values())) if hits else np.zeros(len(text), dtype=bool)
    rest = present & ~known  # present values without a column of their own
    if spec.has_other:
        hits[OTHER] = hits[OTHER] | rest
    if spec.has_not_recorded:
        hits[NOT_RECORDED] = hits[NOT_RECORDED] | ~present
    cols = {}
    for level, out_name in zip(spec.levels, spec.outputs):
        cols[out_name] = hits[level].astype(np.float64)
        if not spec.has_not_recorded:
            cols[out_name][~present] = np.nan
    return cols, 0 if spec.has_other else int(rest.sum())


@dataclass
class InputContract:
    """Raw columns -> model matrix. ``columns`` in order; ``id_col`` names the row id column (or None)."""

    columns: list[ColumnSpec]
    id_col: str | None = None
    dropped: tuple[str, ...] = ()  # raw columns the user left out: never read, listed in the card
    max_levels: int = MAX_LEVELS  # most frequent values kept per text column (the rest -> OTHER)

    # ---- construction --------------------------------------------------------------------------
    @classmethod
    def fit(cls, frame: pd.DataFrame, features: list[str] | None = None, id_col: str | None = None,
            dropped=(), max_levels: int = MAX_LEVELS) -> "InputContract":
        """Fit on the raw training table; ``features`` = raw feature columns (default: all but ``id_col``
        and ``dropped``)."""
        dropped = tuple(str(c) for c in dropped)
        names = ([c for c in frame.columns if c != id_col and c not in dropped] if features is None
                 else [c for c in features if c not in dropped])
        return cls([fit_column(frame[c], max_levels) for c in names], id_col, dropped, int(max_levels))

    @classmethod
    def numeric(cls, features: list[str], id_col: str | None = None, dropped=()) -> "InputContract":
        """The contract of a model whose inputs are numeric columns used as they are."""
        return cls([ColumnSpec(str(c), "numeric", (), (str(c),)) for c in features], id_col,
                   tuple(str(c) for c in dropped))

    # ---- views ---------------------------------------------------------------------------------
    @property
    def raw_columns(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def outputs(self) -> list[str]:
        return [o for c in self.columns for o in c.outputs]

    def sources(self) -> dict[str, str]:
        """Matrix column -> raw column it comes from."""
        return {o: c.name for c in self.columns for o in c.outputs}

    def original_of(self, encoded: str) -> tuple[str, str | None]:
        """``(raw column, level)`` of a matrix column: ``("sex", "F")`` for ``sex_F``, ``("cause", "other")``,
        ``("cause", "not recorded")``; ``(name, None)`` for a numeric column (or a name the contract lacks).
        A yes/no column's level is the value its 1 stands for (``("smoker", "yes")``)."""
        for spec in self.columns:
            if encoded not in spec.outputs:
                continue
            if spec.kind == "numeric":
                return spec.name, None
            if spec.kind == "binary":
                return spec.name, next((v for v in spec.levels if f"{spec.name}_{level_slug(v)}" == encoded), None)
            return spec.name, spec.levels[spec.outputs.index(encoded)]
        return encoded, None

    @property
    def has_encoded_columns(self) -> bool:
        """Does a raw column become columns of other names (one-hot categories, yes/no flags)?"""
        return any(o != c.name for c in self.columns for o in c.outputs)

    @property
    def is_identity(self) -> bool:
        return all(c.kind == "numeric" for c in self.columns)

    # ---- applying ------------------------------------------------------------------------------
    def transform(self, raw: pd.DataFrame, report: TransformReport | None = None) -> pd.DataFrame:
        """The model matrix (float columns in :attr:`outputs` order) of a raw table; index = ids."""
        report = report if report is not None else TransformReport()
        raw_names = [str(c) for c in raw.columns]
        present = set(raw_names)
        missing = [c for c in self.raw_columns if c not in present]
        if missing:
            shown = ", ".join(missing[:8]) + (" ..." if len(missing) > 8 else "")
            raise ContractError(f"the data lack {len(missing)} column(s) the model needs: {shown}")
        used = set(self.raw_columns) | {self.id_col}
        report.dropped = [c for c in raw_names if c in set(self.dropped) and c not in used]
        report.ignored = [c for c in raw_names if c not in used and c not in set(self.dropped)]
        out: dict[str, np.ndarray] = {}
        for spec in self.columns:
            col = raw[spec.name]
            if spec.kind == "numeric":
                out[spec.name] = _numeric(col, spec.name)
                continue
            cols, unseen = _encode(spec, col)
            out.update(cols)
            if unseen:
                report.unseen[spec.name] = unseen
        return pd.DataFrame(out, index=self.row_ids(raw), columns=self.outputs)

    def row_ids(self, raw: pd.DataFrame) -> pd.Index:
        """Row ids: the id column as text when the table has it, else row numbers 1..n."""
        if self.id_col and self.id_col in raw.columns:
            col = raw[self.id_col]
            if col.isna().any():
                raise ContractError(f"the id column {self.id_col!r} is empty in row "
                                    f"{int(np.flatnonzero(col.isna().to_numpy())[0]) + 1}")
            if pd.api.types.is_float_dtype(col) and (col == col.round()).all():
                col = col.astype(np.int64)
            ids = col.astype(str).str.strip()
            if ids.duplicated().any():
                raise ContractError(f"the id column {self.id_col!r} repeats the id {ids[ids.duplicated()].iloc[0]!r}")
            return pd.Index(ids.to_numpy(dtype=object), name="id")
        return pd.Index([str(i + 1) for i in range(len(raw))], name="id")

    # ---- JSON ----------------------------------------------------------------------------------
    def to_json(self) -> dict:
        out = {"version": 1, "id_column": self.id_col, "columns": [c.to_json() for c in self.columns]}
        if self.dropped:
            out["dropped"] = list(self.dropped)
        out["max_levels"] = int(self.max_levels)
        return out

    @classmethod
    def from_json(cls, data: dict) -> "InputContract":
        """Inverse of :meth:`to_json`; ContractError naming the field when it is malformed."""
        if not isinstance(data, dict) or not isinstance(data.get("columns"), list):
            raise ContractError("input_contract.columns must be a list")
        id_col = data.get("id_column")
        if id_col is not None and not isinstance(id_col, str):
            raise ContractError("input_contract.id_column must be text or null")
        specs = []
        for i, c in enumerate(data["columns"]):
            where = f"input_contract.columns[{i}]"
            if not isinstance(c, dict) or not isinstance(c.get("name"), str) or c.get("kind") not in KINDS:
                raise ContractError(f"{where} needs a text 'name' and a 'kind' among {', '.join(KINDS)}")
            for key in ("levels", "outputs"):
                if not isinstance(c.get(key), list) or not all(isinstance(v, str) for v in c[key]):
                    raise ContractError(f"{where}.{key} must be a list of text")
            folded = c.get("folded", 0)
            if not isinstance(folded, int) or isinstance(folded, bool) or folded < 0:
                raise ContractError(f"{where}.folded must be a whole number >= 0")
            specs.append(ColumnSpec(c["name"], c["kind"], tuple(c["levels"]), tuple(c["outputs"]), folded))
        dropped = data.get("dropped", [])
        if not isinstance(dropped, list) or not all(isinstance(v, str) for v in dropped):
            raise ContractError("input_contract.dropped must be a list of text")
        max_levels = data.get("max_levels", MAX_LEVELS)
        if not isinstance(max_levels, int) or isinstance(max_levels, bool) or max_levels < 1:
            raise ContractError("input_contract.max_levels must be a whole number >= 1")
        return cls(specs, id_col, tuple(dropped), max_levels)

    def encoding_notes(self) -> list[str]:
        """One plain sentence per column the contract changes: folded values, blanks as a level, left out."""
        notes = []
        for c in self.columns:
            if c.folded:
                notes.append(f"{c.name}: the {self.max_levels} most frequent values in training kept, "
                             f"{c.folded} other value(s) grouped as '{OTHER}'")
            if c.has_not_recorded:
                notes.append(f"{c.name}: a blank is its own level, '{NOT_RECORDED}'")
        if self.dropped:
            notes.append(f"left out by the user: {', '.join(self.dropped)}")
        return notes

