"""`beatwire web` as an operator starts it."""

from __future__ import annotations

import os
import socket
import subprocess

import pytest
from support import REPO, beatwire_command, config_text


@pytest.fixture
def db_url(sqlite_url):
    return sqlite_url


def test_a_port_in_use_is_one_error_line_and_exit_1(tmp_path, engine, db_url):
    config = tmp_path / "config.toml"
    config.write_text(config_text(db_url, []), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "BEATWIRE_DATABASE_URL"}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(beatwire_command(config, "web", "--port", str(port)), cwd=REPO,
                                env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and "address already in use" in errors[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args, message", [
    (["--port", "0"], "Invalid value for '--port'"),
    (["--port", "http"], "Invalid value for '--port'"),
], ids=["port-zero", "port-not-a-number"])
def test_a_bad_port_is_a_usage_error(tmp_path, db_url, args, message):
    config = tmp_path / "config.toml"
    config.write_text(config_text(db_url, []), encoding="utf-8")
    result = subprocess.run(beatwire_command(config, "web", *args), cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and message in result.stderr
