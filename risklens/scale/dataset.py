"""Partitioned Parquet datasets: a folder of ``part-NNNNN.parquet`` files with one schema and a manifest.

Layout::

    DIR/manifest.json            {"format", "kind", "rows", "columns", "partitions": [{"file", "rows"}], "meta"}
    DIR/part-00000.parquet       rows of partition 0, then 1, 2 ... in order

Every file is written atomically (unique temporary file + rename). The manifest is written last and
removed first when a folder is rewritten, so a folder without a manifest is never read as complete;
readers read the files the manifest lists, never whatever happens to lie in the folder.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterator

import pandas as pd

from risklens.errors import RiskLensError
from risklens.safety import atomic_path, atomic_write_text

FORMAT = "risklens.partitioned/1"
MANIFEST = "manifest.json"
PART_RE = re.compile(r"^part-\d{5,}\.parquet$")
TABLE_SUFFIXES = (".csv", ".parquet", ".pq")


class DatasetError(RiskLensError):
    """A partitioned dataset cannot be read or written (the message says which file and why)."""


def part_name(index: int) -> str:
    return f"part-{int(index):05d}.parquet"


def is_dataset(path) -> bool:
    """True when ``path`` is a folder holding a RiskLens manifest."""
    return (Path(path) / MANIFEST).is_file()


def wants_dataset(out) -> bool:
    """An ``--out`` naming an existing folder or a name without a suffix means a partitioned dataset folder."""
    return Path(out).is_dir() or not Path(out).suffix


def prepare_folder(path) -> Path:
    """Make ``path`` ready for a new dataset: created if missing; an old manifest removed first.

    Refuses a folder that holds anything besides a previous dataset (manifest and part files),
    so a mistyped ``--out`` never mixes our files into someone else's folder.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise DatasetError(f"{path} exists and is not a folder; give a new folder name for the partitioned output")
    path.mkdir(parents=True, exist_ok=True)
    foreign = [p.name for p in path.iterdir()
               if p.name != MANIFEST and not PART_RE.match(p.name) and not p.name.startswith(".part-")]
    if foreign:
        raise DatasetError(f"{path} already holds other files (e.g. {foreign[0]}); choose an empty or new folder")
    (path / MANIFEST).unlink(missing_ok=True)
    return path


def write_part(folder, index: int, table) -> int:
    """Write partition ``index`` (a pyarrow Table or a DataFrame) atomically; returns its row count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if isinstance(table, pd.DataFrame):
        table = pa.Table.from_pandas(table, preserve_index=False)
    with atomic_path(Path(folder) / part_name(index)) as tmp:
        pq.write_table(table, tmp)
    return table.num_rows


def write_manifest(folder, kind: str, parts: list[int], columns: list[str], meta: dict | None = None) -> Path:
    """Write the manifest listing ``len(parts)`` partitions with ``parts[i]`` rows each; stale parts removed."""
    folder = Path(folder)
    manifest = {"format": FORMAT, "kind": kind, "rows": int(sum(parts)), "columns": list(columns),
                "partitions": [{"file": part_name(i), "rows": int(r)} for i, r in enumerate(parts)],
                "meta": meta or {}}
    atomic_write_text(folder / MANIFEST, json.dumps(manifest, indent=1, allow_nan=False))
    listed = {part_name(i) for i in range(len(parts))}
    for stale in folder.iterdir():  # parts of an older, longer run; temp files of a writer that died
        if (PART_RE.match(stale.name) and stale.name not in listed) or stale.name.startswith(".part-"):
            stale.unlink(missing_ok=True)
    return folder / MANIFEST


def read_manifest(folder) -> dict:
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise DatasetError(f"{folder} is not a partitioned dataset (no {MANIFEST}); was the run interrupted?")
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path} is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise DatasetError(f"{path} is not a RiskLens dataset manifest (format {FORMAT})")
    for part in manifest.get("partitions", []):
        if not PART_RE.match(str(part.get("file", ""))):
            raise DatasetError(f"{path} lists a file that is not a partition: {str(part.get('file'))[:40]!r}")
    return manifest


def part_paths(folder) -> list[Path]:
    """The partition files in order, each checked to exist."""
    folder = Path(folder)
    paths = [folder / p["file"] for p in read_manifest(folder)["partitions"]]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise DatasetError(f"{folder} lacks partition file(s) its manifest lists: {', '.join(missing[:3])}")
    return paths


def read_part(path, columns=None) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path, columns=columns).to_pandas()
    except Exception as exc:  # pyarrow raises several types for damaged files / unknown columns
        raise DatasetError(f"could not read {Path(path).name}: {str(exc).splitlines()[0]}") from None


def iter_parts(folder, columns=None) -> Iterator[pd.DataFrame]:
    """Each partition as a DataFrame, in order (one partition in memory at a time)."""
    for path in part_paths(folder):
        yield read_part(path, columns)


def read_dataset(folder, columns=None) -> pd.DataFrame:
    """The whole dataset as one DataFrame (rows in partition order, a fresh 0..n-1 index)."""
    frames = list(iter_parts(folder, columns))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def read_any(path, text_columns=()) -> pd.DataFrame:
    """A data file (CSV/Parquet, via :func:`risklens.cohorts.read_table`) or a partitioned dataset folder."""
    from risklens.cohorts import read_table

    if Path(path).is_dir():
        frame = read_dataset(path)
        if len(frame) == 0:
            raise DatasetError(f"{path} has no rows")
        return frame
    return read_table(path, text_columns=text_columns)
