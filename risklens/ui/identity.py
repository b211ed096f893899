"""Who is using the dashboard: whether a login is configured, the signed-in identity, the acting user.

Read by :mod:`risklens.ui.auth` (login and navigation) and :mod:`risklens.ui.audit` (who acts), which
therefore do not need each other for it.
"""

from __future__ import annotations

import streamlit as st

OPEN_USER = "open-session"


def configured() -> bool:
    """True when .streamlit/secrets.toml has an [auth] section (st.login is then required)."""
    try:
        return bool(st.secrets.get("auth"))
    except Exception:  # noqa: BLE001 - no secrets file, or an unreadable one: no login configured
        return False


def identity() -> str | None:
    """The signed-in user's e-mail (or OIDC subject when the provider marks the e-mail unverified);
    None in an open session or before login."""
    if not configured() or not st.user.is_logged_in:
        return None
    email = st.user.get("email") if st.user.get("email_verified") is not False else None
    return str(email or st.user.get("sub") or "") or None


def current_user() -> str:
    """Who acts, for the audit trail: the signed-in identity, or ``open-session@<address>``."""
    who = identity()
    return who if who else f"{OPEN_USER}@{st.get_option('server.address') or 'all-interfaces'}"
