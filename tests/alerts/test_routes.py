"""Routing: `[[alerts.routes]]` filters, one alert per destination, re-reports and digests
where the statement went; no routes is exactly the single `[slack]` channel as before."""

from __future__ import annotations

from datetime import timedelta

import pytest
from route_builders import QUOTE, TOKEN_ENV, add_feed, found_statement, routed_config, store
from sqlalchemy import select
from support import T0

from alerts.base import Sinks
from alerts.digest import enqueue_digests
from alerts.outbox import DeliveryReport, deliver_pending
from alerts.routes import Facts, route_matches
from config import RouteConfig
from db.models import Alert

CO_POLICE = Facts(state="CO", stance="refuses", agency_kind="police", feed="metro-news")
CHANGED = Facts(state="CO", stance="cooperates", agency_kind="sheriff", feed="county-wire",
                stance_change=True)

# Each filter admitting the statement and refusing it; every filter given must admit it.
FILTERS = {
    "no-filters-take-everything": ({}, CO_POLICE, True),
    "state-listed": ({"states": ["co", "AZ"]}, CO_POLICE, True),
    "state-not-listed": ({"states": ["AZ"]}, CO_POLICE, False),
    "state-filter-refuses-an-agency-without-state": ({"states": ["CO"]}, Facts(), False),
    "stance-listed": ({"stances": ["refuses"]}, CO_POLICE, True),
    "stance-not-listed": ({"stances": ["cooperates", "mixed"]}, CO_POLICE, False),
    "agency-kind-listed": ({"agency_kinds": ["police", "sheriff"]}, CO_POLICE, True),
    "agency-kind-not-listed": ({"agency_kinds": ["jail"]}, CO_POLICE, False),
    "feed-listed": ({"feeds": ["metro-news"]}, CO_POLICE, True),
    "feed-not-listed": ({"feeds": ["county-wire"]}, CO_POLICE, False),
    "stance-changes-only-takes-a-change": ({"stance_changes_only": True}, CHANGED, True),
    "stance-changes-only-refuses-no-change": ({"stance_changes_only": True}, CO_POLICE, False),
    "all-filters-admit": ({"states": ["CO"], "stances": ["cooperates"],
                           "agency_kinds": ["sheriff"], "feeds": ["county-wire"],
                           "stance_changes_only": True}, CHANGED, True),
    "one-filter-of-several-refuses": ({"states": ["CO"], "stances": ["refuses"]}, CHANGED,
                                      False),
}


@pytest.mark.parametrize("filters, facts, matches", list(FILTERS.values()), ids=list(FILTERS))
def test_route_filters(filters, facts, matches):
    route = RouteConfig(name="r", channel="#x", **filters)
    assert route_matches(route, facts) is matches


ALERTS, GENERAL = "#beatwire-alerts", "#general"
ROUTES = {
    "two-routes-two-channels-post-once-in-each": (
        [{"name": "colorado", "channel": ALERTS, "states": ["CO"]},
         {"name": "refusals", "channel": GENERAL, "stances": ["refuses"]}],
        [(":colorado", "C0ALERTS"), (":refusals", "C0GENERAL")]),
    "two-routes-one-channel-post-once": (
        [{"name": "colorado", "channel": ALERTS, "states": ["CO"]},
         {"name": "police", "channel": ALERTS, "agency_kinds": ["police"]}],
        [(":colorado", "C0ALERTS")]),
    "only-the-matching-route": (
        [{"name": "arizona", "channel": GENERAL, "states": ["AZ"]},
         {"name": "colorado", "channel": ALERTS, "states": ["CO"]}],
        [(":colorado", "C0ALERTS")]),
    "no-route-matches-no-alert": (
        [{"name": "arizona", "channel": GENERAL, "states": ["AZ"]}], []),
    "no-routes-is-slack-channel-as-before": ([], [("", "C0ALERTS")]),
}


@pytest.mark.parametrize("routes, posted", list(ROUTES.values()), ids=list(ROUTES))
def test_a_statement_is_posted_once_to_each_channel_its_routes_name(
        routes, posted, sessions, fake_slack, clock, pause, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, fake_slack.token)
    config = routed_config(routes, api_url=fake_slack.url)
    result = store(sessions, config, add_feed(sessions, "metro-news"), "metro-news",
                   [found_statement()])
    (statement_id,) = result.new_statement_ids
    sinks = Sinks(config)
    for _ in range(2):  # a second round finds nothing left to post
        deliver_pending(sessions, sinks, now_fn=clock, pause=pause)
    expected = [(f"statement:{statement_id}{suffix}", channel) for suffix, channel in posted]
    got = [(key.partition("@")[0], message.channel)
           for key, message in zip(fake_slack.posted_keys(), fake_slack.posted, strict=True)]
    assert sorted(got) == sorted(expected)
    with sessions() as session:
        rows = session.scalars(select(Alert).order_by(Alert.id)).all()
        assert sorted(r.key for r in rows) == sorted(key for key, _ in expected)
        assert {r.status for r in rows} <= {"sent"}
        if not routes:  # exactly today's row: no route, no sink, the [slack] channel
            assert [(r.route, r.sink, r.channel) for r in rows] == [(None, None, ALERTS)]


def test_a_re_report_is_threaded_under_the_statement_in_each_channel_it_went_to(
        sessions, fake_slack, clock, pause, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, fake_slack.token)
    config = routed_config([{"name": "colorado", "channel": ALERTS, "states": ["CO"]},
                            {"name": "metro", "channel": GENERAL, "feeds": ["metro-news"]}],
                           api_url=fake_slack.url)
    first = store(sessions, config, add_feed(sessions, "metro-news"), "metro-news",
                  [found_statement()])
    # The same quote from a feed the `metro` route does not take: still threaded there.
    again = store(sessions, config, add_feed(sessions, "county-wire"), "county-wire",
                  [found_statement(QUOTE)], now=T0 + timedelta(hours=1))
    assert again.duplicate_statement_ids and not again.new_statement_ids
    clock.advance(3600)
    sinks = Sinks(config)
    for _ in range(3):
        deliver_pending(sessions, sinks, now_fn=clock, pause=pause)
        clock.advance(60)
    parents = {m.channel: m.ts for m in fake_slack.posted if m.thread_ts is None}
    replies = {m.channel: m.thread_ts for m in fake_slack.posted if m.thread_ts is not None}
    assert parents.keys() == {"C0ALERTS", "C0GENERAL"} and replies == parents
    keys = sorted(k.partition("@")[0] for k in fake_slack.posted_keys())
    (one,), (two,) = first.new_statement_ids, again.duplicate_statement_ids
    assert keys == sorted([f"statement:{one}:colorado", f"statement:{one}:metro",
                           f"also:{two}:colorado", f"also:{two}:metro"])


def test_each_route_gets_its_own_digest_once(sessions, fake_slack, clock, pause, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, fake_slack.token)
    config = routed_config([{"name": "refusals", "channel": ALERTS, "stances": ["refuses"]},
                            {"name": "everything", "channel": GENERAL},
                            {"name": "jails", "channel": GENERAL, "agency_kinds": ["jail"]}],
                           api_url=fake_slack.url)
    feed = add_feed(sessions, "metro-news")
    earlier = T0 - timedelta(hours=3)
    store(sessions, config, feed, "metro-news", [found_statement()], now=earlier)
    store(sessions, config, feed, "metro-news",
          [found_statement("We will work with ICE on every detainer.", state="AZ",
                           stance="cooperates")], now=earlier)
    for _ in range(2):  # the second call (or a second worker) adds nothing
        with sessions.begin() as session:
            enqueue_digests(session, now=T0, channel=config.slack.channel,
                            routes=config.alerts.routes)
    with sessions() as session:
        digests = {a.key: (a.channel, a.payload["total"]) for a in session.scalars(
            select(Alert).where(Alert.kind == "digest"))}
    # `jails` matched nothing new: no digest for it.
    assert digests == {"digest:2025-03-01:refusals": (ALERTS, 1),
                       "digest:2025-03-01:everything": (GENERAL, 2)}
    report = deliver_pending(sessions, Sinks(config), now_fn=clock, pause=pause)
    assert report == DeliveryReport(sent=2 + 3)  # two digests and three statement alerts


def test_run_once_posts_each_statement_to_every_routed_channel_once(
        sqlite_url, feed_site, fake_slack, make_config, beatwire):
    """The daemon's own path: the crawl stores routed alerts, delivery posts each once."""
    from servers.feed_site import rss_feed
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session
    from support import DEMO_ARTICLES

    from db.models import Statement

    page = (DEMO_ARTICLES / "police-immigration-statements-2016.html").read_text("utf-8")
    feed_site.route("/articles/seed.html", page, content_type="text/html; charset=utf-8")
    feed_site.route("/a.xml", rss_feed([{
        "title": "Here's Why Police are Against Trump on Immigration Enforcement",
        "link": feed_site.url("/articles/seed.html"), "guid": "seed",
        "summary": "Police chiefs speak out.", "published": "Fri, 18 Nov 2016 15:00:00 GMT"}]),
        content_type="application/xml")
    config = make_config(sqlite_url, [{"name": "metro", "url": feed_site.url("/a.xml")}])
    with config.open("a", encoding="utf-8") as toml:
        toml.write("\n[[alerts.routes]]\nname = 'all'\nchannel = '#beatwire-alerts'\n"
                   "\n[[alerts.routes]]\nname = 'california'\nchannel = '#general'\n"
                   "states = ['CA']\nfeeds = ['metro']\n")
    for init in (["--init"], []):  # the second run posts nothing again
        result = beatwire(config, "run", *init, "--once")
        assert result.returncode == 0, result.stderr
    engine = create_engine(sqlite_url)
    with Session(engine) as session:
        states = {s.id: s.agency.state if s.agency else None
                  for s in session.scalars(select(Statement))}
    engine.dispose()
    posted = [(key.partition("@")[0], message.channel)
              for key, message in zip(fake_slack.posted_keys(), fake_slack.posted, strict=True)]
    assert len(posted) == len(set(posted))
    assert sorted(posted) == sorted(
        [(f"statement:{sid}:all", "C0ALERTS") for sid in states]
        + [(f"statement:{sid}:california", "C0GENERAL")
           for sid, state in states.items() if state == "CA"])
    assert "CA" in states.values()


def test_a_reload_that_changes_the_routes_changes_where_alerts_go(sqlite_url, make_config):
    import asyncio

    from config import load_config
    from db.migrate import upgrade
    from scheduler import Daemon

    path = make_config(sqlite_url, [])
    upgrade(sqlite_url)
    daemon = Daemon(str(path), load_config(path))
    assert daemon.sink.webhooks == {}
    with path.open("a", encoding="utf-8") as toml:
        toml.write("\n[[alerts.routes]]\nname = 'teams'\nchannel = 'Policy'\nsink = 'webhook'\n"
                   "url = 'http://127.0.0.1:9/hook'\n")
    try:
        assert asyncio.run(daemon.reload_config(force=True))
        assert list(daemon.sink.webhooks) == ["teams"]
    finally:
        daemon.engine.dispose()
