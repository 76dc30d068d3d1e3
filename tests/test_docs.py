"""Every command and every config key is documented (README and --help)."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from pydantic import BaseModel

import cli
from config import Config

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from commands(command, prefix + (name,))


def config_keys(model: type[BaseModel], prefix=""):
    for name, field in model.model_fields.items():
        annotation = field.annotation
        inner = getattr(annotation, "__args__", (annotation,))[0]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            yield from config_keys(inner, "[[feeds]]." if name == "feeds" else f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}"


COMMANDS = list(commands(cli.main))


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_command_has_help_with_example(path, command):
    result = CliRunner().invoke(cli.main, [*path, "--help"])
    assert result.exit_code == 0
    if not isinstance(command, click.Group):
        assert "Example:" in result.output
    assert f"`{path[-1]}" in README or f"`{' '.join(path)}" in README


@pytest.mark.parametrize("key", list(config_keys(Config)))
def test_config_key_in_readme(key):
    if key.startswith("[[feeds]]."):
        feed_rows = [line for line in README.splitlines() if line.startswith("| `[[feeds]]`")]
        assert any(f"`{key.split('.', 1)[1]}`" in row for row in feed_rows)
    else:
        assert f"| `{key}` |" in README
