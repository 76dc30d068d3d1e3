"""The daemon's own port for `/metrics` and `/healthz` (`metrics.listen`).

prometheus_client's WSGI app behind one extra route, served by the standard library's WSGI
server in a thread: the scrape's queries never block the daemon's event loop.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from datetime import datetime
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app
from sqlalchemy.orm import Session, sessionmaker

from config import HealthConfig
from db.models import utcnow
from web.metrics import healthz, make_registry


class MetricsPortError(Exception):
    """The port cannot be listened on (in use, or not this machine's address)."""


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a slow scraper never holds the daemon's exit


class _Quiet(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - a scrape every 15 s is not news
        pass


def metrics_app(sessions: sessionmaker[Session], limits: Callable[[], HealthConfig], *,
                clock: Callable[[], datetime] = utcnow):
    """WSGI: `/healthz` (200 ok, or 503 and the reason); every other path, the metrics."""
    metrics = make_wsgi_app(make_registry(sessions, clock=clock))

    def app(environ, start_response):
        if environ.get("PATH_INFO") != "/healthz":
            return metrics(environ, start_response)
        status, line = healthz(sessions, limits(), clock=clock)
        start_response("200 OK" if status == 200 else "503 Service Unavailable",
                       [("Content-Type", "text/plain; charset=utf-8")])
        return [f"{line}\n".encode()]

    return app


def serve_metrics(address: tuple[str, int], sessions: sessionmaker[Session],
                  limits: Callable[[], HealthConfig], *,
                  clock: Callable[[], datetime] = utcnow) -> WSGIServer:
    """Listen on `address` and serve in a background thread; `.shutdown()` stops it.
    `clock`: the daemon's (its App's), for the ages and the health limits."""
    host, port = address
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        server_class = type("MetricsServer", (_Server,), {"address_family": family})
        server = make_server(host, port, metrics_app(sessions, limits, clock=clock),
                             server_class=server_class, handler_class=_Quiet)
    except OSError as exc:
        raise MetricsPortError(f"cannot listen on {host}:{port}: "
                               f"{exc.strerror or exc}") from None
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
