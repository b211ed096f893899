"""Install anywhere: the Makefile makes and uses .venv from a system Python (PEP 668), or uses the active
virtualenv. The slow test clones the repository and runs `make install` with the system Python into a
fresh .venv; it is skipped when no package index can be reached (offline)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SYSTEM_PYTHON = os.environ.get("RISKLENS_SYSTEM_PYTHON", "/usr/bin/python3")
OFFLINE_SIGNS = ("NewConnectionError", "Temporary failure in name resolution", "Network is unreachable",
                 "No matching distribution found", "Could not find a version that satisfies")


def _make(*args: str, env: dict | None = None, cwd: Path = ROOT, timeout: int = 60) -> subprocess.CompletedProcess:
    if shutil.which("make") is None:
        pytest.skip("no make")
    return subprocess.run(["make", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _env_without_venv(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    env.update(extra)
    return env


def test_outside_a_virtualenv_make_uses_the_project_venv(tmp_path):
    for name in ("Makefile", "pyproject.toml"):  # a checkout without .venv yet (this one may have it)
        shutil.copy(ROOT / name, tmp_path / name)
    out = _make("-n", "test", env=_env_without_venv(), cwd=tmp_path).stdout
    assert "-m venv .venv" in out
    assert ".venv/bin/python -m pip --disable-pip-version-check install --quiet -e \".[test]\"" in out
    assert ".venv/bin/python -m pytest -q" in out
    assert "--break-system-packages" not in out


def test_inside_a_virtualenv_make_uses_it(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    out = _make("-n", "test", env=_env_without_venv(VIRTUAL_ENV=str(venv))).stdout
    assert f"{venv}/bin/python -m pytest -q" in out
    assert "-m venv" not in out and ".venv/bin" not in out


def test_run_binds_loopback_unless_told_and_checks_first():
    out = _make("-n", "run", env=_env_without_venv()).stdout
    assert "-m risklens.access 127.0.0.1" in out and "--server.address 127.0.0.1" in out
    out = _make("-n", "run", "HOST=0.0.0.0", "ALLOW_OPEN=1", env=_env_without_venv()).stdout
    assert "RISKLENS_ALLOW_OPEN=1" in out and "--server.address 0.0.0.0" in out


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "make test" in (ROOT / "README.md").read_text()


@pytest.mark.slow
def test_fresh_clone_installs_with_the_system_python(tmp_path):
    if not Path(SYSTEM_PYTHON).exists():
        pytest.skip(f"no system Python at {SYSTEM_PYTHON}")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    externally_managed = list(Path(SYSTEM_PYTHON).resolve().parent.parent.glob("lib/python3*/EXTERNALLY-MANAGED"))
    start = time.perf_counter()
    proc = _make("install", f"SYSTEM_PYTHON={SYSTEM_PYTHON}", env=_env_without_venv(), cwd=clone, timeout=1800)
    seconds = time.perf_counter() - start
    if proc.returncode != 0 and any(s in proc.stdout + proc.stderr for s in OFFLINE_SIGNS):
        pytest.skip("offline: no package index reachable")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    py = clone / ".venv" / "bin" / "python"
    check = subprocess.run([str(py), "-c", "import risklens, streamlit, xgboost, sqlalchemy, authlib, shap, lime; "
                            "print(risklens.__file__)"], capture_output=True, text=True, timeout=300,
                           env=_env_without_venv(), cwd=tmp_path)
    assert check.returncode == 0, check.stderr[-2000:]
    assert Path(check.stdout.strip()).resolve().is_relative_to(clone.resolve())
    cli = subprocess.run([str(clone / ".venv" / "bin" / "risklens"), "--help"], capture_output=True, text=True,
                         timeout=300, env=_env_without_venv(), cwd=tmp_path)
    assert cli.returncode == 0 and "audit" in cli.stdout
    again = _make("install", f"SYSTEM_PYTHON={SYSTEM_PYTHON}", env=_env_without_venv(), cwd=clone)
    assert again.returncode == 0 and "pip" not in again.stdout  # installed once; later runs start at once
    size = subprocess.run(["du", "-sh", str(clone / ".venv")], capture_output=True, text=True).stdout.split()[0]
    print(f"make install from {SYSTEM_PYTHON} (externally managed: {bool(externally_managed)}): "
          f"{seconds:.0f} s, .venv {size}")
