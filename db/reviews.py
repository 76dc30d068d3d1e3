"""Reviewers' verdicts on statements (the Slack alert's buttons): record, list, the latest.

A request's digest is stored with its review under a unique constraint, so the same signed
request is recorded once however many web processes see it, also after a restart.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from db.models import VERDICTS, Article, Review, Statement, utcnow
from detect.model import STANCES


class AlreadyRecorded(Exception):
    """This request (its digest) was recorded before: a replay."""


def record(session: Session, statement_id: int, *, reviewer_id: str, reviewer_name: str,
           verdict: str, request_digest: str, stance: str | None = None,
           now: datetime | None = None) -> Review:
    """Add a review of `statement_id` (the caller commits); AlreadyRecorded on a replay."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    if (verdict == "wrong_stance") != (stance is not None) or (stance and stance not in STANCES):
        raise ValueError("a wrong_stance verdict, and only that, names the right stance")
    if received(session, request_digest):
        raise AlreadyRecorded(request_digest)
    review = Review(statement_id=statement_id, reviewer_id=reviewer_id,
                    reviewer_name=reviewer_name, verdict=verdict, stance=stance,
                    request_digest=request_digest, created_at=now or utcnow())
    session.add(review)
    session.flush()  # a concurrent replay fails here, on the unique digest
    return review


def received(session: Session, request_digest: str) -> bool:
    """Whether a request with this digest was recorded."""
    return session.scalar(select(Review.id).where(Review.request_digest == request_digest)
                          ) is not None


def for_statement(session: Session, statement_id: int) -> list[Review]:
    """The statement's reviews, oldest first."""
    return list(session.scalars(select(Review).where(Review.statement_id == statement_id)
                                .order_by(Review.created_at, Review.id)))


def latest(session: Session) -> list[Review]:
    """The latest review of every reviewed statement (its label), statements by id, with
    each statement's article and agency loaded."""
    rows = session.scalars(
        select(Review).join(Statement, Review.statement_id == Statement.id)
        .join(Article, Statement.article_id == Article.id)
        .order_by(Review.statement_id, Review.created_at.desc(), Review.id.desc())
        .options(joinedload(Review.statement).joinedload(Statement.article),
                 joinedload(Review.statement).joinedload(Statement.agency)))
    found: dict[int, Review] = {}
    for review in rows:
        found.setdefault(review.statement_id, review)
    return list(found.values())


# --- labels for training ---------------------------------------------------------------------

# Why a reviewed statement is left out of the labels (None: it is labelled).
SKIPPED = {"wrong_speaker": "wrong speaker or agency (the right one is not known)",
           "unclear": "correct but the stance is unclear (a label needs one)"}


def skip_reason(review: Review) -> str | None:
    """The SKIPPED key that keeps this latest review out of the labels, or None."""
    if review.verdict == "wrong_speaker":
        # Training scores the speaker and agency too: a label naming the wrong ones would
        # teach them, one naming none would count every right reading as a miss.
        return "wrong_speaker"
    if review.verdict == "correct" and review.statement.stance is None:
        return "unclear"
    return None


def training_item(review: Review) -> dict:
    """The labelled JSON Lines item (detect/train.py's format) a latest review makes."""
    statement = review.statement
    relevant = review.verdict != "not_relevant"
    stance = review.stance if review.verdict == "wrong_stance" else statement.stance
    agency = statement.agency.name if statement.agency else statement.agency_as_written
    return {"id": f"statement-{statement.id}", "text": passage(statement),
            "relevant": relevant, "stance": stance if relevant else None,
            "speaker": statement.speaker, "agency": agency,
            "source": statement.article.url, "title": statement.article.title,
            "review": {"verdict": review.verdict, "reviewer": review.reviewer_id,
                       "at": review.created_at.isoformat()}}


def passage(statement: Statement) -> str:
    """The paragraph of the stored article text that holds the quote (the passage detection
    read), else the quote itself."""
    from detect.text import normalize, paragraphs

    text = statement.article.text or ""
    flat = normalize(text)
    quote = " ".join(normalize(statement.quote).split())
    for needle in (quote, quote[:60]):
        for span in paragraphs(flat):
            if needle and needle in " ".join(flat[span.start:span.end].split()):
                return text[span.start:span.end].strip()
    return statement.quote
