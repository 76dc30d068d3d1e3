"""The operator's commands: editing feeds in config.toml, `config check`, `slack test`."""

from __future__ import annotations

import json
import re
import sqlite3
import tomllib
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from support import REPO

import cli
from config import load_config
from db.engine import make_engine, make_sessionmaker, transaction
from db.feeds import sync_feeds
from db.migrate import upgrade
from db.models import Feed

FEEDS = [{"name": "Brant PD", "url": "https://brant.example/rss"},
         {"name": "Kern Sheriff", "url": "https://kern.example/rss", "enabled": False}]
COMMENT = "# Brant's feed is the police department's own voice\n"


def invoke(config, *args, env=None):
    return CliRunner().invoke(cli.main, ["--config", str(config), *args], env=env)


@pytest.fixture
def config(make_config, sqlite_url):
    """A config.toml with two feeds (one disabled) and a comment an edit must keep."""
    path = make_config(sqlite_url, FEEDS)
    path.write_text(COMMENT + path.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def _feeds(path) -> dict[str, bool]:
    return {f["name"]: f.get("enabled", True)
            for f in tomllib.loads(path.read_text(encoding="utf-8")).get("feeds", [])}


EDITS = [
    ("remove", ["feeds", "remove", "Brant PD"], {"Kern Sheriff": False}, "removed feed"),
    ("disable", ["feeds", "disable", "Brant PD"], {"Brant PD": False, "Kern Sheriff": False},
     "disabled in"),
    ("enable", ["feeds", "enable", "Kern Sheriff"], {"Brant PD": True, "Kern Sheriff": True},
     "enabled in"),
    ("enable-an-enabled-feed", ["feeds", "enable", "Brant PD"],
     {"Brant PD": True, "Kern Sheriff": False}, "already enabled"),
]


@pytest.mark.parametrize("args, after, said", [e[1:] for e in EDITS], ids=[e[0] for e in EDITS])
def test_feed_edits_write_config_toml_keeping_comments(config, args, after, said):
    result = invoke(config, *args)
    assert result.exit_code == 0, result.output
    assert said in result.output and result.output.count("\n") == 1
    assert _feeds(config) == after
    assert config.read_text(encoding="utf-8").startswith(COMMENT)


@pytest.mark.parametrize("verb", ["remove", "disable", "enable"])
def test_unknown_feed_is_one_line_exit_2_file_unchanged(config, verb):
    before = config.read_text(encoding="utf-8")
    result = invoke(config, "feeds", verb, "Nobody PD")
    assert result.exit_code == 2
    assert result.stderr == f"beatwire: {config} has no feed named 'Nobody PD'\n"
    assert config.read_text(encoding="utf-8") == before


def test_daemon_sync_applies_disable_and_remove(config, sqlite_url):
    """What the daemon's reload does with the edited file: the archive follows config.toml."""
    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    sessions = make_sessionmaker(engine)

    def sync() -> dict[str, bool]:
        with transaction(sessions) as session:
            sync_feeds(session, load_config(config), datetime.now(timezone.utc))
            return {feed.name: feed.enabled for feed in session.query(Feed)}

    try:
        assert sync() == {"Brant PD": True, "Kern Sheriff": False}
        assert invoke(config, "feeds", "enable", "Kern Sheriff").exit_code == 0
        assert invoke(config, "feeds", "disable", "Brant PD").exit_code == 0
        assert sync() == {"Brant PD": False, "Kern Sheriff": True}
        assert invoke(config, "feeds", "remove", "Kern Sheriff").exit_code == 0
        assert sync() == {"Brant PD": False, "Kern Sheriff": False}
    finally:
        engine.dispose()


PASSWORD_URLS = [("user-and-password", "https://ops:s3cret@news.example/rss"),
                 ("percent-encoded", "https://ops:s%33cret@news.example/rss")]


@pytest.mark.parametrize("url", [u for _, u in PASSWORD_URLS], ids=[i for i, _ in PASSWORD_URLS])
def test_feeds_add_refuses_a_password_in_the_url(config, url):
    before = config.read_text(encoding="utf-8")
    result = invoke(config, "feeds", "add", "Members", url)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "--password-env" in result.stderr and "s3cret" not in result.stderr
    assert config.read_text(encoding="utf-8") == before


def test_feeds_add_with_password_env_writes_no_password(config):
    result = invoke(config, "feeds", "add", "Members", "https://news.example/rss",
                    "--username", "ops", "--password-env", "NEWS_PASSWORD")
    assert result.exit_code == 0, result.output
    [added] = [f for f in tomllib.loads(config.read_text())["feeds"] if f["name"] == "Members"]
    assert (added["username"], added["password_env"]) == ("ops", "NEWS_PASSWORD")


# -- config check ---------------------------------------------------------------------------


def test_config_check_ok_redacts_the_database_password(make_config):
    url = "postgresql+psycopg://beatwire:hunter2@127.0.0.1:1/beatwire"
    result = invoke(make_config(url, FEEDS), "config", "check",
                    env={"BEATWIRE_TEST_SLACK_TOKEN": "xoxb-set"})
    assert result.exit_code == 0, result.output
    assert result.output == ("config OK: 2 feeds (1 enabled), database "
                             "postgresql+psycopg://beatwire:***@127.0.0.1:1/beatwire\n")


BAD_CONFIGS = [
    ("two-bad-keys", "[crawler]\ndownload_timeout = 'forever'\n[scheduler]\ntick = -1\n",
     ["crawler.download_timeout: ", "; scheduler.tick: "]),
    ("not-toml", "[crawler\n", ["not valid TOML"]),
    ("password-env-unset", "[[feeds]]\nname = 'M'\nurl = 'https://n.example/'\n"
     "username = 'ops'\npassword_env = 'BEATWIRE_TEST_UNSET_PASSWORD'\n",
     ["BEATWIRE_TEST_UNSET_PASSWORD is not set"]),
]


@pytest.mark.parametrize("text, named", [b[1:] for b in BAD_CONFIGS], ids=[b[0] for b in BAD_CONFIGS])
def test_config_check_invalid_is_one_line_exit_2(tmp_path, text, named):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    result = invoke(path, "config", "check")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and all(part in result.stderr for part in named)


def test_config_check_database_on_both_engines(make_config, db_url):
    config = make_config(db_url, FEEDS)
    missing = invoke(config, "config", "check", "--database")
    assert missing.exit_code == 2 and "run `beatwire db upgrade`" in missing.stderr
    upgrade(db_url)
    result = invoke(config, "config", "check", "--database",
                    env={"BEATWIRE_TEST_SLACK_TOKEN": "xoxb-set"})
    assert result.exit_code == 0, result.output
    assert result.output.endswith("(reachable, latest schema)\n") and "config OK" in result.output


def _readme_routes() -> dict:
    """The TOML example of README's "Routing" section."""
    section = (REPO / "README.md").read_text(encoding="utf-8").split("\n## Routing\n", 1)[1]
    return tomllib.loads(re.search(r"```toml\n(.*?)```", section, re.S).group(1))


def _uncommented_routes(text: str) -> str:
    """config.toml with its commented [[alerts.routes]] example (up to a blank line) on."""
    start = text.index("# [[alerts.routes]]")
    end = text.index("\n\n", start)
    block = "\n".join(line.removeprefix("#").removeprefix(" ")
                      for line in text[start:end].splitlines())
    return text[:start] + block + text[end:]


@pytest.mark.parametrize("routes_on", [False, True], ids=["as-shipped", "routes-uncommented"])
def test_shipped_config_checks_and_its_routes_example_is_readmes(tmp_path, routes_on):
    text = (REPO / "config.toml").read_text(encoding="utf-8")
    path = tmp_path / "config.toml"
    path.write_text(_uncommented_routes(text) if routes_on else text, encoding="utf-8")
    result = invoke(path, "config", "check", env={"SLACK_BOT_TOKEN": "xoxb-set"})
    assert result.exit_code == 0, result.output
    assert result.output.startswith("config OK: ")
    routes = tomllib.loads(path.read_text(encoding="utf-8")).get("alerts", {}).get("routes")
    assert routes == (_readme_routes()["alerts"]["routes"] if routes_on else None)
    if routes_on:
        assert [route.name for route in load_config(path).alerts.routes] == [
            "all", "southwest-changes", "sheriffs-teams"]


def test_config_check_notes_a_missing_slack_token(config):
    result = invoke(config, "config", "check", env={"BEATWIRE_TEST_SLACK_TOKEN": ""})
    assert result.exit_code == 0
    assert result.output.splitlines()[1] == ("note: BEATWIRE_TEST_SLACK_TOKEN is not set: "
                                             "alerts wait in the outbox until it is")


# -- slack test -----------------------------------------------------------------------------


def _tables(db) -> list[str]:
    connection = sqlite3.connect(db)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def test_slack_test_posts_one_message_and_prints_its_ts(config, fake_slack, tmp_path, sqlite_url):
    upgrade(sqlite_url)
    db = sqlite_url.removeprefix("sqlite:///")
    before = _tables(db)
    result = invoke(config, "slack", "test", env={"BEATWIRE_TEST_SLACK_TOKEN": fake_slack.token})
    assert result.exit_code == 0, result.output
    [posted] = fake_slack.posted
    assert posted.channel == "C0ALERTS" and "Beatwire test message" in posted.text
    assert result.output == (f"posted a test message to #beatwire-alerts (channel C0ALERTS) "
                             f"ts={posted.ts}\n")
    assert _tables(db) == before


SLACK_FAILURES = [
    ("missing-token", "", None, 2, "BEATWIRE_TEST_SLACK_TOKEN is not set"),
    ("refused-token", "xoxb-wrong", None, 1,
     "Slack refused the token in BEATWIRE_TEST_SLACK_TOKEN (invalid_auth)"),
    ("unknown-channel", "fake", "#nowhere", 1, "(channel_not_found)"),
]


@pytest.mark.parametrize("token, channel, code, said", [f[1:] for f in SLACK_FAILURES],
                         ids=[f[0] for f in SLACK_FAILURES])
def test_slack_test_failure_is_one_line(make_config, sqlite_url, fake_slack, token, channel,
                                        code, said):
    slack = {"channel": channel} if channel else {}
    config = make_config(sqlite_url, [], slack=slack)
    token = fake_slack.token if token == "fake" else token
    result = invoke(config, "slack", "test", env={"BEATWIRE_TEST_SLACK_TOKEN": token})
    assert result.exit_code == code
    assert result.stderr.count("\n") == 1 and said in result.stderr
    assert fake_slack.posted == [] and fake_slack.token not in result.stderr


# -- tables with headers --------------------------------------------------------------------

from test_cli import archive  # noqa: E402,F401 (three statements in a SQLite archive)


def test_search_table_has_a_header_and_a_row_per_statement(archive):  # noqa: F811 (the fixture)
    result = invoke(archive, "search", "warrant")
    assert result.exit_code == 0, result.output
    header, row, quote, url, *_ = result.output.splitlines()
    assert header.split() == ["PUBLISHED", "STANCE", "STATE", "AGENCY", "SPEAKER", "SOURCES"]
    assert row.startswith("2026-03-01  mixed       CA     Kern Valley County Sheriff's Office  ")
    assert row.split("  ")[-1] == "1" and "Sheriff Ada Park" in row
    assert quote.startswith("    \u201cWe will not hold anyone") and url == "    https://news.example/a"
    # Every row's columns start where the header's do.
    assert row.index("Kern Valley") == header.index("AGENCY")


def test_feeds_list_is_a_table_with_a_header(archive):  # noqa: F811 (the fixture)
    from config import add_feed

    add_feed(archive, name="Not yet polled", url="https://new.example/rss")
    assert invoke(archive, "feeds", "disable", "News").exit_code == 0
    result = invoke(archive, "feeds", "list")
    assert result.exit_code == 0, result.output
    header, news, new = result.output.splitlines()
    assert header.split("  ")[0] == "NAME" and "LAST POLL" in header and "ENABLED" in header
    assert news.split()[:3] == ["News", "never", "0"] and news.endswith("yes, no at next reload")
    assert new.split("  ")[0] == "Not yet polled" and new.endswith("next start or reload  yes")
    assert new.index("new") == news.index("never") == header.index("STATUS")


# -- help: examples survive click's reflow ----------------------------------------------------


def _commands(group=cli.main, path=()):
    """(path, command) for the root and every command under it."""
    yield path, group
    for name, command in sorted(getattr(group, "commands", {}).items()):
        yield from _commands(command, (*path, name))


def _examples(command) -> list[str]:
    """The lines of a command's Example(s) paragraph, as its docstring writes them."""
    lines = (command.help or "").splitlines()
    starts = [n for n, line in enumerate(lines) if line.strip() in ("Example:", "Examples:")]
    found = []
    for start in starts:
        for line in lines[start + 1:]:
            if not line.strip() and found:
                break
            found += [line.strip()] if line.strip() else []
    return found


# Every command but a group that only lists its subcommands (those have examples of their own).
COMMANDS = [(path, command) for path, command in _commands()
            if _examples(command) or not isinstance(command, cli.click.Group)]


@pytest.mark.parametrize("path, command", COMMANDS,
                         ids=[" ".join(path) or "beatwire" for path, _ in COMMANDS])
def test_help_shows_each_example_command_on_one_line(path, command):
    examples = _examples(command)
    assert examples, "every command's help has an example"
    result = CliRunner().invoke(cli.main, [*path, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    shown = [line.strip() for line in result.output.splitlines()]
    assert any("beatwire" in example for example in examples)
    for example in examples:
        assert example in shown, f"{example!r} is split in:\n{result.output}"


# -- search: a prefix through the command, on both engines --------------------------------


def test_search_prefix_through_the_command(make_config, db_url):
    from db.archive import store_article
    from detect import Agency, Statement
    from items import ArticleItem

    config = make_config(db_url, [{"name": "News", "url": "http://127.0.0.1:9/feed.xml"}])
    upgrade(db_url)
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    quotes = ("We will not ask about immigration status.", "Immigrants may report crimes.",
              "It is important to call 911.")
    try:
        with transaction(sessions) as session:
            sync_feeds(session, load_config(config), datetime.now(timezone.utc))
        for n, quote in enumerate(quotes):
            item = ArticleItem(url=f"https://news.example/{n}", title=f"Story {n}", text=quote,
                               published=datetime(2026, 3, 1 + n, tzinfo=timezone.utc),
                               feed="News", feed_id=1, entry_key=f"k{n}")
            agency = Agency("Brant Police Department", "police", "Brant", "CA", "Brant police")
            with transaction(sessions) as session:
                store_article(session, item, [Statement(
                    quote=quote, speaker=None, speaker_title=None, agency=agency,
                    stance="refuses", score=0.8, cues=(), kind="quote")], channel="#x")
    finally:
        engine.dispose()
    result = invoke(config, "search", "immigra*", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [hit["quote"] for hit in json.loads(result.output)] == list(quotes[1::-1])
