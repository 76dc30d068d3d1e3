"""Review in Slack: a real alert posted to the fake Slack, a click on its buttons signed as
Slack signs it, POST /slack/interactivity on the real app (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

import pytest
from servers.fake_slack import signed
from slack_sdk import WebClient
from sqlalchemy import func, select
from web_archive import text

from alerts.outbox import PauseState, deliver_pending
from alerts.slack import SlackSink
from db.archive import store_article
from db.engine import make_engine, make_sessionmaker, transaction
from db.models import Review
from detect.train import load
from web.app import make_app
from web.interactivity import Interactivity

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
QUOTE = "We will not hold anyone on an ICE detainer without a judge's warrant."
ARTICLE = f"The sheriff spoke on Tuesday.\nSheriff Ana Ruiz said: “{QUOTE}”\nThe end."


@pytest.fixture
def alerted(sessions, fake_slack, make_feed, make_article, make_statement):
    """One statement stored and its alert delivered to the fake Slack by the real outbox:
    (statement id, the posted message)."""
    feed = make_feed()
    with transaction(sessions) as session:
        stored = store_article(session, make_article(feed, text=ARTICLE),
                               [make_statement(QUOTE, speaker="Ana Ruiz", stance="refuses")],
                               channel="#beatwire-alerts")
    sink = SlackSink(fake_slack.token, api_url=fake_slack.url, timeout=2)
    assert deliver_pending(sessions, sink, pause=PauseState()).sent == 1
    return stored.new_statement_ids[0], fake_slack.posted[0]


@pytest.fixture
def client(db_url, sessions, fake_slack):
    """The app as `beatwire web` runs it: pages on read-only sessions, the Slack route on
    writable ones, chat.update through slack_sdk to the fake."""
    from starlette.testclient import TestClient

    reader = make_engine(db_url, read_only=True)
    slack = WebClient(token=fake_slack.token, base_url=fake_slack.url, timeout=2,
                      retry_handlers=[])
    app = make_app(make_sessionmaker(reader),
                   interactivity=Interactivity(sessions, SECRET, slack))
    with TestClient(app) as test_client:
        yield test_client
    reader.dispose()


def post(client, body: bytes, headers: dict):
    return client.post("/slack/interactivity", content=body, headers=headers)


def review_count(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count(Review.id)))


def test_a_signed_not_relevant_click_is_stored_updated_shown_and_exported(
        alerted, client, sessions, fake_slack, db_url, make_config, beatwire, tmp_path):
    statement_id, message = alerted
    payload = fake_slack.click(message, "review_not_relevant", user=("U0ANA", "ana.reviewer"))
    response = post(client, *signed(SECRET, payload))
    assert response.status_code == 200

    with sessions() as session:
        stored = session.scalars(select(Review)).all()
    assert [(r.statement_id, r.verdict, r.reviewer_id, r.reviewer_name) for r in stored] == [
        (statement_id, "not_relevant", "U0ANA", "ana.reviewer")]

    [update] = fake_slack.updates
    assert (update["channel"], update["ts"]) == (message.channel, message.ts)
    assert not [b for b in update["blocks"] if b["type"] == "actions"]
    assert "Reviewed by *ana.reviewer*: not relevant" in update["blocks"][-1]["elements"][0]["text"]
    assert fake_slack.posted[0].blocks == update["blocks"]  # in place: the same message

    page = text(client.get(f"/statements/{statement_id}").text)
    assert "ana.reviewer (U0ANA) — not relevant" in page

    out = tmp_path / "labels.jsonl"
    result = beatwire(make_config(db_url, []), "labels", "export", "--out", str(out))
    assert result.returncode == 0, result.stderr
    [item] = load([out])
    assert (item["id"], item["relevant"], item["stance"]) == (
        f"statement-{statement_id}", False, None)
    assert item["text"] == f"Sheriff Ana Ruiz said: “{QUOTE}”"


def test_a_wrong_stance_pick_stores_the_right_stance(alerted, client, sessions, fake_slack):
    statement_id, message = alerted
    option = next(o["value"] for b in message.blocks if b["type"] == "actions"
                  for e in b["elements"] if e["type"] == "static_select"
                  for o in e["options"] if o["value"].endswith("/cooperates"))
    payload = fake_slack.click(message, "review_wrong_stance", option=option)
    assert post(client, *signed(SECRET, payload)).status_code == 200
    page = text(client.get(f"/statements/{statement_id}").text)
    assert "wrong stance (should be cooperates)" in page
    assert "wrong stance (should be cooperates)" in json.dumps(fake_slack.updates[-1]["blocks"])


def forged(body, headers):
    return body, {**headers, "x-slack-signature": "v0=" + "0" * 64}


def tampered(body, headers):
    return body.replace(b"not_relevant", b"correct"), headers


def unsigned(body, headers):
    return body, {"content-type": headers["content-type"]}


def signed_by_another_app(body, headers):
    return signed("another-apps-secret", json.loads(_payload(body)))


def stale(body, headers):
    return signed(SECRET, json.loads(_payload(body)), int(time.time()) - 6 * 60)


def from_the_future(body, headers):
    return signed(SECRET, json.loads(_payload(body)), int(time.time()) + 6 * 60)


def timestamp_not_a_number(body, headers):
    return body, {**headers, "x-slack-request-timestamp": "soon"}


def _payload(body: bytes) -> str:
    from urllib.parse import parse_qs

    return parse_qs(body.decode())["payload"][0]


@pytest.mark.parametrize("spoil", [forged, tampered, unsigned, signed_by_another_app, stale,
                                   from_the_future, timestamp_not_a_number],
                         ids=lambda f: f.__name__.replace("_", "-"))
def test_a_bad_or_stale_signature_is_401_and_changes_nothing(alerted, client, sessions,
                                                             fake_slack, spoil):
    _, message = alerted
    body, headers = spoil(*signed(SECRET, fake_slack.click(message, "review_not_relevant")))
    response = post(client, body, headers)
    assert response.status_code == 401
    assert response.text == "bad, stale or missing Slack signature\n"
    assert review_count(sessions) == 0 and fake_slack.updates == []


def test_a_replayed_request_is_refused(alerted, client, sessions, fake_slack):
    _, message = alerted
    request = signed(SECRET, fake_slack.click(message, "review_correct"))
    assert post(client, *request).status_code == 200
    again = post(client, *request)
    assert (again.status_code, again.text) == (409, "this request was received already\n")
    assert review_count(sessions) == 1 and len(fake_slack.updates) == 1


def test_a_replay_to_another_web_process_after_a_restart_is_refused(alerted, client, db_url,
                                                                    fake_slack, sessions):
    _, message = alerted
    request = signed(SECRET, fake_slack.click(message, "review_correct"))
    assert post(client, *request).status_code == 200
    from starlette.testclient import TestClient

    writer = make_engine(db_url)  # a second process: its own engine, nothing in memory
    other = make_app(make_sessionmaker(writer),
                     interactivity=Interactivity(make_sessionmaker(writer), SECRET, None))
    with TestClient(other) as second:
        assert post(second, *request).status_code == 409
    writer.dispose()
    assert review_count(sessions) == 1


def test_a_button_of_another_archive_is_refused(alerted, client, sessions, fake_slack):
    statement_id, message = alerted
    payload = fake_slack.click(message, "review_not_relevant")
    payload["actions"][0]["value"] = f"{statement_id}@{'f' * 32}"
    response = post(client, *signed(SECRET, payload))
    assert (response.status_code, response.text) == (
        403, "that button belongs to another Beatwire archive\n")
    assert review_count(sessions) == 0 and fake_slack.updates == []


@pytest.mark.parametrize("change, status", [
    (lambda p: p.update(type="view_submission"), 400),
    (lambda p: p["actions"][0].update(action_id="someone_elses_button"), 400),
    (lambda p: p["actions"][0].update(value="not a review value"), 400),
    (lambda p: p.pop("user"), 400),
    (lambda p: p["user"].update(id="U" * 51), 400),
    (lambda p: p["user"].update(id="<@U1>"), 400),
    (lambda p: p["actions"][0].update(value="999999@" + p["actions"][0]["value"].split("@")[1]),
     404),
], ids=["not-block-actions", "not-our-action", "value-not-ours", "no-user",
        "user-id-too-long", "user-id-not-slacks", "statement-not-in-archive"])
def test_a_signed_interaction_that_is_not_a_review_is_refused(alerted, client, sessions,
                                                               fake_slack, change, status):
    _, message = alerted
    payload = fake_slack.click(message, "review_not_relevant")
    change(payload)
    response = post(client, *signed(SECRET, payload))
    assert response.status_code == status and response.text.count("\n") == 1
    assert review_count(sessions) == 0 and fake_slack.updates == []


@pytest.mark.parametrize("body, status", [
    (b"hello=world", 400),
    (b"payload=%7Bnot+json", 400),
    (b"payload=\xff\xfe", 401),  # not UTF-8: Slack never signs such a body
], ids=["no-payload-field", "payload-not-json", "not-utf-8"])
def test_a_signed_body_that_is_no_payload_is_refused(client, sessions, body, status):
    stamp = str(int(time.time()))
    mac = hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    response = post(client, body, {"x-slack-request-timestamp": stamp,
                                   "x-slack-signature": "v0=" + mac.hexdigest()})
    assert response.status_code == status and review_count(sessions) == 0


def test_without_a_signing_secret_the_route_is_503_one_line(sessions, fake_slack):
    from starlette.testclient import TestClient

    app = make_app(sessions, interactivity=Interactivity(sessions, None, None))
    with TestClient(app) as client:
        response = post(client, b"payload=%7B%7D", {})
    assert (response.status_code, response.text) == (
        503, "Slack interactivity is off: SLACK_SIGNING_SECRET is not set\n")


def test_a_failed_message_update_keeps_the_review_and_says_why(alerted, client, sessions,
                                                               fake_slack, caplog):
    _, message = alerted
    fake_slack.fail_with("cant_update_message", method="chat.update")
    caplog.set_level(logging.WARNING, logger="web.interactivity")
    response = post(client, *signed(SECRET, fake_slack.click(message, "review_wrong_speaker")))
    assert response.status_code == 200
    with sessions() as session:
        [review] = session.scalars(select(Review)).all()
    assert review.verdict == "wrong_speaker"
    assert [r.getMessage() for r in caplog.records] == [
        f"review {review.id} stored; its message is not updated: cant_update_message"]
    assert fake_slack.token not in caplog.text


def test_beatwire_web_answers_a_click_before_slack_has_updated_the_message(
        alerted, db_url, fake_slack, sessions, tmp_path):
    """The real command: SLACK_SIGNING_SECRET from the environment, the bot token from
    [slack], the answer sent while a slow chat.update is still under way."""
    import os
    import subprocess
    import urllib.request

    from support import REPO, beatwire_command, config_text
    from test_browser import _wait_until_up, free_port

    _, message = alerted
    config = tmp_path / "config.toml"
    config.write_text(config_text(db_url, [], slack={"api_url": fake_slack.url}), "utf-8")
    port, log_path = free_port(), tmp_path / "web.log"
    env = {**{k: v for k, v in os.environ.items() if k != "BEATWIRE_DATABASE_URL"},
           "SLACK_SIGNING_SECRET": SECRET, "BEATWIRE_TEST_SLACK_TOKEN": fake_slack.token}
    with log_path.open("w") as log:
        process = subprocess.Popen(beatwire_command(config, "web", "--port", str(port)),
                                   cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_up(base, process, log_path)
            fake_slack.slow(3, method="chat.update")
            body, headers = signed(SECRET, fake_slack.click(message, "review_not_relevant"))
            request = urllib.request.Request(base + "/slack/interactivity", data=body,
                                             headers=headers, method="POST")
            started = time.monotonic()
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 200
            assert time.monotonic() - started < 2 and fake_slack.updates == []
            assert review_count(sessions) == 1
            deadline = time.monotonic() + 10
            while not fake_slack.updates and time.monotonic() < deadline:
                time.sleep(0.05)
            assert "Reviewed by" in json.dumps(fake_slack.updates[0]["blocks"])
        finally:
            process.terminate()
            process.wait(timeout=20)
    assert SECRET not in log_path.read_text() and fake_slack.token not in log_path.read_text()
