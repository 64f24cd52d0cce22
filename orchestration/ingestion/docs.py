"""Render docs/extracts.md, the user-facing landing contract, from contracts.yml.

`python -m orchestration.ingestion.docs` rewrites it; a unit test keeps it current.
"""

from __future__ import annotations

import sys

from ..settings import PROJECT_ROOT
from .contracts import EARLIEST_DATE, LATEST_DATE, SQL_TYPES, load_contracts

DOC_FILE = PROJECT_ROOT / "docs" / "extracts.md"

INTRO = f"""\
# The landing contract (generated)

Generated from `orchestration/ingestion/contracts.yml` by
`python -m orchestration.ingestion.docs` — edit the YAML, not this page.

Drop each delivery into `$CT_LANDING_DIR/<extract>/` as CSV (UTF-8, header row, comma;
`.csv.gz` allowed), Parquet or XLSX (first sheet). One file is one delivery; it is loaded
once (by content hash) and recorded in `meta.ingest_ledger`. Files named `*.part`,
`*.tmp` or starting with `.` are still being written and wait for the next run.

**Whole file rejected** (nothing loaded, the ledger says why): empty file, missing
required column, duplicate column names, a wrong delimiter, unreadable gzip/Parquet/XLSX,
a link out of the landing zone, a name with control characters or `..`.
Header only is accepted (zero rows). Extra columns are kept as text. A UTF-8 BOM and
UTF-16 (with BOM) are read; a file that is not UTF-8 is read as Latin-1.

**Row quarantined** in `quarantine.<extract>` with the original text and `_reason`: a
required value missing, a value that does not parse as its type, a value not accepted,
a number below its minimum, an unknown ISO 4217 currency, a date outside
{EARLIEST_DATE} … {LATEST_DATE}, and all but the last row of a key repeated in one file.
For every file: rows read = rows loaded + rows quarantined.

Every extract also carries `source_system` (text, required) and `extracted_at`
(timestamp, required; ISO 8601, converted to UTC); deltas carry `is_deleted` (boolean:
true/false, t/f, 1/0, yes/no; empty = false). Booleans, dates (ISO `YYYY-MM-DD`) and
decimals (`.` as decimal point, no thousands separator) are parsed strictly.

Types: {", ".join(f"`{t}` → {s}" for t, s in SQL_TYPES.items())}.
"""


def render_docs() -> str:
    out = [INTRO]
    for c in load_contracts().values():
        out.append(f"## {c.extract}\n")
        out.append(f"{c.description} **{c.kind}** extract, stage `{c.stage}`, "
                   f"key ({', '.join(c.key)}).\n")
        out.append("| column | type | required | rule |")
        out.append("|---|---|---|---|")
        for col in c.columns:
            rule = []
            if col.accepted:
                rule.append("one of " + ", ".join(col.accepted))
            if col.min is not None:
                rule.append(f"≥ {col.min:g}")
            out.append(f"| {col.name} | {col.type} | {'yes' if col.required else ''} | "
                       f"{'; '.join(rule)} |")
        out.append("")
    return "\n".join(out)


def main() -> int:
    DOC_FILE.write_text(render_docs())
    print(f"wrote {DOC_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
