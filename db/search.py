"""Searching the archive: one function over SQLite FTS5 and PostgreSQL tsvector.

What a query matches: a primary statement (not a re-report) whose quote, speaker or agency
as written matches, whose canonical agency name or place matches, or whose article's title
or text matches — or any of that in one of its re-reports (duplicates). Statements matched
by their own words or agency rank before those matched only through article text; within
each group the newest come first. An empty query applies the filters only, newest first.

The review filter reads the reviews table (Slack's buttons): "unreviewed" and "reviewed" ask
whether a statement has any review; a verdict ("correct", ...) asks for statements whose
latest review, their label, gave it.

Query syntax is web-search style on both engines: words are ANDed, "quoted phrases", `OR`
between terms (AND binds tighter: `a b OR c` is a and b, or c), `-word` to exclude, and
`immigra*` for any word starting with "immigra" (as in detect.query). Words match by their
stem ("detainer" finds "detainers"), case-insensitively. User text never raises a syntax
error: on SQLite every term is quoted for FTS5; PostgreSQL's websearch_to_tsquery accepts
anything. A query with no positive term (only `-word`s or punctuation) is treated as empty.
The indexes hold stems ("immigration" and "immigrants" are both "immigr"), so a prefix is
asked of the index by its first syllable and then checked against the words as written.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timezone

from sqlalchemy import (
    Select,
    and_,
    case,
    column,
    func,
    literal_column,
    not_,
    or_,
    select,
    table,
)
from sqlalchemy.orm import Session, aliased

from db.engine import is_postgres
from db.models import VERDICTS, Agency, Article, Review, Statement

MAX_LIMIT = 10_000
# The `review` filter's values: no review yet, any review, or the latest review's verdict.
REVIEW_STATES = ("unreviewed", *VERDICTS, "reviewed")
# The CSV header of an export with no rows (a non-empty export names every SearchHit field).
EMPTY_CSV_FIELDS = ("published", "agency", "state", "stance", "speaker", "quote", "url",
                    "sources")
_TOKENS = re.compile(r'"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_REGCONFIG = literal_column("'english'::regconfig")
_SIMPLE = literal_column("'simple'::regconfig")  # no stemming, no stop words: for prefixes
_PREFIX = re.compile(r"\w+")
_FIRST_SYLLABLE = re.compile(r"([^aeiou]*?)([aeiou]+)([^aeiou]?)")
# The columns each table's search document is made of (migration 0001 builds the indexes).
SEARCH_COLUMNS = {
    "articles": ("title", "text"),
    "statements": ("quote", "speaker", "agency_as_written"),
    "agencies": ("name", "place"),
}


@dataclass(frozen=True)
class SearchHit:
    """One primary statement found, with its article and how many sources carry it."""

    statement_id: int
    quote: str
    speaker: str | None
    speaker_title: str | None
    agency: str | None
    state: str | None
    stance: str | None
    previous_stance: str | None
    url: str
    title: str
    published: datetime | None
    sources: int
    score: float
    cues: tuple[str, ...]


def search(session: Session, query: str, *, agency: str | None = None,
           state: str | None = None, stance: str | None = None,
           since: date | datetime | None = None, review: str | None = None,
           limit: int | None = 100) -> list[SearchHit]:
    """Primary statements matching `query` and the filters, best matches first; every one
    of them when `limit` is None (export), else at most `limit` (capped at MAX_LIMIT)."""
    statement = _matching_statements(session, query, agency=agency, state=state,
                                     stance=stance, since=since, review=review)
    if limit is not None:
        statement = statement.limit(max(1, min(limit, MAX_LIMIT)))
    return [_hit(*row) for row in session.execute(statement)]


def search_page(session: Session, query: str, *, offset: int = 0, limit: int = 50,
                **filters) -> tuple[list[SearchHit], int]:
    """One page of `search` (`limit` hits from `offset`) and how many match in all."""
    statement = _matching_statements(session, query, **filters)
    statement = statement.offset(max(0, offset)).limit(max(1, min(limit, MAX_LIMIT)))
    hits = [_hit(*row) for row in session.execute(statement)]
    return hits, count(session, query, **filters)


def count(session: Session, query: str, *, agency: str | None = None,
          state: str | None = None, stance: str | None = None,
          since: date | datetime | None = None, review: str | None = None) -> int:
    """How many primary statements match (what `search` would return without a limit)."""
    statement = _matching_statements(session, query, agency=agency, state=state,
                                     stance=stance, since=since, review=review).order_by(None)
    return session.scalar(select(func.count()).select_from(statement.subquery())) or 0


def _matching_statements(session: Session, query: str, **filters) -> Select:
    query = _CONTROL.sub(" ", query or "")  # PostgreSQL refuses NUL in text
    statement = _filter(_base(), **filters)
    parsed = SearchQuery.parse(query)
    # Newest articles first; within one article, statements in reading order.
    newest = (func.coalesce(Article.published, Article.fetched_at).desc(), Article.id.desc(),
              Statement.id)
    if parsed.groups:
        own, related = _matching(session, parsed)
        statement = statement.where(or_(own, related))
        return statement.order_by(case((own, 0), else_=1), *newest)
    return statement.order_by(*newest)


def _base() -> Select:
    duplicate = aliased(Statement, name="dup")
    sources = (select(func.count(duplicate.id)).where(duplicate.duplicate_of_id == Statement.id)
               .correlate(Statement).scalar_subquery())
    return (select(Statement, Article, Agency, sources)
            .join(Article, Statement.article_id == Article.id)
            .outerjoin(Agency, Statement.agency_id == Agency.id)
            .where(Statement.duplicate_of_id.is_(None)))


def _filter(statement: Select, *, agency, state, stance, since, review=None) -> Select:
    if agency:
        needle = _CONTROL.sub(" ", agency).strip().lower()
        statement = statement.where(or_(
            func.lower(Agency.name).contains(needle, autoescape=True),
            func.lower(Statement.agency_as_written).contains(needle, autoescape=True)))
    if state:
        statement = statement.where(Agency.state == state.strip().upper())
    if stance:
        statement = statement.where(Statement.stance == stance.strip().lower())
    if since is not None:
        statement = statement.where(
            func.coalesce(Article.published, Article.fetched_at) >= _as_datetime(since))
    if review:
        statement = statement.where(_reviewed_as(review))
    return statement


def _reviewed_as(review: str):
    """The condition on Statement for a REVIEW_STATES value; ValueError for anything else."""
    reviews = select(Review.id).where(Review.statement_id == Statement.id).exists()
    if review == "unreviewed":
        return ~reviews
    if review == "reviewed":
        return reviews
    if review not in VERDICTS:
        raise ValueError(f"review must be one of {', '.join(REVIEW_STATES)}, not {review!r}")
    # The latest review is the statement's label (db.reviews.latest orders them the same way).
    latest = (select(Review.verdict).where(Review.statement_id == Statement.id)
              .order_by(Review.created_at.desc(), Review.id.desc()).limit(1)
              .correlate(Statement).scalar_subquery())
    return latest == review


def _as_datetime(value: date | datetime) -> datetime:
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


# --- full-text matching ----------------------------------------------------------------------


def _matching(session: Session, query: SearchQuery):
    """(own, related): conditions on the outer Statement for a full-text match of `query`."""
    statements = _ids(session, "statements", query)
    agencies = _ids(session, "agencies", query)
    articles = _ids(session, "articles", query)
    reports = aliased(Statement, name="report")
    rereported = select(reports.duplicate_of_id).where(
        reports.duplicate_of_id.is_not(None),
        or_(reports.id.in_(statements), reports.article_id.in_(articles)))
    own = or_(Statement.id.in_(statements), Statement.agency_id.in_(agencies))
    related = or_(Statement.article_id.in_(articles), Statement.id.in_(rereported))
    return own, related


def _ids(session: Session, name: str, query: SearchQuery) -> Select:
    """Ids of rows of table `name` whose search document matches `query`.

    A query with a prefix term (`immigra*`) is first matched on the index with each prefix
    cut to its first syllable (the index holds stems: "immigration" is "immigr"), then
    exactly, each prefix against the words as written.
    """
    postgres = is_postgres(session)
    rows = table(name, column("id"), column("search_vector"),
                 *(column(c) for c in SEARCH_COLUMNS[name])).alias(f"{name}_match")
    if postgres:
        tsquery = (query.tsquery() if query.has_prefix
                   else func.websearch_to_tsquery(_REGCONFIG, query.text))
        index = rows.c.search_vector.op("@@")(tsquery)
    else:
        fts = table(f"{name}_fts", column("rowid"))
        index = select(fts.c.rowid).where(
            literal_column(f"{name}_fts").op("MATCH")(query.fts5()))
        if not query.has_prefix:
            return index
        index = rows.c.id.in_(index)
    if not query.has_prefix:
        return select(rows.c.id).where(index)
    return select(rows.c.id).where(index, query.exact(_term_condition(session, name, rows)))


def _term_condition(session: Session, name: str, rows):
    """A function: one Term -> SQL true when a row of `rows` matches it exactly."""
    columns = [func.coalesce(rows.c[c], "") for c in SEARCH_COLUMNS[name]]
    if is_postgres(session):
        def matches(term: Term):
            if term.prefix:
                # \m: the start of a word; the term is letters and digits only (Term.parse).
                return or_(*(c.op("~*")(r"\m" + term.text) for c in columns))
            words = term.tsquery()
            # A stop word ("the") matches nothing in the index: it is left out, as in
            # websearch_to_tsquery.
            return or_(func.numnode(words) == 0, rows.c.search_vector.op("@@")(words))
        return matches
    fts = table(f"{name}_fts", column("rowid"))

    def matches(term: Term):
        index = rows.c.id.in_(select(fts.c.rowid).where(
            literal_column(f"{name}_fts").op("MATCH")(term.fts5())))
        if not term.prefix:
            return index
        # A word starting with the prefix: preceded by a non-word character (or the start).
        pattern = f"*[^a-z0-9_]{term.text.lower()}*"
        return and_(index, or_(*((" " + func.lower(c)).op("GLOB")(pattern) for c in columns)))
    return matches


@dataclass(frozen=True)
class Term:
    """One search term: a word, a "quoted phrase", or a word prefix written `immigra*`."""

    text: str
    prefix: bool = False

    @classmethod
    def parse(cls, phrase: str, word: str) -> Term | None:
        """The term a token stands for, or None if it has no word character."""
        text = phrase if not word else word
        stem = text.rstrip("*")
        if word and stem != text and _PREFIX.fullmatch(stem):
            return cls(stem, prefix=True)
        return cls(text) if _WORD.search(text) else None

    def probe(self) -> str:
        """The prefix an index of stems can be asked for, which the stem of every word
        starting with the term keeps: up to its first vowels and the consonant after them
        ("immigra" -> "im", "deport" -> "dep"), as stemmers keep that much; but only the
        first vowel when no consonant (or an s, or a y) follows, since "ties" stems to "ti",
        "gas" to "ga" and, in Porter's, "bay" to "bai"."""
        text = self.text.lower()
        match = _FIRST_SYLLABLE.match(text)
        if match is None:
            return text  # no vowel (digits, "287g"): the index holds the word as written
        start, vowels, consonant = match.groups()
        return start + (vowels + consonant if consonant not in ("", "s", "y") else vowels[0])

    def fts5(self) -> str:
        if self.prefix:
            return '"' + self.probe() + '"*'
        return '"' + self.text.replace('"', '""') + '"'

    def tsquery(self):
        if self.prefix:
            return func.to_tsquery(_SIMPLE, f"'{self.probe()}':*")
        return func.phraseto_tsquery(_REGCONFIG, self.text)


@dataclass(frozen=True)
class SearchQuery:
    """A parsed query: groups of terms ANDed within, ORed between; `exclude` is NOT-ed.

    `fts5` and `tsquery` match at least what the query does (prefixes by their probe);
    `exact` is the query itself.
    """

    text: str
    groups: tuple[tuple[Term, ...], ...]
    exclude: tuple[Term, ...]

    @classmethod
    def parse(cls, text: str) -> SearchQuery:
        groups: list[list[Term]] = [[]]
        exclude: list[Term] = []
        for phrase, word in _TOKENS.findall(text or ""):
            if word == "OR":
                if groups[-1]:
                    groups.append([])
                continue
            negated = bool(word) and word.startswith("-") and len(word) > 1
            term = Term.parse(phrase, word[1:] if negated else word)
            if term is not None:
                (exclude if negated else groups[-1]).append(term)
        positive = tuple(tuple(group) for group in groups if group)
        return cls(text or "", positive, tuple(exclude) if positive else ())

    @property
    def has_prefix(self) -> bool:
        return any(term.prefix for group in self.groups for term in group + self.exclude)

    def fts5(self) -> str:
        """The FTS5 expression; "" when there is no positive term."""
        if not self.groups:
            return ""
        expression = " OR ".join(" ".join(t.fts5() for t in group) for group in self.groups)
        # An excluded prefix's probe would exclude too much ("im"* drops "important"): it is
        # left to the exact match.
        return "(" + expression + ")" + "".join(f" NOT {t.fts5()}" for t in self.exclude
                                                if not t.prefix)

    def tsquery(self):
        """The PostgreSQL tsquery, the same tree as `fts5` (prefixes probed, see Term)."""
        def every(terms, operator):
            result = terms[0]
            for term in terms[1:]:
                result = result.op(operator)(term)
            return result

        tree = every([every([t.tsquery() for t in group], "&&") for group in self.groups], "||")
        for term in self.exclude:
            if not term.prefix:  # as in fts5
                tree = tree.op("&&")(func.tsquery_not(term.tsquery()))
        return tree

    def exact(self, matches):
        """The same tree as SQL conditions, each term through `matches(term)`."""
        tree = or_(*(and_(*(matches(t) for t in group)) for group in self.groups))
        return and_(tree, *(not_(matches(t)) for t in self.exclude))


def fts5_query(text: str) -> str:
    """`text` as a safe FTS5 expression (web-search style), or "" if it has no positive term.
    A prefix term is asked for by its first syllable here (`Term.probe`)."""
    return SearchQuery.parse(text).fts5()


def _hit(statement: Statement, article: Article, agency: Agency | None,
         duplicates: int) -> SearchHit:
    return SearchHit(
        statement_id=statement.id, quote=statement.quote, speaker=statement.speaker,
        speaker_title=statement.speaker_title,
        agency=agency.name if agency else statement.agency_as_written,
        state=agency.state if agency else None, stance=statement.stance,
        previous_stance=statement.previous_stance, url=article.url, title=article.title,
        published=article.published, sources=1 + (duplicates or 0), score=statement.score,
        cues=tuple(statement.cues or ()),
    )


# --- export: the same hits as JSON or CSV, for `beatwire search/export` and the web app -------


def hit_record(hit: SearchHit) -> dict:
    """A hit as a JSON-ready dict (dates as ISO 8601)."""
    return {key: value.isoformat() if isinstance(value, (date, datetime)) else value
            for key, value in asdict(hit).items()}


def export_hits(hits: list[SearchHit], fmt: str) -> str:
    """Hits as a JSON list (`fmt` "json", exact) or CSV with a header ("csv"; cues as JSON
    lists; a cell a spreadsheet would run as a formula is prefixed, see `csv_cell`)."""
    rows = [hit_record(hit) for hit in hits]
    if fmt == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else EMPTY_CSV_FIELDS,
                            extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: csv_cell(json.dumps(list(v)) if isinstance(v, (list, tuple)) else v)
                      for k, v in row.items()} for row in rows)
    return buffer.getvalue()


def csv_cell(value):
    """`value` for a CSV cell a spreadsheet will not run: text beginning with = + - @, tab or
    CR gets a leading ' (OWASP's rule against formula injection). Numbers stay numbers."""
    if isinstance(value, str) and value[:1] in _FORMULA_STARTS:
        return "'" + value
    return value
