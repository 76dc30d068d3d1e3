"""The database failing under us: SQLite full or locked, PostgreSQL restarted, the archive
file deleted or replaced under the daemon, the server away or read-only mid-run.

Each case checks that the error is clear, that nothing half-written remains, and
that work goes on once the database is back.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
from servers.feed_site import rss_feed
from sqlalchemy import create_engine, event, func, pool, select, text
from sqlalchemy import exc as sqlalchemy_exc
from sqlalchemy.exc import OperationalError
from support import REPO, beatwire_command, config_text, restart_postgres
from test_scheduler import start_daemon, wait_for

from db.archive import store_article
from db.engine import make_engine, make_sessionmaker
from db.feeds import record_success
from db.health import ArchiveHealth, is_unavailable
from db.migrate import upgrade
from db.models import Article, Feed, FetchLog, Statement, utcnow


def _count(sessions, model) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def open_archive(url: str):
    """A migrated database holding one feed: (engine, sessions, feed id)."""
    upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        feed = Feed(name="outlet", url="https://outlet.example/rss", interval_seconds=900)
        session.add(feed)
    return engine, sessions, feed.id


def _feed_state(sessions, feed_id: int) -> tuple:
    with sessions() as session:
        feed = session.get(Feed, feed_id)
        return feed.etag, feed.status, feed.consecutive_failures, feed.next_poll_at


def test_sqlite_disk_full_is_a_clear_error_and_corrupts_nothing(sqlite_url, make_article,
                                                                make_statement, clock):
    """`PRAGMA max_page_count` makes SQLite answer SQLITE_FULL, as a full disk does."""
    engine, sessions, feed_id = open_archive(sqlite_url)
    state_before = _feed_state(sessions, feed_id)
    limit = {"pages": None}

    @event.listens_for(engine, "connect")
    def _cap(dbapi_connection, _record):
        if limit["pages"]:
            dbapi_connection.execute(f"PRAGMA max_page_count={limit['pages']}")

    engine.dispose()
    with engine.connect() as conn:
        limit["pages"] = conn.scalar(text("PRAGMA page_count")) + 1
    engine.dispose()

    big = make_article(feed_id, text="Immigration enforcement. " * 40_000)
    with pytest.raises(OperationalError, match="database or disk is full"):
        with sessions.begin() as session:
            store_article(session, big, [make_statement()], channel="#x", now=clock())
            record_success(session, feed_id, now=clock(), http_status=200, etag='"new"',
                           last_modified=None, entries=1, new_articles=1)
    assert _count(sessions, Article) == 0 and _count(sessions, Statement) == 0
    assert _feed_state(sessions, feed_id) == state_before
    assert sqlite3.connect(sqlite_url.removeprefix("sqlite:///")).execute(
        "PRAGMA integrity_check").fetchone() == ("ok",)

    limit["pages"] = None
    engine.dispose()
    with sessions.begin() as session:
        store_article(session, big, [make_statement()], channel="#x", now=clock())
    assert _count(sessions, Article) == 1 and _count(sessions, Statement) == 1
    engine.dispose()


def test_sqlite_locked_by_another_process_waits_instead_of_failing(sqlite_url, make_article,
                                                                  make_statement, clock):
    """A reader holding a snapshot and a writer holding the lock for 2 s: our write waits."""
    engine, sessions, feed_id = open_archive(sqlite_url)
    path = sqlite_url.removeprefix("sqlite:///")
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM feeds").fetchone()
    locker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    locker.execute("BEGIN IMMEDIATE")
    threading.Timer(2.0, lambda: locker.execute("COMMIT")).start()

    started = time.monotonic()
    with sessions.begin() as session:
        store_article(session, make_article(feed_id), [make_statement()], channel="#x", now=clock())
    waited = time.monotonic() - started
    reader.execute("COMMIT")
    assert waited >= 1.5, "the write should have waited for the lock"
    assert _count(sessions, Statement) == 1
    engine.dispose()


@pytest.mark.slow
def test_postgres_restart_under_a_running_engine(pg_url, make_article, make_statement, clock):
    """Pooled connections die with the server; the next unit of work reconnects."""
    engine, sessions, feed_id = open_archive(pg_url)
    with sessions.begin() as session:
        store_article(session, make_article(feed_id), [make_statement()], channel="#x", now=clock())

    restart_postgres()
    deadline = time.monotonic() + 30
    while True:
        try:
            with sessions.begin() as session:
                store_article(session, make_article(feed_id),
                              [make_statement("Our deputies will keep honoring ICE detainers.",
                                              stance="cooperates")], channel="#x", now=clock())
            break
        except OperationalError:
            # The server may still be starting: a real worker retries on its next tick.
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    assert _count(sessions, Statement) == 2
    engine.dispose()


# -- the daemon's watch on its archive (db/health.py) --------------------------------------


def _swap_in_a_copy(db: Path) -> None:
    """Replace the file by a byte-identical copy: same content, another inode."""
    copy = db.with_name("restored.db")
    shutil.copyfile(db, copy)
    os.replace(copy, db)


@pytest.mark.parametrize(
    "change, says",
    [(None, None), (Path.unlink, "was deleted under the running daemon"),
     (_swap_in_a_copy, "was replaced by another file")],
    ids=["same-file", "deleted", "replaced-by-a-copy"],
)
def test_archive_identity_follows_the_file_opened(sqlite_url, change, says):
    engine, sessions, _ = open_archive(sqlite_url)
    health = ArchiveHealth(sqlite_url, engine)
    health.opened()
    engine.dispose()
    if change:
        change(Path(sqlite_url.removeprefix("sqlite:///")))
    reason = health.file_changed()
    assert (reason is None) if says is None else (says in reason)


def test_daemon_never_recreates_a_deleted_sqlite_file(sqlite_url):
    """Its engine opens the file mode=rw: a missing file is an error, not a new archive."""
    engine, sessions, _ = open_archive(sqlite_url)
    engine.dispose()
    engine = make_engine(sqlite_url, must_exist=True)
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    path.unlink()
    with pytest.raises(OperationalError) as err:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    assert is_unavailable(err.value) and not path.exists()


def _write_feed_row(sessions_box):
    """A job doing a real write, as the daemon's jobs do, through the current engine."""

    async def write_row() -> None:
        with sessions_box["sessions"].begin() as session:
            session.add(Feed(name=f"f-{uuid.uuid4().hex[:8]}", url="https://x.example/rss",
                             interval_seconds=900))

    return write_row


def test_read_only_archive_is_one_line_a_minute_then_resumes(pg_url, caplog):
    """Five simulated minutes of a read-only PostgreSQL (a standby's sessions): at most one
    warning a minute, retries backing off to a minute, and the first write that works again
    resumes every job."""
    upgrade(pg_url)
    read_only = make_engine(pg_url, read_only=True)
    writable = make_engine(pg_url)
    box = {"sessions": make_sessionmaker(read_only)}
    now = {"t": 0.0}
    health = ArchiveHealth(pg_url, read_only, clock=lambda: now["t"])
    attempts = []
    real_job = _write_feed_row(box)

    async def job():
        attempts.append(now["t"])
        await real_job()

    guarded = health.guard(job)
    caplog.set_level(logging.WARNING, logger="beatwire.db")

    async def tick_for(seconds: int) -> None:
        for _ in range(seconds):
            await guarded()
            now["t"] += 1

    asyncio.run(tick_for(300))
    down_lines = [r for r in caplog.records if "archive unavailable" in r.getMessage()]
    assert 1 <= len(down_lines) <= 5, [r.getMessage() for r in down_lines]
    assert "read-only transaction" in down_lines[0].getMessage()
    assert len(attempts) <= 12, attempts  # backed off: 2, 4, ... 60 s, not 300 tries
    gaps = [b - a for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps == sorted(gaps) and gaps[-1] == 60

    box["sessions"] = make_sessionmaker(writable)
    asyncio.run(tick_for(61))
    assert any("archive available again" in r.getMessage() for r in caplog.records)
    tried = len(attempts)
    asyncio.run(tick_for(3))
    assert len(attempts) == tried + 3  # resumed: every tick runs again
    with make_sessionmaker(writable)() as session:
        assert session.scalar(select(func.count()).select_from(Feed)) >= 4
    read_only.dispose()
    writable.dispose()


def test_a_bug_is_not_taken_for_database_trouble(sqlite_url):
    """Only 'the database is away' is absorbed: an SQL error in our code still raises."""
    engine, sessions, _ = open_archive(sqlite_url)
    health = ArchiveHealth(sqlite_url, engine)

    async def buggy():
        with sessions() as session:
            session.execute(text("SELECT no_such_column FROM feeds"))

    with pytest.raises(OperationalError, match="no such column"):
        # sqlite3 reports a bad column as OperationalError too: it must still reach us.
        asyncio.run(health.guard(buggy)())
    engine.dispose()


def _polls(url: str) -> int:
    engine = make_engine(url, read_only=True, poolclass=pool.NullPool)  # never creates a file
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(FetchLog))
    except OperationalError:
        return 0  # not created yet, or gone: no polls we can see
    finally:
        engine.dispose()


def _daemon_config(tmp_path, url: str, feed_site, fake_slack) -> Path:
    """A daemon polling one empty local feed every second (each poll is a fetch_log row)."""
    feed_site.route("/feed.xml", rss_feed([]), content_type="application/xml")
    path = tmp_path / "config.toml"
    path.write_text(config_text(url, [{"name": "Local", "url": feed_site.url("/feed.xml"),
                                       "interval": 1}], slack={"api_url": fake_slack.url}),
                    encoding="utf-8")
    return path


def _stop(proc) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)


@pytest.mark.timeout(180)
@pytest.mark.parametrize(
    "change, says",
    [(Path.unlink, "was deleted under the running daemon; stopping"),
     (_swap_in_a_copy, "was replaced by another file since start; stopping")],
    ids=["deleted", "replaced-by-a-copy"],
)
def test_daemon_stops_when_its_sqlite_file_goes(sqlite_url, feed_site, fake_slack, tmp_path,
                                               change, says):
    db = Path(sqlite_url.removeprefix("sqlite:///"))
    log = tmp_path / "daemon.log"
    proc = start_daemon(_daemon_config(tmp_path, sqlite_url, feed_site, fake_slack),
                        fake_slack.token, log, "--init")
    try:
        assert wait_for(lambda: _polls(sqlite_url) >= 2, timeout=90), log.read_text()
        change(db)
        proc.wait(timeout=30)
    finally:
        _stop(proc)
    lines = log.read_text().splitlines()
    assert proc.returncode == 1, lines[-20:]
    assert len([line for line in lines if says in line]) == 1, lines[-20:]
    if change is Path.unlink:
        assert not db.exists(), "the daemon must not leave a new empty archive behind"


class TcpProxy:
    """127.0.0.1:port forwarded to PostgreSQL. `cut()` drops every connection and refuses new
    ones, as a server gone from the network does; `restore()` listens on the same port again."""

    def __init__(self, target_port: int = 5432):
        self.target = ("127.0.0.1", target_port)
        self.port = 0
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port, self._listener = listener.getsockname()[1], listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
                upstream = socket.create_connection(self.target)
            except OSError:
                return
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        with self._lock:
            doomed, self._sockets = [self._listener, *self._sockets], []
        for end in doomed:
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()


class Outage:
    """A PostgreSQL fault for a running daemon: the server unreachable (through a TcpProxy) or
    read-only (its role's sessions ended and reopened READ ONLY, as after a failover to a
    standby). Root ignores file modes, so a read-only SQLite file cannot be made here."""

    def __init__(self, kind: str, pg_url: str):
        self.kind, self.admin_url = kind, pg_url
        self.role = f"bw_{uuid.uuid4().hex[:10]}"
        if kind == "unreachable":
            self.proxy = TcpProxy()
            self.url = pg_url.replace("@127.0.0.1:5432/", f"@127.0.0.1:{self.proxy.port}/")
        else:
            self._admin(f'CREATE ROLE "{self.role}" LOGIN SUPERUSER')
            self.url = pg_url.replace("postgres@", f"{self.role}@")

    def _admin(self, *statements: str) -> None:
        engine = create_engine(self.admin_url, poolclass=pool.NullPool,
                               isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                for statement in statements:
                    connection.execute(text(statement))
        finally:
            engine.dispose()

    def _end_sessions(self) -> str:
        return ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE usename = '{self.role}'")

    def begin(self) -> None:
        if self.kind == "unreachable":
            self.proxy.cut()
        else:
            self._admin(f'ALTER ROLE "{self.role}" SET default_transaction_read_only = on',
                        self._end_sessions())

    def end(self) -> None:
        if self.kind == "unreachable":
            self.proxy.restore()
        else:
            self._admin(f'ALTER ROLE "{self.role}" RESET default_transaction_read_only')

    def close(self) -> None:
        if self.kind == "unreachable":
            self.proxy.cut()
        else:
            self._admin(self._end_sessions(), f'DROP ROLE "{self.role}"')


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("kind", ["unreachable", "read-only"])
def test_daemon_rides_out_database_trouble_in_one_line(kind, pg_url, feed_site, fake_slack,
                                                       tmp_path):
    """20 s of trouble mid-run: one warning (not a traceback per tick), polls pause, and
    resume by themselves once the database is back."""
    upgrade(pg_url)
    outage = Outage(kind, pg_url)
    log = tmp_path / "daemon.log"
    proc = start_daemon(_daemon_config(tmp_path, outage.url, feed_site, fake_slack),
                        fake_slack.token, log)
    try:
        assert wait_for(lambda: _polls(pg_url) >= 2, timeout=90), log.read_text()
        outage.begin()
        time.sleep(20)
        during = _polls(pg_url)
        outage.end()
        assert wait_for(lambda: _polls(pg_url) >= during + 2, timeout=90), log.read_text()
        assert proc.poll() is None, "the daemon must ride the trouble out"
    finally:
        _stop(proc)
        outage.close()
    text = log.read_text()
    assert text.count("archive unavailable") == 1, text
    assert text.count("archive available again") == 1, text
    assert "raised an exception" not in text  # APScheduler's traceback for a failing job


def _write_through_read_only(url: str) -> None:
    engine = make_engine(url, read_only=True, poolclass=pool.NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM feeds"))
    finally:
        engine.dispose()


def _nowhere(url: str) -> str:
    """`url` moved where nothing answers: a closed port, or a folder that does not exist."""
    if url.startswith("sqlite"):
        return url.replace("beatwire.db", "missing/beatwire.db")
    return url.replace("@127.0.0.1:5432/", "@127.0.0.1:1/")


def _query(url: str, sql: str) -> None:
    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text(sql))
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "fault, retry",
    [
        (_write_through_read_only, True),
        (lambda url: _query(_nowhere(url), "SELECT 1"), True),
        (lambda url: _query(url, "SELECT no_such_column FROM feeds"), False),
        (lambda url: _query(url, "SELEC 1"), False),
    ],
    ids=["write-on-read-only", "server-or-file-unreachable", "unknown-column-is-a-bug",
         "syntax-error-is-a-bug"],
)
def test_database_trouble_is_told_from_bugs(db_url, fault, retry):
    """Real errors from both engines: only "away or read-only" is retried by the daemon."""
    upgrade(db_url)
    with pytest.raises(sqlalchemy_exc.DBAPIError) as err:
        fault(db_url)
    assert is_unavailable(err.value) is retry


SECRET = "scraped-text-or-a-secret-4d1f"


def _too_long_feed_name(session) -> None:
    session.add(Feed(name=SECRET * 10, url="https://x.example/rss", interval_seconds=900))


def _duplicate_feed_name(session) -> None:
    session.add(Feed(name=SECRET, url="https://x.example/a", interval_seconds=900))
    session.flush()
    session.add(Feed(name=SECRET, url="https://x.example/b", interval_seconds=900))


@pytest.mark.parametrize(
    "db_url, write, error",
    [
        # SQLite has no length limit: the data error is PostgreSQL's alone.
        ("postgresql", _too_long_feed_name, sqlalchemy_exc.DataError),
        ("sqlite", _duplicate_feed_name, sqlalchemy_exc.IntegrityError),
        ("postgresql", _duplicate_feed_name, sqlalchemy_exc.IntegrityError),
    ],
    ids=["data-error-holds-no-parameter-postgresql", "integrity-error-holds-no-parameter-sqlite",
         "integrity-error-holds-no-parameter-postgresql"],
    indirect=["db_url"],
)
def test_sql_parameters_never_reach_error_messages(sessions, engine, write, error):
    """An error's message is logged and stored: the statement's values (scraped text, maybe
    a secret) must not be in what SQLAlchemy adds to it, on either engine. (PostgreSQL's own
    DETAIL of a unique violation names the key: that is the server's line, not ours.)"""
    with pytest.raises(error) as err:
        with sessions.begin() as session:
            write(session)
    _, sql, added = str(err.value).partition("[SQL:")
    assert sql and SECRET not in added
    assert "hidden due to hide_parameters" in added


@pytest.mark.timeout(240)
@pytest.mark.parametrize("kind", ["unreachable", "read-only"])
def test_run_once_ends_in_one_line_when_the_database_goes_mid_run(kind, pg_url, feed_site,
                                                                  fake_slack, tmp_path):
    """The server gone or read-only while a feed is being fetched: `run --once` says so in
    one line and exits 1, with no traceback."""
    upgrade(pg_url)
    outage = Outage(kind, pg_url)
    feed_site.trickle("/slow.xml", 3600)
    config = tmp_path / "config.toml"
    config.write_text(config_text(outage.url, [{"name": "Slow", "url": feed_site.url("/slow.xml")}],
                                  slack={"api_url": fake_slack.url},
                                  crawler={"download_timeout": 3}), encoding="utf-8")
    env = {**os.environ, "BEATWIRE_TEST_SLACK_TOKEN": fake_slack.token}
    env.pop("BEATWIRE_DATABASE_URL", None)
    log = tmp_path / "once.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(beatwire_command(config, "run", "--once"), env=env, cwd=REPO,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        assert wait_for(lambda: feed_site.fetched("/slow.xml"), timeout=120), log.read_text()
        outage.begin()
        proc.wait(timeout=90)
    finally:
        _stop(proc)
        outage.close()
    text = log.read_text()
    assert proc.returncode == 1, text[-4000:]
    assert "Traceback" not in text, text[-4000:]
    assert text.count("archive unavailable, run --once stopped") == 1, text[-4000:]


def test_a_job_running_at_stop_ends_quietly(sqlite_url, caplog):
    """The daemon's stop (APScheduler's shutdown) cancels a guarded job that is still in a
    database thread: one INFO line, no error and no traceback from APScheduler."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    engine, _, _ = open_archive(sqlite_url)
    health = ArchiveHealth(sqlite_url, engine)
    started = threading.Event()

    async def slow_job():
        started.set()
        await asyncio.to_thread(time.sleep, 0.5)

    async def run_and_stop() -> None:
        jobs = AsyncIOScheduler(event_loop=asyncio.get_running_loop(), timezone="UTC")
        jobs.add_job(health.guard(slow_job), "interval", seconds=60, next_run_time=utcnow())
        jobs.start()
        while not started.is_set():
            await asyncio.sleep(0.01)
        jobs.shutdown(wait=False)
        await asyncio.sleep(0.1)

    caplog.set_level(logging.INFO)
    asyncio.run(run_and_stop())
    engine.dispose()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert "job stopped before it finished job=slow_job" in caplog.text
