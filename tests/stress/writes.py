"""Signed-in writes at capacity against the production server.

    python -m tests.stress.writes --connections 256 --workers 1 --seconds 20

Starts the real server (contracts_tests.live_server: uvicorn, `create_app()`, default pool
sizes) on a fresh database, registers users, then keeps `--connections` writers busy for
`--seconds`, each repeating: create a post, edit it with If-Match, publish it, comment on it.
Prints the answers per status, the max and p99 latency, whether any request waited more than
5 s, and checks that every acknowledged write is in the database. Exits 1 on any 5xx (503
included: the target is none at this load), any request left unanswered, or any acknowledged
write that is missing.
"""

import argparse
import asyncio
import sys

from tests.stress.load import (
    Ledger,
    client,
    connections,
    latency_report,
    missing_writes,
    running,
    sign_up,
)
from tests.stress.server import CAPACITY_LIMITS, capacity_server


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--users", type=int, help="default: one per 4 connections")
    return parser.parse_args(argv)


async def _drive(base_url: str, database_url: str, args: argparse.Namespace) -> int:
    users = args.users or max(1, args.connections // 4)
    async with client(base_url) as http:
        accounts = await sign_up(http, database_url, users)
    print(f"{users} users signed in; {args.connections} writers for {args.seconds:g}s ...")
    ledger = Ledger()
    async with (
        connections(base_url, args.connections) as each,
        running(each, ledger, accounts, writers=args.connections, readers=0),
    ):
        await asyncio.sleep(args.seconds)
    missing = await missing_writes(database_url, ledger)
    print(ledger.report())
    print(f"  latency  {latency_report(ledger.outcomes)}")
    print(
        f"  acknowledged: {len(ledger.posts)} posts, {len(ledger.titles)} edits, "
        f"{len(ledger.published)} publications, {len(ledger.comments)} comments; "
        f"missing from the database: {len(missing)} {missing[:5]}"
    )
    failures = ledger.unexplained(allow_503=False)
    print("FAIL" if failures or missing else "OK", f"({len(failures)} 5xx or unanswered)")
    return 1 if failures or missing else 0


def main(argv: list[str]) -> int:
    args = _arguments(argv)
    with capacity_server(workers=args.workers) as (base_url, database_url):
        print(
            f"server {base_url}: {args.workers} worker(s), default pool sizes; "
            f"WRITES_PER_MINUTE={CAPACITY_LIMITS['WRITES_PER_MINUTE']} so that the run measures "
            "capacity, not rate limits"
        )
        return asyncio.run(_drive(base_url, database_url, args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
