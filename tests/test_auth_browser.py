"""The whole OpenID Connect login in headless Chromium against a local provider started by the test.

A clinician signs in and sees Home, Patients and Report only; a bookmarked Audit URL is refused with a
plain message; an account with no role is refused every page; an admin opens the audit trail and finds
the logins. Screenshots of each step go to docs/screenshots/login_*.png.

Run: python -m pytest tests/test_auth_browser.py -q   (needs /usr/bin/chromium; never downloads one)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "docs" / "screenshots"
sys.path.insert(0, str(ROOT / "bench"))
from browser_support import CHROMIUM, free_port, launch, streamlit_server  # noqa: E402

NURSE, ADMIN, STRANGER = "nurse@hospital.example", "admin@hospital.example", "visitor@elsewhere.example"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api")
    mock = pytest.importorskip("oidc_provider_mock")
    home = tmp_path_factory.mktemp("auth_home")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with mock.run_server_in_thread() as idp:
        issuer = f"http://localhost:{idp.server_port}"
        secrets = home / "secrets.toml"
        secrets.write_text(
            "[auth]\n"
            f'redirect_uri = "{url}/oauth2callback"\n'
            'cookie_secret = "test-only-cookie-secret-not-for-production"\n'
            'client_id = "risklens-test"\nclient_secret = "test-only-secret"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n')
        config = home / "risklens.toml"
        config.write_text(f'[roles]\nclinician = ["{NURSE}"]\nadmin = ["{ADMIN}"]\nanalyst = ["analyst@hospital.example"]\n')
        with streamlit_server(home, 1500, timeout=90, port=port, env={"RISKLENS_CONFIG": str(config)},
                              args=("--secrets.files", str(secrets))) as served:
            yield served, home


@pytest.fixture(scope="module")
def browser(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def _shot(pg, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    time.sleep(1.0)
    pg.screenshot(path=str(SHOTS / f"login_{name}.png"))


def _settle(pg, text: str, timeout: float = 240.0) -> None:
    pg.get_by_text(text).first.wait_for(timeout=int(timeout * 1000))
    deadline, quiet = time.time() + timeout, 0
    while time.time() < deadline and quiet < 4:
        busy = pg.locator('[data-testid="stStatusWidget"]').count() + pg.locator('[data-testid="stSpinner"]').count()
        quiet = quiet + 1 if busy == 0 else 0
        time.sleep(0.5)


def _sign_in(browser, url: str, who: str, shots: bool = False):
    ctx = browser.new_context(viewport={"width": 1300, "height": 850})
    pg = ctx.new_page()
    pg.goto(url)
    _settle(pg, "Sign in with your hospital account")
    assert pg.locator('[data-testid="stSidebarNav"]').count() == 0, "navigation shown before login"
    if shots:
        _shot(pg, "1_sign_in")
    pg.get_by_role("button", name="Log in").click()
    pg.wait_for_selector('input[name="sub"]', timeout=60_000)
    pg.fill('input[name="sub"]', who)
    if shots:
        _shot(pg, "2_identity_provider")
    pg.get_by_role("button", name="Authorize").click()
    pg.wait_for_url(f"{url}/**", timeout=60_000)
    return ctx, pg


def test_clinician_sees_only_their_pages_and_is_refused_audit(app_url, browser):
    url, _ = app_url
    ctx, pg = _sign_in(browser, url, NURSE, shots=True)
    _settle(pg, f"Signed in as {NURSE}")
    _settle(pg, "Clinical risk prediction with explanations you can check")
    nav = pg.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Patients" in nav and "Report" in nav and "Home" in nav
    for hidden in ("Data", "Consistency", "Audit trail", "Cohort explanations"):
        assert hidden not in nav, f"{hidden} offered to a clinician"
    _shot(pg, "3_clinician_home")
    pg.goto(f"{url}/audit")
    _settle(pg, "does not give access to the Audit trail page")
    assert pg.locator('[data-testid="stDataFrame"]').count() == 0
    _shot(pg, "4_clinician_refused_audit")
    ctx.close()


def test_account_without_a_role_is_refused(app_url, browser):
    url, _ = app_url
    ctx, pg = _sign_in(browser, url, STRANGER)
    _settle(pg, "No RiskLens role is assigned to this account")
    assert pg.locator('[data-testid="stSidebarNav"]').count() == 0
    assert "Clinical risk prediction" not in pg.inner_text("body")
    _shot(pg, "5_no_role_refused")
    pg.goto(f"{url}/patients")
    _settle(pg, "No RiskLens role is assigned to this account")
    ctx.close()


def test_admin_reads_the_audit_trail_with_the_logins(app_url, browser):
    url, _ = app_url
    ctx, pg = _sign_in(browser, url, ADMIN)
    _settle(pg, f"Signed in as {ADMIN}")
    pg.goto(f"{url}/audit")
    _settle(pg, "audit trail intact")
    _shot(pg, "6_admin_audit")
    ctx.close()
    from risklens.audit import AuditLog

    rows = AuditLog(f"sqlite:///{app_url[1] / 'data' / 'audit' / 'audit.sqlite'}").rows(action="login")
    assert {NURSE, ADMIN} <= {r["user"] for r in rows}
    assert STRANGER not in {r["user"] for r in rows}
