"""The contract is the one source of truth for every extract's schema."""

import re
from pathlib import Path

import pytest

from orchestration.ingestion.contracts import SQL_TYPES, STAGES, _parse, load_contracts
from orchestration.ingestion.dbt_sources import SOURCES_FILE, render_sources

SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "extracts.md"


def test_every_extract_of_the_landing_contract_has_a_contract():
    contracts = load_contracts()
    assert len(contracts) == 25
    if SPEC.exists():  # the spec lives beside the repo on every project machine
        named = set(re.findall(r"^\| ([a-z_]+) \| ", SPEC.read_text(), flags=re.M))
        named -= {"extract"}
        assert named == set(contracts)


def test_contracts_are_well_formed():
    for name, c in load_contracts().items():
        assert c.stage in STAGES
        assert set(c.key) <= set(c.column_names), name
        assert c.column_names[-3 if c.kind == "delta" else -2:][:2] == \
            ("source_system", "extracted_at")
        assert ("is_deleted" in c.column_names) == (c.kind == "delta")
        assert all(col.type in SQL_TYPES for col in c.columns)
        assert all(c.column(k).required for k in c.key), f"{name}: keys must be required"


def test_dbt_sources_are_generated_from_the_contracts():
    assert SOURCES_FILE.read_text() == render_sources(), (
        "dbt_project/models/staging/_sources.yml is stale: run "
        "`python -m orchestration.ingestion.dbt_sources`")


@pytest.mark.parametrize("spec, message", [
    ({"kind": "weekly", "stage": "plan", "key": ["a"], "columns": {"a": {"type": "text"}}},
     "kind"),
    ({"kind": "delta", "stage": "sales", "key": ["a"], "columns": {"a": {"type": "text"}}},
     "stage"),
    ({"kind": "delta", "stage": "plan", "key": ["b"], "columns": {"a": {"type": "text"}}},
     "key columns"),
    ({"kind": "delta", "stage": "plan", "key": ["a"], "columns": {"a": {"type": "money!"}}},
     "unknown type"),
    ({"kind": "delta", "stage": "plan", "key": ["a"],
      "columns": {"a; drop": {"type": "text"}}}, "identifier"),
])
def test_a_broken_contract_is_refused_with_a_clear_message(spec, message):
    with pytest.raises(ValueError, match=message):
        _parse("x", spec)


def test_the_contract_documentation_is_generated_from_the_contracts():
    from orchestration.ingestion.docs import DOC_FILE, render_docs

    assert DOC_FILE.read_text() == render_docs(), (
        "docs/extracts.md is stale: run `python -m orchestration.ingestion.docs`")
