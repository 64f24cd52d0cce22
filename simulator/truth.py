"""The truth the simulator planted, written to `<truth_dir>/` (never read by the
pipeline). Per-line outcomes are computed from the simulator's own records exactly as they
stand in the landing zone at the as-of date (latest version per key, deletes removed,
nothing after the as-of), following docs/conventions.md to the letter; causes, planted
parameters and planted errors come from the simulation itself. Large tiers are written
block by block (one Parquet row group per block)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .core import NEVER, Ctx, DeltaTable, date_of
from .engine import GR_NORMAL, Block
from .master import R_DC, R_MAKE, R_TRADED
from .master import Company
from .records import Sales, Supply

SUPPLIER_TRUTH = ["supplier_id", "name", "country", "currency", "p_on_time", "mean_days_late",
                  "p_confirm", "p_confirm_later_than_need", "p_reconfirm_when_late", "p_short",
                  "p_short_followup", "p_reject", "reject_fraction", "p_return_to_supplier",
                  "lead_base", "invoice_lag_days", "drift_per_year", "early_days", "archetype"]
SITE_TRUTH = ["site_id", "p_late", "mean_days_late", "p_short", "p_customer_cancel",
              "p_own_cancel", "p_unpromised", "p_promise_slip"]
CAUSES = ["stock_out", "supplier_late", "production_late", "carrier_late", "short_shipment",
          "other"]

D, S_, B, F, I = pa.date32(), pa.string(), pa.bool_(), pa.float64(), pa.int64()
SCHEMAS = {
    "purchase_order_lines": [
        ("po_id", S_), ("po_line", S_), ("supplier_id", S_), ("site_id", S_), ("item_id", S_),
        ("deadline", D), ("month", D), ("is_due", B), ("on_time", B), ("in_full", B),
        ("otif", B), ("on_time_to_need", B), ("qty_ordered", F),
        ("received_net_by_deadline", F), ("first_receipt", D), ("days_late", I)],
    "sales_order_lines": [
        ("so_id", S_), ("so_line", S_), ("customer_id", S_), ("site_id", S_), ("item_id", S_),
        ("deadline", D), ("month", D), ("is_counted", B), ("on_time", B), ("in_full", B),
        ("otif", B), ("qty_ordered", F), ("delivered_by_deadline", F),
        ("planned_ship_date", D), ("first_delivery", D), ("is_backordered", B),
        ("is_lost", B), ("qty_lost", F), ("delay_cause", S_), ("evidence_po_id", S_),
        ("evidence_po_line", S_), ("evidence_mo_id", S_), ("evidence_shipment_id", S_)],
    "production_orders": [
        ("mo_id", S_), ("item_id", S_), ("site_id", S_), ("work_center", S_),
        ("planned_finish", D), ("actual_finish", D), ("is_due", B), ("is_late", B),
        ("late_cause", S_), ("evidence_component_item_id", S_)],
    "cycle_counts": [
        ("count_id", S_), ("count_date", D), ("item_id", S_), ("site_id", S_),
        ("qty_system", F), ("qty_counted", F), ("difference", F)],
    "item_sites": [
        ("item_id", S_), ("site_id", S_), ("role", S_), ("sells", B),
        ("mean_lines_per_week", F), ("stocked_days", I), ("stockout_days", I)],
    "reconciliation_differences": [
        ("what", S_), ("account", S_), ("cost_center", S_), ("partner_id", S_),
        ("ref_doc_type", S_), ("ref_doc_id", S_), ("posting_date", D), ("month", D),
        ("amount", F), ("currency", S_), ("amount_company", F), ("detail", S_)],
}
ROLES = ["make", "dc", "traded", "component", "raw", "spare"]


def _frame(table: DeltaTable, as_of: int, columns: list[str]) -> pd.DataFrame:
    """The latest version of the records at the as-of date; text stays Arrow-backed."""
    t = pa.concat_tables(list(table.as_of_chunks(as_of))).select(columns)
    return t.to_pandas(date_as_object=False,
                       types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)


def _month(s: pd.Series) -> pd.Series:
    return s.dt.to_period("M").dt.to_timestamp()


def _ts(days) -> pd.Series:
    days = np.asarray(days, np.int64)
    out = pd.Series(days.astype("datetime64[D]"))
    return out.where(days < NEVER)


def purchase_truth(tables: dict[str, DeltaTable], as_of: int) -> pd.DataFrame:
    po = _frame(tables["purchase_order_lines"], as_of,
                ["po_id", "po_line", "supplier_id", "site_id", "item_id", "requested_date",
                 "qty_ordered", "status"])
    cf = _frame(tables["supplier_confirmations"], as_of,
                ["po_id", "po_line", "confirmation_id", "confirmed_at", "confirmed_date"])
    gr = _frame(tables["goods_receipts"], as_of,
                ["po_id", "po_line", "received_on", "qty_received", "qty_rejected", "movement"])
    key = ["po_id", "po_line"]
    as_of_ts = pd.Timestamp(np.datetime64(as_of, "D"))

    first_cf = (cf.sort_values(["confirmed_at", "confirmation_id"], kind="stable")
                .drop_duplicates(key, keep="first")[key + ["confirmed_date"]])
    po = po.merge(first_cf, on=key, how="left")
    po["deadline"] = po.confirmed_date.fillna(po.requested_date)

    receipts = gr[gr.movement == "receipt"]
    first = receipts.groupby(key).received_on.min().rename("first_receipt").reset_index()
    po = po.merge(first, on=key, how="left")
    gr = gr.merge(po[key + ["deadline"]], on=key, how="left")
    net = np.where(gr.movement == "receipt", gr.qty_received - gr.qty_rejected.fillna(0),
                   -gr.qty_received)
    gr["net"] = np.where(gr.received_on <= gr.deadline, net, 0.0)
    by_deadline = gr.groupby(key).net.sum().rename("received_net_by_deadline").reset_index()
    po = po.merge(by_deadline, on=key, how="left")
    po["received_net_by_deadline"] = po.received_net_by_deadline.fillna(0).round(4)

    po["month"] = _month(po.deadline)
    po["is_due"] = (po.deadline <= as_of_ts) & (po.status != "cancelled")
    po["on_time"] = (po.first_receipt <= po.deadline).fillna(False).astype(bool)
    po["in_full"] = po.received_net_by_deadline >= po.qty_ordered.round(4)
    po["otif"] = po.on_time & po.in_full
    po["on_time_to_need"] = (po.first_receipt <= po.requested_date).fillna(False).astype(bool)
    late = (po.first_receipt - po.deadline).dt.days
    po["days_late"] = late.where(po.is_due).astype("Int64")
    cols = [c for c, _ in SCHEMAS["purchase_order_lines"]]
    return po[cols].sort_values(key, kind="stable").reset_index(drop=True)


def sales_truth(tables: dict[str, DeltaTable], as_of: int) -> pd.DataFrame:
    so = _frame(tables["sales_order_lines"], as_of,
                ["so_id", "so_line", "customer_id", "site_id", "item_id", "requested_date",
                 "committed_date", "qty_ordered", "status", "cancel_reason"])
    dl = _frame(tables["deliveries"], as_of, ["so_id", "so_line", "delivered_on", "qty_shipped"])
    key = ["so_id", "so_line"]
    as_of_ts = pd.Timestamp(np.datetime64(as_of, "D"))
    so["deadline"] = so.committed_date.fillna(so.requested_date)
    first = dl.groupby(key).delivered_on.min().rename("first_delivery").reset_index()
    so = so.merge(first, on=key, how="left")
    dl = dl.merge(so[key + ["deadline"]], on=key, how="left")
    dl["by"] = np.where(dl.delivered_on <= dl.deadline, dl.qty_shipped, 0.0)
    by = dl.groupby(key).by.sum().rename("delivered_by_deadline").reset_index()
    so = so.merge(by, on=key, how="left")
    so["delivered_by_deadline"] = so.delivered_by_deadline.fillna(0).round(4)
    so["month"] = _month(so.deadline)
    cancelled_by_customer = (so.status == "cancelled") & (so.cancel_reason == "customer")
    so["is_counted"] = (so.deadline <= as_of_ts) & ~cancelled_by_customer
    so["on_time"] = (so.first_delivery <= so.deadline).fillna(False).astype(bool)
    so["in_full"] = so.delivered_by_deadline >= so.qty_ordered.round(4)
    so["otif"] = so.on_time & so.in_full
    cols = ["so_id", "so_line", "customer_id", "site_id", "item_id", "deadline", "month",
            "is_counted", "on_time", "in_full", "otif", "qty_ordered", "delivered_by_deadline",
            "first_delivery"]
    return so[cols].sort_values(key, kind="stable").reset_index(drop=True)


def delay_causes(ctx: Ctx, b: Block, s: Sales, sup: Supply) -> pd.DataFrame:
    """Why each sales line of the block was late or short, as the simulation knows it:
    stock-out at the site — attributed to the purchase order that should have covered it
    (due by the day the line waited, received later) or to the production order (due
    then, finished later; for a DC, the plant's order late when the transfer had to leave)
    — else a short pick, a carrier delay on its first delivery, or other (handling delay,
    our own cancellation, an unpromised request we could not meet)."""
    L = b.lines
    n = len(L)
    cause = np.full(n, len(CAUSES) - 1, np.int64)
    ev_po = np.full(n, -1, np.int64)
    ev_mo = np.full(n, -1, np.int64)
    ev_sh = np.full(n, -1, np.int64)
    blocked = L.block_day < NEVER
    cause[blocked] = 0
    role = b.role[L.series]
    # purchase orders of bought series: due by the day the line waited, received later
    conf = np.full(len(sup.po_day), NEVER, np.int64)
    first_cf = np.zeros(len(sup.po_day), bool)
    if len(sup.cf_line):                 # confirmations are sorted by confirmed_at
        _, first_idx = np.unique(sup.cf_line, return_index=True)
        conf[sup.cf_line[first_idx]] = sup.cf_date[first_idx]
        first_cf[sup.cf_line[first_idx]] = True
    po_deadline = np.where(first_cf, conf, sup.po_requested)
    rec = sup.gr_kind == GR_NORMAL
    first_rec = np.full(len(sup.po_day), NEVER, np.int64)
    np.minimum.at(first_rec, sup.gr_line[rec], sup.gr_day[rec])
    live_po = sup.po_cancel >= NEVER
    def first_match(lines, ser, at, cand, c_ser, due, done):
        """Per line the candidate (of the same series) due by `at` and not done by then,
        the earliest due first; in chunks of lines, so memory stays bounded."""
        out = np.full(len(lines), -1, np.int64)
        p = pd.DataFrame(dict(c=cand, s=c_ser, due=due, done=done))
        for i in range(0, len(lines), 2_000):
            a = pd.DataFrame(dict(k=np.arange(i, min(i + 2_000, len(lines))),
                                  s=ser[i:i + 2_000], b=at[i:i + 2_000]))
            m = a.merge(p, on="s")
            m = m[(m.due <= m.b) & (m.done > m.b)].sort_values(["k", "due", "c"], kind="stable")
            m = m.drop_duplicates("k")
            out[m.k.to_numpy()] = m.c.to_numpy()
        return out

    lines = np.nonzero(blocked & (role == R_TRADED))[0]
    if len(lines):
        po = np.nonzero(live_po)[0]
        hit = first_match(lines, L.series[lines], L.block_day[lines], po, sup.po_isite[po],
                          po_deadline[po], first_rec[po])
        ok = hit >= 0
        cause[lines[ok]] = 1
        ev_po[lines[ok]] = hit[ok]
    # production orders of made series (for a DC: of the plant, when the transfer left)
    mo_live = sup.mo_cancel >= NEVER
    lines = np.nonzero(blocked & np.isin(role, (R_MAKE, R_DC)))[0]
    if len(lines):
        ser = L.series[lines]
        at = L.block_day[lines]
        dc = role[lines] == R_DC
        ser = np.where(dc, b.plant_series[ser], ser)
        at = np.where(dc, at - b.lane[L.series[lines]], at)
        mo = np.nonzero(mo_live)[0]
        hit = first_match(lines, ser, at, mo, sup.mo_isite[mo], sup.mo_pfinish[mo],
                          sup.mo_afinish[mo])
        ok = hit >= 0
        cause[lines[ok]] = 2
        ev_mo[lines[ok]] = hit[ok]
    # not a stock problem: a short pick, else a carrier delay on the first delivery
    rest = ~blocked
    cause[rest & L.picked_short] = 4
    first_dl = np.full(n, -1, np.int64)
    if len(s.d_line):
        first_dl[s.d_line[::-1]] = np.arange(len(s.d_line))[::-1]
    has = rest & ~L.picked_short & (first_dl >= 0)
    k = np.nonzero(has)[0]
    d = first_dl[k]
    sh = s.d_shipment[d]
    delay = s.sh_delay[sh]
    dead = L.deadline[k]
    late_by_carrier = (delay > 0) & (s.d_deliv[d] > dead) & (s.d_deliv[d] - delay <= dead)
    cause[k[late_by_carrier]] = 3
    ev_sh[k[late_by_carrier]] = sh[late_by_carrier]
    return pd.DataFrame(dict(line=np.arange(n), cause=cause, ev_po=ev_po, ev_mo=ev_mo,
                             ev_sh=ev_sh))


def sales_truth_block(ctx: Ctx, b: Block, s: Sales, sup: Supply,
                      tables: dict[str, DeltaTable]) -> pd.DataFrame:
    so = sales_truth(tables, ctx.end)
    L = b.lines
    why = delay_causes(ctx, b, s, sup)
    eng = pd.DataFrame(dict(
        so_id=ctx.ids("SO-", s.order + 1, 7).to_numpy(zero_copy_only=False),
        so_line=np.char.mod("%d", s.line_no).astype(object),
        planned_ship_date=_ts(L.ship_plan), is_backordered=L.block_day < NEVER,
        is_lost=L.lost_stock, qty_lost=np.round(L.lost, 4),
        cause=why.cause.to_numpy(), ev_po=why.ev_po.to_numpy(), ev_mo=why.ev_mo.to_numpy(),
        ev_sh=why.ev_sh.to_numpy()))
    so = so.merge(eng, on=["so_id", "so_line"], how="left", validate="1:1")
    miss = so.is_counted & ~so.otif
    so["delay_cause"] = np.where(miss, np.array(CAUSES, object)[so.cause.fillna(5).astype(int)], None)
    po_ids = ctx.ids("PO-", sup.po_order + 1, 7).to_numpy(zero_copy_only=False)
    po_lines = np.char.mod("%d", sup.po_line_no).astype(object)
    mo_ids = ctx.ids("MO-", np.arange(len(sup.mo_isite)) + 1, 7).to_numpy(zero_copy_only=False)
    sh_ids = ctx.ids("SH-", np.arange(len(s.sh_ship)) + 1, 7).to_numpy(zero_copy_only=False)

    def pick(ids, ix, cause):
        ix = so[ix].fillna(-1).astype(np.int64).to_numpy()
        ok = miss.to_numpy() & (ix >= 0) & (so.cause.to_numpy() == cause)
        out = np.full(len(so), None, object)
        out[ok] = ids[ix[ok]]
        return out
    so["evidence_po_id"] = pick(po_ids, "ev_po", 1)
    so["evidence_po_line"] = pick(po_lines, "ev_po", 1)
    so["evidence_mo_id"] = pick(mo_ids, "ev_mo", 2)
    so["evidence_shipment_id"] = pick(sh_ids, "ev_sh", 3)
    so["is_backordered"] = so.is_backordered.fillna(False).astype(bool)
    so["is_lost"] = so.is_lost.fillna(False).astype(bool)
    return so[[c for c, _ in SCHEMAS["sales_order_lines"]]]


def production_truth(ctx: Ctx, co: Company, b: Block, sup: Supply) -> pd.DataFrame:
    mo = b.mo
    item_ids = co.items.item_id.to_numpy()
    site_ids = co.sites.site_id.to_numpy()
    fin = np.where(mo.finish <= ctx.end, mo.finish, NEVER)
    cancelled = mo.cancel <= ctx.end
    due = (mo.pf <= ctx.end) & ~cancelled
    late = due & (fin > mo.pf)
    cause = np.select([mo.blocked_day < NEVER, mo.start_delay > 0, mo.overrun > 0],
                      ["component_shortage", "start_delay", "overrun"], "other")
    comp = np.where(mo.short_comp >= 0, mo.short_comp, 0)
    comp_id = np.where((mo.short_comp >= 0) & late & (cause == "component_shortage"),
                       item_ids[b.item[comp]], None)
    return pd.DataFrame(dict(
        mo_id=ctx.ids("MO-", np.arange(len(mo)) + 1, 7).to_numpy(zero_copy_only=False),
        item_id=item_ids[b.item[mo.series]], site_id=site_ids[b.site[mo.series]],
        work_center=co.work_centers.work_center.to_numpy()[mo.wc],
        planned_finish=_ts(mo.pf), actual_finish=_ts(fin), is_due=due, is_late=late,
        late_cause=np.where(late, cause, None), evidence_component_item_id=comp_id))


def counts_truth(ctx: Ctx, co: Company, b: Block) -> pd.DataFrame:
    cc = b.cc
    item_ids = co.items.item_id.to_numpy()
    site_ids = co.sites.site_id.to_numpy()
    diff = np.round(cc.counted - cc.system, 4)
    k = np.nonzero(diff != 0)[0]
    return pd.DataFrame(dict(
        count_id=ctx.ids("CC-", k + 1, 7).to_numpy(zero_copy_only=False),
        count_date=_ts(cc.day[k]), item_id=item_ids[b.item[cc.series[k]]],
        site_id=site_ids[b.site[cc.series[k]]], qty_system=np.round(cc.system[k], 4),
        qty_counted=np.round(cc.counted[k], 4), difference=diff[k]))


def series_truth(ctx: Ctx, co: Company, b: Block) -> pd.DataFrame:
    item_ids = co.items.item_id.to_numpy()
    site_ids = co.sites.site_id.to_numpy()
    lines = np.bincount(b.lines.series, minlength=b.S)
    weeks = max((ctx.end - ctx.start + 1) / 7, 1)
    return pd.DataFrame(dict(
        item_id=item_ids[b.item], site_id=site_ids[b.site],
        role=np.array(ROLES, object)[b.role], sells=b.sells,
        mean_lines_per_week=np.round(lines / weeks, 4), stocked_days=b.stocked_days,
        stockout_days=b.stockout_days))


class TruthWriter:
    """Parquet truth files written block by block (one row group per block)."""

    def __init__(self, truth_dir: Path):
        self.dir = Path(truth_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.rows: dict[str, int] = {}

    def write(self, name: str, frame: pd.DataFrame) -> None:
        schema = pa.schema(SCHEMAS[name])
        cols = {}
        for field in schema:
            v = frame[field.name]
            if pa.types.is_date32(field.type):
                v = pd.to_datetime(v).dt.date if len(v) else v
            elif pa.types.is_string(field.type):
                v = v.astype(object).where(v.notna(), None)
            elif pa.types.is_integer(field.type):
                v = v.astype("Int64")
            cols[field.name] = pa.array(v, field.type, from_pandas=True)
        table = pa.table(cols, schema=schema)
        if name not in self.writers:
            path = self.dir / f"{name}.parquet.part"
            self.writers[name] = pq.ParquetWriter(path, schema)
            self.rows[name] = 0
        self.writers[name].write_table(table)
        self.rows[name] += table.num_rows

    def close(self) -> dict[str, int]:
        for name, w in self.writers.items():
            w.close()
            part = self.dir / f"{name}.parquet.part"
            part.replace(self.dir / f"{name}.parquet")
        return self.rows

    def abort(self) -> None:
        for name, w in self.writers.items():
            try:
                w.close()
            finally:
                (self.dir / f"{name}.parquet.part").unlink(missing_ok=True)


def write_frame(truth_dir: Path, name: str, frame: pd.DataFrame) -> None:
    """A small truth file written in one go."""
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    path = Path(truth_dir) / f"{name}.parquet"
    part = path.with_name(path.name + ".part")
    pq.write_table(table, part)
    part.replace(path)


def global_truth(ctx: Ctx, co: Company, truth_dir: Path, master_errors: pd.DataFrame,
                 differences: list[dict]) -> dict[str, int]:
    write_frame(truth_dir, "suppliers", co.suppliers[SUPPLIER_TRUTH].reset_index(drop=True))
    write_frame(truth_dir, "sites", co.sites[SITE_TRUTH].reset_index(drop=True))
    write_frame(truth_dir, "master_data_errors", master_errors)
    pr = co.promos
    write_frame(truth_dir, "promotions", pd.DataFrame(dict(
        family=pr.family, site_id=co.sites.site_id.to_numpy()[pr.site],
        start_date=[date_of(d) for d in pr.start], end_date=[date_of(d) for d in pr.end],
        demand_uplift=pr.uplift, price_discount=pr.discount)))
    tw = TruthWriter(truth_dir)
    diff = pd.DataFrame(differences, columns=[c for c, _ in SCHEMAS["reconciliation_differences"]
                                              if c != "month"])
    diff["posting_date"] = _ts(diff.posting_date.to_numpy(np.int64)) if len(diff) else \
        pd.Series([], dtype="datetime64[ns]")
    diff["month"] = _month(pd.to_datetime(diff.posting_date)) if len(diff) else diff.posting_date
    diff = diff.sort_values(["posting_date", "what", "ref_doc_id"], kind="stable")
    tw.write("reconciliation_differences", diff)
    rows = tw.close()
    return {"master_data_errors": len(master_errors), **rows}
