"""Concurrent writers never leave a torn or mismatched file.

- The explanation store: two threads, then two processes, store different explanations under the same
  key many rounds while a reader reads; every read is either nothing or one whole writer's pair
  (Parquet + sidecar JSON describing that very file).
- CLI outputs: two ``risklens explain --out same.csv`` at once, 10 rounds; the file is always one whole
  run's output and its sidecar is whole JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from risklens.explain import Explanation, ExplanationStore

ROOT = Path(__file__).resolve().parents[1]
KEY = "k" * 32
ROUNDS = 60


def _expl(writer: int, n: int = 400, f: int = 30) -> Explanation:
    """A writer's explanation: every value equals the writer's number, so a mix of writers shows."""
    return Explanation(values=np.full((n, f), float(writer)), base_values=np.full(n, float(writer)),
                       data=np.zeros((n, f)), feature_names=[f"x{j}" for j in range(f)], method="shap",
                       model_id=f"model-{writer}", output="log-odds", params={"writer": writer})


def _check_entry(store: ExplanationStore) -> int | None:
    """The writer of the stored pair (None if nothing stored); fails on a torn or mismatched pair."""
    got = store.get("shap", KEY)  # a pair whose sidecar does not describe the Parquet file is refused (None)
    if got is None:
        return None
    writer = int(got.values[0, 0])
    assert np.all(got.values == writer) and np.all(got.base_values == writer), "torn explanation"
    assert got.model_id == f"model-{writer}" and got.params["writer"] == writer
    return writer


def _final_pair_is_consistent(store: ExplanationStore) -> int:
    parquet, meta = store._paths("shap", KEY)
    described = json.loads(meta.read_text())
    assert described["parquet_sha256"] == hashlib.sha256(parquet.read_bytes()).hexdigest(), "sidecar of another run"
    writer = _check_entry(store)
    assert writer is not None and described["writer"] == writer and described["explanation"]["model_id"] == f"model-{writer}"
    assert not [p for p in parquet.parent.iterdir() if p.name.endswith(".tmp")], "temporary files left behind"
    return writer


def test_two_threads_store_the_same_key(tmp_path):
    store = ExplanationStore(tmp_path)
    errors: list[BaseException] = []
    stop = threading.Event()

    def write(writer: int) -> None:
        try:
            e = _expl(writer)
            for _ in range(ROUNDS):
                store.put("shap", KEY, e, {"writer": writer})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def read() -> None:
        seen = 0
        while not stop.is_set():
            try:
                _check_entry(store)
                seen += 1
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
                return

    threads = [threading.Thread(target=write, args=(w,)) for w in (1, 2)]
    reader = threading.Thread(target=read)
    reader.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    reader.join()
    assert not errors, errors[:3]
    assert _final_pair_is_consistent(store) in (1, 2)


_WRITER = """
import sys
import numpy as np
sys.path.insert(0, sys.argv[4])
from test_races import _expl, KEY
from risklens.explain import ExplanationStore
store, writer = ExplanationStore(sys.argv[1]), int(sys.argv[2])
e = _expl(writer)
for _ in range(int(sys.argv[3])):
    store.put("shap", KEY, e, {"writer": writer})
"""


def test_two_processes_store_the_same_key(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path), str(w), str(ROUNDS), str(ROOT / "tests")],
                              env=env) for w in (1, 2)]
    store, reads = ExplanationStore(tmp_path), 0
    while any(p.poll() is None for p in procs):
        _check_entry(store)
        reads += 1
    assert [p.returncode for p in procs] == [0, 0]
    assert _final_pair_is_consistent(store) in (1, 2)
    assert reads > 0


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    from risklens.modeling import save_model
    from test_explain_fixtures import cohort, model

    root = tmp_path_factory.mktemp("race_cli")
    save_model(model("l1-logistic"), root / "l1")
    X, _ = cohort()
    X.iloc[:400].reset_index().to_csv(root / "rows.csv", index=False)
    return root


@pytest.mark.slow
def test_two_cli_explains_to_the_same_file(saved_model):
    root = saved_model
    out = root / "same.csv"
    env = dict(os.environ, PYTHONPATH=str(ROOT), RISKLENS_AUDIT_URL=f"sqlite:///{root / 'audit.sqlite'}")
    runs = {1: 150, 2: 400}  # seed -> rows: the two runs' outputs differ in length and in the seed column
    for _ in range(10):
        procs = {seed: subprocess.Popen(
            [sys.executable, "-m", "risklens", "explain", "--model", str(root / "l1"), "--data", str(root / "rows.csv"),
             "--id", "id", "--method", "coef", "--rows", str(rows), "--seed", str(seed), "--out", str(out)],
            env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for seed, rows in runs.items()}
        for p in procs.values():
            assert p.wait(120) == 0, p.stderr.read().decode()[-500:]
        frame = pd.read_csv(out)
        seeds = set(frame["seed"])
        assert len(seeds) == 1, "rows of two runs in one file"
        assert len(frame) == runs[seeds.pop()], "a truncated file"
        json.loads((root / "same.csv.json").read_text())  # whole JSON
        assert not list(root.glob(".same.csv*.tmp"))
