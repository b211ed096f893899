"""Simulated cohorts of any size as partitioned datasets, the same rows whatever the partitioning.

The simulator is used as it is, on fixed-size blocks: block ``b`` holds rows
``[b * block_rows, (b + 1) * block_rows)`` and is ``simulate_ward(block_rows, seed=s_b)`` with
``s_b`` drawn from ``SeedSequence([seed, b])``; its patients are renumbered globally
(``W<block * block_rows + patient within block>``, row id ``<patient>-<visit>``), so ids never
collide across blocks. Partition ``p`` of ``P`` holds rows ``[p * n // P, (p + 1) * n // P)``: it
generates the blocks it overlaps, slices them and streams them into its Parquet file one block at a
time. Row ``i`` therefore depends only on ``(seed, block_rows, i)``, never on ``n``, ``P`` or which
worker wrote it, and a partition never holds more than one block in memory.

Stays (``stays=True``, ``risklens cohort ward --stays --partitions P``): ``n`` is the number of stays and partition
``p`` holds stays ``[p * n // P, (p + 1) * n // P)`` with all their windows, so a stay is never split. Blocks are the
stays simulator's own (:func:`risklens.cohorts.ward.simulate_stays`, ``block_rows`` stays each, default
:data:`~risklens.cohorts.ward_stays.STAY_BLOCK`): a partition makes the blocks it overlaps and keeps its stays,
and the rows (values and order) are those of ``load_builtin("ward", n=n, seed=seed, stays=True)`` and of the
single-file ``risklens cohort ward --stays``, whatever ``P`` or the workers.

Partitions are written by the tasks themselves (on a cluster: to a folder every worker can reach).

With a saved model (``model_dir``) every block is scored as it is made: the rows gain ``risk``, ``log_odds`` and
``alert`` (:func:`risklens.scale.jobs.score_columns`), so a scored cohort of any size is written in one pass
without ever holding more than one block (``risklens score --cohort ward --n N --model DIR --out DIR``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from risklens.cohorts.stays import stays_frame
from risklens.cohorts.ward_stays import STAY_BLOCK
from risklens.cohorts.ward import block_seed, simulate_stays, simulate_ward
from risklens.errors import RiskLensError
from risklens.safety import atomic_path
from risklens.scale import cluster, dataset
from risklens.scale.jobs import model_facts, score_columns
from risklens.scale.shipping import load_shipped, model_files

BLOCK_ROWS = 50_000
#: Parquet row groups of 10,000 rows: a reader looking for one id (the Patients page opening a patient) reads
#: one group, found by the groups' min/max statistics, not the whole file.
ROW_GROUP_ROWS = 10_000
MAX_ROWS = 1_000_000_000
MAX_STAYS = 10_000_000  # stays of up to 13 windows; ids keep their 7 digits (W0000000-1)


def block_size(stays: bool = False) -> int:
    """Rows (or, for stays, stays) per simulator block by default."""
    return STAY_BLOCK if stays else BLOCK_ROWS


def simulator(name: str):
    key = str(name).strip().lower()
    if key != "ward":
        raise RiskLensError(f"--partitions works with the ward simulator only, not {name!r}")
    return simulate_ward


def block_frame(name: str, block: int, seed: int, block_rows: int = BLOCK_ROWS, **sim_kwargs) -> pd.DataFrame:
    """Rows of block ``block`` as ``risklens cohort`` writes them, with global patient and row ids."""
    cohort = simulator(name)(block_rows, seed=block_seed(seed, block), **sim_kwargs)
    frame = cohort.to_frame()
    codes, _ = pd.factorize(frame["patient_id"])  # patients in order of appearance, rows contiguous per patient
    patient = block * block_rows + codes
    visit = pd.Series(codes).groupby(codes).cumcount().to_numpy() + 1
    frame["patient_id"] = [f"W{p:09d}" for p in patient.tolist()]
    frame["id"] = [f"W{p:09d}-{v}" for p, v in zip(patient.tolist(), visit.tolist())]
    return frame


def stay_block_frames(n: int, start: int, stop: int, seed: int, block_stays: int, preset="default"):
    """The windows of stays ``[start, stop)`` of ``n`` (as ``risklens cohort ward --stays`` writes them), one block's
    frame at a time."""
    for b in range(start // block_stays, (stop - 1) // block_stays + 1):
        cohort = simulate_stays(n, seed, preset, blocks=[b], block_stays=block_stays)
        pos = b * block_stays + pd.factorize(cohort.extra["stay"])[0]  # stays in order, windows contiguous
        yield stays_frame(cohort)[(pos >= start) & (pos < stop)].reset_index(drop=True)


def row_block_frames(name: str, start: int, stop: int, seed: int, block_rows: int, sim_kwargs: dict):
    """Rows ``[start, stop)`` of the partitioned simulator, one block's frame at a time."""
    for b in range(start // block_rows, (stop - 1) // block_rows + 1):
        lo, hi = max(start, b * block_rows) - b * block_rows, min(stop, (b + 1) * block_rows) - b * block_rows
        yield block_frame(name, b, seed, block_rows, **sim_kwargs).iloc[lo:hi]


def partition_bounds(n: int, partitions: int, p: int) -> tuple[int, int]:
    return p * n // partitions, (p + 1) * n // partitions


def write_partition(folder: str, name: str, p: int, n: int, partitions: int, seed: int, block_rows: int,
                    sim_kwargs: dict, files: dict | None = None) -> tuple[int, list[str]]:
    """Write partition ``p`` (atomically, one block in memory at a time); returns (rows, column names).

    ``sim_kwargs`` with ``stays=True``: the partition's stays (``block_rows`` stays per block), all their windows.
    ``files`` (a shipped model): each row also gets the model's risk, log-odds and alert."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    start, stop = partition_bounds(n, partitions, p)
    model = None if files is None else load_shipped(files)
    kwargs = dict(sim_kwargs)
    if kwargs.pop("stays", False):
        simulator(name)
        frames = stay_block_frames(n, start, stop, seed, block_rows, kwargs.get("preset") or "default")
    else:
        frames = row_block_frames(name, start, stop, seed, block_rows, kwargs)
    writer, schema, columns, rows = None, None, [], 0
    with atomic_path(Path(folder) / dataset.part_name(p)) as tmp:
        try:
            for frame in frames:
                rows += len(frame)
                if model is not None:
                    frame = frame.assign(**score_columns(model, model.prepare(frame)))
                table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
                if writer is None:
                    schema, columns = table.schema, list(frame.columns)
                    writer = pq.ParquetWriter(tmp, schema)
                writer.write_table(table.cast(schema), row_group_size=ROW_GROUP_ROWS)
        finally:
            if writer is not None:
                writer.close()
    return rows, columns


def write_simulated(name: str, n: int, out, *, partitions: int, seed: int = 0, client=None,
                    block_rows: int | None = None, progress: bool = True, model_dir=None, **sim_kwargs) -> dict:
    """Write an ``n``-row simulated cohort as ``partitions`` Parquet files plus a manifest; returns the manifest meta.

    ``stays=True``: ``n`` stays (their windows are the rows), ``block_rows`` stays per simulator block (default
    :data:`~risklens.cohorts.ward_stays.STAY_BLOCK`, which gives the rows of the single-file cohort of stays).

    A file ``out`` (.parquet / .csv): the partitions are gathered into it (atomically) from a hidden folder beside it.
    """
    simulator(name)
    stays = bool(sim_kwargs.get("stays"))
    unit = "stays" if stays else "rows"
    block_rows = block_size(stays) if block_rows is None else int(block_rows)
    if sim_kwargs.get("preset"):
        from risklens.cohorts.ward_setting import get_preset

        get_preset(sim_kwargs["preset"])  # an unknown preset is refused here, before any task starts
    limit = MAX_STAYS if stays else MAX_ROWS
    if not 1 <= n <= limit:
        raise RiskLensError(f"--n must be between 1 and {limit:,} {unit}, got {n:,}")
    if not 1 <= partitions <= n:
        raise RiskLensError(f"--partitions must be between 1 and the number of {unit} ({n:,}), got {partitions:,}")
    if not dataset.wants_dataset(out):
        dataset.check_file_out(out)
        with dataset.scratch_folder(out) as scratch:
            summary = write_simulated(name, n, scratch, partitions=partitions, seed=seed, client=client,
                                      block_rows=block_rows, progress=progress, model_dir=model_dir, **sim_kwargs)
            dataset.gather(scratch, out)
        return summary | {"out": str(out)}
    facts, files = {}, None
    if model_dir is not None:
        from risklens.modeling import load_model

        facts = model_facts(load_model(model_dir))  # checked here once, before any task starts
        files = cluster.share(client, model_files(model_dir))
    folder = dataset.prepare_folder(out)
    rows, columns = [0] * partitions, []

    def on_result(p: int, result) -> None:
        rows[p] = result[0]
        if not columns:
            columns.extend(result[1])

    args = ((str(folder), name, p, int(n), int(partitions), int(seed), int(block_rows), dict(sim_kwargs), files)
            for p in range(partitions))
    cluster.run_tasks(client, write_partition, args, on_result, label="cohort", total=partitions,
                      rows_of=lambda r: r[0], progress=progress)
    meta = {"cohort": str(name).lower(), "n": int(n), "seed": int(seed), "block_rows": int(block_rows),
            "simulator_options": dict(sim_kwargs), **facts}
    dataset.write_manifest(folder, "scored cohort" if facts else "cohort", rows, columns, meta)
    return meta | {"out": str(folder), "partitions": partitions, "rows": sum(rows)}
