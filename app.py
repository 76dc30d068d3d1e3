"""The composition root: the engine, sessions, detector, sinks and clock that the daemon,
the CLI and the web app run on, built from a Config in one place."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Callable

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from alerts.base import Sinks, make_sinks
from config import Config
from db.engine import make_engine, make_sessionmaker, require_archive
from db.models import utcnow

if TYPE_CHECKING:
    from detect import Detector


@dataclass(frozen=True)
class App:
    """One process's parts. The detector and the sinks are made on first use: a read
    command needs neither, and the model loads only where `load_model` says so."""

    config: Config
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Callable[[], datetime] = utcnow
    load_model: bool = True

    @cached_property
    def detector(self) -> Detector:
        """The detector of `[detect]`; without `load_model` its model files are only checked."""
        return self.config.detect.make_detector(load=self.load_model)

    @cached_property
    def sinks(self) -> Sinks:
        """The sinks of `[slack]` and `[[alerts.routes]]`."""
        return make_sinks(self.config)

    def reconfigured(self, config: Config) -> App:
        """These parts under a reloaded `config`: the same engine (a new database.url takes
        effect at restart), a detector and sinks of its own on first use."""
        return replace(self, config=config)

    def close(self) -> None:
        self.engine.dispose()


def build(config: Config, *, read_only: bool = False, load_model: bool = True,
          clock: Callable[[], datetime] = utcnow) -> App:
    """The parts for `config`. The engine never creates the archive: a SQLite file must
    exist (mode=ro when `read_only`, else mode=rw); PostgreSQL sessions are READ ONLY when
    `read_only`."""
    engine = make_engine(config.database.url, read_only=read_only, must_exist=True)
    return App(config, engine, make_sessionmaker(engine), clock, load_model)


def open_archive(config: Config, *, write: bool = False,
                 clock: Callable[[], datetime] = utcnow) -> App:
    """build() for a command on the existing archive at the latest schema, read-only unless
    `write`; a missing, unreachable or old one raises ArchiveUnavailable naming the fix."""
    require_archive(config.database.url)
    return build(config, read_only=not write, clock=clock)
