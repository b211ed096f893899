"""Headless Chromium, as an analyst with a real-shaped extract (issue: your own extract, end to end).

The extract (tests/extract_fixture.py) has an identifier, a yes/no column, a lab value blank for a sixth of the
rows, a 16-level cause column blank for survivors (a missingness leak) and a follow-up time that leaks the
outcome. The person uploads it, reads the data checks (both leaks named), leaves the follow-up time out, trains
two families, reads the model picker and the threshold, reads the Patients page in words (no encoded column
names), reloads, runs a small evaluation and opens a Disagreements link.
Run: python -m pytest tests/test_browser_extract.py -q   (needs /usr/bin/chromium)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))
from browser_support import CHROMIUM, launch, streamlit_server  # noqa: E402
from extract_fixture import write_extract  # noqa: E402
from test_browser_reload import choose, picker_text, selectbox, settle, shot, shown_value, train  # noqa: E402

WIDTH = 1440
ENCODED = ("sex_M", "sex_F", "diabetes_yes", "diabetes_no", "cause_")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    pytest.importorskip("playwright.sync_api")
    home = tmp_path_factory.mktemp("extract_home")
    with streamlit_server(home, 800, timeout=240) as url:
        yield url


def main_text(pg) -> str:
    return pg.locator('[data-testid="stMain"]').inner_text()


def nav(pg, title: str, timeout: float = 300) -> None:
    pg.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
    settle(pg, title, timeout=timeout)


def set_number(pg, label: str, value) -> None:
    box = pg.get_by_label(label, exact=True).first
    box.fill(str(value))
    box.press("Enter")
    settle(pg, "Consistency")


def test_extract_upload_checks_train_words_reload_and_disagreement_link(served, tmp_path):
    from playwright.sync_api import sync_playwright

    csv = write_extract(tmp_path / "extract.csv", n=1200, seed=0, cause_unknown=0.1)
    with sync_playwright() as p:
        browser = launch(p)
        pg = browser.new_page(viewport={"width": WIDTH, "height": 900})
        try:
            analyst(pg, served, csv)
        except Exception:
            pg.screenshot(path=str(tmp_path / "failed.png"), full_page=True)
            (ROOT / "tests" / "screenshots").mkdir(parents=True, exist_ok=True)
            pg.screenshot(path=str(ROOT / "tests" / "screenshots" / "extract_failed.png"), full_page=True)
            raise
        finally:
            browser.close()


def analyst(pg, url, csv) -> None:
    pg.goto(f"{url}/data", wait_until="domcontentloaded")
    settle(pg, "Data")
    pg.get_by_text("Upload a file").click(timeout=120_000)
    settle(pg, "Data")
    pg.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(str(csv))
    pg.get_by_role("button", name="Use this table").wait_for(timeout=60_000)
    settle(pg, "Data")
    assert shown_value(selectbox(pg, "Row id")) == "patient_id"  # an id-like column is guessed as the row id
    choose(pg, "Outcome (0/1)", "died")
    settle(pg, "Data")
    named = pg.locator('[data-testid="stAlert"]').filter(has_text="likely to make held-out numbers wrong").first
    named.wait_for(timeout=60_000)
    assert "futime" in named.inner_text() and "cause" in named.inner_text()  # both leaks named in words
    pg.locator('[data-testid="stMultiSelect"]').filter(has_text="Leave out columns").first.click()
    pg.keyboard.type("futime")
    pg.keyboard.press("Enter")
    pg.keyboard.press("Escape")
    settle(pg, "Data")
    pg.get_by_role("button", name="Use this table").click()
    pg.get_by_text("Using extract.csv").wait_for(timeout=120_000)
    settle(pg, "Data")
    shot(pg, "extract_data")

    nav(pg, "Model")
    pg.get_by_text("Train new models").click()
    train(pg, "XGBoost")
    assert picker_text(pg) == "XGBoost · seed 0"
    train(pg, "L1 logistic regression")
    assert picker_text(pg) == "L1 logistic regression · seed 0"  # the picker names the charted model
    typed = float(pg.get_by_label("Alert threshold (predicted risk, %)", exact=True).first.input_value())
    said = re.search(r"At threshold ([0-9.]+)%", main_text(pg))
    assert said and abs(float(said.group(1)) - typed) <= 1e-3 * max(typed, 1e-9) + 0.05, (said, typed)
    assert "futime" not in " ".join(pg.locator('[data-testid="stMain"] svg').all_text_contents())  # left out
    shot(pg, "extract_model")

    nav(pg, "Patients")
    text = main_text(pg)
    assert re.search(r"(Sex|Diabetes|Cause|Creatinine)\b", text), text[:2000]
    assert not [e for e in ENCODED if e in text], [e for e in ENCODED if e in text]
    heads = [h.strip() for h in pg.locator('[data-testid="stMain"] h3').all_inner_texts()]
    assert len([h for h in heads if re.fullmatch(r"Patient P\d{5}", h)]) == 1, heads
    shot(pg, "extract_patients")
    before = picker_text(pg)

    pg.reload(wait_until="domcontentloaded")
    settle(pg, "Patients", timeout=300)
    assert picker_text(pg) == before  # the same model after a reload
    assert "Cohort: extract" in pg.locator('[data-testid="stSidebar"]').inner_text()

    nav(pg, "Consistency")
    set_number(pg, "Runs per family", 1)
    set_number(pg, "Patients for slow methods", 5)
    set_number(pg, "LIME stability repeats", 0)
    set_number(pg, "Noise-floor seeds", 0)
    pg.get_by_role("button", name="Run the evaluation").click()
    pg.get_by_text("Patients analysed.").wait_for(timeout=600_000)
    settle(pg, "Consistency", timeout=600)
    pg.get_by_role("tab", name="Disagreements").click()
    link = pg.locator('[data-testid="stPageLink"] a').filter(has_text="Patient ").first
    link.wait_for(timeout=60_000)
    pid = link.inner_text().strip().split("Patient ", 1)[1].strip()
    link.click()
    settle(pg, "Patients", timeout=300)
    heads = [h.strip() for h in pg.locator('[data-testid="stMain"] h3').all_inner_texts()]
    assert f"Patient {pid}" in heads, (pid, heads)
    assert "not among" not in main_text(pg)
    shot(pg, "extract_disagreement_patient")
