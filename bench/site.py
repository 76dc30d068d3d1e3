"""The generated benchmark site and the processes that serve it on loopback hosts.

N feeds of E entries each (about one article in ten on the topic), served from
HOSTS loopback addresses (127.0.0.1, 127.0.0.2, ...: separate sites, so per-site
politeness applies as in production). Every answer carries an ETag and a
Last-Modified, and a conditional GET that matches gets 304: the demo's server
(demo/site_server.py) answers 200 to everything, which would turn the second
cycle into a refetch. The site is served by a small pool of processes (each owns
a share of the hosts) running aiohttp's server over bodies held in memory, so
the server is not what a benchmark measures; `probe` says how fast it answers.
"""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import os
import time
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

ON_TOPIC = ("“Our deputies will not hold anyone on an ICE detainer without a warrant signed "
            "by a judge,” {place} County Sheriff Dana Reyes said Monday.")
OFF_TOPIC = ("The {place} city council approved a new budget for road repairs on Tuesday, "
             "and the police department announced a bicycle safety class for children.")
PLACES = ["Alder", "Birch", "Cedar", "Dunmore", "Elk", "Fenwick", "Glen", "Harlan", "Iron"]
# The site's files did not change since: the second cycle's conditional GETs all match.
LAST_MODIFIED = formatdate(1_795_000_000, usegmt=True)


def article(i: int, j: int) -> str:
    place = PLACES[(i + j) % len(PLACES)]
    lead = (ON_TOPIC if (i * 7 + j) % 10 == 0 else OFF_TOPIC).format(place=place)
    filler = " ".join(OFF_TOPIC.format(place=p) for p in PLACES[:6])
    return (f"<!doctype html><html><head><title>Story {i}-{j}</title></head><body>"
            f"<nav><a href='/'>Home</a></nav><article><h1>Story {i}-{j}</h1>"
            f"<p>{lead}</p><p>{filler}</p><p>{filler}</p></article></body></html>")


def feed(i: int, entries: int) -> str:
    items = "".join(
        f"<item><title>Story {i}-{j}</title><link>{{{{BASE}}}}/a/{i}-{j}.html</link>"
        f"<guid>s-{i}-{j}</guid><pubDate>Tue, 24 Nov 2026 10:{j:02d}:00 GMT</pubDate>"
        f"<description>Summary of story {i}-{j}.</description></item>"
        for j in range(entries))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Feed {i}</title><link>{{{{BASE}}}}/</link>{items}</channel></rss>")


def build_site(root: Path, feeds: int, entries: int) -> None:
    """Write the feeds and article pages under `root` ({{BASE}} stands for the host's URL)."""
    (root / "a").mkdir(parents=True)
    for i in range(feeds):
        (root / f"feed-{i}.xml").write_text(feed(i, entries), encoding="utf-8")
        for j in range(entries):
            (root / "a" / f"{i}-{j}.html").write_text(article(i, j), encoding="utf-8")


def on_topic_count(feeds: int, entries: int) -> int:
    """How many of the site's articles carry the on-topic statement."""
    return sum((i * 7 + j) % 10 == 0 for i in range(feeds) for j in range(entries))


def _files(root: Path) -> dict[str, tuple[str, str]]:
    """URL path -> (templated text, content type) of every page under `root`."""
    return {"/" + path.relative_to(root).as_posix():
            (path.read_text(encoding="utf-8"),
             "text/html" if path.suffix == ".html" else "application/rss+xml")
            for path in root.rglob("*") if path.suffix in (".xml", ".html")}


def _pages(files: dict[str, tuple[str, str]], base: str) -> dict[str, tuple[bytes, str, str]]:
    """URL path -> (body, content type, ETag) with `base` written into every page."""
    pages = {}
    for url_path, (text, kind) in files.items():
        body = text.replace("{{BASE}}", base).encode("utf-8")
        etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
        pages[url_path] = (body, f"{kind}; charset=utf-8", etag)
    return pages


def _not_modified(request, etag: str) -> bool:
    """A conditional GET that matches: If-None-Match wins over If-Modified-Since (RFC 9110)."""
    if "If-None-Match" in request.headers:
        return etag in [t.strip() for t in request.headers["If-None-Match"].split(",")]
    since = request.headers.get("If-Modified-Since")
    try:
        return bool(since) and parsedate_to_datetime(since) >= parsedate_to_datetime(LAST_MODIFIED)
    except (TypeError, ValueError):
        return False


# Per server process, in a shared array: first and last request's time, 200s and 304s answered.
FIRST, LAST, OK, NOT_MODIFIED, STAMPS = range(5)


def _app(pages: dict, stamps, slot: int):
    """The host's pages; `stamps[slot:slot + STAMPS]` count what its process answered."""
    from aiohttp import web

    async def handle(request):
        now = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process of the machine
        if not stamps[slot + FIRST]:
            stamps[slot + FIRST] = now
        stamps[slot + LAST] = now
        page = pages.get(request.path)
        if page is None:
            return web.Response(status=404, text="not found")
        body, kind, etag = page
        headers = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
        if _not_modified(request, etag):
            stamps[slot + NOT_MODIFIED] += 1
            return web.Response(status=304, headers=headers)
        stamps[slot + OK] += 1
        return web.Response(body=body, headers={**headers, "Content-Type": kind})

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    return app


def _serve(root: str, hosts: list[str], ports, stamps, slot: int) -> None:
    """One server process: each host of its share on a free port, until terminated."""
    files = _files(Path(root))
    serve_hosts(hosts, lambda base: _app(_pages(files, base), stamps, slot), ports)


def serve_hosts(hosts: list[str], app_for, ports) -> None:
    """Serve ``app_for(base)`` on each host at a free port, put ``{host: base}`` on
    ``ports``, and run until terminated (the body of a server process)."""
    import socket

    from aiohttp import web

    async def main():
        bound = {}
        for host in hosts:
            # Bound first: each host's pages name its own address, as the demo's {{BASE}} does.
            sock = socket.socket()
            sock.bind((host, 0))
            base = f"http://{host}:{sock.getsockname()[1]}"
            runner = web.AppRunner(app_for(base), access_log=None)
            await runner.setup()
            await web.SockSite(runner, sock, backlog=1024).start()
            bound[host] = base
        ports.put(bound)
        await asyncio.Event().wait()

    asyncio.run(main())


class SitePool:
    """The site on `hosts` loopback addresses, served by `processes` server processes."""

    def __init__(self, root: Path, hosts: int, processes: int):
        names = [f"127.0.0.{h}" for h in range(1, hosts + 1)]
        context = multiprocessing.get_context("spawn")
        ports = context.Queue()
        count = min(processes, hosts)
        self._stamps = context.Array("d", STAMPS * count, lock=False)
        self.processes = [
            context.Process(target=_serve,
                            args=(str(root), names[k::count], ports, self._stamps, STAMPS * k),
                            daemon=True)
            for k in range(count)]
        for proc in self.processes:
            proc.start()
        bound = {}
        for _ in self.processes:
            bound.update(ports.get(timeout=120))
        self.bases = [bound[name] for name in names]

    def reset(self) -> None:
        """Forget the requests so far: `span` and `answers` then cover what comes next."""
        for k in range(len(self._stamps)):
            self._stamps[k] = 0.0

    def _column(self, field: int) -> list[float]:
        return list(self._stamps[field::STAMPS])

    def span(self) -> tuple[float, float]:
        """time.monotonic() of the first and the last request since `reset`."""
        firsts = [t for t in self._column(FIRST) if t]
        return (min(firsts), max(self._column(LAST))) if firsts else (0.0, 0.0)

    def answers(self) -> tuple[int, int]:
        """(200s, 304s) answered since `reset`."""
        return int(sum(self._column(OK))), int(sum(self._column(NOT_MODIFIED)))

    def cpu_seconds(self) -> float:
        """CPU time the server processes have used so far (user + system)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for proc in self.processes:
            fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / tick

    def close(self) -> None:
        for proc in self.processes:
            proc.terminate()
        for proc in self.processes:
            proc.join(10)


def probe(urls: list[str], *, conditional: bool, in_flight: int = 64,
          seconds: float = 3.0) -> float:
    """Requests/s the site answers a client that only reads (no parsing): the site's ceiling.

    With `conditional`, every request carries its page's ETag, so every answer is a 304.
    """
    import aiohttp

    async def main() -> float:
        connector = aiohttp.TCPConnector(limit=in_flight, limit_per_host=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            async def etag(url: str) -> dict:
                async with session.get(url) as response:
                    await response.read()
                    return {"If-None-Match": response.headers["ETag"]}

            sample = urls[:256]
            headers = ([{}] * len(sample) if not conditional
                       else await asyncio.gather(*map(etag, sample)))
            done = 0
            started = time.perf_counter()
            deadline = started + seconds

            async def client(k: int) -> None:
                nonlocal done
                while time.perf_counter() < deadline:
                    n = (done + k) % len(sample)
                    async with session.get(sample[n], headers=headers[n]) as response:
                        await response.read()
                    done += 1

            await asyncio.gather(*(client(k) for k in range(in_flight)))
            return done / (time.perf_counter() - started)

    return asyncio.run(main())
