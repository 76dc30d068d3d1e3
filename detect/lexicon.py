"""The vocabulary: named word classes, each spelled once, with the plain words that explain it.

The learned decision (``evidence``, ``explain``) reads a passage through these classes;
a class is a record (name, description, pattern) so that the evidence a model weighed
can be told to an analyst in words ("names ICE detainers", "quotes an advocate").
Patterns are case-insensitive unless they use ``(?-i:...)`` for acronyms ("ICE", not
"black ice").

The rule layer reads the same vocabulary: ``rules``, ``scope``, ``fallback`` and the
default query build their patterns from the shared spellings here (``FEDERAL_ACRONYMS``,
``FEDERAL_NAMES``, ``TOPIC_TERMS``) and from the classes in ``SHARED`` (negators, speech
verbs, conditions), which are not model features. The model's own classes (``CLASSES``)
keep the patterns it was trained on; ``NEGATOR``, ``CONDITION`` and ``SPEECH`` are its
coarser readings of what ``SHARED`` spells for the rules.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class WordClass:
    """One concept: its name, what it means in plain words, the words that spell it, and
    sentences it must find (examples) and must not (counterexamples)."""

    name: str
    means: str
    pattern: str
    examples: tuple[str, ...] = ()
    counterexamples: tuple[str, ...] = ()

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(rf"(?:{self.pattern})", re.I)

    def count(self, text: str) -> int:
        """How many times ``text`` spells this class."""
        return sum(1 for _ in self.regex.finditer(text))


# --- Shared spellings -------------------------------------------------------------------
# The rule layer (``rules``, ``scope``, ``fallback``, ``query.DEFAULT_QUERY``) builds its
# patterns from these, so each concept is spelled here once.

# Federal immigration agencies. Acronyms match capitals only ("ICE", not "black ice"); the
# full names are case-insensitive, "border patrol" as whole words ("border patrols" on a
# frontier are no agency). Earlier copies disagreed (HSI and ERO were agencies to the act
# rules but not to the topic test or the fallback): every copy now takes this union.
FEDERAL_ACRONYMS = ("ICE", "I.C.E.", "CBP", "DHS", "HSI", "ERO")
FEDERAL_NAMES = ("immigration and customs enforcement", "customs and border protection",
                 "border patrol", "homeland security")
_WHOLE_WORD_NAMES = frozenset({"border patrol"})


def acronyms_pattern(acronyms: tuple[str, ...] = FEDERAL_ACRONYMS) -> str:
    """``acronyms`` as whole capitalised words (a dotted one ends at its last dot)."""
    words = (rf"\b{re.escape(a)}" + ("" if a.endswith(".") else r"\b") for a in acronyms)
    return "(?-i:" + "|".join(words) + ")"


def _names_pattern(names: tuple[str, ...] = FEDERAL_NAMES) -> str:
    return "|".join(rf"\b{n}\b" if n in _WHOLE_WORD_NAMES else n for n in names)


FEDERAL_AGENCY = WordClass(
    "federal_agency", "names a federal immigration agency (ICE, CBP, DHS)",
    f"{acronyms_pattern()}|{_names_pattern()}",
    ("Deputies will not hold anyone for ICE.", "a request from Homeland Security"),
    ("Black ice closed the bridge.", "The rink's ice was resurfaced."))
PROGRAM_287G = WordClass(
    "program_287g", "names a 287(g) agreement",
    r"\b287\s?\(?g\)?|warrant service officer|task force model",
    ("The county signed a 287(g) agreement.", "under the Warrant Service Officer program"),
    ("Route 287 was closed.",))
DETAINER = WordClass(
    "detainer", "names ICE detainers or immigration holds",
    r"\bdetainers?\b|\b(?:ICE|immigration) (?:holds?|requests?)\b",
    ("The jail honors detainers.", "no one is kept on an immigration hold"),
    ("He was held on a probation violation.",))
DEPORTATION = WordClass(
    "deportation", "names deportation or removal",
    r"\bdeport\w*|\bremoval (?:proceedings|orders?)",
    ("We do not take part in deportations.",), ("Snow removal starts at 6.",))
STATUS = WordClass(
    "status", "names immigration status or papers",
    r"immigration status|citizenship|\bpapers\b|(?:here|country) (?:il)?legally"
    r"|undocumented|illegal (?:immigra\w*|aliens?|entry)",
    ("Officers will not ask about immigration status.", "people in the country illegally"),
    ("Her marital status was not recorded.",))
SANCTUARY = WordClass(
    "sanctuary", "names sanctuary or welcoming policy",
    r"\bsanctuary\b|welcoming (?:city|county|ordinance)|trust act",
    ("The council declared a sanctuary city.", "under the Trust Act"),
    ("a wildlife refuge on the river",))
IMMIGRATION = WordClass(
    "immigration", "names immigration enforcement",
    r"immigra\w*\s+(?:enforcement|laws?|agents?|officers?|authorities|officials|custody"
    r"|violations?)|federal immigration",
    ("We leave immigration enforcement to federal agents.", "handed to federal immigration"),
    ("She spoke at an immigration forum.",))
POLICE = WordClass(
    "police", "names police, a sheriff or a jail",
    r"\bpolice\b|\bsheriff\w*|\bjail\w*|\bdeput\w*|\bofficers?\b|\bchief\b"
    r"|\bcorrections\b|\bdetention\b|\btroopers?\b|law enforcement|\bPD\b",
    ("The sheriff's deputies", "Springfield police said"), ("The school board met.",))
LOCAL_GOVERNMENT = WordClass(
    "local_government", "names a mayor, council or county board",
    r"\bmayor\b|city council|\bcouncil\b|board of (?:supervisors|commissioners)|commissioners"
    r"|supervisors|county (?:board|executive|commission)|city manager|\bordinance\b|resolution",
    ("The Board of Supervisors voted.", "Mayor Ruiz said"), ("The sheriff said.",))
POLICY = WordClass(
    "policy", "reads like a written policy or announced decision",
    r"\bpolicy\b|\bshall\b|\bordinance\b|\bresolution\b|\bvoted\b|\bapproved\b"
    r"|\bdirective\b|\bannounced\b|\bexecutive order\b|general order|\bmemo\b",
    ("Members shall not inquire about status.", "The board voted 4-1."), ("He walked home.",))
SPEECH = WordClass(
    "speech", "attributes words to someone (said, told, wrote)",
    r"\b(?:said|says|told|wrote|stated|announced|added|explained|according to"
    r"|statement|insisted|stressed|noted)\b",
    ("the chief said Tuesday", "according to the sheriff"), ("The jail holds 300 people.",))
QUOTE = WordClass("quote", "holds a direct quotation", r"[\"\u201c\u201d]",
                  ("\u201cWe will not,\u201d she said.", 'He said "no".'), ("No quote here.",))
FIRST_PERSON = WordClass(
    "first_person", "speaks in the first person (we, our)",
    r"\b(?:we|our|us|we're|we'll|we've|I|I'm|my)\b",
    ("We will not do that.", "our deputies"), ("The deputies will not.",))
NEGATOR = WordClass(
    "negator", "has a negation (not, never, no longer)",
    r"\b(?:not|never|no|none|no longer|won't|don't|doesn't|didn't|isn't|aren't"
    r"|wouldn't|cannot|can't|refus\w*|declin\w*|decline|prohibit\w*|bar[sr]?ed)\b",
    ("We will not honor them.", "The office refuses to."), ("We will honor them.",))
CONDITION = WordClass(
    "condition", "sets a condition (only, unless, judicial warrant)",
    r"\bonly\b|\bunless\b|\bexcept\b|judicial warrant|signed by a judge"
    r"|court order|\bserious\b|\bviolent\b|felon\w*|case[- ]by[- ]case"
    r"|criminal (?:warrant|conviction)|\bwithout a\b",
    ("only with a judicial warrant", "unless a judge signs it"), ("in every case we do",))
COOPERATION = WordClass(
    "cooperation", "speaks of cooperating, honoring or assisting",
    r"\bcooperat\w*|\bhonor\w*|\bcomply\w*|\bcomplian\w*|\bassist\w*|\bpartner\w*"
    r"|\bwork(?:s|ing|ed)? with\b|\bnotif\w*|\bhold\w*|\btransfer\w*|\bagreement\b",
    ("The jail honors detainers.", "we work with ICE"), ("The office closed early.",))
EXCLUDED_VOICE = WordClass(
    "excluded_voice", "quotes someone who cannot speak for an agency (advocate, court, candidate)",
    r"\bACLU\b|advoca\w*|\battorney\b|\blawyer\b|\blawsuit\b|\bsued\b|\bjudge\b|\bcourt\b"
    r"|\bcandidate\b|\bcampaign\w*|\blegislat\w*|\bsenator\b|\brepresentative\b|\bbill\b"
    r"|\bunion\b|\bactivists?\b|\bprotest\w*|\bcoalition\b|\bcouncil ?(?:wo)?man\b"
    r"|council member|\bgovernor\b|\bpresident\b|\bTrump\b|\bBiden\b|attorney general",
    ("an attorney with the ACLU", "the candidate for sheriff"), ("The sheriff said.",))
FEDERAL_VOICE = WordClass(
    "federal_voice", "quotes a federal official (ICE, DHS spokesperson)",
    r"(?-i:ICE|DHS) (?:spokes\w+|officials?|director|said|says)|(?-i:ICE|DHS)'s\b"
    r"|federal officials? said",
    ("an ICE spokesman said", "ICE's director"), ("the sheriff told ICE",))
NO_COMMENT = WordClass(
    "no_comment", "says someone did not comment",
    r"(?:did not|didn't|declined to|could not be reached|not immediately)"
    r" (?:\w+ ){0,2}(?:comment|respond|return)",
    ("The sheriff did not respond to a request for comment.", "declined to comment"),
    ("The sheriff commented on Monday.",))
HYPOTHETICAL = WordClass(
    "hypothetical", "is a question or a hypothetical (if, would, whether)",
    r"\?|\bwhether\b|\bwould\b|\bcould\b|\bmight\b|\bif\b|\bshould\b",
    ("Will the jail cooperate?", "whether the county would"), ("The county will.",))
PAST = WordClass(
    "past", "tells past events (had, was, were, in 20xx)",
    r"\bhad\b|\bwas\b|\bwere\b|\bin (?:19|20)\d\d\b|\blast year\b|\byears ago\b",
    ("The program was ended in 2012.",), ("The program ends today.",))

CLASSES: tuple[WordClass, ...] = (
    FEDERAL_AGENCY, PROGRAM_287G, DETAINER, DEPORTATION, STATUS, SANCTUARY, IMMIGRATION, POLICE,
    LOCAL_GOVERNMENT, POLICY, SPEECH, QUOTE, FIRST_PERSON, NEGATOR, CONDITION, COOPERATION,
    EXCLUDED_VOICE, FEDERAL_VOICE, NO_COMMENT, HYPOTHETICAL, PAST,
)
BY_NAME = {c.name: c for c in CLASSES}

# --- Classes the rule layer is built from -----------------------------------------------
# Not model features: adding a class to ``CLASSES`` changes the learned model's inputs, so
# these are listed in ``SHARED`` (tests/detect/test_rules.py checks their examples).

# Words that name immigration as a topic, written as query terms (a trailing * is a
# prefix). The topic test finds them, and the federal names, as lower-case substrings, so
# "papers" is also found in "newspapers": the topic test only lets a paragraph's vague
# objects ("them", "federal partners") count. The default query spells "papers" as
# phrases instead (``query._QUERY_FORMS``): it decides alone whether a page is on topic.
TOPIC_TERMS = ("immigra*", "deport*", "287(g)", "detainer*", "undocumented", "sanctuary",
               "citizenship", "papers", "country illegally", "country legally", "here illegally",
               "warrant service officer", "illegal entry",
               # Status and program words news and policy text use without "immigration".
               "here legally", "legal status", "unlawfully present", "lawfully present",
               "illegal alien*", "criminal alien*", "287-g", "warrant of removal")


def _topic_stems() -> tuple[str, ...]:
    """Lower-case substrings that name the topic; a stem holding another is dropped (the
    "immigra" of "immigration and customs enforcement" already finds it)."""
    stems = [t.rstrip("*").lower() for t in TOPIC_TERMS] + list(FEDERAL_NAMES)
    return tuple(s for s in stems if not any(o != s and o in s for o in stems))


TOPIC_STEMS = _topic_stems()
TOPIC = WordClass(
    "topic", "names immigration as a topic (ICE, deportation, sanctuary, papers)",
    acronyms_pattern() + "|" + "|".join(re.escape(s) + r"\w*" for s in TOPIC_STEMS),
    ("Deputies will not hold anyone for ICE.", "a state illegal entry law", "U.S. Border Patrol"),
    ("Black ice closed the bridge.", "NICE guidelines for the clinic", "The jail is full."))
# Grammatical negators; "no longer" is found through "no", and any "-n't" contraction.
NOT_WORD = WordClass(
    "not_word", "has a grammatical negator (not, never, no, n't)",
    r"\b(?:not|never|no|nor|cannot|neither|none|nobody|nothing|\w+n't)\b",
    ("We will not honor them.", "Deputies didn't ask.", "no longer"), ("We will honor them.",))
# Verbs and words that negate what follows ("refuses to", "ended", "without"): each counts
# once in ``scope``; the fallback's refusal signal and the "but ... not" contrasts use them.
REFUSAL_VERB = WordClass(
    "refusal_verb", "has a refusing verb (refuse, decline, stop, end, bar, prohibit)",
    r"\b(?:refus\w+|declin\w+|reject\w*|stop\w*|end|ends|ended|ending|ceas\w+|halt\w*"
    r"|terminat\w+|withdr\w+|bar|bars|barred|barring|prohibit\w*|forbid\w*|forbade|ban|bans"
    r"|banned|banning|rescind\w*|suspend\w*|discontinu\w+)\b",
    ("The office refuses to.", "The county ended it.", "Deputies are barred from asking."),
    ("The weekend shift.", "We will honor them.", "They attend the barbecue."))
# Speech verbs: a quoted clause boundary, a gap blocker, a reported-speech frame.
SPEECH_VERB = WordClass(
    "speech_verb", "attributes words with a speech verb (said, told, wrote)",
    r"\b(?:said|says|told|wrote|stated|added|adds|announced|confirmed)\b",
    ("the chief said Tuesday", "the sheriff confirmed"), ("according to no one", "a saying"))
# Conditions on cooperation, shared by the act rules' conditions and the fallback's.
JUDICIAL_WARRANT = WordClass(
    "judicial_warrant", "names a judge's or criminal warrant or order",
    r"\b(?:judicial|judge's|judge-signed|criminal|court-issued) (?:warrant|order)s?",
    ("only with a judicial warrant", "a judge-signed order"), ("an ICE administrative warrant",))
SERIOUS_CRIME = WordClass(
    "serious_crime", "limits to serious or violent crimes, charges or records",
    r"\b(?:serious|violent|dangerous)\s+(?:\w+\s+){0,2}?(?:crimes?|felon\w*|offen[cs]es"
    r"|criminals?|offenders?|charges?|convictions?|records?|histor\w+)",
    ("people convicted of serious crimes", "violent criminal histories"),
    ("a serious question", "violent storms"))
CASE_BY_CASE = WordClass(
    "case_by_case", "decides case by case, or in these cases and not otherwise",
    r"\bcase[- ]by[- ]case\b|\bnot otherwise\b",
    ("decided case by case", "for felonies and not otherwise"), ("in every case",))
# How a request is reviewed; the act rules need a review verb before it ("weighs each
# request on its merits"), the fallback does not.
INDIVIDUAL_REVIEW = WordClass(
    "individual_review", "reviews each request individually, on its merits",
    r"\b(?:individually|one by one|on (?:its|their) (?:own )?merits)\b",
    ("each request on its merits", "reviewed individually"), ("the individual was held",))

SHARED: tuple[WordClass, ...] = (TOPIC, NOT_WORD, REFUSAL_VERB, SPEECH_VERB, JUDICIAL_WARRANT,
                                 SERIOUS_CRIME, CASE_BY_CASE,
                                 INDIVIDUAL_REVIEW)
