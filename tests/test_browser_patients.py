"""The Patients page in headless Chromium: selection by dropdown, row click and deep link, returning to the
page, the worklist reaching every patient, no raw names; screenshots of the page light and dark.

Run: python -m pytest tests/test_browser_patients.py -m browser -q   (needs /usr/bin/chromium)
"""

from __future__ import annotations

import re
import sys
import urllib.parse
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from browser_support import (CHROMIUM, DRAWN, click_worklist_row, dropdown_options, launch,  # noqa: E402
                             pick_in_dropdown, shown_patient, streamlit_server, wait_drawn)

SHOTS = ROOT / "docs" / "screenshots"
DEMO_N = 3000
NAV = ["Data", "Model", "Cohort explanations", "Patients", "Consistency", "Report"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    pytest.importorskip("playwright.sync_api")
    with streamlit_server(tmp_path_factory.mktemp("browser_patients"), DEMO_N) as url:
        yield url


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    pg = browser.new_page(viewport={"width": 1400, "height": 1000})
    yield pg
    pg.close()


def open_patients(pg, url: str, query: str = "") -> str:
    pg.goto(f"{url}/patients{query}", wait_until="domcontentloaded")
    pg.wait_for_selector('[data-testid="stMain"] h3:has-text("Patient ")', timeout=600_000)
    for _ in range(3):  # a first visit may pass through app.py and redraw: wait until it has settled
        pg.wait_for_timeout(700)
        pg.wait_for_function(DRAWN, arg=1, polling="raf", timeout=240_000)
    pid = shown_patient(pg)
    wait_drawn(pg, pid, timeout_ms=240_000)
    return pid


def worklist_label(pg) -> str:
    return pg.locator('[data-testid="stSelectbox"]').filter(has_text="Patient (").first.inner_text()


def test_a_dozen_dropdown_switches_each_land_on_the_chosen_patient(server, page):
    first = open_patients(page, server)
    ids = [i for i in dropdown_options(page, limit=20) if i != first][:12]
    assert len(ids) == 12
    for pid in ids:
        pick_in_dropdown(page, pid)
        assert shown_patient(page) == pid
        assert f"patient={urllib.parse.quote(pid)}" in page.url or f"patient={pid}" in page.url
    page.wait_for_timeout(1500)  # nothing snaps back afterwards
    assert shown_patient(page) == ids[-1]


def test_row_click_then_leaving_and_returning_keeps_the_patient(server, page):
    open_patients(page, server)
    ids = dropdown_options(page, limit=10)
    click_worklist_row(page, 4)
    page.wait_for_function(f"() => [...document.querySelectorAll('[data-testid=\"stMain\"] h3')]"
                           f".some(e => e.innerText.trim() === 'Patient {ids[4]}')", timeout=60_000)
    wait_drawn(page, ids[4])
    page.locator('[data-testid="stSidebarNav"] a', has_text="Home").first.click()
    page.wait_for_selector('[data-testid="stMain"] h1:has-text("RiskLens")', timeout=60_000)
    page.locator('[data-testid="stSidebarNav"] a', has_text="Patients").first.click()
    page.wait_for_selector('[data-testid="stMain"] h3:has-text("Patient ")', timeout=60_000)
    wait_drawn(page, ids[4])
    assert shown_patient(page) == ids[4]


def test_deep_links_in_a_new_tab_and_a_hostile_link(server, browser):
    tab = browser.new_page(viewport={"width": 1400, "height": 1000})
    first = open_patients(tab, server)
    ids = dropdown_options(tab, limit=10)
    tab.close()
    tab = browser.new_page(viewport={"width": 1400, "height": 1000})
    assert open_patients(tab, server, f"?patient={urllib.parse.quote(ids[7])}") == ids[7]
    pick_in_dropdown(tab, ids[2])  # the page's own URL echo is not taken for a new link
    tab.wait_for_timeout(1000)
    assert shown_patient(tab) == ids[2]
    tab.close()
    tab = browser.new_page(viewport={"width": 1400, "height": 1000})
    evil = "[x](https://evil.example)"
    open_patients(tab, server, f"?patient={urllib.parse.quote(evil)}")
    assert tab.locator('[data-testid="stAlertContentError"]').count() == 1
    assert evil in tab.inner_text('[data-testid="stMain"]')  # shown literally, as text
    assert tab.locator('a[href*="evil.example"]').count() == 0
    assert shown_patient(tab) == first
    tab.close()


def test_the_worklist_pages_reach_every_patient_and_every_alert(server, page):
    open_patients(page, server)
    for only_alerts in (False, True):
        if only_alerts:
            page.get_by_text("Only alerts").first.click()
            page.wait_for_timeout(500)
            page.wait_for_function(DRAWN, arg=0, polling="raf", timeout=60_000)
        body = page.inner_text('[data-testid="stMain"]')
        match = re.search(r"([\d,]+) of ([\d,]+) held-out patients match \(([\d,]+) alerts", body)
        n_match, alerts = int(match.group(1).replace(",", "")), int(match.group(3).replace(",", ""))
        if only_alerts:
            assert n_match == alerts > 0
        pages = -(-n_match // 100)
        total = 0
        for p in range(1, pages + 1):
            expect = f"the {min(100, n_match - (p - 1) * 100):,} on this worklist page of {n_match:,} matching"
            if pages > 1:
                box = page.get_by_role("spinbutton", name=re.compile(r"Page \(of"))
                box.fill(str(p))
                box.press("Enter")
            page.wait_for_function(f"() => [...document.querySelectorAll('[data-testid=\"stSelectbox\"]')]"
                                   f".some(e => e.innerText.includes('{expect}'))", timeout=60_000)
            page.wait_for_function(DRAWN, arg=0, polling="raf", timeout=60_000)
            total += int(re.search(r"the ([\d,]+) on this worklist page", worklist_label(page)).group(1).replace(",", ""))
        assert total == n_match  # the pages together hold every matching patient
        if pages > 1:
            page.get_by_role("spinbutton", name=re.compile(r"Page \(of")).fill("1")
            page.get_by_role("spinbutton", name=re.compile(r"Page \(of")).press("Enter")
            page.wait_for_timeout(800)


RAW = re.compile(r"\b(None|nan|NaN)\b")


def test_no_page_shows_none_nan_or_raw_feature_names(server, page):
    from risklens.cohorts import load_builtin

    names = [n for n in load_builtin("ward", n=200, seed=0).features if "_" in n]
    page.goto(server, wait_until="domcontentloaded")
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=600_000)
    for title in NAV:
        page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
        page.wait_for_selector(f'[data-testid="stMain"] h1:has-text("{title}")', timeout=120_000)
        page.wait_for_timeout(800)
        page.wait_for_function(DRAWN, arg=0, polling="raf", timeout=240_000)
        text = page.inner_text('[data-testid="stMain"]')
        assert not RAW.search(text), (title, RAW.search(text).group(0), text[max(0, RAW.search(text).start() - 80):][:160])
        raw = [n for n in names if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text)]
        assert not raw, (title, raw)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_of_the_patients_page(server, browser, scheme):
    pg = browser.new_page(viewport={"width": 1400, "height": 1000}, color_scheme=scheme)
    pid = open_patients(pg, server)
    height = pg.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    pg.set_viewport_size({"width": 1400, "height": int(min(max(height, 1000), 5000))})
    pg.wait_for_timeout(1200)
    wait_drawn(pg, pid)
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / f"patients_{scheme}.png"), full_page=True)
    pg.close()
