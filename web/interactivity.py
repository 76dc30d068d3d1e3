"""Slack interactivity, `POST /slack/interactivity`: the review buttons of statement alerts.

Every request is verified first with the app's signing secret (slack_sdk's SignatureVerifier):
a wrong or missing signature, or a timestamp more than five minutes off, is 401 and nothing
of the body is read. A click stores a review (db/reviews.py) under the digest of its
signature, so the same signed request sent again within those five minutes is refused (409)
by every web process, also after a restart; a button naming another archive's installation is
refused (403). The answer goes out at once (Slack wants one within 3 s); the message is then
updated in place (chat.update) to say who reviewed it and how. This is the app's one route
that writes, and the only one given writable sessions.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import os
import re
from dataclasses import dataclass
from urllib.error import URLError
from urllib.parse import parse_qs

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, sessionmaker
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from alerts.blocks import REVIEW_ACTIONS, ReviewValue, reviewed
from db import reviews
from db.engine import transaction
from db.installation import installation_id
from db.models import Review, Statement

log = logging.getLogger(__name__)

SECRET_ENV = "SLACK_SIGNING_SECRET"
# Slack's payloads are a few KB (the message's blocks included); anything far larger is not one.
MAX_BODY = 1_000_000
SLACK_USER_ID = re.compile(r"^[A-Z0-9]{2,50}$")  # U0ANA..., W012...; fits reviews.reviewer_id
NAME_MAX = 200


@dataclass(frozen=True)
class Interactivity:
    """What the route needs: writable sessions, the signing secret, a Slack client."""

    sessions: sessionmaker[Session] | None
    signing_secret: str | None
    slack: WebClient | None  # None without a bot token: reviews are stored, messages not updated

    @classmethod
    def from_env(cls, sessions: sessionmaker[Session] | None, slack_config) -> Interactivity:
        """Secret from SLACK_SIGNING_SECRET, the client from `[slack]` (its token env)."""
        token = slack_config.token()
        client = WebClient(token=token, base_url=slack_config.api_url,
                           timeout=slack_config.timeout, retry_handlers=[]) if token else None
        secret = signing_secret()
        if secret is None:
            log.info("slack interactivity off: %s is not set (POST /slack/interactivity "
                     "answers 503)", SECRET_ENV)
        return cls(sessions, secret, client)


@dataclass(frozen=True)
class Click:
    """A review button clicked: by whom, on which message, meaning what."""

    value: ReviewValue
    verdict: str
    reviewer_id: str
    reviewer_name: str
    channel: str
    ts: str


class Refused(Exception):
    """The request is answered `status` with the one-line `reason`, and nothing is stored."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


def _line(status: int, text: str) -> Response:
    return PlainTextResponse(text + "\n", status)


async def interactivity_view(request: Request) -> Response:
    settings: Interactivity | None = request.app.state.interactivity
    if settings is None or not settings.signing_secret or settings.sessions is None:
        return _line(503, f"Slack interactivity is off: {SECRET_ENV} is not set")
    try:
        body = await _body(request)
        signature = verified_signature(settings.signing_secret, body, request.headers)
        click = parse_click(body)
        review = await run_in_threadpool(store, settings.sessions, click,
                                         hashlib.sha256(signature.encode()).hexdigest())
    except Refused as refused:
        log.warning("slack interaction refused status=%s reason=%s", refused.status,
                    refused.reason)
        return _line(refused.status, refused.reason)
    log.info("review stored statement=%s verdict=%s reviewer=%s", review.statement_id,
             review.verdict, review.reviewer_id)
    return Response(status_code=200, background=BackgroundTask(
        update_message, settings, click, review.id))


async def _body(request: Request) -> bytes:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise Refused(413, "request body too large for a Slack interaction")
    return body


def verified_signature(secret: str, body: bytes, headers) -> str:
    """The request's signature once it is Slack's for this body and recent; else 401."""
    timestamp = headers.get("x-slack-request-timestamp") or ""
    signature = headers.get("x-slack-signature") or ""
    try:
        valid = timestamp.isdigit() and bool(signature) and SignatureVerifier(secret).is_valid(
            body, timestamp, signature)
    except (ValueError, UnicodeDecodeError):  # a body that is not UTF-8 was not signed by Slack
        valid = False
    if not valid:
        raise Refused(401, "bad, stale or missing Slack signature")
    return signature


def parse_click(body: bytes) -> Click:
    """The review click a (verified) body holds; 400 for anything else."""
    try:
        payload = json.loads(parse_qs(body.decode("utf-8"), strict_parsing=True)["payload"][0])
    except (ValueError, KeyError, UnicodeDecodeError):
        raise Refused(400, "expected a form field 'payload' holding JSON") from None
    if not isinstance(payload, dict) or payload.get("type") != "block_actions":
        raise Refused(400, "not a block_actions interaction")
    actions = payload.get("actions") or [{}]
    action = actions[0] if isinstance(actions, list) and isinstance(actions[0], dict) else {}
    verdict = REVIEW_ACTIONS.get(action.get("action_id"))
    option = action.get("selected_option")
    raw = option.get("value") if isinstance(option, dict) else action.get("value")
    value = ReviewValue.parse(raw)
    if verdict is None or value is None or (verdict == "wrong_stance") != bool(value.stance):
        raise Refused(400, "not a Beatwire review action")
    user, container = _dict(payload, "user"), _dict(payload, "container")
    reviewer = user.get("id")
    channel = container.get("channel_id") or _dict(payload, "channel").get("id")
    ts = container.get("message_ts") or _dict(payload, "message").get("ts")
    if not all(isinstance(v, str) and v for v in (reviewer, channel, ts)):
        raise Refused(400, "the interaction names no user, channel or message")
    if not SLACK_USER_ID.match(reviewer):
        raise Refused(400, "the interaction's user id is not a Slack user id")
    name = str(user.get("name") or user.get("username") or reviewer)[:NAME_MAX]
    return Click(value, verdict, reviewer, name, channel, ts)


def _dict(payload: dict, key: str) -> dict:
    value = payload.get(key)
    return value if isinstance(value, dict) else {}


def store(sessions: sessionmaker[Session], click: Click, digest: str) -> Review:
    """Record the click's review, once: another archive's button is 403, an unknown
    statement 404, the same request again 409."""
    try:
        with transaction(sessions) as session:
            if click.value.installation_id != installation_id(session):
                raise Refused(403, "that button belongs to another Beatwire archive")
            if session.get(Statement, click.value.statement_id) is None:
                raise Refused(404, "no statement with that id in this archive")
            return reviews.record(session, click.value.statement_id,
                                  reviewer_id=click.reviewer_id, reviewer_name=click.reviewer_name,
                                  verdict=click.verdict, stance=click.value.stance,
                                  request_digest=digest)
    except reviews.AlreadyRecorded:
        raise Refused(409, "this request was received already") from None
    except IntegrityError:
        # Two processes given the same request at once: the unique digest let one through.
        with sessions() as session:
            if reviews.received(session, digest):
                raise Refused(409, "this request was received already") from None
        raise


def update_message(settings: Interactivity, click: Click, review_id: int) -> None:
    """Replace the alert's buttons with who reviewed it (after the answer has gone out)."""
    if settings.slack is None:
        log.warning("review %s stored; its message is not updated: no Slack bot token",
                    review_id)
        return
    with settings.sessions() as session:
        review = session.get(Review, review_id, options=[
            joinedload(Review.statement).joinedload(Statement.article),
            joinedload(Review.statement).joinedload(Statement.agency)])
        rendered = reviewed(review.statement, review)
    try:
        settings.slack.chat_update(channel=click.channel, ts=click.ts, text=rendered.text,
                                   blocks=rendered.blocks)
    except SlackApiError as exc:
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        reason = data.get("error") or f"http_{exc.response.status_code}"
        log.warning("review %s stored; its message is not updated: %s", review_id, reason)
    except (URLError, http.client.HTTPException, OSError) as exc:
        log.warning("review %s stored; its message is not updated: %s", review_id,
                    type(exc).__name__)


def signing_secret() -> str | None:
    """The Slack app's signing secret from the environment, or None (the route is off)."""
    return os.environ.get(SECRET_ENV) or None
