"""``beatwire classify``: JSON Lines in, one JSON object per line out, in order.

Input line: ``{"id", "text", "title"?, "source"?}``. Output line: ``{"id", "relevant",
"stance", "speaker", "agency", "score", "cues"}`` for the strongest statement found
(``relevant`` False, ``stance``/``speaker``/``agency`` null when nothing reaches the
threshold; ``score`` and ``cues`` then describe the best candidate, for tuning). A line
that is not a JSON object with a string ``text`` gets ``{"id"?, "error"}`` and the rest
go on. ``source`` is passed as the agency voice when it is an agency's own feed name
prefixed with ``agency:`` (``"source": "agency:Denver Police Department"``).

Example::

    echo '{"id": "1", "text": "The sheriff said deputies will not honor ICE detainers."}' \\
        | python -m detect.classify
"""
from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from typing import IO

from .detector import Detector


def classify_lines(lines: Iterable[str], detector: Detector) -> Iterator[dict]:
    """One result dict per input line, in order; malformed lines yield an ``error``."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            yield {"id": None, "error": f"line {number}: empty line"}
            continue
        yield classify_line(line, number, detector)


def classify_line(line: str, number: int, detector: Detector) -> dict:
    """Classify one JSON line (see the module docstring for the contract)."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"id": None, "error": f"line {number}: invalid JSON: {exc.msg}"}
    if not isinstance(item, dict):
        return {"id": None, "error": f"line {number}: expected a JSON object"}
    ident = item.get("id")
    text, title = item.get("text"), item.get("title") or ""
    if not isinstance(text, str) or not isinstance(title, str):
        return {"id": ident, "error": f"line {number}: 'text' (and 'title') must be strings"}
    return _result(ident, detector, text, title, _voice(item.get("source")))


def _voice(source: object) -> str | None:
    if isinstance(source, str) and source.startswith("agency:"):
        return source.removeprefix("agency:").strip() or None
    return None


def _result(ident: object, detector: Detector, text: str, title: str, voice: str | None) -> dict:
    found = detector.candidates(text, title=title, agency_voice=voice)
    best = found[0] if found else None
    relevant = best is not None and best.score >= detector.threshold
    return {
        "id": ident,
        "relevant": relevant,
        "stance": best.stance if relevant else None,
        "speaker": best.speaker if relevant else None,
        "agency": best.agency.name if relevant and best.agency else None,
        "score": best.score if best else 0.0,
        "cues": list(best.cues) if best else [],
    }


def main(stdin: IO[str], stdout: IO[str], detector: Detector) -> int:
    """Read JSON Lines from ``stdin``, write one JSON line per input line to ``stdout``."""
    for result in classify_lines(stdin, detector):
        stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    stdout.flush()
    return 0


if __name__ == "__main__":
    from . import default_detector

    sys.exit(main(sys.stdin, sys.stdout, default_detector()))
