"""The stay view and the waterfall by concept in headless Chromium, on a demo of stays: the deep link
?patient=STAY&t=H, dropdown switches within the Patients page's speed target, screenshots for the README.

Run: python -m pytest tests/test_browser_stays.py -m browser -q   (needs /usr/bin/chromium)
"""

from __future__ import annotations

import statistics
import sys
import urllib.parse
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from browser_support import (CHROMIUM, DRAWN, dropdown_options, launch, pick_in_dropdown,  # noqa: E402
                             shown_patient, streamlit_server, wait_drawn)

SHOTS = ROOT / "docs" / "screenshots"
DEMO_N = 3000  # 500 stays, about 3,000 windows


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    pytest.importorskip("playwright.sync_api")
    with streamlit_server(tmp_path_factory.mktemp("browser_stays"), DEMO_N, env={"RISKLENS_DEMO_STAYS": "1"}) as url:
        yield url


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def open_patients(pg, url: str, query: str = "") -> str:
    pg.goto(f"{url}/patients{query}", wait_until="domcontentloaded")
    pg.wait_for_selector('[data-testid="stMain"] h3:has-text("Patient ")', timeout=600_000)
    for _ in range(3):
        pg.wait_for_timeout(700)
        pg.wait_for_function(DRAWN, arg=1, polling="raf", timeout=240_000)
    pid = shown_patient(pg)
    wait_drawn(pg, pid, min_charts=2, timeout_ms=240_000)
    return pid


def switch_times(pg, pids) -> list[float]:
    out = []
    for pid in pids:
        _, t = pick_in_dropdown(pg, pid)
        assert shown_patient(pg) == pid
        out.append(t)
    return out


def test_stay_link_switches_and_screenshots(server, browser):
    pg = browser.new_page(viewport={"width": 1400, "height": 1000})
    open_patients(pg, server)
    ids = dropdown_options(pg, limit=14)
    later = [i for i in ids if not i.endswith("-h000")]
    target = later[0]
    stay, hours = target.rsplit("-h", 1)
    pg.close()
    pg = browser.new_page(viewport={"width": 1400, "height": 1000})
    assert open_patients(pg, server, f"?patient={urllib.parse.quote(stay)}&t={int(hours)}") == target
    assert f"t={int(hours)}" in pg.url
    text = pg.inner_text('[data-testid="stMain"]')
    assert "The stay, window by window" in text and "Risk through the stay" in text
    assert "What changed since the previous window" in text
    others = [i for i in ids if i != target]
    drawn = switch_times(pg, others[:6])
    pg.get_by_text("Show the stay, window by window").first.click()  # the same page without the stay view
    pg.wait_for_timeout(500)
    pg.wait_for_function(DRAWN, arg=1, polling="raf", timeout=120_000)
    without = switch_times(pg, others[6:12])
    pg.get_by_text("Show the stay, window by window").first.click()
    pg.wait_for_timeout(500)
    pg.wait_for_function(DRAWN, arg=2, polling="raf", timeout=120_000)
    pick_in_dropdown(pg, target)
    pg.get_by_text("Show the stay, window by window").first.scroll_into_view_if_needed()
    pg.mouse.wheel(0, 350)
    pg.wait_for_timeout(500)
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / "stay_view.png"))
    # the waterfall by concept, one concept expanded
    pg.get_by_text("By clinical concept").first.click()
    pg.wait_for_timeout(500)
    pg.wait_for_function(DRAWN, arg=2, polling="raf", timeout=120_000)
    box = pg.locator('[data-testid="stMultiSelect"]').filter(has_text="Expand a concept").first
    box.click()
    pg.locator('[role="option"]').first.click()
    pg.keyboard.press("Escape")
    pg.mouse.click(5, 5)  # close the menu
    pg.wait_for_timeout(500)
    pg.wait_for_function(DRAWN, arg=2, polling="raf", timeout=120_000)
    assert pg.locator('[data-testid="stPlotlyChart"] svg text', has_text="·").count() >= 2  # the concept's features
    pg.get_by_text("By clinical concept").first.scroll_into_view_if_needed()
    pg.wait_for_timeout(300)
    pg.screenshot(path=str(SHOTS / "concept_waterfall.png"))
    pg.close()
    on, off = statistics.median(drawn), statistics.median(without)
    print(f"stays demo: dropdown switch fully drawn, median {on:.2f} s with the stay view, {off:.2f} s without it")
    # the target is 1 s on an idle machine; on a shared one, a bound on what the stay view adds to a switch
    assert on <= max(1.0, off + 1.5)
