"""Runs CrawlService in a fresh process for one test (see conftest.py for why).

Reads a JSON job on stdin: {"config": {...config.toml as a dict...},
"actions": [...], "detector": "real" | "none" | "overlong_agency" | "hangs_on_marker" |
"dies_on_marker", "parser": "real" | "dies_on_marker",
"ssrf_exempt": ["127.0.0.1:PORT"], "only_origins": ["127.0.0.1:PORT"]}
and prints one line "RESULT <json>" with what each action saw. Actions:

    {"do": "cycle", "feeds": ["name", ...] | null, "timeout": 60}
        sync feeds from config, claim them (all enabled if null), submit, wait idle
    {"do": "submit_then_stop", "feeds": [...], "after": 1.0}
        submit, wait `after` seconds, then stop the service and time the stop
    {"do": "reconfigure", "config": {...}}
        service.update_config(the new config), as a reload does
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2])]

import crawler.runtime  # noqa: E402  (the reactor first)


class NoStatements:
    """A detector that finds nothing: for crawl tests that do not test detection."""

    def find_statements(self, text, **context):
        return []


class OverlongAgency:
    """Finds one statement, whose agency state is longer than agencies.state allows, in a
    text holding OVERLONG: for tests of an entry the database refuses for its data (a
    scraped name is cut to fit its column; a state code out of the detector is not)."""

    def find_statements(self, text, **context):
        from detect import Agency, Statement

        if "OVERLONG" not in text:
            return []
        agency = Agency("Overlong Police Department", "police", None, "OVERLONG", "overlong")
        return [Statement(quote=text[:80], speaker=None, speaker_title=None, agency=agency,
                          stance="refuses", score=0.9, cues=(), kind="quote")]


class HangsOnMarker:
    """Never returns on a text holding HANG (a detection that runs over its time); finds
    one statement in a text holding GOOD: for tests of a detection killed in its worker."""

    def find_statements(self, text, **context):
        from detect import Agency, Statement

        if "HANG" in text:
            time.sleep(3600)
        if "GOOD" not in text:
            return []
        agency = Agency("Marlow Police Department", "police", "Marlow", None, "Marlow police")
        return [Statement(quote=text[:80], speaker=None, speaker_title=None, agency=agency,
                          stance="refuses", score=0.9, cues=(), kind="quote")]


class DiesOnMarker(HangsOnMarker):
    """Its worker process kills itself (SIGKILL) on a text holding DIE, and asks for more
    memory than a worker may map on one holding SWELL; otherwise as HangsOnMarker: for
    tests of a detection worker that dies or runs out of memory under its task."""

    def find_statements(self, text, **context):
        if "DIE" in text:
            os.kill(os.getpid(), signal.SIGKILL)
        if "SWELL" in text:
            bytearray(8 * 1024**3)
        return super().find_statements(text, **context)


def parse_feed_or_die(body: bytes, *args):
    """crawler.entries.parse_feed, but its worker process kills itself (SIGKILL) on a
    document holding KILL-THE-PARSER: for tests of a parse worker that dies."""
    from crawler.entries import parse_feed

    if b"KILL-THE-PARSER" in body:
        os.kill(os.getpid(), signal.SIGKILL)
    return parse_feed(body, *args)


def _detector(kind: str, config):
    if kind == "none":
        return NoStatements()
    if kind == "hangs_on_marker":
        return HangsOnMarker()
    if kind == "overlong_agency":
        return OverlongAgency()
    if kind == "dies_on_marker":
        return DiesOnMarker()
    from detect import Detector

    kwargs = {"threshold": config.detect.threshold}
    if config.detect.query:
        kwargs["query"] = config.detect.query
    return Detector(**kwargs)


def _claim(sessions, config, names):
    from sqlalchemy import select

    from db.claims import claim_due_feeds
    from db.engine import transaction
    from db.feeds import sync_feeds
    from db.models import Feed, utcnow

    with transaction(sessions) as session:
        sync_feeds(session, config, utcnow())
    with sessions() as session:
        query = select(Feed.id).where(Feed.enabled.is_(True))
        if names is not None:
            query = query.where(Feed.name.in_(names))
        ids = list(session.scalars(query))
        return claim_due_feeds(session, now=utcnow(), limit=100_000,
                               lease=timedelta(minutes=10), only=ids)


async def _cycle(service, sessions, config, action) -> dict:
    feeds = _claim(sessions, config, action.get("feeds"))
    started = time.monotonic()
    service.submit(feeds)
    idle = await service.wait_idle(action.get("timeout", 60))
    return {"claimed": len(feeds), "idle": idle, "seconds": time.monotonic() - started,
            "in_flight": service.in_flight()}


async def _submit_then_stop(service, sessions, config, action) -> dict:
    feeds = _claim(sessions, config, action.get("feeds"))
    service.submit(feeds)
    await asyncio.sleep(action.get("after", 1.0))
    in_flight = service.in_flight()
    started = time.monotonic()
    await service.stop()
    return {"claimed": len(feeds), "in_flight_before": in_flight,
            "stop_seconds": time.monotonic() - started}


async def _reconfigure(service, sessions, config, action) -> dict:
    from config import parse_config

    new = parse_config(action["config"])
    service.update_config(new)
    config.__dict__.update(new.__dict__)  # later cycles sync feeds from the new config
    return {"reconfigured": True}


ACTIONS = {"cycle": _cycle, "submit_then_stop": _submit_then_stop, "reconfigure": _reconfigure}


async def main(job: dict) -> int:
    import crawler.service as service_module
    from config import parse_config
    from db.engine import make_engine, make_sessionmaker

    config = parse_config(job["config"])
    # Test hooks: let the feed site's own origin through the SSRF guard, or refuse
    # every origin but the feed site's (third-party feeds link to real hosts).
    extra = {"BEATWIRE_SSRF_EXEMPT": job.get("ssrf_exempt") or [],
             "BEATWIRE_ONLY_ORIGINS": job.get("only_origins") or []}
    if job.get("parser") == "dies_on_marker":
        import crawler.spiders.feeds as feeds_module

        feeds_module.parse_feed = parse_feed_or_die
    build = service_module.scrapy_settings
    service_module.scrapy_settings = lambda c: {**build(c), **extra}
    engine = make_engine(config.database.url)
    sessions = make_sessionmaker(engine)
    kicks = []
    service = await service_module.CrawlService.start(
        config, sessions, _detector(job.get("detector", "none"), config),
        on_new_alerts=lambda: kicks.append(time.monotonic()))
    results = []
    for action in job.get("actions", []):
        results.append(await ACTIONS[action["do"]](service, sessions, config, action))
    started = time.monotonic()
    await service.stop()
    print("RESULT " + json.dumps({"actions": results, "alert_kicks": len(kicks),
                                  "final_stop_seconds": time.monotonic() - started}), flush=True)
    engine.dispose()
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    job = json.loads(sys.stdin.read())
    sys.exit(crawler.runtime.run(lambda: main(job)))
