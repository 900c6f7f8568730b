"""What `bot ask` does around the answer: reading a question from stdin, warning of a stale index."""

from typing import TextIO

from index.errors import BadQuestion
from index.search.searcher import Searcher


def question_text(argument: str, stdin: TextIO) -> str:
    """The question: the argument, or stdin when the argument is "-"."""
    text = stdin.read() if argument == "-" else argument
    if not text.strip():
        raise BadQuestion('The question is empty. Try: bot ask "what did Putin say about Assad?"')
    return " ".join(text.split())


# Above this many files the check is left to `bot status`: it stats every file and walks every
# folder, which would dominate a cold `bot ask` on an archive (27 s of a 28 s ask on 182,000
# files, under cProfile).
STALE_CHECK_FILES = 5_000


def stale_notice(searcher: Searcher) -> str | None:
    """One line when files changed on disk since the last index, as status and the chat say
    (for indexes of up to STALE_CHECK_FILES files)."""
    from bot.render import plural
    from index.indexer.status import changes
    from index.store import state

    with searcher.snapshot() as connection:
        if connection.execute("SELECT count(*) FROM files").fetchone()[0] > STALE_CHECK_FILES:
            return None
        files, shown = state.files(connection), state.displays(connection)
    changed, missing, new = changes(searcher.meta, files, shown)
    count = len(changed) + len(missing) + len(new)
    if not count:
        return None
    return f"{plural(count, 'file')} changed since the last index: run bot index"
