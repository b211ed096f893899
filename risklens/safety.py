"""Writing files and handling user-controlled text safely.

- Atomic writes: every file goes to a unique temporary name in its own directory, then is renamed
  into place (``os.replace``), so a reader or a second writer never sees a torn file.
- Names in paths: :func:`safe_slug` turns any user text into ``[a-z0-9._-]`` and :func:`inside`
  checks that a final path stays under its root.
- Text shown to people: :func:`md_escape` makes user text inert in Markdown; :func:`csv_safe`
  neutralises spreadsheet formulas in CSV exports (OWASP "CSV injection").
"""

from __future__ import annotations

import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd

from risklens.errors import RiskLensError


class UnsafePathError(RiskLensError):
    """A path built from user text would leave its root folder."""


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a unique temporary path beside ``path``; on success it is renamed onto ``path``.

    The caller writes the whole file to the yielded path. On an exception the temporary file is
    removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    return Path(path)


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    return atomic_write_bytes(path, text.encode(encoding))


_SLUG_BAD = re.compile(r"[^a-z0-9._-]+")


def safe_slug(text: str, default: str = "item", max_len: int = 64) -> str:
    """A file-name-safe slug of user text: lower case ``[a-z0-9._-]``, no leading dots, never empty."""
    slug = _SLUG_BAD.sub("-", str(text).lower()).strip("-.")
    slug = re.sub(r"-{2,}", "-", slug)[:max_len].strip("-.")
    return slug or default


def inside(root: str | os.PathLike, *parts: str) -> Path:
    """``root / parts`` resolved, refused with :class:`UnsafePathError` unless it stays under ``root``."""
    base = Path(root).resolve()
    target = base.joinpath(*parts).resolve()
    if target != base and base not in target.parents:
        raise UnsafePathError(f"refusing a path outside {base}: {'/'.join(parts)!r}")
    return target


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$&])")


def md_escape(text) -> str:
    """User text made inert in Streamlit Markdown: every markup character is backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """One cell made safe for spreadsheets: text starting with a formula prefix gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells and column names cannot start a spreadsheet formula (numbers untouched)."""
    out = frame.copy()
    out.columns = [csv_cell(str(c)) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(csv_cell)
    return out
