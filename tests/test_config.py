"""config.toml validation: errors name the key, defaults apply, env overrides."""

from __future__ import annotations

import pytest

from config import Config, ConfigError, add_feed, load_config, parse_config, parse_duration


def write(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text, key, problem",
    [
        ("[[feeds]]\nname = 'a'\nurl = 'ftp://x/feed'\n", "feeds[0].url", "http"),
        ("[[feeds]]\nname = 'a'\n", "feeds[0].url", "required"),
        ("[[feeds]]\nname = 'a'\nurl = 'https://x/f'\ninterval = 'soon'\n",
         "feeds[0].interval", "not a duration"),
        ("[[feeds]]\nname = 'a'\nurl = 'https://x/f'\nkind = 'html'\n",
         "feeds[0]", "item_selector"),
        ("[[feeds]]\nname = 'a'\nurl = 'https://x/a'\n[[feeds]]\nname = 'a'\nurl = 'https://x/b'\n",
         "feeds", "appears twice"),
        ("[slack]\nchanel = '#x'\n", "slack.chanel", "unknown key"),
        ("[slack]\napi_url = 'slack.com/api'\n", "slack.api_url", "http"),
        ("[slack]\ndigest_cron = 'every day'\n", "slack.digest_cron", ""),
        ("[detect]\nthreshold = 1.5\n", "detect.threshold", "less than or equal"),
        ("[crawler]\nallow_private_addresses = 'yes please'\n",
         "crawler.allow_private_addresses", "boolean"),
        ("[scheduler]\ntick = 0\n", "scheduler.tick", "greater than 0"),
        ("[crawler]\ndownload_delay = -1\n", "crawler.download_delay", "greater than or equal"),
        ("[crawler]\ndownload_delay = true\n", "crawler.download_delay", "valid number"),
        ("[crawler]\nautothrottle_start_delay = inf\n", "crawler.autothrottle_start_delay",
         "finite"),
        ("[crawler]\nautothrottle = 'sometimes'\n", "crawler.autothrottle", "boolean"),
        ("[metrics]\nlisten = '9464'\n", "metrics.listen", "is not HOST:PORT"),
        ("[metrics]\nlisten = 'localhost:65536'\n", "metrics.listen", "is not HOST:PORT"),
        ("[metrics]\nlisten = ':9464'\n", "metrics.listen", "is not HOST:PORT"),
        ("[health]\npoll_max_age = 'a while'\n", "health.poll_max_age", "not a duration"),
        ("[health]\nalert_max_wait = 0\n", "health.alert_max_wait", "greater than 0"),
        ("[archive]\nfetch_log_days = 0\n", "archive.fetch_log_days", "greater than 0"),
        ("[archive]\nfetch_log_days = true\n", "archive.fetch_log_days", "valid integer"),
        ("[archive]\nfetch_log_days = '30d'\n", "archive.fetch_log_days", "valid integer"),
    ],
    ids=["ftp-url", "missing-url", "bad-interval", "html-without-selector", "duplicate-name",
         "typo-key", "api-url-not-http", "bad-cron", "threshold-range", "bool-type", "zero-tick",
         "negative-delay", "delay-not-a-number", "infinite-start-delay", "autothrottle-not-bool",
         "metrics-listen-without-host", "metrics-port-out-of-range", "metrics-listen-empty-host",
         "health-age-not-a-duration", "health-wait-zero", "fetch-log-days-zero",
         "fetch-log-days-not-bool", "fetch-log-days-a-count-not-a-duration"],
)
def test_invalid_config_names_the_key(tmp_path, text, key, problem):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    message = str(err.value)
    assert f"{key}:" in message
    assert problem in message


def test_invalid_query_is_a_config_error_on_its_key(tmp_path):
    with pytest.raises(ConfigError, match=r"detect\.query: .*does not parse"):
        load_config(write(tmp_path, '[detect]\nquery = "(ICE AND"\n'))


@pytest.mark.parametrize(
    "text, problem",
    [("[slack\n", "not valid TOML"), (None, "no such config file")],
    ids=["broken-toml", "missing-file"],
)
def test_unreadable_config(tmp_path, text, problem):
    path = write(tmp_path, text) if text is not None else tmp_path / "absent.toml"
    with pytest.raises(ConfigError, match=problem):
        load_config(path)


@pytest.mark.parametrize(
    "value, seconds",
    [(90, 90), ("90", 90), ("15m", 900), ("2h", 7200), ("1d", 86400), (" 5 s ", 5)],
)
def test_durations(value, seconds):
    assert parse_duration(value) == seconds


def test_defaults_and_feed_interval(tmp_path):
    config = load_config(write(tmp_path, "[[feeds]]\nname = 'a'\nurl = 'https://x/f'\n"
                                         "[[feeds]]\nname = 'b'\nurl = 'https://x/g'\ninterval = '1m'\n"))
    assert config.database.url == f"sqlite:///{tmp_path / 'beatwire.db'}"
    assert config.crawler.allow_private_addresses is False
    assert [config.feed_interval(f) for f in config.feeds] == [900, 60]


@pytest.mark.parametrize(
    "url, problem",
    [
        ("postgres://beatwire@db.internal/beatwire", "use postgresql://"),
        ("sqlite3:///beatwire.db", "use sqlite://"),
        ("mysql://beatwire@db.internal/beatwire", "unknown scheme mysql://"),
        ("postgresql+psycopg2://beatwire@db.internal/beatwire", "driver psycopg2 is not installed"),
        ("beatwire.db", "not a database URL"),
    ],
    ids=["postgres-scheme", "sqlite3-scheme", "unknown-dialect", "driver-not-installed",
         "bare-path"],
)
def test_bad_database_url_names_the_key_and_the_fix(tmp_path, url, problem):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, f"[database]\nurl = '{url}'\n"))
    assert "database.url:" in str(err.value) and problem in str(err.value)


@pytest.mark.parametrize(
    "written, expected",
    [
        ("sqlite:///beatwire.db", "sqlite:///{folder}/beatwire.db"),
        ("sqlite:///data/../archive.db", "sqlite:///{folder}/archive.db"),
        ("sqlite:////srv/beatwire/beatwire.db", "sqlite:////srv/beatwire/beatwire.db"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
        ("postgresql://beatwire@db.internal/beatwire",
         "postgresql+psycopg://beatwire@db.internal/beatwire"),
    ],
    ids=["relative-file-beside-the-config", "relative-with-dots", "absolute-file-kept",
         "memory-kept", "postgresql-gets-the-installed-driver"],
)
def test_database_url_resolved_against_the_config_folder(tmp_path, monkeypatch, written,
                                                         expected):
    folder = tmp_path / "etc"
    folder.mkdir()
    monkeypatch.chdir(tmp_path)  # elsewhere: the current directory must not matter
    config = load_config(write(folder, f"[database]\nurl = '{written}'\n"))
    assert config.database.url == expected.format(folder=folder)


def test_bad_database_url_from_the_environment_names_the_variable(monkeypatch):
    monkeypatch.setenv("BEATWIRE_DATABASE_URL", "postgres://u@h/db")
    with pytest.raises(ConfigError, match=r"BEATWIRE_DATABASE_URL \(database\.url\): .*use "
                                          r"postgresql://"):
        parse_config({})


def test_database_url_env_override(monkeypatch):
    monkeypatch.setenv("BEATWIRE_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert parse_config({}).database.url == "postgresql+psycopg://u@h/db"


def test_token_comes_from_the_named_env_var(monkeypatch):
    monkeypatch.setenv("MY_TOKEN", "xoxb-secret")
    slack = parse_config({"slack": {"token_env": "MY_TOKEN"}}).slack
    assert slack.token() == "xoxb-secret"
    assert "xoxb-secret" not in repr(Config.model_validate({"slack": {"token_env": "MY_TOKEN"}}))


def test_shipped_config_is_valid():
    config = load_config("config.toml")
    assert config.feeds and all(f.url.startswith("https://") for f in config.feeds)


def test_add_feed_keeps_comments_and_validates(tmp_path):
    path = write(tmp_path, "# operators' note\n[slack]\nchannel = '#x'  # keep me\n")
    add_feed(path, name="Springfield PD", url="https://springfield.example/rss", agency="Springfield PD")
    text = path.read_text()
    assert "# operators' note" in text and "# keep me" in text
    assert load_config(path).feeds[0].agency == "Springfield PD"
    with pytest.raises(ConfigError, match=r"feeds\[1\]\.url"):
        add_feed(path, name="bad", url="file:///etc/passwd")
    assert "file:///etc/passwd" not in path.read_text()


@pytest.mark.parametrize("start", ["feeds = []\n[slack]\nchannel = '#x'\n", "",
                                   "[[feeds]]\nname = 'A'\nurl = 'https://a/x'\n"],
                         ids=["inline-empty-array", "empty-file", "existing-tables"])
def test_add_feed_to_any_starting_file(tmp_path, start):
    path = write(tmp_path, start)
    add_feed(path, name="B", url="https://b.example/rss", interval="15m")
    assert [f.name for f in load_config(path).feeds][-1] == "B"


def test_shipped_config_carries_the_default_query():
    from detect import DEFAULT_QUERY

    shipped = load_config("config.toml").detect.query
    assert " ".join(shipped.split()) == " ".join(DEFAULT_QUERY.split())


def test_default_threshold_is_the_detectors():
    from detect.detector import DEFAULT_THRESHOLD

    assert Config().detect.threshold == DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "text, politeness",
    [
        ("", (0.0, True, 0.5, 2)),
        ("[crawler]\ndownload_delay = 0.25\nautothrottle = false\n", (0.25, False, 0.5, 2)),
        ("[crawler]\nautothrottle_start_delay = 2\nconcurrent_per_domain = 1\n",
         (0.0, True, 2.0, 1)),
    ],
    ids=["default-is-todays-politeness", "fixed-delay-no-throttle", "slow-start-one-per-site"],
)
def test_politeness_keys(tmp_path, text, politeness):
    crawler = load_config(write(tmp_path, text)).crawler
    assert (crawler.download_delay, crawler.autothrottle, crawler.autothrottle_start_delay,
            crawler.concurrent_per_domain) == politeness


@pytest.mark.parametrize(
    "feed, key, problem",
    [
        ({"url": "http://bob:pw@x.example/f", "password_env": "PW"}, "feeds[0].password_env",
         "already holds a password"),
        ({"url": "http://bob@x.example/f", "username": "al"}, "feeds[0].username",
         "already names a user"),
        ({"url": "http://x.example/f", "password_env": "PW"}, "feeds[0].password_env",
         "needs username"),
        ({"url": "http://bob:pw@/f"}, "feeds[0].url", "no host"),
        ({"url": "http://x.example:99999/f"}, "feeds[0].url", "not a valid URL"),
    ],
    ids=["password-twice", "user-twice", "password-without-user", "userinfo-without-host",
         "bad-port"],
)
def test_feed_credentials_errors_name_the_key(feed, key, problem):
    with pytest.raises(ConfigError) as err:
        parse_config({"feeds": [{"name": "a", **feed}]})
    assert f"{key}: " in str(err.value) and problem in str(err.value)
    assert "pw@" not in str(err.value)


@pytest.mark.parametrize(
    "url, stored, credentials",
    [
        ("https://bob:s3cret@x.example/f", "https://bob:***@x.example/f", ("bob", "s3cret")),
        ("https://b%40b:p%3Aw@x.example/f", "https://b%40b:***@x.example/f", ("b@b", "p:w")),
        ("https://bob:p@ss@x.example/f", "https://bob:***@x.example/f", ("bob", "p@ss")),
        ("https://tok3n@x.example/f", "https://***@x.example/f", ("tok3n", "")),
        ("https://bob:***@x.example/f", "https://bob:***@x.example/f", ("bob", "")),
        ("https://x.example/f", "https://x.example/f", None),
    ],
    ids=["user-and-password", "percent-encoded", "at-sign-in-password", "lone-token",
         "already-redacted", "none"],
)
def test_feed_url_password_is_kept_in_memory_only(url, stored, credentials):
    feed = parse_config({"feeds": [{"name": "a", "url": url}]}).feeds[0]
    assert feed.url == stored and feed.credentials() == credentials
    for shown in (repr(feed), feed.model_dump_json()):
        assert "s3cret" not in shown and "p@ss" not in shown and "tok3n" not in shown


def test_feed_password_is_read_from_its_environment_variable_when_used(monkeypatch):
    feed = parse_config({"feeds": [{"name": "a", "url": "https://x.example/f", "username": "bob",
                                    "password_env": "FEED_A_PASSWORD"}]}).feeds[0]
    monkeypatch.delenv("FEED_A_PASSWORD", raising=False)
    with pytest.raises(ConfigError, match="FEED_A_PASSWORD is not set"):
        feed.credentials()
    monkeypatch.setenv("FEED_A_PASSWORD", "from-env")
    assert feed.credentials() == ("bob", "from-env")
    assert "from-env" not in repr(feed) + feed.model_dump_json()


@pytest.mark.parametrize("text, address", [
    ("", None),
    ("[metrics]\nlisten = ''\n", None),
    ("[metrics]\nlisten = '127.0.0.1:9464'\n", ("127.0.0.1", 9464)),
    ("[metrics]\nlisten = ' [::1]:9464 '\n", ("::1", 9464)),
], ids=["off-by-default", "empty-is-off", "ipv4", "ipv6-in-brackets"])
def test_metrics_listen_address(tmp_path, text, address):
    assert load_config(write(tmp_path, text)).metrics.address() == address


def test_health_limits_default_and_take_durations(tmp_path):
    assert (Config().health.poll_max_age, Config().health.alert_max_wait) == (1800, 600)
    health = load_config(write(tmp_path, "[health]\npoll_max_age = '2h'\nalert_max_wait = 90\n")).health
    assert (health.poll_max_age, health.alert_max_wait) == (7200, 90)


@pytest.mark.parametrize("text, days", [
    ("", 30),
    ("[archive]\nfetch_log_days = 7\n", 7),
], ids=["thirty-days-by-default", "set-in-days"])
def test_fetch_log_retention(tmp_path, text, days):
    assert load_config(write(tmp_path, text)).archive.fetch_log_days == days


ROUTE = "[[alerts.routes]]\nname = 'legal'\nchannel = '#legal'\n"
FEED = "[[feeds]]\nname = 'metro'\nurl = 'https://metro.example/rss'\n"
WEBHOOK = ROUTE + "sink = 'webhook'\nurl = 'https://hooks.example/x'\n"


@pytest.mark.parametrize("text, key, problem", [
    ("[[alerts.routes]]\nchannel = '#legal'\n", "alerts.routes[0].name", "required"),
    ("[[alerts.routes]]\nname = 'legal team'\nchannel = '#legal'\n", "alerts.routes[0].name",
     "not a route name"),
    ("[[alerts.routes]]\nname = 'legal'\n", "alerts.routes[0].channel", "required"),
    (ROUTE + "sink = 'email'\n", "alerts.routes[0].sink", "'slack', 'console' or 'webhook'"),
    (ROUTE + "states = ['California']\n", "alerts.routes[0].states",
     "not a two-letter state code"),
    (ROUTE + "stances = ['neutral']\n", "alerts.routes[0].stances[0]", "'refuses'"),
    (ROUTE + "agency_kinds = ['fbi']\n", "alerts.routes[0].agency_kinds[0]", "'police'"),
    (FEED + ROUTE + "feeds = ['metro', 'wire']\n", "alerts.routes[0].feeds",
     "no feed named 'wire'"),
    (ROUTE + "stance_changes_only = 'yes'\n", "alerts.routes[0].stance_changes_only",
     "boolean"),
    (ROUTE + "sink = 'webhook'\n", "alerts.routes[0]", "needs url"),
    (ROUTE + "sink = 'webhook'\nurl = 'mailto:ops@example.org'\n", "alerts.routes[0].url",
     "http(s) URL"),
    (ROUTE + "url = 'https://hooks.example/x'\n", "alerts.routes[0]", "for sink = 'webhook'"),
    (ROUTE + "timeout = 5\n", "alerts.routes[0]", "timeout is for sink = 'webhook' only"),
    (WEBHOOK + "timeout = 0\n", "alerts.routes[0].timeout", "greater than 0"),
    (WEBHOOK + "timeout = 121\n", "alerts.routes[0].timeout", "less than or equal to 120"),
    (WEBHOOK + "timeout = '5s'\n", "alerts.routes[0].timeout", "valid number"),
    (WEBHOOK + "timeout = inf\n", "alerts.routes[0].timeout", "finite"),
    (ROUTE + "sink = 'webhook'\nurl = 'https://hooks.example/x'\nsecret = 'hunter2'\n",
     "alerts.routes[0].secret", "unknown key"),
    (ROUTE + "stance = ['refuses']\n", "alerts.routes[0].stance", "unknown key"),
    (ROUTE + ROUTE, "alerts.routes", "route name 'legal' appears twice"),
], ids=["name-missing", "name-with-a-space", "channel-missing", "unknown-sink",
        "state-not-a-code", "unknown-stance", "unknown-agency-kind", "unknown-feed",
        "stance-changes-only-not-bool", "webhook-without-url", "webhook-url-not-http",
        "url-without-webhook", "timeout-without-webhook", "timeout-zero",
        "timeout-over-the-cap", "timeout-not-a-number", "timeout-infinite", "secret-in-the-file",
        "typo-key", "duplicate-route-name"])
def test_invalid_route_names_the_key(tmp_path, text, key, problem):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert f"{key}: " in str(err.value) and problem in str(err.value), str(err.value)


@pytest.mark.parametrize("text, error", [
    (ROUTE + "stances = ['neutral']\n", "alerts.routes[0].stances[0]: Input should be"),
    (WEBHOOK + "timeout = 121\n", "alerts.routes[0].timeout: Input should be less than"),
], ids=["unknown-stance", "timeout-over-the-cap"])
def test_bad_route_exits_2_naming_the_key(tmp_path, text, error):
    from click.testing import CliRunner

    import cli

    path = write(tmp_path, text)
    result = CliRunner().invoke(cli.main, ["--config", str(path), "config", "check"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and error in result.stderr


def test_routes_default_to_none_and_read_their_filters(tmp_path):
    assert Config().alerts.routes == []
    text = (FEED + ROUTE + "states = ['co', 'AZ']\nfeeds = ['metro']\n"
            "[[alerts.routes]]\nname = 'teams'\nchannel = 'Policy'\nsink = 'webhook'\n"
            "url = 'https://hooks.example/x'\nsecret_env = 'TEAMS_SECRET'\ntimeout = 2.5\n")
    legal, teams = load_config(write(tmp_path, text)).alerts.routes
    assert (legal.sink, legal.states, legal.feeds, legal.stances) == (
        "slack", ["CO", "AZ"], ["metro"], None)
    assert (teams.sink, teams.secret_env, teams.auth, teams.timeout) == (
        "webhook", "TEAMS_SECRET", "hmac", 2.5)
    (default,) = load_config(write(tmp_path, WEBHOOK)).alerts.routes
    assert default.timeout == 15


def test_route_filters_know_every_stance_and_agency_kind_detection_gives():
    from typing import get_args

    from config import AgencyKind, Stance
    from detect.model import AGENCY_KINDS, STANCES

    assert (set(get_args(Stance)), set(get_args(AgencyKind))) == (STANCES, AGENCY_KINDS)
