"""Entries whose detection keeps failing: counted per feed, skipped after three attempts."""

from __future__ import annotations

import pytest
from support import T0

from crawler.entries import Entry
from crawler.recording import new_entries
from db.failures import MAX_DETECTION_ATTEMPTS, given_up, record_failed_detection, skipped_per_feed


def _entry(key: str) -> Entry:
    return Entry(key=key * 64, url=f"https://news.example/{key}", link=None, title=key,
                 summary="", published=None)


@pytest.mark.parametrize(
    "failures, skipped",
    [(0, False), (MAX_DETECTION_ATTEMPTS - 1, False), (MAX_DETECTION_ATTEMPTS, True)],
    ids=["never-failed-is-tried", "failed-twice-is-tried-again", "failed-three-times-is-skipped"],
)
def test_an_entry_is_skipped_once_its_detection_failed_three_times(sessions, make_feed,
                                                                   failures, skipped):
    feed, other = make_feed(), make_feed()
    failing, fine = _entry("a"), _entry("b")
    with sessions.begin() as session:
        attempts = [record_failed_detection(session, feed, failing.key, "detection ran over", T0)
                    for _ in range(failures)]
    assert attempts == list(range(1, failures + 1))
    with sessions.begin() as session:
        assert given_up(session, feed, failing.key) is skipped
        assert not given_up(session, other, failing.key), "counted per feed"
        todo = new_entries(session, feed, [failing, fine])
        assert [e.title for e in todo] == (["b"] if skipped else ["a", "b"])
        assert skipped_per_feed(session) == ({feed: 1} if skipped else {})
