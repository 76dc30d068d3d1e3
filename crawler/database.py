"""Database work off the event loop: each call gets its own session in a thread."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.orm import Session, sessionmaker


class Database:
    """Runs `fn(session, ...)` in a worker thread and commits it as one transaction."""

    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions
        bind = sessions.kw.get("bind")
        # SQLite serialises writers anyway; one thread avoids waiting on its file lock.
        sqlite = bind is not None and bind.dialect.name == "sqlite"
        self._pool = ThreadPoolExecutor(1 if sqlite else 4, thread_name_prefix="beatwire-db")

    async def run(self, fn, *args, **kwargs):
        """`fn(session, *args, **kwargs)` in one transaction; its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: self._call(fn, args, kwargs))

    def _call(self, fn, args, kwargs):
        with self.sessions() as session:
            result = fn(session, *args, **kwargs)
            session.commit()
            return result

    def close(self) -> None:
        """Let queued work go, finish what is running."""
        self._pool.shutdown(wait=False, cancel_futures=True)
