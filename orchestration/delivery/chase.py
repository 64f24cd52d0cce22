"""The day's PO chase drafts from marts.po_chase_list (docs/chase.md).

One RFC 5322 message per supplier, <exports>/po_chase/<as-of>/<supplier>.eml, with the
lines to confirm or re-date as a plain-text table and as a CSV attachment a supplier
portal can read back; lines of suppliers without a usable e-mail go to the buyers'
buyer_list.csv instead, and every chased line to lines.csv (the file the simulator's
suppliers answer). The day's folder is written beside its final path and renamed over
it, and what was chased is logged to meta.po_chase_log (the day's rows replaced) so the
next day's list knows how often each line was chased and escalates.

Nothing depends on the clock or on randomness: the same warehouse gives byte-identical
files (fixed Date, Message-ID and MIME boundary derived from the content).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr
from pathlib import Path

import duckdb

from .files import replace_folder

CHASE_DIR = "po_chase"
LINES_FILE = "lines.csv"
BUYER_LIST_FILE = "buyer_list.csv"
LOG_TABLE = "meta.po_chase_log"

LIST_COLUMNS = (
    "priority_rank", "po_id", "po_line", "supplier_id", "supplier_name",
    "supplier_contact_name", "supplier_contact_email", "buyer_id", "item_id", "qty_open",
    "qty_ordered", "latest_confirmed_qty", "need_date", "deadline", "latest_confirmed_date",
    "previous_confirmed_date", "chase_reason", "suggested_action", "times_chased",
    "escalation_level", "as_of_date",
)
# What the supplier reads and fills in: the reply columns stay empty in the draft.
ATTACHMENT_COLUMNS = ("po_id", "po_line", "item_id", "qty_open", "need_date",
                      "latest_confirmed_date", "chase_reason", "asked", "times_chased",
                      "confirmed_date", "confirmed_qty")
LINES_COLUMNS = ("po_id", "po_line", "supplier_id", "sent_to", "draft_file", "item_id",
                 "qty_open", "need_date", "latest_confirmed_date", "chase_reason", "asked",
                 "escalation_level")
BUYER_LIST_COLUMNS = ("buyer_id", "supplier_id", "supplier_name", "supplier_contact_name",
                      "supplier_contact_email", "po_id", "po_line", "item_id", "qty_open",
                      "need_date", "latest_confirmed_date", "chase_reason", "asked",
                      "escalation_level", "suggested_action", "priority_rank")

_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]")
_EMAIL = re.compile(r"[^@\s<>(),;:\"\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


@dataclass
class ChaseResult:
    as_of: date
    folder: Path
    drafts: int = 0
    lines_chased: int = 0
    lines_to_buyers: int = 0
    suppliers_without_email: list[str] = field(default_factory=list)


def safe_file_stem(supplier_id: str) -> str:
    """A file name stem for a supplier id: letters, digits, '.', '_', '-' only, no
    leading dot; an id that had to change gets a digest of the original, so two ids
    that clean up alike never share a file."""
    stem = _UNSAFE_FILE_CHARS.sub("_", str(supplier_id)).lstrip(".")[:80]
    if stem != supplier_id or not stem:
        digest = hashlib.sha256(str(supplier_id).encode()).hexdigest()[:8]
        stem = f"{stem or 'supplier'}_{digest}"
    return stem


def usable_email(value: str | None) -> str | None:
    """The contact e-mail when it is one plain address (no display name, no header
    breaks), else None: such a supplier goes to the buyer's list."""
    value = (value or "").strip()
    return value if _EMAIL.fullmatch(value) else None


def _one_line(value) -> str:
    return "" if value is None else " ".join(str(value).split())


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return _one_line(value)


def asked(line: Mapping) -> str:
    """What the supplier is asked, from the line's primary reason (and a reminder note
    once it was chased before)."""
    reason = line["chase_reason"]
    if reason == "overdue":
        text = f"overdue since {_text(line['deadline'])}: ship now or give a firm date"
    elif reason == "confirmed_after_need_date":
        text = (f"confirmed for {_text(line['latest_confirmed_date'])}, needed by "
                f"{_text(line['need_date'])}: deliver earlier or confirm the earliest date")
    elif reason == "date_slipped":
        text = (f"moved from {_text(line['previous_confirmed_date'])} to "
                f"{_text(line['latest_confirmed_date'])}: confirm the new date")
    elif reason == "qty_short":
        text = (f"confirmed {_text(line['latest_confirmed_qty'])} of "
                f"{_text(line['qty_ordered'])}: confirm the full quantity")
    else:
        text = "not confirmed yet: confirm quantity and delivery date"
    times = int(line.get("times_chased") or 0)
    return f"{text} (reminder {times})" if times else text


def _csv(columns, rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_text(row.get(c)) for c in columns])
    return out.getvalue()


def _table(lines: list[Mapping]) -> str:
    header = ("PO", "Line", "Item", "Qty open", "Need date", "Last confirmed", "Asked")
    rows = [(_text(ln["po_id"]), _text(ln["po_line"]), _text(ln["item_id"]),
             _text(ln["qty_open"]), _text(ln["need_date"]),
             _text(ln["latest_confirmed_date"]) or "-", ln["asked"]) for ln in lines]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]

    def fmt(r):
        return "  ".join([*(v.ljust(w) for v, w in zip(r, widths)), r[-1]]).rstrip()

    return "\n".join([fmt(header), fmt(tuple("-" * w for w in [*widths, len(header[-1])])),
                      *(fmt(r) for r in rows)])


def build_draft(supplier_lines: list[Mapping], as_of: date, sender: str,
                file_stem: str) -> EmailMessage:
    """The chase e-mail to one supplier: its lines (with 'asked' set) as a table and as
    the CSV attachment <file_stem>.csv."""
    first = supplier_lines[0]
    supplier = _one_line(first["supplier_name"]) or _one_line(first["supplier_id"])
    contact = _one_line(first["supplier_contact_name"])
    n = len(supplier_lines)
    attachment = _csv(ATTACHMENT_COLUMNS, supplier_lines)
    digest = hashlib.sha256(
        "\n".join([as_of.isoformat(), sender, first["supplier_contact_email"],
                   attachment]).encode()).hexdigest()
    reminders = sum(1 for ln in supplier_lines if int(ln.get("times_chased") or 0) > 0)

    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = formataddr((contact, first["supplier_contact_email"]))
    msg["Subject"] = (f"Purchase orders to confirm: {supplier} ({_one_line(first['supplier_id'])}),"
                      f" {n} line{'s' if n != 1 else ''}")
    msg["Date"] = format_datetime(datetime.combine(as_of, time(0, 0), tzinfo=timezone.utc))
    msg["Message-ID"] = (f"<po-chase.{as_of.isoformat()}.{file_stem}.{digest[:16]}"
                         f"@{sender.rpartition('@')[2]}>")
    body = [
        f"Dear {contact or supplier},",
        "",
        f"please confirm or re-date the following {n} purchase order "
        f"line{'s' if n != 1 else ''} (as of {as_of.isoformat()}):",
        "",
        _table(supplier_lines),
        "",
    ]
    if reminders:
        body += [f"{reminders} of these we have asked about before and still need your answer.",
                 ""]
    body += [
        f"The attached {file_stem}.csv holds the same lines: fill in confirmed_date "
        "(YYYY-MM-DD) and confirmed_qty and send it back, or answer in your portal.",
        "",
        "Thank you,",
        "Purchasing",
        "",
    ]
    # 8bit keeps the table readable as it is (quoted-printable would break its rows at
    # 76 characters); no line comes near the 998 limit of RFC 5322.
    msg.set_content("\n".join(body), cte="8bit")
    msg.add_attachment(attachment, subtype="csv", filename=f"{file_stem}.csv", cte="8bit")
    msg.set_boundary(f"=_po-chase_{digest[16:40]}")
    return msg


def read_chase_list(con: duckdb.DuckDBPyConnection) -> tuple[date, list[dict]]:
    """The as-of date and the lines of marts.po_chase_list, by supplier and rank."""
    cur = con.execute(f"SELECT {', '.join(LIST_COLUMNS)} FROM marts.po_chase_list "
                      "ORDER BY supplier_id, priority_rank, po_id, po_line")
    names = [d[0] for d in cur.description]
    lines = [dict(zip(names, row)) for row in cur.fetchall()]
    if lines:
        return lines[0]["as_of_date"], lines
    as_of = con.execute("SELECT max(as_of_date) FROM intermediate.int_as_of").fetchall()[0][0]
    if as_of is None:
        raise ValueError("no as-of date: the warehouse holds no extract yet")
    return as_of, lines


def _write(path: Path, data: bytes | str) -> None:
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def ensure_chase_log(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {LOG_TABLE} (
        as_of_date DATE NOT NULL, po_id VARCHAR NOT NULL, po_line VARCHAR NOT NULL,
        supplier_id VARCHAR, chase_reason VARCHAR, escalation_level INTEGER,
        sent_to VARCHAR, draft_file VARCHAR)""")


def chase_log_summary(con: duckdb.DuckDBPyConnection) -> dict:
    """Create the chase log when missing; its rows, chase days and last chase day."""
    ensure_chase_log(con)
    rows, days, last = con.execute(
        f"SELECT count(*), count(DISTINCT as_of_date), max(as_of_date) FROM {LOG_TABLE}"
    ).fetchall()[0]
    return {"rows": rows, "chase_days": days,
            "last_chase_day": last.isoformat() if last else None}


def write_chase_drafts(con: duckdb.DuckDBPyConnection, exports_dir: Path,
                       sender: str) -> ChaseResult:
    """Write the as-of date's drafts from marts.po_chase_list (con: the live warehouse,
    writable) and replace that day's rows of meta.po_chase_log."""
    as_of, lines = read_chase_list(con)
    root = Path(exports_dir) / CHASE_DIR
    root.mkdir(parents=True, exist_ok=True)
    final = root / as_of.isoformat()
    result = ChaseResult(as_of=as_of, folder=final)

    by_supplier: dict[str, list[dict]] = {}
    for line in lines:
        line["asked"] = asked(line)
        by_supplier.setdefault(line["supplier_id"], []).append(line)

    tmp = root / f".{final.name}.{uuid.uuid4().hex[:8]}.tmp"
    tmp.mkdir()
    try:
        emailed, to_buyers, log = [], [], []
        for supplier_id, supplier_lines in sorted(by_supplier.items()):
            email = usable_email(supplier_lines[0]["supplier_contact_email"])
            if email is None:
                result.suppliers_without_email.append(supplier_id)
                for line in supplier_lines:
                    line["sent_to"], line["draft_file"] = None, BUYER_LIST_FILE
                to_buyers += supplier_lines
            else:
                stem = safe_file_stem(supplier_id)
                for line in supplier_lines:
                    line["supplier_contact_email"] = email
                    line["sent_to"], line["draft_file"] = email, f"{stem}.eml"
                msg = build_draft(supplier_lines, as_of, sender, stem)
                _write(tmp / f"{stem}.eml", msg.as_bytes(policy=SMTP))
                emailed += supplier_lines
                result.drafts += 1
            log += [(as_of, ln["po_id"], ln["po_line"], supplier_id, ln["chase_reason"],
                     ln["escalation_level"], ln["sent_to"],
                     f"{final.name}/{ln['draft_file']}") for ln in supplier_lines]
        _write(tmp / LINES_FILE, _csv(LINES_COLUMNS, emailed))
        to_buyers.sort(key=lambda ln: (ln["buyer_id"] or "", ln["supplier_id"],
                                       ln["priority_rank"]))
        _write(tmp / BUYER_LIST_FILE, _csv(BUYER_LIST_COLUMNS, to_buyers))
        result.lines_chased, result.lines_to_buyers = len(lines), len(to_buyers)

        ensure_chase_log(con)
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(f"DELETE FROM {LOG_TABLE} WHERE as_of_date = ?", [as_of])
            if log:
                con.executemany(f"INSERT INTO {LOG_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                log)
            replace_folder(tmp, final)
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return result
