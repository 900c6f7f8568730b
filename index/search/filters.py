"""--since / --until / --site: which articles a search may answer from.

Dates are written as a day (2024-03-21), a month (2024-03) or a year (2024), or relatively (7d,
2w, 3m, 1y). Relative dates count back from the newest article in the index, not from today: an
archive's "now" is the time of its latest news.
"""

import datetime as dt
import re
from dataclasses import dataclass

from index.errors import BadFilter

_ABSOLUTE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_RELATIVE = re.compile(r"^(\d{1,4})\s*([dwmy])$", re.IGNORECASE)


@dataclass(frozen=True)
class Bound:
    """A date as given: absolute (first and last day of the period it names) or relative."""

    first: dt.date | None = None
    last: dt.date | None = None
    days: int = 0
    months: int = 0

    @classmethod
    def parse(cls, text: str, option: str) -> "Bound":
        text = text.strip()
        absolute = _ABSOLUTE.match(text)
        if absolute:
            year, month, day = (int(g) if g else None for g in absolute.groups())
            try:
                if day is not None:
                    first = last = dt.date(year, month, day)  # type: ignore[arg-type]
                elif month is not None:
                    first = dt.date(year, month, 1)  # type: ignore[arg-type]
                    last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
                else:
                    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)  # type: ignore[arg-type]
            except ValueError:
                raise BadFilter(f"{option} {text}: no such date") from None
            return cls(first, last)
        relative = _RELATIVE.match(text)
        if relative:
            count, unit = int(relative.group(1)), relative.group(2).lower()
            return cls(
                days={"d": count, "w": 7 * count}.get(unit, 0), months={"m": count, "y": 12 * count}.get(unit, 0)
            )
        raise BadFilter(
            f"{option} {text!r}: write a date as 2024-03-21, 2024-03 or 2024, "
            "or a span back from the newest article as 7d, 2w, 3m or 1y"
        )

    def resolve(self, newest: dt.date | None, end: bool) -> dt.date | None:
        """The day this bound names: for a period, its first day as a start and last as an end."""
        if self.first is not None:
            return self.last if end else self.first
        if newest is None:
            return None
        back = newest - dt.timedelta(days=self.days)
        month = back.month - 1 - self.months
        year = back.year + month // 12
        return back.replace(year=year, month=month % 12 + 1, day=min(back.day, 28))


@dataclass(frozen=True)
class Filters:
    since: Bound | None = None
    until: Bound | None = None
    site: str | None = None

    @classmethod
    def parse(cls, since: str | None, until: str | None, site: str | None) -> "Filters":
        return cls(
            Bound.parse(since, "--since") if since else None,
            Bound.parse(until, "--until") if until else None,
            " ".join(site.split()) if site and site.strip() else None,
        )

    @property
    def active(self) -> bool:
        return bool(self.since or self.until or self.site)

    def sql(self, newest: dt.date | None) -> tuple[str, list[object]]:
        """A condition on articles `a`, and its parameters."""
        conditions: list[str] = []
        parameters: list[object] = []
        start = self.since.resolve(newest, end=False) if self.since else None
        stop = self.until.resolve(newest, end=True) if self.until else None
        if self.since:
            conditions.append("substr(a.published, 1, 10) >= ?")
            parameters.append(start.isoformat() if start else "9999")
        if self.until:
            conditions.append("substr(a.published, 1, 10) <= ?")
            parameters.append(stop.isoformat() if stop else "0000")
        if self.site:
            conditions.append("a.site LIKE ? ESCAPE '\\'")
            parameters.append("%" + re.sub(r"([%_\\])", r"\\\1", self.site) + "%")
        return " AND ".join(conditions), parameters

    def describe(self) -> str:
        parts = []
        if self.since:
            parts.append("since " + (self.since.first.isoformat() if self.since.first else _span(self.since)))
        if self.until:
            parts.append("until " + (self.until.last.isoformat() if self.until.last else _span(self.until)))
        if self.site:
            parts.append(f"from {self.site}")
        return ", ".join(parts)


def _span(bound: Bound) -> str:
    return f"{bound.days}d" if bound.days else f"{bound.months}m"
