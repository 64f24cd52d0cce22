"""Scales of the demo company. A tier only sets sizes; the behaviour is the same.

Large tiers are simulated in `blocks`: each block is a self-contained product division
(its own finished items, components, raw materials and spares, with bills of material
inside the block) that shares sites, customers, suppliers and carriers with the others.
A block is simulated, written and dropped before the next one starts, so memory is
bounded by the block, not by the tier."""

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
    blocks: int = 1               # product divisions simulated one after the other


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
    "m": Tier(
        name="m", sites=("P-US1", "P-DE1", "P-MX1", "DC-US1", "DC-GB1", "DC-JP1",
                         "DC-FR1", "DC-CA1"),
        n_suppliers=250, n_customers=4_000, n_carriers=16,
        n_make=1_900, n_traded=900, n_components=1_300, n_raw=600, n_spares=500,
        history_days=1_095, sales_lines=3_000_000, po_lines=800_000, dc_share=0.35,
        blocks=4,
    ),
    "l": Tier(
        name="l", sites=("P-US1", "P-DE1", "P-MX1", "P-CN1", "DC-US1", "DC-US2", "DC-GB1",
                         "DC-JP1", "DC-FR1", "DC-CA1", "DC-PL1", "DC-KR1"),
        n_suppliers=800, n_customers=15_000, n_carriers=30,
        n_make=7_000, n_traded=3_600, n_components=5_200, n_raw=2_000, n_spares=2_400,
        history_days=1_095, sales_lines=15_000_000, po_lines=4_000_000, dc_share=0.3,
        blocks=16,
    ),
}
