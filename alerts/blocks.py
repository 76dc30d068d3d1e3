"""Block Kit formatting of alerts: a statement, an "also reported by" thread reply, a digest.

Everything scraped is hostile until made inert here, in this order:
1. `clean`: escape sequences, control, zero-width and bidi characters dropped (crawler/text.py's
   `terminal_safe` rules, one set for Slack and terminals), whitespace collapsed to one space
   (so no scraped text starts a line: no forged blockquotes or lists);
2. `escape`: `&`, `<`, `>` become entities, so `<!channel>`, `<@U123>`, `<#C1>` and
   `<https://x|forged>` show as text; `* _ ~ \\`` become look-alikes so nothing turns bold,
   italic, struck or code;
3. `truncate`: cut to the field's budget (never inside an entity) with an ellipsis.
Links are built only here (`link`): http(s) only, the URL percent-encoded so `|`, `<`, `>`
and spaces cannot end it early. Block Kit limits (header 150, section 3,000, 10 context
elements, 50 blocks) hold for any input; the source link gets its own block so no
amount of text can cut it.

A statement alert ends with review buttons (`review_actions`): each value names the statement
and this archive's installation id, so the web app refuses a click on another archive's
message. Once reviewed, the message is re-rendered with a context line instead (`reviewed`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from crawler.text import terminal_safe

ELLIPSIS = "…"
HEADER_MAX = 150
SECTION_MAX = 3000
CONTEXT_MAX = 2000
CONTEXT_ELEMENTS_MAX = 10
BLOCKS_MAX = 50
FALLBACK_MAX = 3000
URL_MAX = 2000
QUOTE_MAX = 2500
FIELD_MAX = 300
DIGEST_QUOTE_MAX = 300

PAST = {"refuses": "refused", "cooperates": "cooperated", "mixed": "was mixed"}
_SPACES = re.compile(r"\s+")
LOOKALIKES = {"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"}
_LOOKALIKES = str.maketrans(LOOKALIKES)
_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"


@dataclass(frozen=True)
class Rendered:
    """A message's plain fallback text and its blocks."""

    text: str
    blocks: list


# -- making scraped text inert -----------------------------------------------------------


def clean(text: object) -> str:
    """One line of visible text: escape sequences, controls and invisible characters dropped
    by crawler/text.py's rules (the same as for a terminal), whitespace collapsed."""
    return _SPACES.sub(" ", terminal_safe(text or "")).strip()


def escape(text: object) -> str:
    """Scraped text made inert for mrkdwn (entities, look-alikes for formatting marks)."""
    return clean(text).translate(_ENTITIES).translate(_LOOKALIKES)


def escape_plain(text: object) -> str:
    """Scraped text for plain_text fields (no formatting there, entities still escaped)."""
    return clean(text).translate(_ENTITIES)


def truncate(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with an ellipsis, never splitting an entity."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    amp = cut.rfind("&", max(0, len(cut) - 6))
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + ELLIPSIS


def inert(text: object, limit: int) -> str:
    """escape, then truncate."""
    return truncate(escape(text), limit)


def safe_url(url: object) -> str | None:
    """`url` ready to sit inside `<...|...>`, or None unless it is a plain http(s) URL."""
    url = clean(url)
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    encoded = quote(url, safe=_URL_SAFE).replace("&", "&amp;")
    return encoded if len(encoded) <= URL_MAX else None


def link(url: object, label: object, limit: int = FIELD_MAX) -> str:
    """A mrkdwn link to an http(s) URL with an inert label; just the label otherwise."""
    text = inert(label, limit).replace("|", "¦") or "link"
    target = safe_url(url)
    return f"<{target}|{text}>" if target else text


def outlet(url: object) -> str:
    """The source's domain, e.g. latimes.com (raw, escape before use)."""
    host = urlsplit(clean(url)).hostname or ""
    return host.removeprefix("www.") or "source"


# -- blocks ------------------------------------------------------------------------------


def header(text: str) -> dict:
    text = truncate(text, HEADER_MAX) or ELLIPSIS
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": False}}


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_MAX)}}


def context(*parts: str) -> dict:
    elements = [{"type": "mrkdwn", "text": truncate(p, CONTEXT_MAX)} for p in parts if p]
    return {"type": "context", "elements": elements[:CONTEXT_ELEMENTS_MAX]}


# -- statement alerts --------------------------------------------------------------------


def agency_name(statement) -> str:
    agency = statement.agency
    return (agency.name if agency else None) or statement.agency_as_written or "Unknown agency"


def place(statement) -> str:
    agency = statement.agency
    if agency is None:
        return ""
    return ", ".join(part for part in (agency.place, agency.state) if part)


def stance_label(stance: str | None) -> str:
    return stance or "stance unclear"


def stance_change(statement) -> str | None:
    """"Stance change: previously refused, now cooperates", when the agency turned."""
    before, now = statement.previous_stance, statement.stance
    if not before or before == now:
        return None
    return f"Stance change: previously {PAST.get(before, before)}, now {stance_label(now)}"


# Who speaks when no person is named, by how the statement was found.
UNNAMED = {"agency_voice": "the agency itself (its own release)",
           "reported": "the agency (no named speaker)", "quote": "an unnamed spokesperson"}


def speaker_line(statement) -> str:
    who = inert(statement.speaker, FIELD_MAX) or UNNAMED.get(statement.kind, UNNAMED["quote"])
    title = inert(statement.speaker_title, FIELD_MAX)
    return f"*{who}*, {title}" if title else f"*{who}*"


def details(statement) -> str:
    where = inert(place(statement), FIELD_MAX)
    agency = inert(agency_name(statement), FIELD_MAX) + (f" ({where})" if where else "")
    return "\n".join([f"*Speaker:* {speaker_line(statement)}", f"*Agency:* {agency}",
                      f"*Stance:* {stance_label(statement.stance)}"])


def cue_text(cue: object) -> str:
    if isinstance(cue, dict):
        cue = cue.get("text") or cue.get("cue") or cue.get("label") or ""
    return str(cue)


def why(statement) -> str:
    cues = [inert(cue_text(c), 200) for c in (statement.cues or [])[:10]]
    return "*Why:* " + " · ".join(c for c in cues if c) if any(cues) else ""


def published(article) -> str:
    when = article.published if article is not None else None
    return when.strftime("%Y-%m-%d") if when else "date unknown"


def source_parts(article) -> list[str]:
    url = article.url if article is not None else ""
    title = inert(article.title, FIELD_MAX) if article is not None else ""
    return [link(url, outlet(url)), published(article), f"“{title}”" if title else ""]


def statement_blocks(statement) -> list:
    blocks = [header(escape_plain(f"{agency_name(statement)} — {stance_label(statement.stance)}")),
              section(f">“{inert(statement.quote, QUOTE_MAX)}”"),
              section(details(statement))]
    change = stance_change(statement)
    if change:
        blocks.append(section(f":rotating_light: {change}"))
    if why(statement):
        blocks.append(context(why(statement)))
    blocks.append(context(*source_parts(statement.article)))
    return blocks


def statement_text(statement) -> str:
    """The plain fallback: who, which way, the quote (cut to fit), the source link."""
    change = stance_change(statement)
    head = f"{inert(agency_name(statement), FIELD_MAX)} {stance_label(statement.stance)}"
    head += f" ({change})" if change else ""
    source = " · ".join(source_parts(statement.article)[:2])
    tail = f" — {speaker_line(statement)}. Source: {source}"
    room = FALLBACK_MAX - len(head) - len(tail) - 4
    return f"{head}: “{inert(statement.quote, max(room, 20))}”{tail}"


def render_statement(alert, installation: str | None = None) -> Rendered:
    """The alert, with review buttons when the installation is known (the outbox knows it)."""
    statement = alert.statement
    buttons = [review_actions(statement, installation)] if installation else []
    return Rendered(statement_text(statement), statement_blocks(statement) + buttons)


# -- review buttons ----------------------------------------------------------------------

REVIEW_BLOCK = "beatwire_review"
# action_id -> verdict; the wrong-stance one is a select of the other stances.
REVIEW_ACTIONS = {"review_correct": "correct", "review_not_relevant": "not_relevant",
                  "review_wrong_stance": "wrong_stance", "review_wrong_speaker": "wrong_speaker"}
VERDICT_LABELS = {"correct": "correct", "not_relevant": "not relevant",
                  "wrong_stance": "wrong stance", "wrong_speaker": "wrong speaker or agency"}
STANCE_CHOICES = tuple(PAST)  # refuses, cooperates, mixed: the select's order
_REVIEW_VALUE = re.compile(r"^(\d{1,10})@([0-9A-Za-z]{1,64})(?:/([a-z]{1,12}))?$")


@dataclass(frozen=True)
class ReviewValue:
    """What a review button carries: the statement, the archive, and a chosen stance."""

    statement_id: int
    installation_id: str
    stance: str | None = None

    def __str__(self) -> str:
        text = f"{self.statement_id}@{self.installation_id}"
        return text + (f"/{self.stance}" if self.stance else "")

    @classmethod
    def parse(cls, text: object) -> ReviewValue | None:
        """The value `str()` wrote, or None for anything else (a stance must be a stance)."""
        found = _REVIEW_VALUE.match(text) if isinstance(text, str) else None
        if found is None or (found[3] and found[3] not in STANCE_CHOICES):
            return None
        return cls(int(found[1]), found[2], found[3])


def verdict_label(verdict: str, stance: str | None = None) -> str:
    """"not relevant", "wrong stance (should be cooperates)", ..."""
    label = VERDICT_LABELS.get(verdict, verdict)
    return f"{label} (should be {stance})" if stance else label


def _button(label: str, action_id: str, value: ReviewValue, style: str | None = None) -> dict:
    button = {"type": "button", "action_id": action_id, "value": str(value),
              "text": {"type": "plain_text", "text": label, "emoji": False}}
    return {**button, "style": style} if style else button


def review_actions(statement, installation: str) -> dict:
    """Correct, Not relevant, Wrong stance (a choice of the others), Wrong speaker or agency."""
    value = ReviewValue(statement.id, installation)
    options = [{"text": {"type": "plain_text", "text": stance, "emoji": False},
                "value": str(ReviewValue(statement.id, installation, stance))}
               for stance in STANCE_CHOICES if stance != statement.stance]
    return {"type": "actions", "block_id": REVIEW_BLOCK, "elements": [
        _button("Correct", "review_correct", value, "primary"),
        _button("Not relevant", "review_not_relevant", value),
        {"type": "static_select", "action_id": "review_wrong_stance", "options": options,
         "placeholder": {"type": "plain_text", "text": "Wrong stance", "emoji": False}},
        _button("Wrong speaker or agency", "review_wrong_speaker", value),
    ]}


def reviewed(statement, review) -> Rendered:
    """The alert once reviewed: its blocks, and who said what in place of the buttons."""
    when = review.created_at.strftime("%Y-%m-%d %H:%M UTC")
    line = (f":white_check_mark: Reviewed by *{inert(review.reviewer_name, FIELD_MAX)}*: "
            f"{verdict_label(review.verdict, review.stance)} · {when}")
    return Rendered(statement_text(statement), statement_blocks(statement) + [context(line)])


def render_also_reported(alert) -> Rendered:
    """The thread reply when another outlet re-reports an alerted statement."""
    article = alert.statement.article
    url = article.url if article is not None else ""
    text = "Also reported by " + " · ".join(p for p in source_parts(article) if p)
    fallback = truncate(f"Also reported by {link(url, outlet(url))}", FALLBACK_MAX)
    return Rendered(fallback, [section(text)])


# -- digests -----------------------------------------------------------------------------


def digest_item(item: dict) -> str:
    agency = inert(item.get("agency") or "Unknown agency", FIELD_MAX)
    head = f"*{agency}* — {stance_label(item.get('stance'))}"
    if item.get("previous_stance") and item.get("previous_stance") != item.get("stance"):
        head += f" (previously {PAST.get(item['previous_stance'], item['previous_stance'])})"
    who = inert(item.get("speaker") or "", FIELD_MAX)
    quote_line = f">“{inert(item.get('quote'), DIGEST_QUOTE_MAX)}”" + (f" — {who}" if who else "")
    return f"{head}\n{quote_line}\n{link(item.get('url'), outlet(item.get('url')))}"


def digest_summary(payload: dict) -> str:
    counts = payload.get("counts") or {}
    parts = [f"{n} {stance_label(None if s == 'unclear' else s)}"
             for s, n in sorted(counts.items())]
    return f"*{payload.get('total', 0)} new statements* ({', '.join(parts)})"


def render_digest(alert) -> Rendered:
    """The daily digest from the payload `digest.enqueue_digest` prepared."""
    payload = alert.payload or {}
    items = payload.get("items") or []
    room = BLOCKS_MAX - 3
    blocks = [header(f"Beatwire digest — {escape_plain(payload.get('date', ''))}"),
              section(digest_summary(payload))]
    blocks += [section(digest_item(item)) for item in items[:room]]
    hidden = payload.get("total", len(items)) - min(len(items), room)
    if hidden > 0:
        blocks.append(context(f"…and {hidden} more in the archive"))
    text = f"Beatwire digest — {escape(payload.get('date', ''))}: {digest_summary(payload)}"
    return Rendered(truncate(text, FALLBACK_MAX), blocks)


RENDERERS = {
    "statement": render_statement,
    "also_reported": render_also_reported,
    "digest": render_digest,
}


def render(alert, installation: str | None = None) -> Rendered:
    """The message for an outbox row, by its kind (statement alerts of a known
    `installation` carry review buttons)."""
    if alert.kind == "statement":
        return render_statement(alert, installation)
    return RENDERERS[alert.kind](alert)
