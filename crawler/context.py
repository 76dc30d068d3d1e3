"""What the spider and pipelines share at run time (built by CrawlService)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from config import Config
from crawler.database import Database
from crawler.polls import PollTracker
from crawler.workers import DetectionWorkers, ProcessWorkers

# Parsing a feed is bounded by the size cap, not by its entries; allow it more time.
PARSE_TIMEOUT_FACTOR = 6


@dataclass
class CrawlContext:
    """The live config, the database, open polls and the worker pools."""

    config: Config
    detector: Any
    db: Database
    polls: PollTracker
    parsers: ProcessWorkers
    detectors: DetectionWorkers
    on_new_alerts: Callable[[], None] | None = None
    stopping: bool = False

    @property
    def extract_timeout(self) -> float:
        """Seconds a page extraction or a detection may take."""
        return float(self.config.crawler.extract_timeout)

    @property
    def parse_timeout(self) -> float:
        """Seconds parsing one feed document may take."""
        return self.extract_timeout * PARSE_TIMEOUT_FACTOR
