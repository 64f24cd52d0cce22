"""Outbound logistics: tracking events of every shipment and the carriers' freight
invoices (linehaul, fuel, accessorials, duty), invoiced weekly per carrier and site."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .core import DAY_S, NEVER, Ctx, group_ids, weekday
from .master import FX0, Company
from .sales import Sales

EVENT_CODES = ["PICKED_UP", "IN_TRANSIT", "DELAYED", "DELIVERED"]
CHARGES = ["linehaul", "fuel", "accessorial", "duty"]
# linehaul in USD: fixed + per kg, by mode (parcel, ltl, ftl, ocean, air)
RATE_FIXED = np.array([6.0, 90.0, 850.0, 400.0, 40.0])
RATE_KG = np.array([1.1, 0.18, 0.03, 0.02, 4.5])


@dataclass
class Logistics:
    ev_shipment: np.ndarray
    ev_at: np.ndarray           # seconds
    ev_code: np.ndarray
    ev_exception: np.ndarray
    fr_shipment: np.ndarray
    fr_charge: np.ndarray
    fr_amount: np.ndarray       # carrier currency
    fr_doc: np.ndarray
    fr_line: np.ndarray
    fr_day: np.ndarray
    fr_carrier: np.ndarray
    fr_site: np.ndarray


def simulate_logistics(ctx: Ctx, co: Company, sales: Sales) -> Logistics:
    rng = ctx.rng("logistics")
    n = len(sales.sh_ship)
    sh = np.arange(n)
    ship, deliv, transit = sales.sh_ship, sales.sh_deliv, sales.sh_transit
    planned = sales.sh_planned_pickup + transit

    ev = []
    ev.append((sh, ship * DAY_S + rng.integers(8 * 3600, 16 * 3600, n), 0, False))
    it = np.nonzero(ship + 1 < deliv)[0]
    ev.append((it, (ship[it] + 1) * DAY_S + rng.integers(5 * 3600, 10 * 3600, len(it)), 1, False))
    dl = np.nonzero(sales.sh_delay > 0)[0]
    ev.append((dl, planned[dl] * DAY_S + rng.integers(12 * 3600, 18 * 3600, len(dl)), 2, True))
    ev.append((sh, deliv * DAY_S + rng.integers(10 * 3600, 19 * 3600, n), 3, False))
    ev_shipment = np.concatenate([e[0] for e in ev])
    ev_at = np.concatenate([e[1] for e in ev])
    ev_code = np.concatenate([np.full(len(e[0]), e[2]) for e in ev])
    ev_exc = np.concatenate([np.full(len(e[0]), e[3]) for e in ev])
    o = np.lexsort((ev_code, ev_shipment, ev_at // DAY_S))
    ev_shipment, ev_at, ev_code, ev_exc = ev_shipment[o], ev_at[o], ev_code[o], ev_exc[o]

    # freight: one invoice per carrier × site × week of delivery, a line per charge
    carriers, cust = co.carriers, co.customers
    ccy = carriers.currency.to_numpy()[sales.sh_carrier]
    to_carrier = 1.0 / np.array([FX0[c] for c in ccy])
    cross = cust.cross_border.to_numpy()[sales.sh_cust]
    mode = sales.sh_mode
    linehaul = (RATE_FIXED[mode] + RATE_KG[mode] * sales.sh_weight) \
        * carriers.rate_factor.to_numpy()[sales.sh_carrier] * np.where(cross, 1.4, 1.0)
    site_fx = np.array([FX0[c] for c in co.sites.currency.to_numpy()[sales.sh_site]])
    goods_usd = sales.sh_value * site_fx
    amounts = [linehaul, linehaul * rng.uniform(.12, .22, n),
               np.where(rng.random(n) < .08, rng.uniform(25, 150, n), 0.0),
               np.where(cross & (cust.incoterm.to_numpy()[sales.sh_cust] == "DDP"),
                        goods_usd * .03, 0.0)]
    fr_shipment = np.concatenate([sh] * 4)
    fr_charge = np.repeat(np.arange(4), n)
    fr_amount = np.round(np.concatenate(amounts) * np.concatenate([to_carrier] * 4), 2)
    keep = (fr_amount > 0) & (deliv[fr_shipment] < NEVER)
    fr_shipment, fr_charge, fr_amount = fr_shipment[keep], fr_charge[keep], fr_amount[keep]
    d = deliv[fr_shipment]
    week_end = d + (6 - weekday(d))                           # Sunday of the delivery week
    fr_day = week_end + 3                                     # invoiced the Wednesday after
    fr_carrier = sales.sh_carrier[fr_shipment]
    fr_site = sales.sh_site[fr_shipment]
    o = np.lexsort((fr_charge, fr_shipment, fr_site, fr_carrier, fr_day))
    fr_shipment, fr_charge, fr_amount, fr_day, fr_carrier, fr_site = (
        a[o] for a in (fr_shipment, fr_charge, fr_amount, fr_day, fr_carrier, fr_site))
    fr_doc, fr_rank, _ = group_ids(fr_day, fr_carrier, fr_site)
    return Logistics(ev_shipment, ev_at, ev_code, ev_exc, fr_shipment, fr_charge, fr_amount,
                     fr_doc, fr_rank + 1, fr_day, fr_carrier, fr_site)
