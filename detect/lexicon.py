"""The vocabulary: named word classes, each spelled once, with the plain words that explain it.

The learned decision (``evidence``, ``explain``) reads a passage through these classes;
a class is a record (name, description, pattern) so that the evidence a model weighed
can be told to an analyst in words ("names ICE detainers", "quotes an advocate").
Patterns are case-insensitive unless they use ``(?-i:...)`` for acronyms ("ICE", not
"black ice").
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


FEDERAL_AGENCY = WordClass(
    "federal_agency", "names a federal immigration agency (ICE, CBP, DHS)",
    r"(?-i:\bICE\b|\bI\.C\.E\.|\bCBP\b|\bDHS\b|\bHSI\b|\bERO\b)|immigration and customs enforcement"
    r"|customs and border protection|\bborder patrol\b|homeland security",
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
DEPORTATION = WordClass("deportation", "names deportation or removal", r"\bdeport\w*|\bremoval (?:proceedings|orders?)",
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
