"""The company day by day: one block (product division) of item × site series simulated
from the first day of history to the as-of date.

Every day, in this order: arrivals (receipts, finished production, transfers, customer
returns), returns to supplier, cancellations, new customer orders, production starts
(components consumed, all or nothing), customer shipments from stock (first come first
served; partial shipments where the customer accepts them; backorders wait; a line
waiting longer than the customer's patience is lost), transfers plant → DC, spare-part
issues and damage, cycle counts, then the replenishment review of each series (order-up-to
policy on a smoothed forecast: purchase orders, production orders, transfer requests) and
the forecast update. Stock never goes negative: every outflow is allocated from stock.

So lateness of a sales line comes from what happened: a stock-out at the site (often
because the purchase order or production order that should have covered it was late), a
carrier delay, a short pick, a handling delay. The loop keeps what caused each delay.

Randomness: one stream consumed day by day, so a run to a later as-of date reproduces
every earlier day exactly; records after the loop draw from counter-based uniforms.
"""

from __future__ import annotations

import numpy as np

from .core import NEVER, Cal, Ctx, Log, allocate, expand, group_ids, hash_uniform, money, \
    nice, pick, weekday
from .master import R_COMPONENT, R_DC, R_MAKE, R_RAW, R_SPARE, R_TRADED, Company

WEEKLY = np.array([1.15, 1.1, 1.05, 1.0, 0.9, 0.12, 0.05])
MODES = ["parcel", "ltl", "ftl", "ocean", "air"]
REASONS = ["damaged", "wrong_item", "quality", "not_needed"]
DISPOSITIONS = ["restock", "repair", "scrap"]
CANCEL_REASONS = ["customer", "own"]
GR_NORMAL, GR_WRONG, GR_REVERSAL, GR_RTS = 0, 1, 2, 3
BUY_ROLES = (R_TRADED, R_COMPONENT, R_RAW, R_SPARE)
ALPHA = 0.05                 # forecast smoothing
Z_COMPONENT, Z_MAKE = 2.6, 2.0   # safety factors of components / raw materials, made items
P_RETURN = 0.045             # chance a delivery line comes (partly) back
EARLY_SHIP = np.array([0, 0, 0, 0, 1, 1, 2])
EARLY_RECEIPT = np.array([0, 0, 0, 1, 2, 3])
DAY_S = 86_400


def _f(n):
    return np.zeros(n)


class Block:
    """The simulation of one block; `run()` fills the logs read by simulator.records."""

    def __init__(self, ctx: Ctx, co: Company):
        self.ctx, self.co = ctx, co
        self.rng = ctx.rng("loop")
        isites, items, sites = co.item_sites, co.items, co.sites
        g = self.g = np.nonzero(isites.block.to_numpy() == ctx.block)[0]
        S = self.S = len(g)
        self.item = isites.item.to_numpy()[g]
        self.site = isites.site.to_numpy()[g]
        self.role = isites.role.to_numpy()[g]
        self.sells = isites.sells.to_numpy()[g]
        self.kg = items.base_uom.to_numpy()[self.item] == "KG"
        self.std = isites.standard_cost.to_numpy()[g]
        self.list_price = isites.list_price.to_numpy()[g]
        self.series_of = np.full((len(items), len(sites)), -1, np.int64)
        self.series_of[self.item, self.site] = np.arange(S)
        self.buy = np.isin(self.role, BUY_ROLES)
        self._customers()
        self._demand()
        self._supply_setup()
        self._policy()
        self._logs()

    # --- set-up ------------------------------------------------------------------------

    def _customers(self):
        c = self.co.customers
        self.c_site = c.site.to_numpy()
        self.c_weight = c.weight.to_numpy()
        self.c_transit = c.transit_days.to_numpy()
        self.c_req_min = c.request_lead_min.to_numpy()
        self.c_req_span = c.request_lead_span.to_numpy()
        self.c_discount = c.discount.to_numpy()
        self.c_partial = c.partial_ok.to_numpy()
        self.c_patience = c.patience_days.to_numpy()
        self.c_cross = c.cross_border.to_numpy()
        s = self.co.sites
        self.p_late = s.p_late.to_numpy()
        self.p_pick_short = s.p_short.to_numpy()
        self.p_cc = s.p_customer_cancel.to_numpy()
        self.p_oc = s.p_own_cancel.to_numpy()
        self.p_unprom = s.p_unpromised.to_numpy()
        self.p_slip = s.p_promise_slip.to_numpy()
        car = self.co.carriers
        self.car_delay = car.p_delay.to_numpy()
        c_country = car.country.to_numpy()
        site_country = s.country.to_numpy()
        self.lane_carrier = np.zeros((len(s), len(MODES)), np.int64)
        for si in range(len(s)):
            local = np.nonzero(c_country == site_country[si])[0]
            for m in range(len(MODES)):
                self.lane_carrier[si, m] = local[(si + 2 * m) % len(local)]

    def _rate(self, days: np.ndarray) -> np.ndarray:
        """Expected sales order lines per day [len(days), selling series], before the
        promotions (which the loop applies)."""
        ctx = self.ctx
        days = np.asarray(days)[:, None]
        season = 1 + self.amp[None, :] * np.sin(2 * np.pi * (days - self.phase[None, :]) / 365.25)
        trend = np.exp(self.growth[None, :] * (days - ctx.start) / 365.0)
        life = (days >= self.intro[None, :]) & (days < self.ends[None, :])
        fade = np.where(self.fading[None, :],
                        1 - .6 * np.clip((days - (ctx.nominal_end - 200)) / 200, 0, 1), 1.0)
        d = days[:, 0].astype("datetime64[D]")
        md = (d - d.astype("datetime64[Y]")).astype(np.int64)           # day of year, 0-based
        leap = (d.astype("datetime64[Y]").astype(np.int64) + 1970) % 4 == 0
        holiday = (md >= 357 + leap) | (md == 0)                        # 24 Dec … 1 Jan
        factor = WEEKLY[weekday(days[:, 0])] * np.where(holiday, .3, 1.0)
        return self.level[None, :] * season * trend * life * fade * factor[:, None]

    def _demand(self):
        ctx, co = self.ctx, self.co
        items, isites = co.items, co.item_sites
        sell = self.sell = np.nonzero(self.sells)[0]
        it = self.item[sell]
        cats = sorted(set(items.category))
        cat = items.category.map({c: i for i, c in enumerate(cats)}).to_numpy()[it]
        self.amp = (.05 + .3 * hash_uniform(ctx.seed, "season-amplitude", np.arange(len(cats))))[cat]
        self.phase = (365 * hash_uniform(ctx.seed, "season-phase", np.arange(len(cats))))[cat]
        self.growth = isites.growth.to_numpy()[self.g][sell]
        self.level = isites.level.to_numpy()[self.g][sell]
        self.intro = items.introduced_on.to_numpy()[it]
        self.ends = items.demand_ends.to_numpy()[it]
        self.fading = items.lifecycle_status.to_numpy()[it] == "phase_out"
        # promotions of the block's selling series
        pr = co.promos
        fam = items.family.to_numpy()[it]
        key = {(f, s): [] for f, s in zip(pr.family, pr.site)}
        for k, (f, s) in enumerate(zip(fam, self.site[sell])):
            if (f, s) in key:
                key[(f, s)].append(k)
        ps, p0, p1, pu, pd_ = [], [], [], [], []
        for row in pr.itertuples(index=False):
            for k in key.get((row.family, row.site), []):
                ps.append(k), p0.append(row.start), p1.append(row.end)
                pu.append(row.uplift), pd_.append(row.discount)
        self.pr_series = np.array(ps, np.int64)
        self.pr_start, self.pr_end = np.array(p0, np.int64), np.array(p1, np.int64)
        self.pr_uplift, self.pr_disc = np.array(pu, float), np.array(pd_, float)
        # calibrate: the expected number of lines over the nominal history hits the
        # block's share of the tier's target
        days = np.arange(ctx.start, ctx.nominal_end + 1)
        rate = self._rate(days)
        for k in range(len(ps)):
            a, b = max(p0[k] - ctx.start, 0), min(p1[k] - ctx.start + 1, len(days))
            if a < b:
                rate[a:b, ps[k]] *= pu[k]
        n_sell_all = int(isites.sells.sum())
        target = ctx.tier.sales_lines * len(sell) / max(n_sell_all, 1)
        total = rate.sum()
        self.level = self.level * (target / total if total > 0 else 0.0)
        self.qty_mean = items.qty_mean.to_numpy()[it]
        e_qty = np.maximum(self.qty_mean * 1.2, 1.0)
        # the planner's first forecast (units per day) at the day the series starts
        first = np.maximum(self.intro, ctx.start)
        trend = np.exp(self.growth * (first - ctx.start) / 365.0)
        self.mu_sell = self.level * WEEKLY.mean() * trend * e_qty

    def _supply_setup(self):
        ctx, co = self.ctx, self.co
        S, role, item, site = self.S, self.role, self.item, self.site
        isites, items = co.item_sites, co.items
        mu = np.zeros(S)
        mu[self.sell] = self.mu_sell
        # DCs are replenished from the item's plant
        self.plant_series = np.full(S, -1, np.int64)
        dc = np.nonzero(role == R_DC)[0]
        src_plant = isites.source_plant.to_numpy()[self.g]
        self.plant_series[dc] = self.series_of[item[dc], src_plant[dc]]
        sc = co.sites.country.to_numpy()
        sr = co.sites.region.to_numpy()
        same_c = sc[src_plant[dc]] == sc[site[dc]]
        same_r = sr[src_plant[dc]] == sr[site[dc]]
        self.lane = np.zeros(S, np.int64)
        self.lane[dc] = np.where(same_c, 2, np.where(same_r, 3, 21))
        np.add.at(mu, self.plant_series[dc], mu[dc])
        # bills of material per made series: the component series at the same plant
        bom = co.bom
        self.make = np.nonzero(role == R_MAKE)[0]
        par_series = np.full(len(items), -1, np.int64)
        par_series[item[self.make]] = self.make
        b = bom[par_series[bom.parent.to_numpy()] >= 0]
        bpar = par_series[b.parent.to_numpy()]
        bcomp = self.series_of[b.component.to_numpy(), site[bpar]]
        o = np.lexsort((b.pos.to_numpy(), bpar))
        self.bom_par, self.bom_comp = bpar[o], bcomp[o]
        self.bom_qty = (b.qty_per.to_numpy() * (1 + b.scrap_pct.to_numpy() / 100))[o]
        self.bom_pos = b.pos.to_numpy()[o]
        self.bom_n = np.bincount(self.bom_par, minlength=S)
        self.bom_off = np.cumsum(self.bom_n) - self.bom_n
        np.add.at(mu, self.bom_comp, mu[self.bom_par] * self.bom_qty)
        # spares: maintenance requests on working days
        self.spare = np.nonzero(role == R_SPARE)[0]
        self.spare_rate = isites.spare_rate.to_numpy()[self.g][self.spare]
        mu[self.spare] = self.spare_rate * 5 / 7 * 2.5
        self.mu0 = mu
        # sourcing of bought series
        src = co.sources
        s_item, s_sup = src.item.to_numpy(), src.supplier.to_numpy()
        prim = np.full(len(items), -1, np.int64)
        sec = np.full(len(items), -1, np.int64)
        pm = src.primary.to_numpy()
        prim[s_item[pm]] = np.nonzero(pm)[0]
        sec[s_item[~pm]] = np.nonzero(~pm)[0]
        self.prim, self.sec = prim[item], sec[item]
        self.src_sup = s_sup
        self.src_lead = src.lead_time_days.to_numpy()
        prices = co.prices[~co.prices.planted_error.to_numpy()]
        self.price_key = prices.source.to_numpy() * 1_000_000 + prices.valid_from.to_numpy()
        self.price_val = prices.unit_price.to_numpy()
        sup = co.suppliers
        self.sup = {c: sup[c].to_numpy() for c in (
            "p_on_time", "drift_per_year", "early_days", "mean_days_late", "p_confirm",
            "p_confirm_later_than_need", "p_reconfirm_when_late", "p_short",
            "p_short_followup", "p_reject", "reject_fraction", "p_return_to_supplier")}
        # work centres of made series
        wc = co.work_centers
        wc_index = {(s_, w): i for i, (s_, w) in enumerate(zip(wc.site, wc.work_center))}
        names = ("ASM1", "ASM2", "MCH1")
        site_ids = co.sites.site_id.to_numpy()
        self.wc = np.full(S, -1, np.int64)
        wi = items.wc.to_numpy()[item]
        for s_ in self.make:
            self.wc[s_] = wc_index[(site[s_], f"{site_ids[site[s_]]}-{names[wi[s_]]}")]
        self.wc_yield = wc.yield_loss.to_numpy()
        self.wc_overrun = wc.p_overrun.to_numpy()
        self.wc_delay = wc.p_start_delay.to_numpy()

    def _policy(self):
        """Replenishment parameters of every series (end-independent)."""
        ctx, co = self.ctx, self.co
        rng = ctx.rng("policy")
        S, role, mu = self.S, self.role, self.mu0
        hist = ctx.tier.history_days
        rank = np.argsort(np.argsort(-(mu * np.maximum(self.std, 0)), kind="stable"),
                          kind="stable") / max(S - 1, 1)
        # service factor: components and raw materials are buffered hardest (a missing
        # one stops production), plants harder than DCs, fast movers harder than slow
        base = np.select([np.isin(role, (R_COMPONENT, R_RAW)), role == R_MAKE], [Z_COMPONENT, Z_MAKE],
                         np.select([rank < .2, rank < .5], [1.75, 1.45], 1.15))
        self.z = base * rng.uniform(.9, 1.1, S)
        f = (0.5 + 1.2 * rank) * rng.uniform(.85, 1.15, S)
        k = np.ones(S, np.int64)
        # bought: reviewed on Mondays and Thursdays, every k-th review, k calibrated so the
        # number of PO lines meets the tier's target
        buy = np.nonzero(self.buy)[0]
        n_buy_all = int(np.isin(co.item_sites.role.to_numpy(), BUY_ROLES).sum())
        target = ctx.tier.po_lines * len(buy) / max(n_buy_all, 1)
        reviews = hist * 2 / 7
        base = reviews * 0.53 * np.sum(1 / f[buy]) / max(target, 1)
        k[buy] = np.clip(np.round(base * f[buy]), 1, 26)
        k[self.make] = np.clip(np.round(1.6 * f[self.make]), 1, 7)
        dc = np.nonzero(role == R_DC)[0]
        k[dc] = np.clip(np.round(1.0 * f[dc]), 1, 3)
        self.k = k
        self.phase_k = (rng.random(S) * k).astype(np.int64)
        lead = np.zeros(S, np.int64)
        lead[buy] = self.src_lead[self.prim[buy]]
        lead[self.make] = 5
        lead[dc] = self.lane[dc] + 1
        self.L = lead
        self.R = np.where(self.buy, k * 3.5, k.astype(float))
        lot = np.ones(S)
        lot[buy] = nice(mu[buy] * self.R[buy] * .3)
        lot[self.make] = nice(mu[self.make] * k[self.make] * .25)
        lot = np.where(self.kg, np.maximum(lot, 1.0), lot)
        self.lot = lot
        self.sigma0 = np.sqrt(np.maximum(mu, 1e-6) * np.maximum(mu, 1.0))
        # a series starts with the item: new items shortly before their launch
        intro = co.items.introduced_on.to_numpy()[self.item]
        self.act = np.where(intro > ctx.start,
                            intro - lead - np.ceil(self.R).astype(np.int64) - 7, ctx.start)
        self.act = np.where(np.isin(role, (R_COMPONENT, R_RAW, R_SPARE)), ctx.start, self.act)
        self.act = np.maximum(self.act, ctx.start)
        # cycle counts every 4, 8 or 13 weeks (fast movers more often), weekend -> Monday
        every = np.select([rank < .2, rank < .5], [28, 56], 91)
        phase = 7 + rng.integers(0, every)
        self.cc_every, self.cc_phase = every, phase
        # what the master data says (written as item_sites / supplier_items)
        level = mu * (lead + self.R) + self.z * self.sigma0 * np.sqrt(lead + self.R)
        isites = co.item_sites
        err = np.where(rng.random(S) < .2, rng.integers(-5, 11, S), 0)
        planned = np.where(self.buy, np.maximum(lead + err, 1), lead)
        ss = self.z * self.sigma0 * np.sqrt(lead + self.R)
        isites.loc[self.g, "planned_lead_time_days"] = planned
        isites.loc[self.g, "safety_stock_qty"] = np.where(self.kg, np.round(ss, 1), np.ceil(ss))
        isites.loc[self.g, "min_order_qty"] = lot
        ms = co.sources.min_qty.to_numpy().copy()
        ms[self.prim[buy]] = lot[buy]
        has_sec = buy[self.sec[buy] >= 0]
        ms[self.sec[has_sec]] = lot[has_sec]
        co.sources["min_qty"] = ms
        self.opening = np.zeros(S)
        lift = self._promo_lift(ctx.start, lead + self.R)    # promotion stock already built
        level = mu * (lead + self.R) * lift + self.z * self.sigma0 * np.sqrt(lead + self.R)
        opening = level * rng.uniform(.9, 1.3, S)
        opening = np.where(self.act > ctx.start, 0.0, opening)
        self.opening = np.where(self.kg, np.ceil(opening * 10) / 10, np.ceil(np.round(opening, 6)))

    def _logs(self):
        i8, f8, b1 = np.int64, np.float64, np.bool_
        self.lines = Log(series=i8, cust=i8, order=i8, line_no=i8, order_day=i8, requested=i8,
                         committed=i8, deadline=i8, ship_plan=i8, qty=f8, price=f8, promo=b1,
                         partial_ok=b1, patience=i8, pick_cap=f8, follow_days=i8,
                         handling=b1, own=b1,
                         shipped=f8, remaining=f8, lost=f8, status=i8, close_day=i8,
                         cancel_day=i8, cancel_reason=i8, next_elig=i8, n_ship=i8,
                         block_day=i8, picked_short=b1, lost_stock=b1)
        self.dl = Log(line=i8, day=i8, qty=f8, shipment=i8, deliv=i8)
        self.sh = Log(site=i8, cust=i8, day=i8, planned_pickup=i8, transit=i8, delay=i8,
                      mode=i8, carrier=i8, weight=f8, volume=f8, value=f8, deliv=i8)
        self.ret = Log(dl=i8, day=i8, qty=f8, reason=i8, disp=i8, credit=f8)
        self.req = Log(plant=i8, dc=i8, day=i8, qty=f8, remaining=f8)
        self.tr = Log(src=i8, dst=i8, out=i8, arrive=i8, qty=f8)
        self.mo = Log(series=i8, wc=i8, created=i8, released=i8, ps=i8, pf=i8, earliest=i8,
                      start=i8, finish=i8, cancel=i8, planned=f8, produced=f8, scrapped=f8,
                      dur=i8, overrun=i8, blocked_day=i8, short_comp=i8, start_delay=i8)
        self.cons = Log(mo=i8, series=i8, day=i8, qty=f8, pos=i8)
        self.po = Log(series=i8, source=i8, sup=i8, day=i8, requested=i8, qty=f8, price=f8,
                      cancel=i8, confirmed=b1, conf_at=i8, conf_date=i8, redate=b1,
                      conf2_at=i8, r1=i8, q1=f8, r2=i8, q2=f8, on_time=b1, close=i8)
        self.gr = Log(line=i8, day=i8, qty=f8, rej=f8, kind=i8, seq=i8)
        self.rtsplan = Log(gr=i8, qty=f8)
        self.oo = Log(series=i8, qty=f8)
        self.iss = Log(series=i8, day=i8, qty=f8)
        self.scrap = Log(series=i8, day=i8, qty=f8)
        self.cc = Log(series=i8, day=i8, system=f8, counted=f8)
        self.cal_gr, self.cal_oo, self.cal_mofin, self.cal_tr, self.cal_ret = \
            Cal(), Cal(), Cal(), Cal(), Cal()
        self.cal_rts, self.cal_cc, self.cal_own, self.cal_mocancel, self.cal_count = \
            Cal(), Cal(), Cal(), Cal(), Cal()
        S = self.S
        self.stock = self.opening.copy()
        self.onorder = _f(S)
        self.open_dem = _f(S)            # demand known but not yet served
        self.open_sales = _f(S)          # open customer order book (snapshots: allocated)
        self.signal = _f(S)
        self.fcst = _f(S)
        self.mad = _f(S)
        self.active = np.zeros(S, bool)
        self.open_lines = np.zeros(0, np.int64)
        self.req_open = np.zeros(0, np.int64)
        self.mo_open = np.zeros(0, np.int64)
        self.n_orders = 0
        self.stockout_days = np.zeros(S, np.int64)
        self.stocked_days = np.zeros(S, np.int64)
        self.ever_stocked = self.opening > 0
        self.snap_days: list[int] = []
        self.snap_stock: list[np.ndarray] = []
        self.snap_open: list[np.ndarray] = []
        # cycle-count calendar
        ctx = self.ctx
        n_counts = np.maximum((ctx.end - ctx.start - self.cc_phase) // self.cc_every + 1, 0)
        cs, j = expand(n_counts)
        cd = ctx.start + self.cc_phase[cs] + j * self.cc_every[cs]
        wd = weekday(cd)
        cd = cd + np.where(wd >= 5, 7 - wd, 0)
        self.cal_count.add(cd, cs)
        # purchased series are reviewed on Mondays and Thursdays
        self.n_rev = 0

    # --- the loop ----------------------------------------------------------------------

    def run(self) -> "Block":
        ctx = self.ctx
        for t in range(ctx.start, ctx.end + 1):
            self._arrivals(t)
            self._returns_to_supplier(t)
            self._cancellations(t)
            self._intake(t)
            self._production_starts(t)
            self._ship_customers(t)
            self._ship_transfers(t)
            self._spares_and_damage(t)
            self._counts(t)
            self._review(t)
            self._learn(t)
            self._record(t)
        return self

    def _add(self, series, qty):
        if len(series):
            self.stock += np.bincount(series, weights=qty, minlength=self.S)
            self.stock = np.round(self.stock, 4)

    def _arrivals(self, t):
        rng, po, gr = self.rng, self.po, self.gr
        r = self.cal_gr.pop(t)
        n = len(r)
        line = gr.line[r]
        s = po.series[line]
        q = gr.qty[r]
        acc = q - gr.rej[r]
        self._add(s, acc)
        self.onorder -= np.bincount(s, weights=q, minlength=self.S)
        # part of what was accepted will go back to the supplier some days later
        sup = po.sup[line]
        u = rng.random((2, n))
        lag = rng.integers(5, 31, n)
        rts = (acc > 0) & (u[0] < self.sup["p_return_to_supplier"][sup])
        frac = .1 + .4 * u[1]
        qty = np.where(self.kg[s], np.maximum(np.round(acc * frac, 1), .1),
                       np.maximum(1, np.floor(acc * frac)))
        rows = self.rtsplan.add(gr=r[rts], qty=qty[rts])
        self.cal_rts.add(t + lag[rts], rows)
        o = self.cal_oo.pop(t)
        if len(o):
            self.onorder -= np.bincount(self.oo.series[o], weights=self.oo.qty[o], minlength=self.S)
        m = self.cal_mofin.pop(t)
        if len(m):
            s = self.mo.series[m]
            self._add(s, self.mo.produced[m])
            self.onorder -= np.bincount(s, weights=self.mo.planned[m], minlength=self.S)
        x = self.cal_tr.pop(t)
        if len(x):
            s = self.tr.dst[x]
            self._add(s, self.tr.qty[x])
            self.onorder -= np.bincount(s, weights=self.tr.qty[x], minlength=self.S)
        x = self.cal_ret.pop(t)
        if len(x):
            keep = self.ret.disp[x] != 2                    # scrapped returns go out again
            s = self.lines.series[self.dl.line[self.ret.dl[x]]]
            self._add(s[keep], self.ret.qty[x][keep])
        self.onorder = np.round(self.onorder, 4)

    def _returns_to_supplier(self, t):
        p = self.cal_rts.pop(t)
        if not len(p):
            return
        g = self.rtsplan.gr[p]
        line = self.gr.line[g]
        s = self.po.series[line]
        fill = allocate(s, self.rtsplan.qty[p], self.stock)
        self._add(s, -fill)
        ok = fill > 0
        self.gr.add(line=line[ok], day=t, qty=fill[ok], rej=0.0, kind=GR_RTS, seq=2)

    def _cancellations(self, t):
        L = self.lines
        m = self.cal_mocancel.pop(t)
        if len(m):
            s = self.mo.series[m]
            self.mo.cancel[m] = t
            self.onorder -= np.bincount(s, weights=self.mo.planned[m], minlength=self.S)
            comp, want, _, _ = self._requirements(m)
            self.open_dem -= np.bincount(comp, weights=want, minlength=self.S)
            self.open_dem = np.round(self.open_dem, 4)
        for cal, reason in ((self.cal_cc, 0), (self.cal_own, 1)):
            c = cal.pop(t)
            c = c[(L.status[c] == 0) & (L.shipped[c] == 0)]
            if not len(c):
                continue
            rem = L.remaining[c]
            s = L.series[c]
            L.status[c] = 2
            L.cancel_day[c] = t
            L.cancel_reason[c] = reason
            L.remaining[c] = 0
            self.open_sales -= np.bincount(s, weights=rem, minlength=self.S)
            self.open_dem -= np.bincount(s, weights=rem, minlength=self.S)

    def _intake(self, t):
        rng, ctx, L = self.rng, self.ctx, self.lines
        rate = self._rate(np.array([t]))[0]
        promo = np.ones(len(self.sell))
        disc = np.zeros(len(self.sell))
        on = (self.pr_start <= t) & (self.pr_end >= t)
        if on.any():
            np.multiply.at(promo, self.pr_series[on], self.pr_uplift[on])
            np.maximum.at(disc, self.pr_series[on], self.pr_disc[on])
        cnt = rng.poisson(rate * promo)
        k = np.repeat(np.arange(len(self.sell)), cnt)
        n = len(k)
        series = self.sell[k]
        st = self.site[series]
        if n:
            c = pick(rng, st, self.c_weight, self.c_site)
        else:
            c = np.zeros(0, np.int64)
        oid, rank, n_o = group_ids(st, c)
        u_o = rng.random(n_o)
        lead = self.c_req_min[c] + np.floor(u_o[oid] * (self.c_req_span[c] + 1)).astype(np.int64)
        is_promo = promo[k] > 1
        qty = np.maximum(1, np.round(rng.lognormal(np.log(self.qty_mean[k]), .6)
                                     * np.where(is_promo, 1.3, 1.0)))
        price = np.round(self.list_price[series] * (1 - self.c_discount[c]) * (1 - disc[k]), 2)
        u = rng.random((10, n))
        own_day_off = rng.integers(0, 6, n)
        follow = rng.integers(2, 16, n)
        requested = t + lead
        transit = self.c_transit[c]
        committed = np.maximum(requested, t + transit + 1)
        slip = np.where(u[0] < self.p_slip[st], 1 + np.floor(u[1] * 10), 0)
        committed = committed + slip.astype(np.int64)
        unprom = u[2] < self.p_unprom[st]
        committed = np.where(unprom, NEVER, committed)
        deadline = np.where(unprom, requested, committed)
        early = EARLY_SHIP[np.minimum((u[3] * 7).astype(np.int64), 6)]
        ship_plan = np.maximum(deadline - transit - early, t)
        handling = u[4] < self.p_late[st]
        ship_plan = ship_plan + np.where(handling, 1 + np.floor(u[5] * 3), 0).astype(np.int64)
        cust_cancel = u[6] < self.p_cc[st]
        own = (u[6] >= self.p_cc[st]) & (u[6] < self.p_cc[st] + self.p_oc[st])
        cc_day = t + 1 + np.floor(u[7] * np.maximum(deadline - t - 1, 1)).astype(np.int64)
        pick_short = (u[8] < self.p_pick_short[st]) & (qty >= 2)
        cap = np.maximum(1, np.floor(qty * (.3 + .6 * u[9])))
        rows = L.add(series=series, cust=c, order=self.n_orders + oid, line_no=rank + 1,
                     order_day=t, requested=requested, committed=committed, deadline=deadline,
                     ship_plan=ship_plan, qty=qty, price=price, promo=is_promo,
                     partial_ok=self.c_partial[c], patience=self.c_patience[c],
                     pick_cap=np.where(pick_short, cap, 0.0),
                     follow_days=np.where(u[8] < self.p_pick_short[st] * .7, follow, 0),
                     handling=handling, own=own, shipped=0.0, remaining=qty, lost=0.0,
                     status=0, close_day=NEVER, cancel_day=NEVER, cancel_reason=-1,
                     next_elig=np.where(own, NEVER, ship_plan), n_ship=0, block_day=NEVER,
                     picked_short=False, lost_stock=False)
        self.n_orders += n_o
        self.cal_cc.add(cc_day[cust_cancel], rows[cust_cancel])
        self.cal_own.add((deadline + own_day_off)[own], rows[own])
        add = np.bincount(series, weights=qty, minlength=self.S)
        self.open_sales += add
        self.open_dem += add
        # planners cleanse promoted demand from the baseline they forecast
        lift = np.ones(self.S)
        lift[self.sell] = np.where(promo > 1, promo * 1.3, 1.0)
        self.signal += add / lift
        self.open_lines = np.concatenate([self.open_lines, rows])

    def _requirements(self, m):
        """Component requirements (series, qty, row of the MO, BOM position) of MOs m."""
        s = self.mo.series[m]
        par, pos = expand(self.bom_n[s])
        r = self.bom_off[s[par]] + pos
        comp = self.bom_comp[r]
        q = self.mo.planned[m][par] * self.bom_qty[r]
        want = np.where(self.kg[comp], np.round(q, 3), np.ceil(np.round(q, 6)))
        return comp, want, par, self.bom_pos[r]

    @staticmethod
    def _fit(par, comp, want, ok, stock, passes: int = 12) -> np.ndarray:
        """Orders (rows grouped by `par`, in priority order) that get all their components
        from `stock`, starting from the candidates `ok`: greedy in priority order — an
        order no stock could serve drops out at once; otherwise the earliest order that
        does not fit drops out, and the rest is tried again."""
        n = len(ok)
        infeasible = np.bincount(par, weights=want > stock[comp] + 1e-9, minlength=n) > 0
        ok = ok & ~infeasible
        for _ in range(passes + 1):
            rows = ok[par]
            fill = allocate(comp[rows], want[rows], stock)
            short = np.zeros(len(par), bool)
            short[rows] = fill < want[rows] - 1e-9
            bad = np.bincount(par, weights=short, minlength=n) > 0
            if not bad.any():
                return ok
            if _ == passes:
                return ok & ~bad          # what still fits after the passes
            ok[np.argmax(bad)] = False
        return ok

    def _production_starts(self, t):
        mo = self.mo
        op = self.mo_open = self.mo_open[(mo.start[self.mo_open] >= NEVER)
                                         & (mo.cancel[self.mo_open] >= NEVER)]
        cand = op[mo.earliest[op] <= t]
        if not len(cand):
            return
        comp, want, par, pos = self._requirements(cand)
        # all or nothing: orders that cannot get every component drop out (and leave their
        # share to the next ones); then the dropped ones try again with what is left
        ok = self._fit(par, comp, want, np.ones(len(cand), bool), self.stock)
        rest = ~ok
        if rest.any():
            left = self.stock - np.bincount(comp[ok[par]], weights=want[ok[par]], minlength=self.S)
            ok |= self._fit(par, comp, want, rest, left)
        bad = ~ok
        short = np.zeros(len(par), bool)
        if bad.any():       # evidence: a component the order could not get
            b_rows = bad[par]
            have = np.maximum(self.stock - np.bincount(comp[ok[par]], weights=want[ok[par]],
                                                       minlength=self.S), 0)
            short[b_rows] = want[b_rows] > have[comp[b_rows]] + 1e-9
        rows = ok[par]
        self._add(comp[rows], -want[rows])
        self.open_dem -= np.bincount(comp[rows], weights=want[rows], minlength=self.S)
        self.open_dem = np.round(self.open_dem, 4)
        self.cons.add(mo=cand[par][rows], series=comp[rows], day=t, qty=want[rows], pos=pos[rows])
        started = cand[ok]
        mo.start[started] = t
        fin = t + mo.dur[started] - 1 + mo.overrun[started]
        mo.finish[started] = fin
        today = fin == t                    # a one-day order is in stock the same evening
        done = started[today]
        self._add(mo.series[done], mo.produced[done])
        self.onorder -= np.bincount(mo.series[done], weights=mo.planned[done], minlength=self.S)
        self.cal_mofin.add(fin[~today], started[~today])
        blocked = cand[bad]
        first = blocked[mo.blocked_day[blocked] >= NEVER]
        if len(first):
            mo.blocked_day[first] = t
            # the first component that was short (evidence for the truth)
            sr = np.nonzero(short)[0]
            first_short = np.full(len(cand), -1, np.int64)
            first_short[par[sr[::-1]]] = comp[sr[::-1]]
            mo.short_comp[first] = first_short[np.searchsorted(cand, first)]

    def _ship_customers(self, t):
        rng, L = self.rng, self.lines
        ol = self.open_lines = self.open_lines[L.status[self.open_lines] == 0]
        cand = ol[L.next_elig[ol] <= t]
        n = len(cand)
        if n:
            cand = cand[np.lexsort((cand, L.next_elig[cand]))]
        s = L.series[cand]
        rem = L.remaining[cand]
        first = (L.n_ship[cand] == 0) & (L.pick_cap[cand] > 0)
        cap = np.where(first, np.minimum(L.pick_cap[cand], rem), rem)
        fill = allocate(s, cap, self.stock)
        fill = np.where((fill < cap) & ~L.partial_ok[cand], 0.0, fill)
        self._add(s, -fill)
        blocked = fill < cap
        nb = cand[blocked & (L.block_day[cand] >= NEVER)]
        L.block_day[nb] = t
        L.shipped[cand] = L.shipped[cand] + fill
        rem = rem - fill
        L.remaining[cand] = rem
        L.n_ship[cand] = L.n_ship[cand] + (fill > 0)
        # a short pick: the rest follows some days later, or the line is closed short
        ps = first & (fill == cap) & (rem > 0)
        psl = cand[ps]
        L.picked_short[psl] = True
        fd = L.follow_days[psl]
        L.next_elig[psl] = np.where(fd > 0, t + fd, L.next_elig[psl])
        drop = np.zeros(n, bool)
        drop[ps] = fd == 0
        # a backorder waits for stock, but not beyond the customer's patience
        waited = blocked & (rem > 0) & (t >= L.ship_plan[cand] + L.patience[cand])
        L.lost_stock[cand[waited]] = True
        drop |= waited
        lost = np.where(drop, rem, 0.0)
        L.lost[cand] = L.lost[cand] + lost
        L.remaining[cand] = rem - lost
        done = (rem - lost) <= 0
        cancel = done & (L.shipped[cand] <= 0)
        close = done & ~cancel
        L.status[cand[close]] = 1
        L.close_day[cand[close]] = t
        L.status[cand[cancel]] = 2
        L.cancel_day[cand[cancel]] = t
        L.cancel_reason[cand[cancel]] = 1
        gone = np.bincount(s, weights=fill + lost, minlength=self.S)
        self.open_sales = np.round(self.open_sales - gone, 4)
        self.open_dem = np.round(self.open_dem - gone, 4)
        # deliveries of the day, one shipment per site × customer
        sel = fill > 0
        d_line, q = cand[sel], fill[sel]
        nd = len(d_line)
        d_series = L.series[d_line]
        st, cu = self.site[d_series], L.cust[d_line]
        sid, _, nsh = group_ids(st, cu)
        items = self.co.items
        itm = self.item[d_series]
        weight = np.bincount(sid, weights=q * items.unit_weight_kg.to_numpy()[itm], minlength=nsh)
        volume = np.bincount(sid, weights=q * items.unit_volume_m3.to_numpy()[itm], minlength=nsh)
        value = np.bincount(sid, weights=q * L.price[d_line], minlength=nsh)
        firsts = np.zeros(nsh, np.int64)
        firsts[sid[::-1]] = np.arange(nd)[::-1]
        sh_site, sh_cust = st[firsts], cu[firsts]
        u = rng.random((4, nsh))
        mode = np.where(weight < 30, 0, np.where(weight < 2500, 1, 2))
        mode = np.where(self.c_cross[sh_cust] & (weight < 500) & (u[2] < .1), 4, mode)
        carrier = self.lane_carrier[sh_site, mode]
        delay = np.where(u[0] < self.car_delay[carrier], 1 + np.floor(u[1] * 3), 0).astype(np.int64)
        transit = self.c_transit[sh_cust]
        deliv = t + transit + delay
        pp = t - np.where(u[3] < .08, 1 + np.floor(u[3] / .08 * 2), 0).astype(np.int64)
        sh_rows = self.sh.add(site=sh_site, cust=sh_cust, day=t, planned_pickup=pp,
                              transit=transit, delay=delay, mode=mode, carrier=carrier,
                              weight=weight, volume=volume, value=value, deliv=deliv)
        dl_rows = self.dl.add(line=d_line, day=t, qty=q, shipment=sh_rows[sid], deliv=deliv[sid])
        # some of it comes back
        ur = rng.random((4, nd))
        r_lag = rng.integers(3, 41, nd)
        ret = ur[0] < P_RETURN
        r_qty = np.maximum(1, np.floor(q * (.1 + .9 * ur[1])))
        reason = np.searchsorted(np.array([.3, .5, .75]), ur[2], side="right")
        scrap_or_repair = np.where(ur[3] < .7, 2, 1)
        disp = np.select([reason == 0, reason == 2], [scrap_or_repair, 3 - scrap_or_repair], 0)
        fee = np.where(reason == 3, .9, 1.0)
        credit = money(r_qty, np.round(L.price[d_line] * fee, 4))
        r_day = deliv[sid] + r_lag
        rr = self.ret.add(dl=dl_rows[ret], day=r_day[ret], qty=r_qty[ret], reason=reason[ret],
                          disp=disp[ret], credit=credit[ret])
        self.cal_ret.add(r_day[ret], rr)

    def _ship_transfers(self, t):
        ro = self.req_open = self.req_open[self.req.remaining[self.req_open] > 0]
        if not len(ro):
            return
        plant = self.req.plant[ro]
        fill = allocate(plant, self.req.remaining[ro], self.stock)
        self._add(plant, -fill)
        self.req.remaining[ro] = np.round(self.req.remaining[ro] - fill, 4)
        self.open_dem = np.round(self.open_dem - np.bincount(plant, weights=fill, minlength=self.S), 4)
        ok = fill > 0
        dst = self.req.dc[ro][ok]
        rows = self.tr.add(src=plant[ok], dst=dst, out=t, arrive=t + self.lane[dst], qty=fill[ok])
        self.cal_tr.add(t + self.lane[dst], rows)

    def _spares_and_damage(self, t):
        rng = self.rng
        if weekday(np.array([t]))[0] < 5:
            cnt = rng.poisson(self.spare_rate)
            s = np.repeat(self.spare, cnt)
            want = rng.integers(1, 5, len(s)).astype(float)
            self.signal += np.bincount(s, weights=want, minlength=self.S)
            fill = allocate(s, want, self.stock)
            self._add(s, -fill)
            ok = fill > 0
            self.iss.add(series=s[ok], day=t, qty=fill[ok])
        cnt = rng.poisson(.004, self.S)
        s = np.repeat(np.arange(self.S), cnt)
        w = np.where(self.kg[s], np.round(rng.uniform(.5, 2, len(s)), 1), 1.0)
        fill = allocate(s, w, self.stock)
        ok = fill >= w
        self._add(s[ok], -w[ok])
        self.scrap.add(series=s[ok], day=t, qty=w[ok])

    def _counts(self, t):
        c = self.cal_count.pop(t)
        u = self.rng.random((3, len(c)))
        if not len(c):
            return
        system = self.stock[c]
        off = u[0] < .15
        size = np.maximum(self.mu0[c] * 10 * (.01 + .04 * u[1]), 1)
        size = np.where(self.kg[c], np.round(size, 1), np.round(size))
        delta = np.where(off, np.where(u[2] < .5, -size, size), 0.0)
        counted = np.round(np.maximum(system + delta, 0), 4)
        self.stock[c] = counted
        self.cc.add(series=c, day=t, system=system, counted=counted)

    def _review(self, t):
        ctx = self.ctx
        now = self.act == t
        self.active |= now
        self.fcst[now] = self.mu0[now]
        self.mad[now] = self.sigma0[now] / 1.25
        wd = (t + 3) % 7
        rev = np.zeros(self.S, bool)
        if wd in (0, 3):
            rev |= self.buy & ((self.n_rev % self.k) == self.phase_k)
            self.n_rev += 1
        rev |= ~self.buy & (((t - ctx.start) % self.k) == self.phase_k)
        rev &= self.active
        ip = self.stock + self.onorder - self.open_dem
        h = self.L + self.R
        level = self.fcst * h * self._promo_lift(t, h) + self.z * 1.25 * self.mad * np.sqrt(h)
        need = level - ip
        order = rev & (need > 1e-9)
        s = np.nonzero(order)[0]
        lot = self.lot[s]
        q = np.ceil(np.round(need[s] / lot, 9)) * lot
        q = np.where(self.kg[s], np.round(q, 3), q)
        role = self.role[s]
        b = self.buy[s]
        self._create_po(t, s[b], q[b])
        m = role == R_MAKE
        self._create_mo(t, s[m], q[m])
        d = role == R_DC
        # a DC builds stock for a promotion over several reviews, not in one request
        cap = np.maximum(np.ceil(4 * self.fcst[s[d]] * self.R[s[d]]), self.lot[s[d]])
        self._create_request(t, s[d], np.minimum(q[d], cap))

    def _promo_lift(self, t, h) -> np.ndarray:
        """Average demand factor of the planned promotions over [t, t + h) per series
        (promotions are known ahead: planners build stock for them)."""
        out = np.ones(self.S)
        if not len(self.pr_series):
            return out
        s = self.sell[self.pr_series]
        hz = np.ceil(h[s]).astype(np.int64)
        over = np.minimum(self.pr_end, t + hz - 1) - np.maximum(self.pr_start, t) + 1
        m = over > 0
        if m.any():
            np.add.at(out, s[m], over[m] * (self.pr_uplift[m] * 1.3 - 1) / hz[m])
        return out

    def _price(self, src, t):
        at = np.searchsorted(self.price_key, src * 1_000_000 + t, side="right") - 1
        return self.price_val[at]

    def _create_po(self, t, s, qty):
        rng, sp, ctx = self.rng, self.sup, self.ctx
        n = len(s)
        u = rng.random((14, n))
        v = rng.random((8, n))
        w = rng.random((3, n))
        late_geo = rng.random(n)
        kg = self.kg[s]
        src = np.where((u[0] < .15) & (self.sec[s] >= 0), self.sec[s], self.prim[s])
        sup = self.src_sup[src]
        lead = self.src_lead[src]
        requested = t + lead
        price = np.round(self._price(src, t) * np.where(u[1] < .04, .97 + .13 * u[2], 1.0), 4)
        cancelled = u[3] < .02
        cancel = np.where(cancelled, t + 1 + np.floor(u[4] * np.maximum(np.minimum(lead, 7) - 1, 1)),
                          NEVER).astype(np.int64)
        confirmed = u[5] < sp["p_confirm"][sup]
        conf_day = t + np.floor(u[6] * (np.minimum(5, lead - 1) + 1)).astype(np.int64)
        confirmed &= conf_day < cancel
        slip = u[7] < sp["p_confirm_later_than_need"][sup]
        conf_date = requested + np.where(slip, 1 + np.floor(u[8] * 10), 0).astype(np.int64)
        conf_at = conf_day * DAY_S + 7 * 3600 + np.floor(u[9] * 12 * 3600).astype(np.int64)
        plan = np.where(confirmed, conf_date, requested)
        p = np.clip(sp["p_on_time"][sup] - sp["drift_per_year"][sup] * (t - ctx.start) / 365,
                    .25, .995)
        on_time = u[10] < p
        ed = sp["early_days"][sup]
        early = np.where(ed > 0, 1 + np.floor(u[11] * ed),
                         EARLY_RECEIPT[np.minimum((u[11] * 6).astype(np.int64), 5)]).astype(np.int64)
        mean_late = np.maximum(sp["mean_days_late"][sup], 1.0)
        late_by = np.ceil(np.log1p(-late_geo) / np.log1p(-1 / mean_late)).astype(np.int64)
        late_by = np.maximum(late_by, 1)
        r1 = np.where(on_time, plan - early, plan + late_by)
        r1 = np.maximum(r1, np.maximum(conf_day * confirmed, t + 1))
        live = ~cancelled
        redate = confirmed & ~on_time & live & (u[12] < sp["p_reconfirm_when_late"][sup])
        conf2_day = np.maximum(conf_day + 1, r1 - 2 - np.floor(u[13] * 9).astype(np.int64))
        redate &= conf2_day <= r1
        conf2_at = conf2_day * DAY_S + 7 * 3600 + np.floor(v[0] * 12 * 3600).astype(np.int64)
        short = live & (v[1] < sp["p_short"][sup]) & ((qty >= 2) | kg)
        frac = .4 + .5 * v[2]
        part = np.where(kg, np.round(qty * frac, 1), np.maximum(1, np.floor(qty * frac)))
        q1 = np.where(short, part, qty)
        follow = short & (v[3] < sp["p_short_followup"][sup]) & (qty - q1 > 0)
        r2 = np.where(follow, r1 + 3 + np.floor(v[4] * 18).astype(np.int64), NEVER)
        q2 = np.where(follow, qty - q1, 0.0)

        def rejects(q, ua, ub):
            rq = q * sp["reject_fraction"][sup] * (.5 + ub)
            rq = np.where(kg, np.round(rq, 1), np.maximum(1, np.floor(rq)))
            return np.where(ua < sp["p_reject"][sup], np.minimum(rq, q), 0.0)
        rej1 = rejects(q1, v[5], v[6])
        rej2 = rejects(q2, w[0], w[1])
        close = np.where(live, np.where(follow, r2, r1), NEVER)
        rows = self.po.add(series=s, source=src, sup=sup, day=t, requested=requested, qty=qty,
                           price=price, cancel=cancel, confirmed=confirmed, conf_at=conf_at,
                           conf_date=conf_date, redate=redate, conf2_at=conf2_at,
                           r1=np.where(live, r1, NEVER), q1=q1, r2=r2, q2=q2, on_time=on_time,
                           close=close)
        self.onorder += np.bincount(s, weights=qty, minlength=self.S)
        # receipts: the first, the follow-up of a short delivery; a few posted with a
        # typo (10 × the quantity), reversed and posted again the same day
        for sel, day, q, rej, typo_u in ((live, r1, q1, rej1, v[7]), (follow, r2, q2, rej2, w[2])):
            g = self.gr.add(line=rows[sel], day=day[sel], qty=q[sel], rej=rej[sel],
                            kind=GR_NORMAL, seq=2)
            self.cal_gr.add(day[sel], g)
            typo = sel & (typo_u < .005)
            for kind, seq in ((GR_WRONG, 0), (GR_REVERSAL, 1)):
                self.gr.add(line=rows[typo], day=day[typo], qty=q[typo] * 10, rej=0.0,
                            kind=kind, seq=seq)
        # what will never come: cancelled lines, short deliveries closed without follow-up
        gone = short & ~follow
        o1 = self.oo.add(series=s[cancelled], qty=qty[cancelled])
        self.cal_oo.add(cancel[cancelled], o1)
        o2 = self.oo.add(series=s[gone], qty=(qty - q1)[gone])
        self.cal_oo.add(r1[gone], o2)

    def _create_mo(self, t, s, qty):
        rng, mo = self.rng, self.mo
        n = len(s)
        u = rng.random((7, n))
        wc = self.wc[s]
        dur = 1 + np.floor(u[0] * 3).astype(np.int64)
        ps = t + 2
        delay = np.where(u[1] < self.wc_delay[wc], 1 + np.floor(u[2] * 3), 0).astype(np.int64)
        overrun = np.where(u[3] < self.wc_overrun[wc], 1 + np.floor(u[4] * 4), 0).astype(np.int64)
        scrapped = np.floor(qty * self.wc_yield[wc] * (.3 + 1.4 * u[5]))
        cancel = u[6] < .015
        rows = mo.add(series=s, wc=wc, created=t, released=t + 1, ps=ps, pf=ps + dur - 1,
                      earliest=ps + delay, start=NEVER, finish=NEVER, cancel=NEVER,
                      planned=qty, produced=qty - scrapped, scrapped=scrapped, dur=dur,
                      overrun=overrun, blocked_day=NEVER, short_comp=-1, start_delay=delay)
        self.cal_mocancel.add(np.full(int(cancel.sum()), ps), rows[cancel])
        comp, want, _, _ = self._requirements(rows)
        add = np.bincount(comp, weights=want, minlength=self.S)
        self.open_dem += add
        self.signal += add
        self.onorder += np.bincount(s, weights=qty, minlength=self.S)
        self.mo_open = np.concatenate([self.mo_open, rows])

    def _create_request(self, t, s, qty):
        plant = self.plant_series[s]
        rows = self.req.add(plant=plant, dc=s, day=t, qty=qty, remaining=qty)
        add = np.bincount(plant, weights=qty, minlength=self.S)
        self.open_dem += add
        self.signal += add
        self.onorder += np.bincount(s, weights=qty, minlength=self.S)
        self.req_open = np.concatenate([self.req_open, rows])

    def _learn(self, t):
        a = self.active
        e = self.signal - self.fcst
        self.fcst = np.where(a, self.fcst + ALPHA * e, self.fcst)
        self.mad = np.where(a, self.mad + ALPHA * (np.abs(e) - self.mad), self.mad)
        self.signal[:] = 0.0

    def _record(self, t):
        stock = self.stock
        self.ever_stocked |= stock > 0
        counted = self.ever_stocked
        self.stocked_days += counted
        self.stockout_days += counted & (stock <= 0)
        if (t + 3) % 7 == 6 or t >= self.ctx.cutoff:
            self.snap_days.append(t)
            self.snap_stock.append(stock.copy())
            self.snap_open.append(np.maximum(self.open_sales, 0.0))


def simulate_block(ctx: Ctx, co: Company) -> Block:
    return Block(ctx, co).run()
