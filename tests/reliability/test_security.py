"""Security with real processes: the UI listens on the loopback interface only, a
configured secret never shows anywhere a pipeline writes, planners read the published
snapshot read-only (docs/runbook.md, faults and recovery; docs/operations.md)."""

from __future__ import annotations

import gzip
import io
import ipaddress
import os
import signal
import socket
import sqlite3
import subprocess
import time
import zipfile
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import UI_HOST, ui_command
from orchestration.delivery import answers
from orchestration.settings import load_settings
from tests.reliability.test_faults import TOKEN, recovery_story


# --- the UI ------------------------------------------------------------------------------

def _group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[2]) == pgid:
                pids.append(int(entry.name))
    return pids


def _address(hex_addr: str) -> str:
    raw = bytes.fromhex(hex_addr)
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw[::-1]))
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    return str(ipaddress.IPv6Address(words))


def listening_sockets(pgid: int) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket a process of the group listens on, read
    from /proc/net/tcp and tcp6 (state 0A) by socket inode."""
    inodes = set()
    for pid in _group_pids(pgid):
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            parts = line.split()
            local, state, inode = parts[1], parts[3], parts[9]
            if state == "0A" and inode in inodes:
                addr, port = local.split(":")
                found.add((_address(addr), int(port, 16)))
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ONE_ASSET = """\
import dagster as dg


@dg.asset
def one():
    return 1


defs = dg.Definitions(assets=[one])
"""


def test_the_ui_listens_on_loopback_only(tmp_path):
    """`tower ui` by default: the command it builds says 127.0.0.1, and that command
    started for real (with a one-asset code location instead of ours, which takes a
    minute to load under load; the host and port flags are the same) listens on a
    loopback address only, in every process of its group (web server, daemon, code
    server)."""
    port = _free_port()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8",
           "CT_DATA_DIR": str(tmp_path / "data")}
    cmd, ui_env = ui_command(load_settings(env), port=port, environ=env)
    assert UI_HOST == "127.0.0.1"
    assert cmd[1:2] == ["dev"] and cmd[cmd.index("-h") + 1] == "127.0.0.1"
    assert cmd[cmd.index("-p") + 1] == str(port)
    (tmp_path / "one_asset.py").write_text(ONE_ASSET)
    at = cmd.index("-w")
    cmd[at:at + 2] = ["-f", str(tmp_path / "one_asset.py")]
    proc = subprocess.Popen(cmd, env=ui_env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline, sockets = time.monotonic() + 300, set()
        while time.monotonic() < deadline and proc.poll() is None:
            sockets = listening_sockets(proc.pid)
            if any(p == port for _, p in sockets):
                break
            time.sleep(0.25)
        time.sleep(1.0)     # anything that starts beside the web server
        sockets = listening_sockets(proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert ("127.0.0.1", port) in sockets, sockets
    assert all(ipaddress.ip_address(a).is_loopback for a, _ in sockets), sockets


# --- the secret --------------------------------------------------------------------------

def text_of(path: Path) -> list[str]:
    """What a file holds as text, whatever its format: every string value of a DuckDB
    file or a Parquet file (their pages are compressed, so bytes would not show a
    value), the members of a zip (XLSX), a gzip's content, else the bytes."""
    name = path.name
    if name.endswith((".duckdb", ".parquet")):
        con = duckdb.connect(str(path), read_only=True) if name.endswith(".duckdb") \
            else duckdb.connect()
        try:
            if name.endswith(".parquet"):
                con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet('{path}')")
            tables = con.execute("SELECT table_catalog, table_schema, table_name FROM "
                                 "information_schema.tables").fetchall()
            out = []
            for cat, schema, table in tables:
                ref = f'"{cat}"."{schema}"."{table}"'
                cols = [c[0] for c in con.execute(f"DESCRIBE {ref}").fetchall()]
                if cols:
                    expr = " || '|' || ".join(f'coalesce(CAST("{c}" AS VARCHAR), \'\')'
                                              for c in cols)
                    out += [r[0] for r in con.execute(f"SELECT {expr} FROM {ref}").fetchall()]
            return out
        finally:
            con.close()
    data = path.read_bytes()
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return [z.read(n).decode(errors="replace") for n in z.namelist()]
    if data[:2] == b"\x1f\x8b":
        return [gzip.decompress(data).decode(errors="replace")]
    return [data.decode(errors="replace")]


def holding(token: str, root: Path) -> list[str]:
    """Files under `root` that hold `token` in any form they store text."""
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and not path.name.endswith(".wal"):
            if any(token in text for text in text_of(path)):
                found.append(path.relative_to(root).as_posix())
    return found


def test_the_search_finds_a_token_in_every_format(tmp_path):
    """The search below can fail: it finds the token in a DuckDB table, a Parquet
    file, an XLSX, a gzip and an SQLite file."""
    import openpyxl

    token = "ct-token-known-answer"
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE SCHEMA s; CREATE TABLE s.t AS SELECT range AS n, "
                "'x' || range AS v FROM range(5000)")
    con.execute("INSERT INTO s.t VALUES (9999, ?)", [f"url=http://h/{token}"])
    con.execute(f"COPY s.t TO '{tmp_path / 'w.parquet'}' (FORMAT parquet)")
    con.close()
    book = openpyxl.Workbook()
    book.active["B7"] = token
    book.save(tmp_path / "p.xlsx")
    (tmp_path / "l.gz").write_bytes(gzip.compress(token.encode()))
    lite = sqlite3.connect(tmp_path / "e.db")
    lite.execute("CREATE TABLE e (body TEXT)")
    lite.execute("INSERT INTO e VALUES (?)", [f'{{"message": "{token}"}}'])
    lite.commit()
    lite.close()
    (tmp_path / "clean.txt").write_text("nothing here")
    assert holding(token, tmp_path) == ["e.db", "l.gz", "p.xlsx", "w.duckdb", "w.parquet"]


def test_the_alert_webhook_secret_never_shows(built):
    """CT_ALERT_WEBHOOK (a URL with a token) was set for every run of the fault story
    (test_faults.py: five kills, a full disk, a recovery), and used: the failed runs
    posted their alerts to it. Its token is in no file under the data dir (warehouse,
    snapshot, exports, packs, logs, alerts.log, Dagster's event and run storage,
    compute logs), in no output or error message, in no alert, not in repr(settings)."""
    story = recovery_story(built)
    posts = story.webhook_posts
    assert posts and all(path == f"/hooks/{TOKEN}" for path, _ in posts)
    assert not [body for _, body in posts if TOKEN.encode() in body]
    assert b"FAILED" in posts[0][1]
    assert holding(TOKEN, story.data_dir) == []
    assert TOKEN not in story.outputs
    settings = load_settings(story.env)
    assert settings.alert_webhook and TOKEN in settings.alert_webhook
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)


# --- planners read only ------------------------------------------------------------------

def test_planners_open_the_published_snapshot_read_only(built):
    """`tower ask` and `tower kpi` open the snapshot through answers' connection:
    read-only, so a write through it fails and the file is unchanged."""
    published = built.settings.published
    before = published.read_bytes()
    with answers._Snapshot(published) as snapshot:
        with pytest.raises(duckdb.Error, match="read-only"):
            snapshot.rows("CREATE TABLE marts.planner_note AS SELECT 1 AS x")
        with pytest.raises(duckdb.Error, match="read-only"):
            snapshot.rows("DELETE FROM marts.dim_item")
    assert published.read_bytes() == before
