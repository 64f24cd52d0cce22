"""Finance: daily exchange rates, customer billing and payments, the general ledger
(consistent with every invoice, receipt and stock movement), budgets, and the planners'
overrides of the S&OP cycle."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from .core import NEVER, Ctx, date_of, group_ids, month_start, money, u_int
from .engine import GR_NORMAL, GR_REVERSAL, GR_RTS, GR_WRONG
from .logistics import Logistics
from .master import FX0, Company
from .records import MT, RT, Inventory, Sales, Supply

ACCOUNTS = {   # code: (name, account_type)
    "1000": ("Bank", "other"), "1200": ("Accounts receivable", "ar"),
    "1400": ("Inventory", "inventory"), "1410": ("Work in progress", "inventory"),
    "1420": ("Goods in transit", "inventory"), "2100": ("Accounts payable", "ap"),
    "2150": ("GR/IR clearing", "grir"), "3900": ("Opening balance equity", "other"),
    "4000": ("Revenue", "revenue"), "4100": ("Sales credits", "revenue"),
    "5000": ("Cost of goods sold", "cogs"), "5100": ("Freight", "freight"),
    "5200": ("Purchase price variance", "other"), "5300": ("Inventory adjustments", "other"),
    "5310": ("Scrap", "other"), "6100": ("Maintenance expense", "other"),
}
ACCOUNT_CODES = list(ACCOUNTS)
AC = {a: i for i, a in enumerate(ACCOUNT_CODES)}
GL_REFS = ["customer_invoice", "customer_credit_note", "customer_payment", "supplier_invoice",
           "supplier_credit_note", "supplier_payment", "goods_receipt", "freight_invoice",
           "carrier_payment", "inventory_journal", "manual_journal"]
# planted reconciliation differences: the rate per document (at least one per kind)
P_AR_POSTING_ERROR = 0.0002
P_AP_NOT_POSTED = 0.0002
P_MANUAL_JOURNAL = 0.2          # per site and month-end
GR_ = {r: i for i, r in enumerate(GL_REFS)}
# offset account of a stock movement posted in the daily inventory journal
JOURNAL_OFFSET = {"sale": "5000", "return": "5000", "issue": "6100", "production_in": "1410",
                  "consumption": "1410", "transfer_in": "1420", "transfer_out": "1420",
                  "adjustment": "5300", "scrap": "5310"}


# --- exchange rates ---------------------------------------------------------------------------

def fx_rates(ctx: Ctx, co: Company) -> np.ndarray:
    """rate[currency, day] = USD per unit, for every calendar day of the history (a random
    walk per currency, each from its own stream, so a longer run extends it)."""
    days = ctx.end - ctx.start + 1
    out = np.ones((len(co.currencies), days))
    for i, c in enumerate(co.currencies):
        if c == "USD":
            continue
        walk = np.cumsum(ctx.rng(f"fx-{c}").normal(0, .004, days))
        out[i] = FX0[c] * np.exp(walk)
    return np.round(out, 8)


# --- customer billing -------------------------------------------------------------------------

@dataclass
class Billing:
    # invoice lines: first every delivery line, then every return line (credit notes)
    src: np.ndarray          # delivery row or return row
    credit: np.ndarray
    doc: np.ndarray          # CI / CN number (0-based, per kind)
    line: np.ndarray
    cust: np.ndarray
    site: np.ndarray
    so_line: np.ndarray      # index of the sales order line
    day: np.ndarray
    due: np.ndarray
    paid: np.ndarray
    amount: np.ndarray


def customer_billing(ctx: Ctx, co: Company, s: Sales) -> Billing:
    cust = co.customers
    nd = len(s.d_line)
    c = s.cust[s.d_line]
    amount = money(s.d_qty, s.price[s.d_line])
    due = s.d_ship + cust.payment_terms_days.to_numpy()[c]
    n_doc = int(s.d_doc.max()) + 1 if nd else 0
    # payment behaviour per document: the customer's mean delay, a few never paid
    doc_cust = np.zeros(n_doc, np.int64)
    doc_cust[s.d_doc] = c
    docs = np.arange(n_doc)
    mean = np.maximum(cust.pay_delay_mean.to_numpy()[doc_cust], .1)
    late = np.round(-np.log1p(-ctx.u("pay-late", docs)) * mean)
    early = u_int(ctx.u("pay-early", docs), 0, 4)
    never = ctx.u("pay-never", docs) < .005
    doc_due = np.zeros(n_doc, np.int64)
    doc_due[s.d_doc] = due
    doc_paid = np.where(never, NEVER, doc_due + late.astype(np.int64) - early)
    paid = np.maximum(doc_paid[s.d_doc], s.d_ship + 1)
    paid = np.where(doc_paid[s.d_doc] >= NEVER, NEVER, paid)

    nr = len(s.r_dline)
    n_rdoc = int(s.r_doc.max()) + 1 if nr else 0
    cn_lag = u_int(ctx.u("credit-note-lag", np.arange(max(n_rdoc, 1))), 1, 5)
    r_day = s.r_day + cn_lag[s.r_doc] if nr else s.r_day
    r_sol = s.d_line[s.r_dline]
    return Billing(
        src=np.concatenate([np.arange(nd), np.arange(nr)]),
        credit=np.concatenate([np.zeros(nd, bool), np.ones(nr, bool)]),
        doc=np.concatenate([s.d_doc, s.r_doc]),
        line=np.concatenate([s.d_doc_line, s.r_line]),
        cust=np.concatenate([c, s.cust[r_sol]]),
        site=np.concatenate([s.site[s.d_line], s.site[r_sol]]),
        so_line=np.concatenate([s.d_line, r_sol]),
        day=np.concatenate([s.d_ship, r_day]),
        due=np.concatenate([due, r_day]),
        paid=np.concatenate([paid, r_day + 7]),
        amount=np.concatenate([amount, -s.r_credit]),
    )


# --- general ledger ---------------------------------------------------------------------------

@dataclass
class Ledger:
    day: np.ndarray
    entry: np.ndarray
    line: np.ndarray
    account: np.ndarray
    amount: np.ndarray
    currency: np.ndarray       # index into company currencies
    amount_cc: np.ndarray
    cost_center: pa.Array
    partner: pa.Array
    ref_type: np.ndarray
    ref_doc: pa.Array


class _Lines:
    def __init__(self, ctx: Ctx, co: Company, rates: np.ndarray):
        self.ctx, self.co, self.rates, self.parts = ctx, co, rates, []
        self.cur = {c: i for i, c in enumerate(co.currencies)}

    def add(self, day, doc_type, doc_no, seq, account, amount, currency, cost_center,
            partner, ref_doc, balancer=False):
        n = len(day)
        if n == 0:
            return
        cur = np.asarray(currency)
        if cur.dtype.kind in "OU":
            cur = np.array([self.cur[c] for c in cur], np.int64) if n < 50 else \
                pd.Series(cur).map(self.cur).to_numpy(np.int64)
        self.parts.append(dict(
            day=np.asarray(day, np.int64), doc_type=np.full(n, GR_[doc_type]),
            doc_no=np.asarray(doc_no, np.int64), seq=np.full(n, seq),
            account=np.full(n, AC[account]), amount=np.round(np.asarray(amount, float), 2),
            currency=np.broadcast_to(cur, (n,)).astype(np.int64),
            cost_center=cost_center if isinstance(cost_center, pa.Array) else pa.array(
                np.broadcast_to(np.asarray(cost_center, object), (n,)), pa.string()),
            partner=partner if isinstance(partner, pa.Array) else pa.nulls(n, pa.string()),
            ref_doc=ref_doc, balancer=np.full(n, balancer)))

    def build(self) -> Ledger:
        P = self.parts
        cat = lambda k: np.concatenate([p[k] for p in P])          # noqa: E731
        day, doc_type, doc_no, seq = cat("day"), cat("doc_type"), cat("doc_no"), cat("seq")
        keep = day <= self.ctx.end
        o = np.nonzero(keep)[0]
        o = o[np.lexsort((seq[o], doc_no[o], doc_type[o], day[o]))]
        day, doc_type, doc_no = day[o], doc_type[o], doc_no[o]
        account, amount, currency = cat("account")[o], cat("amount")[o], cat("currency")[o]
        balancer = cat("balancer")[o]
        take = pa.array(o)
        cc = pa.concat_arrays([p["cost_center"] for p in P]).take(take)
        partner = pa.concat_arrays([p["partner"] for p in P]).take(take)
        ref = pa.concat_arrays([p["ref_doc"] for p in P]).take(take)
        entry, rank, n_entries = group_ids(day, doc_type, doc_no)
        rate = self.rates[currency, day - self.ctx.start]
        amount_cc = np.round(amount * rate, 2)
        amount_cc = np.where(balancer, 0.0, amount_cc)
        # each entry balances in company currency: the residual goes to its last line
        residual = np.round(np.bincount(entry, weights=amount_cc, minlength=n_entries), 2)
        last = np.zeros(n_entries, np.int64)
        last[entry] = np.arange(len(entry))
        amount_cc[last] = np.round(amount_cc[last] - residual, 2)
        amount = np.where(balancer, amount_cc, amount)
        drop = balancer & (np.abs(amount) < .005)
        if drop.any():
            k = np.nonzero(~drop)[0]
            kp = pa.array(k)
            day, doc_type, entry, account, amount, currency, amount_cc = (
                a[k] for a in (day, doc_type, entry, account, amount, currency, amount_cc))
            cc, partner, ref = cc.take(kp), partner.take(kp), ref.take(kp)
            entry, rank, _ = group_ids(entry)
        return Ledger(day, entry, rank + 1, account, amount, currency, amount_cc, cc, partner,
                      doc_type, ref)


def _planted(ctx: Ctx, name: str, docs: np.ndarray, day: np.ndarray, rate: float) -> np.ndarray:
    """Documents chosen for a planted difference: a known rate, and in block 0 at least
    the one with the smallest draw among those dated up to the cut-off."""
    u = ctx.u(name, docs)
    sel = u < rate
    early = np.nonzero(day <= ctx.cutoff)[0]
    if ctx.block == 0 and len(early):
        sel[early[np.argmin(u[early])]] = True
    return sel


def general_ledger(ctx: Ctx, co: Company, rates: np.ndarray, s: Sales, b: Billing,
                   sup: Supply, lg: Logistics, inv: Inventory,
                   planted: list | None = None) -> Ledger:
    """The double-entry ledger of the block, consistent with every sub-ledger document
    except the planted differences, which are appended to `planted` (truth rows)."""
    planted = [] if planted is None else planted
    L = _Lines(ctx, co, rates)
    ids = ctx.ids
    site_ids = co.sites.site_id.to_numpy()
    site_cc = np.array([f"CC-{x}" for x in site_ids], object)
    site_cur = np.array([L.cur[c] for c in co.sites.currency])
    cust_ids = co.customers.customer_id.to_numpy()
    sup_ids = co.suppliers.supplier_id.to_numpy()
    car_ids = co.carriers.carrier_id.to_numpy()

    def per_doc(key_doc, values, n):
        return np.bincount(key_doc, weights=values, minlength=n)

    # customer invoices and credit notes: receivable against revenue
    for credit, prefix, kind, acct in ((False, "CI-", "customer_invoice", "4000"),
                                       (True, "CN-", "customer_credit_note", "4100")):
        m = np.nonzero(b.credit == credit)[0]
        if not len(m):
            continue
        n_doc = int(b.doc[m].max()) + 1
        total = np.round(per_doc(b.doc[m], b.amount[m], n_doc), 2)
        first = np.zeros(n_doc, np.int64)
        first[b.doc[m][::-1]] = m[::-1]
        docs = np.unique(b.doc[m])
        f = first[docs]
        ref = ids(prefix, docs + 1, 7)
        partner = pa.array(cust_ids[b.cust[f]], pa.string())
        cc = site_cc[b.site[f]]
        posted = total[docs]
        if not credit:
            # planted: an invoice posted to the receivable with a wrong amount (±10 %)
            bad = _planted(ctx, "ar-posting-error", docs, b.day[f], P_AR_POSTING_ERROR)
            bad &= (b.day[f] <= ctx.end) & (np.abs(posted) >= 1)
            err = np.round(posted * np.where(ctx.u("ar-posting-sign", docs) < .5, .1, -.1), 2)
            err = np.where(bad, err, 0.0)
            posted = np.round(posted + err, 2)
            for k in np.nonzero(bad)[0]:
                cur = co.currencies[site_cur[b.site[f[k]]]]
                planted.append(dict(
                    what="ar_posting_differs_from_invoice", account="1200",
                    cost_center=cc[k], partner_id=cust_ids[b.cust[f[k]]],
                    ref_doc_type=kind, ref_doc_id=ref[k].as_py(), posting_date=int(b.day[f[k]]),
                    amount=float(err[k]), currency=cur,
                    amount_company=round(float(err[k]) * rates[site_cur[b.site[f[k]]],
                                                                 b.day[f[k]] - ctx.start], 2),
                    detail=f"invoice total {posted[k] - err[k]:.2f} posted as {posted[k]:.2f}"))
        L.add(b.day[f], kind, docs, 0, "1200", posted, site_cur[b.site[f]], cc, partner, ref)
        L.add(b.day[f], kind, docs, 1, acct, -posted, site_cur[b.site[f]], cc, None, ref)
    # customer payments: one receipt per customer, day and currency
    paid = np.nonzero(b.paid < NEVER)[0]
    g, _, ng = group_ids(b.paid[paid], b.cust[paid])
    tot = np.round(np.bincount(g, weights=b.amount[paid], minlength=ng), 2)
    first = np.zeros(ng, np.int64)
    first[g[::-1]] = paid[::-1]
    pref = ids("CP-", np.arange(ng) + 1, 7)
    part = pa.array(cust_ids[b.cust[first]], pa.string())
    cur = site_cur[b.site[first]]
    L.add(b.paid[first], "customer_payment", np.arange(ng), 0, "1000", tot, cur, "CC-HQ", None, pref)
    L.add(b.paid[first], "customer_payment", np.arange(ng), 1, "1200", -tot, cur, "CC-HQ", part, pref)

    # goods receipts: stock at standard cost against GR/IR at the PO price
    po_cur = np.array([L.cur[c] for c in co.suppliers.currency.to_numpy()])[sup.po_sup]
    k = sup.gr_kind
    signed = np.select([k == GR_NORMAL, k == GR_WRONG, k == GR_REVERSAL, k == GR_RTS],
                       [sup.gr_qty - sup.gr_rej, sup.gr_qty, -sup.gr_qty, -sup.gr_qty])
    n_doc = int(sup.gr_doc.max()) + 1 if len(sup.gr_doc) else 0
    grir = np.round(per_doc(sup.gr_doc, money(signed, sup.po_price[sup.gr_line]), n_doc), 2)
    gm = inv.rtype == RT["goods_receipt"]
    stock = np.round(per_doc(sup.gr_doc[inv.ref_index[gm]], inv.value[gm], n_doc), 2)
    first = np.zeros(n_doc, np.int64)
    first[sup.gr_doc[::-1]] = np.arange(len(sup.gr_doc))[::-1]
    docs = np.nonzero((grir != 0) | (stock != 0))[0]
    f = first[docs]
    line = sup.gr_line[f]
    day = sup.gr_day[f]
    ref = ids("GR-", docs + 1, 7)
    cc = site_cc[sup.po_site[line]]
    L.add(day, "goods_receipt", docs, 0, "1400", stock[docs], site_cur[sup.po_site[line]], cc,
          None, ref)
    L.add(day, "goods_receipt", docs, 1, "2150", -grir[docs], po_cur[line], cc, None, ref)
    L.add(day, "goods_receipt", docs, 2, "5200", np.zeros(len(docs)), L.cur["USD"], cc, None, ref,
          balancer=True)

    # supplier invoices: GR/IR cleared at the PO price, price differences to PPV, payable
    for credit, prefix, kind in ((False, "SI-", "supplier_invoice"),
                                 (True, "SC-", "supplier_credit_note")):
        m = np.nonzero(sup.si_credit == credit)[0]
        if not len(m):
            continue
        doc = sup.si_doc[m] - sup.si_doc[m].min()
        n_doc = int(doc.max()) + 1
        po_line = sup.gr_line[sup.si_gr[m]]
        at_po = np.round(per_doc(doc, money(sup.si_qty[m], sup.po_price[po_line]), n_doc), 2)
        total = np.round(per_doc(doc, sup.si_amount[m], n_doc), 2)
        first = np.zeros(n_doc, np.int64)
        first[doc[::-1]] = m[::-1]
        docs = np.arange(n_doc)
        f = first
        pl = sup.gr_line[sup.si_gr[f]]
        ref = ids(prefix, docs + 1, 7)
        if not credit:
            # planted: a supplier invoice never posted to the ledger
            miss = _planted(ctx, "ap-not-posted", docs, sup.si_day[f], P_AP_NOT_POSTED)
            miss &= sup.si_day[f] <= ctx.end
            for k in np.nonzero(miss)[0]:
                planted.append(dict(
                    what="ap_invoice_not_posted", account="2100",
                    cost_center=site_cc[sup.po_site[pl[k]]],
                    partner_id=sup_ids[sup.po_sup[pl[k]]], ref_doc_type=kind,
                    ref_doc_id=ref[k].as_py(), posting_date=int(sup.si_day[f[k]]),
                    amount=-float(total[k]), currency=co.currencies[po_cur[pl[k]]],
                    amount_company=-round(float(total[k]) * rates[po_cur[pl[k]],
                                                                  sup.si_day[f[k]] - ctx.start], 2),
                    detail="invoice missing in the ledger (AP, GR/IR and PPV not posted)"))
            keep = np.nonzero(~miss)[0]
            kp = pa.array(keep)
            docs, f, pl, ref = docs[keep], f[keep], pl[keep], ref.take(kp)
            at_po, total = at_po[keep], total[keep]
        part = pa.array(sup_ids[sup.po_sup[pl]], pa.string())
        cc = site_cc[sup.po_site[pl]]
        cur = po_cur[pl]
        L.add(sup.si_day[f], kind, docs, 0, "2150", at_po, cur, cc, None, ref)
        ppv = np.round(total - at_po, 2)
        pv = np.nonzero(ppv != 0)[0]
        L.add(sup.si_day[f][pv], kind, docs[pv], 1, "5200", ppv[pv], cur[pv], cc[pv], None,
              ref.take(pa.array(pv)))
        L.add(sup.si_day[f], kind, docs, 2, "2100", -total, cur, cc, part, ref)
    # supplier payments: one per supplier, payment run and currency
    paid = np.nonzero(sup.si_paid < NEVER)[0]
    psup = sup.po_sup[sup.gr_line[sup.si_gr[paid]]]
    g, _, ng = group_ids(sup.si_paid[paid], psup)
    tot = np.round(np.bincount(g, weights=sup.si_amount[paid], minlength=ng), 2)
    first = np.zeros(ng, np.int64)
    first[g[::-1]] = paid[::-1]
    fs = sup.po_sup[sup.gr_line[sup.si_gr[first]]]
    pref = ids("SP-", np.arange(ng) + 1, 7)
    cur = po_cur[sup.gr_line[sup.si_gr[first]]]
    L.add(sup.si_paid[first], "supplier_payment", np.arange(ng), 0, "2100", tot, cur, "CC-HQ",
          pa.array(sup_ids[fs], pa.string()), pref)
    L.add(sup.si_paid[first], "supplier_payment", np.arange(ng), 1, "1000", -tot, cur, "CC-HQ",
          None, pref)

    # freight invoices: expense against payable; paid after the carrier's terms
    if len(lg.fr_doc):
        n_doc = int(lg.fr_doc.max()) + 1
        total = np.round(per_doc(lg.fr_doc, lg.fr_amount, n_doc), 2)
        first = np.zeros(n_doc, np.int64)
        first[lg.fr_doc[::-1]] = np.arange(len(lg.fr_doc))[::-1]
        docs = np.arange(n_doc)
        car = lg.fr_carrier[first]
        cur = np.array([L.cur[c] for c in co.carriers.currency.to_numpy()])[car]
        ref = ids("FI-", docs + 1, 7)
        part = pa.array(car_ids[car], pa.string())
        cc = site_cc[lg.fr_site[first]]
        day = lg.fr_day[first]
        L.add(day, "freight_invoice", docs, 0, "5100", total, cur, cc, None, ref)
        L.add(day, "freight_invoice", docs, 1, "2100", -total, cur, cc, part, ref)
        pay = day + co.carriers.payment_terms_days.to_numpy()[car]
        L.add(pay, "carrier_payment", docs, 0, "2100", total, cur, "CC-HQ", part, ref)
        L.add(pay, "carrier_payment", docs, 1, "1000", -total, cur, "CC-HQ", None, ref)

    # daily inventory journal per site and movement type (goods receipts posted above)
    m = np.nonzero((inv.rtype != RT["goods_receipt"]) & (inv.day <= ctx.end))[0]
    opening = inv.rtype[m] == RT["opening_balance"]
    msite = co.item_sites.site.to_numpy()[inv.isite[m]]
    jt = np.where(opening, len(MT), inv.mtype[m])
    g, _, ng = group_ids(inv.day[m], msite, jt)
    tot = np.round(np.bincount(g, weights=inv.value[m], minlength=ng), 2)
    first = np.zeros(ng, np.int64)
    first[g[::-1]] = m[::-1]
    gsite = co.item_sites.site.to_numpy()[inv.isite[first]]
    gjt = np.zeros(ng, np.int64)
    gjt[g] = jt
    names = {i: t for t, i in MT.items()} | {len(MT): "opening"}
    day = inv.day[first]
    ymd = pd.to_datetime(day, unit="D").strftime("%Y%m%d").to_numpy()
    ref = pa.array([f"IJ-{site_ids[s_]}-{d_}-{names[j_]}" for s_, d_, j_ in zip(gsite, ymd, gjt)],
                   pa.string())
    cc = site_cc[gsite]
    cur = site_cur[gsite]
    doc_no = np.arange(ng)
    L.add(day, "inventory_journal", doc_no, 0, "1400", tot, cur, cc, None, ref)
    for j_, offset in list(JOURNAL_OFFSET.items()) + [("opening", "3900")]:
        code = len(MT) if j_ == "opening" else MT[j_]
        sel = np.nonzero(gjt == code)[0]
        L.add(day[sel], "inventory_journal", doc_no[sel], 1, offset, -tot[sel], cur[sel], cc[sel],
              None, ref.take(pa.array(sel)))
    if ctx.block == 0:
        _manual_journals(ctx, co, L, rates, planted)
    return L.build()


def _manual_journals(ctx: Ctx, co: Company, L: _Lines, rates: np.ndarray, planted: list) -> None:
    """Planted: month-end manual journals on the stock account of a site (booked against
    inventory adjustments) with no stock movement behind them."""
    days = np.arange(ctx.start, ctx.end + 1)
    month_end = days[month_start(days + 1) == days + 1]
    n_sites = len(co.sites)
    me = np.repeat(month_end, n_sites)
    site = np.tile(np.arange(n_sites), len(month_end))
    key = (me - ctx.start) * 100 + site
    sel = _planted(ctx, "manual-journal", key, me, P_MANUAL_JOURNAL)
    me, site, key = me[sel], site[sel], key[sel]
    if not len(me):
        return
    fx = np.array([FX0[c] for c in co.sites.currency.to_numpy()])[site]
    usd = 500 + 4500 * ctx.u("manual-journal-amount", key)
    amount = np.round(usd / fx * np.where(ctx.u("manual-journal-sign", key) < .5, -1, 1), 2)
    site_ids = co.sites.site_id.to_numpy()[site]
    ymd = [date_of(d).strftime("%Y%m") for d in me]
    ref = pa.array([f"MJ-{x}-{y}" for x, y in zip(site_ids, ymd)], pa.string())
    cc = np.array([f"CC-{x}" for x in site_ids], object)
    cur_ix = np.array([L.cur[c] for c in co.sites.currency.to_numpy()])[site]
    docs = np.arange(len(me))
    L.add(me, "manual_journal", docs, 0, "1400", amount, cur_ix, cc, None, ref)
    L.add(me, "manual_journal", docs, 1, "5300", -amount, cur_ix, cc, None, ref)
    for k in range(len(me)):
        planted.append(dict(
            what="inventory_gl_vs_subledger", account="1400", cost_center=cc[k], partner_id=None,
            ref_doc_type="manual_journal", ref_doc_id=ref[k].as_py(), posting_date=int(me[k]),
            amount=float(amount[k]), currency=co.currencies[cur_ix[k]],
            amount_company=round(float(amount[k]) * rates[cur_ix[k], me[k] - ctx.start], 2),
            detail="manual journal on the stock account without a stock movement"))


# --- budgets and plan overrides ---------------------------------------------------------------

BUDGET_WINDOW = 365      # budgets are set from the spend of the first year of history


def budget_window(ctx: Ctx) -> tuple[int, int]:
    return ctx.start, ctx.start + min(BUDGET_WINDOW, ctx.tier.history_days) - 1


def spend_aggregates(ctx: Ctx, co: Company, sup: Supply, lg: Logistics, acc: dict) -> None:
    """Add the block's spend in the budget window (USD at the base rates) to `acc`."""
    lo, hi = budget_window(ctx)
    m = (sup.po_day >= lo) & (sup.po_day <= hi) & (sup.po_cancel >= NEVER)
    cat = co.items.category.to_numpy()[sup.po_item[m]]
    fx = np.array([FX0[c] for c in co.suppliers.currency.to_numpy()])[sup.po_sup[m]]
    usd = sup.po_qty[m] * sup.po_price[m] * fx
    for (site, c), v in pd.DataFrame(dict(site=sup.po_site[m], c=cat, v=usd)).groupby(
            ["site", "c"], sort=True).v.sum().items():
        acc[(int(site), c)] = acc.get((int(site), c), 0.0) + float(v)
    f = (lg.fr_day >= lo) & (lg.fr_day <= hi)
    fx = np.array([FX0[c] for c in co.carriers.currency.to_numpy()])[lg.fr_carrier[f]]
    for site, v in pd.DataFrame(dict(site=lg.fr_site[f], v=lg.fr_amount[f] * fx)).groupby(
            "site", sort=True).v.sum().items():
        acc[(int(site), "Freight")] = acc.get((int(site), "Freight"), 0.0) + float(v)


def budgets(ctx: Ctx, co: Company, spend: dict) -> pd.DataFrame:
    """Monthly spend budget per site and category (purchased categories and freight), in
    the site's currency, from January of the first year to December of the as-of year:
    the first year's spend, growing 4 % a year, with some noise."""
    lo, hi = budget_window(ctx)
    months = (hi - lo + 1) / 30.44
    first = pd.Timestamp(date_of(ctx.start).year, 1, 1)
    last = pd.Timestamp(date_of(ctx.end).year, 12, 1)
    periods = pd.date_range(first, last, freq="MS")
    cats = sorted({c for _, c in spend})
    rows = []
    for (site, category) in sorted(spend):
        cur = co.sites.currency[site]
        local = spend[(site, category)] / months / FX0[cur]
        k = np.arange(len(periods))
        noise = .9 + .25 * ctx.u("budget", k, site, cats.index(category))
        years = (periods.year - first.year).to_numpy()
        for p, f, y in zip(periods, noise, years):
            rows.append((p.date(), co.sites.site_id[site], category,
                         round(local * f * 1.04 ** y, 2), cur))
    return pd.DataFrame(rows, columns=["period", "site_id", "category", "amount", "currency"])


def month_index(ctx: Ctx, days: np.ndarray) -> np.ndarray:
    d = np.asarray(days).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    s0 = np.datetime64(date_of(ctx.start), "M").astype(np.int64)
    return d - s0


def demand_aggregates(ctx: Ctx, co: Company, s: Sales, acc: dict) -> None:
    """Add the block's ordered units per family × site × month (up to the as-of)."""
    m = s.order_day <= ctx.end
    fam = co.items.family.to_numpy()[s.item[m]]
    df = pd.DataFrame(dict(f=fam, site=s.site[m], mi=month_index(ctx, s.order_day[m]), q=s.qty[m]))
    for (f, site, mi), v in df.groupby(["f", "site", "mi"], sort=True).q.sum().items():
        key = (f, int(site), int(mi))
        acc[key] = acc.get(key, 0.0) + float(v)


def plan_overrides(ctx: Ctx, co: Company, demand: dict) -> pd.DataFrame:
    """Planners' adjustments (+/- units) to the statistical forecast of a family at a
    site, in every monthly S&OP cycle (cycle = first day of the month) from the fourth
    month of history on: about 30 % of family × site pairs per cycle, for two to six
    months ahead, plus every promotion starting in the next three months."""
    families = sorted({f for f, _, _ in demand})
    fam_ix = {f: i for i, f in enumerate(families)}
    pairs = sorted({(f, site) for f, site, _ in demand})
    planners = {c: f"PL{(i % 6) + 1:02d}" for i, c in enumerate(sorted(set(co.items.category)))}
    fam_cat = dict(zip(co.items.family, co.items.category))
    reasons = ["customer intelligence", "new listing", "phase-out", "capacity", "market trend"]
    site_ids = co.sites.site_id.to_numpy()
    s0 = np.datetime64(date_of(ctx.start), "M")
    last = int(month_index(ctx, np.array([ctx.end]))[0])
    promos = co.promos
    pr_month = month_index(ctx, promos.start.to_numpy())
    rows: dict[tuple, list] = {}
    for mc in range(3, last + 1):
        cycle = (s0 + np.timedelta64(mc, "M")).astype("datetime64[D]").astype(object)
        for f, site in pairs:
            avg = sum(demand.get((f, site, mc - k), 0.0) for k in (1, 2, 3)) / 3
            if avg <= 0:
                continue
            key = (mc, fam_ix[f], site)
            u = ctx.u("override", *key)[0]
            if u < .3:
                start = int(u_int(ctx.u("override-start", *key), 0, 3)[0])
                span = int(u_int(ctx.u("override-span", *key), 2, 7)[0])
                sign = 1 if ctx.u("override-sign", *key)[0] < .6 else -1
                reason = reasons[int(u_int(ctx.u("override-reason", *key), 0, len(reasons))[0])]
                for m in range(start, start + span):
                    qty = round(sign * avg * (.05 + .25 * ctx.u("override-qty", *key, m)[0]))
                    if qty != 0:
                        rows[(mc, f, site, mc + m)] = [float(qty), reason]
            sel = (promos.family.to_numpy() == f) & (promos.site.to_numpy() == site) \
                & (pr_month > mc) & (pr_month <= mc + 3)
            for m_, up in zip(pr_month[sel], promos.uplift.to_numpy()[sel]):
                m_ = int(m_)
                qty = float(round(avg * (up - 1) * .5))
                if qty:
                    old = rows.get((mc, f, site, m_), [0.0, ""])
                    rows[(mc, f, site, m_)] = [old[0] + qty, "promotion"]
    out = []
    for (mc, f, site, m), (qty, reason) in sorted(rows.items()):
        cycle = (s0 + np.timedelta64(mc, "M")).astype("datetime64[D]").astype(object)
        month = (s0 + np.timedelta64(m, "M")).astype("datetime64[D]").astype(object)
        out.append((cycle, f, site_ids[site], month, qty, reason, planners[fam_cat[f]]))
    return pd.DataFrame(out, columns=["cycle", "family", "site_id", "month", "qty", "reason",
                                      "planner_id"])
