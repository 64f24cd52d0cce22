"""Ingestion: every delivered row is loaded or quarantined with a reason, once."""

import gzip
import os
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.ingestion.loader import connect, ingest_extract, ledger

HEADER = "rate_date,from_currency,to_currency,rate,source_system,extracted_at,is_deleted"
GOOD = [
    "2026-01-01,EUR,USD,1.10,erp,2026-01-01T23:00:00Z,",
    "2026-01-02,EUR,USD,1.11,erp,2026-01-02T23:00:00+02:00,false",
    "2026-01-02,GBP,USD,1.25,erp,2026-01-02 23:00:00,true",
]


@pytest.fixture
def zone(tmp_path):
    landing = tmp_path / "landing"
    (landing / "fx_rates").mkdir(parents=True)
    con = connect(tmp_path / "warehouse.duckdb")
    yield landing, con
    con.close()


def deliver(landing: Path, name: str, lines: list[str], extract="fx_rates") -> Path:
    path = landing / extract / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def raw(con, extract="fx_rates"):
    return con.execute(f"SELECT * FROM raw.{extract} ORDER BY _load_seq, _row_number").df()


def quarantine(con, extract="fx_rates"):
    return con.execute(f"SELECT * FROM quarantine.{extract} ORDER BY _row_number").df()


def test_good_rows_load_typed_with_lineage(zone):
    landing, con = zone
    deliver(landing, "fx_2026-01-02.csv", [HEADER, *GOOD])
    result = ingest_extract(con, "fx_rates", landing)
    assert result.summary()["rows_loaded"] == 3
    df = raw(con)
    assert [float(r) for r in df["rate"]] == [1.10, 1.11, 1.25]
    types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                             "WHERE table_schema = 'raw' AND table_name = 'fx_rates'").fetchall())
    assert types["rate"] == "DECIMAL(18,8)" and types["rate_date"] == "DATE"
    # timestamps are UTC: +02:00 is converted, a naive one is taken as UTC
    assert str(df["extracted_at"][1]) == "2026-01-02 21:00:00"
    assert str(df["extracted_at"][2]) == "2026-01-02 23:00:00"
    assert list(df["is_deleted"]) == [False, False, True]
    assert set(df["_source_file"]) == {"fx_rates/fx_2026-01-02.csv"}
    assert list(df["_row_number"]) == [1, 2, 3]
    assert df["_file_sha256"].str.len().eq(64).all()


def test_bad_rows_are_quarantined_with_reasons_and_nothing_is_lost(zone):
    landing, con = zone
    lines = [HEADER, GOOD[0],
             "2026-01-03,EUR,USD,abc,erp,2026-01-03T23:00:00Z,",       # not a number
             "2026-13-45,EUR,USD,1.1,erp,2026-01-03T23:00:00Z,",       # not a date
             "2026-01-03,XYZ,USD,1.1,erp,2026-01-03T23:00:00Z,",       # unknown currency
             "2026-01-04,EUR,USD,-1,erp,2026-01-03T23:00:00Z,",        # negative
             "2026-01-05,EUR,USD,1.1,,2026-01-03T23:00:00Z,",          # required missing
             "1850-01-05,EUR,USD,1.1,erp,2026-01-03T23:00:00Z,",       # absurd date
             "2026-01-06,EUR,USD,1.1,erp,2026-01-03T23:00:00Z,maybe"]  # not a boolean
    deliver(landing, "fx_bad.csv", lines)
    result = ingest_extract(con, "fx_rates", landing)
    f = result.files[0]
    assert (f.status, f.rows_read, f.rows_loaded, f.rows_quarantined) == ("loaded", 8, 1, 7)
    reasons = list(quarantine(con)["_reason"])
    assert reasons == [
        "rate: not a valid rate",
        "rate_date: not a valid date",
        "from_currency: unknown currency",
        "rate: below the minimum 0",
        "source_system: required value missing",
        "rate_date: date out of range",
        "is_deleted: not a valid boolean",
    ]
    # the original text is kept verbatim
    assert quarantine(con)["rate"][0] == "abc"
    led = ledger(con)
    assert led["rows_read"][0] == led["rows_loaded"][0] + led["rows_quarantined"][0]


def test_duplicate_key_in_one_file_keeps_the_last_row(zone):
    landing, con = zone
    deliver(landing, "fx.csv", [HEADER, "2026-01-01,EUR,USD,1.0,erp,2026-01-01T23:00:00Z,",
                                "2026-01-01,EUR,USD,2.0,erp,2026-01-01T23:00:00Z,"])
    ingest_extract(con, "fx_rates", landing)
    assert list(raw(con)["rate"].astype(float)) == [2.0]
    q = quarantine(con)
    assert list(q["rate"]) == ["1.0"] and "duplicate key" in q["_reason"][0]


def test_sql_and_quotes_in_values_are_stored_verbatim(zone):
    landing, con = zone
    evil = "x'; DROP TABLE raw.fx_rates; --"
    deliver(landing, "fx.csv", [HEADER + ",comment",
                                f'2026-01-01,EUR,USD,1.0,"{evil}",2026-01-01T23:00:00Z,,'
                                '"a, ""quoted""\nnew line"'])
    ingest_extract(con, "fx_rates", landing)
    df = raw(con)
    assert df["source_system"][0] == evil
    assert df["comment"][0] == 'a, "quoted"\nnew line'  # extra columns pass through


def test_a_file_is_loaded_once_and_a_copy_is_skipped(zone):
    landing, con = zone
    deliver(landing, "fx_1.csv", [HEADER, *GOOD])
    ingest_extract(con, "fx_rates", landing)
    second = ingest_extract(con, "fx_rates", landing)
    assert second.files == []                       # nothing new: no work, no ledger row
    deliver(landing, "fx_copy.csv", [HEADER, *GOOD])
    third = ingest_extract(con, "fx_rates", landing)
    assert [f.status for f in third.files] == ["skipped_duplicate"]
    assert len(raw(con)) == 3
    assert list(ledger(con)["status"]) == ["loaded", "skipped_duplicate"]


@pytest.mark.parametrize("content, error", [
    (b"", "empty file"),
    (b"rate_date;from_currency;to_currency;rate\n2026-01-01;EUR;USD;1\n", "wrong delimiter"),
    (b"rate_date,from_currency,rate,source_system,extracted_at\n", "missing required column"),
    (b"rate_date,rate_date,from_currency,to_currency,rate,source_system,extracted_at\n",
     "duplicate column name"),
    (b"rate_date,from_currency,to_currency,rate,source_system,extracted_at\n"
     b"2026-01-01,EUR,USD,1,erp\n", "not a valid CSV"),
])
def test_a_broken_file_is_rejected_whole_with_a_reason(zone, content, error):
    landing, con = zone
    (landing / "fx_rates" / "fx.csv").write_bytes(content)
    result = ingest_extract(con, "fx_rates", landing)
    f = result.files[0]
    assert f.status == "rejected" and error in f.error and "fx.csv" in f.error
    assert len(raw(con)) == 0 and len(quarantine(con)) == 0
    assert ledger(con)["status"].tolist() == ["rejected"]


def test_header_only_is_accepted_with_zero_rows(zone):
    landing, con = zone
    deliver(landing, "fx.csv", [HEADER])
    f = ingest_extract(con, "fx_rates", landing).files[0]
    assert (f.status, f.rows_read) == ("loaded", 0)


def test_gzip_parquet_xlsx_bom_and_latin1_are_read(zone, tmp_path):
    landing, con = zone
    folder = landing / "fx_rates"
    with gzip.open(folder / "a.csv.gz", "wt") as fh:
        fh.write("\n".join([HEADER, GOOD[0]]) + "\n")
    (folder / "b.csv").write_bytes(("\ufeff" + HEADER + "\n" + GOOD[1] + "\n").encode("utf-8"))
    (folder / "c.csv").write_bytes((HEADER + ",note\n" + GOOD[2] + ",Zürich\n").encode("latin-1"))
    frame = pd.DataFrame({"rate_date": ["2026-02-01"], "from_currency": ["CHF"],
                          "to_currency": ["USD"], "rate": [1.12], "source_system": ["erp"],
                          "extracted_at": [pd.Timestamp("2026-02-01 23:00")]})
    frame.to_parquet(folder / "d.parquet")
    frame.assign(rate_date=pd.Timestamp("2026-02-02")).to_excel(folder / "e.xlsx", index=False)
    result = ingest_extract(con, "fx_rates", landing)
    assert [f.status for f in result.files] == ["loaded"] * 5, [f.error for f in result.files]
    df = raw(con)
    assert len(df) == 5 and "Zürich" in set(df["note"])
    assert {pd.Timestamp(d).date().isoformat() for d in df["rate_date"]} >= {"2026-02-01", "2026-02-02"}


def test_truncated_gzip_and_corrupt_parquet_are_rejected(zone):
    landing, con = zone
    folder = landing / "fx_rates"
    data = gzip.compress(("\n".join([HEADER] + GOOD * 2000) + "\n").encode())
    (folder / "a.csv.gz").write_bytes(data[: len(data) // 2])
    (folder / "b.parquet").write_bytes(b"PAR1 this is not parquet")
    result = ingest_extract(con, "fx_rates", landing)
    assert [f.status for f in result.files] == ["rejected", "rejected"]
    assert len(raw(con)) == 0


def test_a_file_still_being_written_is_left_for_the_next_run(zone):
    landing, con = zone
    part = deliver(landing, "fx.csv.part", [HEADER, GOOD[0]])
    assert [f.status for f in ingest_extract(con, "fx_rates", landing).files] == ["pending"]
    ingest_extract(con, "fx_rates", landing)
    assert ledger(con)["status"].tolist() == ["pending"]  # recorded once, not every run
    part.rename(landing / "fx_rates" / "fx.csv")
    assert [f.status for f in ingest_extract(con, "fx_rates", landing).files] == ["loaded"]


def test_a_link_out_of_the_landing_zone_is_refused(zone, tmp_path):
    landing, con = zone
    outside = tmp_path / "secret.csv"
    outside.write_text("\n".join([HEADER, GOOD[0]]) + "\n")
    os.symlink(outside, landing / "fx_rates" / "fx.csv")
    f = ingest_extract(con, "fx_rates", landing).files[0]
    assert f.status == "rejected" and "outside the landing zone" in f.error
    assert len(raw(con)) == 0


def test_every_raw_table_exists_even_when_never_delivered(zone):
    landing, con = zone
    ingest_extract(con, "fx_rates", landing)
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw'").fetchall()}
    assert len(tables) == 25
    assert con.execute("SELECT count(*) FROM raw.purchase_order_lines").fetchall()[0][0] == 0


def test_the_ledger_refuses_a_loaded_row_that_does_not_add_up(zone):
    landing, con = zone
    ingest_extract(con, "fx_rates", landing)
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO meta.ingest_ledger VALUES (1, 'x', 'fx_rates', 'h', 1, "
                    "'loaded', 5, 3, 1, NULL, now()::timestamp)")


def test_a_big_delivery_keeps_file_order_rows_reasons_and_the_last_of_a_repeated_key(zone):
    """Many row groups, checked in parallel: every good row lands typed with its own line
    number, every broken one in quarantine with its reason, and of a key repeated far
    apart the later row wins."""
    landing, con = zone
    n = 300_000
    pairs = ["EUR,USD", "GBP,USD", "CHF,EUR", "CNY,USD", "MXN,USD", "PLN,EUR", "USD,EUR",
             "EUR,GBP"]
    first = date(1990, 1, 1)
    lines = [HEADER] + [f"{first + timedelta(days=i // 8)},{pairs[i % 8]},{i}.5,erp,"
                        "2026-01-01T23:00:00Z," for i in range(1, n + 1)]
    broken = {
        7: ("2026-01-01,AUD,USD,x,erp,2026-01-01T23:00:00Z,", "rate: not a valid rate"),
        123_457: ("2026-01-02,AUD,XXX,1.5,erp,2026-01-01T23:00:00Z,",
                  "to_currency: unknown currency"),
        299_998: ("2026-01-03,AUD,NZD,-2,,2026-01-01T23:00:00Z,",
                  "rate: below the minimum 0; source_system: required value missing"),
    }
    for row, (line, _) in broken.items():
        lines[row] = line
    lines[250_001] = "1980-01-01,SEK,NOK,2.5,erp,2026-01-01T23:00:00Z,"      # out of range
    lines[5] = "2030-06-30,JPY,USD,5.5,erp,2026-01-01T23:00:00Z,"            # superseded by
    lines[260_000] = "2030-06-30,JPY,USD,260000.5,erp,2026-01-01T23:00:00Z,"  # this later one
    deliver(landing, "fx_big.csv", lines)
    f = ingest_extract(con, "fx_rates", landing).files[0]
    assert (f.status, f.rows_read, f.rows_loaded, f.rows_quarantined) == ("loaded", n, n - 5, 5)
    # a good row's rate is its line number + 0.5: _row_number is the line in the file
    assert con.execute("SELECT count(*) FROM raw.fx_rates "
                       "WHERE _row_number <> floor(rate)").fetchall() == [(0,)]
    assert con.execute("SELECT count(DISTINCT _row_number), min(_row_number), "
                       "max(_row_number) FROM raw.fx_rates").fetchall() == [(n - 5, 1, n)]
    q = {r: why for r, why in con.execute(
        "SELECT _row_number, _reason FROM quarantine.fx_rates").fetchall()}
    assert q == {**{row: why for row, (_, why) in broken.items()},
                 250_001: "rate_date: date out of range",
                 5: "duplicate key in file: a later row of the same key wins"}
    assert con.execute("SELECT rate_date::VARCHAR, _row_number FROM raw.fx_rates "
                       "WHERE from_currency = 'JPY'").fetchall() == [("2030-06-30", 260_000)]


TRICKY = [None, "", " ", "\t", "\u00a0", "\u2003", "\u00a05", "5", " 5 ", "\t5\n", "-1", "0",
          "0.5", "12.7", "12.0", "1e3", "12345678901234567890", "abc", "2026-01-02", " 2026-01-02 ",
          "\u00a02026-01-02", "1850-01-01", "2200-01-01", "2026-13-45",
          "2026-01-02T23:00:00Z", " 2026-01-02 23:00:00+02:00", "1990-01-01T01:00:00+02:00",
          "2100-12-31T00:00:00Z", "2100-12-31T00:00:01Z", "infinity", "-infinity", "true",
          "false", " TRUE ", "y", "N", "maybe", "USD", " usd ", "\u00a0USD", "XYZ", "eur",
          "plant", " plant", "dc", "open", "Open", "!", "~x", "\x7fx"]


def _contract_columns():
    from orchestration.ingestion.contracts import load_contracts
    seen = {}
    for contract in load_contracts().values():
        for col in contract.columns:
            seen.setdefault((col.type, col.required, col.accepted, col.min), col)
    return list(seen.values())


def test_the_fast_row_check_agrees_with_the_rules_on_every_kind_of_column():
    """A row goes to raw exactly when none of the rules that word the quarantine reason
    holds: the written-out check (_passes) against the rules, value by value."""
    from orchestration.ingestion.loader import _passes, _rules
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE v AS SELECT unnest(?) AS x", [TRICKY])
    for col in _contract_columns():
        passes = _passes(col, "x") or "true"
        broken = " OR ".join(f"({cond})" for cond, _ in _rules(col, "x")) or "false"
        differ = con.execute(f"SELECT x FROM v WHERE ({passes}) IS DISTINCT FROM "
                             f"(({broken}) IS NOT TRUE)").fetchall()
        assert differ == [], (col, differ)


def test_the_fast_casts_give_the_plain_casts_values():
    """Testing presence without trimming, casting before trimming, and the usual boolean
    spellings first change nothing; an integer is a whole number, never rounded; a
    timestamp that passed the contract is loaded as its UTC wall time."""
    from orchestration.ingestion.loader import (
        _FALSE, _TRUE, _loaded, _passes, _present, _typed)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE v AS SELECT unnest(?) AS x", [TRICKY])
    assert con.execute(f"SELECT x FROM v WHERE {_present('x')} IS DISTINCT FROM "
                       "(x IS NOT NULL AND trim(x) <> '')").fetchall() == []
    for col in _contract_columns():
        if col.type == "integer":     # a whole number only: '12.7' is not 13
            number = "TRY_CAST(trim(x) AS DOUBLE)"
            plain = f"CASE WHEN {number} = floor({number}) THEN TRY_CAST(trim(x) AS BIGINT) END"
        elif col.type in ("decimal", "money", "rate", "date"):
            plain = f"TRY_CAST(trim(x) AS {col.sql_type})"
        elif col.type == "boolean":
            plain = (f"CASE WHEN lower(trim(x)) IN {_TRUE} THEN true "
                     f"WHEN lower(trim(x)) IN {_FALSE} THEN false END")
        elif col.type == "timestamp":
            plain = "(TRY_CAST(x AS TIMESTAMPTZ) AT TIME ZONE 'UTC')"
        else:
            continue
        differ = con.execute(f"SELECT x FROM v WHERE {_typed(col, 'x')} IS DISTINCT FROM "
                             f"{plain}").fetchall()
        assert differ == [], (col, differ)
        if col.type == "timestamp":
            differ = con.execute(
                f"SELECT x FROM v WHERE {_passes(col, 'x')} AND x IS NOT NULL "
                f"AND {_loaded(col, 'x')} IS DISTINCT FROM {plain}").fetchall()
            assert differ == [], (col, differ)


def test_a_load_killed_after_the_rows_are_written_leaves_nothing(zone, tmp_path):
    """The process dies after the good and broken rows are written but before the ledger
    row: the warehouse opens with none of the file, and the next run loads it once."""
    import subprocess
    import sys
    import textwrap
    landing, con = zone
    con.close()
    deliver(landing, "fx.csv", [HEADER, *GOOD, "2026-01-03,EUR,USD,abc,erp,2026-01-03T23:00:00Z,"])
    warehouse = tmp_path / "warehouse.duckdb"
    script = textwrap.dedent(f"""
        import os
        from pathlib import Path
        import orchestration.ingestion.loader as loader
        def killed(con, seq, rel_path, extract, sha, size, result):
            assert con.execute("SELECT count(*) FROM raw.fx_rates").fetchall() == [(3,)]
            assert con.execute("SELECT count(*) FROM quarantine.fx_rates").fetchall() == [(1,)]
            os._exit(9)
        loader._record = killed
        con = loader.connect(Path({str(warehouse)!r}))
        loader.ingest_extract(con, "fx_rates", Path({str(landing)!r}))
    """)
    run = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[2])
    assert run.returncode == 9
    con = connect(warehouse)
    try:
        assert len(raw(con)) == 0 and len(quarantine(con)) == 0 and len(ledger(con)) == 0
        f = ingest_extract(con, "fx_rates", landing).files[0]
        assert (f.status, f.rows_loaded, f.rows_quarantined) == ("loaded", 3, 1)
        assert len(raw(con)) == 3 and list(ledger(con)["status"]) == ["loaded"]
    finally:
        con.close()


def test_deliveries_in_subfolders_are_seen_by_the_landing_state_and_the_sensor(
        tmp_path, monkeypatch):
    """<extract>/2026/11/file.csv is a delivery like any other: it changes the landing
    folder's data version, the landing sensor asks for a run for it until the published
    ledger holds it, and it loads with its relative path in the ledger. A refused name is
    news once; a file still being written is not news."""
    import dagster as dg

    from orchestration.defs.schedules import landing_sensor
    from orchestration.ingestion.landing import landing_state, new_deliveries
    from orchestration.settings import load_settings

    for name in [k for k in os.environ if k.startswith("CT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CT_DATA_DIR", str(tmp_path / "data"))
    settings = load_settings()
    landing, published = settings.landing_dir, settings.published
    empty_version, _, _ = landing_state(landing, "fx_rates")
    deliver(landing, "2026/11/fx_2026-11-02.csv", [HEADER, GOOD[0]])
    deliver(landing, "fx..x.csv", [HEADER, GOOD[1]])
    deliver(landing, "2026/12/fx.csv.part", [HEADER, GOOD[2]])
    version, files, _ = landing_state(landing, "fx_rates")
    assert version != empty_version and files == 3
    news = {"fx_rates": ["fx_rates/2026/11/fx_2026-11-02.csv", "fx_rates/fx..x.csv"]}
    assert new_deliveries(landing, published) == news

    sensor = landing_sensor(dg.define_asset_job("core"),
                            {"fx_rates": dg.AssetKey(["raw", "fx_rates"])}, [])
    request = sensor(dg.build_sensor_context())
    assert isinstance(request, dg.RunRequest)
    assert request.asset_selection == [dg.AssetKey(["raw", "fx_rates"])]
    assert "fx_rates/2026/11/fx_2026-11-02.csv" in request.tags["ct/files"]

    published.parent.mkdir(parents=True)
    con = connect(published)   # the ledger the sensor reads is the published one
    try:
        result = ingest_extract(con, "fx_rates", landing)
        assert {f.path: f.status for f in result.files} == {
            "fx_rates/2026/11/fx_2026-11-02.csv": "loaded", "fx_rates/fx..x.csv": "rejected",
            "fx_rates/2026/12/fx.csv.part": "pending"}
        assert con.execute("SELECT DISTINCT _source_file FROM raw.fx_rates").fetchall() == [
            ("fx_rates/2026/11/fx_2026-11-02.csv",)]
    finally:
        con.close()
    assert new_deliveries(landing, published) == {}
    assert isinstance(sensor(dg.build_sensor_context()), dg.SkipReason)
    deliver(landing, "2026/12/fx_2026-12-01.csv", [HEADER, GOOD[2]])
    assert new_deliveries(landing, published) == {
        "fx_rates": ["fx_rates/2026/12/fx_2026-12-01.csv"]}
    assert landing_state(landing, "fx_rates")[0] != version
