"""The daemon's own `/metrics` and `/healthz` (`metrics.listen`), read while `beatwire run` works:
its counters move as it polls and posts, its health fails while delivery is paused, a port it
cannot have stops it with one line."""

from __future__ import annotations

import signal
import socket
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families
from test_browser import free_port
from test_end_to_end import serve_seed
from test_scheduler import start_daemon, wait_for

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def db_url(sqlite_url):
    return sqlite_url  # the port is the same whatever the engine; the queries are tested on both


@pytest.fixture
def daemon(db_url, feed_site, make_config, tmp_path):
    """Start `beatwire run` with metrics.listen on a free port (and `health` limits);
    yields the starter; every daemon is stopped with SIGTERM afterwards."""
    running = []

    def start(token: str, *, port: int | None = None, health: str = ""):
        port = port or free_port()
        config = make_config(db_url, [{"name": "Metro", "url": serve_seed(feed_site, "/a.xml")}],
                             scheduler={"lease": 3})
        with open(config, "a", encoding="utf-8") as file:
            file.write(f'\n[metrics]\nlisten = "127.0.0.1:{port}"\n{health}')
        log = tmp_path / "daemon.log"
        running.append(start_daemon(config, token, log, "--init"))
        return running[-1], port, log

    yield start
    for proc in running:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=15)


def fetch(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""  # not listening yet


def samples(port: int) -> dict[str, float]:
    status, text = fetch(port, "/metrics")
    if status != 200:
        return {}
    return {sample.name + str(sorted(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_the_daemon_serves_metrics_that_move_as_it_works(daemon, fake_slack):
    proc, port, log = daemon(fake_slack.token)
    assert wait_for(lambda: samples(port), timeout=60), log.read_text()
    polled = "beatwire_polls_total[('outcome', 'ok')]"
    assert wait_for(lambda: samples(port).get(polled, 0) >= 1
                    and len(fake_slack.posted) >= 4
                    and samples(port)["beatwire_outbox_depth[]"] == 0, timeout=90), log.read_text()
    figures = samples(port)
    assert figures["beatwire_statements_total[('stance', 'refuses')]"] >= 3
    assert figures["beatwire_alerts[('status', 'sent')]"] == len(fake_slack.posted)
    ages = [v for k, v in figures.items() if k.startswith("beatwire_worker_heartbeat_age_seconds")]
    assert len(ages) == 1 and ages[0] < 3, "one running worker, beating every lease/6"
    assert fetch(port, "/healthz") == (200, "ok\n")

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    assert fetch(port, "/metrics") == (0, ""), "the port closes with the daemon"


def test_the_daemons_health_fails_while_delivery_is_paused(daemon, fake_slack):
    proc, port, log = daemon("", health="[health]\nalert_max_wait = 1\n")  # no token
    assert wait_for(lambda: fetch(port, "/healthz")[0] == 503, timeout=90), log.read_text()
    status, line = fetch(port, "/healthz")
    assert line.startswith("delivery stalled: ") and line.count("\n") == 1
    assert fake_slack.posted == []


def test_a_port_in_use_stops_the_daemon_with_one_line(daemon, fake_slack):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc, _, log = daemon(fake_slack.token, port=port)
        assert proc.wait(timeout=60) == 1
    output = log.read_text()
    errors = [line for line in output.splitlines() if " ERROR " in line]
    assert len(errors) == 1, output
    assert f"metrics.listen: cannot listen on 127.0.0.1:{port}: Address already in use" in errors[0]
    assert "Traceback" not in output


def test_a_reload_changing_the_port_says_it_takes_effect_at_restart(make_config, db_url, caplog):
    import asyncio

    from config import load_config
    from db.migrate import upgrade
    from scheduler import Daemon

    path = make_config(db_url, [])
    upgrade(db_url)
    daemon = Daemon(str(path), load_config(path))
    with open(path, "a", encoding="utf-8") as file:
        file.write('\n[metrics]\nlisten = "127.0.0.1:9464"\n')
    try:
        with caplog.at_level("WARNING", logger="beatwire.scheduler"):
            assert asyncio.run(daemon.reload_config(force=True))
    finally:
        daemon.engine.dispose()
    assert "metrics.listen changed: takes effect at restart" in caplog.messages
    assert daemon.metrics_port is None, "nothing was opened by the reload"
