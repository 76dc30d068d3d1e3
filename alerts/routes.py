"""Routing: which `[[alerts.routes]]` a statement goes to, and the outbox rows that makes.

A destination is a sink and a channel (for a webhook, its route: the url is its address).
A statement gets one alert per destination it matches: two routes to two channels give two
rows, two routes to one channel one row, keyed by the first of them ("statement:12:legal").
With no routes configured every alert goes to `slack.channel` through `slack.sink` with the
keys it always had ("statement:12"), so an archive from before routes reads the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from config import RouteConfig
    from db.models import Statement


@dataclass(frozen=True)
class Facts:
    """What route filters look at in a statement."""

    state: str | None = None
    stance: str | None = None
    agency_kind: str | None = None
    feed: str | None = None
    stance_change: bool = False


@dataclass(frozen=True)
class Destination:
    """Where one alert row goes; `route` None is the single `[slack]` destination."""

    channel: str
    route: str | None = None
    sink: str | None = None

    def key(self, base: str) -> str:
        """The row's key: `base` ("statement:12") qualified by the route, if there is one."""
        return base if self.route is None else f"{base}:{self.route}"


def facts_of(statement: Statement, feed: str | None) -> Facts:
    """The facts of a stored statement (its agency loaded), found through feed `feed`."""
    agency = statement.agency
    changed = bool(statement.previous_stance and statement.previous_stance != statement.stance)
    return Facts(state=agency.state if agency else None, stance=statement.stance,
                 agency_kind=agency.kind if agency else None, feed=feed, stance_change=changed)


def route_matches(route: RouteConfig, facts: Facts) -> bool:
    """True when every filter the route sets admits the statement."""
    wanted = ((route.states, facts.state), (route.stances, facts.stance),
              (route.agency_kinds, facts.agency_kind), (route.feeds, facts.feed))
    if any(allowed is not None and value not in allowed for allowed, value in wanted):
        return False
    return facts.stance_change or not route.stance_changes_only


def destinations(routes: Sequence[RouteConfig], facts: Facts,
                 default_channel: str) -> list[Destination]:
    """One destination per distinct sink and channel among the routes `facts` match."""
    if not routes:
        return [Destination(default_channel)]
    found: dict[tuple[str, str], Destination] = {}
    for route in routes:
        if route_matches(route, facts):
            found.setdefault(_place(route), destination_of(route))
    return list(found.values())


def destination_of(route: RouteConfig) -> Destination:
    return Destination(route.channel, route.name, route.sink)


def _place(route: RouteConfig) -> tuple[str, str]:
    # A webhook's url is its address (and may hold a secret): routes are told apart by name.
    return (route.sink, route.name if route.sink == "webhook" else route.channel)
