"""No traceback reaches a page: user errors become st.error, surprises a friendly st.error + a log line."""

from __future__ import annotations

import contextlib
import logging
from typing import Callable

import streamlit as st

from risklens.errors import RiskLensError

log = logging.getLogger("risklens.ui")


def show_error(exc: BaseException) -> None:
    if isinstance(exc, RiskLensError):
        st.error(str(exc), icon=":material/error:")
    else:
        log.exception("unexpected error while drawing a page")
        st.error(
            f"Something went wrong on this page ({type(exc).__name__}: {exc}). "
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


def run_page(body: Callable[[], None]) -> None:
    with guarded():
        body()
