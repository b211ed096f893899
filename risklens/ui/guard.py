"""No traceback reaches a page: user errors become st.error, surprises a friendly st.error + a log line."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Callable

import streamlit as st

from risklens.errors import RiskLensError
from risklens.safety import md_escape
from risklens.ui.links import restore as restore_links
from risklens.ui.state import K_ENTERED, K_RETURN_TO

log = logging.getLogger("risklens.ui")


def show_error(exc: BaseException) -> None:
    if isinstance(exc, RiskLensError):
        st.error(md_escape(str(exc)), icon=":material/error:")  # messages quote user column and file names
    else:
        log.exception("unexpected error while drawing a page")
        st.error(
            f"Something went wrong on this page ({type(exc).__name__}: {md_escape(exc)}). "
            "The details are in the server log; try another setting or reload the page.",
            icon=":material/error:",
        )


@contextlib.contextmanager
def guarded():
    """``with guarded(): ...`` -- errors inside are shown as messages; st.stop/st.rerun pass through
    (they are BaseExceptions, not Exceptions)."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - the whole point is to catch everything
        show_error(exc)




def mark_entered() -> None:
    """Called by app.py once st.navigation has run: this session went through the entry point."""
    st.session_state[K_ENTERED] = True


def pending_return() -> tuple[str, dict] | None:
    """The page (url path, query params) a direct link asked for before app.py had run, if any."""
    return st.session_state.pop(K_RETURN_TO, None)


def run_page(body: Callable[[], None]) -> None:
    """Draw a page. On a fresh server, a first request for a page URL (``/patients?patient=ID``) runs
    the page file alone, without app.py (Streamlit's legacy mode for a ``pages/`` folder); then we go
    through app.py first -- navigation, demo bootstrap -- and come back to the page with its query."""
    if not st.session_state.get(K_ENTERED):
        st.session_state[K_RETURN_TO] = (Path(body.__code__.co_filename).stem, st.query_params.to_dict())
        st.switch_page("app.py")
    from risklens.ui.auth import session_banner

    session_banner()  # who is signed in, or that this is an open local session
    with guarded():
        restore_links()  # ?cohort= and ?model= of a reload or a shared link (for this user only)
        body()
