"""Settings from environment variables (the README lists them), resolved once per call.

Plain Python so the ingestion engine, the CLI and the tests share one definition.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    landing_dir: Path
    warehouse: Path
    published: Path
    exports_dir: Path
    truth_dir: Path
    as_of: str | None
    company_currency: str
    duckdb_threads: int
    duckdb_memory_limit: str
    landing_sensor: bool            # the landing sensor starts RUNNING in a new Dagster home
    row_drop_pct: float             # a mart losing more than this % of its rows blocks publish
    chase_from: str                 # From of the PO chase drafts (.invalid by default,
                                    # RFC 2606: a draft sent by mistake bounces)
    # a secret (it may carry a token): never shown, logged or exported
    alert_webhook: str | None = field(default=None, repr=False)

    def dbt_env(self) -> dict[str, str]:
        """What the dbt profile and models read (dbt_project/profiles.yml)."""
        return {
            "CT_WAREHOUSE": str(self.warehouse),
            "CT_AS_OF": self.as_of or "",
            "CT_COMPANY_CURRENCY": self.company_currency,
            "CT_DUCKDB_THREADS": str(self.duckdb_threads),
            "CT_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit,
        }


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env

    def path(name: str, default: Path) -> Path:
        value = env.get(name)
        return Path(value).expanduser().resolve() if value else default.resolve()

    data_dir = path("CT_DATA_DIR", PROJECT_ROOT / "data")
    return Settings(
        data_dir=data_dir,
        landing_dir=path("CT_LANDING_DIR", data_dir / "landing"),
        warehouse=path("CT_WAREHOUSE", data_dir / "warehouse.duckdb"),
        published=path("CT_PUBLISHED", data_dir / "published" / "warehouse.duckdb"),
        exports_dir=path("CT_EXPORTS_DIR", data_dir / "exports"),
        truth_dir=data_dir / "simulator_truth",
        as_of=env.get("CT_AS_OF") or None,
        company_currency=(env.get("CT_COMPANY_CURRENCY") or "USD").upper(),
        duckdb_threads=int(env.get("CT_DUCKDB_THREADS") or os.cpu_count() or 2),
        duckdb_memory_limit=env.get("CT_DUCKDB_MEMORY_LIMIT") or "8GB",
        landing_sensor=(env.get("CT_LANDING_SENSOR") or "on").strip().lower()
        not in ("off", "0", "false", "no"),
        row_drop_pct=_percentage(env, "CT_ROW_DROP_PCT", 50.0),
        chase_from=(env.get("CT_CHASE_FROM") or "").strip() or "purchasing@control-tower.invalid",
        alert_webhook=(env.get("CT_ALERT_WEBHOOK") or "").strip() or None,
    )


def _percentage(env, name: str, default: float) -> float:
    value = (env.get(name) or "").strip()
    if not value:
        return default
    pct = float(value)
    if not 0 < pct <= 100:
        raise ValueError(f"{name} must be a percentage in (0, 100], got {value!r}")
    return pct
