"""What kind of answer a question asks for, and whether a text holds a span of that kind.

Rules, not a tagger: the question's wh-phrase names the type, finely where news questions do
("what percentage" wants a share, "how much did it cost" an amount of money, "how long" a
duration, "what was the score" a score), and a text holds an answer of that type when a pattern
for it matches outside the words the question already uses (an answer is what the question does
not say). spaCy's small English model would tag names better, but it would add a 50 MB
dependency to every install and a tagging pass to indexing; the ranker learns how far to trust
these cues (scripts/train_ranker.py).
"""

import re
from dataclasses import dataclass

PERCENT, MONEY, DURATION, MEASURE, SCORE, AGE, ODDS, COUNT = (
    "percent",
    "money",
    "duration",
    "measure",
    "score",
    "age",
    "odds",
    "count",
)
DATE, PERSON, ORGANISATION, PLACE, OTHER = "date", "person", "organisation", "place", "other"
NUMERIC = {PERCENT, MONEY, DURATION, MEASURE, SCORE, AGE, ODDS, COUNT}

_NUMBER = (
    r"(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|sixty|seventy|eighty|ninety|hundred|a hundred|a thousand|a million|dozens?|several|a few|half a)"
)
YEAR = r"(?:1[89]|20)\d\d"  # a year as news writes one, 1800-2099
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_TIME_UNIT = r"(?:seconds?|minutes?|hours?|days?|nights?|weeks?|months?|years?|decades?|seasons?|terms?|centuries)"
_SPANS = {
    PERCENT: re.compile(
        r"\d[\d.,]*\s?(?:%|per ?cent|percentage points?)"
        r"|\b(?:a|one|two) (?:third|quarter|half|fifth|tenth)s?\b|\bhalf\b",
        re.IGNORECASE,
    ),
    MONEY: re.compile(
        r"[£$€¥]\s?\d|\d[\d.,]*\s?(?:bn|m|k|billion|million|thousand|pence|p|euros?|dollars?|pounds?|cents?|yen|rupees?|francs?|roubles?|yuan)\b",
        re.IGNORECASE,
    ),
    DURATION: re.compile(
        rf"\b{_NUMBER}[\s-]+{_TIME_UNIT}\b|\buntil (?:the end of )?\w+|\b(?:19|20)\d\d/\d\d\b", re.IGNORECASE
    ),
    MEASURE: re.compile(
        r"\d[\d.,]*\s?(?:m|km|cm|mm|metres?|meters?|kilometres?|miles?|feet|ft|foot|inches|yards?|kg|g|grams?|tonnes?|tons?|lb|"
        r"pounds|mph|km/h|kph|degrees?|°|acres?|hectares?|square)\b",
        re.IGNORECASE,
    ),
    SCORE: re.compile(
        r"\b\d{1,3}\s?-\s?\d{1,3}\b|\b\d+\s(?:points?|goals?|runs?|wickets?|tries|strokes?|shots?|sets?|games?|votes?|seats?)\b",
        re.IGNORECASE,
    ),
    AGE: re.compile(r"\b(?:aged?|age of)\s+\d+|\b\d+-year-old\b|\b\d+\s+years?\s+old\b|,\s*\d{2},", re.IGNORECASE),
    ODDS: re.compile(r"\b\d+/\d+\b|\bodds[- ]on\b|\bevens\b", re.IGNORECASE),
    COUNT: re.compile(rf"\b{_NUMBER}\b", re.IGNORECASE),
    # Capitalised months only: "May" the month, not "may" the verb.
    DATE: re.compile(
        rf"\b(?:{_MONTH}|{_DAY}|{YEAR}|yesterday|today|tomorrow"
        r"|(?:last|next|this) (?:week|month|year|season))\b"
    ),
}
_CAPITALISED = re.compile(r"\b(?:[A-Z][\w'’&.-]*|[A-Z]{2,})(?:\s+(?:of|the|de|van|von|and|&)?\s*[A-Z][\w'’&.-]*)*")
_PERSON_CUE = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Sir|Lord|Lady|Dame)\.?\s+[A-Z]")
_ORGANISATION_CUE = re.compile(
    r"\b(?:Ltd|plc|Inc|Corp|Corporation|Group|Holdings|Bank|Party|Club|FC|United|City|Rovers|Association|Union|"
    r"Council|Commission|Committee|Ministry|Department|Agency|Authority|Board|Airlines|Airways|Motors|Records|"
    r"Studios|Pictures|Times|News|Post|Telegraph|Guardian|Journal|Standard|Mirror|Herald|Express|Mail|Observer|"
    r"Independent|Gazette|Chronicle|Tribune|Institute|University|College|Foundation|Fund|Office|Court|"
    r"Assembly|Parliament|Congress|Organisation|Organization|Federation|League|Society|Trust|Systems|"
    r"Networks?|Communications|Technologies|Electronics|Entertainment|Media|Music|Games|Software)\b|\b[A-Z]{2,6}s?\b"
)
_PLACE_CUE = re.compile(
    r"\b(?:in|at|from|to|near|outside|across|throughout|via|into|of)\s+(?:the\s+)?([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*)"
)
_ASKED = [
    (
        PERCENT,
        r"what (?:percentage|proportion|share|fraction|per ?cent)|by what (?:percentage|proportion)|by how much"
        r"|how much (?:of|more|less|higher|lower)",
    ),
    (ODDS, r"what odds|at what odds|what price .* (?:favourite|odds)"),
    (
        SCORE,
        r"what (?:was|is|were) the (?:final |half-time )?(?:score|result|scoreline|margin)|by what margin"
        r"|what score|final score|how many (?:points|goals|runs|wickets|votes|seats)",
    ),
    (AGE, r"how old|what age|at what age|aged how"),
    (DURATION, rf"how long|for how (?:long|many {_TIME_UNIT})|how many {_TIME_UNIT}|until when|how soon|what period"),
    (
        MEASURE,
        r"how (?:far|tall|high|deep|wide|heavy|fast|big|large)"
        r"|what (?:distance|height|weight|mass|speed|size|length|depth|temperature|area)",
    ),
    (
        MONEY,
        r"how much (?:money|cash|did|does|do|will|would|was|is|were|are|has|have|had)"
        r"|what (?:price|cost|fee|fine|sum|amount|salary|wage|value|bid|deal worth|payout|prize|budget|bill)"
        r"|how much .* (?:cost|pay|paid|spend|spent|earn|raise|raised|charge|offer|worth|fine|bid|sold)",
    ),
    (COUNT, r"how many|what number|what (?:was|is) the (?:total|number|figure|tally)|how much"),
    (
        DATE,
        r"\bwhen\b|what (?:year|date|day|month|time|season|decade)|which (?:year|date|day|month|season)"
        r"|since when|from (?:what|which) date",
    ),
    (
        ORGANISATION,
        r"(?:which|what) (?:\w+ )?(?:company|firm|club|team|side|party|group|bank|newspaper|paper|agency|"
        r"organisation|organization|union|body|broadcaster|network|channel|label|studio|publisher|airline|"
        r"carmaker|maker|manufacturer|retailer|supermarket|chain|brand|website|site|university|school|college|"
        r"court|committee|government|department|ministry|magazine|operator|provider|insurer|investor|regulator|"
        r"startup|start-up|outlet|journal|charity|institution|firm's)\b"
        r"|who (?:owns|bought|makes|made|publishes|built|developed)",
    ),
    (
        PLACE,
        r"\bwhere\b|(?:which|what) (?:\w+ )?(?:country|city|town|venue|stadium|region|state|county|nation|capital|"
        r"island|continent|province|village|area|hospital|prison|airport|ground|circuit|course|port|street|place|district)\b",
    ),
    (
        PERSON,
        r"\bwho\b|\bwhom\b|\bwhose\b|(?:which|what) (?:\w+ )?"
        r"(?:person|man|woman|player|minister|politician|singer|actor|"
        r"actress|star|artist|director|writer|author|coach|manager|striker|leader|executive|boss|chief|official|"
        r"judge|chairman|president|founder|spokesman|spokeswoman|analyst|economist|dj|presenter|rider|driver|"
        r"captain|golfer|athlete|sprinter|champion|winner|musician|band|rapper|host|novelist|reporter|mp|mep|"
        r"officer|fellow|scholar|scientist|professor|doctor|elder|clergyman|priest|lawyer|secretary|designer|"
        r"programmer|developer|agent|boxer|footballer|batsman|bowler|keeper|goalkeeper|midfielder|defender|forward|"
        r"winger|centre|fly-half|lock|prop|hooker|flanker|scrum-half)\b",
    ),
]
_ASKED_PATTERNS = [(kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in _ASKED]


def question_type(question: str) -> str:
    """The kind of answer asked for; the first, most specific rule that matches wins."""
    for kind, pattern in _ASKED_PATTERNS:
        if pattern.search(question):
            return kind
    return OTHER


@dataclass(frozen=True)
class Asked:
    """A question's answer type and the words it already uses (which no answer span can be)."""

    kind: str
    words: frozenset[str]

    @classmethod
    def of(cls, question: str) -> "Asked":
        return cls(question_type(question), frozenset(w.lower() for w in re.findall(r"[\w'’]+", question)))


def holds(asked: Asked, text: str) -> bool:
    """Whether the text holds a span of the asked type that is not made of the question's words."""
    if asked.kind == OTHER:
        return False
    if asked.kind in _SPANS:
        return any(_new(asked, m.group()) for m in _SPANS[asked.kind].finditer(text))
    if asked.kind == PLACE:
        return any(_new(asked, m.group(1)) for m in _PLACE_CUE.finditer(text))
    names = [m.group() for m in _CAPITALISED.finditer(text) if m.start() > 0 or len(m.group().split()) > 1]
    fresh = [n for n in names if _new(asked, n)]
    if asked.kind == PERSON:
        return any(len(n.split()) >= 2 and not _ORGANISATION_CUE.search(n) for n in fresh) or any(
            _new(asked, m.group()) for m in _PERSON_CUE.finditer(text)
        )
    return any(_ORGANISATION_CUE.search(n) for n in fresh)


def _new(asked: Asked, span: str) -> bool:
    words = [w.lower() for w in re.findall(r"[\w'’]+", span)]
    return bool(words) and not all(w in asked.words for w in words)
