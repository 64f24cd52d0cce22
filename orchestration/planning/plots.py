"""Forecast plots for the Dagster UI (matplotlib, Agg backend: no display needed).

One small PNG per family (the families with the most orders in the last 26 weeks):
left, the weekly forecast of the family's largest item x site series; right, the
monthly S&OP forecast of the family at its largest site — actuals, forecast and the
80 % / 95 % intervals. Returned as markdown with data: URIs, so the asset metadata
shows them without any file server.
"""

from __future__ import annotations

import base64
import io

import pandas as pd

from . import reconcile

WEEKS_SHOWN = 52
MONTHS_SHOWN = 12


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=56)
    return base64.b64encode(buf.getvalue()).decode()


def _band(ax, x, f):
    ax.fill_between(x, f["forecast_lo_95"], f["forecast_hi_95"], color="C0", alpha=0.15,
                    lw=0, label="95 %")
    ax.fill_between(x, f["forecast_lo_80"], f["forecast_hi_80"], color="C0", alpha=0.3,
                    lw=0, label="80 %")
    ax.plot(x, f["forecast"], color="C0", lw=1.5, label="forecast")


def family_plots(history: pd.DataFrame, weekly: pd.DataFrame, monthly: pd.DataFrame,
                 top: int = 4) -> str:
    """Markdown: one image per top family. history: demand_history rows (item_id,
    site_id, family, week, demand); weekly / monthly: the current snapshot's rows."""
    if weekly.empty or history.empty:
        return "no forecast yet"
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    h = history.assign(week=pd.to_datetime(history["week"]))
    recent = h[h["week"] > h["week"].max() - pd.Timedelta(weeks=26)]
    families = recent.groupby("family")["demand"].sum().nlargest(top).index
    parts = []
    for family in families:
        fam = recent[recent["family"] == family]
        item, site = fam.groupby(["item_id", "site_id"])["demand"].sum().idxmax()
        top_site = fam.groupby("site_id")["demand"].sum().idxmax()
        fig, (left, right) = plt.subplots(1, 2, figsize=(9, 2.3))

        act = h[(h["item_id"] == item) & (h["site_id"] == site)].tail(WEEKS_SHOWN)
        fc = weekly[(weekly["item_id"] == item) & (weekly["site_id"] == site)]
        left.plot(act["week"], act["demand"], color="black", lw=1, label="orders")
        _band(left, pd.to_datetime(fc["week"]), fc)
        model = fc["model"].iloc[0] if len(fc) else ""
        left.set_title(f"{item} @ {site}, weekly ({model})", fontsize=9)

        site_weeks = h[(h["family"] == family) & (h["site_id"] == top_site)] \
            .groupby("week", as_index=False)["demand"].sum()
        months = reconcile.complete_months(
            reconcile.weeks_to_months(site_weeks.assign(k=0), ["k"], ["demand"]))
        months = months.tail(MONTHS_SHOWN)
        fm = monthly[(monthly["family"] == family) & (monthly["site_id"] == top_site)]
        right.plot(months["month"], months["demand"], color="black", lw=1, marker=".",
                   label="orders")
        _band(right, pd.to_datetime(fm["month"]), fm)
        right.set_title(f"{family} @ {top_site}, monthly (S&OP)", fontsize=9)
        for ax, months in ((left, [1, 4, 7, 10]), (right, [1, 7])):
            locator = mdates.MonthLocator(bymonth=months)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
            ax.tick_params(labelsize=7)
            ax.set_ylim(bottom=0)
        left.legend(fontsize=6, loc="upper left")
        fig.subplots_adjust(left=0.05, right=0.99, top=0.88, bottom=0.14, wspace=0.15)
        parts.append(f"**{family}**\n\n![{family}](data:image/png;base64,{_png(fig)})")
        plt.close(fig)
    return "\n\n".join(parts)
