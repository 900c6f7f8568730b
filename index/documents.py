"""Find article files and read them into text, whatever their encoding or format."""

import codecs
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from index.errors import PathNotFound

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
MAX_FILE_BYTES = 10 * 1024 * 1024
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class Unreadable(Exception):
    """A file that cannot be indexed; the message is the reason shown to the user."""


@dataclass(frozen=True)
class SourceFile:
    """A file found under an indexed root; `display` is the path as found under that root."""

    path: Path
    display: str


@dataclass(frozen=True)
class Document:
    """A decoded article: its text and, for HTML, the title the page declares."""

    source: SourceFile
    text: str
    title_hint: str | None


def discover(roots: Iterable[Path]) -> tuple[list[SourceFile], list[tuple[Path, str]]]:
    """Every indexable file under the roots, plus (path, reason) for files skipped by name.

    Directories are walked without following symlinks, so a symlink loop cannot hang us.
    """
    found: dict[Path, SourceFile] = {}
    skipped: list[tuple[Path, str]] = []
    for root in roots:
        if not root.exists():
            raise PathNotFound(f"Path not found: {root}")
        for path in _walk(root):
            if not _utf8(str(path)):
                printable = Path(os.fsencode(path).decode("utf-8", "backslashreplace"))
                skipped.append((printable, "file name is not valid UTF-8; rename the file"))
                continue
            if path.suffix.lower() not in TEXT_SUFFIXES | HTML_SUFFIXES:
                skipped.append((path, "not a .txt, .md or .html file"))
                continue
            if path.exists() and not path.is_file():
                skipped.append((path, "not a regular file"))
                continue
            absolute = Path(os.path.abspath(path))
            display = path.name if root.is_file() else str(Path(root.name) / path.relative_to(root))
            found.setdefault(absolute, SourceFile(absolute, display))
    return sorted(found.values(), key=lambda f: f.display), skipped


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _walk(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
        return
    for folder, dirs, files in os.walk(root, onerror=None):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(folder) / name


def read_document(source: SourceFile) -> Document:
    """Decode one file; raises Unreadable with a short reason for anything that is not an article."""
    try:
        size = source.path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise Unreadable(f"too large ({size / 2**20:.0f} MB, limit {MAX_FILE_BYTES >> 20} MB)")
        data = source.path.read_bytes()
    except OSError as error:
        raise Unreadable(error.strerror or str(error)) from None
    text = decode(data)
    if source.path.suffix.lower() in HTML_SUFFIXES:
        return _from_html(source, text)
    return Document(source, text, None)


def decode(data: bytes) -> str:
    """UTF-8 first, then a real encoding detector; binary data raises Unreadable."""
    if not data.strip():
        raise Unreadable("empty file")
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                raise Unreadable(f"invalid {encoding} text") from None
    if data.count(0) > len(data) // 100:
        raise Unreadable("binary file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = _detect(data)
    if _control_ratio(text) > 0.05:
        raise Unreadable("binary file")
    return text


def _detect(data: bytes) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise Unreadable("binary file or unknown encoding")
    return str(best)


def _control_ratio(text: str) -> float:
    sample = text[:20000]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
    return controls / max(len(sample), 1)


def _from_html(source: SourceFile, html: str) -> Document:
    import trafilatura

    extracted = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False)
    text = getattr(extracted, "text", None) if extracted is not None else None
    if not text or not text.strip():
        raise Unreadable("no article text found in the HTML")
    return Document(source, text, getattr(extracted, "title", None) or None)
