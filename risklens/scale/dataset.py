"""Partitioned Parquet datasets: a folder of ``part-NNNNN.parquet`` files with one schema and a manifest.

Layout (the Hadoop / Spark convention: names starting ``_`` or ``.`` are not data, so pandas,
pyarrow.dataset, Dask, DuckDB and Spark read the folder as a table)::

    DIR/_manifest.json           {"format", "kind", "rows", "columns", "partitions": [{"file", "rows"}], "meta"}
    DIR/_common_metadata         the Parquet schema of the parts (what Dask and Spark look for)
    DIR/part-00000.parquet       rows of partition 0, then 1, 2 ... in order

Every file is written atomically (unique temporary file + rename). The manifest is written last and
removed first when a folder is rewritten, so a folder without a manifest is never read as complete;
readers read the files the manifest lists, never whatever happens to lie in the folder. Folders written
before the ``_`` prefix (``manifest.json``) are still read.

Folders written by other tools (pandas / pyarrow ``partition_cols``, Dask ``partition_on``, Spark: hive
``key=value/`` sub-folders, ``_SUCCESS`` / ``_metadata`` files) are read with :func:`iter_parts` /
:func:`read_dataset` too: every Parquet file not starting with ``_`` or ``.``, partition keys restored as
columns.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd

from risklens.errors import RiskLensError
from risklens.safety import atomic_path, atomic_write_text, csv_safe

FORMAT = "risklens.partitioned/1"
MANIFEST = "_manifest.json"
LEGACY_MANIFEST = "manifest.json"  # folders written before the "_" prefix
COMMON_METADATA = "_common_metadata"
PART_RE = re.compile(r"^part-\d{5,}\.parquet$")
TABLE_SUFFIXES = (".csv", ".parquet", ".pq")
OURS = (MANIFEST, LEGACY_MANIFEST, COMMON_METADATA)


class DatasetError(RiskLensError):
    """A partitioned dataset cannot be read or written (the message says which file and why)."""


def part_name(index: int) -> str:
    return f"part-{int(index):05d}.parquet"


def is_dataset(path) -> bool:
    """True when ``path`` is a folder holding a RiskLens manifest (``_manifest.json``, or the older name)."""
    return _manifest_path(path) is not None


def _manifest_path(folder) -> Path | None:
    for name in (MANIFEST, LEGACY_MANIFEST):
        if (Path(folder) / name).is_file():
            return Path(folder) / name
    return None


def wants_dataset(out) -> bool:
    """An ``--out`` naming an existing folder or a name without a suffix means a partitioned dataset folder."""
    return Path(out).is_dir() or not Path(out).suffix


def prepare_folder(path) -> Path:
    """Make ``path`` ready for a new dataset: created if missing; an old manifest removed first.

    Refuses a folder that holds anything besides a previous dataset (manifest, schema and part files),
    so a mistyped ``--out`` never mixes our files into someone else's folder.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise DatasetError(f"{path} exists and is not a folder; give a new folder name for the partitioned output")
    path.mkdir(parents=True, exist_ok=True)
    foreign = [p.name for p in path.iterdir()
               if p.name not in OURS and not PART_RE.match(p.name) and not p.name.startswith(".")]
    if foreign:
        raise DatasetError(f"{path} already holds other files (e.g. {foreign[0]}); choose an empty or new folder")
    for name in (MANIFEST, LEGACY_MANIFEST):
        (path / name).unlink(missing_ok=True)
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
    """Write the manifest listing ``len(parts)`` partitions with ``parts[i]`` rows each (after the parts' schema
    as ``_common_metadata``); stale parts and temporary files removed."""
    import pyarrow.parquet as pq

    folder = Path(folder)
    manifest = {"format": FORMAT, "kind": kind, "rows": int(sum(parts)), "columns": list(columns),
                "partitions": [{"file": part_name(i), "rows": int(r)} for i, r in enumerate(parts)],
                "meta": meta or {}}
    if parts:
        with atomic_path(folder / COMMON_METADATA) as tmp:
            pq.write_metadata(pq.read_schema(folder / part_name(0)), tmp)
    atomic_write_text(folder / MANIFEST, json.dumps(manifest, indent=1, allow_nan=False))
    listed = {part_name(i) for i in range(len(parts))}
    for stale in folder.iterdir():  # parts of an older, longer run; temp files of a writer that died
        if ((PART_RE.match(stale.name) and stale.name not in listed)
                or (stale.name.startswith(".") and stale.name.endswith(".tmp"))):
            stale.unlink(missing_ok=True)
    return folder / MANIFEST


def read_manifest(folder) -> dict:
    folder = Path(folder)
    path = _manifest_path(folder)
    if path is None:
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


# ---- folders written by other tools (hive partitions) -------------------------------------------------
def _interrupted(folder: Path) -> bool:
    """A folder of our part files without a manifest: a RiskLens run that did not finish."""
    return any(PART_RE.match(p.name) for p in folder.iterdir())


def hive_dataset(folder):
    """A pyarrow dataset of a folder written by another tool: every Parquet file below it whose name (and
    whose folders' names) do not start with ``_`` or ``.``; ``key=value`` folder names become columns."""
    import pyarrow.dataset as ds

    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"folder not found: {folder}")
    if _interrupted(folder):
        raise DatasetError(f"{folder} is not a partitioned dataset (no {MANIFEST}); was the run interrupted?")
    try:
        data = ds.dataset(str(folder), format="parquet", partitioning="hive", ignore_prefixes=[".", "_"])
    except Exception as exc:  # ArrowInvalid for a file that is not Parquet, schemas that do not merge ...
        raise DatasetError(f"{folder.name} is not a folder of Parquet files: {str(exc).splitlines()[0]}") from None
    if not data.files:
        raise DatasetError(f"{folder.name} holds no Parquet data files (names starting with _ or . are skipped)")
    return data


def _hive_parts(folder, columns=None) -> Iterator[pd.DataFrame]:
    data = hive_dataset(folder)
    missing = [c for c in (columns or []) if c not in data.schema.names]
    if missing:
        raise DatasetError(f"{Path(folder).name} has no column {missing[0]!r}")
    for fragment in sorted(data.get_fragments(), key=lambda f: f.path):  # one file at a time, in path order
        try:
            table = fragment.to_table(schema=data.schema, columns=columns)  # partition keys filled in
        except Exception as exc:  # pyarrow raises several types for damaged files
            raise DatasetError(f"could not read {Path(fragment.path).name}: {str(exc).splitlines()[0]}") from None
        yield table.to_pandas()


# ---- any folder -----------------------------------------------------------------------------------
def dataset_columns(folder) -> list[str]:
    """Column names of a RiskLens dataset (its manifest) or of another tool's folder (partition keys last)."""
    if is_dataset(folder):
        return list(read_manifest(folder)["columns"])
    return list(hive_dataset(folder).schema.names)


def part_sizes(folder) -> list[int] | None:
    """Rows per partition of a RiskLens dataset (from its manifest); None for another tool's folder."""
    return [int(p["rows"]) for p in read_manifest(folder)["partitions"]] if is_dataset(folder) else None


def iter_parts(folder, columns=None) -> Iterator[pd.DataFrame]:
    """Each partition as a DataFrame, in order (one partition in memory at a time): the files a RiskLens
    manifest lists, or every data file of a folder written by another tool."""
    if not is_dataset(folder):
        yield from _hive_parts(folder, columns)
        return
    for path in part_paths(folder):
        yield read_part(path, columns)


def read_dataset(folder, columns=None) -> pd.DataFrame:
    """The whole dataset as one DataFrame (rows in partition order, a fresh 0..n-1 index)."""
    frames = list(iter_parts(folder, columns))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def read_folder(folder) -> pd.DataFrame:
    """A folder as a user's table: :func:`read_dataset`, refusing one without rows."""
    frame = read_dataset(folder)
    if len(frame) == 0:
        raise DatasetError(f"{Path(folder).name} has no rows")
    return frame


# ---- one file from the parts ------------------------------------------------------------------------
FILE_SUFFIXES = (".parquet", ".pq", ".csv")


def check_file_out(out) -> Path:
    """A file ``--out`` the parts can be gathered into (.parquet, .pq or .csv), checked before any work starts."""
    out = Path(out)
    if out.suffix.lower() not in FILE_SUFFIXES:
        raise DatasetError(f"cannot write {out.name}: use a .csv or .parquet file name, or a folder name "
                           "(no suffix) for a partitioned dataset")
    if out.is_dir():
        raise DatasetError(f"{out} is a folder; give a file name or drop the suffix for a partitioned dataset")
    return out


@contextmanager
def scratch_folder(out) -> Iterator[Path]:
    """A new hidden folder beside the file ``out`` for the parts of a run; removed afterwards, whatever happens."""
    import shutil
    import tempfile

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{out.name}.parts-", dir=out.parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def gather(folder, out) -> Path:
    """The parts of the dataset ``folder``, in order, as one file ``out`` (Parquet or CSV by its suffix), written
    atomically with one part in memory at a time. CSV text cells that would start a formula are neutralised."""
    import pyarrow.parquet as pq

    out = check_file_out(out)
    paths = part_paths(folder)
    with atomic_path(out) as tmp:
        if out.suffix.lower() == ".csv":
            for i, path in enumerate(paths):
                csv_safe(read_part(path)).to_csv(tmp, index=False, header=i == 0, mode="w" if i == 0 else "a")
            return out
        schema = pq.read_schema(paths[0])
        with pq.ParquetWriter(tmp, schema) as writer:
            for path in paths:
                writer.write_table(pq.read_table(path).cast(schema))
    return out
