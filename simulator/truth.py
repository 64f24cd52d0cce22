"""The truth the simulator planted, computed from its own records exactly as they stand
in the landing zone at the as-of date (latest version per key, nothing after the as-of),
following docs/conventions.md to the letter. The pipeline never reads it; tests compare
the marts with it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .core import DeltaTable

SUPPLIER_TRUTH = ["supplier_id", "name", "country", "currency", "p_on_time", "mean_days_late",
                  "p_confirm", "p_confirm_later_than_need", "p_reconfirm_when_late", "p_short",
                  "p_short_followup", "p_reject", "reject_fraction", "p_return_to_supplier",
                  "lead_base", "invoice_lag_days"]
SITE_TRUTH = ["site_id", "p_late", "mean_days_late", "p_short", "p_customer_cancel",
              "p_own_cancel", "p_unpromised"]


def _frame(table: DeltaTable, as_of: int) -> pd.DataFrame:
    return table.as_of(as_of).to_pandas(date_as_object=False)


def _month(s: pd.Series) -> pd.Series:
    return s.dt.to_period("M").dt.to_timestamp()


def purchase_truth(tables: dict[str, DeltaTable], as_of: int) -> pd.DataFrame:
    po = _frame(tables["purchase_order_lines"], as_of)
    cf = _frame(tables["supplier_confirmations"], as_of)
    gr = _frame(tables["goods_receipts"], as_of)
    key = ["po_id", "po_line"]
    as_of_ts = pd.Timestamp(np.datetime64(as_of, "D"))

    first_cf = (cf.sort_values(["confirmed_at", "confirmation_id"], kind="stable")
                .drop_duplicates(key, keep="first")[key + ["confirmed_date"]])
    po = po.merge(first_cf, on=key, how="left")
    po["deadline"] = po.confirmed_date.fillna(po.requested_date)

    receipts = gr[gr.movement == "receipt"]
    first = receipts.groupby(key).received_on.min().rename("first_receipt").reset_index()
    po = po.merge(first, on=key, how="left")
    gr = gr.merge(po[key + ["deadline"]], on=key, how="left")
    net = np.where(gr.movement == "receipt", gr.qty_received - gr.qty_rejected.fillna(0),
                   -gr.qty_received)
    gr["net"] = np.where(gr.received_on <= gr.deadline, net, 0.0)
    by_deadline = gr.groupby(key).net.sum().rename("received_net_by_deadline").reset_index()
    po = po.merge(by_deadline, on=key, how="left")
    po["received_net_by_deadline"] = po.received_net_by_deadline.fillna(0).round(4)

    po["month"] = _month(po.deadline)
    po["is_due"] = (po.deadline <= as_of_ts) & (po.status != "cancelled")
    po["on_time"] = (po.first_receipt <= po.deadline).fillna(False).astype(bool)
    po["in_full"] = po.received_net_by_deadline >= po.qty_ordered.round(4)
    po["otif"] = po.on_time & po.in_full
    po["on_time_to_need"] = (po.first_receipt <= po.requested_date).fillna(False).astype(bool)
    cols = ["po_id", "po_line", "supplier_id", "site_id", "item_id", "deadline", "month",
            "is_due", "on_time", "in_full", "otif", "on_time_to_need", "qty_ordered",
            "received_net_by_deadline"]
    return po[cols].sort_values(key, kind="stable").reset_index(drop=True)


def sales_truth(tables: dict[str, DeltaTable], as_of: int) -> pd.DataFrame:
    so = _frame(tables["sales_order_lines"], as_of)
    dl = _frame(tables["deliveries"], as_of)
    key = ["so_id", "so_line"]
    as_of_ts = pd.Timestamp(np.datetime64(as_of, "D"))
    so["deadline"] = so.committed_date.fillna(so.requested_date)
    first = dl.groupby(key).delivered_on.min().rename("first_delivery").reset_index()
    so = so.merge(first, on=key, how="left")
    dl = dl.merge(so[key + ["deadline"]], on=key, how="left")
    dl["by"] = np.where(dl.delivered_on <= dl.deadline, dl.qty_shipped, 0.0)
    by = dl.groupby(key).by.sum().rename("delivered_by_deadline").reset_index()
    so = so.merge(by, on=key, how="left")
    so["delivered_by_deadline"] = so.delivered_by_deadline.fillna(0).round(4)
    so["month"] = _month(so.deadline)
    cancelled_by_customer = (so.status == "cancelled") & (so.cancel_reason == "customer")
    so["is_counted"] = (so.deadline <= as_of_ts) & ~cancelled_by_customer
    so["on_time"] = (so.first_delivery <= so.deadline).fillna(False).astype(bool)
    so["in_full"] = so.delivered_by_deadline >= so.qty_ordered.round(4)
    so["otif"] = so.on_time & so.in_full
    cols = ["so_id", "so_line", "customer_id", "site_id", "item_id", "deadline", "month",
            "is_counted", "on_time", "in_full", "otif", "qty_ordered", "delivered_by_deadline"]
    return so[cols].sort_values(key, kind="stable").reset_index(drop=True)


def _write(frame: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for name in ("deadline", "month"):
        if name in table.column_names:
            i = table.column_names.index(name)
            table = table.set_column(i, name, table[name].cast(pa.date32()))
    table = table.replace_schema_metadata(None)
    part = path.with_name(path.name + ".part")
    pq.write_table(table, part)
    part.replace(path)


def write_truth(truth_dir: Path, tables: dict[str, DeltaTable], as_of: int,
                suppliers: pd.DataFrame, sites: pd.DataFrame) -> dict[str, int]:
    truth_dir.mkdir(parents=True, exist_ok=True)
    po = purchase_truth(tables, as_of)
    so = sales_truth(tables, as_of)
    _write(po, truth_dir / "purchase_order_lines.parquet")
    _write(so, truth_dir / "sales_order_lines.parquet")
    _write(suppliers[SUPPLIER_TRUTH].reset_index(drop=True), truth_dir / "suppliers.parquet")
    _write(sites[SITE_TRUTH].reset_index(drop=True), truth_dir / "sites.parquet")
    return {"purchase_order_lines": len(po), "sales_order_lines": len(so)}
