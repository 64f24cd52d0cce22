"""The PO chase loop on a copy of the tiny company, for several simulated days: the
drafts of the day go to the simulator's suppliers, who confirm, re-date or stay silent
in the next days' supplier_confirmations; the warehouse is rebuilt from the new
deliveries and the next list is checked against the simulator's truth (chase_responses).

A day rebuilds only what the list needs (ingest + dbt build of +po_chase_list with its
data tests, ~25 s here) instead of the whole core graph (~4 min on this machine)."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import pandas as pd
import pytest

from tests.conftest import copy_of_built

# The module's first test also pays for the loop (~2 min; rebuilds take up to a minute
# each on a busy 2-core machine) and, run alone, for the session's company (two core
# runs): more than the default 900 s timeout then.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

DAYS = 3
KEY = ["po_id", "po_line"]


@dataclass
class Day:
    as_of: date
    chased: pd.DataFrame          # po_chase_list of the day, the lines the drafts chased
    drafts: int
    lines_csv: pd.DataFrame
    facts_after: pd.DataFrame     # every PO line the next day, after the answers came in
    seconds: dict


def _rebuild(settings) -> None:
    """Ingest the new deliveries and build po_chase_list and its parents (with their
    data tests), with the profile the pipeline writes from the settings."""
    from orchestration.dbt_profile import dbt_executable, profiles_dir
    from orchestration.ingestion.contracts import load_contracts
    from orchestration.ingestion.loader import connect, ingest_extract
    from orchestration.settings import DBT_PROJECT_DIR

    con = connect(settings.warehouse)
    try:
        for extract in load_contracts():
            ingest_extract(con, extract, settings.landing_dir)
    finally:
        con.close()
    out = subprocess.run(
        [dbt_executable(), "--no-use-colors", "build", "--select", "+po_chase_list",
         "--exclude-resource-type", "unit_test",
         "--profiles-dir", str(profiles_dir(settings)), "--project-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(settings.data_dir / "dbt_target" / "chase_loop")],
        cwd=DBT_PROJECT_DIR, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def _query(settings, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def _facts(settings) -> pd.DataFrame:
    """Every PO line with its state and latest confirmation, from the models the day's
    rebuild refreshed (the parents of po_chase_list)."""
    return _query(settings, """
        SELECT po.po_id, po.po_line, po.status, coalesce(open.qty_open, 0) AS qty_open,
               po.requested_date AS need_date, po.deadline,
               c.latest_confirmed_at, c.latest_confirmed_date, c.previous_confirmed_date
        FROM intermediate.int_purchase_order_lines po
        LEFT JOIN intermediate.int_purchase_order_line_confirmations c USING (po_id, po_line)
        LEFT JOIN intermediate.int_scheduled_receipts open
            ON open.supply_type = 'purchase_order' AND open.document_id = po.po_id
            AND open.document_line = po.po_line
    """).set_index(KEY)


def _chase_list(settings) -> pd.DataFrame:
    return _query(settings, "SELECT * FROM marts.po_chase_list").set_index(KEY)


def run_loop(settings, days_to_run: int = DAYS):
    """Chase, let the suppliers answer, rebuild: `days_to_run` times. Returns the
    settings, the days, the list after the last day and the simulator's answers."""
    import simulator
    from orchestration.delivery.chase import write_chase_drafts
    from orchestration.ingestion.loader import connect

    days: list[Day] = []
    for n in range(days_to_run):
        seconds = {}
        started = time.perf_counter()
        con = connect(settings.warehouse)
        try:
            result = write_chase_drafts(con, settings.exports_dir, sender=settings.chase_from)
            if n == 0:
                first = {p.name: p.read_bytes() for p in result.folder.iterdir()}
                result = write_chase_drafts(con, settings.exports_dir, sender=settings.chase_from)
                again = {p.name: p.read_bytes() for p in result.folder.iterdir()}
                assert again == first, "re-running the day must rewrite the same bytes"
        finally:
            con.close()
        seconds["drafts"] = round(time.perf_counter() - started, 2)
        chased = _chase_list(settings)
        lines_csv = pd.read_csv(result.folder / "lines.csv", dtype=str)

        started = time.perf_counter()
        simulator.append(settings.landing_dir, settings.truth_dir, days=1,
                         chase_drafts=result.folder / "lines.csv")
        seconds["simulate"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        _rebuild(settings)
        seconds["rebuild"] = round(time.perf_counter() - started, 2)
        days.append(Day(result.as_of, chased, result.drafts, lines_csv, _facts(settings),
                        seconds))
        print(f"chase loop {result.as_of}: {result.drafts} drafts, {len(chased)} lines, "
              f"{seconds}")
    final = _chase_list(settings)
    truth = pd.read_parquet(settings.truth_dir / "chase_responses.parquet")
    truth["po_line"] = truth.po_line.astype(str)
    return settings, days, final, truth


@pytest.fixture(scope="module")
def loop(built, session_env, tmp_path_factory):
    return run_loop(copy_of_built(built, session_env, tmp_path_factory, "chase"))


def _lists(loop):
    """(day, the next day's list) for each simulated day."""
    settings, days, final, _ = loop
    after = [d.chased for d in days[1:]] + [final]
    return [(d, nxt) for d, nxt in zip(days, after)]


def test_every_chased_line_reaches_the_suppliers_and_is_logged(loop):
    settings, days, _, truth = loop
    log = _query(settings, "SELECT * FROM meta.po_chase_log")
    for day in days:
        assert day.drafts > 0 and len(day.chased) > 0
        asked_on = day.as_of + timedelta(days=1)
        asked = truth[pd.to_datetime(truth.asked_on).dt.date == asked_on]
        assert set(zip(asked.po_id, asked.po_line)) == set(day.chased.index)
        assert set(zip(day.lines_csv.po_id, day.lines_csv.po_line)) == set(day.chased.index)
        logged = log[pd.to_datetime(log.as_of_date).dt.date == day.as_of]
        assert len(logged) == len(day.chased)
        assert set(zip(logged.po_id, logged.po_line)) == set(day.chased.index)
    assert set(truth.response) >= {"confirm", "redate", "silent"}


def _answers_on(truth: pd.DataFrame, day: date) -> pd.DataFrame:
    """Answers that arrived on `day` (confirm / re-date with a date), one per line."""
    arrived = truth[truth.response.isin(["confirm", "redate"])
                    & (pd.to_datetime(truth.responded_on).dt.date == day)]
    return arrived.drop_duplicates(KEY, keep=False).set_index(KEY)


def test_answers_resolve_or_re_date_the_lines_exactly_as_the_supplier_said(loop):
    _, _, _, truth = loop
    resolved = redated = 0
    for day, nxt in _lists(loop):
        as_of, facts = day.as_of + timedelta(days=1), day.facts_after
        for key, answer in _answers_on(truth, as_of).iterrows():
            line = facts.loc[key]
            answered = pd.Timestamp(answer.confirmed_date).date()
            # the answer is the line's latest word only when nothing came after it
            if (line.status != "open" or not line.qty_open > 0
                    or pd.Timestamp(line.latest_confirmed_at).date() != as_of
                    or pd.Timestamp(line.latest_confirmed_date).date() != answered):
                continue
            need, deadline = (pd.Timestamp(line.need_date).date(),
                              pd.Timestamp(line.deadline).date())
            previous = line.previous_confirmed_date
            slipped = pd.notna(previous) and answered > pd.Timestamp(previous).date()
            if deadline >= as_of and answered <= need and not slipped:
                assert key not in nxt.index, f"{key}: answered {answered}, still chased"
                resolved += answer.response == "confirm"
                continue
            assert key in nxt.index, f"{key}: answered {answered} late, no longer chased"
            row = nxt.loc[key]
            assert pd.Timestamp(row.latest_confirmed_date).date() == answered
            expected = ("overdue" if deadline < as_of else
                        "confirmed_after_need_date" if answered > need else "date_slipped")
            assert row.chase_reason == expected, (key, answer.response, answered, need)
            assert bool(row.is_confirmed_after_need_date) == (answered > need)
            redated += answer.response == "redate" and expected != "overdue"
    assert resolved > 0, "no confirmation resolved a line: the loop is not closed"
    assert redated > 0, "no re-dated line changed its reason"


def test_unanswered_lines_escalate(loop):
    _, _, _, truth = loop
    escalated = 0
    for day, nxt in _lists(loop):
        facts = day.facts_after
        for key, row in day.chased.iterrows():
            line = facts.loc[key]
            heard = (pd.notna(line.latest_confirmed_at)
                     and pd.Timestamp(line.latest_confirmed_at).date() > day.as_of)
            if heard or line.status != "open" or not line.qty_open > 0:
                continue
            # nothing new from the supplier and still open: still chased, one chase more
            assert key in nxt.index, f"{key} left the list without an answer"
            again = nxt.loc[key]
            assert again.times_chased == row.times_chased + 1
            assert pd.Timestamp(again.first_chased_on).date() == (
                pd.Timestamp(row.first_chased_on).date() if row.times_chased else day.as_of)
            assert again.escalation_level == (1 if again.times_chased == 1
                                              and again.days_since_first_chase < 7 else 2)
            assert again.escalation_level > row.escalation_level or row.escalation_level == 2
            assert again.suggested_action == {
                1: "call the supplier", 2: "escalate to the purchasing manager"}[
                    int(again.escalation_level)]
            escalated += 1
    silent = truth[truth.response == "silent"]
    assert escalated > 0 and len(silent) > 0


def test_every_line_still_chased_counts_its_chases_and_new_lines_join_at_level_0(loop):
    _, days, _, _ = loop
    joined = 0
    for day, nxt in _lists(loop):
        kept = nxt.index.intersection(day.chased.index)
        assert (nxt.loc[kept, "times_chased"]
                == day.chased.loc[kept, "times_chased"] + 1).all()
        new = nxt.loc[nxt.index.difference(day.chased.index)]
        previously = set().union(*(set(d.chased.index) for d in days if d.as_of <= day.as_of))
        fresh = new.loc[[k for k in new.index if k not in previously]]
        assert (fresh.times_chased == 0).all() and (fresh.escalation_level == 0).all()
        assert fresh.first_chased_on.isna().all()
        assert not fresh.suggested_action.isin(
            ["call the supplier", "escalate to the purchasing manager"]).any()
        joined += len(fresh)
    assert joined > 0, "no newly due line joined the list"


def test_lines_closed_before_the_answer_leave_the_list(loop):
    _, _, _, truth = loop
    for day, nxt in _lists(loop):
        asked_on = day.as_of + timedelta(days=1)
        closed = truth[(truth.response == "closed")
                       & (pd.to_datetime(truth.asked_on).dt.date == asked_on)]
        assert not set(zip(closed.po_id, closed.po_line)) & set(nxt.index)
