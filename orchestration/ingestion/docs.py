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

Drop each delivery into `$CT_LANDING_DIR/<extract>/` (or any folder below it, e.g.
`<extract>/2026/11/`) as CSV (UTF-8, header row, comma; `.csv.gz` allowed), Parquet or
XLSX (first sheet). One file is one delivery; it is loaded once (by content hash) and
recorded in `meta.ingest_ledger`. Write a file under a temporary name (`*.part`, `*.tmp`,
or starting with `.`) and rename it when complete: such names wait for the next run.
What happens to a delivery that breaks the contract is [below](#bad-input-what-is-rejected-what-is-quarantined).

Every extract also carries `source_system` (text, required) and `extracted_at`
(timestamp, required; ISO 8601, converted to UTC); deltas carry `is_deleted` (boolean:
true/false, t/f, 1/0, yes/no; empty = false). Booleans, dates (ISO `YYYY-MM-DD`) and
decimals (`.` as decimal point, no thousands separator) are parsed strictly.

Types: {", ".join(f"`{t}` → {s}" for t, s in SQL_TYPES.items())}.

## Bad input: what is rejected, what is quarantined

Every file gets one row in `meta.ingest_ledger`: `loaded`, `rejected`, `pending` or
`skipped_duplicate`, with rows read = rows loaded + rows quarantined and a one-line
`error` that starts with the file's name (for a loaded file it is a note, or empty). A
rejected file leaves nothing in `raw` or `quarantine`; the run goes on with the other
files and extracts. The same lines are the ingest asset's metadata in Dagster.

**Whole file rejected** (and not tried again until its content changes):

| delivery | ledger message says |
|---|---|
| empty, or only blank lines | empty file |
| a required column missing | missing required column(s) and which; one column in the header adds "wrong delimiter?" (`;`, tab) |
| two columns with the same name (case and spaces ignored), a column without a name | duplicate column name / a column has no name |
| a line with too many or too few fields, a quoted value never closed | the line number and what is wrong |
| UTF-8 for its first 64 KiB, then a byte that is not | the line that is not UTF-8 |
| UTF-32, or binary content (NUL bytes that are not UTF-16) | not read / not text |
| a truncated gzip, a `.gz` that is not gzip, a corrupt Parquet file, a workbook that does not open | cannot be read, and why |
| a Parquet column that is nested (struct, list, map) | deliver flat columns |
| XLSX without a sheet, or with an empty first sheet | no sheet / empty |
| XLSX formula saved without its value (written by a program that never calculated it) | the cell; open and save it in Excel |
| XLSX value in a column without a header | the cell |
| another extension than `.csv`, `.csv.gz`, `.parquet`, `.xlsx` | unsupported format |
| a name (of the file or a folder below the extract's) with control characters, a `\\` or `..` | the name, escaped |
| a name with other characters than letters, digits, `.`, `_`, `-` and space | the name |
| a link (to a file or a folder, absolute or relative, through other links) that leads out of the landing zone; a link to a folder | links outside the landing zone / not followed; the file is never opened |
| a snapshot older than one already loaded (its newest `extracted_at` is older) | an older snapshot would never be current |

**Read as delivered:** a header only (zero rows); extra columns (kept as text in raw,
named in lower case with anything but `a-z0-9_` replaced by `_`, e.g. `Rate Source
(Bank)` → `rate_source_bank`, and a suffix `_2` if the name is taken); a UTF-8 BOM;
UTF-16 little- or big-endian, with or without BOM; a file that is not UTF-8 is read as
Latin-1; CRLF line ends. Parquet types are not trusted: each value is read as text and
checked like a CSV's, so a column of the wrong type quarantines what does not parse
(a date stored as the number 20260101 is not a date). XLSX: the first non-empty row is
the header, empty rows are skipped, a formula gives the value Excel saved with it, a
merged range gives its value to every cell it covers, a date cell is a date. A file far
larger than memory streams through DuckDB (it is read in 8 MiB buffers and spills to
disk), never loaded whole in Python. A file in a folder below the extract's is loaded
like any other, its path in the ledger relative to the landing zone.

**Pending** (waits, recorded once, looked at again every run): a temporary name
(`*.part`, `*.tmp`, `*.partial`, `*.crdownload`, `*.filepart`, or a file or folder name
starting with `.`), a file that changed while it was read, a file that cannot be opened
yet (permissions). **Skipped as a duplicate:** the same content as a file already
loaded, under another name. A file already dealt with is not looked at again.

**Loaded with a note** in the ledger: a delta whose newest `extracted_at` is older than
data already loaded (its rows are history: a key's newer version stays current, since
versions are ordered by `extracted_at`); a delta that deletes keys never delivered (the
delete is kept: a key that arrives later with older data stays deleted).

**Not the file's fault:** out of memory, a full disk or a read-only data dir while
reading fails the run with the error and records nothing; the next run reads the file
again.

**Row quarantined** in `quarantine.<extract>` (every column as the original text, its
row number in the file and `_reason`; several faults in one row are joined by `; `),
the file's other rows loaded:

| row | `_reason` |
|---|---|
| a required value empty or blank | `<column>: required value missing` |
| a value that does not parse: a date other than `YYYY-MM-DD`, a timestamp that is not one (an offset is converted to UTC, none means UTC), a number with a decimal comma or a thousands separator, an integer with a fraction (`12.0` is 12, `12.7` is refused), a boolean other than true/false, t/f, 1/0, yes/no, y/n | `<column>: not a valid <type>` |
| a value not in the column's list (case matters) | `<column>: value not accepted` |
| a number below the column's minimum (a negative quantity) | `<column>: below the minimum 0` |
| a currency that is not an ISO 4217 code in use (case and spaces ignored) | `<column>: unknown currency` |
| a date or timestamp outside {EARLIEST_DATE} … {LATEST_DATE} | `<column>: date out of range` |
| all but the last row of a key repeated in one file | `duplicate key in file: a later row of the same key wins` |

**Loaded as is:** a foreign key to nothing (kept: master data may arrive later), and
text with quotes, commas, newlines, leading spaces or SQL in it, stored verbatim. No value, header or path from a file is ever part of SQL text: values are read
by DuckDB or bound as parameters, header names only pick contract columns by position,
and an extra column's name is sanitised as above and quoted.

**The corpus.** `tests/reliability/corpus/` holds a case for each line above:
`cases.yaml` lists the files, the extract and the expected outcome (status, rows read,
loaded and quarantined, message fragments, the reason of each quarantined row, values
in raw); `files/` holds the small files, `generators.py` writes the binary, large or
uncommittable ones (links, names with control characters).
`tests/reliability/test_corpus.py` loads each case on a fresh warehouse beside a good
file. To add a case, drop the file in `files/` (or add a generator) and add an entry to
`cases.yaml`.
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
