"""The short summary `make run` ends with: what was loaded, what was quarantined, what
is missing and what it leaves empty, the headline KPIs, and where everything is."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ..ingestion.contracts import load_contracts
from ..settings import Settings


@dataclass
class Summary:
    loaded: list[tuple]                     # extract, files, rows loaded, quarantined, raw total
    rejected: list[tuple]                   # file, error
    missing_extracts: list[str]
    empty_marts: dict[str, list[str]]       # mart -> the missing extracts upstream of it
    kpis: dict[str, object]
    failures: list[str] = field(default_factory=list)
    built: list[str] = field(default_factory=list)  # assets materialized (stale or missing)

    def as_dict(self) -> dict:
        return {
            "loaded": [dict(zip(("extract", "files", "rows_loaded", "rows_quarantined",
                                 "raw_rows_total"), r)) for r in self.loaded],
            "rejected": [dict(zip(("file", "error"), r)) for r in self.rejected],
            "missing_extracts": self.missing_extracts,
            "empty_marts": self.empty_marts,
            "kpis": self.kpis,
            "failures": self.failures,
            "built": self.built,
        }


def _marts_downstream(manifest_path: Path, extracts: list[str]) -> dict[str, set[str]]:
    """mart name -> the given extracts it depends on, from the dbt manifest's lineage."""
    if not manifest_path.exists() or not extracts:
        return {}
    manifest = json.loads(manifest_path.read_text())
    child_map, nodes = manifest.get("child_map", {}), manifest.get("nodes", {})
    out: dict[str, set[str]] = {}
    for source_id, source in manifest.get("sources", {}).items():
        if source["name"] not in extracts:
            continue
        stack, seen = list(child_map.get(source_id, [])), set()
        while stack:
            node_id = stack.pop()
            if node_id in seen:
                continue
            seen.add(node_id)
            node = nodes.get(node_id)
            if node and node["resource_type"] == "model" and node["schema"] == "marts":
                out.setdefault(node["name"], set()).add(source["name"])
            stack.extend(child_map.get(node_id, []))
    return out


def _headline_kpis(published: Path) -> dict[str, object]:
    """Company OTIF, fill rate and supplier OTD of the last complete month."""
    if not published.exists():
        return {}
    con = duckdb.connect(str(published), read_only=True)
    try:
        kpis: dict[str, object] = {}
        row = con.execute(
            "SELECT month, otif_line_pct, fill_rate_line_pct, lines_counted "
            "FROM marts.kpi_service_level_monthly WHERE lines_counted > 0 AND month < "
            "(SELECT max(month) FROM marts.kpi_service_level_monthly) "
            "ORDER BY month DESC LIMIT 1").fetchall()
        if row:
            row = row[0]
            kpis.update({"service_month": str(row[0]), "otif_line_pct": row[1],
                         "fill_rate_line_pct": row[2], "sales_lines_counted": row[3]})
        row = con.execute(
            "SELECT month, round(100.0 * sum(lines_on_time) / sum(lines_due), 2), "
            "sum(lines_due) FROM marts.kpi_supplier_performance_monthly "
            "WHERE month < (SELECT max(month) FROM marts.kpi_supplier_performance_monthly) "
            "GROUP BY month HAVING sum(lines_due) > 0 ORDER BY month DESC LIMIT 1").fetchall()
        if row:
            row = row[0]
            kpis.update({"supplier_month": str(row[0]), "supplier_otd_pct": row[1],
                         "po_lines_due": row[2]})
        return kpis
    except duckdb.Error:
        return kpis
    finally:
        con.close()


def build_summary(settings: Settings, since_load_seq: int, manifest_path: Path) -> Summary:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        loaded = con.execute(
            "SELECT extract, count(*), sum(rows_loaded), sum(rows_quarantined) "
            "FROM meta.ingest_ledger WHERE load_seq > ? AND status = 'loaded' "
            "GROUP BY extract", [since_load_seq]).fetchall()
        rejected = con.execute(
            "SELECT file_path, error FROM meta.ingest_ledger WHERE load_seq > ? "
            "AND status = 'rejected' ORDER BY load_seq", [since_load_seq]).fetchall()
        totals, missing = {}, []
        for extract in load_contracts():
            n = con.execute(f'SELECT count(*) FROM raw."{extract}"').fetchall()[0][0]
            totals[extract] = n
            if n == 0:
                missing.append(extract)
        mart_rows = {
            t: con.execute(f'SELECT count(*) FROM marts."{t}"').fetchall()[0][0]
            for (t,) in con.execute("SELECT table_name FROM duckdb_tables() "
                                    "WHERE schema_name = 'marts'").fetchall()}
    finally:
        con.close()
    by_extract = {r[0]: r for r in loaded}
    loaded_rows = [(e, by_extract[e][1], int(by_extract[e][2]), int(by_extract[e][3]),
                    totals[e]) for e in load_contracts() if e in by_extract]
    downstream = _marts_downstream(manifest_path, missing)
    empty = {m: sorted(src) for m, src in sorted(downstream.items())
             if mart_rows.get(m, 0) == 0}
    return Summary(loaded_rows, rejected, missing, empty, _headline_kpis(settings.published))


def render(summary: Summary, settings: Settings, seconds: float) -> str:
    out = [f"Control Tower run finished in {seconds:.1f} s"]
    if summary.failures:
        out.append("FAILED: " + "; ".join(summary.failures))
    if summary.loaded:
        out.append(f"{'extract':<24}{'files':>6}{'loaded':>12}{'quarantined':>13}{'raw total':>12}")
        for extract, files, rows, bad, total in summary.loaded:
            out.append(f"{extract:<24}{files:>6}{rows:>12,}{bad:>13,}{total:>12,}")
        out.append(f"{'all':<24}{sum(r[1] for r in summary.loaded):>6}"
                   f"{sum(r[2] for r in summary.loaded):>12,}"
                   f"{sum(r[3] for r in summary.loaded):>13,}")
    else:
        out.append("No new files: nothing loaded.")
    out.append(f"Built {len(summary.built)} stale or missing assets." if summary.built
               else "Everything was up to date: nothing rebuilt.")
    for path, error in summary.rejected:
        out.append(f"rejected {path}: {error}")
    if summary.missing_extracts:
        out.append("Missing extracts (never delivered): " + ", ".join(summary.missing_extracts))
        for mart, sources in summary.empty_marts.items():
            out.append(f"  empty mart {mart} (needs {', '.join(sources)})")
    k = summary.kpis
    if "otif_line_pct" in k:
        out.append(f"Customer OTIF {k['otif_line_pct']} %, line fill rate "
                   f"{k['fill_rate_line_pct']} % ({k['service_month']}, "
                   f"{k['sales_lines_counted']:,} lines)")
    if "supplier_otd_pct" in k:
        out.append(f"Supplier OTD {k['supplier_otd_pct']} % ({k['supplier_month']}, "
                   f"{k['po_lines_due']:,} PO lines due)")
    out.append(f"Warehouse: {settings.warehouse}")
    out.append(f"Published (read-only): {settings.published}")
    out.append(f"Exports: {settings.exports_dir} (finance and KPI packs, PO chase drafts, "
               "Parquet)")
    out.append(f"Docs: {settings.data_dir / 'docs' / 'static_index.html'}")
    out.append("Ask the warehouse: tower ask availability ITEM [--site S] [--qty N] · "
               "tower ask why-late SO_ID · tower ask last-order CUSTOMER · "
               "tower ask chase [SUPPLIER] · tower kpi [NAME] [--month YYYY-MM] "
               "(.venv/bin/tower; --json for machines). The UI: make ui")
    return "\n".join(out)
