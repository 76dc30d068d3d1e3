"""Rules: the vocabulary of stance acts, each a named regex, and the topic test.

What an act is (``stance`` decides with them):

* Each ``Rule`` pairs a cooperation verb with an immigration object ("honor ...
  detainers", "notify ICE", "ask ... about immigration status", "sign a 287(g)
  agreement", "assist federal agents with immigration arrests"), or names an inherently
  negative act ("end its 287(g) agreement", "stop notifying ICE") or a role ("a
  deportation force", "eyes and ears for ICE", "immigration enforcement is a federal
  job"). ``cooperate`` with no immigration object ("cooperating with the investigation")
  is no act.
* ``STRONG`` objects name immigration outright (ICE, detainers, 287(g), "federal
  immigration", deportation); "immigration" followed by a word that makes it a topic
  rather than an actor ("immigration court", "immigration system", "immigration reform")
  is not one. ``_WEAK`` objects ("them", "federal partners", "the operation") count only
  in a paragraph that names immigration (``TOPIC_RE``).
* Gaps between a verb and its object (``_gap``) never cross a sentence end and never
  run through a blocker word ("whether", "because", "victims", "said" ...).
* Generalisation rounds (tests/detect/data/round2, round3) added: passive voice with the
  immigration object as subject ("detainers will no longer be honored", negators read in
  the verb group only); aspectual "keep + V-ing" is never the hold verb ("keep declining
  ICE requests"); a pseudo-cleft ("what we do not do is immigration enforcement");
  indefinite objects whose relative clause names immigration ("anything that turns into
  immigration enforcement"); "that" as a determiner does not block a gap; "federal
  custody"; "wanted by / the subject of" an ICE warrant; ICE or immigration agents as the
  subject of a jail-access verb ("may interview inmates", "is welcome in the jail"); "no
  role / part in immigration"; words between "agreement" and "with ICE".
* Round6 (stance round): a withdrawal from a cooperation program is a ``withdraws`` act
  ("is leaving a ... Homeland Security Investigations task force", "walking / stepping
  away from", "opting / backing out of", "parting ways with" a contract, pilot,
  initiative, arrangement, MOU). Its object must be a program or, after "part ways with
  / walk away from", a federal body: "inmates leave the jail in ICE custody" is none,
  "leave immigration enforcement to ICE" is one. ICE (or immigration agents) as the doer
  of an access verb under a negated auxiliary ("Immigration agents don't get to walk
  into our booking area", "immigration officers will not be let behind the lockup
  doors") is a negated access act, so it refuses; words excluded after "immigration"
  ("office", "court") are whole words, so "immigration officers" is a strong object.
  A class defined by a charge ("inmates convicted of ...") is a restriction only when it
  narrows cooperation (``restricts``): "including / even / all ... charged with" widens
  it, and a charge in passing ("the man was convicted of ...") is no restriction at all.
  Individual review ("reviews each detainer individually", "on its merits") and "and not
  otherwise" are conditions; "serious charges / convictions / records" are descriptive
  (weak) conditions.
* Round8 (real-news messiness): "end / scrap / terminate it" right before "it" is an
  ending act (``ends-it``; the program is named earlier in the topical paragraph);
  "call / describe / label" + a noun phrase + a quotation names the thing and is never
  the notify verb (``stance.find_acts`` blanks it).
* Round9: "illegal entry" (state illegal-entry laws such as Texas's SB4) names the topic
  (``TOPIC_RE``, the default query, the fallback's enforcement words); a burglary's
  "no signs of illegal entry" still has no act.
* ``CONDITIONS`` mark conditional cooperation (judicial warrant, serious crimes only,
  case by case, "only if", "requires a warrant"); ``_BUT_NOT`` a "but ... not" contrast
  (also "but ... stay out of / avoid"); ``RESTRICTION`` also counts an exclusive class
  ("ignore the rest", "anyone else") and a class defined by a charge ("convicted of").

* Rules as data: the concepts the patterns share are spelled once, in ``lexicon``
  (federal agencies ``FEDERAL_AGENCY``; topic words ``TOPIC``; negators ``NOT_WORD`` and
  ``REFUSAL_VERB``; speech verbs ``SPEECH_VERB``; conditions ``JUDICIAL_WARRANT``,
  ``SERIOUS_CRIME``, ``CASE_BY_CASE``, ``INDIVIDUAL_REVIEW``), and ``scope``, ``fallback``
  and ``query.DEFAULT_QUERY`` build their copies from the same records. Each ``Rule``
  carries invented ``examples`` (with the act's polarity after negation) and
  ``counterexamples``; tests/detect/test_rules.py runs them all.

A bad rule is one that misfires: every rule has a name, and the name and the words it
matched are returned as cues, so a wrong call can be traced to the rule and fixed here
(add the sentence it got wrong to its examples or counterexamples).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import (
    CASE_BY_CASE,
    FEDERAL_ACRONYMS,
    FEDERAL_AGENCY,
    INDIVIDUAL_REVIEW,
    JUDICIAL_WARRANT,
    NOT_WORD,
    REFUSAL_VERB,
    SERIOUS_CRIME,
    SPEECH_VERB,
    TOPIC,
    TOPIC_STEMS,
    acronyms_pattern,
)

_F = re.I
_AGENCY = FEDERAL_AGENCY.pattern
STRONG = (
    rf"(?:{_AGENCY}"
    r"|(?:federal |civil |u\.s\. )*immigration\b(?! (?:court|judges?|attorneys?|lawyers?|reform|"
    r"hearings?|cases?|office|offices|building|services|clinic|center|debate|bill|forum|rally|"
    r"advocates?|groups?|policy debate|system|systems|crisis|problem|issues?|overhaul|judges?)\b)"
    r"|deport\w*|287\(g\)|detainers?)"
)
_WEAK = (r"(?:them|it|those|these|such \w+|the agency|federal (?:partners|agents|agencies|"
         r"authorities|"
         r"officials|officers|government|law enforcement|operations?|sweeps?|raids?|surge|"
         r"crackdown|custody)|"
         r"the feds|"
         r"agents|requests?|warrants?|(?:the|this|that|any|such) (?:operation|sweep|raid|"
         r"crackdown)s?)")
_DET = r"(?:(?:the|an?|our|its|their|any|all|every|federal|local)\s+)?"
# "anything that turns into immigration enforcement": an indefinite object whose relative
# clause names immigration is an immigration object.
_INDEF = rf"(?:anything|something|any \w+|work) (?:that|which) (?:[\w']+ ){{0,3}}?(?:{STRONG})"
_OBJ = rf"{_DET}(?:{_INDEF}|{STRONG}|{_WEAK})"
# The topic test: the federal acronyms (capitals, whole words) and the lexicon's topic
# stems (``lexicon.TOPIC``); ``topic_hits`` finds the same offsets with substring scans.
TOPIC_RE = TOPIC.regex
_CAPS_TOPIC_RE = re.compile(acronyms_pattern())
# A substring each acronym holds ("I.C.E" for "I.C.E."): the regex runs only after one.
_CAPS_PROBES = tuple(a.rstrip(".") for a in FEDERAL_ACRONYMS)
# Stems sharing a word ("legal": "here illegally", "illegal entry" ...; "border") are found
# with one scan for it and a check of each stem around a hit: scans of the article cost.
_ANCHORS = tuple((a, tuple((s, s.index(a)) for s in TOPIC_STEMS if a in s))
                 for a in ("legal", "border"))
_TOPIC_STEMS = tuple(s for s in TOPIC_STEMS if not any(a in s for a, _ in _ANCHORS))


def topic_hits(text: str) -> list[int]:
    """Offsets where ``text`` names immigration: ``TOPIC_RE``'s matches, found with fast
    substring scans (an article is scanned once, so this is on the hot path)."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a rare character changed length when lower-cased
        return [m.start() for m in TOPIC_RE.finditer(text)]
    hits = [m.start() for m in _CAPS_TOPIC_RE.finditer(text)] \
        if any(p in text for p in _CAPS_PROBES) else []
    for stem in _TOPIC_STEMS:
        at = lowered.find(stem)
        while at >= 0:
            hits.append(at)
            at = lowered.find(stem, at + 1)
    for anchor, stems in _ANCHORS:
        at = lowered.find(anchor)
        while at >= 0:
            hits.extend(at - k for stem, k in stems if at >= k and lowered.startswith(stem, at - k))
            at = lowered.find(anchor, at + 1)
    return sorted(hits)


_STRONG_RE = re.compile(STRONG + r"|\bpapers\b|citizenship|country of (?:birth|origin)"
                        r"|in the country (?:il)?legally|here (?:il)?legally", _F)
# "that" blocks a gap as a conjunction, not as a determiner ("transfer that person to ICE");
# a speech verb ("said", "told", "added" ...) starts someone's words.
_BLOCK = (r"regardless|irrespective|matter|whether|about|because|despite|fear|afraid|who|which|"
          r"that(?! (?:person|inmate|individual|man|woman|suspect|detainee|information|data|"
          rf"list)s?\b)|if|when|victims?|witness\w*|families|{SPEECH_VERB.pattern}|comment")


def _gap(n: int, block: str = _BLOCK) -> str:
    """Up to ``n`` intervening words, none of them a blocker; a word may hold inner dots
    ("U.S.") but a dot that ends a sentence ("safe. Chasing") stops the gap."""
    return rf"(?:(?!(?:{block})\b)(?:[\w'$,()\"-]|\.(?=\w))+(?:\.(?=\s+(?-i:[a-z])))?\s+){{0,{n}}}?"


# A federal agency ("ICE", "CBP"), or (federal) immigration agents, as the subject of a
# jail-access verb.
_ICE_SUBJECT = (rf"(?:(?:{_AGENCY})(?:'s)?(?:\s+(?:officers|agents|officials|personnel))?|"
                r"(?:federal\s+)?immigration\s+(?:officers|agents|officials|authorities))\s+")


@dataclass(frozen=True)
class Rule:
    """One act rule: base polarity, pattern, and whether negators inside the match count.

    ``probes`` are lower-case substrings of which the text must contain one before the
    (much slower) regex runs; they are the stems of the rule's leading words.
    ``examples`` are sentences the rule must find, each with the act's polarity after
    negation; ``counterexamples`` are sentences it must find no act in
    (tests/detect/test_rules.py reads both).
    """

    name: str
    polarity: int
    pattern: re.Pattern[str]
    inner: bool = False
    probes: tuple[str, ...] = ()
    examples: tuple[tuple[str, int], ...] = ()
    counterexamples: tuple[str, ...] = ()

    def finditer(self, text: str, lowered: str) -> list[re.Match[str]]:
        """Matches in ``text`` (``lowered`` is its lower-case copy, for the probes)."""
        if self.probes and not any(p in lowered for p in self.probes):
            return []
        return list(self.pattern.finditer(text))


_PROBES = {
    "honor": "honor honour compl abid accept act respond",
    "passive": "honor honour accepted complied recogni followed respected processe"
               "d", "answer": "answer",
    "hold": "hold held keep kept detain lodg book jail incarcerat", "house": "hous hold accept tak",
    "notify": "notif alert inform call contact tell let tip warn giv",
    "share": "shar send sent forward provid turn hand transfer releas giv gave fax report deliver "
             "lend lent assign detail transport submit suppl email commit rent leas sell sold",
    "assist": "assist help aid support work partner cooperat collaborat coordinat participat part "
              "join engag involved serv team",
    "behalf": "behalf request behest direction",
    "ask": "ask inquir question check verif screen determin demand look run",
    "enforce": "enforc carr tak took assum perform act do", "arrest": "arrest detain pick",
    "status-based": "based", "287(g)": "287 warrant service task force agreement contract partners"
                                       "hip memorand program",
    "withdraws": "leav away back out part",
    "ends-it": "end termin scrap cancel discontin rescind dismantl abolish",
    "ends": "end termin withdr exit cancel rescind revok quit pull "
            "opt cut "
            "sever suspend discontin"
            "u "
            "abandon stop ceas halt refus reject declin turn limit restrict bar prohibit forbid ba"
            "n "
            "block ignor phas scal wind lapse",
    "access": "allow let permit giv gave grant open ice immigration",
    "deputize": "deputi giv gave grant confer receiv",
    "role": "deportation extension arm of branch eyes holding pen business immigration agent offic"
            "er "
            "official",
    "sanctuary": "sanctuary welcoming trust", "bare": "part participat involved join help go along",
    "asked-for-help": "ice", "status-blind": "regardless irrespective matter",
    "prolong": "prolong extend", "continues": "287 agreement contract partnership",
    "hunt": "look search hunt go target round chas seek",
    "agreement": "agreement contract partnership arrangement memorand", "sweep": "sweep raid round",
    "federal-job": "federal ice's their washington's",
}


def _rule(name: str, polarity: int, pattern: str, inner: bool = False,
          examples: tuple[tuple[str, int], ...] = (),
          counterexamples: tuple[str, ...] = ()) -> Rule:
    return Rule(name, polarity, re.compile(pattern, _F), inner, tuple(_PROBES[name].split()),
                examples, counterexamples)


# Polarities of an example's act: the rule's reading after negation.
COOPERATES, REFUSES = 1, -1


RULES: tuple[Rule, ...] = (
    _rule("honor", 1, r"\b(?:honou?r\w*|compl\w+ with|abid\w+ by|accept\w*|act\w* on|respond\w* to)"
          rf"\s+{_gap(4)}(?:{_DET}(?:{STRONG}|requests?|holds?|warrants?|inquir\w+|them|it|those|"
          rf"ones|such \w+))",
          examples=(("The jail honors ICE detainers.", COOPERATES),
                    ("Deputies will not honor immigration detainers.", REFUSES)),
          counterexamples=("The chief honored three officers for bravery.",)),
    # Passive voice: "detainers will no longer be honored"; negators count only in the verb
    # group (``neg``), so "detainers without a warrant will not be honored" refuses once.
    _rule("passive", 1, rf"(?:{STRONG}|(?:hold|detention) requests?|holds?|warrants?)"
          r"(?:\s+(?:[\w()'-]|\.(?=\w))+){0,8}?\s+(?P<neg>(?:will|would|shall|must|are|is|be|been|"
          r"get|"
          r"gets|won't|wouldn't|aren't|isn't)\s+(?:(?:no longer|not|never|still|always|continue to|"
          r"only|also|now)\s+)*(?:be\s+)?)(?:honou?red|accepted|complied with|recogni[sz]ed|"
          r"followed|"
          r"respected|processed)\b", inner=True,
          examples=(("ICE detainers will be honored at the county jail.", COOPERATES),
                    ("Detainers will no longer be honored.", REFUSES)),
          counterexamples=("The award will be honored at the banquet.",)),
    _rule("answer", 1, rf"\banswer\w*\s+(?:\w+\s+){{0,2}}(?:{STRONG})'?s?\s+(?:inquir\w+|"
                       rf"requests?|calls?)",
          examples=(("The sheriff's office answers ICE inquiries about inmates.", COOPERATES),
                    ("We do not answer ICE requests.", REFUSES)),
          counterexamples=("Officers answer calls from residents.",)),
    _rule("hold", 1, rf"\b(?:hold\w*|held|(?:keep\w*|kept)(?!\s+\w+ing\b)|detain\w*|lodg\w+|"
                     rf"book(?:s|ed|ing)?|jailed|jailing|incarcerat\w+)\s+{_gap(6)}(?:on|for|under|"
          rf"past|beyond|pursuant to|at the request of|at|(?:wanted|sought|flagged) by)"
          rf"\s+{_gap(3)}(?:{STRONG}|"
          rf"(?:their )?release\b)",
          examples=(("The jail will hold inmates for ICE.", COOPERATES),
                    ("We will not keep anyone in jail for ICE.", REFUSES)),
          counterexamples=("Crews are keeping watch for black ice on the roads.",
                           "The jail held a food drive for families.")),
    _rule("prolong", 1, r"\b(?:prolong\w*|extend\w*)\s+(?:\w+\s+){0,2}?(?:stops?|detentions?|"
                        r"custody)\s+"
          rf"(?:to|for|until)\s+(?:(?:wait|allow|let|give)\s+(?:for\s+)?)?{_DET}(?:{STRONG})",
          examples=(("Deputies may extend custody for immigration agents.", COOPERATES),
                    ("Officers will not prolong traffic stops to wait for ICE.", REFUSES)),
          counterexamples=("The county will extend detention center hours for visitors.",)),
    _rule("house", 1, rf"\b(?:hous\w+|hold\w*|accept\w*|tak\w+ in)\s+{_gap(3)}(?:{STRONG}) detaine"
                      rf"es",
          examples=(("The county jail houses ICE detainees.", COOPERATES),
                    ("We will no longer house immigration detainees.", REFUSES)),
          counterexamples=("The shelter houses homeless families.",)),
    _rule("notify", 1, rf"\b(?:notif\w+|alert\w*|inform\w*|call\w*|contact\w*|tell\w*|let|letting|"
          rf"tip\w* off|warn\w*|giv\w+)\s+{_gap(2)}{_DET}(?:{STRONG})",
          examples=(("Jail staff notify ICE before an inmate is released.", COOPERATES),
                    ("Officers will not call immigration agents on crime victims.", REFUSES)),
          counterexamples=("Residents can call the police at any time.",
                           'The mayor called the ICE program "a mistake."')),
    _rule("share", 1, r"\b(?:shar\w+|send\w*|sent|forward\w*|provid\w+|turn\w* (?:\w+ ){0,3}over|"
          r"hand\w* (?:\w+ ){0,3}over|transfer\w*|releas\w+|giv\w+|gave|fax\w*|report\w*|"
          r"deliver\w*|"
          r"lend\w*|lent|assign\w*|detail\w*|transport\w*|submit\w*|suppl\w+|email\w*|commit\w*|"
          r"rent\w*|leas\w+|sell\w*|sold)"
          rf"\s+{_gap(8)}(?:to|with|for|during|at|into|in)\s+{_OBJ}",
          examples=(("The jail shares booking records with ICE.", COOPERATES),
                    ("Deputies will not turn inmates over to immigration agents.", REFUSES)),
          counterexamples=("The county shares its budget with the public.",)),
    _rule("share", 1, rf"\b(?:send\w*|sent|fax\w*|email\w*|giv\w+|gave|"
                      rf"provid\w+)\s+(?:the agency|{STRONG})"
          r"(?!\s+(?:officers|agents) (?:arrested|detained))",
          examples=(("The jail sends ICE a list of inmates.", COOPERATES),
                    ("We do not give ICE any information.", REFUSES)),
          counterexamples=("The county gave immigrants free legal aid.",)),
    _rule("assist", 1, r"\b(?:assist\w*|help\w*|aid|aiding|aided|support\w*|work\w*|partner\w*|"
          r"cooperat\w+|collaborat\w+|coordinat\w+|participat\w+|tak\w+ part|took part|join\w*|"
          r"engag\w+|involved|serv\w+ on|team\w* up)"
          rf"\s+{_gap(5)}(?:(?:with|in|on|alongside|for|to)\s+)?{_OBJ}",
          examples=(("Deputies assist ICE with arrests.", COOPERATES),
                    ("Our officers will not cooperate with immigration enforcement.", REFUSES)),
          counterexamples=("The department is cooperating with the investigation.",)),
    _rule("behalf", 1, rf"\b(?:on behalf of|at the (?:request|behest|"
                       rf"direction) of)\s+{_DET}(?:{STRONG})"
          rf"|\b(?:at|on) (?:the )?(?:{STRONG})(?:'s?)? (?:request|behest|direction|behalf)",
          examples=(("The jail holds people at the request of ICE.", COOPERATES),
                    ("Deputies will not make arrests on behalf of ICE.", REFUSES)),
          counterexamples=("She spoke on behalf of the family.",)),
    _rule("ask", 1, r"\b(?:ask\w*|inquir\w+|question\w*|check\w*|verif\w+|screen\w*|determin\w+|"
          rf"demand\w*|look\w* into|run\w*)\s+{_gap(6, 'regardless|irrespective|matter|said|told')}"
          r"(?:(?:about|for|on|into|of|whether|at)\s+)?(?:[\w']+\s+){0,2}?"
          r"(?:(?:immigration|citizenship|legal|residency) status|citizenship|immigration|papers|"
          r"documents|documentation|country of (?:birth|origin)|status|(?:in the (?:country|"
          r"united states|u\.s\.)|here) "
          r"(?:il)?legally|lawfully present|legal presence|where (?:\w+\s+){0,2}(?:was|"
          r"were) born)\b",
          examples=(("Officers ask drivers about their immigration status.", COOPERATES),
                    ("Police will not ask about immigration status.", REFUSES)),
          counterexamples=("Officers ask drivers for their license and registration.",)),
    _rule("enforce", 1, r"\b(?:enforc\w+|carry\w* out|carried out|tak\w+ on|took on|assum\w+|"
                        r"perform\w*|"
          rf"act\w* as)\s+{_gap(3)}(?:(?:federal|civil|u\.s\.)\s+)*(?:immigration|deportation)\b",
          examples=(("The sheriff's office will enforce immigration laws.", COOPERATES),
                    ("Our deputies do not enforce federal immigration law.", REFUSES)),
          counterexamples=("Officers enforce traffic laws.",)),
    _rule("arrest", 1, rf"\b(?:arrest\w*|make (?:\w+ )?arrests|detain\w*|"
                       rf"pick\w* up)\s+{_gap(4)}(?:based "
          rf"(?:solely )?on|on the basis of|for|on|under|(?:who (?:is|are) )?the subjects? of)"
          rf"\s+{_OBJ}",
          examples=(("Deputies arrest people on ICE warrants.", COOPERATES),
                    ("Police will not arrest anyone based solely on immigration status.", REFUSES)),
          counterexamples=("Officers arrested a man for burglary.",)),
    _rule("enforce", 1, rf"\bdo\w*\s+(?:\w+\s+){{0,2}}(?:{STRONG})'?s?\s+(?:job|work|bidding)",
          examples=(("Local police are doing ICE's work for it.", COOPERATES),
                    ("We will not do ICE's job.", REFUSES)),
          counterexamples=("We do our own job.",)),
    _rule("enforce", 1, r"\b(?:do|does|doing|did)\s+(?:is\s+)?(?:(?:civil|federal|"
                        r"any)\s+)?immigration\b(?! (?:officials|"
          r"agents|authorities|officers|lawyers|attorneys|advocates|status|laws?|court|judges?))",
          examples=(("The county does immigration enforcement for ICE.", COOPERATES),
                    ("What we do not do is immigration enforcement.", REFUSES)),
          counterexamples=("The firm does immigration law.",)),
    _rule("hunt", 1, r"\b(?:look\w* for|search\w* for|hunt\w*(?: for| down)?|go\w* after|"
                     r"target\w*|round\w* up|"
          r"chas\w+|seek\w* out)\s+(?:\w+\s+){0,3}?(?:undocumented|illegal (?:immigrants|aliens)|"
          r"(?:people|anyone|immigrants|those|residents) (?:who are |who're )?(?:undocumented|"
          r"here illegally|"
          r"in the country illegally)|(?:people|immigrants|anyone) for (?:civil )?immigration viol"
          r"ations)",
          examples=(("Deputies target people who are in the country illegally.", COOPERATES),
                    ("Officers will not go after undocumented people.", REFUSES)),
          counterexamples=("Officers are looking for a missing hiker.",)),
    _rule("agreement", 1, r"\b(?:has|have|had|having)\s+(?:(?:no|not|"
                          r"never)\s+)?(?:\w+\s+){0,2}?(?:agreements?|"
          rf"contracts?|partnerships?|arrangements?|memorand\w+) with {_DET}(?:{STRONG}"
          rf")", inner=True,
          examples=(("The county has an agreement with ICE.", COOPERATES),
                    ("The sheriff has no agreement with ICE.", REFUSES)),
          counterexamples=("The city has an agreement with the fire district.",)),
    _rule("sweep", 1, r"\b(?:(?:street|immigration|enforcement|neighborhood|"
                      r"workplace)\s+)*(?:sweeps?|raids?|"
          rf"round-?ups?)\s+(?:for|with|alongside|on behalf of)\s+{_OBJ}",
          examples=(("Officers took part in sweeps alongside immigration agents.", COOPERATES),
                    ("Deputies will not join raids with ICE.", REFUSES)),
          counterexamples=("Police conducted drug raids with the state patrol.",)),
    _rule("federal-job", -1, r"\b(?:immigration(?: enforcement| law)?|"
                             r"enforcing (?:federal )?immigration laws?|"
          r"deportations?)\s+(?:is|are|remains|has always been|should be|"
          r"should remain)\s+(?:\w+\s+){0,3}?"
          r"(?:(?:a|the)\s+)?(?:federal|(?-i:ICE)'s|the federal government's|"
          r"washington's)\s+(?:government's\s+)?"
          r"(?:job|responsibility|function|matter|issue|role|business|duty)|\bhandled (?:at|"
          r"by) the federal "
          r"(?:level|government)|(?:that's|that is|it's|it is) (?:their|(?-i:ICE)'s|"
          r"the federal government's|"
          r"a federal) (?:job|business|responsibility),? not (?:ours|mine)",
          examples=(("Immigration enforcement is a federal job.", REFUSES),
                    ("Deportation is the federal government's responsibility.", REFUSES)),
          counterexamples=("Road repair is a state job.",)),
    _rule("continues", 1, r"\b(?:287\(g\)|(?:agreement|contract|partnership) with (?-i:ICE))\s+(?:"
                          r"[\w-]+\s+){0,3}?"
          r"(?:(?:will|would|is going to|shall)\s+(?:not\s+|never\s+)?)?(?:continue|continues|"
          r"remain|remains|"
          r"stay|stays|go on|stand|stands|be renewed)\b", inner=True,
          examples=(("The 287(g) agreement will continue.", COOPERATES),
                    ("The 287(g) program will not continue.", REFUSES)),
          counterexamples=("The agreement with the union will continue.",)),
    _rule("status-based", 1, r"\bbased (?:\w+ ){0,2}on (?:[\w']+ ){0,3}?(?:immigration|"
                             r"citizenship|legal) status",
          examples=(("Deputies detain people based in part on immigration status.", COOPERATES),
                    ("Deputies do not detain anyone based on immigration status.", REFUSES)),
          counterexamples=("Pay is based on years of service.",)),
    _rule("287(g)", 1, r"\b(?:sign\w*|join\w*|enter\w*|keep\w*|kept|renew\w*|maintain\w*|extend\w*|"
          r"appl\w+|approv\w+|seek\w*|sought|pursu\w+|expand\w*|add\w*|continu\w+|participat\w+|"
          r"adopt\w*|"
          r"reinstat\w+|restart\w*|retain\w*|reach\w*|resum\w+|finaliz\w+|(?:stay|"
          r"remain)\w* (?:in|on))"
          rf"\s+{_gap(8)}(?:287\(g\)|warrant service officer|task force model|"
          rf"jail enforcement model|"
          r"(?:agreement|contract|partnership|memorandum|program|task force)"
          rf"(?:\s+(?!with\b)[\w-]+){{0,2}}?\s+with\s+{_DET}(?:{STRONG}))",
          examples=(("The sheriff signed a 287(g) agreement.", COOPERATES),
                    ("The county will not renew its 287(g) agreement.", REFUSES)),
          counterexamples=("The county signed a contract with a paving company.",)),
    _rule("ends", -1, r"\b(?:end|ends|ended|ending|terminat\w+|withdr\w+|exit\w*|cancel\w*|"
                      r"rescind\w*|"
          r"revok\w+|quit\w*|pull\w* (?:\w+ ){0,3}out (?:of|from)|opt\w* out of|"
          r"cut\w* (?:off )?ties with|"
          r"cut\w* off|sever\w*|suspend\w*|discontinu\w+|abandon\w*|(?<!traffic )(?<!a )(?<!the )s"
          r"top\w*|ceas\w+|halt\w*|refus\w+|"
          r"reject\w*|declin\w+|turn\w* down|limit\w*|restrict\w*|bar|bars|barred|barring|"
          r"prohibit\w*|"
          r"forbid\w*|forbade|ban|bans|banned|banning|block(?:s|ed|ing)|ignor\w+|phas\w+ out|"
          r"scal\w+ back|wind\w* down|let (?:\w+ ){0,3}lapse)"
          rf"\s+{_gap(7, _BLOCK + '|say|discuss|answer|questions?|after')}{_DET}"
          rf"(?:{STRONG}|contracts?|agreements?|partnerships?|programs?|practice|cooperation|requests?|"
          r"them|those|warrants|the agency|task forces?|pilot|initiative|arrangements?|"
          r"memorand\w+|(?-i:MOU)s?)",
          examples=(("The county ended its 287(g) agreement.", REFUSES),
                    ("The sheriff refuses ICE requests.", REFUSES),
                    ("The county has no plans to end its agreement with ICE.", COOPERATES)),
          counterexamples=("The traffic stop ended without an arrest.",)),
    # "said he would end it": an ending verb right before "it" (the program the paragraph
    # names; units come only from paragraphs that name immigration).
    _rule("ends-it", -1, r"\b(?:end|ends|ended|ending|terminat\w+|scrap\w*|cancel\w*|discontinu\w+|"
                         r"rescind\w*|dismantl\w+|abolish\w*)\s+it\b(?!\s+(?:is|was|will|would|has))",
          examples=(("The 287(g) program is costly, and the sheriff will end it.", REFUSES),),
          counterexamples=("ICE wants the program, and ending it is not easy.",)),
    # Withdrawal: leaving a program is refusing it; the object must be a program, so
    # "inmates leave the jail in ICE custody" is no withdrawal.
    _rule("withdraws", -1, r"\b(?:leav(?:e|es|ing)|(?:walk|step|back|mov|turn|pull)\w* (?:away|"
          r"back) from|(?:opt|back|get|getting|got|drop|bow)\w* out of|part\w* ways with)\s+"
          rf"{_gap(7, _BLOCK + '|say|discuss|answer|questions?|after')}{_DET}"
          r"(?:[\w()-]+\s+){0,4}?(?:contracts?|agreements?|partnerships?|programs?|"
          r"task forces?|pilot|initiative|arrangements?|memorand\w+|(?-i:MOU)s?|287\(g\)|"
          r"cooperation|relationship)\b"
          r"|\b(?:part\w* ways with|(?:walk|step|back|mov|turn|pull)\w* (?:away|back) from)\s+"
          rf"{_DET}(?:{_AGENCY}|federal immigration \w+)"
          r"|\bleav(?:e|es|ing)\s+(?:\w+\s+){0,2}?(?:immigration|deportation)\w*(?:\s+\w+)?\s+"
          r"(?:to|with)\s+(?:the\s+)?(?:(?-i:ICE)|feds|federal)",
          examples=(("The police department is leaving the HSI task force.", REFUSES),
                    ("The county is walking away from its contract with ICE.", REFUSES),
                    ("The sheriff has no plans to leave the 287(g) program.", COOPERATES)),
          counterexamples=("Inmates leave the jail in ICE custody.",)),
    _rule("access", 1, r"\b(?:allow\w*|let|lets|letting|permit\w*|giv\w+|gave|grant\w*|open\w*)\s+"
          rf"{_gap(3)}(?:{STRONG})(?:\s+(?:officers|agents|officials|personnel))?\s+"
          r"(?:access|into|in(?:side)?|to (?:enter|interview|review|use|work)"
          r"|(?:to )?(?:house|hold|keep|detain|jail|lock up|rent|use|interview|screen|"
          r"question)\b)",
          examples=(("The sheriff allows ICE agents into the jail.", COOPERATES),
                    ("We do not let ICE officers inside our jail.", REFUSES)),
          counterexamples=("The jail allows visitors inside on Sundays.",)),
    _rule("access", 1, _ICE_SUBJECT +
          r"(?:(?:will|would|can|may|could|do|does|did|won't|wouldn't|can't|cannot|don't|"
          r"doesn't|didn't)\s+)?(?:(?:no longer|not|never|"
          r"continue to)\s+)?(?:(?:be|is|are|remains?)\s+)?"
          r"(?:allowed|permitted|given|granted|welcome|let|get|gets|have|has|keep|"
          r"retain)\b\s+(?:[\w'-]+\s+){0,4}?"
          r"(?:access|into|inside|behind|past|office|desk|space|workspace|room|interview|enter|"
          r"question|screen|jails?|facilit\w+|detention|keys?|key cards?|badges?)\b", inner=True,
          examples=(("ICE officers are welcome in the jail.", COOPERATES),
                    ("ICE agents will not be allowed into the jail.", REFUSES)),
          counterexamples=("ICE agents have arrested two men.",)),
    _rule("access", 1, _ICE_SUBJECT +
          r"(?:will|would|can|may|could)\s+(?:(?:no longer|not|never|still|continue to)\s+)?"
          r"(?:be able to\s+)?(?:interview|question|screen|enter|visit|access|"
          r"use)\s+(?:[\w'-]+\s+){0,2}?"
          r"(?:inmates|detainees|prisoners|people|jails?|facilit\w+|booking|records|"
          r"anyone)\b", inner=True,
          examples=(("ICE agents may interview inmates at the jail.", COOPERATES),
                    ("ICE officers will no longer be able to question detainees.", REFUSES)),
          counterexamples=("ICE agents may interview witnesses.",)),
    _rule("role", 1, r"\b(?:role|part|hand|place|business)\s+in\s+(?:(?:federal|civil)\s+)?"
          r"(?:immigration|deportation)",
          examples=(("Deputies play a part in deportation cases.", COOPERATES),
                    ("The police have no role in immigration enforcement.", REFUSES)),
          counterexamples=("She had a role in the school play.",)),
    _rule("deputize", 1, rf"\bdeputi[sz]\w*\s+{_gap(4)}(?:by|as|with|for|"
                         rf"under)\s+{_DET}(?:{STRONG}|federal)",
          examples=(("Jail officers are deputized by ICE.", COOPERATES),
                    ("Our deputies will not be deputized as immigration agents.", REFUSES)),
          counterexamples=("Volunteers were deputized by the county.",)),
    _rule("deputize", 1, rf"\b(?:giv\w+|gave|grant\w*|confer\w*|receiv\w+)\s+{_gap(4)}(?:federal )?"
          r"immigration (?:enforcement )?(?:authority|powers|duties)",
          examples=(("ICE gave deputies immigration enforcement authority.", COOPERATES),
                    ("The sheriff will not receive federal immigration powers.", REFUSES)),
          counterexamples=("The council gave the mayor budget authority.",)),
    _rule("role", 1, r"\b(?:deportation force|(?:an? )?(?:arm|extension|"
                     r"branch) of (?:the )?(?:(?-i:ICE)|"
          r"(?:federal )?immigration\w*|homeland security|federal government|feds)|"
          r"eyes and ears (?:for|of)"
          rf" {_OBJ}|holding (?:pen|facility|cell|center|tank) for {_OBJ}|(?:immigration|"
          rf"deportation) business|business of "
          r"(?:immigration|deport\w*|enforcing (?:federal )?immigration))",
          examples=(("The jail is an extension of ICE.", COOPERATES),
                    ("The sheriff says deputies will not be a deportation force.", REFUSES)),
          counterexamples=("The clinic is an extension of the hospital.",)),
    _rule("role", 1, r"\b(?:be|are|is|become|becoming|act as|serve as)\s+(?:\w+\s+){0,2}?"
          r"(?:(?-i:ICE)|immigration|deportation) (?:agents?|officers?|officials)", inner=True,
          examples=(("Deputies will act as immigration officers.", COOPERATES),
                    ("Our officers are not immigration agents.", REFUSES)),
          counterexamples=("Officers are trained as paramedics.",)),
    _rule("sanctuary", -1, r"\b(?:adopt\w*|declar\w+|becom\w+|became|remain\w*|be|is|are|am|"
                           r"stay\w*|"
          r"approv\w+|pass\w*|enact\w*|embrac\w+|turn\w* (?:\w+ ){0,3}into|make|making|made)\s+"
          r"(?:(?!second\b|2nd\b|amendment\b|gun\b|wildlife\b|animal\b)[\w']+\s+){0,4}?(?:a |an |"
          r"the )?\"?(?:sanctuary|welcoming|trust)\"? (?:city|county|jurisdiction|"
          r"policy|policies|ordinance|state|campus|status|department|act)",
          examples=(("The council voted to become a sanctuary city.", REFUSES),
                    ("The county will not become a sanctuary county.", COOPERATES)),
          counterexamples=("The county declared itself a Second Amendment sanctuary county.",)),
    _rule("bare", 1, r"\b(?:tak\w+ part|took part|participat\w+|be involved|get involved|join in|"
          r"help out|go along)\b(?=\s*(?:[,.;!?\"]|$|in (?:it|that|this|those|them|any of)))",
          examples=(("The 287(g) program needs deputies, and ours will participate.", COOPERATES),
                    ("ICE asked for help, and deputies will not take part.", REFUSES)),
          counterexamples=("Students will take part in the science fair.",)),
    _rule("asked-for-help", 1, r"(?-i:ICE)\s+(?:\w+\s+){0,2}(?:asks?|asked|requests?|requested|"
                               r"calls?|"
          r"called|needs?)\s+(?:\w+\s+){0,3}(?:for\s+)?(?:help|assistance|support|backup|"
          r"cooperation)"
          r"[,;]?\s*[^.;!?]{0,60}", inner=True,
          examples=(("ICE asked the jail for help, and deputies provided it.", COOPERATES),
                    ("When ICE asks for help, we say no.", REFUSES)),
          counterexamples=("ICE asked the public for tips.",)),
    _rule("status-blind", -1, r"\b(?:regardless of|irrespective of|no matter)\s+(?:\w+\s+){0,2}?"
          r"(?:(?:immigration|legal|citizenship)\s+)?status|(?:n't|\bnot)\s+matter\s+(?:whether|"
          r"if)\s+"
          r"(?:\S+\s+){0,6}?(?:an? )?(?:immigrants?|undocumented|citizens?|citizenship|legal|"
          r"status|papers)",
          examples=(("Officers serve everyone regardless of immigration status.", REFUSES),
                    ("It does not matter whether someone is undocumented.", REFUSES)),
          counterexamples=("Regardless of the weather, the parade will go on.",)),
)
_WEAK_RULES = frozenset({"bare", "status-blind"})

CONDITIONS = re.compile(
    r"\bunless\b|\bonly\s+(?:\w+\s+){0,3}?(?:if|when|for|after|upon)\b|\bonly\s+(?:in|with|those|"
    r"people|"
    r"inmates|individuals|someone|cases|where|upon|on)\b|\bexcept\s+(?:for|when|in|if)\b"
    r"|\bsigned (?:by|off)\b[^.;]{0,20}\bjudge|\bjudge\b[^.;]{0,20}\bsign\w*"
    r"|\b(?:with(?:out)?|unless|requires?|bring|brings) an? (?:court order|warrant signed)"
    r"|\brequir\w+ (?:an? )?(?:judicial |criminal |court-issued )?(?:warrant|court order)"
    r"|\b(?:accompanied|backed|supported|paired) by an? (?:court order|judicial warrant|warrant|"
    r"judge)"
    r"|\bcomes? with an? (?:court order|judicial warrant|warrant signed)"
    rf"|{CASE_BY_CASE.pattern}|\b(?:reviews?|reviewed|weighs?|weighed|considers?|considered)\s+"
    rf"(?:\w+\s+){{0,4}}?{INDIVIDUAL_REVIEW.pattern}"
    r"|\bnot civil\b|\bcriminal (?:\w+ ){0,6}(?:but|"
    r"not) (?:\w+ ){0,3}civil\b", _F)
# Descriptive conditions ("criminal warrants", "violent felonies") make a statement mixed
# only next to a restriction ("only", "not", "without" ...) or a refusing act: "assist
# agents when they serve criminal warrants" is plain cooperation.
WEAK_CONDITIONS = re.compile(
    rf"{JUDICIAL_WARRANT.pattern}|{SERIOUS_CRIME.pattern}"
    r"|\bfelon(?:y|ies)\b|\bcharged with or convicted\b|\bhomicide|\bsexual assault", _F)
# Restrictions: negators, "only", "except"; an exclusive class ("and ignore the rest",
# "anyone else"); a class defined by a charge ("inmates convicted of violent crimes").
RESTRICTION = re.compile(rf"{NOT_WORD.pattern}|"
                         r"\b(?:only|unless|except|without|limit\w*|restrict\w*|"
                         r"bar\w*|the rest|(?:anyone|everyone|everybody) else|all others|"
                         r"(?:those|people|inmates|individuals|anyone|immigrants|prisoners|"
                         r"detainees|offenders|someone|persons|(?:who|that) (?:have|has|had) "
                         r"been|(?:who|that) (?:are|is|was|were)) (?:\w+ )?(?:convicted|"
                         r"charged|accused) (?:of|with)|(?:convicted|charged) (?:of|with) "
                         r"(?:\w+ ){0,3}?(?:rather than|instead of|as opposed to))\b", _F)
_INCLUSIVE_RE = re.compile(r"\b(?:including|even|all|every|any|also)\b(?:\s+\w+){0,2}\s*$", _F)


def restricts(text: str) -> bool:
    """True when ``text`` has a restriction (``RESTRICTION``); a class defined by a charge
    counts only when it narrows the cooperation, not when it widens it ("including
    people charged with ...", "even for those convicted of ...")."""
    for m in RESTRICTION.finditer(text):
        if re.search(r"(?:convicted|charged|accused)", m.group(), _F) and \
                _INCLUSIVE_RE.search(text, max(0, m.start() - 40), m.start()):
            continue
        return True
    return False


_BUT_NOT = re.compile(r"\bbut\s+(?:[\w']+\s+){0,4}?(?:"
                      rf"{NOT_WORD.pattern}|{REFUSAL_VERB.pattern}|\b(?:"
                      r"restrict\w*|limit\w*|stay\w* out|keep\w* out|avoid\w*|refrain\w*)\b)", _F)
