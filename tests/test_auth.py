"""Roles and pages (pure), the serve check behind `make run`, and the open local session in AppTest.
The login itself runs in Chromium in tests/test_auth_browser.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from risklens import access

ROOT = Path(__file__).resolve().parents[1]
CONFIG = {"roles": {"clinician": ["nurse@h.org", "*@ward7.h.org"], "analyst": ["ana@h.org"],
                    "admin": ["root@h.org", "ana@h.org"]}}


@pytest.mark.parametrize("who, roles, pages", [
    ("nurse@h.org", ("clinician",), ("home", "patients", "report")),
    ("NURSE@H.ORG", ("clinician",), ("home", "patients", "report")),
    ("x@ward7.h.org", ("clinician",), ("home", "patients", "report")),
    ("root@h.org", ("admin",), ("home", "model", "audit")),
    ("ana@h.org", ("admin", "analyst"), access.PAGES),
    ("someone@else.org", (), ()),
    ("", (), ()),
    (None, (), ()),
    ("x@evil.org?@ward7.h.org", (), ()),
    ("x@evil.org", (), ()),
    ("x@sub.ward7.h.org", (), ()),
    ("nurse@h.org\n", ("clinician",), ("home", "patients", "report")),
    ("nurse @h.org", (), ()),
])
def test_roles_and_pages(who, roles, pages):
    assert access.roles_for(who, CONFIG) == roles
    assert access.pages_for(roles, CONFIG) == pages


def test_role_pages_can_be_configured_and_unknown_pages_are_dropped():
    cfg = {**CONFIG, "role_pages": {"clinician": ["home", "patients", "../etc", "audit"]}}
    assert access.pages_for(("clinician",), cfg) == ("home", "patients", "audit")


def test_features_follow_roles():
    assert access.can(("analyst",), "evaluation") and not access.can(("clinician",), "evaluation")
    assert not access.can(("admin",), "train") and not access.can((), "train")


@pytest.mark.parametrize("host, auth, allow, ok, words", [
    ("127.0.0.1", False, False, True, "open local session"),
    ("localhost", False, False, True, "open local session"),
    ("::1", False, False, True, "open local session"),
    ("0.0.0.0", False, False, False, "refusing"),
    ("10.1.2.3", False, False, False, "ALLOW_OPEN=1"),
    ("0.0.0.0", False, True, True, "WARNING"),
    ("0.0.0.0", True, False, True, "with login"),
])
def test_serve_check(host, auth, allow, ok, words):
    got_ok, message = access.serve_check(host, auth, allow)
    assert got_ok == ok and words in message


def _serve(host: str, allow: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "RISKLENS_ALLOW_OPEN": allow, "HOME": str(cwd)}
    return subprocess.run([sys.executable, "-m", "risklens.access", host], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60)


def test_make_run_serve_check_command(tmp_path):
    assert _serve("127.0.0.1", "", tmp_path).returncode == 0
    refused = _serve("0.0.0.0", "", tmp_path)
    assert refused.returncode == 2 and "refusing to serve on 0.0.0.0" in refused.stderr
    warned = _serve("0.0.0.0", "1", tmp_path)
    assert warned.returncode == 0 and "WARNING" in warned.stderr
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('[auth]\nclient_id = "x"\n')
    assert _serve("0.0.0.0", "", tmp_path).returncode == 0


def test_repository_config_binds_loopback_and_commits_no_secrets():
    text = (ROOT / ".streamlit" / "config.toml").read_text()
    assert 'address = "127.0.0.1"' in text
    assert not (ROOT / ".streamlit" / "secrets.toml").exists()
    assert "secrets.toml" in (ROOT / ".gitignore").read_text()


def test_favicon_is_a_local_file():
    text = (ROOT / "app.py").read_text()
    assert "page_icon=str(Path(__file__).parent / \"static\" / \"favicon.png\")" in text
    assert (ROOT / "static" / "favicon.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    from apptest_support import demo_home

    yield from demo_home(tmp_path_factory, 1200)


def test_every_page_says_open_local_session(home):
    from apptest_support import open_page

    for page in (None, "pages/patients.py", "pages/audit.py", "pages/data.py"):
        at = open_page(page)
        assert any("Open local session" in c.value for c in at.caption), page
        assert at.title and at.title[0].value != "RiskLens" or page is None


def test_open_session_on_all_interfaces_is_refused_without_the_flag(home, monkeypatch):
    import streamlit
    from streamlit.testing.v1 import AppTest

    from apptest_support import APP

    monkeypatch.setattr(streamlit, "get_option",
                        lambda key, _orig=streamlit.get_option: "0.0.0.0" if key == "server.address" else _orig(key))
    monkeypatch.delenv("RISKLENS_ALLOW_OPEN", raising=False)
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert any("refusing to serve on 0.0.0.0" in e.value for e in at.error)
    assert not at.title
    monkeypatch.setenv("RISKLENS_ALLOW_OPEN", "1")
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.error and at.title[0].value == "RiskLens"
