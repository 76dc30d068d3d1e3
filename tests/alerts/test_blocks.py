"""Block Kit formatting: hostile text arrives inert, limits hold, the source link survives."""

from __future__ import annotations

import re

import pytest
from alert_builders import alert_row, statement_row
from servers.fake_slack import check_message

from alerts import blocks
from db.models import Agency, Article

SOURCE = "https://www.latimes.com/local/lanow/la-me-ln-police-immigration-20161114-story.html"
LIVE = re.compile(r"<[!@#]|<(?!https?://)")  # mention, broadcast, channel, or any other <...>
LINK = re.compile(r"<([^|>]*)\|([^>]*)>")
FIFTY_KB = ("Denver police said <!channel> they will not *ever* help. " * 900)[:50_000]

HOSTILE = {
    "channel": "<!channel> ICE raids now",
    "here": "<!here|here> look",
    "everyone": "<!everyone>",
    "user": "ping <@U123> and <@W999|boss>",
    "channel-ref": "see <#C123> and <#C9|general>",
    "forged-link": "<https://evil.example|click here>",
    "subteam": "<!subteam^S123|@police>",
    "bold-italic-strike": "*bold* _x_ ~gone~",
    "code": "`rm -rf` and ```block```",
    "blockquote": "\n> quoted\n>>> all quoted",
    "entities": "&lt;!channel&gt; &amp; &#60;",
    "controls-bidi": "safe\u202e txet desrever\x1b[31m red \x00",
    "fifty-kb": FIFTY_KB,
}
FIELDS = ["quote", "speaker", "speaker_title", "agency", "title", "cues"]


def all_texts(value) -> list[str]:
    """Every text string inside blocks."""
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in ([v] if k == "text" and isinstance(v, str)
                                                      else all_texts(v))]
    if isinstance(value, list):
        return [t for v in value for t in all_texts(v)]
    return []


def hostile_statement(field: str, text: str):
    if field == "agency":
        return statement_row(url=SOURCE, agency=Agency(name=text, place=text, state="CA"))
    if field == "title":
        return statement_row(url=SOURCE, title=text)
    if field == "cues":
        return statement_row(url=SOURCE, cues=[text, {"text": text}])
    return statement_row(url=SOURCE, **{field: text})


def assert_limits(rendered: blocks.Rendered) -> None:
    assert len(rendered.blocks) <= 50
    assert len(rendered.text) <= 3000
    for block in rendered.blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
    assert check_message({"text": rendered.text, "blocks": rendered.blocks}) is None


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_text_is_inert_within_limits_and_keeps_the_source_link(field, text):
    rendered = blocks.render(alert_row(hostile_statement(field, text)))
    texts = all_texts(rendered.blocks) + [rendered.text]
    for value in texts:
        assert not LIVE.search(value), value[:200]
        assert all(url == blocks.safe_url(SOURCE) for url, _ in LINK.findall(value)), value[:200]
        assert not re.search(r"[\x00-\x08\x1b\u202e]", value)
    assert any(f"<{blocks.safe_url(SOURCE)}|latimes.com>" in t for t in all_texts(rendered.blocks))
    assert f"<{blocks.safe_url(SOURCE)}|latimes.com>" in rendered.text
    assert_limits(rendered)


# Invisible or terminal-driving text: one set of rules (crawler/text.py) for Slack and terminals.
UNSEEN = {
    "csi-colour": ("we \x1b[31mrefuse\x1b[0m", "we refuse"),
    "osc-title": ("we\x1b]0;pwned\x07 refuse", "we refuse"),
    "c1-csi": ("we \x9b2Jrefuse", "we refuse"),
    "c0-and-del": ("we\x00 re\x7ffuse\x08", "we refuse"),
    "zero-width": ("we re\u200bfu\u200dse\ufeff", "we refuse"),
    "bidi-marks": ("\u200ewe\u200f \u202erefuse\u2066\u2069", "we refuse"),
    "cr-and-tabs": ("we\r\n\trefuse", "we refuse"),
}


@pytest.mark.parametrize("text, shown", list(UNSEEN.values()), ids=list(UNSEEN))
def test_slack_and_terminals_drop_the_same_unseen_characters(text, shown):
    from crawler.text import terminal_safe

    assert blocks.clean(text) == shown
    assert " ".join(terminal_safe(text).split()) == shown


@pytest.mark.parametrize("text", ["*bold*", "_x_", "~gone~", "`code`"], ids=["bold", "italic",
                                                                            "strike", "code"])
def test_formatting_marks_become_lookalikes(text):
    escaped = blocks.escape(text)
    assert not set("*_~`") & set(escaped) and len(escaped) == len(text)


@pytest.mark.parametrize("text, limit, expected", [
    ("short", 10, "short"),
    ("a" * 20, 10, "a" * 9 + "…"),
    ("abcdef&amp;xyz", 9, "abcdef…"),  # the entity would be split: cut before it
    ("ab&lt;cdefgh", 8, "ab&lt;c…"),
], ids=["fits", "plain-cut", "entity-not-split", "entity-kept-whole"])
def test_truncate(text, limit, expected):
    assert blocks.truncate(text, limit) == expected


@pytest.mark.parametrize("url, expected", [
    ("https://news.example/a?b=1&c=2", "<https://news.example/a?b=1&amp;c=2|label>"),
    ("https://evil.example/x|click here>", "<https://evil.example/x%7Cclick%20here%3E|label>"),
    ("http://x.example/<!channel>", "<http://x.example/%3C!channel%3E|label>"),
    ("javascript:alert(1)", "label"),
    ("file:///etc/passwd", "label"),
    ("https://", "label"),
    ("ftp://x.example/", "label"),
    ("https://ünï.example/päth", "<https://%C3%BCn%C3%AF.example/p%C3%A4th|label>"),
], ids=["ampersand", "pipe-and-gt", "mention-in-url", "javascript", "file", "no-host", "ftp",
        "unicode"])
def test_link_only_http_and_never_breakable(url, expected):
    assert blocks.link(url, "label") == expected


def test_link_label_cannot_end_the_link():
    assert blocks.link("https://a.example/", "x|y>z") == "<https://a.example/|x¦y&gt;z>"


@pytest.mark.parametrize("previous, now, expected", [
    ("refuses", "cooperates", "Stance change: previously refused, now cooperates"),
    ("cooperates", "refuses", "Stance change: previously cooperated, now refuses"),
    ("mixed", "refuses", "Stance change: previously was mixed, now refuses"),
    ("refuses", "refuses", None),
    (None, "refuses", None),
], ids=["refused-to-cooperates", "cooperated-to-refuses", "mixed", "same", "first"])
def test_stance_change_line(previous, now, expected):
    statement = statement_row(previous_stance=previous, stance=now)
    assert blocks.stance_change(statement) == expected
    texts = " ".join(all_texts(blocks.statement_blocks(statement)))
    assert (expected in texts) if expected else "Stance change" not in texts


def test_statement_alert_content():
    rendered = blocks.render(alert_row(statement_row(url=SOURCE)))
    texts = all_texts(rendered.blocks)
    assert texts[0] == "Los Angeles Police Department — refuses"
    joined = "\n".join(texts)
    for part in ["deportation efforts", "*Charlie Beck*, Chief of Police",
                 "Los Angeles Police Department (Los Angeles, CA)", "*Stance:* refuses",
                 "*Why:* refuses: \"not going to work in conjunction\"", "2016-11-14",
                 f"<{blocks.safe_url(SOURCE)}|latimes.com>"]:
        assert part in joined
    assert rendered.text.startswith("Los Angeles Police Department refuses: “We are not going")


def test_agency_falls_back_to_as_written_and_unknown_parts():
    statement = statement_row(agency=None, speaker=None, speaker_title=None, cues=[],
                              article=Article(url="notaurl", url_hash="h", title="",
                                              published=None))
    texts = "\n".join(all_texts(blocks.statement_blocks(statement)))
    assert "LAPD — refuses" in texts and blocks.UNNAMED[statement.kind] in texts
    assert "date unknown" in texts and "Why" not in texts


def test_also_reported_reply_names_the_outlet_with_a_link():
    statement = statement_row(url="https://www.denverpost.com/2016/11/15/police/", title="<!here>")
    rendered = blocks.render(alert_row(statement, kind="also_reported"))
    text = all_texts(rendered.blocks)[0]
    assert text.startswith("Also reported by <https://www.denverpost.com/2016/11/15/police/|denverpost.com>")
    assert "&lt;!here&gt;" in text
    assert rendered.text == "Also reported by <https://www.denverpost.com/2016/11/15/police/|denverpost.com>"


def digest_payload(n: int) -> dict:
    items = [{"agency": f"<!channel> Agency {i}", "stance": "refuses",
              "previous_stance": "cooperates", "speaker": "*Chief*", "quote": "q" * 1000, "url": f"https://news.example/{i}"}
             for i in range(min(n, 100))]
    return {"date": "2025-03-01", "total": n, "counts": {"refuses": n}, "items": items}


@pytest.mark.parametrize("n, shown, more", [(1, 1, None), (47, 47, None), (48, 47, 1),
                                            (500, 47, 453)],
                         ids=["one", "fits", "one-over", "many"])
def test_digest_stays_within_fifty_blocks(n, shown, more):
    rendered = blocks.render(alert_row(None, kind="digest", payload=digest_payload(n)))
    items = [b for b in rendered.blocks[2:] if b["type"] == "section"]
    assert len(items) == shown
    assert rendered.blocks[0]["text"]["text"] == "Beatwire digest — 2025-03-01"
    assert f"*{n} new statements* ({n} refuses)" in rendered.blocks[1]["text"]["text"]
    assert "(previously cooperated)" in items[0]["text"]["text"]
    assert "<https://news.example/0|news.example>" in items[0]["text"]["text"]
    if more:
        assert rendered.blocks[-1]["elements"][0]["text"] == f"…and {more} more in the archive"
    assert_limits(rendered)
    assert not any(LIVE.search(t) for t in all_texts(rendered.blocks))


@pytest.mark.parametrize("kind, expected", [
    ("agency_voice", "the agency itself (its own release)"),
    ("reported", "the agency (no named speaker)"),
    ("quote", "an unnamed spokesperson"),
], ids=["press-release", "reported-speech", "unattributed-quote"])
def test_unnamed_speaker_says_how_the_statement_was_made(kind, expected):
    statement = statement_row(speaker=None, speaker_title=None, kind=kind)
    assert f"*Speaker:* *{expected}*" in blocks.details(statement)


# --- review buttons --------------------------------------------------------------------------

INSTALLATION = "0123456789abcdef0123456789abcdef"


def review_block(statement) -> dict:
    rendered = blocks.render(alert_row(statement), INSTALLATION)
    assert_limits(rendered)
    found = [b for b in rendered.blocks if b["type"] == "actions"]
    assert len(found) == 1 and rendered.blocks[-1] is found[0]
    return found[0]


@pytest.mark.parametrize("stance, choices", [
    ("refuses", ["cooperates", "mixed"]),
    ("cooperates", ["refuses", "mixed"]),
    ("mixed", ["refuses", "cooperates"]),
    (None, ["refuses", "cooperates", "mixed"]),
], ids=["refuses", "cooperates", "mixed", "unclear-offers-all-three"])
def test_a_statement_alert_carries_the_four_review_actions(stance, choices):
    statement = statement_row(stance=stance, id=41)
    elements = review_block(statement)["elements"]
    assert [e["action_id"] for e in elements] == list(blocks.REVIEW_ACTIONS)
    assert [e.get("text", e.get("placeholder"))["text"] for e in elements] == [
        "Correct", "Not relevant", "Wrong stance", "Wrong speaker or agency"]
    for button in (elements[0], elements[1], elements[3]):
        assert blocks.ReviewValue.parse(button["value"]) == blocks.ReviewValue(41, INSTALLATION)
    options = [blocks.ReviewValue.parse(o["value"]) for o in elements[2]["options"]]
    assert options == [blocks.ReviewValue(41, INSTALLATION, s) for s in choices]


@pytest.mark.parametrize("kind, installation", [
    ("statement", None),
    ("also_reported", INSTALLATION),
], ids=["installation-unknown", "thread-reply"])
def test_no_review_buttons_without_an_installation_or_on_replies(kind, installation):
    rendered = blocks.render(alert_row(statement_row(id=7), kind=kind), installation)
    assert not [b for b in rendered.blocks if b["type"] == "actions"]


@pytest.mark.parametrize("value", [
    "12", "12@", "@abc", "x@abc", "12@abc/unclear", "12@ab-c", "12@abc/refuses/x", None, 12,
    "1" * 11 + "@abc",
], ids=["no-installation", "empty-installation", "no-statement", "statement-not-a-number",
        "not-a-stance", "installation-not-alnum", "trailing", "none", "not-a-string",
        "statement-too-long"])
def test_a_review_value_not_ours_does_not_parse(value):
    assert blocks.ReviewValue.parse(value) is None


def test_a_reviewed_alert_names_the_reviewer_inert_in_place_of_the_buttons():
    from datetime import datetime, timezone

    from db.models import Review

    review = Review(reviewer_id="U1", reviewer_name="<!channel> *Ana*", verdict="wrong_stance",
                    stance="mixed", created_at=datetime(2026, 12, 1, 13, 5, tzinfo=timezone.utc))
    rendered = blocks.reviewed(statement_row(id=3), review)
    assert not [b for b in rendered.blocks if b["type"] == "actions"]
    last = rendered.blocks[-1]["elements"][0]["text"]
    assert last == (":white_check_mark: Reviewed by *&lt;!channel&gt; ∗Ana∗*: "
                    "wrong stance (should be mixed) · 2026-12-01 13:05 UTC")
    assert_limits(rendered)
