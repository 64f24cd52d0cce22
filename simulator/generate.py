"""Generate the demo company: landing files plus the planted truth."""

from __future__ import annotations

import json
import os
import time
from datetime import date
from pathlib import Path

from .core import Ctx, date_of
from .extracts import master_tables, transaction_tables
from .finance import budgets, customer_billing, fx_rates, general_ledger, plan_overrides
from .inventory import simulate_inventory
from .logistics import simulate_logistics
from .master import build_company
from .sales import simulate_sales
from .schema import EXTRACTS
from .supply import simulate_supply
from .tiers import TIERS
from .truth import write_truth
from .writer import FORMATS, write_delivery

DEFAULT_END = date(2026, 11, 20)


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def generate(landing_dir, truth_dir, tier: str = "demo", seed: int = 7,
             end_date: date | str = DEFAULT_END, delta_days: int = 7,
             fmt: str = "csv") -> dict:
    """Write every extract of the demo company to `landing_dir` and the planted truth to
    `truth_dir`. Deterministic: the same seed, tier and format give byte-identical files.

    Each extract gets a history delivery (everything up to end_date - delta_days,
    extracted that day at 23:00 UTC) and then one delivery per day for the last
    `delta_days` days with the records created or changed that day (a day with none
    gets no file). Snapshot extracts (master data) are delivered in full at the cut-off
    and again on end_date. Returns the manifest."""
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}; known: {', '.join(TIERS)}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    if not 0 <= delta_days < TIERS[tier].history_days:
        raise ValueError(f"delta_days must be between 0 and {TIERS[tier].history_days - 1}")
    started = time.perf_counter()
    landing_dir, truth_dir = Path(landing_dir), Path(truth_dir)
    ctx = Ctx(TIERS[tier], seed, _as_date(end_date), delta_days)

    co = build_company(ctx)
    sales = simulate_sales(ctx, co)
    supply = simulate_supply(ctx, co, sales)
    inv = simulate_inventory(ctx, co, sales, supply)
    lg = simulate_logistics(ctx, co, sales)
    rates = fx_rates(ctx, co)
    billing = customer_billing(ctx, co, sales)
    gl = general_ledger(ctx, co, rates, sales, billing, supply, lg, inv)
    snapshots = master_tables(ctx, co, budgets(ctx, co, supply, lg, rates),
                              plan_overrides(ctx, co, sales))
    deltas = transaction_tables(ctx, co, sales, supply, lg, inv, billing, gl, rates)
    simulated = time.perf_counter() - started

    rows: dict[str, int] = {}
    files: list[str] = []
    for name in EXTRACTS:
        deliveries = []
        if name in snapshots:
            snap = snapshots[name]
            deliveries.append((ctx.cutoff, snap.at_cutoff))
            if ctx.end != ctx.cutoff:
                deliveries.append((ctx.end, snap.at_end))
        else:
            table = deltas[name]
            deliveries.append((ctx.cutoff, table.as_of(ctx.cutoff)))
            deliveries += [(d, table.changed_on(d)) for d in range(ctx.cutoff + 1, ctx.end + 1)]
        rows[name] = 0
        for day, data in deliveries:
            if data.num_rows == 0:
                continue
            path = write_delivery(landing_dir, name, day, data, fmt)
            files.append(path.relative_to(landing_dir).as_posix())
            rows[name] += data.num_rows

    truth_rows = write_truth(truth_dir, deltas, ctx.end, co.suppliers, co.sites)
    manifest = {
        "as_of": date_of(ctx.end).isoformat(),
        "history_start": date_of(ctx.start).isoformat(),
        "cutoff": date_of(ctx.cutoff).isoformat(),
        "delta_days": delta_days,
        "tier": tier,
        "seed": seed,
        "format": fmt,
        "rows": rows,
        "current_rows": {n: (snapshots[n].at_end.num_rows if n in snapshots
                             else deltas[n].as_of(ctx.end).num_rows) for n in EXTRACTS},
        "truth_rows": truth_rows,
        "files": files,
        "master_data_changes": {
            "items.lifecycle_status": co.items.item_id[getattr(co, "changed_item", 0)]
            + " active -> phase_out",
            "supplier_items.dropped": _dropped(co),
        },
        "currencies": co.currencies,
    }
    truth_dir.mkdir(parents=True, exist_ok=True)
    part = truth_dir / "manifest.json.part"
    part.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(part, truth_dir / "manifest.json")
    manifest["seconds"] = {"simulate": round(simulated, 2),
                           "total": round(time.perf_counter() - started, 2)}
    return manifest


def _dropped(co) -> str | None:
    row = getattr(co, "dropped_price_row", None)
    if row is None:
        return None
    src = co.sources.iloc[int(co.prices.source.iloc[row])]
    return (f"{co.suppliers.supplier_id.iloc[src['supplier']]} / "
            f"{co.items.item_id.iloc[src['item']]}"
            f" valid_from {date_of(co.prices.valid_from.iloc[row]).isoformat()}")


def fill_if_empty(landing_dir, truth_dir, **kw) -> dict | None:
    """Generate the demo company only when the landing zone holds no file at all; a
    landing zone that already holds files is used as it is (returns None)."""
    landing = Path(landing_dir)
    if landing.exists() and any(p.is_file() for p in landing.rglob("*")):
        return None
    return generate(landing_dir, truth_dir, **kw)
