"""The evaluation protocol with its explanations computed on a Dask cluster: :class:`DaskExecutor`.

``run_protocol(cohort, settings, executor=DaskExecutor(client))`` hands every prepared explanation call
(:func:`risklens.explain.prepare`) to the executor instead of running it in this process. The executor cuts
the rows into chunks, explains each chunk on the cluster with the model shipped as its files' bytes and the
method's :class:`~risklens.explain.MethodSpec` sent with the task, and stitches the chunks back in order.
Nothing process-wide changes (the method registry is never touched), so two sessions can run side by side.
Because every batch-independent method's randomness is keyed by row id (LIME, SHAP on the MLP) or absent,
and the call carries its background explicitly (:func:`~risklens.explain.prepare` decides it once), the
stitched explanation equals the in-process one. Small requests (fewer than ``2 * min_rows`` rows, e.g. the
protocol's robustness probes) and methods whose rows depend on each other run in this process.
"""

from __future__ import annotations

import math

import numpy as np

from risklens.errors import RiskLensError
from risklens.scale import cluster
from risklens.scale.jobs import explain_rows
from risklens.scale.shipping import files_of_model

MIN_ROWS = 100


def _stitch(parts: list, model_id: str, spec):
    from risklens.explain import Explanation, ExplainError

    first = parts[0]
    same = {k: v for k, v in first.metadata().items() if k not in ("n", "params")}
    if any({k: v for k, v in p.metadata().items() if k not in ("n", "params")} != same for p in parts):
        raise RiskLensError("explanation chunks disagree on their features or output; rerun without --scheduler")
    try:
        params = spec.merged_params([p.params for p in parts])
    except ExplainError as exc:
        raise RiskLensError(f"{exc}; rerun without --scheduler") from None
    return Explanation(values=np.vstack([p.values for p in parts]),
                       base_values=np.concatenate([p.base_values for p in parts]),
                       data=np.vstack([p.data for p in parts]), feature_names=first.feature_names,
                       method=first.method, model_id=model_id, output=first.output,
                       ids=np.concatenate([p.ids for p in parts]), params=params,
                       stderr=None if any(p.stderr is None for p in parts) else np.vstack([p.stderr for p in parts]))


class DaskExecutor:
    """Runs prepared explanation calls of at least ``2 * min_rows`` rows on ``client``'s workers, chunk by chunk."""

    def __init__(self, client, min_rows: int = MIN_ROWS) -> None:
        self.client = client
        self.min_rows = int(min_rows)
        self._shipped: dict = {}  # model fingerprint -> its files, sent to the cluster once

    def explain(self, call):
        from risklens.explain._common import model_fingerprint

        if self.client is None or len(call.X) < 2 * self.min_rows or not call.spec.batch_independent:
            return call.run()
        key = model_fingerprint(call.model)
        if key not in self._shipped:
            self._shipped[key] = cluster.share(self.client, files_of_model(call.model))
        background = cluster.share(self.client, call.background)
        n_chunks = min(math.ceil(len(call.X) / self.min_rows), 4 * cluster.n_workers(self.client))
        size = math.ceil(len(call.X) / n_chunks)
        parts: dict[int, object] = {}
        args = ((self._shipped[key], call.X.iloc[s:s + size], call.spec, call.seed, call.params, background)
                for s in range(0, len(call.X), size))
        cluster.run_tasks(self.client, explain_rows, args, parts.__setitem__, label=f"explain-{call.method}",
                          progress=False)
        return _stitch([parts[i] for i in range(len(parts))], key, call.spec)
