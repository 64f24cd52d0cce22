"""Faults, with real processes (docs/runbook.md, faults and recovery): a `tower run`
killed with SIGKILL at five points, a full disk, a read-only data dir; a pack folder
swapped whole.

One company goes through the whole story, because a tiny-tier run costs a minute: a
copy of the session's company with its warehouse and Dagster history removed (so it
rebuilds from its landing zone, while the snapshot and packs of the earlier build stay
at their final paths), then run 1 killed mid-ingestion, run 2 mid-dbt-build, run 3
mid-forecast, run 4 mid-pack, run 5 mid-publish, run 6 on a full disk, run 7 with space
(and, while run 7 holds the data dir, a second run: test_concurrency.py).
After every kill each file at a final path must open and be whole; the last run must end
with the marts, snapshot and packs of the uninterrupted session build. The data dir is a
size-limited tmpfs (CI runs as root, like this container). test_concurrency.py and
test_security.py read the same story (`recovery_story`).
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from orchestration.delivery.files import mart_checksums

VENV_BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]
TOWER = str(VENV_BIN / "tower")
# The alert webhook is a secret: its token must never show (test_security.py).
TOKEN = f"ct-token-{uuid.uuid4().hex}"
# Cover cells that name the run that wrote a pack, not its figures.
RUN_SPECIFIC_ROWS = ("Dagster run id", "Closed (figures frozen) at")
TEMP_SUFFIXES = (".tmp", ".old", ".tmp.wal")
RUN_TIMEOUT = 900
BALLAST_FREE = 6 * 2**20     # what the full disk leaves: less than one snapshot
FROZEN_AT = "SELECT max(closed_at) FROM finance_close.closed_months"


# --- processes -------------------------------------------------------------------------

@dataclass
class Run:
    """One `tower run` process: exit code, what it printed, whether it was killed."""

    pid: int
    returncode: int
    output: str
    seconds: float
    killed: bool = False
    detected: str = ""


def tower_env(data_dir: Path, webhook: str | None = None) -> dict[str, str]:
    """The whole environment of a `tower` process: the data dir, its Dagster home, and
    this checkout's code (the one the test imports)."""
    env = {"PATH": f"{VENV_BIN}:/usr/bin:/bin", "HOME": str(data_dir.parent),
           "LANG": "C.UTF-8", "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO),
           "CT_DATA_DIR": str(data_dir), "DAGSTER_HOME": str(data_dir / "dagster_home")}
    if webhook:
        env["CT_ALERT_WEBHOOK"] = webhook
    return env


def start_tower(args: list[str], env: dict[str, str], prefix: list[str] = ()):
    """A `tower` process in its own process group, its output collected by a thread."""
    proc = subprocess.Popen([*prefix, TOWER, *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    lines: list[bytes] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, b"")),
                              daemon=True)
    reader.start()
    return proc, lines, reader


def run_tower(args: list[str], env: dict[str, str], kill_when=None, prefix: list[str] = (),
              timeout: float = RUN_TIMEOUT, meanwhile=None) -> Run:
    """Run `tower`; when `kill_when()` returns a description, SIGKILL the whole process
    group (dbt and forecast workers included) at once. `meanwhile(pid)` is called
    while it runs."""
    started = time.monotonic()
    proc, lines, reader = start_tower(args, env, prefix)
    detected = ""
    try:
        while proc.poll() is None:
            if meanwhile is not None:
                meanwhile(proc.pid)
            if kill_when is not None:
                detected = kill_when() or ""
                if detected:
                    os.killpg(proc.pid, signal.SIGKILL)
                    break
            if time.monotonic() - started > timeout:
                os.killpg(proc.pid, signal.SIGKILL)
                pytest.fail(f"tower {' '.join(args)} still running after {timeout} s")
            time.sleep(0.05)
    finally:
        proc.wait()
        reader.join(timeout=30)
    return Run(proc.pid, proc.returncode, b"".join(lines).decode(errors="replace"),
               time.monotonic() - started, bool(detected), detected)


# --- detecting a point of the run from outside ------------------------------------------

class EventLog:
    """The Dagster event log of the run's DAGSTER_HOME (SQLite), read from outside."""

    def __init__(self, home: Path):
        self.path = home / "history" / "event_log.db"
        self.since = self._max_id()

    def _query(self, sql: str, params=()) -> list[tuple]:
        if not self.path.exists():
            return []
        try:
            con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=0.2)
            try:
                return con.execute(sql, params).fetchall()
            finally:
                con.close()
        except sqlite3.OperationalError:    # locked by the writer, or not created yet
            return []

    def _max_id(self) -> int:
        rows = self._query("SELECT coalesce(max(id), 0) FROM event_logs")
        return rows[0][0] if rows else 0

    def count(self, event_type: str, step_like: str) -> int:
        """Events of this type of a step, written since this object was made."""
        rows = self._query("SELECT count(*) FROM event_logs WHERE id > ? AND "
                           "dagster_event_type = ? AND step_key LIKE ?",
                           (self.since, event_type, step_like))
        return rows[0][0] if rows else 0


def temp_entries(folder: Path) -> list[Path]:
    """Temporary files or folders of a writer (dot names ending .tmp/.old)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.name.startswith(".") and p.name.endswith(TEMP_SUFFIXES))


def leftovers(data_dir: Path) -> list[str]:
    """Temporary files a writer leaves beside the final paths of published and exports."""
    found = []
    for folder in [data_dir / "published", *(data_dir / "exports").rglob("*")]:
        if folder.is_dir():
            found += [p.relative_to(data_dir).as_posix() for p in temp_entries(folder)]
    return sorted(found)


# --- what is at the final paths -----------------------------------------------------------

def workbook_cells(path: Path) -> dict[str, list[tuple]]:
    """Every cell of an XLSX by sheet (content, not bytes: a zip carries timestamps),
    without the cover rows that name the run."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: [row for row in ws.iter_rows(values_only=True)
                           if not (row and row[0] in RUN_SPECIFIC_ROWS)]
                for ws in book.worksheets}
    finally:
        book.close()


def packs(data_dir: Path) -> dict[str, object]:
    """The monthly packs at their final paths: file names, and the cells of each XLSX."""
    out: dict[str, object] = {}
    for kind in ("finance", "kpi_pack"):
        root = data_dir / "exports" / kind
        for month in sorted(p for p in root.iterdir() if not p.name.startswith(".")):
            out[f"{kind}/{month.name}"] = sorted(p.name for p in month.iterdir())
            for book in sorted(month.glob("*.xlsx")):
                out[f"{kind}/{month.name}/{book.name}"] = workbook_cells(book)
    return out


def parquet_rows(data_dir: Path) -> dict[str, int]:
    """Rows of every Parquet export at its final path (a half-written file fails here)."""
    return {p.relative_to(data_dir).as_posix(): duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{p}')").fetchall()[0][0]
        for p in sorted((data_dir / "exports" / "parquet").rglob("*.parquet"))}


READER = f"""
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
while True:
    tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() ORDER BY 1, 2")
    counts = {{f"{{s}}.{{t}}": con.execute(f'SELECT count(*) FROM "{{s}}"."{{t}}"').fetchall()[0][0]
              for s, t in tables.fetchall()}}
    frozen = con.execute("{FROZEN_AT}").fetchall()[0][0]
    print(json.dumps({{"counts": counts, "frozen_at": frozen.isoformat()}}), flush=True)
    if not sys.stdin.readline():
        break
"""


class HeldReader:
    """A planner's session in a process of its own (DuckDB shares one database per
    file within a process, so a second connection in the test's would see the first's
    view): one read-only connection to the snapshot, held until closed; `view()` reads
    every table's row count and when the snapshot's finance month was frozen."""

    def __init__(self, published: Path):
        self.proc = subprocess.Popen([sys.executable, "-c", READER, str(published)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        self.pending = True     # the first view is printed on start

    def view(self) -> tuple[dict[str, int], datetime]:
        import json

        if not self.pending:
            self.proc.stdin.write("again\n")
            self.proc.stdin.flush()
        self.pending = False
        seen = json.loads(self.proc.stdout.readline())
        return seen["counts"], datetime.fromisoformat(seen["frozen_at"])

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def fingerprint(folder: Path) -> dict[str, str]:
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            out[path.relative_to(folder).as_posix()] = hashlib.sha256(
                path.read_bytes()).hexdigest()
    return out


@dataclass
class Reference:
    """The uninterrupted build: the session's company."""

    marts: dict
    published: dict
    packs: dict
    parquet: dict
    landing: dict


@dataclass
class Story:
    data_dir: Path
    env: dict[str, str]
    reference: Reference
    runs: dict[str, Run] = field(default_factory=dict)
    after_kill: dict[str, dict] = field(default_factory=dict)   # what each kill left
    webhook_posts: list[tuple[str, bytes]] = field(default_factory=list)
    reader_before: dict[str, int] = field(default_factory=dict)
    reader_after: dict[str, int] = field(default_factory=dict)
    reader_closed_at: object = None     # when the finance month of the snapshot was
    new_closed_at: object = None        # frozen: the one value that tells builds apart
    new_counts: dict[str, int] = field(default_factory=dict)
    started_at: float = 0.0
    error: BaseException | None = None

    @property
    def outputs(self) -> str:
        return "\n".join(r.output for r in self.runs.values())


def final_paths(data_dir: Path) -> dict:
    """Everything a reader can open at a final path, opened: the published snapshot's
    mart checksums, the packs' cells and every Parquet export's rows."""
    return {"published": mart_checksums(data_dir / "published" / "warehouse.duckdb"),
            "packs": packs(data_dir), "parquet": parquet_rows(data_dir)}


# --- the story ------------------------------------------------------------------------------

class _Webhook(BaseHTTPRequestHandler):
    posts: list = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.posts.append((self.path, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def _mount_tmpfs(base: Path) -> Path:
    """A size-limited file system for the data dir, so a full disk is a real ENOSPC."""
    mount = base / "fs"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1g,mode=0755", "tmpfs",
                           str(mount)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail("the fault tests need a size-limited file system for the data dir: "
                    f"`mount -t tmpfs` failed ({done.stderr.strip()}); CI runs them as "
                    "root, as this container does")
    def clean_up():
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
    atexit.register(clean_up)
    return mount


_STORY: dict[str, Story] = {}


def recovery_story(built) -> Story:
    """The whole story, once per test process (the tests that read it share `built`,
    so they run in one process)."""
    if "story" not in _STORY:
        story = None
        try:
            story = _tell(built)
        except BaseException as exc:    # noqa: BLE001 - every reader reports it
            story = Story(Path("."), {}, None, error=exc)
        _STORY["story"] = story
    story = _STORY["story"]
    if story.error is not None:
        raise story.error
    return story


def _reference(built) -> Reference:
    s = built.settings
    return Reference(mart_checksums(s.warehouse), mart_checksums(s.published),
                     packs(s.data_dir), parquet_rows(s.data_dir), fingerprint(s.landing_dir))


def _tell(built) -> Story:
    base = Path(tempfile.mkdtemp(prefix="ct-faults-"))
    base.chmod(0o755)                   # the unprivileged user must reach it
    data = _mount_tmpfs(base) / "data"
    shutil.copytree(built.settings.data_dir, data, symlinks=True)
    for path in [data / "dagster_home", *data.glob("warehouse.duckdb*")]:
        shutil.rmtree(path) if path.is_dir() else path.unlink()

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    _Webhook.posts = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    webhook = f"http://127.0.0.1:{server.server_address[1]}/hooks/{TOKEN}"
    story = Story(data, tower_env(data, webhook), _reference(built))
    story.webhook_posts = _Webhook.posts
    published = data / "published" / "warehouse.duckdb"
    home = data / "dagster_home"

    # a planner's session on the snapshot, held open through every build below
    reader = HeldReader(published)
    story.reader_before, story.reader_closed_at = reader.view()
    story.started_at = time.time()

    def kill(name: str, when) -> None:
        run = run_tower(["run", "--no-simulate"], story.env, when)
        story.runs[name] = run
        assert run.killed, f"{name}: the run ended ({run.returncode}) before the point " \
                           f"was seen:\n{run.output[-3000:]}"
        story.after_kill[name] = {"final": final_paths(data), "leftovers": leftovers(data),
                                  "warehouse": _warehouse_state(data)}

    def events(event_type: str, step_like: str, at_least: int = 1, after: float = 0.0):
        """Seen `at_least` events of a step in the event log, `after` seconds ago."""
        log, first = EventLog(home), []

        def seen():
            if not first and log.count(event_type, step_like) >= at_least:
                first.append(time.monotonic())
            if first and time.monotonic() - first[0] >= after:
                return f"{at_least} x {event_type} of {step_like}, {after:g} s before"
            return None
        return seen

    def temp_in(*folders: Path):
        def seen():
            for folder in folders:
                found = temp_entries(folder)
                if found:
                    return f"{found[0].relative_to(data)} exists"
            return None
        return seen

    try:
        kill("ingestion", events("STEP_SUCCESS", "raw__%"))
        kill("dbt_build", events("ASSET_MATERIALIZATION", "warehouse_models", 40))
        kill("forecast", events("STEP_START", "demand_forecast", after=1.0))
        kill("pack", temp_in(data / "exports" / "finance", data / "exports" / "kpi_pack"))
        kill("publish", temp_in(data / "published"))

        # run 6: the disk is full but for less than one snapshot
        ballast = data.parent / "ballast"
        stat = os.statvfs(data)
        with open(ballast, "wb") as fh:
            os.posix_fallocate(fh.fileno(), 0, stat.f_bavail * stat.f_frsize - BALLAST_FREE)
        story.runs["disk_full"] = run_tower(["run", "--no-simulate"], story.env)
        story.after_kill["disk_full"] = {"final": final_paths(data),
                                         "leftovers": leftovers(data)}
        ballast.unlink()

        # run 7, and a second run started while it holds the data dir
        def second_run(pid: int) -> None:
            lock = data / ".tower-run.lock"
            if "second" not in story.runs and lock.exists() and \
                    lock.read_text().startswith(f"pid {pid},"):
                story.runs["second"] = run_tower(["run", "--no-simulate"], story.env,
                                                 timeout=120)
        story.runs["final"] = run_tower(["run", "--no-simulate"], story.env,
                                        meanwhile=second_run)
        story.reader_after, closed_at = reader.view()
        assert closed_at == story.reader_closed_at
        fresh = HeldReader(published)
        try:
            story.new_counts, story.new_closed_at = fresh.view()
        finally:
            fresh.close()
    finally:
        reader.close()
        server.shutdown()
    return story


def _warehouse_state(data: Path) -> dict:
    """What a kill left in the live warehouse: it opens (DuckDB replays its log), and
    each extract's raw rows are exactly what its ledger says was loaded."""
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        ledger = dict(con.execute(
            "SELECT extract, sum(rows_loaded) FROM meta.ingest_ledger "
            "WHERE status = 'loaded' GROUP BY 1").fetchall())
        raw = {e: con.execute(f'SELECT count(*) FROM raw."{e}"').fetchall()[0][0]
               for e in ledger}
        marts = con.execute("SELECT count(*) FROM duckdb_tables() "
                            "WHERE schema_name = 'marts'").fetchall()[0][0]
        forecast = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'forecast' "
            "AND table_name = 'demand_forecast'").fetchall()[0][0]
        forecast_rows = (con.execute("SELECT count(*) FROM forecast.demand_forecast")
                         .fetchall()[0][0] if forecast else 0)
        return {"ledger_rows": {e: int(n) for e, n in ledger.items()}, "raw_rows": raw,
                "marts": marts, "forecast_rows": forecast_rows}
    finally:
        con.close()


# --- the tests -----------------------------------------------------------------------------

KILLS = ("ingestion", "dbt_build", "forecast", "pack", "publish")


@pytest.fixture(scope="module")
def story(built) -> Story:
    return recovery_story(built)


def test_the_story_starts_from_the_same_company(story, built):
    """The premise of every comparison: the same tiny-tier landing zone as the session
    build (same seed), byte for byte."""
    assert fingerprint(story.data_dir / "landing") == story.reference.landing


@pytest.mark.parametrize("point", KILLS)
def test_a_kill_leaves_every_final_path_whole(story, point):
    """After SIGKILL at each point, the snapshot, the packs and the Parquet exports at
    their final paths open and hold the previous build, whole; the live warehouse
    opens with each extract's raw rows equal to what its ledger loaded."""
    run = story.runs[point]
    assert run.killed and run.returncode == -signal.SIGKILL, run.detected
    left = story.after_kill[point]
    assert left["final"]["published"] == story.reference.published
    assert left["final"]["packs"] == story.reference.packs
    assert left["final"]["parquet"] == story.reference.parquet
    state = left["warehouse"]
    assert state["raw_rows"] == state["ledger_rows"]


def test_each_kill_hit_its_point(story):
    """The kills were where they claim: ingestion with some extracts loaded and some
    not, dbt with part of the marts built, the forecast before its snapshot was
    written, a pack and the snapshot while their temporary copies were being written."""
    after = story.after_kill
    loaded = after["ingestion"]["warehouse"]["ledger_rows"]
    assert 0 < len(loaded) < 25, loaded
    assert 0 < after["dbt_build"]["warehouse"]["marts"] < len(story.reference.marts)
    assert after["forecast"]["warehouse"]["forecast_rows"] == 0
    assert any(p.startswith(("exports/finance/.", "exports/kpi_pack/."))
               for p in after["pack"]["leftovers"]), after["pack"]["leftovers"]
    assert any(p.startswith("published/.warehouse.duckdb.")
               for p in after["publish"]["leftovers"]), after["publish"]["leftovers"]


def test_the_next_run_closes_the_killed_run_and_goes_on(story):
    """The Dagster run of a killed process is closed by the next run (else its claimed
    slot in the warehouse pool would make every later step wait for ever, and the next
    run would time out here): marked failed and tagged, its slot freed, one alert line
    each, and the run that found it says so."""
    history = story.data_dir / "dagster_home" / "history"
    runs = sqlite3.connect(history / "runs.db")
    events = sqlite3.connect(history / "event_log.db")
    try:
        status = dict(runs.execute("SELECT status, count(*) FROM runs GROUP BY 1").fetchall())
        tagged = runs.execute("SELECT count(*) FROM run_tags WHERE key = 'ct/interrupted'"
                              ).fetchall()[0][0]
        claimed = events.execute("SELECT count(*) FROM concurrency_slots "
                                 "WHERE run_id IS NOT NULL").fetchall()[0][0]
    finally:
        runs.close()
        events.close()
    assert set(status) <= {"SUCCESS", "FAILURE"}, status
    assert tagged == len(KILLS) and claimed == 0
    alerts = (story.data_dir / "alerts.log").read_text().splitlines()
    assert len([a for a in alerts if "ended before the run finished" in a]) == len(KILLS)
    assert "had stopped without finishing: marked failed" in story.runs["disk_full"].output


def test_a_full_disk_fails_with_one_clear_line_and_keeps_the_snapshot(story):
    run = story.runs["disk_full"]
    assert run.returncode == 1, run.output[-3000:]
    lines = [ln for ln in run.output.splitlines() if "no space left on device" in ln.lower()
             and ln.startswith("FAILED")]
    assert len(lines) == 1, run.output[-3000:]
    assert str(story.data_dir / "published") in lines[0]
    left = story.after_kill["disk_full"]
    assert left["final"]["published"] == story.reference.published
    assert not [p for p in left["leftovers"] if p.startswith("published/")]


def test_after_the_faults_the_run_equals_an_uninterrupted_build(story):
    """The last run completes; marts, the published snapshot and the packs equal those
    of the session build, and nothing temporary is left behind."""
    run = story.runs["final"]
    assert run.returncode == 0, run.output[-3000:]
    data = story.data_dir
    assert mart_checksums(data / "warehouse.duckdb") == story.reference.marts
    assert mart_checksums(data / "published" / "warehouse.duckdb") == story.reference.published
    assert packs(data) == story.reference.packs
    assert leftovers(data) == []


def test_a_read_only_data_dir_is_refused_with_one_line_and_nothing_changes(story):
    """An unprivileged user (root ignores permissions) runs on the data dir it cannot
    write: one clear line, exit 1, not a byte changed; the same user can still ask the
    published snapshot (planners need read access only)."""
    assert os.geteuid() == 0 or os.environ.get("CI") != "true", "CI runs as root"
    data = story.data_dir
    as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] \
        if os.geteuid() == 0 else []
    env = {**tower_env(data), "HOME": "/nonexistent"}
    before = fingerprint(data)
    run = run_tower(["run", "--no-simulate"], env, prefix=as_nobody, timeout=120)
    assert run.returncode == 1, run.output
    lines = run.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot write "), run.output
    assert "no write permission" in lines[0] and str(data) in lines[0]
    ask = run_tower(["ask", "chase", "--limit", "3"], env, prefix=as_nobody, timeout=120)
    assert ask.returncode == 0, ask.output
    assert fingerprint(data) == before


def test_a_read_only_mount_is_refused_with_one_line(story):
    """The same data dir on a file system mounted read-only: refused by name, for root
    too."""
    mount = story.data_dir.parent
    subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
    try:
        run = run_tower(["run", "--no-simulate"], tower_env(story.data_dir), timeout=120)
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(mount)], check=True)
    assert run.returncode == 1, run.output
    lines = run.output.strip().splitlines()
    assert len(lines) == 1 and "read-only file system" in lines[0], run.output


def test_a_folder_is_swapped_whole_and_what_a_kill_left_goes(tmp_path):
    """replace_folder (the packs, the chase drafts): the new folder takes the final
    path whole, and the temporary and set-aside folders a killed writer left beside it
    are removed; another month's are not."""
    from orchestration.delivery.files import replace_folder

    final, new = tmp_path / "2026-10", tmp_path / ".2026-10.cafe0001.tmp"
    for folder, text in ((final, "old"), (new, "new")):
        folder.mkdir()
        (folder / "pack.xlsx").write_text(text)
    for name in (".2026-10.dead0001.tmp", ".2026-10.dead0002.old", ".2026-09.beef0001.tmp"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "half.xlsx").write_text("half")
    replace_folder(new, final)
    assert (final / "pack.xlsx").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".2026-09.beef0001.tmp", "2026-10"]
