"""Requests whatever the engine: bad input, the headers every response carries, the methods no
route accepts. These run on SQLite only; the pages are tested on both in test_pages.py."""

from __future__ import annotations

import pytest
from web_archive import text


@pytest.fixture
def db_url(sqlite_url):
    return sqlite_url


@pytest.mark.parametrize("params, message", [
    ({"stance": "angry"}, "stance must be one of cooperates, mixed, refuses, not 'angry'"),
    ({"since": "2025-13-01"}, "since must be a date like 2026-01-31, not '2025-13-01'"),
    ({"since": "last week"}, "since must be a date like 2026-01-31, not 'last week'"),
    ({"page": "0"}, "page must be a whole number from 1, not '0'"),
    ({"page": "-2"}, "page must be a whole number from 1, not '-2'"),
    ({"page": "99999999999"}, "page must be a whole number from 1"),
    ({"review": "maybe"}, "review must be one of unreviewed, correct, not_relevant, "
                          "wrong_stance, wrong_speaker, reviewed, not 'maybe'"),
], ids=["stance", "impossible-date", "words-for-date", "page-zero", "negative-page",
        "huge-page", "review"])
@pytest.mark.parametrize("path", ["/", "/search.csv", "/search.json"],
                         ids=["page", "csv", "json"])
def test_bad_search_input_is_one_clear_400(archive, client, path, params, message):
    response = client.get(path, params=params)
    assert response.status_code == 400
    assert message in (text(response.text) if path == "/" else response.text)


def test_unknown_download_format_is_404(archive, client):
    assert client.get("/search.xml").status_code == 404


PATHS = ["/", "/?q=ice", "/statements/{refusal}", "/agencies/{kern}", "/feeds", "/search.csv",
         "/search.json", "/static/style.css", "/statements/999999", "/nowhere", "/?page=0"]


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_a_strict_csp(archive, client, path):
    response = client.get(path.format(refusal=archive.refusal, kern=archive.kern))
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "script-src" not in policy and "unsafe" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"


ROUTES = ["/", "/search.csv", "/statements/{refusal}", "/agencies/{kern}", "/feeds",
          "/static/style.css"]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ROUTES)
def test_there_is_no_write_route(archive, client, path, method):
    response = client.request(method, path.format(refusal=archive.refusal, kern=archive.kern))
    assert response.status_code == 405
    assert client.get(f"/statements/{archive.refusal}").status_code == 200
