"""Time in a question: "in 2005", "in March 2004", "latest", "this week".

An explicit period favours articles published in it; a question about the newest state of
things favours the newest among the passages that answer it about as well as the best (within
RELEVANT_MARGIN), newest measured from the latest article in the index (an offline archive's
"now" is the time of its newest news, not today). Both are boosts to the ranker's score, not
filters: a question may name a year its answer was published in, or one it merely mentions
("what happened in 1999?").
"""

import datetime as dt
import re
from dataclasses import dataclass

_MONTHS = {
    m: i
    for i, m in enumerate(
        "january february march april may june july august september october november december".split(),
        start=1,
    )
}
_PERIOD = re.compile(
    r"\b(?:in|during|since|from|of|by)\s+(?:(?P<month>"
    + "|".join(m.capitalize() for m in _MONTHS)
    + r")\s+)?(?P<year>(?:19|20)\d\d)\b"
    r"|\b(?:in|during)\s+(?P<alone>" + "|".join(m.capitalize() for m in _MONTHS) + r")\b"
)
_RECENT = re.compile(
    r"\b(?:latest|most recent|recently|newest|now|currently|these days|this (?:week|month|year)|today|so far"
    r"|at present|up to date)\b",
    re.IGNORECASE,
)
PERIOD_BOOST = 1.5  # log-odds, for an article published in the period the question names
RECENT_BOOST = 3.0  # log-odds, for the newest article, shrinking with age
RELEVANT_MARGIN = 3.0  # log-odds below the best passage that still count as answering


@dataclass(frozen=True)
class When:
    """What a question says about time: a year (and month), a month alone, or "the latest"."""

    year: int | None = None
    month: int | None = None
    recent: bool = False

    @classmethod
    def of(cls, question: str) -> "When":
        match = _PERIOD.search(question)
        year = month = None
        if match:
            if match.group("year"):
                year = int(match.group("year"))
                month = _MONTHS[match.group("month").lower()] if match.group("month") else None
            else:
                month = _MONTHS[match.group("alone").lower()]
        return cls(year, month, bool(_RECENT.search(question)))

    @property
    def any(self) -> bool:
        return self.year is not None or self.month is not None or self.recent

    def boost(self, published: dt.date | None, newest: dt.date | None, relevant: bool) -> float:
        """Log-odds to add to a passage of an article published on that day.

        Args:
            relevant: the passage scores within RELEVANT_MARGIN of the best.
        """
        if published is None:
            return 0.0
        total = 0.0
        if (
            (self.year is not None or self.month is not None)
            and (self.year in (None, published.year))
            and (self.month in (None, published.month))
        ):
            total += PERIOD_BOOST
        if self.recent and relevant and newest is not None:
            age = max(0, (newest - published).days)
            total += RECENT_BOOST / (1 + age / 30)
        return total
