"""Login (OpenID Connect through st.login) and role-based navigation for app.py.

With an ``[auth]`` section in .streamlit/secrets.toml every page needs a signed-in user with a role
(:mod:`risklens.access`); pages outside the user's roles are refused with a plain message. Without
``[auth]`` the dashboard is an open local session: every page is reachable and says so, and it refuses to
run on a non-loopback address unless ``RISKLENS_ALLOW_OPEN=1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import streamlit as st

from risklens import access
from risklens.settings import load_config
from risklens.ui.audit import record
from risklens.ui.identity import configured, identity
from risklens.ui.state import K_LOGGED, K_ROLES



@dataclass(frozen=True)
class PageSpec:
    key: str  # an access.PAGES key
    path: str
    title: str
    icon: str


def current_roles() -> tuple[str, ...]:
    """The roles of this session (all roles in an open session)."""
    return st.session_state.get(K_ROLES, tuple(access.ROLE_PAGES))


def can(feature: str) -> bool:
    return access.can(current_roles(), feature)


def _login_screen() -> None:
    st.title("RiskLens")
    st.info("Sign in with your hospital account to continue.", icon=":material/lock:")
    auth = st.secrets.get("auth", {})
    providers = [k for k, v in auth.items() if isinstance(v, Mapping)] if "client_id" not in auth else []
    if st.button("Log in", type="primary", key="auth_login"):
        st.login(providers[0]) if providers else st.login()


def _only(draw, title: str) -> None:
    """Show one page and stop: a navigation of that page alone, so the sidebar lists none of the app's
    pages (without st.navigation Streamlit would list the pages/ folder)."""
    st.navigation([st.Page(draw, title=title, default=True)], position="hidden").run()
    st.stop()


def gate() -> tuple[str, ...]:
    """Run before navigation: the session's roles, or stop the script with a login screen or a refusal."""
    if not configured():
        host = st.get_option("server.address") or "0.0.0.0"
        ok, message = access.serve_check(host, False, access.allow_open_env())
        if not ok:
            _only(lambda: st.error(message, icon=":material/block:"), "RiskLens")
        st.session_state[K_ROLES] = tuple(access.ROLE_PAGES)
        return st.session_state[K_ROLES]
    if not st.user.is_logged_in:
        _only(_login_screen, "Sign in")
    who = identity()
    roles = access.roles_for(who, load_config())
    st.session_state[K_ROLES] = roles
    if not roles:
        _only(lambda: _no_role(who), "No access")
    if not st.session_state.get(K_LOGGED):
        record("login", roles=list(roles))
        st.session_state[K_LOGGED] = True
    return roles


def _no_role(who: str | None) -> None:
    st.title("RiskLens")
    st.error("No RiskLens role is assigned to this account. Ask an administrator to add it to the roles "
             "in the RiskLens config.", icon=":material/block:")
    st.text(f"Signed in as {who}")
    st.button("Log out", key="auth_logout_norole", on_click=st.logout)


def _refusal(title: str):
    def refused() -> None:
        session_banner()
        st.title(title)
        st.error(f"Your role ({', '.join(current_roles())}) does not give access to the {title} page. "
                 "Ask an administrator if you need it.", icon=":material/block:")
    refused.__name__ = f"refused_{title.lower().replace(' ', '_')}"
    return refused


def navigation(specs: list[PageSpec], roles: tuple[str, ...]):
    """(current page, key -> st.Page): st.navigation over the pages the roles allow; the other pages stay
    addressable but hidden and answer with a refusal, so a bookmarked URL gets a plain message."""
    allowed = set(access.pages_for(roles, load_config()))
    pages = {}
    for spec in specs:
        url = "" if spec.key == "home" else spec.key
        kwargs = {"title": spec.title, "icon": spec.icon, "default": spec.key == "home"}
        if url:
            kwargs["url_path"] = url
        if spec.key in allowed or spec.key == "home":
            pages[spec.key] = st.Page(spec.path, **kwargs)
        else:
            pages[spec.key] = st.Page(_refusal(spec.title), visibility="hidden", **kwargs)
    return st.navigation(list(pages.values())), pages


def session_banner() -> None:
    """One line on every page: who is signed in (with a log-out button), or that the session is open."""
    who = identity()
    if who:
        with st.sidebar:
            st.text(f"Signed in as {who} ({', '.join(current_roles())})")
            st.button("Log out", key="auth_logout", on_click=st.logout)
    else:
        st.caption(":material/lock_open: Open local session: no login is configured, so every page is open "
                   "to whoever reaches this address. Configure [auth] for shared use.")
