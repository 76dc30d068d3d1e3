"""Hostile feeds in one cycle beside a good one: the hostile entry fails alone, with its
reason, and the good feed's statement is stored in the same cycle (issue 10, items 1-2).

Each test runs the real CrawlService in a child process (see conftest.py) against feeds
built here and served on 127.0.0.1, then reads the database.
"""

from __future__ import annotations

import pytest
from servers.feed_site import article_page, rss_feed
from sqlalchemy import select
from test_entries import char_ref_feed, entity_feed

from db.models import Article, Feed, Statement

pytestmark = pytest.mark.timeout(300)

GOOD = ("\u201cOur officers will not ask anyone about their immigration status,\u201d Port "
        "Alder Police Chief Lena Marsh said. \u201cThat is not our job, and it never will be.\u201d")


def _feed(session, name: str) -> Feed:
    return session.scalar(select(Feed).where(Feed.name == name))


def test_billion_laughs_feed_is_one_error_and_the_good_feed_is_stored(
        feed_site, make_config, run_crawl, sessions):
    feed_site.route("/bomb.xml", entity_feed("A" * 3000, 100_000))
    feed_site.route("/news/chief.html", article_page("Chief on status checks",
                                                     [GOOD, "The council meets Tuesday."]))
    feed_site.route("/good.xml", rss_feed([{"title": "Chief on status checks", "guid": "chief",
                                            "link": feed_site.url("/news/chief.html")}]))
    config = make_config([{"name": "bomb", "url": feed_site.url("/bomb.xml")},
                          {"name": "good", "url": feed_site.url("/good.xml")}])

    result = run_crawl(config, [{"do": "cycle"}], detector="real")

    assert result["actions"][0]["idle"], result["log"][-4000:]
    with sessions() as session:
        bomb, good = _feed(session, "bomb"), _feed(session, "good")
        assert bomb.status == "error"
        assert "internal XML entities would expand" in bomb.last_error
        assert "\n" not in bomb.last_error
        assert good.status == "ok"
        statements = session.scalars(select(Statement)).all()
        assert [s.agency.name for s in statements] == ["Port Alder Police Department"]
        assert "immigration status" in statements[0].quote


def test_a_detection_that_runs_over_is_killed_and_the_next_article_is_detected(
        feed_site, make_config, run_crawl, sessions):
    feed_site.route("/feed.xml", rss_feed([
        {"guid": "hang", "title": "Hangs", "summary": "HANG " + GOOD},
        {"guid": "good", "title": "Detected", "summary": "GOOD " + GOOD},
    ]))
    config = make_config([{"name": "News", "url": feed_site.url("/feed.xml")}],
                         extract_timeout=2)

    result = run_crawl(config, [{"do": "cycle", "timeout": 60}], detector="hangs_on_marker")

    assert result["actions"][0]["idle"], result["log"][-4000:]
    assert "detection ran over 2s and was killed" in result["log"]
    assert "worker process replaced" in result["log"]
    with sessions() as session:
        assert [a.title for a in session.scalars(select(Article))] == ["Detected"]
        (statement,) = session.scalars(select(Statement)).all()
        assert statement.quote.startswith("GOOD")
        feed = _feed(session, "News")  # the failure shows, and the feed keeps its validators
        assert feed.status == "error" and "detection ran over 2s" in feed.last_error
        assert feed.etag is not None


def test_an_entry_whose_detection_ran_over_is_not_retried_on_every_poll(
        feed_site, make_config, run_crawl, sessions):
    feed_site.route("/feed.xml", rss_feed([{"guid": "hang", "title": "Hangs",
                                            "summary": "HANG " + GOOD}]))
    config = make_config([{"name": "News", "url": feed_site.url("/feed.xml")}],
                         extract_timeout=2)

    result = run_crawl(config, [{"do": "cycle", "timeout": 60}, {"do": "cycle", "timeout": 60}],
                       detector="hangs_on_marker")

    assert [a["idle"] for a in result["actions"]] == [True, True], result["log"][-4000:]
    first, second = feed_site.requests_for("/feed.xml")
    assert second.header("If-None-Match") is not None  # a 304, not the whole feed again
    assert result["log"].count("detection ran over 2s and was killed") == 1


def test_character_references_no_text_can_hold_fail_no_feed_and_log_no_traceback(
        feed_site, make_config, run_crawl, sessions):
    feed_site.route("/surrogate.xml", char_ref_feed("&#55296;"))
    feed_site.route("/utf16.xml", char_ref_feed("&#55296;", "utf-16"))
    feed_site.route("/good.xml", rss_feed([{"guid": "good", "title": "Good",
                                            "summary": GOOD}]))
    config = make_config([{"name": name, "url": feed_site.url(f"/{name}.xml")}
                          for name in ("surrogate", "utf16", "good")])

    result = run_crawl(config, [{"do": "cycle"}])

    assert result["actions"][0]["idle"], result["log"][-4000:]
    assert "Traceback" not in result["log"], result["log"][-4000:]
    with sessions() as session:
        statuses = {name: _feed(session, name).status for name in ("surrogate", "utf16", "good")}
        assert statuses == {"surrogate": "ok", "utf16": "error", "good": "ok"}
        assert "feedparser could not read it" in _feed(session, "utf16").last_error
        titles = sorted(a.title for a in session.scalars(select(Article)))
        assert titles == ["Good", "Status checks"]


def test_a_worker_that_dies_fails_its_feed_or_entry_alone_in_one_line(
        feed_site, make_config, run_crawl, sessions):
    feed_site.route("/dying.xml", rss_feed([{"guid": "x", "title": "KILL-THE-PARSER"}]))
    feed_site.route("/feed.xml", rss_feed([
        {"guid": "die", "title": "Dies", "summary": "DIE " + GOOD},
        {"guid": "good", "title": "Detected", "summary": "GOOD " + GOOD},
    ]))
    config = make_config([{"name": "dying", "url": feed_site.url("/dying.xml")},
                          {"name": "News", "url": feed_site.url("/feed.xml")}])

    result = run_crawl(config, [{"do": "cycle", "timeout": 60}], detector="dies_on_marker",
                       parser="dies_on_marker")

    log = result["log"]
    assert result["actions"][0]["idle"], log[-4000:]
    assert "Traceback" not in log, log[-4000:]
    assert log.count("worker process replaced") == 2
    with sessions() as session:
        dying, news = _feed(session, "dying"), _feed(session, "News")
        assert dying.status == "error"
        assert "parsing the document failed, worker died: signal 9 (SIGKILL)" in dying.last_error
        assert news.status == "error" and "detection failed, worker died: signal 9" in (
            news.last_error)
        assert [a.title for a in session.scalars(select(Article))] == ["Detected"]
        (statement,) = session.scalars(select(Statement)).all()
        assert statement.quote.startswith("GOOD")


def test_a_detection_out_of_memory_fails_its_entry_alone_in_one_line(
        feed_site, make_config, run_crawl, sessions):
    feed_site.route("/feed.xml", rss_feed([
        {"guid": "swell", "title": "Swells", "summary": "SWELL " + GOOD},
        {"guid": "good", "title": "Detected", "summary": "GOOD " + GOOD},
    ]))
    config = make_config([{"name": "News", "url": feed_site.url("/feed.xml")}])

    result = run_crawl(config, [{"do": "cycle", "timeout": 60}], detector="dies_on_marker")

    assert result["actions"][0]["idle"], result["log"][-4000:]
    assert "Traceback" not in result["log"], result["log"][-4000:]
    with sessions() as session:
        news = _feed(session, "News")
        assert news.status == "error"
        assert "detection needs more memory than a worker may use" in news.last_error
        assert [a.title for a in session.scalars(select(Article))] == ["Detected"]


@pytest.mark.parametrize(
    "marker, says, crawler",
    [("HANG", "detection ran over 2s and was killed", {"extract_timeout": 2}),
     ("DIE", "detection failed, worker died: signal 9", {}),
     ("SWELL", "detection needs more memory than a worker may use", {})],
    ids=["runs-over", "kills-its-worker", "runs-out-of-memory"],
)
def test_an_entry_whose_detection_keeps_failing_is_skipped_after_three_polls(
        feed_site, make_config, run_crawl, sessions, marker, says, crawler):
    """A feed with no ETag or Last-Modified is read whole on every poll: its entry that
    fails detection is tried three times, then skipped; the feed's other entry is stored."""
    from db.failures import MAX_DETECTION_ATTEMPTS
    from db.feeds import feed_health
    from db.models import FailedEntry, utcnow

    feed_site.route("/feed.xml", rss_feed([
        {"guid": "bad", "title": "Fails", "summary": f"{marker} " + GOOD},
        {"guid": "good", "title": "Detected", "summary": "GOOD " + GOOD},
    ]), validators=False)
    config = make_config([{"name": "News", "url": feed_site.url("/feed.xml")}], **crawler)

    cycles = [{"do": "cycle", "timeout": 60}] * (MAX_DETECTION_ATTEMPTS + 1)
    result = run_crawl(config, cycles, detector="dies_on_marker", timeout=240)

    log = result["log"]
    assert all(action["idle"] for action in result["actions"]), log[-4000:]
    assert len(feed_site.requests_for("/feed.xml")) == MAX_DETECTION_ATTEMPTS + 1
    assert log.count(says) == MAX_DETECTION_ATTEMPTS, log[-4000:]
    assert log.count("entry skipped from now on: detection failed 3 times") == 1
    assert "Traceback" not in log, log[-4000:]
    with sessions() as session:
        (failed,) = session.scalars(select(FailedEntry)).all()
        assert failed.attempts == MAX_DETECTION_ATTEMPTS and says in failed.last_error
        assert [a.title for a in session.scalars(select(Article))] == ["Detected"]
        (health,) = feed_health(session, utcnow())
        assert health.skipped_entries == 1
