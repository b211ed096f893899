"""Rows to work on, read partition by partition: the same selection rules as ``risklens explain``.

Source: a CSV/Parquet file (read once) or a folder (a RiskLens partitioned dataset or another tool's hive
folders, read one file at a time). Row ids: the ``--id`` column, else ``id`` when present, else row numbers 1..n counted across
partitions. Selection: every row, the first ``rows``, or the rows with the given ``ids`` in the
order given. Frames come out indexed by row id (name "id") with the model's feature columns, cut
into chunks of at most ``part_rows`` rows: chunk ``i`` is task ``i``, whatever runs it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from risklens.cohorts.user_table import read_table
from risklens.errors import RiskLensError
from risklens.scale.dataset import DatasetError, dataset_columns, iter_parts, part_sizes


@dataclass(frozen=True)
class RowSelection:
    data: str
    features: tuple[str, ...]
    id_col: str | None = None
    rows: int | None = None
    ids: tuple[str, ...] | None = None
    contract: str | None = None  # the model's input contract (JSON text): raw columns -> model matrix

    @property
    def is_folder(self) -> bool:
        return Path(self.data).is_dir()

    @property
    def label(self) -> str:
        return Path(self.data).name


def _frames(sel: RowSelection) -> Iterator[pd.DataFrame]:
    if not sel.is_folder:
        yield read_table(sel.data, text_columns=[sel.id_col] if sel.id_col else ["id"])
        return
    yield from iter_parts(sel.data)


def _id_column(sel: RowSelection, columns) -> str | None:
    if sel.id_col is not None:
        if sel.id_col not in columns:
            raise RiskLensError(f"--id column {sel.id_col!r} is not in {sel.label}")
        return sel.id_col
    return "id" if "id" in columns else None


def check_unique_ids(sel: RowSelection) -> None:
    """Refuse repeated ids across the whole source (a folder: only its id column is read)."""
    if not sel.is_folder:
        return  # a single file is checked when its frame is indexed
    col = _id_column(sel, dataset_columns(sel.data))
    if col is None:
        return
    ids = pd.concat([f[col].astype(str) for f in iter_parts(sel.data, columns=[col])], ignore_index=True)
    if ids.duplicated().any():
        raise RiskLensError(f"the id column {col!r} has repeated ids, e.g. {ids[ids.duplicated()].iloc[0]}")


def _indexed(sel: RowSelection, frame: pd.DataFrame, offset: int) -> pd.DataFrame:
    col = _id_column(sel, frame.columns)
    if col is not None:
        ids = frame[col].astype(str)
        if ids.duplicated().any():
            raise RiskLensError(f"the id column {col!r} has repeated ids, e.g. {ids[ids.duplicated()].iloc[0]}")
        index = ids.to_numpy(dtype=object)
    else:
        index = np.array([str(offset + i + 1) for i in range(len(frame))], dtype=object)
    if sel.contract is not None:  # the same raw -> matrix transform as the in-process path
        import json

        from risklens.modeling.contract import InputContract

        out = InputContract.from_json(json.loads(sel.contract)).transform(frame)[list(sel.features)]
    else:
        missing = [c for c in sel.features if c not in frame.columns]
        if missing:
            raise RiskLensError(f"{sel.label} lacks {len(missing)} feature(s) of the model: "
                                f"{', '.join(missing[:6])}{' ...' if len(missing) > 6 else ''}")
        out = frame[list(sel.features)]
    out.index = pd.Index(index, name="id")
    return out


def selected_frames(sel: RowSelection) -> Iterator[pd.DataFrame]:
    """The selected rows, source partition by source partition (``ids``: one frame in the order given)."""
    if sel.rows is not None and sel.rows < 1:
        raise RiskLensError("--rows must be at least 1")
    check_unique_ids(sel)
    wanted = None if sel.ids is None else set(sel.ids)
    found, offset, taken = [], 0, 0
    for frame in _frames(sel):
        X = _indexed(sel, frame, offset)
        offset += len(frame)
        if wanted is not None:
            found.append(X[X.index.isin(wanted)])
            continue
        if sel.rows is not None:
            X = X.iloc[: sel.rows - taken]
        taken += len(X)
        if len(X):
            yield X
        if sel.rows is not None and taken >= sel.rows:
            return
    if wanted is not None:
        got = pd.concat(found) if found else pd.DataFrame(columns=list(sel.features))
        absent = [i for i in sel.ids if i not in got.index]
        if absent:
            raise RiskLensError(f"ids not found in {sel.label}: {', '.join(absent[:5])}")
        yield got.loc[list(sel.ids)]


def chunks(frames, part_rows: int) -> Iterator[pd.DataFrame]:
    """Cut each frame into consecutive pieces of at most ``part_rows`` rows."""
    for X in frames:
        for start in range(0, len(X), int(part_rows)):
            yield X.iloc[start:start + int(part_rows)]


def planned_chunks(sel: RowSelection, part_rows: int) -> int | None:
    """How many chunks :func:`chunks` will give (for the progress bar); None if unknown before reading."""
    if sel.ids is not None:
        return math.ceil(len(sel.ids) / part_rows)
    if not sel.is_folder:
        return None
    rows = part_sizes(sel.data)
    if rows is None:  # another tool's folder: sizes known after reading
        return None
    sizes, left = [], sel.rows
    for part in rows:
        n = part if left is None else min(part, left)
        if n > 0:
            sizes.append(math.ceil(n / part_rows))
        if left is not None:
            left -= n
    return sum(sizes)


def feature_frame(sel: RowSelection) -> pd.DataFrame:
    """Every row's feature columns (the background of LIME and SHAP on the MLP), indexed by row id."""
    frames = [X for X in selected_frames(RowSelection(sel.data, sel.features, sel.id_col, contract=sel.contract))]
    if not frames:
        raise DatasetError(f"{sel.label} has no rows")
    return pd.concat(frames)
