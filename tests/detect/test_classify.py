"""detect.classify: the `beatwire classify` JSON Lines contract, and detect.evaluate."""
from __future__ import annotations

import io
import json

import pytest

from detect.classify import classify_lines, main
from detect.evaluate import metrics

KEYS = {"id", "relevant", "stance", "speaker", "agency", "score", "cues"}


def run(lines: list[str], detector) -> list[dict]:
    return list(classify_lines(lines, detector))


def test_one_object_per_line_in_order(detector) -> None:
    lines = [json.dumps({"id": "a", "text": "The Lakeside Police Department will not assist ICE with "
                                             "immigration arrests, Chief Mo Hart said."}),
             json.dumps({"id": "b", "text": "The school board met on Tuesday."})]
    out = run(lines, detector)
    assert [o["id"] for o in out] == ["a", "b"]
    assert set(out[0]) == KEYS and out[0]["relevant"] is True and out[0]["stance"] == "refuses"
    assert out[0]["speaker"] == "Mo Hart" and out[0]["agency"] == "Lakeside Police Department"
    assert out[1]["relevant"] is False and out[1]["stance"] is None and out[1]["agency"] is None


MALFORMED = [
    ("not-json", "{not json", None),
    ("not-an-object", "[1, 2]", None),
    ("text-missing", json.dumps({"id": 7}), 7),
    ("text-not-string", json.dumps({"id": "x", "text": 5}), "x"),
    ("empty-line", "   ", None),
]


@pytest.mark.parametrize("line,ident", [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_line_gets_error_and_the_rest_go_on(detector, line: str, ident) -> None:
    good = json.dumps({"id": "ok", "text": "Nothing to see."})
    out = run([line, good], detector)
    assert out[0]["error"] and out[0]["id"] == ident
    assert out[1]["id"] == "ok" and "error" not in out[1]


def test_strongest_statement_is_reported(detector) -> None:
    text = ("Corbin Police Chief Tia Moss said her officers will not hold anyone for ICE, unlike the "
            "Hale County Sheriff's Office, which said it will keep honoring every ICE detainer.")
    out = run([json.dumps({"id": 1, "text": text})], detector)[0]
    assert out["agency"] == "Corbin Police Department" and out["stance"] == "refuses"


def test_source_marks_agency_voice(detector) -> None:
    line = json.dumps({"id": 1, "source": "agency:Elmwood Police Department",
                       "text": "Officers will not participate in ICE enforcement operations."})
    out = run([line], detector)[0]
    assert out["relevant"] and out["agency"] == "Elmwood Police Department"


def test_main_writes_json_lines(detector) -> None:
    stdin = io.StringIO('{"id": 1, "text": "Hello."}\n{bad\n')
    stdout = io.StringIO()
    assert main(stdin, stdout, detector) == 0
    rows = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert len(rows) == 2 and "error" in rows[1]


def test_metrics() -> None:
    gold = [{"id": 1, "relevant": True, "stance": "refuses"},
            {"id": 2, "relevant": False, "stance": None},
            {"id": 3, "relevant": True, "stance": "mixed"}]
    pred = {1: {"relevant": True, "stance": "refuses"}, 2: {"relevant": True, "stance": "cooperates"},
            3: {"relevant": False, "stance": None}}
    m = metrics(gold, pred)
    assert (m["tp"], m["fp"], m["fn"]) == (1, 1, 1)
    assert m["stance_accuracy"] == 0.5
    assert m["confusion"][("mixed", "not relevant")] == 1
