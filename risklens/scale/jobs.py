"""Model jobs over partitions: explanations and risk scores written as partitioned datasets.

:func:`run_model_job` reads the selected rows chunk by chunk (:mod:`risklens.scale.rows`), runs one
task per chunk (in this process or on a Dask cluster, :mod:`risklens.scale.cluster`) and writes
chunk ``i``'s result as ``part-0000i.parquet`` as soon as it arrives, then the manifest; an ``out`` that
names a file (.parquet / .csv) gets the parts gathered into it (:func:`risklens.scale.dataset.gather`). The model
goes to the tasks as its files' bytes (:mod:`risklens.scale.shipping`). Tasks return data frames, so
the output folder needs to be writable only here, not on the workers.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

from risklens.errors import RiskLensError
from risklens.safety import atomic_write_text
from risklens.scale import cluster, dataset
from risklens.scale.rows import RowSelection, chunks, planned_chunks, selected_frames
from risklens.scale.shipping import load_shipped, model_files

#: Rows per task: exact methods are fast per row, sampling methods (LIME, SHAP on the MLP) slow.
PART_ROWS_EXACT, PART_ROWS_SAMPLED = 50_000, 1_000


# ---- tasks (run on workers; importable module-level functions) ---------------------------------------
def explain_rows(files: dict, X, method, seed: int, params: dict, background=None):
    """The :class:`~risklens.explain.Explanation` of rows ``X`` by the shipped model. ``method`` is a
    :class:`~risklens.explain.MethodSpec` (it travels with the task, so a worker needs no registration of its
    own) or a registered name; the call is checked and run as in this process (:func:`~risklens.explain.prepare`)."""
    from risklens.explain import prepare

    return prepare(load_shipped(files), X, method, seed=int(seed), background=background, **params).run()


def explain_task(files: dict, X, method, seed: int, params: dict, background=None):
    """(output rows as ``risklens explain`` writes them, explanation metadata)."""
    expl = explain_rows(files, X, method, seed, params, background)
    return expl.output_frame(seed), expl.metadata()


def score_columns(model, X) -> dict:
    """Risk (probability), log-odds margin and alert at the model's threshold of the model's feature rows ``X``."""
    risk = model.predict_proba(X)
    return {"risk": risk, "log_odds": model.predict_margin(X), "alert": (risk >= model.threshold).astype("int8")}


def model_facts(model) -> dict:
    return {"model_id": model.model_id, "family": model.family, "threshold": model.threshold}


def score_task(files: dict, X):
    """(id, risk (probability), log-odds margin, alert at the model's threshold) per row, and the model's facts."""
    import pandas as pd

    model = load_shipped(files)
    frame = pd.DataFrame({"id": X.index.to_numpy(dtype=object), **score_columns(model, X)})
    return frame, model_facts(model)


# ---- driver -----------------------------------------------------------------------------------------
def run_model_job(model_dir, sel_args: dict, out, task: Callable, task_args: tuple, *, kind: str, client=None,
                  part_rows: int, progress: bool = True, shared_tail: tuple = (), merge_params=None) -> dict:
    """Run ``task(files, X, *task_args, *shared_tail)`` per chunk of the selected rows; write the dataset.

    ``shared_tail`` are large inputs every task takes (a background frame): sent to the cluster once.
    ``merge_params`` combines the partitions' ``params`` metadata (e.g. an explanation's round counts); without
    it every partition's metadata must agree.
    Returns the manifest metadata plus rows, partitions, out and seconds. A file ``out``: the dataset is written
    to a hidden folder beside it, gathered into the file (atomically) and removed.
    """
    if part_rows < 1:
        raise RiskLensError("--partition-rows must be at least 1")
    if not dataset.wants_dataset(out):
        dataset.check_file_out(out)
        with dataset.scratch_folder(out) as folder:
            summary = run_model_job(model_dir, sel_args, folder, task, task_args, kind=kind, client=client,
                                    part_rows=part_rows, progress=progress, shared_tail=shared_tail)
            dataset.gather(folder, out)
        summary.pop("manifest")
        return summary | {"out": str(out)}
    t0 = time.perf_counter()
    sel = RowSelection(**sel_args)
    folder = dataset.prepare_folder(out)
    files = cluster.share(client, model_files(model_dir))
    tail = tuple(cluster.share(client, obj) for obj in shared_tail)
    pieces = chunks(selected_frames(sel), part_rows)
    total = planned_chunks(sel, part_rows)
    if total is None:
        pieces = list(pieces)
        total = len(pieces)
    rows: dict[int, int] = {}
    metas: dict[int, dict] = {}
    columns: list[str] = []

    def on_result(i: int, result) -> None:
        frame, meta = result
        rows[i] = dataset.write_part(folder, i, frame)
        metas[i] = {k: v for k, v in meta.items() if k != "n"}
        if not columns:
            columns.extend(map(str, frame.columns))

    cluster.run_tasks(client, task, ((files, X, *task_args, *tail) for X in pieces), on_result, label=kind,
                      total=total, rows_of=lambda r: len(r[0]), progress=progress)
    if not rows:
        raise RiskLensError(f"no rows selected from {sel.label}")
    if sorted(rows) != list(range(len(rows))):
        raise RiskLensError(f"partitions {sorted(set(range(max(rows) + 1)) - set(rows))[:5]} are missing")
    first = metas[0]
    if merge_params is not None:
        try:
            first = {**first, "params": merge_params([metas[i]["params"] for i in sorted(metas)])}
        except RiskLensError as exc:
            raise RiskLensError(f"{exc}; rerun without --scheduler") from None
        metas = {i: {**m, "params": first["params"]} for i, m in metas.items()}
    if any(m != first for m in metas.values()):
        raise RiskLensError("partitions disagree on the explanation parameters; rerun without --scheduler")
    meta = {**first, "n": sum(rows.values())}
    dataset.write_manifest(folder, kind, [rows[i] for i in range(len(rows))], columns, meta)
    return {"out": str(folder), "manifest": str(Path(folder) / dataset.MANIFEST), "rows": meta["n"],
            "partitions": len(rows), "seconds": round(time.perf_counter() - t0, 3), "meta": meta}


def selection(model, data, id_col, rows, ids) -> dict:
    """The row selection of a job: the model's features and input contract, the id column (the contract's
    when none is given), the rows or ids."""
    import json

    return {"data": str(data), "features": tuple(model.feature_names), "id_col": id_col or model.contract.id_col,
            "rows": rows, "ids": None if ids is None else tuple(map(str, ids)),
            "contract": json.dumps(model.contract.to_json(), sort_keys=True)}


def explain_to_dataset(model_dir, data, method: str, out, *, seed: int = 0, samples: int | None = None,
                       id_col=None, rows=None, ids=None, client=None, part_rows: int | None = None,
                       progress: bool = True) -> dict:
    """``risklens explain`` into a partitioned dataset, in this process (``client=None``) or on a cluster.

    Same rows, ids, values, parameters and metadata as the in-process single-file output.
    """
    from risklens.explain import method as method_spec
    from risklens.modeling import load_model

    spec = method_spec(method)
    model = load_model(model_dir)  # checked here once, so a bad model fails before any task starts
    spec.check_family(model.family)
    params = {} if samples is None else {"samples": int(samples)}
    spec.check_params(params)
    sel = selection(model, data, id_col, rows, ids)
    tail = ()
    if spec.needs_background(model.family):  # every row of the file, as `risklens explain` in one process
        from risklens.scale.rows import feature_frame

        tail = (feature_frame(RowSelection(**sel)),)
    if not spec.batch_independent:  # its rows depend on each other: one partition
        part_rows = 2**62
    part_rows = int(part_rows or (PART_ROWS_EXACT if spec.is_fast(model.family) else PART_ROWS_SAMPLED))
    summary = run_model_job(model_dir, sel, out, explain_task, (spec, int(seed), params), kind="explanation",
                            client=client, part_rows=part_rows, progress=progress, shared_tail=tail,
                            merge_params=spec.merged_params)
    if not dataset.wants_dataset(out):  # a file: the metadata sidecar the in-process `risklens explain` writes
        sidecar = Path(str(out) + ".json")
        atomic_write_text(sidecar, json.dumps(summary["meta"], indent=1))
        summary["metadata"] = str(sidecar)
    return summary


def score_to_dataset(model_dir, data, out, *, id_col=None, rows=None, ids=None, client=None,
                     part_rows: int = PART_ROWS_EXACT, progress: bool = True) -> dict:
    """Risk scores of a saved model for the selected rows, as a partitioned dataset (``risklens score``)."""
    from risklens.modeling import load_model

    model = load_model(model_dir)
    sel = selection(model, data, id_col, rows, ids)
    return run_model_job(model_dir, sel, out, score_task, (), kind="scores", client=client, part_rows=part_rows,
                         progress=progress)
