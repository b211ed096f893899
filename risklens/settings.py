"""Where the dashboard keeps its files, and the size of the built-in demo (environment-driven)."""

from __future__ import annotations

import os
from pathlib import Path

DEMO_COHORT = "ward"
DEMO_FAMILIES = ("xgboost", "l1-logistic", "mlp")
DEMO_SEED = 0
DEFAULT_DEMO_N = 20_000


def home() -> Path:
    """Root for models and stored explanations: $RISKLENS_HOME, else the current directory."""
    return Path(os.environ.get("RISKLENS_HOME") or ".").resolve()


def models_root() -> Path:
    return home() / "models"


def store_root() -> Path:
    return home() / "data" / "explanations"


def uploads_root() -> Path:
    """Uploaded cohorts, one folder per user (:mod:`risklens.cohorts.stored`)."""
    return home() / "data" / "uploads"


def demo_n() -> int:
    """Rows of the demo ward cohort: $RISKLENS_DEMO_N (tests use ~2000)."""
    raw = os.environ.get("RISKLENS_DEMO_N", "")
    try:
        n = int(raw) if raw.strip() else DEFAULT_DEMO_N
    except ValueError:
        n = DEFAULT_DEMO_N
    return max(n, 200)


def demo_stays() -> bool:
    """$RISKLENS_DEMO_STAYS=1: the demo ward cohort is made of stays (consecutive windows), demo_n() // 6 of them."""
    return os.environ.get("RISKLENS_DEMO_STAYS", "").strip().lower() in ("1", "true", "yes")


def worklist_dir() -> Path | None:
    """The scored cohort the Patients page pages through instead of the held-out rows in memory:
    $RISKLENS_WORKLIST (a folder written by ``risklens score --cohort ... --model DIR --out DIR``; a relative path
    is read under :func:`home`), else None."""
    raw = os.environ.get("RISKLENS_WORKLIST", "").strip()
    if not raw:
        return None
    path = Path(raw).expanduser()
    return path if path.is_absolute() else home() / path


def config_path() -> Path:
    """The RiskLens config (roles, audit database): $RISKLENS_CONFIG, else <home>/risklens.toml."""
    raw = os.environ.get("RISKLENS_CONFIG", "").strip()
    return Path(raw).resolve() if raw else home() / "risklens.toml"


def load_config() -> dict:
    """The parsed config file; {} when there is none. A malformed file is a RiskLensError naming it."""
    from risklens.errors import RiskLensError

    path = config_path()
    if not path.is_file():
        return {}
    try:
        return _toml_loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise RiskLensError(f"cannot read the RiskLens config {path}: {exc}") from None


def audit_url() -> str:
    """SQLAlchemy URL of the audit trail: $RISKLENS_AUDIT_URL, else [audit] url in the config, else a
    SQLite file in the RiskLens home (data/audit/audit.sqlite)."""
    url = os.environ.get("RISKLENS_AUDIT_URL", "").strip() or str(load_config().get("audit", {}).get("url", ""))
    if url:
        return url
    return f"sqlite:///{home() / 'data' / 'audit' / 'audit.sqlite'}"


def _toml_loads(text: str) -> dict:
    try:
        import tomllib  # Python >= 3.11
    except ImportError:  # pragma: no cover - Python 3.10: the toml package streamlit depends on
        import toml

        return toml.loads(text)
    return tomllib.loads(text)


def pins_file() -> Path:
    """The pinned-model list: $RISKLENS_PINNED_MODELS, else ``<home>/pinned_models.json``."""
    raw = os.environ.get("RISKLENS_PINNED_MODELS", "").strip()
    return Path(raw) if raw else home() / "pinned_models.json"


def pinned_models() -> dict[str, str]:
    """Model directory -> expected model id, from :func:`pins_file` (``{}`` when there is none).

    The file is a JSON object such as ``{"ward-xgb/run-1": "0a1b2c3d4e5f"}``; a ``[pinned_models]`` table in
    the RiskLens config (risklens.toml) is read too (the file wins on a clash); relative directories are
    read under :func:`models_root`. A model directory listed here loads only while its id matches.
    """
    import json

    from risklens.errors import RiskLensError

    path = pins_file()
    try:
        pins = json.loads(path.read_text()) if path.is_file() else {}
    except (ValueError, OSError) as exc:
        raise RiskLensError(f"the pinned-model list {path} is not valid JSON ({exc})") from None
    from_config = load_config().get("pinned_models", {})
    for where, table in ((path, pins), (f"[pinned_models] in {config_path()}", from_config)):
        if not isinstance(table, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in table.items()):
            raise RiskLensError(f"the pinned-model list {where} must map model directories to model ids (text)")
    pins = {**from_config, **pins}
    return {str((models_root() / k).resolve()): v.strip().lower() for k, v in pins.items()}
