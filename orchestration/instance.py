"""The Dagster instance home shared by `make run` and `make ui`, so headless runs show
in the UI's run history. Plain Python: writes dagster.yaml once."""

from __future__ import annotations

import os
import re
from pathlib import Path

from .settings import Settings

DAGSTER_YAML = """\
# Written by orchestration/instance.py. DuckDB allows one writing process per file:
# every warehouse writer is in the pool "warehouse", limited to one step at a time.
concurrency:
  pools:
    default_limit: 1
telemetry:
  enabled: false
# One SQLite file for every run's events: the default keeps a file per run and copies
# each asset event into a second, shared one, so a dbt build's ~1,500 events are
# written twice (measured: 7 s of a 50 s warehouse step). Dagster's one-file storage
# with its connections kept open (orchestration/event_log.py says why).
event_log_storage:
  module: orchestration.event_log
  class: EventLogStorage
  config:
    base_dir: {history}
"""


# the event log storages this file has written (a home keeps its events when it changes)
_OURS = re.compile(r"class: (ConsolidatedSqliteEventLogStorage|EventLogStorage)$", re.M)


def dagster_yaml(home: Path) -> str:
    """The dagster.yaml of a Dagster home folder."""
    return DAGSTER_YAML.format(history=home.resolve() / "history")


def dagster_home_path(settings: Settings) -> Path:
    """DAGSTER_HOME when set, else <data_dir>/dagster_home."""
    return Path(os.environ.get("DAGSTER_HOME") or settings.data_dir / "dagster_home").resolve()


def dagster_home(settings: Settings) -> Path:
    """The Dagster home (dagster_home_path), created with its dagster.yaml. Callers
    open it with `instance()` or pass it to the processes they start: the process
    environment is not changed."""
    home = dagster_home_path(settings)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    wanted = dagster_yaml(home)
    # The event log's folder is an absolute path: rewritten when the home moved (a copied
    # data dir must not write to the original's event log). A home made before this
    # setting keeps its per-run event files; a file without our first line is the user's.
    text = config.read_text() if config.exists() else None
    if text is None or (text != wanted and text.startswith(DAGSTER_YAML.splitlines()[0])
                        and _OURS.search(text)):
        config.write_text(wanted)
    nux = home / ".nux" / "nux.yaml"
    if not nux.exists():
        nux.parent.mkdir(parents=True, exist_ok=True)
        nux.write_text("seen: 1\n")
    return home


def instance(settings: Settings):
    """The Dagster instance of these settings (run history shared with `make ui`)."""
    import dagster as dg

    return dg.DagsterInstance.from_config(str(dagster_home(settings)))
