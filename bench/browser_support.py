"""Shared by bench/bench_browser.py and tests/test_browser_patients.py: a Streamlit server on the demo and
Playwright helpers that wait, inside the page, for a patient's name and for the page to be fully drawn."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("RISKLENS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

#: the patient's name is on screen (a fresh h3, not a stale one from the previous run)
NAME_SHOWN = """(pid) => [...document.querySelectorAll('[data-testid="stMain"] h3')].some(
    e => e.innerText.trim() === 'Patient ' + pid && !e.closest('[data-stale="true"]'))"""
#: nothing stale, the script is not running, every plotly chart has drawn its SVG
DRAWN = """(min) => {
    if (document.querySelector('[data-testid="stMain"] [data-stale="true"]')) return false;
    if (document.querySelector('[data-testid="stStatusWidgetRunningIcon"], [data-testid="stSpinner"]')) return false;
    const charts = document.querySelectorAll('[data-testid="stMain"] [data-testid="stPlotlyChart"]');
    if (charts.length < min) return false;
    for (const c of charts) { if (!c.querySelector('.main-svg')) return false; }
    return true; }"""
FULLY_DRAWN = "([pid, min]) => (" + NAME_SHOWN + ")(pid) && (" + DRAWN + ")(min)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(home: Path, demo_n: int, timeout: float = 600.0, *, port: int | None = None,
                     env: dict | None = None, args: tuple = (), procs: list | None = None,
                     times: dict | None = None):
    """Serve app.py from this checkout as `make run` does (`python app.py`: the library's modules are imported
    before the server listens) with RISKLENS_HOME=home; yields the base URL.

    ``port`` (default: a free one), extra ``env`` variables and extra ``streamlit run`` ``args`` are for
    servers whose URL must be known before they start (an OIDC redirect) or that read other settings;
    ``procs`` (a list) receives the server's process (to measure its memory); ``times`` (a dict) receives
    ``"healthy"``, the seconds from the server's start until its health check answers."""
    port = port or free_port()
    env = dict(os.environ, RISKLENS_HOME=str(home), RISKLENS_DEMO_N=str(demo_n), PYTHONPATH=str(ROOT), **(env or {}))
    home.mkdir(parents=True, exist_ok=True)
    log = open(home / "server.log", "w")
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", *args],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    if procs is not None:
        procs.append(proc)
    try:
        deadline = time.time() + timeout
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read().strip() == b"ok":
                    if times is not None:
                        times["healthy"] = time.perf_counter() - start
                    break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("streamlit did not become healthy: " + (home / "server.log").read_text()[-2000:])
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def wait_drawn(pg, pid: str, min_charts: int = 1, timeout_ms: int = 120_000) -> None:
    pg.wait_for_function(FULLY_DRAWN, arg=[pid, min_charts], polling="raf", timeout=timeout_ms)


def shown_patient(pg) -> str:
    heads = [h.strip() for h in pg.locator('[data-testid="stMain"] h3').all_inner_texts()]
    return next((h[len("Patient "):] for h in heads if h.startswith("Patient ")), "")


def dropdown_options(pg, limit: int = 40) -> list[str]:
    """Ids offered by the Patient dropdown, in order (opens it, scrolls its virtual list, closes it)."""
    box = pg.locator('[data-testid="stSelectbox"]').filter(has_text="Patient (").first
    box.click()
    pg.wait_for_selector('[role="option"]', timeout=10_000)
    seen: list[str] = []
    for _ in range(20):
        for o in pg.locator('[role="option"]').all_inner_texts():
            if o.strip() not in seen:
                seen.append(o.strip())
        if len(seen) >= limit:
            break
        pg.locator('[role="listbox"]').first.hover()
        pg.mouse.wheel(0, 250)
        pg.wait_for_timeout(150)
    pg.keyboard.press("Escape")
    return seen[:limit]


def pick_in_dropdown(pg, pid: str) -> tuple[float, float]:
    """Choose ``pid`` in the Patient dropdown; seconds until its name is shown and until fully drawn."""
    box = pg.locator('[data-testid="stSelectbox"]').filter(has_text="Patient (").first
    box.click()
    pg.keyboard.type(pid)
    pg.locator('[role="option"]', has_text=pid).first.wait_for(timeout=10_000)
    t0 = time.perf_counter()
    pg.keyboard.press("Enter")
    pg.wait_for_function(NAME_SHOWN, arg=pid, polling="raf", timeout=60_000)
    t1 = time.perf_counter()
    wait_drawn(pg, pid)
    return t1 - t0, time.perf_counter() - t0


def click_worklist_row(pg, row: int) -> None:
    """Click the selection cell of worklist row ``row`` (0-based) of the glide-data-grid canvas."""
    grid = pg.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    pg.mouse.click(box["x"] + 14, box["y"] + 35 + 35 * row + 17)
