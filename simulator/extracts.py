"""The mapping from the simulated company to the 25 landing extracts: text ids, the
contract's column names and the versions of each record (created, then changed)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import core
from .core import DAY_S, NEVER, Ctx, DeltaTable, SnapshotTable, Stage, booleans, dates, \
    decimals, integers, labels, nums_text, stamps, text
from .engine import CANCEL_REASONS, DISPOSITIONS, GR_REVERSAL, GR_RTS, MODES, REASONS
from .errors import MasterView
from .finance import ACCOUNT_CODES, ACCOUNTS, GL_REFS, Billing, Ledger
from .logistics import CHARGES, EVENT_CODES, Logistics
from .master import COUNTRIES, Company
from .records import MO_STATUS, MOVEMENT_TYPES, REF_TYPES, Inventory, Sales, Supply

PO_STATUS = ["open", "closed", "cancelled"]
NULL = None


def _po_ids(ctx: Ctx, sup: Supply, line: np.ndarray) -> tuple[pa.Array, pa.Array]:
    return ctx.ids("PO-", sup.po_order[line] + 1, 7), nums_text(sup.po_line_no[line])


def _so_ids(ctx: Ctx, s: Sales, line: np.ndarray) -> tuple[pa.Array, pa.Array]:
    return ctx.ids("SO-", s.order[line] + 1, 7), nums_text(s.line_no[line])


# --- master data ------------------------------------------------------------------------------

def master_tables(ctx: Ctx, co: Company, view: MasterView, budget: pd.DataFrame,
                  overrides: pd.DataFrame) -> dict[str, SnapshotTable]:
    """Master data as delivered (planted errors included): the full tables at the cut-off
    and at the as-of date."""
    items, isites, sites = co.items, view.item_sites, co.sites
    item_ids = items.item_id.to_numpy()
    site_ids = sites.site_id.to_numpy()
    out: dict[str, SnapshotTable] = {}

    def same(name, table):
        out[name] = SnapshotTable(name, table, table)

    same("sites", pa.table(dict(
        site_id=text(site_ids), name=text(sites.name), country=text(sites.country),
        site_type=text(sites.site_type), currency=text(sites.currency))))

    def items_table(life):
        return pa.table(dict(
            item_id=text(item_ids), description=text(items.description),
            item_type=text(items.item_type), family=text(items.family),
            category=text(items.category), base_uom=text(items.base_uom),
            unit_weight_kg=decimals(items.unit_weight_kg),
            unit_volume_m3=decimals(items.unit_volume_m3),
            lifecycle_status=text(life), introduced_on=dates(items.introduced_on)))
    life = items.lifecycle_status.to_numpy().copy()
    life_end = life.copy()
    # master-data change between the two deliveries: an active finished item is phased out
    cand = np.nonzero((life == "active") & (items.item_type.to_numpy() == "finished"))[0]
    if len(cand):
        life_end[cand[len(cand) // 2]] = "phase_out"
        co.changed_item = item_ids[cand[len(cand) // 2]]
    out["items"] = SnapshotTable("items", items_table(life), items_table(life_end))

    same("item_sites", pa.table(dict(
        item_id=text(item_ids[isites.item]), site_id=text(site_ids[isites.site]),
        make_or_buy=text(isites.make_or_buy),
        planned_lead_time_days=integers(isites.planned_lead_time_days),
        safety_stock_qty=decimals(isites.safety_stock_qty),
        min_order_qty=decimals(isites.min_order_qty),
        standard_cost=decimals(isites.standard_cost),
        list_price=decimals(isites.list_price.to_numpy(float), 2),
        currency=text(isites.currency), planner_id=text(isites.planner_id))))

    parts = []
    for role, df, key in (("supplier", co.suppliers, "supplier_id"),
                          ("customer", co.customers, "customer_id"),
                          ("carrier", co.carriers, "carrier_id")):
        terms = df.payment_terms_days.to_numpy(float).copy()
        if role == "supplier":
            terms[view.supplier_terms_missing] = np.nan
        parts.append(pd.DataFrame(dict(
            partner_id=df[key], role=role, name=df.name, country=df.country,
            currency=df.currency, payment_terms_days=terms,
            tax_id=df.tax_id, segment=df.segment, contact_name=df.contact_name,
            contact_email=df.contact_email)))
        if role == "supplier" and len(view.partners_extra):
            parts.append(view.partners_extra)
    p = pd.concat(parts, ignore_index=True)
    same("partners", pa.table({c: (integers(p[c]) if c == "payment_terms_days" else text(p[c]))
                               for c in p.columns}))

    src, pr = co.sources, view.prices
    sup_ids = co.suppliers.supplier_id.to_numpy()
    s_ = pr.source.to_numpy()

    def supplier_items(rows):
        return pa.table(dict(
            supplier_id=text(sup_ids[src.supplier.to_numpy()[s_[rows]]]),
            item_id=text(item_ids[src.item.to_numpy()[s_[rows]]]),
            valid_from=dates(pr.valid_from.to_numpy()[rows]),
            unit_price=decimals(pr.unit_price.to_numpy()[rows]),
            currency=text(src.currency.to_numpy()[s_[rows]]),
            min_qty=decimals(src.min_qty.to_numpy()[s_[rows]]),
            lead_time_days=integers(src.lead_time_days.to_numpy()[s_[rows]])))
    vf = pr.valid_from.to_numpy()
    at_cut = np.nonzero(vf <= ctx.cutoff)[0]
    at_end = np.nonzero(vf <= ctx.end)[0]
    # master-data change: the contract of one second source is no longer delivered
    secondary = np.nonzero(~src.primary.to_numpy()[s_[at_end]]
                           & ~pr.planted_error.to_numpy()[at_end])[0]
    if len(secondary):
        dropped = at_end[secondary[0]]
        at_end = at_end[at_end != dropped]
        k = s_[dropped]
        co.dropped_price = (f"{sup_ids[src.supplier.to_numpy()[k]]} / "
                            f"{item_ids[src.item.to_numpy()[k]]}"
                            f" valid_from {core.date_of(vf[dropped]).isoformat()}")
    out["supplier_items"] = SnapshotTable("supplier_items", supplier_items(at_cut),
                                          supplier_items(at_end))

    bom = view.bom
    same("bom_lines", pa.table(dict(
        parent_item_id=text(item_ids[bom.parent]), component_item_id=text(bom.component_id),
        valid_from=dates(bom.valid_from), qty_per=decimals(bom.qty_per),
        scrap_pct=decimals(bom.scrap_pct), valid_to=dates(np.full(len(bom), NEVER)))))

    same("budgets", pa.table(dict(
        period=pa.array(budget.period, pa.date32()), site_id=text(budget.site_id),
        category=text(budget.category), amount=decimals(budget.amount, 2),
        currency=text(budget.currency))))

    def overrides_table(upto):
        o = overrides[overrides.cycle <= core.date_of(upto)]
        return pa.table(dict(
            cycle=pa.array(o.cycle, pa.date32()), family=text(o.family), site_id=text(o.site_id),
            month=pa.array(o.month, pa.date32()), qty=decimals(o.qty), reason=text(o.reason),
            planner_id=text(o.planner_id)))
    out["plan_overrides"] = SnapshotTable("plan_overrides", overrides_table(ctx.cutoff),
                                          overrides_table(ctx.end))
    return out


# --- transactions -------------------------------------------------------------------------------

def transaction_tables(ctx: Ctx, co: Company, g: np.ndarray, s: Sales, sup: Supply,
                       lg: Logistics, inv: Inventory, b: Billing,
                       ledger: Callable[[], Ledger]) -> Iterator[DeltaTable]:
    """The block's transaction extracts, one at a time (build, write, drop: memory stays
    bounded); `g` maps the block's series to item_sites rows; the ledger is built last."""
    items, sites = co.items, co.sites
    is_item = co.item_sites.item.to_numpy()[g]
    is_site = co.item_sites.site.to_numpy()[g]
    is_std = co.item_sites.standard_cost.to_numpy()[g]
    item_ids, site_ids = items.item_id.to_numpy(), sites.site_id.to_numpy()
    sup_ids = co.suppliers.supplier_id.to_numpy()
    cust_ids = co.customers.customer_id.to_numpy()
    car_ids = co.carriers.carrier_id.to_numpy()
    sup_cur = co.suppliers.currency.to_numpy()
    site_cur = sites.currency.to_numpy()
    uom = items.base_uom.to_numpy()

    # purchasing -----------------------------------------------------------------------------
    n = len(sup.po_day)
    rows = np.arange(n)
    po_id, po_line = _po_ids(ctx, sup, rows)
    status = np.where(sup.po_cancel < NEVER, 2, np.where(sup.po_close < NEVER, 1, 0))
    buyer = {c: f"BY{(i % 5) + 1:02d}" for i, c in enumerate(sorted(set(items.category)))}
    buyers = pd.Series(items.category.to_numpy()[sup.po_item]).map(buyer).to_numpy()
    yield DeltaTable("purchase_order_lines", dict(
        po_id=po_id, po_line=po_line, supplier_id=text(sup_ids[sup.po_sup]),
        site_id=text(site_ids[sup.po_site]), item_id=text(item_ids[sup.po_item]),
        buyer_id=text(buyers), order_date=dates(sup.po_day),
        requested_date=dates(sup.po_requested), qty_ordered=decimals(sup.po_qty),
        uom=text(uom[sup.po_item]), unit_price=decimals(sup.po_price),
        currency=text(sup_cur[sup.po_sup]), status=labels(PO_STATUS, status)),
        created=sup.po_day, stages=[
            Stage(sup.po_close, {"status": "open"}),
            Stage(sup.po_cancel, {"status": "open"})])

    cf_po, cf_pl = _po_ids(ctx, sup, sup.cf_line)
    channel = np.where(sup.cf_chase, "email",
                       co.suppliers.confirm_channel.to_numpy()[sup.po_sup[sup.cf_line]])
    yield DeltaTable("supplier_confirmations", dict(
        po_id=cf_po, po_line=cf_pl, confirmation_id=ctx.ids("CF-", np.arange(len(sup.cf_line)) + 1, 7),
        confirmed_at=stamps(sup.cf_at), confirmed_date=dates(sup.cf_date),
        confirmed_qty=decimals(sup.cf_qty), channel=text(channel)),
        created=sup.cf_at // DAY_S)

    gr_po, gr_pl = _po_ids(ctx, sup, sup.gr_line)
    mov = np.select([sup.gr_kind == GR_REVERSAL, sup.gr_kind == GR_RTS], [1, 2], 0)
    yield DeltaTable("goods_receipts", dict(
        receipt_id=ctx.ids("GR-", sup.gr_doc + 1, 7), receipt_line=nums_text(sup.gr_doc_line),
        po_id=gr_po, po_line=gr_pl, item_id=text(item_ids[sup.po_item[sup.gr_line]]),
        site_id=text(site_ids[sup.po_site[sup.gr_line]]), received_on=dates(sup.gr_day),
        qty_received=decimals(sup.gr_qty), qty_rejected=decimals(sup.gr_rej),
        movement=labels(["receipt", "reversal", "return_to_supplier"], mov)),
        created=sup.gr_day)

    pl = sup.gr_line[sup.si_gr]
    si_po, si_pl = _po_ids(ctx, sup, pl)
    credit = sup.si_credit
    first_cn = sup.si_doc[credit].min() if credit.any() else 0
    inv_id = pa.concat_arrays([ctx.ids("SI-", sup.si_doc[~credit] + 1, 7),
                               ctx.ids("SC-", sup.si_doc[credit] - first_cn + 1, 7)])
    o = np.concatenate([np.nonzero(~credit)[0], np.nonzero(credit)[0]])
    inv_id = inv_id.take(pa.array(np.argsort(o)))
    paid = sup.si_paid
    yield DeltaTable("supplier_invoices", dict(
        invoice_id=inv_id, invoice_line=nums_text(sup.si_doc_line),
        supplier_id=text(sup_ids[sup.po_sup[pl]]), po_id=si_po, po_line=si_pl,
        invoice_date=dates(sup.si_day), due_date=dates(sup.si_due),
        qty_invoiced=decimals(sup.si_qty), unit_price=decimals(sup.si_price),
        amount=decimals(sup.si_amount, 2), currency=text(sup_cur[sup.po_sup[pl]]),
        paid_on=dates(paid), paid_amount=decimals(np.where(paid < NEVER, sup.si_amount, np.nan), 2)),
        created=sup.si_day, stages=[Stage(paid, {"paid_on": NULL, "paid_amount": NULL})])

    # sales ----------------------------------------------------------------------------------
    n = len(s.qty)
    dup = s.dup_of
    rows = np.concatenate([np.arange(n), dup])
    so_id = ctx.ids("SO-", s.order[rows] + 1, 7)
    so_line = nums_text(np.concatenate([s.line_no, s.dup_line_no]))
    is_dup = np.concatenate([np.zeros(n, bool), np.ones(len(dup), bool)])
    cancel = np.where(is_dup, NEVER, s.cancel_day[rows])
    close = np.where(is_dup, NEVER, s.close_day[rows])
    status = np.where(cancel < NEVER, 2, np.where(close < NEVER, 1, 0))
    reason = np.where(is_dup, -1, s.cancel_reason[rows])
    yield DeltaTable("sales_order_lines", dict(
        so_id=so_id, so_line=so_line, customer_id=text(cust_ids[s.cust[rows]]),
        site_id=text(site_ids[s.site[rows]]), item_id=text(item_ids[s.item[rows]]),
        channel=text(co.customers.channel.to_numpy()[s.cust[rows]]),
        order_date=dates(s.order_day[rows]), requested_date=dates(s.requested[rows]),
        committed_date=dates(s.committed[rows]), qty_ordered=decimals(s.qty[rows]),
        unit_price=decimals(s.price[rows], 2), currency=text(site_cur[s.site[rows]]),
        status=labels(PO_STATUS, status), cancel_reason=labels(CANCEL_REASONS, reason),
        is_deleted=booleans(is_dup)),
        created=s.order_day[rows], stages=[
            Stage(close, {"status": "open"}),
            Stage(cancel, {"status": "open", "cancel_reason": NULL}),
            Stage(np.where(is_dup, s.dup_deleted_on, NEVER), {"is_deleted": False})])

    dl_so, dl_sl = _so_ids(ctx, s, s.d_line)
    yield DeltaTable("deliveries", dict(
        delivery_id=ctx.ids("DL-", s.d_doc + 1, 7), delivery_line=nums_text(s.d_doc_line),
        so_id=dl_so, so_line=dl_sl, shipment_id=ctx.ids("SH-", s.d_shipment + 1, 7),
        item_id=text(item_ids[s.item[s.d_line]]), site_id=text(site_ids[s.site[s.d_line]]),
        shipped_on=dates(s.d_ship), delivered_on=dates(s.d_deliv), qty_shipped=decimals(s.d_qty)),
        created=s.d_ship, stages=[Stage(s.d_deliv, {"delivered_on": NULL})])

    ci_so, ci_sl = _so_ids(ctx, s, b.so_line)
    inv_id = pa.concat_arrays([ctx.ids("CI-", b.doc[~b.credit] + 1, 7),
                               ctx.ids("CN-", b.doc[b.credit] + 1, 7)])
    ci_paid_amount = np.where(b.paid < NEVER, b.amount, np.nan)
    yield DeltaTable("customer_invoices", dict(
        invoice_id=inv_id, invoice_line=nums_text(b.line), customer_id=text(cust_ids[b.cust]),
        so_id=ci_so, so_line=ci_sl, invoice_date=dates(b.day), due_date=dates(b.due),
        amount=decimals(b.amount, 2), currency=text(site_cur[b.site]), paid_on=dates(b.paid),
        paid_amount=decimals(ci_paid_amount, 2)),
        created=b.day, stages=[Stage(b.paid, {"paid_on": NULL, "paid_amount": NULL})])

    r_sol = s.d_line[s.r_dline]
    r_so, r_sl = _so_ids(ctx, s, r_sol)
    yield DeltaTable("returns", dict(
        return_id=ctx.ids("RT-", s.r_doc + 1, 7), return_line=nums_text(s.r_line), so_id=r_so,
        so_line=r_sl, customer_id=text(cust_ids[s.cust[r_sol]]), item_id=text(item_ids[s.item[r_sol]]),
        returned_on=dates(s.r_day), qty_returned=decimals(s.r_qty),
        reason_code=labels(REASONS, s.r_reason), disposition=labels(DISPOSITIONS, s.r_disp),
        credit_amount=decimals(s.r_credit, 2), currency=text(site_cur[s.site[r_sol]])),
        created=s.r_day)

    # production --------------------------------------------------------------------------------
    mo_item = is_item[sup.mo_isite]
    mo_site = is_site[sup.mo_isite]
    yield DeltaTable("production_orders", dict(
        mo_id=ctx.ids("MO-", np.arange(len(mo_item)) + 1, 7), item_id=text(item_ids[mo_item]),
        site_id=text(site_ids[mo_site]),
        work_center=labels(co.work_centers.work_center.to_numpy(), sup.mo_wc),
        planned_start=dates(sup.mo_pstart), planned_finish=dates(sup.mo_pfinish),
        actual_start=dates(sup.mo_astart), actual_finish=dates(sup.mo_afinish),
        qty_planned=decimals(sup.mo_planned), qty_produced=decimals(sup.mo_produced),
        qty_scrapped=decimals(sup.mo_scrapped), status=labels(MO_STATUS, sup.mo_status)),
        created=sup.mo_created, stages=[
            Stage(sup.mo_released, {"status": "planned"}),
            Stage(sup.mo_astart, {"status": "released", "actual_start": NULL}),
            Stage(sup.mo_afinish, {"status": "in_progress", "actual_finish": NULL,
                                   "qty_produced": NULL, "qty_scrapped": NULL}),
            Stage(sup.mo_cancel, {"status": "released"})])

    # inventory -----------------------------------------------------------------------------------
    h = np.nonzero(inv.day <= ctx.end)[0]             # later movements are never written
    hp = pa.array(h)
    m_item = is_item[inv.isite[h]]
    m_site = is_site[inv.isite[h]]
    yield DeltaTable("inventory_movements", dict(
        movement_id=ctx.ids("MV-", h + 1, 8), item_id=labels(item_ids, m_item),
        site_id=labels(site_ids, m_site), movement_type=labels(MOVEMENT_TYPES, inv.mtype[h]),
        qty=decimals(inv.qty[h]), value=decimals(inv.value[h], 2),
        currency=labels(list(site_cur), m_site), posted_on=dates(inv.day[h]),
        ref_doc_type=labels(REF_TYPES, inv.rtype[h]), ref_doc_id=inv.ref_doc.take(hp),
        ref_line=inv.ref_line.take(hp)),
        created=inv.day[h])

    sn_item = is_item[inv.sn_isite]
    sn_site = is_site[inv.sn_isite]
    std = is_std[inv.sn_isite]
    yield DeltaTable("inventory_snapshots", dict(
        snapshot_date=dates(inv.sn_day), item_id=labels(item_ids, sn_item),
        site_id=labels(site_ids, sn_site), qty_on_hand=decimals(inv.sn_on_hand),
        qty_allocated=decimals(inv.sn_allocated), qty_blocked=decimals(inv.sn_blocked),
        value=decimals(core.money(inv.sn_on_hand, std), 2), currency=labels(list(site_cur), sn_site)),
        created=inv.sn_day)

    cc_item = is_item[inv.cc_isite]
    cc_site = is_site[inv.cc_isite]
    yield DeltaTable("cycle_counts", dict(
        count_id=ctx.ids("CC-", np.arange(len(cc_item)) + 1, 7), count_date=dates(inv.cc_day),
        item_id=text(item_ids[cc_item]), site_id=text(site_ids[cc_site]),
        qty_system=decimals(inv.cc_system), qty_counted=decimals(inv.cc_counted)),
        created=inv.cc_day)

    # logistics -------------------------------------------------------------------------------
    nsh, nib = len(s.sh_ship), len(lg.ib_pickup)
    cust_country = co.customers.country.to_numpy()[s.sh_cust]
    region = np.array([COUNTRIES[c][1] for c in co.customers.country])[s.sh_cust]
    site_country = sites.country.to_numpy()
    site_region = sites.region.to_numpy()
    yield DeltaTable("shipments", dict(
        shipment_id=pa.concat_arrays([ctx.ids("SH-", np.arange(nsh) + 1, 7),
                                      ctx.ids("IB-", np.arange(nib) + 1, 7)]),
        direction=text(["outbound"] * nsh + ["inbound"] * nib),
        carrier_id=text(car_ids[np.concatenate([s.sh_carrier, lg.ib_carrier])]),
        mode=labels(MODES, np.concatenate([s.sh_mode, lg.ib_mode])),
        # inbound consignments are booked under the receiving site (the supplier's country
        # is the location of their PICKED_UP event)
        origin_site_id=labels(site_ids, np.concatenate([s.sh_site, lg.ib_site])),
        destination_country=text(np.concatenate([cust_country, site_country[lg.ib_site]])),
        destination_region=text(np.concatenate([region, site_region[lg.ib_site]])),
        planned_pickup=dates(np.concatenate([s.sh_planned_pickup, lg.ib_planned_pickup])),
        actual_pickup=dates(np.concatenate([s.sh_ship, lg.ib_pickup])),
        planned_delivery=dates(np.concatenate([s.sh_planned_pickup + s.sh_transit,
                                               lg.ib_planned_delivery])),
        actual_delivery=dates(np.concatenate([s.sh_deliv, lg.ib_delivery])),
        gross_weight_kg=decimals(np.concatenate([s.sh_weight, lg.ib_weight]), 3),
        volume_m3=decimals(np.concatenate([s.sh_volume, lg.ib_volume]), 4),
        incoterm=text(np.concatenate([co.customers.incoterm.to_numpy()[s.sh_cust],
                                      lg.ib_incoterm]))),
        created=np.concatenate([s.sh_ship, lg.ib_pickup]),
        stages=[Stage(np.concatenate([s.sh_deliv, lg.ib_delivery]), {"actual_delivery": NULL})])

    site_name = sites.name.to_numpy()
    inb = lg.ev_inbound
    e = lg.ev_shipment
    e_out = np.where(inb, 0, e)
    e_in = np.where(inb, e, 0)
    out_site = s.sh_site[e_out] if nsh else np.zeros(len(e), np.int64)
    in_site = lg.ib_site[e_in] if nib else np.zeros(len(e), np.int64)
    ev_site = np.where(inb, in_site, out_site)
    sup_country = co.suppliers.country.to_numpy()
    far_end = np.where(inb, np.char.add("Supplier, ", (sup_country[lg.ib_sup[e_in]] if nib else
                                                       np.full(len(e), "")).astype(str)),
                       np.char.add("Customer, ", (cust_country[e_out] if nsh else
                                                  np.full(len(e), "")).astype(str)))
    here = site_name[ev_site]
    loc = np.select([lg.ev_code == 0, lg.ev_code == 3],
                    [np.where(inb, far_end, here), np.where(inb, here, far_end)],
                    np.char.add("Hub ", site_country[ev_site].astype(str)))
    yield DeltaTable("shipment_events", dict(
        shipment_id=pc.if_else(pa.array(inb), ctx.ids("IB-", e + 1, 7), ctx.ids("SH-", e + 1, 7)),
        event_at=stamps(lg.ev_at), event_code=labels(EVENT_CODES, lg.ev_code), location=text(loc),
        is_exception=booleans(lg.ev_exception)),
        created=lg.ev_at // DAY_S)

    fr_cur = co.carriers.currency.to_numpy()[lg.fr_carrier]
    f = lg.fr_shipment
    yield DeltaTable("freight_invoices", dict(
        freight_invoice_id=ctx.ids("FI-", lg.fr_doc + 1, 7), line=nums_text(lg.fr_line),
        carrier_id=text(car_ids[lg.fr_carrier]),
        shipment_id=pc.if_else(pa.array(lg.fr_inbound), ctx.ids("IB-", f + 1, 7),
                               ctx.ids("SH-", f + 1, 7)),
        invoice_date=dates(lg.fr_day), charge_type=labels(CHARGES, lg.fr_charge),
        amount=decimals(lg.fr_amount, 2), currency=text(fr_cur)),
        created=lg.fr_day)

    # finance ----------------------------------------------------------------------------------
    del inv
    gl = ledger()
    yield DeltaTable("gl_entries", dict(
        entry_id=ctx.ids("JE-", gl.entry + 1, 8), line=nums_text(gl.line),
        posting_date=dates(gl.day), account=labels(ACCOUNT_CODES, gl.account),
        account_type=labels([ACCOUNTS[a][1] for a in ACCOUNT_CODES], gl.account),
        cost_center=gl.cost_center, amount=decimals(gl.amount, 2),
        currency=labels(co.currencies, gl.currency), amount_company=decimals(gl.amount_cc, 2),
        partner_id=gl.partner, ref_doc_type=labels(GL_REFS, gl.ref_type), ref_doc_id=gl.ref_doc),
        created=gl.day)


def fx_table(ctx: Ctx, co: Company, rates: np.ndarray) -> DeltaTable:
    others = [i for i, c in enumerate(co.currencies) if c != "USD"]
    ndays = rates.shape[1]
    cur_idx = np.tile(others, ndays)
    day = np.repeat(ctx.start + np.arange(ndays), len(others))
    return DeltaTable("fx_rates", dict(
        rate_date=dates(day), from_currency=labels(co.currencies, cur_idx),
        to_currency=core.const("USD", len(day)),
        rate=decimals(rates[cur_idx, day - ctx.start], 8)),
        created=day)
