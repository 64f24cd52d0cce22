"""The references a stage is measured against, run in the bench process on the same
files: bare DuckDB reads of the landing zone, the ingest engine without Dagster, the
compiled SQL of the dbt models run directly, and the forecast models called directly."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import duckdb

XLSX = (".xlsx",)


def _connect(path: Path, threads: int, memory_limit: str) -> duckdb.DuckDBPyConnection:
    path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), config={"threads": threads, "memory_limit": memory_limit})


def landing_files(landing: Path) -> dict[str, list[Path]]:
    return {d.name: sorted(p for p in d.iterdir() if p.is_file())
            for d in sorted(landing.iterdir()) if d.is_dir()}


def excluded_extracts(landing: Path) -> list[str]:
    """Extracts holding a file bare DuckDB cannot read without an extension (xlsx):
    left out of both sides of the ingest ratio."""
    return [e for e, files in landing_files(landing).items()
            if any(f.name.lower().endswith(XLSX) for f in files)]


def bare_ingest(landing: Path, db: Path, threads: int, memory_limit: str) -> dict:
    """CREATE TABLE AS SELECT * FROM read_csv/read_parquet of every landing file, no
    checks. A file DuckDB's sniffer refuses is read again as all-VARCHAR with errors
    ignored (counted in `fallbacks`)."""
    if db.exists():
        db.unlink()
    skip = set(excluded_extracts(landing))
    con = _connect(db, threads, memory_limit)
    per_extract, rows, files, fallbacks = {}, 0, 0, []
    started = time.perf_counter()
    try:
        for extract, paths in landing_files(landing).items():
            if extract in skip:
                continue
            t0 = time.perf_counter()
            n = 0
            for i, path in enumerate(paths):
                table = f'"{extract}_{i}"'
                name = path.name.lower()
                if name.endswith(".parquet"):
                    sql = f"CREATE TABLE {table} AS SELECT * FROM read_parquet(?)"
                else:
                    sql = f"CREATE TABLE {table} AS SELECT * FROM read_csv(?)"
                try:
                    con.execute(sql, [str(path)])
                except duckdb.Error:
                    fallbacks.append(f"{extract}/{path.name}")
                    con.execute(f"DROP TABLE IF EXISTS {table}")
                    con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv(?, "
                                "all_varchar = true, strict_mode = false, "
                                "ignore_errors = true)", [str(path)])
                n += con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
                files += 1
            per_extract[extract] = {"seconds": time.perf_counter() - t0, "rows": n}
            rows += n
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return {"seconds": time.perf_counter() - started, "rows": rows, "files": files,
            "fallbacks": fallbacks, "excluded_extracts": sorted(skip),
            "per_extract": per_extract}


def engine_ingest(landing: Path, db: Path, threads: int, memory_limit: str) -> dict:
    """orchestration.ingestion.loader.ingest_extract of every contract on a fresh
    warehouse, without Dagster: the engine's own cost."""
    from orchestration.ingestion.contracts import load_contracts
    from orchestration.ingestion.loader import connect, ingest_extract

    if db.exists():
        db.unlink()
    con = connect(db, threads, memory_limit)
    per_extract = {}
    read = loaded = quarantined = 0
    started = time.perf_counter()
    try:
        for extract in load_contracts():
            t0 = time.perf_counter()
            r = ingest_extract(con, extract, landing)
            per_extract[extract] = {"seconds": time.perf_counter() - t0,
                                    "rows_read": r.rows_read, "rows_loaded": r.rows_loaded}
            read += r.rows_read
            loaded += r.rows_loaded
            quarantined += r.rows_quarantined
    finally:
        con.close()
    return {"seconds": time.perf_counter() - started, "rows_read": read,
            "rows_loaded": loaded, "rows_quarantined": quarantined,
            "per_extract": per_extract}


# --- dbt: the compiled SQL of the same models, run directly -------------------------------

def dbt_step_info(target: Path) -> dict | None:
    """dbt's own figures from a step's target folder: elapsed time, per-node timings,
    and the models with their compiled SQL, relation and dependencies."""
    rr_path = target / "run_results.json"
    if not rr_path.exists():
        return None
    rr = json.loads(rr_path.read_text())
    manifest_path = target / "manifest.json"
    nodes = json.loads(manifest_path.read_text())["nodes"] if manifest_path.exists() else {}
    models, tests, statuses = [], [], {}
    for r in rr["results"]:
        uid = r["unique_id"]
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
        node = nodes.get(uid, {})
        if uid.startswith("model."):
            models.append({
                "unique_id": uid, "status": r["status"],
                "execution_time": r.get("execution_time") or 0.0,
                "relation_name": r.get("relation_name") or node.get("relation_name"),
                "compiled_code": r.get("compiled_code") or node.get("compiled_code"),
                "materialized": (node.get("config") or {}).get("materialized"),
                "depends_on": [d for d in (node.get("depends_on") or {}).get("nodes", [])
                               if d.startswith("model.")],
            })
        elif uid.startswith("test."):
            tests.append(r.get("execution_time") or 0.0)
    return {"elapsed_s": rr.get("elapsed_time"), "models": models,
            "model_exec_s": sum(m["execution_time"] for m in models),
            "tests": len(tests), "test_exec_s": sum(tests), "statuses": statuses,
            "args": {k: rr.get("args", {}).get(k) for k in ("which", "vars", "threads")}}


def topological(models: list[dict]) -> list[dict]:
    by_id = {m["unique_id"]: m for m in models}
    done, order = set(), []

    def visit(uid, stack=()):
        if uid in done or uid not in by_id:
            return
        if uid in stack:
            raise ValueError(f"dependency cycle at {uid}")
        for dep in by_id[uid]["depends_on"]:
            visit(dep, (*stack, uid))
        done.add(uid)
        order.append(by_id[uid])

    for m in models:
        visit(m["unique_id"])
    return order


def direct_dbt_sql(steps: dict[str, dict], warehouse_copy: Path, threads: int,
                   memory_limit: str) -> dict:
    """Each step's models, in dependency order, as CREATE OR REPLACE TABLE/VIEW
    <relation> AS <compiled SQL> in one DuckDB connection on a copy of the warehouse
    (the profile's settings: threads, memory limit, insertion order not preserved)."""
    con = _connect(warehouse_copy, threads, memory_limit)
    con.execute("SET preserve_insertion_order = false")
    out = {}
    try:
        for step, info in steps.items():
            if info is None:
                continue
            per_model, errors = {}, []
            t_step = time.perf_counter()
            for m in topological([m for m in info["models"] if m["status"] == "success"]):
                if m["materialized"] == "ephemeral" or not m["compiled_code"]:
                    continue
                kind = "VIEW" if m["materialized"] == "view" else "TABLE"
                t0 = time.perf_counter()
                try:
                    con.execute(f"CREATE OR REPLACE {kind} {m['relation_name']} AS "
                                f"{m['compiled_code']}")
                except duckdb.Error as exc:
                    errors.append(f"{m['unique_id']}: {str(exc).splitlines()[0][:160]}")
                per_model[m["unique_id"]] = time.perf_counter() - t0
            out[step] = {"seconds": time.perf_counter() - t_step, "models": len(per_model),
                         "errors": errors,
                         "slowest": sorted(per_model.items(), key=lambda kv: -kv[1])[:5]}
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return out


# --- counts and checksums -----------------------------------------------------------------

def table_rows(db: Path) -> dict[str, int]:
    """{schema.table: rows} of every base table."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = con.execute("SELECT schema_name, table_name FROM duckdb_tables() "
                            "WHERE database_name = current_database()").fetchall()
        return {f"{s}.{t}": con.execute(f'SELECT count(*) FROM "{s}"."{t}"').fetchall()[0][0]
                for s, t in names}
    finally:
        con.close()


def relation_rows(rows: dict[str, int], relation: str | None) -> int:
    if not relation:
        return 0
    parts = [p.strip('"') for p in relation.split(".")]
    return rows.get(".".join(parts[-2:]), 0)


def copy_file(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)
    wal = src.with_name(src.name + ".wal")
    if wal.exists():
        shutil.copy2(wal, dst.with_name(dst.name + ".wal"))
    return dst
