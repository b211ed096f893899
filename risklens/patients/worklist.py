"""A worklist served from Parquet: paging, filters and search of a scored cohort of any size, as SQL (DuckDB).

A *scored cohort* is a RiskLens partitioned folder whose rows carry the model's ``risk`` (and ``alert``) beside the
patient's raw columns, written by ``risklens score --cohort ward --n N --model DIR --out DIR``
(:func:`risklens.scale.simulate.write_simulated`); its manifest names the scoring model (``model_id``,
``threshold``). :class:`ScoredWorklist` answers the Patients page's questions without loading the table:

- :meth:`page`: how many patients match the filters, and one page of them by descending risk (id, risk,
  outcome, trigger). From the moment the folder is opened, a background thread builds a narrow ranked copy of
  those four columns inside DuckDB (its rank by risk and the file each row lives in, ~90 bytes a patient);
  until it is ready, pages come straight from the Parquet files (DuckDB reads only those columns and keeps a
  top-N heap), afterwards from the ranked copy (a range of ranks: milliseconds). The answers are the same;
- :meth:`row`: one patient's whole row (the only row ever loaded for explaining), read from the one Parquet
  file that holds it once the ranked copy knows which, else found through the files' id statistics;
- :meth:`percentile` / :meth:`counts`: from the risk column alone, read once (8 bytes per patient).

Filter values are bound as query parameters, never joined into the SQL text.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from risklens.errors import RiskLensError
from risklens.scale import dataset

LIST_COLUMNS = ("id", "risk", "outcome", "trigger")
NEEDED = ("id", "risk", "outcome")


@dataclass(frozen=True)
class WorklistFilters:
    """What the worklist's controls ask for (the same words as :meth:`PatientIndex.mask`)."""

    above_only: bool = False
    outcome: str = "any"  # "any", "event", "no event"
    trigger: str = "any"
    search: str = ""


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


class ScoredWorklist:
    """The scored cohort in ``folder``; one read-only DuckDB connection, a cursor per query (thread-safe)."""

    def __init__(self, folder) -> None:
        import duckdb

        self.folder = Path(folder)
        manifest = dataset.read_manifest(self.folder)
        self.meta = manifest.get("meta", {})
        self.columns = list(manifest["columns"])
        missing = [c for c in NEEDED if c not in self.columns]
        if missing:
            raise RiskLensError(f"{self.folder.name} is not a scored cohort: it has no {', '.join(missing)} column "
                                "(write one with `risklens score --cohort ward --n N --model DIR --out DIR`)")
        if not self.meta.get("model_id"):
            raise RiskLensError(f"{self.folder.name} does not name the model that scored it (no model_id in its "
                                f"manifest); write it with `risklens score --cohort ... --model DIR`")
        self.n = int(manifest["rows"])
        self.has_trigger = "trigger" in self.columns
        paths = ", ".join(_quoted(p) for p in dataset.part_paths(self.folder))
        self._con = duckdb.connect(":memory:", config={"threads": 2})
        self._con.execute("SET enable_progress_bar = false")
        self._con.execute(f"CREATE VIEW scored AS SELECT * FROM read_parquet([{paths}])")
        self._lock = threading.Lock()
        self._sorted_risk: np.ndarray | None = None
        self._events: int | None = None
        self._triggers: list[str] | None = None
        self._ranked = threading.Event()
        self._builder = threading.Thread(target=self._build_ranked, name="worklist-rank", daemon=True)
        self._builder.start()

    def _build_ranked(self) -> None:
        cols = ", ".join(c for c in LIST_COLUMNS if c in self.columns)
        paths = ", ".join(_quoted(p) for p in dataset.part_paths(self.folder))
        cur = self._con.cursor()
        try:
            cur.execute(f"CREATE TABLE ranked AS SELECT {cols}, lower(id) AS id_lc, filename, "
                        f"row_number() OVER (ORDER BY risk DESC, id) "
                        f"AS rank FROM read_parquet([{paths}], filename = true) ORDER BY rank")
            self._ranked.set()
        except Exception:  # the Parquet path keeps answering; nothing is lost but speed
            pass
        finally:
            cur.close()

    def wait_ranked(self, timeout: float | None = None) -> bool:
        """Block until the ranked copy is ready (tests, benchmarks); True when it is."""
        return self._ranked.wait(timeout)

    @property
    def model_id(self) -> str:
        return str(self.meta["model_id"])

    @property
    def key(self) -> str:
        """A cache key of this folder's content: model, rows and the manifest's seed."""
        return f"{self.model_id}-{self.n}-{self.meta.get('seed', '')}-{self.folder.name}"

    def _query(self, sql: str, params=()) -> pd.DataFrame:
        cur = self._con.cursor()
        try:
            return cur.execute(sql, list(params)).df()
        finally:
            cur.close()

    # ---- the list --------------------------------------------------------------------------------------
    def _where(self, threshold: float, f: WorklistFilters, ranked: bool) -> tuple[str, list]:
        clauses, params = [], []
        if f.above_only:
            clauses.append("risk >= ?")
            params.append(float(threshold))
        if f.outcome == "event":
            clauses.append("outcome = 1")
        elif f.outcome == "no event":
            clauses.append("outcome = 0")
        if f.trigger != "any" and self.has_trigger:
            clauses.append("trigger = ?")
            params.append(str(f.trigger))
        if f.search.strip():
            clauses.append("contains(id_lc, ?)" if ranked else "contains(lower(id), ?)")
            params.append(f.search.strip().lower())
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def page(self, threshold: float, filters: WorklistFilters, page: int, page_size: int) -> tuple[int, pd.DataFrame]:
        """(matching patients, the rows of 1-based ``page`` clipped to the last page: id, risk, outcome, trigger)."""
        ranked = self._ranked.is_set()  # read once: the ranked copy may become ready mid-call
        where, params = self._where(threshold, filters, ranked)
        table = "ranked" if ranked else "scored"
        n = int(self._query(f"SELECT count(*) AS n FROM {table}{where}", params)["n"].iloc[0])
        pages = max(1, -(-n // max(int(page_size), 1)))
        p = min(max(int(page), 1), pages)
        cols = ", ".join(c for c in LIST_COLUMNS if c in self.columns)
        start = (p - 1) * int(page_size)
        stop = min(start + int(page_size), n)
        if ranked:
            if not where:  # every patient: a range of ranks
                rows = self._query(f"SELECT {cols} FROM ranked WHERE rank > ? AND rank <= ? ORDER BY rank",
                                   [start, stop])
            else:
                rows = self._query(f"SELECT {cols} FROM ranked{where} ORDER BY rank LIMIT ? OFFSET ?",
                                   [*params, stop - start, start])
        elif start <= n // 2:
            rows = self._query(f"SELECT {cols} FROM scored{where} ORDER BY risk DESC, id LIMIT ? OFFSET ?",
                               [*params, stop - start, start])
        else:  # a page in the lower half: counted from the end (a smaller top-N heap), then turned round
            rows = self._query(f"SELECT {cols} FROM scored{where} ORDER BY risk ASC, id DESC LIMIT ? OFFSET ?",
                               [*params, stop - start, n - stop]).iloc[::-1].reset_index(drop=True)
        rows["id"] = rows["id"].astype(str)
        return n, rows

    def has(self, patient_id: str) -> bool:
        table = "ranked" if self._ranked.is_set() else "scored"
        return len(self._query(f"SELECT 1 FROM {table} WHERE id = ? LIMIT 1", [str(patient_id)])) > 0

    def row(self, patient_id: str) -> pd.DataFrame:
        """The patient's whole row (raw columns, risk, alert ...), indexed by id."""
        source = "scored"
        if self._ranked.is_set():
            where = self._query("SELECT filename FROM ranked WHERE id = ? LIMIT 1", [str(patient_id)])
            if len(where):  # the file is one of the manifest's parts (the ranked copy was read from them)
                source = f"read_parquet({_quoted(Path(where['filename'].iloc[0]))})"
        got = self._query(f"SELECT * FROM {source} WHERE id = ? LIMIT 2", [str(patient_id)])
        if len(got) != 1:
            raise RiskLensError(f"no patient with id {patient_id!r} in the scored cohort; pick one from the worklist")
        return got.set_index(pd.Index([str(patient_id)]))

    # ---- whole-cohort facts (the risk column, read once) ------------------------------------------------
    def sorted_risk(self) -> np.ndarray:
        with self._lock:
            if self._sorted_risk is None:
                risk = self._query("SELECT risk FROM scored")["risk"].to_numpy(dtype=np.float64)
                self._sorted_risk = np.sort(risk)
            return self._sorted_risk

    def percentile(self, risk: float) -> float:
        """Share of the cohort's patients with a lower predicted risk (0..100), as :meth:`PatientIndex.percentile`."""
        s = self.sorted_risk()
        return 100.0 * np.searchsorted(s, risk, side="left") / max(len(s), 1)

    def counts(self, threshold: float) -> dict:
        s = self.sorted_risk()
        if self._events is None:
            self._events = int(self._query("SELECT coalesce(sum(outcome), 0) AS e FROM scored")["e"].iloc[0])
        return {"patients": self.n, "alerts": int(len(s) - np.searchsorted(s, threshold, side="left")),
                "events": self._events}

    def trigger_options(self) -> list[str]:
        """'any' and the recorded trigger groups present in the cohort (read once)."""
        if not self.has_trigger:
            return ["any"]
        with self._lock:
            if self._triggers is None:
                got = self._query("SELECT DISTINCT trigger FROM scored WHERE trigger IS NOT NULL AND trigger <> '' "
                                  "ORDER BY trigger")
                self._triggers = ["any"] + [str(t) for t in got["trigger"]]
            return list(self._triggers)


def open_worklist(folder) -> ScoredWorklist:
    """:class:`ScoredWorklist` of ``folder`` with a clear message when it is missing or not a scored cohort."""
    path = Path(folder)
    if not path.is_dir():
        raise RiskLensError(f"the scored worklist folder {path} does not exist; write it with "
                            "`risklens score --cohort ward --n N --model DIR --out DIR`")
    return ScoredWorklist(path)
