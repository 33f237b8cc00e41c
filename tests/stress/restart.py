"""PostgreSQL stopped and started again under a steady load of signed-in writes and public reads.

    python -m tests.stress.restart --stop-seconds 10

Runs the production server (default pool sizes) on a PostgreSQL of its own, loads it, stops
PostgreSQL for `--stop-seconds`, starts it again and keeps the load on for `--after` seconds.
Prints the answers during the outage and over the whole run, whether any 500 occurred, and how
long after PostgreSQL was back (accepting connections again) the first read and the first write
succeeded. Exits 1 on a 5xx other than a 503 problem with Retry-After, an unanswered request, a
missing acknowledged write, or a first success later than `--target` seconds.
"""

import argparse
import asyncio
import sys
import time

from tests.stress.load import (
    Ledger,
    Outcome,
    client,
    connections,
    missing_writes,
    running,
    sign_up,
    write_chain,
)
from tests.stress.postgres import RestartablePostgres, restartable_postgres
from tests.stress.server import capacity_server

READS = frozenset({"get", "list"})


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stop-seconds", type=float, default=10)
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--readers", type=int, default=16)
    parser.add_argument("--warm-up", type=float, default=3, help="seconds of load before")
    parser.add_argument("--after", type=float, default=5, help="seconds of load after")
    parser.add_argument("--target", type=float, default=2, help="seconds to the first success")
    return parser.parse_args(argv)


def _first_success(outcomes: list[Outcome], back_at: float, reads: bool) -> float | None:
    """Seconds from PostgreSQL being back to the first successful read (or write)."""
    finished = [
        o.finished
        for o in outcomes
        if o.ok and o.finished >= back_at and (o.operation in READS) == reads
    ]
    return min(finished) - back_at if finished else None


async def _outage(postgres: RestartablePostgres, ledger: Ledger, args: argparse.Namespace) -> float:
    """Stop PostgreSQL, keep it down, start it; print the answers while it was down."""
    stopped_at = time.monotonic()
    try:
        await asyncio.to_thread(postgres.stop)
        await asyncio.sleep(args.stop_seconds)
    finally:  # the database made for the run is dropped at the end: it needs the server
        await asyncio.to_thread(postgres.start)
    back_at = time.monotonic()
    during = Ledger([o for o in ledger.outcomes if stopped_at <= o.started < back_at])
    print(f"while PostgreSQL was down ({back_at - stopped_at:.1f}s):")
    print(during.report(allow_503=True))
    return back_at


async def _drive(
    postgres: RestartablePostgres, base_url: str, database_url: str, args: argparse.Namespace
) -> tuple[Ledger, float]:
    """The load before, during and after the outage; and when PostgreSQL was back."""
    ledger = Ledger()
    async with client(base_url) as http:
        accounts = await sign_up(http, database_url, args.writers)
        if not await write_chain(http, accounts[0], ledger):  # something for readers to read
            raise SystemExit(f"no write succeeds before the outage:\n{ledger.report()}")
    workers = {"writers": args.writers, "readers": args.readers}
    async with (
        connections(base_url, args.writers + args.readers) as each,
        running(each, ledger, accounts, **workers),
    ):
        await asyncio.sleep(args.warm_up)
        back_at = await _outage(postgres, ledger, args)
        await asyncio.sleep(args.after)
    return ledger, back_at


def _verdict(ledger: Ledger, missing: list[str], back_at: float, target: float) -> int:
    read = _first_success(ledger.outcomes, back_at, reads=True)
    write = _first_success(ledger.outcomes, back_at, reads=False)
    print("whole run:")
    print(ledger.report(allow_503=True))
    failures = ledger.unexplained(allow_503=True)
    any_500 = any(o.status == 500 for o in ledger.outcomes)
    print(f"any 500: {'yes' if any_500 else 'no'}; unexplained answers: {len(failures)}")
    for name, seconds in (("read", read), ("write", write)):
        shown = "none" if seconds is None else f"{seconds:.2f}s"
        print(f"first successful {name} after PostgreSQL was back: {shown} (target {target:g}s)")
    print(f"acknowledged writes missing from the database: {len(missing)} {missing[:5]}")
    late = any(seconds is None or seconds > target for seconds in (read, write))
    return 1 if failures or missing or late else 0


def main(argv: list[str]) -> int:
    args = _arguments(argv)
    with restartable_postgres() as postgres, capacity_server(postgres.url) as urls:
        base_url, database_url = urls
        print(f"server {base_url} on PostgreSQL at 127.0.0.1:{postgres.port}, default pools")
        ledger, back_at = asyncio.run(_drive(postgres, base_url, database_url, args))
        missing = asyncio.run(missing_writes(database_url, ledger))
        return _verdict(ledger, missing, back_at, args.target)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
