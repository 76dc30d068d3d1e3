"""deploy/: the commands the Dockerfile, compose file and systemd unit run exist in the CLI,
the settings they promise are there, and no secret value is written in any of them."""

from __future__ import annotations

import configparser
import json
import re
import shlex
import tomllib

import pytest
import yaml
from click.testing import CliRunner
from support import REPO

import cli

DEPLOY = REPO / "deploy"
DEPLOY_FILES = ["Dockerfile", "compose.yaml", "beatwire.service", "beatwire.env.example",
                "README.md"]
# Names whose values are secrets: they may be named, never given a value in these files.
SECRET_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD)", re.IGNORECASE)


def dockerfile() -> dict[str, list[str]]:
    """Each Dockerfile instruction's arguments (continuation lines joined), by instruction."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text("utf-8"))
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            found.setdefault(word.upper(), []).append(rest.strip())
    return found


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text("utf-8"))


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / "beatwire.service").read_text("utf-8"))
    return parser


def unit_environment() -> dict[str, str]:
    """The unit's Environment= assignments (one per line here), by name."""
    return dict(item.split("=", 1) for item in shlex.split(unit()["Service"]["Environment"]))


def deployed_commands() -> dict[str, list[str]]:
    """Every `beatwire ...` command line the deployment files run, by where it is written."""
    services = compose()["services"]
    return {
        "dockerfile-cmd": json.loads(dockerfile()["CMD"][-1]),
        "compose-migrate": services["migrate"]["command"],
        "compose-worker": services["worker"]["command"],
        "compose-web": services["web"]["command"],
        "systemd-execstart": shlex.split(unit()["Service"]["ExecStart"]),
    }


def help_of(argv: list[str]):
    """Run the real CLI on a deployed command line with --help: parses it, runs nothing."""
    assert argv[0].rsplit("/", 1)[-1] == "beatwire", argv
    return CliRunner().invoke(cli.main, [*argv[1:], "--help"])


@pytest.mark.parametrize(
    "where, subcommand",
    [
        ("dockerfile-cmd", ["run"]),
        ("compose-migrate", ["db", "upgrade"]),
        ("compose-worker", ["run"]),
        ("compose-web", ["web"]),
        ("systemd-execstart", ["run"]),
    ],
    ids=["image-runs-the-daemon", "compose-migrates-with-db-upgrade", "compose-workers-run",
         "compose-serves-web", "systemd-runs-the-daemon"],
)
def test_each_deployed_command_exists_in_the_cli(where, subcommand):
    result = help_of(deployed_commands()[where])
    assert result.exit_code == 0, result.output
    # Click's usage line names the command the line resolved to.
    assert f"main {' '.join(subcommand)} [OPTIONS]" in result.output


@pytest.mark.parametrize(
    "argv",
    [
        ["beatwire", "db", "migrate"],
        ["beatwire", "web", "--listen", "0.0.0.0"],
        ["beatwire", "serve"],
    ],
    ids=["unknown-subcommand", "unknown-option", "unknown-command"],
)
def test_a_command_line_the_cli_lacks_fails_the_check(argv):
    # The check above would catch a renamed command or option in the deployment files.
    assert help_of(argv).exit_code == 2


def secret_values(text: str) -> list[str]:
    """Secret values written in `text`: Slack tokens, URL passwords, NAME=value assignments."""
    found = re.findall(r"xox[abposr]-[A-Za-z0-9-]+", text)
    found += re.findall(r"[a-z+]+://[^\s/:@]+:[^\s/@]+@", text)
    for name, value in re.findall(r"^\s*(?:export\s+|Environment=)?([A-Z_]+)[=:][ \t]*(\S*)",
                                  text, re.MULTILINE):
        if SECRET_NAME.search(name) and value and not value.startswith(("$", "#")):
            found.append(f"{name}={value}")
    return found


@pytest.mark.parametrize(
    "text, expected",
    [
        ("SLACK_BOT_TOKEN=xoxb-1234-abcd", ["xoxb-1234-abcd", "SLACK_BOT_TOKEN=xoxb-1234-abcd"]),
        ("url = postgresql+psycopg://beatwire:hunter2@db/beatwire",
         ["postgresql+psycopg://beatwire:hunter2@"]),
        ("Environment=PGPASSWORD=hunter2", ["PGPASSWORD=hunter2"]),
        ("    POSTGRES_PASSWORD: hunter2", ["POSTGRES_PASSWORD=hunter2"]),
        ("SLACK_SIGNING_SECRET=\nPGPASSWORD=", []),
        ("BEATWIRE_DATABASE_URL: postgresql+psycopg://beatwire@db:5432/beatwire", []),
        ("export SLACK_BOT_TOKEN=$(cat /run/secrets/slack)", []),
    ],
    ids=["slack-token", "url-password", "unit-environment", "compose-environment",
         "empty-assignments-pass", "url-without-password-passes", "token-read-from-elsewhere"],
)
def test_the_secret_check_finds_written_secrets(text, expected):
    assert secret_values(text) == expected


@pytest.mark.parametrize("name", DEPLOY_FILES, ids=DEPLOY_FILES)
def test_no_secret_value_is_written_in_a_deployment_file(name):
    assert secret_values((DEPLOY / name).read_text("utf-8")) == []


def test_secrets_reach_the_containers_only_through_the_env_file():
    services = compose()["services"]
    given = {name: [key for key in service.get("environment", {}) if SECRET_NAME.search(key)]
             for name, service in services.items()}
    assert given == {name: [] for name in services}
    assert {name for name, service in services.items()
            if service.get("env_file") == "beatwire.env"} == {"db", "migrate", "worker", "web"}
    assert [name for name in unit_environment() if SECRET_NAME.search(name)] == []
    assert [line for line in dockerfile().get("ENV", []) + dockerfile().get("ARG", [])
            if SECRET_NAME.search(line)] == []


def torch_pin() -> str:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    return next(dep for dep in pyproject["project"]["dependencies"] if dep.startswith("torch"))


FACTS = [
    ("image-is-python-3.11-slim", lambda: dockerfile()["FROM"], ["python:3.11-slim"]),
    ("image-runs-as-a-non-root-user", lambda: dockerfile()["USER"], ["beatwire"]),
    ("image-reads-the-mounted-config",
     lambda: "BEATWIRE_CONFIG=/etc/beatwire/config.toml" in " ".join(dockerfile()["ENV"]), True),
    ("image-installs-pyprojects-torch-from-the-cpu-index",
     lambda: [line for line in dockerfile()["RUN"] if "torch" in line],
     [f'pip install --index-url "${{TORCH_INDEX}}" "{torch_pin()}"']),
    ("compose-database-is-postgres-16-on-a-volume",
     lambda: (compose()["services"]["db"]["image"], compose()["services"]["db"]["volumes"],
              list(compose()["volumes"])),
     ("postgres:16", ["pgdata:/var/lib/postgresql/data"], ["pgdata"])),
    ("compose-web-is-published-on-loopback-only",
     lambda: compose()["services"]["web"]["ports"], ["127.0.0.1:8080:8080"]),
    ("compose-workers-start-after-the-upgrade-succeeded",
     lambda: {name: compose()["services"][name]["depends_on"] for name in ("worker", "web")},
     {name: {"migrate": {"condition": "service_completed_successfully"}}
      for name in ("worker", "web")}),
    ("compose-upgrade-waits-for-a-healthy-database",
     lambda: compose()["services"]["migrate"]["depends_on"],
     {"db": {"condition": "service_healthy"}}),
    ("compose-mounts-the-config-read-only",
     lambda: compose()["services"]["worker"]["volumes"],
     ["./config.toml:/etc/beatwire/config.toml:ro"]),
    ("systemd-restarts-on-failure-as-its-own-user",
     lambda: (unit()["Service"]["Restart"], unit()["Service"]["User"]), ("on-failure", "beatwire")),
    ("systemd-secrets-from-an-environment-file",
     lambda: unit()["Service"]["EnvironmentFile"], "/etc/beatwire/beatwire.env"),
    ("systemd-hardening",
     lambda: (unit()["Service"]["ProtectSystem"], unit()["Service"]["NoNewPrivileges"]),
     ("strict", "true")),
    ("systemd-sqlite-archive-in-the-state-directory",
     lambda: (unit()["Service"]["StateDirectory"], unit_environment()["BEATWIRE_DATABASE_URL"]),
     ("beatwire", "sqlite:////var/lib/beatwire/beatwire.db")),
]


@pytest.mark.parametrize("actual, expected", [fact[1:] for fact in FACTS],
                         ids=[fact[0] for fact in FACTS])
def test_the_deployment_files_say_what_the_deployment_needs(actual, expected):
    assert actual() == expected


def test_the_main_readme_links_the_deployment_guide():
    assert "(deploy/README.md)" in (REPO / "README.md").read_text("utf-8")


def test_the_image_copies_every_module_and_package_pyproject_installs():
    # The Dockerfile copies a list, not the whole tree: a new module left out would be missing
    # from the installed image.
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    wanted = {f"{name}.py" for name in setuptools["py-modules"]}
    wanted |= {name.split(".")[0] for name in setuptools["packages"]}
    copied = {source for line in dockerfile()["COPY"] for source in line.split()[:-1]}
    assert wanted - copied == set()
