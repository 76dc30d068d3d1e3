"""The Host check against DNS rebinding: `beatwire web` answers only the names it is known by
(its listen address, localhost, and each `--allow-host`); any other Host header gets 400."""

from __future__ import annotations

import http.client
import os
import subprocess

import pytest
from starlette.testclient import TestClient
from support import REPO, beatwire_command, config_text
from test_browser import _wait_until_up, free_port

from web.app import allowed_hosts, make_app


@pytest.fixture
def db_url(sqlite_url):
    return sqlite_url  # the check is the same whatever the engine


@pytest.fixture
def guarded(sessions):
    """The app as `beatwire web --host 127.0.0.1 --allow-host beatwire.internal
    --allow-host '*.corp.example'` builds it."""
    hosts = allowed_hosts("127.0.0.1", ("beatwire.internal", "*.corp.example"))
    with TestClient(make_app(sessions, allowed_hosts=hosts)) as client:
        yield client


@pytest.mark.parametrize("host, status", [
    ("127.0.0.1:8080", 200),
    ("localhost:8080", 200),
    ("LocalHost", 200),
    ("beatwire.internal:8080", 200),
    ("news.corp.example", 200),
    ("attacker.example", 400),
    ("127.0.0.1.attacker.example", 400),
    ("corp.example", 400),
    ("beatwire.internal.attacker.example", 400),
], ids=["listen-address", "localhost", "any-case", "allowed-name", "allowed-subdomain",
        "rebound-name", "address-as-a-prefix", "wildcard-parent", "allowed-name-as-a-prefix"])
@pytest.mark.parametrize("path", ["/", "/metrics", "/healthz"])
def test_only_known_host_names_are_answered(guarded, path, host, status):
    response = guarded.get(path, headers={"host": host})
    assert response.status_code == status
    if status == 400:
        assert response.text == "Invalid host header"
        assert "default-src 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize("listen, extra, expected", [
    ("127.0.0.1", (), ["localhost", "127.0.0.1", "::1"]),
    ("0.0.0.0", (), ["localhost", "127.0.0.1", "::1"]),
    ("::", (), ["localhost", "127.0.0.1", "::1"]),
    ("192.0.2.7", ("Beatwire.Example",), ["localhost", "127.0.0.1", "::1", "192.0.2.7",
                                          "beatwire.example"]),
    ("[::1]", ("localhost",), ["localhost", "127.0.0.1", "::1"]),
], ids=["loopback", "every-ipv4-interface-names-no-host", "every-ipv6-interface",
        "an-address-and-a-name", "no-duplicates"])
def test_allowed_hosts(listen, extra, expected):
    assert allowed_hosts(listen, extra) == expected


# --- the real command ------------------------------------------------------------------------


def get(port: int, path: str, host: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


@pytest.fixture
def web_command(tmp_path, engine, db_url):
    """Start `beatwire web ARGS` on a free port; yields (port, process); stopped after."""
    config = tmp_path / "config.toml"
    config.write_text(config_text(db_url, []), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "BEATWIRE_DATABASE_URL"}
    started = []

    def start(*args: str) -> int:
        port, log = free_port(), tmp_path / f"web-{len(started)}.log"
        with open(log, "w") as out:
            started.append(subprocess.Popen(
                beatwire_command(config, "web", "--port", str(port), *args), cwd=REPO, env=env,
                stdout=out, stderr=subprocess.STDOUT))
        _wait_until_up(f"http://127.0.0.1:{port}", started[-1], log)
        return port

    yield start
    for server in started:
        server.terminate()
        server.wait(timeout=30)


def test_beatwire_web_refuses_an_unknown_host_and_answers_an_allowed_one(web_command):
    port = web_command()
    assert get(port, "/healthz", f"127.0.0.1:{port}") == (200, "ok\n")
    assert get(port, "/healthz", f"localhost:{port}") == (200, "ok\n")
    assert get(port, "/healthz", f"rebound.example:{port}") == (400, "Invalid host header")

    port = web_command("--allow-host", "rebound.example")
    assert get(port, "/healthz", f"rebound.example:{port}") == (200, "ok\n")
    assert get(port, "/healthz", f"other.example:{port}") == (400, "Invalid host header")


@pytest.mark.parametrize("pattern", ["beat*wire.example", "*beatwire.example", ""],
                         ids=["star-inside", "star-without-dot", "empty"])
def test_a_bad_allow_host_is_a_usage_error(tmp_path, db_url, pattern):
    config = tmp_path / "config.toml"
    config.write_text(config_text(db_url, []), encoding="utf-8")
    result = subprocess.run(beatwire_command(config, "web", "--allow-host", pattern), cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "Invalid value for '--allow-host'" in result.stderr
    assert "Traceback" not in result.stderr
