"""Bytes -> text, whatever the encoding; anything that is not text says so in a few words."""

import codecs
import os
import stat
from dataclasses import dataclass
from pathlib import Path

MAX_FILE_BYTES = 10 * 1024 * 1024
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# What a file that claims to be text but is not usually turns out to be.
MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (or a .docx)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Word or Excel document"),
)


class Unreadable(Exception):
    """A file that cannot be indexed; the message is the reason shown to the user."""


@dataclass(frozen=True)
class Read:
    """A file's bytes and the size and mtime they were read at (from the same open file)."""

    data: bytes
    size: int
    mtime_ns: int


def read_file(path: Path) -> Read:
    """The file's bytes with its stat taken on the open descriptor: an edit made after this
    changes the mtime, so the next run reads the file again instead of trusting old text."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        raise Unreadable(error.strerror or str(error)) from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable("not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise Unreadable(f"too large ({info.st_size / 2**20:.0f} MB, limit {MAX_FILE_BYTES >> 20} MB)")
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise Unreadable(error.strerror or str(error)) from None
    finally:
        os.close(descriptor)
    return Read(data, info.st_size, info.st_mtime_ns)


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
    for magic, kind in MAGIC:
        if data.startswith(magic):
            raise Unreadable(f"{kind}, not text")
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
