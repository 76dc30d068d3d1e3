"""Overlong scraped values: PostgreSQL refuses a string longer than its String(N) column
where SQLite stores it whole, so the archive cuts each at its column's declared length and
both engines give the same value back (issue 10). Unbounded (Text) values stay whole."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from db.archive import store_article
from db.models import Agency, Article, Statement

LONG = "Northern Mountain Regional Interagency Law Enforcement Task Force " * 80  # 5,280


@pytest.mark.parametrize("fields, expected", [
    pytest.param({"agency": LONG[:400]}, {"agency_name": LONG[:300]},
                 id="agency-name-cut-at-300"),
    pytest.param({"agency": LONG[:300]}, {"agency_name": LONG[:300]},
                 id="agency-name-of-300-kept"),
    pytest.param({"place": LONG[:250]}, {"agency_place": LONG[:200]},
                 id="agency-place-cut-at-200"),
    pytest.param({"speaker": LONG[:300], "speaker_title": LONG}, {"speaker": LONG[:300],
                                                                  "speaker_title": LONG},
                 id="speaker-and-title-unbounded-kept-whole"),
])
def test_overlong_statement_values_come_back_the_same_on_both_engines(
        sessions, make_feed, make_article, make_statement, fields, expected):
    found = make_statement(**fields)
    with sessions.begin() as session:
        store_article(session, make_article(make_feed()), [found], channel="#x")

    with sessions() as session:
        statement = session.scalars(select(Statement)).one()
        got = {"agency_name": statement.agency.name, "agency_place": statement.agency.place,
               "speaker": statement.speaker, "speaker_title": statement.speaker_title}
    assert {key: got[key] for key in expected} == expected


def test_an_overlong_agency_found_again_is_the_same_agency(
        sessions, make_feed, make_article, make_statement):
    feed = make_feed()
    for quote in ("We will not honor ICE detainers.", "We do not ask about status."):
        with sessions.begin() as session:
            store_article(session, make_article(feed), [make_statement(quote, agency=LONG)],
                          channel="#x")

    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Agency)) == 1
        assert session.scalar(select(Agency.name)) == LONG[:300]


@pytest.mark.parametrize("fields", [
    pytest.param({"title": LONG[:300]}, id="300-character-title"),
    pytest.param({"url": "https://news.example/" + "a" * 5000}, id="5000-character-url"),
])
def test_overlong_article_values_are_unbounded_and_kept_whole(
        sessions, make_feed, make_article, fields):
    item = make_article(make_feed(), **fields)
    with sessions.begin() as session:
        store_article(session, item, [], channel="#x")

    with sessions() as session:
        article = session.scalars(select(Article)).one()
        assert {key: getattr(article, key) for key in fields} == fields
