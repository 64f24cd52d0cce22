"""Checks of the forecast snapshots (plain SQL on the warehouse; the asset reports them
as Dagster asset checks). Each returns the number of offending rows and an example."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from .tables import HORIZON_MONTHS, HORIZON_WEEKS

WEEKLY = "forecast.demand_forecast"
MONTHLY = "forecast.demand_forecast_monthly"
RECENT_WEEKS = 26     # a series with orders in these weeks up to the cutoff must be forecast
TOLERANCE = 1e-6      # relative, for the reconciliation (floating sums)


@dataclass(frozen=True)
class Check:
    table: str            # WEEKLY or MONTHLY
    name: str
    description: str
    sql: str              # one row: (offending rows, an example as text); $cutoff


CHECKS = (
    Check(WEEKLY, "no_missing_series",
          f"Every demand_history series with orders in the {RECENT_WEEKS} weeks up to the "
          "cutoff has a forecast in the current snapshot.",
          f"""
          SELECT count(*), min(h.item_id || ' @ ' || h.site_id)
          FROM (SELECT DISTINCT item_id, site_id FROM marts.demand_history
                WHERE demand_qty > 0 AND week > CAST($cutoff AS DATE) - {7 * RECENT_WEEKS}) h
          ANTI JOIN (SELECT DISTINCT item_id, site_id FROM {WEEKLY} WHERE cutoff = $cutoff) f
              USING (item_id, site_id)"""),
    Check(WEEKLY, "non_negative",
          "No negative forecast, bound or seasonal naive in any snapshot.",
          f"""
          SELECT count(*), min(item_id || ' @ ' || site_id || ' ' || week)
          FROM {WEEKLY}
          WHERE least(forecast, forecast_lo_80, forecast_hi_80, forecast_lo_95,
                      forecast_hi_95, seasonal_naive) < 0"""),
    Check(WEEKLY, "intervals_contain_the_forecast",
          "lo_95 <= lo_80 <= forecast <= hi_80 <= hi_95 on every row of every snapshot.",
          f"""
          SELECT count(*), min(item_id || ' @ ' || site_id || ' ' || week)
          FROM {WEEKLY}
          WHERE NOT (forecast_lo_95 <= forecast_lo_80 AND forecast_lo_80 <= forecast
                     AND forecast <= forecast_hi_80 AND forecast_hi_80 <= forecast_hi_95)
               """),
    Check(WEEKLY, "horizon_complete",
          f"Every series of every snapshot has the {HORIZON_WEEKS} weeks after its cutoff, "
          "once each (lag 1..26, week = cutoff + 7 x lag).",
          f"""
          SELECT count(*), min(cutoff || ' ' || item_id || ' @ ' || site_id)
          FROM (SELECT cutoff, item_id, site_id FROM {WEEKLY}
                GROUP BY ALL
                HAVING count(*) <> {HORIZON_WEEKS}
                    OR count(DISTINCT week) <> {HORIZON_WEEKS}
                    OR bool_or(week <> cutoff + 7 * lag_weeks)
                    OR min(lag_weeks) <> 1 OR max(lag_weeks) <> {HORIZON_WEEKS})"""),
    Check(MONTHLY, "horizon_complete",
          f"Every family x site of every snapshot has the {HORIZON_MONTHS} months from the "
          "month after the cutoff's month, once each; bounds ordered and non-negative.",
          f"""
          SELECT count(*), min(cutoff || ' ' || family || ' @ ' || site_id)
          FROM (SELECT cutoff, family, site_id FROM {MONTHLY}
                GROUP BY ALL
                HAVING count(*) <> {HORIZON_MONTHS}
                    OR count(DISTINCT month) <> {HORIZON_MONTHS}
                    OR min(month) <> date_trunc('month', cutoff) + INTERVAL 1 MONTH
                    OR bool_or(NOT (0 <= forecast_lo_95 AND forecast_lo_95 <= forecast_lo_80
                                    AND forecast_lo_80 <= forecast
                                    AND forecast <= forecast_hi_80
                                    AND forecast_hi_80 <= forecast_hi_95)))"""),
    Check(MONTHLY, "agrees_with_weekly",
          "On the months the weekly horizon covers (weekly_share = 1) the monthly forecast "
          "equals the weekly forecast of the family's items split by days into months "
          "(plus the cutoff week's orders on days of the month it covers), current "
          "snapshot.",
          f"""
          WITH days AS (
              SELECT f.family, f.site_id, f.week + CAST(r.i AS INTEGER) AS day, f.forecast / 7 AS qty
              FROM {WEEKLY} f, range(7) r(i) WHERE f.cutoff = $cutoff
              UNION ALL
              SELECT h.family, h.site_id, h.week + CAST(r.i AS INTEGER), CAST(h.demand_qty AS DOUBLE) / 7
              FROM marts.demand_history h, range(7) r(i) WHERE h.week = $cutoff
          ),
          weekly_months AS (
              SELECT family, site_id, CAST(date_trunc('month', day) AS DATE) AS month,
                     sum(qty) AS qty
              FROM days GROUP BY ALL
          )
          SELECT count(*), min(m.family || ' @ ' || m.site_id || ' ' || m.month)
          FROM {MONTHLY} m
          LEFT JOIN weekly_months w USING (family, site_id, month)
          WHERE m.cutoff = $cutoff AND m.weekly_share >= 1
            AND abs(m.forecast - coalesce(w.qty, 0))
                > {TOLERANCE} * greatest(1, abs(coalesce(w.qty, 0)))"""),
)


@dataclass
class CheckResult:
    check: Check
    offending: int
    example: str | None

    @property
    def passed(self) -> bool:
        return self.offending == 0


def run_checks(con: duckdb.DuckDBPyConnection, cutoff: date | None) -> list[CheckResult]:
    out = []
    for check in CHECKS:
        offending, example = con.execute(check.sql, {"cutoff": cutoff} if "$cutoff" in check.sql else {}).fetchall()[0]
        out.append(CheckResult(check, int(offending), example))
    return out
