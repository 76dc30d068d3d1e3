"""Canonical article URLs."""

from __future__ import annotations

import pytest

from crawler.urls import canonical_url, fetchable_url, origin, split_credentials

BASE = "https://News.Example.org/feeds/rss.xml"

CASES = [
    ("lowercase scheme and host", "HTTPS://News.EXAMPLE.org/A/B", "https://news.example.org/A/B"),
    ("default http port", "http://example.org:80/a", "http://example.org/a"),
    ("default https port", "https://example.org:443/a", "https://example.org/a"),
    ("other port kept", "http://example.org:8080/a", "http://example.org:8080/a"),
    ("fragment dropped", "https://example.org/a#comments", "https://example.org/a"),
    ("utm params dropped", "https://example.org/a?utm_source=x&utm_medium=rss&id=7",
     "https://example.org/a?id=7"),
    ("click ids dropped", "https://example.org/a?fbclid=1&gclid=2&p=3", "https://example.org/a?p=3"),
    ("other params keep order", "https://example.org/a?b=2&a=1", "https://example.org/a?b=2&a=1"),
    ("empty path is /", "https://example.org", "https://example.org/"),
    ("relative path", "../story/1.html", "https://news.example.org/story/1.html"),
    ("root-relative path", "/story/2", "https://news.example.org/story/2"),
    ("scheme-relative", "//cdn.example.org/x", "https://cdn.example.org/x"),
    ("trailing dot in host", "https://example.org./a", "https://example.org/a"),
    ("IPv6 literal", "http://[::1]:8080/a", "http://[::1]:8080/a"),
    ("javascript link", "javascript:alert(1)", None),
    ("mailto link", "mailto:a@example.org", None),
    ("ftp link", "ftp://example.org/file", None),
    ("empty", "   ", None),
    ("bad port", "http://example.org:99999/a", None),
    ("credentials dropped", "https://bob:pw@Example.org/a", "https://example.org/a"),
]


@pytest.mark.parametrize("link,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_canonical_url(link, expected):
    assert canonical_url(link, BASE) == expected


def test_canonical_url_is_idempotent():
    once = canonical_url("HTTP://Example.org:80/a?utm_x=1&b=2#f")
    assert canonical_url(once) == once == "http://example.org/a?b=2"


def test_fetchable_url_keeps_query_but_drops_fragment():
    assert fetchable_url("/a?utm_source=x#top", BASE) == "https://News.Example.org/a?utm_source=x"
    assert fetchable_url("gopher://example.org/", BASE) is None


@pytest.mark.parametrize("url,expected", [
    ("http://bob:pw@host:81/f?q=1", ("http://host:81/f?q=1", "bob", "pw")),
    ("https://b%40b:p%3Aw@host/", ("https://host/", "b@b", "p:w")),
    ("https://tok@host/", ("https://host/", "tok", None)),
    ("https://host/a@b", ("https://host/a@b", None, None)),
], ids=["user-and-password", "percent-decoded", "user-only", "none"])
def test_split_credentials(url, expected):
    assert split_credentials(url) == expected


def test_origin_fills_in_the_default_port():
    assert origin("HTTPS://Host.example./a") == ("https", "host.example", 443)
    assert origin("http://host:8080/") == ("http", "host", 8080)
    assert origin("http://host/") != origin("https://host/")
