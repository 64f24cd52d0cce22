"""The company's master data: sites, partners (suppliers with planted reliability,
customers, carriers), items, bills of material, item × site parameters, sourcing.

Everything is small (thousands of rows at most) and kept as pandas frames with integer
indexes; text ids are made when the files are written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .core import Ctx

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
    work_centers: dict | None = None   # planted work-centre behaviour (supply)

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
    p_on_time = rng.permutation(np.linspace(0.55, 0.98, n))
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
        pay_delay_mean=np.round(rng.gamma(1.2, 4.0, n), 2),
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
        p_delay=np.round(rng.uniform(0.02, 0.15, n), 4),
        rate_factor=np.round(rng.uniform(0.85, 1.2, n), 4),
    ))

    items, bom = _items_and_bom(ctx, rng, plants)
    item_sites = _item_sites(ctx, rng, items, bom, sites, plants, dcs)
    sources, prices = _sourcing(ctx, rng, items, suppliers)
    _costs(rng, items, bom, item_sites, sites, sources, suppliers)

    used = {"USD"} | set(sites.currency) | set(suppliers.currency) | set(carriers.currency) \
        | set(customers.currency)
    currencies = ["USD"] + sorted(used - {"USD"})
    return Company(sites, suppliers, customers, carriers, items, bom, item_sites,
                   sources, prices, currencies)


def _items_and_bom(ctx: Ctx, rng, plants) -> tuple[pd.DataFrame, pd.DataFrame]:
    tier = ctx.tier
    parts = []

    def block(kind, n, cats, prefix, uom, weight, cost):
        cat_names = list(cats)
        cat = rng.integers(0, len(cat_names), n)
        fam = [rng.choice(cats[cat_names[c]]) for c in cat]
        return pd.DataFrame(dict(
            kind=kind, prefix=prefix, category=[cat_names[c] for c in cat], family=fam,
            base_uom=uom, unit_weight_kg=np.round(weight, 3),
            base_cost_usd=np.round(cost, 4)))

    parts.append(block(MAKE, tier.n_make, FINISHED, "FG", "EA",
                       rng.lognormal(np.log(6), 0.9, tier.n_make), np.zeros(tier.n_make)))
    parts.append(block(TRADED, tier.n_traded, FINISHED, "FG", "EA",
                       rng.lognormal(np.log(3), 0.9, tier.n_traded),
                       rng.lognormal(np.log(60), 0.8, tier.n_traded)))
    parts.append(block(COMPONENT, tier.n_components, COMPONENTS, "CP", "EA",
                       rng.lognormal(np.log(0.5), 1.0, tier.n_components),
                       rng.lognormal(np.log(6), 1.0, tier.n_components)))
    parts.append(block(RAW_KIND, tier.n_raw, RAW, "RM", "KG", np.ones(tier.n_raw),
                       rng.uniform(1, 12, tier.n_raw)))
    parts.append(block(SPARE, tier.n_spares, SPARES, "SP", "EA",
                       rng.lognormal(np.log(0.8), 1.0, tier.n_spares),
                       rng.lognormal(np.log(30), 0.9, tier.n_spares)))
    items = pd.concat(parts, ignore_index=True)
    n = len(items)
    counter = items.groupby("prefix").cumcount().to_numpy() + 1
    base = items.prefix.map({"FG": 10000, "CP": 20000, "RM": 30000, "SP": 40000}).to_numpy()
    items["item_id"] = [f"{p}-{b + c}" for p, b, c in zip(items.prefix, base, counter)]
    items["item_type"] = items.kind.map({MAKE: "finished", TRADED: "finished",
                                         COMPONENT: "component", RAW_KIND: "raw",
                                         SPARE: "spare"})
    models = rng.integers(100, 999, n)
    items["description"] = [f"{f.rstrip('s')} {p}{m}" for f, p, m in
                            zip(items.family, items.prefix, models)]
    items["unit_volume_m3"] = np.maximum(
        np.round(items.unit_weight_kg * rng.uniform(0.001, 0.006, n), 4), 0.0001)

    # lifecycle: most items active; some new (introduced inside the history), some being
    # phased out or discontinued (demand fades / stops; see sales)
    u = rng.random(n)
    finished = items.item_type.to_numpy() == "finished"
    life = np.where(finished & (u < .07), "new",
                    np.where(finished & (u > .95), "discontinued",
                             np.where(finished & (u > .89), "phase_out", "active")))
    hist = ctx.cutoff - ctx.start
    intro_new = ctx.start + (hist * rng.uniform(.35, .85, n)).astype(int)
    intro_old = ctx.start - rng.integers(60, 5 * 365, n)
    items["lifecycle_status"] = life
    items["introduced_on"] = np.where(life == "new", intro_new, intro_old)
    # demand of a fading item ends before the cut-off
    items["demand_ends"] = np.where(life == "discontinued",
                                    ctx.start + (hist * rng.uniform(.3, .7, n)).astype(int),
                                    np.iinfo(np.int32).max)
    items["home_plant"] = np.where(items.kind.to_numpy() == MAKE,
                                   rng.choice(plants, n), -1)

    # bills of material: each made item uses components and raw materials of its plant
    make_idx = np.nonzero(items.kind.to_numpy() == MAKE)[0]
    comp_idx = np.nonzero(items.kind.to_numpy() == COMPONENT)[0]
    raw_idx = np.nonzero(items.kind.to_numpy() == RAW_KIND)[0]
    bom_rows: list[tuple[int, int]] = []
    for p in make_idx:
        k = min(len(comp_idx), int(rng.integers(2, 8)))
        r = min(len(raw_idx), int(rng.integers(1, 4)))
        bom_rows += [(p, c) for c in rng.choice(comp_idx, k, replace=False)]
        bom_rows += [(p, c) for c in rng.choice(raw_idx, r, replace=False)]
    used = {c for _, c in bom_rows}
    for c in np.concatenate([comp_idx, raw_idx]):
        if c not in used:
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
    fx = src.currency.map(FX0).to_numpy()
    price0 = items.base_cost_usd.to_numpy()[src.item] * rng.uniform(.85, 1.05, ns) / fx
    # price versions: one before the history, then up to two changes inside it
    pr = [pd.DataFrame(dict(source=np.arange(ns), valid_from=ctx.start - rng.integers(30, 400, ns),
                            unit_price=price0))]
    hist = ctx.end - ctx.start
    p = price0.copy()
    for k, chance in enumerate((.5, .2)):
        m = rng.random(ns) < chance
        p = p * np.where(m, rng.uniform(.96, 1.08, ns), 1.0)
        when = ctx.start + (hist * (k * .4 + rng.uniform(.1, .5, ns))).astype(int)
        pr.append(pd.DataFrame(dict(source=np.nonzero(m)[0], valid_from=when[m], unit_price=p[m])))
    prices = pd.concat(pr, ignore_index=True)
    prices["unit_price"] = np.round(prices.unit_price, 4)
    prices = prices.sort_values(["source", "valid_from"], kind="stable").reset_index(drop=True)
    return src, prices


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
