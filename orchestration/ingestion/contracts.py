"""The extract contracts: contracts.yml read once into typed objects.

Ingestion, the Great Expectations suites and the dbt sources all take the column list,
types and rules from here, so a column is declared in exactly one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

CONTRACTS_FILE = Path(__file__).with_name("contracts.yml")

STAGES = ("plan", "source", "make", "deliver", "return", "finance")
# Who answers for the assets of each lifecycle stage (Dagster owners, shown in the catalog).
STAGE_OWNERS = {"plan": "team:planning", "source": "team:procurement",
                "make": "team:production", "deliver": "team:customer_service",
                "return": "team:customer_service", "finance": "team:finance"}
KINDS = ("snapshot", "delta")

# Contract type -> warehouse type. Money and quantities are DECIMAL so that sums are
# exact and content checksums do not depend on the thread count (docs/conventions.md).
SQL_TYPES = {
    "text": "VARCHAR",
    "integer": "BIGINT",
    "decimal": "DECIMAL(18,4)",
    "money": "DECIMAL(18,4)",
    "rate": "DECIMAL(18,8)",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "boolean": "BOOLEAN",
    "currency": "VARCHAR",
}

# Dates outside this window are typing errors in a source system, not business facts.
EARLIEST_DATE = "1990-01-01"
LATEST_DATE = "2100-12-31"

# ISO 4217 codes in active use; an unknown code is quarantined, never guessed.
CURRENCIES = frozenset(
    """AED ARS AUD BGN BRL CAD CHF CLP CNY COP CZK DKK EGP EUR GBP HKD HUF IDR ILS INR
    ISK JPY KRW KWD MAD MXN MYR NGN NOK NZD PEN PHP PKR PLN QAR RON RSD RUB SAR SEK SGD
    THB TRY TWD UAH USD VND ZAR""".split()
)

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    accepted: tuple[str, ...] | None = None
    min: float | None = None
    description: str = ""
    envelope: bool = False

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]


ENVELOPE_COLUMNS = (
    Column("source_system", "text", required=True, envelope=True,
           description="System that produced the file."),
    Column("extracted_at", "timestamp", required=True, envelope=True,
           description="When the source system extracted the rows (UTC)."),
)
DELETE_FLAG = Column("is_deleted", "boolean", envelope=True,
                     description="True retires the key (deltas only); empty means false.")


@dataclass(frozen=True)
class Contract:
    extract: str
    kind: str
    stage: str
    description: str
    key: tuple[str, ...]
    business_columns: tuple[Column, ...] = field(repr=False)

    @property
    def columns(self) -> tuple[Column, ...]:
        """Every column a delivery must be able to carry, envelope included."""
        envelope = ENVELOPE_COLUMNS + ((DELETE_FLAG,) if self.kind == "delta" else ())
        return self.business_columns + envelope

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.extract} has no column {name!r}")


def _parse(extract: str, spec: dict) -> Contract:
    if not _IDENTIFIER.match(extract):
        raise ValueError(f"extract name {extract!r} is not a plain identifier")
    if spec["kind"] not in KINDS:
        raise ValueError(f"{extract}: kind must be one of {KINDS}")
    if spec["stage"] not in STAGES:
        raise ValueError(f"{extract}: stage must be one of {STAGES}")
    columns = []
    for name, col in spec["columns"].items():
        if not _IDENTIFIER.match(name):
            raise ValueError(f"{extract}: column {name!r} is not a plain identifier")
        if col["type"] not in SQL_TYPES:
            raise ValueError(f"{extract}.{name}: unknown type {col['type']!r}")
        accepted = col.get("accepted")
        columns.append(Column(
            name=name,
            type=col["type"],
            required=bool(col.get("required", False)),
            accepted=tuple(str(v) for v in accepted) if accepted else None,
            min=col.get("min"),
            description=col.get("description", ""),
        ))
    names = {c.name for c in columns}
    missing_keys = [k for k in spec["key"] if k not in names]
    if missing_keys:
        raise ValueError(f"{extract}: key columns {missing_keys} are not declared")
    return Contract(
        extract=extract,
        kind=spec["kind"],
        stage=spec["stage"],
        description=spec.get("description", ""),
        key=tuple(spec["key"]),
        business_columns=tuple(columns),
    )


@cache
def load_contracts(path: Path = CONTRACTS_FILE) -> dict[str, Contract]:
    """All contracts by extract name, in the order of the file."""
    raw = yaml.safe_load(Path(path).read_text())
    return {name: _parse(name, spec) for name, spec in raw.items()}


def get_contract(extract: str) -> Contract:
    contracts = load_contracts()
    if extract not in contracts:
        raise KeyError(f"unknown extract {extract!r}; known: {', '.join(contracts)}")
    return contracts[extract]
