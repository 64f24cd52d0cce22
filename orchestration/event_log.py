"""Dagster's one-file SQLite event log, without a new connection per event.

ConsolidatedSqliteEventLogStorage opens a SQLite connection for every event it stores
and closes it after the commit. The file is in WAL mode, where closing the last
connection checkpoints the log into the database: every one of a build's ~2,000 events
(a dbt test result is one) paid a checkpoint and its fsyncs. py-spy on a `make run` of
the tiny company put 55 % of the run process in store_event, 38 % in opening and closing
those connections.

This storage keeps one engine per process, whose pooled connections stay open, and
commits with `synchronous=NORMAL`, WAL's usual setting: a committed event survives the
process being killed; only a power cut can lose the last few. The database is the same
file in the same schema, so a Dagster home can switch to it and back.
"""

from __future__ import annotations

import atexit
import os
import threading
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.pool import QueuePool
from watchdog.events import PatternMatchingEventHandler
from watchdog.observers import Observer

from dagster._core.storage.event_log.sqlite.consolidated_sqlite_event_log import (
    ConsolidatedSqliteEventLogStorage,
)
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS


class EventLogStorage(ConsolidatedSqliteEventLogStorage):
    _engine_lock = threading.Lock()

    def _engine(self):
        """One engine per process: a forked or spawned process opens its own."""
        pid = os.getpid()
        engine = getattr(self, "_pooled_engine", None)
        if engine is None or self._engine_pid != pid:
            with self._engine_lock:
                engine = getattr(self, "_pooled_engine", None)
                if engine is None or self._engine_pid != pid:
                    engine = create_engine(
                        self._conn_string, poolclass=QueuePool, pool_size=2,
                        max_overflow=8,
                        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                                      "check_same_thread": False})
                    event.listen(engine, "connect", _wal_normal)
                    # closed at exit: the last connection to close checkpoints the log
                    # into the database and removes its -wal and -shm files
                    atexit.register(engine.dispose)
                    self._pooled_engine, self._engine_pid = engine, pid
        return engine

    @contextmanager
    def _connect(self):
        with self._engine().connect() as conn:
            with conn.begin():
                yield conn

    def watch(self, run_id, cursor, callback):
        """As the parent's, but also wakes on the WAL file: with connections kept open,
        a commit changes <db>-wal and the database file only at a checkpoint."""
        if not self._obs:
            self._obs = Observer()
            self._obs.start()
            self._obs.schedule(_Changes(self), self._base_dir, recursive=True)
        self._watchers[run_id][callback] = cursor

    def dispose(self):
        engine = getattr(self, "_pooled_engine", None)
        if engine is not None and self._engine_pid == os.getpid():
            engine.dispose()
        super().dispose()


def _wal_normal(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class _Changes(PatternMatchingEventHandler):
    def __init__(self, storage: EventLogStorage):
        self._storage = storage
        db = storage.get_db_path()
        super().__init__(patterns=[db, f"{db}-wal"])

    def on_modified(self, _event):
        self._storage.on_modified()
