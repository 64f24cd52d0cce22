"""Alerts on failed runs and failed blocking checks (docs/operations.md).

Plain Python so the headless runner and the Dagster sensors share one path: read what
failed from the run's event log, append one line to <data_dir>/alerts.log, and POST the
same line to CT_ALERT_WEBHOOK when it is set. The webhook URL is a secret: it never
reaches the log, the alert line or an error message.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from ..settings import Settings

ALERTS_LOG = "alerts.log"
POST_TIMEOUT_SECONDS = 5
# A line stays one readable line even when a run fails in many places.
MAX_LINE_CHARS = 2000

LOG = logging.getLogger(__name__)

# Wrappers Dagster puts around the user's exception (a step that used up its retries
# too); the alert names the user's error.
WRAPPERS = ("DagsterExecutionStepExecutionError", "DagsterUserCodeExecutionError",
            "RetryRequestedFromPolicy")
_CHECK_FAILED = "DagsterAssetCheckFailedError"


@dataclass(frozen=True)
class Failure:
    """One thing that failed in a run: a step ('step') or a blocking check ('check')."""

    kind: str
    name: str
    error: str

    def describe(self) -> str:
        what = f"{self.kind} {self.name}" if self.name else self.kind
        return f"{what}: {self.error}" if self.error else what


def redact(text: str, secret: str | None) -> str:
    """`text` without the secret URL or its token-bearing parts (path, query, userinfo)."""
    if not secret:
        return text
    parts = urlsplit(secret)
    pieces = [secret, secret.split("://", 1)[-1], parts.path + (f"?{parts.query}" if parts.query else ""),
              parts.path, parts.query, parts.netloc if "@" in parts.netloc else ""]
    for piece in sorted({p for p in pieces if len(p) > 1}, key=len, reverse=True):
        text = text.replace(piece, "<redacted>")
    return text


def first_line(text: str | None) -> str:
    for line in (text or "").strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


def error_line(error) -> str:
    """First line of the user's error in a SerializableErrorInfo, under Dagster's
    wrappers; a dagster Failure by its description (without the class path)."""
    while error is not None and error.cls_name in WRAPPERS and error.cause is not None:
        error = error.cause
    if error is None:
        return ""
    line = first_line(error.message)
    return line.split(": ", 1)[-1] if error.cls_name == "Failure" else line


def run_failures(instance, run_id: str) -> list[Failure]:
    """Failed steps and failed blocking checks of a run, in event order. A step that
    failed only because its blocking check failed is reported as the check."""
    from dagster import DagsterEventType

    failures: list[Failure] = []
    records = instance.all_logs(run_id, of_type={
        DagsterEventType.STEP_FAILURE, DagsterEventType.ASSET_CHECK_EVALUATION,
        DagsterEventType.RUN_FAILURE})
    run_failure = None
    for record in records:
        event = record.dagster_event
        data = event.event_specific_data
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            if not data.passed and data.blocking and data.severity.value == "ERROR":
                failures.append(Failure("check", f"{data.check_name} on "
                                        f"{data.asset_key.to_user_string()}",
                                        first_line(data.description)))
        elif event.event_type == DagsterEventType.STEP_FAILURE:
            error = getattr(data, "error", None)
            if error is not None and error.cls_name == _CHECK_FAILED:
                continue
            failures.append(Failure("step", str(event.step_key), error_line(error)))
        else:
            run_failure = Failure("run", "", error_line(getattr(data, "error", None))
                                  or first_line(record.message))
    if not failures and run_failure is not None:
        failures.append(run_failure)
    return failures


def format_line(job: str, run_id: str, failures: list[Failure],
                when: datetime | None = None) -> str:
    when = when or datetime.now(UTC)
    stamp = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    what = " | ".join(f.describe() for f in failures)
    line = f"{stamp} FAILED job={job} run={run_id} {what}"
    line = " ".join(line.split())
    return line if len(line) <= MAX_LINE_CHARS else line[:MAX_LINE_CHARS - 3] + "..."


def append_once(log_path: Path, run_id: str, line: str) -> bool:
    """Append `line` unless the log already names this run; False when it did. The
    check and the append hold one exclusive lock, so the runner and a sensor that see
    the same run write it once."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    marker = f" run={run_id} "
    with open(log_path, "a+", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            fh.seek(0)
            if any(marker in existing for existing in fh):
                return False
            fh.write(line.rstrip("\n") + "\n")
            fh.flush()
            os.fsync(fh.fileno())
            return True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def post(url: str, payload: dict, log: logging.Logger | None = None) -> bool:
    """POST the alert as JSON; a failure is logged (without the URL), never raised."""
    log = log or LOG
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=POST_TIMEOUT_SECONDS) as response:
            response.read()
        return True
    except Exception as exc:  # noqa: BLE001 - an alert must never fail the caller
        log.warning("alert webhook post failed: %s",
                    redact(f"{type(exc).__name__}: {exc}", url))
        return False


def alert_for_run(instance, run_id: str, settings: Settings, *,
                  log: logging.Logger | None = None) -> str | None:
    """Alert once for a run that failed or had a failed blocking check: the line
    written, or None when there was nothing to alert or the run was alerted already."""
    run = instance.get_run_by_id(run_id)
    if run is None:
        return None
    failures = run_failures(instance, run_id)
    if not failures and run.status.value == "FAILURE":
        failures = [Failure("run", "", "failed")]
    if not failures:
        return None
    url = settings.alert_webhook
    line = redact(format_line(run.job_name, run_id, failures), url)
    if not append_once(settings.data_dir / ALERTS_LOG, run_id, line):
        return None
    if url:
        post(url, {"text": line, "job": run.job_name, "run_id": run_id,
                   "failures": [redact(f.describe(), url) for f in failures]}, log)
    return line


LOCK_ERROR_TEXT = "Could not set lock on file"


def is_lock_error(error: BaseException | str | None) -> bool:
    """True for DuckDB's error when another process holds the warehouse file."""
    return error is not None and LOCK_ERROR_TEXT in str(error)


def lockerror_line(warehouse: Path) -> str:
    """What the CLI prints instead of DuckDB's lock error."""
    return (f"the warehouse {warehouse} is in use by another process (a run, `dagster "
            f"dev` or an open DuckDB session); try again when it has finished")
