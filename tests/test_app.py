"""The composition root: the daemon, the CLI and the web app get their parts from app.build."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from click.testing import CliRunner
from support import REPO

import app
import cli
from config import load_config
from db.migrate import upgrade
from scheduler import Daemon


@pytest.fixture
def archive(make_config, sqlite_url):
    """A config.toml on a migrated SQLite archive (no feeds)."""
    upgrade(sqlite_url)
    return make_config(sqlite_url, [])


@pytest.fixture
def built(monkeypatch):
    """The engines app.build makes, in order (the real ones: the spy only records them)."""
    engines = []

    def recording(*args, **kwargs):
        engines.append(real(*args, **kwargs))
        return engines[-1]

    real = app.make_engine
    monkeypatch.setattr(app, "make_engine", recording)
    return engines


@pytest.fixture
def busy_port():
    """A port on 127.0.0.1 already listened on: `beatwire web` there exits 1 at once."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def start_daemon(config, _port) -> int:
    daemon = Daemon(str(config), load_config(config))
    daemon.engine.dispose()
    return 0


def command(*args: str):
    def invoke(config, port) -> int:
        words = [arg.format(port=port) for arg in args]
        return CliRunner().invoke(cli.main, ["--config", str(config), *words]).exit_code
    return invoke


# Each entry point, the SQLite mode of every engine app.build made for it (ro: the file
# cannot be written; rw: written, never created), and its exit status.
ENTRY_POINTS = [
    pytest.param(start_daemon, {}, ["rw"], 0, id="daemon-writes-to-the-existing-file"),
    pytest.param(command("search", "detainer"), {}, ["ro"], 0, id="search-reads-only"),
    pytest.param(command("feeds", "list"), {}, ["ro"], 0, id="feeds-list-reads-only"),
    pytest.param(command("workers"), {}, ["ro"], 0, id="workers-reads-only"),
    pytest.param(command("alerts", "retry", "--failed"), {}, ["rw"], 0,
                 id="alerts-retry-writes"),
    pytest.param(command("db", "prune"), {}, ["rw"], 0, id="db-prune-writes"),
    pytest.param(command("web", "--port", "{port}"), {}, ["ro"], 1,
                 id="web-reads-only-without-the-slack-route"),
    pytest.param(command("web", "--port", "{port}"), {"SLACK_SIGNING_SECRET": "s3cret"},
                 ["ro", "rw"], 1, id="web-slack-route-alone-writes"),
]


@pytest.mark.parametrize("entry,env,modes,status", ENTRY_POINTS)
def test_entry_points_get_their_engine_from_app_build(archive, built, busy_port, monkeypatch,
                                                      entry, env, modes, status) -> None:
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert entry(archive, busy_port) == status
    assert [engine.url.query.get("mode") for engine in built] == modes


def test_daemon_main_process_loads_no_model(archive) -> None:
    """The daemon's detector is its App's, built without the model (the workers load it)."""
    probe = ("import sys; from config import load_config; from scheduler import Daemon; "
             f"d = Daemon(None, load_config({str(archive)!r})); "
             "import detect.classifier as c; "
             "print(d.app.load_model, d.detector is d.app.detector, c._SHARED is None, "
             "'torch' in sys.modules); d.engine.dispose()")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=REPO)
    assert out.stdout.split() == ["False", "True", "True", "False"]


# A reloaded config: the parts its changed sections describe are made anew, the rest kept;
# the engine always stays (database.url takes effect at restart).
RELOADS = [
    pytest.param({"detect": {"threshold": 0.7}}, {"detector"}, id="detect-changed-new-detector"),
    pytest.param({"slack": {"channel": "#other"}}, {"sink"}, id="slack-changed-new-sinks"),
    pytest.param({}, set(), id="nothing-changed-parts-kept"),
]


@pytest.mark.parametrize("change,renewed", RELOADS)
def test_reload_renews_only_the_changed_parts(archive, change, renewed) -> None:
    daemon = Daemon(str(archive), load_config(archive))
    before = {"engine": daemon.engine, "detector": daemon.detector, "sink": daemon.sink}
    old = daemon.config
    try:
        daemon._apply(old.model_copy(update={
            name: getattr(old, name).model_copy(update=values) for name, values in change.items()
        }))
        after = {"engine": daemon.engine, "detector": daemon.detector, "sink": daemon.sink}
        assert {part for part in before if after[part] is not before[part]} == renewed
        assert daemon.app.engine is before["engine"] and daemon.app.config is daemon.config
    finally:
        daemon.engine.dispose()
