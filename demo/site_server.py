"""Serves demo/site on 127.0.0.1, writing the server's own address into feeds."""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SITE = Path(__file__).parent / "site"
TEMPLATED = (".xml", ".atom", ".html")


class DemoHandler(SimpleHTTPRequestHandler):
    """Static files; feeds and pages get {{BASE}} replaced by the server URL."""

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.suffix not in TEMPLATED or not path.is_file():
            return super().send_head()
        body = path.read_text(encoding="utf-8").replace("{{BASE}}", self.server.base_url)
        data = body.encode("utf-8")
        self.send_response(200)
        kind = "text/html" if path.suffix == ".html" else "application/xml"
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        from io import BytesIO

        return BytesIO(data)

    def log_message(self, *args) -> None:  # keep the demo's output to what matters
        pass


def serve(directory: Path = SITE, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Start the site on a free port in a daemon thread; `server.base_url` is its address."""
    server = ThreadingHTTPServer((host, 0), partial(DemoHandler, directory=str(directory)))
    server.base_url = f"http://{host}:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
