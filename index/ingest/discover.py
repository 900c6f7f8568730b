"""Finding the article files under the indexed folders, minus what the user excluded.

Exclusions are gitignore patterns (pathspec): `--exclude GLOB` options, remembered with their
folder, and `.botignore` files, each applying to the folder it sits in and below, as
.gitignore does. Hidden files and folders are never articles.
"""

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING

from index.errors import PathNotFound

if TYPE_CHECKING:
    import pathspec

TEXT_SUFFIXES = {".txt", ".text"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
FEED_SUFFIXES = {".rss", ".atom", ".xml"}
SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | FEED_SUFFIXES
IGNORE_FILE = ".botignore"
# Editors' and downloaders' files that are never finished articles.
TEMPORARY = ("~", ".swp", ".swx", ".tmp", ".part", ".crdownload", ".partial")


Unchanged = Callable[[str, "list[os.DirEntry[str]]"], bool]


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file found under an indexed folder: `name` is its absolute path (a string: a walk of
    180,000 files that made a Path of each would spend most of its time doing so), `display`
    its path as found under that folder."""

    name: str
    display: str

    @property
    def path(self) -> Path:
        return Path(self.name)


@dataclass
class Found:
    """What a walk found: the candidate article files, and files skipped by their name."""

    files: list[SourceFile] = field(default_factory=list)
    skipped: list[tuple[SourceFile, str]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # folders passed over as the caller asked

    def add(self, source: SourceFile, reason: str | None) -> None:
        """A file found: a candidate, or skipped for `reason`."""
        if reason:
            self.skipped.append((source, reason))
        else:
            self.files.append(source)


def display_of(path: Path, root: Path) -> str:
    """How a file is named to the user: its folder's name, then its path below it."""
    return path.name if root.is_file() else str(Path(root.name) / path.relative_to(root))


def is_temporary(name: str) -> bool:
    """Editor swap files, partial downloads and the like (a watcher ignores them too)."""
    return name.startswith((".", "#")) or name.endswith(TEMPORARY)


def discover(
    roots: Iterable[Path], excludes: dict[str, list[str]] | None = None, unchanged: Unchanged | None = None
) -> Found:
    """Every article file under the roots, plus those skipped by name.

    Args:
        excludes: folder -> gitignore patterns given with --exclude for that folder.
        unchanged: says, from a folder's path and its files' entries, that nothing in it changed
            since the caller last looked: its files are then left out, and the folder listed in
            Found.unchanged.
    Directories are walked without following symlinks, so a symlink loop cannot hang us.
    """
    found = Found()
    seen: set[str] = set()
    for given in roots:
        if not given.exists():
            raise PathNotFound(f"Path not found: {given}")
        patterns = (excludes or {}).get(str(given), [])
        root = Path(os.path.abspath(given))  # so that every path the walk yields is absolute
        single = root.is_file()
        start, prefix = len(str(root)) + 1, f"{root.name}/"
        for path, entry in _walk(root, patterns, unchanged, found.unchanged):
            if path in seen:
                continue
            seen.add(path)
            display = root.name if single else prefix + path[start:]
            if os.sep != "/":
                display = display.replace(os.sep, "/")
            reason = _entry_skip_reason(path, entry) if entry is not None else skip_reason(Path(path))
            found.add(SourceFile(path, display), reason)
    found.files.sort(key=attrgetter("display"))
    return found


def discover_changed(
    paths: Iterable[Path], roots: Iterable[Path], excludes: dict[str, list[str]] | None = None
) -> Found:
    """The article files among `paths` (files, or folders walked whole) that belong to one of the
    roots and are not excluded: what a watcher hands the indexer instead of a whole walk."""
    found = Found()
    seen: set[Path] = set()
    roots = [Path(os.path.abspath(r)) for r in roots]
    for path in paths:
        absolute = Path(os.path.abspath(path))
        root = next((r for r in roots if r == absolute or r in absolute.parents), None)
        if root is None or not absolute.exists() and not absolute.is_symlink():
            continue
        if absolute.is_dir():
            walked = discover([absolute], {str(absolute): (excludes or {}).get(str(root), [])})
            for source in walked.files:
                if source.path not in seen and not excluded(source.path, root, excludes):
                    seen.add(source.path)
                    found.files.append(SourceFile(source.name, display_of(source.path, root)))
            continue
        if absolute in seen or is_temporary(absolute.name) or excluded(absolute, root, excludes):
            continue
        seen.add(absolute)
        found.add(SourceFile(str(absolute), display_of(absolute, root)), skip_reason(absolute))
    found.files.sort(key=lambda f: f.display)
    return found


def excluded(path: Path, root: Path, excludes: dict[str, list[str]] | None = None) -> bool:
    """Whether the folder's excludes or a .botignore between the root and the file leave it out
    (hidden folders included)."""
    if root.is_file():
        return False
    relative = path.relative_to(root)
    if any(part.startswith(".") for part in relative.parts):
        return True
    rules: list[tuple[Path, pathspec.PathSpec]] = []
    patterns = (excludes or {}).get(str(root), [])
    if patterns:
        rules.append((root, _spec(patterns)))
    folder = root
    for part in relative.parts[:-1]:
        ignore = folder / IGNORE_FILE
        if ignore.is_file():
            with contextlib.suppress(OSError):
                rules.append((folder, _spec(ignore.read_text(encoding="utf-8", errors="replace").splitlines())))
        folder = folder / part
        if _excluded(folder, rules, True):
            return True
    ignore = folder / IGNORE_FILE
    if ignore.is_file():
        with contextlib.suppress(OSError):
            rules.append((folder, _spec(ignore.read_text(encoding="utf-8", errors="replace").splitlines())))
    return _excluded(path, rules, False)


def skip_reason(path: Path) -> str | None:
    """Why a file found by name is not an article (None when it may be one)."""
    if not _utf8(str(path)):
        return "file name is not valid UTF-8; rename the file"
    if path.suffix.lower() not in SUFFIXES:
        return "not an article file (.txt, .md, .html, .rss, .atom, .xml)"
    if path.is_symlink() and not path.exists():
        return "broken symbolic link"
    if path.exists() and not path.is_file():
        return "not a regular file"
    return None


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _entry_skip_reason(path: str, entry: os.DirEntry[str]) -> str | None:
    """skip_reason from what the directory listing already says (no stat for a plain file)."""
    if not (path.isascii() or _utf8(path)):
        return "file name is not valid UTF-8; rename the file"
    dot = entry.name.rfind(".")  # the walk has left out names starting with a dot
    if (entry.name[dot:].lower() if dot > 0 else "") not in SUFFIXES:
        return "not an article file (.txt, .md, .html, .rss, .atom, .xml)"
    if entry.is_symlink():
        return skip_reason(Path(path))
    return None if entry.is_file(follow_symlinks=False) else "not a regular file"


def _walk(
    root: Path, patterns: Sequence[str], unchanged: Unchanged | None = None, passed: list[str] | None = None
) -> Iterator[tuple[str, "os.DirEntry[str] | None"]]:
    """(path, its directory entry) of every candidate file, folders in name order, depth first;
    symbolic links to folders are not followed. A folder `unchanged` accepts yields none of its
    files and is added to `passed`."""
    if root.is_file():
        yield str(root), None
        return
    rules: list[tuple[Path, pathspec.PathSpec]] = []
    if patterns:
        rules.append((root, _spec(patterns)))
    pending = [str(root)]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError:
            continue
        here = Path(folder)
        rules = [(base, spec) for base, spec in rules if base == here or base in here.parents]
        if any(e.name == IGNORE_FILE for e in entries):
            try:
                lines = (here / IGNORE_FILE).read_text(encoding="utf-8", errors="replace").splitlines()
                rules.append((here, _spec(lines)))
            except OSError:
                pass
        prefixes = _prefixes(rules)
        folders, files = [], []
        for entry in entries:
            if _is_folder(entry):
                if not (entry.is_symlink() or entry.name.startswith(".")) and not (
                    prefixes and _matched(entry.path, prefixes, True)
                ):
                    folders.append(entry.path)
            elif not is_temporary(entry.name) and not (prefixes and _matched(entry.path, prefixes, False)):
                files.append(entry)
        pending.extend(reversed(folders))
        if unchanged is not None and passed is not None and files and unchanged(folder, files):
            passed.append(folder)
            continue
        for entry in files:
            yield entry.path, entry


def _is_folder(entry: "os.DirEntry[str]") -> bool:
    """As os.walk decides: a folder, or a link to one; a link loop is not."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _spec(lines: Sequence[str]) -> "pathspec.PathSpec":
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)


def _matched(path: str, prefixes: list[tuple[int, "pathspec.PathSpec"]], directory: bool) -> bool:
    """Whether a path below every rule's folder is excluded by one of the rules."""
    relative = path.replace(os.sep, "/")
    suffix = "/" if directory else ""
    return any(spec.match_file(relative[start:] + suffix) for start, spec in prefixes)


def _excluded(path: Path, rules: list[tuple[Path, "pathspec.PathSpec"]], directory: bool) -> bool:
    return _matched(str(path), _prefixes(rules), directory)


def _prefixes(rules: list[tuple[Path, "pathspec.PathSpec"]]) -> list[tuple[int, "pathspec.PathSpec"]]:
    """Each rule's folder as the length of the prefix its paths are matched below (strings: a
    walk matches every file)."""
    return [(len(str(base)) + 1, spec) for base, spec in rules]
