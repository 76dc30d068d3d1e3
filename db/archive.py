"""The archive: articles stored once, their statements, novelty, stance changes, outbox rows.

`store_article` adds an article, its statements and their alert rows to the caller's session
without committing: the caller commits them in one transaction (the outbox principle), so an
alert exists exactly when its statement does. `store_articles` adds a batch of articles to
one transaction, each in a SAVEPOINT of its own, so each still lands whole or not at all.

Rules, in the order they are applied:

1. An article is stored once, keyed by the sha256 of its canonical URL, whatever feed carries
   it. Seen again (from any feed) it is only linked to that feed's entry. Two workers storing
   it at once: the unique url_hash lets one insert win; the other gets `already_stored`.
   (INSERT … ON CONFLICT DO NOTHING rather than a SAVEPOINT around a plain INSERT: one
   statement, and nothing to roll back. pysqlite would release a savepoint opened before any
   other write as a COMMIT: `store_articles` opens the transaction first, `db.locks.write_lock`.)
2. Within one article, a quote identical or near-identical to one already taken is dropped.
3. Novelty: a statement whose quote is `detect.novelty.same_quote` as an earlier primary
   statement (not itself a duplicate) of the same agency — any agency for statements with
   none — is stored as a duplicate of that first one: no new alert, but (with also_reported)
   an `also_reported` alert threaded under the first statement's alert. Only the last
   NOVELTY_WINDOW of primaries, at most NOVELTY_CANDIDATES of them, are compared. The
   comparison is made before anything is written or locked (`read_candidates`, one query
   per agency); under the lock only the primaries committed since (ids above the highest one
   read) are compared, and the earliest match among the last NOVELTY_CANDIDATES of both wins,
   so old candidates pushed out of the limit by new ones are dropped just as a single read
   under the lock would drop them.
4. Otherwise it is a new primary statement with a `statement` alert. If the agency's last
   archived stance differs from this one, `previous_stance` records it (a stance change);
   the agency's `last_stance` becomes this stance. With `[[alerts.routes]]` it gets one
   `statement` alert per destination it matches (alerts/routes.py), and a re-report one
   `also_reported` reply under each of its first report's alerts: where that one was posted.
5. Backfill: on a feed's first poll (it never succeeded before), an article published longer
   ago than the `backfill` window, or undated, is archived as usual but its alert rows are
   `skipped` (never claimed, never posted), so a fresh archive does not flood the channel with
   every feed's backlog. A thread reply under a skipped alert is skipped too.

Scraped values are cut to their column's declared String(N) length (`fit_columns`) before
they are stored or looked up: PostgreSQL refuses a longer one where SQLite stores it whole.

On PostgreSQL the article's agencies are row-locked (in id order, so workers storing one
article each cannot deadlock) before novelty is decided, so two workers cannot both file the
same quote as new. In a batch the earlier articles' locks and new rows are held to its
commit, so two workers' batches can wait on each other: PostgreSQL then fails one article's
statement, its SAVEPOINT is rolled back and `store_articles` returns the error
(`lost_lock_race`) for the caller to store it again after the commit. The Python
comparison (rapidfuzz) is done before the lock: holding it, a worker only reads and compares the
agency's statements committed since its first read, normally none. That is exact because an
agency's statements get their ids and are committed under its lock, so none can appear below
the ids already read. SQLite (one writer) takes the same path without row locks. Statements
with no agency are compared with every agency's and lock nothing, as before.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.orm import Session

from db.engine import chunks, is_postgres, scalars_in
from db.locks import write_lock
from db.models import Agency, Alert, Article, Feed, FeedEntry, Statement, utcnow
from items import ArticleItem

if TYPE_CHECKING:
    from config import RouteConfig
    from detect.model import Agency as FoundAgency
    from detect.model import Statement as FoundStatement

log = logging.getLogger(__name__)

NOVELTY_WINDOW = timedelta(days=365)
NOVELTY_CANDIDATES = 500


@dataclass(frozen=True)
class StoreResult:
    """What `store_article` added: ids of the article, its statements and alert rows."""

    article_id: int
    already_stored: bool
    new_statement_ids: tuple[int, ...] = ()
    duplicate_statement_ids: tuple[int, ...] = ()
    alert_ids: tuple[int, ...] = ()


@dataclass
class _Batch:
    """What one article has added so far (mutable while storing, then frozen)."""

    article_id: int
    backfill: str | None = None  # why this article's alerts are skipped, if they are
    feed: str | None = None  # the name of the feed it came through (a route filter)
    routes: tuple[RouteConfig, ...] = ()
    new: list[int] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)
    alerts: list[int] = field(default_factory=list)

    def result(self) -> StoreResult:
        return StoreResult(self.article_id, False, tuple(self.new), tuple(self.duplicates),
                           tuple(self.alerts))


@dataclass
class Candidates:
    """Rule 3's candidates, read before the agencies are locked: per agency id (None: any
    agency) its recent primary statements, oldest first, and per (agency id, quote) what each
    comparison made so far gave, so the lock only waits on comparisons with newer rows."""

    now: datetime
    agency_ids: dict[tuple[str, str], int] = field(default_factory=dict)  # those archived
    rows: dict[int | None, list[Statement]] = field(default_factory=dict)
    compared: dict[tuple[int | None, str], dict[int, bool]] = field(default_factory=dict)

    def horizon(self, agency_id: int | None) -> int:
        """The highest statement id read for this agency: later ones are caught up under lock."""
        rows = self.rows.get(agency_id)
        return rows[-1].id if rows else 0

    def add(self, agency_id: int | None, rows: list[Statement]) -> None:
        """Append `rows`, all newer than the horizon, oldest first."""
        self.rows.setdefault(agency_id, []).extend(rows)

    def first(self, agency_id: int | None, quote: str) -> Statement | None:
        """The earliest of the agency's last NOVELTY_CANDIDATES primaries with the same quote;
        only rows not compared before are compared now."""
        from detect.novelty import same_quote

        window = self.rows.get(agency_id, [])[-NOVELTY_CANDIDATES:]
        results = self.compared.setdefault((agency_id, quote), {})
        for row in window:
            if row.id not in results:
                results[row.id] = same_quote(quote, row.quote)
            if results[row.id]:
                return row
        return None


def url_hash(url: str) -> str:
    """The archive key of an (already canonical) article URL."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def fit_columns(model, values: dict[str, object]) -> dict[str, object]:
    """`values` with each string cut to the declared length of its `model` column (String(N)):
    PostgreSQL refuses a longer one where SQLite stores it whole, so both keep the same cut.
    Text columns have no length and keep their values whole."""
    columns = model.__table__.columns
    return {key: _cut(value, getattr(columns[key].type, "length", None))
            for key, value in values.items()}


def _cut(value: object, length: int | None) -> object:
    return value[:length] if isinstance(value, str) and length else value


def _insert_ignoring_conflict(session: Session, model, values: dict) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: the new id, or None if it existed."""
    return session.connection().scalar(_insert_or_nothing(is_postgres(session), model), values)


@functools.cache
def _insert_or_nothing(postgres: bool, model):
    # Built once per table, the values bound at execution (which names the columns): building
    # a statement (SQLAlchemy's coercions) cost more per article than SQLite's execute.
    table = model.__table__
    insert = (postgresql if postgres else sqlite).insert(table)
    return insert.on_conflict_do_nothing().returning(table.c.id)


# --- entries and articles --------------------------------------------------------------------


def entry_seen(session: Session, feed_id: int, entry_key: str) -> bool:
    """True if this feed's entry was seen before (its article need not be stored)."""
    return entry_key in seen_entry_keys(session, feed_id, [entry_key])


def seen_entry_keys(session: Session, feed_id: int, entry_keys: Sequence[str]) -> set[str]:
    """Those of `entry_keys` this feed has seen before, in one query per 500 keys."""
    return scalars_in(session, lambda keys: select(FeedEntry.entry_key).where(
        FeedEntry.feed_id == feed_id, FeedEntry.entry_key.in_(keys)), entry_keys)


def article_by_url(session: Session, canonical_url: str) -> Article | None:
    """The archived article at this canonical URL, if any."""
    return session.scalar(select(Article).where(Article.url_hash == url_hash(canonical_url)))


def archived_article_ids(session: Session, canonical_urls: Sequence[str]) -> dict[str, int]:
    """Canonical URL -> id of those of `canonical_urls` that are archived (ids only: no text)."""
    by_hash = {url_hash(url): url for url in canonical_urls}
    found: dict[str, int] = {}
    for hashes in chunks(list(by_hash)):
        rows = session.connection().execute(select(Article.url_hash, Article.id).where(
            Article.url_hash.in_(hashes)))
        found.update((by_hash[row.url_hash], row.id) for row in rows)
    return found


def link_entry(session: Session, feed_id: int, entry_key: str, article_id: int | None) -> None:
    """Record that a feed's entry points at an article; repeating it changes nothing."""
    values = {"feed_id": feed_id, "entry_key": entry_key, "article_id": article_id,
              "seen_at": utcnow()}
    if _insert_ignoring_conflict(session, FeedEntry, values) is None and article_id is not None:
        # Seen earlier without an article (e.g. the page failed): point it at one now.
        session.connection().execute(update(FeedEntry).where(
            FeedEntry.feed_id == feed_id, FeedEntry.entry_key == entry_key,
            FeedEntry.article_id.is_(None)).values(article_id=article_id))


def _insert_article(session: Session, item: ArticleItem, now: datetime) -> int | None:
    return _insert_ignoring_conflict(session, Article, fit_columns(Article, {
        "url": item.url, "url_hash": url_hash(item.url), "title": item.title or "",
        "published": item.published, "text": item.text or "", "text_source": item.text_source,
        "feed_id": item.feed_id, "fetched_at": now,
    }))


class ArticleToStore(NamedTuple):
    """One article of a `store_articles` batch: the item, its statements, its clock."""

    item: ArticleItem
    statements: Sequence[FoundStatement]
    now: datetime


def store_articles(session: Session, articles: Sequence[ArticleToStore], *, channel: str,
                   also_reported: bool = True, backfill: timedelta = timedelta(0),
                   routes: Sequence[RouteConfig] = ()) -> list[StoreResult | Exception]:
    """`store_article` for each, each in a SAVEPOINT of the caller's transaction: one the
    database refuses for its data, or that lost a lock race (`lost_lock_race`), is rolled
    back alone and its error returned in its place."""
    write_lock(session)
    polled = polled_feeds(session, {a.item.feed_id for a in articles}) if backfill else set()
    results: list[StoreResult | Exception] = []
    for article in articles:
        try:
            with session.begin_nested():
                results.append(store_article(
                    session, article.item, article.statements, channel=channel,
                    also_reported=also_reported, now=article.now, backfill=backfill,
                    routes=routes, first_poll=article.item.feed_id not in polled))
        except (DataError, UnicodeError) as exc:  # this article's values: the same every time
            results.append(exc)
        except DBAPIError as exc:
            if not lost_lock_race(exc):
                raise
            results.append(exc)
    return results


def lost_lock_race(exc: BaseException) -> bool:
    """True for PostgreSQL's deadlock or serialization failure (SQLSTATE class 40): each
    article locks in a fixed order, but a batch's earlier articles hold theirs, so two
    workers' batches can wait on each other. The article is worth storing again later."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in ("40P01", "40001")


def polled_feeds(session: Session, feed_ids: set[int]) -> set[int]:
    """Those of `feed_ids` polled successfully before: not on the first poll of rule 5."""
    return scalars_in(session, lambda ids: select(Feed.id).where(
        Feed.id.in_(ids), Feed.last_success_at.is_not(None)), sorted(feed_ids))


def store_article(session: Session, item: ArticleItem, statements: Sequence[FoundStatement],
                  *, channel: str, also_reported: bool = True, now: datetime | None = None,
                  backfill: timedelta = timedelta(0), routes: Sequence[RouteConfig] = (),
                  candidates: Candidates | None = None,
                  first_poll: bool | None = None) -> StoreResult:
    """Add an article with its statements and alert rows to the session; the caller commits.
    `backfill` is the window of rule 5 (zero: every article is alerted) and `first_poll`
    whether it applies (None: looked up); no `routes`: every alert goes to `channel`;
    `candidates` (read_candidates), if already read for them."""
    if candidates is not None and now is not None and candidates.now != now:
        raise ValueError(f"candidates were read for {candidates.now}, not {now}")
    now = candidates.now if candidates is not None else now or utcnow()
    statements = [_fitted(found) for found in statements]
    if candidates is None:
        candidates = read_candidates(session, statements, now)  # no query without statements
    article_id = _insert_article(session, item, now)
    if article_id is None:
        # Stored before, or by another worker a moment ago (its insert won the unique key).
        article_id = archived_article_ids(session, [item.url])[item.url]
        link_entry(session, item.feed_id, item.entry_key, article_id)
        log.debug("article already stored url=%s feed=%s", item.url, item.feed)
        return StoreResult(article_id, already_stored=True)
    link_entry(session, item.feed_id, item.entry_key, article_id)
    if backfill and first_poll is None:
        first_poll = item.feed_id not in polled_feeds(session, {item.feed_id})
    batch = _Batch(article_id, _backfill_reason(item, now, backfill if first_poll else None),
                   item.feed, tuple(routes))
    # Also the agencies of quotes rule 2 drops, as before.
    agencies = _agencies(session, statements, candidates.agency_ids)
    _lock_agencies(session, agencies)
    found_in = [(found, _agency_of(found, agencies)) for found in _distinct(statements)]
    _catch_up(session, candidates, found_in, article_id)
    for found, agency in found_in:
        first = candidates.first(agency.id if agency else None, found.quote)
        _store_statement(session, batch, found, agency, first, channel, also_reported, now)
    log.info("article stored url=%s feed=%s statements=%d alerts=%d", item.url, item.feed,
             len(batch.new) + len(batch.duplicates), len(batch.alerts))
    return batch.result()


def _distinct(statements: Sequence[FoundStatement]) -> list[FoundStatement]:
    """Rule 2: the statements less those whose quote is the same as an earlier one's."""
    from detect.novelty import same_quote

    kept: list[FoundStatement] = []
    for found in statements:
        if not any(same_quote(found.quote, other.quote) for other in kept):
            kept.append(found)
    return kept


def _backfill_reason(item: ArticleItem, now: datetime, window: timedelta | None) -> str | None:
    """Why rule 5 skips this article's alerts on its feed's first poll (`window` None or
    zero: not the first poll, or no backfill), or None when they are posted."""
    if not window:
        return None
    if item.published is None:
        return "backfill: undated, first poll of the feed"
    if item.published < now - window:
        return f"backfill: published {item.published.date().isoformat()}, first poll of the feed"
    return None


# --- agencies --------------------------------------------------------------------------------


def _fitted(found: FoundStatement) -> FoundStatement:
    """`found` with the scraped names of its agency cut to their columns (fit_columns), so
    the agency is looked up, grouped and stored under the name both engines keep."""
    agency = found.agency
    if agency is None:
        return found
    names = fit_columns(Agency, {"name": agency.name, "place": agency.place})
    return replace(found, agency=replace(agency, **names))


def _agency_key(found: FoundAgency) -> tuple[str, str]:
    return found.name, found.state or ""


def _agency_of(found: FoundStatement, agencies: dict[tuple[str, str], Agency]) -> Agency | None:
    return agencies[_agency_key(found.agency)] if found.agency else None


def _agencies(session: Session, statements: Sequence[FoundStatement],
              known: dict[tuple[str, str], int]) -> dict[tuple[str, str], Agency]:
    """Get or create every agency named in `statements`; `known` ids are not looked up again."""
    found = {_agency_key(s.agency): s.agency for s in statements if s.agency is not None}
    return {key: session.get(Agency, known[key]) if key in known
            else _get_or_create_agency(session, found[key]) for key in sorted(found)}


def _lock_agencies(session: Session, agencies: dict[tuple[str, str], Agency]) -> None:
    """On PostgreSQL, lock the agencies' rows for this transaction (SQLite has one writer)."""
    if not agencies or not is_postgres(session):
        return
    # In id order, so concurrent workers take the same rows in the same order.
    ids = sorted(row.id for row in agencies.values())
    # populate_existing: see last_stance as committed by whoever held the lock before us.
    session.scalars(select(Agency).where(Agency.id.in_(ids)).order_by(Agency.id)
                    .with_for_update().execution_options(populate_existing=True)).all()


def _find_agency(session: Session, name: str, state: str | None) -> Agency | None:
    return session.scalar(select(Agency).where(
        Agency.name == name, func.coalesce(Agency.state, "") == (state or "")))


def _get_or_create_agency(session: Session, found: FoundAgency) -> Agency:
    agency = _find_agency(session, found.name, found.state)
    if agency is None:
        _insert_ignoring_conflict(session, Agency, {
            "name": found.name, "kind": found.kind, "place": found.place, "state": found.state})
        agency = _find_agency(session, found.name, found.state)
    return agency


# --- statements ------------------------------------------------------------------------------


def _store_statement(session: Session, batch: _Batch, found: FoundStatement,
                     agency: Agency | None, first: Statement | None, channel: str,
                     also_reported: bool, now: datetime) -> None:
    from detect.novelty import normalize_quote

    row = _statement_row(found, agency, normalize_quote(found.quote), batch.article_id, now)
    row.duplicate_of_id = first.id if first else None
    if first is None:
        _note_stance(row, agency)
    session.add(row)
    session.flush()
    (batch.duplicates if first else batch.new).append(row.id)
    if batch.routes:
        alerts = _routed_alerts(session, batch, row, first, also_reported, now)
    else:
        alerts = [_alert_for(session, row, first, channel, also_reported, now, batch.backfill)]
    batch.alerts.extend(alert.id for alert in alerts if alert is not None)
    log.info("statement stored statement_id=%d agency=%s duplicate_of=%s", row.id,
             agency.name if agency else None, row.duplicate_of_id)


def _statement_row(found: FoundStatement, agency: Agency | None, quote_key: str,
                   article_id: int, now: datetime) -> Statement:
    scraped = fit_columns(Statement, {
        "agency_as_written": found.agency.as_written if found.agency else None,
        "speaker": found.speaker, "speaker_title": found.speaker_title, "quote": found.quote})
    return Statement(
        article_id=article_id, agency_id=agency.id if agency else None, **scraped,
        quote_key=quote_key, kind=found.kind, stance=found.stance, score=float(found.score),
        cues=list(found.cues), created_at=now,
    )


# --- novelty (rule 3) ------------------------------------------------------------------------


def read_candidates(session: Session, statements: Sequence[FoundStatement],
                    now: datetime | None = None) -> Candidates:
    """Compare the statements' quotes with their agencies' recent primaries as committed now,
    locking and writing nothing; `store_article` catches up on newer ones under its lock."""
    statements = _distinct([_fitted(found) for found in statements])
    candidates = Candidates(now or utcnow())
    quotes: dict[int | None, list[str]] = {}
    for found in statements:
        agency_id = _archived_agency_id(session, candidates, found.agency)
        if found.agency is None or agency_id is not None:  # an agency not archived has none
            quotes.setdefault(agency_id, []).append(found.quote)
    for agency_id, its_quotes in quotes.items():
        candidates.add(agency_id, _recent_primaries(session, agency_id, candidates.now))
        for quote in its_quotes:
            candidates.first(agency_id, quote)  # compared now, remembered for the lock
    return candidates


def _archived_agency_id(session: Session, candidates: Candidates,
                        found: FoundAgency | None) -> int | None:
    """The id of the archived agency `found` names (noted in `candidates`), or None."""
    if found is None:
        return None
    key = _agency_key(found)
    if key not in candidates.agency_ids:
        agency = _find_agency(session, found.name, found.state)
        if agency is None:
            return None
        candidates.agency_ids[key] = agency.id
    return candidates.agency_ids[key]


def _catch_up(session: Session, candidates: Candidates,
              found_in: list[tuple[FoundStatement, Agency | None]], article_id: int) -> None:
    """Under the lock: add the primaries committed since `candidates` were read."""
    for agency_id in dict.fromkeys(agency.id if agency else None for _, agency in found_in):
        candidates.add(agency_id, _recent_primaries(session, agency_id, candidates.now,
                                                    article_id, candidates.horizon(agency_id)))


def _recent_primaries(session: Session, agency_id: int | None, now: datetime,
                      article_id: int | None = None, after: int = 0) -> list[Statement]:
    """The last NOVELTY_CANDIDATES primaries of NOVELTY_WINDOW with ids above `after`, of
    the agency (None: of any agency) and not of `article_id`, oldest first."""
    query = (select(Statement)
             .where(Statement.duplicate_of_id.is_(None), Statement.id > after,
                    Statement.created_at >= now - NOVELTY_WINDOW)
             .order_by(Statement.id.desc()).limit(NOVELTY_CANDIDATES))
    if agency_id is not None:
        query = query.where(Statement.agency_id == agency_id)
    if article_id is not None:
        query = query.where(Statement.article_id != article_id)
    return list(reversed(session.scalars(query).all()))


def _note_stance(row: Statement, agency: Agency | None) -> None:
    """Record a stance change against the agency's last archived stance, then update it."""
    if agency is None or row.stance is None:
        return
    if agency.last_stance is not None and agency.last_stance != row.stance:
        row.previous_stance = agency.last_stance
    agency.last_stance = row.stance


def _alert_for(session: Session, row: Statement, first: Statement | None, channel: str,
               also_reported: bool, now: datetime, backfill: str | None) -> Alert | None:
    """The outbox row for a statement: a new alert, a thread reply, or none."""
    if first is None:
        alert = Alert(key=f"statement:{row.id}", statement_id=row.id, kind="statement",
                      channel=channel, next_attempt_at=now, created_at=now)
    elif also_reported:
        parent = session.execute(select(Alert.id, Alert.status).where(
            Alert.key == f"statement:{first.id}")).first()
        alert = Alert(key=f"also:{row.id}", statement_id=row.id, kind="also_reported",
                      channel=channel, parent_alert_id=parent.id if parent else None,
                      next_attempt_at=now, created_at=now)
        if backfill is None and parent is not None and parent.status == "skipped":
            backfill = "backfill: its first report was not alerted"
    else:
        return None
    if backfill is not None:
        alert.status, alert.last_error = "skipped", backfill
    session.add(alert)
    session.flush()
    return alert


def _routed_alerts(session: Session, batch: _Batch, row: Statement, first: Statement | None,
                   also_reported: bool, now: datetime) -> list[Alert]:
    """The outbox rows for a statement under routes: one per destination it matches, or for
    a re-report one reply under each alert of its first report."""
    if first is None:
        alerts = _statement_alerts(batch, row, now)
    elif also_reported:
        alerts = _reply_alerts(session, row, first, now)
    else:
        return []
    for alert in alerts:
        if batch.backfill is not None:
            alert.status, alert.last_error = "skipped", batch.backfill
        session.add(alert)
    session.flush()
    return alerts


def _statement_alerts(batch: _Batch, row: Statement, now: datetime) -> list[Alert]:
    from alerts.routes import destinations, facts_of

    return [Alert(key=place.key(f"statement:{row.id}"), statement_id=row.id, kind="statement",
                  channel=place.channel, route=place.route, sink=place.sink,
                  next_attempt_at=now, created_at=now)
            for place in destinations(batch.routes, facts_of(row, batch.feed), "")]


def _reply_alerts(session: Session, row: Statement, first: Statement,
                  now: datetime) -> list[Alert]:
    """One reply where each of the first report's alerts went (skipped where it was)."""
    from alerts.routes import Destination

    parents = session.scalars(select(Alert).where(
        Alert.statement_id == first.id, Alert.kind == "statement").order_by(Alert.id)).all()
    replies = []
    for parent in parents:
        place = Destination(parent.channel, parent.route, parent.sink)
        reply = Alert(key=place.key(f"also:{row.id}"), statement_id=row.id,
                      kind="also_reported", channel=place.channel, route=place.route,
                      sink=place.sink, parent_alert_id=parent.id, next_attempt_at=now,
                      created_at=now)
        if parent.status == "skipped":
            reply.status, reply.last_error = "skipped", "backfill: its first report was not alerted"
        replies.append(reply)
    return replies


# --- entries the database refused ------------------------------------------------------------


def record_refused_entries(session: Session, feed_id: int, *, refused: Sequence[str],
                           **poll) -> Feed | None:
    """Record a poll whose feed was read but whose `refused` entries (their reasons) the
    database would not store: the feed keeps the poll's validators and schedule
    (`db.feeds.record_success`, None as it returns), but its status is `error` with the
    first reason."""
    from db.feeds import clean_error, record_success
    from db.models import FetchLog

    feed = record_success(session, feed_id, **poll)
    if feed is None:
        return None
    count = f"{len(refused)} entries" if len(refused) > 1 else "1 entry"
    feed.status, feed.last_error = "error", clean_error(f"{count} not stored: {refused[0]}")
    session.flush()
    fetch = session.scalar(select(FetchLog).where(FetchLog.feed_id == feed_id)
                           .order_by(FetchLog.id.desc()).limit(1))
    fetch.outcome, fetch.error = "error", feed.last_error
    return feed
