"""Concurrency with real processes (docs/runbook.md, faults and recovery): two
`tower run` on one data dir at once; a planner holding the published snapshot open
while the warehouse is built from scratch. Both ride on the fault story of
test_faults.py (a tiny-tier build costs a minute)."""

from __future__ import annotations

import sqlite3
from datetime import timezone

from orchestration.delivery.files import mart_checksums
from tests.reliability.test_faults import recovery_story


def test_two_runs_at_once_one_is_refused_and_nothing_is_corrupted(built):
    """While the fault story's last run (test_faults.py) holds the data dir (its lock
    file names it), a second `tower run` on the same data dir exits 1 at once with one
    line naming the first, and starts no Dagster run; the first finishes and its marts
    and snapshot equal the uninterrupted build."""
    story = recovery_story(built)
    first, second = story.runs["final"], story.runs["second"]
    assert first.returncode == 0, first.output[-3000:]
    assert second.returncode == 1, second.output
    lines = second.output.strip().splitlines()
    assert len(lines) == 1, second.output
    assert lines[0].startswith(f"error: another run (pid {first.pid}, started ")
    assert lines[0].endswith(f"is building {story.data_dir}; this one changed nothing: "
                             "run again when it has finished")
    runs = sqlite3.connect(story.data_dir / "dagster_home" / "history" / "runs.db")
    try:
        pids = {r[0] for r in runs.execute("SELECT value FROM run_tags WHERE key = 'ct/pid'")}
    finally:
        runs.close()
    assert str(first.pid) in pids and str(second.pid) not in pids
    assert mart_checksums(story.data_dir / "warehouse.duckdb") == story.reference.marts
    assert mart_checksums(story.data_dir / "published" / "warehouse.duckdb") == \
        story.reference.published


def test_a_reader_keeps_its_view_while_the_warehouse_is_rebuilt(built):
    """A planner's connection to the published snapshot, opened before the fault
    story's full rebuild (test_faults.py) and held through seven runs: the build
    succeeded; the held connection still sees the old snapshot, every table with the
    same row count; a new connection sees the new one (its finance month was frozen
    during the story)."""
    story = recovery_story(built)
    assert story.runs["final"].returncode == 0
    assert story.reader_after == story.reader_before
    assert len(story.reader_before) > 60
    assert utc(story.reader_closed_at) < story.started_at
    assert utc(story.new_closed_at) >= story.started_at - 1
    assert story.new_counts == story.reader_before      # the same company, built again


def utc(stamp) -> float:
    """A naive UTC timestamp of the warehouse as seconds since the epoch."""
    return stamp.replace(tzinfo=timezone.utc).timestamp()
