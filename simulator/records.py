"""From the engine's day-by-day logs to documents: order, delivery, receipt and invoice
numbers, confirmations, supplier invoices, stock movements, cycle counts and snapshots.

Every document number is given in chronological order (day first), so a run to a later
as-of date numbers every earlier document the same way. Random choices made here are
counter-based (Ctx.u), keyed by such chronological numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .core import NEVER, Ctx, group_ids, money, nums_text, u_int
from .engine import GR_NORMAL, GR_REVERSAL, GR_RTS, GR_WRONG, Block

MOVEMENT_TYPES = ["receipt", "sale", "issue", "production_in", "consumption",
                  "transfer_in", "transfer_out", "return", "adjustment", "scrap"]
MT = {m: i for i, m in enumerate(MOVEMENT_TYPES)}
REF_TYPES = ["goods_receipt", "delivery", "transfer_order", "production_order",
             "maintenance_order", "return", "scrap_note", "cycle_count", "opening_balance"]
RT = {r: i for i, r in enumerate(REF_TYPES)}
MO_STATUS = ["planned", "released", "in_progress", "finished", "cancelled"]


@dataclass
class Sales:
    isite: np.ndarray           # block series of each line
    item: np.ndarray
    site: np.ndarray
    cust: np.ndarray
    order: np.ndarray
    line_no: np.ndarray
    order_day: np.ndarray
    requested: np.ndarray
    committed: np.ndarray
    qty: np.ndarray
    price: np.ndarray
    cancel_day: np.ndarray
    cancel_reason: np.ndarray
    close_day: np.ndarray
    d_line: np.ndarray
    d_ship: np.ndarray
    d_deliv: np.ndarray
    d_qty: np.ndarray
    d_doc: np.ndarray
    d_doc_line: np.ndarray
    d_shipment: np.ndarray
    sh_site: np.ndarray
    sh_cust: np.ndarray
    sh_ship: np.ndarray
    sh_deliv: np.ndarray
    sh_planned_pickup: np.ndarray
    sh_transit: np.ndarray
    sh_delay: np.ndarray
    sh_mode: np.ndarray
    sh_carrier: np.ndarray
    sh_weight: np.ndarray
    sh_volume: np.ndarray
    sh_value: np.ndarray
    r_dline: np.ndarray
    r_day: np.ndarray
    r_qty: np.ndarray
    r_reason: np.ndarray
    r_disp: np.ndarray
    r_credit: np.ndarray
    r_doc: np.ndarray
    r_line: np.ndarray
    dup_of: np.ndarray
    dup_line_no: np.ndarray
    dup_deleted_on: int


@dataclass
class Supply:
    tr_from: np.ndarray
    tr_to: np.ndarray
    tr_out: np.ndarray
    tr_in: np.ndarray
    tr_qty: np.ndarray
    mo_isite: np.ndarray
    mo_wc: np.ndarray
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
    mo_status: np.ndarray
    cons_mo: np.ndarray
    cons_isite: np.ndarray
    cons_day: np.ndarray
    cons_qty: np.ndarray
    cons_pos: np.ndarray
    iss_isite: np.ndarray
    iss_day: np.ndarray
    iss_qty: np.ndarray
    po_isite: np.ndarray
    po_item: np.ndarray
    po_site: np.ndarray
    po_sup: np.ndarray
    po_source: np.ndarray
    po_order: np.ndarray
    po_line_no: np.ndarray
    po_day: np.ndarray
    po_requested: np.ndarray
    po_qty: np.ndarray
    po_price: np.ndarray
    po_cancel: np.ndarray
    po_close: np.ndarray
    cf_line: np.ndarray
    cf_at: np.ndarray
    cf_date: np.ndarray
    cf_qty: np.ndarray
    cf_chase: np.ndarray         # bool: a reply to a chase
    gr_line: np.ndarray
    gr_day: np.ndarray
    gr_qty: np.ndarray
    gr_rej: np.ndarray
    gr_kind: np.ndarray
    gr_doc: np.ndarray
    gr_doc_line: np.ndarray
    si_gr: np.ndarray
    si_day: np.ndarray
    si_due: np.ndarray
    si_paid: np.ndarray
    si_qty: np.ndarray
    si_price: np.ndarray
    si_amount: np.ndarray
    si_credit: np.ndarray
    si_doc: np.ndarray
    si_doc_line: np.ndarray
    po_new_of_old: np.ndarray    # engine PO row -> PO line index here
    chase_replies: list          # what the suppliers answered to chases (truth)


@dataclass
class Inventory:
    isite: np.ndarray
    day: np.ndarray
    qty: np.ndarray
    value: np.ndarray
    mtype: np.ndarray
    rtype: np.ndarray
    ref_doc: pa.Array
    ref_line: pa.Array
    ref_index: np.ndarray
    cc_isite: np.ndarray
    cc_day: np.ndarray
    cc_system: np.ndarray
    cc_counted: np.ndarray
    sn_day: np.ndarray
    sn_isite: np.ndarray
    sn_on_hand: np.ndarray
    sn_allocated: np.ndarray
    sn_blocked: np.ndarray
    opening: np.ndarray


def _firsts(group: np.ndarray, n: int) -> np.ndarray:
    first = np.zeros(n, np.int64)
    first[group[::-1]] = np.arange(len(group))[::-1]
    return first


def sales_records(ctx: Ctx, b: Block) -> Sales:
    L, dl, sh, ret = b.lines, b.dl, b.sh, b.ret
    series = L.series
    d_line = dl.line
    order = L.order
    d_doc, d_rank, _ = group_ids(dl.day, order[d_line])
    # returns in the order they happen; one return document per customer and day
    o = np.argsort(ret.day, kind="stable")
    r_dl = ret.dl[o]
    r_cust = L.cust[d_line[r_dl]]
    r_doc, r_rank, _ = group_ids(ret.day[o], r_cust)
    # two order lines keyed twice by mistake, deleted on the second delta day
    dup_deleted_on = ctx.cutoff + 2
    dup_of = np.zeros(0, np.int64)
    if ctx.block == 0 and ctx.end - ctx.cutoff >= 2:
        cand = np.nonzero((L.cancel_reason < 0) & (L.order_day >= ctx.start + 5)
                          & (L.order_day < ctx.cutoff))[0]
        if len(cand) >= 2:
            dup_of = np.sort(cand[np.argsort(ctx.u("duplicate-lines", cand), kind="stable")[:2]])
    lines_per_order = np.bincount(order, minlength=int(order.max()) + 1 if len(order) else 0)
    dup_line_no = lines_per_order[order[dup_of]] + 1 + np.arange(len(dup_of))
    cancel_reason = np.where(L.status == 2, L.cancel_reason, -1)
    return Sales(
        isite=series, item=b.item[series], site=b.site[series], cust=L.cust, order=order,
        line_no=L.line_no, order_day=L.order_day, requested=L.requested, committed=L.committed,
        qty=L.qty, price=L.price, cancel_day=np.where(L.status == 2, L.cancel_day, NEVER),
        cancel_reason=cancel_reason, close_day=np.where(L.status == 1, L.close_day, NEVER),
        d_line=d_line, d_ship=dl.day, d_deliv=dl.deliv, d_qty=dl.qty, d_doc=d_doc,
        d_doc_line=d_rank + 1, d_shipment=dl.shipment,
        sh_site=sh.site, sh_cust=sh.cust, sh_ship=sh.day, sh_deliv=sh.deliv,
        sh_planned_pickup=sh.planned_pickup, sh_transit=sh.transit, sh_delay=sh.delay,
        sh_mode=sh.mode, sh_carrier=sh.carrier, sh_weight=sh.weight, sh_volume=sh.volume,
        sh_value=sh.value,
        r_dline=r_dl, r_day=ret.day[o], r_qty=ret.qty[o], r_reason=ret.reason[o],
        r_disp=ret.disp[o], r_credit=ret.credit[o], r_doc=r_doc, r_line=r_rank + 1,
        dup_of=dup_of, dup_line_no=dup_line_no, dup_deleted_on=dup_deleted_on,
    )


CHASE_KINDS = ("confirm", "redate", "silent")


def _chase_replies(ctx: Ctx, chase: list, po_order, rank, p: dict):
    """Suppliers answer the buyer's chases: a share confirms the date they hold, a share
    re-dates to when the goods will really come, a share stays silent. A chase of a line
    already closed or cancelled gets no answer. `chase` holds (PO number, line number,
    day asked, share confirm, share re-date) of this block."""
    key = (po_order + 1) * 100_000 + rank + 1
    order = np.argsort(key, kind="stable")
    cl, ca, cd, replies = [], [], [], []
    for po_no, line_no, asked, s_confirm, s_redate in chase:
        want = po_no * 100_000 + line_no
        at = np.searchsorted(key[order], want)
        if at >= len(key) or key[order][at] != want:
            continue
        i = order[at]
        u = ctx.u("chase", po_no, line_no, asked)[0]
        kind = "confirm" if u < s_confirm else "redate" if u < s_confirm + s_redate else "silent"
        closed = min(p["close"][i], p["cancel"][i]) <= asked
        by = (asked + 1) * 86_400                  # the date the supplier holds when asked
        prev_date = p["requested"][i]
        if p["confirmed"][i] and p["conf_at"][i] < by:
            prev_date = p["conf_date"][i]
        if p["redate"][i] and p["conf2_at"][i] < by:
            prev_date = p["r1"][i]
        day = asked + int(u_int(ctx.u("chase-lag", po_no, line_no, asked), 0, 2)[0])
        stamp = day * 86_400 + int(u_int(ctx.u("chase-time", po_no, line_no, asked), 8 * 3600,
                                         17 * 3600)[0])
        if closed:
            kind, date_ = "closed", None
        elif kind == "confirm":
            date_ = int(prev_date)
        elif kind == "redate":
            nxt = p["r1"][i] if p["r1"][i] > day else p["close"][i]
            date_ = int(max(nxt, day + 1)) if nxt < NEVER else int(max(prev_date, day + 1))
        else:
            date_ = None
        replies.append(dict(po_number=int(po_no), po_line=int(line_no), asked_on=int(asked),
                            response=kind, responded_on=day if date_ is not None else None,
                            confirmed_date=date_))
        if date_ is not None:
            cl.append(i)
            ca.append(stamp)
            cd.append(date_)
    return (np.array(cl, np.int64), np.array(ca, np.int64), np.array(cd, np.int64), replies)


def _next_weekday(days: np.ndarray, wd: int) -> np.ndarray:
    return days + (wd - (days + 3) % 7) % 7


def supply_records(ctx: Ctx, b: Block, chase: list | None = None) -> Supply:
    co = b.co
    po, gr, mo = b.po, b.gr, b.mo
    # PO lines: one PO per supplier × site × day, lines in item order
    o = np.lexsort((b.item[po.series], b.site[po.series], po.sup, po.day))
    new_of_old = np.empty(len(o), np.int64)
    new_of_old[o] = np.arange(len(o))
    p_series = po.series[o]
    po_order, rank, _ = group_ids(po.day[o], po.sup[o], b.site[p_series])
    p = {k: getattr(po, k)[o] for k in ("source", "sup", "day", "requested", "qty", "price",
                                        "cancel", "confirmed", "conf_at", "conf_date",
                                        "redate", "conf2_at", "r1", "close")}
    # confirmations: the first promise, a re-dating when late, replies to chases
    c1 = np.nonzero(p["confirmed"])[0]
    c2 = np.nonzero(p["redate"])[0]
    cf_line = [c1, c2]
    cf_at = [p["conf_at"][c1], p["conf2_at"][c2]]
    cf_date = [p["conf_date"][c1], p["r1"][c2]]
    cf_chase = [np.zeros(len(c1), bool), np.zeros(len(c2), bool)]
    replies = []
    if chase:
        cl, ca, cd, replies = _chase_replies(ctx, chase, po_order, rank, p)
        cf_line.append(cl)
        cf_at.append(ca)
        cf_date.append(cd)
        cf_chase.append(np.ones(len(cl), bool))
    cf_line, cf_at = np.concatenate(cf_line), np.concatenate(cf_at)
    cf_date, cf_chase = np.concatenate(cf_date), np.concatenate(cf_chase)
    oc = np.lexsort((cf_line, cf_at))
    cf_line, cf_at, cf_date, cf_chase = cf_line[oc], cf_at[oc], cf_date[oc], cf_chase[oc]

    # goods receipts in the order they are posted; a document per PO × day
    g_line = new_of_old[gr.line]
    g_kind = gr.kind
    is_rts = (g_kind == GR_RTS).astype(np.int64)
    og = np.lexsort((gr.seq, g_line, is_rts, po_order[g_line], gr.day))
    gr_line, gr_day, gr_qty, gr_rej, gr_kind = (g_line[og], gr.day[og], gr.qty[og],
                                                gr.rej[og], g_kind[og])
    gr_doc, gr_rank, _ = group_ids(gr_day, po_order[gr_line], (gr_kind == GR_RTS).astype(np.int64))

    # supplier invoices: one per receipt document; credit notes for returns to supplier
    sup = co.suppliers
    inv = np.nonzero((gr_kind == GR_NORMAL) & (gr_qty - gr_rej > 0))[0]
    cn = np.nonzero(gr_kind == GR_RTS)[0]
    g_sup = p["sup"][gr_line]
    lag = sup.invoice_lag_days.to_numpy()[g_sup]
    doc_lag = u_int(ctx.u("invoice-lag", gr_doc), 0, 3)
    si_gr = np.concatenate([inv, cn])
    si_credit = np.concatenate([np.zeros(len(inv), bool), np.ones(len(cn), bool)])
    si_day = gr_day[si_gr] + np.where(si_credit, 2 + doc_lag[si_gr] * 2, lag[si_gr] + doc_lag[si_gr])
    base_price = p["price"][gr_line[si_gr]]
    u = ctx.u("invoice-price", si_gr)
    wrong_price = (~si_credit) & (u < .03)
    up = 1.01 + .07 * ctx.u("invoice-price-up", si_gr)
    si_price = np.round(base_price * np.where(wrong_price, up, 1.0), 4)
    si_qty = np.where(si_credit, -gr_qty[si_gr], gr_qty[si_gr] - gr_rej[si_gr])
    si_amount = money(si_qty, si_price)
    terms = sup.payment_terms_days.to_numpy()[g_sup[si_gr]]
    si_due = np.where(si_credit, si_day, si_day + terms)
    paid_late = (~si_credit) & (ctx.u("invoice-paid-late", si_gr) < .1)
    late_days = u_int(ctx.u("invoice-late-days", si_gr), 5, 31)
    si_paid = _next_weekday(si_due + np.where(paid_late, late_days, 0), 3)
    oi = np.lexsort((gr_doc[si_gr], si_credit, si_day))
    si_gr, si_credit, si_day, si_price, si_qty, si_amount, si_due, si_paid = (
        a[oi] for a in (si_gr, si_credit, si_day, si_price, si_qty, si_amount, si_due, si_paid))
    si_doc, si_rank, _ = group_ids(si_credit.astype(np.int64), si_day, gr_doc[si_gr])

    # production orders
    status = np.where(mo.cancel < NEVER, 4, np.where(mo.finish < NEVER, 3,
                                                     np.where(mo.start < NEVER, 2, 1)))
    done = mo.finish < NEVER
    return Supply(
        tr_from=b.tr.src, tr_to=b.tr.dst, tr_out=b.tr.out, tr_in=b.tr.arrive, tr_qty=b.tr.qty,
        mo_isite=mo.series, mo_wc=mo.wc, mo_created=mo.created, mo_released=mo.released,
        mo_pstart=mo.ps, mo_pfinish=mo.pf, mo_astart=mo.start, mo_afinish=mo.finish,
        mo_cancel=mo.cancel, mo_planned=mo.planned,
        mo_produced=np.where(done, mo.produced, np.nan),
        mo_scrapped=np.where(done, mo.scrapped, np.nan), mo_status=status,
        cons_mo=b.cons.mo, cons_isite=b.cons.series, cons_day=b.cons.day, cons_qty=b.cons.qty,
        cons_pos=b.cons.pos,
        iss_isite=b.iss.series, iss_day=b.iss.day, iss_qty=b.iss.qty,
        po_isite=p_series, po_item=b.item[p_series], po_site=b.site[p_series], po_sup=p["sup"],
        po_source=p["source"], po_order=po_order, po_line_no=rank + 1, po_day=p["day"],
        po_requested=p["requested"], po_qty=p["qty"], po_price=p["price"], po_cancel=p["cancel"],
        po_close=p["close"],
        cf_line=cf_line, cf_at=cf_at, cf_date=cf_date, cf_qty=p["qty"][cf_line], cf_chase=cf_chase,
        gr_line=gr_line, gr_day=gr_day, gr_qty=gr_qty, gr_rej=gr_rej, gr_kind=gr_kind,
        gr_doc=gr_doc, gr_doc_line=gr_rank + 1,
        si_gr=si_gr, si_day=si_day, si_due=si_due, si_paid=si_paid, si_qty=si_qty,
        si_price=si_price, si_amount=si_amount, si_credit=si_credit, si_doc=si_doc,
        si_doc_line=si_rank + 1, po_new_of_old=new_of_old, chase_replies=replies,
    )


def inventory_records(ctx: Ctx, b: Block, s: Sales, sup: Supply) -> Inventory:
    S = b.S
    std = b.std
    parts: list[dict] = []

    def add(isite, day, qty, mtype, rtype, ref_doc, ref_line, ref_index):
        parts.append(dict(isite=np.asarray(isite, np.int64), day=np.asarray(day, np.int64),
                          qty=np.asarray(qty, float), mtype=np.full(len(isite), MT[mtype]),
                          rtype=np.full(len(isite), RT[rtype]), ref_doc=ref_doc,
                          ref_line=ref_line, ref_index=np.asarray(ref_index, np.int64)))

    # opening balances on the first day of history
    has = np.nonzero(b.opening > 0)[0]
    site_ids = b.co.sites.site_id.to_numpy()[b.site[has]]
    add(has, np.full(len(has), ctx.start), b.opening[has], "adjustment", "opening_balance",
        pa.array([f"OB-{x}" for x in site_ids], pa.string()), pa.nulls(len(has), pa.string()), has)
    # goods receipts: accepted quantity in; the typo and its reversal; returns to supplier
    k = sup.gr_kind
    signed = np.select([k == GR_NORMAL, k == GR_WRONG, k == GR_REVERSAL, k == GR_RTS],
                       [sup.gr_qty - sup.gr_rej, sup.gr_qty, -sup.gr_qty, -sup.gr_qty])
    g = np.nonzero(signed != 0)[0]
    gr_isite = sup.po_isite[sup.gr_line]
    rts = k[g] == GR_RTS
    for sel, mtype in ((g[~rts], "receipt"), (g[rts], "issue")):
        add(gr_isite[sel], sup.gr_day[sel], signed[sel], mtype, "goods_receipt",
            ctx.ids("GR-", sup.gr_doc[sel] + 1, 7), nums_text(sup.gr_doc_line[sel]), sel)
    d = np.arange(len(s.d_line))
    add(s.isite[s.d_line], s.d_ship, -s.d_qty, "sale", "delivery",
        ctx.ids("DL-", s.d_doc + 1, 7), nums_text(s.d_doc_line), d)
    t = np.arange(len(sup.tr_qty))
    to_ids = ctx.ids("TO-", t + 1, 7)
    one = nums_text(np.ones(len(t)))
    add(sup.tr_from, sup.tr_out, -sup.tr_qty, "transfer_out", "transfer_order", to_ids, one, t)
    add(sup.tr_to, sup.tr_in, sup.tr_qty, "transfer_in", "transfer_order", to_ids, one, t)
    add(sup.cons_isite, sup.cons_day, -sup.cons_qty, "consumption", "production_order",
        ctx.ids("MO-", sup.cons_mo + 1, 7), nums_text(sup.cons_pos + 1), sup.cons_mo)
    done = np.nonzero(sup.mo_afinish < NEVER)[0]
    add(sup.mo_isite[done], sup.mo_afinish[done], sup.mo_produced[done], "production_in",
        "production_order", ctx.ids("MO-", done + 1, 7), pa.nulls(len(done), pa.string()), done)
    i = np.arange(len(sup.iss_qty))
    add(sup.iss_isite, sup.iss_day, -sup.iss_qty, "issue", "maintenance_order",
        ctx.ids("WO-", i + 1, 7), pa.nulls(len(i), pa.string()), i)
    r = np.arange(len(s.r_dline))
    r_isite = s.isite[s.d_line[s.r_dline]]
    rt_ids = ctx.ids("RT-", s.r_doc + 1, 7)
    add(r_isite, s.r_day, s.r_qty, "return", "return", rt_ids, nums_text(s.r_line), r)
    sc = np.nonzero(s.r_disp == 2)[0]
    add(r_isite[sc], s.r_day[sc], -s.r_qty[sc], "scrap", "return",
        rt_ids.take(pa.array(sc)), nums_text(s.r_line[sc]), sc)
    w = np.arange(len(b.scrap))
    add(b.scrap.series, b.scrap.day, -b.scrap.qty, "scrap", "scrap_note",
        ctx.ids("SN-", w + 1, 7), pa.nulls(len(w), pa.string()), w)
    cc = b.cc
    delta = np.round(cc.counted - cc.system, 4)
    adj = np.nonzero(delta != 0)[0]
    add(cc.series[adj], cc.day[adj], delta[adj], "adjustment", "cycle_count",
        ctx.ids("CC-", adj + 1, 7), pa.nulls(len(adj), pa.string()), adj)

    cat = lambda key: np.concatenate([p_[key] for p_ in parts])       # noqa: E731
    isite, day, qty = cat("isite"), cat("day"), cat("qty")
    o = np.argsort(day, kind="stable")
    o_pa = pa.array(o)
    qty = np.round(qty[o], 4)
    isite = isite[o]

    # snapshots: every Sunday and every day from the cut-off on
    sn_days = np.array(b.snap_days, np.int64)
    ns = len(sn_days)
    on_hand = np.round(np.concatenate(b.snap_stock) if ns else np.zeros(0), 4)
    open_q = np.concatenate(b.snap_open) if ns else np.zeros(0)
    sn_day = np.repeat(sn_days, S)
    sn_isite = np.tile(np.arange(S), ns)
    allocated = np.round(np.minimum(np.clip(open_q, 0, None), on_hand), 4)
    kg = b.kg[sn_isite]
    blocked = np.where(kg, np.round(on_hand * .05, 1), np.floor(on_hand * .05))
    draw = ctx.u("blocked-stock", sn_day, sn_isite) < .03
    blocked = np.where(draw, np.minimum(blocked, on_hand - allocated), 0.0)
    return Inventory(
        isite=isite, day=day[o], qty=qty, value=money(qty, std[isite]), mtype=cat("mtype")[o],
        rtype=cat("rtype")[o], ref_doc=pa.concat_arrays([p_["ref_doc"] for p_ in parts]).take(o_pa),
        ref_line=pa.concat_arrays([p_["ref_line"] for p_ in parts]).take(o_pa),
        ref_index=cat("ref_index")[o],
        cc_isite=cc.series, cc_day=cc.day, cc_system=np.round(cc.system, 4),
        cc_counted=np.round(cc.counted, 4),
        sn_day=sn_day, sn_isite=sn_isite, sn_on_hand=on_hand, sn_allocated=allocated,
        sn_blocked=np.round(np.maximum(blocked, 0), 4), opening=b.opening,
    )
