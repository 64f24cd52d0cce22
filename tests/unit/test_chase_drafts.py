"""The chase drafts engine on a hand-made po_chase_list: real e-mails a mail reader
parses, every line with what is asked, the buyers' list, safe file names, idempotent
day folders and the chase log."""

from __future__ import annotations

import csv
import email
import email.policy
import io
from datetime import date

import duckdb
import pytest

from orchestration.delivery.chase import chase_log_summary, safe_file_stem, write_chase_drafts
from orchestration.settings import load_settings

AS_OF = date(2026, 11, 20)
COLUMNS = """priority_rank BIGINT, po_id VARCHAR, po_line VARCHAR, supplier_id VARCHAR,
    supplier_name VARCHAR, supplier_contact_name VARCHAR, supplier_contact_email VARCHAR,
    buyer_id VARCHAR, item_id VARCHAR, qty_open DECIMAL(18,4), qty_ordered DECIMAL(18,4),
    latest_confirmed_qty DECIMAL(18,4), need_date DATE, deadline DATE,
    latest_confirmed_date DATE, previous_confirmed_date DATE, chase_reason VARCHAR,
    suggested_action VARCHAR, times_chased INTEGER, escalation_level INTEGER,
    as_of_date DATE"""
LINES = [
    # rank, po, line, supplier, name, contact, email, buyer, item, open, ordered, conf qty,
    # need, deadline, latest, previous, reason, action, times, level
    (1, "PO-1", "1", "S1", "Acme Metals", "Ann Lee", "ann@acme.example", "B1", "IT-1",
     "25.0000", "25", "25", "2026-11-09", "2026-11-09", "2026-11-09", None, "overdue",
     "expedite", 0, 0),
    (2, "PO-2", "3", "S1", "Acme Metals", "Ann Lee", "ann@acme.example", "B1", "IT-2",
     "100", "100", "100", "2026-11-25", "2026-11-25", "2026-12-01", "2026-11-25",
     "confirmed_after_need_date", "call the supplier", 1, 1),
    (3, "PO-3", "1", "S1", "Acme Metals", "Ann Lee", "ann@acme.example", "B1", "IT-3",
     "40", "50", "40", "2026-12-01", "2026-12-01", "2026-12-01", None, "qty_short",
     "escalate to the purchasing manager", 3, 2),
    (4, "PO-4", "2", "S2", "Bolt & Nut", None, None, "B2", "IT-4", "12.5", "12.5", None,
     "2026-12-03", "2026-12-03", None, None, "unconfirmed", "request confirmation", 0, 0),
    (5, "PO-5", "1", "../evil/\x07S3", "Ünïcode GmbH", "Jörg", "joerg@unicode.example",
     "B1", "IT-5", "7", "7", "7", "2026-12-05", "2026-12-05", "2026-12-09", "2026-12-07",
     "date_slipped", "confirm new date", 0, 0),
    (6, "PO-6", "1", "S4", "Broken Mail", "Max", "max at broken\r\nBcc: x@y.example",
     "B0", "IT-6", "3", "3", None, "2026-12-10", "2026-12-10", None, None, "unconfirmed",
     "request confirmation", 0, 0),
]


def _warehouse(lines=LINES) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    con.execute(f"CREATE TABLE marts.po_chase_list ({COLUMNS})")
    for row in lines:
        con.execute("INSERT INTO marts.po_chase_list VALUES "
                    f"({', '.join('?' * 21)})", [*row, AS_OF])
    return con


def _parse(path):
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def _attachment_rows(msg) -> list[dict]:
    [part] = list(msg.iter_attachments())
    return list(csv.DictReader(io.StringIO(part.get_content())))


@pytest.fixture
def drafted(tmp_path):
    con = _warehouse()
    result = write_chase_drafts(con, tmp_path, sender="buyer@plant.example")
    yield con, result, tmp_path / "po_chase" / "2026-11-20"
    con.close()


def test_one_parsable_draft_per_supplier_with_every_line_and_what_is_asked(drafted):
    con, result, folder = drafted
    assert result.drafts == 2 and result.lines_chased == 6
    msg = _parse(folder / "S1.eml")
    assert msg["To"].addresses[0].addr_spec == "ann@acme.example"
    assert msg["From"].addresses[0].addr_spec == "buyer@plant.example"
    assert "Acme Metals" in msg["Subject"] and "3 lines" in msg["Subject"]
    assert msg["Date"].datetime.date() == AS_OF
    assert msg["Message-ID"].endswith("@plant.example>")
    body = msg.get_body(("plain",)).get_content()
    for po, line, item, qty, need, confirmed, ask in [
            ("PO-1", "1", "IT-1", "25", "2026-11-09", "2026-11-09", "overdue since 2026-11-09"),
            ("PO-2", "3", "IT-2", "100", "2026-11-25", "2026-12-01",
             "confirmed for 2026-12-01, needed by 2026-11-25"),
            ("PO-3", "1", "IT-3", "40", "2026-12-01", "2026-12-01",
             "confirmed 40 of 50: confirm the full quantity (reminder 3)")]:
        row = next(r for r in body.splitlines() if r.startswith(f"{po} "))
        assert row.split()[:6] == [po, line, item, qty, need, confirmed]
        assert ask in row
    rows = _attachment_rows(msg)
    assert [(r["po_id"], r["po_line"], r["item_id"], r["qty_open"], r["need_date"],
             r["latest_confirmed_date"], r["chase_reason"]) for r in rows] == [
        ("PO-1", "1", "IT-1", "25", "2026-11-09", "2026-11-09", "overdue"),
        ("PO-2", "3", "IT-2", "100", "2026-11-25", "2026-12-01", "confirmed_after_need_date"),
        ("PO-3", "1", "IT-3", "40", "2026-12-01", "2026-12-01", "qty_short")]
    assert all(r["asked"] and r["confirmed_date"] == "" for r in rows)
    unicode = _parse(folder / f"{safe_file_stem('../evil/' + chr(7) + 'S3')}.eml")
    assert "Ünïcode GmbH" in unicode["Subject"]
    assert "moved from 2026-12-07 to 2026-12-09" in unicode.get_body(("plain",)).get_content()


def test_suppliers_without_a_usable_email_go_to_the_buyer_list(drafted):
    con, result, folder = drafted
    assert sorted(result.suppliers_without_email) == ["S2", "S4"]
    with open(folder / "buyer_list.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["buyer_id"], r["supplier_id"], r["po_id"], r["po_line"], r["qty_open"])
            for r in rows] == [("B0", "S4", "PO-6", "1", "3"), ("B2", "S2", "PO-4", "2", "12.5")]
    assert rows[1]["asked"] == "not confirmed yet: confirm quantity and delivery date"
    assert sorted(p.name for p in folder.iterdir() if p.suffix == ".eml") == sorted(
        ["S1.eml", f"{safe_file_stem('../evil/' + chr(7) + 'S3')}.eml"])


def test_unsafe_supplier_ids_make_safe_distinct_file_names():
    for unsafe in ["../evil/\x07S3", "a/b", "a\\b", ".hidden", "", "x\ny", "S 1"]:
        stem = safe_file_stem(unsafe)
        assert stem and not stem.startswith(".")
        assert all(c.isalnum() or c in "._-" for c in stem), stem
    assert safe_file_stem("S0001") == "S0001"
    assert safe_file_stem("a/b") != safe_file_stem("a\\b")


def test_the_day_is_rewritten_byte_identical_and_logged_once(drafted, tmp_path):
    con, result, folder = drafted
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    write_chase_drafts(con, tmp_path, sender="buyer@plant.example")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert [p.name for p in (tmp_path / "po_chase").iterdir()] == ["2026-11-20"]
    log = con.execute("SELECT as_of_date, po_id, po_line, sent_to, draft_file "
                      "FROM meta.po_chase_log ORDER BY po_id").fetchall()
    assert len(log) == 6
    assert log[0] == (AS_OF, "PO-1", "1", "ann@acme.example", "2026-11-20/S1.eml")
    assert log[3] == (AS_OF, "PO-4", "2", None, "2026-11-20/buyer_list.csv")


def test_lines_csv_is_what_the_simulator_reads(drafted):
    from simulator.generate import _read_chase_drafts

    _, _, folder = drafted
    assert sorted(_read_chase_drafts(folder / "lines.csv")) == [
        ("PO-1", "1"), ("PO-2", "3"), ("PO-3", "1"), ("PO-5", "1")]


def test_an_empty_list_still_writes_the_day_and_clears_its_log(tmp_path):
    con = _warehouse()
    write_chase_drafts(con, tmp_path, sender="buyer@plant.example")
    con.execute("DELETE FROM marts.po_chase_list")
    con.execute("CREATE SCHEMA intermediate")
    con.execute("CREATE TABLE intermediate.int_as_of AS SELECT DATE '2026-11-20' AS as_of_date")
    result = write_chase_drafts(con, tmp_path, sender="buyer@plant.example")
    assert result.drafts == 0 and result.as_of == AS_OF
    assert sorted(p.name for p in result.folder.iterdir()) == ["buyer_list.csv", "lines.csv"]
    assert con.execute("SELECT count(*) FROM meta.po_chase_log").fetchall()[0][0] == 0


def test_the_sender_is_a_setting_with_a_safe_default():
    assert load_settings({}).chase_from == "purchasing@control-tower.invalid"
    assert load_settings({"CT_CHASE_FROM": " buyer@plant.example "}).chase_from == \
        "buyer@plant.example"


def test_the_chase_log_exists_before_the_first_drafts_and_counts_chase_days(drafted):
    assert chase_log_summary(duckdb.connect()) == {
        "rows": 0, "chase_days": 0, "last_chase_day": None}
    con, _, _ = drafted
    assert chase_log_summary(con) == {"rows": 6, "chase_days": 1,
                                      "last_chase_day": "2026-11-20"}
