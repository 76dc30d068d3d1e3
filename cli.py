"""The `beatwire` command: run the daemon, classify text, search and export the
archive, manage feeds and alerts, upgrade the database.

Exit status: 0 success, 1 a command failed, 2 bad config or usage.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import sys
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from functools import partial, wraps
from pathlib import Path

import click
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

import scheduler
from alerts.base import AuthError, OutgoingMessage, SinkError
from alerts.blocks import agency_name
from alerts.outbox import STATUSES as ALERT_STATUSES
from app import App, build, open_archive
from config import (
    DEFAULT_CONFIG_PATH,
    Config,
    ConfigError,
    add_feed,
    load_config,
    remove_feed,
    set_feed_enabled,
)
from crawler.dryrun import dry_run
from crawler.extract import extract_text
from crawler.text import terminal_safe
from db.engine import (
    INIT_HINT,
    ArchiveUnavailable,
    DatabaseUnreachable,
    check_reachable,
    require_archive,
    transaction,
)
from db.failures import MAX_DETECTION_ATTEMPTS
from db.feeds import feed_health
from db.models import Alert, Statement
from db.retention import prune as prune_old_rows
from db.search import REVIEW_STATES, count, export_hits, hit_record
from db.search import search as search_archive
from db.workers import list_workers
from items import redact_url

# What the database being unusable at start exits with (one line on stderr says why): 2 when
# only a fix helps (no archive, wrong schema, bad config); 75, EX_TEMPFAIL from sysexits.h,
# when it is not answering now (down, starting, busy), so a supervisor should try again.
EXIT_REFUSED = 2
EXIT_TRY_LATER = 75


class ConfigLoader:
    """Loads config.toml once, on the first command that needs it."""

    def __init__(self, path: str, explicit: bool):
        self.path, self.explicit = path, explicit
        self._config: Config | None = None

    def get(self, *, required: bool = True) -> Config:
        if self._config is None:
            if not required and not self.explicit and not Path(self.path).exists():
                self._config = Config()
            else:
                try:
                    self._config = load_config(self.path)
                except ConfigError as exc:
                    # One line however many keys are bad: "FILE is invalid: a.b: why; c: why".
                    message = str(exc).replace(":\n", ": ").replace("\n", "; ")
                    click.echo(f"beatwire: {message}", err=True)
                    sys.exit(2)
        return self._config

    def open(self, *, write: bool = False) -> App:
        """The command's parts (app.App) on the existing archive at the latest schema,
        read-only unless `write`; else one line, exit 2 (75: not answering now)."""
        return self._or_exit(open_archive, self.get(), write=write)

    def reachable_url(self) -> str:
        """database.url once its server answers (a SQLite file may be created); else exit
        2 (75: not answering now)."""
        url = self.get().database.url
        self._or_exit(check_reachable, url)
        return url

    def daemon_url(self, *, init: bool) -> str:
        """database.url for the daemon, which migrates it at start: with `init` it need only
        answer; without, it must hold an archive (at any schema up to ours); else exit 2
        (75: not answering now)."""
        if init:
            return self.reachable_url()
        url = self.get().database.url
        self._or_exit(require_archive, url, hint=INIT_HINT, behind_ok=True)
        return url

    @staticmethod
    def _or_exit(check, *args, **kwargs):
        """`check(*args, **kwargs)`; an ArchiveUnavailable is its one line on stderr and exit
        2, or EXIT_TRY_LATER when it is a DatabaseUnreachable."""
        try:
            return check(*args, **kwargs)
        except ArchiveUnavailable as exc:
            click.echo(f"beatwire: {exc}", err=True)
            sys.exit(EXIT_TRY_LATER if isinstance(exc, DatabaseUnreachable) else EXIT_REFUSED)


def with_app(func=None, *, write: bool = False):
    """Pass the command's parts (app.App: config, sessions, clock) on the configured archive
    as its first argument, read-only unless `write`.

    Never creates or migrates the archive (only `db upgrade` and `run` do):
    a missing or old one is one line naming the fix, exit 2.
    """
    if func is None:
        return partial(with_app, write=write)

    @wraps(func)
    @click.pass_obj
    def wrapper(loader: ConfigLoader, *args, **kwargs):
        app = loader.open(write=write)
        try:
            return func(app, *args, **kwargs)
        finally:
            app.close()

    return wrapper


def search_filters(func):
    """The filter options shared by search and export."""
    options = [
        click.option("--agency", help="Agency name contains this (case-insensitive)."),
        click.option("--state", help="Two-letter state, e.g. CA."),
        click.option("--stance", type=click.Choice(["refuses", "cooperates", "mixed"])),
        click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="YYYY-MM-DD."),
        click.option("--review", type=click.Choice(REVIEW_STATES),
                     help="Review state: unreviewed, reviewed, or the latest review's verdict."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


# Chatty libraries: their INFO lines (every job run, every enabled middleware) drown ours.
QUIET_BELOW_DEBUG = ("apscheduler", "scrapy", "alembic", "twisted", "trafilatura", "slack_sdk")


# Line breaks of every kind str.splitlines() knows, with the blanks around them.
_LINE_BREAKS = re.compile(r"\s*(?:\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029])\s*")
# LogRecord's own attributes: anything else on a record came from `extra=`.
_RECORD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class LineFormatter(logging.Formatter):
    """One line per message: line breaks folded to " | ", escape sequences and control
    characters removed (scraped text in a message stays inert on the operator's terminal),
    URL passwords masked. A bug's traceback follows on its own lines."""

    @staticmethod
    def one_line(text: str) -> str:
        return redact_url(terminal_safe(_LINE_BREAKS.sub(" | ", text.strip())))

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = self.one_line(record.message)
        return super().formatMessage(record)

    def formatException(self, ei) -> str:
        return redact_url(terminal_safe(super().formatException(ei), newlines=True))


class JsonFormatter(LineFormatter):
    """One JSON object per line: time, level, logger, message, extra fields, exc_info."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, timezone.utc)
                 .isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name,
                 "message": self.one_line(record.getMessage())}
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and key not in entry:
                plain = isinstance(value, (bool, int, float)) or value is None
                entry[key] = value if plain else self.one_line(str(value))
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging(level: str, log_format: str = "text") -> None:
    """Log lines with stable keys to stderr; libraries only warn unless level is DEBUG."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else
                         LineFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    if level != "DEBUG":
        for name in QUIET_BELOW_DEBUG:
            logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="beatwire", prog_name="beatwire")
@click.option("--config", "config_path", envvar="BEATWIRE_CONFIG", default=None,
              help=f"Path to config.toml (env BEATWIRE_CONFIG; default ./{DEFAULT_CONFIG_PATH}).")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False))
@click.option("--log-format", default="text", show_default=True,
              type=click.Choice(["text", "json"], case_sensitive=False),
              help="json: one JSON object per line (time, level, logger, message, ...).")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, log_level: str, log_format: str) -> None:
    """Beatwire: find law-enforcement statements on immigration enforcement.

    \b
    Example:
      beatwire --config config.toml run --once
    """
    configure_logging(log_level.upper(), log_format.lower())
    ctx.obj = ConfigLoader(config_path or DEFAULT_CONFIG_PATH, explicit=config_path is not None)


@main.command()
@click.option("--once", is_flag=True, help="Poll every enabled feed once, deliver, exit.")
@click.option("--init", is_flag=True,
              help="Create the archive if there is none (as `db upgrade` does), then start.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes on this machine, sharing the archive as workers on "
                   "several machines do (more than 1 needs PostgreSQL).")
# Set by `--workers N` on children 2..N: the first alone serves metrics.listen.
@click.option("--no-metrics", "metrics", is_flag=True, flag_value=False, default=True,
              hidden=True)
# Set by `--workers N --once` on its children: the cycle they share (ISO time, UTC).
@click.option("--cycle-started", type=datetime.fromisoformat, hidden=True)
@click.pass_obj
def run(loader: ConfigLoader, once: bool, init: bool, workers: int, metrics: bool,
        cycle_started: datetime | None) -> None:
    """Run the daemon until SIGTERM/SIGINT (or one cycle with --once).

    The archive must exist (an older schema is migrated at start): a missing one is an
    error, not a fresh empty archive whose first poll alerts everything again, unless
    --init asks for one. SIGHUP, or saving the config file, reloads the config.
    --workers N runs N worker processes, each as one `run`, and passes signals on to them.

    \b
    Example:
      beatwire --config config.toml run
      beatwire --config config.toml run --init --once
      beatwire --config config.toml run --workers 2
    """
    config = loader.get()
    if workers > 1 and config.database.url.startswith("sqlite"):
        click.echo("beatwire: --workers needs PostgreSQL: SQLite allows one writer; use "
                   "database.url = postgresql+psycopg://...", err=True)
        sys.exit(2)
    # Daemon.start checks the same: here it is one line and exit 2 before the reactor starts,
    # and before run_pool, whose parent builds no Daemon.
    url = loader.daemon_url(init=init)
    broken = extraction_fault()
    if broken:
        click.echo(f"beatwire: article extraction is broken ({broken}); reinstall beatwire's "
                   "dependencies (pip install -e .)", err=True)
        sys.exit(1)
    if workers == 1:
        sys.exit(scheduler.run(loader.path, config, once=once, metrics=metrics,
                               cycle_started=cycle_started, create=init))
    # The children inherit the log options; --init is done here, once, by run_pool.
    options = click.get_current_context().find_root().params
    started = datetime.now(timezone.utc)
    commands = [scheduler.child_command(loader.path, once=once, metrics=n == 1,
                                        cycle_started=started,
                                        log_level=options["log_level"].upper(),
                                        log_format=options["log_format"].lower())
                for n in range(1, workers + 1)]
    sys.exit(scheduler.run_pool(url, commands, once=once))


# A page whose article text is known. Extraction failing on it is an install fault (e.g.
# trafilatura's lxml_html_clean missing): the crawl would quietly fall back to feed summaries.
SELF_CHECK_PAGE = (
    "<html><head><title>Council meets</title></head><body><nav>Home | News | Contact</nav>"
    "<article><h1>Council meets</h1><p>The county board met on Tuesday evening to review the "
    "budget for road repairs, and members voted to hold a second hearing next month.</p>"
    "<p>Residents may send written comments to the clerk until the end of the week.</p>"
    "</article><footer>Copyright The Courier</footer></body></html>")
SELF_CHECK_TEXT = "The county board met on Tuesday evening"


def extraction_fault() -> str | None:
    """Why article extraction does not work here (one line), or None when it does."""
    try:
        text = extract_text(SELF_CHECK_PAGE, "https://self-check.invalid/council")
    except Exception as exc:  # whatever broke, it is reported in one line and stops `run`
        detail = str(exc).strip().splitlines()
        return f"{type(exc).__name__}: {detail[0]}" if detail else type(exc).__name__
    return None if text and SELF_CHECK_TEXT in text else "a known page yields no article text"


@main.command()
@click.pass_obj
def classify(loader: ConfigLoader) -> None:
    """Classify JSON Lines from stdin ({"id", "text", ...}), one JSON line out each.

    Needs no database and no network.

    \b
    Example:
      echo '{"id": 1, "text": "The sheriff will not honor ICE detainers."}' | beatwire classify
    """
    # detect/ (and the model it loads) costs seconds: only the commands that detect import it.
    from detect.classify import main as classify_main

    classify_main(sys.stdin, sys.stdout, _detector(loader))


def _detector(loader: ConfigLoader):
    """The config's detector (the defaults without a config file), its model loaded.
    No archive is opened: the engine built beside it is closed unused."""
    app = build(loader.get(required=False), read_only=True)
    app.close()
    return app.detector


@main.command()
@click.argument("source", default="-")
@click.option("--title", default="", help="The article's headline, if any.")
@click.option("--agency", help="Read the text as this agency's own voice (its own feed).")
@click.pass_obj
def explain(loader: ConfigLoader, source: str, title: str, agency: str | None) -> None:
    """Say why each passage of a text is, or is not, a statement, in plain words.

    SOURCE is a file (text, or an HTML page whose article text is extracted) or - for
    stdin. Prints, per passage, the probability against detect.threshold, the stance,
    who speaks for which agency, the evidence that weighed most and the rule cues.

    \b
    Example:
      echo "Sheriff Ana Ruiz said deputies will not honor ICE detainers." | beatwire explain
    """
    from detect.explain import explain as explain_text

    text = _read_source(source)
    explained = explain_text(_detector(loader), text, title=title, agency_voice=agency)
    click.echo(terminal_safe(explained, newlines=True), nl=False)


def _read_source(source: str) -> str:
    """The text of a file or of stdin; an HTML page is reduced to its article text."""
    if source == "-":
        raw = sys.stdin.read()
    else:
        try:
            raw = Path(source).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise click.UsageError(f"cannot read {source}: {exc.strerror}") from None
    if raw.lstrip()[:1] == "<":
        return extract_text(raw, "file:" + source) or ""
    return raw


def _since(value: datetime | None) -> date | None:
    return value.date() if value else None


@main.command()
@click.argument("query", default="")
@search_filters
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True,
              help="Show at most this many statements.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="Output format.")
@with_app
def search(app: App, query, agency, state, stance, since, review, limit, fmt) -> None:
    """Full-text search of archived statements (quote, speaker, agency, article).

    Shows the best --limit matches and says how many matched in all ("100 of 160"; on
    stderr for json and csv, so the output stays machine-readable).

    \b
    QUERY syntax (as in a search box; case does not matter):
      detainer warrant     both words; a word finds its forms too (detainers)
      "judicial warrant"   the phrase: these words in this order
      ICE OR CBP           either; AND binds first: a b OR c is (a and b) or c
      -jail                not this word
      immigra*             any word starting with immigra: immigration, immigrants
      ""                   no words: every statement the filters keep, newest first

    \b
    Example:
      beatwire search "detainer" --state CA --stance refuses --format csv
      beatwire search 'immigra* "will not" -jail' --since 2026-01-01
      beatwire search --review unreviewed --state CA
    """
    filters = {"agency": agency, "state": state, "stance": stance, "since": _since(since),
               "review": review}
    with app.sessions() as session:
        hits = search_archive(session, query, limit=limit, **filters)
        total = count(session, query, **filters) if len(hits) >= limit else len(hits)
    click.echo(render_hits(hits, fmt), nl=False)
    if total > len(hits):
        click.echo(f"{len(hits)} of {total} matching statements shown; --limit shows more",
                   err=fmt != "table")


@main.command()
@search_filters
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="csv",
              show_default=True, help="Output format.")
@with_app
def export(app: App, agency, state, stance, since, review, fmt) -> None:
    """Export every archived statement matching the filters (as in search), CSV or JSON.

    \b
    Example:
      beatwire export --since 2026-01-01 --format json > statements.json
      beatwire export --review unreviewed > to-review.csv
    """
    with app.sessions() as session:
        hits = search_archive(session, "", agency=agency, state=state, stance=stance,
                              since=_since(since), review=review, limit=None)
    click.echo(render_hits(hits, fmt), nl=False)


def render_hits(hits, fmt: str) -> str:
    """Search hits as a table, a JSON list, or CSV (JSON and CSV shared with the web app)."""
    if fmt in ("json", "csv"):
        return export_hits(hits, fmt)
    return _table([hit_record(hit) for hit in hits])


HIT_COLUMNS = ("PUBLISHED", "STANCE", "STATE", "AGENCY", "SPEAKER", "SOURCES")


def _table(rows: list[dict]) -> str:
    """A header, then per statement a row of its fields with its quote and link beneath."""
    if not rows:
        return "no statements found\n"
    # Scraped fields on one line each, inert: the table's own newlines are the only ones.
    rows = [{key: terminal_safe(value) if isinstance(value, str) else value
             for key, value in row.items()} for row in rows]
    header, *lines = _aligned(HIT_COLUMNS, [
        ((row["published"] or "")[:10], row["stance"] or "-", row["state"] or "--",
         row["agency"] or "?", row["speaker"] or "(the agency)", str(row["sources"]))
        for row in rows])
    out = [header]
    for line, row in zip(lines, rows, strict=True):
        quote = row["quote"] if len(row["quote"]) <= 160 else row["quote"][:157] + "..."
        out += [line, f"    \u201c{quote}\u201d", f"    {row['url']}"]
    return "\n".join(out) + "\n"


def _aligned(header: tuple[str, ...], rows: list[tuple[str, ...]], cap: int = 40) -> list[str]:
    """The header and rows as lines of columns, each as wide as its widest cell (cut at cap)."""
    cells = [[cell if len(cell) <= cap else cell[:cap - 1] + "\u2026" for cell in row]
             for row in (header, *rows)]
    widths = [max(len(row[n]) for row in cells) for n in range(len(header))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            .rstrip()
            for row in cells]


def _host_patterns(ctx, param, values: tuple[str, ...]) -> tuple[str, ...]:
    """Host names as the Host check takes them: a name, '*.domain' or '*' (any host)."""
    for value in values:
        if not value or ("*" in value and value != "*" and not
                         (value.startswith("*.") and "*" not in value[1:])):
            raise click.BadParameter(f"{value!r} is not a host name, '*.domain' or '*'")
    return values


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 for every interface).")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option("--allow-host", "allow_hosts", multiple=True, callback=_host_patterns,
              metavar="NAME", help="Also answer requests for this host name (repeatable; "
              "'*.example.org' for its subdomains). Answered already: localhost, 127.0.0.1 "
              "and the --host address; any other Host header gets 400 (DNS rebinding).")
@with_app
def web(app: App, host: str, port: int, allow_hosts: tuple[str, ...]) -> None:
    """Serve the archive read-only in a browser: search, statements, agencies, feeds,
    /metrics and /healthz; with SLACK_SIGNING_SECRET set, also the review buttons of
    Slack alerts at POST /slack/interactivity.

    \b
    Example:
      beatwire --config config.toml web --port 8080
    """
    # web/ loads Starlette, Jinja2 and uvicorn: only `beatwire web` pays for them.
    from web.app import serve
    from web.interactivity import Interactivity, signing_secret

    loader = click.get_current_context().find_object(ConfigLoader)
    # Only the Slack route writes: it alone gets a writable engine, and only when it is on.
    writer = loader.open(write=True) if signing_secret() else None
    interactivity = Interactivity.from_env(writer and writer.sessions, app.config.slack)
    try:
        status = serve(app, host=host, port=port, allow_hosts=allow_hosts,
                       interactivity=interactivity)
    finally:
        if writer is not None:
            writer.close()
    sys.exit(status)


@main.group()
def feeds() -> None:
    """Inspect, test and add feeds."""


@feeds.command("list")
@with_app
def feeds_list(app: App) -> None:
    """Each feed's health: status, last poll, failures, next poll.

    Reads the archive only; a feed in config.toml that the daemon has not added yet is
    listed as `new` (it is added at the daemon's next start or reload).

    \b
    Example:
      beatwire feeds list
    """
    config = app.config
    with app.sessions() as session:
        health = feed_health(session, app.clock(),
                             dead_after_failures=config.scheduler.dead_after_failures)
    # config.toml is the source of truth: an edit the daemon has not applied yet says so.
    wanted = {feed.name: feed.enabled for feed in config.feeds}
    rows = [(feed.name, "DEAD" if feed.dead else feed.status, str(feed.consecutive_failures),
             _when(feed.last_polled_at), _when(feed.next_poll_at),
             _enabled(feed.enabled, wanted.get(feed.name, False))) for feed in health]
    notes = [_feed_notes(feed) for feed in health]
    archived = {feed.name for feed in health}
    for feed in config.feeds:
        if feed.name not in archived:
            rows.append((feed.name, "new", "0", "never", "next start or reload",
                         "yes" if feed.enabled else "no"))
            notes.append([])
    if not rows:
        click.echo("no feeds: add one with `beatwire feeds add NAME URL`")
        return
    header, *lines = _aligned(FEED_COLUMNS, [tuple(map(terminal_safe, row)) for row in rows],
                              cap=60)
    click.echo(header)
    for line, feed_notes in zip(lines, notes, strict=True):
        click.echo(line)
        for note in feed_notes:
            click.echo(terminal_safe(f"    {note}"))


def _feed_notes(feed) -> list[str]:
    """The lines under a feed's row: its last error, the entries it skips."""
    notes = [f"last error: {feed.last_error}"] if feed.status in ("error", "gone") \
        and feed.last_error else []
    if feed.skipped_entries:
        count = f"{feed.skipped_entries} entries" if feed.skipped_entries > 1 else "1 entry"
        notes.append(f"{count} skipped after {MAX_DETECTION_ATTEMPTS} failed detections")
    return notes


FEED_COLUMNS = ("NAME", "STATUS", "FAILURES", "LAST POLL", "NEXT POLL", "ENABLED")


def _enabled(archived: bool, configured: bool) -> str:
    word = "yes" if archived else "no"
    return word if archived == configured else f"{word}, {'yes' if configured else 'no'} " \
        "at next reload"


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "never"


@feeds.command("test")
@click.argument("url")
@click.option("--kind", type=click.Choice(["feed", "html"]), default="feed", show_default=True)
@click.option("--item-selector", help="CSS selector for article links (kind html).")
@click.option("--agency", help="Treat the feed as this agency's own voice.")
@click.pass_obj
def feeds_test(loader: ConfigLoader, url, kind, item_selector, agency) -> None:
    """Fetch one feed now and show what would be stored and alerted; writes nothing.

    \b
    Example:
      beatwire feeds test https://example.org/news/feed/
    """
    sys.exit(dry_run(loader.get(required=False), url, kind=kind,
                     item_selector=item_selector, agency=agency, out=TerminalSafe(sys.stdout)))


class TerminalSafe:
    """A text stream passing on only `terminal_safe` text (its writes keep their newlines)."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(terminal_safe(text, newlines=True))

    def flush(self) -> None:
        self.stream.flush()


@feeds.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--kind", type=click.Choice(["feed", "html"]), default="feed", show_default=True)
@click.option("--agency", help="The feed is this agency's own voice.")
@click.option("--interval", help='Seconds or a duration like "15m".')
@click.option("--item-selector", help="CSS selector for article links (kind html).")
@click.option("--username", help="HTTP basic auth user, sent to the feed's own site only.")
@click.option("--password-env", metavar="VAR",
              help="Environment variable holding the basic auth password (never the file).")
@click.pass_obj
def feeds_add(loader: ConfigLoader, name, url, kind, agency, interval, item_selector,
              username, password_env) -> None:
    """Add a [[feeds]] table to config.toml, keeping its comments; validates first.

    A running daemon picks the change up by itself. A password in URL is refused: it
    would be written to the file; --password-env names the variable holding it instead.

    \b
    Example:
      beatwire feeds add "Springfield PD" https://spd.example/rss --agency "Springfield PD"
      beatwire feeds add Members https://news.example/rss --username ops --password-env NEWS_PW
    """
    _edit_config(add_feed, loader.path, name=name, url=url, kind=kind, agency=agency,
                 interval=interval, item_selector=item_selector, username=username,
                 password_env=password_env)
    click.echo(f"added feed {name!r} to {loader.path}")


def _edit_config(edit, *args, **kwargs):
    """Run a config.toml edit; a refused one is one line, exit 2, and the file is unchanged."""
    try:
        return edit(*args, **kwargs)
    except ConfigError as exc:
        message = str(exc).replace(":\n", ": ").replace("\n", "; ")
        click.echo(f"beatwire: {message}", err=True)
        sys.exit(2)


@feeds.command("remove")
@click.argument("name")
@click.pass_obj
def feeds_remove(loader: ConfigLoader, name) -> None:
    """Delete a feed's [[feeds]] table from config.toml, keeping the rest of the file.

    The daemon stops polling it at its next reload; its archived articles and
    statements stay searchable.

    \b
    Example:
      beatwire feeds remove "Springfield PD"
    """
    _edit_config(remove_feed, loader.path, name)
    click.echo(f"removed feed {name!r} from {loader.path}; the daemon stops polling it "
               "at its next reload")


@feeds.command("disable")
@click.argument("name")
@click.pass_obj
def feeds_disable(loader: ConfigLoader, name) -> None:
    """Set enabled = false in a feed's table in config.toml: it is kept but not polled.

    \b
    Example:
      beatwire feeds disable "Springfield PD"
    """
    _set_enabled(loader, name, False)


@feeds.command("enable")
@click.argument("name")
@click.pass_obj
def feeds_enable(loader: ConfigLoader, name) -> None:
    """Set enabled = true in a feed's table in config.toml: it is polled again.

    \b
    Example:
      beatwire feeds enable "Springfield PD"
    """
    _set_enabled(loader, name, True)


def _set_enabled(loader: ConfigLoader, name: str, enabled: bool) -> None:
    word = "enabled" if enabled else "disabled"
    if _edit_config(set_feed_enabled, loader.path, name, enabled):
        click.echo(f"feed {name!r} {word} in {loader.path}; the daemon applies it at its "
                   "next reload")
    else:
        click.echo(f"feed {name!r} is already {word} in {loader.path}")


@main.group("config")
def config_group() -> None:
    """Check config.toml."""


@config_group.command("check")
@click.option("--database", "check_database", is_flag=True,
              help="Also open the archive: reachable and at the latest schema.")
@click.pass_obj
def config_check(loader: ConfigLoader, check_database: bool) -> None:
    """Load and validate config.toml (and the environment it names); exit 2 if invalid.

    Every bad key is named on one line. Feeds whose password_env is not set are errors;
    a missing Slack token is a note (alerts wait in the outbox until it is set).

    \b
    Example:
      beatwire --config config.toml config check
      beatwire --config config.toml config check --database
    """
    config = loader.get()
    missing = []
    for feed in config.feeds:
        try:
            feed.credentials()
        except ConfigError as exc:
            missing.append(str(exc))
    if missing:
        click.echo(f"beatwire: {loader.path} is invalid: {'; '.join(missing)}", err=True)
        sys.exit(2)
    if check_database:
        loader.open().close()
    enabled = sum(feed.enabled for feed in config.feeds)
    click.echo(f"config OK: {len(config.feeds)} feeds ({enabled} enabled), database "
               f"{redact_url(config.database.url)}"
               f"{' (reachable, latest schema)' if check_database else ''}")
    if config.slack.sink == "slack" and not config.slack.token():
        click.echo(f"note: {config.slack.token_env} is not set: alerts wait in the outbox "
                   "until it is")


@main.group()
def slack() -> None:
    """Check the Slack connection."""


@slack.command("test")
@click.pass_obj
def slack_test(loader: ConfigLoader) -> None:
    """Post one test message to slack.channel with the configured token; prints its ts.

    Writes nothing to the archive. A missing token exits 2, a refused post 1.

    \b
    Example:
      SLACK_BOT_TOKEN=xoxb-... beatwire --config config.toml slack test
    """
    # slack_sdk's client is imported by the one command that posts to Slack.
    from alerts.slack import SlackSink

    config = loader.get().slack
    if not config.token():
        click.echo(f"beatwire: {config.token_env} is not set (slack.token_env names the "
                   "environment variable holding the bot token)", err=True)
        sys.exit(2)
    sink = SlackSink.from_config(config)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    message = OutgoingMessage(alert_key=f"test:{stamp.replace(' ', 'T')}",
                              channel=config.channel,
                              text=f"Beatwire test message from {socket.gethostname()} "
                                   f"at {stamp}: alerts will arrive here.")
    try:
        posted = sink.post(message)
    except AuthError as exc:
        click.echo(f"beatwire: Slack refused the token in {config.token_env} ({exc.code})",
                   err=True)
        sys.exit(1)
    except SinkError as exc:
        click.echo(f"beatwire: Slack did not take the test message to {config.channel} "
                   f"({exc})", err=True)
        sys.exit(1)
    click.echo(f"posted a test message to {config.channel} (channel {posted.channel_id}) "
               f"ts={posted.ts}")


@main.group()
def alerts() -> None:
    """Inspect and retry alerts in the outbox."""


@alerts.command("list")
@click.option("--status", type=click.Choice(ALERT_STATUSES),
              help="Only alerts in this status (skipped: backfill, never posted).")
@click.option("--route", metavar="NAME", help="Only alerts of this [[alerts.routes]] route.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@with_app
def alerts_list(app: App, status, route, limit) -> None:
    """The newest outbox rows, and why they wait or failed.

    Each row: id, status, route (when any row has one), agency, the quote's start, created
    (UTC), attempts, and the last error (a paused delivery says why: "paused:
    token_missing ...").

    \b
    Example:
      beatwire alerts list --status pending
      beatwire alerts list --status failed --limit 10
      beatwire alerts list --route sheriffs-teams
    """
    query = (select(Alert).order_by(Alert.id.desc()).limit(limit)
             .options(selectinload(Alert.statement).selectinload(Statement.agency)))
    if status:
        query = query.where(Alert.status == status)
    if route is not None:
        query = query.where(Alert.route == route)
    with app.sessions() as session:
        alerts = list(session.scalars(query))
        # The route column only when there is one to show: without routes every alert goes
        # to slack.channel (route NULL), and the column would be dashes.
        routed = any(alert.route is not None for alert in alerts)
        rows = [_alert_row(alert, routed) for alert in alerts]
    if not rows:
        click.echo(_no_alerts(status, route, app.config))
        return
    columns = ALERT_COLUMNS if routed else tuple(c for c in ALERT_COLUMNS if c != "ROUTE")
    # Agency and quote are already cut to their widths (_cell); the why is shown whole.
    click.echo("\n".join(_aligned(columns, rows, cap=1000)))


ALERT_COLUMNS = ("ID", "STATUS", "ROUTE", "AGENCY", "QUOTE", "CREATED", "ATTEMPTS", "WHY")
QUOTE_START = 50
AGENCY_WIDTH = 40


def _alert_row(alert, routed: bool) -> tuple[str, ...]:
    """One outbox row's cells (its route's with `routed`), scraped text inert and cut to fit."""
    statement = alert.statement
    if statement is not None:
        agency, quote = agency_name(statement), statement.quote
    else:  # a digest: no statement of its own
        agency, quote = "-", f"digest: {(alert.payload or {}).get('total', 0)} new statements"
    route = (alert.route or "-",) if routed else ()  # "-": the [slack] channel, no route
    return (str(alert.id), alert.status, *route, _cell(agency, AGENCY_WIDTH),
            _cell(quote, QUOTE_START), _when(alert.created_at), str(alert.attempts),
            _cell(alert.last_error or "", None))


def _no_alerts(status: str | None, route: str | None, config: Config) -> str:
    """The line for an empty list; a --route config.toml does not name says so."""
    line = f"no {status + ' ' if status else ''}alerts"
    if route is None:
        return line
    line += f" on route {terminal_safe(route)}"
    if route not in {configured.name for configured in config.alerts.routes}:
        line += " (config.toml has no such route)"
    return line


def _cell(value: str, width: int | None) -> str:
    """`value` on one line, inert for the terminal, cut to `width` with an ellipsis."""
    text = " ".join(terminal_safe(value).split())
    return text if width is None or len(text) <= width else text[:width - 1].rstrip() + "…"


@alerts.command("retry")
@click.argument("alert_ids", nargs=-1, type=int)
@click.option("--failed", "every_failed", is_flag=True, help="Retry every failed alert.")
@with_app(write=True)
def alerts_retry(app: App, alert_ids, every_failed) -> None:
    """Put failed alerts back in the queue: those named, or every one with --failed.

    For instance after fixing the channel that made them fail.

    \b
    Example:
      beatwire alerts retry 12 13
      beatwire alerts retry --failed
    """
    if bool(alert_ids) == every_failed:
        raise click.UsageError("name the alerts to retry (IDs) or give --failed, not both")
    chosen = Alert.status == "failed"
    if alert_ids:
        chosen &= Alert.id.in_(alert_ids)
    with transaction(app.sessions) as session:
        result = session.execute(update(Alert).where(chosen).values(
            status="pending", next_attempt_at=app.clock(), last_error=None))
    click.echo(f"requeued {result.rowcount} alert(s)")


@main.command()
@with_app
def workers(app: App) -> None:
    """The daemons registered in the archive: host, pid, started, last heartbeat, alive.

    A worker is dead when its heartbeat is older than scheduler.lease (or its process is
    gone, on this machine); its claims are taken over by the next worker that looks.

    \b
    Example:
      beatwire workers
    """
    with app.sessions() as session:
        found = list_workers(session, now=app.clock(),
                             lease=timedelta(seconds=app.config.scheduler.lease))
    if not found:
        click.echo("no workers registered")
    for worker in found:
        state = "alive" if worker.alive else ("dead" if worker.state != "stopped" else "stopped")
        click.echo(f"{worker.id[:12]}  {state:8} host={worker.host} pid={worker.pid} "
                   f"version={worker.version or '?'} started={_when(worker.started_at)} "
                   f"heartbeat={worker.heartbeat_at.strftime('%Y-%m-%d %H:%M:%S')}")


@main.group()
def labels() -> None:
    """Reviewers' verdicts as training labels."""


@labels.command("export")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default="-",
              help="Write to this file (default: stdout).")
@with_app
def labels_export(app: App, out: str) -> None:
    """Every reviewed statement as labelled JSON Lines, the format `make train` reads.

    The latest verdict of a statement is its label: correct keeps its stance, not
    relevant is relevant false, wrong stance takes the reviewer's stance. Wrong speaker
    or agency is left out (the right one is not known), and so is a correct statement
    whose stance is unclear; stderr says how many.

    \b
    Example:
      beatwire labels export --out reviewed.jsonl
      python -m detect.train ../shared/corpus/real/train.jsonl reviewed.jsonl
    """
    # db.reviews reads detect's stances, and detect/ costs --help a sixth of its time.
    from db import reviews

    skipped: Counter[str] = Counter()
    lines = []
    with app.sessions() as session:
        for review in reviews.latest(session):
            reason = reviews.skip_reason(review)
            if reason:
                skipped[reason] += 1
            else:
                lines.append(json.dumps(reviews.training_item(review), ensure_ascii=False))
    with click.open_file(out, "w", encoding="utf-8") as stream:
        stream.write("".join(line + "\n" for line in lines))
    left_out = "".join(f"; left out {n}: {reviews.SKIPPED[reason]}"
                       for reason, n in sorted(skipped.items()))
    where = "stdout" if out == "-" else out
    click.echo(f"wrote {len(lines)} labelled statement(s) to {where}{left_out}", err=True)


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command()
@click.pass_obj
def upgrade(loader: ConfigLoader) -> None:
    """Create or migrate the archive schema to the latest version.

    \b
    Example:
      BEATWIRE_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/beatwire beatwire db upgrade
    """
    # Alembic is imported by the commands that migrate (this and `run`) only.
    from db.migrate import upgrade as upgrade_schema

    upgrade_schema(loader.reachable_url())
    click.echo("database is at the latest schema")


@db.command()
@with_app(write=True)
def prune(app: App) -> None:
    """Delete fetch_log rows and failed entries older than archive.fetch_log_days now (the
    daemon does it daily).

    \b
    Example:
      beatwire --config config.toml db prune
    """
    days = app.config.archive.fetch_log_days
    pruned = prune_old_rows(app.sessions, now=app.clock(), days=days)
    click.echo(f"deleted {pruned.fetch_log} fetch_log row(s) and {pruned.failed_entries} "
               f"failed_entries row(s) older than {days} day(s)")

if __name__ == "__main__":
    main()
