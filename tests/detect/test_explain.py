"""`beatwire explain`: plain-word reasons for each passage, from a file or stdin."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

import cli
from detect import Detector
from detect.explain import explain

STATEMENT = ("Sheriff Ana Ruiz of Linn County said Tuesday that her deputies will not honor ICE "
             "detainers without a judicial warrant.")


def test_statement_explained_in_words(detector) -> None:
    out = explain(detector, STATEMENT)
    assert "probability" in out and f"threshold {detector.threshold:.2f}" in out
    assert "speaker: Ana Ruiz" in out and "Linn County Sheriff's Office" in out
    assert "weighed for:" in out and 'refuses: "' in out


NOT_CONSULTED = [
    ("no-immigration-word", "The Linn County Sheriff's Office held a food drive.", "never names"),
    ("query-does-not-match", "ICE was named once in a story about the weather.", "query"),
]


@pytest.mark.parametrize("text,reason", [n[1:] for n in NOT_CONSULTED], ids=[n[0] for n in NOT_CONSULTED])
def test_text_without_topical_passage_says_why(text: str, reason: str) -> None:
    # An operator's query that also wants a police word.
    out = explain(Detector(query="ICE AND (police OR sheriff*)"), text)
    assert out.startswith("No statement:") and reason in out


def test_unknown_speaker_is_an_unnamed_official(detector) -> None:
    out = explain(detector, "Detainers from ICE will no longer be honored at the Linn County jail.")
    assert "speaker: unnamed official" in out


def test_cli_reads_stdin_and_files(tmp_path) -> None:
    page = tmp_path / "page.txt"
    page.write_text(STATEMENT, encoding="utf-8")
    runner = CliRunner()
    from_stdin = runner.invoke(cli.main, ["explain"], input=STATEMENT)
    from_file = runner.invoke(cli.main, ["explain", str(page)])
    assert from_stdin.exit_code == 0 and from_file.exit_code == 0
    assert from_stdin.output == from_file.output and "Passage 1:" in from_file.output


def test_cli_missing_file_is_a_usage_error(tmp_path) -> None:
    result = CliRunner().invoke(cli.main, ["explain", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2 and "cannot read" in result.output
