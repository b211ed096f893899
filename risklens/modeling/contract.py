"""The input contract: everything between a raw table and a model's matrix, saved with the model.

An :class:`InputContract` is fitted on the raw training table and stored as JSON in the model card
(covered by the model id). It records, per raw column in order:

- ``numeric``: used as it is (numbers written as text are parsed; missing stays NaN);
- ``binary``: two values (yes/no, true/false, M/F ...) -> one 0/1 column ``<col>_<level>``;
  yes/no-like values are read case-insensitively (``Yes``, ``y``, ``TRUE`` and ``1`` are the same);
- ``category``: up to :data:`MAX_LEVELS` values -> one 0/1 column per value seen in training,

and the id column. :meth:`InputContract.transform` applies it to any raw table (the training file,
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

MAX_LEVELS = 10
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

    def to_json(self) -> dict:
        return {"name": self.name, "kind": self.kind, "levels": list(self.levels), "outputs": list(self.outputs)}


@dataclass
class TransformReport:
    """What :meth:`InputContract.transform` noticed: unseen categories per column, ignored extra columns."""

    unseen: dict[str, int] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        out = [f"column {c!r}: {n} row(s) with a category not seen in training, scored as 'other'"
               for c, n in self.unseen.items()]
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


def fit_column(col: pd.Series) -> ColumnSpec:
    """The spec of one raw training column (ContractError for text with too many values)."""
    name = str(col.name)
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        return ColumnSpec(name, "numeric", (), (name,))
    text = _as_text(col)
    present = text.notna()
    numeric = pd.to_numeric(text, errors="coerce").notna() & present
    if numeric.sum() and numeric.sum() >= 0.5 * present.sum():
        return ColumnSpec(name, "numeric", (), (name,))
    levels = sorted(map(str, text.dropna().unique()))
    if len(levels) > 2 and _yes_no(levels):  # "yes", "Yes", "NO", "n" ... are one yes/no column
        low = sorted({v.lower() for v in levels})
        pos = next(v for v in low if v in TRUE_WORDS)
        return ColumnSpec(name, "binary", tuple(low), (f"{name}_{level_slug(pos)}",))
    if len(levels) > MAX_LEVELS:
        raise ContractError(f"column {name!r} is text with {len(levels)} different values (e.g. {levels[0]!r}); only "
                            f"categories with up to {MAX_LEVELS} values are encoded. Drop the column or recode it")
    if len(levels) == 2:
        pos = levels[0] if levels[0].lower() in TRUE_WORDS else levels[1]
        return ColumnSpec(name, "binary", tuple(levels), (f"{name}_{level_slug(pos)}",))
    return ColumnSpec(name, "category", tuple(levels), tuple(f"{name}_{level_slug(v)}" for v in levels))


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
    known = np.zeros(len(text), dtype=bool)
    cols = {}
    for level, out_name in zip(spec.levels, spec.outputs):
        hit = (text == level).fillna(False).to_numpy()
        known |= hit
        cols[out_name] = np.where(present, hit.astype(np.float64), np.nan)
    return cols, int((present & ~known).sum())


@dataclass
class InputContract:
    """Raw columns -> model matrix. ``columns`` in order; ``id_col`` names the row id column (or None)."""

    columns: list[ColumnSpec]
    id_col: str | None = None

    # ---- construction --------------------------------------------------------------------------
    @classmethod
    def fit(cls, frame: pd.DataFrame, features: list[str] | None = None, id_col: str | None = None) -> "InputContract":
        """Fit on the raw training table; ``features`` = raw feature columns (default: all but ``id_col``)."""
        names = [c for c in frame.columns if c != id_col] if features is None else list(features)
        return cls([fit_column(frame[c]) for c in names], id_col)

    @classmethod
    def numeric(cls, features: list[str], id_col: str | None = None) -> "InputContract":
        """The contract of a model whose inputs are numeric columns used as they are."""
        return cls([ColumnSpec(str(c), "numeric", (), (str(c),)) for c in features], id_col)

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
        report.ignored = [c for c in raw_names if c not in used]
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
        return {"version": 1, "id_column": self.id_col, "columns": [c.to_json() for c in self.columns]}

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
            specs.append(ColumnSpec(c["name"], c["kind"], tuple(c["levels"]), tuple(c["outputs"])))
        return cls(specs, id_col)

