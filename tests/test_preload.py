"""`python app.py` imports the library's modules before the server listens (risklens.preload), so the first
visitor's script run finds them loaded: every library module the Home and Patients pages import is preloaded,
none of them loads streamlit, and the launcher serves the dashboard."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from apptest_support import APP, demo_home

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from browser_support import streamlit_server  # noqa: E402

FIRST_VISIT = f"""
import sys
from risklens.preload import preload
preload()
assert "streamlit" not in sys.modules, "a preloaded module loads streamlit"
from streamlit.testing.v1 import AppTest
before = set(sys.modules)
at = AppTest.from_file({APP!r}, default_timeout=180)
at.run()
at.switch_page("pages/patients.py")
at.run()
assert not at.exception, [e.value for e in at.exception]
assert at.subheader and any(h.value.startswith("Patient ") for h in at.subheader), "no patient shown"
late = sorted(m for m in set(sys.modules) - before if m.startswith("risklens.") and not m.startswith("risklens.ui"))
print("LATE", late)
"""


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    yield from demo_home(tmp_path_factory, 2000)


def test_every_library_module_of_the_first_pages_is_preloaded(home):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = subprocess.run([sys.executable, "-c", FIRST_VISIT], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    late = [line for line in run.stdout.splitlines() if line.startswith("LATE")]
    assert late == ["LATE []"], f"imported on the first visit, not by risklens.preload.PAGE_MODULES: {late}"


def test_python_app_py_preloads_then_serves(home):
    with streamlit_server(home, 2000, timeout=300) as url:
        assert urllib.request.urlopen(f"{url}/_stcore/health", timeout=10).read().strip() == b"ok"
        page = urllib.request.urlopen(url, timeout=10).read().decode()
        assert "<title>" in page.lower() or "<div id=\"root\"" in page
    log = (home / "server.log").read_text()
    assert "the dashboard's modules imported in" in log
    assert "Traceback" not in log and "No runtime found" not in log
