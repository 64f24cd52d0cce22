"""The Dagster home's event log (orchestration/event_log.py): connections kept open must
not hide events from the other processes that read the same home (the UI, the daemon,
the next `make run`), nor from a watcher of a running run's log."""

from __future__ import annotations

import subprocess
import sys
import threading

import dagster as dg

from orchestration.instance import dagster_yaml


@dg.asset
def shipped_units() -> int:
    return 3


def _instance(home):
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(dagster_yaml(home))
    return dg.DagsterInstance.from_config(str(home))


def test_events_are_seen_by_another_process_and_by_a_watcher(tmp_path):
    home = tmp_path / "dagster_home"
    instance = _instance(home)
    assert type(instance.event_log_storage).__name__ == "EventLogStorage"
    result = dg.materialize([shipped_units], instance=instance)
    assert result.success
    run_id = result.run_id
    written = len(instance.all_logs(run_id))

    # another process, as `make ui` is, reads every event of the run while this one
    # still holds its connections open
    seen = subprocess.run(
        [sys.executable, "-c",
         "import sys, dagster as dg\n"
         "i = dg.DagsterInstance.from_config(sys.argv[1])\n"
         "print(len(i.all_logs(sys.argv[2])))\n"
         "print(i.get_latest_materialization_event(dg.AssetKey('shipped_units')) "
         "is not None)",
         str(home), run_id], capture_output=True, text=True, check=True).stdout.split()
    assert seen == [str(written), "True"]

    # a watcher of the run (the UI's live log) is woken by a new event of that run
    woken = threading.Event()
    instance.event_log_storage.watch(run_id, None, lambda *_: woken.set())
    try:
        instance.report_engine_event("a planner's note", instance.get_run_by_id(run_id))
        assert woken.wait(timeout=20), "the watcher never saw the new event"
    finally:
        instance.event_log_storage.end_watch(run_id, next(iter(
            instance.event_log_storage._watchers[run_id]), None))
        instance.dispose()
