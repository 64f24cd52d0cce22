"""Validate the deliveries each extract received since its last validation.

The deliveries come from meta.ingest_ledger (status loaded) minus the ones
meta.validated_deliveries already holds; their rows are read from raw.<extract> with the
lookup columns (expectations.lookups) in batches of ROWS_PER_BATCH into pandas and
validated by the extract's GX suite, so memory is bounded by a batch, whatever the
delivery. Every flagged row (up to FLAGGED_ROWS_KEPT per rule and batch; the counts are
always complete) goes to meta.expectation_failures, the validated deliveries to
meta.validated_deliveries, and the GX validation results to the Data Docs site under
<data_dir>/quality/.
"""

from __future__ import annotations

import math
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.ingestion.contracts import load_contracts

from .lookups import batch_query
from .rules import CRITICAL, Rule, suite_rules

ROWS_PER_BATCH = 200_000
FLAGGED_ROWS_KEPT = 1000
SAMPLE_ROWS = 10          # per rule, in the Data Docs pages and the check's metadata

META_DDL = (
    "CREATE SCHEMA IF NOT EXISTS meta",
    """CREATE TABLE IF NOT EXISTS meta.validated_deliveries (
        load_seq BIGINT NOT NULL,
        extract VARCHAR NOT NULL,
        rows_validated BIGINT NOT NULL,
        validated_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS meta.expectation_failures (
        load_seq BIGINT NOT NULL,
        extract VARCHAR NOT NULL,
        rule VARCHAR NOT NULL,
        column_name VARCHAR NOT NULL,
        severity VARCHAR NOT NULL,
        record_key VARCHAR,
        value VARCHAR,
        validated_at TIMESTAMP NOT NULL)""",
)


@dataclass
class RuleOutcome:
    """One rule over every batch of a validation."""

    rule: Rule
    rows: int = 0                         # rows of the batches it ran on
    unexpected: int = 0
    error: str | None = None              # GX could not evaluate the expectation
    flagged: list[dict] = field(default_factory=list)   # load_seq, record_key, value

    @property
    def failed(self) -> bool:
        return self.unexpected > 0 or self.error is not None


@dataclass
class ExtractReport:
    """What a suite found in the deliveries of one extract."""

    extract: str
    deliveries: list[tuple[int, str]]      # (load_seq, file path)
    rows: int = 0
    rows_per_delivery: dict[int, int] = field(default_factory=dict)
    outcomes: list[RuleOutcome] = field(default_factory=list)
    seconds: float = 0.0
    docs_urls: list[str] = field(default_factory=list)

    def failed(self, severity: str) -> list[RuleOutcome]:
        return [o for o in self.outcomes if o.failed and o.rule.severity == severity]

    @property
    def passed(self) -> bool:
        return not any(o.failed for o in self.outcomes)

    @property
    def blocking(self) -> bool:
        """A critical rule failed: nothing downstream of the extract may run."""
        return bool(self.failed(CRITICAL))

    def flagged_keys(self) -> set[tuple[str, str]]:
        """(rule id, record key) of every flagged row kept."""
        return {(o.rule.rule_id, f["record_key"]) for o in self.outcomes for f in o.flagged}


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in META_DDL:
        con.execute(ddl)


def pending_deliveries(con: duckdb.DuckDBPyConnection, extract: str) -> list[tuple[int, str]]:
    """(load_seq, file) of the loaded deliveries of `extract` not validated yet."""
    return [tuple(r) for r in con.execute(
        "SELECT load_seq, file_path FROM meta.ingest_ledger WHERE extract = ? "
        "AND status = 'loaded' AND rows_loaded > 0 AND load_seq NOT IN "
        "(SELECT load_seq FROM meta.validated_deliveries) ORDER BY load_seq",
        [extract]).fetchall()]


def validate_new_deliveries(con: duckdb.DuckDBPyConnection, extracts: list[str], *,
                            company_currency: str, quality_dir: Path,
                            rows_per_batch: int = ROWS_PER_BATCH
                            ) -> dict[str, ExtractReport]:
    """Validate what each of `extracts` received since its last validation; one report
    per extract (no deliveries, no rows: passed). Writes the meta tables and the Data
    Docs; `con` must be a writing connection."""
    ensure_tables(con)
    reports = {x: ExtractReport(x, pending_deliveries(con, x)) for x in extracts}
    todo = [r for r in reports.values() if r.deliveries]
    if not todo:
        return reports
    context = _context(quality_dir)
    stamp = datetime.now(UTC).replace(tzinfo=None)
    keys = []
    for report in todo:
        started = time.perf_counter()
        keys += _validate(con, context, report, company_currency, rows_per_batch, stamp)
        report.seconds = time.perf_counter() - started
    _build_docs(context, quality_dir, todo, keys)
    _record(con, todo, stamp)
    return reports


def _context(quality_dir: Path):
    from .suites import ephemeral_context

    return ephemeral_context(quality_dir)


def _validate(con, context, report: ExtractReport, company_currency: str,
              rows_per_batch: int, stamp: datetime) -> list:
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier, ValidationResultIdentifier)

    extract = report.extract
    contract = load_contracts()[extract]
    suite = context.suites.get(extract)
    batch_definition = (context.data_sources.get("raw").get_asset(extract)
                        .get_batch_definition("delivery"))
    outcomes = {r.rule_id: RuleOutcome(r) for r in suite_rules(extract)}
    report.outcomes = list(outcomes.values())
    index_columns = [*contract.key, "_load_seq"]
    details = {"result_format": "SUMMARY", "partial_unexpected_count": FLAGGED_ROWS_KEPT,
               "unexpected_index_column_names": index_columns}
    sql, needs_currency = batch_query(
        extract, [c for r in outcomes.values() for c in _checked_columns(r.rule)])
    seqs = [seq for seq, _ in report.deliveries]
    params = {"load_seqs": seqs, **({"company_currency": company_currency}
                                    if needs_currency else {})}
    store = context.validation_results_store
    for old in store.list_keys():
        if old.expectation_suite_identifier.name == extract:
            store.remove_key(old)
    run_id = RunIdentifier(run_name=f"deliveries {seqs[0]}-{seqs[-1]}", run_time=stamp)
    keys = []
    for frame in _batches(con.sql(sql, params=params), rows_per_batch):
        first = report.rows + 1
        report.rows += len(frame)
        for seq, n in frame["_load_seq"].value_counts().items():
            report.rows_per_delivery[int(seq)] = report.rows_per_delivery.get(int(seq), 0) + n
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        # pass/fail first (half the cost of a full result), details only for failures
        result = batch.validate(suite, result_format="BOOLEAN_ONLY")
        for i, r in enumerate(result.results):
            outcome = outcomes[r.expectation_config.meta["rule_id"]]
            if not r.success:
                r = result.results[i] = batch.validate(r.expectation_config.to_domain_obj(),
                                                       result_format=details)
                _accumulate(outcome, r, contract)
                _trim(r.result)
            outcome.rows += len(frame)
        result.meta["run_id"] = run_id
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=extract),
            run_id=run_id, batch_identifier=f"rows_{first}-{report.rows}")
        store.set(key, result)
        keys.append(key)
    return keys


def _batches(relation, rows_per_batch: int):
    """The rows of `relation` in pandas frames of about `rows_per_batch` rows, through
    Arrow: text stays in Arrow buffers (pandas' pyarrow strings) instead of one Python
    object per value, dates arrive as datetime64[ns] and nullable integers as float64,
    the types GX's pandas engine checks without a Python call per value."""
    import pandas as pd
    import pyarrow as pa

    strings = {t: pd.StringDtype("pyarrow") for t in (pa.string(), pa.large_string())}
    pending, rows = [], 0
    for batch in relation.to_arrow_reader(rows_per_batch):
        while batch.num_rows:
            take = batch.slice(0, rows_per_batch - rows)      # Arrow slices copy nothing
            batch = batch.slice(take.num_rows)
            pending.append(take)
            rows += take.num_rows
            if rows == rows_per_batch:
                yield _frame(pending, strings)
                pending, rows = [], 0
    if pending:
        yield _frame(pending, strings)


def _frame(batches: list, strings: dict):
    import pyarrow as pa

    return pa.Table.from_batches(batches).to_pandas(
        types_mapper=strings.get, date_as_object=False, coerce_temporal_nanoseconds=True)


def _accumulate(outcome: RuleOutcome, r, contract) -> None:
    result = r.result or {}
    outcome.unexpected += int(result.get("unexpected_count") or 0)
    if r.exception_info and r.exception_info.get("raised_exception"):
        outcome.error = str(r.exception_info.get("exception_message") or "error")
        return
    checked = [c for c in _checked_columns(outcome.rule) if c not in contract.key]
    for row in result.get("partial_unexpected_index_list") or []:
        outcome.flagged.append({
            "load_seq": int(row["_load_seq"]),
            "record_key": "|".join(_text(row.get(k), contract.column(k).type)
                                   for k in contract.key),
            "value": ", ".join(_text(row.get(c)) for c in checked if c in row) or None})


def _checked_columns(rule: Rule) -> list[str]:
    kw = rule.kwargs
    if "column" in kw:
        return [kw["column"]]
    if "column_A" in kw:
        return [kw["column_A"], kw["column_B"]]
    return [c for c in kw.get("column_list", []) if c != "_load_seq"]


def _text(value, type_: str = "text") -> str:
    """A key or value as the warehouse writes it (dates as YYYY-MM-DD)."""
    import pandas as pd

    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp | datetime):
        if type_ == "date" or (value.hour, value.minute, value.second) == (0, 0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _trim(result: dict | None) -> None:
    """The stored result keeps SAMPLE_ROWS examples; the full count stays."""
    for name in ("partial_unexpected_list", "partial_unexpected_index_list",
                 "partial_unexpected_counts"):
        if result and isinstance(result.get(name), list):
            result[name] = result[name][:SAMPLE_ROWS]


def _build_docs(context, quality_dir: Path, reports: list[ExtractReport], keys: list) -> None:
    """Render the new validation pages (each extract's earlier pages go), every suite's
    page (a contract change shows at once) and the index."""
    from great_expectations.data_context.types.resource_identifiers import \
        ExpectationSuiteIdentifier

    from .suites import DOCS_SITE

    for report in reports:
        shutil.rmtree(quality_dir / "data_docs" / "validations" / report.extract,
                      ignore_errors=True)
    context.build_data_docs(
        site_names=[DOCS_SITE],
        resource_identifiers=[*keys, *(ExpectationSuiteIdentifier(name=x)
                                       for x in load_contracts())])
    for key in keys:
        url = context.get_docs_sites_urls(resource_identifier=key,
                                          site_name=DOCS_SITE)[0]["site_url"]
        next(r for r in reports if r.extract == key.expectation_suite_identifier.name
             ).docs_urls.append(url)


def _record(con, reports: list[ExtractReport], stamp: datetime) -> None:
    """The validated deliveries and their flagged rows, in one transaction."""
    import pandas as pd

    deliveries = pd.DataFrame(
        [(seq, r.extract, r.rows_per_delivery.get(seq, 0), stamp)
         for r in reports for seq, _ in r.deliveries],
        columns=["load_seq", "extract", "rows_validated", "validated_at"])
    failures = pd.DataFrame(
        [(f["load_seq"], r.extract, o.rule.name, o.rule.column, o.rule.severity,
          f["record_key"], f["value"], stamp)
         for r in reports for o in r.outcomes for f in o.flagged],
        columns=["load_seq", "extract", "rule", "column_name", "severity", "record_key",
                 "value", "validated_at"])
    con.execute("BEGIN")
    try:
        con.execute("INSERT INTO meta.validated_deliveries BY NAME SELECT * FROM deliveries")
        con.execute("INSERT INTO meta.expectation_failures BY NAME SELECT * FROM failures")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
