"""The `beatwire` command as operators and analysts use it."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import socket
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import REPO, beatwire_command, netns_available

import cli
from config import ConfigError, add_feed, load_config
from db.archive import store_article
from db.engine import INIT_HINT, make_engine, make_sessionmaker, transaction
from db.feeds import sync_feeds
from db.migrate import upgrade
from db.search import REVIEW_STATES
from detect import Agency, Statement
from items import ArticleItem


def invoke(config, *args, stdin: str | None = None):
    return CliRunner().invoke(cli.main, ["--config", str(config), *args], input=stdin)


@pytest.fixture
def archive(tmp_path, make_config, sqlite_url):
    """A config whose SQLite archive holds three statements from two articles."""
    config = make_config(sqlite_url, [{"name": "News", "url": "http://127.0.0.1:9/feed.xml"}])
    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    sessions = make_sessionmaker(engine)
    from config import load_config

    with transaction(sessions) as session:
        sync_feeds(session, load_config(config), datetime.now(timezone.utc))
    rows = [
        ("https://news.example/a", datetime(2026, 3, 1, tzinfo=timezone.utc), [
            ("We will not hold anyone on an ICE detainer without a judge's warrant.",
             "Sheriff Ada Park", Agency("Kern Valley County Sheriff's Office", "sheriff",
                                        "Kern Valley County", "CA", "Kern Valley sheriff"), "mixed"),
            ("Our deputies will keep working with ICE at the jail.", None,
             Agency("Ocotillo Police Department", "police", "Ocotillo", "AZ", "Ocotillo police"),
             "cooperates")]),
        ("https://news.example/b", datetime(2026, 4, 2, tzinfo=timezone.utc), [
            ("Officers will not ask about immigration status during traffic stops.", "Chief Lee Moss",
             Agency("Brant Police Department", "police", "Brant", "CA", "Brant police"), "refuses")]),
    ]
    with transaction(sessions) as session:
        for n, (url, published, found) in enumerate(rows):
            item = ArticleItem(url=url, title=f"Story {n}", published=published,
                               text=" ".join(q for q, *_ in found), feed="News", feed_id=1,
                               entry_key=f"k{n}")
            statements = [Statement(quote=q, speaker=s, speaker_title=None, agency=a, stance=st,
                                    score=0.8, cues=(f"{st}: test",), kind="quote")
                          for q, s, a, st in found]
            store_article(session, item, statements, channel="#x")
    engine.dispose()
    return config


@pytest.mark.parametrize(
    "args, expected",
    [
        (["detainer"], ["Kern Valley", "Ocotillo"]),
        (["traffic stops"], ["Brant"]),
        (["", "--stance", "refuses"], ["Brant"]),
        (["", "--state", "CA"], ["Brant", "Kern Valley"]),
        (["", "--agency", "ocotillo"], ["Ocotillo"]),
        (["", "--since", "2026-04-01"], ["Brant"]),
        (["immigration", "--state", "AZ"], []),
    ],
    ids=["full-text-article", "full-text-quote", "stance", "state", "agency-substring", "since", "no-hit"],
)
def test_search_json(archive, args, expected):
    result = invoke(archive, "search", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)
    found = sorted(name for h in hits for name in ("Kern Valley", "Ocotillo", "Brant")
                   if h["agency"].startswith(name))
    assert found == sorted(expected) and len(hits) == len(expected)
    for hit in hits:
        assert {"quote", "speaker", "agency", "stance", "url", "published"} <= set(hit)


def test_search_csv_and_table(archive):
    rows = list(csv.DictReader(io.StringIO(invoke(archive, "search", "", "--format", "csv").output)))
    assert {r["stance"] for r in rows} == {"mixed", "cooperates", "refuses"}
    assert json.loads(rows[0]["cues"])[0].endswith(": test")
    table = invoke(archive, "search", "warrant").output
    assert "Kern Valley County Sheriff's Office" in table and "https://news.example/a" in table


def test_export_json_has_every_statement(archive):
    result = invoke(archive, "export", "--format", "json")
    assert result.exit_code == 0
    assert len(json.loads(result.output)) == 3


def test_invalid_config_exits_2_naming_the_key(tmp_path):
    bad = tmp_path / "config.toml"
    bad.write_text("[crawler]\ndownload_timeout = 'forever'\n[database]\nurl = 'postgres://h/db'\n")
    result = invoke(bad, "feeds", "list")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1  # one line, however many keys are bad
    assert "database.url: " in result.stderr and "; crawler.download_timeout: " in result.stderr


def test_classify_contract_with_a_malformed_line():
    lines = [
        {"id": "a", "text": "“We will not honor ICE detainers without a judicial warrant,” "
                            "Marlow County Sheriff Ruth Ibarra said Monday."},
        "this is not json",
        {"id": "c", "text": "Police asked witnesses to cooperate with the investigation."},
    ]
    stdin = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    result = CliRunner().invoke(cli.main, ["classify"], input=stdin)
    assert result.exit_code == 0
    out = [json.loads(line) for line in result.output.splitlines()]
    assert len(out) == 3
    assert out[0]["id"] == "a" and out[0]["relevant"] is True and out[0]["stance"] == "mixed"
    assert set(out[0]) >= {"id", "relevant", "stance", "speaker", "agency", "score", "cues"}
    assert "error" in out[1]
    assert out[2]["relevant"] is False and out[2]["stance"] is None


def test_feeds_add_then_list(tmp_path, make_config, sqlite_url):
    config = make_config(sqlite_url, [])
    assert invoke(config, "db", "upgrade").exit_code == 0
    added = invoke(config, "feeds", "add", "Brant PD", "https://brant.example/rss",
                   "--agency", "Brant Police Department", "--interval", "30m")
    assert added.exit_code == 0, added.output
    listed = invoke(config, "feeds", "list")
    assert listed.exit_code == 0, listed.output
    assert "Brant PD" in listed.output and "new" in listed.output and "never" in listed.output
    refused = invoke(config, "feeds", "add", "Bad", "gopher://x")
    assert refused.exit_code == 2 and "feeds[1].url" in refused.output


def test_search_says_how_many_matched_when_it_shows_fewer(archive):
    result = invoke(archive, "search", "", "--limit", "2")
    assert result.exit_code == 0 and "2 of 3 matching statements shown" in result.output


def test_search_limit_below_one_is_a_usage_error(archive):
    result = invoke(archive, "search", "", "--limit", "0")
    assert result.exit_code == 2 and "--limit" in result.output


def test_export_writes_every_matching_statement(archive):
    result = invoke(archive, "export", "--format", "json")
    assert result.exit_code == 0 and len(json.loads(result.output)) == 3


READ_COMMANDS = [["search", "detainer"], ["export", "--format", "json"], ["feeds", "list"],
                 ["alerts", "list"], ["alerts", "retry", "1"]]
READ_IDS = ["search", "export", "feeds-list", "alerts-list", "alerts-retry"]


@pytest.mark.parametrize("args", READ_COMMANDS, ids=READ_IDS)
def test_command_on_a_missing_archive_creates_nothing(tmp_path, make_config, args):
    """Only `db upgrade` and `run --init` create an archive: the others say how to."""
    db = tmp_path / "archive.db"
    config = make_config(f"sqlite:///{db}", [{"name": "News", "url": "http://127.0.0.1:9/f"}])
    result = invoke(config, *args)
    assert result.exit_code == 2
    assert result.stderr == f"beatwire: no archive at {db}; run `beatwire db upgrade`\n"
    assert not list(tmp_path.glob("archive.db*"))


def _dump(db) -> list[str]:
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


@pytest.mark.parametrize("args", READ_COMMANDS[:4], ids=READ_IDS[:4])
def test_read_commands_change_nothing(archive, tmp_path, args):
    """Read-only opening: no sync of config.toml's feeds, no migration, no write at all."""
    add_feed(archive, name="Not yet polled", url="https://new.example/rss")
    before = _dump(tmp_path / "beatwire.db")
    result = invoke(archive, *args)
    assert result.exit_code == 0, result.output
    assert _dump(tmp_path / "beatwire.db") == before


@pytest.mark.parametrize("args", READ_COMMANDS, ids=READ_IDS)
def test_command_on_a_never_migrated_file_leaves_it_alone(tmp_path, make_config, args):
    db = tmp_path / "empty.db"
    db.touch()
    result = invoke(make_config(f"sqlite:///{db}", []), *args)
    assert result.exit_code == 2
    assert result.stderr == (f"beatwire: database.url sqlite:///{db} holds no archive yet; "
                             "run `beatwire db upgrade`\n")
    assert db.stat().st_size == 0


# -- run: the archive is created on purpose only (issue 10) ---------------------------------

RUN_HINT = "run `beatwire db upgrade` first, or start with `run --init`"


def _no_file(tmp_path, request) -> tuple[str, str]:
    db = tmp_path / "archive.db"
    return f"sqlite:///{db}", f"no archive at {db}; {RUN_HINT}"


def _empty_file(tmp_path, request) -> tuple[str, str]:
    db = tmp_path / "archive.db"
    db.touch()
    return f"sqlite:///{db}", f"database.url sqlite:///{db} holds no archive yet; {RUN_HINT}"


def _empty_pg_database(tmp_path, request) -> tuple[str, str]:
    from db.engine import redact

    url = request.getfixturevalue("pg_url")  # a fresh schema: nothing of Beatwire's in it
    return url, f"database.url {redact(url)} holds no archive yet; {RUN_HINT}"


def _newer_schema(tmp_path, request) -> tuple[str, str]:
    from sqlalchemy import create_engine, text

    from db.migrate import head

    url = f"sqlite:///{tmp_path / 'archive.db'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    return url, (f"database.url {url}: schema 9999_future is newer than this beatwire "
                 f"(latest {head()}); upgrade beatwire")


NO_ARCHIVE = [_no_file, _empty_file, _empty_pg_database, _newer_schema]
NO_ARCHIVE_IDS = ["missing-sqlite-file", "never-migrated-sqlite-file",
                  "postgres-database-without-schema", "schema-newer-than-beatwire"]


def _contents(url: str):
    """What a refused start must leave as it was: the SQLite files, or PostgreSQL's tables."""
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.pool import NullPool

    from db.engine import sqlite_path

    path = sqlite_path(url)
    if path is not None:
        return {file.name: file.read_bytes() for file in path.parent.glob(path.name + "*")}
    engine = create_engine(url, poolclass=NullPool)
    try:
        return sorted(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("args", [["run"], ["run", "--once"]], ids=["daemon", "once"])
@pytest.mark.parametrize("prepare", NO_ARCHIVE, ids=NO_ARCHIVE_IDS)
def test_run_without_an_archive_refuses_to_start_and_creates_nothing(
        tmp_path, request, make_config, prepare, args):
    """A typo in database.url or a restore gone wrong must not start a fresh empty archive
    (whose first poll would alert everything again): one line with both fixes, exit 2."""
    url, says = prepare(tmp_path, request)
    before = _contents(url)
    result = invoke(make_config(url, [{"name": "News", "url": "http://127.0.0.1:9/f"}]), *args)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"beatwire: {says}\n"
    assert _contents(url) == before


def _worker_states(url: str) -> list[str]:
    from sqlalchemy import select

    from db.models import Worker

    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            return list(session.scalars(select(Worker.state)))
    finally:
        engine.dispose()


@pytest.mark.parametrize("prepare", NO_ARCHIVE[:3], ids=NO_ARCHIVE_IDS[:3])
def test_run_init_creates_the_archive_and_runs(tmp_path, request, make_config, beatwire,
                                               prepare):
    from db.migrate import current, head

    url, _ = prepare(tmp_path, request)
    result = beatwire(make_config(url, []), "run", "--init", "--once")
    assert result.returncode == 0, result.stderr
    assert current(url) == head()
    assert _worker_states(url) == ["stopped"], "the daemon ran a cycle and stopped"


def _first_revision() -> str:
    from alembic.script import ScriptDirectory

    from db.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config("")).get_base()


def _previous_revision() -> str:
    from alembic.script import ScriptDirectory

    from db.migrate import alembic_config, head

    return ScriptDirectory.from_config(alembic_config("")).get_revision(head()).down_revision


@pytest.mark.parametrize("revision", [_first_revision, _previous_revision],
                         ids=["first-revision", "one-revision-behind"])
def test_run_migrates_an_older_archive_without_init(db_url, make_config, beatwire, revision):
    """Only creating an archive needs --init: an existing one is brought up to date at start."""
    from db.migrate import current, head

    upgrade(db_url, revision())
    result = beatwire(make_config(db_url, []), "run", "--once")
    assert result.returncode == 0, result.stderr
    assert current(db_url) == head()


def test_relative_sqlite_path_is_found_from_another_directory(archive, tmp_path, monkeypatch):
    """`sqlite:///beatwire.db` is the file beside config.toml, wherever the command runs."""
    archive.write_text(archive.read_text().replace(str(tmp_path / "beatwire.db"), "beatwire.db"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = invoke(archive, "search", "detainer", "--format", "json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == 2
    assert not list(elsewhere.iterdir())


@pytest.mark.parametrize("args", [["search", "x"], ["feeds", "list"], ["run", "--once"],
                                  ["db", "upgrade"]],
                         ids=["search", "feeds-list", "run", "db-upgrade"])
@pytest.mark.parametrize(
    "url, says, status",
    [
        ("postgresql+psycopg://postgres:s3cret@127.0.0.1:1/beatwire", "connection refused",
         cli.EXIT_TRY_LATER),
        ("postgresql+psycopg://postgres:s3cret@127.0.0.1:5432/beatwire_no_such_db",
         'database "beatwire_no_such_db" does not exist', 2),
    ],
    ids=["wrong-port-is-try-later", "missing-pg-database-is-for-good"],
)
def test_unreachable_database_is_one_line_naming_database_url(make_config, url, says, status,
                                                              args):
    result = invoke(make_config(url, []), *args)
    assert result.exit_code == status, result.output
    assert result.stderr.startswith("beatwire: database.url postgresql+psycopg://postgres:***@")
    assert result.stderr.count("\n") == 1 and says in result.stderr
    assert "s3cret" not in result.output


def _pg_server_down(request, tmp_path):
    with socket.socket() as sock:  # bound, then closed: nobody listens on it
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return (f"postgresql+psycopg://postgres:s3cret@127.0.0.1:{port}/beatwire",
            f"database.url postgresql+psycopg://postgres:***@127.0.0.1:{port}/beatwire: cannot "
            f'connect to "127.0.0.1", port {port}: connection refused (is PostgreSQL running '
            "there, on that port?)")


def _pg_shutting_down(request, tmp_path):
    from servers.refusing_postgres import RefusingPostgres

    server = RefusingPostgres("57P01", "the database system is shutting down").__enter__()
    request.addfinalizer(server.__exit__)
    port = server.url.rsplit(":", 1)[1].split("/")[0]
    return server.url, (f"database.url postgresql+psycopg://***@127.0.0.1:{port}/beatwire: "
                        f'cannot connect to "127.0.0.1", port {port}: the database system is '
                        "shutting down")


def _pg_database_missing(request, tmp_path):
    base = request.getfixturevalue("pg_base_url").rsplit("/", 1)[0]
    url = base.replace("//postgres@", "//postgres:s3cret@") + "/beatwire_no_such_db"
    shown = base.replace("//postgres@", "//postgres:***@") + "/beatwire_no_such_db"
    where = base.rsplit("@", 1)[1]
    host, port = where.rsplit(":", 1)
    return url, (f'database.url {shown}: cannot connect to "{host}", port {port}: database '
                 '"beatwire_no_such_db" does not exist (create it, then run `beatwire db '
                 'upgrade`)')


def _sqlite_archive_missing(request, tmp_path):
    path = tmp_path / "beatwire.db"
    return f"sqlite:///{path}", f"no archive at {path}; {INIT_HINT}"


@pytest.mark.parametrize("prepare, status", [
    pytest.param(_pg_server_down, 75, id="postgres-down-is-75-try-later"),
    pytest.param(_pg_shutting_down, 75, id="postgres-shutting-down-is-75-try-later"),
    pytest.param(_pg_database_missing, 2, id="missing-postgres-database-is-2-for-good"),
    pytest.param(_sqlite_archive_missing, 2, id="missing-sqlite-archive-is-2-for-good"),
])
def test_run_tells_a_supervisor_whether_a_restart_can_help(request, tmp_path, make_config,
                                                          beatwire, prepare, status):
    """systemd restarts 75 (EX_TEMPFAIL: the database is not answering yet) and not 2 (a fix
    is needed): a PostgreSQL down for a minute at boot must not leave beatwire down for good."""
    url, says = prepare(request, tmp_path)
    result = beatwire(make_config(url, []), "run", "--once")
    # psycopg at its floor (3.1.4) does not say which server refused: that part may be absent.
    server = re.compile(r'cannot connect to "[^"]+", port \d+: ')
    assert (result.returncode, server.sub("", result.stderr)) == \
        (status, f"beatwire: {server.sub('', says)}\n")
    assert "s3cret" not in result.stdout + result.stderr


@pytest.mark.parametrize("args", [["run", "--init", "--once"], ["db", "upgrade"]],
                         ids=["run-init", "db-upgrade"])
def test_sqlite_file_in_a_missing_folder_is_one_line(tmp_path, make_config, args):
    folder = tmp_path / "no" / "such"
    result = invoke(make_config(f"sqlite:///{folder}/beatwire.db", []), *args)
    assert result.exit_code == 2
    assert result.stderr == (f"beatwire: database.url sqlite:///{folder}/beatwire.db: cannot open "
                             f"{folder}/beatwire.db: folder {folder} does not exist\n")


def test_postgres_scheme_is_a_config_error_with_the_fix(tmp_path, make_config):
    config = make_config("postgres://postgres@127.0.0.1:5432/beatwire", [])
    result = invoke(config, "search", "x")
    assert result.exit_code == 2
    assert result.stderr == (f"beatwire: {config} is invalid: database.url: postgres:// is not a "
                             "database scheme here; use postgresql://\n")


def test_run_refuses_to_start_when_extraction_is_broken(make_config, sqlite_url):
    """A venv without trafilatura's lxml_html_clean: `run` says so in one line and exits 1,
    instead of crawling on feed summaries only."""
    config = make_config(sqlite_url, [])
    code = ("import runpy, sys; sys.modules['lxml_html_clean'] = None; "  # as if not installed
            f"sys.argv = ['beatwire', '--config', {str(config)!r}, 'run', '--init', '--once']; "
            "runpy.run_module('cli', run_name='__main__')")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("beatwire: article extraction is broken (ImportError: ")
    assert "lxml_html_clean" in result.stderr


def test_extraction_self_check_passes_on_this_install():
    assert cli.extraction_fault() is None


# -- logs: one line per event, JSON for log shippers, no password anywhere ------------------

FEED_PASSWORD = "hunter2-Secret"


@pytest.mark.timeout(240)
@pytest.mark.skipif(not netns_available(), reason="unshare -n (a network namespace) not allowed")
def test_run_once_logs_json_one_line_per_failed_feed_and_no_password(make_config, sqlite_url):
    # A network namespace of its own: the DNS lookup fails on this machine, nothing leaves it.
    feeds = [{"name": "nowhere", "url": f"http://bob:{FEED_PASSWORD}@nonexistent.invalid/f.xml"},
             {"name": "unreachable", "url": "http://127.0.0.1:9/feed.xml"}]
    config = make_config(sqlite_url, feeds, slack={"sink": "console"},
                         crawler={"obey_robots_txt": True})
    env = {key: value for key, value in os.environ.items() if key != "BEATWIRE_DATABASE_URL"}
    done = subprocess.run(["unshare", "-n", *beatwire_command(config, "--log-format", "json",
                                                              "run", "--init", "--once")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=180)

    records = [json.loads(line) for line in done.stderr.splitlines()]
    assert records and all({"time", "level", "logger", "message"} <= set(r) for r in records)
    assert "Traceback" not in done.stderr and not [r for r in records if r["level"] == "ERROR"]
    # The namespace's loopback is down: 127.0.0.1 is unreachable there, not refusing.
    reasons = {"nowhere": "DNS lookup failed for nonexistent.invalid",
               "unreachable": "cannot connect: No route to host"}
    for name, reason in reasons.items():
        lines = [r for r in records if f"feed={name} " in r["message"]]
        assert len(lines) == 1 and reason in lines[0]["message"], (name, done.stderr[-4000:])
        assert " url=" in lines[0]["message"] and lines[0]["level"] == "INFO"
    assert FEED_PASSWORD not in done.stderr + done.stdout
    assert FEED_PASSWORD.encode() not in Path(sqlite_url.removeprefix("sqlite:///")).read_bytes()
    listed = invoke(config, "feeds", "list")
    assert "nowhere" in listed.output and "DNS lookup failed" in listed.output
    assert FEED_PASSWORD not in listed.output


def test_feeds_test_prints_the_url_redacted(make_config, sqlite_url, beatwire):
    config = make_config(sqlite_url, [])
    url = f"http://bob:{FEED_PASSWORD}@127.0.0.1:9/feed.xml"  # nothing listens on port 9

    done = beatwire(config, "feeds", "test", url)

    assert done.returncode == 1
    assert "feed: http://bob:***@127.0.0.1:9/feed.xml" in done.stdout
    assert "connection refused" in done.stdout
    assert FEED_PASSWORD not in done.stdout + done.stderr


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_multi_line_message_is_logged_as_one_line(tmp_path, log_format):
    bad = tmp_path / "config.toml"
    bad.write_text("[slack]\nchanel = '#x'\n[crawler]\ndownload_timeout = 'forever'\n")
    with pytest.raises(ConfigError) as err:
        load_config(bad)
    record = logging.LogRecord("scheduler", logging.ERROR, __file__, 1,
                               "config reload rejected error=%s at http://u:pw@host/", (err.value,),
                               None)
    formatter = (cli.JsonFormatter() if log_format == "json" else
                 cli.LineFormatter("%(levelname)s %(name)s %(message)s"))

    line = formatter.format(record)

    assert "\n" not in line and "u:***@host" in line and "pw@" not in line
    message = json.loads(line)["message"] if log_format == "json" else line
    assert "slack.chanel: unknown key | crawler.download_timeout" in message


# --- scraped text printed inert, CSV cells never formulas ------------------------------------

HOSTILE = {  # what a publisher might hide in a quote or a title, and what must not get out
    "osc-window-title": "\x1b]0;pwned\x07",
    "csi-clear-screen": "\x1b[2J\x1b[H",
    "c1-csi": "\x9b2J",
    "osc-hyperlink": "\x1b]8;;http://evil.example/\x1b\\",
    "bidi-override": "\u202e",
}
RAW_CONTROLS = ("\x1b", "\x9b", "\x07", "\x9d", "\u202e")


@pytest.mark.parametrize("log_format", ["text", "json"])
@pytest.mark.parametrize("sequence", list(HOSTILE.values()), ids=list(HOSTILE))
def test_scraped_text_in_a_log_line_is_inert(sequence, log_format):
    record = logging.LogRecord("crawler", logging.INFO, __file__, 1, "feed is malformed but "
                               "usable feed=%s warning=%s", (f"News{sequence}", "bad"), None)
    formatter = (cli.JsonFormatter() if log_format == "json" else
                 cli.LineFormatter("%(levelname)s %(name)s %(message)s"))

    line = formatter.format(record)

    message = json.loads(line)["message"] if log_format == "json" else line
    assert not [c for c in RAW_CONTROLS if c in message]
    assert "feed=News warning=bad" in message  # the sequence gone whole, not half escaped


@pytest.fixture
def on_a_terminal(fake_slack, tmp_path):
    """Run `beatwire ARGS` with its stdout on a pseudo-terminal (Click strips some escape
    sequences when stdout is not a terminal, never on one); (exit status, what it showed)."""
    import pty

    def run(config, *args: str) -> tuple[int, str]:
        env = {**os.environ, "BEATWIRE_TEST_SLACK_TOKEN": fake_slack.token}
        env.pop("BEATWIRE_DATABASE_URL", None)
        shown, terminal = pty.openpty()
        with open(tmp_path / "stderr.txt", "wb") as stderr:
            child = subprocess.Popen(beatwire_command(config, *args), stdin=subprocess.DEVNULL,
                                     stdout=terminal, stderr=stderr, cwd=REPO, env=env)
        os.close(terminal)
        chunks = []
        while True:
            try:
                chunk = os.read(shown, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(shown)
        code = child.wait(timeout=120)
        return code, b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")

    return run


def _one_statement(config_path, db_url, quote: str, *, title: str = "Story",
                   speaker: str | None = "Sheriff Ada Park"):
    """Archive one article holding one statement with this quote, under feed 'News'."""
    upgrade(db_url)
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        sync_feeds(session, load_config(config_path), datetime.now(timezone.utc))
    item = ArticleItem(url="https://news.example/hostile", title=title,
                       published=datetime(2026, 3, 1, tzinfo=timezone.utc), text=quote,
                       feed="News", feed_id=1, entry_key="hostile")
    statement = Statement(quote=quote, speaker=speaker, speaker_title=None,
                          agency=Agency("Brant Police Department", "police", "Brant", "CA",
                                        "Brant police"), stance="refuses", score=0.8,
                          cues=("refuses: test",), kind="quote")
    with transaction(sessions) as session:
        store_article(session, item, [statement], channel="#x")
    return sessions, engine


@pytest.mark.parametrize("sequence", list(HOSTILE.values()), ids=list(HOSTILE))
def test_search_table_prints_scraped_text_inert_and_json_keeps_it_exact(
        make_config, sqlite_url, beatwire, on_a_terminal, sequence):
    config = make_config(sqlite_url, [{"name": "News", "url": "http://127.0.0.1:9/feed.xml"}])
    quote = f"We will not honor{sequence} ICE detainers without a warrant."
    _, engine = _one_statement(config, sqlite_url, quote, speaker=f"Ada{sequence} Park")
    engine.dispose()

    code, table = on_a_terminal(config, "search", "detainers")
    exact = beatwire(config, "search", "detainers", "--format", "json")

    assert code == 0, table
    assert not any(c in table for c in RAW_CONTROLS), repr(table)
    assert "We will not honor ICE detainers" in table and "Ada Park" in table
    assert json.loads(exact.stdout)[0]["quote"] == quote


def test_feeds_list_and_alerts_list_print_errors_inert(make_config, sqlite_url):
    from db.models import Alert, Feed

    config = make_config(sqlite_url, [{"name": "News", "url": "http://127.0.0.1:9/feed.xml"}])
    sessions, engine = _one_statement(config, sqlite_url, "We will not honor ICE detainers.")
    with transaction(sessions) as session:
        feed = session.get(Feed, 1)
        feed.status, feed.last_error = "error", "HTTP 500 \x1b]0;pwned\x07\x1b[2J\x9b2Jfrom server"
        session.get(Alert, 1).last_error = "rejected \x1b[31mred\x1b[0m \x9d0;x\x07"
    engine.dispose()

    listed, alerts = invoke(config, "feeds", "list"), invoke(config, "alerts", "list")

    assert "last error: HTTP 500 from server" in listed.output
    assert "rejected red" in alerts.output
    for output in (listed.output, alerts.output):
        assert not any(c in output for c in RAW_CONTROLS), repr(output)


def test_feeds_list_shows_a_feed_with_a_refused_entry_as_error(make_config, sqlite_url):
    from db.archive import record_refused_entries

    config = make_config(sqlite_url, [{"name": "News", "url": "http://127.0.0.1:9/feed.xml"}])
    sessions, engine = _one_statement(config, sqlite_url, "We will not honor ICE detainers.")
    with transaction(sessions) as session:
        record_refused_entries(session, 1, refused=("DataError: value too long",),
                               now=datetime.now(timezone.utc), http_status=200, etag='"e"',
                               last_modified=None, entries=2, new_articles=1)
    engine.dispose()

    listed = invoke(config, "feeds", "list")

    news = next(line for line in listed.output.splitlines() if line.startswith("News "))
    assert news.split()[1] == "error"
    assert "last error: 1 entry not stored: DataError: value too long" in listed.output


@pytest.mark.parametrize(
    "failed, says",
    [({"a": 3}, "    1 entry skipped after 3 failed detections"),
     ({"a": 3, "b": 4, "c": 2}, "    2 entries skipped after 3 failed detections"),
     ({"a": 2}, None)],
    ids=["one-skipped", "two-skipped-one-still-tried", "none-skipped-yet"],
)
def test_feeds_list_counts_the_entries_a_feed_skips(make_config, sqlite_url, failed, says):
    from db.failures import record_failed_detection

    config = make_config(sqlite_url, [{"name": "News", "url": "http://127.0.0.1:9/feed.xml"}])
    sessions, engine = _one_statement(config, sqlite_url, "We will not honor ICE detainers.")
    with transaction(sessions) as session:
        for key, times in failed.items():
            for _ in range(times):
                record_failed_detection(session, 1, key * 64, "detection ran over 10s",
                                        datetime.now(timezone.utc))
    engine.dispose()

    listed = invoke(config, "feeds", "list")

    assert listed.exit_code == 0, listed.output
    notes = [line for line in listed.output.splitlines() if "skipped" in line]
    assert notes == ([says] if says else [])


FORMULAS = {
    "equals-hyperlink": '=HYPERLINK("http://evil.example/","Click")',
    "at-sum": "@SUM(A1:A9)",
    "plus": "+1+1 more deputies, the chief said",
    "minus": "-1 detainer was honored",
    "tab": "\tWe will not honor ICE detainers",
    "carriage-return": "\rWe will not honor ICE detainers",
}


@pytest.mark.parametrize("quote", list(FORMULAS.values()), ids=list(FORMULAS))
def test_csv_cells_that_a_spreadsheet_would_run_are_prefixed_and_json_is_exact(
        make_config, sqlite_url, quote):
    config = make_config(sqlite_url, [{"name": "News", "url": "http://127.0.0.1:9/feed.xml"}])
    _, engine = _one_statement(config, sqlite_url, quote, speaker=quote)
    engine.dispose()

    exported = invoke(config, "export", "--format", "csv")
    exact = invoke(config, "export", "--format", "json")

    row = next(csv.DictReader(io.StringIO(exported.output)))
    assert row["quote"] == row["speaker"] == "'" + quote
    assert row["agency"] == "Brant Police Department" and row["score"] == "0.8"
    hit = json.loads(exact.output)[0]
    assert hit["quote"] == hit["speaker"] == quote


def test_feeds_test_prints_scraped_text_inert(make_config, sqlite_url, on_a_terminal, feed_site):
    from servers.feed_site import rss_feed

    quote = ("Sheriff Ana Ruiz said \u201cWe will not honor ICE detainers\x1b[2J without a "
             "judicial warrant\x9b2J,\u201d at a news conference on Monday.")
    feed_site.route("/feed.xml", rss_feed([
        {"title": "Sheriff \x1b]0;pwned\x07on detainers\x1b[2J", "guid": "1", "summary": quote},
    ]))
    config = make_config(sqlite_url, [])

    code, shown = on_a_terminal(config, "feeds", "test", feed_site.url("/feed.xml"))

    assert code == 0, shown
    assert "- Sheriff on detainers" in shown
    assert "We will not honor ICE detainers without a judicial warrant" in shown
    assert not any(c in shown for c in RAW_CONTROLS), repr(shown)


def test_explain_prints_the_passage_inert():
    text = "Sheriff Ana Ruiz said\x1b]0;pwned\x07 deputies will not honor ICE\x9b2J detainers.\n"

    result = CliRunner().invoke(cli.main, ["explain"], input=text)

    assert result.exit_code == 0, result.output
    assert "Passage 1: Sheriff Ana Ruiz said deputies will not honor ICE detainers." in result.output
    assert not any(c in result.output for c in RAW_CONTROLS), repr(result.output)


# -- alerts list and retry -----------------------------------------------------------------


@pytest.fixture
def outbox(archive, sqlite_url):
    """The archive's three alerts as an operator finds them: failed, paused, backfilled."""
    from db.models import Alert

    engine = make_engine(sqlite_url)
    with transaction(make_sessionmaker(engine)) as session:
        states = {1: ("failed", "channel_not_found", 1),
                  2: ("pending", "paused: token_missing (SLACK_BOT_TOKEN is not set)", 0),
                  3: ("skipped", "backfill: published before the first poll's window", 0)}
        for alert_id, (status, why, attempts) in states.items():
            alert = session.get(Alert, alert_id)
            alert.status, alert.last_error, alert.attempts = status, why, attempts
            alert.created_at = datetime(2026, 4, 2, 9, 30, tzinfo=timezone.utc)
    engine.dispose()
    return archive


def test_alerts_list_is_a_table_of_agency_quote_start_time_and_why(outbox):
    result = invoke(outbox, "alerts", "list")
    assert result.exit_code == 0, result.output
    header, *rows = result.output.splitlines()
    assert header.split() == ["ID", "STATUS", "AGENCY", "QUOTE", "CREATED", "ATTEMPTS", "WHY"]
    cells = [[cell.strip() for cell in re.split(r" {2,}", row)] for row in rows]
    assert cells == [
        ["3", "skipped", "Brant Police Department",
         "Officers will not ask about immigration status du…", "2026-04-02 09:30", "0",
         "backfill: published before the first poll's window"],
        ["2", "pending", "Ocotillo Police Department",
         "Our deputies will keep working with ICE at the ja…", "2026-04-02 09:30", "0",
         "paused: token_missing (SLACK_BOT_TOKEN is not set)"],
        ["1", "failed", "Kern Valley County Sheriff's Office",
         "We will not hold anyone on an ICE detainer withou…", "2026-04-02 09:30", "1",
         "channel_not_found"]]
    assert header.index("QUOTE") == rows[0].index("Officers")  # columns line up


@pytest.mark.parametrize("args, ids", [
    (["--status", "failed"], ["1"]),
    (["--status", "pending"], ["2"]),
    (["--status", "skipped"], ["3"]),
    (["--status", "sent"], []),
    (["--limit", "1"], ["3"]),
], ids=["failed-only", "pending-only", "skipped-backfill", "none-sent", "limit-newest"])
def test_alerts_list_filters(outbox, args, ids):
    result = invoke(outbox, "alerts", "list", *args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    if not ids:
        assert lines == ["no sent alerts"]
        return
    assert lines[0].startswith("ID") and [line.split()[0] for line in lines[1:]] == ids


@pytest.fixture
def routed_outbox(outbox, make_config, sqlite_url):
    """The outbox with routes: alert 1 went through `legal`, 2 through `all`, 3 (a backfill
    from before the routes) through the [slack] channel."""
    from db.models import Alert

    make_config(sqlite_url, [{"name": "News", "url": "http://127.0.0.1:9/feed.xml"}],
                alerts={"routes": [{"name": "all", "channel": "#beatwire"},
                                   {"name": "legal", "channel": "#legal", "states": ["CA"]}]})
    engine = make_engine(sqlite_url)
    with transaction(make_sessionmaker(engine)) as session:
        for alert_id, route in {1: "legal", 2: "all"}.items():
            session.get(Alert, alert_id).route = route
    engine.dispose()
    return outbox


@pytest.mark.parametrize("args, shown", [
    ([], [("3", "-"), ("2", "all"), ("1", "legal")]),
    (["--route", "legal"], [("1", "legal")]),
    (["--route", "all", "--status", "pending"], [("2", "all")]),
    (["--status", "skipped"], [("3", None)]),
    (["--route", "legal", "--status", "pending"], "no pending alerts on route legal"),
    (["--route", "gone"], "no alerts on route gone (config.toml has no such route)"),
], ids=["route-column-dash-for-the-slack-channel", "one-route", "route-and-status",
        "no-column-when-no-row-has-a-route", "nothing-on-that-route",
        "a-route-config-does-not-name-says-so"])
def test_alerts_list_shows_and_filters_by_route(routed_outbox, args, shown):
    result = invoke(routed_outbox, "alerts", "list", *args)
    assert result.exit_code == 0, result.output
    if isinstance(shown, str):
        assert result.output == shown + "\n"
        return
    header, *rows = result.output.splitlines()
    cells = [[cell.strip() for cell in re.split(r" {2,}", row)] for row in rows]
    if shown[0][1] is None:
        assert "ROUTE" not in header.split()
        assert [row[0] for row in cells] == [alert_id for alert_id, _ in shown]
        return
    assert header.split()[:4] == ["ID", "STATUS", "ROUTE", "AGENCY"]
    assert [(row[0], row[2]) for row in cells] == shown
    assert header.index("AGENCY") == rows[0].index(cells[0][3])  # columns line up


@pytest.mark.parametrize("args, says", [
    (["list", "--limit", "0"], "--limit"),
    (["list", "--status", "lost"], "--status"),
    (["retry"], "--failed"),
    (["retry", "1", "--failed"], "not both"),
], ids=["limit-below-one", "unknown-status", "retry-nothing", "retry-ids-and-failed"])
def test_alerts_usage_errors_exit_2_and_name_the_fix(outbox, args, says):
    result = invoke(outbox, "alerts", *args)
    assert result.exit_code == 2 and says in result.output, result.output


@pytest.mark.parametrize("args, requeued, statuses", [
    (["--failed"], 1, {1: "pending", 2: "pending", 3: "skipped"}),
    (["1", "2", "3"], 1, {1: "pending", 2: "pending", 3: "skipped"}),
    (["2"], 0, {1: "failed", 2: "pending", 3: "skipped"}),
], ids=["every-failed", "named-only-failed-ones-move", "named-not-failed-untouched"])
def test_alerts_retry_requeues_failed_alerts_only(outbox, sqlite_url, args, requeued, statuses):
    from db.models import Alert

    result = invoke(outbox, "alerts", "retry", *args)
    assert result.exit_code == 0 and f"requeued {requeued} alert(s)" in result.output
    engine = make_engine(sqlite_url)
    with make_sessionmaker(engine)() as session:
        found = {a.id: (a.status, a.last_error) for a in session.query(Alert)}
    engine.dispose()
    assert {i: status for i, (status, _) in found.items()} == statuses
    assert found[1][1] == (None if statuses[1] == "pending" else "channel_not_found")


# --- labels export ---------------------------------------------------------------------------


def _review(sqlite_url, statement_id: int, verdicts: list[tuple[str, str | None]]) -> None:
    from datetime import timedelta

    from db import reviews

    engine = make_engine(sqlite_url)
    start = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
    for n, (verdict, stance) in enumerate(verdicts):
        with transaction(make_sessionmaker(engine)) as session:
            reviews.record(session, statement_id, reviewer_id="U1", reviewer_name="Ana",
                           verdict=verdict, stance=stance, request_digest=f"{statement_id}-{n}",
                           now=start + timedelta(minutes=n))
    engine.dispose()


KERN_QUOTE = "We will not hold anyone on an ICE detainer without a judge's warrant."


@pytest.mark.parametrize("verdicts, label", [
    ([("correct", None)], (True, "mixed")),
    ([("not_relevant", None)], (False, None)),
    ([("wrong_stance", "refuses")], (True, "refuses")),
    ([("not_relevant", None), ("correct", None)], (True, "mixed")),
    ([("correct", None), ("not_relevant", None)], (False, None)),
    ([("correct", None), ("wrong_speaker", None)], None),
], ids=["correct-keeps-its-stance", "not-relevant", "wrong-stance-takes-the-reviewers",
        "latest-wins", "latest-wins-the-other-way", "wrong-speaker-left-out"])
def test_labels_export_writes_the_latest_verdict_in_the_train_format(archive, sqlite_url,
                                                                     tmp_path, verdicts, label):
    from detect.train import load

    _review(sqlite_url, 1, verdicts)
    out = tmp_path / "labels.jsonl"
    result = invoke(archive, "labels", "export", "--out", str(out))
    assert result.exit_code == 0, result.output
    items = load([out])
    if label is None:
        assert items == []
        assert result.stderr == (f"wrote 0 labelled statement(s) to {out}; left out 1: wrong "
                                 "speaker or agency (the right one is not known)\n")
        return
    [item] = items
    assert (item["relevant"], item["stance"]) == label
    assert item == {**item, "id": "statement-1", "speaker": "Sheriff Ada Park",
                    "agency": "Kern Valley County Sheriff's Office",
                    "source": "https://news.example/a", "title": "Story 0"}
    assert KERN_QUOTE in item["text"]
    assert result.stderr == f"wrote 1 labelled statement(s) to {out}\n"


@pytest.mark.parametrize("command", [["search", ""], ["export"]], ids=["search", "export"])
@pytest.mark.parametrize("review, expected", [
    ("unreviewed", ["Ocotillo Police Department"]),
    ("wrong_stance", ["Kern Valley County Sheriff's Office"]),
    ("reviewed", ["Brant Police Department", "Kern Valley County Sheriff's Office"]),
], ids=["unreviewed-has-no-review", "a-verdict-is-the-latest-review", "reviewed-has-any"])
def test_review_filters_search_and_export_by_the_reviews_table(archive, sqlite_url, command,
                                                               review, expected):
    _review(sqlite_url, 1, [("correct", None), ("wrong_stance", "refuses")])
    _review(sqlite_url, 3, [("not_relevant", None)])
    result = invoke(archive, *command, "--review", review, "--format", "json")
    assert result.exit_code == 0, result.output
    assert sorted(hit["agency"] for hit in json.loads(result.output)) == expected


@pytest.mark.parametrize("command", [["search", ""], ["export"]], ids=["search", "export"])
def test_an_unknown_review_state_is_a_usage_error_naming_the_choices(archive, command):
    result = invoke(archive, *command, "--review", "maybe")
    assert result.exit_code == 2
    choices = ", ".join(repr(state) for state in REVIEW_STATES)
    assert f"Invalid value for '--review': 'maybe' is not one of {choices}." in result.output


def test_labels_export_writes_stdout_and_nothing_reviewed_is_nothing(archive, sqlite_url):
    empty = invoke(archive, "labels", "export")
    assert (empty.exit_code, empty.stdout) == (0, "")
    _review(sqlite_url, 3, [("correct", None)])
    _review(sqlite_url, 2, [("not_relevant", None)])
    lines = [json.loads(line) for line in invoke(archive, "labels", "export").stdout.splitlines()]
    assert [(i["id"], i["relevant"], i["stance"]) for i in lines] == [
        ("statement-2", False, None), ("statement-3", True, "refuses")]
