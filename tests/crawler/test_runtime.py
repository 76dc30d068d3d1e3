"""crawler.runtime: the asyncio reactor, and run() returning main's exit code.

Each case runs in its own interpreter: installing and running a reactor is
once per process.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import asyncio, sys
import crawler.runtime as runtime
from twisted.internet import reactor

async def main():
    assert type(reactor).__name__ == "AsyncioSelectorReactor"
    loop = asyncio.get_running_loop()
    assert loop is reactor._asyncioEventloop
    await asyncio.sleep(0.05)
    {body}

sys.exit(runtime.run(main))
"""


@pytest.mark.parametrize("body,code", [
    ("return 7", 7),
    ("return 0", 0),
    ("raise RuntimeError('boom')", 1),
], ids=["exit code", "zero", "exception"])
def test_run_returns_mains_exit_code(body, code):
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(body=body)], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == code, done.stderr


def test_a_non_asyncio_reactor_is_refused():
    script = ("from twisted.internet import selectreactor; selectreactor.install()\n"
              "import crawler.runtime\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0 and "non-asyncio Twisted reactor" in done.stderr
