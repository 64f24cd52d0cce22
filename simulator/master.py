"""The company's master data: sites, partners (suppliers with planted reliability,
customers, carriers), items, bills of material, item × site parameters, sourcing.

Everything is small (thousands of rows at most) and kept as pandas frames with integer
indexes; text ids are made when the files are written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .core import Ctx, hash_uniform

# country -> (currency, region, neighbours a site there ships to)
COUNTRIES = {
    "US": ("USD", "NA"), "CA": ("CAD", "NA"), "MX": ("MXN", "NA"),
    "DE": ("EUR", "EU"), "FR": ("EUR", "EU"), "NL": ("EUR", "EU"), "IT": ("EUR", "EU"),
    "AT": ("EUR", "EU"), "PL": ("PLN", "EU"), "GB": ("GBP", "EU"), "IE": ("EUR", "EU"),
    "JP": ("JPY", "APAC"), "KR": ("KRW", "APAC"), "CN": ("CNY", "APAC"),
}
# A rough level of each currency in USD; the daily series starts here (finance.fx_rates).
FX0 = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "JPY": 0.0067, "CNY": 0.138, "MXN": 0.055,
       "PLN": 0.25, "CAD": 0.73, "KRW": 0.00074}

SITE_CATALOG = {
    "P-US1": ("Columbus Plant", "US", "plant", ["US"] * 8 + ["CA", "MX"]),
    "P-DE1": ("Stuttgart Plant", "DE", "plant", ["DE"] * 6 + ["FR", "NL", "AT", "PL"]),
    "DC-US1": ("Memphis Distribution Centre", "US", "dc", ["US"] * 9 + ["CA"]),
    "DC-GB1": ("Coventry Distribution Centre", "GB", "dc", ["GB"] * 9 + ["IE"]),
    "DC-JP1": ("Osaka Distribution Centre", "JP", "dc", ["JP"] * 9 + ["KR"]),
    # larger tiers
    "P-MX1": ("Monterrey Plant", "MX", "plant", ["MX"] * 7 + ["US"] * 3),
    "P-CN1": ("Suzhou Plant", "CN", "plant", ["CN"] * 8 + ["KR", "JP"]),
    "DC-US2": ("Reno Distribution Centre", "US", "dc", ["US"] * 9 + ["CA"]),
    "DC-FR1": ("Lyon Distribution Centre", "FR", "dc", ["FR"] * 8 + ["IT", "NL"]),
    "DC-CA1": ("Toronto Distribution Centre", "CA", "dc", ["CA"] * 9 + ["US"]),
    "DC-PL1": ("Poznan Distribution Centre", "PL", "dc", ["PL"] * 8 + ["DE", "AT"]),
    "DC-KR1": ("Busan Distribution Centre", "KR", "dc", ["KR"] * 9 + ["JP"]),
}

FINISHED = {
    "Pumps": ["Centrifugal Pumps", "Diaphragm Pumps", "Dosing Pumps"],
    "Valves": ["Ball Valves", "Gate Valves", "Check Valves"],
    "Motors": ["AC Motors", "Gearmotors"],
    "Controls": ["Sensors", "Controllers", "Drives"],
    "Filtration": ["Cartridge Filters", "Bag Filters"],
}
COMPONENTS = {
    "Castings": ["Housings", "Impellers"], "Electronics": ["Circuit Boards", "Cables"],
    "Fasteners": ["Bolts", "Clamps"], "Seals": ["O-Rings", "Gaskets"],
}
RAW = {"Steel": ["Stainless Steel", "Carbon Steel"], "Polymers": ["Resins", "Elastomers"],
       "Copper": ["Copper Wire"]}
SPARES = {"MRO": ["Bearings", "Belts", "Lubricants", "Tools"]}

# item kinds (internal)
MAKE, TRADED, COMPONENT, RAW_KIND, SPARE = "make", "traded", "component", "raw", "spare"
# item × site roles (internal): a plant making the item, a DC stocking a made item
# (replenished by transfer from the plant), a DC reselling a bought item, a plant
# buying a component / raw material, a site buying spares.
R_MAKE, R_DC, R_TRADED, R_COMPONENT, R_RAW, R_SPARE = range(6)
BUY_ROLE_CODES = (R_TRADED, R_COMPONENT, R_RAW, R_SPARE)

SUPPLIER_COUNTRIES = ["US", "DE", "CN", "MX", "GB", "JP", "IT", "PL"]
SUPPLIER_LEAD = {"US": (7, 14), "DE": (10, 21), "CN": (35, 56), "MX": (12, 20),
                 "GB": (7, 14), "JP": (28, 42), "IT": (14, 25), "PL": (10, 18)}
LEGAL = {"US": "Inc.", "CA": "Ltd.", "MX": "S.A. de C.V.", "DE": "GmbH", "FR": "SAS",
         "NL": "B.V.", "IT": "S.p.A.", "AT": "GmbH", "PL": "Sp. z o.o.", "GB": "Ltd",
         "IE": "Ltd", "JP": "K.K.", "KR": "Co., Ltd.", "CN": "Co., Ltd."}
WORDS_A = ["Apex", "Summit", "Northern", "Harbor", "Granite", "Silver", "Eagle", "Pioneer",
           "Atlas", "Vertex", "Cobalt", "Maple", "Orion", "Falcon", "Sterling", "Crescent",
           "Redwood", "Keystone", "Liberty", "Meridian", "Beacon", "Frontier", "Horizon",
           "Pinnacle", "Riverside", "Tristar", "Unity", "Vanguard", "Westfield", "Zenith"]
SUPPLIER_B = ["Castings", "Components", "Metals", "Polymers", "Electronics",
              "Industrial Supply", "Precision Parts", "Materials", "Fasteners", "Seals"]
CUSTOMER_B = ["Water Works", "Process Systems", "Utilities", "Engineering", "Building Services",
              "Agritech", "Chemicals", "Facilities", "Distribution", "Installations"]
CARRIER_B = ["Freight", "Logistics", "Express", "Transport", "Cargo"]
FIRST = ["Anna", "Ben", "Chloe", "David", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas",
         "Kara", "Luis", "Mia", "Noah", "Olga", "Pavel", "Quinn", "Rosa", "Sam", "Tara"]
LAST = ["Adams", "Berger", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Hansen", "Ito",
        "Jensen", "Kowalski", "Lopez", "Muller", "Nakamura", "Olsen", "Patel", "Rossi",
        "Schmidt", "Tanaka", "Weber"]
SEGMENTS = ["key_account", "distributor", "retail", "oem"]


@dataclass
class Company:
    sites: pd.DataFrame
    suppliers: pd.DataFrame
    customers: pd.DataFrame
    carriers: pd.DataFrame
    items: pd.DataFrame
    bom: pd.DataFrame
    item_sites: pd.DataFrame
    sources: pd.DataFrame        # supplier × item relationships (lead time, primary)
    prices: pd.DataFrame         # contract price versions per source
    currencies: list[str]        # every currency in use, USD first
    promos: pd.DataFrame | None = None         # planned promotions (family × site × window)
    work_centers: pd.DataFrame | None = None   # planted work-centre behaviour
    changed_item: str | None = None            # lifecycle changed between the snapshots
    dropped_price: str | None = None           # contract row no longer delivered

    @property
    def plants(self) -> np.ndarray:
        return np.nonzero((self.sites.site_type == "plant").to_numpy())[0]

    @property
    def dcs(self) -> np.ndarray:
        return np.nonzero((self.sites.site_type == "dc").to_numpy())[0]


def _names(rng, n, second, country) -> list[str]:
    a = rng.choice(WORDS_A, n)
    b = rng.choice(second, n)
    return [f"{x} {y} {LEGAL[c]}" for x, y, c in zip(a, b, country)]


def _contacts(rng, n, names) -> tuple[list[str], list[str]]:
    first, last = rng.choice(FIRST, n), rng.choice(LAST, n)
    slugs = ["".join(ch for ch in nm.split(" ")[0].lower() if ch.isalnum()) for nm in names]
    contact = [f"{f} {l}" for f, l in zip(first, last)]
    email = [f"{f.lower()}.{l.lower()}@{s}{i}.example.com"
             for i, (f, l, s) in enumerate(zip(first, last, slugs), 1)]
    return contact, email


def _tax_ids(rng, country) -> list[str]:
    digits = rng.integers(10_000_000, 99_999_999, len(country))
    return [f"{c}{d}" for c, d in zip(country, digits)]


def build_company(ctx: Ctx) -> Company:
    tier = ctx.tier
    rng = ctx.rng("master")

    # --- sites --------------------------------------------------------------------------
    rows = []
    for code in tier.sites:
        name, country, stype, _ = SITE_CATALOG[code]
        cur, region = COUNTRIES[country]
        rows.append(dict(site_id=code, name=name, country=country, site_type=stype,
                         currency=cur, region=region))
    sites = pd.DataFrame(rows)
    plants = np.nonzero((sites.site_type == "plant").to_numpy())[0]
    dcs = np.nonzero((sites.site_type == "dc").to_numpy())[0]

    # --- suppliers, with planted reliability ----------------------------------------------
    n = tier.n_suppliers
    country = [SUPPLIER_COUNTRIES[i % len(SUPPLIER_COUNTRIES)] if i < len(SUPPLIER_COUNTRIES)
               else rng.choice(SUPPLIER_COUNTRIES, p=[.25, .2, .15, .1, .1, .05, .1, .05])
               for i in range(n)]
    # most suppliers reliable, a tail of chronically late ones (spread 0.55 … 0.98)
    p_on_time = rng.permutation(0.55 + 0.43 * np.linspace(0, 1, n) ** 0.6)
    pos = rng.permutation(n)                        # archetypes by position, not by id
    short_prone = (pos % 4) == 1
    reject_prone = (pos % 5) == 2
    names = _names(rng, n, SUPPLIER_B, country)
    contact, email = _contacts(rng, n, names)
    lead_lo = np.array([SUPPLIER_LEAD[c][0] for c in country])
    lead_hi = np.array([SUPPLIER_LEAD[c][1] for c in country])
    suppliers = pd.DataFrame(dict(
        supplier_id=[f"S{i:04d}" for i in range(1, n + 1)],
        name=names, country=country, currency=[COUNTRIES[c][0] for c in country],
        payment_terms_days=rng.choice([30, 45, 60, 90], n, p=[.4, .2, .3, .1]),
        tax_id=_tax_ids(rng, country),
        segment=rng.choice(["strategic", "preferred", "approved"], n, p=[.2, .5, .3]),
        contact_name=contact, contact_email=email,
        lead_base=np.round(lead_lo + rng.random(n) * (lead_hi - lead_lo)).astype(int),
        # planted reliability (the truth the supplier KPIs must find)
        p_on_time=np.round(p_on_time, 4),
        mean_days_late=np.round(2 + 10 * (1 - p_on_time) + rng.random(n) * 3, 2),
        p_confirm=np.round(np.clip(0.55 + 0.45 * p_on_time + rng.normal(0, .05, n), .5, .99), 4),
        p_confirm_later_than_need=np.round(rng.uniform(0, 0.25, n), 4),
        p_reconfirm_when_late=np.round(rng.uniform(0.3, 0.7, n), 4),
        p_short=np.round(np.where(short_prone, rng.uniform(.15, .3, n), rng.uniform(0, .04, n)), 4),
        p_short_followup=np.round(rng.uniform(.4, .8, n), 4),
        p_reject=np.round(np.where(reject_prone, rng.uniform(.1, .25, n), rng.uniform(0, .03, n)), 4),
        reject_fraction=np.round(rng.uniform(.05, .3, n), 4),
        invoice_lag_days=rng.integers(0, 11, n),
        confirm_channel=rng.choice(["portal", "email", "edi"], n, p=[.5, .3, .2]),
    ))
    suppliers["p_return_to_supplier"] = np.round(suppliers.p_reject * 0.3, 4)
    # drifting suppliers get worse year after year; chronically early ones deliver days
    # before the date; the others arrive on the date or up to three days early
    pot = suppliers.p_on_time.to_numpy()
    order = np.argsort(rng.random(n))
    mid = order[(pot[order] > .78) & (pot[order] < .96)]
    n_drift = max(1, round(n * .2))
    drifting = np.zeros(n, bool)
    drifting[mid[:n_drift]] = True
    rest = order[~drifting[order] & (pot[order] > .7)]
    early = np.zeros(n, bool)
    early[rest[:max(1, round(n * .15))]] = True
    suppliers["drift_per_year"] = np.round(np.where(drifting, rng.uniform(.12, .25, n), 0.0), 4)
    suppliers["early_days"] = np.where(early, rng.integers(3, 8, n), 0)
    u = hash_uniform(ctx.seed, "supplier-incoterm", np.arange(n))
    suppliers["incoterm"] = np.select([u < .45, u < .7, u < .85], ["DAP", "FCA", "EXW"], "DDP")
    suppliers["archetype"] = np.select(
        [drifting, early, pot < .7, reject_prone, short_prone, pot >= .9],
        ["drifting", "early", "chronically_late", "reject_prone", "short_shipper", "reliable"],
        "average")

    # --- customers ----------------------------------------------------------------------
    n = tier.n_customers
    site_w = np.where(sites.site_type.to_numpy() == "plant", 0.5, 1.0)
    home = np.sort(np.concatenate([np.arange(len(sites)),     # every site sells
                                   rng.choice(len(sites), n - len(sites), p=site_w / site_w.sum())]))
    country = [rng.choice(SITE_CATALOG[sites.site_id[s]][3]) for s in home]
    seg = rng.choice(SEGMENTS, n, p=[.15, .35, .3, .2])
    names = _names(rng, n, CUSTOMER_B, country)
    contact, email = _contacts(rng, n, names)
    cross = np.array([c != sites.country[s] for c, s in zip(country, home)])
    req_lo = pd.Series(seg).map({"key_account": 4, "distributor": 2, "retail": 1, "oem": 7}).to_numpy()
    customers = pd.DataFrame(dict(
        customer_id=[f"C{i:05d}" for i in range(1, n + 1)],
        name=names, country=country, site=home,
        currency=sites.currency.to_numpy()[home],
        payment_terms_days=rng.choice([14, 30, 45, 60], n, p=[.15, .45, .25, .15]),
        tax_id=_tax_ids(rng, country), segment=seg,
        contact_name=contact, contact_email=email,
        transit_days=np.where(cross, rng.integers(2, 6, n), rng.integers(1, 4, n)),
        cross_border=cross,
        request_lead_min=req_lo, request_lead_span=rng.integers(2, 8, n),
        discount=np.round(rng.uniform(0, .2, n) + (seg == "key_account") * .05, 4),
        pay_delay_mean=np.round(np.where(rng.random(n) < .12, rng.uniform(20, 45, n),
                                         rng.gamma(1.2, 4.0, n)), 2),
        partial_ok=rng.random(n) < .75,
        patience_days=rng.integers(7, 31, n),
        channel=rng.choice(["edi", "web", "email", "phone"], n, p=[.35, .3, .25, .1]),
        incoterm=rng.choice(["DAP", "FCA", "EXW", "DDP"], n, p=[.5, .2, .1, .2]),
        weight=1.0 / (1 + rng.permutation(n)) ** 0.8,
    ))

    # --- carriers: at least one in every site country -----------------------------------
    site_countries = list(dict.fromkeys(sites.country))
    n = max(tier.n_carriers, len(site_countries))
    country = [site_countries[i % len(site_countries)] for i in range(n)]
    names = _names(rng, n, CARRIER_B, country)
    contact, email = _contacts(rng, n, names)
    carriers = pd.DataFrame(dict(
        carrier_id=[f"CR{i:03d}" for i in range(1, n + 1)],
        name=names, country=country, currency=[COUNTRIES[c][0] for c in country],
        payment_terms_days=rng.choice([14, 30], n), tax_id=_tax_ids(rng, country),
        segment=rng.choice(["parcel", "freight", "multimodal"], n),
        contact_name=contact, contact_email=email,
        p_delay=np.round(rng.uniform(0.005, 0.05, n), 4),
        rate_factor=np.round(rng.uniform(0.85, 1.2, n), 4),
    ))

    n = len(sites)
    # planted service behaviour per shipping site (late and short shipments come mostly
    # from stock, carriers and these)
    sites["p_late"] = np.round(rng.uniform(.004, .012, n), 4)         # handling delays
    sites["mean_days_late"] = 2.0
    sites["p_short"] = np.round(rng.uniform(.01, .025, n), 4)         # picking short
    sites["p_customer_cancel"] = 0.025
    sites["p_own_cancel"] = 0.004
    sites["p_unpromised"] = 0.03
    sites["p_promise_slip"] = 0.12

    items, bom = _items_and_bom(ctx, rng, plants)
    item_sites = _item_sites(ctx, rng, items, bom, sites, plants, dcs)
    sources, prices = _sourcing(ctx, rng, items, suppliers)
    _costs(rng, items, bom, item_sites, sites, sources, suppliers)
    wcr = ctx.rng("work-centers")
    wc = pd.DataFrame([(p, f"{sites.site_id[p]}-{w}") for p in plants
                       for w in ("ASM1", "ASM2", "MCH1")], columns=["site", "work_center"])
    wc["yield_loss"] = np.round(wcr.uniform(.01, .05, len(wc)), 4)
    wc["p_overrun"] = np.round(wcr.uniform(.08, .25, len(wc)), 4)
    wc["p_start_delay"] = np.round(wcr.uniform(.05, .2, len(wc)), 4)

    used = {"USD"} | set(sites.currency) | set(suppliers.currency) | set(carriers.currency) \
        | set(customers.currency)
    currencies = ["USD"] + sorted(used - {"USD"})
    co = Company(sites, suppliers, customers, carriers, items, bom, item_sites,
                 sources, prices, currencies, work_centers=wc)
    co.promos = _promotions(ctx, items, item_sites)
    return co


def _item_ids(prefix: np.ndarray) -> list[str]:
    out = []
    for p in ("FG", "CP", "RM", "SP"):
        m = prefix == p
        digits = max(4, len(str(int(m.sum()))))
        out.append((m, [f"{p}-{10 ** digits + c}" for c in range(1, int(m.sum()) + 1)]))
    ids = np.empty(len(prefix), object)
    for m, vals in out:
        ids[m] = vals
    return list(ids)


def _items_and_bom(ctx: Ctx, rng, plants) -> tuple[pd.DataFrame, pd.DataFrame]:
    tier = ctx.tier
    parts = []

    def kind_block(kind, n, cats, prefix, uom, weight, cost):
        cat_names = list(cats)
        cat = rng.integers(0, len(cat_names), n)
        fam = [rng.choice(cats[cat_names[c]]) for c in cat]
        return pd.DataFrame(dict(
            kind=kind, prefix=prefix, category=[cat_names[c] for c in cat], family=fam,
            base_uom=uom, unit_weight_kg=np.round(weight, 3),
            base_cost_usd=np.round(cost, 4),
            block=(np.arange(n) * tier.blocks) // max(n, 1)))

    parts.append(kind_block(MAKE, tier.n_make, FINISHED, "FG", "EA",
                            rng.lognormal(np.log(6), 0.9, tier.n_make), np.zeros(tier.n_make)))
    parts.append(kind_block(TRADED, tier.n_traded, FINISHED, "FG", "EA",
                            rng.lognormal(np.log(3), 0.9, tier.n_traded),
                            rng.lognormal(np.log(60), 0.8, tier.n_traded)))
    parts.append(kind_block(COMPONENT, tier.n_components, COMPONENTS, "CP", "EA",
                            rng.lognormal(np.log(0.5), 1.0, tier.n_components),
                            rng.lognormal(np.log(6), 1.0, tier.n_components)))
    parts.append(kind_block(RAW_KIND, tier.n_raw, RAW, "RM", "KG", np.ones(tier.n_raw),
                            rng.uniform(1, 12, tier.n_raw)))
    parts.append(kind_block(SPARE, tier.n_spares, SPARES, "SP", "EA",
                            rng.lognormal(np.log(0.8), 1.0, tier.n_spares),
                            rng.lognormal(np.log(30), 0.9, tier.n_spares)))
    items = pd.concat(parts, ignore_index=True)
    n = len(items)
    items["item_id"] = _item_ids(items.prefix.to_numpy())
    items["item_type"] = items.kind.map({MAKE: "finished", TRADED: "finished",
                                         COMPONENT: "component", RAW_KIND: "raw",
                                         SPARE: "spare"})
    models = rng.integers(100, 999, n)
    items["description"] = [f"{f.rstrip('s')} {p}{m}" for f, p, m in
                            zip(items.family, items.prefix, models)]
    items["unit_volume_m3"] = np.maximum(
        np.round(items.unit_weight_kg * rng.uniform(0.001, 0.006, n), 4), 0.0001)
    # units per sales order line (finished goods), lumpier for slow movers
    items["qty_mean"] = np.round(rng.lognormal(np.log(4), 1.0, n), 3)

    # lifecycle: most items active; some new (introduced inside the history), some being
    # phased out or discontinued (demand fades / stops)
    u = rng.random(n)
    finished = items.item_type.to_numpy() == "finished"
    life = np.where(finished & (u < .07), "new",
                    np.where(finished & (u > .95), "discontinued",
                             np.where(finished & (u > .89), "phase_out", "active")))
    hist = tier.history_days - 8
    intro_new = ctx.start + (hist * rng.uniform(.35, .85, n)).astype(int)
    intro_old = ctx.start - rng.integers(60, 5 * 365, n)
    items["lifecycle_status"] = life
    items["introduced_on"] = np.where(life == "new", intro_new, intro_old)
    # demand of a discontinued item ends inside the history; a phase-out item fades
    # over the last 200 days of the nominal history
    items["demand_ends"] = np.where(life == "discontinued",
                                    ctx.start + (hist * rng.uniform(.3, .7, n)).astype(int),
                                    np.iinfo(np.int32).max)
    items["home_plant"] = np.where(items.kind.to_numpy() == MAKE,
                                   rng.choice(plants, n), -1)
    items["wc"] = rng.integers(0, 3, n)           # work centre (of the home plant)

    # bills of material: each made item uses components and raw materials of its block
    kind = items.kind.to_numpy()
    blk = items.block.to_numpy()
    bom_rows: list[tuple[int, int]] = []
    for b in range(tier.blocks):
        make_idx = np.nonzero((kind == MAKE) & (blk == b))[0]
        comp_idx = np.nonzero((kind == COMPONENT) & (blk == b))[0]
        raw_idx = np.nonzero((kind == RAW_KIND) & (blk == b))[0]
        for p in make_idx:
            k = min(len(comp_idx), int(rng.integers(2, 8)))
            r = min(len(raw_idx), int(rng.integers(1, 4)))
            bom_rows += [(p, c) for c in rng.choice(comp_idx, k, replace=False)]
            bom_rows += [(p, c) for c in rng.choice(raw_idx, r, replace=False)]
        used = {c for p_, c in bom_rows if blk[p_] == b}
        for c in np.concatenate([comp_idx, raw_idx]):
            if c not in used and len(make_idx):
                bom_rows.append((int(rng.choice(make_idx)), int(c)))
    bom = pd.DataFrame(bom_rows, columns=["parent", "component"]).drop_duplicates()
    bom = bom.sort_values(["parent", "component"], kind="stable").reset_index(drop=True)
    is_raw = items.kind.to_numpy()[bom.component] == RAW_KIND
    nb = len(bom)
    bom["qty_per"] = np.where(is_raw, np.round(rng.uniform(0.2, 4.0, nb), 2),
                              rng.choice([1, 1, 1, 2, 2, 4], nb))
    bom["scrap_pct"] = np.where(is_raw, np.round(rng.uniform(1, 5, nb), 1),
                                np.where(rng.random(nb) < .2, np.round(rng.uniform(.5, 3, nb), 1), 0.0))
    bom["valid_from"] = np.minimum(items.introduced_on.to_numpy()[bom.parent], ctx.start - 30)
    bom["pos"] = bom.groupby("parent").cumcount().to_numpy()
    return items, bom


def _item_sites(ctx, rng, items, bom, sites, plants, dcs) -> pd.DataFrame:
    kind = items.kind.to_numpy()
    rows = []   # (item, site, role, sells, source_plant)
    for i in np.nonzero(kind == MAKE)[0]:
        home = items.home_plant[i]
        stocked = [d for d in dcs if rng.random() < ctx.tier.dc_share]
        sells_home = rng.random() < 0.6 or not stocked
        rows.append((i, home, R_MAKE, sells_home, home))
        rows += [(i, d, R_DC, True, home) for d in stocked]
    for i in np.nonzero(kind == TRADED)[0]:
        pool = dcs if len(dcs) else plants
        k = min(len(pool), 1 + int(rng.random() < .5))
        rows += [(i, s, R_TRADED, True, -1) for s in rng.choice(pool, k, replace=False)]
    home = items.home_plant.to_numpy()
    for c, parents in bom.groupby("component").parent:
        role = R_RAW if kind[c] == RAW_KIND else R_COMPONENT
        rows += [(c, p, role, False, -1) for p in sorted(set(home[parents]))]
    for i in np.nonzero(kind == SPARE)[0]:
        k = min(len(sites), 1 + int(rng.random() < .5))
        rows += [(i, s, R_SPARE, False, -1) for s in rng.choice(len(sites), k, replace=False)]
    isites = pd.DataFrame(rows, columns=["item", "site", "role", "sells", "source_plant"])
    isites = isites.sort_values(["item", "site"], kind="stable").reset_index(drop=True)
    isites["make_or_buy"] = np.where(isites.role.isin([R_MAKE]), "make", "buy")
    cats = sorted(set(items.category))
    planner = {c: f"PL{(i % 6) + 1:02d}" for i, c in enumerate(cats)}
    isites["planner_id"] = items.category.to_numpy()[isites.item].tolist()
    isites["planner_id"] = isites.planner_id.map(planner)
    isites["currency"] = sites.currency.to_numpy()[isites.site]
    isites["block"] = items.block.to_numpy()[isites.item]
    n = len(isites)
    # demand of a selling item × site: a heavy-tailed level (a few fast movers, many slow
    # and intermittent ones), a trend, and for spares a rate of maintenance requests
    isites["level"] = rng.lognormal(0, 1.35, n)
    isites["growth"] = rng.uniform(-.12, .22, n)
    isites["spare_rate"] = rng.uniform(.15, 1.2, n)
    return isites


def _sourcing(ctx, rng, items, suppliers) -> tuple[pd.DataFrame, pd.DataFrame]:
    bought = np.nonzero(items.kind.isin([TRADED, COMPONENT, RAW_KIND, SPARE]).to_numpy())[0]
    n_sup = len(suppliers)
    primary = rng.permutation(len(bought)) % n_sup          # every supplier gets items
    rows = [(i, s, True) for i, s in zip(bought, primary)]
    for i, s in zip(bought, primary):
        if rng.random() < .3 and n_sup > 1:
            rows.append((i, int((s + rng.integers(1, n_sup)) % n_sup), False))
    src = pd.DataFrame(rows, columns=["item", "supplier", "primary"])
    src = src.sort_values(["supplier", "item"], kind="stable").reset_index(drop=True)
    ns = len(src)
    src["lead_time_days"] = np.maximum(
        suppliers.lead_base.to_numpy()[src.supplier] + rng.integers(-2, 6, ns), 3)
    src["currency"] = suppliers.currency.to_numpy()[src.supplier]
    src["block"] = items.block.to_numpy()[src.item]
    src["min_qty"] = 1.0
    fx = src.currency.map(FX0).to_numpy()
    price0 = items.base_cost_usd.to_numpy()[src.item] * rng.uniform(.85, 1.05, ns) / fx
    # price versions: one before the history, then yearly price rounds inside it and
    # after it (a supplier raises, sometimes lowers, its price)
    pr = [pd.DataFrame(dict(source=np.arange(ns), valid_from=ctx.start - rng.integers(30, 400, ns),
                            unit_price=price0))]
    p = price0.copy()
    for k in range(6):                           # rounds every ~9 months, also past the end
        m = rng.random(ns) < (.5 if k == 0 else .3)
        p = p * np.where(m, rng.uniform(.96, 1.09, ns), 1.0)
        when = ctx.start + (270 * (k + rng.uniform(.2, 1.0, ns))).astype(int)
        pr.append(pd.DataFrame(dict(source=np.nonzero(m)[0], valid_from=when[m], unit_price=p[m])))
    prices = pd.concat(pr, ignore_index=True)
    prices["unit_price"] = np.round(prices.unit_price, 4)
    prices = prices.sort_values(["source", "valid_from"], kind="stable").reset_index(drop=True)
    prices = prices.drop_duplicates(["source", "valid_from"], keep="last").reset_index(drop=True)
    prices["planted_error"] = False
    return src, prices


def _promotions(ctx: Ctx, items: pd.DataFrame, isites: pd.DataFrame) -> pd.DataFrame:
    """Planned promotions of a family at a selling site: a few windows a year of one to
    three weeks with more demand (and a promotional discount). Planned far ahead, so
    planners know them (plan_overrides reason `promotion`)."""
    rng = ctx.rng("promotions")
    sell = isites[isites.sells]
    pairs = sorted(set(zip(items.family.to_numpy()[sell.item], sell.site)))
    rows = []
    horizon = ctx.tier.history_days + 3 * 365
    for family, site in pairs:
        if rng.random() >= .35:
            continue
        day = ctx.start + int(rng.integers(0, 120))
        while day < ctx.start + horizon:
            length = int(rng.integers(7, 22))
            rows.append((family, site, day, day + length - 1, round(float(rng.uniform(1.5, 2.6)), 3),
                         round(float(rng.uniform(.08, .2)), 3)))
            day += length + int(rng.integers(90, 220))
    return pd.DataFrame(rows, columns=["family", "site", "start", "end", "uplift", "discount"])


def _costs(rng, items, bom, isites, sites, sources, suppliers) -> None:
    """Standard costs (made items roll up their bill of material) and list prices."""
    cost = items.base_cost_usd.to_numpy().copy()
    comp_cost = cost[bom.component.to_numpy()] * bom.qty_per.to_numpy() \
        * (1 + bom.scrap_pct.to_numpy() / 100)
    rolled = np.bincount(bom.parent.to_numpy(), weights=comp_cost, minlength=len(items))
    make = items.kind.to_numpy() == MAKE
    cost[make] = rolled[make] * rng.uniform(1.3, 1.7, make.sum()) + rng.uniform(2, 25, make.sum())
    items["base_cost_usd"] = np.round(cost, 4)
    items["markup"] = np.round(rng.uniform(1.35, 2.1, len(items)), 4)
    fx = isites.currency.map(FX0).to_numpy()
    n = len(isites)
    uplift = np.where(isites.role.to_numpy() == R_DC, 1.06, 1.0)
    std = cost[isites.item] / fx * uplift * rng.uniform(.97, 1.03, n)
    isites["standard_cost"] = np.round(std, 4)
    markup = items.markup.to_numpy()[isites.item]
    isites["list_price"] = np.where(isites.sells, np.round(std * markup, 2), np.nan)
