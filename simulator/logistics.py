"""Logistics: outbound shipments come from the daily loop (one per site × customer ×
shipping day); here inbound shipments (one per goods-receipt document: the supplier's
consignment), the tracking events of both, and the carriers' freight invoices (linehaul,
fuel, accessorials, duty), invoiced weekly per carrier and site.

Inbound freight is ours to pay when the supplier sells FCA or EXW; duty is due on an
inbound consignment that crosses a region, and on an outbound DDP one across a border.
Inbound shipments are numbered by pickup day, so a longer run numbers them the same."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .core import DAY_S, NEVER, Ctx, group_ids, u_int, weekday
from .engine import GR_NORMAL
from .master import COUNTRIES, FX0, SUPPLIER_LEAD, Company
from .records import Sales, Supply

EVENT_CODES = ["PICKED_UP", "IN_TRANSIT", "DELAYED", "DELIVERED"]
CHARGES = ["linehaul", "fuel", "accessorial", "duty"]
# linehaul in USD: fixed + per kg, by mode (parcel, ltl, ftl, ocean, air)
RATE_FIXED = np.array([6.0, 90.0, 850.0, 400.0, 40.0])
RATE_KG = np.array([1.1, 0.18, 0.03, 0.02, 4.5])


@dataclass
class Logistics:
    # inbound shipments (index = IB number - 1)
    ib_carrier: np.ndarray
    ib_mode: np.ndarray
    ib_site: np.ndarray
    ib_sup: np.ndarray
    ib_planned_pickup: np.ndarray
    ib_pickup: np.ndarray
    ib_planned_delivery: np.ndarray
    ib_delivery: np.ndarray
    ib_weight: np.ndarray
    ib_volume: np.ndarray
    ib_incoterm: np.ndarray
    # tracking events (inbound flag: shipment index is into the inbound arrays)
    ev_shipment: np.ndarray
    ev_inbound: np.ndarray
    ev_at: np.ndarray           # seconds
    ev_code: np.ndarray
    ev_exception: np.ndarray
    # freight invoice lines
    fr_shipment: np.ndarray
    fr_inbound: np.ndarray
    fr_charge: np.ndarray
    fr_amount: np.ndarray       # carrier currency
    fr_doc: np.ndarray
    fr_line: np.ndarray
    fr_day: np.ndarray
    fr_carrier: np.ndarray
    fr_site: np.ndarray


def _inbound(ctx: Ctx, co: Company, sup: Supply, lane_carrier: np.ndarray) -> dict:
    """One inbound consignment per goods-receipt document (receipt movements)."""
    m = np.nonzero(sup.gr_kind == GR_NORMAL)[0]
    doc, _, nd = group_ids(sup.gr_doc[m])
    first = np.zeros(nd, np.int64)
    first[doc[::-1]] = m[::-1]
    items = co.items
    itm = sup.po_item[sup.gr_line[m]]
    q = sup.gr_qty[m]
    weight = np.bincount(doc, weights=q * items.unit_weight_kg.to_numpy()[itm], minlength=nd)
    volume = np.bincount(doc, weights=q * items.unit_volume_m3.to_numpy()[itm], minlength=nd)
    fx = np.array([FX0[c] for c in co.suppliers.currency.to_numpy()])
    line = sup.gr_line[first]
    s_ = sup.po_sup[line]
    value_usd = np.bincount(doc, weights=sup.gr_qty[m] * sup.po_price[sup.gr_line[m]]
                            * fx[sup.po_sup[sup.gr_line[m]]], minlength=nd)
    site = sup.po_site[line]
    deliv = sup.gr_day[first]
    s_country = co.suppliers.country.to_numpy()[s_]
    s_region = np.array([COUNTRIES[c][1] for c in s_country])
    site_country = co.sites.country.to_numpy()[site]
    site_region = co.sites.region.to_numpy()[site]
    far = s_region != site_region
    # keyed by PO number and day: stable whatever is received after the as-of date
    key = sup.po_order[line] * 100_000 + (deliv - ctx.start)
    u = ctx.u("inbound-mode", key)
    mode = np.where(weight < 30, 0, np.where(weight < 2500, 1, 2))
    mode = np.where(far, np.where((weight < 300) & (u < .25), 4, 3), mode)
    lead_lo = np.array([SUPPLIER_LEAD[c][0] for c in s_country])
    transit = np.select([mode == 3, mode == 4], [np.maximum(lead_lo - 5, 10), 3],
                        np.where(s_country == site_country, 1, 3)) \
        + u_int(ctx.u("inbound-transit", key), 0, 3)
    # the consignment cannot leave before the order was placed
    transit = np.clip(transit, 1, np.maximum(deliv - sup.po_day[line] - 1, 1))
    pickup = deliv - transit
    # planned: the date the supplier had promised when the goods left (its latest
    # confirmation made by the pickup day), else the need date
    planned_del = sup.po_requested[line].copy()
    if len(sup.cf_line):
        ck = sup.cf_line * 10**11 + sup.cf_at
        oc = np.argsort(ck, kind="stable")
        at = np.searchsorted(ck[oc], line * 10**11 + (pickup + 1) * DAY_S - 1, side="right") - 1
        ok = (at >= 0) & (sup.cf_line[oc][np.maximum(at, 0)] == line)
        planned_del = np.where(ok, sup.cf_date[oc][np.maximum(at, 0)], planned_del)
    first_in = np.full(len(sup.po_day), NEVER, np.int64)
    np.minimum.at(first_in, sup.gr_line[m], sup.gr_day[m])
    planned_del = np.where(deliv > first_in[line], deliv, planned_del)   # the rest of a short one
    o = np.lexsort((key, pickup))
    out = dict(
        ib_carrier=lane_carrier[site, mode][o], ib_mode=mode[o], ib_site=site[o], ib_sup=s_[o],
        ib_planned_pickup=(planned_del - transit)[o], ib_pickup=pickup[o],
        ib_planned_delivery=planned_del[o], ib_delivery=deliv[o], ib_weight=weight[o],
        ib_volume=volume[o],
        ib_incoterm=co.suppliers.incoterm.to_numpy()[s_][o],
    )
    out["value_usd"], out["far"] = value_usd[o], far[o]
    return out


def simulate_logistics(ctx: Ctx, co: Company, sales: Sales, sup: Supply) -> Logistics:
    carriers, cust = co.carriers, co.customers
    c_country = carriers.country.to_numpy()
    site_country = co.sites.country.to_numpy()
    lane_carrier = np.zeros((len(co.sites), 5), np.int64)
    for si in range(len(co.sites)):
        local = np.nonzero(c_country == site_country[si])[0]
        for m in range(5):
            lane_carrier[si, m] = local[(si + 2 * m) % len(local)]
    ib = _inbound(ctx, co, sup, lane_carrier)
    n_in = len(ib["ib_pickup"])

    n = len(sales.sh_ship)
    sh = np.arange(n)
    ship, deliv, transit = sales.sh_ship, sales.sh_deliv, sales.sh_transit
    planned = sales.sh_planned_pickup + transit

    def at(name, rows, lo, hi):
        return u_int(ctx.u(name, rows), lo * 3600, hi * 3600)
    ev = []
    ev.append((sh, ship * DAY_S + at("ev-pickup", sh, 8, 16), 0, False, False))
    it = np.nonzero(ship + 1 < deliv)[0]
    ev.append((it, (ship[it] + 1) * DAY_S + at("ev-transit", it, 5, 10), 1, False, False))
    dl = np.nonzero(sales.sh_delay > 0)[0]
    ev.append((dl, np.maximum(planned[dl], ship[dl]) * DAY_S + at("ev-delayed", dl, 12, 18),
               2, True, False))
    ev.append((sh, deliv * DAY_S + at("ev-delivered", sh, 10, 19), 3, False, False))
    # inbound
    k = np.arange(n_in)
    p, d, pd_ = ib["ib_pickup"], ib["ib_delivery"], ib["ib_planned_delivery"]
    ev.append((k, p * DAY_S + at("ib-pickup", k, 7, 17), 0, False, True))
    it = np.nonzero(p + 1 < d)[0]
    ev.append((it, (p[it] + 1) * DAY_S + at("ib-transit", it, 5, 10), 1, False, True))
    late = np.nonzero(d > pd_)[0]
    ev.append((late, np.maximum(pd_[late], p[late]) * DAY_S + at("ib-delayed", late, 12, 18),
               2, True, True))
    ev.append((k, d * DAY_S + at("ib-delivered", k, 8, 15), 3, False, True))
    ev_shipment = np.concatenate([e[0] for e in ev])
    ev_at = np.concatenate([e[1] for e in ev])
    ev_code = np.concatenate([np.full(len(e[0]), e[2]) for e in ev])
    ev_exc = np.concatenate([np.full(len(e[0]), e[3]) for e in ev])
    ev_in = np.concatenate([np.full(len(e[0]), e[4]) for e in ev])
    o = np.lexsort((ev_code, ev_shipment, ev_in, ev_at // DAY_S))
    ev_shipment, ev_at, ev_code, ev_exc, ev_in = (a[o] for a in (ev_shipment, ev_at, ev_code,
                                                                 ev_exc, ev_in))

    # freight: one invoice per carrier × site × week of delivery, a line per charge
    def charges(carrier, mode, weight, cross, duty_usd, rows, prefix):
        to_carrier = 1.0 / np.array([FX0[c] for c in carriers.currency.to_numpy()[carrier]])
        linehaul = (RATE_FIXED[mode] + RATE_KG[mode] * weight) \
            * carriers.rate_factor.to_numpy()[carrier] * np.where(cross, 1.4, 1.0)
        amounts = [linehaul, linehaul * (.12 + .1 * ctx.u(f"{prefix}fuel", rows)),
                   np.where(ctx.u(f"{prefix}accessorial", rows) < .08,
                            25 + 125 * ctx.u(f"{prefix}accessorial-amount", rows), 0.0),
                   duty_usd]
        return np.round(np.concatenate(amounts) * np.concatenate([to_carrier] * 4), 2)

    cross = cust.cross_border.to_numpy()[sales.sh_cust]
    site_fx = np.array([FX0[c] for c in co.sites.currency.to_numpy()[sales.sh_site]])
    duty = np.where(cross & (cust.incoterm.to_numpy()[sales.sh_cust] == "DDP"),
                    sales.sh_value * site_fx * .03, 0.0)
    out_amt = charges(sales.sh_carrier, sales.sh_mode, sales.sh_weight, cross, duty, sh, "")
    we_pay = np.isin(ib["ib_incoterm"], ["FCA", "EXW"])
    in_duty = np.where(ib["far"], ib["value_usd"] * .025, 0.0)
    in_amt = charges(ib["ib_carrier"], ib["ib_mode"], ib["ib_weight"], ib["far"], in_duty, k, "ib-")
    fr_shipment = np.concatenate([np.tile(sh, 4), np.tile(k, 4)])
    fr_inbound = np.concatenate([np.zeros(4 * n, bool), np.ones(4 * n_in, bool)])
    fr_charge = np.concatenate([np.repeat(np.arange(4), n), np.repeat(np.arange(4), n_in)])
    fr_amount = np.concatenate([out_amt, in_amt])
    delivered = np.concatenate([np.tile(deliv, 4), np.tile(ib["ib_delivery"], 4)])
    payable = np.concatenate([np.ones(4 * n, bool), np.tile(we_pay, 4)])
    keep = (fr_amount > 0) & (delivered < NEVER) & payable
    fr_shipment, fr_inbound, fr_charge, fr_amount, delivered = (
        a[keep] for a in (fr_shipment, fr_inbound, fr_charge, fr_amount, delivered))
    fr_carrier = np.zeros(len(fr_shipment), np.int64)
    fr_site = np.zeros(len(fr_shipment), np.int64)
    fi, fo = fr_inbound, ~fr_inbound
    fr_carrier[fi], fr_site[fi] = ib["ib_carrier"][fr_shipment[fi]], ib["ib_site"][fr_shipment[fi]]
    fr_carrier[fo], fr_site[fo] = sales.sh_carrier[fr_shipment[fo]], sales.sh_site[fr_shipment[fo]]
    week_end = delivered + (6 - weekday(delivered))           # Sunday of the delivery week
    fr_day = week_end + 3                                      # invoiced the Wednesday after
    o = np.lexsort((fr_charge, fr_shipment, fr_inbound, fr_site, fr_carrier, fr_day))
    fr_shipment, fr_inbound, fr_charge, fr_amount, fr_day, fr_carrier, fr_site = (
        a[o] for a in (fr_shipment, fr_inbound, fr_charge, fr_amount, fr_day, fr_carrier, fr_site))
    fr_doc, fr_rank, _ = group_ids(fr_day, fr_carrier, fr_site)
    ib.pop("value_usd")
    ib.pop("far")
    return Logistics(**ib, ev_shipment=ev_shipment, ev_inbound=ev_in, ev_at=ev_at,
                     ev_code=ev_code, ev_exception=ev_exc, fr_shipment=fr_shipment,
                     fr_inbound=fr_inbound, fr_charge=fr_charge, fr_amount=fr_amount,
                     fr_doc=fr_doc, fr_line=fr_rank + 1, fr_day=fr_day, fr_carrier=fr_carrier,
                     fr_site=fr_site)
