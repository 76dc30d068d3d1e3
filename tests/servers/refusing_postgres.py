"""A PostgreSQL that turns every connection away: a real TCP server on 127.0.0.1 that speaks
the start of the wire protocol and answers each startup with one FATAL ErrorResponse, as a
server does while shutting down, starting up, or when the password is wrong. libpq (psycopg)
reaches it like any server: the refusal it reports is the server's own.

    with RefusingPostgres("57P01", "the database system is shutting down") as server:
        url = server.url  # postgresql+psycopg://postgres@127.0.0.1:PORT/beatwire
"""

from __future__ import annotations

import socketserver
import struct
import threading

# The codes a client sends instead of a startup message to ask for TLS or GSS encryption.
ENCRYPTION_REQUESTS = {80877103, 80877104}


class RefusingPostgres:
    """Answers each connection's startup message with FATAL `sqlstate` `message`."""

    def __init__(self, sqlstate: str, message: str):
        self.answer = error_response(sqlstate, message)
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                server.refuse(self.request)

        self.tcp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.tcp.daemon_threads = True
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.tcp.server_address[1]}/beatwire"

    def refuse(self, sock) -> None:
        while True:
            header = _read(sock, 8)
            if len(header) < 8:
                return
            length, code = struct.unpack("!ii", header)
            _read(sock, length - 8)
            if code in ENCRYPTION_REQUESTS:
                sock.sendall(b"N")  # no TLS, no GSS: the client goes on in the clear
                continue
            sock.sendall(self.answer)
            return

    def __enter__(self) -> RefusingPostgres:
        threading.Thread(target=self.tcp.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_) -> None:
        self.tcp.shutdown()
        self.tcp.server_close()


def error_response(sqlstate: str, message: str) -> bytes:
    """An ErrorResponse message of severity FATAL."""
    fields = b"".join(kind + text.encode() + b"\0" for kind, text in
                      [(b"S", "FATAL"), (b"V", "FATAL"), (b"C", sqlstate), (b"M", message)])
    body = fields + b"\0"
    return b"E" + struct.pack("!i", len(body) + 4) + body


def _read(sock, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data
