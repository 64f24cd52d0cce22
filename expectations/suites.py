"""Great Expectations suites, one per extract, generated from expectations.rules, and the
ephemeral GX context they run in (pandas engine, no network, no usage statistics, no
progress bars; the validation results and Data Docs are files under the quality folder).

great_expectations is imported here, inside the functions: importing it costs seconds,
which only a run that validates something pays."""

from __future__ import annotations

from pathlib import Path

from orchestration.ingestion.contracts import load_contracts

from .rules import suite_rules

DOCS_SITE = "quality"


def build_suite(extract: str):
    """The GX ExpectationSuite of an extract. Each expectation carries its rule id in
    `meta.rule_id`, its severity, and the reason for the rule as a Data Docs note."""
    import great_expectations as gx
    from great_expectations.expectations.row_conditions import Column

    suite = gx.ExpectationSuite(name=extract)
    for rule in suite_rules(extract):
        cls = getattr(gx.expectations, rule.expectation)
        condition = {}
        if rule.only_where:
            column, value = rule.only_where
            condition["row_condition"] = Column(column) == value
        suite.add_expectation(cls(
            **rule.kwargs, **condition, severity=rule.severity,
            meta={"rule_id": rule.rule_id,
                  "notes": {"format": "markdown",
                            "content": [f"**{rule.severity}**: {rule.description}"]}}))
    return suite


def ephemeral_context(quality_dir: Path):
    """An ephemeral GX context with every extract's suite in memory (a Data Docs build
    removes the pages of suites its context does not hold); validation results and the
    Data Docs site are files under `quality_dir` (validations/, data_docs/index.html), so
    the site lists the latest validation of every extract across runs."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (DataContextConfig,
                                                            InMemoryStoreBackendDefaults,
                                                            ProgressBarsConfig)
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every pandas batch below this size (a hash of every value, a fifth
    # of the validation time) only to label the result; the delivery's load_seq and
    # file already say which rows were validated.
    pandas_execution_engine.HASH_THRESHOLD = 0

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False))
    config.stores[config.validation_results_store_name] = {
        "class_name": "ValidationResultsStore",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                          "base_directory": str(quality_dir / "validations")}}
    config.data_docs_sites = {DOCS_SITE: {
        "class_name": "SiteBuilder", "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                          "base_directory": str(quality_dir / "data_docs")},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"}}}
    context = gx.get_context(mode="ephemeral", project_config=config)
    source = context.data_sources.add_pandas("raw")
    for extract in load_contracts():
        context.suites.add(build_suite(extract))
        source.add_dataframe_asset(extract).add_batch_definition_whole_dataframe("delivery")
    return context
