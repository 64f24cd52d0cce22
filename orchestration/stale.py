"""What a headless run needs to build: the assets Dagster counts as stale or missing, and
everything downstream of them (docs/runbook.md, run modes).

Dagster's data versions decide, as they do for the UI's "Materialize stale and missing"
and a schedule's `stale_assets_only`: the landing folders are observed (their data
version is a digest of the files), an ingest asset's data version is a digest of the
deliveries its ledger loaded, and a dbt model's is computed from its code version (its
SQL, the macros and the settings) and its inputs' versions. Dagster marks an asset stale
only against its direct parents, so the downstream closure is added here.
"""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
from dagster._core.loader import LoadingContext
from dagster._core.storage.event_log.base import AssetRecord

OUT_OF_DATE = (StaleStatus.STALE, StaleStatus.MISSING)


class _Lookups(LoadingContext):
    """The batch-loader cache one staleness resolution uses (what the UI's request
    context gives the same resolver)."""

    def __init__(self, instance: dg.DagsterInstance):
        self._instance = instance
        self._loaders: dict = {}

    @property
    def instance(self) -> dg.DagsterInstance:
        return self._instance

    @property
    def loaders(self) -> dict:
        return self._loaders


def out_of_date(defs: dg.Definitions, instance: dg.DagsterInstance,
                keys: Iterable[dg.AssetKey], partition_key: str | None = None
                ) -> set[dg.AssetKey]:
    """The keys whose latest materialization (of `partition_key`, for partitioned
    assets) is missing, has an older code version, or was built from other versions
    of its parents than their latest."""
    graph = defs.resolve_asset_graph()
    lookups = _Lookups(instance)
    # one query for every asset's record, not one per asset as the resolver asks
    AssetRecord.prepare(lookups, list(graph.get_all_asset_keys()))
    resolver = CachingStaleStatusResolver(instance, graph, lookups)
    return {key for key in keys
            if resolver.get_status(key, partition_key) in OUT_OF_DATE}


def with_downstream(defs: dg.Definitions, roots: Iterable[dg.AssetKey],
                    within: Iterable[dg.AssetKey]) -> set[dg.AssetKey]:
    """`roots` and every asset of `within` downstream of one of them."""
    graph = defs.resolve_asset_graph()
    allowed = set(within)
    selected = {key for key in roots if key in allowed}
    todo = list(selected)
    while todo:
        for child in graph.get(todo.pop()).child_keys:
            if child in allowed and child not in selected:
                selected.add(child)
                todo.append(child)
    return selected
