"""Searching the archive: one function over SQLite FTS5 and PostgreSQL tsvector.

What a query matches: a primary statement (not a re-report) whose quote, speaker or agency
as written matches, whose canonical agency name or place matches, or whose article's title
or text matches — or any of that in one of its re-reports (duplicates). Statements matched
by their own words or agency rank before those matched only through article text; within
each group the newest come first. An empty query applies the filters only, newest first.

Query syntax is web-search style on both engines: words are ANDed, "quoted phrases", `OR`
between terms, `-word` to exclude. User text never raises a syntax error: on SQLite every
term is quoted for FTS5; PostgreSQL's websearch_to_tsquery accepts anything. A query with
no positive term (only `-word`s or punctuation) is treated as empty.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timezone

from sqlalchemy import Select, case, column, func, literal_column, or_, select, table
from sqlalchemy.orm import Session, aliased

from db.engine import is_postgres
from db.models import Agency, Article, Statement

MAX_LIMIT = 10_000
# The CSV header of an export with no rows (a non-empty export names every SearchHit field).
EMPTY_CSV_FIELDS = ("published", "agency", "state", "stance", "speaker", "quote", "url",
                    "sources")
_TOKENS = re.compile(r'"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_REGCONFIG = literal_column("'english'::regconfig")


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
           since: date | datetime | None = None, limit: int | None = 100) -> list[SearchHit]:
    """Primary statements matching `query` and the filters, best matches first; every one
    of them when `limit` is None (export), else at most `limit` (capped at MAX_LIMIT)."""
    statement = _matching_statements(session, query, agency=agency, state=state,
                                     stance=stance, since=since)
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
          since: date | datetime | None = None) -> int:
    """How many primary statements match (what `search` would return without a limit)."""
    statement = _matching_statements(session, query, agency=agency, state=state,
                                     stance=stance, since=since).order_by(None)
    return session.scalar(select(func.count()).select_from(statement.subquery())) or 0


def _matching_statements(session: Session, query: str, **filters) -> Select:
    query = _CONTROL.sub(" ", query or "")  # PostgreSQL refuses NUL in text
    statement = _filter(_base(), **filters)
    terms = fts5_query(query)
    # Newest articles first; within one article, statements in reading order.
    newest = (func.coalesce(Article.published, Article.fetched_at).desc(), Article.id.desc(),
              Statement.id)
    if terms:
        own, related = _matching(session, query if is_postgres(session) else terms)
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


def _filter(statement: Select, *, agency, state, stance, since) -> Select:
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
    return statement


def _as_datetime(value: date | datetime) -> datetime:
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


# --- full-text matching ----------------------------------------------------------------------


def _matching(session: Session, text: str):
    """(own, related): conditions on the outer Statement for a full-text match of `text`."""
    statements = _ids(session, "statements", text)
    agencies = _ids(session, "agencies", text)
    articles = _ids(session, "articles", text)
    reports = aliased(Statement, name="report")
    rereported = select(reports.duplicate_of_id).where(
        reports.duplicate_of_id.is_not(None),
        or_(reports.id.in_(statements), reports.article_id.in_(articles)))
    own = or_(Statement.id.in_(statements), Statement.agency_id.in_(agencies))
    related = or_(Statement.article_id.in_(articles), Statement.id.in_(rereported))
    return own, related


def _ids(session: Session, name: str, text: str) -> Select:
    """Ids of rows of table `name` whose search document matches `text`."""
    if is_postgres(session):
        rows = table(name, column("id"), column("search_vector")).alias(f"{name}_match")
        tsquery = func.websearch_to_tsquery(_REGCONFIG, text)
        return select(rows.c.id).where(rows.c.search_vector.op("@@")(tsquery))
    fts = table(f"{name}_fts", column("rowid"))
    return select(fts.c.rowid).where(literal_column(f"{name}_fts").op("MATCH")(text))


def fts5_query(text: str) -> str:
    """`text` as a safe FTS5 expression (web-search style), or "" if it has no positive term."""
    positive: list[str] = []
    negative: list[str] = []
    for phrase, word in _TOKENS.findall(text or ""):
        if word == "OR":
            if positive and positive[-1] != "OR":
                positive.append("OR")
            continue
        negated = bool(word) and word.startswith("-") and len(word) > 1
        term = phrase if not word else (word[1:] if negated else word)
        if _WORD.search(term):
            quoted = '"' + term.replace('"', '""') + '"'
            (negative if negated else positive).append(quoted)
    while positive and positive[-1] == "OR":
        positive.pop()
    if not positive:
        return ""
    expression = " ".join(positive)
    return "(" + expression + ")" + "".join(f" NOT {n}" for n in negative)


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
