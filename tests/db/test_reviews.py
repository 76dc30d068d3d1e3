"""Reviews: recorded once per signed request, listed per statement, the latest one wins."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from support import T0

from db import reviews
from db.archive import store_article
from db.engine import transaction
from db.models import Review


@pytest.fixture
def statement_ids(sessions, make_feed, make_article, make_statement):
    """Two stored statements (one article each)."""
    feed = make_feed()
    found = []
    for n in range(2):
        with transaction(sessions) as session:
            stored = store_article(session, make_article(feed), [make_statement(f"Quote {n}.")],
                                   channel="#test")
        found += stored.new_statement_ids
    return found


def add(sessions, statement_id, digest, verdict="correct", minutes=0, **fields):
    with transaction(sessions) as session:
        return reviews.record(session, statement_id, reviewer_id="U1", reviewer_name="Ana",
                              verdict=verdict, request_digest=digest,
                              now=T0 + timedelta(minutes=minutes), **fields).id


def test_reviews_of_a_statement_are_listed_oldest_first(sessions, statement_ids):
    first, other = statement_ids
    add(sessions, first, "d2", "not_relevant", minutes=5)
    add(sessions, first, "d1", "wrong_stance", minutes=1, stance="cooperates")
    add(sessions, other, "d3")
    with sessions() as session:
        listed = reviews.for_statement(session, first)
    assert [(r.verdict, r.stance, r.reviewer_name) for r in listed] == [
        ("wrong_stance", "cooperates", "Ana"), ("not_relevant", None, "Ana")]


def test_the_latest_review_of_each_statement_is_its_label(sessions, statement_ids):
    first, other = statement_ids
    add(sessions, first, "d1", "correct", minutes=1)
    add(sessions, first, "d2", "not_relevant", minutes=9)
    add(sessions, other, "d3", "wrong_speaker", minutes=2)
    with sessions() as session:
        found = [(r.statement_id, r.verdict, r.statement.quote) for r in reviews.latest(session)]
    assert found == [(first, "not_relevant", "Quote 0."), (other, "wrong_speaker", "Quote 1.")]


def test_the_same_request_is_recorded_once(sessions, statement_ids):
    add(sessions, statement_ids[0], "same")
    with pytest.raises(reviews.AlreadyRecorded):
        add(sessions, statement_ids[0], "same", "not_relevant")
    with sessions() as session:
        assert [r.verdict for r in reviews.for_statement(session, statement_ids[0])] == ["correct"]


def test_the_database_refuses_a_second_row_with_the_same_digest(sessions, statement_ids):
    # What a concurrent replay in another web process meets: the unique constraint.
    add(sessions, statement_ids[0], "same")
    with pytest.raises(IntegrityError), transaction(sessions) as session:
        session.add(Review(statement_id=statement_ids[1], reviewer_id="U2", reviewer_name="Bo",
                           verdict="correct", request_digest="same", created_at=T0))


@pytest.mark.parametrize("verdict, stance", [
    ("maybe", None),
    ("wrong_stance", None),
    ("wrong_stance", "unclear"),
    ("correct", "refuses"),
], ids=["unknown-verdict", "wrong-stance-without-stance", "unknown-stance",
        "stance-without-wrong-stance"])
def test_a_bad_verdict_is_refused_and_nothing_stored(sessions, statement_ids, verdict, stance):
    with pytest.raises(ValueError):
        add(sessions, statement_ids[0], "d", verdict, stance=stance)
    with sessions() as session:
        assert reviews.for_statement(session, statement_ids[0]) == []


@pytest.mark.parametrize("stance, verdict, stance_given, skipped", [
    (None, "correct", None, "unclear"),
    (None, "wrong_stance", "mixed", None),
    ("refuses", "wrong_speaker", None, "wrong_speaker"),
    ("refuses", "correct", None, None),
], ids=["correct-but-unclear-left-out", "unclear-given-a-stance-is-labelled",
        "wrong-speaker-left-out", "correct-is-labelled"])
def test_which_latest_reviews_make_no_label(sessions, make_feed, make_article, make_statement,
                                            stance, verdict, stance_given, skipped):
    with transaction(sessions) as session:
        stored = store_article(session, make_article(make_feed()),
                               [make_statement(stance=stance)], channel="#test")
    add(sessions, stored.new_statement_ids[0], "d", verdict, stance=stance_given)
    with sessions() as session:
        [review] = reviews.latest(session)
        assert reviews.skip_reason(review) == skipped
        if skipped is None:
            item = reviews.training_item(review)
            assert (item["relevant"], item["stance"]) == (True, stance_given or stance)
