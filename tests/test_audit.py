"""The audit trail: hash chain, append-only storage, verification naming the first broken row, the CLI,
concurrent appends from two processes, and the one-line records the pages make."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from risklens.audit import GENESIS, AuditLog, row_hash, verify_rows
from risklens.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def db(tmp_path):
    return tmp_path / "audit.sqlite"


@pytest.fixture
def log(db):
    log = AuditLog(f"sqlite:///{db}")
    log.append("alice@h.org", "patient opened", patient_id="17", model_id="m1", data_hash="d" * 64)
    log.append("bob@h.org", "export downloaded", patient_id="17", model_id="m1", file="patient card")
    log.append("alice@h.org", "model trained", model_id="m2", data_hash="d" * 64, family="xgboost")
    log.append("carol@h.org", "patient opened", patient_id="42", model_id="m2")
    yield log
    log.close()


def _raw(db: Path, sql: str, *params) -> None:
    """Tamper behind the application's back: drop the append-only triggers, then change the table."""
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER IF EXISTS risklens_audit_no_update")
    con.execute("DROP TRIGGER IF EXISTS risklens_audit_no_delete")
    con.execute(sql, params)
    con.commit()
    con.close()


def test_rows_are_chained_from_genesis(log):
    rows = log.rows()
    assert [r["id"] for r in rows] == [1, 2, 3, 4]
    assert rows[0]["prev_hash"] == GENESIS
    for prev, row in zip(rows, rows[1:]):
        assert row["prev_hash"] == prev["row_hash"]
    for prev_hash, row in zip([GENESIS] + [r["row_hash"] for r in rows[:-1]], rows):
        assert row["row_hash"] == row_hash(prev_hash, row)
    result = log.verify()
    assert result.ok and result.rows == 4 and result.head == rows[-1]["row_hash"]
    assert json.loads(rows[1]["details"]) == {"file": "patient card"}


def test_filters_by_patient_user_action(log):
    assert [r["id"] for r in log.rows(patient_id="17")] == [1, 2]
    assert [r["id"] for r in log.rows(user="alice@h.org")] == [1, 3]
    assert [r["id"] for r in log.rows(action="patient opened", limit=1)] == [4]


def test_sqlite_refuses_update_and_delete(log, db):
    con = sqlite3.connect(db)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE risklens_audit SET user = 'mallory' WHERE id = 2")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM risklens_audit WHERE id = 2")
    con.close()
    assert log.verify().ok


@pytest.mark.parametrize("sql, params, broken, why", [
    ("UPDATE risklens_audit SET user = ? WHERE id = 2", ("mallory",), 2, "content does not match"),
    ("UPDATE risklens_audit SET patient_id = ? WHERE id = 3", ("99",), 3, "content does not match"),
    ("UPDATE risklens_audit SET details = ? WHERE id = 1", ('{"x": 1}',), 1, "content does not match"),
    ("DELETE FROM risklens_audit WHERE id = 2", (), 2, "missing"),
    ("DELETE FROM risklens_audit WHERE id = 1", (), 1, "missing"),
])
def test_verify_names_the_first_broken_row(log, db, sql, params, broken, why):
    _raw(db, sql, *params)
    result = log.verify()
    assert not result.ok and result.broken_id == broken and why in result.reason
    assert f"row {broken}" in result.message()


def test_a_rewritten_row_with_a_recomputed_hash_breaks_the_next_link(log, db):
    row = log.rows()[1]
    forged = {**row, "user": "mallory"}
    _raw(db, "UPDATE risklens_audit SET user = ?, row_hash = ? WHERE id = 2", "mallory",
         row_hash(row["prev_hash"], forged))
    result = log.verify()
    assert not result.ok and result.broken_id == 3 and "link" in result.reason


def test_verify_rows_on_plain_dicts():
    assert verify_rows([]).ok
    row = {"id": 1, "ts": "t", "user": "u", "action": "a", "patient_id": None, "model_id": None,
           "data_hash": None, "details": "{}", "prev_hash": GENESIS}
    row["row_hash"] = row_hash(GENESIS, row)
    assert verify_rows([row]).ok
    assert not verify_rows([{**row, "id": 2}]).ok


def test_cli_lists_filters_and_verifies(log, db, capsys):
    url = f"sqlite:///{db}"
    assert main(["audit", "--url", url, "--patient", "17", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in listed] == [1, 2] and listed[1]["details"] == {"file": "patient card"}
    assert main(["audit", "--url", url, "--user", "carol@h.org"]) == 0
    out = capsys.readouterr().out
    assert "carol@h.org" in out and "alice@h.org" not in out
    assert main(["audit", "--url", url, "--verify"]) == 0
    assert "intact: 4 row(s)" in capsys.readouterr().out
    _raw(db, "DELETE FROM risklens_audit WHERE id = 3")
    assert main(["audit", "--url", url, "--verify"]) == 1
    assert "broken at row 3" in capsys.readouterr().out


def test_cli_shows_control_characters_escaped(db, capsys):
    AuditLog(f"sqlite:///{db}").append("x\x1b[31mred\nnext", "upload", file="a\rb")
    assert main(["audit", "--url", f"sqlite:///{db}"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b[31mred\\nnext" in out


def test_bad_url_is_one_line_error(capsys):
    assert main(["audit", "--url", "not a url"]) == 2
    err = capsys.readouterr().err
    assert "not a database URL" in err and "Traceback" not in err


_APPENDER = """
import sys
from risklens.audit import AuditLog
log = AuditLog(sys.argv[1])
for i in range(int(sys.argv[3])):
    log.append(sys.argv[2], "patient opened", patient_id=str(i))
"""


def test_two_processes_append_without_forking_the_chain(db):
    url, n = f"sqlite:///{db}", 60
    AuditLog(url).close()  # create the table once
    procs = [subprocess.Popen([sys.executable, "-c", _APPENDER, url, who, str(n)], cwd=ROOT,
                              env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}) for who in ("p1", "p2")]
    assert [p.wait(120) for p in procs] == [0, 0]
    log = AuditLog(url)
    result = log.verify()
    assert result.ok and result.rows == 2 * n
    assert sorted(r["user"] for r in log.rows()).count("p1") == n


def test_cli_train_and_explain_are_recorded(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RISKLENS_AUDIT_URL", f"sqlite:///{tmp_path / 'a.sqlite'}")
    data = tmp_path / "ward.parquet"
    assert main(["cohort", "ward", "--n", "600", "--seed", "1", "--out", str(data)]) == 0
    args = ["--data", str(data), "--outcome", "outcome", "--id", "id", "--group", "patient_id", "--trigger", "trigger"]
    assert main(["train", *args, "--model", "l1-logistic", "--out", str(tmp_path / "m")]) == 0
    assert main(["explain", "--model", str(tmp_path / "m"), "--data", str(data), "--id", "id", "--method", "coef",
                 "--rows", "5", "--out", str(tmp_path / "e.csv")]) == 0
    capsys.readouterr()
    from risklens.audit import open_log

    rows = open_log().rows()
    assert [r["action"] for r in rows] == ["model trained", "export written"]
    assert rows[0]["user"].startswith("cli:") and rows[0]["model_id"] == rows[1]["model_id"]
    assert open_log().verify().ok


def test_pages_record_patient_opened_once_per_patient(tmp_path, monkeypatch):
    from apptest_support import open_page

    from risklens.audit import open_log
    from risklens.demo import ensure_demo

    home = tmp_path
    monkeypatch.setenv("RISKLENS_HOME", str(home))
    monkeypatch.setenv("RISKLENS_DEMO_N", "1200")
    monkeypatch.delenv("RISKLENS_AUDIT_URL", raising=False)
    ensure_demo()

    at = open_page("pages/patients.py")
    pid = at.selectbox(key="pt_select").value
    at.run()  # a rerun of the same patient is not a new event
    rows = open_log().rows(action="patient opened")
    assert len(rows) == 1 and rows[0]["patient_id"] == str(pid)
    assert rows[0]["user"].startswith("open-session@")
    other = next(o for o in at.selectbox(key="pt_select").options if o != str(pid))
    at.selectbox(key="pt_select").set_value(other).run()
    assert [r["patient_id"] for r in open_log().rows(action="patient opened")] == [str(pid), other]
    assert str(open_log().url).startswith(f"sqlite:///{home}")
