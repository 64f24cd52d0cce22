"""Finance: daily exchange rates, customer billing and payments, the general ledger
(consistent with every invoice, receipt and stock movement), budgets, and the planners'
overrides of the S&OP cycle."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from .core import NEVER, Ctx, group_ids, ids, money
from .inventory import MT, RT, Inventory
from .logistics import Logistics
from .master import FX0, Company
from .sales import Sales
from .supply import GR_NORMAL, GR_REVERSAL, GR_RTS, GR_WRONG, Supply

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
           "carrier_payment", "inventory_journal"]
GR_ = {r: i for i, r in enumerate(GL_REFS)}
# offset account of a stock movement posted in the daily inventory journal
JOURNAL_OFFSET = {"sale": "5000", "return": "5000", "issue": "6100", "production_in": "1410",
                  "consumption": "1410", "transfer_in": "1420", "transfer_out": "1420",
                  "adjustment": "5300", "scrap": "5310"}


# --- exchange rates ---------------------------------------------------------------------------

def fx_rates(ctx: Ctx, co: Company) -> np.ndarray:
    """rate[currency, day] = USD per unit, for every calendar day of the history."""
    rng = ctx.rng("fx")
    days = ctx.end - ctx.start + 1
    out = np.ones((len(co.currencies), days))
    for i, c in enumerate(co.currencies):
        if c == "USD":
            continue
        walk = np.cumsum(rng.normal(0, .004, days))
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
    rng = ctx.rng("billing")
    cust = co.customers
    nd = len(s.d_line)
    c = s.cust[s.d_line]
    amount = money(s.d_qty, s.price[s.d_line])
    due = s.d_ship + cust.payment_terms_days.to_numpy()[c]
    n_doc = int(s.d_doc.max()) + 1 if nd else 0
    # payment behaviour per document: the customer's mean delay, a few never paid
    doc_cust = np.zeros(n_doc, np.int64)
    doc_cust[s.d_doc] = c
    late = np.round(rng.exponential(np.maximum(cust.pay_delay_mean.to_numpy()[doc_cust], .1)))
    early = rng.integers(0, 4, n_doc)
    never = rng.random(n_doc) < .005
    doc_due = np.zeros(n_doc, np.int64)
    doc_due[s.d_doc] = due
    doc_paid = np.where(never, NEVER, doc_due + late.astype(np.int64) - early)
    paid = np.maximum(doc_paid[s.d_doc], s.d_ship + 1)
    paid = np.where(doc_paid[s.d_doc] >= NEVER, NEVER, paid)

    nr = len(s.r_dline)
    n_rdoc = int(s.r_doc.max()) + 1 if nr else 0
    cn_lag = rng.integers(1, 5, max(n_rdoc, 1))
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


def general_ledger(ctx: Ctx, co: Company, rates: np.ndarray, s: Sales, b: Billing,
                   sup: Supply, lg: Logistics, inv: Inventory) -> Ledger:
    L = _Lines(ctx, co, rates)
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
        L.add(b.day[f], kind, docs, 0, "1200", total[docs], site_cur[b.site[f]], cc, partner, ref)
        L.add(b.day[f], kind, docs, 1, acct, -total[docs], site_cur[b.site[f]], cc, None, ref)
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
    L.add(day, "goods_receipt", docs, 0, "1400", stock[docs], site_cur[sup.po_site[line]], cc, None, ref)
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
    L.add(sup.si_paid[first], "supplier_payment", np.arange(ng), 1, "1000", -tot, cur, "CC-HQ", None, pref)

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
    return L.build()


# --- budgets and plan overrides ---------------------------------------------------------------

def budgets(ctx: Ctx, co: Company, sup: Supply, lg: Logistics, rates: np.ndarray) -> pd.DataFrame:
    """Monthly spend budget per site and category (purchased categories and freight), in
    the site's currency, from January of the first year to December of the as-of year."""
    rng = ctx.rng("budgets")
    items, sites = co.items, co.sites
    hist = sup.po_day <= ctx.end
    cat = items.category.to_numpy()[sup.po_item[hist]]
    usd = sup.po_qty[hist] * sup.po_price[hist] * np.array(
        [FX0[c] for c in co.suppliers.currency.to_numpy()])[sup.po_sup[hist]]
    spend = pd.DataFrame(dict(site=sup.po_site[hist], category=cat, usd=usd))
    fr = lg.fr_day <= ctx.end
    fx_car = np.array([FX0[c] for c in co.carriers.currency.to_numpy()])[lg.fr_carrier[fr]]
    spend = pd.concat([spend, pd.DataFrame(dict(site=lg.fr_site[fr], category="Freight",
                                                usd=lg.fr_amount[fr] * fx_car))])
    months = (ctx.end - ctx.start + 1) / 30.44
    monthly = spend.groupby(["site", "category"], sort=True).usd.sum() / months
    first = pd.Timestamp(pd.to_datetime(ctx.start, unit="D").year, 1, 1)
    last = pd.Timestamp(pd.to_datetime(ctx.end, unit="D").year, 12, 1)
    periods = pd.date_range(first, last, freq="MS")
    rows = []
    for (site, category), amount in monthly.items():
        cur = sites.currency[site]
        local = amount / FX0[cur]
        noise = rng.uniform(.9, 1.15, len(periods))
        for p, f in zip(periods, noise):
            rows.append((p.date(), sites.site_id[site], category, round(local * f, 2), cur))
    return pd.DataFrame(rows, columns=["period", "site_id", "category", "amount", "currency"])


def plan_overrides(ctx: Ctx, co: Company, s: Sales) -> pd.DataFrame:
    """Planners' adjustments (+/- units) to the statistical forecast of a family at a site,
    for the months ahead, in each of the last three S&OP cycles."""
    rng = ctx.rng("overrides")
    fam = co.items.family.to_numpy()[s.item]
    hist = s.order_day <= ctx.end
    demand = pd.DataFrame(dict(family=fam[hist], site=s.site[hist], qty=s.qty[hist]))
    months = (ctx.end - ctx.start + 1) / 30.44
    avg = (demand.groupby(["family", "site"], sort=True).qty.sum() / months)
    cycle0 = pd.Timestamp(pd.to_datetime(ctx.end, unit="D")).to_period("M").to_timestamp()
    planners = {c: f"PL{(i % 6) + 1:02d}" for i, c in enumerate(sorted(set(co.items.category)))}
    fam_cat = dict(zip(co.items.family, co.items.category))
    reasons = ["promotion", "customer intelligence", "new listing", "phase-out", "capacity"]
    rows = []
    for back in (2, 1, 0):
        cycle = cycle0 - pd.DateOffset(months=back)
        for (family, site), a in avg.items():
            if rng.random() >= .3:
                continue
            start = int(rng.integers(0, 3))
            span = int(rng.integers(2, 7))
            sign = 1 if rng.random() < .6 else -1
            reason = reasons[int(rng.integers(0, len(reasons)))]
            for m in range(start, start + span):
                month = cycle + pd.DateOffset(months=m)
                qty = round(sign * a * rng.uniform(.05, .3))
                if qty == 0:
                    continue
                rows.append((cycle.date(), family, co.sites.site_id[site], month.date(),
                             float(qty), reason, planners[fam_cat[family]]))
    return pd.DataFrame(rows, columns=["cycle", "family", "site_id", "month", "qty", "reason",
                                       "planner_id"])
