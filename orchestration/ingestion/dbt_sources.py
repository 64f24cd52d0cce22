"""Render the dbt source definition of the raw layer from the contracts.

`python -m orchestration.ingestion.dbt_sources` rewrites
dbt_project/models/staging/_sources.yml; a unit test fails when the committed file and
the contracts disagree, so the column list is never maintained by hand.
"""

from __future__ import annotations

import sys

import yaml

from ..settings import DBT_PROJECT_DIR
from .contracts import load_contracts
from .schema import LINEAGE_COLUMNS

SOURCES_FILE = DBT_PROJECT_DIR / "models" / "staging" / "_sources.yml"
HEADER = (
    "# GENERATED from orchestration/ingestion/contracts.yml by\n"
    "# `python -m orchestration.ingestion.dbt_sources`. Do not edit by hand.\n"
)


def render_sources() -> str:
    tables = []
    for contract in load_contracts().values():
        columns = [
            {
                "name": c.name,
                "data_type": c.sql_type,
                "description": c.description
                or f"{c.type}{', required' if c.required else ''}"
                + (f"; one of {', '.join(c.accepted)}" if c.accepted else ""),
            }
            for c in contract.columns
        ]
        columns += [{"name": name, "data_type": sql_type,
                     "description": "Lineage column written by ingestion."}
                    for name, sql_type in LINEAGE_COLUMNS]
        tables.append({
            "name": contract.extract,
            "description": f"{contract.description} ({contract.kind} extract; every "
                           "accepted version of every row, append-only)",
            "config": {"meta": {"stage": contract.stage, "kind": contract.kind,
                                "key": list(contract.key)}},
            "columns": columns,
        })
    doc = {"version": 2, "sources": [{
        "name": "raw",
        "schema": "raw",
        "description": "Extracts as delivered, loaded by the Dagster ingest assets.",
        "tables": tables,
    }]}
    return HEADER + yaml.safe_dump(doc, sort_keys=False, width=100)


def main() -> int:
    SOURCES_FILE.write_text(render_sources())
    print(f"wrote {SOURCES_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
