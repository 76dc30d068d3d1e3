"""Fixtures for the web suite: a real archive (SQLite and PostgreSQL) built with the db suite's
builders through `store_article`, and the real app on it behind Starlette's TestClient.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from sqlalchemy import update
from web_archive import DENVER, KERN, REFUSAL, SCRIPT, TURN, Archive, day

from db.archive import store_article
from db.engine import transaction
from db.models import Alert, Statement

# tests/db/conftest.py cannot be imported by name (`db` is the application's package), so its
# builders are loaded from the file: the same feeds, articles and statements, not a copy.
_spec = importlib.util.spec_from_file_location(
    "db_suite_builders", Path(__file__).parents[1] / "db" / "conftest.py")
_builders = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_builders)
make_feed = _builders.make_feed
make_article = _builders.make_article
make_statement = _builders.make_statement


@pytest.fixture
def store(sessions):
    """Store one article with its statements (committed); returns the StoreResult."""

    def build(item, *statements):
        with transaction(sessions) as session:
            return store_article(session, item, list(statements), channel="#test")

    return build


@pytest.fixture
def archive(sessions, store, make_feed, make_article, make_statement) -> Archive:
    """Two outlets, one failing; Kern refuses then cooperates; Denver refuses; one bad link."""
    valley = make_feed("Valley <b>News</b>", status="error", consecutive_failures=3,
                       last_error="HTTP 500 <img src=x onerror=alert(2)>")
    herald = make_feed("Herald", status="ok")
    kern = dict(agency=KERN, state="CA", place="Kern County", agency_kind="sheriff",
                as_written="Kern sheriff")
    first = store(make_article(valley, url="https://valley.example/kern-detainers",
                               title=f"Sheriff on detainers {SCRIPT}", published=day("2025-01-10")),
                  make_statement(REFUSAL, speaker="Donny Youngblood", speaker_title="sheriff",
                                 cues=('refuses: "will not hold"', "speaker: sheriff"), **kern))
    again = store(make_article(herald, url="https://herald.example/kern-sheriff",
                               title="Kern sheriff repeats", published=day("2025-02-01")),
                  make_statement(REFUSAL, speaker="Donny Youngblood", **kern))
    turn = store(make_article(herald, url="https://herald.example/kern-turn",
                              title="Kern changes course", published=day("2025-06-01")),
                 make_statement(TURN, stance="cooperates", speaker=None, **kern))
    denver = store(make_article(herald, url="https://herald.example/denver",
                                title="Denver traffic stops", published=day("2025-03-05")),
                   make_statement(DENVER, speaker="Paul Pazen"))
    hostile = store(make_article(valley, url="javascript:alert(3)", title="odd link",
                                 published=day("2025-04-01")),
                    make_statement("We will keep honoring ICE detainers at the county jail.",
                                   agency="Marlow County Sheriff's Office", state="OK",
                                   stance="cooperates"))
    with transaction(sessions) as session:
        session.execute(update(Alert).where(Alert.key == f"statement:{denver.new_statement_ids[0]}")
                        .values(status="failed", last_error="channel_not_found <b>x</b>"))
        kern_id = session.get(Statement, first.new_statement_ids[0]).agency_id
    return Archive(first.new_statement_ids[0], again.duplicate_statement_ids[0],
                   turn.new_statement_ids[0], denver.new_statement_ids[0],
                   hostile.new_statement_ids[0], kern_id,
                   "https://valley.example/kern-detainers", "https://herald.example/kern-sheriff")


@pytest.fixture
def client(sessions):
    """The real app on the test archive, driven over ASGI by Starlette's TestClient."""
    from starlette.testclient import TestClient

    from web.app import make_app

    with TestClient(make_app(sessions, dead_after_failures=3)) as test_client:
        yield test_client
