"""python -m simulator generate --landing-dir D --truth-dir T [--tier demo|tiny]
[--seed N] [--format csv|csv.gz|parquet] [--end-date YYYY-MM-DD] [--delta-days N]"""

from __future__ import annotations

import argparse
import sys

from .generate import DEFAULT_END, generate
from .tiers import TIERS
from .writer import FORMATS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator",
                                     description="Generate the demo company's landing files.")
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="write the extracts and the planted truth")
    g.add_argument("--landing-dir", required=True)
    g.add_argument("--truth-dir", required=True)
    g.add_argument("--tier", default="demo", choices=sorted(TIERS))
    g.add_argument("--seed", type=int, default=7)
    g.add_argument("--format", dest="fmt", default="csv", choices=list(FORMATS))
    g.add_argument("--end-date", default=DEFAULT_END.isoformat(), help="the as-of date")
    g.add_argument("--delta-days", type=int, default=7)
    args = parser.parse_args(argv)
    try:
        m = generate(args.landing_dir, args.truth_dir, tier=args.tier, seed=args.seed,
                     end_date=args.end_date, delta_days=args.delta_days, fmt=args.fmt)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    total = sum(m["rows"].values())
    print(f"demo company: tier {m['tier']}, seed {m['seed']}, as of {m['as_of']} "
          f"(history from {m['history_start']}, daily deliveries after {m['cutoff']})")
    print(f"{len(m['files'])} files, {total:,} rows in {args.landing_dir} "
          f"({m['seconds']['total']:.1f} s); truth in {args.truth_dir}")
    width = max(len(n) for n in m["rows"])
    for name, n in m["rows"].items():
        print(f"  {name:<{width}}  {n:>10,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
