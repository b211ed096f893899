"""Shared AppTest set-up: a small demo in a temporary RISKLENS_HOME, and opening a page through app.py."""

from __future__ import annotations

import os
from pathlib import Path

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 180


def demo_home(tmp_path_factory, demo_n: int):
    """Generator for a module fixture: temp home, small demo with its three models trained once."""
    home = tmp_path_factory.mktemp("risklens_home")
    old = {k: os.environ.get(k) for k in ("RISKLENS_HOME", "RISKLENS_DEMO_N")}
    os.environ["RISKLENS_HOME"] = str(home)
    os.environ["RISKLENS_DEMO_N"] = str(demo_n)
    from risklens.demo import ensure_demo

    ensure_demo()
    yield home
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def open_page(page: str | None = None, query: dict | None = None, session: dict | None = None):
    """Run app.py (navigation, bootstrap), then switch to ``page``; fail on any exception shown."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    for k, v in (session or {}).items():
        at.session_state[k] = v
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(text: str) -> str:
    """What a viewer reads from markdown source: backslash escapes (risklens.safety.md_escape) removed."""
    import re

    return re.sub(r"\\(.)", r"\1", str(text))
