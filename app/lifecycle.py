"""Graceful shutdown: on SIGTERM an instance first says it is not ready, keeps serving while a
load balancer notices, then stops taking connections and finishes the requests it holds.

    SIGTERM ─> readiness 503 (problem, Retry-After), every request still served
            ─> SHUTDOWN_DRAIN_SECONDS later: no new connection is taken; those already queued
               on the listening socket are accepted and served
            ─> the listener closes: a new connection is refused (nginx tries the next server,
               safe for a POST too: a refused connection carried no request)
            ─> in-flight requests finish (at most SHUTDOWN_TIMEOUT_SECONDS), the process exits

uvicorn stops listening the moment it handles SIGTERM; `DrainingServer` (a uvicorn `Server`)
delays that by the drain period. Closing a listening socket resets the connections the kernel
has queued on it but nobody has accepted yet, after a proxy may have sent them a request; so
first a socket filter drops new connection attempts (the client's TCP retries its SYN a second
later and finds the port closed), the queue is accepted, and only then the socket closes.
With `--workers N`, the workers share the supervisor's socket: the supervisor filters and
closes its copy, each worker drains for a little longer, then closes its own.

SIGINT (Ctrl-C) stops at once, as uvicorn does.
"""

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from types import FrameType
from typing import Any, Protocol

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import multiprocess

logger = logging.getLogger("uvicorn.error")

# How long the accept loops get to take the connections queued before the filter went on.
SWEEP_SECONDS = 0.3
WORKER_HEALTHCHECK_SECONDS = 120
_draining = threading.Event()


def draining() -> bool:
    """True from SIGTERM on: readiness answers 503 so that load balancers stop sending here."""
    return _draining.is_set()


@dataclass(frozen=True, slots=True)
class Drain:
    seconds: float
    timeout_seconds: int

    @classmethod
    def from_environment(cls) -> "Drain":
        # Imported here, not at the top: a worker process imports this module before it answers
        # its supervisor's first health check, and app.config imports FastAPI.
        from app.config import Environment, get_settings

        settings = get_settings()
        seconds = settings.shutdown_drain_seconds
        if seconds is None:
            seconds = 5.0 if settings.environment is Environment.production else 0.0
        return cls(seconds, settings.shutdown_timeout_seconds)


class _Socket(Protocol):
    def setsockopt(self, level: int, optname: int, value: bytes, /) -> None: ...


class _SockFilter(ctypes.Structure):
    _fields_ = (
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    )


class _SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_SockFilter)))


_SO_ATTACH_FILTER = 26  # Linux, <asm-generic/socket.h>
_DROP_ALL = (_SockFilter * 1)(_SockFilter(0x06, 0, 0, 0))  # classic BPF: `ret #0`


def refuse_new_connections(listener: _Socket) -> None:
    """Drop every new connection attempt on `listener` (Linux; elsewhere nothing happens).

    Connections already queued are still accepted: they were made before the filter."""
    if not sys.platform.startswith("linux"):
        return
    program = _SockFprog(1, _DROP_ALL)
    listener.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER, bytes(memoryview(program)))


class DrainingServer(uvicorn.Server):
    """A uvicorn server that drains on SIGTERM. `owns_listener`: it alone serves its listening
    socket (one process); under a supervisor, the supervisor closes the shared one first."""

    def __init__(self, config: uvicorn.Config, drain: Drain, *, owns_listener: bool) -> None:
        super().__init__(config)
        self._drain = drain
        self._owns_listener = owns_listener

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig != signal.SIGTERM:
            super().handle_exit(sig, frame)
            return
        if _draining.is_set():  # the drain has begun; Ctrl-C (SIGINT) cuts it short
            return
        _draining.set()
        # Under a supervisor, the worker outlives the shared socket's filter and sweep.
        wait = self._drain.seconds + (0 if self._owns_listener else 2 * SWEEP_SECONDS)
        logger.info("Received SIGTERM: not ready; serving %.1fs more, then stopping", wait)
        stop = threading.Timer(wait, super().handle_exit, (sig, frame))
        stop.daemon = True
        stop.start()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self._owns_listener and _draining.is_set():
            for server in self.servers:
                for listener in server.sockets:
                    refuse_new_connections(listener)
            await asyncio.sleep(SWEEP_SECONDS)
        await super().shutdown(sockets)


class _Process(multiprocess.Process):
    """A uvicorn worker process whose server drains."""

    drain = Drain(0.0, 30)  # set by `serve` before the supervisor creates any

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket]) -> None:
        super().__init__(config, sockets)
        # An instance attribute: the object is pickled into the spawned worker, its class not.
        self.drain = type(self).drain

    @property
    def server(self) -> uvicorn.Server:
        if self._server is None:
            self._server = DrainingServer(self.config, self.drain, owns_listener=False)
        return self._server


class _Supervisor(multiprocess.Multiprocess):
    """uvicorn's worker supervisor; on SIGTERM its workers drain together, then the shared
    listening socket stops taking connections and the supervisor's copy of it closes."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket], drain: Drain) -> None:
        super().__init__(config, sockets)
        self._drain = drain
        self._terminated = False

    def terminate_all(self) -> None:
        # Once: a second SIGTERM must not reach workers that are draining.
        if not self._terminated:
            self._terminated = True
            super().terminate_all()

    def keep_subprocess_alive(self) -> None:
        if not self._terminated:  # a draining worker no longer answers the health ping
            super().keep_subprocess_alive()

    def handle_int(self) -> None:
        if self._terminated:  # Ctrl-C while draining: every worker stops at once
            for process in self.processes:
                if process.pid is not None and process.exitcode is None:
                    os.kill(process.pid, signal.SIGINT)
        super().handle_int()

    def handle_term(self) -> None:
        logger.info("Received SIGTERM: draining for %.1fs", self._drain.seconds)
        self.terminate_all()
        # In a thread: the supervisor still handles signals meanwhile (SIGINT stops at once).
        threading.Thread(target=self._close_listener, daemon=True).start()

    def _close_listener(self) -> None:
        time.sleep(self._drain.seconds)
        for listener in self.sockets:
            refuse_new_connections(listener)
        time.sleep(SWEEP_SECONDS)
        for listener in self.sockets:
            listener.close()
        self.should_exit.set()


def serve(
    app: str,
    *,
    host: str,
    port: int,
    workers: int,
    trusted_proxies: str,
    log_config: dict[str, Any] | None = None,
    drain: Drain | None = None,
) -> None:
    """Serve `app` (an import string) as `uvicorn.run` would, draining on SIGTERM.
    `log_config`: uvicorn's (applied in the supervisor and each worker); None, uvicorn's own."""
    drain = drain or Drain.from_environment()
    config = uvicorn.Config(
        app,
        log_config=log_config or uvicorn.config.LOGGING_CONFIG,
        host=host,
        port=port,
        workers=workers,
        # X-Forwarded-For is believed only from the proxies named in FORWARDED_ALLOW_IPS. None
        # named: the socket peer is the client (uvicorn's own default would trust loopback).
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=trusted_proxies or None,
        server_header=False,  # no banner naming the server software
        access_log=False,
        timeout_graceful_shutdown=drain.timeout_seconds,
        # A worker's first answer to its supervisor's health check waits for its imports;
        # uvicorn's 5 s restarts workers in a loop on a busy machine.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )
    if config.workers > 1:
        _Process.drain = drain
        # uvicorn's supervisor creates (and replaces) its workers by this module-level name.
        original, multiprocess.Process = multiprocess.Process, _Process  # type: ignore[misc]
        try:
            _Supervisor(config, [config.bind_socket()], drain).run()
        finally:
            multiprocess.Process = original  # type: ignore[misc]
        return
    server = DrainingServer(config, drain, owns_listener=True)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: stopped, nothing to report
        server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)
