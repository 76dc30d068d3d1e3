"""Reviewers' verdicts on statements (the Slack alert's buttons): record, list, the latest.

A request's digest is stored with its review under a unique constraint, so the same signed
request is recorded once however many web processes see it, also after a restart.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from db.models import Article, Review, Statement, utcnow
from detect.model import STANCES

VERDICTS = ("correct", "not_relevant", "wrong_stance", "wrong_speaker")


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
