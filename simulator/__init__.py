"""The demo company: a deterministic simulator of a manufacturer-distributor that writes
the 25 landing extracts as an outside source system would, plus the truth it planted.

    simulator.generate(landing_dir, truth_dir, tier="demo", seed=7,
                       end_date=date(2026, 11, 20), delta_days=7, fmt="csv") -> manifest
    simulator.fill_if_empty(landing_dir, truth_dir, **kw) -> manifest | None

Plain Python (numpy, pandas, pyarrow); it imports neither Dagster nor the pipeline.
See docs/simulator.md.
"""

from .generate import DEFAULT_END, append, fill_if_empty, generate
from .schema import EXTRACTS
from .tiers import TIERS, Tier

__all__ = ["DEFAULT_END", "EXTRACTS", "TIERS", "Tier", "append", "fill_if_empty", "generate"]
