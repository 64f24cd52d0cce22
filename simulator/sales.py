"""Customer demand and fulfilment: sales order lines with first promises, deliveries
(split and short shipments, late ones), cancellations, outbound shipments, customer
invoices and returns.

Demand is simulated past the as-of date (ctx.horizon) so that replenishment upstream
sees the future it would have planned for; nothing after the as-of is ever written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .core import NEVER, Ctx, geometric_days, group_ids, money, pick, weekday
from .master import Company

WEEKLY = np.array([1.15, 1.1, 1.05, 1.0, 0.9, 0.12, 0.05])
MODES = ["parcel", "ltl", "ftl", "ocean", "air"]
REASONS = ["damaged", "wrong_item", "quality", "not_needed"]
DISPOSITIONS = ["restock", "repair", "scrap"]
CANCEL_REASONS = ["customer", "own"]


@dataclass
class Sales:
    # selling series (item × site rows of item_sites that sell)
    series_isite: np.ndarray
    # order lines
    isite: np.ndarray
    item: np.ndarray
    site: np.ndarray
    cust: np.ndarray
    order: np.ndarray          # order number (0-based, in order-date order)
    line_no: np.ndarray
    order_day: np.ndarray
    requested: np.ndarray
    committed: np.ndarray      # NEVER = never promised
    qty: np.ndarray
    price: np.ndarray
    cancel_day: np.ndarray     # NEVER = not cancelled
    cancel_reason: np.ndarray  # -1 none, 0 customer, 1 own
    close_day: np.ndarray      # last shipment of a live line
    # deliveries (one row per delivery line)
    d_line: np.ndarray
    d_ship: np.ndarray
    d_deliv: np.ndarray
    d_qty: np.ndarray
    d_doc: np.ndarray
    d_doc_line: np.ndarray
    d_shipment: np.ndarray
    # shipments
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
    # returns (one row per return line)
    r_dline: np.ndarray
    r_day: np.ndarray
    r_qty: np.ndarray
    r_reason: np.ndarray
    r_disp: np.ndarray
    r_credit: np.ndarray
    r_doc: np.ndarray
    r_line: np.ndarray
    # planted duplicate lines, deleted on a later day (index into the lines)
    dup_of: np.ndarray
    dup_line_no: np.ndarray
    dup_deleted_on: int


def plant_site_service(ctx: Ctx, co: Company) -> None:
    """Planted service behaviour per shipping site."""
    rng = ctx.rng("site-service")
    n = len(co.sites)
    co.sites["p_late"] = np.round(rng.uniform(.04, .14, n), 4)
    co.sites["mean_days_late"] = np.round(rng.uniform(2, 6, n), 2)
    co.sites["p_short"] = np.round(rng.uniform(.03, .08, n), 4)
    co.sites["p_customer_cancel"] = 0.025
    co.sites["p_own_cancel"] = 0.005
    co.sites["p_unpromised"] = 0.03


def simulate_sales(ctx: Ctx, co: Company) -> Sales:
    plant_site_service(ctx, co)
    rng = ctx.rng("sales")
    items, isites, cust, sites = co.items, co.item_sites, co.customers, co.sites
    sell = np.nonzero(isites.sells.to_numpy())[0]
    s_item = isites.item.to_numpy()[sell]
    s_site = isites.site.to_numpy()[sell]
    S, T = len(sell), ctx.T

    # --- demand rates [day, series] -------------------------------------------------------
    days = ctx.start + np.arange(T)
    cats = sorted(set(items.category))
    cat_of = items.category.map({c: i for i, c in enumerate(cats)}).to_numpy()[s_item]
    amp = rng.uniform(0, .3, len(cats))[cat_of]
    phase = rng.uniform(0, 365, len(cats))[cat_of]
    growth = rng.uniform(-.1, .2, S)
    level = rng.lognormal(0, 1.1, S)
    season = 1 + amp[None, :] * np.sin(2 * np.pi * (days[:, None] - phase[None, :]) / 365.25)
    trend = np.exp(growth[None, :] * (days[:, None] - ctx.start) / 365.0)
    rate = level[None, :] * season * trend * WEEKLY[weekday(days)][:, None]
    intro = items.introduced_on.to_numpy()[s_item]
    ends = items.demand_ends.to_numpy()[s_item]
    rate *= (days[:, None] >= intro[None, :]) & (days[:, None] < ends[None, :])
    fading = (items.lifecycle_status.to_numpy()[s_item] == "phase_out")
    fade = 1 - .6 * np.clip((days[:, None] - (ctx.end - 200)) / 200, 0, 1)
    rate = np.where(fading[None, :], rate * fade, rate)
    hist = ctx.end - ctx.start + 1
    rate *= ctx.tier.sales_lines / rate[:hist].sum()
    counts = rng.poisson(rate)
    flat = np.repeat(np.arange(T * S), counts.ravel())
    t, s = flat // S, flat % S
    n = len(t)

    site = s_site[s]
    item = s_item[s]
    c = pick(rng, site, cust.weight.to_numpy(), cust.site.to_numpy())
    order_day = ctx.start + t
    order, line_rank, _ = group_ids(order_day, site, c)
    qty_mean = rng.lognormal(np.log(4), 1.0, len(items))[item]
    qty = np.maximum(1, np.round(rng.lognormal(np.log(qty_mean), .6))).astype(float)
    price = np.round(isites.list_price.to_numpy()[sell][s] * (1 - cust.discount.to_numpy()[c]), 2)

    # the customer asks for a date (one per order); we promise the first date we can
    o_draw = rng.random(order.max() + 1)
    lead = cust.request_lead_min.to_numpy()[c] + np.floor(
        o_draw[order] * (cust.request_lead_span.to_numpy()[c] + 1)).astype(int)
    requested = order_day + lead
    transit = cust.transit_days.to_numpy()[c]
    committed = np.maximum(requested, order_day + transit + 1)
    slip = rng.random(n) < .12
    committed = committed + np.where(slip, rng.integers(1, 11, n), 0)
    unpromised = rng.random(n) < sites.p_unpromised.to_numpy()[site]
    committed = np.where(unpromised, NEVER, committed)
    deadline = np.where(unpromised, requested, committed)

    # --- fulfilment -------------------------------------------------------------------------
    p_cc = sites.p_customer_cancel.to_numpy()[site]
    p_oc = sites.p_own_cancel.to_numpy()[site]
    u = rng.random(n)
    cust_cancel = u < p_cc
    own_cancel = (u >= p_cc) & (u < p_cc + p_oc)
    live = ~(cust_cancel | own_cancel)
    cancel_day = np.full(n, NEVER, np.int64)
    window = np.maximum(deadline - order_day, 1)
    cancel_day[cust_cancel] = (order_day + np.floor(rng.random(n) * window).astype(int))[cust_cancel]
    cancel_day[own_cancel] = (deadline + rng.integers(0, 6, n))[own_cancel]
    cancel_reason = np.where(cust_cancel, 0, np.where(own_cancel, 1, -1))

    late = rng.random(n) < sites.p_late.to_numpy()[site]
    late_by = geometric_days(rng, sites.mean_days_late.to_numpy()[site])
    early = rng.choice([0, 0, 0, 0, 1, 1, 2], n)
    target = np.where(late, deadline + late_by, deadline - early)
    ship1 = np.maximum(target - transit, order_day)
    short = live & (rng.random(n) < sites.p_short.to_numpy()[site]) & (qty >= 2)
    q1 = np.where(short, np.maximum(1, np.floor(qty * rng.uniform(.3, .9, n))), qty)
    follow = short & (rng.random(n) < .7)
    ship2 = ship1 + rng.integers(2, 16, n)
    close_day = np.where(follow, ship2, ship1)
    close_day = np.where(live, close_day, NEVER)

    i1, i2 = np.nonzero(live)[0], np.nonzero(follow)[0]
    d_line = np.concatenate([i1, i2])
    d_ship = np.concatenate([ship1[i1], ship2[i2]])
    d_qty = np.concatenate([q1[i1], (qty - q1)[i2]])
    order_sort = np.lexsort((d_line, d_ship))            # deliveries in shipping order
    d_line, d_ship, d_qty = d_line[order_sort], d_ship[order_sort], d_qty[order_sort]

    # --- shipments: one per site × customer × shipping day ------------------------------------
    d_site, d_cust = site[d_line], c[d_line]
    d_shipment, _, n_sh = group_ids(d_ship, d_site, d_cust)
    first = np.zeros(n_sh, np.int64)
    first[d_shipment[::-1]] = np.arange(len(d_shipment))[::-1]
    sh_site, sh_cust, sh_ship = d_site[first], d_cust[first], d_ship[first]
    w_item = items.unit_weight_kg.to_numpy()
    v_item = items.unit_volume_m3.to_numpy()
    sh_weight = np.bincount(d_shipment, weights=d_qty * w_item[item[d_line]], minlength=n_sh)
    sh_volume = np.bincount(d_shipment, weights=d_qty * v_item[item[d_line]], minlength=n_sh)
    sh_value = np.bincount(d_shipment, weights=d_qty * price[d_line], minlength=n_sh)
    rs = ctx.rng("shipments")
    mode = np.where(sh_weight < 30, 0, np.where(sh_weight < 2500, 1, 2))
    cross = cust.cross_border.to_numpy()[sh_cust]
    mode = np.where(cross & (sh_weight < 500) & (rs.random(n_sh) < .1), 4, mode)
    carriers = co.carriers
    c_country = carriers.country.to_numpy()
    site_country = sites.country.to_numpy()
    lane_carrier = np.zeros((len(sites), len(MODES)), np.int64)
    for si in range(len(sites)):
        local = np.nonzero(c_country == site_country[si])[0]
        for m in range(len(MODES)):
            lane_carrier[si, m] = local[(si + 2 * m) % len(local)]
    sh_carrier = lane_carrier[sh_site, mode]
    delayed = rs.random(n_sh) < carriers.p_delay.to_numpy()[sh_carrier]
    sh_delay = np.where(delayed, rs.integers(1, 4, n_sh), 0)
    sh_transit = cust.transit_days.to_numpy()[sh_cust]
    sh_deliv = sh_ship + sh_transit + sh_delay
    slip_pick = rs.random(n_sh) < .08
    sh_planned_pickup = sh_ship - np.where(slip_pick, rs.integers(1, 3, n_sh), 0)
    d_deliv = sh_deliv[d_shipment]

    # delivery documents: one per order × shipping day
    d_doc, d_doc_rank, _ = group_ids(d_ship, order[d_line])

    # --- returns --------------------------------------------------------------------------------
    rr = ctx.rng("returns")
    nd = len(d_line)
    ret = rr.random(nd) < .02
    r_dline = np.nonzero(ret)[0]
    nr = len(r_dline)
    r_day = d_deliv[r_dline] + rr.integers(3, 41, nr)
    r_qty = np.maximum(1, np.floor(d_qty[r_dline] * rr.uniform(.1, 1, nr)))
    r_reason = rr.choice(4, nr, p=[.3, .2, .25, .25])
    scrap_or_repair = np.where(rr.random(nr) < .7, 2, 1)
    r_disp = np.select([r_reason == 0, r_reason == 2], [scrap_or_repair, 3 - scrap_or_repair], 0)
    fee = np.where(r_reason == 3, .9, 1.0)
    r_credit = money(r_qty, np.round(price[d_line[r_dline]] * fee, 4))
    r_cust = c[d_line[r_dline]]
    r_doc, r_rank, _ = group_ids(r_day, r_cust)

    # --- planted duplicates, deleted later (exercise is_deleted) -------------------------------
    dup_deleted_on = ctx.cutoff + 2
    cand = np.nonzero(live & (order_day >= ctx.start + 5) & (order_day < ctx.cutoff))[0]
    if ctx.end - ctx.cutoff >= 2 and len(cand) >= 2:
        dup_of = np.sort(rr.choice(cand, 2, replace=False))
    else:
        dup_of = np.zeros(0, np.int64)
    lines_per_order = np.bincount(order)
    dup_line_no = lines_per_order[order[dup_of]] + 1 + np.arange(len(dup_of))

    return Sales(
        series_isite=sell, isite=sell[s], item=item, site=site, cust=c, order=order,
        line_no=line_rank + 1, order_day=order_day, requested=requested,
        committed=committed, qty=qty, price=price, cancel_day=cancel_day,
        cancel_reason=cancel_reason, close_day=close_day,
        d_line=d_line, d_ship=d_ship, d_deliv=d_deliv, d_qty=d_qty, d_doc=d_doc,
        d_doc_line=d_doc_rank + 1, d_shipment=d_shipment,
        sh_site=sh_site, sh_cust=sh_cust, sh_ship=sh_ship, sh_deliv=sh_deliv,
        sh_planned_pickup=sh_planned_pickup, sh_transit=sh_transit, sh_delay=sh_delay,
        sh_mode=mode, sh_carrier=sh_carrier, sh_weight=sh_weight, sh_volume=sh_volume,
        sh_value=sh_value,
        r_dline=r_dline, r_day=r_day, r_qty=r_qty, r_reason=r_reason, r_disp=r_disp,
        r_credit=r_credit, r_doc=r_doc, r_line=r_rank + 1,
        dup_of=dup_of, dup_line_no=dup_line_no, dup_deleted_on=dup_deleted_on,
    )
