"""What one `bot index` run did, for the summary line and the watcher's log."""

from dataclasses import dataclass, field


@dataclass
class Report:
    """Counts are of files, except `articles_*` (a feed file holds several articles)."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    articles_added: int = 0
    articles_changed: int = 0
    articles_removed: int = 0
    duplicates: int = 0
    chunks_embedded: int = 0
    chunks_total: int = 0
    documents: int = 0
    seconds: float = 0.0
    up_to_date: bool = False
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (display, reason), new this run
    notices: list[tuple[str, str]] = field(default_factory=list)  # (display, notice)
