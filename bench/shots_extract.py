"""Screenshots of the Patients and Cohort explanations pages on a real-shaped extract (tests/real_shaped.py):
sex M/F, a yes/no column, a lab value missing for a sixth, a calendar year with ties, a 5-level text column.

The extract and its dictionary are uploaded through the Data page as a person would; a model trained on the same
file is saved in the server's RiskLens home first, so the pages open on it. Usage::

    PYTHONPATH=$PWD python bench/shots_extract.py [OUT_DIR]   # default docs/screenshots
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from bench.browser_support import launch, streamlit_server  # noqa: E402


def settle(pg, title: str, timeout: float = 300.0) -> None:
    pg.wait_for_selector(f'[data-testid="stMain"] h1:has-text("{title}")', timeout=int(timeout * 1000))
    deadline, quiet = time.time() + timeout, 0
    while time.time() < deadline:
        busy = pg.locator('[data-testid="stStatusWidgetRunningIcon"]').count() + pg.locator('[data-testid="stSpinner"]').count()
        quiet = quiet + 1 if busy == 0 else 0
        if quiet >= 4:
            return
        time.sleep(0.5)


def shot(pg, path: Path, clip_top: str | None = None) -> None:
    height = pg.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    pg.set_viewport_size({"width": 1440, "height": int(min(max(height, 900), 5000))})
    time.sleep(1.5)
    pg.screenshot(path=str(path), full_page=True)
    pg.set_viewport_size({"width": 1440, "height": 1000})
    print("wrote", path)


def choose(pg, label: str, option: str) -> None:
    box = pg.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    box.click()
    pg.keyboard.type(option)
    pg.locator('[role="option"]', has_text=option).first.click()


def main(out: Path) -> None:
    from playwright.sync_api import sync_playwright

    from real_shaped import real_shaped_dictionary, real_shaped_frame
    from risklens.cohorts import load_cohort_file
    from risklens.modeling import save_model, train_model

    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="risklens_shots_"))
    data, dictionary = work / "extract.csv", work / "extract-dictionary.csv"
    real_shaped_frame(900, 0).to_csv(data, index=False)
    dictionary.write_text(real_shaped_dictionary().to_csv())
    home = work / "home"
    cohort = load_cohort_file(data, "died", id_col="id", dictionary=real_shaped_dictionary())
    save_model(train_model(cohort, "xgboost", seed=0), home / "models" / "extract-xgboost")
    with streamlit_server(home, 1000, timeout=600) as url, sync_playwright() as p:
        browser = launch(p)
        pg = browser.new_page(viewport={"width": 1440, "height": 1000})
        pg.goto(f"{url}/data", wait_until="domcontentloaded")
        settle(pg, "Data", 600)
        pg.get_by_text("Upload a file").click()
        settle(pg, "Data")
        pg.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(str(data))
        pg.get_by_role("button", name="Use this table").wait_for(timeout=60_000)
        settle(pg, "Data")
        choose(pg, "Feature dictionary", "upload a CSV")
        settle(pg, "Data")
        pg.locator('[data-testid="stFileUploader"] input[type="file"]').nth(1).set_input_files(str(dictionary))
        settle(pg, "Data")
        pg.get_by_role("button", name="Use this table").click()
        pg.get_by_text("Using extract.csv").wait_for(timeout=120_000)
        settle(pg, "Data")

        if "--skip-patients" not in sys.argv:
            pg.locator('[data-testid="stSidebarNav"] a', has_text="Patients").first.click()
            settle(pg, "Patients")
            pg.wait_for_selector('[data-testid="stMain"] h3:has-text("Patient R")', timeout=240_000)
            settle(pg, "Patients")
            shot(pg, out / "extract_patients.png")

        pg.locator('[data-testid="stSidebarNav"] a', has_text="Cohort explanations").first.click()
        settle(pg, "Cohort explanations")
        for view, name, pick in (("Beeswarm", "extract_beeswarm", None),
                                 ("Dependence", "extract_dependence", ("Feature", "Creatinine")),
                                 ("Partial dependence (PD/ICE)", "extract_pdp", ("Feature", "Sex")),
                                 ("Subgroups", "extract_subgroups", ("Split patients by", "Year of diagnosis"))):
            pg.locator('[data-testid="stMain"] [data-testid="stButtonGroup"] button', has_text=view).first.click()
            settle(pg, "Cohort explanations")
            if pick:
                choose(pg, *pick)
                settle(pg, "Cohort explanations")
            shot(pg, out / f"{name}.png")
        browser.close()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(Path(args[0]) if args else ROOT / "docs" / "screenshots")
