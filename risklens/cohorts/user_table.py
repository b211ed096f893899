"""Reading a user's table: a CSV or Parquet file (path, bytes or file object), or a folder of Parquet files
(a RiskLens partitioned dataset or hive ``key=value/`` folders written by pandas, Dask or Spark) -> a DataFrame.

Problems with the file itself (empty, not UTF-8, Excel, binary, unparsable, too many columns,
a repeated column name) raise :class:`CohortError`; the rules are in :mod:`risklens.cohorts.user`.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd

from risklens.cohorts.base import CohortError
from risklens.scale.dataset import read_folder

MAX_COLUMNS = 5000


def read_table(source, filename: str | None = None, text_columns=()) -> pd.DataFrame:
    """A CSV or Parquet table from a path, bytes or a file-like object.

    The format comes from ``filename`` (or the path / the object's ``name``): ``.parquet``/``.pq``
    is Parquet, anything else is CSV; bytes starting with the Parquet magic are Parquet anyway.
    ``text_columns`` are read as text (keeps ids like "007" intact). A folder path is read with
    :func:`risklens.scale.dataset.read_folder` (partition keys restored as columns, ``_``/``.`` files skipped).
    """
    if isinstance(source, (str, os.PathLike)) and Path(source).is_dir():
        return _checked(read_folder(source), filename or Path(source).name)
    label, data = _read_bytes(source, filename)
    if not data.strip():
        raise CohortError(f"{label} is empty (0 rows); choose a file with a header row and data rows")
    is_parquet = data[:4] == b"PAR1" or label.lower().endswith((".parquet", ".pq"))
    frame = _read_parquet(data, label) if is_parquet else _read_csv(data, label, text_columns)
    return _checked(frame, label)


def _checked(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    if frame.shape[1] == 0:
        raise CohortError(f"{label} has no columns; is it a CSV with a header row?")
    if len(frame) == 0:
        raise CohortError(f"{label} has column names but no data rows")
    frame.columns = [str(c).strip() for c in frame.columns]
    check_header(list(frame.columns), label)
    return frame


def check_header(names: list[str], label: str) -> None:
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
    check_header(_header_names(header, sep), label)  # before pandas renames repeated names
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

