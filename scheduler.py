"""The daemon: a few named APScheduler jobs on Scrapy's asyncio reactor.

Each job claims its work from the database, so any number of workers can run
side by side and a killed worker loses nothing:

- heartbeat        tell the worker registry we are alive, renew the leases of the
                   polls and deliveries in hand, take over the claims of dead workers
- poll_due_feeds   claim feeds whose next poll has come, hand them to the crawl
- deliver_alerts   post pending outbox rows (also kicked when new ones commit)
- send_digest      the daily digest (cron from config; one worker per cluster)
- check_feed_health  log feeds that keep failing (one worker per cluster)
- prune_fetch_log  daily (and at start): delete fetch_log rows and failed entries
                   older than archive.fetch_log_days
- reload_config    on SIGHUP or a changed file: validate, then apply; a bad
                   file keeps the old config running

`run --once` calls the same functions in order and exits. `run --workers N` (run_pool, at
the end) starts N such daemons as child processes on one machine.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from alerts.digest import enqueue_digests
from alerts.outbox import deliver_pending
from app import build
from config import Config, ConfigError, load_config
from db import retention, workers
from db.claims import claim_due_feeds, renew_claims
from db.engine import INIT_HINT, redact, require_archive, transaction
from db.feeds import clean_error, feed_health, sync_feeds
from db.health import ArchiveHealth, is_unavailable
from db.locks import cluster_job
from db.models import Feed, utcnow

# Imported where they are used: Scrapy and Twisted (crawler.service, crawler.runtime),
# Alembic (db.migrate), APScheduler and prometheus_client (web.metrics_port). `beatwire
# --help` imports this module and need not load them.

log = logging.getLogger("beatwire.scheduler")

STOP_GRACE_SECONDS = 5.0
# Heartbeats per lease: a live worker's leases never come near running out.
BEATS_PER_LEASE = 6
EVERY = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 30}


class Daemon:
    """The running jobs and the state they share (config, crawl, sink)."""

    def __init__(self, config_path: str | None, config: Config, *, now_fn: Callable = utcnow,
                 metrics: bool = True, create: bool = False):
        self.config_path = config_path
        self.config = config
        # Detection runs in worker processes that load the model (crawler/workers.py);
        # loading it here too cost the main process about 550 MB for nothing. The engine
        # never creates the file: only start() does, with `create` (`run --init`).
        self.app = build(config, load_model=False, clock=now_fn)
        self.now_fn = self.app.clock
        self.engine, self.sessions = self.app.engine, self.app.sessions
        self.health = ArchiveHealth(config.database.url, self.engine)
        self.detector = self.app.detector
        # `[slack]`'s and the routes', made now: a missing token is said at start.
        self.sink = self.app.sinks
        self.crawl = None
        self.jobs = None
        self.stopping = asyncio.Event()
        self._delivering = asyncio.Lock()
        self._again = False
        self._config_mtime = _mtime(config_path)
        self.worker_id: str | None = None  # our row in the worker registry, once started
        self._alerts_in_hand: set[int] = set()  # claimed by the running delivery round
        self.metrics_port = None  # serving /metrics and /healthz, when metrics.listen is set
        # False in children 2..N of `run --workers N`: the first serves the archive's figures.
        self.serve_metrics = metrics
        self.create = create  # start() may create a missing archive (`run --init`)

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.config.scheduler.lease)

    @property
    def posting_grace(self) -> timedelta:
        """How long a post a dead worker had in flight may still take to reach Slack."""
        return timedelta(seconds=self.config.slack.timeout)

    @property
    def heartbeat_seconds(self) -> float:
        return max(1.0, self.config.scheduler.lease / BEATS_PER_LEASE)

    async def start(self) -> None:
        """Upgrade the schema (a missing archive is ArchiveUnavailable unless `create`),
        register (taking over dead workers' claims), sync feeds from config, start the crawl."""
        if not self.create:
            # upgrade() would make a fresh empty archive, whose first poll alerts everything
            # again. The same check as `beatwire run` without --init (cli.ConfigLoader).
            require_archive(self.config.database.url, hint=INIT_HINT, behind_ok=True)
        from crawler.service import CrawlService
        from db.migrate import upgrade

        upgrade(self.config.database.url)
        self.health.opened()  # the file we write to, watched each tick from now on
        self._register()
        self._sync_feeds()
        self.crawl = await CrawlService.start(
            self.config, self.sessions, self.detector, on_new_alerts=self.kick_delivery
        )

    def _register(self) -> None:
        with transaction(self.sessions) as session:
            self.worker_id = workers.register(session, now=self.now_fn())
            # A crashed predecessor's work is ours to take now, not when its leases run out.
            workers.take_over_dead(session, self.worker_id, now=self.now_fn(),
                                   lease=self.lease, posting_grace=self.posting_grace)
        log.info("worker registered worker=%s", self.worker_id)

    def _sync_feeds(self) -> None:
        with transaction(self.sessions) as session:
            sync_feeds(session, self.config, self.now_fn(), worker=self.worker_id)

    # -- jobs -------------------------------------------------------------

    async def poll_due_feeds(self, only: list[int] | None = None,
                             polled_before: datetime | None = None) -> list[int]:
        """Claim due feeds in batches and submit them to the crawl; return their ids.

        At most 2 x batch_size polls are in flight: the rest stay unclaimed in the
        database (free for other workers, their leases not ticking in a queue).
        """
        batch = self.config.scheduler.batch_size
        claimed: list[int] = []
        while not self.stopping.is_set():
            room = min(batch, 2 * batch - self.crawl.in_flight())
            if room <= 0:
                break
            wanted = None if only is None else [i for i in only if i not in set(claimed)]
            with self.sessions() as session:
                feeds = claim_due_feeds(session, now=self.now_fn(), limit=room,
                                        lease=self.lease, only=wanted, worker=self.worker_id,
                                        polled_before=polled_before)
            if not feeds:
                break
            self.crawl.submit(feeds)
            claimed += [feed.id for feed in feeds]
        return claimed

    async def deliver_alerts(self):
        """Post pending alerts (in a thread: slack_sdk blocks); None if a round is running.

        A call while a delivery runs makes that delivery go round once more, so a
        burst of new alerts costs one or two rounds, not one round each.
        """
        self._again = True
        if self._delivering.locked():
            return None
        async with self._delivering:
            report = None
            while self._again and not self.stopping.is_set():
                self._again = False
                report = await asyncio.to_thread(
                    deliver_pending, self.sessions, self.sink, now_fn=self.now_fn,
                    lease=self.lease, worker=self.worker_id, holding=self._alerts_in_hand)
            return report

    def kick_delivery(self) -> None:
        """Deliver soon: called by the crawl when new alert rows are committed."""
        if not self.stopping.is_set():
            asyncio.get_running_loop().create_task(self.deliver_alerts())

    async def heartbeat(self) -> None:
        """Beat in the registry, renew the leases of the work in hand, take over the dead."""
        if self.worker_id is None:
            return
        feeds = self.crawl.context.polls.feed_ids() if self.crawl is not None else []
        # A copy made in one step: the delivery thread adds and removes ids meanwhile.
        alerts = self._alerts_in_hand.copy()
        await asyncio.to_thread(self._beat, feeds, alerts)

    def _beat(self, feeds: list[int], alerts: set[int]) -> None:
        now = self.now_fn()
        try:
            with transaction(self.sessions) as session:
                if not workers.heartbeat(session, self.worker_id, now=now):
                    log.warning("worker was taken for dead (no heartbeat for a lease) and runs "
                                "again; its claims were released worker=%s", self.worker_id)
                renew_claims(session, self.worker_id, now=now, lease=self.lease, feeds=feeds,
                             alerts=alerts)
                workers.take_over_dead(session, self.worker_id, now=now, lease=self.lease,
                                       posting_grace=self.posting_grace)
        except DBAPIError as exc:  # the database is away: the next beat tries again
            log.warning("heartbeat failed worker=%s error=%s", self.worker_id,
                        clean_error(exc.orig or exc))

    async def send_digest(self) -> None:
        """Queue the daily digest (once per cluster) and deliver it."""
        with self.sessions() as session, session.begin():
            if not cluster_job(session, "send_digest"):
                return
            enqueue_digests(session, now=self.now_fn(), channel=self.config.slack.channel,
                            routes=self.config.alerts.routes)
        await self.deliver_alerts()

    async def check_feed_health(self) -> None:
        """Log each dead feed (failing many polls in a row) once per check."""
        with self.sessions() as session, session.begin():
            if not cluster_job(session, "check_feed_health"):
                return
            health = feed_health(
                session, self.now_fn(),
                dead_after_failures=self.config.scheduler.dead_after_failures,
            )
        for feed in health:
            if feed.dead or feed.status == "gone":
                log.warning("feed unhealthy feed=%s status=%s failures=%d last_error=%s",
                            feed.name, feed.status, feed.consecutive_failures, feed.last_error)

    async def prune_fetch_log(self) -> retention.Pruned:
        """Delete fetch_log rows and failed entries older than archive.fetch_log_days; how
        many. In a thread: batches of thousands of rows must not stall the crawl's loop."""
        return await asyncio.to_thread(retention.prune, self.sessions, now=self.now_fn(),
                                       days=self.config.archive.fetch_log_days)

    async def reload_config(self, force: bool = False) -> bool:
        """Re-read the config file if it changed; apply it only if it is valid."""
        mtime = _mtime(self.config_path)
        if not self.config_path or (not force and mtime == self._config_mtime):
            return False
        self._config_mtime = mtime
        try:
            new = load_config(self.config_path)
        except ConfigError as exc:
            first, *problems = str(exc).splitlines()  # one problem per line: one line here
            log.error("config reload rejected, keeping the running config path=%s error=%s",
                      self.config_path, " ".join([first, "; ".join(problems)]).strip())
            return False
        self._apply(new)
        log.info("config reloaded path=%s feeds=%d", self.config_path, len(new.feeds))
        return True

    def _apply(self, new: Config) -> None:
        old, self.config = self.config, new
        self.app = self.app.reconfigured(new)
        if new.database != old.database:
            log.warning("database.url changed: takes effect at restart")
        if new.metrics != old.metrics:
            log.warning("metrics.listen changed: takes effect at restart")
        if new.detect != old.detect:
            self.detector = self.app.detector
        if new.slack != old.slack or new.alerts != old.alerts:
            self.sink = self.app.sinks
        self._sync_feeds()
        if self.crawl is not None:
            self.crawl.update_config(new, detector=self.detector)
        timing = (new.scheduler.tick, new.scheduler.lease, new.slack.digest_cron)
        if self.jobs is not None and timing != (old.scheduler.tick, old.scheduler.lease,
                                                old.slack.digest_cron):
            # A running job (this reload) finishes; the new timings apply from now.
            self.jobs.remove_all_jobs()
            self._add_jobs(self.jobs)

    # -- lifecycle --------------------------------------------------------

    async def run_once(self, cycle_started: datetime | None = None) -> int:
        """Poll every enabled feed once (not polled since `cycle_started`, when given), process
        everything, deliver; 0, or 1 if delivery paused, or 1 with one line if the database
        fails under the run (away, read-only)."""
        beats = self._scheduler()  # leases of long polls must not run out in a --once either
        self._add_heartbeat(beats)
        beats.start()
        try:
            with self.sessions() as session:
                pending = set(session.scalars(select(Feed.id).where(Feed.enabled.is_(True))))
            return await self._once(pending, cycle_started)
        except DBAPIError as exc:
            if not is_unavailable(exc):
                raise  # a bug: its traceback
            log.error("archive unavailable, run --once stopped url=%s error=%s",
                      redact(self.config.database.url), clean_error(exc.orig or exc))
            return 1
        finally:
            beats.shutdown(wait=False)

    async def _once(self, pending: set[int], cycle_started: datetime | None) -> int:
        while pending and not self.stopping.is_set():
            claimed = await self.poll_due_feeds(only=sorted(pending), polled_before=cycle_started)
            pending -= set(claimed)
            if pending and self.crawl.in_flight() == 0:
                break  # the rest are gone or leased by another worker
            # Claim again as soon as half the room is free (a 304 poll takes milliseconds),
            # or, when nothing was claimable, once any poll closes; the timeout re-checks
            # feeds leased by another worker, whose lease may run out meanwhile.
            room = self.config.scheduler.batch_size if claimed else self.crawl.in_flight() - 1
            await self.crawl.wait_below(room, 0.2)
        await self.crawl.wait_idle()
        # A thread reply waits for its parent's post: a second round sends it.
        for _ in range(3):
            report = await self.deliver_alerts()
            while report is None:  # a kicked round was running: take the next one
                await asyncio.sleep(0.05)
                report = await self.deliver_alerts()
            if not report.sent:
                break
        # A paused delivery (no or a refused token) left alerts waiting: not a success.
        return 1 if report.paused else 0

    async def run_forever(self) -> int:
        """Run the jobs until SIGTERM/SIGINT, then stop within seconds."""
        from web.metrics_port import MetricsPortError, serve_metrics

        # A change takes effect at restart.
        address = self.config.metrics.address() if self.serve_metrics else None
        try:
            self.metrics_port = address and serve_metrics(address, self.sessions,
                                                          lambda: self.config.health,
                                                          clock=self.now_fn)
        except MetricsPortError as exc:
            log.error("metrics.listen: %s", exc)
            return 1
        self.jobs = jobs = self._scheduler()
        self._add_jobs(jobs)
        jobs.start()
        self._install_signals()
        log.info("beatwire running feeds=%d", len(self.config.feeds))
        await self.stopping.wait()
        jobs.shutdown(wait=False)
        return 1 if self.health.gone else 0

    @staticmethod
    def _scheduler():
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        return AsyncIOScheduler(event_loop=asyncio.get_running_loop(), timezone="UTC")

    def _add_heartbeat(self, jobs) -> None:
        jobs.add_job(self.heartbeat, "interval", seconds=self.heartbeat_seconds, id="heartbeat",
                     **EVERY)

    def _add_jobs(self, jobs) -> None:
        from apscheduler.triggers.cron import CronTrigger

        self._add_heartbeat(jobs)
        jobs.add_job(self.poll_due_feeds, "interval", seconds=self.config.scheduler.tick,
                     id="poll_due_feeds", next_run_time=utcnow(), **EVERY)
        # At once too: alerts a dead worker left pending or sending are ours from the start.
        jobs.add_job(self.deliver_alerts, "interval", seconds=15, id="deliver_alerts",
                     next_run_time=utcnow(), **EVERY)
        jobs.add_job(self.check_feed_health, "interval", minutes=30, id="check_feed_health",
                     **EVERY)
        jobs.add_job(self.reload_config, "interval", seconds=5, id="reload_config", **EVERY)
        # At start too: a daemon restarted more often than daily would otherwise never prune.
        jobs.add_job(self.prune_fetch_log, "interval", days=1, id="prune_fetch_log",
                     next_run_time=utcnow(), **EVERY)
        if self.config.slack.digest_cron:
            jobs.add_job(self.send_digest, CronTrigger.from_crontab(self.config.slack.digest_cron,
                                                                     timezone="UTC"),
                         id="send_digest", **EVERY)
        # Database trouble pauses these jobs (one line a minute); a lost SQLite file stops us.
        self.health.guard_jobs(jobs, every=self.config.scheduler.tick, stop=self.stopping.set)

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        loop.add_signal_handler(
            signal.SIGHUP, lambda: loop.create_task(self.reload_config(force=True))
        )

    async def close(self) -> None:
        """Stop the crawl (in-flight work is released for re-claiming) and the engine."""
        self.stopping.set()
        if self.crawl is not None:
            try:
                await asyncio.wait_for(self.crawl.stop(), STOP_GRACE_SECONDS)
            except asyncio.TimeoutError:
                log.warning("crawl did not stop in %.0fs; leases will expire", STOP_GRACE_SECONDS)
        self._unregister()
        if self.metrics_port is not None:
            self.metrics_port.shutdown()
            self.metrics_port.server_close()
        self.engine.dispose()

    def _unregister(self) -> None:
        if self.worker_id is None:
            return
        try:
            with transaction(self.sessions) as session:
                workers.mark_stopped(session, self.worker_id, now=self.now_fn(),
                                     posting_grace=self.posting_grace)
        except DBAPIError as exc:  # then we are found dead by the next worker that looks
            log.warning("could not mark worker stopped worker=%s error=%s", self.worker_id,
                        type(exc.orig or exc).__name__)


def _mtime(path: str | None) -> float | None:
    try:
        return os.stat(path).st_mtime if path else None
    except OSError:
        return None


def run(config_path: str | None, config: Config, *, once: bool = False,
        metrics: bool = True, cycle_started: datetime | None = None,
        create: bool = False) -> int:
    """Run the daemon (or one cycle) on Scrapy's reactor; return the exit code. Without
    `metrics`, metrics.listen is not served; `cycle_started`: see Daemon.run_once; `create`
    a missing archive (`run --init`)."""
    from crawler.runtime import run as run_on_reactor

    async def main() -> int:
        daemon = Daemon(config_path, config, metrics=metrics, create=create)
        try:
            await daemon.start()
            # What start-up built (modules, engine, crawler, config) lives as long as the
            # process: out of the cyclic collector's sight, no full collection walks it again,
            # nor does the interpreter's at exit (bench/PROFILE.md, "The 304 cycle").
            gc.freeze()
            return await (daemon.run_once(cycle_started) if once else daemon.run_forever())
        finally:
            await daemon.close()

    if config_path:
        config_path = str(Path(config_path))
    return run_on_reactor(main)


# -- run --workers N: N worker processes on this machine ----------------------------------

FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
FIRST_RESTART_DELAY = 1.0
MAX_RESTART_DELAY = 30.0
# A child that ran this long before dying is restarted after the first delay again.
STEADY_SECONDS = 60.0
# A child dying before STEADY_SECONDS this many times in a row is not restarted again.
MAX_YOUNG_DEATHS = 5
# The CLI's status for a refused config or archive (one line above says which): a restart
# fails the same way.
CONFIG_ERROR_STATUS = 2
# A stop gets this long, then what is left is killed (the daemon stops in seconds).
STOP_KILL_SECONDS = 30.0
POOL_TICK = 0.2


def child_command(config_path: str, *, once: bool, log_level: str, log_format: str,
                  metrics: bool, cycle_started: datetime) -> list[str]:
    """The `beatwire run` one child runs: today's single worker, on the same config. The
    children of a --once share its cycle: a feed one of them polled, the others leave."""
    command = [sys.executable, "-m", "cli", "--config", config_path, "--log-level", log_level,
               "--log-format", log_format, "run"]
    if once:
        command += ["--once", "--cycle-started", cycle_started.isoformat()]
    return command + ([] if metrics else ["--no-metrics"])


def _die_with_parent() -> Callable[[], None] | None:
    """What a child runs before exec so that a SIGKILLed parent leaves no orphan workers:
    SIGTERM when the parent dies (Linux's PR_SET_PDEATHSIG); None elsewhere."""
    if sys.platform != "linux":
        return None
    import ctypes

    # Looked up here, in the parent: between fork and exec the child only calls it.
    prctl, parent = ctypes.CDLL(None, use_errno=True).prctl, os.getpid()

    def preexec() -> None:
        prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before the prctl took
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


class Child:
    """One worker process of the pool, restarted in place when it dies."""

    def __init__(self, number: int, command: list[str]):
        self.number, self.command = number, command
        self.proc: subprocess.Popen | None = None
        self.started = 0.0
        self.delay = FIRST_RESTART_DELAY
        self.young_deaths = 0  # in a row, each before STEADY_SECONDS
        self.restart_at: float | None = None
        self.killed = False  # by the pool, after a stop that took too long

    def start(self) -> None:
        # A group of its own: a terminal's Ctrl-C reaches the parent alone, which forwards it.
        self.proc = subprocess.Popen(self.command, process_group=0,
                                     preexec_fn=_die_with_parent())
        self.started, self.restart_at = time.monotonic(), None
        log.info("worker process started n=%d pid=%d", self.number, self.proc.pid)

    def send(self, signum: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signum)

    def exited(self) -> int | None:
        """Its exit status once it has exited (128+N for signal N), else None."""
        if self.proc is None or (code := self.proc.poll()) is None:
            return None
        return 128 - code if code < 0 else code

    def count_death(self) -> None:
        """One more young death in a row; a death after STEADY_SECONDS starts the count and
        the back-off over."""
        if time.monotonic() - self.started >= STEADY_SECONDS:
            self.young_deaths, self.delay = 0, FIRST_RESTART_DELAY
        else:
            self.young_deaths += 1

    def hopeless(self, status: int) -> str | None:
        """Why restarting it after this death (counted) cannot help, or None."""
        if status == CONFIG_ERROR_STATUS:
            return f"exited with status {status} (config or archive refused)"
        if self.young_deaths >= MAX_YOUNG_DEATHS:
            return (f"died within {STEADY_SECONDS:g}s of starting {self.young_deaths} times "
                    "in a row")
        return None

    def restart_later(self, status: int) -> None:
        """Start again after a back-off that doubles while it keeps dying young."""
        log.warning("worker process died, restarting n=%d pid=%d status=%d in=%.0fs",
                    self.number, self.proc.pid, status, self.delay)
        self.proc, self.restart_at = None, time.monotonic() + self.delay
        self.delay = min(2 * self.delay, MAX_RESTART_DELAY)


class Pool:
    """Start the children, forward signals to them, restart the ones that die (not in
    --once), and return the worst exit status once all have stopped. A child that restarting
    cannot help (Child.hopeless) stops them all, and its status is returned."""

    def __init__(self, commands: list[list[str]], *, once: bool):
        self.children = [Child(n, command) for n, command in enumerate(commands, 1)]
        self.once = once
        self.stop_at: float | None = None
        self.signals: list[int] = []
        self.statuses: dict[int, int] = {}
        self.gave_up: int | None = None  # the status to return, once a child was given up

    def run(self) -> int:
        # The handler only notes the signal: the loop forwards it, between its own waits.
        previous = {sig: signal.signal(sig, lambda signum, _: self.signals.append(signum))
                    for sig in FORWARDED_SIGNALS}
        try:
            for child in self.children:
                child.start()
            while len(self.statuses) < len(self.children):
                self._forward_signals()
                self._tend()
                time.sleep(POOL_TICK)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return self.gave_up if self.gave_up is not None else max(self.statuses.values())

    def _forward_signals(self) -> None:
        while self.signals:
            signum = self.signals.pop(0)
            if signum != signal.SIGHUP and self.stop_at is None:
                self.stop_at = time.monotonic() + STOP_KILL_SECONDS
                log.info("stopping worker processes signal=%s", signal.Signals(signum).name)
            for child in self.children:
                child.send(signum)

    def _died(self, child: Child, status: int) -> None:
        """Restart `child` later, or, when that cannot help, stop the others as a SIGTERM
        does and exit with its status."""
        child.count_death()
        why = child.hopeless(status)
        if why is None:
            child.restart_later(status)
            return
        log.error("worker process %s, not restarting n=%d pid=%d status=%d: stopping",
                  why, child.number, child.proc.pid, status)
        self.statuses[child.number] = status
        # Non-zero even when its last exit said 0: systemd and cron must see the failure.
        self.gave_up = status or 1
        self.stop_at = time.monotonic() + STOP_KILL_SECONDS
        for other in self.children:
            other.send(signal.SIGTERM)

    def _tend(self) -> None:
        now = time.monotonic()
        for child in self.children:
            if child.number in self.statuses:
                continue
            if child.proc is None:  # waiting to be restarted
                if self.stop_at is not None:
                    self.statuses[child.number] = 0
                elif now >= child.restart_at:
                    child.start()
                continue
            status = child.exited()
            if status is None:
                if self.stop_at is not None and now >= self.stop_at and not child.killed:
                    log.warning("worker process did not stop, killing it n=%d pid=%d",
                                child.number, child.proc.pid)
                    child.send(signal.SIGKILL)
                    child.killed = True
            elif self.once or self.stop_at is not None:
                self.statuses[child.number] = status
            else:
                self._died(child, status)


def run_pool(url: str, commands: list[list[str]], *, once: bool) -> int:
    """Migrate (or with --init create) the archive once, then run one child per command."""
    from db.migrate import upgrade

    upgrade(url)  # here, before the children: they find the schema at head and wait for none
    return Pool(commands, once=once).run()
