"""The demo company from the command line.

    python -m simulator generate --landing-dir D --truth-dir T [--tier tiny|demo|m|l]
        [--seed N] [--format csv|csv.gz|parquet|xlsx] [--formats plan_overrides=xlsx,...]
        [--end-date YYYY-MM-DD] [--delta-days N]
    python -m simulator append --landing-dir D --truth-dir T --days N
        [--chase-drafts FILE_OR_FOLDER] [--shares 0.5,0.3,0.2]
"""

from __future__ import annotations

import argparse
import sys

from .generate import DEFAULT_CHASE_SHARES, DEFAULT_END, append, generate
from .tiers import TIERS
from .writer import FORMATS


def _formats(text: str | None) -> dict:
    if not text:
        return {}
    out = {}
    for part in text.split(","):
        name, _, fmt = part.partition("=")
        if not fmt:
            raise ValueError(f"--formats expects extract=format pairs, got {part!r}")
        out[name.strip()] = fmt.strip()
    return out


def _shares(text: str) -> tuple[float, float, float]:
    values = tuple(float(x) for x in text.split(","))
    if len(values) != 3:
        raise ValueError("--shares expects three numbers: confirm,re-date,silent")
    return values  # type: ignore[return-value]


def _summary(m: dict, landing: str, what: str) -> None:
    total = sum(m["rows"].values())
    print(f"demo company: tier {m['tier']}, seed {m['seed']}, as of {m['as_of']} "
          f"(history from {m['history_start']}, daily deliveries after {m['cutoff']})")
    print(f"{what}: {len(m['files'])} files, {total:,} rows in {landing} "
          f"({m['seconds']['total']:.1f} s)")
    width = max(len(n) for n in m["rows"])
    for name, n in m["rows"].items():
        print(f"  {name:<{width}}  {n:>12,}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator",
                                     description="Generate and continue the demo "
                                                 "company's landing files.")
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="write the extracts and the planted truth")
    g.add_argument("--landing-dir", required=True)
    g.add_argument("--truth-dir", required=True)
    g.add_argument("--tier", default="demo", choices=list(TIERS))
    g.add_argument("--seed", type=int, default=7)
    g.add_argument("--format", dest="fmt", default="csv", choices=list(FORMATS))
    g.add_argument("--formats", default=None,
                   help="per-extract formats, e.g. plan_overrides=xlsx,budgets=xlsx")
    g.add_argument("--end-date", default=DEFAULT_END.isoformat(), help="the as-of date")
    g.add_argument("--delta-days", type=int, default=7)
    a = sub.add_parser("append", help="continue the company for more days")
    a.add_argument("--landing-dir", required=True)
    a.add_argument("--truth-dir", required=True)
    a.add_argument("--days", type=int, default=1)
    a.add_argument("--chase-drafts", default=None,
                   help="a CSV/JSON file (or a folder of them) with po_id, po_line chased")
    a.add_argument("--shares", default=",".join(str(x) for x in DEFAULT_CHASE_SHARES),
                   help="shares of chased lines confirmed, re-dated, left silent")
    args = parser.parse_args(argv)
    try:
        if args.command == "generate":
            m = generate(args.landing_dir, args.truth_dir, tier=args.tier, seed=args.seed,
                         end_date=args.end_date, delta_days=args.delta_days, fmt=args.fmt,
                         formats=_formats(args.formats))
            _summary(m, args.landing_dir, "generated")
        else:
            m = append(args.landing_dir, args.truth_dir, days=args.days,
                       chase_drafts=args.chase_drafts, shares=_shares(args.shares))
            _summary(m, args.landing_dir, f"appended {args.days} day(s); landing zone now")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"truth in {args.truth_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
