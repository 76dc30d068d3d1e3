"""The web app's pages on a real archive (SQLite and PostgreSQL), through Starlette's TestClient."""

from __future__ import annotations

import csv
import html
import io
import json
import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from web_archive import KERN, REFUSAL, SCRIPT, TURN, day, text

import web.app
from db.engine import make_engine, make_sessionmaker, transaction
from db.models import Alert, Feed


def hit_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'class="permalink" href="/statements/(\d+)"', page)]


# --- search ----------------------------------------------------------------------------------


@pytest.mark.parametrize("params, expected", [
    ({"q": "warrant"}, ["refusal"]),
    ({"q": "traffic stops"}, ["denver"]),
    ({"stance": "cooperates"}, ["hostile_link", "turn"]),
    ({"state": "co"}, ["denver"]),
    ({"agency": "kern"}, ["refusal", "turn"]),
    ({"since": "2025-05-01"}, ["turn"]),
    ({"q": "ICE", "state": "CA", "stance": "refuses"}, ["refusal"]),
    ({"q": "zeppelin"}, []),
], ids=["words", "phrase", "stance", "state-any-case", "agency-contains", "since",
        "words-and-filters", "no-hit"])
def test_search_applies_the_cli_filters(archive, client, params, expected):
    response = client.get("/", params=params)
    assert response.status_code == 200
    assert sorted(hit_ids(response.text)) == sorted(getattr(archive, name) for name in expected)
    shown = f"1–{len(expected)} of {len(expected)}" if expected else "0 of 0"
    assert shown in text(response.text)


def test_a_re_report_is_one_more_source_not_another_hit(archive, client):
    page = client.get("/", params={"q": "warrant"}).text
    assert hit_ids(page) == [archive.refusal] and "2 sources" in text(page)


@pytest.mark.parametrize("page, shown, links", [
    ("1", "1–2 of 4", {"next": "page=2"}),
    ("2", "3–4 of 4", {"prev": "page=1"}),
    ("3", "0 of 4", {"prev": "page=2"}),
], ids=["first-page", "last-page", "past-the-end"])
def test_search_pages_say_n_of_m(archive, client, monkeypatch, page, shown, links):
    monkeypatch.setattr(web.app, "PAGE_SIZE", 2)
    response = client.get("/", params={"page": page, "since": "2025-01-01"})
    assert shown in text(response.text)
    found = dict(re.findall(r'rel="(prev|next)" href="/\?([^"]*)"', response.text))
    assert set(found) == set(links)
    for rel, wanted in links.items():
        assert wanted in found[rel] and "since=2025-01-01" in found[rel]


def test_pages_together_hold_every_match_once(archive, client, monkeypatch):
    monkeypatch.setattr(web.app, "PAGE_SIZE", 3)
    seen = hit_ids(client.get("/").text) + hit_ids(client.get("/?page=2").text)
    assert sorted(seen) == sorted([archive.refusal, archive.turn, archive.denver,
                                   archive.hostile_link])


@pytest.mark.parametrize("params, expected", [
    ({"q": "ICE", "state": "CA"}, ["refusal", "turn"]),
    ({"stance": "refuses"}, ["denver", "refusal"]),
    ({"q": "zeppelin"}, []),
], ids=["words-and-state", "stance-only", "nothing"])
def test_downloads_hold_every_match_of_the_same_query(archive, client, monkeypatch, params,
                                                      expected):
    monkeypatch.setattr(web.app, "PAGE_SIZE", 1)  # the download is not the page: all of them
    page = client.get("/", params=params).text
    wanted = sorted(getattr(archive, name) for name in expected)
    for fmt in ("csv", "json"):
        assert f'href="/search.{fmt}?{html.escape(web.app.read_form(params).link())}"' in page
        response = client.get(f"/search.{fmt}", params=params)
        assert response.status_code == 200
        assert response.headers["content-disposition"] == \
            f'attachment; filename="beatwire-search.{fmt}"'
        rows = (json.loads(response.text) if fmt == "json"
                else list(csv.DictReader(io.StringIO(response.text))))
        assert sorted(int(row["statement_id"]) for row in rows) == wanted


@pytest.mark.parametrize("params, expected", [
    ({"review": "unreviewed"}, ["hostile_link", "turn"]),
    ({"review": "wrong_stance", "state": "CO"}, ["denver"]),
], ids=["unreviewed", "latest-verdict-and-state"])
def test_review_filter_on_the_page_and_its_downloads(archive, client, sessions, params,
                                                     expected):
    from db import reviews

    with transaction(sessions) as session:
        for n, (statement_id, verdict, stance) in enumerate([
                (archive.refusal, "correct", None), (archive.denver, "correct", None),
                (archive.denver, "wrong_stance", "mixed")]):
            reviews.record(session, statement_id, reviewer_id="U1", reviewer_name="Ana",
                           verdict=verdict, stance=stance, request_digest=f"d{n}",
                           now=day("2025-07-01") + timedelta(minutes=n))
    wanted = sorted(getattr(archive, name) for name in expected)

    page = client.get("/", params=params).text
    assert sorted(hit_ids(page)) == wanted
    assert f'<option value="{params["review"]}" selected>' in page
    for fmt in ("csv", "json"):
        assert f'href="/search.{fmt}?{html.escape(web.app.read_form(params).link())}"' in page
        assert f"review={params['review']}" in web.app.read_form(params).link()
        response = client.get(f"/search.{fmt}", params=params)
        rows = (json.loads(response.text) if fmt == "json"
                else list(csv.DictReader(io.StringIO(response.text))))
        assert sorted(int(row["statement_id"]) for row in rows) == wanted


def test_csv_download_keeps_scraped_text_verbatim(archive, client):
    rows = list(csv.DictReader(io.StringIO(client.get("/search.csv?q=warrant").text)))
    assert rows[0]["quote"] == REFUSAL and rows[0]["url"] == archive.refusal_url


# --- a statement's permanent page ------------------------------------------------------------


def test_statement_page_shows_the_whole_statement(archive, client):
    response = client.get(f"/statements/{archive.refusal}")
    assert response.status_code == 200
    seen = text(response.text)
    for wanted in (f"“{REFUSAL}”", "Speaker Donny Youngblood, sheriff", f"Agency {KERN}",
                   "(as written: “Kern sheriff”)", "Place Kern County, CA", "Stance refuses",
                   'refuses: "will not hold"', "speaker: sheriff",
                   f"2025-01-10 · valley.example — Sheriff on detainers {SCRIPT}",
                   "2025-02-01 · herald.example — Kern sheriff repeats"):
        assert wanted in seen
    assert f'href="/agencies/{archive.kern}"' in response.text
    for url in (archive.refusal_url, archive.rereport_url):
        assert f'<a class="source" href="{url}" rel="noopener noreferrer nofollow">' in response.text


def test_a_re_report_link_leads_to_its_first_statement(archive, client):
    response = client.get(f"/statements/{archive.rereport}", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == f"/statements/{archive.refusal}"


def test_statement_page_flags_a_stance_change(archive, client):
    seen = text(client.get(f"/statements/{archive.turn}").text)
    assert f"“{TURN}”" in seen and "Stance cooperates stance change: previously refused" in seen
    assert "Speaker an unnamed spokesperson" in seen


@pytest.mark.parametrize("field", ["quote", "title", "feed", "error"])
def test_scraped_markup_shows_as_text(archive, client, field):
    page = {"quote": f"/statements/{archive.refusal}", "title": f"/statements/{archive.refusal}",
            "feed": "/feeds", "error": "/feeds"}[field]
    body = client.get(page).text
    assert "<script>alert(1)</script>" not in body and "<img" not in body and "<b>" not in body
    assert "<script" not in body  # no script of our own either: the CSP allows none
    wanted = {"quote": REFUSAL, "title": f"Sheriff on detainers {SCRIPT}",
              "feed": "Valley <b>News</b>", "error": "HTTP 500 <img src=x onerror=alert(2)>"}
    assert wanted[field] in text(body)


@pytest.mark.parametrize("url", ["javascript:alert(3)", "data:text/html,<script>alert(4)</script>",
                                 "http://[::1/unclosed", "https:///no-host"],
                         ids=["javascript", "data", "broken-ipv6", "no-host"])
def test_a_source_that_is_not_plain_http_is_shown_not_linked(store, client, make_feed,
                                                             make_article, make_statement, url):
    stored = store(make_article(make_feed(), url=url), make_statement())
    response = client.get(f"/statements/{stored.new_statement_ids[0]}")
    assert response.status_code == 200
    assert '<a class="source"' not in response.text
    assert f'<span class="source">{html.escape(url, quote=False)}</span>' in response.text


@pytest.mark.parametrize("path", ["/statements/999999", "/agencies/999999",
                                  f"/statements/{2**31}", f"/agencies/{10**30}"],
                         ids=["statement", "agency", "statement-past-int32", "agency-past-int64"])
def test_unknown_ids_are_404_pages(archive, client, path):
    response = client.get(path)
    assert response.status_code == 404 and "no " in text(response.text)


# --- an agency over time ---------------------------------------------------------------------


def test_agency_page_shows_statements_over_time_and_the_turn(archive, client):
    response = client.get(f"/agencies/{archive.kern}")
    assert response.status_code == 200
    seen = text(response.text)
    assert f"{KERN} Kern County, CA · sheriff · latest stance cooperates" in seen
    assert ("Stance over time refuses 2025-01-10 · 1 statement "
            "cooperates 2025-06-01 · 1 statement") in seen
    assert "Stance changes 2025-06-01: from refuses to cooperates" in seen
    assert "Statements (2 of 2, oldest first)" in seen
    assert hit_ids(response.text) == [archive.refusal, archive.turn]  # no re-report
    assert 'href="/?agency=Kern+County+Sheriff%27s+Office&amp;state=CA"' in response.text


# --- feeds and the outbox --------------------------------------------------------------------


def test_feeds_page_shows_health_counts_and_the_outbox(archive, client):
    response = client.get("/feeds")
    assert response.status_code == 200
    rows = {text(row).split(" ")[0]: text(row)
            for row in re.findall(r"<tr class=[^>]*>.*?</tr>", response.text, re.S)}
    valley, herald = rows["Valley"], rows["Herald"]
    # failures 3 reach dead_after_failures=3: an enabled, failing feed is DEAD
    assert re.search(r"DEAD 3 never never .* 2 2 HTTP 500 <img src=x onerror=alert\(2\)>$", valley)
    assert re.search(r" ok 0 never never .* 3 3$", herald)
    outbox = text(re.search(r'<table class="outbox".*?</table>', response.text, re.S).group(0))
    assert outbox == "pending sending sent failed 4 0 0 1"
    assert "channel_not_found <b>x</b>" in text(response.text)


def test_outbox_shows_a_status_beyond_the_usual_four(archive, client, sessions):
    with transaction(sessions) as session:
        session.execute(update(Alert).where(Alert.key == f"statement:{archive.turn}")
                        .values(status="skipped", last_error="backfill"))
    outbox = re.search(r'<table class="outbox".*?</table>', client.get("/feeds").text, re.S)
    assert text(outbox.group(0)) == "pending sending sent failed skipped 3 0 0 1 1"


@pytest.mark.parametrize("attempts, shown", [
    ({}, None),
    ({"a": 2}, None),
    ({"a": 3}, "1 entry skipped after 3 failed detections"),
    ({"a": 3, "b": 3, "c": 1}, "2 entries skipped after 3 failed detections"),
], ids=["nothing-failed", "still-tried-after-two-failures", "one-given-up",
        "two-given-up-one-still-tried"])
def test_feeds_page_counts_the_entries_a_feed_skips(archive, client, sessions, attempts, shown):
    from db.failures import record_failed_detection

    with transaction(sessions) as session:
        valley = session.scalar(select(Feed.id).where(Feed.name.startswith("Valley")))
        for entry, times in attempts.items():
            for _ in range(times):
                record_failed_detection(session, valley, entry, "ran over 30s", day("2025-07-01"))
    rows = re.findall(r"<tr class=[^>]*>.*?</tr>", client.get("/feeds").text, re.S)
    skipped = {text(row).split(" ")[0]: re.findall(r'class="aside skipped">([^<]*)<', row)
               for row in rows}
    assert skipped == {"Valley": [shown] if shown else [], "Herald": []}


# --- the App's clock -------------------------------------------------------------------------

CLOCK = day("2030-01-01T12:00:00")  # years from the archive's real times: only the App's clock
                                    # can make them minutes


@pytest.fixture
def clocked(archive, db_url):
    """The app on app.build's parts, as `beatwire web` serves it, its clock stopped at CLOCK."""
    from starlette.testclient import TestClient

    from app import build
    from config import Config, DatabaseConfig

    parts = build(Config(database=DatabaseConfig(url=db_url)), read_only=True,
                  clock=lambda: CLOCK)
    with TestClient(web.app.app_from(parts)) as test_client:
        yield test_client
    parts.close()


@pytest.mark.parametrize("next_poll, enabled, due", [
    (timedelta(minutes=14), True, "in 14m"),
    (timedelta(days=2, hours=4), True, "in 2d 4h"),
    (timedelta(seconds=-30), True, "due now"),
    (timedelta(hours=-3), True, "due 3h ago"),
    (timedelta(hours=-3), False, None),
], ids=["minutes-ahead", "days-ahead", "just-due", "overdue", "disabled-feed-says-nothing"])
def test_feeds_page_says_when_each_poll_is_due_by_the_apps_clock(clocked, sessions, next_poll,
                                                                  enabled, due):
    with transaction(sessions) as session:
        session.execute(update(Feed).where(Feed.name == "Herald")
                        .values(next_poll_at=CLOCK + next_poll, enabled=enabled))
    page = clocked.get("/feeds").text
    assert "As of 2030-01-01 12:00 UTC." in text(page)
    [herald] = [row for row in re.findall(r"<tr class=[^>]*>.*?</tr>", page, re.S)
                if "Herald" in row]
    assert re.findall(r'class="aside due">([^<]*)<', herald) == ([due] if due else [])


@pytest.mark.parametrize("path, shown", [
    ("/healthz", r"^delivery stalled: 4 alerts waiting, the oldest for 25m\n$"),
    ("/metrics", r"(?m)^beatwire_outbox_oldest_age_seconds 1500\.0$"),
], ids=["healthz-ages-the-outbox", "metrics-age-the-outbox"])
def test_health_and_metrics_read_now_from_the_apps_clock(clocked, sessions, path, shown):
    with transaction(sessions) as session:
        session.execute(update(Alert).where(Alert.status == "pending")
                        .values(created_at=CLOCK - timedelta(minutes=25)))
    assert re.search(shown, clocked.get(path).text)


@pytest.mark.parametrize("url", ["sqlite:////nonexistent-dir/beatwire.db",
                                 "postgresql+psycopg://postgres@127.0.0.1:9/beatwire"],
                         ids=["sqlite-unopenable", "postgresql-down"])
def test_an_unreachable_archive_is_a_503_and_one_log_line(url, caplog):
    from starlette.testclient import TestClient

    engine = make_engine(url)
    client = TestClient(web.app.make_app(make_sessionmaker(engine)))
    with caplog.at_level(logging.ERROR, logger="web.app"):
        response = client.get("/?q=ice")
    engine.dispose()
    assert response.status_code == 503 and "the archive is unavailable" in text(response.text)
    [record] = [r for r in caplog.records if r.name == "web.app"]
    assert record.getMessage().startswith("archive unavailable path=/ error=")
    assert record.exc_info is None and "\n" not in record.getMessage()
