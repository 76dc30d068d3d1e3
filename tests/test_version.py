"""`beatwire --version`: the version the package was installed as, the one pyproject names."""

from __future__ import annotations

import subprocess
import tomllib

from support import REPO, beatwire_command


def test_version_prints_the_package_version(tmp_path):
    expected = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["version"]
    # No config file needed: --version answers before any command loads one.
    result = subprocess.run(beatwire_command(tmp_path / "absent.toml", "--version"), cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"beatwire, version {expected}\n"
