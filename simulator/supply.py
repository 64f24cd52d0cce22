"""Supply: replenishment transfers plant → DC, production orders with their component
consumption, spare-part issues, and purchasing (PO lines, supplier confirmations,
goods receipts with partials, rejects, reversals and returns, supplier invoices).

Every flow is pulled by the requirement below it (periodic review, cumulative lot
rounding), and every supplier behaves as its planted parameters say.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .core import NEVER, Ctx, daily, expand, geometric_days, group_ids, money, periodic, \
    weekday
from .master import R_COMPONENT, R_DC, R_MAKE, R_RAW, R_SPARE, R_TRADED, Company
from .sales import Sales

# goods-receipt row kinds (internal)
GR_NORMAL, GR_WRONG, GR_REVERSAL, GR_RTS = 0, 1, 2, 3
MOVEMENTS = ["receipt", "reversal", "return_to_supplier"]
MO_STATUS = ["planned", "released", "in_progress", "finished", "cancelled"]


@dataclass
class Supply:
    # transfers plant -> DC
    tr_from: np.ndarray
    tr_to: np.ndarray
    tr_out: np.ndarray
    tr_in: np.ndarray
    tr_qty: np.ndarray
    # production orders
    mo_isite: np.ndarray
    mo_wc: np.ndarray            # index into work_centers
    work_centers: list
    mo_created: np.ndarray
    mo_released: np.ndarray
    mo_pstart: np.ndarray
    mo_pfinish: np.ndarray
    mo_astart: np.ndarray
    mo_afinish: np.ndarray
    mo_cancel: np.ndarray
    mo_planned: np.ndarray
    mo_produced: np.ndarray
    mo_scrapped: np.ndarray
    # component consumption
    cons_mo: np.ndarray
    cons_isite: np.ndarray
    cons_day: np.ndarray
    cons_qty: np.ndarray
    cons_pos: np.ndarray
    # spare-part issues
    iss_isite: np.ndarray
    iss_day: np.ndarray
    iss_qty: np.ndarray
    # purchase order lines
    po_isite: np.ndarray
    po_item: np.ndarray
    po_site: np.ndarray
    po_sup: np.ndarray
    po_source: np.ndarray
    po_order: np.ndarray         # PO number
    po_line_no: np.ndarray
    po_day: np.ndarray
    po_requested: np.ndarray
    po_qty: np.ndarray
    po_price: np.ndarray
    po_cancel: np.ndarray
    po_close: np.ndarray
    # confirmations
    cf_line: np.ndarray
    cf_at: np.ndarray            # seconds
    cf_date: np.ndarray
    cf_qty: np.ndarray
    # goods receipts
    gr_line: np.ndarray
    gr_day: np.ndarray
    gr_qty: np.ndarray
    gr_rej: np.ndarray
    gr_kind: np.ndarray
    gr_doc: np.ndarray
    gr_doc_line: np.ndarray
    # supplier invoices (credit notes have negative quantities)
    si_gr: np.ndarray            # receipt row invoiced
    si_day: np.ndarray
    si_due: np.ndarray
    si_paid: np.ndarray
    si_qty: np.ndarray
    si_price: np.ndarray
    si_amount: np.ndarray
    si_credit: np.ndarray        # bool: credit note for a return to supplier
    si_doc: np.ndarray
    si_doc_line: np.ndarray


def _nice(x: np.ndarray) -> np.ndarray:
    """Round down to 1, 2 or 5 times a power of ten (at least 1)."""
    x = np.maximum(np.asarray(x, float), 1.0)
    p = 10.0 ** np.floor(np.log10(x))
    m = x / p
    return np.where(m >= 5, 5, np.where(m >= 2, 2, 1)) * p


def _velocity_period(rng, avg: np.ndarray, base: float, lo: int, hi: int) -> np.ndarray:
    """Review period per series: fast movers more often (rank-based)."""
    n = len(avg)
    if n == 0:
        return np.zeros(0, np.int64)
    rank = np.argsort(np.argsort(-avg, kind="stable"), kind="stable") / max(n - 1, 1)
    factor = 0.5 + 1.2 * rank
    return np.clip(np.round(base * factor * rng.uniform(.85, 1.15, n)), lo, hi).astype(np.int64)


def _next_weekday(days: np.ndarray, wd: int) -> np.ndarray:
    return days + (wd - weekday(days)) % 7


def simulate_supply(ctx: Ctx, co: Company, sales: Sales) -> Supply:
    rng = ctx.rng("supply")
    isites, items, sites = co.item_sites, co.items, co.sites
    n_is, T = len(isites), ctx.T
    role = isites.role.to_numpy()
    is_item, is_site = isites.item.to_numpy(), isites.site.to_numpy()
    series_of = np.full((len(items), len(sites)), -1, np.int64)
    series_of[is_item, is_site] = np.arange(n_is)
    uom_kg = items.base_uom.to_numpy()[is_item] == "KG"
    hist = ctx.end - ctx.start + 1

    sale_req = daily(sales.isite[sales.d_line], sales.d_ship - ctx.start, sales.d_qty, n_is, T)

    # --- transfers plant -> DC ------------------------------------------------------------------
    dc_rows = np.nonzero(role == R_DC)[0]
    avg = sale_req[dc_rows, :hist].mean(axis=1) if len(dc_rows) else np.zeros(0)
    k = _velocity_period(rng, avg, 1.0, 1, 3)
    s, t0, qty = periodic(sale_req[dc_rows], k, rng.integers(0, np.maximum(k, 1)), np.ones(len(dc_rows)))
    to_row = dc_rows[s]
    plant = isites.source_plant.to_numpy()[to_row]
    from_row = series_of[is_item[to_row], plant]
    same_country = sites.country.to_numpy()[plant] == sites.country.to_numpy()[is_site[to_row]]
    same_region = sites.region.to_numpy()[plant] == sites.region.to_numpy()[is_site[to_row]]
    lane = np.where(same_country, 2, np.where(same_region, 3, 21))
    tr_in = ctx.start + t0 - 1
    tr_out = tr_in - lane
    keep = tr_out >= ctx.start
    tr = dict(tr_from=from_row[keep], tr_to=to_row[keep], tr_out=tr_out[keep],
              tr_in=tr_in[keep], tr_qty=qty[keep])
    o = np.lexsort((tr["tr_to"], tr["tr_out"]))
    tr = {key: v[o] for key, v in tr.items()}
    if len(dc_rows):
        lane_of = np.zeros(n_is)
        lane_of[to_row] = lane
        isites.loc[dc_rows, "planned_lead_time_days"] = lane_of[dc_rows] + 1

    # --- production ---------------------------------------------------------------------------
    make_rows = np.nonzero(role == R_MAKE)[0]
    req = sale_req + daily(tr["tr_from"], tr["tr_out"] - ctx.start, tr["tr_qty"], n_is, T)
    req_m = req[make_rows]
    avg = req_m[:, :hist].mean(axis=1)
    k = _velocity_period(rng, avg, 1.6, 1, 7)
    lot = _nice(np.maximum(avg * k * .25, 1))
    s, t0, qty = periodic(req_m, k, rng.integers(0, k), lot)
    mo_isite = make_rows[s]
    wc_names = []
    wc_index = {}
    for p in co.plants:
        for w in ("ASM1", "ASM2", "MCH1"):
            wc_index[(p, w)] = len(wc_names)
            wc_names.append(f"{sites.site_id[p]}-{w}")
    wc_of_item = rng.integers(0, 3, len(items))
    mo_wc = np.array([wc_index[(p, ("ASM1", "ASM2", "MCH1")[w])]
                      for p, w in zip(is_site[mo_isite], wc_of_item[is_item[mo_isite]])], np.int64)
    wcr = ctx.rng("work-centers")
    wc_yield_loss = wcr.uniform(.01, .05, len(wc_names))
    wc_p_overrun = wcr.uniform(.15, .35, len(wc_names))
    co.work_centers = dict(work_center=wc_names, yield_loss=np.round(wc_yield_loss, 4),
                           p_overrun=np.round(wc_p_overrun, 4))
    n = len(s)
    dur = rng.integers(1, 4, n)
    pfinish = ctx.start + t0 - 1
    pstart = pfinish - dur + 1
    created = pstart - 7
    released = pstart - 2
    astart = pstart + np.where(rng.random(n) < .8, 0, rng.integers(1, 4, n))
    overrun = np.where(rng.random(n) < wc_p_overrun[mo_wc], rng.integers(1, 5, n), 0)
    afinish = astart + dur - 1 + overrun
    cancelled = rng.random(n) < .015
    cancel = np.where(cancelled, pstart - 1, NEVER)
    scrapped = np.floor(qty * wc_yield_loss[mo_wc] * rng.uniform(.3, 1.7, n))
    produced = qty - scrapped
    astart = np.where(cancelled, NEVER, astart)
    afinish = np.where(cancelled, NEVER, afinish)
    keep = created >= ctx.start
    o = np.nonzero(keep)[0]
    o = o[np.lexsort((mo_isite[o], created[o]))]
    mo = dict(mo_isite=mo_isite[o], mo_wc=mo_wc[o], mo_created=created[o],
              mo_released=released[o], mo_pstart=pstart[o], mo_pfinish=pfinish[o],
              mo_astart=astart[o], mo_afinish=afinish[o], mo_cancel=cancel[o],
              mo_planned=qty[o], mo_produced=np.where(cancelled[o], np.nan, produced[o]),
              mo_scrapped=np.where(cancelled[o], np.nan, scrapped[o]))
    isites.loc[make_rows, "planned_lead_time_days"] = 4

    # consumption of the bill of material at the actual start
    bom = co.bom
    parent = bom.parent.to_numpy()
    n_comp = np.bincount(parent, minlength=len(items))
    offset = np.cumsum(n_comp) - n_comp
    live_mo = np.nonzero(mo["mo_cancel"] >= NEVER)[0]
    mo_item = is_item[mo["mo_isite"][live_mo]]
    m_idx, pos = expand(n_comp[mo_item])
    b = offset[mo_item[m_idx]] + pos
    cons_mo = live_mo[m_idx]
    comp = bom.component.to_numpy()[b]
    cons_isite = series_of[comp, is_site[mo["mo_isite"][cons_mo]]]
    raw_q = mo["mo_planned"][cons_mo] * bom.qty_per.to_numpy()[b] * (1 + bom.scrap_pct.to_numpy()[b] / 100)
    cons_qty = np.where(uom_kg[cons_isite], np.round(raw_q, 3), np.ceil(np.round(raw_q, 6)))
    cons_day = mo["mo_astart"][cons_mo]

    # --- spare-part issues ------------------------------------------------------------------------
    spare_rows = np.nonzero(role == R_SPARE)[0]
    days = ctx.start + np.arange(T)
    lam = rng.uniform(.2, 1.5, len(spare_rows))
    working = weekday(days) < 5
    cnt = rng.poisson(lam[None, :] * working[:, None])          # [day, spare series]
    flat = np.repeat(np.arange(cnt.size), cnt.ravel())
    iss_t, iss_s = flat // max(len(spare_rows), 1), flat % max(len(spare_rows), 1)
    iss_isite = spare_rows[iss_s]
    iss_day = ctx.start + iss_t
    iss_qty = rng.integers(1, 5, len(flat)).astype(float)

    # --- purchasing -------------------------------------------------------------------------------
    buy_rows = np.nonzero(np.isin(role, [R_TRADED, R_COMPONENT, R_RAW, R_SPARE]))[0]
    req = sale_req + daily(cons_isite, cons_day - ctx.start, cons_qty, n_is, T) \
        + daily(iss_isite, iss_day - ctx.start, iss_qty, n_is, T)
    req_b = req[buy_rows]
    avg = req_b[:, :hist].mean(axis=1)
    base = len(buy_rows) * hist / max(ctx.tier.po_lines, 1)
    phase_u = rng.random(len(buy_rows))
    factor_u = rng.uniform(.85, 1.15, len(buy_rows))
    for _ in range(2):          # calibrate the review period to the target number of lines
        rank = np.argsort(np.argsort(-avg, kind="stable"), kind="stable") / max(len(avg) - 1, 1)
        k = np.clip(np.round(base * (0.5 + 1.2 * rank) * factor_u), 2, 90).astype(np.int64)
        lot = np.where(uom_kg[buy_rows], _nice(np.maximum(avg * k * .3, 1)),
                       _nice(np.maximum(avg * k * .3, 1)))
        s, t0, qty = periodic(req_b, k, (phase_u * k).astype(np.int64), lot)
        in_hist = (t0 < hist).sum()
        base = base * max(in_hist, 1) / ctx.tier.po_lines
    isites.loc[buy_rows, "min_order_qty"] = lot
    po_isite = buy_rows[s]
    po_item, po_site = is_item[po_isite], is_site[po_isite]

    src = co.sources
    src_item, src_sup = src.item.to_numpy(), src.supplier.to_numpy()
    prim = np.full(len(items), -1, np.int64)
    sec = np.full(len(items), -1, np.int64)
    prim[src_item[src.primary.to_numpy()]] = np.nonzero(src.primary.to_numpy())[0]
    sec[src_item[~src.primary.to_numpy()]] = np.nonzero(~src.primary.to_numpy())[0]
    use_sec = (rng.random(len(s)) < .15) & (sec[po_item] >= 0)
    po_source = np.where(use_sec, sec[po_item], prim[po_item])
    po_sup = src_sup[po_source]
    lead = src.lead_time_days.to_numpy()[po_source]
    requested = ctx.start + t0
    order_day = requested - lead - rng.integers(0, 3, len(s))
    wd = weekday(order_day)                   # buyers order on Mondays and Thursdays
    order_day = order_day - np.where(wd >= 3, wd - 3, wd)
    keep = (order_day >= ctx.start) & (order_day <= ctx.end)
    # lot per supplier relationship (the contract minimum)
    src_lot = np.ones(len(src))
    src_lot[po_source] = lot[s]
    src["min_qty"] = src_lot
    # planned lead time per bought item × site: the primary's, sometimes wrong in master data
    pl = src.lead_time_days.to_numpy()[prim[is_item[buy_rows]]]
    err = np.where(rng.random(len(buy_rows)) < .2, rng.integers(-5, 11, len(buy_rows)), 0)
    isites.loc[buy_rows, "planned_lead_time_days"] = np.maximum(pl + err, 1)

    o = np.nonzero(keep)[0]
    o = o[np.lexsort((po_item[o], po_site[o], po_sup[o], order_day[o]))]
    po_isite, po_item, po_site, po_sup, po_source = (
        a[o] for a in (po_isite, po_item, po_site, po_sup, po_source))
    po_day, requested, lead, po_qty = order_day[o], requested[o], lead[o], qty[o]
    po_order, rank, _ = group_ids(po_day, po_sup, po_site)
    n = len(o)

    prices = co.prices
    pkey = prices.source.to_numpy() * 1_000_000 + prices.valid_from.to_numpy()
    at = np.searchsorted(pkey, po_source * 1_000_000 + po_day, side="right") - 1
    off = np.where(rng.random(n) < .04, rng.uniform(.97, 1.1, n), 1.0)
    po_price = np.round(prices.unit_price.to_numpy()[at] * off, 4)

    sup = co.suppliers
    cancelled = rng.random(n) < .02
    po_cancel = np.where(cancelled, po_day + rng.integers(1, np.maximum(np.minimum(lead, 7), 2)), NEVER)

    # confirmations: first promise, sometimes later than the need date; re-dated when late
    rc = ctx.rng("confirmations")
    confirmed = rc.random(n) < sup.p_confirm.to_numpy()[po_sup]
    conf_day = po_day + np.floor(rc.random(n) * (np.minimum(5, lead - 1) + 1)).astype(np.int64)
    confirmed &= conf_day < po_cancel
    slip = rc.random(n) < sup.p_confirm_later_than_need.to_numpy()[po_sup]
    conf_date = requested + np.where(slip, rc.integers(1, 11, n), 0)
    conf_at = conf_day * 86_400 + rc.integers(7 * 3600, 19 * 3600, n)

    rr = ctx.rng("receipts")
    live = po_cancel >= NEVER
    plan = np.where(confirmed, conf_date, requested)
    on_time = rr.random(n) < sup.p_on_time.to_numpy()[po_sup]
    early = rr.choice([0, 0, 0, 1, 2, 3], n)
    late_by = geometric_days(rr, sup.mean_days_late.to_numpy()[po_sup])
    r1 = np.where(on_time, plan - early, plan + late_by)
    r1 = np.maximum(r1, np.where(confirmed, conf_day, po_day + 1))
    redate = confirmed & ~on_time & (rc.random(n) < sup.p_reconfirm_when_late.to_numpy()[po_sup])
    conf2_day = np.maximum(conf_day + 1, r1 - rc.integers(2, 11, n))
    redate &= (conf2_day <= r1) & live
    conf2_at = conf2_day * 86_400 + rc.integers(7 * 3600, 19 * 3600, n)

    kg = uom_kg[po_isite]
    short = live & (rr.random(n) < sup.p_short.to_numpy()[po_sup]) & ((po_qty >= 2) | kg)
    frac = rr.uniform(.4, .9, n)
    part = np.where(kg, np.round(po_qty * frac, 1), np.maximum(1, np.floor(po_qty * frac)))
    q1 = np.where(short, part, po_qty)
    follow = short & (rr.random(n) < sup.p_short_followup.to_numpy()[po_sup]) & (po_qty - q1 > 0)
    r2 = r1 + rr.integers(3, 21, n)
    po_close = np.where(live, np.where(follow, r2, r1), NEVER)

    cf_line = np.concatenate([np.nonzero(confirmed)[0], np.nonzero(redate)[0]])
    cf_at = np.concatenate([conf_at[confirmed], conf2_at[redate]])
    cf_date = np.concatenate([conf_date[confirmed], r1[redate]])
    o = np.lexsort((cf_line, cf_at))
    cf = dict(cf_line=cf_line[o], cf_at=cf_at[o], cf_date=cf_date[o], cf_qty=po_qty[cf_line[o]])

    # goods receipts
    i1, i2 = np.nonzero(live)[0], np.nonzero(follow)[0]
    g_line = np.concatenate([i1, i2])
    g_day = np.concatenate([r1[i1], r2[i2]])
    g_qty = np.concatenate([q1[i1], (po_qty - q1)[i2]])
    ng = len(g_line)
    g_sup = po_sup[g_line]
    g_kg = kg[g_line]
    rej = rr.random(ng) < sup.p_reject.to_numpy()[g_sup]
    rq = g_qty * sup.reject_fraction.to_numpy()[g_sup] * rr.uniform(.5, 1.5, ng)
    rq = np.where(g_kg, np.round(rq, 1), np.maximum(1, np.floor(rq)))
    g_rej = np.where(rej, np.minimum(rq, g_qty), 0.0)
    # a few receipts posted with a typo, reversed and posted again the same day
    wrong = rr.random(ng) < .005
    w = np.nonzero(wrong)[0]
    # returns to supplier of part of the accepted quantity, some days later
    acc = g_qty - g_rej
    rts = (acc > 0) & (rr.random(ng) < sup.p_return_to_supplier.to_numpy()[g_sup])
    t_ = np.nonzero(rts)[0]
    rq = acc[t_] * rr.uniform(.1, .5, len(t_))
    rts_qty = np.where(g_kg[t_], np.maximum(np.round(rq, 1), .1), np.maximum(1, np.floor(rq)))
    gr_line = np.concatenate([g_line, g_line[w], g_line[w], g_line[t_]])
    gr_day = np.concatenate([g_day, g_day[w], g_day[w], g_day[t_] + rr.integers(5, 31, len(t_))])
    gr_qty = np.concatenate([g_qty, g_qty[w] * 10, g_qty[w] * 10, rts_qty])
    gr_rej = np.concatenate([g_rej, np.zeros(2 * len(w)), np.zeros(len(t_))])
    gr_kind = np.concatenate([np.full(ng, GR_NORMAL), np.full(len(w), GR_WRONG),
                              np.full(len(w), GR_REVERSAL), np.full(len(t_), GR_RTS)])
    seq = np.select([gr_kind == GR_WRONG, gr_kind == GR_REVERSAL], [0, 1], 2)
    is_rts = gr_kind == GR_RTS
    o = np.lexsort((seq, gr_line, is_rts, po_order[gr_line], gr_day))
    gr_line, gr_day, gr_qty, gr_rej, gr_kind = (a[o] for a in (gr_line, gr_day, gr_qty, gr_rej, gr_kind))
    gr_doc, gr_rank, _ = group_ids(gr_day, po_order[gr_line], (gr_kind == GR_RTS).astype(np.int64))

    # supplier invoices: one per receipt document; credit notes for returns to supplier
    ri = ctx.rng("supplier-invoices")
    inv = np.nonzero((gr_kind == GR_NORMAL) & (gr_qty - gr_rej > 0))[0]
    cn = np.nonzero(gr_kind == GR_RTS)[0]
    g_sup = po_sup[gr_line]
    lag = sup.invoice_lag_days.to_numpy()[g_sup]
    doc_lag = ri.integers(0, 3, gr_doc.max() + 1 if len(gr_doc) else 1)
    si_gr = np.concatenate([inv, cn])
    si_credit = np.concatenate([np.zeros(len(inv), bool), np.ones(len(cn), bool)])
    d_lag = doc_lag[gr_doc[si_gr]]
    si_day = gr_day[si_gr] + np.where(si_credit, 2 + d_lag * 2, lag[si_gr] + d_lag)
    base_price = po_price[gr_line[si_gr]]
    wrong_price = (~si_credit) & (ri.random(len(si_gr)) < .03)
    si_price = np.round(base_price * np.where(wrong_price, ri.uniform(1.01, 1.08, len(si_gr)), 1.0), 4)
    si_qty = np.where(si_credit, -gr_qty[si_gr], gr_qty[si_gr] - gr_rej[si_gr])
    si_amount = money(si_qty, si_price)
    terms = sup.payment_terms_days.to_numpy()[g_sup[si_gr]]
    si_due = np.where(si_credit, si_day, si_day + terms)
    paid_late = (~si_credit) & (ri.random(len(si_gr)) < .1)
    si_paid = _next_weekday(si_due + np.where(paid_late, ri.integers(5, 31, len(si_gr)), 0), 3)
    o = np.lexsort((gr_doc[si_gr], si_credit, si_day))
    si_gr, si_credit, si_day, si_price, si_qty, si_amount, si_due, si_paid = (
        a[o] for a in (si_gr, si_credit, si_day, si_price, si_qty, si_amount, si_due, si_paid))
    si_doc, si_rank, _ = group_ids(si_credit.astype(np.int64), si_day, gr_doc[si_gr])

    # master-data parameters that depend on the simulated flows
    avg_all = req[:, :hist].mean(axis=1)
    ss = np.where(uom_kg, np.round(avg_all * rng.uniform(3, 10, n_is), 1),
                  np.ceil(avg_all * rng.uniform(3, 10, n_is)))
    isites["safety_stock_qty"] = ss
    isites["min_order_qty"] = isites.min_order_qty.fillna(1.0)
    isites.loc[make_rows, "min_order_qty"] = np.ones(len(make_rows))
    isites["planned_lead_time_days"] = isites.planned_lead_time_days.fillna(7).astype(int)

    return Supply(
        **tr, work_centers=wc_names, **mo,
        cons_mo=cons_mo, cons_isite=cons_isite, cons_day=cons_day, cons_qty=cons_qty,
        cons_pos=pos,
        iss_isite=iss_isite, iss_day=iss_day, iss_qty=iss_qty,
        po_isite=po_isite, po_item=po_item, po_site=po_site, po_sup=po_sup,
        po_source=po_source, po_order=po_order, po_line_no=rank + 1, po_day=po_day,
        po_requested=requested, po_qty=po_qty, po_price=po_price, po_cancel=po_cancel,
        po_close=po_close, **cf,
        gr_line=gr_line, gr_day=gr_day, gr_qty=gr_qty, gr_rej=gr_rej, gr_kind=gr_kind,
        gr_doc=gr_doc, gr_doc_line=gr_rank + 1,
        si_gr=si_gr, si_day=si_day, si_due=si_due, si_paid=si_paid, si_qty=si_qty,
        si_price=si_price, si_amount=si_amount, si_credit=si_credit, si_doc=si_doc,
        si_doc_line=si_rank + 1,
    )
