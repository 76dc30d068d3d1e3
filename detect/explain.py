"""``beatwire explain``: why each passage of a text was judged a statement or not, in words.

For every topical passage: the probability and the threshold, the verdict, the stance
with its probabilities, how the text reader read it, who speaks for which agency, the
evidence that weighed most for and against, and the rule cues that fired. A text with
no topical passage says so, and why (no immigration word, or the query did not match).
"""
from __future__ import annotations

from .classifier import Judgement
from .detector import Detector, Passage, reasons
from .stance import topic_hits

UNNAMED = "unnamed official"
_RULE_CUES = ("refuses:", "cooperates:", "condition:")


def explain(detector: Detector, text: str, *, title: str = "",
            agency_voice: str | None = None) -> str:
    """The explanation of ``text`` as printable lines."""
    passages = detector.passages(text, title=title, agency_voice=agency_voice)
    if not passages:
        reason = ("it never names immigration enforcement" if not topic_hits(text)
                  else "the relevance query (detect.query) does not match it")
        return f"No statement: {reason}; the model was not consulted.\n"
    verdicts = detector.verdicts(passages)
    blocks = [_passage(n, p, v, detector.threshold)
              for n, (p, v) in enumerate(zip(passages, verdicts, strict=True), 1)]
    return "\n".join(blocks)


def _passage(number: int, passage: Passage, verdict: Judgement, threshold: float) -> str:
    lead = passage.statements[0]
    relevant = verdict.probability >= threshold
    words = " ".join(passage.text.split())
    lines = [f"Passage {number}: {words[:300]}{'…' if len(words) > 300 else ''}",
             f"  probability {verdict.probability:.2f} (threshold {threshold:.2f}): "
             + ("a statement" if relevant else "not a statement"),
             "  stance: " + ", ".join(f"{s} {p:.2f}" for s, p in sorted(
                 verdict.stance_probabilities.items(), key=lambda kv: -kv[1]))
             + ("" if relevant else " (not reported: below the threshold)"),
             "  the text model reads it as: " + ", ".join(
                 f"{'not relevant' if k == 'none' else k} {v:.2f}" for k, v in sorted(
                     verdict.reading.items(), key=lambda kv: -kv[1])),
             f"  speaker: {lead.speaker or UNNAMED}"
             + (f", {lead.speaker_title}" if lead.speaker_title else ""),
             f"  agency: {lead.agency.name if lead.agency else 'no agency could be identified'}"]
    for direction, sign in (("for", 1), ("against", -1)):
        named = reasons(verdict, 4, sign)
        if named:
            lines.append(f"  weighed {direction}: " + "; ".join(named))
    cues = [c for s in passage.statements for c in s.cues if c.startswith(_RULE_CUES)]
    lines.append("  rule cues: " + ("; ".join(dict.fromkeys(cues)) if cues else "none fired"))
    return "\n".join(lines) + "\n"
