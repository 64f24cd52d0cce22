"""The Great Expectations suites as asset checks on the ingest assets (docs/expectations.md).

One check `expectations` per raw/<extract>, all evaluated in one step after the ingest
steps of a run (one GX import, one Data Docs build; the step is in the warehouse pool
because it records what it validated in meta.*). It validates the deliveries loaded since
the extract's last validation. A failed critical rule fails the check with severity
ERROR, and the check is blocking: nothing downstream of the extract runs. Failed warnings
only fail it with severity WARN. The engine is the plain library `expectations`,
imported inside the step so that loading the definitions never imports GX.
"""

import time
from pathlib import Path

import dagster as dg

from expectations.rules import CRITICAL, WARNING

from ..ingestion.contracts import load_contracts
from .ingest import raw_asset_key
from .resources import WAREHOUSE_POOL, WarehouseResource, warehouse_lock_retry

CHECK_NAME = "expectations"
QUALITY_DIR = "quality"          # under the data dir: GX validation results and Data Docs
SAMPLE_ROWS_SHOWN = 10


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec(
        CHECK_NAME, asset=raw_asset_key(c.extract), blocking=True,
        description=f"The Great Expectations suite of {c.extract} on the deliveries loaded "
                    "since its last validation: the contract's rules and the business "
                    "rules (docs/expectations.md). A failed critical rule blocks what "
                    "reads the extract; warnings flag rows and let them through.")
        for c in load_contracts().values()],
    name="extract_expectations",
    can_subset=True,
    pool=WAREHOUSE_POOL,
    # a lost file lock is retried like the ingest steps; a failed blocking check is not
    # (Dagster raises it after the step's own code)
    retry_policy=warehouse_lock_retry(),
)
def extract_expectations(context: dg.AssetCheckExecutionContext,
                         warehouse: WarehouseResource):
    from expectations.validate import validate_new_deliveries

    started = time.perf_counter()
    settings = warehouse.settings()
    extracts = sorted({k.asset_key.path[-1] for k in context.selected_asset_check_keys})
    with warehouse.connection() as con:
        reports = validate_new_deliveries(
            con, extracts, company_currency=settings.company_currency,
            quality_dir=settings.data_dir / QUALITY_DIR)
    context.log.info(f"validated {sum(r.rows for r in reports.values())} rows of "
                     f"{sum(len(r.deliveries) for r in reports.values())} deliveries in "
                     f"{time.perf_counter() - started:.1f} s")
    for extract in extracts:
        yield check_result(reports[extract], settings.data_dir / QUALITY_DIR)


def check_result(report, quality_dir: Path) -> dg.AssetCheckResult:
    """The check's verdict and metadata from an expectations.validate.ExtractReport."""
    critical, warnings = report.failed(CRITICAL), report.failed(WARNING)
    metadata = {
        "rows_validated": dg.MetadataValue.int(report.rows),
        "deliveries": dg.MetadataValue.int(len(report.deliveries)),
        "seconds": dg.MetadataValue.float(round(report.seconds, 2)),
        "critical_failed": dg.MetadataValue.int(len(critical)),
        "warnings_failed": dg.MetadataValue.int(len(warnings)),
        "rules": dg.MetadataValue.int(len(report.outcomes)),
    }
    if report.deliveries:
        metadata["files"] = dg.MetadataValue.md(
            "\n".join(f"- {seq}: {path}" for seq, path in report.deliveries[:50])
            + (f"\n- … {len(report.deliveries) - 50} more" if len(report.deliveries) > 50
               else ""))
    if critical or warnings:
        metadata["failed_expectations"] = dg.MetadataValue.md(_failed_table(critical + warnings))
        metadata["sample_rows"] = dg.MetadataValue.md(_samples_table(critical + warnings))
    if report.docs_urls:
        metadata["data_docs"] = dg.MetadataValue.url(report.docs_urls[0])
        metadata["data_docs_index"] = dg.MetadataValue.url(
            (quality_dir / "data_docs" / "index.html").as_uri())
    return dg.AssetCheckResult(
        asset_key=raw_asset_key(report.extract), check_name=CHECK_NAME,
        passed=report.passed,
        severity=dg.AssetCheckSeverity.WARN if warnings and not critical
        else dg.AssetCheckSeverity.ERROR,
        description=_description(report, critical, warnings), metadata=metadata)


def _description(report, critical, warnings) -> str:
    if not report.deliveries:
        return "No new deliveries to validate."
    scope = f"{report.rows} rows of {len(report.deliveries)} deliveries"
    if not critical and not warnings:
        return f"All {len(report.outcomes)} rules passed on {scope}."
    parts = []
    for label, failed in (("critical", critical), ("warning", warnings)):
        if failed:
            listed = ", ".join(f"{o.rule.name} on {o.rule.column} "
                               f"({o.error or f'{o.unexpected} rows'})" for o in failed)
            parts.append(f"{len(failed)} {label}: {listed}")
    return f"{'; '.join(parts)} ({scope})."


def _failed_table(outcomes) -> str:
    lines = ["| rule | column | severity | flagged rows | of rows |", "|---|---|---|---|---|"]
    for o in outcomes:
        flagged = f"error: {o.error}" if o.error else str(o.unexpected)
        lines.append(f"| {o.rule.name} | {o.rule.column} | {o.rule.severity} | {flagged} "
                     f"| {o.rows} |")
    return "\n".join(lines)


def _samples_table(outcomes) -> str:
    lines = ["| rule | column | key | value | load_seq |", "|---|---|---|---|---|"]
    for o in outcomes:
        for f in sorted(o.flagged, key=lambda f: (f["load_seq"], f["record_key"]))[
                :SAMPLE_ROWS_SHOWN]:
            lines.append(f"| {o.rule.name} | {o.rule.column} | {_cell(f['record_key'])} | "
                         f"{_cell(f['value'])} | {f['load_seq']} |")
    return "\n".join(lines)


def _cell(value) -> str:
    """A value from a delivery, safe inside a markdown table cell."""
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")[:80]


expectation_checks = [extract_expectations]
