"""Typed errors the CLI turns into one-line messages; each message says what to do next."""


class UserError(Exception):
    """Base class: anything the user can fix, reported in one line."""


class IndexNotFound(UserError):
    """No index has been built in this directory yet."""

    def __init__(self, index_dir: object) -> None:
        super().__init__(f"No index at {index_dir}. Build one with: bot index PATH")


class IndexCorrupt(UserError):
    """An index file is missing, truncated, tampered with or from an unknown format."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"The index is unreadable ({detail}). Rebuild it with: bot index --rebuild")


class OldIndexFormat(UserError):
    """The index was written by an older version of newsbot, in a format this one does not read."""

    def __init__(self, index_dir: object = None) -> None:
        where = f" at {index_dir}" if index_dir is not None else ""
        super().__init__(
            f"The index{where} was made by an older version of newsbot. Rebuild it with: bot index --rebuild"
        )


class ModelMismatch(UserError):
    """The index was built with another embedding model than the one asked for."""


class PathNotFound(UserError):
    """A path given to the indexer does not exist."""


class LockBusy(UserError):
    """Another indexer holds the lock and the caller asked not to wait."""


class BadQuestion(UserError):
    """The question is empty or has no searchable content."""


class BadFilter(UserError):
    """A --since/--until/--site value that cannot be understood."""


class ModelUnavailable(UserError):
    """The embedding model path does not hold a usable sentence-transformers model."""


class MissingDependency(UserError):
    """An optional library a file type needs is not installed; the message names the package."""


class SaveFailed(UserError):
    """Writing the index failed (disk full, permissions); the previous index is intact."""


class ArticleNotFound(UserError):
    """`bot show PATH` names no indexed article."""
