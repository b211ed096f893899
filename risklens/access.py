"""Who may see which page, and whether the dashboard may be served on a given address (no Streamlit here).

Roles come from the RiskLens config (:func:`risklens.settings.load_config`)::

    [roles]
    clinician = ["nurse@hospital.org", "*@ward7.hospital.org"]   # e-mail addresses or fnmatch patterns
    analyst = ["ana@hospital.org"]
    admin = ["root@hospital.org"]

    [role_pages]              # optional: replaces the default pages of a role
    clinician = ["home", "patients", "report"]

A user's roles are every role whose list matches the e-mail (or the OIDC subject) the identity provider
returned; the pages are the union of those roles' pages. A user with no role sees no page.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import os
import sys

#: Every page key (the URL path; "home" is the root page).
PAGES = ("home", "data", "model", "explanations", "patients", "consistency", "report", "audit")

ROLE_PAGES = {
    "clinician": ("home", "patients", "report"),
    "analyst": ("home", "data", "model", "explanations", "patients", "consistency", "report"),
    "admin": ("home", "model", "audit"),
}

#: Parts of a page a role needs beyond seeing the page (the Report page's evaluation is for analysts).
FEATURES = {"evaluation": ("analyst",), "train": ("analyst",)}


def role_config(config: dict) -> tuple[dict[str, list[str]], dict[str, tuple[str, ...]]]:
    """(role -> user patterns, role -> pages) from a parsed config; unknown page names are ignored."""
    users = {str(r): [str(u) for u in (v if isinstance(v, list) else [v])]
             for r, v in dict(config.get("roles", {})).items()}
    pages = dict(ROLE_PAGES)
    for role, listed in dict(config.get("role_pages", {})).items():
        pages[str(role)] = tuple(p for p in (listed if isinstance(listed, list) else [listed]) if p in PAGES)
    return users, pages


def roles_for(identity: str | None, config: dict) -> tuple[str, ...]:
    """The roles whose user list matches ``identity`` (case-insensitive; ``*`` patterns allowed)."""
    who = str(identity or "").strip().lower()
    if not who or who.count("@") > 1 or any(not ch.isprintable() or ch.isspace() for ch in who):
        return ()
    users, _ = role_config(config)
    return tuple(sorted(role for role, pats in users.items() if any(_matches(who, p) for p in pats)))


def _matches(who: str, pattern: str) -> bool:
    """``*`` and ``?`` never cross the ``@``: ``*@ward7.org`` matches local parts of that domain only."""
    pattern = pattern.strip().lower()
    if "@" not in pattern:
        return "@" not in who and fnmatch.fnmatchcase(who, pattern)
    if "@" not in who:
        return False
    p_local, p_domain = pattern.rsplit("@", 1)
    local, domain = who.rsplit("@", 1)
    return fnmatch.fnmatchcase(local, p_local) and fnmatch.fnmatchcase(domain, p_domain)


def pages_for(roles, config: dict) -> tuple[str, ...]:
    """The pages the union of ``roles`` may open, in :data:`PAGES` order."""
    _, pages = role_config(config)
    allowed = {p for r in roles for p in pages.get(r, ())}
    return tuple(p for p in PAGES if p in allowed)


def can(roles, feature: str) -> bool:
    return any(r in FEATURES.get(feature, ()) for r in roles)


def is_loopback(host: str) -> bool:
    host = (host or "").strip().strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve_check(host: str, auth_configured: bool, allow_open: bool) -> tuple[bool, str]:
    """(may serve, message). Loopback is always fine; any other address needs [auth] or an explicit
    ALLOW_OPEN=1, and then the message is a warning."""
    if auth_configured:
        return True, f"serving on {host} with login (OpenID Connect) and roles"
    if is_loopback(host):
        return True, f"open local session on {host}: no login, reachable from this computer only"
    if allow_open:
        return True, (f"WARNING: serving on {host} WITHOUT login: anyone who can reach this address can see "
                      "patient-level data, upload files and train models. Configure [auth] in "
                      ".streamlit/secrets.toml for any shared use.")
    return False, (f"refusing to serve on {host} without login: configure [auth] in .streamlit/secrets.toml, "
                   "or pass ALLOW_OPEN=1 (make run HOST=0.0.0.0 ALLOW_OPEN=1) to accept an open session")


def allow_open_env() -> bool:
    return os.environ.get("RISKLENS_ALLOW_OPEN", "").strip().lower() in ("1", "true", "yes")


def auth_in_secrets(paths=(".streamlit/secrets.toml", "~/.streamlit/secrets.toml")) -> bool:
    """True when a Streamlit secrets file has a non-empty [auth] section (what st.login needs)."""
    from pathlib import Path

    from risklens.settings import _toml_loads

    for p in paths:
        path = Path(p).expanduser()
        try:
            if path.is_file() and _toml_loads(path.read_text(encoding="utf-8")).get("auth"):
                return True
        except (OSError, ValueError):
            continue
    return False


def main(argv=None) -> int:
    """``python -m risklens.access HOST``: exit 0 (with a note or a warning) or 2 (refused), for `make run`."""
    args = sys.argv[1:] if argv is None else argv
    host = args[0] if args else "127.0.0.1"
    ok, message = serve_check(host, auth_in_secrets(), allow_open_env())
    print(f"risklens: {message}", file=sys.stderr)
    return 0 if ok else 2


if __name__ == "__main__":
    sys.exit(main())
