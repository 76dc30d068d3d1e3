"""The archive: articles stored once, novelty linking, stance changes, the outbox rows."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from db import archive
from db.archive import article_by_url, entry_seen, link_entry, store_article, url_hash
from db.models import Agency, Alert, Article, Feed, FeedEntry, Statement

CHANNEL = "#beatwire"
BECK = "We are not going to work in conjunction with Homeland Security on deportation efforts."


@pytest.fixture
def feeds(make_feed):
    """Two feed ids: two outlets that may carry the same stories."""
    return make_feed("outlet-a"), make_feed("outlet-b")


@pytest.fixture
def store(sessions, clock):
    """Store an article in its own committed transaction, as the pipeline does."""

    def run(item, statements=(), **options):
        options.setdefault("now", clock())
        with sessions.begin() as session:
            return store_article(session, item, list(statements), channel=CHANNEL, **options)

    return run


def _count(sessions, model, *where) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def _statement(sessions, statement_id) -> Statement:
    with sessions() as session:
        return session.get(Statement, statement_id)


def _alerts(sessions) -> list[Alert]:
    with sessions() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


# --- entries and articles --------------------------------------------------------------------


def test_link_entry_is_idempotent(sessions, feeds, store, make_article):
    result = store(make_article(feeds[0]))
    with sessions.begin() as session:
        assert entry_seen(session, feeds[0], "k1") is False
        for _ in range(3):
            link_entry(session, feeds[0], "k1", None)
        link_entry(session, feeds[0], "k1", result.article_id)
        link_entry(session, feeds[0], "k1", result.article_id)
        assert entry_seen(session, feeds[0], "k1") is True
    assert _count(sessions, FeedEntry, FeedEntry.entry_key == "k1") == 1
    with sessions() as session:
        entry = session.scalar(select(FeedEntry).where(FeedEntry.entry_key == "k1"))
        assert entry.article_id == result.article_id


def test_new_article_with_statements_and_outbox_rows(sessions, feeds, store, make_article,
                                                     make_statement):
    item = make_article(feeds[0], title="Police chiefs on ICE")
    result = store(item, [make_statement(BECK, agency="Los Angeles Police Department",
                                         state="CA", as_written="LAPD", speaker="Charlie Beck"),
                          make_statement()])
    assert not result.already_stored and len(result.new_statement_ids) == 2
    assert result.duplicate_statement_ids == ()
    alerts = _alerts(sessions)
    assert [a.id for a in alerts] == list(result.alert_ids)
    assert [(a.kind, a.key, a.status, a.channel) for a in alerts] == [
        ("statement", f"statement:{sid}", "pending", CHANNEL) for sid in result.new_statement_ids]
    with sessions() as session:
        article = article_by_url(session, item.url)
        assert (article.title, article.url_hash) == ("Police chiefs on ICE", url_hash(item.url))
        beck = session.get(Statement, result.new_statement_ids[0])
        assert (beck.agency.name, beck.agency_as_written, beck.speaker) == (
            "Los Angeles Police Department", "LAPD", "Charlie Beck")
        assert beck.quote_key and beck.cues == ['refuses: "will not honor"']
        assert entry_seen(session, feeds[0], item.entry_key)


def test_nothing_is_written_until_the_caller_commits(sessions, feeds, make_article,
                                                     make_statement, clock):
    """The outbox principle: article, statements and alerts share the caller's transaction."""
    with sessions() as session:
        store_article(session, make_article(feeds[0]), [make_statement()], channel=CHANNEL,
                      now=clock())
        session.rollback()
    assert [_count(sessions, m) for m in (Article, Statement, Alert, FeedEntry)] == [0, 0, 0, 0]


def test_article_is_stored_once_across_feeds(sessions, feeds, store, make_article,
                                             make_statement):
    url = "https://news.example/chiefs"
    first = store(make_article(feeds[0], url=url), [make_statement()])
    again = store(make_article(feeds[1], url=url), [make_statement()])
    assert again.already_stored and again.article_id == first.article_id
    assert (again.new_statement_ids, again.alert_ids) == ((), ())
    assert (_count(sessions, Article), _count(sessions, Statement)) == (1, 1)
    assert _count(sessions, FeedEntry, FeedEntry.article_id == first.article_id) == 2


def test_concurrent_store_of_one_article(sessions, feeds, make_article, make_statement, clock):
    """Two workers race to store the same article: one stores it, the other is told so."""
    url = "https://news.example/race"
    outcome = {}

    def loser():
        with sessions.begin() as session:
            outcome["result"] = store_article(session, make_article(feeds[1], url=url),
                                              [make_statement()], channel=CHANNEL, now=clock())

    with sessions() as winner:
        won = store_article(winner, make_article(feeds[0], url=url), [make_statement()],
                            channel=CHANNEL, now=clock())
        thread = threading.Thread(target=loser)
        thread.start()
        time.sleep(0.5)  # the loser is now blocked on the winner's uncommitted row
        winner.commit()
    thread.join(timeout=30)
    assert outcome["result"].already_stored
    assert outcome["result"].article_id == won.article_id
    assert (_count(sessions, Article), _count(sessions, Statement), _count(sessions, Alert)) == (
        1, 1, 1)


# --- novelty ---------------------------------------------------------------------------------


def test_rereport_links_to_first_with_also_reported_thread(sessions, feeds, store,
                                                           make_article, make_statement):
    first = store(make_article(feeds[0]), [make_statement(BECK)])
    second = store(make_article(feeds[1]), [make_statement(BECK.replace("We are", "We're"))])
    [first_id], [dup_id] = first.new_statement_ids, second.duplicate_statement_ids
    assert second.new_statement_ids == ()
    assert _statement(sessions, dup_id).duplicate_of_id == first_id
    parent, reply = _alerts(sessions)
    assert (reply.kind, reply.key, reply.parent_alert_id, reply.statement_id) == (
        "also_reported", f"also:{dup_id}", parent.id, dup_id)
    assert second.alert_ids == (reply.id,)


def test_also_reported_can_be_switched_off(sessions, feeds, store, make_article,
                                           make_statement):
    store(make_article(feeds[0]), [make_statement(BECK)])
    second = store(make_article(feeds[1]), [make_statement(BECK)], also_reported=False)
    assert len(second.duplicate_statement_ids) == 1 and second.alert_ids == ()
    assert [a.kind for a in _alerts(sessions)] == ["statement"]


@pytest.mark.parametrize("first_agency, second_agency, duplicate", [
    ("Denver Police Department", "Denver Police Department", True),
    ("Denver Police Department", "Tucson Police Department", False),
    ("Denver Police Department", None, True),
    (None, None, True),
], ids=["same-agency", "other-agency", "agencyless-matches-any", "both-agencyless"])
def test_novelty_by_agency(store, feeds, make_article, make_statement, first_agency,
                           second_agency, duplicate):
    store(make_article(feeds[0]), [make_statement(BECK, agency=first_agency)])
    second = store(make_article(feeds[1]), [make_statement(BECK, agency=second_agency)])
    assert bool(second.duplicate_statement_ids) is duplicate
    assert bool(second.new_statement_ids) is not duplicate


def test_different_quote_is_new(store, feeds, make_article, make_statement):
    store(make_article(feeds[0]), [make_statement(BECK)])
    other = store(make_article(feeds[1]), [make_statement(
        "Our officers will not ask anyone about their immigration status.")])
    assert len(other.new_statement_ids) == 1


def test_old_statements_fall_out_of_the_novelty_window(store, feeds, make_article,
                                                       make_statement, clock):
    store(make_article(feeds[0]), [make_statement(BECK)])
    later = store(make_article(feeds[1]), [make_statement(BECK)],
                  now=clock() + timedelta(days=400))
    assert len(later.new_statement_ids) == 1


def test_identical_quotes_in_one_article_are_one_statement(sessions, store, feeds,
                                                           make_article, make_statement):
    result = store(make_article(feeds[0]), [make_statement(BECK), make_statement(BECK),
                                            make_statement(BECK, agency=None)])
    assert len(result.new_statement_ids) == 1 and len(result.alert_ids) == 1
    assert _count(sessions, Statement) == 1


# Quotes unlike BECK and unlike each other: primaries that only fill the candidate limit.
OTHERS = ("Our officers will not ask anyone about their immigration status.",
          "The department will hold a community meeting on the new budget next Tuesday.")


@pytest.mark.parametrize("earlier, meanwhile, limit, first_is", [
    ((), (BECK,), 500, "meanwhile"),
    ((BECK,), OTHERS[:1], 2, "earlier"),
    ((BECK,), OTHERS, 2, None),
], ids=["committed-after-the-read-is-found", "earlier-match-kept-within-the-limit",
        "match-pushed-out-of-the-limit-is-new"])
def test_novelty_catches_up_under_the_lock_on_what_was_committed_after_the_read(
        sessions, store, feeds, make_article, make_statement, clock, monkeypatch, earlier,
        meanwhile, limit, first_is):
    """Statements another worker commits between read_candidates and the lock still count,
    and push older candidates out of the limit as one read under the lock would."""
    monkeypatch.setattr(archive, "NOVELTY_CANDIDATES", limit)
    stored = {"earlier": [store(make_article(feeds[0]), [make_statement(q)]) for q in earlier]}
    with sessions() as session:
        candidates = archive.read_candidates(session, [make_statement(BECK)], clock())
        stored["meanwhile"] = [store(make_article(feeds[0]), [make_statement(q)])
                               for q in meanwhile]
        result = store_article(session, make_article(feeds[1]), [make_statement(BECK)],
                               channel=CHANNEL, candidates=candidates)
        session.commit()
    expected = stored[first_is][0].new_statement_ids[0] if first_is else None
    [statement_id] = result.new_statement_ids + result.duplicate_statement_ids
    assert _statement(sessions, statement_id).duplicate_of_id == expected


def test_candidates_read_for_another_time_are_refused(sessions, feeds, make_article,
                                                      make_statement, clock):
    with sessions() as session:
        candidates = archive.read_candidates(session, [make_statement(BECK)], clock())
        with pytest.raises(ValueError, match="candidates were read for"):
            store_article(session, make_article(feeds[0]), [make_statement(BECK)],
                          channel=CHANNEL, now=clock() + timedelta(days=1),
                          candidates=candidates)


# --- stance change ---------------------------------------------------------------------------


@pytest.mark.parametrize("stances, previous", [
    (("refuses", "cooperates"), "refuses"),
    (("refuses", "refuses"), None),
    ((None, "cooperates"), None),
    (("mixed", None), None),
], ids=["changed", "unchanged", "first-known", "new-unknown"])
def test_stance_change(sessions, store, feeds, make_article, make_statement, stances, previous):
    store(make_article(feeds[0]), [make_statement("We will not honor detainers.",
                                                  stance=stances[0])])
    second = store(make_article(feeds[1]), [make_statement(
        "We will work closely with ICE on every detainer.", stance=stances[1])])
    assert _statement(sessions, second.new_statement_ids[0]).previous_stance == previous


def test_agency_remembers_last_stance(sessions, store, feeds, make_article, make_statement):
    store(make_article(feeds[0]), [make_statement("We will not honor detainers.")])
    store(make_article(feeds[1]), [make_statement("We will hold people for ICE.",
                                                  stance="cooperates")])
    with sessions() as session:
        agency = session.scalar(select(Agency))
    assert (agency.name, agency.state, agency.last_stance) == (
        "Denver Police Department", "CO", "cooperates")


def test_rereport_does_not_change_stance(sessions, store, feeds, make_article, make_statement):
    store(make_article(feeds[0]), [make_statement(BECK, stance="refuses")])
    store(make_article(feeds[1]), [make_statement(BECK, stance="mixed")])
    with sessions() as session:
        assert session.scalar(select(Agency.last_stance)) == "refuses"


@pytest.mark.parametrize("state", ["CO", None], ids=["with-state", "no-state"])
def test_agency_created_once(sessions, store, feeds, make_article, make_statement, state):
    for n in range(3):
        store(make_article(feeds[0]), [make_statement(f"Statement number {n} about ICE holds.",
                                                      state=state)])
    assert _count(sessions, Agency) == 1


# --- backfill: a feed's first poll does not alert its backlog --------------------------------

DAY = timedelta(days=1)
BACKFILL = {
    # (published before now, the feed polled before, window): the alert's status
    "first-poll-older-than-the-window": (2 * DAY, False, DAY, "skipped"),
    "first-poll-undated": (None, False, DAY, "skipped"),
    "first-poll-within-the-window": (timedelta(hours=2), False, DAY, "pending"),
    "first-poll-just-inside-the-window": (DAY - timedelta(seconds=1), False, DAY, "pending"),
    "feed-polled-before": (30 * DAY, True, DAY, "pending"),
    "window-zero-alerts-everything": (2 * DAY, False, timedelta(0), "pending"),
}


@pytest.mark.parametrize("age, polled_before, window, status", BACKFILL.values(),
                         ids=BACKFILL.keys())
def test_first_poll_stores_its_backlog_without_alerting_it(
        age, polled_before, window, status, sessions, make_feed, store, make_article,
        make_statement, clock):
    feed = make_feed(last_success_at=clock() - timedelta(hours=1) if polled_before else None)
    published = None if age is None else clock() - age
    result = store(make_article(feed, published=published), [make_statement()], backfill=window)
    assert len(result.new_statement_ids) == 1 and _count(sessions, Article) == 1
    (alert,) = _alerts(sessions)
    assert alert.status == status
    assert (alert.last_error or "").startswith("backfill:") == (status == "skipped")


def test_a_backfilled_statement_is_never_posted_and_nor_is_its_rereport(
        sessions, make_feed, store, make_article, make_statement, clock, fake_slack):
    from alerts.outbox import PauseState, deliver_pending
    from alerts.slack import SlackSink

    old, recent = make_feed(), make_feed()
    store(make_article(old, published=clock() - 3 * DAY), [make_statement(BECK)], backfill=DAY)
    store(make_article(recent, published=clock()), [make_statement()], backfill=DAY)
    with sessions.begin() as session:  # the old feed's first poll is over
        session.get(Feed, old).last_success_at = clock()
    # A new article re-reporting the backfilled quote: a reply with no message to thread under.
    store(make_article(old, published=clock()), [make_statement(BECK)], backfill=DAY)
    fake_slack.channels["C0BEATWIRE"] = CHANNEL.lstrip("#")
    sink = SlackSink(fake_slack.token, api_url=fake_slack.url, timeout=1)
    report = deliver_pending(sessions, sink, now_fn=clock, pause=PauseState())
    assert report.sent == 1 and len(fake_slack.posted) == 1
    assert "will not honor" in fake_slack.posted[0].text
    assert [(a.kind, a.status) for a in _alerts(sessions)] == [
        ("statement", "skipped"), ("statement", "sent"), ("also_reported", "skipped")]


def test_fresh_archive_first_run_posts_only_entries_within_the_window(
        sqlite_url, tmp_path, feed_site, fake_slack, beatwire):
    """The whole path (`run --once`, real feed site and fake Slack): the first poll archives an
    old statement without posting it and posts a new one; nothing old is posted later."""
    from email.utils import format_datetime

    from servers.feed_site import rss_feed
    from support import DEMO_ARTICLES, config_text

    from db.engine import make_engine, make_sessionmaker
    from db.models import utcnow

    pages = {"old": "police-immigration-statements-2016.html", "new": "harlow-sheriff-287g.html"}
    for name, page in pages.items():
        feed_site.route(f"/articles/{name}.html", (DEMO_ARTICLES / page).read_text("utf-8"),
                        content_type="text/html; charset=utf-8")
    ages = {"old": 3 * DAY, "new": timedelta(hours=1)}
    feed_site.route("/feed.xml", rss_feed([
        {"title": f"The {name} story", "link": feed_site.url(f"/articles/{name}.html"),
         "guid": name, "summary": "Police on immigration enforcement.",
         "published": format_datetime(utcnow() - age, usegmt=True)}
        for name, age in ages.items()]), content_type="application/xml")
    config = tmp_path / "config.toml"
    config.write_text(config_text(sqlite_url, [{"name": "Metro", "url": feed_site.url("/feed.xml")}],
                                  slack={"api_url": fake_slack.url},
                                  scheduler={"backfill": "1d"}), encoding="utf-8")
    # The second poll is no first poll: the old entry is seen, not alerted.
    for args in (["run", "--init", "--once"], ["run", "--once"]):
        run = beatwire(config, *args)
        assert run.returncode == 0, run.stderr
    engine = make_engine(sqlite_url)
    with make_sessionmaker(engine)() as session:
        statuses = {(alert.statement.article.url.rsplit("/", 1)[-1], alert.status)
                    for alert in session.scalars(select(Alert))}
    engine.dispose()
    assert {status for page, status in statuses if page == "old.html"} == {"skipped"}
    assert {status for page, status in statuses if page == "new.html"} == {"sent"}
    assert {("new.html" in m.text, "old.html" in m.text) for m in fake_slack.posted} == {
        (True, False)}


# --- entries the database refused ------------------------------------------------------------


@pytest.mark.parametrize("refused, last_error", [
    (("entry not stored (DataError: value too long) url=https://a.example/1",),
     "1 entry not stored: entry not stored (DataError: value too long) url=https://a.example/1"),
    (("first reason", "second reason"), "2 entries not stored: first reason"),
], ids=["one-entry", "two-entries-first-reason-shown"])
def test_refused_entries_mark_the_feed_error_and_keep_its_validators(
        sessions, feeds, clock, refused, last_error):
    from db.archive import record_refused_entries
    from db.feeds import feed_health
    from db.models import Feed, FetchLog

    with sessions.begin() as session:
        record_refused_entries(session, feeds[0], refused=refused, now=clock(), http_status=200,
                               etag='"v1"', last_modified="Wed, 01 May 2024 12:00:00 GMT",
                               entries=3, new_articles=2, duration_ms=5)
    with sessions() as session:
        feed = session.get(Feed, feeds[0])
        fetch = session.scalar(select(FetchLog).where(FetchLog.feed_id == feeds[0]))
        health = {h.name: h for h in feed_health(session, clock())}[feed.name]
    assert (feed.status, feed.last_error, feed.consecutive_failures) == ("error", last_error, 0)
    assert (feed.etag, feed.last_modified) == ('"v1"', "Wed, 01 May 2024 12:00:00 GMT")
    assert feed.next_poll_at == clock() + timedelta(seconds=feed.interval_seconds)
    assert (fetch.outcome, fetch.error, fetch.new_articles) == ("error", last_error, 2)
    assert health.status == "error" and health.last_error == last_error


# --- statements per article and per feed ---------------------------------------------------


@pytest.mark.parametrize("how, per_article, per_batch", [
    ("alone", 2, 0), ("alone-with-backfill", 3, 0), ("in-a-batch", 4, 1),
], ids=["alone-an-insert-and-a-link", "backfill-adds-the-feed-lookup",
        "a-batch-adds-a-savepoint-per-article-and-one-feed-lookup"])
def test_an_article_without_statements_costs_a_few_statements(
        engine, sessions, feeds, make_article, clock, how, per_article, per_batch):
    from sqlalchemy import event

    items = [make_article(feeds[n % 2]) for n in range(5)]
    seen = []
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    with sessions.begin() as session:
        if how == "in-a-batch":
            archive.store_articles(session, [archive.ArticleToStore(i, (), clock())
                                             for i in items], channel=CHANNEL, backfill=DAY)
        else:
            backfill = DAY if how == "alone-with-backfill" else timedelta(0)
            for item in items:
                store_article(session, item, [], channel=CHANNEL, now=clock(),
                              backfill=backfill)
    begin = ["BEGIN IMMEDIATE"] if how == "in-a-batch" and engine.dialect.name == "sqlite" else []
    assert seen[:len(begin)] == begin
    assert len(seen) - len(begin) == per_article * len(items) + per_batch
    assert _count(sessions, Article) == 5


def test_new_entries_reads_a_feed_in_three_queries(engine, sessions, feeds, make_article,
                                                    clock):
    """Seen, given up, archived through another feed (linked, not fetched) and new."""
    from sqlalchemy import event

    from crawler.entries import Entry
    from crawler.recording import new_entries
    from db.failures import MAX_DETECTION_ATTEMPTS, record_failed_detection

    def entry(name):
        return Entry(key=(name * 64)[:64], url=f"https://news.example/{name}", link=None, title=name,
                     summary="", published=None)

    entries = [entry(name) for name in ("seen", "given", "elsewhere", "new")]
    with sessions.begin() as session:
        link_entry(session, feeds[0], entries[0].key, None)
        for _ in range(MAX_DETECTION_ATTEMPTS):
            record_failed_detection(session, feeds[0], entries[1].key, "ran over", clock())
    elsewhere = store_article_in(sessions, make_article(feeds[1], url=entries[2].url), clock)
    seen = []
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    with sessions.begin() as session:
        todo = new_entries(session, feeds[0], entries * 2)  # each entry listed twice
    assert [e.title for e in todo] == ["new", "new"]
    assert sum(s.lstrip().upper().startswith("SELECT") for s in seen) == 3
    with sessions() as session:
        linked = session.scalar(select(FeedEntry.article_id).where(
            FeedEntry.feed_id == feeds[0], FeedEntry.entry_key == entries[2].key))
    assert linked == elsewhere


def store_article_in(sessions, item, clock) -> int:
    with sessions.begin() as session:
        return store_article(session, item, [], channel=CHANNEL, now=clock()).article_id
