"""Scales of the demo company. A tier only sets sizes; the behaviour is the same."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tier:
    name: str
    sites: tuple[str, ...]        # codes of simulator.master.SITE_CATALOG, plants first
    n_suppliers: int
    n_customers: int
    n_carriers: int
    n_make: int                   # finished items made at a plant
    n_traded: int                 # finished items bought and resold by DCs
    n_components: int
    n_raw: int
    n_spares: int
    history_days: int             # days of history up to and including the as-of date
    sales_lines: int              # target sales order lines over the history
    po_lines: int                 # target purchase order lines over the history
    dc_share: float = 0.4         # chance a DC stocks a given made item
    future_days: int = 120        # latent demand simulated after the as-of (never written)


TIERS: dict[str, Tier] = {
    "tiny": Tier(
        name="tiny", sites=("P-US1", "DC-GB1"),
        n_suppliers=6, n_customers=25, n_carriers=3,
        n_make=12, n_traded=6, n_components=10, n_raw=6, n_spares=4,
        history_days=150, sales_lines=3_000, po_lines=700, dc_share=0.6,
    ),
    "demo": Tier(
        name="demo", sites=("P-US1", "P-DE1", "DC-US1", "DC-GB1", "DC-JP1"),
        n_suppliers=40, n_customers=400, n_carriers=8,
        n_make=260, n_traded=110, n_components=150, n_raw=100, n_spares=70,
        history_days=730, sales_lines=200_000, po_lines=50_000, dc_share=0.35,
    ),
}
