"""The read-only web app over the archive (Starlette, Jinja2 templates, served by uvicorn).

Pages: `/` search (the CLI's filters, paged) with `/search.csv` and `/search.json` downloads of
the same query, `/statements/{id}` (a statement's permanent link), `/agencies/{id}` and `/feeds`;
`/metrics` (Prometheus) and `/healthz` for operators (web/metrics.py).
Every route is GET and reads only, but `POST /slack/interactivity` (web/interactivity.py: the
review buttons of Slack alerts, verified with Slack's signing secret), the one route given
writable sessions. Scraped text reaches the browser only
through autoescaped templates, links only when they are http(s), and every response carries a
Content-Security-Policy that allows no script at all.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

import jinja2
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders, QueryParams
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from alerts.blocks import PAST, UNNAMED, agency_name, clean, cue_text, outlet, place, verdict_label
from config import HealthConfig
from db import reviews
from db.failures import MAX_DETECTION_ATTEMPTS
from db.models import utcnow
from db.search import REVIEW_STATES, export_hits, search, search_page
from detect.model import STANCES
from web import pages
from web.interactivity import Interactivity, interactivity_view
from web.metrics import healthz, make_registry, span

if TYPE_CHECKING:
    from app import App

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
PAGE_SIZE = 50
MAX_ID = 2**31 - 1  # ids are INTEGER columns; PostgreSQL's are 32-bit
# No script, no frames, no plugins: the pages are plain HTML with one same-origin stylesheet.
SECURITY_HEADERS = {
    "content-security-policy": ("default-src 'none'; style-src 'self'; img-src 'self'; "
                                "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FILTERS = ("q", "agency", "state", "stance", "since", "review")
DEFAULT_HEALTH = HealthConfig()  # /healthz's limits when the caller gives none


@dataclass(frozen=True)
class SearchForm:
    """The search query string, checked: what to search for and which page."""

    q: str
    agency: str
    state: str
    stance: str
    since: date | None
    review: str  # a db.search.REVIEW_STATES value, or "" for any
    page: int
    errors: tuple[str, ...]

    def filters(self) -> dict:
        """Keyword arguments for db.search."""
        return {"agency": self.agency or None, "state": self.state or None,
                "stance": self.stance or None, "since": self.since, "review": self.review or None}

    def link(self, **changes) -> str:
        """This query string with `changes` applied (empty values left out)."""
        values = {"q": self.q, "agency": self.agency, "state": self.state,
                  "stance": self.stance, "since": self.since.isoformat() if self.since else "",
                  "review": self.review, "page": self.page if self.page > 1 else "", **changes}
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


def read_form(params: QueryParams) -> SearchForm:
    """The search form from a query string; a bad value becomes an error message, not a 500."""
    values = {name: clean(params.get(name, "")) for name in FILTERS}
    errors = []
    stance = values["stance"].lower()
    if stance and stance not in STANCES:
        errors.append(f"stance must be one of {', '.join(sorted(STANCES))}, not {stance!r}")
    review = values["review"].lower()
    if review and review not in REVIEW_STATES:
        errors.append(f"review must be one of {', '.join(REVIEW_STATES)}, not {review!r}")
    since = None
    if values["since"]:
        try:
            if not _DAY.match(values["since"]):
                raise ValueError
            since = date.fromisoformat(values["since"])
        except ValueError:
            errors.append(f"since must be a date like 2026-01-31, not {values['since']!r}")
    page_text = params.get("page", "1").strip() or "1"
    page = int(page_text) if page_text.isdigit() and 0 < len(page_text) < 7 else 0
    if page < 1:
        errors.append(f"page must be a whole number from 1, not {page_text!r}")
    return SearchForm(values["q"], values["agency"], values["state"], stance, since, review,
                      max(page, 1), tuple(errors))


# --- template helpers ------------------------------------------------------------------------


def href(url: object) -> str | None:
    """`url` if it is a plain http(s) URL (safe as a link target), else None."""
    text = clean(url)
    try:
        parts = urlsplit(text)
        return text if parts.scheme.lower() in ("http", "https") and parts.hostname else None
    except ValueError:  # e.g. an unclosed [IPv6] bracket: not a link, but no error page either
        return None


def day(value: datetime | date | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "date unknown"


def moment(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def due(value: datetime, now: datetime) -> str:
    """When a poll is due from `now`: "in 14m", "due now", or "due 3h ago" (one long overdue
    says no daemon is polling)."""
    wait = value - now
    if wait > timedelta(0):
        return f"in {span(wait)}"
    return "due now" if -wait < timedelta(minutes=1) else f"due {span(-wait)} ago"


def make_templates() -> Jinja2Templates:
    """Templates with autoescape on for every file, whatever its extension."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters.update(href=href, day=day, moment=moment, due=due, plain=clean,
                       outlet=outlet, cue=cue_text)
    env.globals.update(agency_name=agency_name, place=place, past=PAST, unnamed=UNNAMED,
                       stances=sorted(STANCES), verdict_label=verdict_label,
                       review_states=[(s, verdict_label(s)) for s in REVIEW_STATES],
                       max_detection_attempts=MAX_DETECTION_ATTEMPTS)
    return Jinja2Templates(env=env)


# --- the app ---------------------------------------------------------------------------------


class SecurityHeaders:
    """ASGI middleware: the CSP and friends on every HTTP response, errors included."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        return await self.app(scope, receive, send_with_headers)


def render(request: Request, name: str, status: int = 200, **context) -> Response:
    """A page from its template (rendered at once, so inside the caller's session)."""
    templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status)


def search_view(request: Request) -> Response:
    form = read_form(request.query_params)
    if form.errors:
        return render(request, "search.html", 400, form=form, hits=[], total=0, first=0)
    offset = (form.page - 1) * PAGE_SIZE
    with request.app.state.sessions() as session:
        hits, total = search_page(session, form.q, offset=offset, limit=PAGE_SIZE,
                                  **form.filters())
    return render(request, "search.html", form=form, hits=hits, total=total, first=offset + 1)


def export_view(request: Request) -> Response:
    """Every statement the search form matches, as a CSV or JSON download."""
    fmt = request.path_params["fmt"]
    if fmt not in ("csv", "json"):
        raise HTTPException(404, "downloads are search.csv and search.json")
    form = read_form(request.query_params)
    if form.errors:
        return Response("; ".join(form.errors) + "\n", 400, media_type="text/plain")
    with request.app.state.sessions() as session:
        hits = search(session, form.q, limit=None, **form.filters())
    media = "application/json" if fmt == "json" else "text/csv; charset=utf-8"
    disposition = f'attachment; filename="beatwire-search.{fmt}"'
    return Response(export_hits(hits, fmt), media_type=media,
                    headers={"content-disposition": disposition})


def row_id(request: Request) -> int:
    """The path's id; one past any integer column (SQLite's or PostgreSQL's) is not found."""
    value = request.path_params["id"]
    if value > MAX_ID:
        raise HTTPException(404, "no such id")
    return value


def statement_view(request: Request) -> Response:
    with request.app.state.sessions() as session:
        found = pages.statement(session, row_id(request))
        if found is None:
            raise HTTPException(404, "no statement with that id")
        if found.duplicate_of_id is not None:
            # A re-report is one more source of its first statement: that is the page.
            return RedirectResponse(f"/statements/{found.duplicate_of_id}", 301)
        return render(request, "statement.html", statement=found,
                      reports=pages.reports(session, found.id),
                      reviews=reviews.for_statement(session, found.id))


def agency_view(request: Request) -> Response:
    with request.app.state.sessions() as session:
        found = pages.agency(session, row_id(request))
        if found is None:
            raise HTTPException(404, "no agency with that id")
        statements, total = pages.agency_statements(session, found.id)
        return render(request, "agency.html", agency=found, statements=statements,
                      total=total, periods=pages.stance_periods(statements),
                      changes=pages.stance_changes(statements),
                      search=urlencode({"agency": found.name, "state": found.state or ""}))


def feeds_view(request: Request) -> Response:
    state = request.app.state
    now = state.clock()
    with state.sessions() as session:
        return render(request, "feeds.html", now=now,
                      feeds=pages.feed_rows(session, now, state.dead_after_failures),
                      outbox=pages.outbox_counts(session),
                      problems=pages.outbox_problems(session))


def metrics_view(request: Request) -> Response:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    return Response(generate_latest(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)


def healthz_view(request: Request) -> Response:
    state = request.app.state
    status, line = healthz(state.sessions, state.health, clock=state.clock)
    return PlainTextResponse(line + "\n", status)


async def http_error(request: Request, exc: HTTPException) -> Response:
    return render(request, "error.html", exc.status_code, message=exc.detail)


async def archive_down(request: Request, exc: OperationalError) -> Response:
    # The database being away is an outage, not a bug: one line, no traceback.
    reason = str(exc.orig or exc).splitlines()[0]
    log.error("archive unavailable path=%s error=%s", request.url.path, reason)
    return render(request, "error.html", 503,
                  message="the archive is unavailable; try again in a moment")


ROUTES = [
    Route("/", search_view, methods=["GET"]),
    Route("/search.{fmt:str}", export_view, methods=["GET"]),
    Route("/statements/{id:int}", statement_view, methods=["GET"]),
    Route("/agencies/{id:int}", agency_view, methods=["GET"]),
    Route("/feeds", feeds_view, methods=["GET"]),
    Route("/metrics", metrics_view, methods=["GET"]),
    Route("/healthz", healthz_view, methods=["GET"]),
    Route("/slack/interactivity", interactivity_view, methods=["POST"]),
    Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
]


def make_app(sessions: sessionmaker[Session], *, clock: Callable[[], datetime] = utcnow,
             dead_after_failures: int = 10, health: HealthConfig = DEFAULT_HEALTH,
             allowed_hosts: list[str] | None = None,
             interactivity: Interactivity | None = None) -> Starlette:
    """The web app over the archive that `sessions` opens (read-only).

    `clock`: the App's, for every "now" a page, /metrics or /healthz reads. `allowed_hosts`:
    the Host headers answered (others get 400); None answers any (`serve` always gives them).
    `interactivity`: what the Slack route needs (None: it answers 503)."""
    app = Starlette(routes=ROUTES, exception_handlers={HTTPException: http_error,
                                                       OperationalError: archive_down})
    app.state.sessions = sessions
    app.state.clock = clock
    app.state.templates = make_templates()
    app.state.dead_after_failures = dead_after_failures
    app.state.health = health
    app.state.metrics = make_registry(sessions, clock=clock)
    app.state.interactivity = interactivity
    if allowed_hosts is not None:
        # Against DNS rebinding: a page from elsewhere whose name now points here is refused.
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    app.add_middleware(SecurityHeaders)  # outermost: the 400 above carries the headers too
    return app


# Listening on every interface names no host: only these and the --allow-host ones are answered.
WILDCARD_HOSTS = ("", "0.0.0.0", "::")


def allowed_hosts(host: str, extra: tuple[str, ...] = ()) -> list[str]:
    """The Host headers `beatwire web` answers: its listen host, localhost and `extra`."""
    names = ["localhost", "127.0.0.1", "::1"]
    if host not in WILDCARD_HOSTS:
        names.append(host.strip("[]"))
    return list(dict.fromkeys(name.lower() for name in [*names, *extra]))


def app_from(parts: App, *, allowed_hosts: list[str] | None = None,
             interactivity: Interactivity | None = None) -> Starlette:
    """make_app on an App's parts: its sessions and clock, its config's limits."""
    config = parts.config
    return make_app(parts.sessions, clock=parts.clock,
                    dead_after_failures=config.scheduler.dead_after_failures,
                    health=config.health, allowed_hosts=allowed_hosts,
                    interactivity=interactivity)


def serve(parts: App, *, host: str, port: int, allow_hosts: tuple[str, ...] = (),
          interactivity: Interactivity | None = None) -> int:
    """Serve the app over `parts` (app.build's, read-only) with uvicorn until SIGINT/SIGTERM;
    the exit status (1: could not listen)."""
    import uvicorn

    app = app_from(parts, allowed_hosts=allowed_hosts(host, allow_hosts),
                   interactivity=interactivity)
    # log_config=None: uvicorn's lines go through our logging (format, level) instead of its own.
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_config=None,
                                           server_header=False))
    try:
        server.run()
    except SystemExit:
        # uvicorn exits 3 when it cannot listen (address in use or not ours; it logged why).
        return 1
    return 0 if server.started else 1
