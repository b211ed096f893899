"""The Patients page as a person feels it: headless Chromium against `python app.py` (what `make run` starts).

Prints, for dropdown switches between patients: time until the new patient's name is shown and until
the page is fully drawn (no stale element, script idle, every chart drawn) -- median and p95; the server's start
until it is healthy (the library's modules are imported before it listens); the first Patients page of a freshly
started server (timed from healthy) and of a new session; worklist page turns and searches; a deep
link opened in a new tab; a repeat visit of the Cohort explanations page; and the server's memory (RSS).
Targets: name <= 0.3 s median, drawn <= 1 s median and <= 1.5 s p95, first page <= 5 s, deep link <= 3 s,
explanations repeat <= 1 s. Ratios are against a reference measured in the same run: loading the bare Home page.

``--n`` up to 100,000 is the size of the demo cohort whose held-out patients the page lists (in memory).
A larger ``--n`` is a scored cohort of that size (``risklens score --cohort ward --n N --model <demo XGBoost>``,
written once into the home's data/ folder and reused) served from Parquet (RISKLENS_WORKLIST) beside the
20,000-row demo; both are measured and printed side by side.

``--stays`` serves the demo made of stays (RISKLENS_DEMO_STAYS=1: about n / 6 admissions, each a window every
4 hours), whose Patients page also draws the stay view.

    python bench/bench_browser.py [--n 20000 | --n 1000000] [--stays] [--switches 15] [--home DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser_support import (ROOT, dropdown_options, launch, pick_in_dropdown, streamlit_server,  # noqa: E402
                             wait_drawn, DRAWN)

TARGETS = {"name": 0.3, "drawn": 1.0, "drawn_p95": 1.5, "first": 5.0, "deep": 3.0, "expl": 1.0}
DEMO_N, SCORED_FROM = 20_000, 100_000
MAIN = '[data-testid="stMain"]'


def p95(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]


def settle(pg, selector: str, timeout_ms: int = 600_000, min_charts: int = 0) -> None:
    pg.wait_for_selector(selector, timeout=timeout_ms)
    pg.wait_for_function(DRAWN, arg=min_charts, polling="raf", timeout=timeout_ms)


def patients_drawn(pg, timeout_ms: int = 900_000) -> None:
    pg.wait_for_selector(f'{MAIN} h3:has-text("Patient ")', timeout=timeout_ms)
    settle(pg, f'{MAIN} h1:has-text("Patients")', timeout_ms, min_charts=1)


def caption_then_drawn(pg, text: str, not_start: str = "\u0000") -> None:
    """Wait until a fresh caption contains ``text`` and does not start with ``not_start``, then until drawn."""
    pg.wait_for_function("""([t, bad]) => [...document.querySelectorAll('[data-testid="stCaptionContainer"]')].some(
        e => e.innerText.includes(t) && !e.innerText.startsWith(bad) && !e.closest('[data-stale="true"]'))""",
                         arg=[text, not_start], polling="raf", timeout=120_000)
    pg.wait_for_function(DRAWN, arg=1, polling="raf", timeout=120_000)


def rss_mb(proc) -> float:
    import psutil

    p = psutil.Process(proc.pid)
    return sum(q.memory_info().rss for q in [p, *p.children(recursive=True)]) / 2**20


def stays_env(stays: bool) -> dict:
    return {"RISKLENS_DEMO_STAYS": "1"} if stays else {}


def ensure_models(home: Path, stays: bool = False) -> None:
    """Train the 20,000-row demo's models once (outside the measured runs)."""
    env = dict(os.environ, RISKLENS_HOME=str(home), RISKLENS_DEMO_N=str(DEMO_N), PYTHONPATH=str(ROOT),
               **stays_env(stays))
    subprocess.run([sys.executable, "-c", "from risklens.demo import ensure_demo; ensure_demo()"], env=env, check=True,
                   cwd=ROOT)


def ensure_scored(home: Path, n: int) -> Path:
    """The n-row scored ward cohort in <home>/data/ward-<n>, written once by `risklens score --cohort`."""
    out = home / "data" / f"ward-{n}"
    if not (out / "_manifest.json").is_file():
        model = home / "models" / f"demo-ward-{DEMO_N}-xgboost-s0"
        env = dict(os.environ, RISKLENS_HOME=str(home), PYTHONPATH=str(ROOT))
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "risklens", "score", "--cohort", "ward", "--n", str(n), "--seed", "1",
                        "--model", str(model), "--out", str(out)], env=env, check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
        print(f"wrote the {n:,}-row scored cohort in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return out


def measure(home: Path, demo_n: int, worklist: Path | None, args) -> dict:
    from playwright.sync_api import sync_playwright

    env = {"RISKLENS_WORKLIST": str(worklist)} if worklist else {}
    env.update(stays_env(getattr(args, "stays", False)))
    procs: list = []
    out: dict = {}
    with streamlit_server(home, demo_n, env=env, procs=procs, times=out) as url, sync_playwright() as p:
        browser = launch(p)
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = ctx.new_page()
        t = time.perf_counter()
        pg.goto(f"{url}/patients", wait_until="domcontentloaded")
        patients_drawn(pg)
        out["first"] = time.perf_counter() - t
        second = ctx.new_page()
        t = time.perf_counter()
        second.goto(f"{url}/patients", wait_until="domcontentloaded")
        patients_drawn(second)
        out["first_session"] = time.perf_counter() - t
        second.close()
        ids = dropdown_options(pg, limit=args.switches + 5)[1: args.switches + 1]
        name, drawn = [], []
        for pid in ids:
            a, b = pick_in_dropdown(pg, pid)
            name.append(a)
            drawn.append(b)
        out.update(name=statistics.median(name), drawn=statistics.median(drawn), drawn_p95=p95(drawn),
                   name_all=name, drawn_all=drawn)
        if worklist is not None:  # page turns (near, middle, far) and searches, each until drawn
            box = pg.locator('[data-testid="stNumberInput"]').filter(has_text="Page (of").locator("input").first
            turns = []
            for page in (2, 5000, 9999, 3):
                t = time.perf_counter()
                box.fill(str(page))
                box.press("Enter")
                caption_then_drawn(pg, f"showing {(page - 1) * 100 + 1:,}–")
                turns.append(time.perf_counter() - t)
            out["turn"] = statistics.median(turns)
            search = pg.locator('[data-testid="stTextInput"]').filter(has_text="Search by id").locator("input").first
            found = []
            everyone = f"{args.n:,} of "
            for pid in ids[:3]:
                t = time.perf_counter()
                search.fill(pid)
                search.press("Enter")
                caption_then_drawn(pg, "scored patients match", not_start=everyone)
                found.append(time.perf_counter() - t)
                search.fill("")
                search.press("Enter")
                caption_then_drawn(pg, everyone)
            out["search"] = statistics.median(found)
        ref = []
        for _ in range(3):
            t = time.perf_counter()
            pg.goto(url, wait_until="domcontentloaded")
            settle(pg, f'{MAIN} h1:has-text("RiskLens")')
            ref.append(time.perf_counter() - t)
        out["ref"] = statistics.median(ref)
        deep = []
        for pid in ids[: args.deep]:  # a new tab of the same browser (shared HTTP cache), a new session
            tab = ctx.new_page()
            t = time.perf_counter()
            tab.goto(f"{url}/patients?patient={pid}", wait_until="domcontentloaded")
            wait_drawn(tab, pid, timeout_ms=120_000)
            deep.append(time.perf_counter() - t)
            tab.close()
        out["deep"] = statistics.median(deep)
        nav = pg.locator('[data-testid="stSidebarNav"] a')
        nav.filter(has_text="Cohort explanations").first.click()
        settle(pg, f'{MAIN} h1:has-text("Cohort explanations")', min_charts=1)
        expl = []
        for _ in range(3):
            nav.filter(has_text="Patients").first.click()
            patients_drawn(pg, 120_000)
            t = time.perf_counter()
            nav.filter(has_text="Cohort explanations").first.click()
            settle(pg, f'{MAIN} h1:has-text("Cohort explanations")', min_charts=1)
            expl.append(time.perf_counter() - t)
        out["expl"] = statistics.median(expl)
        out["rss"] = rss_mb(procs[0])
        out["switches"], out["deeps"] = len(ids), len(deep)
        browser.close()
    return out


ROWS = [("server start until healthy (modules preloaded)", "healthy", None),
        ("first Patients page, fresh server", "first", "first"),
        ("first Patients page, new session", "first_session", "first"),
        ("switch: name shown, median", "name", "name"),
        ("switch: fully drawn, median", "drawn", "drawn"),
        ("switch: fully drawn, p95", "drawn_p95", "drawn_p95"),
        ("worklist page turn, median", "turn", None),
        ("search by id, median", "search", None),
        ("deep link in a new tab, median", "deep", "deep"),
        ("Cohort explanations repeat visit, median", "expl", "expl")]


def report(columns: list[tuple[str, dict]]) -> None:
    head = f"{'measure':42s} {'target':>7s}" + "".join(f" {name:>16s}" for name, _ in columns)
    print(head)
    for label, key, target in ROWS:
        cells = []
        for _, m in columns:
            v = m.get(key)
            ok = "" if v is None or target is None else (" ok" if v <= TARGETS[target] else " NO")
            cells.append(f" {'-' if v is None else f'{v:.3f} s':>13s}{ok:3s}")
        t = "" if target is None else f"{TARGETS[target]:.2f}"
        print(f"{label:42s} {t:>7s}" + "".join(cells))
    print(f"{'server RSS after the run':42s} {'':>7s}" + "".join(f" {m['rss']:>10.0f} MiB   " for _, m in columns))
    print(f"{'reference: Home page load, median':42s} {'':>7s}" + "".join(f" {m['ref']:>11.3f} s   " for _, m in columns))
    for name, m in columns:
        print(f"{name}: switch fully drawn (s): " + " ".join(f"{x:.2f}" for x in m["drawn_all"]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=DEMO_N, help=f"patients (above {SCORED_FROM:,}: a scored cohort served "
                    f"from Parquet, measured beside the {DEMO_N:,}-row demo)")
    ap.add_argument("--switches", type=int, default=15)
    ap.add_argument("--deep", type=int, default=5)
    ap.add_argument("--stays", action="store_true", help="the demo made of stays (RISKLENS_DEMO_STAYS=1); with "
                    f"--n up to {SCORED_FROM:,} only")
    ap.add_argument("--home", type=Path, default=None, help="RISKLENS_HOME to reuse (trained demo, stored explanations, "
                    "the scored cohort)")
    args = ap.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="risklens_bench_browser_"))
    if args.stays and args.n > SCORED_FROM:
        ap.error(f"--stays is the demo made of stays: --n up to {SCORED_FROM:,}")
    if args.n <= SCORED_FROM:
        if args.n == DEMO_N:
            ensure_models(home, args.stays)
        m = measure(home, args.n, None, args)
        kind = "stays demo (windows of stays" if args.stays else "demo (held-out patients"
        print(f"{args.n:,}-row {kind} in memory), {m['switches']} dropdown switches, {m['deeps']} deep links")
        report([(f"{args.n:,} {'stays' if args.stays else 'demo'}", m)])
        return 0
    ensure_models(home)
    scored = ensure_scored(home, args.n)
    small = measure(home, DEMO_N, None, args)
    big = measure(home, DEMO_N, scored, args)
    print(f"{DEMO_N:,}-row demo (held-out patients in memory) beside a {args.n:,}-row scored cohort (Parquet, "
          f"RISKLENS_WORKLIST); {big['switches']} dropdown switches, {big['deeps']} deep links each")
    report([(f"{DEMO_N:,} demo", small), (f"{args.n:,} scored", big)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
