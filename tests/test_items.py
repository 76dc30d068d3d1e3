"""items.py: text made storable, and URL userinfo masked in one place (database URLs too)."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from db.engine import redact
from detect import Agency
from detect import Statement as Found
from items import ArticleItem, redact_url, storable


@pytest.mark.parametrize("text, stored", [
    ("a\x00b", "ab"),
    ("lone \ud800high and \udfffLow", "lone high and Low"),
    ("\x1b]0;kept as written\x07 \t\r\n\u202e", "\x1b]0;kept as written\x07 \t\r\n\u202e"),
    ("caf\u00e9 \u201cquoted\u201d \U0001f600", "caf\u00e9 \u201cquoted\u201d \U0001f600"),
], ids=["nul", "lone-surrogates", "controls-stay-for-exact-json", "unicode-untouched"])
def test_storable_removes_only_what_postgresql_refuses(text, stored):
    assert storable(text) == stored


def test_storable_reaches_every_string_of_an_item_and_its_statements():
    item = ArticleItem(url="https://x.example/\x00a", title="T\x00", published=None,
                       text="b\x00ody", feed="F\x00", feed_id=1, entry_key="k")
    found = Found(quote="q\x00", speaker="s\ud800", speaker_title="t\x00",
                  agency=Agency("n\x00", "police", "p\x00", "CA", "w\x00"), stance="refuses",
                  score=0.5, cues=("c\x00",), kind="quote")

    clean_item, (clean,) = storable(item), storable((found,))

    assert (clean_item.url, clean_item.title, clean_item.text, clean_item.feed) == (
        "https://x.example/a", "T", "body", "F")
    assert (clean.quote, clean.speaker, clean.speaker_title, clean.cues) == ("q", "s", "t", ("c",))
    assert (clean.agency.name, clean.agency.place, clean.agency.as_written) == ("n", "p", "w")
    assert clean.score == 0.5 and clean_item.feed_id == 1


REDACTIONS = [
    ("password masked", "https://user:pass@host/feed", "https://user:***@host/feed"),
    ("lone userinfo masked whole", "https://t0ken@host/", "https://***@host/"),
    ("at sign in the password", "http://u:p@ss@host:81/", "http://u:***@host:81/"),
    ("every URL in a message", "from http://a:1@x/ to https://b:2@y/z now",
     "from http://a:***@x/ to https://b:***@y/z now"),
    ("at sign after the authority kept", "http://host/p@th?mail=a@b.org#x@y",
     "http://host/p@th?mail=a@b.org#x@y"),
    ("no credentials unchanged", "see https://host:8080/feed.xml", "see https://host:8080/feed.xml"),
    ("an email address is not a URL", "contact ops@example.org", "contact ops@example.org"),
    ("idempotent", "https://user:***@host/", "https://user:***@host/"),
]


@pytest.mark.parametrize("text,expected", [c[1:] for c in REDACTIONS],
                         ids=[c[0] for c in REDACTIONS])
def test_redact_url(text, expected):
    assert redact_url(text) == expected


# db.engine.redact reads a database URL as SQLAlchemy does, then masks it with redact_url.
DATABASE_REDACTIONS = [
    ("password masked", "postgresql+psycopg://bw:s3cret@db:5432/beatwire",
     "postgresql+psycopg://bw:***@db:5432/beatwire"),
    ("slash in the password", "postgresql://bw:se/cr?et#x@db/beatwire",
     "postgresql://bw:***@db/beatwire"),
    ("at sign in the password", "postgresql://bw:p@ss@db/beatwire",
     "postgresql://bw:***@db/beatwire"),
    ("lone user masked as a token would be", "postgresql+psycopg://postgres@127.0.0.1/x",
     "postgresql+psycopg://***@127.0.0.1/x"),
    ("sqlite file unchanged", "sqlite:////var/lib/beatwire/beatwire.db",
     "sqlite:////var/lib/beatwire/beatwire.db"),
    ("a URL object", make_url("postgresql://bw:s3cret@db/beatwire"),
     "postgresql://bw:***@db/beatwire"),
    ("unparseable text still masked", "not a database url http://u:pw@h/",
     "not a database url http://u:***@h/"),
]


@pytest.mark.parametrize("url,expected", [c[1:] for c in DATABASE_REDACTIONS],
                         ids=[c[0] for c in DATABASE_REDACTIONS])
def test_database_urls_are_masked_by_redact_url(url, expected):
    assert redact(url) == expected
