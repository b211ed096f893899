"""The Patients page as a person feels it: headless Chromium against `streamlit run app.py` on the demo.

Prints, for dropdown switches between patients: time until the new patient's name is shown and until
the page is fully drawn (no stale element, script idle, every chart drawn) -- median and p95; a deep
link opened in a new tab; and a repeat visit of the Cohort explanations page. Targets (20k demo): name
<= 0.3 s median, drawn <= 1 s median and <= 1.5 s p95, deep link <= 3 s, explanations repeat <= 1 s.
Ratios are against a reference measured in the same run: loading the bare Home page.

    python bench/bench_browser.py [--n 20000] [--switches 15] [--home DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser_support import (dropdown_options, launch, pick_in_dropdown, streamlit_server,  # noqa: E402
                             wait_drawn, DRAWN)

TARGETS = {"name": 0.3, "drawn": 1.0, "drawn_p95": 1.5, "deep": 3.0, "expl": 1.0}


def p95(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]


def settle(pg, selector: str, timeout_ms: int = 600_000, min_charts: int = 0) -> None:
    pg.wait_for_selector(selector, timeout=timeout_ms)
    pg.wait_for_function(DRAWN, arg=min_charts, polling="raf", timeout=timeout_ms)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--switches", type=int, default=15)
    ap.add_argument("--deep", type=int, default=5)
    ap.add_argument("--home", type=Path, default=None, help="RISKLENS_HOME to reuse (trained demo, stored explanations)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    home = args.home or Path(tempfile.mkdtemp(prefix="risklens_bench_browser_"))
    with streamlit_server(home, args.n) as url, sync_playwright() as p:
        browser = launch(p)
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = ctx.new_page()
        t = time.perf_counter()
        pg.goto(f"{url}/patients", wait_until="domcontentloaded")
        pg.wait_for_selector('[data-testid="stMain"] h3:has-text("Patient ")', timeout=900_000)
        settle(pg, '[data-testid="stMain"] h1', min_charts=1)
        print(f"first visit (demo training and explaining included): {time.perf_counter() - t:.1f} s")
        ids = dropdown_options(pg, limit=args.switches + 5)[1: args.switches + 1]
        name, drawn = [], []
        for pid in ids:
            a, b = pick_in_dropdown(pg, pid)
            name.append(a)
            drawn.append(b)
        ref = []
        for _ in range(3):
            t = time.perf_counter()
            pg.goto(url, wait_until="domcontentloaded")
            settle(pg, '[data-testid="stMain"] h1:has-text("RiskLens")')
            ref.append(time.perf_counter() - t)
        deep = []
        for pid in ids[: args.deep]:  # a new tab of the same browser (shared HTTP cache), a new session
            tab = ctx.new_page()
            t = time.perf_counter()
            tab.goto(f"{url}/patients?patient={pid}", wait_until="domcontentloaded")
            wait_drawn(tab, pid, timeout_ms=120_000)
            deep.append(time.perf_counter() - t)
            tab.close()
        nav = pg.locator('[data-testid="stSidebarNav"] a')
        nav.filter(has_text="Cohort explanations").first.click()
        settle(pg, '[data-testid="stMain"] h1:has-text("Cohort explanations")', min_charts=1)
        expl = []
        for _ in range(3):
            nav.filter(has_text="Patients").first.click()
            pg.wait_for_selector('[data-testid="stMain"] h3:has-text("Patient ")', timeout=120_000)
            settle(pg, '[data-testid="stMain"] h1:has-text("Patients")', min_charts=1)
            t = time.perf_counter()
            nav.filter(has_text="Cohort explanations").first.click()
            settle(pg, '[data-testid="stMain"] h1:has-text("Cohort explanations")', min_charts=1)
            expl.append(time.perf_counter() - t)
        browser.close()
    r = statistics.median(ref)
    rows = [("switch: name shown, median", statistics.median(name), TARGETS["name"]),
            ("switch: fully drawn, median", statistics.median(drawn), TARGETS["drawn"]),
            ("switch: fully drawn, p95", p95(drawn), TARGETS["drawn_p95"]),
            ("deep link in a new tab, median", statistics.median(deep), TARGETS["deep"]),
            ("Cohort explanations repeat visit, median", statistics.median(expl), TARGETS["expl"])]
    print(f"{args.n:,}-row demo, {len(ids)} dropdown switches, {len(deep)} deep links; reference: Home page load "
          f"{r:.3f} s (median of 3)")
    print(f"{'measure':44s} {'seconds':>8s} {'target':>7s} {'x Home':>7s}  ok")
    for label, v, target in rows:
        print(f"{label:44s} {v:8.3f} {target:7.2f} {v / r:7.2f}  {'yes' if v <= target else 'NO'}")
    print("switch name shown (s): " + " ".join(f"{x:.2f}" for x in name))
    print("switch fully drawn (s): " + " ".join(f"{x:.2f}" for x in drawn))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
