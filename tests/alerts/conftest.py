"""Fixtures for the alerts suite: a clock, committed outbox rows, a Slack sink on the fake."""

from __future__ import annotations

import logging

import pytest
from alert_builders import alert_row, statement_row
from sqlalchemy import select

from alerts.outbox import PauseState
from alerts.slack import SlackSink
from db.models import Agency, Alert, Statement


@pytest.fixture
def add_alert(sessions):
    """Insert (committed) an alert, by default for a fresh statement; returns its id."""

    def build(statement: Statement | None = None, **fields) -> int:
        with sessions.begin() as session:
            if statement is None and fields.get("kind", "statement") != "digest":
                statement = statement_row()
            if statement is not None and statement.agency is not None:
                statement.agency = _existing_agency(session, statement.agency)
            alert = alert_row(statement, **fields)
            session.add(alert)
            session.flush()
            return alert.id

    return build


@pytest.fixture
def add_statement(sessions):
    """Insert (committed) a statement built by `statement_row(**fields)`; returns its id."""

    def build(**fields) -> int:
        with sessions.begin() as session:
            statement = statement_row(**fields)
            if statement.agency is not None:
                statement.agency = _existing_agency(session, statement.agency)
            session.add(statement)
            session.flush()
            return statement.id

    return build


def _existing_agency(session, agency: Agency) -> Agency:
    """The stored agency with the same name and state (they are unique), else `agency`."""
    found = session.scalar(select(Agency).where(Agency.name == agency.name,
                                                Agency.state == agency.state))
    return found or agency


@pytest.fixture
def load_alerts(sessions):
    """All alert rows, by id, freshly read."""

    def load() -> dict[int, Alert]:
        with sessions() as session:
            return {a.id: a for a in session.query(Alert).order_by(Alert.id)}

    return load


@pytest.fixture
def slack_sink(fake_slack):
    """A real SlackSink (slack_sdk over HTTP) pointed at the fake, with a short timeout."""
    return SlackSink(fake_slack.token, api_url=fake_slack.url, timeout=1)


@pytest.fixture
def pause():
    """A fresh pause memory per test (the module keeps one per process)."""
    return PauseState()


@pytest.fixture
def no_token_in_logs(caplog, fake_slack):
    """Fails the test if the fake's token shows up in any log record."""
    caplog.set_level(logging.DEBUG)
    yield caplog
    assert fake_slack.token not in caplog.text
