"""Alerts on a real failed Dagster run: one line per run in alerts.log, the webhook gets
the same line as JSON, and the webhook URL appears nowhere."""

from __future__ import annotations

import dataclasses
import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import dagster as dg
import pytest

from orchestration.delivery import alerts
from orchestration.settings import load_settings


@dg.asset
def sales_extract():
    raise ValueError("delivery sales_order_lines_2026-11-20.csv has no rows\nsecond line")


@dg.asset
def healthy():
    return 1


@dg.asset(check_specs=[dg.AssetCheckSpec("not_empty", asset="orders", blocking=True)])
def orders():
    yield dg.Output(0)
    yield dg.AssetCheckResult(passed=False, description="0 rows\nafter a full load")


@dg.asset(deps=[orders])
def orders_report():
    return 1


@pytest.fixture
def instance():
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance


@pytest.fixture
def settings(tmp_path):
    return load_settings({"CT_DATA_DIR": str(tmp_path)})


def _failed_run(instance, assets=(sales_extract,)):
    result = dg.materialize(list(assets), instance=instance, raise_on_error=False)
    assert not result.success
    return result


def test_a_failed_run_writes_one_line_once(instance, settings):
    result = _failed_run(instance)
    line = alerts.alert_for_run(instance, result.run_id, settings)
    assert line is not None
    lines = (settings.data_dir / "alerts.log").read_text().splitlines()
    assert lines == [line]
    assert f"job={result.dagster_run.job_name} run={result.run_id}" in line
    assert "step sales_extract: ValueError: delivery sales_order_lines_2026-11-20.csv has " \
           "no rows" in line
    assert "second line" not in line
    assert line[:20].endswith("Z") and line[4] == "-"

    assert alerts.alert_for_run(instance, result.run_id, settings) is None
    assert (settings.data_dir / "alerts.log").read_text().splitlines() == lines

    second = _failed_run(instance)
    alerts.alert_for_run(instance, second.run_id, settings)
    assert len((settings.data_dir / "alerts.log").read_text().splitlines()) == 2


def test_a_failed_blocking_check_names_the_check_and_asset(instance, settings):
    result = _failed_run(instance, (orders, orders_report))
    line = alerts.alert_for_run(instance, result.run_id, settings)
    assert "check not_empty on orders: 0 rows" in line
    assert "after a full load" not in line
    assert "DagsterAssetCheckFailedError" not in line


def test_a_clean_run_writes_nothing(instance, settings):
    result = dg.materialize([healthy], instance=instance)
    assert alerts.alert_for_run(instance, result.run_id, settings) is None
    assert not (settings.data_dir / "alerts.log").exists()


class _Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.path, self.headers["Content-Type"], body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_webhook_receives_the_line_as_json(instance, settings):
    _Hook.received = []
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook/SECRET123"
        result = _failed_run(instance)
        line = alerts.alert_for_run(instance, result.run_id,
                                    dataclasses.replace(settings, alert_webhook=url))
        thread.join(timeout=10)
    finally:
        server.server_close()
    assert not thread.is_alive()
    [(path, content_type, body)] = _Hook.received
    assert path == "/hook/SECRET123" and content_type == "application/json"
    payload = json.loads(body)
    assert payload["text"] == line
    assert payload["run_id"] == result.run_id
    assert "SECRET123" not in (settings.data_dir / "alerts.log").read_text()


def test_a_failed_post_never_shows_the_url(instance, settings, caplog, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/hook/SECRET123"
    result = _failed_run(instance)
    with caplog.at_level(logging.DEBUG):
        line = alerts.alert_for_run(instance, result.run_id,
                                    dataclasses.replace(settings, alert_webhook=url))
    assert line is not None
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING
                and "webhook" in r.getMessage()]
    assert warnings
    captured = capsys.readouterr()
    everything = "\n".join([caplog.text, captured.out, captured.err,
                            (settings.data_dir / "alerts.log").read_text()])
    assert "SECRET123" not in everything
    assert str(port) not in warnings[0].getMessage()


def test_redact_removes_the_url_and_its_token():
    url = "https://hooks.example.com/services/T0/B0/SECRET123?key=abc123"
    text = f"POST {url} failed; token /services/T0/B0/SECRET123?key=abc123 key=abc123"
    redacted = alerts.redact(text, url)
    assert "SECRET123" not in redacted and "abc123" not in redacted
    assert alerts.redact("nothing secret", None) == "nothing secret"


def test_the_webhook_is_a_setting_never_shown():
    from orchestration.settings import load_settings

    assert load_settings({}).alert_webhook is None
    settings = load_settings({"CT_ALERT_WEBHOOK": " http://x/hook/SECRET123 "})
    assert settings.alert_webhook == "http://x/hook/SECRET123"
    assert "SECRET123" not in repr(settings)


def test_lock_error_is_recognised():
    error = RuntimeError('IO Error: Could not set lock on file "/d/warehouse.duckdb": '
                         'Conflicting lock is held in /usr/bin/python3 (PID 42)')
    assert alerts.is_lock_error(error)
    assert not alerts.is_lock_error(ValueError("Catalog Error: table not found"))
    assert not alerts.is_lock_error(None)


def test_last_delivery_is_the_newest_loaded_file():
    from datetime import datetime, timezone

    import duckdb

    from orchestration.delivery.freshness import last_delivery_timestamp
    from orchestration.ingestion.schema import ensure_schemas

    con = duckdb.connect()
    ensure_schemas(con)
    assert last_delivery_timestamp(con, "sales_order_lines") is None
    rows = [(1, "a.csv", "sales_order_lines", "loaded", datetime(2026, 11, 19, 6)),
            (2, "b.csv", "sales_order_lines", "loaded", datetime(2026, 11, 20, 6)),
            (3, "c.csv", "sales_order_lines", "rejected", datetime(2026, 11, 21, 6)),
            (4, "d.csv", "items", "loaded", datetime(2026, 11, 22, 6))]
    for seq, path, extract, status, seen in rows:
        con.execute("INSERT INTO meta.ingest_ledger (load_seq, file_path, extract, status, "
                    "seen_at) VALUES (?, ?, ?, ?, ?)", [seq, path, extract, status, seen])
    assert last_delivery_timestamp(con, "sales_order_lines") == \
        datetime(2026, 11, 20, 6, tzinfo=timezone.utc).timestamp()
