"""Headless Chromium, as a person: upload an extract with a hostile file name, train two families, read the
model picker, reload the browser and find the same cohort and model; the Data page stays on the upload.
Screenshots at 1440 px wide go to tests/screenshots/reload_*.png; the server log must hold no deprecation.
Run: python -m pytest tests/test_browser_reload.py -q   (needs /usr/bin/chromium)
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))
from browser_support import CHROMIUM, launch, streamlit_server  # noqa: E402
from test_reload import extract  # noqa: E402

SHOTS = ROOT / "tests" / "screenshots"
NAME = "passwd <b>x <i>y.csv"  # tags, no slash (a file name on disk cannot hold one)
WIDTH = 1440


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    pytest.importorskip("playwright.sync_api")
    home = tmp_path_factory.mktemp("reload_home")
    with streamlit_server(home, 800, timeout=240) as url:
        yield url, home


def settle(pg, title: str, timeout: float = 240.0) -> None:
    pg.wait_for_selector(f'[data-testid="stMain"] h1:has-text("{title}")', timeout=int(timeout * 1000))
    deadline, quiet = time.time() + timeout, 0
    while time.time() < deadline:
        busy = pg.locator('[data-testid="stStatusWidget"]').count() + pg.locator('[data-testid="stSpinner"]').count()
        busy += pg.locator('[data-testid="stMain"] [data-stale="true"]').count()
        quiet = quiet + 1 if busy == 0 else 0
        if quiet >= 4:
            return
        time.sleep(0.5)
    raise AssertionError("the page kept running")


def shot(pg, name: str) -> None:
    assert pg.locator('[data-testid="stException"]').count() == 0, name
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = pg.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    pg.set_viewport_size({"width": WIDTH, "height": int(min(max(height, 900), 6000))})
    time.sleep(1.5)
    pg.screenshot(path=str(SHOTS / f"reload_{name}.png"), full_page=True)
    pg.set_viewport_size({"width": WIDTH, "height": 900})


def selectbox(pg, label: str):
    return pg.locator('[data-testid="stSelectbox"]').filter(has=pg.get_by_text(label, exact=True)).first


def shown_value(box) -> str:
    text = [t for t in box.inner_text().splitlines()[1:] if t.strip()]
    return text[0].strip() if text else box.locator("input").first.input_value().strip()


def choose(pg, label: str, option: str) -> None:
    """Pick ``option`` in a selectbox (nothing to do when it is shown already); a click that lands while the
    page redraws may not open the list, so try again."""
    box = selectbox(pg, label)
    if shown_value(box) == option:
        return
    for attempt in range(3):
        box.click()
        try:
            pg.locator('[role="option"]').filter(has_text=option).first.click(timeout=10_000)
            return
        except Exception:
            pg.keyboard.press("Escape")
            if attempt == 2:
                raise


def picker_text(pg) -> str:
    """The value the Model picker shows (the label line removed; a searchable box holds it in its input)."""
    return shown_value(selectbox(pg, "Model"))


def train(pg, family: str) -> None:
    choose(pg, "Family", family)
    for attempt in range(3):  # a click that lands while the page is still redrawing is lost: try again
        pg.get_by_role("button", name="Train", exact=True).click()
        try:
            pg.get_by_text("Trained and saved").wait_for(timeout=120_000)
            break
        except Exception:
            if attempt == 2:
                raise
    settle(pg, "Model", timeout=300)


def test_upload_train_reload_keeps_cohort_and_model(served, tmp_path):
    from playwright.sync_api import sync_playwright

    url, home = served
    csv = tmp_path / NAME
    extract(900, 2).to_csv(csv, index=False)
    with sync_playwright() as p:
        browser = launch(p)
        pg = browser.new_page(viewport={"width": WIDTH, "height": 900})
        try:
            person(pg, url, csv)
        except Exception:
            SHOTS.mkdir(parents=True, exist_ok=True)
            pg.screenshot(path=str(SHOTS / "reload_failed.png"), full_page=True)  # what the person saw
            raise
        finally:
            browser.close()
    log = (home / "server.log").read_text()
    # Streamlit words them "Please replace `st.x` with `st.y`. `st.x` will be removed after <date>."
    assert not re.search(r"deprecat|will be removed|Please replace", log, re.I), \
        [line for line in log.splitlines() if re.search(r"deprecat|will be removed|Please replace", line, re.I)]


def person(pg, url, csv) -> None:
    if True:
        pg.goto(f"{url}/data", wait_until="domcontentloaded")
        settle(pg, "Data")
        pg.get_by_text("Upload a file").click(timeout=120_000)
        settle(pg, "Data")
        pg.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(str(csv))
        pg.get_by_role("button", name="Use this table").wait_for(timeout=60_000)
        settle(pg, "Data")
        choose(pg, "Row id", "idnum")
        settle(pg, "Data")
        pg.get_by_role("button", name="Use this table").click()
        pg.get_by_text(f"Using {NAME}").wait_for(timeout=120_000)  # the name as text: no bold, no tag
        settle(pg, "Data")
        assert pg.locator('[data-testid="stMain"] b').filter(has_text="x").count() == 0
        shot(pg, "data_upload")

        pg.locator('[data-testid="stSidebarNav"] a', has_text="Model").first.click()
        settle(pg, "Model")
        pg.get_by_text("Train new models").click()
        train(pg, "XGBoost")
        assert picker_text(pg) == "XGBoost · seed 0"
        train(pg, "L1 logistic regression")
        assert picker_text(pg) == "L1 logistic regression · seed 0"  # the picker names the charted model
        shot(pg, "model_trained")
        assert re.search(r"[?&]cohort=[0-9a-f]{16}", pg.url) and re.search(r"[?&]model=[0-9a-f]+", pg.url), pg.url
        before = pg.url

        pg.reload(wait_until="domcontentloaded")
        settle(pg, "Model")
        assert picker_text(pg) == "L1 logistic regression · seed 0"
        assert "Cohort: passwd <b>x <i>y" in pg.locator('[data-testid="stSidebar"]').inner_text()
        assert pg.url == before

        pg.locator('[data-testid="stSidebarNav"] a', has_text="Data").first.click()
        settle(pg, "Data")
        assert pg.get_by_role("radio", name="Upload a file").is_checked()
        assert NAME in pg.locator('[data-testid="stMain"]').inner_text() or pg.get_by_text("Your uploaded cohorts").count()
        shot(pg, "data_after_reload")

        pg.locator('[data-testid="stSidebarNav"] a', has_text="Patients").first.click()
        settle(pg, "Patients", timeout=300)
        shot(pg, "patients")
