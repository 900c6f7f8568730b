"""What the index holds, article by article: `bot articles` and `bot show`."""

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from index.errors import ArticleNotFound
from index.search.filters import Filters
from index.search.searcher import Searcher
from index.store import catalog
from index.store.catalog import ArticleRow


@dataclass
class Listed:
    """One line of `bot articles`; `--json` prints these (without `copy_of`)."""

    path: str
    title: str
    published: str | None
    author: str | None
    site: str | None
    url: str | None
    passages: int
    copy_of: str | None = None


@dataclass
class Passage:
    paragraph: int
    text: str


@dataclass
class DroppedText:
    text: str
    why: str


@dataclass
class Shown:
    """`bot show --json` is this dataclass's asdict (the `copy_of` key added)."""

    path: str
    title: str
    published: str | None
    author: str | None
    site: str | None
    url: str | None
    passages: list[Passage] = field(default_factory=list)
    dropped: list[DroppedText] = field(default_factory=list)
    copy_of: str | None = None


def newest(searcher: Searcher) -> dt.date | None:
    from index.ingest.dates import day

    row = searcher.connection.execute("SELECT max(published) FROM articles").fetchone()
    return day(row[0]) if row else None


def list_articles(index_dir: Path, filters: Filters) -> list[Listed]:
    searcher = Searcher.open(index_dir, load_model=False)
    try:
        with searcher.snapshot() as connection:
            where, parameters = filters.sql(newest(searcher))
            rows = catalog.articles(connection, where, parameters)
            displays = {r.id: r.display for r in rows}
            return [_listed(r, displays) for r in rows]
    finally:
        searcher.close()


def _listed(row: ArticleRow, displays: dict[int, str]) -> Listed:
    copy_of = displays.get(row.duplicate_of) if row.duplicate_of else None
    return Listed(row.display, row.title, row.published, row.author, row.site, row.url, row.passages, copy_of)


def show_article(index_dir: Path, path: str) -> Shown:
    """The article `path` names (its display path as `bot articles` prints it, or its file)."""
    searcher = Searcher.open(index_dir, load_model=False)
    try:
        with searcher.snapshot() as connection:
            wanted = path.rstrip("/")
            rows = catalog.articles(connection, "a.display = ? OR a.key = ?", [wanted, str(Path(wanted).absolute())])
            if not rows:
                rows = catalog.articles(
                    connection, "a.display LIKE ? ESCAPE '\\'", ["%/" + wanted.replace("%", "\\%").replace("_", "\\_")]
                )
            if len(rows) != 1:
                hint = f"; it could be {', '.join(r.display for r in rows[:3])}" if rows else ""
                raise ArticleNotFound(f"No indexed article {path}{hint}. See what is indexed with: bot articles")
            row = rows[0]
            canonical = row
            copy_of = None
            if row.duplicate_of:
                canonical = catalog.articles(connection, "a.id = ?", [row.duplicate_of])[0]
                copy_of = canonical.display
            passages = [
                Passage(paragraph, text) for _, paragraph, text in catalog.article_chunks(connection, canonical.id)
            ]
            dropped = [DroppedText(text, why) for text, why in catalog.dropped(connection, row.id)]
            return Shown(
                row.display, row.title, row.published, row.author, row.site, row.url, passages, dropped, copy_of
            )
    finally:
        searcher.close()
