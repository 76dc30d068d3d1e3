"""`make demo`: serve the sample site, run one cycle into a fresh SQLite file with
the console sink, then print a search of the archive. Exits non-zero on failure."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from demo.site_server import serve

OUT = Path(__file__).resolve().parent.parent / "demo" / "out"

CONFIG = """\
# Written by `python -m demo`: the sample site on 127.0.0.1, a fresh SQLite file.
[database]
url = "sqlite:///{db}"

[slack]
channel = "#beatwire-demo"
sink = "console"  # the demo prints its alerts instead of posting them

[crawler]
allow_private_addresses = true  # the demo site is on 127.0.0.1
obey_robots_txt = true
max_article_age_days = 20000  # the sample articles date from 2016

[scheduler]
backfill = 0  # a fresh archive, yet its 2016 articles are the alerts the demo shows

[[feeds]]
name = "Metro Police News"
url = "{base}/feeds/police-news.xml"

[[feeds]]
name = "Valley Courier"
url = "{base}/feeds/valley-courier.atom"

[[feeds]]
name = "Harlow County Sheriff releases"
url = "{base}/news/index.html"
kind = "html"
item_selector = "li.release a"
agency = "Harlow County Sheriff's Office"
"""


def beatwire(config: Path, *args: str) -> int:
    """Run the beatwire command as an operator would."""
    cmd = [sys.executable, "-m", "cli", "--config", str(config), "--log-level", "WARNING", *args]
    return subprocess.call(cmd, env={**os.environ, "BEATWIRE_DEMO_NO_TOKEN": ""})


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / "demo.db"
    for leftover in OUT.glob("demo.db*"):
        leftover.unlink()
    server = serve()
    config = OUT / "config.toml"
    config.write_text(CONFIG.format(db=db, base=server.base_url), encoding="utf-8")
    print(f"demo site at {server.base_url}; archive {db}\n\n== alerts (console sink) ==")
    started = time.monotonic()
    status = beatwire(config, "run", "--init", "--once")  # --init: the archive is new
    print(f"\n== one cycle took {time.monotonic() - started:.1f}s, exit {status} ==")
    if status == 0:
        print("\n== beatwire search immigration ==")
        status = beatwire(config, "search", "immigration")
    server.shutdown()
    return status


if __name__ == "__main__":
    sys.exit(main())
