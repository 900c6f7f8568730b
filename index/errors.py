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


class ModelMismatch(UserError):
    """The index was built with another embedding model than the one asked for."""


class PathNotFound(UserError):
    """A path given to the indexer does not exist."""


class LockBusy(UserError):
    """Another indexer holds the lock and the caller asked not to wait."""


class BadQuestion(UserError):
    """The question is empty or has no searchable content."""


class ModelUnavailable(UserError):
    """The embedding model path does not hold a usable sentence-transformers model."""


class SaveFailed(UserError):
    """Writing the new index generation failed (disk full, permissions); the old one is intact."""
