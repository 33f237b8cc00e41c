"""`python -m app`: migrate, then serve on http://127.0.0.1:8000, with the job worker beside it.

With `DATABASE_URL` unset, an embedded PostgreSQL keeps its data under `.data/`. With
`SMTP_URL` unset in development, a local mail sink (app.mailsink) receives every mail the
worker sends, saves it under `.data/mail/` and prints its links. `python -m app worker` runs
the worker alone (app.jobs.worker); `python -m app api` serves the API alone, on a database
already migrated (what each instance behind a load balancer runs). SIGTERM drains first
(app.lifecycle).
"""

import argparse
import os
import signal
import sys
from contextlib import ExitStack
from types import FrameType

import uvicorn

from app import config, lifecycle
from app.children import child, mail_sink
from app.config import Environment, get_settings
from app.db import migrate
from app.db.embedded import resolve_database_url, resolve_direct_database_url
from app.http.access_log import uvicorn_log_config
from app.seed import seed_and_report


def main() -> None:
    if sys.argv[1:2] == ["worker"]:
        from app.jobs import worker

        worker.main(sys.argv[2:])
        return
    if sys.argv[1:2] == ["api"]:
        api(sys.argv[2:])
        return
    serve()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    return parser


def api(argv: list[str]) -> None:
    """The API alone: no migrations, no job worker, no mail sink."""
    args = _parser().parse_args(argv)
    args.reload = False
    _serve_api(args, get_settings().forwarded_allow_ips.strip())


def serve() -> None:
    parser = _parser()
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--demo", action="store_true", help="load demo users, posts and comments")
    args = parser.parse_args()

    # SIGTERM unwinds like Ctrl-C, so the children are stopped too (uvicorn handles the
    # signal while it serves, then raises it again once it has shut down).
    previous = signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        _serve(args)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _serve(args: argparse.Namespace) -> None:
    settings = get_settings()
    url = resolve_database_url(settings)
    # PostgreSQL itself: the same server, unless DATABASE_URL is a transaction pooler's.
    direct = resolve_direct_database_url(settings)
    # Workers, the reloader and the job worker re-read the settings: hand them the resolved URL.
    os.environ["DATABASE_URL"] = url
    migrate.upgrade(direct)
    if args.demo:
        seed_and_report(direct)
    with ExitStack() as children:
        if not settings.smtp_url and settings.environment is Environment.development:
            os.environ["SMTP_URL"] = children.enter_context(mail_sink())
            config.get_settings.cache_clear()  # the API in this process reads it too
        elif not settings.smtp_url:
            print("SMTP_URL is not set: mails wait in the queue until it is", flush=True)
        children.enter_context(child([sys.executable, "-m", "app", "worker"]))
        _serve_api(args, settings.forwarded_allow_ips.strip())


def _serve_api(args: argparse.Namespace, trusted_proxies: str) -> None:
    print(f"Inkwell API on http://{args.host}:{args.port}  (docs: /docs)", flush=True)
    if not args.reload:
        lifecycle.serve(
            "app.asgi:app",
            host=args.host,
            port=args.port,
            workers=args.workers,
            trusted_proxies=trusted_proxies,
            log_config=uvicorn_log_config(get_settings()),  # uvicorn's lines as the app's
        )
        return
    uvicorn.run(  # development's reloader: stops at once, as it restarts
        "app.asgi:app",
        host=args.host,
        port=args.port,
        reload=True,
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=trusted_proxies or None,
        server_header=False,
        access_log=False,
        log_config=uvicorn_log_config(get_settings()),  # uvicorn's lines as the app's
    )


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    main()
