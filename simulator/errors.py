"""Master-data errors planted at known rates, as a data steward would find them.

They change only what the master-data extracts say; the company's own behaviour (the
cost it really books, the price its buyers really pay) is unaffected, exactly as a wrong
master record sits beside correct transactions. Every planted error is a truth row:
entity (extract), key, rule, column, planted value and detail."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .core import Ctx, date_of, hash_uniform
from .master import BUY_ROLE_CODES, Company

RATES = {                       # rule: (extract, share of the eligible rows)
    "missing_lead_time": ("item_sites", .02),          # bought item × site
    "missing_cost": ("item_sites", .015),               # any item × site
    "price_jump": ("supplier_items", .02),              # supplier × item contracts
    "duplicate_partner_tax_id": ("partners", .025),     # suppliers
    "supplier_without_payment_terms": ("partners", .03),
    "bom_component_unknown": ("bom_lines", .01),        # bill-of-material lines
}
PRICE_JUMP = (1.6, 3.0)         # the planted price is this many times the previous one


@dataclass
class MasterView:
    """The master data as the extracts deliver it (errors included)."""
    item_sites: pd.DataFrame
    partners_extra: pd.DataFrame      # duplicate supplier rows
    supplier_terms_missing: np.ndarray   # supplier indexes without payment terms
    prices: pd.DataFrame
    bom: pd.DataFrame
    truth: pd.DataFrame


def _choose(ctx: Ctx, rule: str, n: int) -> np.ndarray:
    """Rows chosen for a rule: share `rate`, at least one."""
    if n == 0:
        return np.zeros(0, np.int64)
    u = hash_uniform(ctx.seed, f"md-{rule}", np.arange(n))
    sel = u < RATES[rule][1]
    sel[np.argmin(u)] = True
    return np.nonzero(sel)[0]


def plant_master_errors(ctx: Ctx, co: Company) -> MasterView:
    items, isites, sup = co.items, co.item_sites.copy(), co.suppliers
    item_ids = items.item_id.to_numpy()
    site_ids = co.sites.site_id.to_numpy()
    rows = []

    def truth(rule, key, column, value, detail):
        rows.append(dict(entity=RATES[rule][0], key=key, rule=rule, column=column,
                         planted_value=value, detail=detail))

    def isite_key(r):
        return f"{item_ids[isites.item.iat[r]]}|{site_ids[isites.site.iat[r]]}"

    bought = np.nonzero(np.isin(isites.role.to_numpy(), BUY_ROLE_CODES))[0]
    for r in bought[_choose(ctx, "missing_lead_time", len(bought))]:
        truth("missing_lead_time", isite_key(r), "planned_lead_time_days", None,
              f"was {int(isites.planned_lead_time_days.iat[r])}")
        isites.iat[r, isites.columns.get_loc("planned_lead_time_days")] = np.nan
    for r in _choose(ctx, "missing_cost", len(isites)):
        truth("missing_cost", isite_key(r), "standard_cost", None,
              f"was {isites.standard_cost.iat[r]:.4f}")
        isites.iat[r, isites.columns.get_loc("standard_cost")] = np.nan

    # a contract price keyed with a jump (a new version many times the one before)
    src, prices = co.sources, co.prices
    span = (ctx.start + 30, ctx.cutoff - 1)
    extra = []
    for k in _choose(ctx, "price_jump", len(src)):
        u = hash_uniform(ctx.seed, "md-price-jump-day", k)[0]
        day = int(span[0] + u * max(span[1] - span[0], 1))
        own = prices[(prices.source == k) & (prices.valid_from < day)]
        if (prices[(prices.source == k)].valid_from == day).any() or own.empty:
            continue
        before = float(own.unit_price.iat[-1])
        u = hash_uniform(ctx.seed, "md-price-jump", k)[0]
        f = PRICE_JUMP[0] + (PRICE_JUMP[1] - PRICE_JUMP[0]) * u
        price = round(before * f, 4)
        extra.append(dict(source=k, valid_from=day, unit_price=price, planted_error=True))
        truth("price_jump",
              f"{sup.supplier_id.iat[src.supplier.iat[k]]}|{item_ids[src.item.iat[k]]}|"
              f"{date_of(day).isoformat()}", "unit_price", f"{price:.4f}",
              f"{(f - 1) * 100:.0f} % above the version before ({before:.4f})")
    if extra:
        prices = pd.concat([prices, pd.DataFrame(extra)], ignore_index=True)
        prices = prices.sort_values(["source", "valid_from"], kind="stable").reset_index(drop=True)

    # the same supplier created twice (same tax id, a new partner id)
    n = len(sup)
    dup_rows = []
    for j, k in enumerate(_choose(ctx, "duplicate_partner_tax_id", n)):
        pid = f"S{n + j + 1:04d}"
        row = sup.iloc[k]
        dup_rows.append(dict(partner_id=pid, role="supplier", name=row["name"].upper(),
                             country=row.country, currency=row.currency,
                             payment_terms_days=float(row.payment_terms_days), tax_id=row.tax_id,
                             segment="approved", contact_name=row.contact_name,
                             contact_email=row.contact_email))
        truth("duplicate_partner_tax_id", pid, "tax_id", row.tax_id,
              f"same tax id as {row.supplier_id}")
    no_terms = _choose(ctx, "supplier_without_payment_terms", n)
    for k in no_terms:
        truth("supplier_without_payment_terms", sup.supplier_id.iat[k], "payment_terms_days",
              None, f"was {int(sup.payment_terms_days.iat[k])}")

    # a bill of material pointing at an item that does not exist
    bom = co.bom
    bad = []
    width = len(item_ids[0]) - 3 if len(item_ids) else 5
    for j, r in enumerate(_choose(ctx, "bom_component_unknown", len(bom))):
        comp = f"CP-{9 * 10 ** (width - 1) + j + 1}"
        parent = int(bom.parent.iat[r])
        bad.append(dict(parent=parent, component=-1, component_id=comp, qty_per=1.0,
                        scrap_pct=0.0, valid_from=int(bom.valid_from.iat[r]),
                        pos=int(bom.pos.iat[r])))
        truth("bom_component_unknown",
              f"{item_ids[parent]}|{comp}|{date_of(int(bom.valid_from.iat[r])).isoformat()}",
              "component_item_id", comp, "no such item in the item master")
    bom = bom.assign(component_id=item_ids[bom.component.to_numpy()])
    if bad:
        bom = pd.concat([bom, pd.DataFrame(bad)], ignore_index=True)
        bom = bom.sort_values(["parent", "component_id"], kind="stable").reset_index(drop=True)
    truth_frame = pd.DataFrame(rows, columns=["entity", "key", "rule", "column", "planted_value",
                                              "detail"])
    return MasterView(isites, pd.DataFrame(dup_rows), no_terms, prices, bom, truth_frame)
