"""Where things live on disk, resolved at call time: flag > environment variable > platform dir."""

import os
from pathlib import Path

APP_NAME = "newsbot"
INDEX_DIR_ENV = "BOT_INDEX_DIR"
CACHE_DIR_ENV = "BOT_CACHE_DIR"


def index_dir(flag: str | Path | None = None) -> Path:
    """The directory of the built index."""
    if flag:
        return Path(flag).expanduser()
    if os.environ.get(INDEX_DIR_ENV):
        return Path(os.environ[INDEX_DIR_ENV]).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME)) / "index"


def cache_dir() -> Path:
    """Derived, rebuildable files (the ONNX export of the model, evaluation embeddings)."""
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV]).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME))


def state_dir() -> Path:
    """Small user state such as the chat history."""
    import platformdirs

    return Path(platformdirs.user_state_dir(APP_NAME))
