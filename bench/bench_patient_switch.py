"""Server-side time to switch patients on the Patients page, on a 100,000-admission ward cohort.

What is timed per switch is what the page does on a rerun for a new patient once the cohort's
explanations are stored: the cached patient index lookup, the worklist, the patient view (risk in
context, SHAP row, LIME rows for 3 seeds from the cache, agreement, summary), the top-feature table,
the LIME note and building + JSON serialising the figures (waterfall, normal ranges; with ``--stays`` the stay's
timeline and its two figures too). Setup (simulate, train XGBoost, TreeSHAP on all held-out rows, LIME
for the visited patients) is timed separately and not part of a switch. ``--fresh-lime`` leaves LIME out of
the setup, so each switch explains its patient as a first visit on the page does; the median of each block
is printed.

    python bench/bench_patient_switch.py [--n 100000] [--patients 50] [--stays] [--fresh-lime]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
logging.getLogger("streamlit").setLevel(logging.ERROR)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--patients", type=int, default=50)
    ap.add_argument("--stays", action="store_true", help="a ward cohort of stays (n stays, ~6 windows each)")
    ap.add_argument("--fresh-lime", action="store_true", help="no LIME in the setup: every switch explains anew")
    args = ap.parse_args()
    os.environ.setdefault("RISKLENS_HOME", tempfile.mkdtemp(prefix="risklens_bench_"))
    for name in ("streamlit", "streamlit.runtime", "streamlit.runtime.caching"):
        logging.getLogger(name).setLevel(logging.ERROR)

    from risklens import plots
    from risklens.modeling import train_model
    from risklens.ui import cache
    from risklens.ui.patient_page import index_for, other_rows, view_for

    t0 = time.perf_counter()
    cohort = cache.builtin_cohort("ward", n=args.n, seed=0, stays=args.stays)
    t1 = time.perf_counter()
    model = train_model(cohort, "xgboost", seed=0)
    t2 = time.perf_counter()
    index = index_for(model, cohort, "shap")  # TreeSHAP on every held-out row, stored once
    t3 = time.perf_counter()
    rng = np.random.default_rng(0)
    visit = [str(i) for i in rng.choice(index.ids, size=args.patients, replace=False)]
    for pid in ([] if args.fresh_lime else visit):  # LIME (3 seeds) per visited patient, stored once
        other_rows(model, cohort, pid, "lime")
    t4 = time.perf_counter()
    print(f"cohort: {cohort.n:,} rows, {len(index):,} held-out patients, {len(model.feature_names)} features")
    print(f"setup: simulate {t1 - t0:.1f} s, train xgboost {t2 - t1:.1f} s, TreeSHAP held-out {t3 - t2:.1f} s, "
          f"LIME x3 seeds for {len(visit)} patients {t4 - t3:.1f} s")

    threshold = float(model.metrics["threshold"])
    d = cache.words_for(model, cohort)  # as the page: text columns read as words

    from risklens.ui.patient_page import PAGE_SIZE, lime_note, top_feature_table

    from risklens.cohorts.stays import has_stays
    from risklens.plots.stay import change_figure, stay_figure
    from risklens.ui import stay_view

    blocks: dict[str, list[float]] = {}

    def timed(name: str, fn):
        s = time.perf_counter()
        out = fn()
        blocks.setdefault(name, []).append(1000 * (time.perf_counter() - s))
        return out

    def switch(pid: str) -> None:
        idx = timed("patient index (cached)", lambda: index_for(model, cohort, "shap"))
        wl = timed("worklist page", lambda: idx.frame(idx.page(idx.matching(threshold), 1, PAGE_SIZE), threshold,
                                                      cohort.dictionary, cohort.outcome_name))
        timed("header view (SHAP row, summary)", lambda: view_for(model, cohort, idx, pid, threshold, None))
        v = timed("view with LIME x3 seeds", lambda: view_for(model, cohort, idx, pid, threshold, "lime",
                                                             stability=True))
        figs = timed("figures (waterfall, normal ranges)",
                     lambda: [plots.waterfall_figure(v.shown, d), plots.vitals_figure(v.shown, d)])
        js = timed("figures to JSON", lambda: [f.to_json() for f in figs if f is not None])
        blocks.setdefault("figure JSON (KB)", []).append(sum(len(j) for j in js) / 1024)
        timed("top-feature table + LIME note", lambda: (top_feature_table(v, d).to_dict(), lime_note(v, model, cohort)))
        timed("worklist to dict", wl.to_dict)  # the worklist page handed to st.dataframe
        if has_stays(cohort) and pid in cohort.extra.index:
            stay = str(cohort.extra.loc[pid, "stay"])
            tl = timed("stay timeline", lambda: stay_view._timeline(model.model_id, cohort.analysis_key, stay, v.method,
                                                                    threshold, model, cohort))
            timed("stay figures + JSON", lambda: [stay_figure(tl, pid).to_json(), change_figure(tl, pid).to_json()])

    switch(visit[0])  # warm-up
    blocks.clear()
    times = []
    for pid in visit:
        s = time.perf_counter()
        switch(pid)
        times.append(1000 * (time.perf_counter() - s))
    times = np.array(times)
    for name, xs in blocks.items():
        unit = "" if name.endswith("(KB)") else " ms"
        print(f"  {name:38s} median {np.median(xs):8.1f}{unit}")
    print(f"patient switch (server side, {len(times)} patients): median {np.median(times):.1f} ms, "
          f"p95 {np.percentile(times, 95):.1f} ms, max {times.max():.1f} ms (budget 300 ms)")
    return 0 if np.percentile(times, 95) < 300 else 1


if __name__ == "__main__":
    raise SystemExit(main())
