"""The schema of config.toml: loading, environment overrides and clear errors.

Every key is declared here with its default; an unknown key is an error (a typo
must not silently fall back to a default). `load_config` raises `ConfigError`
whose message names each bad key as a dotted path, e.g. `feeds[2].interval`.
Secrets never live in the file: the Slack token is read from the environment
variable named by `slack.token_env`.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

DEFAULT_CONFIG_PATH = "config.toml"
DATABASE_URL_ENV = "BEATWIRE_DATABASE_URL"
_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)?\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class ConfigError(Exception):
    """config.toml is missing, unreadable or invalid; the message names the key."""


def parse_duration(value: object) -> int:
    """Seconds from an int or a string like "90", "15m", "2h", "1d"."""
    if isinstance(value, bool):
        raise ValueError("expected seconds or a duration like '15m'")
    if isinstance(value, (int, float)):
        return int(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration (use seconds or e.g. '15m', '2h')")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2) or "s"]


Duration = Annotated[int, BeforeValidator(parse_duration), Field(gt=0)]
# Seconds as a TOML number (0.25 allowed); strict, so `true` is not read as 1 second.
Delay = Annotated[float, Field(ge=0, allow_inf_nan=False, strict=True)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# The dialects and drivers this install can open (pyproject installs psycopg 3 only).
_DRIVERS = {"sqlite": ("pysqlite",), "postgresql": ("psycopg",)}
_SCHEME_FIXES = {"postgres": "postgresql", "sqlite3": "sqlite"}
_EXAMPLE_URLS = "sqlite:///PATH or postgresql://USER@HOST/DB"


def check_database_url(value: str) -> str:
    """A usable SQLAlchemy URL for `value`; `postgresql://` gets the installed driver, psycopg."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    scheme = value.partition("://")[0]
    if scheme in _SCHEME_FIXES:
        fixed = _SCHEME_FIXES[scheme]
        raise ValueError(f"{scheme}:// is not a database scheme here; use {fixed}://")
    try:
        url = make_url(value)
    except ArgumentError:
        raise ValueError(f"not a database URL (use {_EXAMPLE_URLS})") from None
    backend, _, driver = url.drivername.partition("+")
    if backend not in _DRIVERS:
        raise ValueError(f"unknown scheme {backend}:// (use {_EXAMPLE_URLS})")
    if driver and driver not in _DRIVERS[backend]:
        raise ValueError(f"driver {driver} is not installed; use {backend}://")
    if backend == "postgresql" and not driver:
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return value


def resolve_sqlite_path(url: str, base_dir: Path) -> str:
    """`url` with a relative SQLite file path made absolute against `base_dir`."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    path = parsed.database
    if (parsed.get_backend_name() != "sqlite" or not path or path == ":memory:"
            or path.startswith("file:") or Path(path).is_absolute()):
        return url
    absolute = os.path.normpath(base_dir / path)
    return parsed.set(database=absolute).render_as_string(hide_password=False)


class DatabaseConfig(_Section):
    url: str = "sqlite:///beatwire.db"

    @field_validator("url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        return check_database_url(value)


class SlackConfig(_Section):
    api_url: str = "https://slack.com/api/"
    token_env: str = "SLACK_BOT_TOKEN"
    # "console" prints alerts instead (the demo, offline trials); never chosen for you.
    sink: Literal["slack", "console"] = "slack"
    channel: str = "#beatwire"
    also_reported_replies: bool = True
    digest_cron: str | None = "0 8 * * *"
    timeout: Duration = 15

    @field_validator("api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("digest_cron")
    @classmethod
    def _valid_cron(cls, value: str | None) -> str | None:
        if value:
            from apscheduler.triggers.cron import CronTrigger

            CronTrigger.from_crontab(value)
        return value

    def token(self) -> str | None:
        """The bot token from the environment, or None (delivery pauses)."""
        return os.environ.get(self.token_env) or None


class CrawlerConfig(_Section):
    allow_private_addresses: bool = False
    user_agent: str = "Beatwire/0.1 (+media monitoring; contact: ops@example.org)"
    download_timeout: Duration = 20
    max_download_bytes: int = Field(default=10_000_000, gt=0)
    concurrent_requests: int = Field(default=16, gt=0)
    concurrent_per_domain: int = Field(default=2, gt=0)
    # Politeness per site, in seconds (fractions allowed): the least time between two requests
    # to one site, and AutoThrottle, which starts each site at its start delay and adapts it
    # to the site's latency. An operator sets what a large aggregator tolerates.
    download_delay: Delay = 0.0
    autothrottle: bool = True
    autothrottle_start_delay: Delay = 0.5
    obey_robots_txt: bool = True
    max_entries_per_feed: int = Field(default=100, gt=0)
    max_article_age_days: int = Field(default=30, gt=0)
    extract_timeout: Duration = 10


class SchedulerConfig(_Section):
    tick: Duration = 5
    default_interval: Duration = 900
    batch_size: int = Field(default=50, gt=0)
    max_backoff: Duration = 86400
    dead_after_failures: int = Field(default=10, gt=0)
    # How long a claim lasts without renewal: a running worker renews its own every lease/6,
    # a worker found dead (no heartbeat for a lease, or its process gone) loses them at once.
    lease: Duration = 60
    # A feed's first poll stores entries published longer ago than this (or undated) without
    # alerting them, so a fresh archive does not flood the channel; 0 alerts every entry.
    backfill: Annotated[int, BeforeValidator(parse_duration), Field(ge=0)] = 86400


class DetectConfig(_Section):
    query: str | None = None
    threshold: float = Field(default=0.35, ge=0.0, le=1.0)  # detect.detector.DEFAULT_THRESHOLD

    @field_validator("query")
    @classmethod
    def _query_parses(cls, value: str | None) -> str | None:
        if value is not None:
            from detect.query import QueryError, parse_query

            try:
                parse_query(value)
            except QueryError as exc:
                raise ValueError(f"query does not parse: {exc}") from None
        return value

    def make_detector(self, *, load: bool = True):
        """The detect.Detector this section describes (the built-in query if none is set);
        ``load=False`` only checks the model files are there."""
        from detect import Detector
        from detect.classifier import require_files

        query = {"query": self.query} if self.query else {}
        detector = Detector(threshold=self.threshold, **query)
        if load:
            detector.classifier  # noqa: B018 (load the model now, not inside a timed detection)
        else:
            require_files()
        return detector


class FeedConfig(_Section):
    name: str = Field(min_length=1)
    url: str
    kind: Literal["feed", "html"] = "feed"
    agency: str | None = None
    # The place the feed covers ("Linn County, IA"): its statements' unplaced agencies
    # ("the sheriff's office", "Sheriff Ruiz") are that place's.
    place: str | None = Field(default=None, min_length=1)
    interval: Duration | None = None
    enabled: bool = True
    item_selector: str | None = None
    # HTTP basic auth, sent to the feed's own origin only. A user and password may also be
    # written in the url (user:password@host); the password is never stored: `url` keeps
    # user:***@, the password itself stays in memory or in the environment variable named here.
    username: str | None = Field(default=None, min_length=1)
    password_env: str | None = Field(default=None, min_length=1)
    _url_user: str | None = PrivateAttr(default=None)
    _url_password: str | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _credentials_out_of_url(cls, data, handler):
        """Validate with the url redacted, keeping the credentials it held in memory."""
        from crawler.urls import split_credentials
        from items import MASK, redact_url

        if not (isinstance(data, dict) and isinstance(data.get("url"), str)):
            return handler(data)
        try:
            _, user, password = split_credentials(data["url"])
        except ValueError:
            user = password = None  # _http_only names the problem
        feed = handler({**data, "url": redact_url(data["url"])})
        # An already redacted url (user:***@) holds no password to keep.
        feed._url_user = None if user == MASK else user
        feed._url_password = None if password == MASK else password
        return feed

    @field_validator("url")
    @classmethod
    def _http_only(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("only http:// and https:// feeds are fetched")
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError as exc:
            raise ValueError(f"is not a valid URL ({exc})") from None
        if not parts.hostname:
            raise ValueError("has no host")
        return value

    @field_validator("username")
    @classmethod
    def _one_user(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value and "@" in urlsplit(info.data.get("url", "")).netloc:
            raise ValueError("the url already names a user (user@host); give it in one place")
        return value

    @field_validator("password_env")
    @classmethod
    def _one_password(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value:
            return value
        userinfo, at, _ = urlsplit(info.data.get("url", "")).netloc.rpartition("@")
        if ":" in userinfo:
            raise ValueError("the url already holds a password; give it in one place "
                             "(password_env keeps it out of the file)")
        if not (info.data.get("username") or at):
            raise ValueError("needs username (or a user in the url, user@host)")
        return value

    @model_validator(mode="after")
    def _html_needs_selector(self) -> FeedConfig:
        if self.kind == "html" and not self.item_selector:
            raise ValueError("kind = 'html' needs item_selector (CSS for article links)")
        return self

    def credentials(self) -> tuple[str, str] | None:
        """(user, password) for basic auth, the password read from the environment now; or None.

        Raises ConfigError naming the key when `password_env` names an unset variable.
        """
        user = self.username or self._url_user
        if user is None:
            return None
        if not self.password_env:
            return user, self._url_password or ""
        password = os.environ.get(self.password_env)
        if password is None:
            raise ConfigError(f"feed {self.name!r} password_env: environment variable "
                              f"{self.password_env} is not set")
        return user, password


def split_listen(value: str) -> tuple[str, int]:
    """(host, port) from "HOST:PORT" or "[IPv6]:PORT"; ValueError naming the problem."""
    host, colon, port = value.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{value!r} is not HOST:PORT (e.g. '127.0.0.1:9464')")
    return host, int(port)


class MetricsConfig(_Section):
    # Off by default: a port is opened only when asked for (there is no login on it), and two
    # workers on one host would fight over a fixed one. `beatwire web` serves /metrics anyway.
    listen: str = ""

    @field_validator("listen")
    @classmethod
    def _host_and_port(cls, value: str) -> str:
        if value.strip():
            split_listen(value)
        return value.strip()

    def address(self) -> tuple[str, int] | None:
        """Where the daemon serves /metrics and /healthz, or None (not at all)."""
        return split_listen(self.listen) if self.listen else None


class HealthConfig(_Section):
    # /healthz fails when no enabled feed polled successfully for this long (never less than
    # twice the shortest feed interval), or when an alert has waited this long to be posted.
    poll_max_age: Duration = 1800
    alert_max_wait: Duration = 600


class ArchiveConfig(_Section):
    # fetch_log rows (one per poll) older than this are deleted daily (db/retention.py).
    fetch_log_days: int = Field(default=30, gt=0, strict=True)


# A route's name goes into its alert keys ("statement:12:legal"), which hold no '@' or '#'.
_ROUTE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
_STATE_CODE = re.compile(r"^[A-Z]{2}$")
# detect.model's STANCES and AGENCY_KINDS (config stays importable without detect/).
Stance = Literal["refuses", "cooperates", "mixed"]
AgencyKind = Literal["police", "sheriff", "jail", "city", "county", "state"]


class RouteConfig(_Section):
    """One `[[alerts.routes]]` table: which statements go to which channel, through which sink.

    Every filter left out matches everything; the ones given must all match.
    """

    name: str
    channel: str = Field(min_length=1, max_length=200)
    sink: Literal["slack", "console", "webhook"] = "slack"
    states: list[str] | None = None
    stances: list[Stance] | None = None
    agency_kinds: list[AgencyKind] | None = None
    feeds: list[str] | None = None
    stance_changes_only: bool = Field(default=False, strict=True)
    # Webhooks only: where to POST, and the environment variable holding an optional secret
    # (the secret itself never lives in the file); hmac signs the body, bearer sends it as is.
    url: str | None = None
    secret_env: str | None = Field(default=None, min_length=1)
    auth: Literal["hmac", "bearer"] = "hmac"
    # Seconds per POST. Capped because the outbox posts one alert at a time: a receiver this
    # slow holds up every other route's alerts for that long, each try.
    timeout: float = Field(default=15, gt=0, le=120, allow_inf_nan=False, strict=True)

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not _ROUTE_NAME.match(value):
            raise ValueError(f"{value!r} is not a route name (letters, digits, '-' and '_', "
                             "at most 40)")
        return value

    @field_validator("states")
    @classmethod
    def _state_codes(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        codes = [state.upper() for state in value]
        for code in codes:
            if not _STATE_CODE.match(code):
                raise ValueError(f"{code!r} is not a two-letter state code (e.g. 'CA')")
        return codes

    @field_validator("url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError as exc:
            raise ValueError(f"is not a valid URL ({exc})") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL with a host")
        return value

    @model_validator(mode="after")
    def _webhook_fields(self) -> RouteConfig:
        if self.sink == "webhook" and not self.url:
            raise ValueError("sink = 'webhook' needs url")
        # timeout has a default, so only a timeout written in the file is refused.
        given = [key for key in ("url", "secret_env") if getattr(self, key)]
        given += ["timeout"] if "timeout" in self.model_fields_set else []
        if self.sink != "webhook" and given:
            verb = "is" if len(given) == 1 else "are"
            raise ValueError(f"{' and '.join(given)} {verb} for sink = 'webhook' only")
        return self

    def secret(self) -> str | None:
        """The webhook secret from the environment, or None."""
        return os.environ.get(self.secret_env) or None if self.secret_env else None


def unique_names(tables: list, what: str) -> list:
    """``tables`` unchanged when no two share a ``name``; else the first repeated one."""
    seen: set[str] = set()
    for table in tables:
        if table.name in seen:
            raise ValueError(f"{what} name {table.name!r} appears twice")
        seen.add(table.name)
    return tables


class AlertsConfig(_Section):
    # No routes: every alert goes to slack.channel through slack.sink, as before routes existed.
    routes: list[RouteConfig] = []

    @field_validator("routes")
    @classmethod
    def _unique_route_names(cls, routes: list[RouteConfig]) -> list[RouteConfig]:
        return unique_names(routes, "route")


class Config(_Section):
    database: DatabaseConfig = DatabaseConfig()
    slack: SlackConfig = SlackConfig()
    crawler: CrawlerConfig = CrawlerConfig()
    scheduler: SchedulerConfig = SchedulerConfig()
    detect: DetectConfig = DetectConfig()
    metrics: MetricsConfig = MetricsConfig()
    health: HealthConfig = HealthConfig()
    archive: ArchiveConfig = ArchiveConfig()
    alerts: AlertsConfig = AlertsConfig()
    feeds: list[FeedConfig] = []

    @field_validator("feeds")
    @classmethod
    def _unique_names(cls, feeds: list[FeedConfig]) -> list[FeedConfig]:
        return unique_names(feeds, "feed")

    def feed_interval(self, feed: FeedConfig) -> int:
        """Seconds between polls of `feed`."""
        return feed.interval or self.scheduler.default_interval


def _key_path(loc: tuple) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def describe_errors(error: ValidationError) -> str:
    """One line per problem, each starting with the dotted key."""
    lines = []
    for item in error.errors():
        msg = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            msg = "unknown key"
        lines.append(f"{_key_path(item['loc'])}: {msg}")
    return "\n".join(lines)


def unknown_route_feeds(config: Config) -> list[str]:
    """One line per route filter naming a feed that no [[feeds]] table has."""
    names = {feed.name for feed in config.feeds}
    return [f"alerts.routes[{index}].feeds: no feed named {name!r}"
            for index, route in enumerate(config.alerts.routes)
            for name in route.feeds or () if name not in names]


def parse_config(data: dict, *, source: str = "config", base_dir: Path | None = None) -> Config:
    """Validate a parsed TOML document, applying environment overrides.

    A relative SQLite path is resolved against `base_dir` (the config file's folder), one from
    the environment against the current directory, as a shell path would be.
    """
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source} is invalid:\n{describe_errors(exc)}") from None
    if problems := unknown_route_feeds(config):
        raise ConfigError(f"{source} is invalid:\n" + "\n".join(problems))
    url = config.database.url
    if base_dir is not None:
        url = resolve_sqlite_path(url, base_dir)
    if os.environ.get(DATABASE_URL_ENV):
        try:
            url = resolve_sqlite_path(check_database_url(os.environ[DATABASE_URL_ENV]), Path.cwd())
        except ValueError as exc:
            raise ConfigError(f"{DATABASE_URL_ENV} (database.url): {exc}") from None
    if url != config.database.url:
        config = config.model_copy(update={"database": DatabaseConfig(url=url)})
    return config


def load_config(path: str | os.PathLike) -> Config:
    """Read and validate config.toml; raise ConfigError naming the bad key."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(data, source=str(path), base_dir=path.absolute().parent)


def add_feed(path: str | os.PathLike, **fields) -> None:
    """Append a [[feeds]] table to the config file, keeping its comments.

    The edited document is validated before it is written, so a bad feed
    never reaches the file a running daemon reloads.
    """
    import tomlkit

    from crawler.urls import split_credentials
    from items import MASK

    if split_credentials(fields.get("url") or "")[2] not in (None, "", MASK):
        # Whoever reads config.toml would read the password: it is never written there.
        raise ConfigError("the url holds a password, which is never written to the config "
                          "file; give the url without it, with --username USER and "
                          "--password-env VAR (the environment variable holding the password)")
    path = Path(path)
    doc = _read_document(path, missing_ok=True)
    table = tomlkit.table()
    for key, value in fields.items():
        if value is not None:
            table[key] = value
    feeds = doc.get("feeds")
    if not isinstance(feeds, tomlkit.items.AoT):
        # `feeds = []` (or absent): rewrite as [[feeds]] tables at the end of the file.
        existing = list(feeds or [])
        if feeds is not None:
            del doc["feeds"]
        feeds = tomlkit.aot()
        for old in existing:
            feeds.append(tomlkit.item(old))
        doc.append("feeds", feeds)
    feeds.append(table)
    _write_document(path, doc)


def remove_feed(path: str | os.PathLike, name: str) -> None:
    """Delete feed `name`'s table from the config file, keeping every other line.

    The daemon disables the feed at its next sync; its archived articles stay.
    """
    path = Path(path)
    doc = _read_document(path)
    feeds = doc.get("feeds")
    del feeds[_feed_index(path, doc, name)]
    _write_document(path, doc)


def set_feed_enabled(path: str | os.PathLike, name: str, enabled: bool) -> bool:
    """Write `enabled = true/false` in feed `name`'s table; False if it already said so."""
    path = Path(path)
    doc = _read_document(path)
    table = doc["feeds"][_feed_index(path, doc, name)]
    if table.get("enabled", True) == enabled:
        return False
    table["enabled"] = enabled
    _write_document(path, doc)
    return True


class UnknownFeed(ConfigError):
    """No [[feeds]] table has this name."""


def _feed_index(path: Path, doc, name: str) -> int:
    for index, table in enumerate(doc.get("feeds") or []):
        if table.get("name") == name:
            return index
    raise UnknownFeed(f"{path} has no feed named {name!r}")


def _read_document(path: Path, *, missing_ok: bool = False):
    """The config file as a tomlkit document (comments kept); ConfigError if unreadable."""
    import tomlkit

    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if missing_ok:
            return tomlkit.document()
        raise ConfigError(f"{path}: no such config file") from None
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _write_document(path: Path, doc) -> None:
    """Validate the edited document, then replace the file at once (a reload never sees half)."""
    import tomlkit

    text = tomlkit.dumps(doc)
    parse_config(tomllib.loads(text), source=str(path))
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
