"""Inventory: every stock movement the other flows imply, opening balances, cycle counts
with their adjustments, and weekly stock snapshots — all consistent: a snapshot's
on-hand is the sum of the movements posted up to its date, and never negative.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .core import NEVER, Ctx, daily, ids, money, nums_text, weekday
from .master import Company
from .sales import Sales
from .supply import GR_NORMAL, GR_REVERSAL, GR_RTS, GR_WRONG, Supply

MOVEMENT_TYPES = ["receipt", "sale", "issue", "production_in", "consumption",
                  "transfer_in", "transfer_out", "return", "adjustment", "scrap"]
MT = {m: i for i, m in enumerate(MOVEMENT_TYPES)}
REF_TYPES = ["goods_receipt", "delivery", "transfer_order", "production_order",
             "maintenance_order", "return", "scrap_note", "cycle_count", "opening_balance"]
RT = {r: i for i, r in enumerate(REF_TYPES)}


@dataclass
class Inventory:
    # movements, in posting order (movement_id = position + 1)
    isite: np.ndarray
    day: np.ndarray
    qty: np.ndarray
    value: np.ndarray
    mtype: np.ndarray
    rtype: np.ndarray
    ref_doc: pa.Array
    ref_line: pa.Array
    ref_index: np.ndarray       # index of the referenced row in its own source arrays
    # cycle counts
    cc_isite: np.ndarray
    cc_day: np.ndarray
    cc_system: np.ndarray
    cc_counted: np.ndarray
    # snapshots
    sn_day: np.ndarray
    sn_isite: np.ndarray
    sn_on_hand: np.ndarray
    sn_allocated: np.ndarray
    sn_blocked: np.ndarray
    opening: np.ndarray         # per item × site


def simulate_inventory(ctx: Ctx, co: Company, sales: Sales, sup: Supply) -> Inventory:
    rng = ctx.rng("inventory")
    isites = co.item_sites
    n_is, T = len(isites), ctx.T
    kg = co.items.base_uom.to_numpy()[isites.item.to_numpy()] == "KG"
    std = isites.standard_cost.to_numpy()
    parts: list[dict] = []

    def add(isite, day, qty, mtype, rtype, ref_doc, ref_line, ref_index):
        parts.append(dict(isite=np.asarray(isite, np.int64), day=np.asarray(day, np.int64),
                          qty=np.asarray(qty, float), mtype=np.full(len(isite), MT[mtype]),
                          rtype=np.full(len(isite), RT[rtype]), ref_doc=ref_doc,
                          ref_line=ref_line, ref_index=np.asarray(ref_index, np.int64)))

    # goods receipts: accepted quantity in; the typo and its reversal; returns to supplier
    k = sup.gr_kind
    signed = np.select([k == GR_NORMAL, k == GR_WRONG, k == GR_REVERSAL, k == GR_RTS],
                       [sup.gr_qty - sup.gr_rej, sup.gr_qty, -sup.gr_qty, -sup.gr_qty])
    g = np.nonzero(signed != 0)[0]
    gr_isite = sup.po_isite[sup.gr_line]
    rts = k[g] == GR_RTS
    for sel, mtype in ((g[~rts], "receipt"), (g[rts], "issue")):
        add(gr_isite[sel], sup.gr_day[sel], signed[sel], mtype, "goods_receipt",
            ids("GR-", sup.gr_doc[sel] + 1, 7), nums_text(sup.gr_doc_line[sel]), sel)
    # sales deliveries
    d = np.arange(len(sales.d_line))
    add(sales.isite[sales.d_line], sales.d_ship, -sales.d_qty, "sale", "delivery",
        ids("DL-", sales.d_doc + 1, 7), nums_text(sales.d_doc_line), d)
    # transfers plant -> DC
    t = np.arange(len(sup.tr_qty))
    to_ids = ids("TO-", t + 1, 7)
    one = nums_text(np.ones(len(t)))
    add(sup.tr_from, sup.tr_out, -sup.tr_qty, "transfer_out", "transfer_order", to_ids, one, t)
    add(sup.tr_to, sup.tr_in, sup.tr_qty, "transfer_in", "transfer_order", to_ids, one, t)
    # production: components consumed at the start, output received at the finish
    add(sup.cons_isite, sup.cons_day, -sup.cons_qty, "consumption", "production_order",
        ids("MO-", sup.cons_mo + 1, 7), nums_text(sup.cons_pos + 1), sup.cons_mo)
    done = np.nonzero(sup.mo_afinish < NEVER)[0]
    add(sup.mo_isite[done], sup.mo_afinish[done], sup.mo_produced[done], "production_in",
        "production_order", ids("MO-", done + 1, 7), pa.nulls(len(done), pa.string()), done)
    # spare parts issued to maintenance
    i = np.arange(len(sup.iss_qty))
    add(sup.iss_isite, sup.iss_day, -sup.iss_qty, "issue", "maintenance_order",
        ids("WO-", i + 1, 7), pa.nulls(len(i), pa.string()), i)
    # customer returns back into stock; scrapped ones straight out again
    r = np.arange(len(sales.r_dline))
    r_isite = sales.isite[sales.d_line[sales.r_dline]]
    rt_ids = ids("RT-", sales.r_doc + 1, 7)
    add(r_isite, sales.r_day, sales.r_qty, "return", "return", rt_ids, nums_text(sales.r_line), r)
    sc = np.nonzero(sales.r_disp == 2)[0]
    add(r_isite[sc], sales.r_day[sc], -sales.r_qty[sc], "scrap", "return",
        rt_ids.take(pa.array(sc)), nums_text(sales.r_line[sc]), sc)
    # damage found in the warehouse
    cnt = rng.poisson(0.004, (T, n_is))
    flat = np.repeat(np.arange(cnt.size), cnt.ravel())
    w_day, w_isite = ctx.start + flat // n_is, flat % n_is
    w_qty = np.where(kg[w_isite], np.round(rng.uniform(.5, 2, len(flat)), 1), 1.0)
    w = np.arange(len(flat))
    add(w_isite, w_day, -w_qty, "scrap", "scrap_note", ids("SN-", w + 1, 7),
        pa.nulls(len(w), pa.string()), w)

    # cycle counts: each item × site every few weeks on a weekday; most counts agree
    out_flow = np.zeros(n_is)
    for p in parts:
        neg = p["qty"] < 0
        out_flow += np.bincount(p["isite"][neg], weights=-p["qty"][neg], minlength=n_is)
    daily_out = out_flow / T
    rank = np.argsort(np.argsort(-daily_out, kind="stable"), kind="stable") / max(n_is - 1, 1)
    every = np.select([rank < .2, rank < .5], [28, 56], 91)
    phase = 7 + rng.integers(0, every)
    n_counts = np.maximum((ctx.end - ctx.start - phase) // every + 1, 0)
    cc_isite = np.repeat(np.arange(n_is), n_counts)
    j = np.arange(len(cc_isite)) - np.repeat(np.cumsum(n_counts) - n_counts, n_counts)
    cc_day = ctx.start + phase[cc_isite] + j * every[cc_isite]
    wd = weekday(cc_day)
    cc_day = cc_day + np.where(wd >= 5, 7 - wd, 0)               # weekend -> Monday
    keep = cc_day <= ctx.end
    cc_isite, cc_day = cc_isite[keep], cc_day[keep]
    o = np.lexsort((cc_isite, cc_day))
    cc_isite, cc_day = cc_isite[o], cc_day[o]
    nc = len(cc_isite)
    off = rng.random(nc) < .15
    size = np.maximum(daily_out[cc_isite] * 10 * rng.uniform(.01, .05, nc), 1)
    size = np.where(kg[cc_isite], np.round(size, 1), np.round(size))
    delta = np.where(off, np.where(rng.random(nc) < .5, -size, size), 0.0)
    c = np.arange(nc)
    adj = np.nonzero(delta != 0)[0]
    add(cc_isite[adj], cc_day[adj], delta[adj], "adjustment", "cycle_count",
        ids("CC-", adj + 1, 7), pa.nulls(len(adj), pa.string()), adj)

    # opening balances: just enough that stock never goes negative (plus a buffer
    # for some items; the others touch zero at their low point)
    isite = np.concatenate([p["isite"] for p in parts])
    day = np.concatenate([p["day"] for p in parts])
    qty = np.concatenate([p["qty"] for p in parts])
    flows = daily(isite, day - ctx.start, qty, n_is, T)
    level = np.cumsum(flows, axis=1)
    need = np.maximum(-level.min(axis=1), 0)
    pos_adj = np.zeros(n_is)
    np.maximum.at(pos_adj, cc_isite, np.maximum(delta, 0))
    extra = np.where(rng.random(n_is) < .6, daily_out * rng.uniform(0, 10, n_is), 0)
    opening = need + pos_adj + extra
    opening = np.where(kg, np.ceil(opening * 10) / 10, np.ceil(np.round(opening, 6)))
    has = np.nonzero(opening > 0)[0]
    site_ids = co.sites.site_id.to_numpy()[isites.site.to_numpy()[has]]
    add(has, np.full(len(has), ctx.start), opening[has], "adjustment", "opening_balance",
        pa.array([f"OB-{s}" for s in site_ids], pa.string()), pa.nulls(len(has), pa.string()),
        has)
    stock = opening[:, None] + level                                     # end of each day

    cc_counted = stock[cc_isite, cc_day - ctx.start]
    cc_system = cc_counted - delta
    cc_counted = np.round(cc_counted, 4)
    cc_system = np.round(cc_system, 4)

    # movements in posting order
    isite = np.concatenate([p["isite"] for p in parts])
    day = np.concatenate([p["day"] for p in parts])
    qty = np.concatenate([p["qty"] for p in parts])
    mtype = np.concatenate([p["mtype"] for p in parts])
    rtype = np.concatenate([p["rtype"] for p in parts])
    ref_index = np.concatenate([p["ref_index"] for p in parts])
    ref_doc = pa.concat_arrays([p["ref_doc"] for p in parts])
    ref_line = pa.concat_arrays([p["ref_line"] for p in parts])
    o = np.argsort(day, kind="stable")
    o_pa = pa.array(o)
    qty = np.round(qty[o], 4)
    value = money(qty, std[isite[o]])

    # open customer demand for allocation: ordered, not yet shipped, closed or cancelled
    shipped_total = np.bincount(sales.d_line, weights=sales.d_qty, minlength=len(sales.qty))
    gone = np.where(sales.cancel_day < NEVER, sales.cancel_day, sales.close_day)
    open_flow = daily(sales.isite, sales.order_day - ctx.start, sales.qty, n_is, T) \
        - daily(sales.isite[sales.d_line], sales.d_ship - ctx.start, sales.d_qty, n_is, T) \
        - daily(sales.isite, gone - ctx.start, sales.qty - shipped_total, n_is, T)
    open_qty = np.cumsum(open_flow, axis=1)

    # weekly snapshots (Sundays) and one on the as-of date
    days = np.arange(ctx.start, ctx.end + 1)
    snap_days = np.unique(np.append(days[weekday(days) == 6], ctx.end))
    sn_day = np.repeat(snap_days, n_is)
    sn_isite = np.tile(np.arange(n_is), len(snap_days))
    on_hand = np.round(stock[sn_isite, sn_day - ctx.start], 4)
    allocated = np.round(np.clip(open_qty[sn_isite, sn_day - ctx.start], 0, None), 4)
    allocated = np.minimum(allocated, on_hand)
    blocked_draw = rng.random(len(sn_day)) < .03
    blocked = np.where(kg[sn_isite], np.round(on_hand * .05, 1), np.floor(on_hand * .05))
    blocked = np.where(blocked_draw, np.minimum(blocked, on_hand - allocated), 0.0)

    return Inventory(
        isite=isite[o], day=day[o], qty=qty, value=value, mtype=mtype[o], rtype=rtype[o],
        ref_doc=ref_doc.take(o_pa), ref_line=ref_line.take(o_pa), ref_index=ref_index[o],
        cc_isite=cc_isite, cc_day=cc_day, cc_system=cc_system, cc_counted=cc_counted,
        sn_day=sn_day, sn_isite=sn_isite, sn_on_hand=on_hand, sn_allocated=allocated,
        sn_blocked=np.round(np.maximum(blocked, 0), 4), opening=opening,
    )
