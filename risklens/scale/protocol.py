"""The evaluation protocol with its explanations computed on a Dask cluster.

:func:`explanations_on` swaps, for the duration of a ``with`` block, every method of the
explanation registry for one that cuts the rows into chunks, explains each chunk on the cluster
with the model shipped as its files' bytes, and stitches the chunks back in order. Nothing else
changes: the protocol (``risklens.study.run_protocol``) asks the registry for methods by
name as always, and because every method's randomness is keyed by row id (LIME, SHAP on the MLP)
or absent, the stitched explanation equals the in-process one. Small requests (fewer than
``2 * min_rows`` rows, e.g. the protocol's robustness probes) stay in this process.
"""

from __future__ import annotations

import dataclasses
import math
from contextlib import contextmanager
from typing import Iterator

import numpy as np

from risklens.errors import RiskLensError
from risklens.scale import cluster
from risklens.scale.jobs import explain_rows, needs_background
from risklens.scale.shipping import files_of_model

MIN_ROWS = 100


def _stitch(parts: list, model_id: str):
    from risklens.explain import Explanation

    first = parts[0]
    if any(p.metadata() | {"n": 0} != first.metadata() | {"n": 0} for p in parts):
        raise RiskLensError("explanation chunks disagree on their parameters; rerun without --scheduler")
    return Explanation(values=np.vstack([p.values for p in parts]),
                       base_values=np.concatenate([p.base_values for p in parts]),
                       data=np.vstack([p.data for p in parts]), feature_names=first.feature_names,
                       method=first.method, model_id=model_id, output=first.output,
                       ids=np.concatenate([p.ids for p in parts]), params=dict(first.params))


def _on_cluster(spec, client, min_rows: int, shipped: dict):
    from risklens.explain._common import model_fingerprint

    def explain_spread(model, X, *, seed: int = 0, **params):
        if client is None or len(X) < 2 * min_rows:
            return spec.explain(model, X, seed=seed, **params)
        if needs_background(spec.name, model.family) and params.get("background") is None:
            params["background"] = X  # what the method itself would use: the rows being explained
        key = model_fingerprint(model)
        if key not in shipped:
            shipped[key] = cluster.share(client, files_of_model(model))
        background = cluster.share(client, params.pop("background", None))
        n_chunks = min(math.ceil(len(X) / min_rows), 4 * cluster.n_workers(client))
        size = math.ceil(len(X) / n_chunks)
        parts: dict[int, object] = {}
        args = ((shipped[key], X.iloc[s:s + size], spec.name, seed, params, background)
                for s in range(0, len(X), size))
        cluster.run_tasks(client, explain_rows, args, parts.__setitem__, label=f"explain-{spec.name}",
                          progress=False)
        return _stitch([parts[i] for i in range(len(parts))], key)

    return explain_spread


@contextmanager
def explanations_on(client, min_rows: int = MIN_ROWS) -> Iterator[None]:
    """Within the block, every registered method computes large requests on ``client`` (None: no change)."""
    from risklens.explain import all_methods, method, register

    if client is None:
        yield
        return
    originals = [method(name) for name in all_methods()]
    shipped: dict = {}
    try:
        for spec in originals:
            register(dataclasses.replace(spec, explain=_on_cluster(spec, client, int(min_rows), shipped)))
        yield
    finally:
        for spec in originals:
            register(spec)
