"""Search: one function over FTS5 and tsvector; filters; hostile query text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from db import reviews
from db.archive import store_article
from db.models import Statement
from db.search import fts5_query, search

BECK = "We are not going to work in conjunction with Homeland Security on deportation efforts."
MAGNUS = "We will not enforce federal immigration law or ask people about their status."
DENVER = "We will continue to honor detainers from ICE when there is a warrant."
SHERIFF = "The sheriff's department cooperates with ICE on transfers at the jail."


@pytest.fixture
def archive(sessions, make_feed, make_article, make_statement, clock):
    """Four statements from three articles; BECK re-reported by a second outlet."""
    a, b = make_feed("outlet-a"), make_feed("outlet-b")
    day = timedelta(days=1)
    rows = [
        (make_article(a, title="Police chiefs on deportation", text="Chiefs in Los Angeles "
                      "and Tucson spoke.", published=clock() - 10 * day),
         [make_statement(BECK, agency="Los Angeles Police Department", state="CA",
                         as_written="LAPD", speaker="Charlie Beck"),
          make_statement(MAGNUS, agency="Tucson Police Department", state="AZ",
                         speaker="Chris Magnus")]),
        (make_article(a, title="Denver holds", text="A mountain city weighs detainers.",
                      published=clock() - 5 * day),
         [make_statement(DENVER, stance="mixed", speaker=None)]),
        (make_article(b, title="County jail transfers", text="Sheriff spokesman Nicole Nishida.",
                      published=clock() - 1 * day),
         [make_statement(SHERIFF, agency="Los Angeles County Sheriff's Department", state="CA",
                         as_written="LA County Sheriff", stance="cooperates", speaker=None)]),
        (make_article(b, title="Outlet B on the LAPD", text="Zeppelin reporting repeats it.",
                      published=clock()),
         [make_statement(BECK, agency="Los Angeles Police Department", state="CA",
                         speaker="Charlie Beck")]),
    ]
    for item, statements in rows:
        with sessions.begin() as session:
            store_article(session, item, statements, channel="#t", now=clock())
    return sessions


def _quotes(hits) -> list[str]:
    return [hit.quote for hit in hits]


def _run(sessions, query="", **filters):
    with sessions() as session:
        return search(session, query, **filters)


def test_empty_query_lists_primaries_newest_first(archive):
    assert _quotes(_run(archive)) == [SHERIFF, DENVER, BECK, MAGNUS]


def test_rereports_count_as_sources(archive):
    hits = {h.quote: h for h in _run(archive)}
    assert (hits[BECK].sources, hits[MAGNUS].sources) == (2, 1)
    assert hits[BECK].agency == "Los Angeles Police Department" and hits[BECK].state == "CA"
    assert hits[BECK].cues == ('refuses: "will not honor"',) and hits[BECK].score == 0.9


@pytest.mark.parametrize("query, expected", [
    ("deportation", [BECK, MAGNUS]),
    ("Homeland Security", [BECK]),
    ('"homeland security"', [BECK]),
    ("Magnus", [MAGNUS]),
    ("LAPD", [BECK]),
    ("Tucson", [MAGNUS, BECK]),
    ("detainer", [DENVER]),
    ("Nishida", [SHERIFF]),
    ("Zeppelin", [BECK]),
    ("deportation OR transfers", [SHERIFF, BECK, MAGNUS]),
    ("ICE -jail", [DENVER]),
    ("nothingmatcheszzz", []),
], ids=["quote-word", "quote-words", "phrase", "speaker", "agency-as-written",
        "agency-place-and-article", "stemmed", "article-text", "rereport-article", "or",
        "exclude", "no-match"])
def test_query_matches(archive, query, expected):
    assert _quotes(_run(archive, query)) == expected


@pytest.mark.parametrize("query", [
    '"', "AND", "OR", "NOT", "(", ")", "*", "a:b", "-", "'; DROP TABLE statements; --",
    '"unterminated phrase', "near(ice)", "^ice", "ice*", "col:ice", "{ice}", "\x00", "🚓",
], ids=lambda q: repr(q)[:24])
def test_hostile_queries_never_raise(archive, query):
    hits = _run(archive, query)
    archived = {SHERIFF, DENVER, BECK, MAGNUS}
    assert set(_quotes(hits)) <= archived
    # The query is data, never SQL: the archive is whole afterwards.
    assert set(_quotes(_run(archive))) == archived


@pytest.mark.parametrize("filters, expected", [
    ({"agency": "los angeles"}, [SHERIFF, BECK]),
    ({"agency": "lapd"}, [BECK]),
    ({"agency": "100%_"}, []),
    ({"state": "az"}, [MAGNUS]),
    ({"stance": "cooperates"}, [SHERIFF]),
    ({"stance": "refuses", "state": "CA"}, [BECK]),
    ({"since": "days-6"}, [SHERIFF, DENVER]),
    ({"since": "date"}, [SHERIFF, DENVER]),
    ({"limit": 1}, [SHERIFF]),
], ids=["agency-substring", "agency-as-written", "agency-wildcards-literal", "state",
        "stance", "stance-and-state", "since-datetime", "since-date", "limit"])
def test_filters(archive, clock, filters, expected):
    if filters.get("since") == "days-6":
        filters = {"since": clock() - timedelta(days=6)}
    elif filters.get("since") == "date":
        filters = {"since": (clock() - timedelta(days=6)).date()}
    assert _quotes(_run(archive, **filters)) == expected


def test_filters_combine_with_query(archive):
    assert _quotes(_run(archive, "police", state="AZ")) == [MAGNUS]


def test_hit_carries_article(archive):
    [hit] = _run(archive, "Magnus")
    assert hit.title == "Police chiefs on deportation" and hit.url.startswith("https://")
    assert hit.published.tzinfo is not None and hit.previous_stance is None


@pytest.mark.parametrize("text, expected", [
    ("ice", '("ice")'),
    ("ice detainer", '("ice" "detainer")'),
    ('"homeland security" ice', '("homeland security" "ice")'),
    ("a OR b", '("a" OR "b")'),
    ("OR a OR", '("a")'),
    ("ice -jail", '("ice") NOT "jail"'),
    ('say "hi', '("say" "hi")'),
    ('x"y', '("x""y")'),
    ("-jail", ""),
    ("  ", ""),
    ("!!! ???", ""),
    ("immigra*", '("im"*)'),
    ("ice* -jail", '("ic"*) NOT "jail"'),
    ("[x*", '("[x*")'),
], ids=["word", "words", "phrase", "or", "dangling-or", "not", "unterminated", "inner-quote",
        "only-negative", "blank", "punctuation", "prefix-by-first-syllable",
        "prefix-and-not", "star-after-punctuation-is-a-word"])
def test_fts5_query(text, expected):
    assert fts5_query(text) == expected


def test_since_naive_datetime_is_utc(archive, clock):
    naive = (clock() - timedelta(days=2)).replace(tzinfo=None)
    assert _quotes(_run(archive, since=naive)) == [SHERIFF]


@pytest.fixture
def crowded(sessions, make_feed, make_article, make_statement, clock):
    """One hundred and five statements, one article each."""
    feed = make_feed("outlet-c")
    for n in range(105):
        item = make_article(feed, title=f"Story {n}", text=f"Story number {n}.",
                            published=clock() - timedelta(hours=n))
        with sessions.begin() as session:
            store_article(session, item, [make_statement(f"Statement {n} on ICE detainers.",
                                                         speaker=None)],
                          channel="#t", now=clock())
    return sessions


LIMITS = [("no-limit-is-every-match", "", None, 105), ("a-limit-caps", "", 100, 100),
          ("a-query-with-no-limit", "detainers", None, 105)]


@pytest.mark.parametrize("query,limit,found", [x[1:] for x in LIMITS], ids=[x[0] for x in LIMITS])
def test_limit_none_returns_every_match(crowded, query, limit, found):
    assert len(_run(crowded, query, limit=limit)) == found


def test_count_is_the_number_of_matches(crowded):
    from db.search import count

    with crowded() as session:
        assert count(session, "") == 105 and count(session, "detainers") == 105
        assert count(session, "zeppelin") == 0


# -- prefixes: `immigra*` means any word starting with "immigra", as in detect.query ----------

IMMIGRATION = "Deputies will not ask about immigration status."
IMMIGRANTS = "The sheriff said immigrants are safe to report crimes."
IMPORTANT = "It is important that residents call 911."
INSIDE = "The chief spoke of nonimmigrant visas and deportations."


@pytest.fixture
def prefixes(sessions, make_feed, make_article, make_statement, clock):
    """Four statements, each in its own article: two words starting immigra, two not."""
    feed = make_feed("outlet-p")
    for n, quote in enumerate((IMMIGRATION, IMMIGRANTS, IMPORTANT, INSIDE)):
        item = make_article(feed, title=f"Story {n}", text=f"Story number {n}.",
                            published=clock() - timedelta(hours=n))
        with sessions.begin() as session:
            store_article(session, item, [make_statement(quote, speaker=None)],
                          channel="#t", now=clock())
    return sessions


@pytest.mark.parametrize("query, expected", [
    ("immigra*", [IMMIGRATION, IMMIGRANTS]),
    ("IMMIGRA*", [IMMIGRATION, IMMIGRANTS]),
    ("immigrant*", [IMMIGRANTS]),
    ("immigra* sheriff", [IMMIGRANTS]),
    ("immigra* -sheriff", [IMMIGRATION]),
    ("important OR immigrant*", [IMMIGRANTS, IMPORTANT]),
    ("deport*", [INSIDE]),
    ("-immigra* important", [IMPORTANT]),
    ("imm*", [IMMIGRATION, IMMIGRANTS]),
    ("immigra", []),
    ("status immigra*", [IMMIGRATION]),
    ("\"report crimes\" immigra*", [IMMIGRANTS]),
], ids=["prefix-two-words", "prefix-any-case", "prefix-longer", "prefix-and-word",
        "prefix-not-word", "word-or-prefix", "prefix-of-a-stemmed-word", "excluded-prefix",
        "short-prefix-not-mid-word", "no-star-is-a-whole-word", "word-then-prefix",
        "phrase-and-prefix"])
def test_prefix_matches_words_starting_with_it(prefixes, query, expected):
    assert _quotes(_run(prefixes, query)) == expected


def test_prefix_is_counted_as_searched(prefixes):
    from db.search import count

    with prefixes() as session:
        assert count(session, "immigra*") == 2


# -- the review filter: the reviews table (Slack's buttons), the latest verdict is the label ---


@pytest.fixture
def reviewed(archive, clock):
    """The archive with BECK reviewed correct then wrong stance, MAGNUS not relevant, DENVER
    correct, SHERIFF not reviewed."""
    verdicts = [(BECK, "correct", None), (MAGNUS, "not_relevant", None),
                (DENVER, "correct", None), (BECK, "wrong_stance", "mixed")]
    with archive.begin() as session:
        ids = dict(session.execute(select(Statement.quote, Statement.id)
                                   .where(Statement.duplicate_of_id.is_(None))).all())
        for n, (quote, verdict, stance) in enumerate(verdicts):
            reviews.record(session, ids[quote], reviewer_id="U1", reviewer_name="Ana",
                           verdict=verdict, stance=stance, request_digest=f"digest-{n}",
                           now=clock() + timedelta(minutes=n))
    return archive


@pytest.mark.parametrize("query, filters, expected", [
    ("", {"review": "unreviewed"}, [SHERIFF]),
    ("", {"review": "reviewed"}, [DENVER, BECK, MAGNUS]),
    ("", {"review": "correct"}, [DENVER]),
    ("", {"review": "wrong_stance"}, [BECK]),
    ("", {"review": "not_relevant"}, [MAGNUS]),
    ("", {"review": "wrong_speaker"}, []),
    ("", {"review": "reviewed", "state": "CA"}, [BECK]),
    ("police", {"review": "not_relevant"}, [MAGNUS]),
    ("", {"review": None}, [SHERIFF, DENVER, BECK, MAGNUS]),
], ids=["unreviewed-has-no-review", "reviewed-has-any", "correct-is-the-latest-verdict",
        "a-later-verdict-replaces-an-earlier", "not-relevant", "no-statement-with-the-verdict",
        "combines-with-other-filters", "combines-with-a-query", "none-is-every-statement"])
def test_review_filter(reviewed, query, filters, expected):
    from db.search import count

    assert _quotes(_run(reviewed, query, **filters)) == expected
    with reviewed() as session:
        assert count(session, query, **filters) == len(expected)


def test_an_unknown_review_state_names_the_choices(reviewed):
    with pytest.raises(ValueError, match="review must be one of unreviewed, correct, .*not 'maybe'"):
        _run(reviewed, review="maybe")
