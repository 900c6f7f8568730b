"""Publication dates: whatever a page or feed writes, as ISO 8601, or None with a reason."""

import datetime as dt

_EARLIEST_YEAR = 1900
_TOLERANCE = dt.timedelta(days=2)  # time zones and clocks that run a little fast


class BadDate(ValueError):
    """A date that is unreadable or cannot be right; the message says which, in a few words."""


def iso_date(value: object, now: dt.datetime | None = None) -> str:
    """`value` as ISO 8601: a date, or a date and time (with its offset when one is given).

    Raises BadDate for text that is not a date, one with no year, or one in the future.
    """
    import dateutil.parser

    if isinstance(value, dt.datetime):
        parsed, has_time = value, True
    elif isinstance(value, dt.date):
        parsed, has_time = dt.datetime(value.year, value.month, value.day), False
    else:
        text = " ".join(str(value).split())[:100]
        if not text:
            raise BadDate("empty date")
        try:
            first = dateutil.parser.parse(text, default=dt.datetime(1, 1, 1, 0, 0, 0))
            second = dateutil.parser.parse(text, default=dt.datetime(2, 2, 2, 1, 1, 1))
        except (ValueError, OverflowError):
            raise BadDate(f"unreadable date {text!r}") from None
        if first.year != second.year:
            raise BadDate(f"date {text!r} has no year")
        if (first.month, first.day) != (second.month, second.day):
            raise BadDate(f"date {text!r} has no day")
        parsed, has_time = first, (first.hour, first.minute) == (second.hour, second.minute)
    if parsed.year < _EARLIEST_YEAR:
        raise BadDate(f"date {parsed.date()} is too early to be a publication date")
    reference = now or dt.datetime.now(dt.UTC)
    aware = parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    if aware > reference + _TOLERANCE:
        raise BadDate(f"date {parsed.date()} is in the future")
    if not has_time:
        return parsed.date().isoformat()
    return parsed.isoformat(timespec="seconds")


def day(published: str | None) -> dt.date | None:
    """The calendar day of an ISO date as stored (its own zone's day)."""
    if not published:
        return None
    try:
        return dt.date.fromisoformat(published[:10])
    except ValueError:
        return None
