"""Print a pip constraints file pinning every pyproject.toml dependency at its floor.

The floors CI job (.ci/floors) installs the project under these pins, so a floor that the
code has outgrown fails there instead of on a user's machine that resolved an old version.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def floor(requirement: Requirement) -> str:
    """The lowest version a requirement allows: its `==` pin, else its `>=` bound."""
    specs = {spec.operator: spec.version for spec in requirement.specifier}
    version = specs.get("==") or specs.get(">=")
    if version is None:
        raise ValueError(f"{requirement.name}: no floor (`>=X` or `==X`) in {requirement}")
    return version


def requirements(pyproject: dict, extras: list[str]) -> list[str]:
    """The runtime and chosen optional requirements, in pyproject's order."""
    optional = pyproject["project"].get("optional-dependencies", {})
    unknown = [extra for extra in extras if extra not in optional]
    if unknown:
        raise ValueError(f"no such optional-dependencies group: {', '.join(unknown)}")
    lines = list(pyproject["project"]["dependencies"])
    for extra in extras:
        lines += optional[extra]
    return lines


def constraints(lines: list[str]) -> list[str]:
    """One `name==floor` line per requirement (a constraint names no extras)."""
    return [f"{req.name}=={floor(req)}" for req in map(Requirement, lines)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("extras", nargs="*", help="optional-dependencies groups to include")
    # Build requirements go to pip's --build-constraint: the build runs in its own environment,
    # and the runtime may need a newer setuptools than the build does (torch does).
    parser.add_argument("--build", action="store_true", help="the build-system floors instead")
    args = parser.parse_args()
    pyproject = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    try:
        if args.build:
            lines = constraints(pyproject["build-system"]["requires"])
        else:
            lines = constraints(requirements(pyproject, args.extras))
    except ValueError as error:
        print(f"{PYPROJECT.name}: {error}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
