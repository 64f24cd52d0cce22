"""Operations definitions: the row-count-drop check on a copy of the session's company,
the freshness checks on an instance with old materializations, the run-failure sensor on
a real failed run."""

from __future__ import annotations

import time

import duckdb
import dagster as dg
import pytest

from orchestration.defs import automation
from orchestration.defs.resources import WarehouseResource
from orchestration.delivery.row_counts import MIN_ROWS
from orchestration.ingestion.contracts import load_contracts
from tests.conftest import copy_of_built

MARTS = dg.AssetKey(["marts", "fct_sales_order_lines"])


def _run_row_count_checks(keys=None) -> tuple[bool, dict[dg.AssetKey, dg.AssetCheckEvaluation]]:
    """The row-count check alone (of `keys`, default all marts), on stand-in specs of the
    marts (the marts are built)."""
    selection = (dg.AssetSelection.checks(*automation.row_count_checks) if keys is None else
                 dg.AssetSelection.checks(*[dg.AssetCheckKey(k, automation.ROW_COUNT_CHECK)
                                            for k in keys]))
    job = dg.define_asset_job("row_counts", selection=selection)
    defs = dg.Definitions(assets=[dg.AssetSpec(k) for k in automation.public_mart_keys],
                          asset_checks=automation.row_count_checks, jobs=[job],
                          resources={"warehouse": WarehouseResource()})
    result = defs.resolve_job_def("row_counts").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    return result.success, {e.asset_key: e for e in result.get_asset_check_evaluations()}


def _published_asset():
    from orchestration.definitions import published_warehouse

    return published_warehouse


def _counts(path, schema="marts") -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = ?", [schema]).fetchall()]
        return {t: con.execute(f'SELECT count(*) FROM {schema}."{t}"').fetchall()[0][0]
                for t in tables}
    finally:
        con.close()


@pytest.mark.slow
def test_row_count_drop_blocks_a_halved_mart(built, session_env, tmp_path_factory,
                                             monkeypatch):
    settings = copy_of_built(built, session_env, tmp_path_factory, "rowcount")
    monkeypatch.delenv("CT_ROW_DROP_PCT", raising=False)
    assert {k.path[-1] for k in automation.public_mart_keys} <= set(_counts(settings.published))

    success, evaluations = _run_row_count_checks()
    assert success
    assert set(evaluations) == set(automation.public_mart_keys)
    assert all(e.passed for e in evaluations.values())

    published = _counts(settings.published)
    small = sorted(t for t, n in published.items()
                   if 0 < n < MIN_ROWS and dg.AssetKey(["marts", t]) in evaluations)
    assert published[MARTS.path[-1]] >= MIN_ROWS and small
    con = duckdb.connect(str(settings.warehouse))
    try:
        con.execute(f"DELETE FROM marts.{MARTS.path[-1]} WHERE rowid % 10 < 6")
        con.execute(f'DELETE FROM marts."{small[0]}"')
        current = con.execute(f"SELECT count(*) FROM marts.{MARTS.path[-1]}").fetchall()[0][0]
    finally:
        con.close()
    previous = published[MARTS.path[-1]]
    expected_drop = round((previous - current) * 100.0 / previous, 1)
    assert expected_drop > 50

    success, evaluations = _run_row_count_checks()
    failed = {k for k, e in evaluations.items() if not e.passed}
    assert failed == {MARTS}
    evaluation = evaluations[MARTS]
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    # the publish refuses to replace the snapshot people read, naming the mart
    before = settings.published.read_bytes()
    result = dg.materialize([_published_asset()], instance=dg.DagsterInstance.ephemeral(),
                            resources={"warehouse": WarehouseResource()},
                            raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "marts.fct_sales_order_lines" in failure.event_specific_data.error.message
    assert settings.published.read_bytes() == before
    assert evaluation.metadata["previous"].value == previous
    assert evaluation.metadata["current"].value == current
    assert evaluation.metadata["drop_pct"].value == pytest.approx(expected_drop)
    assert f"{expected_drop:g} % drop" in evaluation.description
    assert evaluations[dg.AssetKey(["marts", small[0]])].passed

    monkeypatch.setenv("CT_ROW_DROP_PCT", "70")
    assert all(e.passed for e in _run_row_count_checks()[1].values())

    settings.published.unlink()
    success, evaluations = _run_row_count_checks()
    assert success
    assert evaluations[MARTS].metadata["previous"].value == "first build"


def test_row_count_drop_on_a_small_warehouse(tmp_path, session_env, monkeypatch):
    """The same rules without the session's company: a quick check of the query."""
    settings = session_env(tmp_path / "data")
    monkeypatch.delenv("CT_ROW_DROP_PCT", raising=False)
    small = dg.AssetKey(["marts", "po_chase_list"])
    for path in (settings.published, settings.warehouse):
        path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(path))
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE marts.fct_sales_order_lines AS SELECT range AS id "
                    "FROM range(200)")
        con.execute("CREATE TABLE marts.po_chase_list AS SELECT range AS id FROM range(50)")
        con.close()
    assert _run_row_count_checks([MARTS, small])[0]
    con = duckdb.connect(str(settings.warehouse))
    con.execute("DELETE FROM marts.fct_sales_order_lines WHERE id >= 90")
    con.execute("DELETE FROM marts.po_chase_list")
    con.close()
    _, evaluations = _run_row_count_checks([MARTS, small])
    assert not evaluations[MARTS].passed and evaluations[small].passed
    assert evaluations[MARTS].metadata["drop_pct"].value == 55.0
    assert "200 -> 90 rows (55 % drop)" in evaluations[MARTS].description
    from orchestration.delivery.row_counts import publish_refusals

    con = duckdb.connect(str(settings.warehouse))
    try:
        assert publish_refusals(con, settings.published, 50.0) == [
            "marts.fct_sales_order_lines: " + evaluations[MARTS].description]
        assert publish_refusals(con, settings.published, 60.0) == []
    finally:
        con.close()


def _freshness_job_result(instance, keys):
    checks = [dg.AssetCheckKey(k, "freshness_check") for k in keys]
    job = dg.define_asset_job("freshness", selection=dg.AssetSelection.checks(*checks))
    everything = automation.daily_freshness_keys + automation.weekly_freshness_keys
    defs = dg.Definitions(assets=[dg.AssetSpec(k) for k in everything],
                          asset_checks=automation.freshness_checks, jobs=[job])
    result = defs.resolve_job_def("freshness").execute_in_process(instance=instance)
    return {e.asset_key: e for e in result.get_asset_check_evaluations()}


def test_freshness_checks_cover_the_extracts_marts_and_snapshot():
    checked = {spec.key.asset_key for c in automation.freshness_checks for spec in c.check_specs}
    raw = {dg.AssetKey(["raw", e]) for e in load_contracts()}
    marts = {dg.AssetKey(["marts", m]) for m in (
        "fct_sales_order_lines", "fct_purchase_order_lines", "kpi_service_level_monthly",
        "po_chase_list", "item_availability")}
    assert checked == raw | marts | {dg.AssetKey(["published", "warehouse"])}
    weekly = {dg.AssetKey(["raw", e]) for e, c in load_contracts().items()
              if c.kind == "snapshot"}
    assert set(automation.weekly_freshness_keys) == weekly
    assert automation.freshness_sensor.default_status == dg.DefaultSensorStatus.RUNNING


def test_a_stale_extract_warns():
    instance = dg.DagsterInstance.ephemeral()
    delta = dg.AssetKey(["raw", "sales_order_lines"])
    snapshot = dg.AssetKey(["raw", "items"])
    three_days_ago = time.time() - 3 * 24 * 3600

    def delivered(key, when):
        instance.report_runless_asset_event(dg.AssetMaterialization(key, metadata={
            "dagster/last_updated_timestamp": dg.MetadataValue.timestamp(when)}))

    delivered(delta, three_days_ago)
    delivered(snapshot, three_days_ago)
    delivered(MARTS, time.time() - 3600)
    evaluations = _freshness_job_result(instance, [delta, snapshot, MARTS,
                                                   dg.AssetKey(["published", "warehouse"])])
    assert not evaluations[delta].passed
    assert evaluations[delta].severity == dg.AssetCheckSeverity.WARN
    assert evaluations[snapshot].passed          # weekly master data: 3 days is on time
    assert evaluations[MARTS].passed
    assert not evaluations[dg.AssetKey(["published", "warehouse"])].passed  # never built


def test_freshness_policies_warn_and_fail():
    policy = automation.FRESHNESS_POLICIES[dg.AssetKey(["raw", "sales_order_lines"])]
    assert policy.warn_window.to_timedelta().total_seconds() == 26 * 3600
    assert policy.fail_window.to_timedelta().total_seconds() == 50 * 3600
    defs = automation.with_freshness_policies(dg.Definitions(
        assets=[dg.AssetSpec(k) for k in [*automation.FRESHNESS_POLICIES,
                                          dg.AssetKey(["marts", "dim_date"])]]))
    graph = defs.get_repository_def().asset_graph
    assert graph.get(MARTS).freshness_policy == automation.FRESHNESS_POLICIES[MARTS]
    assert graph.get(dg.AssetKey(["marts", "dim_date"])).freshness_policy is None


@dg.asset
def _broken():
    raise RuntimeError("extract sales_order_lines is empty\nmore detail")


def test_run_failure_sensor_writes_the_alert(tmp_path, monkeypatch):
    monkeypatch.setenv("CT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CT_ALERT_WEBHOOK", raising=False)
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([_broken], instance=instance, raise_on_error=False)
    assert not result.success
    context = dg.build_run_status_sensor_context(
        sensor_name=automation.alert_on_run_failure.name,
        dagster_event=result.get_run_failure_event(), dagster_instance=instance,
        dagster_run=result.dagster_run).for_run_failure()
    automation.alert_on_run_failure(context)
    lines = (tmp_path / "alerts.log").read_text().splitlines()
    assert len(lines) == 1
    assert f"run={result.run_id}" in lines[0] and "step _broken" in lines[0]
    assert "RuntimeError: extract sales_order_lines is empty" in lines[0]
    assert automation.alert_on_run_failure.default_status == dg.DefaultSensorStatus.RUNNING

    ok = dg.materialize([dg.asset(name="fine")(lambda: 1)], instance=instance)
    automation.alert_on_failed_checks(dg.build_run_status_sensor_context(
        sensor_name=automation.alert_on_failed_checks.name,
        dagster_event=ok.get_run_success_event(), dagster_instance=instance,
        dagster_run=ok.dagster_run))
    assert (tmp_path / "alerts.log").read_text().splitlines() == lines


def test_warehouse_lock_retry():
    from orchestration.defs.resources import warehouse_lock_retry

    policy = warehouse_lock_retry()
    assert (policy.max_retries, policy.delay) == (3, 5)
    assert policy.backoff == dg.Backoff.EXPONENTIAL and policy.jitter is not None
