"""Generate the demo company (landing files plus the planted truth), and continue it.

The company is simulated block by block (a product division at a time, see tiers.py):
each block's records are streamed into the open deliveries and the truth files, then
dropped. `append` continues the same company for more days: it re-simulates from the same
seed, tier and first day to the new as-of date — every earlier day comes out exactly as
before — and writes only the deliveries of the new days.
"""

from __future__ import annotations

import gc
import json
import os
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from .core import Ctx, date_of, day_of
from .engine import simulate_block
from .errors import plant_master_errors
from .extracts import fx_table, master_tables, transaction_tables
from .finance import budgets, customer_billing, demand_aggregates, fx_rates, general_ledger, \
    plan_overrides, spend_aggregates
from .logistics import simulate_logistics
from .master import build_company
from .records import inventory_records, sales_records, supply_records
from .schema import EXTRACTS
from .tiers import TIERS
from .truth import TruthWriter, counts_truth, global_truth, production_truth, purchase_truth, \
    sales_truth_block, series_truth, write_frame
from .writer import FORMATS, DeliveryWriter, check_free_disk

DEFAULT_END = date(2026, 11, 20)
ROWS_PER_SALES_LINE = 19          # rows written per sales order line, all extracts (demo)
DEFAULT_CHASE_SHARES = (0.5, 0.3, 0.2)     # confirm, re-date, stay silent


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _check_formats(fmt: str, formats: dict | None) -> dict:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    formats = dict(formats or {})
    for name, f in formats.items():
        if name not in EXTRACTS:
            raise ValueError(f"unknown extract {name!r} in formats; known: {', '.join(EXTRACTS)}")
        if f not in FORMATS:
            raise ValueError(f"unknown format {f!r} for {name}; known: {', '.join(FORMATS)}")
    return formats


def generate(landing_dir, truth_dir, tier: str = "demo", seed: int = 7,
             end_date: date | str = DEFAULT_END, delta_days: int = 7,
             fmt: str = "csv", formats: dict | None = None) -> dict:
    """Write every extract of the demo company to `landing_dir` and the planted truth to
    `truth_dir`. Deterministic: the same seed, tier and formats give byte-identical files.

    Each extract gets a history delivery (everything up to end_date - delta_days,
    extracted that day at 23:00 UTC) and then one delivery per day for the last
    `delta_days` days with the records created or changed that day (a day with none
    gets no file). Snapshot extracts (master data) are delivered in full at the cut-off
    and again on end_date. `fmt` is the format of every extract unless `formats` names
    another for it (e.g. {"plan_overrides": "xlsx"}). Returns the manifest."""
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}; known: {', '.join(TIERS)}")
    formats = _check_formats(fmt, formats)
    if not 0 <= delta_days < TIERS[tier].history_days:
        raise ValueError(f"delta_days must be between 0 and {TIERS[tier].history_days - 1}")
    t = TIERS[tier]
    check_free_disk(Path(landing_dir), t.sales_lines * ROWS_PER_SALES_LINE, fmt, formats)
    ctx = Ctx.for_end(t, seed, _as_date(end_date), delta_days)
    return _run(ctx, Path(landing_dir), Path(truth_dir), fmt, formats, chase=[],
                previous=None)


def append(landing_dir, truth_dir, days: int = 1, chase_drafts=None,
           shares: tuple[float, float, float] = DEFAULT_CHASE_SHARES) -> dict:
    """Continue the company in `landing_dir` for `days` more days: new daily deliveries
    (deltas for each new day, master data again on the last one), ids continuing, open
    lines closing as they would have. `chase_drafts` (a CSV or JSON file, or a folder of
    them, holding po_id and po_line) are the lines the buyer chased: the suppliers answer
    from the first new day on — a share confirms, a share re-dates, a share stays silent
    (`shares`). Returns the updated manifest (the truth is rewritten for the new as-of)."""
    truth_dir, landing_dir = Path(truth_dir), Path(landing_dir)
    state_path = truth_dir / "manifest.json"
    if not state_path.exists():
        raise ValueError(f"no simulator state in {truth_dir} (manifest.json): generate first")
    state = json.loads(state_path.read_text())
    if days < 1:
        raise ValueError("days must be at least 1")
    if len(shares) != 3 or min(shares) < 0 or abs(sum(shares) - 1) > 1e-9:
        raise ValueError("shares (confirm, re-date, silent) must be three numbers adding to 1")
    tier = TIERS[state["tier"]]
    start = day_of(date.fromisoformat(state["history_start"]))
    cutoff = day_of(date.fromisoformat(state["cutoff"]))
    end = day_of(date.fromisoformat(state["as_of"]))
    ctx = Ctx(tier, state["seed"], start, cutoff, end + days)
    chase = list(state.get("chase_requests", []))
    if chase_drafts is not None:
        for po_id, po_line in _read_chase_drafts(Path(chase_drafts)):
            chase.append([po_id, po_line, end + 1, float(shares[0]), float(shares[1])])
    check_free_disk(landing_dir, int(tier.sales_lines / tier.history_days * days * 60),
                    state["format"], state.get("formats"))
    return _run(ctx, landing_dir, truth_dir, state["format"], state.get("formats") or {},
                chase=chase, previous=state)


def _read_chase_drafts(path: Path) -> list[tuple[str, str]]:
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".csv", ".json")) \
        if path.is_dir() else [path]
    out = []
    for f in files:
        if f.suffix.lower() == ".json":
            data = json.loads(f.read_text())
            rows = data if isinstance(data, list) else data.get("lines", [])
            frame = pd.DataFrame(rows)
        else:
            frame = pd.read_csv(f, dtype=str)
        if not {"po_id", "po_line"} <= set(frame.columns):
            raise ValueError(f"{f.name}: a chase draft needs po_id and po_line")
        out += [(str(a), str(b)) for a, b in zip(frame.po_id, frame.po_line)]
    return list(dict.fromkeys(out))


def _split_po_id(po_id: str, multi: bool) -> tuple[int, int] | None:
    digits = po_id[3:] if po_id.startswith("PO-") else ""
    if not digits.isdigit():
        return None
    if multi:
        return (int(digits[:2]), int(digits[2:])) if len(digits) > 2 else None
    return 0, int(digits)


def _current_rows(table, end: int) -> int:
    deleted = table.cols["is_deleted"].to_numpy(zero_copy_only=False)
    return int(np.sum((table.created <= end) & ~deleted))


def _run(ctx: Ctx, landing: Path, truth_dir: Path, fmt: str, formats: dict, chase: list,
         previous: dict | None) -> dict:
    started = time.perf_counter()
    appending = previous is not None
    first_new = day_of(date.fromisoformat(previous["as_of"])) + 1 if appending else ctx.cutoff + 1
    co = build_company(ctx)
    rates = fx_rates(ctx, co)
    writer = DeliveryWriter(landing, fmt, formats)
    truth_dir.mkdir(parents=True, exist_ok=True)
    tw = TruthWriter(truth_dir)
    spend: dict = {}
    demand: dict = {}
    planted: list = []
    current: dict[str, int] = {}
    replies: list = []
    stock = [0, 0]

    def deliver(name, table):
        if not appending:
            for part in table.as_of_chunks(ctx.cutoff):
                writer.write(name, ctx.cutoff, part)
        for d in range(first_new, ctx.end + 1):
            writer.write(name, d, table.changed_on(d))
        current[name] = current.get(name, 0) + _current_rows(table, ctx.end)

    try:
        for blk in range(ctx.tier.blocks):
            bctx = ctx.for_block(blk)
            mine = []
            for po_id, po_line, asked, s1, s2 in chase:
                split = _split_po_id(po_id, ctx.multi_block)
                if split and split[0] == blk and str(po_line).isdigit():
                    mine.append((split[1], int(po_line), int(asked), s1, s2))
            b = simulate_block(bctx, co)
            s = sales_records(bctx, b)
            sup = supply_records(bctx, b, mine)
            inv = inventory_records(bctx, b, s, sup)
            lg = simulate_logistics(bctx, co, s, sup)
            bill = customer_billing(bctx, co, s)
            keep = {}
            for table in transaction_tables(
                    bctx, co, b.g, s, sup, lg, inv, bill,
                    lambda: general_ledger(bctx, co, rates, s, bill, sup, lg, inv, planted)):
                deliver(table.extract, table)
                if table.extract in ("purchase_order_lines", "supplier_confirmations",
                                     "sales_order_lines"):
                    keep[table.extract] = table
                elif table.extract == "goods_receipts":
                    keep[table.extract] = table
                    tw.write("purchase_order_lines", purchase_truth(keep, ctx.end))
                    keep.clear()
                elif table.extract == "deliveries":
                    keep[table.extract] = table
                    tw.write("sales_order_lines", sales_truth_block(bctx, b, s, sup, keep))
                    keep.clear()
                del table
            del inv
            tw.write("production_orders", production_truth(bctx, co, b, sup))
            tw.write("cycle_counts", counts_truth(bctx, co, b))
            tw.write("item_sites", series_truth(bctx, co, b))
            spend_aggregates(bctx, co, sup, lg, spend)
            demand_aggregates(bctx, co, s, demand)
            stock[0] += int(b.stocked_days.sum())
            stock[1] += int(b.stockout_days.sum())
            for r in sup.chase_replies:
                po = f"PO-{blk:02d}{r['po_number']:07d}" if ctx.multi_block \
                    else f"PO-{r['po_number']:07d}"
                replies.append(dict(po_id=po, **{k: v for k, v in r.items() if k != "po_number"}))
            del b, s, sup, lg, bill
            gc.collect()
        deliver("fx_rates", fx_table(ctx, co, rates))
        view = plant_master_errors(ctx, co)
        snaps = master_tables(ctx, co, view, budgets(ctx, co, spend),
                              plan_overrides(ctx, co, demand))
        for name, snap in snaps.items():
            if not appending:
                writer.write(name, ctx.cutoff, snap.at_cutoff)
            if ctx.end != ctx.cutoff:
                writer.write(name, ctx.end, snap.at_end)
            current[name] = snap.at_end.num_rows
        written = writer.close()
        truth_rows = tw.close()
    except BaseException:
        writer.abort()
        tw.abort()
        raise
    truth_rows.update(global_truth(ctx, co, truth_dir, view.truth, planted))
    if replies:
        frame = pd.DataFrame(replies)
        for c in ("asked_on", "responded_on", "confirmed_date"):
            frame[c] = [date_of(int(v)) if v is not None and v == v else None for v in frame[c]]
        frame["po_line"] = frame.po_line.astype(str)
        write_frame(truth_dir, "chase_responses", frame[["po_id", "po_line", "asked_on", "response",
                                                         "responded_on", "confirmed_date"]])
        truth_rows["chase_responses"] = len(frame)

    files = [p.relative_to(landing).as_posix() for p in written]
    rows = dict.fromkeys(EXTRACTS, 0)
    rows.update(writer.rows)
    if appending:
        files = previous["files"] + files
        rows = {k: previous["rows"].get(k, 0) + writer.rows.get(k, 0) for k in EXTRACTS}
    manifest = {
        "as_of": date_of(ctx.end).isoformat(),
        "history_start": date_of(ctx.start).isoformat(),
        "cutoff": date_of(ctx.cutoff).isoformat(),
        "delta_days": ctx.end - ctx.cutoff,
        "tier": ctx.tier.name,
        "seed": ctx.seed,
        "format": fmt,
        "formats": formats,
        "blocks": ctx.tier.blocks,
        "rows": rows,
        "current_rows": {n: current.get(n, 0) for n in EXTRACTS},
        "truth_rows": truth_rows,
        "files": files,
        "master_data_changes": {
            "items.lifecycle_status": f"{co.changed_item} active -> phase_out",
            "supplier_items.dropped": co.dropped_price,
        },
        "currencies": co.currencies,
        "stockout_item_site_days_pct": round(100 * stock[1] / max(stock[0], 1), 2),
        "appended": (previous.get("appended", []) if appending else []) + (
            [{"from": date_of(first_new).isoformat(), "to": date_of(ctx.end).isoformat(),
              "files": len(written)}] if appending else []),
        "chase_requests": chase,
    }
    part = truth_dir / "manifest.json.part"
    part.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(part, truth_dir / "manifest.json")
    manifest["seconds"] = {"total": round(time.perf_counter() - started, 2)}
    return manifest


def fill_if_empty(landing_dir, truth_dir, **kw) -> dict | None:
    """Generate the demo company only when the landing zone holds no file at all; a
    landing zone that already holds files is used as it is (returns None)."""
    landing = Path(landing_dir)
    if landing.exists() and any(p.is_file() for p in landing.rglob("*")):
        return None
    return generate(landing_dir, truth_dir, **kw)


__all__ = ["DEFAULT_END", "append", "fill_if_empty", "generate"]
