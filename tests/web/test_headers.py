"""What every response carries and what no route accepts. Neither depends on the engine, so
these run on SQLite only; the pages themselves are tested on both in test_pages.py."""

from __future__ import annotations

import pytest


@pytest.fixture
def db_url(sqlite_url):
    return sqlite_url


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
